/* model.h, probe_table, for AMD: the page directory entry a walk for an
 * IOVA reads at one level, as amdv1_walk would cache it in the page
 * directory cache (the next table, the level Next Level names, and IR/IW
 * of the DTE ANDed with those of every PDE down to it). Read from memory
 * alone, starting where the walk does: the device table cache's copy of
 * the device's DTE. Kept out of amdv1_walk.c, the walk's hot path. */
#include "models/amdv1/amdv1_dte.h"
#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"

/* IMS_TLB_R/W of a DTE or PDE: IR and IW are the same bits in both. */
static unsigned ir_iw(uint64_t qw)
{
	return ((qw & AMDV1_PTE_IR) ? IMS_TLB_R : 0u) | ((qw & AMDV1_PTE_IW) ? IMS_TLB_W : 0u);
}

/* Where the walk through dte starts, as amdv1_walk's DTE checks allow it:
 * false when it translates nothing, or not iova. */
static bool dte_start(const struct amdv1_dte *dte, uint64_t iova, unsigned *top)
{
	unsigned mode = dte ? amdv1_dte_mode(dte) : 0;

	if (!dte || !(dte->qw[0] & AMDV1_DTE_V) || !(dte->qw[0] & AMDV1_DTE_TV) || mode == 0 ||
	    mode == 7 || !amdv1_iova_fits(iova, mode))
		return false;
	*top = mode - 1;
	return true;
}

bool amdv1_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		       uint64_t iova, unsigned level, struct ims_psc_entry *out)
{
	const struct amdv1_dte *dte = amdv1_dtc_lookup(sim, dev->sid);
	unsigned l, perm;
	uint64_t table_pa;

	(void)dom;   /* the DTE names the tables */
	if (!dte_start(dte, iova, &l) || !level || level > l)
		return false;
	perm = ir_iw(dte->qw[0]);
	table_pa = amdv1_dte_root(dte);
	for (;;) {
		uint64_t pte = ims_mem_load64(&sim->mem, table_pa + amdv1_pte_index(iova, l) * 8ull);
		unsigned child;

		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, l) ||
		    amdv1_pte_type(pte) != AMDV1_PTE_TABLE)
			return false;
		child = amdv1_pde_child_level(pte);
		/* the walk faults where skipped IOVA bits are set */
		if (iova & amdv1_pde_skipped_bits(l, child))
			return false;
		perm &= ir_iw(pte);
		table_pa = amdv1_pte_addr(pte);
		if (l == level) {
			*out = (struct ims_psc_entry){ .table_pa = table_pa,
				.next_level = (uint8_t)(child), .perm = (uint8_t)perm };
			return true;
		}
		if (child < level)
			return false;   /* the PDE skips that level */
		l = child;
	}
}
