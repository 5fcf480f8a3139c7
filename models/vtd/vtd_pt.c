/* Host page-table software for VT-d second-stage tables: what the Linux
 * intel-iommu driver (or generic_pt's vtdss format) does on map, unmap and
 * read_and_clear_dirty, and a write-protect of a range. Every PTE store
 * goes to simulated memory, where the hardware walker (vtd_walk.c) reads
 * it; CPU time is charged per PTE.
 *
 * Range operations descend table by table over the part of each table that
 * intersects the range, so the cost of a scan is the number of entries it
 * reads, never a walk from the root per page.
 */
#include <inttypes.h>

#include "models/common/pte_rmw.h"
#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"

/* Host pointer to a page-table frame; tables always have storage. */
static uint64_t *table_frame(const struct ims_sim *sim, uint64_t table_pa)
{
	uint64_t *t = ims_mem_frame(&sim->mem, table_pa);

	if (!t)
		IMS_BUG("page-table frame without storage");
	return t;
}

static const char *size_name(unsigned lg2)
{
	switch (lg2) {
	case 12:
		return "4 KiB";
	case 21:
		return "2 MiB";
	case 30:
		return "1 GiB";
	default:
		return "large";
	}
}

/* Indexes [*i0, *i1] of the table at `level` mapping from `base` that
 * intersect [start, last] (which must intersect the table). */
static void table_span(uint64_t base, unsigned level, uint64_t start, uint64_t last,
		       unsigned *i0, unsigned *i1)
{
	unsigned shift = vtd_level_shift(level);
	uint64_t table_last = base + ((UINT64_C(1) << (shift + VTD_TABLE_LG2)) - 1);

	*i0 = start > base ? (unsigned)((start - base) >> shift) : 0;
	*i1 = last < table_last ? (unsigned)((last - base) >> shift) : VTD_TABLE_ENTRIES - 1;
}

/* Free a table and every table below it; returns the present leaves it held
 * plus the table entries pointing below it: the PTE clears a driver freeing
 * it performs (Linux: dma_pte_clear_range, then dma_pte_free_pagetable).
 * *max_lg2 grows to the largest leaf seen. */
static uint64_t drop_subtree(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
			     unsigned level, unsigned *max_lg2)
{
	const uint64_t *t = table_frame(sim, table_pa);
	uint64_t n = 0;

	for (unsigned i = 0; i < VTD_TABLE_ENTRIES; i++) {
		uint64_t pte = t[i];

		if (!vtd_pte_present(pte))
			continue;
		if (vtd_pte_is_leaf(pte, level)) {
			if (vtd_level_shift(level) > *max_lg2)
				*max_lg2 = vtd_level_shift(level);
		} else {
			n += drop_subtree(sim, dom, vtd_pte_addr(pte), level - 1, max_lg2);
		}
		n++;
	}
	ims_host_free_table(sim, dom, table_pa);
	return n;
}

void vtd_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
		     unsigned level)
{
	unsigned max_lg2 = 0;

	drop_subtree(sim, dom, table_pa, level, &max_lg2);
}

/* True if any leaf is present in the table or below it. */
static bool subtree_has_leaf(struct ims_sim *sim, uint64_t table_pa, unsigned level,
			     uint64_t *reads)
{
	const uint64_t *t = table_frame(sim, table_pa);

	for (unsigned i = 0; i < VTD_TABLE_ENTRIES; i++) {
		uint64_t pte = t[i];

		++*reads;
		if (!vtd_pte_present(pte))
			continue;
		if (vtd_pte_is_leaf(pte, level) ||
		    subtree_has_leaf(sim, vtd_pte_addr(pte), level - 1, reads))
			return true;
	}
	return false;
}

/* ---- map --------------------------------------------------------------- */

static int map_check(struct ims_sim *sim, const struct vtd_domain *vd, uint64_t iova,
		     uint64_t pa, unsigned page_lg2, unsigned prot, struct ims_error *err)
{
	if (page_lg2 >= 64 || !(sim->model->pgsize_bitmap(sim) & (UINT64_C(1) << page_lg2)))
		return ims_error_set(err, IMS_EINVAL,
				     "map: page size 2^%u is not supported (CAP_REG.SSLPS)",
				     page_lg2);
	if (!ims_is_aligned(iova | pa, page_lg2))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is not aligned to its %s page", iova, pa,
				     size_name(page_lg2));
	if ((iova >> vtd_width_for_levels(vd->levels)) ||
	    ((pa + (UINT64_C(1) << page_lg2) - 1) >> IMS_PA_BITS))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is beyond the address width", iova, pa);
	if (!(prot & (IMS_PROT_READ | IMS_PROT_WRITE)))
		return ims_error_set(err, IMS_EINVAL,
				     "map: VT-d has no present bit, a mapping needs R or W");
	return 0;
}

/* A large leaf goes where an earlier unmap left an empty table (it frees
 * only tables wholly inside the unmapped range). Like Linux's
 * switch_to_super_page: free the old tables, and since the paging-structure
 * caches may still point at them, flush the range with IH=0 (done by the
 * caller after the leaf is written). */
static int drop_empty_table(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
			    unsigned level, uint64_t iova, struct ims_error *err)
{
	uint64_t reads = 0;
	bool busy = subtree_has_leaf(sim, table_pa, level, &reads);

	ims_host_charge(sim, IMS_STAT_cyc_sw_map, reads * sim->costs.sw_pte_read_cycles);
	if (busy)
		return ims_error_set(err, IMS_EEXIST,
				     "map: a page below 0x%" PRIx64 " is already mapped", iova);
	vtd_free_tables(sim, dom, table_pa, level);
	return 0;
}

int vtd_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		 unsigned page_lg2, unsigned prot, struct ims_error *err)
{
	struct vtd_domain *vd = vtd_dom(dom);
	uint64_t table = vd->root_pa, pte_pa, pte;
	unsigned leaf, level;
	bool flush = false;
	int rc;

	if ((rc = map_check(sim, vd, iova, pa, page_lg2, prot, err)))
		return rc;
	/* Without snoop control (ECAP_REG.SC=0, section 11.4.3) SNP is
	 * reserved and must stay 0: the mapping is made, non-snooped. A host
	 * that needs coherency checks can_enforce_coherency first. */
	if (!sim->params.vtd_sc)
		prot &= ~IMS_PROT_CACHE;
	leaf = (page_lg2 - IMS_PAGE_LG2) / VTD_TABLE_LG2;
	for (level = vd->levels - 1; level > leaf; level--) {
		pte_pa = table + (uint64_t)vtd_pte_index(iova, level) * 8;
		pte = ims_mem_load64(&sim->mem, pte_pa);
		if (!vtd_pte_present(pte)) {
			uint64_t t = ims_host_alloc_table(sim, dom);

			if (!t)
				return ims_error_set(err, IMS_ENOMEM,
						     "map: out of page-table memory");
			ims_host_charge(sim, IMS_STAT_cyc_sw_map, sim->costs.sw_pt_alloc_cycles +
					sim->costs.sw_pte_write_cycles);
			ims_host_store(sim, pte_pa, vtd_mk_table(t));
			table = t;
			continue;
		}
		if (vtd_pte_is_leaf(pte, level))
			return ims_error_set(err, IMS_EEXIST,
					     "map: 0x%" PRIx64 " is already mapped by a %s page",
					     iova, size_name(vtd_level_shift(level)));
		table = vtd_pte_addr(pte);
	}
	pte_pa = table + (uint64_t)vtd_pte_index(iova, leaf) * 8;
	pte = ims_mem_load64(&sim->mem, pte_pa);
	if (vtd_pte_present(pte)) {
		if (vtd_pte_is_leaf(pte, leaf))
			return ims_error_set(err, IMS_EEXIST,
					     "map: 0x%" PRIx64 " is already mapped", iova);
		if ((rc = drop_empty_table(sim, dom, vtd_pte_addr(pte), leaf - 1, iova, err)))
			return rc;
		flush = true;
	}
	ims_host_store(sim, pte_pa, vtd_mk_leaf(pa, leaf, prot));
	ims_host_charge(sim, IMS_STAT_cyc_sw_map, sim->costs.sw_pte_write_cycles);
	sim->stats.v[leaf == 0 ? IMS_STAT_map_pages_4k :
		     leaf == 1 ? IMS_STAT_map_pages_2m : IMS_STAT_map_pages_1g]++;
	if (flush)
		vtd_flush_range(sim, dom, iova, iova + (UINT64_C(1) << page_lg2) - 1, false);
	return 0;
}

/* ---- unmap --------------------------------------------------------------- */

struct range_op;

/* What leaf_walk does at each present leaf (entry pte at pte_pa, mapping
 * [first, first + 2^shift)). */
typedef void (*leaf_fn)(const struct range_op *op, uint64_t pte_pa, uint64_t pte,
			uint64_t first, unsigned shift);

struct range_op {
	struct ims_sim *sim;
	struct ims_domain *dom;
	const char *what;              /* the operation, for messages */
	uint64_t start, last;          /* inclusive */
	struct ims_gather *gather;
	unsigned flags;                /* read_dirty flags */
	struct ims_dirty_bitmap *bm;
	bool wrprotect;                /* checking for write_protect */
	leaf_fn leaf;                  /* leaf_walk's action */
	bool dirty_scan;               /* leaf_walk counts dirty_ptes_scanned */
};

/* Before anything changes (unmap, write_protect): every page of the range
 * must be mapped, and no leaf may stick out of it (a leaf cannot be split).
 * write_protect also refuses a write-only leaf: without a present bit
 * (section 3.7) clearing its W would make it not present, and keeping it
 * present would need an R it was never granted. */
static int unmap_check(const struct range_op *op, uint64_t table_pa, unsigned level,
		       uint64_t base, struct ims_error *err)
{
	const uint64_t *t = table_frame(op->sim, table_pa);
	unsigned shift = vtd_level_shift(level), i0, i1;
	int rc;

	table_span(base, level, op->start, op->last, &i0, &i1);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte = t[i];
		uint64_t first = base + ((uint64_t)i << shift);
		uint64_t last = first + ((UINT64_C(1) << shift) - 1);

		if (!vtd_pte_present(pte))
			return ims_error_set(err, IMS_ENOMAP,
				"%s of [0x%" PRIx64 ", 0x%" PRIx64 "]: 0x%" PRIx64
				" is not mapped", op->what, op->start, op->last,
				first > op->start ? first : op->start);
		if (vtd_pte_is_leaf(pte, level)) {
			if (first < op->start || last > op->last)
				return ims_error_set(err, IMS_EINVAL,
					"%s of [0x%" PRIx64 ", 0x%" PRIx64 "] would split a %s"
					" page at 0x%" PRIx64, op->what, op->start, op->last,
					size_name(shift), first);
			if (op->wrprotect && (pte & VTD_SLPTE_PERM) == VTD_SLPTE_W)
				return ims_error_set(err, IMS_EINVAL,
					"write_protect of [0x%" PRIx64 ", 0x%" PRIx64 "]: the"
					" write-only %s page at 0x%" PRIx64 " would become not"
					" present (no present bit)", op->start, op->last,
					size_name(shift), first);
			continue;
		}
		if ((rc = unmap_check(op, vtd_pte_addr(pte), level - 1, first, err)))
			return rc;
	}
	return 0;
}

static void unmap_clear(const struct range_op *op, uint64_t table_pa, unsigned level,
			uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = vtd_level_shift(level), i0, i1;
	uint64_t writes = 0;

	table_span(base, level, op->start, op->last, &i0, &i1);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte = t[i];
		uint64_t first = base + ((uint64_t)i << shift);
		uint64_t last = first + ((UINT64_C(1) << shift) - 1);
		unsigned max_lg2 = 0;

		if (!vtd_pte_present(pte))
			continue;
		if (vtd_pte_is_leaf(pte, level)) {
			ims_host_store(sim, table_pa + 8 * i, 0);
			writes++;
			ims_gather_add(op->gather, first, UINT64_C(1) << shift, shift);
			continue;
		}
		if (first < op->start || last > op->last) {
			unmap_clear(op, vtd_pte_addr(pte), level - 1, first);
			continue;
		}
		/* the range covers the whole table: its leaves go, and so does
		 * the table, so the paging-structure caches must be flushed */
		writes += drop_subtree(sim, op->dom, vtd_pte_addr(pte), level - 1, &max_lg2);
		ims_host_store(sim, table_pa + 8 * i, 0);
		writes++;
		ims_gather_add(op->gather, first, UINT64_C(1) << shift, max_lg2);
		op->gather->tables_freed = true;
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_unmap, writes * sim->costs.sw_pte_write_cycles);
}

int vtd_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
	      struct ims_gather *gather, struct ims_error *err)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "unmap", .start = iova,
			       .last = iova + len - 1, .gather = gather };
	unsigned top = vd->levels - 1;
	int rc;

	if (!len || op.last < iova || (op.last >> vtd_width_for_levels(vd->levels)))
		return ims_error_set(err, IMS_EINVAL,
				     "unmap: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or beyond"
				     " the address width", iova, len);
	if ((rc = unmap_check(&op, vd->root_pa, top, 0, err)))
		return rc;
	unmap_clear(&op, vd->root_pa, top, 0);
	return 0;
}

/* ---- read and clear dirty ------------------------------------------------ */

/* Linux dma_sl_pte_test_and_clear_dirty: an atomic test-and-clear, so a D
 * the hardware sets meanwhile is never lost. */
static void clear_dirty(struct ims_sim *sim, uint64_t pte_pa, uint64_t pte)
{
	ims_host_pte_clear(sim, pte_pa, pte, VTD_SLPTE_D);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_clear_dirty_cycles);
	IMS_STAT_INC(&sim->stats, dirty_ptes_cleared);
}

static void dirty_leaf(const struct range_op *op, uint64_t pte_pa, uint64_t pte,
		       uint64_t first, unsigned shift)
{
	ims_dirty_leaf(op->sim, op->bm, first, UINT64_C(1) << shift, pte & VTD_SLPTE_D);
	/* IMS_DIRTY_NO_CLEAR is a plain read (Linux: test_bit) */
	if (!(pte & VTD_SLPTE_D) || (op->flags & IMS_DIRTY_NO_CLEAR))
		return;
	clear_dirty(op->sim, pte_pa, pte);
	/* the IOTLB may hold this leaf as dirty: it must be flushed */
	ims_gather_add(op->gather, first, UINT64_C(1) << shift, shift);
}

/* A clean leaf of a table of 4 KiB leaves: present, D clear. */
static bool clean_leaf(uint64_t pte, const void *ctx)
{
	(void)ctx;
	return vtd_pte_present(pte) && !(pte & VTD_SLPTE_D);
}

/* The software walk of read_dirty and write_protect: every entry of the
 * range read once, table by table (charged per table), op->leaf at each
 * present leaf. In read_dirty's tables of 4 KiB leaves, where a large scan
 * spends its time, a clean leaf is only collected, and the collection is
 * scored (ims_dirty_clean) before anything else: op->leaf charges time, and
 * DMA racing the walk runs there. */
static void leaf_walk(const struct range_op *op, uint64_t table_pa, unsigned level,
		      uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = vtd_level_shift(level), i0, i1;
	bool collect = op->leaf == dirty_leaf && level == VTD_LEVEL_PTE;
	struct ims_dirty_clean clean;
	uint64_t reads;

	table_span(base, level, op->start, op->last, &i0, &i1);
	reads = i1 - i0 + 1;
	ims_dirty_clean_init(&clean, base);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte, first;

		if (collect && (i = ims_dirty_clean_run(&clean, t, i, i1, clean_leaf, NULL)) > i1)
			break;
		ims_dirty_clean_flush(sim, op->bm, &clean);
		pte = t[i];
		first = base + ((uint64_t)i << shift);
		if (!vtd_pte_present(pte))
			continue;
		if (vtd_pte_is_leaf(pte, level))
			op->leaf(op, table_pa + 8 * i, pte, first, shift);
		else
			leaf_walk(op, vtd_pte_addr(pte), level - 1, first);
	}
	ims_dirty_clean_flush(sim, op->bm, &clean);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, reads * sim->costs.sw_pte_read_cycles);
	if (op->dirty_scan)
		IMS_STAT_ADD(&sim->stats, dirty_ptes_scanned, reads);
}

int vtd_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		   unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		   struct ims_error *err)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "read_dirty", .start = iova,
			       .last = iova + len - 1, .gather = gather, .flags = flags, .bm = bm,
			       .leaf = dirty_leaf, .dirty_scan = true };

	/* intel_iommu_read_and_clear_dirty: a bitmap needs tracking on; the
	 * NULL-bitmap "clear only" call is how tracking gets enabled clean */
	if (!dom->dirty_tracking && bm)
		return ims_error_set(err, IMS_EINVAL,
				     "read_dirty: dirty tracking is off in domain '%s'", dom->name);
	if (!len || op.last < iova || (op.last >> vtd_width_for_levels(vd->levels)))
		return ims_error_set(err, IMS_EINVAL,
				     "read_dirty: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or"
				     " beyond the address width", iova, len);
	leaf_walk(&op, vd->root_pa, vd->levels - 1, 0);
	return 0;
}

/* ---- write protect -------------------------------------------------------- */

/* Clear W with an atomic read-modify-write: the hardware may set A or D in
 * the leaf meanwhile (section 3.7.2), and a D it sets must survive for the
 * next dirty read. Charged as the PTE write it is, when it happens. */
static void clear_write(struct ims_sim *sim, uint64_t pte_pa, uint64_t pte)
{
	ims_host_pte_clear(sim, pte_pa, pte, VTD_SLPTE_W);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_write_cycles);
}

static void wp_leaf(const struct range_op *op, uint64_t pte_pa, uint64_t pte,
		    uint64_t first, unsigned shift)
{
	if (!(pte & VTD_SLPTE_W))
		return;
	clear_write(op->sim, pte_pa, pte);
	/* the IOTLB may hold the leaf writable: it must be flushed */
	ims_gather_add(op->gather, first, UINT64_C(1) << shift, shift);
}

int vtd_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		      struct ims_gather *gather, struct ims_error *err)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "write_protect", .start = iova,
			       .last = iova + len - 1, .gather = gather, .wrprotect = true,
			       .leaf = wp_leaf };
	unsigned top = vd->levels - 1;
	int rc;

	if (!len || op.last < iova || (op.last >> vtd_width_for_levels(vd->levels)))
		return ims_error_set(err, IMS_EINVAL,
				     "write_protect: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or"
				     " beyond the address width", iova, len);
	if ((rc = unmap_check(&op, vd->root_pa, top, 0, err)))
		return rc;
	leaf_walk(&op, vd->root_pa, top, 0);
	return 0;
}

/* ---- debug lookups (tests) ------------------------------------------------ */

int vtd_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		    unsigned level, uint64_t *pte_out, uint64_t *pte_pa_out)
{
	struct vtd_domain *vd = vtd_dom(dom);
	uint64_t table = vd->root_pa, pte_pa, pte;

	if (level >= vd->levels || (iova >> vtd_width_for_levels(vd->levels)))
		return -IMS_EINVAL;
	for (unsigned l = vd->levels - 1;; l--) {
		pte_pa = table + (uint64_t)vtd_pte_index(iova, l) * 8;
		pte = ims_mem_load64(&sim->mem, pte_pa);
		if (l == level) {
			if (pte_out)
				*pte_out = pte;
			if (pte_pa_out)
				*pte_pa_out = pte_pa;
			return 0;
		}
		if (vtd_pte_type(pte, l) != VTD_PTE_TABLE)
			return -IMS_ENOMAP;
		table = vtd_pte_addr(pte);
	}
}

int vtd_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		     uint64_t *pte_out, unsigned *level_out, uint64_t *pte_pa_out)
{
	struct vtd_domain *vd = vtd_dom(dom);

	if (iova >> vtd_width_for_levels(vd->levels))
		return -IMS_EINVAL;
	for (unsigned l = vd->levels; l-- > 0;) {
		uint64_t pte = 0, pte_pa = 0;   /* as in smmu_debug_lookup */
		enum vtd_pte_type type;

		vtd_debug_entry(sim, dom, iova, l, &pte, &pte_pa);
		type = vtd_pte_type(pte, l);
		if (type == VTD_PTE_TABLE)
			continue;
		if (pte_out)
			*pte_out = pte;
		if (level_out)
			*level_out = l;
		if (pte_pa_out)
			*pte_pa_out = pte_pa;
		return type == VTD_PTE_LEAF ? 0 : -IMS_ENOMAP;
	}
	return -IMS_ENOMAP;
}
