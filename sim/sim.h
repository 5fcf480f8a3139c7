/* The simulation context: simulated memory, caches, clocks, counters, and
 * the host-side objects (devices, domains) of one run.
 *
 * Time. Everything is counted in cycles of the reference clock (cpu_mhz).
 * Two timelines advance independently:
 *  - host CPU time (cpu_now): host operations run one after another, each
 *    starting at max(its trace time, when the previous one finished);
 *  - the IOMMU's invalidation engine (inv_busy_until): descriptors are
 *    processed in order, each starting when it is submitted or when the
 *    previous one is done, whichever is later.
 * A host that waits for an invalidation stalls until the engine reaches it.
 * DMA translation latency is accumulated per request.
 *
 * Racing. A host operation takes simulated time, and devices do not wait for
 * it: whenever host time passes the trace time of the next DMA, that DMA runs
 * (ims_race_to), in the middle of the operation, against page tables and
 * caches exactly as far as the operation has got. Invalidation commands take
 * effect when the IOMMU processes them, so a DMA that lands between a
 * command's submission and its processing still sees the old translation.
 */
#ifndef IMS_SIM_H
#define IMS_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "models/common/iotlb.h"
#include "models/common/psc.h"
#include "models/common/walk_slots.h"
#include "models/model.h"
#include "sim/cpucache.h"
#include "sim/device_dma.h"
#include "sim/error.h"
#include "sim/mem.h"
#include "sim/memlat.h"
#include "sim/params.h"
#include "sim/latency_hist.h"
#include "sim/stats.h"
#include "sim/truth.h"

#define IMS_NAME_MAX 64

struct ims_ioas;   /* sim/host/ioas.h */
struct ims_fq;     /* sim/host/unmap_flush.h */

/* Where the host flushes CPU caches for non-coherent DMA (the coherency
 * strategy axis, sim/host/dirty_strategy.c; docs/noncoherent.md). */
enum ims_flush_policy {
	IMS_FLUSH_EAGER,
	IMS_FLUSH_NONE,
	IMS_FLUSH_STICKY_UNPIN,
	IMS_FLUSH_STORAGE_AWARE,
	IMS_FLUSH_VFIO_TYPE1,
	IMS_FLUSH_FORCE_COHERENT,
};

/* When an unmap's IOTLB invalidation happens (the unmap-flush strategy
 * axis, sim/host/unmap_flush.c; docs/unmap-flush.md). */
enum ims_unmap_flush {
	IMS_UNMAP_STRICT,            /* invalidate and wait before the unmap returns */
	IMS_UNMAP_LAZY,              /* queue the range; one flush per queue-full,
				      * timeout, reuse or detach */
};

struct ims_domain {
	unsigned index;              /* position in sim->domains */
	char name[IMS_NAME_MAX];
	uint16_t did;                /* hardware domain id (VT-d DID, AMD DomainID,
				      * SMMU ASID or VMID) */
	uint32_t tlb_tag;            /* IOTLB/walk-cache tag: did unless the model
				      * sets another in domain_init (SMMU VMID:ASID) */
	unsigned iova_bits;          /* 48 or 57 */
	bool dirty_tracking;         /* host view: tracking enabled */
	uint64_t pt_pages_live;      /* page-table pages allocated and not freed */
	void *priv;                  /* the model's per-domain state */
	struct ims_range_set mapped; /* IOVA ranges mapped, for overlap checks */
	struct ims_truth truth;      /* pages really written by DMA while tracking */
	uint64_t wp_start, wp_last;  /* range write-protected by wrprotect+unmap,
				      * empty when wp_start > wp_last */
	bool noncoherent;            /* declared without enforced cache coherency */
	bool snoops;                 /* DMA through it is snooped (its leaves carry
				      * the model's coherency bits) */
	struct ims_ioas *ioas;       /* the IOAS it mirrors, NULL when detached */
	struct ims_ioas *own_ioas;   /* its private IOAS if declared without one */
	struct ims_fq *fq;           /* lazy unmaps waiting for their flush, NULL
				      * until the first one (sim/host/unmap_flush.h) */
};

struct ims_device {
	unsigned index;
	char name[IMS_NAME_MAX];
	uint16_t sid;                /* requester id (bus/dev/fn) */
	struct ims_domain *domain;   /* NULL until attached */
	struct ims_dma_engine dma;   /* its requests in flight (sim/device_dma.h) */
	/* PCIe ATS (docs/ats.md): the device's own translation cache, filled
	 * by translation requests to the IOMMU; its DMAs that hit it go out
	 * translated and bypass the IOMMU's IOTLB. Tagged 0: one address
	 * space (no PASID). */
	bool ats;
	struct ims_iotlb atc;        /* only when ats */
	uint64_t ats_inv_cycles;     /* time it takes to complete an invalidation */
};

/* One recorded DMA fault (the first IMS_FAULT_LOG of a run are kept). */
struct ims_fault_record {
	uint64_t time;
	uint64_t iova;
	unsigned device;
	uint8_t kind;                /* enum ims_fault */
	uint8_t write;
	uint8_t level;
	uint64_t pte_pa;
	uint64_t host_busy_until;    /* the host's operations ran until then (a
				      * map in progress cannot be used yet); 0
				      * if the host was idle */
};

#define IMS_FAULT_LOG 64

/* One stale-data exposure (the first IMS_EXPOSURE_LOG of a run are kept). */
struct ims_exposure_record {
	uint64_t time;
	uint64_t pa;                 /* first exposed line's page */
	uint64_t iova;               /* DMA exposures: the IOVA; host: 0 */
	uint64_t lines;              /* lines exposed by this access */
	unsigned domain;             /* DMA exposures: domain index; host: UINT32_MAX */
	uint8_t by_dma;              /* 1 device read stale memory, 0 host read stale copy */
};

#define IMS_EXPOSURE_LOG 16

/* The --check mode's state (sim/check.h). */
struct ims_check_state {
	bool on;
	bool failed;                 /* msg holds the first broken invariant */
	char msg[384];
	uint64_t missed_before;      /* dirty_pages_missed when the event began */
	uint64_t pin_pass;           /* pin checks run, to count each pages object once */
};

struct ims_sim {
	struct ims_params params;
	struct ims_costs costs;
	const struct ims_model_ops *model;
	void *model_state;           /* the model's hardware instance */

	struct ims_mem mem;
	struct ims_memlat memlat;
	struct ims_iotlb iotlb;
	struct ims_psc psc;
	struct ims_stats stats;
	struct ims_lat_hist lat_hist; /* per-translation latency (sim/latency_hist.h) */
	unsigned iotlb_hit_lat_bucket; /* lat_hist's bucket of an IOTLB hit, found once */
	struct ims_fine_hist req_hist; /* per-request latency, issue to completion */
	struct ims_walk_slots walk_slots; /* the IOMMU's concurrent page walks */
	struct ims_dma_engine_cfg dma_cfg; /* every device's DMA engine */
	uint64_t dma_chunk_mask;     /* dma_xlate_bytes - 1 */
	struct ims_cpucache cache;   /* CPU caches vs memory, per line */
	struct ims_range_set zeroed; /* data memory the host has zeroed once */
	enum ims_flush_policy flush_policy;
	enum ims_unmap_flush unmap_flush;
	uint64_t fq_deadline;        /* earliest flush-queue timeout of any domain,
				      * UINT64_MAX when no queue waits */

	uint64_t now;                /* trace time of the current event */
	uint64_t cpu_now;            /* host CPU timeline */
	uint64_t inv_busy_until;     /* IOMMU invalidation engine timeline */
	uint64_t inv_devtlb_until;   /* devices complete the ATS invalidations sent
				      * so far (ims_inv_devtlb_sent) */
	struct {                     /* the descriptor being processed must wait */
		bool pending;        /* for in-flight walks of these domains */
		uint32_t tag, mask;  /* (ims_inv_drain_walks) */
	} inv_drain;
	uint64_t end_time;           /* latest completion seen */

	struct ims_domain **domains;
	unsigned ndomains;
	struct ims_device **devices;
	unsigned ndevices;
	uint64_t data_pa_next;       /* allocator for pinned host pages */
	struct ims_ioas **ioas;      /* declared IOASes, in trace order */
	unsigned nioas;
	unsigned npages_objects;     /* pages objects created (their ids) */
	uint64_t pinned_pages;       /* 4 KiB pages pinned now */

	struct ims_fault_record faults[IMS_FAULT_LOG];
	unsigned nfaults_logged;
	struct ims_exposure_record exposure_log[IMS_EXPOSURE_LOG];
	unsigned nexposures_logged;

	/* DMA racing with the host: the run loop's hook runs trace DMAs whose
	 * time is before `until`; race_next is the time of the next one. */
	uint64_t race_next;          /* UINT64_MAX when no DMA is pending */
	void (*race_hook)(struct ims_sim *sim, uint64_t until);
	void *race_ctx;
	bool racing;                 /* inside the hook: no nesting */
	/* The run loop's look-ahead, NULL outside it: a walk calls it first,
	 * and if the trace's next event (read ahead) is a DMA, the model starts
	 * bringing the page-table entry that DMA's walk will read into the
	 * host's caches (model.h, prefetch_walk). For the simulator's speed,
	 * never simulated state. A hook, so that DMAs that walk nothing (IOTLB
	 * hits) pay nothing for it. */
	void (*ahead_hook)(struct ims_sim *sim);

	struct ims_check_state check;
};

/* Run the DMAs that happen before time t (see "Racing" above). */
void ims_race_run(struct ims_sim *sim, uint64_t t);

static inline void ims_race_to(struct ims_sim *sim, uint64_t t)
{
	if (t > sim->race_next)
		ims_race_run(sim, t);
}

/* Create a simulator for model with the given parameters (validated). */
int ims_sim_init(struct ims_sim *sim, const struct ims_model_ops *model,
		 const struct ims_params *params, struct ims_error *err);
void ims_sim_fini(struct ims_sim *sim);

/* --- services for models ------------------------------------------------- */

/* Charge host CPU time to a cyc_* counter and advance the CPU timeline. */
static inline void ims_host_charge(struct ims_sim *sim, enum ims_stat_id cat,
				   uint64_t cycles)
{
	sim->stats.v[cat] += cycles;
	sim->stats.v[IMS_STAT_cyc_host_total] += cycles;
	sim->cpu_now += cycles;
	ims_race_to(sim, sim->cpu_now);
}

/* The invalidation engine processes one descriptor taking `cycles`, starting
 * no earlier than now (the host's submit time). Returns its completion time.
 * Call it before applying the descriptor's effect: DMAs that happen before
 * the IOMMU gets to it run first, against the old state. */
static inline uint64_t ims_inv_hw_charge(struct ims_sim *sim, uint64_t cycles)
{
	uint64_t start = sim->inv_busy_until > sim->cpu_now ? sim->inv_busy_until
							    : sim->cpu_now;

	ims_race_to(sim, start);
	sim->inv_busy_until = start + cycles;
	sim->stats.v[IMS_STAT_cyc_inv_iommu] += cycles;
	if (sim->inv_drain.pending) {
		uint64_t until = ims_walk_slots_drain(&sim->walk_slots, start, sim->inv_drain.tag,
						      sim->inv_drain.mask);

		sim->inv_drain.pending = false;
		if (until > sim->inv_busy_until) {
			sim->stats.v[IMS_STAT_cyc_inv_walk_drain] += until - sim->inv_busy_until;
			sim->inv_busy_until = until;
		}
	}
	return sim->inv_busy_until;
}

/* A device-TLB invalidation leaves the IOMMU now (at inv_busy_until, after
 * its own descriptor was charged): the device answers with an ATS
 * Invalidate Completion `cycles` later. The IOMMU goes on with the queue;
 * a later wait command waits for the answer (ims_inv_hw_wait). */
static inline void ims_inv_devtlb_sent(struct ims_sim *sim, uint64_t cycles)
{
	uint64_t done = sim->inv_busy_until + cycles;

	if (done > sim->inv_devtlb_until)
		sim->inv_devtlb_until = done;
}

/* A wait command (VT-d invalidation wait, AMD COMPLETION_WAIT, SMMUv3
 * CMD_SYNC) of `cycles` IOMMU time: it completes after everything ahead of
 * it, the devices' ATS invalidation completions included (VT-d spec 6.5.2.9,
 * AMD IOMMU spec COMPLETION_WAIT, Arm IHI 0070 4.5.1: only a later CMD_SYNC
 * ensures CMD_ATC_INV completed). Returns when it is done. */
static inline uint64_t ims_inv_hw_wait(struct ims_sim *sim, uint64_t cycles)
{
	uint64_t done = ims_inv_hw_charge(sim, cycles);

	if (sim->inv_devtlb_until > done) {
		sim->stats.v[IMS_STAT_cyc_inv_devtlb_wait] += sim->inv_devtlb_until - done;
		sim->inv_busy_until = done = sim->inv_devtlb_until;
	}
	return done;
}

/* The descriptor about to be charged invalidates the IOTLB of the domains
 * whose tag matches tag under mask (mask 0: all): it completes only after
 * their walks in flight when the IOMMU reaches it, since such a walk may
 * still fill an entry the invalidation is meant to drop. */
static inline void ims_inv_drain_walks(struct ims_sim *sim, uint32_t tag, uint32_t mask)
{
	sim->inv_drain.pending = true;
	sim->inv_drain.tag = tag;
	sim->inv_drain.mask = mask;
}

/* The host waits (polls) until time t: the stall is charged to cyc_inv_wait. */
static inline void ims_host_wait_until(struct ims_sim *sim, uint64_t t)
{
	if (t > sim->cpu_now) {
		sim->stats.v[IMS_STAT_cyc_inv_wait] += t - sim->cpu_now;
		sim->stats.v[IMS_STAT_cyc_host_total] += t - sim->cpu_now;
		sim->cpu_now = t;
		ims_race_to(sim, t);
	}
}

/* A page-table read by the hardware walker: returns the word and adds its
 * latency to *cycles, counting LLC hits and misses. */
static inline uint64_t ims_walk_read(struct ims_sim *sim, uint64_t pa, uint64_t *cycles)
{
	bool hit;

	*cycles += ims_memlat_access(&sim->memlat, pa, &hit);
	sim->stats.v[IMS_STAT_walk_mem_refs]++;
	sim->stats.v[hit ? IMS_STAT_walk_llc_hit : IMS_STAT_walk_llc_miss]++;
	return ims_mem_load64(&sim->mem, pa);
}

/* A page-table store by host software: the line lands in the LLC. */
static inline void ims_host_store(struct ims_sim *sim, uint64_t pa, uint64_t val)
{
	ims_mem_store64(&sim->mem, pa, val);
	ims_memlat_touch(&sim->memlat, pa);
}

/* Page-table page allocation/free by host software for dom: counted (per
 * domain too, so a destroyed domain can be checked to have freed every
 * one), and the free charged (sw_pt_free_cycles); the model charges the
 * allocation itself, to the operation it belongs to. Under a lazy unmap
 * the free waits for the flush queue's flush (sim/host/unmap_flush.h) and
 * is charged then. */
uint64_t ims_host_alloc_table(struct ims_sim *sim, struct ims_domain *dom);
void ims_host_free_table(struct ims_sim *sim, struct ims_domain *dom, uint64_t pa);

/* ATS (sim/host/ats.c). The device with requester id sid when it uses
 * ATS, else NULL (an endpoint without ATS gets no device-TLB invalidation). */
struct ims_device *ims_ats_device(const struct ims_sim *sim, uint16_t sid);

/* The devices attached to dom that use ATS, whose translation caches may
 * hold its translations, one per call: *i starts at 0; NULL after the last. */
struct ims_device *ims_ats_device_next(const struct ims_sim *sim, const struct ims_domain *dom,
				       unsigned *i);

/* Hardware: a device-TLB invalidation of [start, last] (0, UINT64_MAX: all)
 * reaches dev, after ims_inv_hw_charge of its command. The ATC drops the
 * entries and the device's completion is due ats_inv_cycles later, which
 * the next wait command waits for (ims_inv_hw_wait). */
void ims_atc_invalidate(struct ims_sim *sim, struct ims_device *dev, uint64_t start,
			uint64_t last);

/* A software dirty walk read the leaf [iova, iova+len) and found it dirty
 * or clean. Dirty leaves are recorded in bm (clipped to its range, charging
 * sw_bitmap_record_cycles per newly set bit). When bm->score is set the
 * leaf is scored against the ground truth now, at scan time, so DMA racing
 * with the walk is judged by when it happened: a clean leaf that DMA wrote
 * is a miss (its write is lost for good), a dirty leaf nobody wrote is
 * spurious. bm may be NULL (a clear-only pass). */
void ims_dirty_leaf(struct ims_sim *sim, struct ims_dirty_bitmap *bm, uint64_t iova,
		    uint64_t len, bool dirty);

/* The clean 4 KiB leaves of one table of 512 (2 MiB from `base`, which is
 * 2 MiB aligned), collected by a software dirty walk and scored together:
 * for a clean leaf ims_dirty_leaf charges nothing and only takes the page
 * out of the ground truth, so a call per leaf (a truth lookup each) can
 * become a few word operations per table. Flush before anything that
 * charges time, since DMA racing the walk runs inside a charge: every leaf
 * read before it must be scored before it, as ims_dirty_leaf would have. */
#define IMS_DIRTY_CLEAN_WORDS 8
struct ims_dirty_clean {
	uint64_t base;
	uint64_t bits[IMS_DIRTY_CLEAN_WORDS];   /* bit i: leaf at base + i * 4 KiB */
	bool any;
};

static inline void ims_dirty_clean_init(struct ims_dirty_clean *c, uint64_t base)
{
	*c = (struct ims_dirty_clean){ .base = base };
}

/* Collect t[i], t[i+1], ... up to t[last] while clean(t[k], ctx) says the
 * entry is a clean 4 KiB leaf; returns the index of the first entry that is
 * not (last + 1 if all were). A large scan spends its time here: each word
 * of the collection is built in a register, not or-ed into memory entry by
 * entry (a store-to-load chain per entry). Inlined, so clean is too. */
static inline unsigned ims_dirty_clean_run(struct ims_dirty_clean *c, const uint64_t *t,
					   unsigned i, unsigned last,
					   bool (*clean)(uint64_t pte, const void *ctx),
					   const void *ctx)
{
	while (i <= last) {
		unsigned end = (i | 63) < last ? (i | 63) : last;
		unsigned w = i >> 6;
		uint64_t m = 0;

		for (; i <= end && clean(t[i], ctx); i++)
			m |= UINT64_C(1) << (i & 63);
		if (m) {
			c->bits[w] |= m;
			c->any = true;
		}
		if (i <= end)
			break;
	}
	return i;
}

void ims_dirty_clean_score(struct ims_sim *sim, struct ims_dirty_bitmap *bm,
			   struct ims_dirty_clean *c);

/* ims_dirty_leaf(sim, bm, leaf, 4 KiB, false) for every leaf collected, in
 * one go; empties c. */
static inline void ims_dirty_clean_flush(struct ims_sim *sim, struct ims_dirty_bitmap *bm,
					 struct ims_dirty_clean *c)
{
	if (c->any)
		ims_dirty_clean_score(sim, bm, c);
}

#endif
