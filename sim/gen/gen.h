/* Workload generators: deterministic synthetic traces (docs/generators.md).
 *
 * A workload is a table of knobs and a function that streams events to a
 * sink, in time order, with constant memory whatever the trace's length. The
 * same configuration and seed give the same events, so the same file byte
 * for byte. `iommusim-gen` is the command front end; a sweep can call
 * ims_gen_run() with a sink of its own and never touch a file.
 *
 * Generators keep their DMA clear of the host work it depends on: the
 * simulator runs host operations one after another and a DMA issued while
 * the host is still mapping its target faults. Each host operation is given
 * an estimated duration (struct ims_gen_host_cost, deliberately pessimistic),
 * and DMA to a range goes no earlier than the estimated end of its map.
 */
#ifndef IMS_GEN_H
#define IMS_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/trace/decls.h"
#include "sim/trace/trace.h"

/* ---- the random number generator ------------------------------------------
 * xoshiro256** seeded through splitmix64: the same 64-bit seed gives the same
 * stream on every platform. */
struct ims_gen_rng {
	uint64_t s[4];
};

void ims_gen_rng_seed(struct ims_gen_rng *r, uint64_t seed);
uint64_t ims_gen_rng_next(struct ims_gen_rng *r);
/* Uniform in [0, n); n > 0. Unbiased (rejection on the short range). */
uint64_t ims_gen_rng_below(struct ims_gen_rng *r, uint64_t n);
/* True with probability ppm / 1e6 (ppm >= 1e6: always). */
bool ims_gen_rng_chance(struct ims_gen_rng *r, uint64_t ppm);

/* ---- knobs --------------------------------------------------------------- */

enum ims_gen_opt_type {
	IMS_GEN_COUNT,   /* a plain number: decimal or 0x-hex */
	IMS_GEN_CYCLES,  /* the same, in cycles of the reference clock */
	IMS_GEN_SIZE,    /* bytes, with an optional K/M/G/T suffix (binary) */
	IMS_GEN_FRAC,    /* a fraction 0..1 ("0.25", "25%"), stored in millionths */
	IMS_GEN_CHOICE,  /* one word of `choices` ("strict|batched"), stored as its index */
	IMS_GEN_FLAG,    /* no value: given means 1 */
};

#define IMS_GEN_PPM 1000000u
#define IMS_GEN_MAX_OPTS 16

struct ims_gen_opt {
	const char *name;          /* without the leading "--" */
	enum ims_gen_opt_type type;
	const char *def;           /* default, as a user would write it ("4K") */
	uint64_t min, max;         /* accepted range (COUNT, CYCLES, SIZE) */
	const char *choices;       /* CHOICE: the words, '|'-separated */
	const char *help;
};

struct ims_gen;
struct ims_gen_cfg;

struct ims_gen_workload {
	const char *name;
	const char *summary;       /* one line */
	const char *doc;           /* a paragraph for `WORKLOAD --help` */
	const struct ims_gen_opt *opts;
	unsigned nopts;
	/* Cross-knob rules (alignment, one knob against another); NULL if none.
	 * Called before anything is generated. */
	int (*check)(const struct ims_gen_cfg *cfg, struct ims_error *err);
	/* Emit the events through ims_gen_*(); errors are sticky in g. */
	void (*generate)(struct ims_gen *g, const struct ims_gen_cfg *cfg);
};

/* NULL-terminated, in the order `iommusim-gen --help` lists them. */
extern const struct ims_gen_workload *const ims_gen_workloads[];

const struct ims_gen_workload *ims_gen_find(const char *name);

/* A workload with its knob values and the seed. */
struct ims_gen_cfg {
	const struct ims_gen_workload *w;
	uint64_t seed;
	uint64_t v[IMS_GEN_MAX_OPTS];   /* by the workload's knob index */
};

/* Every knob at its default, seed 1. */
void ims_gen_cfg_init(struct ims_gen_cfg *cfg, const struct ims_gen_workload *w);
/* Set a knob by name from its text (value NULL for a FLAG). Errors name the
 * knob ("--ring: '0' is below the minimum 1"). */
int ims_gen_cfg_set(struct ims_gen_cfg *cfg, const char *name, const char *value,
		    struct ims_error *err);
const struct ims_gen_opt *ims_gen_opt_find(const struct ims_gen_workload *w, const char *name);
/* --ats and --ats-inv: ATS device TLB entries of each device the workload
 * declares, and the cycles an ATS invalidation takes (0: no ATS, and the
 * run's ats_inv_ns). A workload offers them by listing these in its knob
 * table (hence macros); ims_gen_run applies them, and refuses --ats-inv
 * without --ats. */
#define IMS_GEN_OPT_ATS                                                         \
	{ "ats", IMS_GEN_COUNT, "0", 0, IMS_TRACE_ATC_MAX, NULL,                \
	  "ATS device TLB entries of each device (0: no ATS)" }
#define IMS_GEN_OPT_ATS_INV                                                     \
	{ "ats-inv", IMS_GEN_CYCLES, "0", 0, IMS_TRACE_ATS_INV_MAX, NULL,       \
	  "cycles of one ATS invalidation (0: the run's ats_inv_ns); needs --ats" }
/* --seed, which every workload takes: any 64-bit number. */
extern const struct ims_gen_opt ims_gen_seed_opt;
/* Parse one knob value as `o` describes it; *out is left alone on error. */
int ims_gen_parse_value(const struct ims_gen_opt *o, const char *text, uint64_t *out,
			struct ims_error *err);
/* The workload's cross-knob rules, and --ats-inv only with --ats. */
int ims_gen_cfg_check(const struct ims_gen_cfg *cfg, struct ims_error *err);

/* ---- running a workload -------------------------------------------------- */

/* Where events go: a trace writer, or anything that takes them in order.
 * Returns 0 or a negative code with err set. */
struct ims_gen_sink {
	int (*event)(void *ctx, const struct ims_event *ev, struct ims_error *err);
	void *ctx;
};

/* Check the configuration and stream the workload into the sink. On error
 * nothing more is sent and err says why. *events_out (may be NULL) is the
 * number of events sent. */
int ims_gen_run(const struct ims_gen_cfg *cfg, const struct ims_gen_sink *sink,
		uint64_t *events_out, struct ims_error *err);

/* The same into a trace file, its format chosen by the file name (*.elf,
 * *.gz, else text; "-" is stdout). A failed run leaves no file. */
int ims_gen_write_file(const struct ims_gen_cfg *cfg, const char *path,
		       uint64_t *events_out, struct ims_error *err);

/* ---- what a generator uses ----------------------------------------------- */

#define IMS_GEN_NO_PA UINT64_MAX
#define IMS_GEN_NO_IOAS UINT32_MAX
#define IMS_GEN_NAME_BUF 64          /* names are at most 63 characters */
/* Cycles between the estimated end of a host operation and DMA that needs
 * it. Covers what the per-page estimates leave out: the page-table pages a
 * map allocates on a fresh path (up to four levels, ~600 cycles each), paid
 * once per region, so not worth charging to every map. */
#define IMS_GEN_MARGIN 5000

/* Estimated host cost of each operation, in cycles: meant to be above what
 * any model charges with default parameters (sim/params.def), so that DMA
 * scheduled after the estimate never races the work it depends on. */
struct ims_gen_host_cost {
	uint64_t op;               /* per operation: syscall, locks, table allocations */
	uint64_t page_pin;         /* per 4 KiB page pinned (or unpinned and freed) */
	uint64_t page_pte;         /* per 4 KiB page and domain: PTE writes, PFN reads */
	uint64_t page_flush;       /* per 4 KiB page of a non-coherent domain: CPU cache flush */
	uint64_t sync;             /* per IOTLB sync (one per area and domain on unmap) */
	uint64_t dirty_pte;        /* per 4 KiB page and domain read by a dirty walk */
};

extern const struct ims_gen_host_cost ims_gen_default_cost;

struct ims_gen {
	const struct ims_gen_sink *sink;
	struct ims_error *err;
	int rc;                    /* first error; once set, nothing more is sent */
	uint64_t events;           /* events sent */
	uint64_t now;              /* time of the last event */
	uint64_t host_end;         /* estimated end of the host work given so far */
	struct ims_gen_host_cost cost;
	bool noncoherent;          /* charge cache flushes in the estimates */
	uint32_t atc_entries;      /* --ats: devices declared get ATS with this many */
	uint32_t ats_inv_cycles;   /* ATC entries; --ats-inv: their invalidation cycles */
	struct ims_gen_rng rng;
	uint32_t ndev, ndom, nioas;
};

/* Host time: the operation given at time t starts when the host is free and
 * runs for `cycles`; returns the estimated end. */
uint64_t ims_gen_host(struct ims_gen *g, uint64_t t, uint64_t cycles);
/* Estimated cost of mapping `len` bytes into `ndom` domains, `pin`ning
 * fresh pages or not (a fill from pages already pinned). */
uint64_t ims_gen_map_cost(const struct ims_gen *g, uint64_t len, unsigned ndom, bool pin);
/* Of unmapping `len` bytes made of `areas` areas from `ndom` domains. */
uint64_t ims_gen_unmap_cost(const struct ims_gen *g, uint64_t len, uint64_t areas,
			    unsigned ndom);
/* Of one dirty read of `len` bytes (walk and sync). */
uint64_t ims_gen_dirty_cost(const struct ims_gen *g, uint64_t len);

/* Declarations (names: see ims_trace_name_valid); return the new index.
 * A device has ATS when g->atc_entries is set.
 * ioas: IMS_GEN_NO_IOAS for a private one. A domain created in an IOAS that
 * has areas is filled: the caller, who knows what the IOAS holds, estimates
 * that (ims_gen_host with ims_gen_map_cost). */
uint32_t ims_gen_device(struct ims_gen *g, uint64_t t, const char *name);
uint32_t ims_gen_domain(struct ims_gen *g, uint64_t t, const char *name, uint32_t ioas,
			bool coherent);
uint32_t ims_gen_ioas(struct ims_gen *g, uint64_t t, const char *name);
void ims_gen_attach(struct ims_gen *g, uint64_t t, uint32_t dev, uint32_t dom);

/* Host operations: each returns the estimated time the host finishes it. */
uint64_t ims_gen_map(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova, uint64_t len,
		     uint64_t pa);
/* areas: how many separate maps the range covers (one sync each). */
uint64_t ims_gen_unmap(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova,
		       uint64_t len, uint64_t areas);
uint64_t ims_gen_dirty_tracking(struct ims_gen *g, uint64_t t, uint32_t dom, bool on,
				uint64_t mapped);
uint64_t ims_gen_dirty_unmap(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t iova,
			     uint64_t len, uint64_t areas);
/* Starts the rounds; the caller estimates them (ims_gen_dirty_cost). */
void ims_gen_precopy(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t period);
uint64_t ims_gen_stop_copy(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t mapped);
/* IOAS operations; ndom: domains attached to the IOAS at that point. */
uint64_t ims_gen_ioas_map(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			  uint64_t len, unsigned ndom);
uint64_t ims_gen_ioas_unmap(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, uint64_t areas, unsigned ndom);
/* Fill and unfill: `mapped` bytes in `areas` areas; pin: the attach pins
 * them (the IOAS had no domain). */
uint64_t ims_gen_ioas_attach(struct ims_gen *g, uint64_t t, uint32_t dom, uint32_t ioas,
			     uint64_t mapped, bool pin);
uint64_t ims_gen_ioas_detach(struct ims_gen *g, uint64_t t, uint32_t dom, uint64_t mapped,
			     uint64_t areas, bool unpin);
uint64_t ims_gen_access_pin(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, bool unpin);
uint64_t ims_gen_cpu_access(struct ims_gen *g, uint64_t t, uint32_t ioas, uint64_t iova,
			    uint64_t len, bool write);

/* Device DMA: not a host operation. */
void ims_gen_dma(struct ims_gen *g, uint64_t t, uint32_t dev, bool write, uint64_t iova,
		 uint64_t len);

/* Whether to go on: false once an error is set (loops test it). */
static inline bool ims_gen_ok(const struct ims_gen *g)
{
	return g->rc == 0;
}

/* Helpers for workload checks. */
static inline uint64_t ims_gen_round_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) / align * align;
}

int ims_gen_check_aligned(const char *knob, uint64_t v, uint64_t align, struct ims_error *err);

/* The workloads (sim/gen/gen_*.c). */
extern const struct ims_gen_workload ims_gen_nic_rx;
extern const struct ims_gen_workload ims_gen_nvme;
extern const struct ims_gen_workload ims_gen_migration;
extern const struct ims_gen_workload ims_gen_viommu_dsi;
extern const struct ims_gen_workload ims_gen_hotunplug;
extern const struct ims_gen_workload ims_gen_random_window;

#endif
