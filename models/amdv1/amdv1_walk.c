/* The AMD IOMMU hardware walk of host page tables for one request.
 *
 * AMD IOMMU spec 48882 rev. 3.x: section 2.2.2 (the DTE starts the walk:
 * Mode, root, IR/IW, DomainID, HAD), 2.2.3 (PDE/PTE formats, Next Level,
 * level skipping, Table 14 page-size encoding), 2.2.3.1 and 2.2.3.2 (A and D
 * updates under HAD), 2.2.7.4 (the atomic A/D update sequence); the PTE's FC
 * (force coherent) makes the translation snooped.
 *
 * The walk starts from the device table cache's copy of the requesting
 * device's DTE, never from memory: a changed DTE takes effect after an
 * INVALIDATE_DEVTAB_ENTRY only. The IOTLB is the engine's; this walker
 * neither looks it up nor fills it. The page directory cache (sim->psc) is
 * consulted deepest level first; each of its entries records the level of
 * the table it points to, so a cached skipping PDE skips here too.
 */
#include "models/common/pte_rmw.h"
#include "models/common/walk_prefetch.h"
#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"

/* One walk in progress. */
struct walk_state {
	struct ims_sim *sim;
	uint32_t did;
	uint64_t iova;
	bool ha, hd;             /* hardware sets A / D (DTE.HAD) */
	uint64_t cycles;
	unsigned perm;           /* IMS_TLB_R/W granted by the DTE and every entry so far */
	unsigned psc_level;      /* level of the page directory cache hit, 0 if none */
};

static unsigned pte_perm(uint64_t pte)
{
	return ((pte & AMDV1_PTE_IR) ? IMS_TLB_R : 0u) | ((pte & AMDV1_PTE_IW) ? IMS_TLB_W : 0u);
}

/* Atomically set `bits` in the entry at pa, which was read as *pte: the
 * section 2.2.7.4 sequence (re-read in the atomic operation, stop if no
 * update is needed any more, else write the new A/D) as a compare-exchange,
 * retried if software changed the entry since. Counted and timed as one A/D
 * update. */
static void set_ad(struct walk_state *w, uint64_t pa, uint64_t *pte, uint64_t bits)
{
	*pte = ims_walk_set_ad_bits(w->sim, pa, *pte, bits, AMDV1_PTE_A, AMDV1_PTE_D, &w->cycles);
}

/* A PDE at `level` pointing at a table of level `child` < level-1 skips the
 * levels in between; the IOVA bits they would index must be zero (section
 * 2.2.3), or the request faults. */
static bool skipped_bits_clear(uint64_t iova, unsigned level, unsigned child)
{
	uint64_t mask = ((UINT64_C(1) << amdv1_level_shift(level)) - 1) &
			~((UINT64_C(1) << amdv1_level_shift(child + 1)) - 1);

	return !(iova & mask);
}

static void fault(struct ims_walk *out, enum ims_fault kind, unsigned level, uint64_t pte_pa)
{
	out->fault = kind;
	out->fault_level = (uint8_t)level;
	out->fault_pte_pa = pte_pa;
}

/* Deepest page directory cache hit for the IOVA, counted once per walk as
 * VT-d's (a hit at the deepest level found, or a miss). Returns the level
 * of the table the walk continues at, or -1 after a fault: a cached
 * skipping PDE still requires the skipped IOVA bits to be zero. */
static int psc_start(struct walk_state *w, unsigned top, uint64_t *table_pa,
		     struct ims_walk *out)
{
	struct ims_sim *sim = w->sim;

	for (unsigned l = 1; l <= top; l++) {
		struct ims_psc_entry *e = ims_psc_lookup(&sim->psc, l, w->did, w->iova);

		if (!e) {
			if (l <= 4)
				sim->stats.v[IMS_STAT_psc_miss_l1 + l - 1]++;
			continue;
		}
		IMS_STAT_INC(&sim->stats, psc_hit);
		sim->stats.v[IMS_STAT_psc_hit_l1 + l - 1]++;
		w->cycles += sim->costs.psc_hit_ns;
		if (!skipped_bits_clear(w->iova, l, e->next_level)) {
			fault(out, IMS_FAULT_ADDR, l, 0);
			return -1;
		}
		w->perm = e->perm;
		w->psc_level = l;
		*table_pa = e->table_pa;
		return e->next_level;
	}
	IMS_STAT_INC(&sim->stats, psc_miss);
	return (int)top;
}

/* What an IOTLB entry made from this leaf holds: the R/W granted down the
 * walk, D unless hardware Dirty updates are on and the leaf is clean
 * (without them a cached write needs no memory update), and FC, cached with
 * the translation (every replica of an NL=7 page carries the same FC). */
static unsigned leaf_tlb_flags(unsigned perm, bool hd, uint64_t pte)
{
	return perm | ((!hd || (pte & AMDV1_PTE_D)) ? IMS_TLB_DIRTY : 0u) |
	       (amdv1_pte_snoops(pte) ? IMS_TLB_SNOOP : 0u);
}

/* The leaf: A (and D for a write) in one atomic update when HAD enables
 * them, then the translation. The IOTLB entry covers the whole page, NL=7
 * pages included; D was set in the one replica this walk used. */
static void leaf(struct walk_state *w, uint64_t pte_pa, uint64_t pte, unsigned level,
		 enum ims_access access, struct ims_walk *out)
{
	uint64_t want = (w->ha ? AMDV1_PTE_A : 0) |
			(w->hd && access == IMS_ACCESS_WRITE ? AMDV1_PTE_D : 0);

	if ((pte & want) != want)
		set_ad(w, pte_pa, &pte, want);
	out->pa = amdv1_leaf_base(pte, level);
	out->page_lg2 = (uint8_t)amdv1_leaf_size_lg2(pte, level);
	ims_walk_prefetch_target(w->sim, w->iova, out);
	out->tlb_flags = (uint8_t)leaf_tlb_flags(w->perm, w->hd, pte);
}

/* Checks of the DTE before any table read. Returns false after a fault;
 * faults on the DTE name its Mode as the level and its address. */
static bool dte_checks(struct walk_state *w, const struct amdv1_dte *dte, uint16_t sid,
		       unsigned need, struct ims_walk *out)
{
	unsigned mode = dte ? amdv1_dte_mode(dte) : 0;

	/* V=0 would pass requests untranslated and Mode 0 would translate
	 * nothing (Table 5); neither is set up by the host, so a walk through
	 * one is reported as a not-present translation. Mode 7 is reserved. */
	if (!dte || !(dte->qw[0] & AMDV1_DTE_V) || !(dte->qw[0] & AMDV1_DTE_TV) ||
	    mode == 0 || mode == 7) {
		fault(out, IMS_FAULT_NOT_PRESENT, mode, amdv1_dte_pa(sid));
		return false;
	}
	/* no sign extension: bits above the Mode's width must be zero */
	if (!amdv1_iova_fits(w->iova, mode)) {
		fault(out, IMS_FAULT_ADDR, mode - 1, 0);
		return false;
	}
	w->perm = ((dte->qw[0] & AMDV1_DTE_IR) ? IMS_TLB_R : 0u) |
		  ((dte->qw[0] & AMDV1_DTE_IW) ? IMS_TLB_W : 0u);
	if ((w->perm & need) != need) {
		fault(out, IMS_FAULT_PERM, mode, amdv1_dte_pa(sid));
		return false;
	}
	return true;
}

void amdv1_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		uint64_t iova, enum ims_access access, struct ims_walk *out)
{
	const struct amdv1_dte *dte = amdv1_dtc_lookup(sim, dev->sid);
	unsigned need = access == IMS_ACCESS_WRITE ? IMS_TLB_W : IMS_TLB_R;
	struct walk_state w = { .sim = sim, .iova = iova };
	uint64_t table_pa, pte_pa, pte;
	int start;
	unsigned level;

	(void)dom;   /* the DTE names the tables and the DomainID */
	IMS_STAT_INC(&sim->stats, walks);
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	if (!dte_checks(&w, dte, dev->sid, need, out))
		return;
	w.did = amdv1_dte_domid(dte);
	w.ha = amdv1_had_access(amdv1_dte_had(dte));
	w.hd = amdv1_had_dirty(amdv1_dte_had(dte));
	table_pa = amdv1_dte_root(dte);
	start = psc_start(&w, amdv1_dte_mode(dte) - 1, &table_pa, out);
	if (start < 0) {
		out->cycles = w.cycles;
		return;
	}
	level = (unsigned)start;
	if (!(w.perm & need)) {
		/* a cached upper entry already denies it; no entry read */
		fault(out, IMS_FAULT_PERM, w.psc_level, 0);
		out->cycles = w.cycles;
		return;
	}
	for (;;) {
		unsigned child;

		pte_pa = table_pa + (uint64_t)amdv1_pte_index(iova, level) * 8;
		pte = ims_walk_read(sim, pte_pa, &w.cycles);
		/* a malformed entry (reserved bits, bad Next Level or size)
		 * cannot be used either: reported as not present */
		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, level)) {
			fault(out, IMS_FAULT_NOT_PRESENT, level, pte_pa);
			break;
		}
		w.perm &= pte_perm(pte);
		if (!(w.perm & need)) {
			fault(out, IMS_FAULT_PERM, level, pte_pa);
			break;
		}
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			leaf(&w, pte_pa, pte, level, access, out);
			break;
		}
		child = amdv1_pde_child_level(pte);
		if (!skipped_bits_clear(iova, level, child)) {
			fault(out, IMS_FAULT_ADDR, level, pte_pa);
			break;
		}
		/* section 2.2.3.1: A is set in the page directory entries used */
		if (w.ha && !(pte & AMDV1_PTE_A))
			set_ad(&w, pte_pa, &pte, AMDV1_PTE_A);
		ims_psc_fill(&sim->psc, level, w.did, iova, amdv1_pte_addr(pte), child, w.perm);
		table_pa = amdv1_pte_addr(pte);
		level = child;
	}
	out->cycles = w.cycles;
}

/* model.h, probe: the walk above through dev's cached DTE, without the
 * page directory cache, A/D updates or timing. An NL=7 page's flags are the
 * union over its replicas: a walk uses the one its IOVA indexes and sets D
 * there only. */
/* model.h, prefetch_walk: from the deepest page-directory cache entry for
 * iova (peeked: no LRU update), else from the root, amdv1_probe's reads
 * down to the table of 4 KiB leaves, whose entry is prefetched instead of
 * read; it stops at a large leaf or a malformed entry. A cached entry a
 * pending invalidation will drop can only make it prefetch a useless line. */
void amdv1_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			 uint64_t iova)
{
	const struct amdv1_dte *dte = amdv1_dtc_lookup(sim, dev->sid);
	uint64_t table_pa;
	unsigned level, mode;

	(void)dom;
	mode = dte ? amdv1_dte_mode(dte) : 0;
	if (!dte || !(dte->qw[0] & AMDV1_DTE_V) || !(dte->qw[0] & AMDV1_DTE_TV) || mode == 0 ||
	    mode == 7 || !amdv1_iova_fits(iova, mode))
		return;
	table_pa = amdv1_dte_root(dte);
	level = mode - 1;
	ims_psc_peek_deepest(&sim->psc, mode - 1, amdv1_dte_domid(dte), iova, &table_pa, &level);
	while (level > 0) {
		uint64_t pte = ims_mem_load64(&sim->mem,
					      table_pa + (uint64_t)amdv1_pte_index(iova, level) * 8);

		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, level) ||
		    amdv1_pte_type(pte) == AMDV1_PTE_LEAF)
			return;
		table_pa = amdv1_pte_addr(pte);
		level = amdv1_pde_child_level(pte);
	}
	ims_mem_prefetch(&sim->mem, table_pa + (uint64_t)amdv1_pte_index(iova, 0) * 8);
}

void amdv1_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		 uint64_t iova, struct ims_walk *out)
{
	const struct amdv1_dte *dte = amdv1_dtc_lookup(sim, dev->sid);
	struct walk_state w = { .sim = sim, .iova = iova };
	uint64_t table_pa;
	unsigned level;

	(void)dom;
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	/* need = 0: a DTE without IR/IW is no fault here, only absent flags */
	if (!dte_checks(&w, dte, dev->sid, 0, out))
		return;
	w.hd = amdv1_had_dirty(amdv1_dte_had(dte));
	table_pa = amdv1_dte_root(dte);
	level = amdv1_dte_mode(dte) - 1;
	for (;;) {
		uint64_t pte_pa = table_pa + (uint64_t)amdv1_pte_index(iova, level) * 8;
		uint64_t pte = ims_mem_load64(&sim->mem, pte_pa);
		unsigned child;

		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, level)) {
			fault(out, IMS_FAULT_NOT_PRESENT, level, pte_pa);
			return;
		}
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			unsigned lg2 = amdv1_leaf_size_lg2(pte, level);
			unsigned n = 1u << (lg2 - amdv1_level_shift(level));
			unsigned first = amdv1_pte_index(iova, level) & ~(n - 1), flags = 0;

			for (unsigned i = 0; i < n; i++) {
				uint64_t r = ims_mem_load64(&sim->mem, table_pa + (first + i) * 8ull);

				if (amdv1_pte_present(r))
					flags |= leaf_tlb_flags(w.perm & pte_perm(r), w.hd, r);
			}
			out->pa = amdv1_leaf_base(pte, level);
			out->page_lg2 = (uint8_t)lg2;
			out->tlb_flags = (uint8_t)flags;
			return;
		}
		child = amdv1_pde_child_level(pte);
		if (!skipped_bits_clear(iova, level, child)) {
			fault(out, IMS_FAULT_ADDR, level, pte_pa);
			return;
		}
		w.perm &= pte_perm(pte);
		table_pa = amdv1_pte_addr(pte);
		level = child;
	}
}
