/* Scalable-mode PASID-table entries in memory, and the hardware's PASID
 * cache of them (VT-d spec rev. 5.10, sections 9.6 and 6.2.3). */
#include "models/vtd/vtd_pasid.h"

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"
#include "sim/sim.h"

void vtd_pasid_entry_build(struct vtd_pasid_entry *out, uint64_t ssptptr, unsigned levels,
			   uint16_t did, bool ssade)
{
	out->val[0] = VTD_PASID_P |
		      ims_field_prep(VTD_PASID_AW, levels - 2u) |
		      ims_field_prep(VTD_PASID_PGTT, VTD_PGTT_SS) |
		      (ssade ? VTD_PASID_SSADE : 0) |
		      (ssptptr & VTD_PASID_SSPTPTR);
	/* PWSNP=1: walks snoop, which section 3.10 requires for hardware A/D
	 * updates (a non-snooped A/D update is a non-recoverable fault). */
	out->val[1] = ims_field_prep(VTD_PASID_DID, did) | VTD_PASID_PWSNP;
}

uint64_t vtd_pasid_entry_pa(const struct ims_domain *dom)
{
	return VTD_PA_PASID + (uint64_t)dom->index * VTD_PASID_ENTRY_BYTES;
}

void vtd_pasid_entry_store(struct ims_sim *sim, uint64_t pa, const struct vtd_pasid_entry *e)
{
	ims_host_store(sim, pa, e->val[0]);
	ims_host_store(sim, pa + 8, e->val[1]);
}

void vtd_pasid_entry_load(const struct ims_sim *sim, uint64_t pa, struct vtd_pasid_entry *out)
{
	out->val[0] = ims_mem_load64(&sim->mem, pa);
	out->val[1] = ims_mem_load64(&sim->mem, pa + 8);
}

/* Section 6.5.2.2. Every domain's entry is its RID_PASID entry, so a
 * PASID-selective invalidation matches only PASID 0. Real hardware would
 * drop the cached entry and refetch it on the next request; reloading it
 * now is equivalent because nothing else changes the cache in between, and
 * the refetch cost is folded into vtd_pasid_cache_inv_ns. */
unsigned vtd_pasid_cache_invalidate(struct ims_sim *sim, unsigned gran, uint16_t did,
				    uint32_t pasid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sim->ndomains; i++) {
		struct ims_domain *dom = sim->domains[i];
		struct vtd_domain *vd = vtd_dom(dom);

		if (!vd)
			continue;
		if (gran != VTD_PC_G_GLOBAL && vtd_pasid_did(&vd->pc) != did)
			continue;
		if (gran == VTD_PC_G_PASID && pasid != VTD_RID_PASID)
			continue;
		vtd_pasid_entry_load(sim, vd->pasid_pa, &vd->pc);
		n++;
	}
	return n;
}
