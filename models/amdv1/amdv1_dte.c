/* Device table entries in memory, and the hardware's device table cache
 * (AMD IOMMU spec 48882 rev. 3.x, sections 2.2.2 and 2.4.2). */
#include "models/amdv1/amdv1_dte.h"

#include "models/amdv1/amdv1_model.h"
#include "sim/sim.h"

void amdv1_dte_build(struct amdv1_dte *out, uint64_t root_pa, unsigned mode, uint16_t domid,
		     bool dirty_tracking)
{
	out->qw[0] = AMDV1_DTE_V | AMDV1_DTE_TV |
		     ims_field_prep(AMDV1_DTE_HAD, dirty_tracking ? AMDV1_HAD_AD : AMDV1_HAD_NONE) |
		     ims_field_prep(AMDV1_DTE_MODE, mode) | (root_pa & AMDV1_DTE_HPTR) |
		     AMDV1_DTE_IR | AMDV1_DTE_IW;
	out->qw[1] = ims_field_prep(AMDV1_DTE_DOMID, domid);
	out->qw[2] = 0;
	out->qw[3] = 0;
}

uint64_t amdv1_dte_pa(uint16_t devid)
{
	return AMDV1_PA_DEVTAB + (uint64_t)devid * AMDV1_DTE_BYTES;
}

void amdv1_dte_store(struct ims_sim *sim, uint16_t devid, const struct amdv1_dte *e)
{
	uint64_t pa = amdv1_dte_pa(devid);

	for (unsigned i = 0; i < 4; i++)
		ims_host_store(sim, pa + 8 * i, e->qw[i]);
}

void amdv1_dte_load(const struct ims_sim *sim, uint16_t devid, struct amdv1_dte *out)
{
	uint64_t pa = amdv1_dte_pa(devid);

	for (unsigned i = 0; i < 4; i++)
		out->qw[i] = ims_mem_load64(&sim->mem, pa + 8 * i);
}

/* Real hardware drops the cached entry and refetches it on the device's
 * next request; reloading it now is equivalent because nothing else changes
 * the cache in between, and the refetch cost is folded into
 * amdv1_inv_devtab_ns. */
void amdv1_dtc_reload(struct ims_sim *sim, uint16_t devid)
{
	struct amdv1_iommu *iommu = amdv1_iommu(sim);

	amdv1_dte_load(sim, devid, &iommu->dtc[devid]);
	iommu->dtc_valid[devid] = 1;
}

const struct amdv1_dte *amdv1_dtc_lookup(const struct ims_sim *sim, uint16_t devid)
{
	const struct amdv1_iommu *iommu = amdv1_iommu(sim);

	return iommu->dtc_valid[devid] ? &iommu->dtc[devid] : NULL;
}
