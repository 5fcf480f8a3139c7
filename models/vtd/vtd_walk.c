/* The VT-d hardware walk of second-stage tables for one request.
 *
 * VT-d spec rev. 5.10: section 3.7 (walk and page sizes), 3.7.1 (access
 * rights: R/W must be granted by every entry), 3.7.2 (A/D flags when SSADE
 * is 1), 6.2.5 (paging-structure caches: what they hold, the AND of R and W
 * down to the cached entry), 6.2.4 (the IOTLB entry: page frame, ANDed R/W,
 * and the dirty flag when SSADE=1), 9.8 (SNP: snooping forced by the leaf
 * when ECAP_REG.SC=1).
 *
 * The walk starts from the PASID-cache copy of the domain's PASID-table
 * entry, never from memory: a changed entry takes effect after a PASID-cache
 * invalidation only. The IOTLB is the engine's; this walker neither looks it
 * up nor fills it.
 */
#include "models/common/pte_rmw.h"
#include "models/common/walk_prefetch.h"
#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"

/* One walk in progress. */
struct walk_state {
	struct ims_sim *sim;
	uint16_t did;
	uint64_t iova;
	bool ssade;
	uint64_t cycles;
	unsigned perm;           /* IMS_TLB_R/W granted by every entry so far */
};

static unsigned pte_perm(uint64_t pte)
{
	return ((pte & VTD_SLPTE_R) ? IMS_TLB_R : 0u) | ((pte & VTD_SLPTE_W) ? IMS_TLB_W : 0u);
}

/* Atomically set `bits` in the entry at pa, which was read as *pte: a locked
 * read-modify-write, retried if the entry changed since (section 3.7.2:
 * "atomically sets"). Counted and timed as one A/D update. */
static void set_ad(struct walk_state *w, uint64_t pa, uint64_t *pte, uint64_t bits)
{
	*pte = ims_walk_set_ad_bits(w->sim, pa, *pte, bits, VTD_SLPTE_A, VTD_SLPTE_D, &w->cycles);
}

/* Deepest paging-structure cache hit for the IOVA. Hardware looks its
 * caches up together; the deepest hit saves the most reads (section
 * 6.2.5.5: an entry holds the AND of R/W down to the cached entry). Counted
 * once per walk: a hit at the deepest level found, or a miss. Returns the
 * level of the table the walk continues at. */
static unsigned psc_start(struct walk_state *w, unsigned top, uint64_t *table_pa)
{
	struct ims_sim *sim = w->sim;

	for (unsigned l = 1; l <= top; l++) {
		struct ims_psc_entry *e = ims_psc_lookup(&sim->psc, l, w->did, w->iova);

		if (!e) {
			sim->stats.v[IMS_STAT_psc_miss_l1 + l - 1]++;
			continue;
		}
		IMS_STAT_INC(&sim->stats, psc_hit);
		sim->stats.v[IMS_STAT_psc_hit_l1 + l - 1]++;
		w->cycles += sim->costs.psc_hit_ns;
		w->perm = e->perm;
		*table_pa = e->table_pa;
		return l - 1;
	}
	IMS_STAT_INC(&sim->stats, psc_miss);
	return top;
}

/* What an IOTLB entry made from this leaf holds: the R/W granted down the
 * walk, D only when SSADE=1 (section 6.2.4; otherwise a cached write needs
 * no memory update), and SNP, a leaf property cached with the translation. */
static unsigned leaf_tlb_flags(const struct ims_sim *sim, unsigned perm, bool ssade, uint64_t pte)
{
	return perm | ((!ssade || (pte & VTD_SLPTE_D)) ? IMS_TLB_DIRTY : 0u) |
	       (vtd_pte_snoops(pte, sim->params.vtd_sc) ? IMS_TLB_SNOOP : 0u);
}

static void fault(struct ims_walk *out, enum ims_fault kind, unsigned level, uint64_t pte_pa)
{
	out->fault = kind;
	out->fault_level = (uint8_t)level;
	out->fault_pte_pa = pte_pa;
}

void vtd_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom, uint64_t iova,
	      enum ims_access access, struct ims_walk *out)
{
	const struct vtd_pasid_entry *pc = &vtd_dom(dom)->pc;
	unsigned levels = vtd_pasid_levels(pc);
	unsigned need = access == IMS_ACCESS_WRITE ? IMS_TLB_W : IMS_TLB_R;
	struct walk_state w = {
		.sim = sim, .did = vtd_pasid_did(pc), .iova = iova,
		.ssade = vtd_pasid_ssade(pc), .cycles = 0, .perm = IMS_TLB_R | IMS_TLB_W,
	};
	uint64_t table_pa = vtd_pasid_ssptptr(pc), pte_pa, pte;
	unsigned level;

	(void)dev;   /* the PASID entry is kept per domain: every device shares it */
	IMS_STAT_INC(&sim->stats, walks);
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	/* input beyond the AGAW the AW field selects is a translation fault
	 * (section 9.6, AW) */
	if (iova >> vtd_width_for_levels(levels)) {
		fault(out, IMS_FAULT_ADDR, levels - 1, 0);
		return;
	}
	level = psc_start(&w, levels - 1, &table_pa);
	if (!(w.perm & need)) {
		/* a cached upper entry already denies it; no entry read */
		fault(out, IMS_FAULT_PERM, level + 1, 0);
		out->cycles = w.cycles;
		return;
	}
	for (;;) {
		pte_pa = table_pa + (uint64_t)vtd_pte_index(iova, level) * 8;
		pte = ims_walk_read(sim, pte_pa, &w.cycles);
		if (!vtd_pte_present(pte)) {
			fault(out, IMS_FAULT_NOT_PRESENT, level, pte_pa);
			break;
		}
		w.perm &= pte_perm(pte);
		if (!(w.perm & need)) {
			fault(out, IMS_FAULT_PERM, level, pte_pa);
			break;
		}
		/* section 3.7.2: A is set in every entry used, the leaf's
		 * together with D for a write in one atomic update */
		if (vtd_pte_is_leaf(pte, level)) {
			uint64_t want = w.ssade ? VTD_SLPTE_A |
				(access == IMS_ACCESS_WRITE ? VTD_SLPTE_D : 0) : 0;

			if ((pte & want) != want)
				set_ad(&w, pte_pa, &pte, want);
			out->pa = vtd_pte_page_base(pte, level);
			out->page_lg2 = (uint8_t)vtd_level_shift(level);
			ims_walk_prefetch_target(sim, iova, out);
			out->tlb_flags = (uint8_t)leaf_tlb_flags(sim, w.perm, w.ssade, pte);
			break;
		}
		if (w.ssade && !(pte & VTD_SLPTE_A))
			set_ad(&w, pte_pa, &pte, VTD_SLPTE_A);
		/* the table is valid up to here: cache the entry (section
		 * 6.2.5.5: only results of successful partial walks) */
		ims_psc_fill(&sim->psc, level, w.did, iova, vtd_pte_addr(pte), level - 1, w.perm);
		table_pa = vtd_pte_addr(pte);
		level--;
	}
	out->cycles = w.cycles;
}

/* model.h, prefetch_walk: from the deepest paging-structure cache entry
 * for iova (looked at, not used: no LRU update), else from the top, the
 * reads of vtd_probe down to the leaf table, whose entry is prefetched
 * instead of read. A cached entry a pending invalidation will drop can only
 * make it prefetch a useless line. */
void vtd_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		       uint64_t iova)
{
	const struct vtd_pasid_entry *pc = &vtd_dom(dom)->pc;
	unsigned top = vtd_pasid_levels(pc) - 1, level = top;
	uint64_t table_pa = vtd_pasid_ssptptr(pc);

	(void)dev;
	if (iova >> vtd_width_for_levels(top + 1))
		return;
	ims_psc_peek_deepest(&sim->psc, top, vtd_pasid_did(pc), iova, &table_pa, &level);
	for (; level > 0; level--) {
		uint64_t pte = ims_mem_load64(&sim->mem,
					      table_pa + (uint64_t)vtd_pte_index(iova, level) * 8);

		if (!vtd_pte_present(pte) || vtd_pte_is_leaf(pte, level))
			return;
		table_pa = vtd_pte_addr(pte);
	}
	ims_mem_prefetch(&sim->mem, table_pa + (uint64_t)vtd_pte_index(iova, 0) * 8);
}

/* model.h, probe: the walk above from the PASID-cache copy, without the
 * paging-structure caches, A/D updates or timing. A permission the walk
 * would fault on is simply absent from tlb_flags. */
void vtd_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
	       uint64_t iova, struct ims_walk *out)
{
	const struct vtd_pasid_entry *pc = &vtd_dom(dom)->pc;
	unsigned level = vtd_pasid_levels(pc) - 1, perm = IMS_TLB_R | IMS_TLB_W;
	uint64_t table_pa = vtd_pasid_ssptptr(pc);

	(void)dev;
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	if (iova >> vtd_width_for_levels(level + 1)) {
		fault(out, IMS_FAULT_ADDR, level, 0);
		return;
	}
	for (;;) {
		uint64_t pte_pa = table_pa + (uint64_t)vtd_pte_index(iova, level) * 8;
		uint64_t pte = ims_mem_load64(&sim->mem, pte_pa);

		if (!vtd_pte_present(pte)) {
			fault(out, IMS_FAULT_NOT_PRESENT, level, pte_pa);
			return;
		}
		perm &= pte_perm(pte);
		if (vtd_pte_is_leaf(pte, level)) {
			out->pa = vtd_pte_page_base(pte, level);
			out->page_lg2 = (uint8_t)vtd_level_shift(level);
			out->tlb_flags = (uint8_t)leaf_tlb_flags(sim, perm, vtd_pasid_ssade(pc), pte);
			return;
		}
		table_pa = vtd_pte_addr(pte);
		level--;
	}
}
