#include "sim/params.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bits.h"

const struct ims_param_desc ims_param_table[] = {
#define IMS_COST(name, def, unit, src, desc) \
	{ #name, IMS_PARAM_COST, def, 0, 0, unit, src, desc },
#define IMS_SIZE(name, def, min, max, unit, src, desc) \
	{ #name, IMS_PARAM_SIZE, def, min, max, unit, src, desc },
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
};

const unsigned ims_param_count = sizeof(ims_param_table) / sizeof(ims_param_table[0]);

/* Offsets into struct ims_params, in table order, so lookups by name need no
 * per-parameter code. */
static const size_t param_offset[] = {
#define IMS_COST(name, def, unit, src, desc) offsetof(struct ims_params, name),
#define IMS_SIZE(name, def, min, max, unit, src, desc) offsetof(struct ims_params, name),
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
};

void ims_params_default(struct ims_params *out)
{
#define IMS_COST(name, def, unit, src, desc) out->name = (double)(def);
#define IMS_SIZE(name, def, min, max, unit, src, desc) out->name = (uint64_t)(def);
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
}

double ims_params_get(const struct ims_params *p, unsigned i)
{
	const char *base = (const char *)p + param_offset[i];

	if (ims_param_table[i].kind == IMS_PARAM_COST)
		return *(const double *)(const void *)base;
	return (double)*(const uint64_t *)(const void *)base;
}

uint64_t ims_params_get_u64(const struct ims_params *p, unsigned i)
{
	if (ims_param_table[i].kind != IMS_PARAM_SIZE)
		return 0;
	return *(const uint64_t *)(const void *)((const char *)p + param_offset[i]);
}

static int parse_size_value(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || errno)
		return -1;
	unsigned shift = 0;

	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;   /* the suffix would overflow */
	v <<= shift;
	if (*end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int ims_params_set(struct ims_params *p, const char *assignment, struct ims_error *err)
{
	const char *eq = strchr(assignment, '=');
	size_t nlen;

	if (!eq || eq == assignment || !eq[1])
		return ims_error_set(err, IMS_EINVAL,
				     "parameter '%s': expected name=value", assignment);
	nlen = (size_t)(eq - assignment);
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];
		char *base = (char *)p + param_offset[i];

		if (strlen(d->name) != nlen || strncmp(d->name, assignment, nlen))
			continue;
		if (d->kind == IMS_PARAM_COST) {
			char *end;
			double v;

			errno = 0;
			v = strtod(eq + 1, &end);
			/* 1e12 ns is 1000 s: no single cost is anywhere near it */
			if (*end || errno || !isfinite(v) || v < 0 || v > 1e12)
				return ims_error_set(err, IMS_EINVAL,
					"parameter %s: '%s' is not a number from 0 to 1e12 (%s)",
					d->name, eq + 1, d->unit);
			*(double *)(void *)base = v;
		} else {
			uint64_t v;

			if (parse_size_value(eq + 1, &v))
				return ims_error_set(err, IMS_EINVAL,
					"parameter %s: '%s' is not a non-negative integer",
					d->name, eq + 1);
			if (v < d->min || v > d->max)
				return ims_error_set(err, IMS_EINVAL,
					"parameter %s: %llu out of range [%llu, %llu] %s",
					d->name, (unsigned long long)v,
					(unsigned long long)d->min,
					(unsigned long long)d->max, d->unit);
			*(uint64_t *)(void *)base = v;
		}
		return 0;
	}
	return ims_error_set(err, IMS_ENOENT,
			     "unknown parameter '%.*s' (see 'iommusim params')",
			     (int)nlen, assignment);
}

static int check_cache_shape(const char *what, uint64_t entries, uint64_t ways,
			     struct ims_error *err)
{
	if (entries == 0)
		return 0;
	if (entries % ways || !ims_is_pow2(entries / ways))
		return ims_error_set(err, IMS_EINVAL,
			"%s: %llu entries / %llu ways must give a power-of-two set count",
			what, (unsigned long long)entries, (unsigned long long)ways);
	return 0;
}

int ims_params_validate(const struct ims_params *p, struct ims_error *err)
{
	int rc;

	if ((rc = check_cache_shape("iotlb_entries", p->iotlb_entries, p->iotlb_ways, err)) ||
	    (rc = check_cache_shape("mem_llc_lines", p->mem_llc_lines, p->mem_llc_ways, err)) ||
	    (rc = check_cache_shape("psc_l1_entries", p->psc_l1_entries, p->psc_ways, err)) ||
	    (rc = check_cache_shape("psc_l2_entries", p->psc_l2_entries, p->psc_ways, err)) ||
	    (rc = check_cache_shape("psc_l3_entries", p->psc_l3_entries, p->psc_ways, err)) ||
	    (rc = check_cache_shape("psc_l4_entries", p->psc_l4_entries, p->psc_ways, err)))
		return rc;
	if (!ims_is_pow2(p->dma_xlate_bytes))
		return ims_error_set(err, IMS_EINVAL,
				     "dma_xlate_bytes: %llu is not a power of two",
				     (unsigned long long)p->dma_xlate_bytes);
	if (!ims_is_pow2(p->dma_request_bytes))
		return ims_error_set(err, IMS_EINVAL,
				     "dma_request_bytes: %llu is not a power of two",
				     (unsigned long long)p->dma_request_bytes);
	return 0;
}

static uint64_t to_cycles(double v, const char *unit, uint64_t cpu_mhz)
{
	double cycles = strcmp(unit, "ns") == 0 ? v * (double)cpu_mhz / 1000.0 : v;

	return (uint64_t)llround(cycles);
}

void ims_costs_from_params(struct ims_costs *out, const struct ims_params *p)
{
#define IMS_COST(name, def, unit, src, desc) out->name = to_cycles(p->name, unit, p->cpu_mhz);
#define IMS_SIZE(name, def, min, max, unit, src, desc)
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
}
