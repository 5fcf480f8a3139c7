/* AMD v1 write_protect: IW cleared in every leaf of the range and in every
 * replica of a Next Level 7 page, D kept, the stale IOTLB window until the
 * sync, refusals that change nothing, and the exact software cost. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define SZ(lg2) (1ull << (lg2))
/* 4 KiB|2 MiB|1 GiB and the 64 KiB Next Level 7 size */
#define SIZES (SZ(12) | SZ(16) | SZ(21) | SZ(30))
#define DATA_PA (1ull << 41)   /* host pages, aligned to every size used */
#define PA4K 0x300001000ull    /* only 4 KiB aligned: every leaf is 4 KiB */

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
	p.amdv1_pgsizes = SIZES;
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("amdv1"), &p, &err), 0, "%s", err.msg);
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

TestSuite(amdv1_wrprotect, .init = setup, .fini = teardown);

static void map_pa(uint64_t iova, uint64_t len, uint64_t pa, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, pa, prot, &err), 0, "%s", err.msg);
}

static void map_4k(uint64_t iova, uint64_t len, unsigned prot)
{
	map_pa(iova, len, PA4K + (iova - 0x100000), prot);
}

static uint64_t leaf(uint64_t iova)
{
	uint64_t pte = 0;

	cr_assert_eq(amdv1_debug_lookup(&sim, dom, iova, &pte, NULL, NULL), 0,
		     "0x%llx is mapped", (unsigned long long)iova);
	return pte;
}

static uint64_t entry(uint64_t iova, unsigned level)
{
	uint64_t pte = 0;

	cr_assert_eq(amdv1_debug_entry(&sim, dom, iova, level, &pte, NULL), 0);
	return pte;
}

static void tracking(bool on)
{
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, on, &err), 0, "%s", err.msg);
}

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

Test(amdv1_wrprotect, registered_in_the_ops_table)
{
	cr_assert_eq(sim.model->write_protect, amdv1_write_protect);
}

Test(amdv1_wrprotect, writes_fault_reads_work_after_the_sync)
{
	uint64_t perm0;

	map_4k(0x100000, 16 * 0x1000, RW);
	tracking(true);
	for (unsigned i = 0; i < 16; i += 4)
		cr_assert_not(write_faults(0x100000 + i * 0x1000ull));
	wrprotect_sync(0x100000, 16 * 0x1000);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t pte = leaf(0x100000 + i * 0x1000ull);

		cr_assert_eq(pte & (AMDV1_PTE_PR | AMDV1_PTE_PERM), AMDV1_PTE_PR | AMDV1_PTE_IR,
			     "page %u: IW cleared, PR and IR kept", i);
		cr_assert_eq(!!(pte & AMDV1_PTE_D), i % 4 == 0, "page %u: D as it was", i);
	}
	perm0 = STAT(fault_perm);
	for (unsigned i = 0; i < 16; i++) {
		cr_assert(write_faults(0x100000 + i * 0x1000ull), "page %u", i);
		cr_assert_not(read_faults(0x100000 + i * 0x1000ull), "page %u", i);
	}
	cr_assert_eq(STAT(fault_perm) - perm0, 16);
	cr_assert_eq(sim.faults[sim.nfaults_logged - 1].kind, IMS_FAULT_PERM);
	cr_assert_eq(sim.faults[sim.nfaults_logged - 1].level, AMDV1_LEVEL_PTE);
}

Test(amdv1_wrprotect, dirty_state_survives_for_read_dirty)
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
	cr_assert_eq(leaf(0x100000) & AMDV1_PTE_IW, 0, "a dirty clear keeps IW clear");
	free(a.bits);
	free(b.bits);
	free(c.bits);
	free(d.bits);
}

/* A Next Level 7 page: IW goes from all 16 replicas (the walker may use any
 * of them); the D the hardware set in the one it walked stays. */
Test(amdv1_wrprotect, nl7_page_every_replica_loses_iw_and_d_stays)
{
	struct ims_gather g;

	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	tracking(true);
	cr_assert_not(write_faults(0x105000));
	wrprotect(0x100000, 64 * KIB, &g);
	cr_assert_eq(g.start, 0x100000);
	cr_assert_eq(g.last, 0x10ffff);
	cr_assert_eq(ims_gather_page_lg2(&g), 16, "gathered as one 64 KiB page");
	for (unsigned i = 0; i < 16; i++) {
		uint64_t pte = entry(0x100000 + i * 4 * KIB, 0);

		cr_assert_eq(pte & AMDV1_PTE_IW, 0, "replica %u", i);
		cr_assert(pte & AMDV1_PTE_IR, "replica %u", i);
		cr_assert_eq(amdv1_pte_nl(pte), 7, "replica %u is still a 64 KiB leaf", i);
		cr_assert_eq(!!(pte & AMDV1_PTE_D), i == 5, "replica %u", i);
	}
	sim.model->iotlb_sync(&sim, dom, &g);
	for (unsigned i = 0; i < 16; i++)
		cr_assert(write_faults(0x100000 + i * 4 * KIB), "replica %u", i);
	cr_assert_not(read_faults(0x10f000));
	struct ims_dirty_bitmap a = read_dirty(0x100000, 64 * KIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(a.bits[0], 0xffff, "the whole page is still dirty");
	free(a.bits);
}

Test(amdv1_wrprotect, nl7_page_cannot_be_split)
{
	struct ims_gather g;
	uint64_t before;

	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	before = entry(0x108000, 0);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x108000, 32 * KIB, &g, &err),
		     -IMS_EINVAL);
	cr_assert(strstr(err.msg, "write_protect of [0x108000, 0x10ffff] would split a 64 KiB"
			 " page at 0x100000"), "%s", err.msg);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(entry(0x100000 + i * 4 * KIB, 0), before, "replica %u", i);
	cr_assert(g.empty);
	cr_assert_not(write_faults(0x10c000));
}

Test(amdv1_wrprotect, gather_covers_changed_leaves_with_their_size)
{
	struct ims_gather g;

	map_pa(0x200000, 2 * MIB, DATA_PA, RW);
	map_4k(0x400000, 4 * 0x1000, RW);
	map_4k(0x404000, 0x1000, IMS_PROT_READ);
	wrprotect(0x200000, 2 * MIB + 5 * 0x1000, &g);
	cr_assert_not(g.empty);
	cr_assert_eq(g.start, 0x200000);
	cr_assert_eq(g.last, 0x403fff, "the read-only page did not change: not gathered");
	cr_assert_eq(g.min_page_lg2, 12);
	cr_assert_eq(g.max_page_lg2, 21);
	cr_assert_not(g.tables_freed);
	map_pa(GIB, GIB, DATA_PA, RW);
	wrprotect(GIB, GIB, &g);
	cr_assert_eq(g.start, GIB);
	cr_assert_eq(g.last, 2 * GIB - 1);
	cr_assert_eq(ims_gather_page_lg2(&g), 30);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(GIB + 777 * 8));
	cr_assert_not(read_faults(GIB + 777 * 8));
	wrprotect(GIB, GIB, &g);
	cr_assert(g.empty, "already write-protected: nothing to flush");
}

Test(amdv1_wrprotect, stale_iotlb_entry_accepts_writes_until_the_sync)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, RW);
	tracking(true);
	cr_assert_not(write_faults(0x101000));
	wrprotect(0x100000, 0x4000, &g);
	cr_assert_eq(leaf(0x101000) & AMDV1_PTE_IW, 0);
	uint64_t refs = STAT(walk_mem_refs);

	cr_assert_not(write_faults(0x101000), "the entry cached writable and dirty still serves");
	cr_assert_eq(STAT(walk_mem_refs), refs, "no walk");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert(write_faults(0x101000), "after the sync the write walks and faults");
}

/* Under HAD=11b a write to an entry cached without D walks: it sees IW=0. */
Test(amdv1_wrprotect, clean_cached_entry_rewalks_and_faults_before_the_sync)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000, RW);
	tracking(true);
	cr_assert_not(read_faults(0x102000));
	wrprotect(0x100000, 0x4000, &g);
	cr_assert(write_faults(0x102000));
	cr_assert_eq(leaf(0x102000) & AMDV1_PTE_D, 0, "the faulting write set no D");
}

Test(amdv1_wrprotect, splitting_or_holes_fail_and_change_nothing)
{
	struct ims_gather g;
	uint64_t before, cyc;

	map_pa(0x200000, 2 * MIB, DATA_PA, RW);
	map_4k(0x100000, 0x4000, RW);
	before = leaf(0x200000);
	cyc = STAT(cyc_host_total);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 2 MiB page at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0x6000, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "write_protect of [0x100000, 0x105fff]: 0x104000 is not mapped"),
		  "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(leaf(0x100000 + i * 0x1000ull) & AMDV1_PTE_IW, "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_host_total), cyc);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 0x100000, 0, &g, &err), -IMS_EINVAL);
	cr_assert_eq(sim.model->write_protect(&sim, dom, 1ull << 48, 0x1000, &g, &err),
		     -IMS_EINVAL);
}

/* One read per entry of each table the range touches (every replica of a
 * page), one write per entry that loses IW, all charged to the dirty walk. */
Test(amdv1_wrprotect, costs_one_read_per_entry_and_one_write_per_change)
{
	struct ims_gather g;
	uint64_t pte_pa = 0;
	/* 3 PDEs + 12 writable and 4 read-only PTEs; then 3 PDEs + 16 replicas */
	uint64_t reads = 3 + 16, writes = 12;

	map_4k(0x100000, 12 * 0x1000, RW);
	map_4k(0x10c000, 4 * 0x1000, IMS_PROT_READ);
	uint64_t cyc = STAT(cyc_sw_dirty_walk), host = STAT(cyc_host_total);

	wrprotect(0x100000, 16 * 0x1000, &g);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, reads * sim.costs.sw_pte_read_cycles +
		     writes * sim.costs.sw_pte_write_cycles);
	cr_assert_eq(STAT(cyc_host_total) - host, STAT(cyc_sw_dirty_walk) - cyc);
	cyc = STAT(cyc_sw_dirty_walk);
	wrprotect(0x100000, 16 * 0x1000, &g);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, reads * sim.costs.sw_pte_read_cycles,
		     "nothing left to change: reads only");
	cr_assert(g.empty);

	/* a 64 KiB page one of whose replicas already lacks IW */
	map_pa(0x200000, 64 * KIB, DATA_PA, RW);
	cr_assert_eq(amdv1_debug_entry(&sim, dom, 0x203000, 0, NULL, &pte_pa), 0);
	ims_mem_store64(&sim.mem, pte_pa, ims_mem_load64(&sim.mem, pte_pa) & ~AMDV1_PTE_IW);
	cyc = STAT(cyc_sw_dirty_walk);
	wrprotect(0x200000, 64 * KIB, &g);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, (3 + 16) * sim.costs.sw_pte_read_cycles +
		     15 * sim.costs.sw_pte_write_cycles);
	cr_assert_eq(ims_gather_page_lg2(&g), 16);
	cr_assert_eq(STAT(iotlb_syncs), 0, "write_protect does not sync");
}
