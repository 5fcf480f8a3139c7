/* SMMUv3 coherency through memory attributes: a coherent mapping
 * (IMS_PROT_CACHE) is Normal write-back, anything else Normal Non-cacheable.
 * Stage 1 names the attribute by AttrIndx (bits 4:2, Table D8-52) into the
 * CD's MAIR; stage 2 writes it as MemAttr (bits 5:2, Table D8-53). The walk
 * reports a write-back, shareable leaf as snooped (IMS_TLB_SNOOP), for every
 * descriptor of a contiguous run. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

/* The domain is declared non-coherent so the host adds no IMS_PROT_CACHE
 * of its own and each test's prot decides the attributes. */
static void nc_s1(void)
{
	SMMU_SETUP(.stage = 1, .noncoherent = true);
}

static void nc_s2(void)
{
	SMMU_SETUP(.stage = 2, .noncoherent = true);
}

TestSuite(smmu_snoop, .fini = teardown);
TestSuite(smmu_snoop_map, .fini = teardown);

#define IOVA (4 * GIB)    /* aligned to every page size */
#define SH_ISH (3ull << 8)
#define S1_ATTR_MASK (SMMU_DESC_SH | SMMU_DESC_ATTRINDX | SMMU_DESC_NS | SMMU_DESC_NG)
#define S2_ATTR_MASK (SMMU_DESC_SH | SMMU_DESC_MEMATTR)
#define FLAGS_RW (IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY)

static unsigned walk_flags(uint64_t iova, enum ims_access access)
{
	struct ims_walk w;

	sim.model->walk(&sim, dev, dom, iova, access, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	return w.tlb_flags;
}

static uint64_t attr_mask(unsigned stage)
{
	return stage == 1 ? S1_ATTR_MASK : S2_ATTR_MASK;
}

/* ---- every leaf size, both stages -------------------------------------------------- */

struct attr_row {
	unsigned stage;
	unsigned page_lg2;
	bool cache;
	uint64_t attrs;        /* the descriptor under attr_mask(stage), exactly */
};

/* stage 1: SH = ISH, nG, AttrIndx 1 (Normal WB) or 0 (Normal NC);
 * stage 2: SH = ISH, MemAttr 0b1111 (Normal WB) or 0b0101 (Normal NC) */
#define S1_WB (SH_ISH | SMMU_DESC_NG | (1ull << 2))
#define S1_NC (SH_ISH | SMMU_DESC_NG | (0ull << 2))
#define S2_WB (SH_ISH | (0xfull << 2))
#define S2_NC (SH_ISH | (0x5ull << 2))

static const struct attr_row attr_rows[] = {
	{ 1, 12, true, S1_WB }, { 1, 12, false, S1_NC },
	{ 1, 16, true, S1_WB }, { 1, 16, false, S1_NC },     /* contiguous run of 16 */
	{ 1, 21, true, S1_WB }, { 1, 21, false, S1_NC },
	{ 1, 25, true, S1_WB }, { 1, 25, false, S1_NC },     /* contiguous run of 16 blocks */
	{ 1, 30, true, S1_WB }, { 1, 30, false, S1_NC },
	{ 2, 12, true, S2_WB }, { 2, 12, false, S2_NC },
	{ 2, 16, true, S2_WB }, { 2, 16, false, S2_NC },
	{ 2, 21, true, S2_WB }, { 2, 21, false, S2_NC },
	{ 2, 25, true, S2_WB }, { 2, 25, false, S2_NC },
	{ 2, 30, true, S2_WB }, { 2, 30, false, S2_NC },
};

ParameterizedTestParameters(smmu_snoop_map, attributes_and_walk)
{
	return cr_make_param_array(struct attr_row, attr_rows,
				   sizeof(attr_rows) / sizeof(attr_rows[0]));
}

ParameterizedTest(const struct attr_row *r, smmu_snoop_map, attributes_and_walk)
{
	uint64_t size = 1ull << r->page_lg2;
	unsigned level = smmu_level_of_lg2(r->page_lg2);
	bool contig = r->page_lg2 != smmu_level_shift(level);
	unsigned n = contig ? SMMU_CONTIG_ENTRIES : 1;
	unsigned flags = FLAGS_RW | (r->cache ? IMS_TLB_SNOOP : 0u);
	struct ims_iotlb_entry *e;

	SMMU_SETUP(.stage = r->stage, .contig = contig, .noncoherent = true);
	map(IOVA, size, RW | (r->cache ? IMS_PROT_CACHE : 0));
	for (unsigned k = 0; k < n; k++) {
		uint64_t iova = IOVA + ((uint64_t)k << smmu_level_shift(level));
		uint64_t d = entry(iova, level);

		cr_assert_eq(d & attr_mask(r->stage), r->attrs, "S%u 2^%u #%u: 0x%llx", r->stage,
			     r->page_lg2, k, (unsigned long long)d);
		/* the raw field: AttrIndx[2:0] / MemAttr[3:0] from bit 2 */
		if (r->stage == 1)
			cr_assert_eq((d >> 2) & 0x7, r->cache ? 1u : 0u);
		else
			cr_assert_eq((d >> 2) & 0xf, r->cache ? 0xfu : 0x5u);
		cr_assert_eq(!!(d & SMMU_DESC_CONTIG), contig);
		cr_assert_eq(walk_flags(iova + 8, IMS_ACCESS_READ), flags, "#%u", k);
	}
	cr_assert_eq(walk_flags(IOVA + size - 8, IMS_ACCESS_WRITE), flags);
	/* the IOTLB caches it for the whole page or run: a fill, then a hit */
	cr_assert_eq(ims_dma(&sim, dev, IOVA + size - 64, 8, false), 0);
	e = ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, IOVA);
	cr_assert_not_null(e);
	cr_assert_eq(e->page_lg2, r->page_lg2);
	cr_assert_eq(e->flags, flags);
	cr_assert_eq(ims_dma(&sim, dev, IOVA, 8, true), 0);
	cr_assert_eq(STAT(iotlb_hit), 1);
}

/* ---- the MAIR and the decoders ------------------------------------------------------- */

Test(smmu_snoop, cd_mair_has_wb_at_the_cache_index_and_nc_at_the_other, .init = nc_s1)
{
	uint64_t mair = smmu_cfg_of(&sim, dev)->cd[3];

	cr_assert_eq(mair, 0xf404ff44ull, "MAIR0 as io-pgtable-arm lays it out, MAIR1 = 0");
	cr_assert_eq((mair >> (8 * SMMU_MAIR_IDX_CACHE)) & 0xff, 0xff, "Normal WB");
	cr_assert_eq((mair >> (8 * SMMU_MAIR_IDX_NC)) & 0xff, 0x44, "Normal NC");
	cr_assert_eq(SMMU_MAIR_IDX_CACHE, 1);
	cr_assert_eq(SMMU_MAIR_IDX_NC, 0);
}

struct mair_row {
	unsigned attr;
	bool wb;
};

static const struct mair_row mair_rows[] = {
	{ 0xff, true },    /* Inner/Outer WB non-transient, R/W-allocate */
	{ 0xcc, true },    /* WB non-transient, no allocate */
	{ 0x77, true },    /* WB transient, R/W-allocate */
	{ 0x44, false },   /* Non-cacheable */
	{ 0xf4, false },   /* Inner NC, Outer WB */
	{ 0x4f, false },   /* Inner WB, Outer NC */
	{ 0xbb, false },   /* Write-Through */
	{ 0x04, false },   /* Device-nGnRE */
	{ 0x00, false },   /* Device-nGnRnE */
	{ 0x40, false },   /* Outer NC, inner 0b0000: not Normal WB */
};

ParameterizedTestParameters(smmu_snoop, mair_attribute_decode)
{
	return cr_make_param_array(struct mair_row, mair_rows,
				   sizeof(mair_rows) / sizeof(mair_rows[0]));
}

ParameterizedTest(const struct mair_row *r, smmu_snoop, mair_attribute_decode)
{
	cr_assert_eq(smmu_mair_attr_wb(r->attr), r->wb, "0x%02x", r->attr);
}

Test(smmu_snoop, only_shareable_write_back_snoops)
{
	uint64_t s1 = smmu_mk_leaf(&smmu_stage1, 0x5000, 0, RW | IMS_PROT_CACHE, false, false);
	uint64_t s2 = smmu_mk_leaf(&smmu_stage2, 0x5000, 0, RW | IMS_PROT_CACHE, false, false);
	uint64_t mair = 0xf404ff44ull;

	cr_assert(smmu_desc_snoops(&smmu_stage1, s1, mair));
	cr_assert(smmu_desc_snoops(&smmu_stage2, s2, 0));
	/* Outer Shareable is coherent too; Non-shareable is not */
	cr_assert(smmu_desc_snoops(&smmu_stage1, (s1 & ~SMMU_DESC_SH) | (2ull << 8), mair));
	cr_assert_not(smmu_desc_snoops(&smmu_stage1, s1 & ~SMMU_DESC_SH, mair));
	cr_assert_not(smmu_desc_snoops(&smmu_stage2, s2 & ~SMMU_DESC_SH, 0));
	/* stage 2 MemAttr: Outer WB Inner WT (0b1110) is not */
	cr_assert_not(smmu_desc_snoops(&smmu_stage2, (s2 & ~SMMU_DESC_MEMATTR) | (0xeull << 2),
				       0));
	/* non-coherent leaves of both stages */
	cr_assert_not(smmu_desc_snoops(&smmu_stage1,
				       smmu_mk_leaf(&smmu_stage1, 0x5000, 0, RW, false, false), mair));
	cr_assert_not(smmu_desc_snoops(&smmu_stage2,
				       smmu_mk_leaf(&smmu_stage2, 0x5000, 0, RW, false, false), 0));
}

Test(smmu_snoop, can_enforce_coherency_at_both_stages)
{
	nc_s1();
	cr_assert_not_null(sim.model->can_enforce_coherency);
	cr_assert(sim.model->can_enforce_coherency(&sim));
	teardown();
	nc_s2();
	cr_assert(sim.model->can_enforce_coherency(&sim));
}

/* ---- the walk reads the attribute through the MAIR ---------------------------------- */

Test(smmu_snoop, stage1_walk_decodes_attrindx_through_the_cached_mair, .init = nc_s1)
{
	uint64_t d;

	map(IOVA, 0x1000, RW | IMS_PROT_CACHE);
	d = leaf(IOVA);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), FLAGS_RW | IMS_TLB_SNOOP);
	/* index 3 (Inner NC, Outer WB) and 2 (Device): not snooped */
	poke_leaf(IOVA, (d & ~SMMU_DESC_ATTRINDX) | (3ull << 2));
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), FLAGS_RW);
	poke_leaf(IOVA, (d & ~SMMU_DESC_ATTRINDX) | (2ull << 2));
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), FLAGS_RW);
	/* a non-coherent leaf (index 0) snoops once the cached MAIR says
	 * index 0 is write-back: the walk uses the CD's MAIR, not a constant */
	poke_leaf(IOVA, d & ~SMMU_DESC_ATTRINDX);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), FLAGS_RW);
	smmu_cfg_of(&sim, dev)->cd[3] = 0xf404ffffull;
	smmu_cfg_redecode(smmu_cfg_of(&sim, dev));
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), FLAGS_RW | IMS_TLB_SNOOP);
}

/* Attributes are kept by everything that rewrites a leaf: HTTU updates,
 * the tracking switch that adds DBM (smmuv3_dbm_at_map=0), dirty clears and
 * write-protect touch only their own bits. */
struct keep_row {
	unsigned stage;
};

static const struct keep_row keep_rows[] = { { 1 }, { 2 } };

ParameterizedTestParameters(smmu_snoop, attributes_survive_leaf_rewrites)
{
	return cr_make_param_array(struct keep_row, keep_rows,
				   sizeof(keep_rows) / sizeof(keep_rows[0]));
}

ParameterizedTest(const struct keep_row *r, smmu_snoop, attributes_survive_leaf_rewrites)
{
	uint64_t m = attr_mask(r->stage), want = r->stage == 1 ? S1_WB : S2_WB;
	struct ims_dirty_bitmap bm;
	struct ims_gather g;

	SMMU_SETUP(.stage = r->stage, .contig = 1, .dbm_at_map = 0, .noncoherent = true);
	map(IOVA, 64 * KIB, RW | IMS_PROT_CACHE);
	tracking(true);
	cr_assert(leaf(IOVA) & SMMU_DESC_DBM, "the switch rewrote the leaf");
	cr_assert_eq(ims_dma(&sim, dev, IOVA + 0x3000, 8, true), 0);
	bm = read_dirty(IOVA, 64 * KIB, 0);
	cr_assert_eq(bm.bits[0], 0xffff, "the whole run");
	free(bm.bits);
	ims_gather_init(&g);
	cr_assert_eq(sim.model->write_protect(&sim, dom, IOVA, 64 * KIB, &g, &err), 0, "%s",
		     err.msg);
	sim.model->iotlb_sync(&sim, dom, &g);
	for (unsigned k = 0; k < SMMU_CONTIG_ENTRIES; k++)
		cr_assert_eq(entry(IOVA + k * 4 * KIB, 0) & m, want, "#%u", k);
	cr_assert_eq(walk_flags(IOVA, IMS_ACCESS_READ), IMS_TLB_R | IMS_TLB_SNOOP);
}
