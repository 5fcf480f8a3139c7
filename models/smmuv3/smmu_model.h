/* Arm SMMUv3 model: state shared by its files, and helpers for tests. The
 * engine sees none of this; it knows the model only as ims_smmuv3_ops
 * (models/registry.c).
 */
#ifndef SMMU_MODEL_H
#define SMMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "models/smmuv3/smmu_cfg.h"
#include "models/smmuv3/smmu_cmdq.h"
#include "models/smmuv3/smmu_desc.h"
#include "sim/assert.h"
#include "sim/sim.h"

/* Where the driver keeps the SMMU's structures, in the region sim/mem.h
 * reserves for them, 2 GiB above VT-d's and 1 GiB above AMD's: the command
 * queue, a linear Stream table for 2^16 StreamIDs, and one 64-byte CD per
 * domain (2^16 domains). */
#define SMMU_PA_BASE        (IMS_PA_IOMMU_BASE + 0x80000000)
#define SMMU_PA_CMDQ        (SMMU_PA_BASE + 0x0)           /* SMMU_CMDQ_BASE, 4 KiB */
#define SMMU_PA_STRTAB      (SMMU_PA_BASE + 0x100000)      /* SMMU_STRTAB_BASE, 4 MiB */
#define SMMU_PA_CD          (SMMU_PA_BASE + 0x800000)      /* CDs, 4 MiB */
#define SMMU_CMDQ_SLOTS     256u                           /* 4 KiB of 16-byte commands */

/* The SMMU instance (sim->model_state). */
struct smmu_iommu {
	struct smmu_cmdq cmdq;
	/* Configuration cache, one entry per device that was ever attached,
	 * indexed by device index, keyed by StreamID for invalidation. */
	struct smmu_cfg_entry *cfg;
	unsigned ncfg;
};

/* Per-domain state (dom->priv). */
struct smmu_domain {
	const struct smmu_stage *st;
	uint64_t root_pa;          /* Arm level 0 table */
	uint16_t asid, vmid;       /* stage 1: ASID = did, VMID 0; stage 2: VMID = did */
	uint64_t cd_pa;            /* stage 1: the domain's CD */
	bool s2_httu;              /* stage 2: S2HA/S2HD written in the STEs */
};

static inline struct smmu_iommu *smmu_iommu(const struct ims_sim *sim)
{
	return (struct smmu_iommu *)sim->model_state;
}

static inline struct smmu_domain *smmu_dom(const struct ims_domain *dom)
{
	return (struct smmu_domain *)dom->priv;
}

static inline uint64_t smmu_ste_pa(uint32_t sid)
{
	return SMMU_PA_STRTAB + (uint64_t)sid * SMMU_STE_BYTES;
}

/* Hardware: the configuration cache entry of a device, and its reload on
 * CMD_CFGI_STE / CMD_CFGI_CD (smmu_cfg.c). Return entries reloaded. */
struct smmu_cfg_entry *smmu_cfg_of(struct ims_sim *sim, const struct ims_device *dev);
unsigned smmu_cfg_inv_ste(struct ims_sim *sim, uint32_t sid);
unsigned smmu_cfg_inv_cd(struct ims_sim *sim, uint32_t sid, uint32_t ssid);

/* Hardware: the walk (smmu_walk.c). */
void smmu_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
	       uint64_t iova, enum ims_access access, struct ims_walk *out);
void smmu_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			uint64_t iova);
void smmu_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		uint64_t iova, struct ims_walk *out);
/* The probe_table op of model.h (smmu_probe_table.c). */
bool smmu_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		      uint64_t iova, unsigned level, struct ims_psc_entry *out);

/* Host page-table software (smmu_pt.c). */
int smmu_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		  unsigned page_lg2, unsigned prot, struct ims_error *err);
int smmu_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
	       struct ims_gather *gather, struct ims_error *err);
int smmu_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		    unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		    struct ims_error *err);
int smmu_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		       struct ims_gather *gather, struct ims_error *err);
void smmu_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
		      unsigned level);
/* Stage 2 tracking off: make every writable-clean leaf writable-dirty again,
 * so writes do not fault once S2HD is 0. Returns the leaves changed. */
uint64_t smmu_redirty_all(struct ims_sim *sim, struct ims_domain *dom);
/* smmuv3_dbm_at_map=0, tracking switch: on, every writable leaf gets DBM
 * and becomes writable-clean; off, every leaf with DBM becomes writable
 * without it. Charged to cyc_sw_other; no invalidation (the caller's).
 * Returns the leaves changed. */
uint64_t smmu_dbm_switch_all(struct ims_sim *sim, struct ims_domain *dom, bool on);


/* Host: invalidate [start, last] of the domain, one sync (smmu_model.c). */
void smmu_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start, uint64_t last,
		      bool leaf, unsigned leaf_lg2);

/* Debug helpers for tests: software lookups, no timing, no statistics.
 * smmu_debug_lookup finds the leaf translating iova: returns 0 with the
 * leaf, its level and address, or -IMS_ENOMAP with the invalid entry where
 * the walk stopped. smmu_debug_entry returns the descriptor the walk for
 * iova uses at `level` (or -IMS_ENOMAP if the walk ends above it). Any out
 * pointer may be NULL. */
int smmu_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		      uint64_t *desc_out, unsigned *level_out, uint64_t *desc_pa_out);
int smmu_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, unsigned level,
		     uint64_t *desc_out, uint64_t *desc_pa_out);

#endif
