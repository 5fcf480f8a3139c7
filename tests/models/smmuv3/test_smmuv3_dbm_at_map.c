/* SMMUv3 smmuv3_dbm_at_map=0: writable leaves are created without DBM and
 * the tracking switch walks the table to set DBM (writable-clean) or take
 * it away (plain writable), then invalidates the domain with one sync. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

TestSuite(smmu_dbm_at_map, .fini = teardown);

static unsigned stages[] = { 1, 2 };

static bool has_dbm(uint64_t iova)
{
	return (leaf(iova) & SMMU_DESC_DBM) != 0;
}

static bool writable(uint64_t iova)
{
	return (smmu_desc_perm(sd()->st, leaf(iova)) & IMS_TLB_W) != 0;
}

static bool write_clean(uint64_t iova)
{
	return smmu_desc_write_clean(sd()->st, leaf(iova));
}

static void dma_write(uint64_t iova)
{
	cr_assert_eq(ims_dma(&sim, dev, iova, 8, true), 0, "write to 0x%llx",
		     (unsigned long long)iova);
}

/* The model's switch alone, as the host calls it, with the host's view
 * updated as ims_host_set_dirty_tracking does afterwards. */
static void model_switch(bool on)
{
	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, on, &err), 0, "%s", err.msg);
	dom->dirty_tracking = on;
}

static void wrprotect_sync(uint64_t iova, uint64_t len)
{
	struct ims_gather g;

	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, iova, len, &g, &err), 0, "%s", err.msg);
	sim.model->iotlb_sync(&sim, dom, &g);
}

ParameterizedTestParameters(smmu_dbm_at_map, map_is_plain_writable_and_writes_are_not_dirty)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dbm_at_map, map_is_plain_writable_and_writes_are_not_dirty)
{
	SMMU_SETUP(.stage = *stage, .dbm_at_map = 0);
	map_4k(0x100000, 0x4000, PA4K);
	map(0x400000, 2 * MIB, RW);
	cr_assert_not(has_dbm(0x100000), "no DBM at map");
	cr_assert_not(has_dbm(0x400000));
	cr_assert(writable(0x100000), "writable at map");
	cr_assert(writable(0x400000));
	uint64_t d0 = leaf(0x100000), dset = STAT(d_set);

	dma_write(0x100000);
	dma_write(0x400000);
	cr_assert_eq(leaf(0x100000), d0, "no HTTU update without DBM");
	cr_assert_eq(STAT(d_set), dset);
	cr_assert_not(smmu_desc_sw_dirty(sd()->st, leaf(0x100000)));
	tracking(true);
	struct ims_dirty_bitmap bm = read_dirty(0x100000, 0x4000, 0);

	cr_assert_eq(popcount(&bm), 0, "a write before tracking is not dirty");
	free(bm.bits);
}

ParameterizedTestParameters(smmu_dbm_at_map, switch_on_walks_every_writable_leaf_one_sync)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dbm_at_map, switch_on_walks_every_writable_leaf_one_sync)
{
	const struct ims_costs *k;

	SMMU_SETUP(.stage = *stage, .dbm_at_map = 0);
	k = &sim.costs;
	/* tables: root, 1 GiB, 2 MiB (0..1 GiB), two 4 KiB leaf tables */
	map_4k(0x100000, 16 * 0x1000, PA4K);       /* 16 writable 4 KiB */
	map(0x400000, 2 * MIB, RW);                /* 1 writable 2 MiB block */
	map(0x800000, 0x1000, IMS_PROT_READ);      /* read-only: untouched */
	map_4k(0x801000, 0x1000, PA4K + 0x100000); /* write-protected: untouched */
	wrprotect_sync(0x801000, 0x1000);
	uint64_t ro = leaf(0x800000), wp = leaf(0x801000);
	uint64_t reads = 5 * SMMU_TABLE_ENTRIES, changed = 17;
	uint64_t other = STAT(cyc_sw_other), cpu = STAT(cyc_inv_cpu), syncs = STAT(iotlb_syncs);
	uint64_t sw = STAT(dirty_tracking_switches), desc = STAT(inv_desc);
	uint64_t cfg = *stage == 2 ? 1 : 0;   /* stage 2: one STE rewritten, CFGI_STE */

	model_switch(true);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(has_dbm(0x100000 + i * 0x1000ull), "page %u has DBM", i);
		cr_assert(write_clean(0x100000 + i * 0x1000ull), "page %u writable-clean", i);
	}
	cr_assert(has_dbm(0x400000));
	cr_assert(write_clean(0x400000));
	cr_assert_eq(leaf(0x800000), ro, "read-only leaf unchanged");
	cr_assert_eq(leaf(0x801000), wp, "write-protected leaf unchanged");
	cr_assert_eq(STAT(cyc_sw_other) - other,
		     reads * k->sw_pte_read_cycles + changed * k->sw_pte_write_cycles +
		     cfg * k->sw_pasid_entry_update_cycles);
	/* TLBI (+ CFGI_STE at stage 2), CMD_SYNC: one doorbell, one poll */
	cr_assert_eq(STAT(cyc_inv_cpu) - cpu,
		     (2 + cfg) * k->inv_desc_write_cycles + k->inv_doorbell_cycles +
		     k->inv_poll_cycles);
	cr_assert_eq(STAT(inv_desc) - desc, 2 + cfg);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 1);
	cr_assert_eq(STAT(dirty_tracking_switches) - sw, 1);
}

ParameterizedTestParameters(smmu_dbm_at_map, write_after_switch_is_dirty_and_reported)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dbm_at_map, write_after_switch_is_dirty_and_reported)
{
	SMMU_SETUP(.stage = *stage, .dbm_at_map = 0);
	map_4k(0x100000, 0x4000, PA4K);
	dma_write(0x101000);   /* cached writable: the switch must invalidate it */
	cr_assert(cached(0x101000));
	tracking(true);
	cr_assert_not(cached(0x101000), "the switch invalidated the domain");
	uint64_t dset = STAT(d_set);

	dma_write(0x101000);
	cr_assert(dirty(0x101000), "HTTU made it writable-dirty");
	cr_assert_eq(STAT(d_set) - dset, 1);
	struct ims_dirty_bitmap bm = read_dirty(0x100000, 0x4000, 0);

	cr_assert_eq(bm.bits[0], 0x2);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(STAT(dirty_pages_spurious), 0);
	free(bm.bits);
}

/* Pages mapped while tracking is on and never written: the default creates
 * them writable-dirty (reported without a write), 0 writable-clean. */
struct spur_row {
	int dbm_at_map;
	bool spurious;
};

static const struct spur_row spur_rows[] = { { 0, false }, { 1, true } };

ParameterizedTestParameters(smmu_dbm_at_map, no_born_dirty_spurious)
{
	return cr_make_param_array(struct spur_row, spur_rows, 2);
}

ParameterizedTest(const struct spur_row *r, smmu_dbm_at_map, no_born_dirty_spurious)
{
	SMMU_SETUP(.stage = 1, .dbm_at_map = r->dbm_at_map);
	map_4k(0x100000, 8 * 0x1000, PA4K);   /* before tracking */
	tracking(true);
	map_4k(0x200000, 8 * 0x1000, PA4K + 0x10000);   /* during tracking */
	dma_write(0x102000);
	struct ims_dirty_bitmap a = read_dirty(0x100000, 8 * 0x1000, 0);
	struct ims_dirty_bitmap b = read_dirty(0x200000, 8 * 0x1000, 0);

	cr_assert_eq(a.bits[0], 0x4, "only the written page before tracking");
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	if (r->spurious) {
		cr_assert_eq(popcount(&b), 8);
		cr_assert_gt(STAT(dirty_pages_spurious), 0);
	} else {
		cr_assert_eq(popcount(&b), 0);
		cr_assert_eq(STAT(dirty_pages_spurious), 0);
	}
	free(a.bits);
	free(b.bits);
}

ParameterizedTestParameters(smmu_dbm_at_map, switch_off_restores_plain_writable)
{
	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_dbm_at_map, switch_off_restores_plain_writable)
{
	SMMU_SETUP(.stage = *stage, .dbm_at_map = 0);
	map_4k(0x100000, 0x4000, PA4K);
	map_4k(0x104000, 0x1000, PA4K + 0x10000);
	wrprotect_sync(0x104000, 0x1000);
	uint64_t wp = leaf(0x104000);

	tracking(true);
	dma_write(0x100000);
	cr_assert(dirty(0x100000));
	cr_assert(write_clean(0x101000));
	uint64_t syncs = STAT(iotlb_syncs), sw = STAT(dirty_tracking_switches);

	model_switch(false);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 1);
	cr_assert_eq(STAT(dirty_tracking_switches) - sw, 1);
	cr_assert_not(cached(0x100000), "the switch invalidated the domain");
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_not(has_dbm(0x100000 + i * 0x1000ull), "page %u", i);
		cr_assert(writable(0x100000 + i * 0x1000ull), "page %u", i);
	}
	cr_assert_eq(leaf(0x104000), wp, "write-protected leaf unchanged");
	uint64_t d = leaf(0x101000), dset = STAT(d_set), upd = STAT(ad_updates);

	dma_write(0x101000);
	cr_assert_eq(leaf(0x101000), d, "no HTTU update");
	cr_assert_eq(STAT(d_set), dset);
	cr_assert_eq(STAT(ad_updates), upd);
}

Test(smmu_dbm_at_map, contiguous_run_all_16_entries)
{
	SMMU_SETUP(.stage = 1, .contig = 1, .dbm_at_map = 0);
	map(0x400000, 64 * KIB, RW);
	cr_assert(leaf(0x400000) & SMMU_DESC_CONTIG);
	tracking(true);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(has_dbm(0x400000 + i * 0x1000ull), "entry %u", i);
		cr_assert(write_clean(0x400000 + i * 0x1000ull), "entry %u", i);
	}
	tracking(false);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert_not(has_dbm(0x400000 + i * 0x1000ull), "entry %u", i);
		cr_assert(writable(0x400000 + i * 0x1000ull), "entry %u", i);
	}
}
