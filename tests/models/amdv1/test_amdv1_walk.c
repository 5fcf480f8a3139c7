/* AMD v1 hardware walk, A/D under HAD, Next Level 7 pages, level skipping,
 * and the host page-table software, driven through the host API the way a
 * trace drives them. Tables the host never builds (skips, Mode 6) are
 * written by hand with ims_host_store. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"
#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define SZ(lg2) (1ull << (lg2))
/* 4 KiB|2 MiB|1 GiB plus the Next Level 7 sizes the tests use */
#define NL7_SIZES (SZ(12) | SZ(13) | SZ(16) | SZ(20) | SZ(21) | SZ(22) | SZ(29) | SZ(30) | \
		   SZ(31))
#define DATA_PA (1ull << 41)   /* host pages, aligned to every size used */

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup_with(unsigned iova_bits, uint64_t pgsizes)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	p.amdv1_pgsizes = pgsizes;
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("amdv1"), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	cr_assert_eq(ims_host_domain_create(&sim, "d0", iova_bits, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void setup(void)
{
	struct ims_params p;

	ims_params_default(&p);
	setup_with(48, p.amdv1_pgsizes);
}

static void setup_nl7(void)
{
	setup_with(48, NL7_SIZES);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(amdv1_walk, .init = setup, .fini = teardown);
TestSuite(amdv1_nl7, .init = setup_nl7, .fini = teardown);
TestSuite(amdv1_skip, .init = setup, .fini = teardown);
TestSuite(amdv1_ad, .init = setup, .fini = teardown);
TestSuite(amdv1_dirty, .init = setup, .fini = teardown);
TestSuite(amdv1_unmap, .init = setup, .fini = teardown);
TestSuite(amdv1_map, .init = setup, .fini = teardown);
TestSuite(amdv1_fault, .init = setup, .fini = teardown);

static void map_pa(uint64_t iova, uint64_t len, uint64_t pa, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, pa, prot, &err), 0, "%s", err.msg);
}

/* Map with a PA that is only 4 KiB aligned: every leaf is 4 KiB. */
static void map_4k(uint64_t iova, uint64_t len)
{
	map_pa(iova, len, 0x300001000ull, RW);
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

/* Memory references of one DMA of 8 bytes. */
static uint64_t refs_of(uint64_t iova, bool write)
{
	uint64_t before = STAT(walk_mem_refs);

	cr_assert_eq(ims_dma(&sim, dev, iova, 8, write), 0, "0x%llx translates",
		     (unsigned long long)iova);
	return STAT(walk_mem_refs) - before;
}

static uint64_t refs_of_read(uint64_t iova)
{
	return refs_of(iova, false);
}

static void tracking(bool on)
{
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, on, &err), 0, "%s", err.msg);
}

/* Software rewrites HAD in a device's DTE in memory only. */
static void poke_had(struct ims_device *d, unsigned had)
{
	uint64_t pa = amdv1_dte_pa(d->sid);
	uint64_t qw0 = ims_mem_load64(&sim.mem, pa);

	ims_mem_store64(&sim.mem, pa, (qw0 & ~AMDV1_DTE_HAD) | ims_field_prep(AMDV1_DTE_HAD, had));
}

/* INVALIDATE_DEVTAB_ENTRY for a device, and a COMPLETION_WAIT. */
static void flush_dte(struct ims_device *d)
{
	struct amdv1_cmd c = amdv1_cmd_inv_devtab(d->sid);

	amdv1_cmd_queue(&sim, &amdv1_iommu(&sim)->cmd, &c);
	amdv1_cmd_wait(&sim, &amdv1_iommu(&sim)->cmd);
}

static unsigned popcount(const struct ims_dirty_bitmap *bm)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < (bm->nbits + 63) / 64; i++)
		n += (unsigned)__builtin_popcountll(bm->bits[i]);
	return n;
}

static struct ims_dirty_bitmap read_dirty(uint64_t iova, uint64_t len, unsigned flags)
{
	struct ims_dirty_bitmap bm;

	cr_assert_eq(ims_host_read_dirty(&sim, dom, iova, len, 12, flags, &bm, &err), 0, "%s",
		     err.msg);
	return bm;
}

/* ---- walks of every page size ------------------------------------------------ */

struct refs_row {
	unsigned iova_bits;
	unsigned page_lg2;
	uint64_t refs;          /* cold: one read per level down to the leaf */
};

static const struct refs_row refs_rows[] = {
	{ 48, 12, 4 }, { 48, 13, 4 }, { 48, 16, 4 }, { 48, 20, 4 },
	{ 48, 21, 3 }, { 48, 22, 3 }, { 48, 29, 3 },
	{ 48, 30, 2 }, { 48, 31, 2 },
	{ 57, 12, 5 }, { 57, 16, 5 }, { 57, 21, 4 }, { 57, 22, 4 }, { 57, 30, 3 },
};

ParameterizedTestParameters(amdv1_cold, one_read_per_level_down_to_the_leaf)
{
	return cr_make_param_array(struct refs_row, refs_rows,
				   sizeof(refs_rows) / sizeof(refs_rows[0]));
}

ParameterizedTest(const struct refs_row *r, amdv1_cold, one_read_per_level_down_to_the_leaf,
		  .fini = teardown)
{
	uint64_t size = SZ(r->page_lg2);
	/* a high IOVA, so 5-level tables use a non-zero top index */
	uint64_t iova = (r->iova_bits == 57 ? 1ull << 50 : 0) + 8 * GIB;
	struct ims_walk w;

	setup_with(r->iova_bits, NL7_SIZES);
	map_pa(iova, size, DATA_PA, RW);
	cr_assert_eq(STAT(map_pages_4k) + STAT(map_pages_2m) + STAT(map_pages_1g) +
		     STAT(map_pages_other), 1, "one leaf");
	cr_assert_eq(refs_of_read(iova + size / 2), r->refs, "%u-bit, 2^%u page", r->iova_bits,
		     r->page_lg2);
	cr_assert_eq(STAT(psc_miss), 1);
	cr_assert_eq(STAT(psc_hit), 0);
	/* the IOTLB entry covers the whole page, however many PTEs it spans */
	cr_assert_eq(refs_of_read(iova + size - 8), 0);
	cr_assert_eq(refs_of_read(iova), 0);
	sim.model->walk(&sim, dev, dom, iova + size / 2 + 8, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.page_lg2, r->page_lg2);
	cr_assert_eq(w.pa, DATA_PA);
	/* host domains enforce coherency unless declared otherwise: snooped */
	cr_assert_eq(w.tlb_flags, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP,
		     "tracking off: writes need no D update");
}

Test(amdv1_walk, walk_lands_on_the_mapped_page)
{
	struct ims_walk w;

	map_4k(0x40000000, 4 * MIB);
	sim.model->walk(&sim, dev, dom, 0x40123456, IMS_ACCESS_WRITE, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.pa, 0x300001000ull + 0x123000);
	cr_assert_eq(w.page_lg2, 12);
	cr_assert_gt(w.cycles, 0);
	cr_assert_eq(STAT(walks), 1);
}

Test(amdv1_walk, page_directory_cache_skips_upper_reads)
{
	map_4k(0x40000000, 4 * MIB);
	cr_assert_eq(refs_of_read(0x40000000), 4, "cold");
	/* same 2 MiB region: the cached level-1 PDE gives the PTE table */
	cr_assert_eq(refs_of_read(0x40001000), 1);
	cr_assert_eq(STAT(psc_hit_l1), 1);
	/* next 2 MiB of the same 1 GiB: the cached level-2 PDE */
	cr_assert_eq(refs_of_read(0x40200000), 2);
	cr_assert_eq(STAT(psc_hit_l2), 1);
	cr_assert_eq(STAT(psc_hit), 2);
	cr_assert_eq(STAT(psc_miss), 1);
	cr_assert_eq(refs_of_read(0x40200010), 0, "an IOTLB hit walks nothing");
}

Test(amdv1_walk, cache_hit_is_cheaper_than_the_reads_it_saves)
{
	struct ims_walk cold, warm;

	map_4k(0x40000000, 4 * MIB);
	sim.model->walk(&sim, dev, dom, 0x40000000, IMS_ACCESS_READ, &cold);
	sim.model->walk(&sim, dev, dom, 0x40001000, IMS_ACCESS_READ, &warm);
	cr_assert_lt(warm.cycles, cold.cycles);
	cr_assert_geq(warm.cycles, sim.costs.psc_hit_ns);
}

Test(amdv1_walk, pdes_carry_ir_iw_and_next_level)
{
	map_pa(0x40000000, 4 * KIB, DATA_PA, IMS_PROT_READ);
	for (unsigned l = 1; l <= 3; l++) {
		uint64_t pde = entry(0x40000000, l);

		cr_assert_eq(pde & AMDV1_PTE_PERM, AMDV1_PTE_PERM, "level %u", l);
		cr_assert_eq(amdv1_pte_nl(pde), l, "level %u points at spec level %u", l, l);
	}
	/* FC too: host domains enforce coherency unless declared otherwise */
	cr_assert_eq(leaf(0x40000000), AMDV1_PTE_PR | AMDV1_PTE_IR | AMDV1_PTE_FC | DATA_PA,
		     "read-only 4 KiB PTE: PR, IR, FC, NL=0");
}

Test(amdv1_custom, six_level_table_translates_all_64_bits, .fini = teardown)
{
	struct amdv1_domain *ad;
	struct amdv1_dte e;
	struct ims_walk w;
	uint64_t top;

	setup_with(57, SZ(12));
	ad = amdv1_dom(dom);
	map_pa(0x1000, 4 * KIB, DATA_PA, RW);
	/* a Mode 6 top table (VA 63:57) over the domain's 5-level table */
	top = ims_host_alloc_table(&sim, dom);
	ims_host_store(&sim, top, amdv1_mk_pde(ad->root_pa, 4));
	amdv1_dte_build(&e, top, 6, dom->did, false);
	amdv1_dte_store(&sim, dev->sid, &e);
	flush_dte(dev);
	cr_assert_eq(refs_of_read(0x1000), 6);
	sim.model->walk(&sim, dev, dom, 1ull << 63, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NOT_PRESENT, "no address-width fault in Mode 6");
	cr_assert_eq(w.fault_level, 5);
	cr_assert_eq(w.fault_pte_pa, top + 64 * 8, "bit 63 is index 64 of 128");
	/* a translation at the top of a 6-level table is malformed (Table 15) */
	ims_host_store(&sim, top + 8, amdv1_mk_leaf(0, 21, RW));
	sim.model->walk(&sim, dev, dom, 1ull << 57, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NOT_PRESENT);
	cr_assert_eq(w.fault_pte_pa, top + 8);
	ims_host_free_table(&sim, dom, top);   /* not in the domain's tree: fini would not */
}

/* ---- Next Level 7 --------------------------------------------------------------- */

Test(amdv1_nl7, leaf_is_replicated_across_the_entries_it_spans)
{
	/* FC: host domains enforce coherency unless declared otherwise */
	uint64_t expect = amdv1_mk_leaf(DATA_PA, 16, RW) | AMDV1_PTE_FC;

	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	cr_assert_eq(STAT(map_pages_other), 1);
	cr_assert_eq(STAT(map_pages_4k), 0);
	cr_assert_eq(amdv1_pte_nl(expect), 7);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(entry(0x100000 + i * 4 * KIB, 0), expect, "replica %u", i);
	/* bits 14:12 set, bit 15 clear: 2^(13+3) = 64 KiB */
	cr_assert_eq(amdv1_pte_addr(expect), DATA_PA | 0x7000);
	cr_assert_eq(entry(0x110000, 0), 0, "the next entry is not part of it");
	cr_assert_eq(entry(0xff000, 0), 0);
}

Test(amdv1_nl7, host_uses_every_size_it_is_given)
{
	/* 1 MiB + 64 KiB + 8 KiB + 4 KiB, aligned to nothing larger */
	map_pa(0x100000, MIB + 64 * KIB + 8 * KIB + 4 * KIB, DATA_PA, RW);
	cr_assert_eq(amdv1_leaf_size_lg2(leaf(0x100000), 0), 20);
	cr_assert_eq(amdv1_leaf_size_lg2(leaf(0x200000), 0), 16);
	cr_assert_eq(amdv1_leaf_size_lg2(leaf(0x210000), 0), 13);
	cr_assert_eq(amdv1_leaf_size_lg2(leaf(0x212000), 0), 12);
	cr_assert_eq(STAT(map_pages_other), 3);
	cr_assert_eq(STAT(map_pages_4k), 1);
}

Test(amdv1_nl7, hardware_sets_d_only_in_the_replica_it_walked)
{
	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	tracking(true);
	cr_assert_eq(refs_of(0x105000, true), 4);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(entry(0x100000 + i * 4 * KIB, 0) & (AMDV1_PTE_A | AMDV1_PTE_D),
			     i == 5 ? AMDV1_PTE_A | AMDV1_PTE_D : 0, "replica %u", i);
	/* the IOTLB entry covers the whole 64 KiB, cached dirty: a write
	 * elsewhere in the page completes without touching memory */
	cr_assert_eq(refs_of(0x10f000, true), 0);
	cr_assert_eq(entry(0x10f000, 0) & AMDV1_PTE_D, 0);
	cr_assert_eq(STAT(d_set), 1);
}

Test(amdv1_nl7, read_dirty_ors_every_replica_and_clears_them_all)
{
	uint64_t pte_pa3 = 0, pte_pa12 = 0;

	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x105000, 8, true), 0);
	/* a second replica dirty, as another walk of the page would leave it */
	cr_assert_eq(amdv1_debug_entry(&sim, dom, 0x10c000, 0, NULL, &pte_pa12), 0);
	cr_assert_eq(amdv1_debug_entry(&sim, dom, 0x103000, 0, NULL, &pte_pa3), 0);
	ims_mem_store64(&sim.mem, pte_pa12, ims_mem_load64(&sim.mem, pte_pa12) | AMDV1_PTE_D);

	struct ims_dirty_bitmap a = read_dirty(0x100000, 64 * KIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(a.bits[0], 0xffff, "the whole page is reported");
	cr_assert(ims_mem_load64(&sim.mem, pte_pa12) & AMDV1_PTE_D, "NO_CLEAR leaves D");
	cr_assert_eq(STAT(dirty_ptes_cleared), 0);

	uint64_t scanned = STAT(dirty_ptes_scanned);
	struct ims_dirty_bitmap b = read_dirty(0x100000, 64 * KIB, 0);

	cr_assert_eq(b.bits[0], 0xffff);
	cr_assert_eq(STAT(dirty_ptes_scanned) - scanned, 3 + 16, "3 PDEs and 16 replicas");
	cr_assert_eq(STAT(dirty_ptes_cleared), 2, "only the two dirty replicas need a clear");
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(entry(0x100000 + i * 4 * KIB, 0) & AMDV1_PTE_D, 0, "replica %u", i);
	struct ims_dirty_bitmap c = read_dirty(0x100000, 64 * KIB, 0);

	cr_assert_eq(popcount(&c), 0);
	/* the clear was flushed: a new write anywhere in the page walks again,
	 * from the root: PDE=1 (as Linux sets it) dropped the cached PDEs */
	cr_assert_eq(refs_of(0x103000, true), 4);
	cr_assert(ims_mem_load64(&sim.mem, pte_pa3) & AMDV1_PTE_D);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(STAT(dirty_pages_spurious), 16, "b re-reported the NO_CLEAR-reported page");
	free(a.bits);
	free(b.bits);
	free(c.bits);
}

Test(amdv1_nl7, partial_read_still_reads_the_whole_group)
{
	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x10e000, 8, true), 0);
	uint64_t scanned = STAT(dirty_ptes_scanned);
	struct ims_dirty_bitmap bm = read_dirty(0x102000, 8 * KIB, 0);

	cr_assert_eq(bm.bits[0], 0x3, "the page is dirty; the bitmap is clipped");
	cr_assert_eq(STAT(dirty_ptes_scanned) - scanned, 3 + 16);
	cr_assert_eq(entry(0x10e000, 0) & AMDV1_PTE_D, 0, "cleared outside the read range too");
	free(bm.bits);
}

Test(amdv1_nl7, larger_sizes_at_upper_levels)
{
	struct ims_walk w;

	map_pa(1 * GIB, 4 * MIB, DATA_PA, RW);
	cr_assert_eq(amdv1_pte_nl(entry(GIB, 1)), 7);
	cr_assert_eq(entry(GIB, 1), entry(GIB + 2 * MIB, 1), "two replicas at level 1");
	map_pa(2 * GIB, 2 * GIB, DATA_PA + 2 * GIB, RW);
	cr_assert_eq(entry(2 * GIB, 2), entry(3 * GIB, 2), "two replicas at level 2");
	sim.model->walk(&sim, dev, dom, 3 * GIB + 12345, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.page_lg2, 31);
	cr_assert_eq(w.pa, DATA_PA + 2 * GIB);
}

Test(amdv1_nl7, unmap_clears_every_replica_and_refuses_to_split)
{
	struct ims_gather g;
	uint64_t writes0 = STAT(cyc_sw_unmap);

	map_pa(0x100000, 64 * KIB, DATA_PA, RW);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x100000, 32 * KIB, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 64 KiB page at 0x100000"), "%s", err.msg);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x108000, 32 * KIB, &g, &err), -IMS_EINVAL);
	cr_assert(g.empty);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x100000, 64 * KIB, &g, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(cyc_sw_unmap) - writes0, 16 * sim.costs.sw_pte_write_cycles);
	for (unsigned i = 0; i < 16; i++)
		cr_assert_eq(entry(0x100000 + i * 4 * KIB, 0), 0, "replica %u", i);
	cr_assert_eq(g.start, 0x100000);
	cr_assert_eq(g.last, 0x10ffff);
	cr_assert_eq(g.max_page_lg2, 16);
	cr_assert_not(g.tables_freed);
}

Test(amdv1_nl7, iotlb_holds_every_allowed_size)
{
	cr_assert_eq(sim.iotlb.nsizes, (unsigned)__builtin_popcountll(NL7_SIZES));
	cr_assert_eq(sim.model->pgsize_bitmap(&sim), NL7_SIZES);
}

Test(amdv1_custom, linux_bitmap_is_accepted_up_to_8_tib, .fini = teardown)
{
	setup_with(48, 0xffffff7ffffff000ull);
	cr_assert_eq(sim.model->pgsize_bitmap(&sim), 0xffffff7ffffff000ull & IMS_GENMASK(43, 12));
	cr_assert_eq(sim.iotlb.nsizes, 31, "2^12..2^43 but 512 GiB");
}

Test(amdv1_nl7, bitmap_without_4k_is_rejected)
{
	struct ims_params p;
	struct ims_sim s2;

	ims_params_default(&p);
	p.amdv1_pgsizes = SZ(21);
	cr_assert_eq(ims_sim_init(&s2, ims_model_find("amdv1"), &p, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "amdv1_pgsizes"), "%s", err.msg);
	p.amdv1_pgsizes = SZ(12) | SZ(11);
	cr_assert_eq(ims_sim_init(&s2, ims_model_find("amdv1"), &p, &err), -IMS_EINVAL);
}

/* ---- level skipping (built by hand: host software never skips) ----------------- */

/* Root (level 3) entry 0 points straight at a PTE table: levels 2 and 1
 * are skipped, so IOVA bits 38:21 must be zero. */
static uint64_t build_skip_to_ptes(void)
{
	uint64_t root = amdv1_dom(dom)->root_pa, ptes = ims_host_alloc_table(&sim, dom);

	ims_host_store(&sim, root, amdv1_mk_pde(ptes, 0));
	ims_host_store(&sim, ptes + 5 * 8, amdv1_mk_leaf(0x300005000ull, 12, RW));
	ims_host_store(&sim, ptes + 6 * 8, amdv1_mk_leaf(0x300006000ull, 12, RW));
	return ptes;
}

Test(amdv1_skip, walk_reads_only_the_levels_present)
{
	struct ims_walk w;

	build_skip_to_ptes();
	cr_assert_eq(amdv1_pte_nl(entry(0x5000, 3)), 1, "NL=1 at spec level 4");
	sim.model->walk(&sim, dev, dom, 0x5123, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.pa, 0x300005000ull);
	cr_assert_eq(w.page_lg2, 12);
	cr_assert_eq(STAT(walk_mem_refs), 2, "root entry and PTE: two reads, not four");
	/* the cached root entry records that it points at level 0 */
	cr_assert_eq(refs_of_read(0x6000), 1);
	cr_assert_eq(STAT(psc_hit_l3), 1);
	struct ims_psc_entry *e = ims_psc_lookup(&sim.psc, 3, dom->did, 0x6000);

	cr_assert_not_null(e);
	cr_assert_eq(e->next_level, 0);
	unsigned level = 9;

	cr_assert_eq(amdv1_debug_lookup(&sim, dom, 0x6000, NULL, &level, NULL), 0);
	cr_assert_eq(level, 0, "software lookups follow the skip too");
}

Test(amdv1_skip, skipped_iova_bits_must_be_zero)
{
	uint64_t root = amdv1_dom(dom)->root_pa;

	build_skip_to_ptes();
	/* bit 21 indexes the skipped level 1: a fault at the skipping PDE */
	cr_assert_eq(ims_dma(&sim, dev, 0x205000, 8, false), 1);
	cr_assert_eq(STAT(fault_addr), 1);
	cr_assert_eq(sim.faults[0].level, 3);
	cr_assert_eq(sim.faults[0].pte_pa, root);
	cr_assert_eq(STAT(walk_mem_refs), 1);
	/* once the PDE is cached the check is still made, with no read */
	cr_assert_eq(ims_dma(&sim, dev, 0x5000, 8, false), 0);
	uint64_t refs = STAT(walk_mem_refs);

	cr_assert_eq(ims_dma(&sim, dev, 0x40005000, 8, false), 1, "bit 30: skipped level 2");
	cr_assert_eq(STAT(fault_addr), 2);
	cr_assert_eq(sim.faults[1].level, 3);
	cr_assert_eq(sim.faults[1].pte_pa, 0, "from the page directory cache");
	cr_assert_eq(STAT(walk_mem_refs), refs);
}

Test(amdv1_skip, skip_to_a_2m_table)
{
	uint64_t root = amdv1_dom(dom)->root_pa, pds = ims_host_alloc_table(&sim, dom);
	uint64_t base = 1ull << 39;
	struct ims_walk w;

	/* root entry 1 -> level-1 table (NL=2: level 2 skipped) -> 2 MiB pages */
	ims_host_store(&sim, root + 8, amdv1_mk_pde(pds, 1));
	for (unsigned i = 0; i < 512; i++)
		ims_host_store(&sim, pds + 8 * i, amdv1_mk_leaf(DATA_PA + i * 2 * MIB, 21, RW));
	sim.model->walk(&sim, dev, dom, base + 3 * MIB, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.page_lg2, 21);
	cr_assert_eq(w.pa, DATA_PA + 2 * MIB);
	cr_assert_eq(STAT(walk_mem_refs), 2);
	sim.model->walk(&sim, dev, dom, base + GIB, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_ADDR, "bit 30 indexes the skipped level 2");
	/* host software follows the skip: unmapping beyond the 1 GiB the
	 * skipped-to table maps finds a hole, within it works */
	struct ims_gather g;

	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, base, 2 * GIB, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x8040000000 is not mapped (skipped levels)"), "%s", err.msg);
	cr_assert(g.empty);
	cr_assert_eq(sim.model->unmap(&sim, dom, base, GIB, &g, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_mem_load64(&sim.mem, pds + 8 * 511), 0);
	cr_assert_eq(g.last, base + GIB - 1);
}

Test(amdv1_skip, dirty_read_follows_the_skip)
{
	uint64_t ptes;

	build_skip_to_ptes();
	ptes = amdv1_pte_addr(entry(0, 3));
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x6000, 8, true), 0);
	cr_assert(ims_mem_load64(&sim.mem, ptes + 6 * 8) & AMDV1_PTE_D);
	/* the host has no record of these hand-made mappings: call the model */
	struct ims_dirty_bitmap bm = { .iova = 0x5000, .len = 0x2000, .page_lg2 = 12, .nbits = 2 };
	uint64_t bits = 0;
	struct ims_gather g;

	bm.bits = &bits;
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x5000, 0x2000, 0, &bm, &g, &err), 0);
	cr_assert_eq(bits, 0x2);
	cr_assert_eq(ims_mem_load64(&sim.mem, ptes + 6 * 8) & AMDV1_PTE_D, 0);
}

/* ---- A/D and HAD --------------------------------------------------------------- */

Test(amdv1_ad, nothing_is_set_while_tracking_is_off)
{
	map_4k(0x100000, 0x2000);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), 0);
	cr_assert_eq(leaf(0x101000) & (AMDV1_PTE_A | AMDV1_PTE_D), 0);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert_eq(entry(0x100000, l) & AMDV1_PTE_A, 0, "level %u", l);
	cr_assert_eq(STAT(ad_updates), 0);
}

Test(amdv1_ad, read_sets_a_write_sets_a_and_d)
{
	map_4k(0x100000, 0x2000);
	tracking(true);
	cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, dev->sid)), AMDV1_HAD_AD);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), AMDV1_PTE_A);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert(entry(0x100000, l) & AMDV1_PTE_A, "level %u PDE accessed", l);
	cr_assert_eq(STAT(a_set), 4);
	cr_assert_eq(STAT(d_set), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x101000) & (AMDV1_PTE_A | AMDV1_PTE_D), AMDV1_PTE_A | AMDV1_PTE_D);
	cr_assert_eq(STAT(d_set), 1);
	cr_assert_eq(STAT(a_set), 5, "the PDEs were already accessed");
	cr_assert_eq(STAT(ad_updates), 5);
	cr_assert_eq(STAT(cyc_ad_update), 5 * sim.costs.ad_update_ns);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert_eq(entry(0x100000, l) & AMDV1_PTE_D, 0, "no D in PDEs");
}

Test(amdv1_ad, write_after_read_rewalks_to_set_d)
{
	map_4k(0x100000, 0x1000);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(iotlb_dirty_rewalk), 1, "the cached entry had D=0");
	cr_assert(leaf(0x100000) & AMDV1_PTE_D);
	uint64_t walks = STAT(walks);

	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(walks), walks, "cached dirty now: the write hits");
}

Test(amdv1_ad, had_01b_updates_accessed_only)
{
	struct ims_walk w;

	map_4k(0x100000, 0x2000);
	poke_had(dev, AMDV1_HAD_A);
	flush_dte(dev);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), AMDV1_PTE_A);
	cr_assert(entry(0x100000, 3) & AMDV1_PTE_A);
	cr_assert_eq(STAT(d_set), 0);
	cr_assert_eq(STAT(a_set), 4);
	sim.model->walk(&sim, dev, dom, 0x101000, IMS_ACCESS_WRITE, &w);
	cr_assert(w.tlb_flags & IMS_TLB_DIRTY, "D is not tracked: writes need no re-walk");
}

Test(amdv1_ad, had_10b_is_reserved_no_updates)
{
	map_4k(0x100000, 0x1000);
	poke_had(dev, AMDV1_HAD_RSVD);
	flush_dte(dev);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), 0);
	cr_assert_eq(STAT(ad_updates), 0);
}

Test(amdv1_ad, had_change_takes_effect_only_after_invalidate_devtab_entry)
{
	map_4k(0x100000, 0x2000);
	/* software sets HAD in memory but does not invalidate the DTE */
	poke_had(dev, AMDV1_HAD_AD);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), 0,
		     "the walker still uses the cached DTE (HAD=00b)");
	flush_dte(dev);
	cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, dev->sid)), AMDV1_HAD_AD);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(leaf(0x101000) & (AMDV1_PTE_A | AMDV1_PTE_D), AMDV1_PTE_A | AMDV1_PTE_D);
}

Test(amdv1_ad, had_is_per_device)
{
	struct ims_device *dev2;

	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev2, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev2, dom, &err), 0, "%s", err.msg);
	map_4k(0x100000, 0x2000);
	poke_had(dev2, AMDV1_HAD_AD);
	flush_dte(dev2);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & AMDV1_PTE_D, 0, "dev0's DTE has HAD=00b");
	cr_assert_eq(ims_dma(&sim, dev2, 0x101000, 8, true), 0);
	cr_assert(leaf(0x101000) & AMDV1_PTE_D, "dev1's DTE has HAD=11b");
}

Test(amdv1_ad, tracking_switch_rewrites_every_attached_dte)
{
	struct ims_device *dev2;

	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev2, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev2, dom, &err), 0, "%s", err.msg);
	tracking(true);
	for (unsigned i = 0; i < 2; i++) {
		struct ims_device *d = i ? dev2 : dev;
		struct amdv1_dte mem;

		amdv1_dte_load(&sim, d->sid, &mem);
		cr_assert_eq(amdv1_dte_had(&mem), AMDV1_HAD_AD, "device %u in memory", i);
		cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, d->sid)), AMDV1_HAD_AD,
			     "device %u cached", i);
	}
	/* a device attached later gets the domain's current HAD */
	struct ims_device *dev3;

	cr_assert_eq(ims_host_device_create(&sim, "dev2", 0x300, &dev3, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev3, dom, &err), 0, "%s", err.msg);
	cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, dev3->sid)), AMDV1_HAD_AD);
	tracking(false);
	cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, dev3->sid)), AMDV1_HAD_NONE);
	map_4k(0x100000, 0x1000);
	cr_assert_eq(ims_dma(&sim, dev3, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & (AMDV1_PTE_A | AMDV1_PTE_D), 0);
}

Test(amdv1_ad, large_leaf_gets_d)
{
	map_pa(0x200000, 2 * MIB, DATA_PA, RW);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x3ff000, 8, true), 0);
	cr_assert_eq(leaf(0x200000) & (AMDV1_PTE_A | AMDV1_PTE_D), AMDV1_PTE_A | AMDV1_PTE_D);
	cr_assert_eq(amdv1_pte_nl(leaf(0x200000)), 0, "a default-size 2 MiB leaf: NL=0");
}

/* ---- dirty reads ------------------------------------------------------------------ */

Test(amdv1_dirty, stale_dirty_iotlb_entry_hides_writes_until_the_flush)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(leaf(0x100000) & AMDV1_PTE_D);
	/* clear D without the flush the gather asks for */
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 0x4000, 0, NULL, &g, &err), 0);
	cr_assert_not(g.empty);
	cr_assert_eq(leaf(0x100000) & AMDV1_PTE_D, 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(leaf(0x100000) & AMDV1_PTE_D, 0,
		     "the write hit the IOTLB entry cached dirty: D stays clear in memory");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(leaf(0x100000) & AMDV1_PTE_D, "after the flush the write walks and sets D");
}

Test(amdv1_dirty, no_clear_reports_again_clear_reports_once)
{
	map_4k(0x100000, 16 * 0x1000);
	tracking(true);
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

Test(amdv1_dirty, scan_reads_each_entry_once_per_table)
{
	/* 1 GiB of 4 KiB leaves: 1 level-3 + 1 level-2 + 512 PDEs + 512 x 512 PTEs */
	uint64_t expect = 1 + 1 + 512 + 512 * 512;

	map_4k(GIB, GIB);
	tracking(true);
	uint64_t scanned = STAT(dirty_ptes_scanned), cyc = STAT(cyc_sw_dirty_walk);
	struct ims_dirty_bitmap bm = read_dirty(GIB, GIB, IMS_DIRTY_NO_CLEAR);

	cr_assert_eq(STAT(dirty_ptes_scanned) - scanned, expect);
	cr_assert_eq(STAT(cyc_sw_dirty_walk) - cyc, expect * sim.costs.sw_pte_read_cycles,
		     "nothing dirty: only reads are charged");
	cr_assert_eq(popcount(&bm), 0);
	free(bm.bits);
}

Test(amdv1_dirty, bitmap_needs_tracking_on)
{
	struct ims_dirty_bitmap bm = { .iova = 0x100000, .len = 0x1000, .page_lg2 = 12, .nbits = 1 };
	uint64_t bits = 0;
	struct ims_gather g;

	bm.bits = &bits;
	map_4k(0x100000, 0x1000);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 0x1000, 0, &bm, &g, &err),
		     -IMS_EINVAL);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 0x1000, 0, NULL, &g, &err), 0,
		     "the clear-only call is allowed");
}

/* clear+unmap: two syncs per range; noclear+unmap: one. */
Test(amdv1_dirty, strategies_sync_counts)
{
	static const struct { const char *name; uint64_t syncs; } rows[] = {
		{ "clear+unmap", 2 }, { "noclear+unmap", 1 },
	};

	for (unsigned r = 0; r < 2; r++) {
		uint64_t iova = 0x1000000ull * (r + 1);

		map_4k(iova, 64 * KIB);
	}
	tracking(true);
	for (unsigned r = 0; r < 2; r++) {
		const struct ims_dirty_strategy *s = ims_dirty_strategy_find(rows[r].name);
		uint64_t iova = 0x1000000ull * (r + 1), syncs = STAT(iotlb_syncs);

		cr_assert_not_null(s);
		cr_assert_eq(ims_dma(&sim, dev, iova + 0x3000, 64, true), 0);
		cr_assert_eq(s->dirty_unmap(&sim, dom, iova, 64 * KIB, 12, &err), 0, "%s", err.msg);
		cr_assert_eq(STAT(iotlb_syncs) - syncs, rows[r].syncs, "%s", rows[r].name);
		cr_assert_eq(amdv1_debug_lookup(&sim, dom, iova, NULL, NULL, NULL), -IMS_ENOMAP);
	}
	cr_assert_eq(STAT(dirty_pages_missed), 0);
}

/* ---- map ------------------------------------------------------------------------ */

Test(amdv1_map, large_leaf_over_an_empty_table_is_remapped_and_flushed)
{
	uint64_t free0, syncs0;

	map_4k(0x200000, 0x1000);
	cr_assert_eq(refs_of_read(0x200000), 4);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x200000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(amdv1_pte_type(entry(0x200000, 1)), AMDV1_PTE_TABLE,
		     "unmapping one page leaves its (now empty) table");
	free0 = STAT(pt_pages_free);
	syncs0 = STAT(iotlb_syncs);
	map_pa(0x200000, 2 * MIB, DATA_PA, RW);
	cr_assert_eq(STAT(map_pages_2m), 1);
	cr_assert_eq(amdv1_pte_type(entry(0x200000, 1)), AMDV1_PTE_LEAF);
	cr_assert_eq(STAT(pt_pages_free) - free0, 1, "the empty table is freed");
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1, "and the caches pointing at it flushed");
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000), "PDE=1");
	cr_assert_eq(refs_of_read(0x212345), 3);
}

Test(amdv1_map, overlapping_leaves_are_refused_before_any_change)
{
	uint64_t tables = STAT(pt_pages_alloc);
	struct ims_error e2;

	map_4k(0x200000, 0x1000);
	tables = STAT(pt_pages_alloc) - tables;
	cr_assert_eq(sim.model->map_page(&sim, dom, 0x200000, DATA_PA, 21, RW, &e2), -IMS_EEXIST);
	cr_assert_eq(sim.model->map_page(&sim, dom, 0x200000, DATA_PA, 12, RW, &e2), -IMS_EEXIST);
	map_pa(0x40000000, GIB, DATA_PA, RW);
	cr_assert_eq(sim.model->map_page(&sim, dom, 0x40001000, DATA_PA, 12, RW, &e2),
		     -IMS_EEXIST);
	cr_assert(strstr(e2.msg, "already mapped by a 1 GiB page"), "%s", e2.msg);
	cr_assert_eq(tables, 3, "only the first map allocated tables");
	cr_assert_eq(sim.model->map_page(&sim, dom, 0x201000, DATA_PA, 21, RW, &e2), -IMS_EINVAL,
		     "misaligned");
	cr_assert_eq(sim.model->map_page(&sim, dom, 1ull << 48, DATA_PA, 12, RW, &e2),
		     -IMS_EINVAL, "beyond 48 bits");
	cr_assert_eq(sim.model->map_page(&sim, dom, 0x400000, DATA_PA, 16, RW, &e2), -IMS_EINVAL,
		     "64 KiB is not in the default amdv1_pgsizes");
}

/* ---- unmap ------------------------------------------------------------------------ */

Test(amdv1_unmap, splitting_a_large_page_fails_and_changes_nothing)
{
	struct ims_gather g;
	uint64_t before;

	map_pa(0x200000, 2 * MIB, DATA_PA, RW);
	before = leaf(0x200000);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x200000, 0x1000, &g, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would split a 2 MiB page at 0x200000"), "%s", err.msg);
	cr_assert_eq(leaf(0x200000), before);
	cr_assert(g.empty);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x3ff000, 0x1000, &err), -IMS_EINVAL);
	cr_assert_eq(leaf(0x200000), before);
}

Test(amdv1_unmap, unmapped_hole_fails_before_anything_is_cleared)
{
	struct ims_gather g;

	map_4k(0x100000, 0x4000);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->unmap(&sim, dom, 0x100000, 0x6000, &g, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x104000"), "%s", err.msg);
	for (unsigned i = 0; i < 4; i++)
		cr_assert(amdv1_pte_present(leaf(0x100000 + i * 0x1000ull)), "page %u", i);
	cr_assert(g.empty);
	cr_assert_eq(STAT(cyc_sw_unmap), 0);
}

Test(amdv1_unmap, clears_leaves_and_frees_covered_tables)
{
	uint64_t free0 = STAT(pt_pages_free);
	struct ims_gather g;

	map_4k(0x200000, 2 * MIB);   /* one full PTE table */
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
		     "512 PTEs and the PDE written, one PTE table freed");
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000), "PDE=1 dropped it");
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
}

/* ---- faults ---------------------------------------------------------------------- */

Test(amdv1_fault, not_present_names_the_entry_where_the_walk_stopped)
{
	uint64_t root = amdv1_dom(dom)->root_pa;

	cr_assert_eq(ims_dma(&sim, dev, 0x7f0000000000ull, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
	cr_assert_eq(sim.faults[0].level, 3, "empty top table");
	cr_assert_eq(sim.faults[0].pte_pa, root + 8 * amdv1_pte_index(0x7f0000000000ull, 3));
	map_4k(0x100000, 0x1000);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, false), 1);
	cr_assert_eq(sim.faults[1].level, 0, "neighbour of a mapped page: stops at the PTE");
	cr_assert_eq(STAT(faults), 2);
}

Test(amdv1_fault, permissions_are_anded_down_the_walk)
{
	uint64_t pte_pa, pte;

	map_pa(0x100000, 0x1000, DATA_PA, IMS_PROT_READ);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(amdv1_debug_lookup(&sim, dom, 0x100000, NULL, NULL, &pte_pa), 0);
	cr_assert_eq(sim.faults[0].pte_pa, pte_pa);
	cr_assert_eq(sim.faults[0].level, 0);
	/* a writable leaf under a level-2 PDE without IW: writes fault there */
	map_pa(0x40000000, 0x1000, DATA_PA, RW);
	cr_assert_eq(amdv1_debug_entry(&sim, dom, 0x40000000, 2, &pte, &pte_pa), 0);
	ims_mem_store64(&sim.mem, pte_pa, pte & ~AMDV1_PTE_IW);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 2);
	cr_assert_eq(sim.faults[1].level, 2);
	cr_assert_eq(sim.faults[1].pte_pa, pte_pa);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, false), 0, "reads still pass");
	/* now the page directory cache holds the read-only path */
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 3);
	cr_assert_eq(sim.faults[2].pte_pa, 0, "denied by a cached entry");
}

Test(amdv1_fault, dte_permissions_apply_too)
{
	uint64_t pa = amdv1_dte_pa(dev->sid);

	map_4k(0x100000, 0x1000);
	ims_mem_store64(&sim.mem, pa, ims_mem_load64(&sim.mem, pa) & ~AMDV1_DTE_IW);
	flush_dte(dev);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(sim.faults[0].pte_pa, pa, "the DTE denied it");
	cr_assert_eq(sim.faults[0].level, 4, "DTE faults name the Mode");
	cr_assert_eq(STAT(walk_mem_refs), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
}

Test(amdv1_fault, malformed_entries_are_not_used)
{
	uint64_t pte_pa, pde;

	map_4k(0x100000, 0x2000);
	cr_assert_eq(amdv1_debug_lookup(&sim, dom, 0x100000, NULL, NULL, &pte_pa), 0);
	/* a reserved bit (bit 52) in a PTE */
	ims_mem_store64(&sim.mem, pte_pa, ims_mem_load64(&sim.mem, pte_pa) | IMS_BIT(52));
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
	cr_assert_eq(sim.faults[0].pte_pa, pte_pa);
	/* an NL=7 size code of 2 MiB in a PTE table: the next level's default */
	cr_assert_eq(amdv1_debug_lookup(&sim, dom, 0x101000, NULL, NULL, &pte_pa), 0);
	ims_mem_store64(&sim.mem, pte_pa, AMDV1_PTE_PR | AMDV1_PTE_PERM |
			ims_field_prep(AMDV1_PTE_NL, 7) | 0x3000ff000ull);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 2);
	cr_assert_eq(sim.faults[1].pte_pa, pte_pa);
	/* a level-2 PDE whose Next Level does not point down */
	map_4k(0x40000000, 0x1000);
	cr_assert_eq(amdv1_debug_entry(&sim, dom, 0x40000000, 2, &pde, &pte_pa), 0);
	ims_mem_store64(&sim.mem, pte_pa, (pde & ~AMDV1_PTE_NL) | ims_field_prep(AMDV1_PTE_NL, 3));
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 3);
	cr_assert_eq(sim.faults[2].level, 2);
	cr_assert_eq(sim.faults[2].pte_pa, pte_pa);
	/* teardown follows only well-formed entries: put the PDE back so the
	 * table below it is freed with the domain */
	ims_mem_store64(&sim.mem, pte_pa, pde);
}

Test(amdv1_fault, iova_beyond_the_address_width)
{
	cr_assert_eq(ims_dma(&sim, dev, 1ull << 48, 8, false), 1);
	cr_assert_eq(STAT(fault_addr), 1);
	cr_assert_eq(STAT(walk_mem_refs), 0, "checked before any read");
	cr_assert_eq(ims_dma(&sim, dev, ~0ull - 0xfff, 8, false), 1, "no sign extension");
	cr_assert_eq(STAT(fault_addr), 2);
}

Test(amdv1_fault, unsupported_iova_width_is_rejected)
{
	struct ims_domain *d39;

	cr_assert_eq(ims_host_domain_create(&sim, "d39", 39, &d39, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "39-bit"), "%s", err.msg);
}
