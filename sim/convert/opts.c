/* Converter options by name (the command line) and the summary text. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/convert/cv.h"

static int bad(struct ims_error *err, const char *name, const char *value, const char *want)
{
	return ims_error_set(err, IMS_EINVAL, "--%s: invalid value '%s' (%s)", name, value, want);
}

/* Decimal or 0x hex, the whole string. */
static int number(const char *name, const char *value, uint64_t min, uint64_t max,
		  uint64_t *out, struct ims_error *err)
{
	const char *p = value;
	char want[64];
	uint64_t v;

	if (!(cv_hex(&p, &v) || cv_dec(&p, &v)) || *p || v < min || v > max) {
		snprintf(want, sizeof(want), "a number from %" PRIu64 " to %" PRIu64, min, max);
		return bad(err, name, value, want);
	}
	*out = v;
	return 0;
}

static int cycles_or_auto(const char *name, const char *value, uint64_t *out,
			  struct ims_error *err)
{
	if (!strcmp(value, "auto")) {
		*out = IMS_CONVERT_AUTO;
		return 0;
	}
	return number(name, value, 0, UINT64_C(1) << 60, out, err);
}

static int iova_bits(const char *name, const char *value, uint8_t *out, struct ims_error *err)
{
	if (strcmp(value, "48") && strcmp(value, "57"))
		return bad(err, name, value, "48 or 57");
	*out = (uint8_t)(value[0] == '4' ? 48 : 57);
	return 0;
}

static int dir(const char *name, const char *value, bool none_ok, enum ims_convert_dir *out,
	       struct ims_error *err)
{
	if (!strcmp(value, "read"))
		*out = IMS_CONVERT_DIR_READ;
	else if (!strcmp(value, "write"))
		*out = IMS_CONVERT_DIR_WRITE;
	else if (none_ok && !strcmp(value, "none"))
		*out = IMS_CONVERT_DIR_NONE;
	else
		return bad(err, name, value, none_ok ? "read, write or none" : "read or write");
	return 0;
}

static int domains(const char *name, const char *value, const char *other,
		   enum ims_convert_domains other_mode, enum ims_convert_domains *out,
		   struct ims_error *err)
{
	char want[64];

	if (!strcmp(value, "single"))
		*out = IMS_CONVERT_DOMAINS_SINGLE;
	else if (!strcmp(value, other))
		*out = other_mode;
	else {
		snprintf(want, sizeof(want), "single or %s", other);
		return bad(err, name, value, want);
	}
	return 0;
}

int ims_ftrace_opts_set(struct ims_ftrace_opts *o, const char *name, const char *value,
			struct ims_error *err)
{
	if (!strcmp(name, "mhz"))
		return number(name, value, 100, 10000, &o->mhz, err);
	if (!strcmp(name, "domains"))
		return domains(name, value, "group", IMS_CONVERT_DOMAINS_GROUP, &o->domains, err);
	if (!strcmp(name, "dma"))
		return dir(name, value, true, &o->dma_dir, err);
	if (!strcmp(name, "dma-delay"))
		return cycles_or_auto(name, value, &o->dma_delay, err);
	if (!strcmp(name, "fault-len"))
		return number(name, value, 1, IMS_TRACE_DMA_MAX_LEN, &o->fault_len, err);
	if (!strcmp(name, "iova-bits"))
		return iova_bits(name, value, &o->iova_bits, err);
	if (!strcmp(name, "pgsizes")) {
		uint64_t v = 0;
		int rc = number(name, value, 0x1000, UINT64_MAX, &v, err);

		/* a refused value leaves the options as they were */
		if (!rc && !(v & 0x1000))
			return bad(err, name, value, "a bitmap of page sizes with 4 KiB (0x1000)");
		if (!rc)
			o->pgsizes = v;
		return rc;
	}
	return ims_error_set(err, IMS_EINVAL, "unknown option '--%s'", name);
}

int ims_qemu_opts_set(struct ims_qemu_opts *o, const char *name, const char *value,
		      struct ims_error *err)
{
	if (!strcmp(name, "mhz"))
		return number(name, value, 100, 10000, &o->mhz, err);
	if (!strcmp(name, "domains"))
		return domains(name, value, "device", IMS_CONVERT_DOMAINS_DEVICE, &o->domains, err);
	if (!strcmp(name, "dir"))
		return dir(name, value, false, &o->unknown_dir, err);
	if (!strcmp(name, "len"))
		return number(name, value, 1, IMS_TRACE_DMA_MAX_LEN, &o->dma_len, err);
	if (!strcmp(name, "interval"))
		return number(name, value, 0, UINT64_C(1) << 40, &o->interval, err);
	if (!strcmp(name, "start"))
		return cycles_or_auto(name, value, &o->start, err);
	if (!strcmp(name, "iova-bits"))
		return iova_bits(name, value, &o->iova_bits, err);
	return ims_error_set(err, IMS_EINVAL, "unknown option '--%s'", name);
}

int ims_convert_stats_format(const struct ims_convert_stats *st, char *buf, size_t len)
{
	const struct {
		const char *name;
		uint64_t value;
		const char *what;
	} rows[] = {
		{ "lines", st->lines, "input lines" },
		{ "recognised", st->recognised, "lines of a supported event" },
		{ "skipped", st->skipped, "other lines (headers, other events)" },
		{ "ignored", st->ignored, "supported lines that change nothing" },
		{ "reordered", st->reordered, "lines stamped before an earlier line: moved up" },
		{ "reorder_max_cycles", st->reorder_max_cycles, "largest such move" },
		{ "devices", st->devices, "declared" },
		{ "domains", st->domains, "declared" },
		{ "maps", st->maps, "map events" },
		{ "unmaps", st->unmaps, "unmap events" },
		{ "dmas", st->dmas, "dma events" },
		{ "fault_dmas", st->fault_dmas, "of them for fault lines" },
		{ "map_bytes_overlap", st->map_bytes_overlap, "mapped again while mapped: dropped" },
		{ "unmap_bytes_unknown", st->unmap_bytes_unknown, "unmapped but never mapped in the input" },
		{ "unmap_bytes_widened", st->unmap_bytes_widened, "added to unmaps to cut no large page" },
		{ "dma_pulled", st->dma_pulled, "DMAs moved up to the unmap of their buffer" },
		{ "dma_early", st->dma_early, "DMAs before their map can be done: they fault" },
		{ "pa_conflicts", st->pa_conflicts, "pages seen again at another address" },
		{ "end_time", st->end_time, "cycle of the last event" },
	};
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n;

		if (!rows[i].value && i > 2)
			continue;
		n = snprintf(buf + used, len > used ? len - used : 0, "%-20s %12" PRIu64 "  # %s\n",
			     rows[i].name, rows[i].value, rows[i].what);
		if (n > 0)
			used += (size_t)n;
	}
	return (int)(used < len ? used : len ? len - 1 : 0);
}
