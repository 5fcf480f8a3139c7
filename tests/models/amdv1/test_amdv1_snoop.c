/* AMD v1 force coherent: a coherent mapping (IMS_PROT_CACHE) sets FC, bit 60
 * of the PTE (spec 48882 section 2.2.3, PTE fields), in every replica of a
 * Next Level 7 page, and the walk reports the leaf as snooped
 * (IMS_TLB_SNOOP) so the IOTLB caches it. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define SZ(lg2) (1ull << (lg2))
#define FC_BIT (1ull << 60)          /* PTE bit 60 */
#define PR_IR_IW 0x6000000000000001ull   /* PR (0), IR (61), IW (62) */
#define NL7 (7ull << 9)              /* Next Level 7, bits 11:9 */
/* the defaults plus Next Level 7 sizes at levels 0, 1 and 2 */
#define SIZES (SZ(12) | SZ(16) | SZ(21) | SZ(22) | SZ(30) | SZ(31))
#define DATA_PA (1ull << 41)         /* aligned to every size used */
#define IOVA SZ(32)

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
	/* non-coherent, so the host adds no IMS_PROT_CACHE: each test's prot rules */
	cr_assert_eq(ims_host_domain_create_in(&sim, "d0", 48, NULL, true, &dom, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(amdv1_snoop, .init = setup, .fini = teardown);

static void map_pa(uint64_t iova, uint64_t len, uint64_t pa, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, pa, prot, &err), 0, "%s", err.msg);
}

static uint64_t entry(uint64_t iova, unsigned level)
{
	uint64_t pte = 0;

	cr_assert_eq(amdv1_debug_entry(&sim, dom, iova, level, &pte, NULL), 0);
	return pte;
}

static unsigned walk_flags(uint64_t iova, enum ims_access access)
{
	struct ims_walk w;

	sim.model->walk(&sim, dev, dom, iova, access, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	return w.tlb_flags;
}

/* ---- every leaf size, every replica ----------------------------------------------- */

struct fc_row {
	unsigned page_lg2;
	bool cache;
	unsigned level;        /* where the leaf sits */
	unsigned replicas;     /* entries it fills there */
	uint64_t low_bits;     /* every replica without its address field, exactly */
};

#define FLAGS_RW (IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY)

static const struct fc_row fc_rows[] = {
	{ 12, true, 0, 1, PR_IR_IW | FC_BIT },
	{ 12, false, 0, 1, PR_IR_IW },
	{ 16, true, 0, 16, PR_IR_IW | NL7 | FC_BIT },
	{ 16, false, 0, 16, PR_IR_IW | NL7 },
	{ 21, true, 1, 1, PR_IR_IW | FC_BIT },
	{ 21, false, 1, 1, PR_IR_IW },
	{ 22, true, 1, 2, PR_IR_IW | NL7 | FC_BIT },
	{ 22, false, 1, 2, PR_IR_IW | NL7 },
	{ 30, true, 2, 1, PR_IR_IW | FC_BIT },
	{ 30, false, 2, 1, PR_IR_IW },
	{ 31, true, 2, 2, PR_IR_IW | NL7 | FC_BIT },
	{ 31, false, 2, 2, PR_IR_IW | NL7 },
};

ParameterizedTestParameters(amdv1_snoop_map, fc_in_every_replica_and_walk)
{
	return cr_make_param_array(struct fc_row, fc_rows, sizeof(fc_rows) / sizeof(fc_rows[0]));
}

ParameterizedTest(const struct fc_row *r, amdv1_snoop_map, fc_in_every_replica_and_walk,
		  .init = setup, .fini = teardown)
{
	uint64_t size = SZ(r->page_lg2), step = SZ(amdv1_level_shift(r->level));
	unsigned flags = FLAGS_RW | (r->cache ? IMS_TLB_SNOOP : 0u);
	struct ims_iotlb_entry *e;

	map_pa(IOVA, size, DATA_PA, RW | (r->cache ? IMS_PROT_CACHE : 0));
	for (unsigned k = 0; k < r->replicas; k++) {
		uint64_t pte = entry(IOVA + k * step, r->level);

		cr_assert_eq(pte & ~AMDV1_PTE_ADDR, r->low_bits, "2^%u replica %u: 0x%llx",
			     r->page_lg2, k, (unsigned long long)pte);
		cr_assert_eq(!!(pte & FC_BIT), r->cache);
		cr_assert_eq(amdv1_leaf_base(pte, r->level), DATA_PA);
		/* a walk through any replica reports it */
		cr_assert_eq(walk_flags(IOVA + k * step + 8, IMS_ACCESS_READ), flags,
			     "replica %u", k);
	}
	cr_assert_eq(entry(IOVA + r->replicas * step, r->level), 0, "nothing beyond the page");
	cr_assert_eq(walk_flags(IOVA + size - 8, IMS_ACCESS_WRITE), flags);
	/* the IOTLB keeps it for the whole page: a fill, then a hit */
	cr_assert_eq(ims_dma(&sim, dev, IOVA + size - 64, 8, false), 0);
	e = ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, IOVA);
	cr_assert_not_null(e);
	cr_assert_eq(e->page_lg2, r->page_lg2);
	cr_assert_eq(e->flags, flags);
	cr_assert_eq(ims_dma(&sim, dev, IOVA, 8, true), 0);
	cr_assert_eq(STAT(iotlb_hit), 1);
}

/* ---- construction ------------------------------------------------------------------ */

Test(amdv1_snoop, mk_leaf_sets_exactly_fc)
{
	static const unsigned sizes[] = { 12, 13, 16, 20, 21, 22, 30, 31 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		cr_assert_eq(amdv1_mk_leaf(DATA_PA, sizes[i], RW | IMS_PROT_CACHE) ^
			     amdv1_mk_leaf(DATA_PA, sizes[i], RW), FC_BIT, "2^%u", sizes[i]);
	cr_assert_eq(AMDV1_PTE_FC, FC_BIT);
	/* FC is a PTE field: a leaf with it stays valid at every leaf level */
	cr_assert(amdv1_pte_valid(amdv1_mk_leaf(DATA_PA, 31, RW | IMS_PROT_CACHE), 2));
	cr_assert(amdv1_pte_snoops(amdv1_mk_leaf(DATA_PA, 12, RW | IMS_PROT_CACHE)));
	cr_assert_not(amdv1_pte_snoops(amdv1_mk_leaf(DATA_PA, 12, RW)));
}

Test(amdv1_snoop, can_enforce_coherency)
{
	cr_assert_not_null(sim.model->can_enforce_coherency);
	cr_assert(sim.model->can_enforce_coherency(&sim));
}

Test(amdv1_snoop, pdes_never_carry_fc)
{
	map_pa(IOVA, SZ(12), DATA_PA, RW | IMS_PROT_CACHE);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert_eq(entry(IOVA, l) & FC_BIT, 0, "level %u: bit 60 is reserved in a PDE", l);
}

/* FC is kept by everything that rewrites a leaf: A/D updates, dirty
 * clears (every replica) and write-protect touch only their own bits. */
Test(amdv1_snoop, fc_survives_ad_updates_dirty_clear_and_write_protect)
{
	struct ims_dirty_bitmap bm;
	struct ims_gather g;

	map_pa(IOVA, SZ(16), DATA_PA, RW | IMS_PROT_CACHE);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(&sim, dev, IOVA + 0x3000, 8, true), 0);
	cr_assert_eq(entry(IOVA + 0x3000, 0) & (FC_BIT | AMDV1_PTE_A | AMDV1_PTE_D),
		     FC_BIT | AMDV1_PTE_A | AMDV1_PTE_D);
	cr_assert_eq(ims_host_read_dirty(&sim, dom, IOVA, SZ(16), 12, 0, &bm, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(bm.bits[0], 0xffff, "the whole 64 KiB page");
	free(bm.bits);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, IOVA, SZ(16), &g, &err), 0, "%s",
		     err.msg);
	sim.model->iotlb_sync(&sim, dom, &g);
	for (unsigned k = 0; k < 16; k++)
		cr_assert_eq(entry(IOVA + k * SZ(12), 0) & (FC_BIT | AMDV1_PTE_IW | AMDV1_PTE_D),
			     FC_BIT, "replica %u", k);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ) & IMS_TLB_SNOOP, IMS_TLB_SNOOP);
}
