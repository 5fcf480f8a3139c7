/* The interface every IOMMU model implements.
 *
 * A model is a page-table format, its hardware walker, and its invalidation
 * command set. The engine (sim/) never includes a model's own headers: it
 * knows models only through struct ims_model_ops, listed in
 * models/registry.c.
 *
 * Two halves, as in a real system:
 *  - host software: map_page, unmap, read_dirty, set_dirty_tracking and
 *    iotlb_sync edit the page tables and context structures in simulated
 *    memory and build invalidation commands, charging CPU time through the
 *    engine (ims_host_charge);
 *  - hardware: walk reads those same bytes back, performs atomic A/D updates
 *    and is charged memory latency (ims_walk_read); invalidation commands are
 *    decoded and applied to the shared IOTLB and paging-structure caches by
 *    the model's queue, which charges IOMMU time (ims_inv_hw_charge).
 *
 * The IOTLB lookup itself is engine code (models/common/iotlb.h): a hit never
 * calls into the model. A model is called on a miss, and on a write that hits
 * an entry without IMS_TLB_DIRTY while A/D tracking is on.
 */
#ifndef IMS_MODEL_H
#define IMS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/error.h"

struct ims_sim;
struct ims_domain;
struct ims_device;
struct ims_psc_entry;

/* Permissions of a mapping, as the host requests them. */
#define IMS_PROT_READ 0x1u
#define IMS_PROT_WRITE 0x2u
/* The mapping is cache-coherent (Linux IOMMU_CACHE): DMA through it snoops
 * CPU caches. Without it, DMA is non-snooped: a device may use the PCIe
 * No-Snoop attribute and the IOMMU lets it through. Each model writes this
 * its own way (VT-d SNP, AMD FC, SMMUv3 memory attributes); a model that
 * cannot enforce it says so in can_enforce_coherency and maps the page
 * non-snooped. */
#define IMS_PROT_CACHE 0x4u

enum ims_access {
	IMS_ACCESS_READ = 0,
	IMS_ACCESS_WRITE = 1,
};

/* Why a translation failed. The engine counts and records each; the DMA is
 * discarded, as the hardware would. */
enum ims_fault {
	IMS_FAULT_NONE = 0,
	IMS_FAULT_NOT_PRESENT,   /* an entry on the walk was not present */
	IMS_FAULT_PERM,          /* present, but the access is not permitted */
	IMS_FAULT_ADDR,          /* IOVA beyond the domain's address width */
	IMS_FAULT_NO_DOMAIN,     /* device not attached to any domain */
};

/* Result of one hardware walk. */
struct ims_walk {
	enum ims_fault fault;
	uint64_t pa;             /* output address of the page (page-aligned) */
	uint8_t page_lg2;        /* leaf page size */
	uint8_t tlb_flags;       /* IMS_TLB_R/W/DIRTY/SNOOP to cache for this leaf */
	uint8_t fault_level;     /* table level where the walk stopped */
	uint64_t fault_pte_pa;   /* address of the offending entry, 0 if none */
	uint64_t cycles;         /* walk latency including A/D updates */
};

/* IOVA range whose translations a host operation made stale; one sync covers
 * it, as Linux's iommu_iotlb_gather does. */
struct ims_gather {
	uint64_t start, last;    /* inclusive; valid only if !empty */
	bool empty;
	bool tables_freed;       /* paging-structure caches must be invalidated too */
	bool dirty_clear;        /* filled by a dirty-bit clear, not an unmap */
	bool map;                /* filled by a map: entries went from not present to
				  * present (iotlb_sync_map); no device-TLB invalidation */
	uint8_t min_page_lg2;    /* smallest and largest leaf cleared, for */
	uint8_t max_page_lg2;    /* invalidation granules and level hints */
};

static inline void ims_gather_init(struct ims_gather *g)
{
	g->start = g->last = 0;
	g->empty = true;
	g->tables_freed = false;
	g->dirty_clear = false;
	g->map = false;
	g->min_page_lg2 = UINT8_MAX;
	g->max_page_lg2 = 0;
}

/* Record that leaves of 2^page_lg2 bytes were cleared (no range change). */
static inline void ims_gather_note_size(struct ims_gather *g, unsigned page_lg2)
{
	if (page_lg2 < g->min_page_lg2)
		g->min_page_lg2 = (uint8_t)page_lg2;
	if (page_lg2 > g->max_page_lg2)
		g->max_page_lg2 = (uint8_t)page_lg2;
}

/* The one leaf size of everything gathered, or 0 when sizes were mixed. */
static inline unsigned ims_gather_page_lg2(const struct ims_gather *g)
{
	return g->min_page_lg2 == g->max_page_lg2 ? g->max_page_lg2 : 0;
}

static inline void ims_gather_add(struct ims_gather *g, uint64_t iova, uint64_t len,
				  unsigned page_lg2)
{
	uint64_t last = iova + len - 1;

	if (g->empty) {
		g->start = iova;
		g->last = last;
		g->empty = false;
	} else {
		if (iova < g->start)
			g->start = iova;
		if (last > g->last)
			g->last = last;
	}
	ims_gather_note_size(g, page_lg2);
}

/* Bitmap filled by read_dirty: bit i covers [iova + i*2^page_lg2, ...). */
struct ims_dirty_bitmap {
	uint64_t iova;
	uint64_t len;
	unsigned page_lg2;
	uint64_t nbits;
	uint64_t *bits;
	struct ims_domain *score;   /* domain whose ground truth scores each leaf, or NULL */
};

/* read_dirty flags */
#define IMS_DIRTY_NO_CLEAR 0x1u   /* report without clearing (IOMMU_DIRTY_NO_CLEAR) */

/* A counter of ours that a real hardware performance counter also counts,
 * exported in the JSON under the hardware's event name. */
struct ims_hw_counter {
	const char *event;       /* e.g. "UNC_IO_VTD_ACCESS.TLB_MISS" */
	unsigned stat;           /* enum ims_stat_id */
};

struct ims_model_ops {
	const char *name;        /* --model value */
	const char *description;

	/* Leaf sizes the format can map with the current parameters: bit n set
	 * means 2^n bytes. */
	uint64_t (*pgsize_bitmap)(const struct ims_sim *sim);

	/* Whether map_page can honour IMS_PROT_CACHE with the current
	 * parameters, i.e. make DMA snooped whatever No-Snoop the device sets
	 * (Linux: enforce_cache_coherency). When it cannot, a CACHE mapping
	 * still succeeds but is non-snooped: the host must check this before
	 * it calls a domain coherent. */
	bool (*can_enforce_coherency)(const struct ims_sim *sim);

	/* Whether every map must end with an IOTLB sync over what it mapped,
	 * because the hardware may cache not-present entries (VT-d caching
	 * mode; Linux iotlb_sync_map). When it answers yes, the host ends each
	 * fill of a domain with iotlb_sync on a gather marked map. */
	bool (*map_needs_sync)(const struct ims_sim *sim);

	/* Hardware instance: invalidation queue, registers. Caches are the
	 * engine's (sim->iotlb, sim->psc); the model configures their levels. */
	int (*iommu_init)(struct ims_sim *sim, struct ims_error *err);
	void (*iommu_fini)(struct ims_sim *sim);

	/* Domain: allocate the root table and the context structure that points
	 * at it. dom->iova_bits says how wide the domain's IOVA space is. */
	int (*domain_init)(struct ims_sim *sim, struct ims_domain *dom, struct ims_error *err);
	void (*domain_fini)(struct ims_sim *sim, struct ims_domain *dom);

	/* Point a device at a domain (context/PASID entry), with the flushes the
	 * spec requires for that change. */
	int (*attach)(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		      struct ims_error *err);

	/* Host software. map_page writes one leaf of 2^page_lg2 bytes (the host
	 * picked a size from pgsize_bitmap, aligned). unmap clears every leaf in
	 * [iova, iova+len), frees tables left empty, and adds what it cleared to
	 * gather; it fails without changing anything if the range would split
	 * a large leaf. Neither syncs: the caller does, once. */
	int (*map_page)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			uint64_t pa, unsigned page_lg2, unsigned prot, struct ims_error *err);
	int (*unmap)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		     struct ims_gather *gather, struct ims_error *err);

	/* Software dirty walk over [iova, iova+len): call ims_dirty_leaf for
	 * every present leaf, at the moment it is read, with its dirty state
	 * (replicas and contiguous runs ORed; bm may be NULL: clear only), clear
	 * D unless IMS_DIRTY_NO_CLEAR, and add cleared leaves to gather. No sync. */
	int (*read_dirty)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			  uint64_t len, unsigned flags, struct ims_dirty_bitmap *bm,
			  struct ims_gather *gather, struct ims_error *err);

	/* Remove write permission from every leaf in [iova, iova+len) so that no
	 * device write can land there any more (a write faults), keeping dirty
	 * state as it is, and add the changed leaves to gather. Hardware must not
	 * be able to grant the write back by itself (SMMUv3: clear DBM too). The
	 * range is mapped; fails without changing anything if it would split a
	 * large leaf. No sync. */
	int (*write_protect)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			     uint64_t len, struct ims_gather *gather, struct ims_error *err);

	/* Enable/disable hardware A/D updates for the domain, including the
	 * context-structure update and every invalidation the spec requires. */
	int (*set_dirty_tracking)(struct ims_sim *sim, struct ims_domain *dom, bool on,
				  struct ims_error *err);

	/* Invalidate the gathered range in the domain (IOTLB, and paging-structure
	 * caches if tables were freed), then wait for completion: one sync,
	 * counted in iotlb_syncs. An empty gather is still a sync the host asked
	 * for: the model issues the least its hardware needs to complete one. */
	void (*iotlb_sync)(struct ims_sim *sim, struct ims_domain *dom,
			   const struct ims_gather *gather);

	/* Linux's flush_iotlb_all: invalidate every cached translation of the
	 * domain, IOTLB and paging-structure caches, then wait: one sync,
	 * counted in iotlb_syncs. What a lazy unmap's flush queue issues. */
	void (*iotlb_flush_all)(struct ims_sim *sim, struct ims_domain *dom);

	/* Hardware page walk for one access by dev (attached to dom). The device
	 * matters where per-device configuration steers the walk (AMD: HAD in
	 * the device's DTE). Fills out; never fails otherwise. */
	void (*walk)(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		     uint64_t iova, enum ims_access access, struct ims_walk *out);

	/* What the IOTLB may hold for the page translating iova through dev's
	 * configuration, read from memory alone: no caches, no A/D update, no
	 * time, no counters (the --check mode's reference, sim/check.c). out
	 * gets the fault, or the leaf's pa and page_lg2 and, in tlb_flags, every
	 * flag some walk could cache for the page now: the union over the
	 * entries a walk may use for it (AMD NL=7 replicas, SMMU contiguous
	 * runs), IMS_TLB_DIRTY where a write needs no descriptor update. */
	void (*probe)(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		      uint64_t iova, struct ims_walk *out);

	/* What a paging-structure-cache entry of `level` for iova may hold,
	 * read as probe reads (dev's configuration as the hardware caches it,
	 * no caches, no A/D update, no time, no counters; sim/check.c holds
	 * sim->psc against it). Returns false when no walk for iova reads a
	 * table entry at that level now: it stops above (fault, leaf) or, AMD
	 * Next Level, skips the level. Else fills what a walk would cache:
	 * out's table_pa, next_level, and perm, the R/W granted down to and
	 * including that entry; nothing else of out. */
	bool (*probe_table)(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			    uint64_t iova, unsigned level, struct ims_psc_entry *out);

	/* Optional, for the simulator's speed alone: start bringing into the
	 * host's caches the leaf entry a walk of iova by dev would read, from
	 * memory like probe and as cheaply as it can; no simulated state read
	 * through caches, changed or counted. A walk calls it for the next DMA
	 * of the trace, whose leaf entry is then no host cache miss. */
	void (*prefetch_walk)(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			      uint64_t iova);

	const struct ims_hw_counter *hw_counters;
	unsigned n_hw_counters;
};

/* models/registry.c */
const struct ims_model_ops *ims_model_find(const char *name);
extern const struct ims_model_ops *const ims_models[];
extern const unsigned ims_model_count;

#endif
