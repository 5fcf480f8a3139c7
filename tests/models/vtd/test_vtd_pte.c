/* VT-d second-stage entry, PASID-entry and descriptor fields sit at the bit
 * positions the spec tables give, and the accessors round-trip. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "models/vtd/vtd_pasid.h"
#include "models/vtd/vtd_pte.h"

/* One field of a spec table: its mask and the bits it must cover. */
struct field_row {
	const char *name;
	uint64_t mask;
	unsigned hi, lo;
	const char *cite;
};

static const struct field_row pte_fields[] = {
	{ "R", VTD_SLPTE_R, 0, 0, "Table 47, bit 0" },
	{ "W", VTD_SLPTE_W, 1, 1, "Table 47, bit 1" },
	{ "PS", VTD_SLPTE_PS, 7, 7, "Tables 43/45, bit 7" },
	{ "A", VTD_SLPTE_A, 8, 8, "Table 47, bit 8" },
	{ "D", VTD_SLPTE_D, 9, 9, "Table 47, bit 9" },
	{ "SNP", VTD_SLPTE_SNP, 11, 11, "Table 47, bit 11" },
	{ "ADDR", VTD_SLPTE_ADDR, 51, 12, "Table 47, HAW-1:12 with HAW=52" },
	{ "PASID.P", VTD_PASID_P, 0, 0, "Figure 9-6, bit 0" },
	{ "PASID.FPD", VTD_PASID_FPD, 1, 1, "Figure 9-6, bit 1" },
	{ "PASID.AW", VTD_PASID_AW, 4, 2, "Figure 9-6, bits 4:2" },
	{ "PASID.PGTT", VTD_PASID_PGTT, 8, 6, "Figure 9-6, bits 8:6" },
	{ "PASID.SSADE", VTD_PASID_SSADE, 9, 9, "Figure 9-6, bit 9" },
	{ "PASID.SSPTPTR", VTD_PASID_SSPTPTR, 63, 12, "Figure 9-6, bits 63:12" },
	{ "PASID.DID", VTD_PASID_DID, 15, 0, "Figure 9-6, bits 79:64" },
	{ "PASID.PWSNP", VTD_PASID_PWSNP, 23, 23, "Figure 9-6, bit 87" },
	{ "PASID.PGSNP", VTD_PASID_PGSNP, 24, 24, "Figure 9-6, bit 88" },
};

ParameterizedTestParameters(vtd_pte, field_at_spec_position)
{
	return cr_make_param_array(struct field_row, pte_fields,
				   sizeof(pte_fields) / sizeof(pte_fields[0]));
}

ParameterizedTest(const struct field_row *f, vtd_pte, field_at_spec_position)
{
	uint64_t expect = 0;

	for (unsigned b = f->lo; b <= f->hi; b++)
		expect |= UINT64_C(1) << b;
	cr_assert_eq(f->mask, expect, "%s (%s): mask 0x%llx", f->name, f->cite,
		     (unsigned long long)f->mask);
	/* a value fills exactly the field */
	cr_assert_eq(ims_field_prep(f->mask, ~UINT64_C(0)), f->mask, "%s", f->name);
	cr_assert_eq(ims_field_get(f->mask, f->mask), f->mask >> f->lo, "%s", f->name);
}

/* Leaf construction and decoding per level. */
struct leaf_row {
	unsigned level;
	uint64_t pa;
	unsigned prot;
	uint64_t raw;          /* expected entry */
	unsigned shift;
};

static const struct leaf_row leaf_rows[] = {
	{ 0, 0x123456000ull, IMS_PROT_READ, 0x123456001ull, 12 },
	{ 0, 0xfffffffff000ull, IMS_PROT_WRITE, 0xfffffffff002ull, 12 },
	{ 1, 0x40200000ull, IMS_PROT_READ | IMS_PROT_WRITE, 0x40200083ull, 21 },
	{ 2, 0x80000000ull, IMS_PROT_READ | IMS_PROT_WRITE, 0x80000083ull, 30 },
	{ 2, 0xfffc0000000ull, IMS_PROT_READ, 0xfffc0000081ull, 30 },
};

ParameterizedTestParameters(vtd_pte, leaf_roundtrip)
{
	return cr_make_param_array(struct leaf_row, leaf_rows,
				   sizeof(leaf_rows) / sizeof(leaf_rows[0]));
}

ParameterizedTest(const struct leaf_row *r, vtd_pte, leaf_roundtrip)
{
	uint64_t pte = vtd_mk_leaf(r->pa, r->level, r->prot);

	cr_assert_eq(pte, r->raw, "level %u: 0x%llx", r->level, (unsigned long long)pte);
	cr_assert(vtd_pte_present(pte));
	cr_assert(vtd_pte_is_leaf(pte, r->level));
	cr_assert_eq(vtd_pte_type(pte, r->level), VTD_PTE_LEAF);
	cr_assert_eq(vtd_pte_addr(pte), r->pa);
	cr_assert_eq(vtd_pte_page_base(pte, r->level), r->pa);
	cr_assert_eq(vtd_level_shift(r->level), r->shift);
}

Test(vtd_pte, no_present_bit_r_or_w_makes_an_entry_present)
{
	cr_assert_not(vtd_pte_present(0));
	cr_assert_not(vtd_pte_present(VTD_SLPTE_ADDR | VTD_SLPTE_A | VTD_SLPTE_D | VTD_SLPTE_PS),
		      "address and flags without R/W are not present");
	cr_assert(vtd_pte_present(VTD_SLPTE_R));
	cr_assert(vtd_pte_present(VTD_SLPTE_W), "write-only entries are present");
	cr_assert_eq(vtd_pte_type(0x1000, 0), VTD_PTE_EMPTY);
}

Test(vtd_pte, ps_makes_a_leaf_only_at_pde_and_pdpe)
{
	uint64_t t = vtd_mk_table(0x5000);

	cr_assert_eq(t, 0x5003, "table entries carry R|W and ADDR");
	for (unsigned l = 1; l <= 4; l++)
		cr_assert_eq(vtd_pte_type(t, l), VTD_PTE_TABLE, "level %u", l);
	cr_assert_eq(vtd_pte_type(t, 0), VTD_PTE_LEAF, "level 0 is always a leaf");
	cr_assert(vtd_pte_is_leaf(t | VTD_SLPTE_PS, 1));
	cr_assert(vtd_pte_is_leaf(t | VTD_SLPTE_PS, 2));
	cr_assert_not(vtd_pte_is_leaf(t | VTD_SLPTE_PS, 3), "PS is reserved in SS-PML4E");
	cr_assert_not(vtd_pte_is_leaf(t | VTD_SLPTE_PS, 4), "PS is reserved in SS-PML5E");
	cr_assert_eq(vtd_mk_leaf(0x1000, 0, IMS_PROT_READ) & VTD_SLPTE_PS, 0,
		     "SS-PTE has no PS");
}

Test(vtd_pte, index_selects_nine_bits_per_level)
{
	/* IOVA with distinct indexes at each level: 5, 4, 3, 2, 1 from the top */
	uint64_t iova = (5ull << 48) | (4ull << 39) | (3ull << 30) | (2ull << 21) | (1ull << 12) |
			0xabc;

	for (unsigned l = 0; l <= 4; l++)
		cr_assert_eq(vtd_pte_index(iova, l), l + 1, "level %u", l);
	cr_assert_eq(vtd_pte_index(~0ull, 3), 511);
	cr_assert_eq(vtd_levels_for_width(48), 4);
	cr_assert_eq(vtd_levels_for_width(57), 5);
	cr_assert_eq(vtd_levels_for_width(39), 0, "3-level tables are not offered");
	cr_assert_eq(vtd_width_for_levels(4), 48);
	cr_assert_eq(vtd_width_for_levels(5), 57);
}

Test(vtd_pte, large_leaf_base_ignores_reserved_low_addr_bits)
{
	/* bits 20:12 of a 2 MiB leaf are reserved; the page base ignores them */
	uint64_t pte = vtd_mk_leaf(0x40200000, 1, IMS_PROT_READ) | (0x5ull << 12);

	cr_assert_eq(vtd_pte_page_base(pte, 1), 0x40200000);
	cr_assert_eq(vtd_pte_addr(pte), 0x40205000);
}

Test(vtd_pasid, entry_fields_round_trip)
{
	struct vtd_pasid_entry e;

	vtd_pasid_entry_build(&e, 0x100000abc000ull, 5, 0x1234, true);
	cr_assert(e.val[0] & VTD_PASID_P);
	cr_assert_eq(ims_field_get(VTD_PASID_PGTT, e.val[0]), VTD_PGTT_SS);
	cr_assert_eq(ims_field_get(VTD_PASID_AW, e.val[0]), VTD_AW_57);
	cr_assert_eq(vtd_pasid_levels(&e), 5);
	cr_assert_eq(vtd_pasid_ssptptr(&e), 0x100000abc000ull);
	cr_assert(vtd_pasid_ssade(&e));
	cr_assert_eq(vtd_pasid_did(&e), 0x1234);
	cr_assert_eq(e.val[1] & 0xffff, 0x1234, "DID is bits 79:64");
	vtd_pasid_entry_build(&e, 0x2000, 4, 1, false);
	cr_assert_eq(ims_field_get(VTD_PASID_AW, e.val[0]), VTD_AW_48);
	cr_assert_not(vtd_pasid_ssade(&e));
	cr_assert_eq(e.val[0] & VTD_PASID_SSADE, 0);
	cr_assert_eq(e.val[0], 0x2000 | (2u << 6) | (2u << 2) | 1u,
		     "SSPTPTR | PGTT=010b | AW=010b | P");
}
