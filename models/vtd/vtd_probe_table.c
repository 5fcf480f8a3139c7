/* model.h, probe_table, for VT-d: the second-stage table entry a walk for
 * an IOVA reads at one level, as vtd_walk would cache it in a
 * paging-structure cache (VT-d spec rev. 5.10, section 6.2.5: the next
 * table's address, and R and W ANDed down to the entry). Read from memory
 * alone, starting where the walk does: the PASID-cache copy of the domain's
 * PASID-table entry. Kept out of vtd_walk.c, the walk's hot path. */
#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"

bool vtd_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		     uint64_t iova, unsigned level, struct ims_psc_entry *out)
{
	const struct vtd_pasid_entry *pc = &vtd_dom(dom)->pc;
	unsigned top = vtd_pasid_levels(pc) - 1, perm = IMS_TLB_R | IMS_TLB_W;
	uint64_t table_pa = vtd_pasid_ssptptr(pc);

	(void)dev;   /* the PASID entry is kept per domain: every device shares it */
	if (!level || level > top || (iova >> vtd_width_for_levels(top + 1)))
		return false;
	for (unsigned l = top;; l--) {
		uint64_t pte = ims_mem_load64(&sim->mem, table_pa + vtd_pte_index(iova, l) * 8ull);

		if (vtd_pte_type(pte, l) != VTD_PTE_TABLE)
			return false;
		perm &= ((pte & VTD_SLPTE_R) ? IMS_TLB_R : 0u) |
			((pte & VTD_SLPTE_W) ? IMS_TLB_W : 0u);
		table_pa = vtd_pte_addr(pte);
		if (l == level) {
			*out = (struct ims_psc_entry){ .table_pa = table_pa,
				.next_level = (uint8_t)(l - 1), .perm = (uint8_t)perm };
			return true;
		}
	}
}
