/* Host page-table software for AMD v1 host tables: what Linux's AMD driver
 * (io_pgtable v1, now generic_pt's amdv1 format) does on map, unmap and
 * read_and_clear_dirty, and a write-protect of a range. Every PTE store
 * goes to simulated memory, where the hardware walker (amdv1_walk.c) reads
 * it; CPU time is charged per PTE.
 *
 * A leaf of a non-default size (Next Level 7) is one page written into
 * 2^k consecutive entries, all alike; every operation treats the group as
 * one leaf, and touches every entry of it.
 *
 * Host software builds no level-skipping PDEs, as Linux builds none, but
 * unmap, dirty reads and teardown follow them (a test builds some by hand):
 * a PDE at level L pointing at a table of level m < L-1 maps only the part
 * of its span where the skipped IOVA bits are zero.
 *
 * Range operations descend table by table over the part of each table that
 * intersects the range, so the cost of a scan is the number of entries it
 * reads, never a walk from the root per page.
 */
#include <inttypes.h>
#include <stdio.h>

#include "models/common/pte_rmw.h"
#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"

/* Host pointer to a page-table frame; tables always have storage. */
static uint64_t *table_frame(const struct ims_sim *sim, uint64_t table_pa)
{
	uint64_t *t = ims_mem_frame(&sim->mem, table_pa);

	if (!t)
		IMS_BUG("page-table frame without storage");
	return t;
}

/* "4 KiB", "64 KiB", "2 MiB", ... for messages. */
static const char *size_name(unsigned lg2, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned u = (lg2 - 10) / 10;

	if (lg2 < 10 || u >= sizeof(unit) / sizeof(unit[0]))
		snprintf(buf, len, "2^%u-byte", lg2);
	else
		snprintf(buf, len, "%llu %s", 1ull << (lg2 - 10 - 10 * u), unit[u]);
	return buf;
}

/* log2 of the IOVA bytes a table of `level` spans. */
static unsigned table_span_lg2(unsigned level)
{
	return amdv1_level_shift(level) +
	       (level == AMDV1_TOP6_LEVEL ? 7u : AMDV1_TABLE_LG2);
}

static uint64_t span_last(uint64_t base, unsigned lg2)
{
	return lg2 >= 64 ? UINT64_MAX : base + ((UINT64_C(1) << lg2) - 1);
}

/* Indexes [*i0, *i1] of the table at `level` mapping from `base` that
 * intersect [start, last]; false if none do (a skipped-to table maps only
 * the start of its PDE's span). */
static bool table_span(uint64_t base, unsigned level, uint64_t start, uint64_t last,
		       unsigned *i0, unsigned *i1)
{
	unsigned shift = amdv1_level_shift(level);
	uint64_t table_last = span_last(base, table_span_lg2(level));

	if (start > table_last || last < base)
		return false;
	*i0 = start > base ? (unsigned)((start - base) >> shift) : 0;
	*i1 = last < table_last ? (unsigned)((last - base) >> shift)
				: amdv1_level_entries(level) - 1;
	return true;
}

/* A leaf at index i of a table at `level`: its size and the index of the
 * first entry of its replica group. */
static unsigned leaf_group(uint64_t pte, unsigned level, unsigned i, unsigned *g0,
			   unsigned *n)
{
	unsigned lg2 = amdv1_leaf_size_lg2(pte, level);

	*n = 1u << (lg2 - amdv1_level_shift(level));
	*g0 = i & ~(*n - 1);
	return lg2;
}

/* Free a table and every table below it; returns the present entries it
 * held and those below: the PTE clears a driver freeing it performs.
 * *max_lg2 grows to the largest leaf seen. */
static uint64_t drop_subtree(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
			     unsigned level, unsigned *max_lg2)
{
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned entries = amdv1_level_entries(level);
	uint64_t n = 0;

	for (unsigned i = 0; i < entries; i++) {
		uint64_t pte = t[i];

		if (!amdv1_pte_present(pte))
			continue;
		n++;
		if (!amdv1_pte_valid(pte, level))
			continue;   /* nothing trustworthy to follow */
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			if (amdv1_leaf_size_lg2(pte, level) > *max_lg2)
				*max_lg2 = amdv1_leaf_size_lg2(pte, level);
			continue;
		}
		n += drop_subtree(sim, dom, amdv1_pte_addr(pte), amdv1_pde_child_level(pte), max_lg2);
	}
	ims_host_free_table(sim, dom, table_pa);
	return n;
}

void amdv1_free_tables(struct ims_sim *sim, struct ims_domain *dom, uint64_t table_pa,
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
	unsigned entries = amdv1_level_entries(level);

	for (unsigned i = 0; i < entries; i++) {
		uint64_t pte = t[i];

		++*reads;
		if (!amdv1_pte_present(pte))
			continue;
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF || !amdv1_pte_valid(pte, level) ||
		    subtree_has_leaf(sim, amdv1_pte_addr(pte), amdv1_pde_child_level(pte), reads))
			return true;
	}
	return false;
}

/* ---- map --------------------------------------------------------------- */

static int map_args(struct ims_sim *sim, const struct amdv1_domain *ad, uint64_t iova,
		    uint64_t pa, unsigned lg2, struct ims_error *err)
{
	char b[24];

	if (lg2 >= 64 || !(sim->model->pgsize_bitmap(sim) & (UINT64_C(1) << lg2)))
		return ims_error_set(err, IMS_EINVAL,
				     "map: page size 2^%u is not in amdv1_pgsizes", lg2);
	if (!ims_is_aligned(iova | pa, lg2))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is not aligned to its %s page", iova, pa,
				     size_name(lg2, b, sizeof(b)));
	if (!amdv1_iova_fits(iova + (UINT64_C(1) << lg2) - 1, ad->mode) ||
	    ((pa + (UINT64_C(1) << lg2) - 1) >> IMS_PA_BITS))
		return ims_error_set(err, IMS_EINVAL,
				     "map: iova 0x%" PRIx64 " or pa 0x%" PRIx64
				     " is beyond the address width", iova, pa);
	return 0;
}

/* The entries a new leaf of 2^lg2 at iova will occupy must be empty, or
 * hold only tables with no leaf below (an earlier unmap frees only the
 * tables wholly inside its range). Reads only: nothing changes before the
 * whole path is known to be usable. */
static int map_check(struct ims_sim *sim, const struct amdv1_domain *ad, uint64_t iova,
		     unsigned lg2, struct ims_error *err)
{
	unsigned leaf = amdv1_level_for_size(lg2), n = amdv1_replicas(lg2);
	uint64_t table = ad->root_pa, reads = 0;
	char b[24];
	int rc = 0;

	for (unsigned level = ad->mode - 1; level > leaf; level--) {
		uint64_t pte = table_frame(sim, table)[amdv1_pte_index(iova, level)];

		if (!amdv1_pte_present(pte))
			return 0;   /* the rest of the path gets new, empty tables */
		if (!amdv1_pte_valid(pte, level) ||
		    (amdv1_pte_type(pte) == AMDV1_PTE_TABLE &&
		     amdv1_pde_child_level(pte) != level - 1))
			return ims_error_set(err, IMS_EINVAL,
				"map: entry for 0x%" PRIx64 " at level %u is malformed or skips"
				" levels (host software builds neither)", iova, level);
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF)
			return ims_error_set(err, IMS_EEXIST,
				"map: 0x%" PRIx64 " is already mapped by a %s page", iova,
				size_name(amdv1_leaf_size_lg2(pte, level), b, sizeof(b)));
		table = amdv1_pte_addr(pte);
	}
	for (unsigned k = 0; k < n && !rc; k++) {
		uint64_t pte = table_frame(sim, table)[amdv1_pte_index(iova, leaf) + k];

		if (!amdv1_pte_present(pte))
			continue;
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF || !amdv1_pte_valid(pte, leaf) ||
		    subtree_has_leaf(sim, amdv1_pte_addr(pte), amdv1_pde_child_level(pte), &reads))
			rc = ims_error_set(err, IMS_EEXIST,
					   "map: [0x%" PRIx64 ", +%s) is already mapped", iova,
					   size_name(lg2, b, sizeof(b)));
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_map, reads * sim->costs.sw_pte_read_cycles);
	return rc;
}

/* Walk down to the table holding the leaf, allocating missing tables. */
static int map_descend(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		       unsigned leaf, uint64_t *table_out, struct ims_error *err)
{
	const struct amdv1_domain *ad = amdv1_dom(dom);
	uint64_t table = ad->root_pa;

	for (unsigned level = ad->mode - 1; level > leaf; level--) {
		uint64_t pte_pa = table + (uint64_t)amdv1_pte_index(iova, level) * 8;
		uint64_t pte = ims_mem_load64(&sim->mem, pte_pa);

		if (!amdv1_pte_present(pte)) {
			uint64_t t = ims_host_alloc_table(sim, dom);

			if (!t)
				return ims_error_set(err, IMS_ENOMEM,
						     "map: out of page-table memory");
			ims_host_charge(sim, IMS_STAT_cyc_sw_map, sim->costs.sw_pt_alloc_cycles +
					sim->costs.sw_pte_write_cycles);
			ims_host_store(sim, pte_pa, amdv1_mk_pde(t, level - 1));
			pte = amdv1_mk_pde(t, level - 1);
		}
		table = amdv1_pte_addr(pte);
	}
	*table_out = table;
	return 0;
}

static void count_leaf(struct ims_sim *sim, unsigned lg2)
{
	switch (lg2) {
	case 12:
		IMS_STAT_INC(&sim->stats, map_pages_4k);
		break;
	case 21:
		IMS_STAT_INC(&sim->stats, map_pages_2m);
		break;
	case 30:
		IMS_STAT_INC(&sim->stats, map_pages_1g);
		break;
	default:
		IMS_STAT_INC(&sim->stats, map_pages_other);
		break;
	}
}

int amdv1_map_page(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t pa,
		   unsigned page_lg2, unsigned prot, struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	unsigned leaf, n;
	uint64_t table = 0, first_pa, entry;
	bool flush = false;
	int rc;

	if ((rc = map_args(sim, ad, iova, pa, page_lg2, err)) ||
	    (rc = map_check(sim, ad, iova, page_lg2, err)))
		return rc;
	leaf = amdv1_level_for_size(page_lg2);
	n = amdv1_replicas(page_lg2);
	if ((rc = map_descend(sim, dom, iova, leaf, &table, err)))
		return rc;
	first_pa = table + (uint64_t)amdv1_pte_index(iova, leaf) * 8;
	entry = amdv1_mk_leaf(pa, page_lg2, prot);
	for (unsigned k = 0; k < n; k++) {
		uint64_t old = ims_mem_load64(&sim->mem, first_pa + 8 * k);

		/* an empty table left by an earlier unmap: free it, and flush
		 * the page directory cache that may still point at it, as
		 * Linux does when it installs a large page over a table */
		if (amdv1_pte_present(old)) {
			amdv1_free_tables(sim, dom, amdv1_pte_addr(old), amdv1_pde_child_level(old));
			flush = true;
		}
		ims_host_store(sim, first_pa + 8 * k, entry);
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_map, n * sim->costs.sw_pte_write_cycles);
	count_leaf(sim, page_lg2);
	if (flush)
		amdv1_flush_range(sim, dom, iova, iova + (UINT64_C(1) << page_lg2) - 1, true);
	return 0;
}

/* ---- unmap --------------------------------------------------------------- */

struct range_op;

/* What leaf_walk does at each present leaf: the n entries from index g0 of
 * the table t (at table_pa) that map [pfirst, pfirst + 2^lg2). Returns the
 * entries it read. */
typedef unsigned (*leaf_fn)(const struct range_op *op, uint64_t table_pa, const uint64_t *t,
			    unsigned g0, unsigned n, uint64_t pfirst, unsigned lg2);

struct range_op {
	struct ims_sim *sim;
	struct ims_domain *dom;
	const char *what;              /* the operation, for messages */
	uint64_t start, last;          /* inclusive */
	struct ims_gather *gather;
	unsigned flags;                /* read_dirty flags */
	struct ims_dirty_bitmap *bm;
	leaf_fn leaf;                  /* leaf_walk's action */
	bool dirty_scan;               /* leaf_walk counts dirty_ptes_scanned */
};

static int unmap_check(const struct range_op *op, uint64_t table_pa, unsigned level,
		       uint64_t base, struct ims_error *err);

/* A PDE's table maps [first, clast]: the whole span, or its start when the
 * PDE skips levels. Any part of the range beyond that is a hole. */
static int unmap_check_pde(const struct range_op *op, uint64_t pte, unsigned level,
			   uint64_t first, struct ims_error *err)
{
	unsigned child = amdv1_pde_child_level(pte);
	uint64_t elast = span_last(first, amdv1_level_shift(level));
	uint64_t clast = span_last(first, table_span_lg2(child));
	uint64_t a = first > op->start ? first : op->start;
	uint64_t b = elast < op->last ? elast : op->last;

	if (b > clast)
		return ims_error_set(err, IMS_ENOMAP,
			"%s of [0x%" PRIx64 ", 0x%" PRIx64 "]: 0x%" PRIx64
			" is not mapped (skipped levels)", op->what, op->start, op->last,
			a > clast ? a : clast + 1);
	return unmap_check(op, amdv1_pte_addr(pte), child, first, err);
}

/* Before anything changes (unmap, write_protect): every page of the range
 * must be mapped, and no leaf may stick out of it (a leaf cannot be split). */
static int unmap_check(const struct range_op *op, uint64_t table_pa, unsigned level,
		       uint64_t base, struct ims_error *err)
{
	const uint64_t *t = table_frame(op->sim, table_pa);
	unsigned shift = amdv1_level_shift(level), i0, i1;
	char b[24];
	int rc;

	if (!table_span(base, level, op->start, op->last, &i0, &i1))
		return 0;
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte = t[i];
		uint64_t first = base + ((uint64_t)i << shift);

		if (!amdv1_pte_present(pte))
			return ims_error_set(err, IMS_ENOMAP,
				"%s of [0x%" PRIx64 ", 0x%" PRIx64 "]: 0x%" PRIx64
				" is not mapped", op->what, op->start, op->last,
				first > op->start ? first : op->start);
		if (!amdv1_pte_valid(pte, level))
			return ims_error_set(err, IMS_EINVAL,
				"%s: malformed entry 0x%" PRIx64 " at level %u", op->what, pte,
				level);
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			unsigned g0, n, lg2 = leaf_group(pte, level, i, &g0, &n);
			uint64_t pfirst = base + ((uint64_t)g0 << shift);

			if (pfirst < op->start || span_last(pfirst, lg2) > op->last)
				return ims_error_set(err, IMS_EINVAL,
					"%s of [0x%" PRIx64 ", 0x%" PRIx64 "] would split a %s"
					" page at 0x%" PRIx64, op->what, op->start, op->last,
					size_name(lg2, b, sizeof(b)), pfirst);
			i = g0 + n - 1;
			continue;
		}
		if ((rc = unmap_check_pde(op, pte, level, first, err)))
			return rc;
	}
	return 0;
}

static void unmap_clear(const struct range_op *op, uint64_t table_pa, unsigned level,
			uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = amdv1_level_shift(level), i0, i1;
	uint64_t writes = 0;

	if (!table_span(base, level, op->start, op->last, &i0, &i1))
		return;
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte = t[i];
		uint64_t first = base + ((uint64_t)i << shift);
		unsigned max_lg2 = 0;

		if (!amdv1_pte_present(pte))
			continue;
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			unsigned g0, n, lg2 = leaf_group(pte, level, i, &g0, &n);

			/* unmap_check made sure the whole group is in the range */
			for (unsigned k = 0; k < n; k++)
				ims_host_store(sim, table_pa + 8 * (g0 + k), 0);
			writes += n;
			ims_gather_add(op->gather, base + ((uint64_t)g0 << shift),
				       UINT64_C(1) << lg2, lg2);
			i = g0 + n - 1;
			continue;
		}
		if (first < op->start || span_last(first, shift) > op->last) {
			unmap_clear(op, amdv1_pte_addr(pte), amdv1_pde_child_level(pte), first);
			continue;
		}
		/* the range covers the whole entry: its leaves go, and so does
		 * the table, so page directory caches must be invalidated */
		writes += drop_subtree(sim, op->dom, amdv1_pte_addr(pte), amdv1_pde_child_level(pte),
				       &max_lg2);
		ims_host_store(sim, table_pa + 8 * i, 0);
		writes++;
		ims_gather_add(op->gather, first, UINT64_C(1) << shift, max_lg2);
		op->gather->tables_freed = true;
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_unmap, writes * sim->costs.sw_pte_write_cycles);
}

static int range_args(const struct amdv1_domain *ad, const char *op, uint64_t iova,
		      uint64_t len, struct ims_error *err)
{
	uint64_t last = iova + len - 1;

	if (!len || last < iova || !amdv1_iova_fits(last, ad->mode))
		return ims_error_set(err, IMS_EINVAL,
				     "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is empty or beyond"
				     " the address width", op, iova, len);
	return 0;
}

int amdv1_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		struct ims_gather *gather, struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "unmap", .start = iova,
			       .last = iova + len - 1, .gather = gather };
	int rc;

	if ((rc = range_args(ad, "unmap", iova, len, err)) ||
	    (rc = unmap_check(&op, ad->root_pa, ad->mode - 1, 0, err)))
		return rc;
	unmap_clear(&op, ad->root_pa, ad->mode - 1, 0);
	return 0;
}

/* ---- read and clear dirty ------------------------------------------------ */

/* An atomic test-and-clear of D (Linux pte_test_and_clear_dirty), so a D
 * the hardware sets meanwhile is never lost. */
static void clear_dirty(struct ims_sim *sim, uint64_t pte_pa, uint64_t pte)
{
	ims_host_pte_clear(sim, pte_pa, pte, AMDV1_PTE_D);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_clear_dirty_cycles);
	IMS_STAT_INC(&sim->stats, dirty_ptes_cleared);
}

/* One leaf, all its replicas: section 2.2.3.2 has software OR the D bits
 * of every replicated PTE (the IOMMU sets D only in the one it walked) and
 * clear them all. Returns the entries read. */
static unsigned dirty_leaf(const struct range_op *op, uint64_t table_pa, const uint64_t *t,
			   unsigned g0, unsigned n, uint64_t pfirst, unsigned lg2)
{
	struct ims_sim *sim = op->sim;
	bool dirty = false;

	for (unsigned k = 0; k < n; k++)
		dirty |= (t[g0 + k] & AMDV1_PTE_D) != 0;
	ims_dirty_leaf(sim, op->bm, pfirst, UINT64_C(1) << lg2, dirty);
	/* IMS_DIRTY_NO_CLEAR is a plain read (Linux: test_bit) */
	if (!dirty || (op->flags & IMS_DIRTY_NO_CLEAR))
		return n;
	for (unsigned k = 0; k < n; k++)
		if (t[g0 + k] & AMDV1_PTE_D)
			clear_dirty(sim, table_pa + 8 * (g0 + k), t[g0 + k]);
	/* the IOTLB may hold this page as dirty: it must be flushed */
	ims_gather_add(op->gather, pfirst, UINT64_C(1) << lg2, lg2);
	return n;
}

/* A clean leaf of a table of 4 KiB leaves: a 4 KiB page (Next Level 0,
 * no replicas), well formed, D clear. */
static bool clean_leaf(uint64_t pte, const void *ctx)
{
	(void)ctx;
	return amdv1_pte_present(pte) && amdv1_pte_nl(pte) == AMDV1_NL_LEAF &&
	       amdv1_pte_valid(pte, 0) && !(pte & AMDV1_PTE_D);
}

/* The software walk of read_dirty and write_protect: every entry of the
 * range read once (every replica of a leaf too, even outside the range),
 * table by table (charged per table), op->leaf at each present leaf. In
 * read_dirty's tables of 4 KiB leaves, where a large scan spends its time, a
 * clean 4 KiB leaf (Next Level 0, no replicas) is only collected, and the
 * collection is scored (ims_dirty_clean) before anything else: op->leaf
 * charges time, and DMA racing the walk runs there. */
static void leaf_walk(const struct range_op *op, uint64_t table_pa, unsigned level,
		      uint64_t base)
{
	struct ims_sim *sim = op->sim;
	const uint64_t *t = table_frame(sim, table_pa);
	unsigned shift = amdv1_level_shift(level), i0, i1;
	bool collect = op->leaf == dirty_leaf && shift == IMS_PAGE_LG2;
	struct ims_dirty_clean clean;
	uint64_t reads = 0;

	if (!table_span(base, level, op->start, op->last, &i0, &i1))
		return;
	ims_dirty_clean_init(&clean, base);
	for (unsigned i = i0; i <= i1; i++) {
		uint64_t pte, first;
		unsigned g0, n, lg2;

		if (collect) {
			unsigned next = ims_dirty_clean_run(&clean, t, i, i1, clean_leaf, NULL);

			reads += next - i;
			if ((i = next) > i1)
				break;
		}
		ims_dirty_clean_flush(sim, op->bm, &clean);
		pte = t[i];
		first = base + ((uint64_t)i << shift);
		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, level)) {
			reads++;
			continue;
		}
		if (amdv1_pte_type(pte) == AMDV1_PTE_TABLE) {
			reads++;
			leaf_walk(op, amdv1_pte_addr(pte), amdv1_pde_child_level(pte), first);
			continue;
		}
		lg2 = leaf_group(pte, level, i, &g0, &n);
		reads += op->leaf(op, table_pa, t, g0, n, base + ((uint64_t)g0 << shift), lg2);
		i = g0 + n - 1;
	}
	ims_dirty_clean_flush(sim, op->bm, &clean);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, reads * sim->costs.sw_pte_read_cycles);
	if (op->dirty_scan)
		IMS_STAT_ADD(&sim->stats, dirty_ptes_scanned, reads);
}

int amdv1_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		     unsigned flags, struct ims_dirty_bitmap *bm, struct ims_gather *gather,
		     struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "read_dirty", .start = iova,
			       .last = iova + len - 1, .gather = gather, .flags = flags, .bm = bm,
			       .leaf = dirty_leaf, .dirty_scan = true };
	int rc;

	/* amd_iommu_read_and_clear_dirty: a bitmap needs tracking on; the
	 * NULL-bitmap "clear only" call is how tracking gets enabled clean */
	if (!ad->tracking && bm)
		return ims_error_set(err, IMS_EINVAL,
				     "read_dirty: dirty tracking is off in domain '%s'", dom->name);
	if ((rc = range_args(ad, "read_dirty", iova, len, err)))
		return rc;
	leaf_walk(&op, ad->root_pa, ad->mode - 1, 0);
	return 0;
}

/* ---- write protect -------------------------------------------------------- */

/* Clear IW with an atomic read-modify-write: the hardware may set A or D in
 * the entry meanwhile (section 2.2.7.4 has it update atomically), and a D
 * it sets must survive for the next dirty read. Charged as the PTE write it
 * is, when it happens. */
static void clear_write(struct ims_sim *sim, uint64_t pte_pa, uint64_t pte)
{
	ims_host_pte_clear(sim, pte_pa, pte, AMDV1_PTE_IW);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk, sim->costs.sw_pte_write_cycles);
}

/* One leaf, all its replicas: the walker may use any of them, so IW goes
 * from every one. Returns the entries read. */
static unsigned wp_leaf(const struct range_op *op, uint64_t table_pa, const uint64_t *t,
			unsigned g0, unsigned n, uint64_t pfirst, unsigned lg2)
{
	bool changed = false;

	for (unsigned k = 0; k < n; k++) {
		if (!(t[g0 + k] & AMDV1_PTE_IW))
			continue;
		clear_write(op->sim, table_pa + 8 * (g0 + k), t[g0 + k]);
		changed = true;
	}
	/* the IOTLB may hold the page writable: it must be flushed */
	if (changed)
		ims_gather_add(op->gather, pfirst, UINT64_C(1) << lg2, lg2);
	return n;
}

int amdv1_write_protect(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			uint64_t len, struct ims_gather *gather, struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	struct range_op op = { .sim = sim, .dom = dom, .what = "write_protect", .start = iova,
			       .last = iova + len - 1, .gather = gather, .leaf = wp_leaf };
	int rc;

	if ((rc = range_args(ad, "write_protect", iova, len, err)) ||
	    (rc = unmap_check(&op, ad->root_pa, ad->mode - 1, 0, err)))
		return rc;
	leaf_walk(&op, ad->root_pa, ad->mode - 1, 0);
	return 0;
}

/* ---- debug lookups (tests) ------------------------------------------------ */

int amdv1_debug_entry(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		      unsigned level, uint64_t *pte_out, uint64_t *pte_pa_out)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	uint64_t table = ad->root_pa, pte_pa, pte;
	unsigned l = ad->mode - 1;

	if (level > l || !amdv1_iova_fits(iova, ad->mode))
		return -IMS_EINVAL;
	for (;;) {
		pte_pa = table + (uint64_t)amdv1_pte_index(iova, l) * 8;
		pte = ims_mem_load64(&sim->mem, pte_pa);
		if (l == level) {
			if (pte_out)
				*pte_out = pte;
			if (pte_pa_out)
				*pte_pa_out = pte_pa;
			return 0;
		}
		if (amdv1_pte_type(pte) != AMDV1_PTE_TABLE || !amdv1_pte_valid(pte, l) ||
		    amdv1_pde_child_level(pte) < level)
			return -IMS_ENOMAP;
		table = amdv1_pte_addr(pte);
		l = amdv1_pde_child_level(pte);
	}
}

int amdv1_debug_lookup(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
		       uint64_t *pte_out, unsigned *level_out, uint64_t *pte_pa_out)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	uint64_t table = ad->root_pa, pte_pa, pte;
	unsigned l = ad->mode - 1;
	int rc;

	if (!amdv1_iova_fits(iova, ad->mode))
		return -IMS_EINVAL;
	for (;;) {
		pte_pa = table + (uint64_t)amdv1_pte_index(iova, l) * 8;
		pte = ims_mem_load64(&sim->mem, pte_pa);
		if (!amdv1_pte_present(pte) || !amdv1_pte_valid(pte, l)) {
			rc = -IMS_ENOMAP;
			break;
		}
		if (amdv1_pte_type(pte) == AMDV1_PTE_LEAF) {
			rc = 0;
			break;
		}
		table = amdv1_pte_addr(pte);
		l = amdv1_pde_child_level(pte);
	}
	if (pte_out)
		*pte_out = pte;
	if (level_out)
		*level_out = l;
	if (pte_pa_out)
		*pte_pa_out = pte_pa;
	return rc;
}
