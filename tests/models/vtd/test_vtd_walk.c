/* VT-d hardware walk, A/D updates and the host page-table software, driven
 * through the host API the way a trace drives them. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup_bits(unsigned iova_bits)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	cr_assert_eq(ims_host_domain_create(&sim, "d0", iova_bits, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void setup(void)
{
	setup_bits(48);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(vtd_walk, .init = setup, .fini = teardown);
TestSuite(vtd_ad, .init = setup, .fini = teardown);
TestSuite(vtd_dirty, .init = setup, .fini = teardown);
TestSuite(vtd_unmap, .init = setup, .fini = teardown);
TestSuite(vtd_fault, .init = setup, .fini = teardown);

static void map(uint64_t iova, uint64_t len, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, false, 0, prot, &err), 0, "%s", err.msg);
}

/* Map with a PA that is only 4 KiB aligned: every leaf is 4 KiB. */
static void map_4k(uint64_t iova, uint64_t len, uint64_t pa)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, pa, RW, &err), 0, "%s", err.msg);
}

static uint64_t leaf(uint64_t iova)
{
	uint64_t pte = 0;

	cr_assert_eq(vtd_debug_lookup(&sim, dom, iova, &pte, NULL, NULL), 0,
		     "0x%llx is mapped", (unsigned long long)iova);
	return pte;
}

static uint64_t entry(uint64_t iova, unsigned level)
{
	uint64_t pte = 0;

	cr_assert_eq(vtd_debug_entry(&sim, dom, iova, level, &pte, NULL), 0);
	return pte;
}

/* Memory references of one read DMA. */
static uint64_t refs_of_read(uint64_t iova)
{
	uint64_t before = STAT(walk_mem_refs);

	cr_assert_eq(ims_dma(&sim, dev, iova, 8, false), 0, "0x%llx translates",
		     (unsigned long long)iova);
	return STAT(walk_mem_refs) - before;
}

/* ---- walks ------------------------------------------------------------------ */

struct refs_row {
	unsigned iova_bits;
	unsigned page_lg2;
	uint64_t refs;
};

static const struct refs_row refs_rows[] = {
	{ 48, 12, 4 }, { 48, 21, 3 }, { 48, 30, 2 },
	{ 57, 12, 5 }, { 57, 21, 4 }, { 57, 30, 3 },
};

ParameterizedTestParameters(vtd_cold, one_read_per_level_down_to_the_leaf)
{
	return cr_make_param_array(struct refs_row, refs_rows,
				   sizeof(refs_rows) / sizeof(refs_rows[0]));
}

ParameterizedTest(const struct refs_row *r, vtd_cold, one_read_per_level_down_to_the_leaf,
		  .fini = teardown)
{
	uint64_t size = 1ull << r->page_lg2;
	/* a high IOVA, so 5-level tables use a non-zero PML5 index */
	uint64_t iova = (r->iova_bits == 57 ? 1ull << 50 : 0) + 4 * GIB;
	struct ims_walk w;

	setup_bits(r->iova_bits);
	map(iova, size, RW);
	cr_assert_eq(refs_of_read(iova + size / 2), r->refs, "%u-bit, 2^%u page", r->iova_bits,
		     r->page_lg2);
	cr_assert_eq(STAT(psc_miss), 1);
	cr_assert_eq(STAT(psc_hit), 0);
	/* the walk result itself */
	sim.model->walk(&sim, dev, dom, iova + size / 2 + 8, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.page_lg2, r->page_lg2);
	cr_assert_eq(w.pa, vtd_pte_page_base(leaf(iova), (r->page_lg2 - 12) / 9));
	/* host domains enforce coherency unless declared otherwise: snooped */
	cr_assert_eq(w.tlb_flags, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP,
		     "tracking off: writes need no D update");
}

Test(vtd_walk, walk_lands_on_the_mapped_page)
{
	struct ims_walk w;

	map_4k(0x40000000, 4 * MIB, 0x300001000ull);
	sim.model->walk(&sim, dev, dom, 0x40123456, IMS_ACCESS_WRITE, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.pa, 0x300001000ull + 0x123000);
	cr_assert_eq(w.page_lg2, 12);
	cr_assert_gt(w.cycles, 0);
	cr_assert_eq(STAT(walks), 1);
}

Test(vtd_walk, paging_structure_caches_skip_upper_reads)
{
	map_4k(0x40000000, 4 * MIB, 0x300001000ull);
	cr_assert_eq(refs_of_read(0x40000000), 4, "cold");
	/* same 2 MiB region: the PDE cache gives the leaf table */
	cr_assert_eq(refs_of_read(0x40001000), 1);
	cr_assert_eq(STAT(psc_hit_l1), 1);
	/* next 2 MiB region of the same 1 GiB: the PDPE cache gives the page directory */
	cr_assert_eq(refs_of_read(0x40200000), 2);
	cr_assert_eq(STAT(psc_hit_l2), 1);
	cr_assert_eq(STAT(psc_hit), 2);
	cr_assert_eq(STAT(psc_miss), 1);
	/* an IOTLB hit walks nothing */
	cr_assert_eq(refs_of_read(0x40200010), 0);
}

Test(vtd_walk, psc_hit_is_cheaper_than_the_reads_it_saves)
{
	struct ims_walk cold, warm;

	map_4k(0x40000000, 4 * MIB, 0x300001000ull);
	sim.model->walk(&sim, dev, dom, 0x40000000, IMS_ACCESS_READ, &cold);
	sim.model->walk(&sim, dev, dom, 0x40001000, IMS_ACCESS_READ, &warm);
	cr_assert_lt(warm.cycles, cold.cycles);
	cr_assert_geq(warm.cycles, sim.costs.psc_hit_ns);
}

Test(vtd_walk, large_leaf_over_an_empty_table_is_remapped_and_flushed)
{
	uint64_t free0;

	map_4k(0x200000, 0x1000, 0x300001000ull);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x200000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(vtd_pte_type(entry(0x200000, 1), 1), VTD_PTE_TABLE,
		     "unmapping one page leaves its (now empty) table");
	free0 = STAT(pt_pages_free);
	uint64_t syncs0 = STAT(iotlb_syncs);

	map(0x200000, 2 * MIB, RW);
	cr_assert_eq(STAT(map_pages_2m), 1);
	cr_assert_eq(vtd_pte_type(entry(0x200000, 1), 1), VTD_PTE_LEAF);
	cr_assert_eq(STAT(pt_pages_free) - free0, 1, "the empty table is freed");
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1, "and the caches pointing at it flushed");
	cr_assert_eq(refs_of_read(0x212345), 3);
}

Test(vtd_walk, pasid_entry_changes_need_a_pasid_cache_flush)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct vtd_qi_desc d = vtd_qi_pasid_cache(VTD_PC_G_PASID, dom->did, VTD_RID_PASID);

	map_4k(0x100000, 0x2000, 0x300001000ull);
	/* software sets SSADE in memory but does not invalidate the PASID cache */
	ims_mem_store64(&sim.mem, vd->pasid_pa,
			ims_mem_load64(&sim.mem, vd->pasid_pa) | VTD_PASID_SSADE);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (VTD_SLPTE_A | VTD_SLPTE_D), 0,
		     "the hardware still uses the cached entry (SSADE=0)");
	vtd_qi_sync(&sim, &((struct vtd_iommu *)sim.model_state)->qi, &d, 1);
	cr_assert(vtd_pasid_ssade(&vd->pc));
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x101000) & (VTD_SLPTE_A | VTD_SLPTE_D), VTD_SLPTE_A | VTD_SLPTE_D);
}

/* ---- A/D --------------------------------------------------------------------- */

Test(vtd_ad, nothing_is_set_while_tracking_is_off)
{
	map_4k(0x100000, 0x2000, 0x300001000ull);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (VTD_SLPTE_A | VTD_SLPTE_D), 0);
	cr_assert_eq(leaf(0x101000) & (VTD_SLPTE_A | VTD_SLPTE_D), 0);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert_eq(entry(0x100000, l) & VTD_SLPTE_A, 0, "level %u", l);
	cr_assert_eq(STAT(ad_updates), 0);
}

Test(vtd_ad, read_sets_a_write_sets_a_and_d)
{
	map_4k(0x100000, 0x2000, 0x300001000ull);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(leaf(0x100000) & (VTD_SLPTE_A | VTD_SLPTE_D), VTD_SLPTE_A);
	/* section 3.7.2: A is set in every entry used, not just the leaf */
	for (unsigned l = 1; l <= 3; l++)
		cr_assert(entry(0x100000, l) & VTD_SLPTE_A, "level %u", l);
	cr_assert_eq(STAT(a_set), 4);
	cr_assert_eq(STAT(d_set), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x101000) & (VTD_SLPTE_A | VTD_SLPTE_D), VTD_SLPTE_A | VTD_SLPTE_D);
	cr_assert_eq(STAT(d_set), 1);
	cr_assert_eq(STAT(a_set), 5, "the upper entries were already accessed");
	cr_assert_eq(STAT(ad_updates), 5);
	cr_assert_eq(STAT(cyc_ad_update), 5 * sim.costs.ad_update_ns);
}

Test(vtd_ad, write_after_read_rewalks_to_set_d)
{
	map_4k(0x100000, 0x1000, 0x300001000ull);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(iotlb_dirty_rewalk), 1, "the cached entry had D=0");
	cr_assert(leaf(0x100000) & VTD_SLPTE_D);
	/* now cached dirty: a third write hits */
	uint64_t walks = STAT(walks);

	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(walks), walks);
}

Test(vtd_ad, large_leaf_gets_d_and_tracking_off_stops_updates)
{
	map(0x200000, 2 * MIB, RW);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, 0x3ff000, 8, true), 0);
	cr_assert_eq(leaf(0x200000) & (VTD_SLPTE_A | VTD_SLPTE_D | VTD_SLPTE_PS),
		     VTD_SLPTE_A | VTD_SLPTE_D | VTD_SLPTE_PS);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, false, &err), 0, "%s", err.msg);
	map_4k(0x100000, 0x1000, 0x300001000ull);
	uint64_t updates = STAT(ad_updates);

	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (VTD_SLPTE_A | VTD_SLPTE_D), 0);
	cr_assert_eq(STAT(ad_updates), updates);
}

/* ---- dirty read --------------------------------------------------------------- */

static struct ims_dirty_bitmap read_dirty(uint64_t iova, uint64_t len, unsigned flags)
{
	struct ims_dirty_bitmap bm;

	cr_assert_eq(ims_host_read_dirty(&sim, dom, iova, len, 12, flags, &bm, &err), 0, "%s",
		     err.msg);
	return bm;
}

static unsigned popcount(const struct ims_dirty_bitmap *bm)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < (bm->nbits + 63) / 64; i++)
		n += (unsigned)__builtin_popcountll(bm->bits[i]);
	return n;
}

Test(vtd_dirty, stale_dirty_iotlb_entry_hides_writes_until_the_flush)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, 0x300001000ull);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(leaf(0x100000) & VTD_SLPTE_D);
	/* clear D without the flush the gather asks for */
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 0x4000, 0, NULL, &g, &err), 0);
	cr_assert_not(g.empty);
	cr_assert_eq(leaf(0x100000) & VTD_SLPTE_D, 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & VTD_SLPTE_D, 0,
		     "the write hit the IOTLB entry cached dirty: D stays clear in memory");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(leaf(0x100000) & VTD_SLPTE_D, "after the flush the write walks and sets D");
}

Test(vtd_dirty, no_clear_reports_again_clear_reports_once)
{
	map_4k(0x100000, 16 * 0x1000, 0x300001000ull);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_eq(ims_dma(&sim, dev, 0x100000 + i * 0x1000ull, 64, true), 0);

	struct ims_dirty_bitmap a = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(a.bits[0], 0x1111);
	cr_assert_eq(b.bits[0], 0x1111, "NO_CLEAR leaves D set");
	cr_assert_eq(STAT(dirty_ptes_cleared), 0);
	struct ims_dirty_bitmap c = read_dirty(0x100000, 16 * 0x1000, 0);
	struct ims_dirty_bitmap d = read_dirty(0x100000, 16 * 0x1000, 0);

	cr_assert_eq(c.bits[0], 0x1111);
	cr_assert_eq(STAT(dirty_ptes_cleared), 4);
	cr_assert_eq(popcount(&d), 0, "cleared: nothing until new writes");
	cr_assert_eq(ims_dma(&sim, dev, 0x100000 + 0x5000, 64, true), 0);
	struct ims_dirty_bitmap e = read_dirty(0x100000, 16 * 0x1000, 0);

	cr_assert_eq(e.bits[0], 0x20, "the new write is seen: the clear was flushed");
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	/* the 2nd and 3rd reads reported the 4 pages again without a new write:
	 * copied twice more for nothing */
	cr_assert_eq(STAT(dirty_pages_spurious), 2 * 4);
	free(a.bits);
	free(b.bits);
	free(c.bits);
	free(d.bits);
	free(e.bits);
}

Test(vtd_dirty, scan_reads_each_entry_once_per_table)
{
	/* 1 GiB of 4 KiB leaves: 1 PML4E + 1 PDPE + 512 PDEs + 512 x 512 PTEs */
	uint64_t expect = 1 + 1 + 512 + 512 * 512;

	map_4k(GIB, GIB, 0x300001000ull);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	uint64_t scanned = STAT(dirty_ptes_scanned), cyc = STAT(cyc_sw_dirty_walk);
	struct ims_dirty_bitmap bm = read_dirty(GIB, GIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(STAT(dirty_ptes_scanned) - scanned, expect);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, expect * sim.costs.sw_pte_read_cycles,
		     "nothing dirty: only reads are charged");
	cr_assert_eq(popcount(&bm), 0);
	free(bm.bits);
}

/* ---- unmap -------------------------------------------------------------------- */

Test(vtd_unmap, splitting_a_large_page_fails_and_changes_nothing)
{
	struct ims_gather g;
	uint64_t before;

	map(0x200000, 2 * MIB, RW);
	before = leaf(0x200000);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 2 MiB page at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert(g.empty);
	/* through the host too: the range is mapped, but the leaf cannot be split */
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x3ff000, 0x1000, &err), -IMS_EINVAL);
	cr_assert_eq(leaf(0x200000), before);
}

Test(vtd_unmap, unmapped_hole_fails_before_anything_is_cleared)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, 0x300001000ull);
	ims_gather_init(&g);
	/* the first pages are mapped: a clear-as-you-go unmap would drop them */
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x100000, 0x6000, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x104000"), "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(vtd_pte_present(leaf(0x100000 + i * 0x1000ull)), "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_sw_unmap), 0);
}

Test(vtd_unmap, clears_leaves_and_frees_covered_tables)
{
	uint64_t free0 = STAT(pt_pages_free);
	struct ims_gather g;

	map_4k(0x200000, 2 * MIB, 0x300001000ull);   /* one full leaf table */
	cr_assert_eq(refs_of_read(0x200000), 4);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000));
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x200000, 2 * MIB, &g, &err), 0, "%s", err.msg);
	cr_assert(g.tables_freed);
	cr_assert_eq(g.start, 0x200000);
	cr_assert_eq(g.last, 0x3fffff);
	cr_assert_eq(STAT(pt_pages_free) - free0, 1);
	cr_assert_eq(entry(0x200000, 1), 0, "the PDE is cleared");
	cr_assert_eq(STAT(cyc_sw_unmap),
		     513 * sim.costs.sw_pte_write_cycles + sim.costs.sw_pt_free_cycles,
		     "512 leaves and the PDE written, one leaf table freed");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000),
		       "IH=0 flushed the PDE cache");
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
}

Test(vtd_unmap, partial_unmap_keeps_the_table_and_the_pde_cache)
{
	map_4k(0x200000, 0x4000, 0x300001000ull);
	cr_assert_eq(refs_of_read(0x200000), 4);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x201000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(pt_pages_free), 0);
	cr_assert_not(vtd_pte_present(entry(0x201000, 0)));
	cr_assert(vtd_pte_present(leaf(0x202000)));
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000), "IH=1");
	cr_assert_eq(STAT(inv_iotlb_page), 1);
	cr_assert_eq(refs_of_read(0x202000), 1, "the PDE cache still serves the walk");
}

/* ---- faults ---------------------------------------------------------------------- */

Test(vtd_fault, not_present_names_the_entry_where_the_walk_stopped)
{
	struct vtd_domain *vd = vtd_dom(dom);

	cr_assert_eq(ims_dma(&sim, dev, 0x7f0000000000ull, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
	cr_assert_eq(sim.faults[0].level, 3, "empty PML4");
	cr_assert_eq(sim.faults[0].pte_pa, vd->root_pa + 8 * vtd_pte_index(0x7f0000000000ull, 3));
	map_4k(0x100000, 0x1000, 0x300001000ull);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, false), 1);
	cr_assert_eq(sim.faults[1].level, 0, "neighbour of a mapped page: stops at the SS-PTE");
	cr_assert_eq(STAT(faults), 2);
}

Test(vtd_fault, permissions_are_anded_down_the_walk)
{
	uint64_t pte_pa, pte;

	map(0x100000, 0x1000, IMS_PROT_READ);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(vtd_debug_lookup(&sim, dom, 0x100000, NULL, NULL, &pte_pa), 0);
	cr_assert_eq(sim.faults[0].pte_pa, pte_pa);
	cr_assert_eq(sim.faults[0].level, 0);
	/* a writable leaf under a PDPE without W: writes fault at the PDPE */
	map(0x40000000, 0x1000, RW);
	cr_assert_eq(vtd_debug_entry(&sim, dom, 0x40000000, 2, &pte, &pte_pa), 0);
	ims_mem_store64(&sim.mem, pte_pa, pte & ~VTD_SLPTE_W);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 2);
	cr_assert_eq(sim.faults[1].level, 2);
	cr_assert_eq(sim.faults[1].pte_pa, pte_pa);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, false), 0, "reads still pass");
	/* now the paging-structure caches hold the read-only path */
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 3);
}

Test(vtd_fault, iova_beyond_the_address_width)
{
	cr_assert_eq(ims_dma(&sim, dev, 1ull << 48, 8, false), 1);
	cr_assert_eq(STAT(fault_addr), 1);
	cr_assert_eq(STAT(walk_mem_refs), 0, "checked before any read");
}

Test(vtd_fault, unsupported_iova_width_is_rejected)
{
	struct ims_domain *d39;

	cr_assert_eq(ims_host_domain_create(&sim, "d39", 39, &d39, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "39-bit"), "%s", err.msg);
}
