/* SMMUv3 dirty tracking through the host API: NO_CLEAR against clearing
 * reads, the stale writable-dirty TLB entry, sync counts per strategy,
 * stage 1 "created dirty" leaves and the ground truth, contiguous runs,
 * stage 2 S2HD switching, the unverified Linux sync gap, unmap. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

#include "sim/host/dirty_strategy.h"

TestSuite(smmu_dirty, .fini = teardown);
TestSuite(smmu_unmap, .fini = teardown);

static unsigned stages[] = { 1, 2 };

/* ---- reads ------------------------------------------------------------------- */

ParameterizedTestParameters(smmu_dirty, no_clear_reports_again_clear_reports_once)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dirty, no_clear_reports_again_clear_reports_once)
{
	uint64_t cleared0;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 16 * 0x1000, PA4K);
	tracking(true);
	cleared0 = STAT(dirty_ptes_cleared);
	cr_assert_eq(cleared0, 16, "leaves are created writable-dirty: the enabling pass cleans");
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_eq(ims_dma(&sim, dev, 0x100000 + i * 0x1000ull, 64, true), 0);

	struct ims_dirty_bitmap a = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(a.bits[0], 0x1111);
	cr_assert_eq(b.bits[0], 0x1111, "NO_CLEAR leaves them writable-dirty");
	cr_assert_eq(STAT(dirty_ptes_cleared), cleared0);
	struct ims_dirty_bitmap c = read_dirty(0x100000, 16 * 0x1000, 0);
	struct ims_dirty_bitmap d = read_dirty(0x100000, 16 * 0x1000, 0);

	cr_assert_eq(c.bits[0], 0x1111);
	cr_assert_eq(STAT(dirty_ptes_cleared) - cleared0, 4);
	cr_assert_eq(popcount(&d), 0, "cleared: nothing until new writes");
	cr_assert_eq(ims_dma(&sim, dev, 0x105000, 64, true), 0);
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

ParameterizedTestParameters(smmu_dirty, stale_writable_dirty_tlb_entry_hides_writes)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dirty, stale_writable_dirty_tlb_entry_hides_writes)
{
	struct ims_gather g;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 0x4000, PA4K);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(dirty(0x100000));
	/* clear without the flush the gather asks for */
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 0x4000, 0, NULL, &g, &err), 0);
	cr_assert_not(g.empty);
	cr_assert_eq(g.max_page_lg2, 12, "the cleared leaves' size is gathered");
	cr_assert_not(dirty(0x100000));
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_not(dirty(0x100000), "the write hit the TLB entry cached writable-dirty");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(dirty(0x100000), "after the TLBI the write walks and sets dirty");
}

Test(smmu_dirty, scan_reads_each_descriptor_once_per_table)
{
	uint64_t expect = 1 + 1 + 512 + 512 * 512;

	setup_s1();
	map_4k(GIB, GIB, PA4K);
	tracking(true);
	uint64_t scanned = STAT(dirty_ptes_scanned), cyc = STAT(cyc_sw_dirty_walk);
	struct ims_dirty_bitmap bm = read_dirty(GIB, GIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(STAT(dirty_ptes_scanned) - scanned, expect);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, expect * sim.costs.sw_pte_read_cycles);
	cr_assert_eq(popcount(&bm), 0);
	free(bm.bits);
}

/* Strategies: clear+unmap is two syncs per range, noclear+unmap one. */
struct strat_row {
	unsigned stage;
	bool noclear;          /* (no pointers: a parameter crosses a process boundary) */
	uint64_t syncs;
};

static const struct strat_row strat_rows[] = {
	{ 1, false, 2 }, { 1, true, 1 }, { 2, false, 2 }, { 2, true, 1 },
};

ParameterizedTestParameters(smmu_dirty, syncs_per_strategy)
{
	return cr_make_param_array(struct strat_row, strat_rows,
				   sizeof(strat_rows) / sizeof(strat_rows[0]));
}

ParameterizedTest(const struct strat_row *r, smmu_dirty, syncs_per_strategy)
{
	const struct ims_dirty_strategy *s =
		ims_dirty_strategy_find(r->noclear ? "noclear+unmap" : "clear+unmap");

	SMMU_SETUP(.stage = r->stage);
	cr_assert_not_null(s);
	map_4k(0x100000, 0x10000, PA4K);
	map(0x400000, 4 * MIB, RW);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x102000, 64, true), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x400000, 64, true), 0);
	uint64_t syncs = STAT(iotlb_syncs);

	cr_assert_eq(s->dirty_unmap(&sim, dom, 0x100000, 0x10000, 12, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, r->syncs);
	cr_assert_eq(s->dirty_unmap(&sim, dom, 0x400000, 4 * MIB, 21, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 2 * r->syncs);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(STAT(dirty_pages_reported), 1 + 512, "in 4 KiB pages: one page, one 2 MiB block");
}

/* ---- stage 1: leaves are born dirty; HD is always on ------------------------ */

Test(smmu_dirty, stage1_created_dirty_and_the_ground_truth)
{
	setup_s1();
	map_4k(0x100000, 0x4000, PA4K);
	/* HD is on before tracking: a write needs no update, leaves are dirty */
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(ad_updates), 0, "already writable-dirty");
	cr_assert(dirty(0x101000), "dirty although never written");
	uint64_t syncs = STAT(iotlb_syncs), cmds = STAT(inv_desc);

	tracking(true);
	/* iommufd's clearing pass: one sync; the driver's switch: nothing */
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 1);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
	cr_assert_eq(STAT(dirty_ptes_cleared), 4);
	cr_assert_gt(STAT(inv_desc) - cmds, 1, "the clearing pass invalidated the TLB");
	struct ims_dirty_bitmap a = read_dirty(0x100000, 0x4000, 0);

	cr_assert_eq(popcount(&a), 0, "dirtiness from before tracking is not reported");
	cr_assert_eq(ims_dma(&sim, dev, 0x102000, 8, true), 0);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 0x4000, 0);

	cr_assert_eq(b.bits[0], 0x4);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(STAT(dirty_pages_spurious), 0);
	syncs = STAT(iotlb_syncs);
	cmds = STAT(inv_desc);
	tracking(false);
	cr_assert_eq(STAT(iotlb_syncs), syncs, "turning off issues no command");
	cr_assert_eq(STAT(inv_desc), cmds);
	cr_assert_eq(STAT(dirty_tracking_switches), 2);
	free(a.bits);
	free(b.bits);
}

ParameterizedTestParameters(smmu_dirty, mapping_while_tracking_reports_dirty_once)
{
	return cr_make_param_array(unsigned, stages, 2);
}

/* Born writable-dirty: a page mapped during tracking is reported by the
 * next read although never written (spurious, never lost), as on Linux. */
ParameterizedTest(unsigned *stage, smmu_dirty, mapping_while_tracking_reports_dirty_once)
{
	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 0x1000, PA4K);
	tracking(true);
	map_4k(0x101000, 0x1000, PA4K);
	struct ims_dirty_bitmap a = read_dirty(0x100000, 0x2000, 0);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 0x2000, 0);

	cr_assert_eq(a.bits[0], 0x2);
	cr_assert_eq(STAT(dirty_pages_spurious), 1);
	cr_assert_eq(popcount(&b), 0, "cleaned by the first read");
	free(a.bits);
	free(b.bits);
}

/* ---- contiguous runs ----------------------------------------------------------- */

ParameterizedTestParameters(smmu_dirty, contiguous_run_is_ored_and_cleaned_whole)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dirty, contiguous_run_is_ored_and_cleaned_whole)
{
	uint64_t cleared0;

	SMMU_SETUP(.stage = *stage, .contig = 1);
	map(0x10000, 64 * KIB, RW);
	tracking(true);
	cleared0 = STAT(dirty_ptes_cleared);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_not(dirty(0x10000 + i * 0x1000ull), "entry %u clean", i);
	cr_assert_eq(ims_dma(&sim, dev, 0x15000, 8, true), 0);
	/* D8.5.5: the hardware updates only the descriptor it walked */
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(dirty(0x10000 + i * 0x1000ull), i == 5, "entry %u", i);
	/* a write elsewhere in the run hits the 64 KiB TLB entry: no update */
	cr_assert_eq(ims_dma(&sim, dev, 0x1c000, 8, true), 0);
	cr_assert_not(dirty(0x1c000));
	struct ims_dirty_bitmap bm = read_dirty(0x10000, 64 * KIB, 0);

	cr_assert_eq(bm.bits[0], 0xffff, "software ORs the run");
	cr_assert_eq(STAT(dirty_ptes_cleared) - cleared0, 1);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_not(dirty(0x10000 + i * 0x1000ull), "entry %u cleaned", i);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x1c000, 8, true), 0);
	cr_assert(dirty(0x1c000), "the TLBI dropped the run's entry");
	free(bm.bits);
}

/* ---- stage 2 switch --------------------------------------------------------------- */

Test(smmu_dirty, stage2_switch_writes_the_ste_then_cfgi_tlbi_sync)
{
	const struct ims_costs *c = &sim.costs;
	struct ims_device *dev2;

	setup_s2();
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev2, &err), 0);
	cr_assert_eq(ims_host_attach(&sim, dev2, dom, &err), 0, "%s", err.msg);
	map_4k(0x100000, 0x1000, PA4K);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert(cached(0x100000));
	uint64_t host0 = STAT(cyc_host_total), syncs = STAT(iotlb_syncs);

	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	/* two STEs, two CFGI_STE, one TLBI_S12_VMALL, one CMD_SYNC */
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     2 * c->sw_pasid_entry_update_cycles + 4 * c->inv_desc_write_cycles +
		     c->inv_doorbell_cycles + 2 * c->smmuv3_cfgi_ns + c->smmuv3_tlbi_ns +
		     c->smmuv3_sync_ns + c->inv_poll_cycles);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 1);
	cr_assert_eq(STAT(inv_context), 2 + 2, "attach CFGIs and the switch's");
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_not(cached(0x100000), "S2HA/S2HD may be cached in TLB entries (5.2.1)");
	for (unsigned i = 0; i < 2; i++) {
		struct ims_device *d = sim.devices[i];
		uint64_t w2 = ims_mem_load64(&sim.mem, smmu_ste_pa(d->sid) + 16);

		cr_assert_eq(w2 & (SMMU_STE2_S2HA | SMMU_STE2_S2HD),
			     SMMU_STE2_S2HA | SMMU_STE2_S2HD);
		cr_assert_eq(iommu()->cfg[d->index].ste[2], w2, "and reloaded");
	}
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
}

Test(smmu_dirty, stage2_off_makes_leaves_writable_again)
{
	setup_s2();
	map_4k(0x100000, 0x2000, PA4K);
	tracking(true);
	cr_assert_not(dirty(0x100000), "writable-clean after the enabling pass");
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	tracking(false);
	cr_assert_eq(ims_mem_load64(&sim.mem, smmu_ste_pa(dev->sid) + 16) &
		     (SMMU_STE2_S2HA | SMMU_STE2_S2HD), 0);
	cr_assert(dirty(0x101000), "writable-clean leaves made writable-dirty first");
	uint64_t updates = STAT(ad_updates);

	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0, "S2HD=0 and no fault");
	cr_assert_eq(STAT(ad_updates), updates);
	cr_assert_eq(STAT(faults), 0);
}

Test(smmu_dirty, no_dirty_httu_means_no_tracking)
{
	SMMU_SETUP(.stage = 1, .httu = 1);
	map_4k(0x100000, 0x1000, PA4K);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), -IMS_ENOTSUP);
	cr_assert(strstr(err.msg, "SMMU_IDR0.HTTU"), "%s", err.msg);
	cr_assert_eq(iommu()->cfg[dev->index].cd[0] & (SMMU_CD0_HA | SMMU_CD0_HD), SMMU_CD0_HA);
}

/* ---- the Linux sync gap (unverified) ------------------------------------------------ */

struct gap_row {
	unsigned stage;
	int gap;
	bool lost;
};

static const struct gap_row gap_rows[] = {
	{ 1, 0, false }, { 1, 1, true }, { 2, 0, false }, { 2, 1, true },
};

ParameterizedTestParameters(smmu_dirty, linux_dirty_sync_gap_loses_a_write)
{
	return cr_make_param_array(struct gap_row, gap_rows,
				   sizeof(gap_rows) / sizeof(gap_rows[0]));
}

/* write, clearing read, write, then clear+unmap's read: the second write
 * hits the TLB entry still cached writable-dirty when no TLBI followed the
 * clear. No DMA races with a host operation. */
ParameterizedTest(const struct gap_row *r, smmu_dirty, linux_dirty_sync_gap_loses_a_write)
{
	const struct ims_dirty_strategy *s = ims_dirty_strategy_find("clear+unmap");

	SMMU_SETUP(.stage = r->stage, .gap = r->gap);
	map_4k(0x100000, 0x4000, PA4K);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	struct ims_dirty_bitmap a = read_dirty(0x100000, 0x4000, 0);

	cr_assert_eq(a.bits[0], 0x2);
	uint64_t tlbi = STAT(inv_iotlb_page) + STAT(inv_iotlb_domain);

	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(s->dirty_unmap(&sim, dom, 0x100000, 0x4000, 12, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(dirty_pages_missed) > 0, r->lost, "stage %u gap %d: missed %llu",
		     r->stage, r->gap, (unsigned long long)STAT(dirty_pages_missed));
	cr_assert_eq(STAT(inv_iotlb_page) + STAT(inv_iotlb_domain) > tlbi, true,
		     "the unmap still invalidates");
	free(a.bits);
}

/* ---- unmap ------------------------------------------------------------------------ */

Test(smmu_unmap, splitting_a_block_fails_and_changes_nothing)
{
	struct ims_gather g;
	uint64_t before;

	setup_s1();
	map(0x200000, 2 * MIB, RW);
	before = leaf(0x200000);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 2 MiB page at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert(g.empty);
}

Test(smmu_unmap, unmapped_hole_fails_before_anything_is_cleared)
{
	struct ims_gather g;

	setup_s2();
	map_4k(0x100000, 0x4000, PA4K);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x100000, 0x6000, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x104000"), "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(leaf(0x100000 + i * 0x1000ull) & SMMU_DESC_VALID, "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_sw_unmap), 0);
}

Test(smmu_unmap, clears_leaves_and_frees_covered_tables)
{
	uint64_t free0;
	struct ims_gather g;

	setup_s1();
	map_4k(0x200000, 2 * MIB, PA4K);
	cr_assert_eq(refs_of(0x200000, false), 4);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x200000));
	free0 = STAT(pt_pages_free);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x200000, 2 * MIB, &g, &err), 0, "%s", err.msg);
	cr_assert(g.tables_freed);
	cr_assert_eq(g.start, 0x200000);
	cr_assert_eq(g.last, 0x3fffff);
	cr_assert_eq(g.max_page_lg2, 12);
	cr_assert_eq(STAT(pt_pages_free) - free0, 1);
	cr_assert_eq(entry(0x200000, 1), 0);
	cr_assert_eq(STAT(cyc_sw_unmap),
		     513 * sim.costs.sw_pte_write_cycles + sim.costs.sw_pt_free_cycles);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x200000), "Leaf=0 TLBI");
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
}

Test(smmu_unmap, partial_unmap_keeps_the_table_and_the_walk_cache)
{
	setup_s2();
	map_4k(0x200000, 0x4000, PA4K);
	cr_assert_eq(refs_of(0x200000, false), 4);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x201000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(pt_pages_free), 0);
	cr_assert(leaf(0x202000) & SMMU_DESC_VALID);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x200000), "Leaf=1");
	cr_assert_eq(refs_of(0x202000, false), 1);
}
