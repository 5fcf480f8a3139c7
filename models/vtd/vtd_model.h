/* Intel VT-d second-stage model: state shared by its files, and helpers for
 * tests. The engine sees none of this; it knows the model only as
 * ims_vtd_ops (models/registry.c).
 */
#ifndef VTD_MODEL_H
#define VTD_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "models/vtd/vtd_pasid.h"
#include "models/vtd/vtd_qi.h"
#include "sim/assert.h"
#include "sim/sim.h"

/* Where the driver keeps the IOMMU's own structures, in the region sim/mem.h
 * reserves for them. The PASID region holds 64-byte entries for 2^16 domains. */
#define VTD_PA_IQ          (IMS_PA_IOMMU_BASE + 0x0)         /* invalidation queue, 4 KiB */
#define VTD_PA_IQ_STATUS   (IMS_PA_IOMMU_BASE + 0x1000)      /* wait-descriptor status dword */
#define VTD_PA_PASID       (IMS_PA_IOMMU_BASE + 0x10000000)  /* scalable-mode PASID entries */

/* The IOMMU instance (sim->model_state). */
struct vtd_iommu {
	struct vtd_qi qi;
};

/* Per-domain state (dom->priv). */
struct vtd_domain {
	uint64_t root_pa;          /* top table, as software allocated it */
	unsigned levels;           /* 4 or 5 */
	uint64_t pasid_pa;         /* the domain's PASID-table entry in memory */
	/* Hardware state, not memory: the PASID-cache copy of that entry. The
	 * walker translates with it; only a PASID-cache invalidation reloads
	 * it. Kept here rather than in vtd_iommu for a direct lookup. */
	struct vtd_pasid_entry pc;
};

/* Hardware: second-stage walk (vtd_walk.c). */
void vtd_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom, uint64_t iova,
	      enum ims_access access, struct ims_walk *out);
void vtd_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		       uint64_t iova);
void vtd_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
	       uint64_t iova, struct ims_walk *out);
/* The probe_table op of model.h (vtd_probe_table.c). */
bool vtd_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		     uint64_t iova, unsigned level, struct ims_psc_entry *out);

/* Host page-table software (vtd_pt.c). */
int vtd_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		 unsigned page_lg2, unsigned prot, struct ims_error *err);
int vtd_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
	      struct ims_gather *gather, struct ims_error *err);
int vtd_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		   unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		   struct ims_error *err);
int vtd_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		      struct ims_gather *gather, struct ims_error *err);
void vtd_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
		     unsigned level);

/* Host invalidation of [start, last] in a domain: one PSI (or DSI) and a
 * wait, i.e. one sync (vtd_model.c). ih=true keeps paging-structure caches. */
void vtd_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
		     uint64_t last, bool ih);

/* Debug helpers for tests: software lookups, no timing, no statistics.
 * vtd_debug_lookup finds the leaf translating iova: returns 0 with the leaf
 * entry, its level and address, or -IMS_ENOMAP with the non-present entry
 * where the walk stopped. vtd_debug_entry returns the entry the walk for
 * iova uses at `level` (or -IMS_ENOMAP if the walk ends above it). Any out
 * pointer may be NULL. */
int vtd_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		     uint64_t *pte_out, unsigned *level_out, uint64_t *pte_pa_out);
int vtd_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		    unsigned level, uint64_t *pte_out, uint64_t *pte_pa_out);

static inline struct vtd_domain *vtd_dom(const struct ims_domain *dom)
{
	return (struct vtd_domain *)dom->priv;
}

#endif
