/* Host page-table software for SMMUv3 VMSAv8-64 tables, both stages: what
 * Linux io-pgtable-arm (or generic_pt's armv8 format) does on map, unmap
 * and read_and_clear_dirty, and a write-protect of a range. Every
 * descriptor store goes to simulated memory, where the walker (smmu_walk.c)
 * reads it; CPU time is charged per descriptor.
 *
 * Range operations descend table by table over the part of each table that
 * intersects the range, reading each descriptor once.
 */
#include <inttypes.h>

#include "models/common/pte_rmw.h"
#include "models/smmuv3/smmu_desc.h"
#include "models/smmuv3/smmu_model.h"

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
	case 16:
		return "64 KiB contiguous";
	case 21:
		return "2 MiB";
	case 25:
		return "32 MiB contiguous";
	case 30:
		return "1 GiB";
	default:
		return "large";
	}
}

/* The extent of the leaf at index i of a table at `level`: one entry, or
 * its aligned run of 16 when Contiguous (D8.7.1, Table D8-104). */
static unsigned leaf_lg2(uint64_t d, unsigned level)
{
	return smmu_level_shift(level) + ((d & SMMU_DESC_CONTIG) ? SMMU_CONTIG_LG2 : 0);
}

/* Indexes [*i0, *i1] of the table at `level` mapping from `base` that
 * intersect [start, last] (which must intersect the table). */
static void table_span(uint64_t base, unsigned level, uint64_t start, uint64_t last,
		       unsigned *i0, unsigned *i1)
{
	unsigned shift = smmu_level_shift(level);
	uint64_t table_last = base + ((UINT64_C(1) << (shift + SMMU_TABLE_LG2)) - 1);

	*i0 = start > base ? (unsigned)((start - base) >> shift) : 0;
	*i1 = last < table_last ? (unsigned)((last - base) >> shift) : SMMU_TABLE_ENTRIES - 1;
}

/* Free a table and every table below it; returns the valid descriptors it
 * held plus those below (the clears a driver freeing it performs).
 * min_lg2 and max_lg2 track the leaf sizes seen. */
static uint64_t drop_subtree(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
			     unsigned level, unsigned *min_lg2, unsigned *max_lg2)
{
	const uint64_t *t = table_frame(sim, table_pa);
	uint64_t n = 0;

	for (unsigned i = 0; i < SMMU_TABLE_ENTRIES; i++) {
		switch (smmu_desc_type(t[i], level)) {
		case SMMU_DESC_EMPTY:
			continue;
		case SMMU_DESC_LEAF:
			if (smmu_level_shift(level) < *min_lg2)
				*min_lg2 = smmu_level_shift(level);
			if (smmu_level_shift(level) > *max_lg2)
				*max_lg2 = smmu_level_shift(level);
			break;
		case SMMU_DESC_TABLE:
			n += drop_subtree(sim, dom, smmu_desc_oa(t[i]), level - 1, min_lg2, max_lg2);
			break;
		}
		n++;
	}
	ims_host_free_table(sim, dom, table_pa);
	return n;
}

void smmu_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
		      unsigned level)
{
	unsigned min_lg2 = 64, max_lg2 = 0;

	drop_subtree(sim, dom, table_pa, level, &min_lg2, &max_lg2);
}

static bool subtree_has_leaf(struct ims_sim *sim, uint64_t table_pa, unsigned level,
			     uint64_t *reads)
{
	const uint64_t *t = table_frame(sim, table_pa);

	for (unsigned i = 0; i < SMMU_TABLE_ENTRIES; i++) {
		enum smmu_desc_type type = smmu_desc_type(t[i], level);

		++*reads;
		if (type == SMMU_DESC_LEAF ||
		    (type == SMMU_DESC_TABLE &&
		     subtree_has_leaf(sim, smmu_desc_oa(t[i]), level - 1, reads)))
			return true;
	}
	return false;
}

/* ---- map ---------------------------------------------------------------- */

static int map_check(struct ims_sim *sim, uint64_t iova, uint64_t pa, unsigned page_lg2,
		     unsigned prot, struct ims_error *err)
{
	if (page_lg2 >= 64 || !(sim->model->pgsize_bitmap(sim) & (UINT64_C(1) << page_lg2)))
		return ims_error_set(err, IMS_EINVAL,
				     "map: page size 2^%u is not supported (4 KiB granule%s)",
				     page_lg2, sim->params.smmuv3_contig ? "" :
				     ", smmuv3_contig=0");
	if (!ims_is_aligned(iova | pa, page_lg2))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is not aligned to its %s page", iova, pa,
				     size_name(page_lg2));
	if ((iova >> SMMU_IA_BITS) || ((pa + (UINT64_C(1) << page_lg2) - 1) >> 48))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is beyond 48 bits (VMSAv8-64 with DS=0)", iova, pa);
	if (!(prot & (IMS_PROT_READ | IMS_PROT_WRITE)))
		return ims_error_set(err, IMS_EINVAL, "map: no access permitted (prot)");
	return 0;
}

/* A large leaf goes where an earlier unmap left an empty table: free it,
 * as Linux does, and invalidate the walk caches that may point at it (the
 * caller does, after the leaf is written). */
static int drop_empty_table(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
			    unsigned level, uint64_t iova, struct ims_error *err)
{
	uint64_t reads = 0;
	bool busy = subtree_has_leaf(sim, table_pa, level, &reads);

	ims_host_charge(sim, IMS_STAT_cyc_sw_map, reads * sim->costs.sw_pte_read_cycles);
	if (busy)
		return ims_error_set(err, IMS_EEXIST,
				     "map: a page below 0x%" PRIx64 " is already mapped", iova);
	smmu_free_tables(sim, dom, table_pa, level);
	return 0;
}

/* The table at `leaf` level for iova, allocating the missing ones. */
static int walk_alloc(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		      unsigned leaf, uint64_t *table_out, struct ims_error *err)
{
	const struct smmu_domain *sd = smmu_dom(dom);
	uint64_t table = sd->root_pa;

	for (unsigned level = SMMU_TOP_LEVEL; level > leaf; level--) {
		uint64_t pa = table + (uint64_t)smmu_desc_index(iova, level) * 8;
		uint64_t d = ims_mem_load64(&sim->mem, pa);

		switch (smmu_desc_type(d, level)) {
		case SMMU_DESC_EMPTY: {
			uint64_t t = ims_host_alloc_table(sim, dom);

			if (!t)
				return ims_error_set(err, IMS_ENOMEM,
						     "map: out of page-table memory");
			ims_host_charge(sim, IMS_STAT_cyc_sw_map, sim->costs.sw_pt_alloc_cycles +
					sim->costs.sw_pte_write_cycles);
			ims_host_store(sim, pa, smmu_mk_table(t));
			table = t;
			break;
		}
		case SMMU_DESC_LEAF:
			return ims_error_set(err, IMS_EEXIST,
					     "map: 0x%" PRIx64 " is already mapped by a %s page",
					     iova, size_name(leaf_lg2(d, level)));
		case SMMU_DESC_TABLE:
			table = smmu_desc_oa(d);
			break;
		}
	}
	*table_out = table;
	return 0;
}

/* Check the n slots a leaf (or contiguous run) needs, freeing empty tables
 * left behind; *flush says one was freed. Nothing is written otherwise. */
static int claim_slots(struct ims_sim *sim, struct ims_domain *dom, uint64_t table,
		       uint64_t iova, unsigned leaf, unsigned n, bool *flush,
		       struct ims_error *err)
{
	const uint64_t *t = table_frame(sim, table);
	unsigned i0 = smmu_desc_index(iova, leaf);
	int rc;

	for (unsigned i = i0; i < i0 + n; i++)
		if (smmu_desc_type(t[i], leaf) == SMMU_DESC_LEAF)
			return ims_error_set(err, IMS_EEXIST,
					     "map: 0x%" PRIx64 " is already mapped",
					     iova + ((uint64_t)(i - i0) << smmu_level_shift(leaf)));
	for (unsigned i = i0; i < i0 + n; i++) {
		if (smmu_desc_type(t[i], leaf) != SMMU_DESC_TABLE)
			continue;
		if ((rc = drop_empty_table(sim, dom, smmu_desc_oa(t[i]), leaf - 1, iova, err)))
			return rc;
		*flush = true;
	}
	return 0;
}

/* Writable leaves carry DBM (created writable-dirty, smmu_desc.h) whenever
 * the SMMU updates dirty state (SMMU_IDR0.HTTU=0b10), as Linux sets
 * IO_PGTABLE_QUIRK_ARM_HD for a dirty-tracking capable domain. With
 * smmuv3_dbm_at_map=0 they get DBM only while tracking is on, and are then
 * born writable-clean (the driver knows tracking is on, and a new leaf has
 * no TLB entry to go stale); otherwise plain writable, which HTTU never
 * updates. A 64 KiB or 32 MiB page is a run of 16 descriptors with
 * Contiguous set. */
int smmu_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		  unsigned page_lg2, unsigned prot, struct ims_error *err)
{
	struct smmu_domain *sd = smmu_dom(dom);
	unsigned leaf = smmu_level_of_lg2(page_lg2);
	bool contig = page_lg2 != smmu_level_shift(leaf);
	unsigned n = contig ? SMMU_CONTIG_ENTRIES : 1;
	bool dbm = sim->params.smmuv3_httu >= 2 &&
		   (sim->params.smmuv3_dbm_at_map || dom->dirty_tracking), flush = false;
	bool born_clean = dbm && !sim->params.smmuv3_dbm_at_map;
	uint64_t table = 0;
	int rc;

	if ((rc = map_check(sim, iova, pa, page_lg2, prot, err)) ||
	    (rc = walk_alloc(sim, dom, iova, leaf, &table, err)) ||
	    (rc = claim_slots(sim, dom, table, iova, leaf, n, &flush, err)))
		return rc;
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = (uint64_t)i << smmu_level_shift(leaf);

		uint64_t d = smmu_mk_leaf(sd->st, pa + off, leaf, prot, dbm, contig);

		if (born_clean && smmu_desc_write_dirty(sd->st, d))
			d = smmu_desc_make_clean(sd->st, d);
		ims_host_store(sim, table + (uint64_t)(smmu_desc_index(iova, leaf) + i) * 8, d);
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_map, n * sim->costs.sw_pte_write_cycles);
	sim->stats.v[leaf == 0 ? IMS_STAT_map_pages_4k :
		     leaf == 1 ? IMS_STAT_map_pages_2m : IMS_STAT_map_pages_1g] += n;
	if (flush)
		smmu_flush_range(sim, dom, iova, iova + (UINT64_C(1) << page_lg2) - 1, false, 0);
	return 0;
}

/* ---- unmap ----------------------------------------------------------------- */

struct range_op;

/* What leaf_walk does at the leaf at index *i of the table at table_pa
 * (level, mapping from base), the walk covering indexes [i0, i1]. It may
 * advance *i past entries it handled (a contiguous run); returns the
 * entries it read outside [i0, i1]. */
typedef uint64_t (*leaf_fn)(const struct range_op *op, uint64_t table_pa, unsigned level,
			    uint64_t base, unsigned *i, unsigned i0, unsigned i1);

struct range_op {
	struct ims_sim *sim;
	struct ims_domain *dom;        /* whose page-table pages are freed */
	const char *what;              /* the operation, for messages */
	const struct smmu_stage *st;
	uint64_t start, last;          /* inclusive */
	struct ims_gather *gather;
	unsigned flags;                /* read_dirty flags */
	struct ims_dirty_bitmap *bm;
	leaf_fn leaf;                  /* leaf_walk's action */
	bool dirty_scan;               /* leaf_walk counts dirty_ptes_scanned */
};

/* Before anything changes (unmap, write_protect): every page of the range
 * must be mapped, and no leaf or contiguous run may stick out of it
 * (neither can be split). */
static int unmap_check(const struct range_op *op, uint64_t table_pa, unsigned level,
		       uint64_t base, struct ims_error *err)
{
	const uint64_t *t = table_frame(op->sim, table_pa);
	unsigned shift = smmu_level_shift(level), i0, i1;
	int rc;

	table_span(base, level, op->start, op->last, &i0, &i1);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t first = base + ((uint64_t)i << shift), ext_first, ext_last;

		switch (smmu_desc_type(t[i], level)) {
		case SMMU_DESC_EMPTY:
			return ims_error_set(err, IMS_ENOMAP,
				"%s of [0x%" PRIx64 ", 0x%" PRIx64 "]: 0x%" PRIx64
				" is not mapped", op->what, op->start, op->last,
				first > op->start ? first : op->start);
		case SMMU_DESC_LEAF:
			ext_first = first & ~((UINT64_C(1) << leaf_lg2(t[i], level)) - 1);
			ext_last = ext_first + ((UINT64_C(1) << leaf_lg2(t[i], level)) - 1);
			if (ext_first < op->start || ext_last > op->last)
				return ims_error_set(err, IMS_EINVAL,
					"%s of [0x%" PRIx64 ", 0x%" PRIx64 "] would split a %s"
					" page at 0x%" PRIx64, op->what, op->start, op->last,
					size_name(leaf_lg2(t[i], level)), ext_first);
			break;
		case SMMU_DESC_TABLE:
			if ((rc = unmap_check(op, smmu_desc_oa(t[i]), level - 1, first, err)))
				return rc;
			break;
		}
	}
	return 0;
}

/* A table wholly inside the range goes with its subtree: its parent entry
 * is cleared and the walk caches must be invalidated too. */
static uint64_t unmap_table(const struct range_op *op, uint64_t table_pa, unsigned level,
			    unsigned i, uint64_t first)
{
	unsigned min_lg2 = 64, max_lg2 = 0;
	uint64_t writes = drop_subtree(op->sim, op->dom, smmu_desc_oa(table_frame(op->sim, table_pa)[i]),
				       level - 1, &min_lg2, &max_lg2);

	IMS_ASSERT(min_lg2 <= max_lg2, "unmap freed a table without leaves");
	ims_host_store(op->sim, table_pa + 8 * i, 0);
	ims_gather_add(op->gather, first, UINT64_C(1) << smmu_level_shift(level), max_lg2);
	ims_gather_note_size(op->gather, min_lg2);
	op->gather->tables_freed = true;
	return writes + 1;
}

static void unmap_clear(const struct range_op *op, uint64_t table_pa, unsigned level,
			uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = smmu_level_shift(level), i0, i1;
	uint64_t writes = 0;

	table_span(base, level, op->start, op->last, &i0, &i1);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t first = base + ((uint64_t)i << shift);
		uint64_t last = first + ((UINT64_C(1) << shift) - 1);

		switch (smmu_desc_type(t[i], level)) {
		case SMMU_DESC_EMPTY:
			break;
		case SMMU_DESC_LEAF:
			/* a contiguous run is cleared entry by entry, and
			 * invalidated granule by granule (D8.17.6) */
			ims_host_store(sim, table_pa + 8 * i, 0);
			writes++;
			ims_gather_add(op->gather, first, UINT64_C(1) << shift, shift);
			break;
		case SMMU_DESC_TABLE:
			if (first < op->start || last > op->last)
				unmap_clear(op, smmu_desc_oa(t[i]), level - 1, first);
			else
				writes += unmap_table(op, table_pa, level, i, first);
			break;
		}
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_unmap, writes * sim->costs.sw_pte_write_cycles);
}

static int check_span(const char *op, uint64_t iova, uint64_t len, struct ims_error *err)
{
	uint64_t last = iova + len - 1;

	if (!len || last < iova || (last >> SMMU_IA_BITS))
		return ims_error_set(err, IMS_EINVAL,
				     "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or beyond"
				     " 48 bits", op, iova, len);
	return 0;
}

int smmu_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
	       struct ims_gather *gather, struct ims_error *err)
{
	struct smmu_domain *sd = smmu_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "unmap", .st = sd->st,
			       .start = iova, .last = iova + len - 1, .gather = gather };
	int rc;

	if ((rc = check_span("unmap", iova, len, err)) ||
	    (rc = unmap_check(&op, sd->root_pa, SMMU_TOP_LEVEL, 0, err)))
		return rc;
	unmap_clear(&op, sd->root_pa, SMMU_TOP_LEVEL, 0);
	return 0;
}

/* ---- read and clear dirty ---------------------------------------------------- */

/* Linux arm_lpae_read_and_clear_dirty clears with set_bit(AP[2]): an atomic
 * RMW, so an HTTU update racing with it is never lost. The descriptor goes
 * back to writable-clean, which is why a cached writable-dirty TLB entry
 * must be invalidated. A write-protected leaf loses its software dirty bit
 * instead (smmu_desc_clear_dirty). */
static uint64_t xform_clean(uint64_t d, const void *st)
{
	return smmu_desc_clear_dirty(st, d);
}

static uint64_t xform_write_protect(uint64_t d, const void *st)
{
	return smmu_desc_write_protect(st, d);
}

static uint64_t xform_dirty(uint64_t d, const void *st)
{
	return smmu_desc_make_dirty(st, d);
}

static void make_clean(const struct range_op *op, uint64_t pa, uint64_t d)
{
	struct ims_sim *sim = op->sim;

	ims_host_pte_update(sim, pa, d, xform_clean, op->st);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_clear_dirty_cycles);
	IMS_STAT_INC(&sim->stats, dirty_ptes_cleared);
}

/* A contiguous run starting at index r: the hardware updated only the
 * descriptor it walked, so software ORs the run and cleans all of it (D8.5.5
 * I NFFSV; generic_pt's armv8 format does the same). Returns the number of
 * descriptors read outside [i0, i1]. */
static uint64_t dirty_run(const struct range_op *op, uint64_t table_pa, unsigned level,
			  uint64_t base, unsigned r, unsigned i0, unsigned i1)
{
	const uint64_t *t = table_frame(op->sim, table_pa);
	unsigned shift = smmu_level_shift(level);
	uint64_t first = base + ((uint64_t)r << shift), outside = 0;
	bool dirty = false;

	for (unsigned i = r; i < r + SMMU_CONTIG_ENTRIES; i++) {
		dirty |= smmu_desc_sw_dirty(op->st, t[i]);
		outside += i < i0 || i > i1;
	}
	ims_dirty_leaf(op->sim, op->bm, first, UINT64_C(1) << (shift + SMMU_CONTIG_LG2), dirty);
	if (!dirty || (op->flags & IMS_DIRTY_NO_CLEAR))
		return outside;
	for (unsigned i = r; i < r + SMMU_CONTIG_ENTRIES; i++)
		if (smmu_desc_sw_dirty(op->st, t[i]))
			make_clean(op, table_pa + 8 * i, t[i]);
	/* invalidated granule by granule, like the unmap of a run */
	ims_gather_add(op->gather, first, UINT64_C(1) << (shift + SMMU_CONTIG_LG2), shift);
	return outside;
}

static void dirty_leaf(const struct range_op *op, uint64_t pa, uint64_t d, uint64_t first,
		       unsigned shift)
{
	bool dirty = smmu_desc_sw_dirty(op->st, d);

	ims_dirty_leaf(op->sim, op->bm, first, UINT64_C(1) << shift, dirty);
	/* IMS_DIRTY_NO_CLEAR is a plain read */
	if (!dirty || (op->flags & IMS_DIRTY_NO_CLEAR))
		return;
	make_clean(op, pa, d);
	ims_gather_add(op->gather, first, UINT64_C(1) << shift, shift);
}

/* read_dirty's leaf action: a contiguous run is read and cleaned as one. */
static uint64_t dirty_at(const struct range_op *op, uint64_t table_pa, unsigned level,
			 uint64_t base, unsigned *i, unsigned i0, unsigned i1)
{
	const uint64_t *t = table_frame(op->sim, table_pa);
	unsigned shift = smmu_level_shift(level);

	if (t[*i] & SMMU_DESC_CONTIG) {
		unsigned r = *i & ~(SMMU_CONTIG_ENTRIES - 1);

		*i = r + SMMU_CONTIG_ENTRIES - 1;
		return dirty_run(op, table_pa, level, base, r, i0, i1);
	}
	dirty_leaf(op, table_pa + 8 * *i, t[*i], base + ((uint64_t)*i << shift), shift);
	return 0;
}

/* A clean page of a table of 4 KiB pages, outside any contiguous run
 * (dirty_run reads a run as one). ctx is the stage. */
static bool clean_page(uint64_t d, const void *st)
{
	return smmu_desc_type(d, 0) == SMMU_DESC_LEAF && !(d & SMMU_DESC_CONTIG) &&
	       !smmu_desc_sw_dirty(st, d);
}

/* The software walk of read_dirty and write_protect: every descriptor of
 * the range read once, table by table (charged per table), op->leaf at
 * each leaf. In read_dirty's tables of 4 KiB pages, where a large scan
 * spends its time, a clean page outside a contiguous run is only collected,
 * and the collection is scored (ims_dirty_clean) before anything else:
 * op->leaf charges time, and DMA racing the walk runs there. */
static void leaf_walk(const struct range_op *op, uint64_t table_pa, unsigned level,
		      uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = smmu_level_shift(level), i0, i1;
	bool collect = op->leaf == dirty_at && shift == IMS_PAGE_LG2;
	struct ims_dirty_clean clean;
	uint64_t reads;

	table_span(base, level, op->start, op->last, &i0, &i1);
	reads = i1 - i0 + 1;
	ims_dirty_clean_init(&clean, base);
	for (unsigned i = i0; i <= i1; i++) {
		if (collect && (i = ims_dirty_clean_run(&clean, t, i, i1, clean_page, op->st)) > i1)
			break;
		ims_dirty_clean_flush(sim, op->bm, &clean);
		switch (smmu_desc_type(t[i], level)) {
		case SMMU_DESC_EMPTY:
			break;
		case SMMU_DESC_TABLE:
			leaf_walk(op, smmu_desc_oa(t[i]), level - 1, base + ((uint64_t)i << shift));
			break;
		case SMMU_DESC_LEAF:
			reads += op->leaf(op, table_pa, level, base, &i, i0, i1);
			break;
		}
	}
	ims_dirty_clean_flush(sim, op->bm, &clean);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, reads * sim->costs.sw_pte_read_cycles);
	if (op->dirty_scan)
		IMS_STAT_ADD(&sim->stats, dirty_ptes_scanned, reads);
}

int smmu_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		    unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		    struct ims_error *err)
{
	struct smmu_domain *sd = smmu_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "read_dirty", .st = sd->st,
			       .start = iova, .last = iova + len - 1, .gather = gather,
			       .flags = flags, .bm = bm, .leaf = dirty_at, .dirty_scan = true };
	int rc;

	if (sim->params.smmuv3_httu < 2)
		return ims_error_set(err, IMS_ENOTSUP,
				     "read_dirty: the SMMU does not update dirty state "
				     "(smmuv3_httu=%u, SMMU_IDR0.HTTU)",
				     (unsigned)sim->params.smmuv3_httu);
	/* a bitmap needs tracking on; the NULL-bitmap "clear only" call is how
	 * tracking gets enabled clean */
	if (!dom->dirty_tracking && bm)
		return ims_error_set(err, IMS_EINVAL,
				     "read_dirty: dirty tracking is off in domain '%s'", dom->name);
	if ((rc = check_span("read_dirty", iova, len, err)))
		return rc;
	leaf_walk(&op, sd->root_pa, SMMU_TOP_LEVEL, 0);
	return 0;
}

/* ---- write protect --------------------------------------------------------------- */

/* Make a leaf write-protected (smmu_desc_write_protect) with an atomic
 * read-modify-write, so an HTTU update racing with it is never lost: a leaf
 * the SMMU makes writable-dirty meanwhile is seen as such and keeps that
 * state in the software bit. Charged as the descriptor write it is. */
static void write_protect_desc(const struct range_op *op, uint64_t pa, uint64_t d)
{
	struct ims_sim *sim = op->sim;

	ims_host_pte_update(sim, pa, d, xform_write_protect, op->st);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_write_cycles);
}

/* write_protect's leaf action, for every leaf that is not already. A
 * contiguous run lies wholly in the range (unmap_check): each of its 16
 * descriptors is changed, and invalidated granule by granule, as unmap does.
 * A leaf already write-protected is left alone and needs no invalidation. */
static uint64_t wp_at(const struct range_op *op, uint64_t table_pa, unsigned level,
		      uint64_t base, unsigned *i, unsigned i0, unsigned i1)
{
	uint64_t d = table_frame(op->sim, table_pa)[*i];
	unsigned shift = smmu_level_shift(level);

	(void)i0;
	(void)i1;
	if (smmu_desc_write_protect(op->st, d) == d)
		return 0;
	write_protect_desc(op, table_pa + 8 * *i, d);
	/* the TLB may hold it writable, or writable-clean with HD */
	ims_gather_add(op->gather, base + ((uint64_t)*i << shift), UINT64_C(1) << shift, shift);
	return 0;
}

int smmu_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		       struct ims_gather *gather, struct ims_error *err)
{
	struct smmu_domain *sd = smmu_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "write_protect", .st = sd->st,
			       .start = iova, .last = iova + len - 1, .gather = gather,
			       .leaf = wp_at };
	int rc;

	if ((rc = check_span("write_protect", iova, len, err)) ||
	    (rc = unmap_check(&op, sd->root_pa, SMMU_TOP_LEVEL, 0, err)))
		return rc;
	leaf_walk(&op, sd->root_pa, SMMU_TOP_LEVEL, 0);
	return 0;
}

/* ---- stage 2 tracking off ------------------------------------------------------ */

static uint64_t redirty_table(struct ims_sim *sim, const struct smmu_stage *st,
			      uint64_t table_pa, unsigned level, uint64_t *reads)
{
	const uint64_t *t = table_frame(sim, table_pa);
	uint64_t n = 0;

	*reads += SMMU_TABLE_ENTRIES;
	for (unsigned i = 0; i < SMMU_TABLE_ENTRIES; i++) {
		enum smmu_desc_type type = smmu_desc_type(t[i], level);

		if (type == SMMU_DESC_TABLE) {
			n += redirty_table(sim, st, smmu_desc_oa(t[i]), level - 1, reads);
		} else if (type == SMMU_DESC_LEAF && smmu_desc_write_clean(st, t[i])) {
			ims_host_pte_update(sim, table_pa + 8 * i, t[i], xform_dirty, st);
			n++;
		}
	}
	return n;
}

uint64_t smmu_redirty_all(struct ims_sim *sim, struct ims_domain *dom)
{
	struct smmu_domain *sd = smmu_dom(dom);
	uint64_t reads = 0, n = redirty_table(sim, sd->st, sd->root_pa, SMMU_TOP_LEVEL, &reads);

	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk,
			reads * sim->costs.sw_pte_read_cycles + n * sim->costs.sw_pte_write_cycles);
	IMS_STAT_ADD(&sim->stats, dirty_ptes_scanned, reads);
	return n;
}

/* ---- DBM switch (smmuv3_dbm_at_map=0) ------------------------------------------ */

/* On: a writable leaf gets DBM and loses write permission (writable-clean).
 * Off: a leaf with DBM (writable-clean or -dirty) loses DBM and gets write
 * permission back (plain writable). Write-protected leaves (no write
 * permission, no DBM) match neither and are left alone. */
static bool dbm_wants(const struct smmu_stage *st, uint64_t d, bool on)
{
	return on ? !(d & SMMU_DESC_DBM) && (smmu_desc_perm(st, d) & IMS_TLB_W)
		  : (d & SMMU_DESC_DBM) != 0;
}

static uint64_t xform_dbm_on(uint64_t d, const void *st)
{
	return dbm_wants(st, d, true) ? smmu_desc_make_clean(st, d) | SMMU_DESC_DBM : d;
}

static uint64_t xform_dbm_off(uint64_t d, const void *st)
{
	return dbm_wants(st, d, false) ? smmu_desc_make_dirty(st, d) & ~SMMU_DESC_DBM : d;
}

/* Every entry of every table is read; each leaf changed is one atomic RMW
 * (a contiguous run has all 16 entries changed, each on its own). */
static uint64_t dbm_table(struct ims_sim *sim, const struct smmu_stage *st, uint64_t table_pa,
			  unsigned level, bool on, uint64_t *reads)
{
	const uint64_t *t = table_frame(sim, table_pa);
	uint64_t n = 0;

	*reads += SMMU_TABLE_ENTRIES;
	for (unsigned i = 0; i < SMMU_TABLE_ENTRIES; i++) {
		enum smmu_desc_type type = smmu_desc_type(t[i], level);

		if (type == SMMU_DESC_TABLE) {
			n += dbm_table(sim, st, smmu_desc_oa(t[i]), level - 1, on, reads);
		} else if (type == SMMU_DESC_LEAF && dbm_wants(st, t[i], on)) {
			ims_host_pte_update(sim, table_pa + 8 * i, t[i],
					    on ? xform_dbm_on : xform_dbm_off, st);
			n++;
		}
	}
	return n;
}

uint64_t smmu_dbm_switch_all(struct ims_sim *sim, struct ims_domain *dom, bool on)
{
	struct smmu_domain *sd = smmu_dom(dom);
	uint64_t reads = 0, n = dbm_table(sim, sd->st, sd->root_pa, SMMU_TOP_LEVEL, on, &reads);

	ims_host_charge(sim, IMS_STAT_cyc_sw_other,
			reads * sim->costs.sw_pte_read_cycles + n * sim->costs.sw_pte_write_cycles);
	return n;
}

/* ---- debug lookups (tests) ------------------------------------------------------ */

int smmu_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, unsigned level,
		     uint64_t *desc_out, uint64_t *desc_pa_out)
{
	uint64_t table = smmu_dom(dom)->root_pa, pa, d;

	if (level > SMMU_TOP_LEVEL || (iova >> SMMU_IA_BITS))
		return -IMS_EINVAL;
	for (unsigned l = SMMU_TOP_LEVEL;; l--) {
		pa = table + (uint64_t)smmu_desc_index(iova, l) * 8;
		d = ims_mem_load64(&sim->mem, pa);
		if (l == level) {
			if (desc_out)
				*desc_out = d;
			if (desc_pa_out)
				*desc_pa_out = pa;
			return 0;
		}
		if (smmu_desc_type(d, l) != SMMU_DESC_TABLE)
			return -IMS_ENOMAP;
		table = smmu_desc_oa(d);
	}
}

int smmu_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		      uint64_t *desc_out, unsigned *level_out, uint64_t *desc_pa_out)
{
	if (iova >> SMMU_IA_BITS)
		return -IMS_EINVAL;
	for (unsigned l = SMMU_LEVELS; l-- > 0;) {
		uint64_t d = 0, pa = 0;
		enum smmu_desc_type type;

		smmu_debug_entry(sim, dom, iova, l, &d, &pa);
		type = smmu_desc_type(d, l);
		if (type == SMMU_DESC_TABLE)
			continue;
		if (desc_out)
			*desc_out = d;
		if (level_out)
			*level_out = l;
		if (desc_pa_out)
			*desc_pa_out = pa;
		return type == SMMU_DESC_LEAF ? 0 : -IMS_ENOMAP;
	}
	return -IMS_ENOMAP;
}
