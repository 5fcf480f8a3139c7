/* SMMUv3 write_protect, both stages: write permission and DBM removed so
 * neither a write nor HTTU can make a leaf writable again; a writable-dirty
 * leaf keeps its dirty state in SMMU_DESC_SW_DIRTY for read_dirty; the
 * stale TLB window until the sync; contiguous runs; refusals that change
 * nothing; the exact software cost. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

TestSuite(smmu_wrprotect, .fini = teardown);

static unsigned stages[] = { 1, 2 };

static void wrprotect(uint64_t iova, uint64_t len, struct ims_gather *g)
{
	ims_gather_init(g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, iova, len, g, &err), 0, "%s", err.msg);
}

static void wrprotect_sync(uint64_t iova, uint64_t len)
{
	struct ims_gather g;

	wrprotect(iova, len, &g);
	sim.model->iotlb_sync(&sim, dom, &g);
}

static bool write_faults(uint64_t iova)
{
	return ims_dma(&sim, dev, iova, 8, true) != 0;
}

static bool read_faults(uint64_t iova)
{
	return ims_dma(&sim, dev, iova, 8, false) != 0;
}

/* Write-protected as the contract asks: no write permission, and HTTU
 * cannot grant one (DBM=0, so not writable-clean). */
static void assert_protected(uint64_t iova)
{
	uint64_t d = leaf(iova);

	cr_assert_eq(smmu_desc_perm(sd()->st, d) & IMS_TLB_W, 0, "0x%llx: no write permission",
		     (unsigned long long)iova);
	cr_assert_eq(d & SMMU_DESC_DBM, 0, "0x%llx: DBM cleared", (unsigned long long)iova);
	cr_assert_not(smmu_desc_write_clean(sd()->st, d));
}

static bool sw_dirty(uint64_t iova)
{
	return (leaf(iova) & SMMU_DESC_SW_DIRTY) != 0;
}

/* ---- format ------------------------------------------------------------------ */

Test(smmu_wrprotect, sw_dirty_bit_is_a_software_bit_at_both_stages)
{
	cr_assert_eq(SMMU_DESC_SW_DIRTY, 1ull << 56);
	cr_assert_eq(SMMU_DESC_SW_DIRTY & ~SMMU_DESC_S1_SW, 0, "Table D8-52 [58:55]");
	cr_assert_eq(SMMU_DESC_SW_DIRTY & ~SMMU_DESC_S2_SW, 0, "Table D8-53 [58:56]");
}

struct xform_row {
	unsigned stage;
	uint64_t perm_bits;    /* AP[2:1] or S2AP as mapped */
	bool dbm;
	uint64_t expect_perm;  /* after write_protect */
	bool expect_sw;
};

static const struct xform_row xform_rows[] = {
	/* stage 1: writable-dirty, writable-clean, read-only, writable without DBM */
	{ 1, SMMU_DESC_AP1, true, SMMU_DESC_AP1 | SMMU_DESC_AP2, true },
	{ 1, SMMU_DESC_AP1 | SMMU_DESC_AP2, true, SMMU_DESC_AP1 | SMMU_DESC_AP2, false },
	{ 1, SMMU_DESC_AP1 | SMMU_DESC_AP2, false, SMMU_DESC_AP1 | SMMU_DESC_AP2, false },
	{ 1, SMMU_DESC_AP1, false, SMMU_DESC_AP1 | SMMU_DESC_AP2, false },
	/* stage 2: the same, and write-only (S2AP = 0b10) */
	{ 2, SMMU_DESC_S2AP_R | SMMU_DESC_S2AP_W, true, SMMU_DESC_S2AP_R, true },
	{ 2, SMMU_DESC_S2AP_R, true, SMMU_DESC_S2AP_R, false },
	{ 2, SMMU_DESC_S2AP_R, false, SMMU_DESC_S2AP_R, false },
	{ 2, SMMU_DESC_S2AP_R | SMMU_DESC_S2AP_W, false, SMMU_DESC_S2AP_R, false },
	{ 2, SMMU_DESC_S2AP_W, true, 0, true },
};

ParameterizedTestParameters(smmu_wrprotect, descriptor_transformation)
{
	return cr_make_param_array(struct xform_row, xform_rows,
				   sizeof(xform_rows) / sizeof(xform_rows[0]));
}

ParameterizedTest(const struct xform_row *r, smmu_wrprotect, descriptor_transformation)
{
	const struct smmu_stage *st = smmu_stage_get(r->stage);
	uint64_t perm_mask = st->read_bit | st->write_bit;
	uint64_t d = SMMU_DESC_VALID | SMMU_DESC_TYPE | SMMU_DESC_AF | st->leaf_attrs_cache |
		     r->perm_bits | (r->dbm ? SMMU_DESC_DBM : 0) | 0x12345000ull;
	uint64_t wp = smmu_desc_write_protect(st, d);

	cr_assert_eq(wp & perm_mask, r->expect_perm);
	cr_assert_eq(wp & SMMU_DESC_DBM, 0);
	cr_assert_eq(!!(wp & SMMU_DESC_SW_DIRTY), r->expect_sw);
	cr_assert_eq(wp & ~(perm_mask | SMMU_DESC_DBM | SMMU_DESC_SW_DIRTY),
		     d & ~(perm_mask | SMMU_DESC_DBM), "nothing else changes");
	cr_assert_eq(smmu_desc_write_protect(st, wp), wp, "idempotent, software bit kept");
	cr_assert_eq(smmu_desc_sw_dirty(st, wp), smmu_desc_write_dirty(st, d),
		     "software sees the dirty state it had");
	cr_assert_not(smmu_desc_sw_dirty(st, smmu_desc_clear_dirty(st, wp)));
	cr_assert_eq(smmu_desc_clear_dirty(st, wp) & perm_mask, r->expect_perm,
		     "a dirty clear grants nothing");
}

/* ---- through the model ---------------------------------------------------------- */

Test(smmu_wrprotect, registered_in_the_ops_table)
{
	setup_s1();
	cr_assert_eq(sim.model->write_protect, smmu_write_protect);
}

ParameterizedTestParameters(smmu_wrprotect, writes_fault_reads_work_after_the_sync)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_wrprotect, writes_fault_reads_work_after_the_sync)
{
	uint64_t perm0, updates0;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 16 * 0x1000, PA4K);
	tracking(true);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_not(write_faults(0x100000 + i * 0x1000ull));
	wrprotect_sync(0x100000, 16 * 0x1000);
	for (unsigned i = 0; i < 16; i++) {
		assert_protected(0x100000 + i * 0x1000ull);
		cr_assert_eq(sw_dirty(0x100000 + i * 0x1000ull), i % 4 == 0,
			     "page %u: writable-dirty before, software-dirty now", i);
	}
	perm0 = STAT(fault_perm);
	updates0 = STAT(ad_updates);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(write_faults(0x100000 + i * 0x1000ull), "page %u", i);
		cr_assert_not(read_faults(0x100000 + i * 0x1000ull), "page %u", i);
	}
	cr_assert_eq(STAT(fault_perm) - perm0, 16);
	cr_assert_eq(STAT(ad_updates), updates0, "HD did not make any of them writable");
	cr_assert_eq(sim.faults[sim.nfaults_logged - 1].kind, IMS_FAULT_PERM);
	assert_protected(0x10f000);
}

ParameterizedTestParameters(smmu_wrprotect, dirty_state_survives_for_read_dirty)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_wrprotect, dirty_state_survives_for_read_dirty)
{
	uint64_t cleared0;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 16 * 0x1000, PA4K);
	tracking(true);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_not(write_faults(0x100000 + i * 0x1000ull));
	wrprotect_sync(0x100000, 16 * 0x1000);
	/* a second write-protect keeps the software bit */
	wrprotect_sync(0x100000, 16 * 0x1000);
	cleared0 = STAT(dirty_ptes_cleared);

	struct ims_dirty_bitmap a = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(a.bits[0], 0x1111, "the dirty pages, and only they");
	cr_assert_eq(b.bits[0], 0x1111, "NO_CLEAR keeps the software bit");
	cr_assert(sw_dirty(0x104000));
	struct ims_dirty_bitmap c = read_dirty(0x100000, 16 * 0x1000, 0);
	struct ims_dirty_bitmap d = read_dirty(0x100000, 16 * 0x1000, 0);

	cr_assert_eq(c.bits[0], 0x1111, "a clearing read still sees them");
	cr_assert_eq(popcount(&d), 0, "and clears them");
	cr_assert_eq(STAT(dirty_ptes_cleared) - cleared0, 4);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert_not(sw_dirty(0x100000 + i * 0x1000ull), "page %u", i);
		assert_protected(0x100000 + i * 0x1000ull);
	}
	cr_assert(write_faults(0x104000), "the clear's sync did not re-grant writes");
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	free(a.bits);
	free(b.bits);
	free(c.bits);
	free(d.bits);
}

ParameterizedTestParameters(smmu_wrprotect, contiguous_run_all_sixteen)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_wrprotect, contiguous_run_all_sixteen)
{
	struct ims_gather g;

	SMMU_SETUP(.stage = *stage, .contig = 1);
	map(0x10000, 64 * KIB, RW);
	tracking(true);
	cr_assert_not(write_faults(0x15000));
	uint64_t cyc = STAT(cyc_sw_dirty_walk);

	wrprotect(0x10000, 64 * KIB, &g);
	/* 3 Table descriptors and the run, every entry of which changes */
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, (3 + 16) * sim.costs.sw_pte_read_cycles +
		     16 * sim.costs.sw_pte_write_cycles);
	cr_assert_eq(g.start, 0x10000);
	cr_assert_eq(g.last, 0x1ffff);
	cr_assert_eq(ims_gather_page_lg2(&g), 12, "invalidated granule by granule, as unmap");
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(leaf(0x10000 + i * 0x1000ull) & SMMU_DESC_CONTIG, "entry %u", i);
		assert_protected(0x10000 + i * 0x1000ull);
		cr_assert_eq(sw_dirty(0x10000 + i * 0x1000ull), i == 5, "entry %u", i);
	}
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(0x1c000));
	cr_assert_not(read_faults(0x1c000));
	struct ims_dirty_bitmap bm = read_dirty(0x10000, 64 * KIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(bm.bits[0], 0xffff, "the run is still dirty");
	free(bm.bits);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x18000, 32 * KIB, &g, &err),
		     -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 64 KiB contiguous page at 0x10000"), "%s",
		  err.msg);
	cr_assert(g.empty);
}

Test(smmu_wrprotect, gather_covers_changed_leaves_with_their_size)
{
	struct ims_gather g;

	setup_s1();
	map(0x200000, 2 * MIB, RW);
	map_4k(0x400000, 4 * 0x1000, PA4K);
	cr_assert_eq(ims_host_map(&sim, dom, 0x404000, 0x1000, true, PA4K + 0x4000,
				  IMS_PROT_READ, &err), 0, "%s", err.msg);
	wrprotect(0x200000, 2 * MIB + 5 * 0x1000, &g);
	cr_assert_not(g.empty);
	cr_assert_eq(g.start, 0x200000);
	cr_assert_eq(g.last, 0x403fff, "the read-only page did not change: not gathered");
	cr_assert_eq(g.min_page_lg2, 12);
	cr_assert_eq(g.max_page_lg2, 21);
	cr_assert_not(g.tables_freed);
	map(GIB, GIB, RW);
	wrprotect(GIB, GIB, &g);
	cr_assert_eq(g.start, GIB);
	cr_assert_eq(g.last, 2 * GIB - 1);
	cr_assert_eq(ims_gather_page_lg2(&g), 30);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(GIB + 999 * 8));
	cr_assert_not(read_faults(GIB + 999 * 8));
	wrprotect(GIB, GIB, &g);
	cr_assert(g.empty, "already write-protected: nothing to flush");
}

ParameterizedTestParameters(smmu_wrprotect, stale_tlb_entry_accepts_writes_until_the_sync)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_wrprotect, stale_tlb_entry_accepts_writes_until_the_sync)
{
	struct ims_gather g;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 0x4000, PA4K);
	tracking(true);
	cr_assert_not(write_faults(0x101000));
	wrprotect(0x100000, 0x4000, &g);
	assert_protected(0x101000);
	uint64_t refs = STAT(walk_mem_refs);

	cr_assert_not(write_faults(0x101000), "the entry cached writable-dirty still serves");
	cr_assert_eq(STAT(walk_mem_refs), refs, "no walk");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(0x101000), "after the TLBI the write walks and faults");
}

ParameterizedTestParameters(smmu_wrprotect, writable_clean_entry_rewalks_and_faults)
{
	return cr_make_param_array(unsigned, stages, 2);
}

/* A TLB entry of a writable-clean leaf (HD=1) has W but not DIRTY: a write
 * walks to update it, finds DBM=0, and faults even before the sync. */
ParameterizedTest(unsigned *stage, smmu_wrprotect, writable_clean_entry_rewalks_and_faults)
{
	struct ims_gather g;

	SMMU_SETUP(.stage = *stage);
	map_4k(0x100000, 0x4000, PA4K);
	tracking(true);
	cr_assert_not(read_faults(0x102000));
	cr_assert(smmu_desc_write_clean(sd()->st, leaf(0x102000)));
	wrprotect(0x100000, 0x4000, &g);
	cr_assert_not(g.empty, "losing DBM is a change the TLB must see");
	uint64_t updates = STAT(ad_updates);

	cr_assert(write_faults(0x102000));
	cr_assert_eq(STAT(ad_updates), updates);
	cr_assert_not(sw_dirty(0x102000));
}

/* Stage 2 tracking off makes writable-clean leaves writable-dirty again; a
 * write-protected leaf is not writable-clean and stays protected. */
Test(smmu_wrprotect, stage2_tracking_off_does_not_regrant_writes)
{
	setup_s2();
	map_4k(0x100000, 0x2000, PA4K);
	tracking(true);
	cr_assert_not(write_faults(0x100000));
	wrprotect_sync(0x100000, 0x1000);
	tracking(false);
	assert_protected(0x100000);
	cr_assert(sw_dirty(0x100000));
	cr_assert(dirty(0x101000), "the other leaf was made writable-dirty");
	cr_assert(write_faults(0x100000));
	cr_assert_not(write_faults(0x101000));
}

/* Without dirty HTTU leaves carry no DBM: write-protect is AP[2] alone. */
Test(smmu_wrprotect, without_dirty_httu)
{
	SMMU_SETUP(.stage = 1, .httu = 1);
	map_4k(0x100000, 0x2000, PA4K);
	cr_assert_not(write_faults(0x100000));
	wrprotect_sync(0x100000, 0x2000);
	assert_protected(0x100000);
	cr_assert_not(sw_dirty(0x100000), "no DBM: there was no dirty state to keep");
	cr_assert(write_faults(0x100000));
	cr_assert_not(read_faults(0x101000));
}

/* Stage 2 can map write-only: the leaf keeps no access but stays valid. */
Test(smmu_wrprotect, stage2_write_only_leaf_stays_mapped)
{
	setup_s2();
	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 0x1000, true, PA4K, IMS_PROT_WRITE, &err),
		     0, "%s", err.msg);
	wrprotect_sync(0x100000, 0x1000);
	cr_assert_eq(leaf(0x100000) & (SMMU_DESC_S2AP_R | SMMU_DESC_S2AP_W), 0);
	cr_assert(write_faults(0x100000));
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x1000, &err), 0, "%s", err.msg);
}

Test(smmu_wrprotect, splitting_or_holes_fail_and_change_nothing)
{
	struct ims_gather g;
	uint64_t before, cyc;

	setup_s1();
	map(0x200000, 2 * MIB, RW);
	map_4k(0x100000, 0x4000, PA4K);
	before = leaf(0x200000);
	cyc = STAT(cyc_host_total);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "write_protect of [0x200000, 0x200fff] would split a 2 MiB page"
			 " at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0x6000, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x104000 is not mapped"), "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(smmu_desc_perm(sd()->st, leaf(0x100000 + i * 0x1000ull)) & IMS_TLB_W,
			  "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_host_total), cyc);
	cr_assert_not(write_faults(0x200000));
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0, &g, &err), -IMS_EINVAL);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 1ull << 48, 0x1000, &g, &err),
		     -IMS_EINVAL);
}

Test(smmu_wrprotect, costs_one_read_per_entry_and_one_write_per_change)
{
	struct ims_gather g;
	/* 3 Table descriptors + 12 writable and 4 read-only pages */
	uint64_t reads = 3 + 16, writes = 12;

	setup_s1();
	map_4k(0x100000, 12 * 0x1000, PA4K);
	cr_assert_eq(ims_host_map(&sim, dom, 0x10c000, 0x4000, true, PA4K + 0xc000,
				  IMS_PROT_READ, &err), 0, "%s", err.msg);
	uint64_t cyc = STAT(cyc_sw_dirty_walk), host = STAT(cyc_host_total);

	wrprotect(0x100000, 16 * 0x1000, &g);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, reads * sim.costs.sw_pte_read_cycles +
		     writes * sim.costs.sw_pte_write_cycles);
	cr_assert_eq(STAT(cyc_host_total) - host, STAT(cyc_sw_dirty_walk) - cyc);
	cr_assert_eq(g.last, 0x10bfff);
	cyc = STAT(cyc_sw_dirty_walk);
	wrprotect(0x100000, 16 * 0x1000, &g);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, reads * sim.costs.sw_pte_read_cycles,
		     "nothing left to change: reads only");
	cr_assert(g.empty);
	cr_assert_eq(STAT(iotlb_syncs), 0, "write_protect does not sync");
}
