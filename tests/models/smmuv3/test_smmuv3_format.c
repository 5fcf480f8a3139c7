/* SMMUv3 formats: every descriptor, STE, CD and command field at the bit
 * position its spec table or text gives, descriptor types per level, the
 * permission and dirty-state decode of both stages, and leaf construction. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "models/smmuv3/smmu_cfg.h"
#include "models/smmuv3/smmu_cmdq.h"
#include "models/smmuv3/smmu_desc.h"

/* A field: its mask, which 64-bit word it lives in, and its bits as the
 * spec numbers them across the whole structure. */
struct field_row {
	const char *name;
	uint64_t mask;
	unsigned word;
	unsigned hi, lo;
	const char *cite;
};

static const struct field_row fields[] = {
	/* DDI 0487 M.a.a, Tables D8-48, D8-50..53 */
	{ "valid", SMMU_DESC_VALID, 0, 0, 0, "D8-48 bit[0]" },
	{ "type", SMMU_DESC_TYPE, 0, 1, 1, "D8-48 bit[1]" },
	{ "AttrIndx", SMMU_DESC_ATTRINDX, 0, 4, 2, "D8-52 [4:2]" },
	{ "NS", SMMU_DESC_NS, 0, 5, 5, "D8-52 [5]" },
	{ "AP[1]", SMMU_DESC_AP1, 0, 6, 6, "D8-52 [6]" },
	{ "AP[2]", SMMU_DESC_AP2, 0, 7, 7, "D8-52 [7]" },
	{ "SH", SMMU_DESC_SH, 0, 9, 8, "D8-52/53 [9:8]" },
	{ "AF", SMMU_DESC_AF, 0, 10, 10, "D8-52/53 [10]" },
	{ "nG", SMMU_DESC_NG, 0, 11, 11, "D8-52 [11]" },
	{ "OA", SMMU_DESC_OA, 0, 47, 12, "D8-52/53 Page[47:12]" },
	{ "DBM", SMMU_DESC_DBM, 0, 51, 51, "D8-52/53 [51]" },
	{ "Contiguous", SMMU_DESC_CONTIG, 0, 52, 52, "D8-52/53 [52]" },
	{ "PXN", SMMU_DESC_PXN, 0, 53, 53, "D8-52 [53]" },
	{ "UXN", SMMU_DESC_UXN, 0, 54, 54, "D8-52 [54]" },
	{ "S1 SW", SMMU_DESC_S1_SW, 0, 58, 55, "D8-52 [58:55]" },
	{ "MemAttr", SMMU_DESC_MEMATTR, 0, 5, 2, "D8-53 [5:2]" },
	{ "S2AP[0]", SMMU_DESC_S2AP_R, 0, 6, 6, "D8-53 [6]" },
	{ "S2AP[1]", SMMU_DESC_S2AP_W, 0, 7, 7, "D8-53 [7]" },
	{ "S2 XN", SMMU_DESC_S2XN, 0, 54, 53, "D8-53 [54:53]" },
	{ "S2 SW", SMMU_DESC_S2_SW, 0, 58, 56, "D8-53 [58:56]" },
	{ "PXNTable", SMMU_TABLE_PXNTABLE, 0, 59, 59, "D8-50 [59]" },
	{ "UXNTable", SMMU_TABLE_UXNTABLE, 0, 60, 60, "D8-50 [60]" },
	{ "APTable[0]", SMMU_TABLE_AP0, 0, 61, 61, "D8-50 [62:61]" },
	{ "APTable[1]", SMMU_TABLE_AP1, 0, 62, 62, "D8-50 [62:61]" },
	{ "NSTable", SMMU_TABLE_NSTABLE, 0, 63, 63, "D8-50 [63]" },
	/* IHI 0070 G.b 5.2 STE */
	{ "STE.V", SMMU_STE0_V, 0, 0, 0, "5.2" },
	{ "STE.Config", SMMU_STE0_CONFIG, 0, 3, 1, "5.2" },
	{ "STE.S1Fmt", SMMU_STE0_S1FMT, 0, 5, 4, "5.2" },
	{ "STE.S1ContextPtr", SMMU_STE0_S1CTXPTR, 0, 55, 6, "5.2" },
	{ "STE.S1CDMax", SMMU_STE0_S1CDMAX, 0, 63, 59, "5.2" },
	{ "STE.S1DSS", SMMU_STE1_S1DSS, 1, 65, 64, "5.2" },
	{ "STE.S1CIR", SMMU_STE1_S1CIR, 1, 67, 66, "5.2" },
	{ "STE.S1COR", SMMU_STE1_S1COR, 1, 69, 68, "5.2" },
	{ "STE.S1CSH", SMMU_STE1_S1CSH, 1, 71, 70, "5.2" },
	{ "STE.EATS", SMMU_STE1_EATS, 1, 93, 92, "5.2" },
	{ "STE.STRW", SMMU_STE1_STRW, 1, 95, 94, "5.2" },
	{ "STE.SHCFG", SMMU_STE1_SHCFG, 1, 109, 108, "5.2" },
	{ "STE.S2VMID", SMMU_STE2_S2VMID, 2, 143, 128, "5.2" },
	{ "STE.S2T0SZ", SMMU_STE2_S2T0SZ, 2, 165, 160, "5.2" },
	{ "STE.S2SL0", SMMU_STE2_S2SL0, 2, 167, 166, "5.2" },
	{ "STE.S2IR0", SMMU_STE2_S2IR0, 2, 169, 168, "5.2" },
	{ "STE.S2OR0", SMMU_STE2_S2OR0, 2, 171, 170, "5.2" },
	{ "STE.S2SH0", SMMU_STE2_S2SH0, 2, 173, 172, "5.2" },
	{ "STE.S2TG", SMMU_STE2_S2TG, 2, 175, 174, "5.2" },
	{ "STE.S2PS", SMMU_STE2_S2PS, 2, 178, 176, "5.2" },
	{ "STE.S2AA64", SMMU_STE2_S2AA64, 2, 179, 179, "5.2" },
	{ "STE.S2ENDI", SMMU_STE2_S2ENDI, 2, 180, 180, "5.2" },
	{ "STE.S2AFFD", SMMU_STE2_S2AFFD, 2, 181, 181, "5.2" },
	{ "STE.S2PTW", SMMU_STE2_S2PTW, 2, 182, 182, "5.2" },
	{ "STE.S2HD", SMMU_STE2_S2HD, 2, 183, 183, "5.2" },
	{ "STE.S2HA", SMMU_STE2_S2HA, 2, 184, 184, "5.2" },
	{ "STE.S2S", SMMU_STE2_S2S, 2, 185, 185, "5.2" },
	{ "STE.S2R", SMMU_STE2_S2R, 2, 186, 186, "5.2" },
	{ "STE.S2TTB", SMMU_STE3_S2TTB, 3, 247, 196, "5.2" },
	/* 5.4 CD */
	{ "CD.T0SZ", SMMU_CD0_T0SZ, 0, 5, 0, "5.4" },
	{ "CD.TG0", SMMU_CD0_TG0, 0, 7, 6, "5.4" },
	{ "CD.IR0", SMMU_CD0_IR0, 0, 9, 8, "5.4" },
	{ "CD.OR0", SMMU_CD0_OR0, 0, 11, 10, "5.4" },
	{ "CD.SH0", SMMU_CD0_SH0, 0, 13, 12, "5.4" },
	{ "CD.EPD0", SMMU_CD0_EPD0, 0, 14, 14, "5.4" },
	{ "CD.ENDI", SMMU_CD0_ENDI, 0, 15, 15, "5.4" },
	{ "CD.T1SZ", SMMU_CD0_T1SZ, 0, 21, 16, "5.4" },
	{ "CD.TG1", SMMU_CD0_TG1, 0, 23, 22, "5.4" },
	{ "CD.EPD1", SMMU_CD0_EPD1, 0, 30, 30, "5.4" },
	{ "CD.V", SMMU_CD0_V, 0, 31, 31, "5.4" },
	{ "CD.IPS", SMMU_CD0_IPS, 0, 34, 32, "5.4" },
	{ "CD.AFFD", SMMU_CD0_AFFD, 0, 35, 35, "5.4" },
	{ "CD.WXN", SMMU_CD0_WXN, 0, 36, 36, "5.4" },
	{ "CD.UWXN", SMMU_CD0_UWXN, 0, 37, 37, "5.4" },
	{ "CD.TBI0", SMMU_CD0_TBI0, 0, 38, 38, "5.4" },
	{ "CD.TBI1", SMMU_CD0_TBI1, 0, 39, 39, "5.4" },
	{ "CD.PAN", SMMU_CD0_PAN, 0, 40, 40, "5.4" },
	{ "CD.AA64", SMMU_CD0_AA64, 0, 41, 41, "5.4" },
	{ "CD.HD", SMMU_CD0_HD, 0, 42, 42, "5.4" },
	{ "CD.HA", SMMU_CD0_HA, 0, 43, 43, "5.4" },
	{ "CD.S", SMMU_CD0_S, 0, 44, 44, "5.4" },
	{ "CD.R", SMMU_CD0_R, 0, 45, 45, "5.4" },
	{ "CD.A", SMMU_CD0_A, 0, 46, 46, "5.4" },
	{ "CD.ASET", SMMU_CD0_ASET, 0, 47, 47, "5.4" },
	{ "CD.ASID", SMMU_CD0_ASID, 0, 63, 48, "5.4" },
	{ "CD.NSCFG0", SMMU_CD1_NSCFG0, 1, 64, 64, "5.4" },
	{ "CD.HAD0", SMMU_CD1_HAD0, 1, 65, 65, "5.4" },
	{ "CD.E0PD0", SMMU_CD1_E0PD0, 1, 66, 66, "5.4" },
	{ "CD.HAFT", SMMU_CD1_HAFT, 1, 67, 67, "5.4" },
	{ "CD.TTB0", SMMU_CD1_TTB0, 1, 119, 68, "5.4" },
	{ "CD.MAIR0", SMMU_CD3_MAIR0, 3, 223, 192, "5.4" },
	{ "CD.MAIR1", SMMU_CD3_MAIR1, 3, 255, 224, "5.4" },
	/* chapter 4 commands (128 bits: dw0 = 63:0, dw1 = 127:64) */
	{ "CMD.opcode", SMMU_CMD0_OP, 0, 7, 0, "4.1.1" },
	{ "TLBI.NUM", SMMU_CMD0_NUM, 0, 16, 12, "4.4.1.1 [16:12]" },
	{ "TLBI.SCALE", SMMU_CMD0_SCALE, 0, 24, 20, "4.4.1.1 [24:20] (DS=0)" },
	{ "TLBI.VMID", SMMU_CMD0_VMID, 0, 47, 32, "4.4.2.2 figure" },
	{ "TLBI.ASID", SMMU_CMD0_ASID, 0, 63, 48, "4.4.2.2 figure" },
	{ "TLBI.Leaf", SMMU_CMD1_LEAF, 1, 64, 64, "4.4.2.4 figure" },
	{ "TLBI.TTL", SMMU_CMD1_TTL, 1, 73, 72, "4.4.1.1 [73:72]" },
	{ "TLBI.TG", SMMU_CMD1_TG, 1, 75, 74, "4.4.1.1 [75:74]" },
	{ "TLBI.VA", SMMU_CMD1_VA, 1, 127, 76, "4.1.6: Address[63:12]" },
	{ "TLBI.IPA", SMMU_CMD1_IPA, 1, 119, 76, "4.1.6: Address[55:12]" },
	{ "CFGI.SSec", SMMU_CMD0_SSEC, 0, 10, 10, "4.3.1 figure" },
	{ "CFGI.SSV", SMMU_CMD0_SSV, 0, 11, 11, "4.3.3 figure" },
	{ "CFGI.SubstreamID", SMMU_CMD0_SSID, 0, 31, 12, "4.3.3 figure" },
	{ "CFGI.StreamID", SMMU_CMD0_SID, 0, 63, 32, "4.3.1 figure" },
	{ "CFGI.Leaf", SMMU_CMD1_LEAF, 1, 64, 64, "4.3.1 figure" },
	{ "SYNC.CS", SMMU_CMD0_CS, 0, 13, 12, "4.7.3 figure" },
	{ "SYNC.MSH", SMMU_CMD0_MSH, 0, 23, 22, "4.7.3 figure" },
	{ "SYNC.MSIAttr", SMMU_CMD0_MSIATTR, 0, 27, 24, "4.7.3 figure" },
	{ "SYNC.MSIData", SMMU_CMD0_MSIDATA, 0, 63, 32, "4.7.3 figure" },
	{ "SYNC.MSIAddress", SMMU_CMD1_MSIADDR, 1, 119, 66, "4.7.3: MSIAddress[55:2]" },
};

/* One test over the whole table (a process per row would take seconds). */
Test(smmu_format, every_field_at_its_spec_position)
{
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field_row *f = &fields[i];
		uint64_t expect = 0;

		for (unsigned b = f->lo; b <= f->hi; b++)
			expect |= UINT64_C(1) << (b - 64 * f->word);
		cr_expect_eq(f->mask, expect, "%s (%s): mask 0x%llx, expected 0x%llx", f->name,
			     f->cite, (unsigned long long)f->mask, (unsigned long long)expect);
		cr_expect_eq(ims_field_prep(f->mask, ~UINT64_C(0)), f->mask, "%s", f->name);
	}
}

Test(smmu_format, opcodes_are_the_spec_values)
{
	cr_assert_eq(SMMU_CMD_CFGI_STE, 0x03);
	cr_assert_eq(SMMU_CMD_CFGI_CD, 0x05);
	cr_assert_eq(SMMU_CMD_TLBI_NH_ASID, 0x11);
	cr_assert_eq(SMMU_CMD_TLBI_NH_VA, 0x12);
	cr_assert_eq(SMMU_CMD_TLBI_S12_VMALL, 0x28);
	cr_assert_eq(SMMU_CMD_TLBI_S2_IPA, 0x2a);
	cr_assert_eq(SMMU_CMD_SYNC, 0x46);
	cr_assert_eq(SMMU_CMD_BYTES, 16, "4.1.1: all entries are 16 bytes");
}

/* Table D8-48 with the 4 KiB granule, DS=0 */
struct type_row {
	uint64_t bits;         /* descriptor bits[1:0] */
	unsigned level;        /* iommusim level */
	enum smmu_desc_type type;
};

static const struct type_row types[] = {
	{ 0x0, 0, SMMU_DESC_EMPTY }, { 0x2, 0, SMMU_DESC_EMPTY },
	{ 0x1, 0, SMMU_DESC_EMPTY },                     /* Arm L3 bit[1]=0: reserved */
	{ 0x3, 0, SMMU_DESC_LEAF },                      /* Page */
	{ 0x1, 1, SMMU_DESC_LEAF }, { 0x3, 1, SMMU_DESC_TABLE },   /* L2 block / table */
	{ 0x1, 2, SMMU_DESC_LEAF }, { 0x3, 2, SMMU_DESC_TABLE },   /* L1 block / table */
	{ 0x1, 3, SMMU_DESC_EMPTY },                     /* L0 block needs DS=1 */
	{ 0x3, 3, SMMU_DESC_TABLE }, { 0x2, 3, SMMU_DESC_EMPTY },
};

ParameterizedTestParameters(smmu_format, descriptor_type_per_level)
{
	return cr_make_param_array(struct type_row, types, sizeof(types) / sizeof(types[0]));
}

ParameterizedTest(const struct type_row *r, smmu_format, descriptor_type_per_level)
{
	cr_assert_eq(smmu_desc_type(r->bits | 0x1234000ull, r->level), r->type,
		     "bits %llx at level %u", (unsigned long long)r->bits, r->level);
}

Test(smmu_format, levels_index_nine_bits_and_map_to_arm_levels)
{
	uint64_t ia = (3ull << 39) | (2ull << 30) | (1ull << 21) | (4ull << 12) | 0xabc;

	cr_assert_eq(smmu_desc_index(ia, 3), 3);
	cr_assert_eq(smmu_desc_index(ia, 2), 2);
	cr_assert_eq(smmu_desc_index(ia, 1), 1);
	cr_assert_eq(smmu_desc_index(ia, 0), 4);
	for (unsigned l = 0; l < 4; l++)
		cr_assert_eq(smmu_arm_level(l), 3 - l);
	cr_assert_eq(smmu_level_of_lg2(12), 0);
	cr_assert_eq(smmu_level_of_lg2(16), 0, "a 64 KiB run is made of level-3 pages");
	cr_assert_eq(smmu_level_of_lg2(21), 1);
	cr_assert_eq(smmu_level_of_lg2(25), 1, "a 32 MiB run is made of level-2 blocks");
	cr_assert_eq(smmu_level_of_lg2(30), 2);
}

/* Direct permissions of an unprivileged request (D8.4.1.2, D8.4.2). */
struct perm_row {
	unsigned stage;
	uint64_t bits;          /* AP[2:1] or S2AP[1:0] in descriptor bits 7:6, plus DBM */
	unsigned perm;
	bool clean, dirty;      /* writable-clean, writable-dirty */
};

#define AP(x) ((uint64_t)(x) << 6)

static const struct perm_row perms[] = {
	{ 1, AP(0), 0, false, false },                          /* EL1 RW only */
	{ 1, AP(1), IMS_TLB_R | IMS_TLB_W, false, false },      /* RW, DBM=0 */
	{ 1, AP(2), 0, false, false },                          /* EL1 RO only */
	{ 1, AP(3), IMS_TLB_R, false, false },                  /* RO */
	{ 1, AP(3) | SMMU_DESC_DBM, IMS_TLB_R, true, false },   /* writable-clean */
	{ 1, AP(1) | SMMU_DESC_DBM, IMS_TLB_R | IMS_TLB_W, false, true },
	{ 1, AP(2) | SMMU_DESC_DBM, 0, false, false },          /* AP[1]=0: not the only reason */
	{ 2, AP(0), 0, false, false },
	{ 2, AP(1), IMS_TLB_R, false, false },
	{ 2, AP(2), IMS_TLB_W, false, false },                  /* write-only */
	{ 2, AP(3), IMS_TLB_R | IMS_TLB_W, false, false },
	{ 2, AP(1) | SMMU_DESC_DBM, IMS_TLB_R, true, false },   /* writable-clean */
	{ 2, AP(3) | SMMU_DESC_DBM, IMS_TLB_R | IMS_TLB_W, false, true },
	{ 2, AP(0) | SMMU_DESC_DBM, 0, true, false },
};

ParameterizedTestParameters(smmu_format, stage_permissions_and_dirty_state)
{
	return cr_make_param_array(struct perm_row, perms, sizeof(perms) / sizeof(perms[0]));
}

ParameterizedTest(const struct perm_row *r, smmu_format, stage_permissions_and_dirty_state)
{
	const struct smmu_stage *st = smmu_stage_get(r->stage);
	uint64_t d = SMMU_DESC_VALID | SMMU_DESC_TYPE | SMMU_DESC_AF | r->bits;

	cr_assert_eq(smmu_desc_perm(st, d), r->perm, "stage %u bits 0x%llx", r->stage,
		     (unsigned long long)r->bits);
	cr_assert_eq(smmu_desc_write_clean(st, d), r->clean);
	cr_assert_eq(smmu_desc_write_dirty(st, d), r->dirty);
	if (r->clean) {
		cr_assert(smmu_desc_write_dirty(st, smmu_desc_make_dirty(st, d)));
		cr_assert_eq(smmu_desc_make_clean(st, smmu_desc_make_dirty(st, d)), d);
	}
}

Test(smmu_format, dirty_encoding_moves_the_right_bit)
{
	uint64_t s1 = SMMU_DESC_AP1 | SMMU_DESC_AP2 | SMMU_DESC_DBM;
	uint64_t s2 = SMMU_DESC_S2AP_R | SMMU_DESC_DBM;

	/* stage 1: AP[2] 1 -> 0; stage 2: S2AP[1] 0 -> 1 (3.13.3.1) */
	cr_assert_eq(smmu_desc_make_dirty(&smmu_stage1, s1), s1 & ~SMMU_DESC_AP2);
	cr_assert_eq(smmu_desc_make_dirty(&smmu_stage2, s2), s2 | SMMU_DESC_S2AP_W);
	cr_assert_eq(smmu_desc_make_clean(&smmu_stage1, s1 & ~SMMU_DESC_AP2), s1);
	cr_assert_eq(smmu_desc_make_clean(&smmu_stage2, s2 | SMMU_DESC_S2AP_W), s2);
}

/* Leaves as the host writes them (io-pgtable-arm with the HD quirk): a
 * coherent mapping (IMS_PROT_CACHE) is Normal write-back, anything else
 * Normal Non-cacheable (MAIR index 0 at stage 1, MemAttr 0b0101 at 2). */
struct leaf_row {
	unsigned stage;
	unsigned level;
	unsigned prot;
	bool dbm, contig;
	uint64_t pa;
	uint64_t raw;
};

#define RWC (IMS_PROT_READ | IMS_PROT_WRITE | IMS_PROT_CACHE)
#define S1_ATTRS (SMMU_DESC_VALID | SMMU_DESC_AF | SMMU_DESC_NG | (3ull << 8) | (1ull << 2))
#define S2_ATTRS (SMMU_DESC_VALID | SMMU_DESC_AF | (3ull << 8) | (0xfull << 2))
#define S1_NC_ATTRS (SMMU_DESC_VALID | SMMU_DESC_AF | SMMU_DESC_NG | (3ull << 8) | (0ull << 2))
#define S2_NC_ATTRS (SMMU_DESC_VALID | SMMU_DESC_AF | (3ull << 8) | (0x5ull << 2))

static const struct leaf_row leaves[] = {
	/* created writable-dirty: DBM=1, AP[2]=0, AP[1]=1 */
	{ 1, 0, RWC, true, false, 0x123456000ull,
	  S1_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_AP1 | SMMU_DESC_DBM | 0x123456000ull },
	{ 1, 0, IMS_PROT_READ | IMS_PROT_CACHE, true, false, 0x5000,
	  S1_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_AP1 | SMMU_DESC_AP2 | 0x5000 },
	{ 1, 1, RWC, false, false, 0x40200000ull,
	  S1_ATTRS | SMMU_DESC_AP1 | 0x40200000ull },                     /* block, no HTTU */
	{ 1, 2, IMS_PROT_WRITE | IMS_PROT_CACHE, true, false, 0x80000000ull,
	  S1_ATTRS | SMMU_DESC_AP1 | SMMU_DESC_DBM | 0x80000000ull },     /* W implies R */
	{ 1, 0, RWC, true, true, 0x10000,
	  S1_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_AP1 | SMMU_DESC_DBM | SMMU_DESC_CONTIG | 0x10000 },
	{ 2, 0, RWC, true, false, 0x7000,
	  S2_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_S2AP_R | SMMU_DESC_S2AP_W | SMMU_DESC_DBM |
	  0x7000 },
	{ 2, 1, IMS_PROT_READ | IMS_PROT_CACHE, true, false, 0x200000,
	  S2_ATTRS | SMMU_DESC_S2AP_R | 0x200000 },
	{ 2, 2, IMS_PROT_WRITE | IMS_PROT_CACHE, false, false, 0x40000000ull,
	  S2_ATTRS | SMMU_DESC_S2AP_W | 0x40000000ull },                  /* write-only */
	/* non-coherent: only the memory type differs */
	{ 1, 0, IMS_PROT_READ | IMS_PROT_WRITE, true, false, 0x123456000ull,
	  S1_NC_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_AP1 | SMMU_DESC_DBM | 0x123456000ull },
	{ 1, 1, IMS_PROT_READ, false, true, 0x40200000ull,
	  S1_NC_ATTRS | SMMU_DESC_AP1 | SMMU_DESC_AP2 | SMMU_DESC_CONTIG | 0x40200000ull },
	{ 2, 0, IMS_PROT_READ | IMS_PROT_WRITE, true, false, 0x7000,
	  S2_NC_ATTRS | SMMU_DESC_TYPE | SMMU_DESC_S2AP_R | SMMU_DESC_S2AP_W | SMMU_DESC_DBM |
	  0x7000 },
	{ 2, 2, IMS_PROT_READ, false, false, 0x40000000ull,
	  S2_NC_ATTRS | SMMU_DESC_S2AP_R | 0x40000000ull },
};

ParameterizedTestParameters(smmu_format, leaf_construction)
{
	return cr_make_param_array(struct leaf_row, leaves, sizeof(leaves) / sizeof(leaves[0]));
}

ParameterizedTest(const struct leaf_row *r, smmu_format, leaf_construction)
{
	const struct smmu_stage *st = smmu_stage_get(r->stage);
	uint64_t d = smmu_mk_leaf(st, r->pa, r->level, r->prot, r->dbm, r->contig);

	cr_assert_eq(d, r->raw, "stage %u level %u: 0x%llx, expected 0x%llx", r->stage, r->level,
		     (unsigned long long)d, (unsigned long long)r->raw);
	cr_assert_eq(smmu_desc_type(d, r->level), SMMU_DESC_LEAF);
	cr_assert_eq(smmu_desc_page_base(d, r->level), r->pa);
}

Test(smmu_format, table_descriptor_and_hierarchical_permissions)
{
	uint64_t t = smmu_mk_table(0x123000);

	cr_assert_eq(t, 0x123003);
	for (unsigned l = 1; l <= 3; l++)
		cr_assert_eq(smmu_desc_type(t, l), SMMU_DESC_TABLE, "level %u", l);
	cr_assert_eq(smmu_table_perm(&smmu_stage1, t), IMS_TLB_R | IMS_TLB_W);
	cr_assert_eq(smmu_table_perm(&smmu_stage1, t | SMMU_TABLE_AP1), IMS_TLB_R);
	cr_assert_eq(smmu_table_perm(&smmu_stage1, t | SMMU_TABLE_AP0), 0);
	cr_assert_eq(smmu_table_perm(&smmu_stage2, t | SMMU_TABLE_AP1 | SMMU_TABLE_AP0),
		     IMS_TLB_R | IMS_TLB_W, "stage 2 has no hierarchical permissions");
}

Test(smmu_format, cd_and_ste_as_the_driver_writes_them)
{
	uint64_t cd[SMMU_CD_WORDS], ste[SMMU_STE_WORDS];

	smmu_cd_build(cd, 0x100000abc000ull, 0x1234, true, true);
	cr_assert_eq(ims_field_get(SMMU_CD0_T0SZ, cd[0]), 16);
	cr_assert_eq(ims_field_get(SMMU_CD0_TG0, cd[0]), 0, "4 KiB");
	cr_assert_eq(ims_field_get(SMMU_CD0_IPS, cd[0]), 5, "48 bits");
	cr_assert(cd[0] & SMMU_CD0_V && cd[0] & SMMU_CD0_AA64 && cd[0] & SMMU_CD0_EPD1);
	cr_assert(cd[0] & SMMU_CD0_HA && cd[0] & SMMU_CD0_HD);
	cr_assert_eq(ims_field_get(SMMU_CD0_ASID, cd[0]), 0x1234);
	cr_assert_eq(cd[1], 0x100000abc000ull, "TTB0 in bits 119:68, nothing else in word 1");
	smmu_cd_build(cd, 0x1000, 1, true, false);
	cr_assert_eq(cd[0] & (SMMU_CD0_HA | SMMU_CD0_HD), SMMU_CD0_HA);

	smmu_ste_build_s1(ste, 0x90800040ull);
	cr_assert_eq(ste[0], 0x90800040ull | (5u << 1) | 1u, "S1ContextPtr | Config=0b101 | V");
	smmu_ste_build_s2(ste, 0x100000002000ull, 0x42, true, true);
	cr_assert_eq(ste[0], (6u << 1) | 1u, "Config=0b110 | V");
	cr_assert_eq(ims_field_get(SMMU_STE2_S2VMID, ste[2]), 0x42);
	cr_assert_eq(ims_field_get(SMMU_STE2_S2SL0, ste[2]), 2, "start at level 0");
	cr_assert(ste[2] & SMMU_STE2_S2AA64 && ste[2] & SMMU_STE2_S2HA && ste[2] & SMMU_STE2_S2HD);
	cr_assert_eq(ste[3], 0x100000002000ull);
	smmu_ste_build_s2(ste, 0x2000, 1, false, false);
	cr_assert_eq(ste[2] & (SMMU_STE2_S2HA | SMMU_STE2_S2HD), 0);
}

Test(smmu_format, httu_enables_decode_and_reserved_hd_alone)
{
	struct smmu_cfg_entry c = { .sid = 1, .valid = true };
	struct smmu_xlate_cfg x;

	smmu_ste_build_s1(c.ste, 0x1000);
	smmu_cd_build(c.cd, 0x2000, 7, true, true);
	cr_assert(smmu_cfg_decode(&c, &x));
	cr_assert_eq(x.st, &smmu_stage1);
	cr_assert(x.ha && x.hd && x.hier);
	cr_assert_eq(x.tag, 7u, "VMID 0, ASID 7");
	cr_assert_eq(x.ttb, 0x2000);
	/* {HA, HD} = {0, 1} is Reserved and behaves as both 0 (5.4) */
	c.cd[0] &= ~SMMU_CD0_HA;
	cr_assert(smmu_cfg_decode(&c, &x));
	cr_assert(!x.ha && !x.hd);
	smmu_ste_build_s2(c.ste, 0x3000, 9, false, true);
	cr_assert(smmu_cfg_decode(&c, &x));
	cr_assert_eq(x.st, &smmu_stage2);
	cr_assert(!x.ha && !x.hd && !x.hier);
	cr_assert_eq(x.tag, 9u << 16, "VMID 9, no ASID");
	c.ste[0] &= ~SMMU_STE0_V;
	cr_assert_not(smmu_cfg_decode(&c, &x), "STE.V=0 aborts");
}
