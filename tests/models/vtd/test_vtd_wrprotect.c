/* VT-d write_protect: W cleared in every leaf of the range, D kept, the
 * stale IOTLB window until the sync, refusals that change nothing, and the
 * exact software cost. Driven through the ops table and the host API. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PA4K 0x300001000ull   /* a PA only 4 KiB aligned: every leaf is 4 KiB */

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup(void)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	cr_assert_eq(ims_host_domain_create(&sim, "d0", 48, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(vtd_wrprotect, .init = setup, .fini = teardown);

static void map(uint64_t iova, uint64_t len, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, false, 0, prot, &err), 0, "%s", err.msg);
}

static void map_4k(uint64_t iova, uint64_t len, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, PA4K + (iova - 0x100000), prot,
				  &err), 0, "%s", err.msg);
}

static uint64_t leaf(uint64_t iova)
{
	uint64_t pte = 0;

	cr_assert_eq(vtd_debug_lookup(&sim, dom, iova, &pte, NULL, NULL), 0,
		     "0x%llx is mapped", (unsigned long long)iova);
	return pte;
}

static void tracking(bool on)
{
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, on, &err), 0, "%s", err.msg);
}

/* write_protect through the ops table, without the sync. */
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

Test(vtd_wrprotect, registered_in_the_ops_table)
{
	cr_assert_eq(sim.model->write_protect, vtd_write_protect);
}

Test(vtd_wrprotect, writes_fault_reads_work_after_the_sync)
{
	uint64_t perm0, faults0;

	map_4k(0x100000, 16 * 0x1000, RW);
	tracking(true);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_not(write_faults(0x100000 + i * 0x1000ull));
	wrprotect_sync(0x100000, 16 * 0x1000);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t pte = leaf(0x100000 + i * 0x1000ull);

		cr_assert_eq(pte & VTD_SLPTE_PERM, VTD_SLPTE_R, "page %u: W cleared, R kept", i);
		cr_assert_eq(!!(pte & VTD_SLPTE_D), i % 4 == 0, "page %u: D as it was", i);
	}
	perm0 = STAT(fault_perm);
	faults0 = STAT(faults);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(write_faults(0x100000 + i * 0x1000ull), "page %u", i);
		cr_assert_not(read_faults(0x100000 + i * 0x1000ull), "page %u", i);
	}
	cr_assert_eq(STAT(fault_perm) - perm0, 16);
	cr_assert_eq(STAT(faults) - faults0, 16);
	cr_assert_eq(sim.faults[sim.nfaults_logged - 1].kind, IMS_FAULT_PERM);
	cr_assert_eq(sim.faults[sim.nfaults_logged - 1].level, VTD_LEVEL_PTE);
}

Test(vtd_wrprotect, dirty_state_survives_for_read_dirty)
{
	map_4k(0x100000, 16 * 0x1000, RW);
	tracking(true);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_not(write_faults(0x100000 + i * 0x1000ull));
	wrprotect_sync(0x100000, 16 * 0x1000);

	struct ims_dirty_bitmap a = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 16 * 0x1000, IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap c = read_dirty(0x100000, 16 * 0x1000, 0);
	struct ims_dirty_bitmap d = read_dirty(0x100000, 16 * 0x1000, 0);

	cr_assert_eq(a.bits[0], 0x1111, "the dirty pages, and only they");
	cr_assert_eq(b.bits[0], 0x1111);
	cr_assert_eq(c.bits[0], 0x1111, "a clearing read still sees them");
	cr_assert_eq(popcount(&d), 0, "and clears them");
	cr_assert_eq(STAT(dirty_ptes_cleared), 4);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(leaf(0x100000) & VTD_SLPTE_PERM, VTD_SLPTE_R, "a dirty clear keeps W clear");
	free(a.bits);
	free(b.bits);
	free(c.bits);
	free(d.bits);
}

Test(vtd_wrprotect, gather_covers_changed_leaves_with_their_size)
{
	struct ims_gather g;

	map(0x200000, 2 * MIB, RW);
	map_4k(0x400000, 4 * 0x1000, RW);
	map_4k(0x404000, 0x1000, IMS_PROT_READ);
	wrprotect(0x200000, 2 * MIB + 5 * 0x1000, &g);
	cr_assert_not(g.empty);
	cr_assert_eq(g.start, 0x200000);
	cr_assert_eq(g.last, 0x403fff, "the read-only page did not change: not gathered");
	cr_assert_eq(g.min_page_lg2, 12);
	cr_assert_eq(g.max_page_lg2, 21);
	cr_assert_not(g.tables_freed);
	cr_assert_not(g.dirty_clear);
	map(GIB, GIB, RW);
	wrprotect(GIB, GIB, &g);
	cr_assert_eq(g.start, GIB);
	cr_assert_eq(g.last, 2 * GIB - 1);
	cr_assert_eq(ims_gather_page_lg2(&g), 30);
	wrprotect(GIB, GIB, &g);
	cr_assert(g.empty, "already write-protected: nothing to flush");
}

Test(vtd_wrprotect, large_leaves_fault_after_the_sync)
{
	map(0x200000, 2 * MIB, RW);
	map(GIB, GIB, RW);
	tracking(true);
	cr_assert_not(write_faults(0x300000));
	wrprotect_sync(0x200000, 2 * MIB);
	wrprotect_sync(GIB, GIB);
	cr_assert(write_faults(0x3ff000));
	cr_assert(write_faults(GIB + 12345 * 8));
	cr_assert_not(read_faults(0x200000));
	cr_assert_not(read_faults(2 * GIB - 8));
	cr_assert(leaf(0x200000) & VTD_SLPTE_D);
	cr_assert_eq(leaf(GIB) & VTD_SLPTE_D, 0);
	cr_assert(leaf(GIB) & VTD_SLPTE_PS, "still a 1 GiB leaf");
}

/* The sync is what makes it take effect: an IOTLB entry cached dirty lets a
 * write complete without a walk until it is invalidated. */
Test(vtd_wrprotect, stale_iotlb_entry_accepts_writes_until_the_sync)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, RW);
	tracking(true);
	cr_assert_not(write_faults(0x101000));
	wrprotect(0x100000, 0x4000, &g);
	cr_assert_eq(leaf(0x101000) & VTD_SLPTE_W, 0);
	uint64_t refs = STAT(walk_mem_refs);

	cr_assert_not(write_faults(0x101000), "the entry cached writable and dirty still serves");
	cr_assert_eq(STAT(walk_mem_refs), refs, "no walk");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(0x101000), "after the sync the write walks and faults");
}

/* A write that needs D set walks even on an IOTLB hit: it sees W=0 at once. */
Test(vtd_wrprotect, clean_cached_entry_rewalks_and_faults_before_the_sync)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, RW);
	tracking(true);
	cr_assert_not(read_faults(0x102000));
	wrprotect(0x100000, 0x4000, &g);
	cr_assert(write_faults(0x102000));
	cr_assert_eq(leaf(0x102000) & VTD_SLPTE_D, 0, "the faulting write set no D");
}

Test(vtd_wrprotect, splitting_a_large_page_fails_and_changes_nothing)
{
	struct ims_gather g;
	uint64_t before, cyc;

	map(0x200000, 2 * MIB, RW);
	before = leaf(0x200000);
	cyc = STAT(cyc_host_total);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "write_protect of [0x200000, 0x200fff] would split a 2 MiB page"
			 " at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_host_total), cyc);
	cr_assert_not(write_faults(0x200000));
}

Test(vtd_wrprotect, unmapped_hole_fails_before_anything_changes)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, RW);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0x6000, &g, &err),
		     -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x104000 is not mapped"), "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(leaf(0x100000 + i * 0x1000ull) & VTD_SLPTE_W, "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0, &g, &err), -IMS_EINVAL);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 1ull << 48, 0x1000, &g, &err),
		     -IMS_EINVAL);
}

/* No present bit: clearing W of a write-only leaf would unmap it. */
Test(vtd_wrprotect, write_only_leaf_is_refused)
{
	struct ims_gather g;

	map_4k(0x100000, 0x1000, RW);
	map_4k(0x101000, 0x1000, IMS_PROT_WRITE);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0x2000, &g, &err),
		     -IMS_EINVAL);
	cr_assert(strstr(err.msg, "write-only 4 KiB page at 0x101000"), "%s", err.msg);
	cr_assert_eq(leaf(0x100000) & VTD_SLPTE_PERM, VTD_SLPTE_PERM, "nothing changed");
	cr_assert_eq(leaf(0x101000) & VTD_SLPTE_PERM, VTD_SLPTE_W);
	cr_assert(g.empty);
}

/* One read per entry of each table the range touches, one write per leaf
 * that loses W, all charged to the dirty walk. */
Test(vtd_wrprotect, costs_one_read_per_entry_and_one_write_per_change)
{
	struct ims_gather g;
	/* PML4E + PDPE + PDE + 16 PTEs */
	uint64_t reads = 3 + 16, writes = 12;

	map_4k(0x100000, 12 * 0x1000, RW);
	map_4k(0x10c000, 4 * 0x1000, IMS_PROT_READ);
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
	cr_assert_eq(STAT(iotlb_syncs), 0, "write_protect does not sync");
}
