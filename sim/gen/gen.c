/* Workload generators: the workload table, knob parsing, the PRNG, event
 * emission with host-time estimates (gen.h). */
#include "sim/gen/gen.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/model.h"
#include "sim/assert.h"

const struct ims_gen_workload *const ims_gen_workloads[] = {
	&ims_gen_nic_rx,   &ims_gen_nvme,      &ims_gen_migration,
	&ims_gen_viommu_dsi, &ims_gen_hotunplug, &ims_gen_random_window,
	NULL,
};

const struct ims_gen_workload *ims_gen_find(const char *name)
{
	for (unsigned i = 0; ims_gen_workloads[i]; i++)
		if (!strcmp(ims_gen_workloads[i]->name, name))
			return ims_gen_workloads[i];
	return NULL;
}

/* ---- PRNG ------------------------------------------------------------------
 * splitmix64 (Steele, Lea, Flood 2014) expands the seed into the state of
 * xoshiro256** (Blackman, Vigna 2018), both written from their published
 * definitions. */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, unsigned k)
{
	return (x << k) | (x >> (64 - k));
}

void ims_gen_rng_seed(struct ims_gen_rng *r, uint64_t seed)
{
	for (unsigned i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t ims_gen_rng_next(struct ims_gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t ims_gen_rng_below(struct ims_gen_rng *r, uint64_t n)
{
	uint64_t limit, x;

	IMS_ASSERT(n > 0, "rng_below(0)");
	/* the top of the 64-bit range that is a whole number of n-sized runs */
	limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
	do
		x = ims_gen_rng_next(r);
	while (x > limit);
	return x % n;
}

bool ims_gen_rng_chance(struct ims_gen_rng *r, uint64_t ppm)
{
	if (ppm >= IMS_GEN_PPM)
		return true;
	return ims_gen_rng_below(r, IMS_GEN_PPM) < ppm;
}

/* ---- knobs ---------------------------------------------------------------- */

static int bad_value(struct ims_error *err, const struct ims_gen_opt *o, const char *text,
		     const char *why)
{
	return ims_error_set(err, IMS_EINVAL, "--%s: invalid value '%s' (%s)", o->name, text,
			     why);
}

static int parse_number(const struct ims_gen_opt *o, const char *text, bool suffix_ok,
			uint64_t *out, struct ims_error *err)
{
	const char *p = text;
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	size_t digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return bad_value(err, o, text, "does not fit in 64 bits");
		v = v * base + d;
	}
	if (!digits)
		return bad_value(err, o, text, suffix_ok ? "expected a size such as 4096, 4K, 2M, 0x1000"
							 : "expected a number");
	if (*p && suffix_ok) {
		/* cppcheck-suppress knownConditionTrueFalse ; "1m" gets here with *p == 'm' */
		const char *sfx = strchr("KMGT", *p >= 'a' ? *p - 'a' + 'A' : *p);

		if (sfx) {
			shift = 10 * (unsigned)(sfx - "KMGT" + 1);
			p++;
		}
	}
	if (*p)
		return bad_value(err, o, text, suffix_ok ? "expected a size such as 4096, 4K, 2M, 0x1000"
							 : "expected a number");
	if (shift && v > UINT64_MAX >> shift)
		return bad_value(err, o, text, "does not fit in 64 bits");
	*out = v << shift;
	return 0;
}

/* "0.25", ".5", "1", "25%": to millionths, exactly (at most 6 decimals). */
static int parse_frac(const struct ims_gen_opt *o, const char *text, uint64_t *out,
		      struct ims_error *err)
{
	const char *p = text;
	uint64_t whole = 0, frac = 0, scale = IMS_GEN_PPM;
	size_t digits = 0;
	bool percent;

	for (; *p >= '0' && *p <= '9' && whole <= IMS_GEN_PPM; p++, digits++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (scale > 1) {
				scale /= 10;
				frac += scale * (uint64_t)(*p - '0');
			}
	percent = *p == '%';
	if (percent)
		p++;
	if (!digits || *p)
		return bad_value(err, o, text, "expected a fraction such as 0.25 or 25%");
	if (whole > 100 || (!percent && (whole > 1 || (whole == 1 && frac))) ||
	    (percent && whole == 100 && frac))
		return bad_value(err, o, text, "must be between 0 and 1");
	*out = percent ? (whole * IMS_GEN_PPM + frac) / 100 : whole * IMS_GEN_PPM + frac;
	return 0;
}

static int parse_choice(const struct ims_gen_opt *o, const char *text, uint64_t *out,
			struct ims_error *err)
{
	const char *c = o->choices;
	size_t n = strlen(text);

	for (uint64_t i = 0; *c; i++) {
		size_t len = strcspn(c, "|");

		if (len == n && !strncmp(c, text, n)) {
			*out = i;
			return 0;
		}
		c += len + (c[len] == '|');
	}
	return ims_error_set(err, IMS_EINVAL, "--%s: invalid value '%s' (expected %s)", o->name,
			     text, o->choices);
}

const struct ims_gen_opt ims_gen_seed_opt = { "seed", IMS_GEN_COUNT, "1", 0, UINT64_MAX, NULL,
					       "seed of the random choices" };

int ims_gen_parse_value(const struct ims_gen_opt *o, const char *text, uint64_t *out,
			struct ims_error *err)
{
	uint64_t v = 0;
	int rc;

	switch (o->type) {
	case IMS_GEN_FLAG:
		if (text)
			return ims_error_set(err, IMS_EINVAL, "--%s takes no value", o->name);
		*out = 1;
		return 0;
	case IMS_GEN_FRAC:
		return text ? parse_frac(o, text, out, err)
			    : ims_error_set(err, IMS_EINVAL, "--%s needs a value", o->name);
	case IMS_GEN_CHOICE:
		return text ? parse_choice(o, text, out, err)
			    : ims_error_set(err, IMS_EINVAL, "--%s needs a value", o->name);
	default:
		break;
	}
	if (!text)
		return ims_error_set(err, IMS_EINVAL, "--%s needs a value", o->name);
	if ((rc = parse_number(o, text, o->type == IMS_GEN_SIZE, &v, err)))
		return rc;
	/* checked before it is stored: a refused value leaves the knob as it was */
	if (v < o->min)
		return ims_error_set(err, IMS_EINVAL,
				     "--%s: %s is below the minimum %" PRIu64, o->name, text, o->min);
	if (v > o->max)
		return ims_error_set(err, IMS_EINVAL,
				     "--%s: %s is above the maximum %" PRIu64, o->name, text, o->max);
	*out = v;
	return 0;
}

const struct ims_gen_opt *ims_gen_opt_find(const struct ims_gen_workload *w, const char *name)
{
	for (unsigned i = 0; i < w->nopts; i++)
		if (!strcmp(w->opts[i].name, name))
			return &w->opts[i];
	return NULL;
}

void ims_gen_cfg_init(struct ims_gen_cfg *cfg, const struct ims_gen_workload *w)
{
	struct ims_error err = { 0 };

	IMS_ASSERT(w->nopts <= IMS_GEN_MAX_OPTS, "too many knobs");
	memset(cfg, 0, sizeof(*cfg));
	cfg->w = w;
	cfg->seed = 1;
	for (unsigned i = 0; i < w->nopts; i++)
		if (w->opts[i].type != IMS_GEN_FLAG &&
		    ims_gen_parse_value(&w->opts[i], w->opts[i].def, &cfg->v[i], &err))
			IMS_BUG(err.msg);   /* a default the table cannot parse */
}

int ims_gen_cfg_set(struct ims_gen_cfg *cfg, const char *name, const char *value,
		    struct ims_error *err)
{
	const struct ims_gen_opt *o = ims_gen_opt_find(cfg->w, name);

	if (!o)
		return ims_error_set(err, IMS_ENOENT, "%s: unknown option '--%s'", cfg->w->name,
				     name);
	return ims_gen_parse_value(o, value, &cfg->v[o - cfg->w->opts], err);
}

/* A knob's value, 0 when the workload does not have it (--ats, --ats-inv). */
static uint64_t knob_or_zero(const struct ims_gen_cfg *cfg, const char *name)
{
	const struct ims_gen_opt *o = ims_gen_opt_find(cfg->w, name);

	return o ? cfg->v[o - cfg->w->opts] : 0;
}

int ims_gen_cfg_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	/* an invalidation time for devices that cache nothing is a mistake */
	if (knob_or_zero(cfg, "ats-inv") && !knob_or_zero(cfg, "ats"))
		return ims_error_set(err, IMS_EINVAL, "--ats-inv needs --ats");
	return cfg->w->check ? cfg->w->check(cfg, err) : 0;
}

int ims_gen_check_aligned(const char *knob, uint64_t v, uint64_t align, struct ims_error *err)
{
	if (v % align)
		return ims_error_set(err, IMS_EINVAL,
				     "--%s: 0x%" PRIx64 " is not a multiple of 0x%" PRIx64, knob, v,
				     align);
	return 0;
}

/* ---- running ---------------------------------------------------------------- */

int ims_gen_run(const struct ims_gen_cfg *cfg, const struct ims_gen_sink *sink,
		uint64_t *events_out, struct ims_error *err)
{
	struct ims_gen g = {
		.sink = sink,
		.err = err,
		.cost = ims_gen_default_cost,
	};
	int rc;

	if (events_out)
		*events_out = 0;
	if ((rc = ims_gen_cfg_check(cfg, err)))
		return rc;
	/* the workload's name goes into the seed: two workloads given the
	 * same --seed do not share a stream */
	ims_gen_rng_seed(&g.rng, cfg->seed);
	for (const char *p = cfg->w->name; *p; p++)
		g.rng.s[0] ^= (uint64_t)(unsigned char)*p << (8 * ((p - cfg->w->name) % 8));
	/* the knobs' ranges keep both within 32 bits */
	g.atc_entries = (uint32_t)knob_or_zero(cfg, "ats");
	g.ats_inv_cycles = (uint32_t)knob_or_zero(cfg, "ats-inv");
	cfg->w->generate(&g, cfg);
	if (events_out)
		*events_out = g.events;
	return g.rc;
}

/* ---- host time estimates ------------------------------------------------------
 * Measured on the three models with default parameters (a 4 KiB map ~650
 * cycles, 600 of them the pin; an unmap with its sync 1.7-2k; a dirty walk
 * 30-110 cycles per 4 KiB page; a page's 64 lines flushed ~450, ~2.6k with
 * plain clflush) and rounded up: an estimate only needs to be above. */
const struct ims_gen_host_cost ims_gen_default_cost = {
	.op = 1000,
	.page_pin = 1000,
	.page_pte = 50,
	.page_flush = 3000,
	.sync = 3000,
	.dirty_pte = 150,
};

#define PAGES(len) (((len) + 4095) >> 12)

uint64_t ims_gen_host(struct ims_gen *g, uint64_t t, uint64_t cycles)
{
	uint64_t start = t > g->host_end ? t : g->host_end;

	g->host_end = start + cycles;
	return g->host_end;
}

uint64_t ims_gen_map_cost(const struct ims_gen *g, uint64_t len, unsigned ndom, bool pin)
{
	uint64_t per_page = ndom * (g->cost.page_pte + (g->noncoherent ? g->cost.page_flush : 0));

	if (pin)
		per_page += g->cost.page_pin;
	return g->cost.op + PAGES(len) * per_page;
}

uint64_t ims_gen_unmap_cost(const struct ims_gen *g, uint64_t len, uint64_t areas,
			    unsigned ndom)
{
	return ims_gen_map_cost(g, len, ndom, true) + areas * ndom * g->cost.sync;
}

uint64_t ims_gen_dirty_cost(const struct ims_gen *g, uint64_t len)
{
	return g->cost.op + g->cost.sync + PAGES(len) * g->cost.dirty_pte;
}

/* ---- emission ------------------------------------------------------------------ */

static void emit(struct ims_gen *g, struct ims_event *ev)
{
	int rc;

	if (g->rc)
		return;
	/* generators emit in time order; a time below the last one has
	 * wrapped past 2^64 cycles */
	if (ev->time < g->now) {
		g->rc = ims_error_set(g->err, IMS_EINVAL, "%s: event %" PRIu64 " would be at cycle "
				      "2^64 or later: reduce the counts or cycles",
				      ims_ev_kind_name(ev->kind), g->events + 1);
		return;
	}
	g->now = ev->time;
	rc = g->sink->event(g->sink->ctx, ev, g->err);
	if (rc) {
		g->rc = rc;
		return;
	}
	g->events++;
}

uint32_t ims_gen_device(struct ims_gen *g, uint64_t t, const char *name)
{
	struct ims_event ev = { .kind = IMS_EV_DEVICE, .time = t, .name = name,
				.device = g->ndev, .sid = (uint16_t)g->ndev };

	if (g->atc_entries) {
		ev.flags = IMS_EVF_ATS;
		ev.len = g->atc_entries;
		ev.period = g->ats_inv_cycles;
	}
	emit(g, &ev);
	return g->ndev++;
}

uint32_t ims_gen_domain(struct ims_gen *g, uint64_t t, const char *name, uint32_t ioas,
			bool coherent)
{
	struct ims_event ev = { .kind = IMS_EV_DOMAIN, .time = t, .name = name,
				.domain = g->ndom, .iova_bits = 48 };

	if (ioas != IMS_GEN_NO_IOAS) {
		ev.flags |= IMS_EVF_HAS_IOAS;
		ev.ioas = ioas;
	}
	if (!coherent)
		ev.flags |= IMS_EVF_NONCOHERENT;
	emit(g, &ev);
	return g->ndom++;
}

uint32_t ims_gen_ioas(struct ims_gen *g, uint64_t t, const char *name)
{
	struct ims_event ev = { .kind = IMS_EV_IOAS, .time = t, .name = name, .ioas = g->nioas };

	emit(g, &ev);
	return g->nioas++;
}

void ims_gen_attach(struct ims_gen *g, uint64_t t, uint32_t dev, uint32_t dom)
{
	struct ims_event ev = { .kind = IMS_EV_ATTACH, .time = t, .device = dev, .domain = dom };

	emit(g, &ev);
}

/* A range event of a domain (kind with domain, iova, len). */
static void domain_range(struct ims_gen *g, enum ims_ev_kind kind, uint64_t t, uint32_t dom,
			 uint64_t iova, uint64_t len)
{
	struct ims_event ev = { .kind = kind, .time = t, .domain = dom, .iova = iova, .len = len };

	if (kind == IMS_EV_DIRTY_UNMAP)
		ev.page_lg2 = 12;
	emit(g, &ev);
}

uint64_t ims_gen_map(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova, uint64_t len,
		     uint64_t pa)
{
	struct ims_event ev = { .kind = IMS_EV_MAP, .time = t, .domain = dom, .iova = iova,
				.len = len, .prot = IMS_PROT_READ | IMS_PROT_WRITE };

	if (pa != IMS_GEN_NO_PA) {
		ev.flags |= IMS_EVF_HAS_PA;
		ev.pa = pa;
	}
	emit(g, &ev);
	return ims_gen_host(g, t, ims_gen_map_cost(g, len, 1, true));
}

uint64_t ims_gen_unmap(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova,
		       uint64_t len, uint64_t areas)
{
	domain_range(g, IMS_EV_UNMAP, t, dom, iova, len);
	return ims_gen_host(g, t, ims_gen_unmap_cost(g, len, areas, 1));
}

uint64_t ims_gen_dirty_tracking(struct ims_gen *g, uint64_t t, uint32_t dom, bool on,
				uint64_t mapped)
{
	struct ims_event ev = { .kind = IMS_EV_DIRTY_TRACKING, .time = t, .domain = dom,
				.flags = on ? IMS_EVF_ON : 0 };

	emit(g, &ev);
	/* switching on clears stale dirty bits first: a walk of what is mapped */
	return ims_gen_host(g, t, ims_gen_dirty_cost(g, mapped));
}

uint64_t ims_gen_dirty_unmap(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova,
			     uint64_t len, uint64_t areas)
{
	domain_range(g, IMS_EV_DIRTY_UNMAP, t, dom, iova, len);
	/* the worst strategy: write-protect, read and clear, unmap */
	return ims_gen_host(g, t, 2 * ims_gen_dirty_cost(g, len) +
				       ims_gen_unmap_cost(g, len, areas, 1));
}

void ims_gen_precopy(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t period)
{
	struct ims_event ev = { .kind = IMS_EV_PRECOPY, .time = t, .domain = dom,
				.period = period, .page_lg2 = 12 };

	emit(g, &ev);
}

uint64_t ims_gen_stop_copy(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t mapped)
{
	struct ims_event ev = { .kind = IMS_EV_STOP_COPY, .time = t, .domain = dom,
				.page_lg2 = 12 };

	emit(g, &ev);
	return ims_gen_host(g, t, ims_gen_dirty_cost(g, mapped));
}

/* A range event of an IOAS. */
static void ioas_range(struct ims_gen *g, enum ims_ev_kind kind, uint64_t t, uint32_t ioas,
		       uint64_t iova, uint64_t len)
{
	struct ims_event ev = { .kind = kind, .time = t, .ioas = ioas, .iova = iova, .len = len };

	if (kind == IMS_EV_IOAS_MAP)
		ev.prot = IMS_PROT_READ | IMS_PROT_WRITE;
	emit(g, &ev);
}

uint64_t ims_gen_ioas_map(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			  uint64_t len, unsigned ndom)
{
	ioas_range(g, IMS_EV_IOAS_MAP, t, ioas, iova, len);
	return ims_gen_host(g, t, ims_gen_map_cost(g, len, ndom, ndom > 0));
}

uint64_t ims_gen_ioas_unmap(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, uint64_t areas, unsigned ndom)
{
	ioas_range(g, IMS_EV_IOAS_UNMAP, t, ioas, iova, len);
	return ims_gen_host(g, t, ims_gen_unmap_cost(g, len, areas, ndom));
}

uint64_t ims_gen_ioas_attach(struct ims_gen *g, uint64_t t, uint32_t dom, uint32_t ioas,
			     uint64_t mapped, bool pin)
{
	struct ims_event ev = { .kind = IMS_EV_IOAS_ATTACH, .time = t, .domain = dom,
				.ioas = ioas };

	emit(g, &ev);
	return ims_gen_host(g, t, ims_gen_map_cost(g, mapped, 1, pin));
}

uint64_t ims_gen_ioas_detach(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t mapped,
			     uint64_t areas, bool unpin)
{
	struct ims_event ev = { .kind = IMS_EV_IOAS_DETACH, .time = t, .domain = dom };

	emit(g, &ev);
	return ims_gen_host(g, t, ims_gen_map_cost(g, mapped, 1, unpin) + areas * g->cost.sync);
}

uint64_t ims_gen_access_pin(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, bool unpin)
{
	ioas_range(g, unpin ? IMS_EV_ACCESS_UNPIN : IMS_EV_ACCESS_PIN, t, ioas, iova, len);
	/* an unpin may free pages a non-coherent domain reached: flush them */
	return ims_gen_host(g, t, ims_gen_map_cost(g, len, 1, true));
}

uint64_t ims_gen_cpu_access(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, bool write)
{
	ioas_range(g, write ? IMS_EV_CPU_WRITE : IMS_EV_CPU_READ, t, ioas, iova, len);
	return ims_gen_host(g, t, g->cost.op + PAGES(len) * g->cost.page_pte);
}

void ims_gen_dma(struct ims_gen *g, uint64_t t, uint32_t dev, bool write, uint64_t iova,
		 uint64_t len)
{
	struct ims_event ev = { .kind = IMS_EV_DMA, .time = t, .device = dev, .iova = iova,
				.len = len, .flags = write ? IMS_EVF_WRITE : 0 };

	emit(g, &ev);
}
