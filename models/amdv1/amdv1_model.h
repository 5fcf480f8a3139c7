/* AMD IOMMU v1 (host page tables) model: state shared by its files, and
 * helpers for tests. The engine sees none of this; it knows the model only
 * as ims_amdv1_ops (models/registry.c).
 */
#ifndef AMDV1_MODEL_H
#define AMDV1_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "models/amdv1/amdv1_cmd.h"
#include "models/amdv1/amdv1_dte.h"
#include "models/model.h"
#include "sim/assert.h"
#include "sim/sim.h"

/* Where the driver keeps the IOMMU's own structures, in the region sim/mem.h
 * reserves for them, clear of VT-d's (offsets below 0x20000000) and SMMUv3's
 * (from 0x80000000). The device table holds 65536 32-byte entries (2 MiB). */
#define AMDV1_PA_BASE     (IMS_PA_IOMMU_BASE + 0x40000000)
#define AMDV1_PA_CMDBUF   (AMDV1_PA_BASE + 0x0)          /* command buffer, 8 KiB */
#define AMDV1_PA_SEM      (AMDV1_PA_BASE + 0x4000)       /* completion-wait semaphore */
#define AMDV1_PA_DEVTAB   (AMDV1_PA_BASE + 0x100000)     /* device table, 2 MiB */

/* Leaf sizes the model can map: 2^12..2^43 (AMDV1_MAX_PAGE_LG2). */
#define AMDV1_PGSIZES_MODELLED IMS_GENMASK(43, 12)

/* The IOMMU instance (sim->model_state). */
struct amdv1_iommu {
	struct amdv1_cmdbuf cmd;
	/* Hardware state, not memory: the device table cache, one copy per
	 * DeviceID, loaded by INVALIDATE_DEVTAB_ENTRY only. */
	struct amdv1_dte *dtc;
	uint8_t *dtc_valid;
};

/* Per-domain state (dom->priv). */
struct amdv1_domain {
	uint64_t root_pa;          /* top table */
	unsigned mode;             /* DTE Mode: 4 or 5 */
	bool tracking;             /* HAD written into the domain's DTEs */
};

static inline struct amdv1_domain *amdv1_dom(const struct ims_domain *dom)
{
	return (struct amdv1_domain *)dom->priv;
}

static inline struct amdv1_iommu *amdv1_iommu(const struct ims_sim *sim)
{
	return (struct amdv1_iommu *)sim->model_state;
}

/* Hardware: the device table cache (amdv1_dte.c). Reload copies the entry
 * from memory, as INVALIDATE_DEVTAB_ENTRY does; lookup returns the cached
 * copy or NULL if the device's entry was never loaded. */
void amdv1_dtc_reload(struct ims_sim *sim, uint16_t devid);
const struct amdv1_dte *amdv1_dtc_lookup(const struct ims_sim *sim, uint16_t devid);

/* Hardware: host-table walk (amdv1_walk.c). */
void amdv1_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		uint64_t iova, enum ims_access access, struct ims_walk *out);
void amdv1_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			 uint64_t iova);
void amdv1_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		 uint64_t iova, struct ims_walk *out);
/* The probe_table op of model.h (amdv1_probe_table.c). */
bool amdv1_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		       uint64_t iova, unsigned level, struct ims_psc_entry *out);

/* Host page-table software (amdv1_pt.c). */
int amdv1_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		   unsigned page_lg2, unsigned prot, struct ims_error *err);
int amdv1_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		struct ims_gather *gather, struct ims_error *err);
int amdv1_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			uint64_t len, struct ims_gather *gather, struct ims_error *err);
int amdv1_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		     unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		     struct ims_error *err);
void amdv1_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
		       unsigned level);

/* Host invalidation of [start, last] in a domain: one INVALIDATE_IOMMU_PAGES
 * and a COMPLETION_WAIT, one sync (amdv1_model.c). */
void amdv1_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
		       uint64_t last, bool pde);

/* Debug helpers for tests: software lookups, no timing, no statistics.
 * They follow Next Level, skips included. amdv1_debug_lookup finds the leaf
 * translating iova: 0 with the entry, its level and address, -IMS_ENOMAP
 * with the non-present (or malformed) entry where the walk stopped.
 * amdv1_debug_entry returns the entry the walk for iova uses at `level`
 * (-IMS_ENOMAP if the walk ends above it or skips it). Out pointers may be
 * NULL. */
int amdv1_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		       uint64_t *pte_out, unsigned *level_out, uint64_t *pte_pa_out);
int amdv1_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		      unsigned level, uint64_t *pte_out, uint64_t *pte_pa_out);

#endif
