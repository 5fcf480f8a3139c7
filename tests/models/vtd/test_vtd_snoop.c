/* VT-d snoop control: a coherent mapping (IMS_PROT_CACHE) sets SNP, bit 11
 * of the second-stage leaf (section 9.8, Tables 43/45/47), only when
 * ECAP_REG.SC=1 (section 11.4.3), and the walk reports the leaf as snooped
 * (IMS_TLB_SNOOP) so the IOTLB caches it. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define GIB (1ull << 30)
#define SNP_BIT (1ull << 11)       /* Table 47: SNP is bit 11 */
#define PS_BIT (1ull << 7)
#define IOVA (4 * GIB)             /* aligned to every page size */

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup_sc(unsigned sc)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	p.vtd_sc = sc;
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	/* non-coherent, so the host adds no IMS_PROT_CACHE: each test's prot rules */
	cr_assert_eq(ims_host_domain_create_in(&sim, "d0", 48, NULL, true, &dom, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void setup(void)
{
	setup_sc(1);
}

static void setup_no_sc(void)
{
	setup_sc(0);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(vtd_snoop, .init = setup, .fini = teardown);
TestSuite(vtd_snoop_no_sc, .init = setup_no_sc, .fini = teardown);

static void map(uint64_t iova, uint64_t len, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, false, 0, prot, &err), 0, "%s", err.msg);
}

static uint64_t leaf(uint64_t iova, uint64_t *pte_pa)
{
	uint64_t pte = 0;

	cr_assert_eq(vtd_debug_lookup(&sim, dom, iova, &pte, NULL, pte_pa), 0,
		     "0x%llx is mapped", (unsigned long long)iova);
	return pte;
}

static unsigned walk_flags(uint64_t iova, enum ims_access access)
{
	struct ims_walk w;

	sim.model->walk(&sim, dev, dom, iova, access, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	return w.tlb_flags;
}

/* ---- the leaf and the walk, per page size ------------------------------------ */

struct snoop_row {
	unsigned page_lg2;
	bool cache;
	unsigned sc;
	uint64_t low_bits;    /* the leaf without its address, exactly */
	unsigned flags;       /* tlb_flags of a read walk */
};

static const struct snoop_row snoop_rows[] = {
	{ 12, true, 1, 0x803, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP },
	{ 12, false, 1, 0x003, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
	{ 21, true, 1, 0x883, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP },
	{ 21, false, 1, 0x083, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
	{ 30, true, 1, 0x883, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP },
	{ 30, false, 1, 0x083, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
	/* SC=0: SNP is reserved, the coherent mapping is made non-snooped */
	{ 12, true, 0, 0x003, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
	{ 21, true, 0, 0x083, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
	{ 30, true, 0, 0x083, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY },
};

ParameterizedTestParameters(vtd_snoop_map, leaf_bits_and_walk)
{
	return cr_make_param_array(struct snoop_row, snoop_rows,
				   sizeof(snoop_rows) / sizeof(snoop_rows[0]));
}

ParameterizedTest(const struct snoop_row *r, vtd_snoop_map, leaf_bits_and_walk,
		  .fini = teardown)
{
	uint64_t size = 1ull << r->page_lg2, pte;
	struct ims_iotlb_entry *e;

	setup_sc(r->sc);
	map(IOVA, size, RW | (r->cache ? IMS_PROT_CACHE : 0));
	pte = leaf(IOVA + size / 2, NULL);
	cr_assert_eq(pte & ~VTD_SLPTE_ADDR, r->low_bits, "2^%u, cache %d, SC %u: 0x%llx",
		     r->page_lg2, r->cache, r->sc, (unsigned long long)pte);
	cr_assert_eq(!!(pte & SNP_BIT), r->cache && r->sc);
	cr_assert_eq(walk_flags(IOVA + size / 2, IMS_ACCESS_READ), r->flags);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_WRITE), r->flags);
	/* the IOTLB keeps it: filled by a DMA, then hit by the next one */
	cr_assert_eq(ims_dma(&sim, dev, IOVA + size - 8, 8, false), 0);
	e = ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, IOVA);
	cr_assert_not_null(e);
	cr_assert_eq(e->flags, r->flags);
	cr_assert_eq(e->page_lg2, r->page_lg2);
	cr_assert_eq(ims_dma(&sim, dev, IOVA, 8, true), 0);
	cr_assert_eq(STAT(iotlb_hit), 1);
	cr_assert_eq(STAT(walks), 3, "two direct walks and one miss");
}

/* ---- construction and decoding ------------------------------------------------- */

Test(vtd_snoop, mk_leaf_sets_exactly_snp)
{
	for (unsigned level = 0; level <= 2; level++) {
		uint64_t pa = 1ull << (12 + 9 * level);

		cr_assert_eq(vtd_mk_leaf(pa, level, RW | IMS_PROT_CACHE) ^ vtd_mk_leaf(pa, level, RW),
			     SNP_BIT, "level %u", level);
	}
	cr_assert_eq(VTD_SLPTE_SNP, SNP_BIT);
	cr_assert(vtd_pte_snoops(SNP_BIT | VTD_SLPTE_R, true));
	cr_assert_not(vtd_pte_snoops(SNP_BIT | VTD_SLPTE_R, false), "SC=0: reserved");
	cr_assert_not(vtd_pte_snoops(VTD_SLPTE_R, true));
}

Test(vtd_snoop, can_enforce_coherency_with_snoop_control)
{
	cr_assert_not_null(sim.model->can_enforce_coherency);
	cr_assert(sim.model->can_enforce_coherency(&sim));
}

Test(vtd_snoop, table_entries_never_carry_snp)
{
	uint64_t pte;

	map(IOVA, 0x1000, RW | IMS_PROT_CACHE);
	for (unsigned l = 1; l <= 3; l++) {
		cr_assert_eq(vtd_debug_entry(&sim, dom, IOVA, l, &pte, NULL), 0);
		cr_assert_eq(pte & SNP_BIT, 0, "level %u", l);
	}
}

/* SNP is kept by everything that rewrites a leaf: A/D updates, dirty
 * clears and write-protect touch only their own bits. */
Test(vtd_snoop, snp_survives_ad_updates_dirty_clear_and_write_protect)
{
	struct ims_dirty_bitmap bm;
	struct ims_gather g;

	map(IOVA, 0x1000, RW | IMS_PROT_CACHE);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, IOVA, 8, true), 0);
	cr_assert_eq(leaf(IOVA, NULL) & ~VTD_SLPTE_ADDR,
		     SNP_BIT | VTD_SLPTE_A | VTD_SLPTE_D | VTD_SLPTE_R | VTD_SLPTE_W);
	cr_assert_eq(ims_host_read_dirty(&sim, dom, IOVA, 0x1000, 12, 0, &bm, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(bm.bits[0], 1);
	free(bm.bits);
	cr_assert_eq(leaf(IOVA, NULL) & ~VTD_SLPTE_ADDR,
		     SNP_BIT | VTD_SLPTE_A | VTD_SLPTE_R | VTD_SLPTE_W);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, IOVA, 0x1000, &g, &err), 0, "%s",
		     err.msg);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(leaf(IOVA, NULL) & ~VTD_SLPTE_ADDR, SNP_BIT | VTD_SLPTE_A | VTD_SLPTE_R);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ) & IMS_TLB_SNOOP, IMS_TLB_SNOOP);
}

/* ---- ECAP_REG.SC = 0 ----------------------------------------------------------- */

Test(vtd_snoop_no_sc, cannot_enforce_coherency)
{
	cr_assert_not(sim.model->can_enforce_coherency(&sim));
}

/* A leaf with SNP written anyway (reserved without SC) forces nothing. */
Test(vtd_snoop_no_sc, reserved_snp_is_not_a_snoop)
{
	uint64_t pte, pte_pa = 0;

	map(IOVA, 0x1000, RW);
	pte = leaf(IOVA, &pte_pa);
	ims_mem_store64(&sim.mem, pte_pa, pte | SNP_BIT);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY);
}
