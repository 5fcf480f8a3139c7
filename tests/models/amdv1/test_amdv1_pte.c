/* AMD v1 PDE/PTE, DTE and command fields sit at the bit positions the spec
 * gives, the Next Level 7 size code round-trips for every size, and the
 * INVALIDATE_IOMMU_PAGES range encoding picks the smallest aligned block. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "models/amdv1/amdv1_cmd.h"
#include "models/amdv1/amdv1_dte.h"
#include "models/amdv1/amdv1_pte.h"

/* One field of a spec table: its mask and the bits it must cover. */
struct field_row {
	const char *name;
	uint64_t mask;
	unsigned hi, lo;
	const char *cite;
};

static const struct field_row fields[] = {
	{ "PTE.PR", AMDV1_PTE_PR, 0, 0, "2.2.3 PTE/PDE, bit 0" },
	{ "PTE.A", AMDV1_PTE_A, 5, 5, "2.2.3 PTE/PDE, bit 5" },
	{ "PTE.D", AMDV1_PTE_D, 6, 6, "2.2.3 PTE, bit 6" },
	{ "PTE.NextLevel", AMDV1_PTE_NL, 11, 9, "2.2.3, bits 11:9" },
	{ "PTE.Address", AMDV1_PTE_ADDR, 51, 12, "2.2.3, bits 51:12" },
	{ "PTE.U", AMDV1_PTE_U, 59, 59, "2.2.3 PTE, bit 59" },
	{ "PTE.FC", AMDV1_PTE_FC, 60, 60, "2.2.3 PTE, bit 60" },
	{ "PTE.IR", AMDV1_PTE_IR, 61, 61, "2.2.3, bit 61" },
	{ "PTE.IW", AMDV1_PTE_IW, 62, 62, "2.2.3, bit 62" },
	{ "PTE reserved", AMDV1_PTE_RSVD, 58, 52, "2.2.3 PTE, bits 58:52" },
	{ "PDE reserved", AMDV1_PDE_RSVD, 60, 52, "2.2.3 PDE, bits 60:52" },
	{ "DTE.V", AMDV1_DTE_V, 0, 0, "Table 7, bit 0" },
	{ "DTE.TV", AMDV1_DTE_TV, 1, 1, "Table 7, bit 1" },
	{ "DTE.HAD", AMDV1_DTE_HAD, 8, 7, "Table 7, bits 8:7" },
	{ "DTE.Mode", AMDV1_DTE_MODE, 11, 9, "Table 7, bits 11:9" },
	{ "DTE.HostPageTableRootPtr", AMDV1_DTE_HPTR, 51, 12, "Table 7, bits 51:12" },
	{ "DTE.PPR", AMDV1_DTE_PPR, 52, 52, "Table 7, bit 52" },
	{ "DTE.GV", AMDV1_DTE_GV, 55, 55, "Table 7, bit 55" },
	{ "DTE.GLX", AMDV1_DTE_GLX, 57, 56, "Table 7, bits 57:56" },
	{ "DTE.IR", AMDV1_DTE_IR, 61, 61, "Table 7, bit 61" },
	{ "DTE.IW", AMDV1_DTE_IW, 62, 62, "Table 7, bit 62" },
	{ "DTE.DomainID", AMDV1_DTE_DOMID, 15, 0, "Table 7, bits 79:64" },
	{ "DTE.I", AMDV1_DTE_I, 32, 32, "Table 7, bit 96" },
	{ "DTE.SE", AMDV1_DTE_SE, 33, 33, "Table 7, bit 97" },
	{ "DTE.SA", AMDV1_DTE_SA, 34, 34, "Table 7, bit 98" },
	{ "DTE.SysMgt", AMDV1_DTE_SYSMGT, 41, 40, "Table 7, bits 105:104" },
	{ "CMD.Opcode", AMDV1_CMD_OPCODE, 63, 60, "2.4, bits 63:60" },
	{ "COMPLETION_WAIT.S", AMDV1_CW_S, 0, 0, "2.4.1, bit 0" },
	{ "COMPLETION_WAIT.I", AMDV1_CW_I, 1, 1, "2.4.1, bit 1" },
	{ "COMPLETION_WAIT.F", AMDV1_CW_F, 2, 2, "2.4.1, bit 2" },
	{ "COMPLETION_WAIT.StoreAddress", AMDV1_CW_ADDR, 51, 3, "2.4.1, bits 51:3" },
	{ "INVALIDATE_DEVTAB_ENTRY.DeviceID", AMDV1_IDE_DEVID, 15, 0, "2.4.2, bits 15:0" },
	{ "INVALIDATE_IOMMU_PAGES.PASID", AMDV1_IIP_PASID, 19, 0, "2.4.3, bits 19:0" },
	{ "INVALIDATE_IOMMU_PAGES.DomainID", AMDV1_IIP_DOMID, 47, 32, "2.4.3, bits 47:32" },
	{ "INVALIDATE_IOMMU_PAGES.S", AMDV1_IIP_S, 0, 0, "2.4.3, bit 64" },
	{ "INVALIDATE_IOMMU_PAGES.PDE", AMDV1_IIP_PDE, 1, 1, "2.4.3, bit 65" },
	{ "INVALIDATE_IOMMU_PAGES.GN", AMDV1_IIP_GN, 2, 2, "2.4.3, bit 66" },
	{ "INVALIDATE_IOMMU_PAGES.Address", AMDV1_IIP_ADDR, 63, 12, "2.4.3, bits 127:76" },
};

ParameterizedTestParameters(amdv1_fields, at_spec_position)
{
	return cr_make_param_array(struct field_row, fields, sizeof(fields) / sizeof(fields[0]));
}

ParameterizedTest(const struct field_row *f, amdv1_fields, at_spec_position)
{
	uint64_t expect = 0;

	for (unsigned b = f->lo; b <= f->hi; b++)
		expect |= UINT64_C(1) << b;
	cr_assert_eq(f->mask, expect, "%s (%s): mask 0x%llx", f->name, f->cite,
		     (unsigned long long)f->mask);
	cr_assert_eq(ims_field_prep(f->mask, ~UINT64_C(0)), f->mask, "%s", f->name);
	cr_assert_eq(ims_field_get(f->mask, f->mask), f->mask >> f->lo, "%s", f->name);
}

/* ---- leaves of every size ------------------------------------------------------ */

struct leaf_row {
	unsigned lg2;
	unsigned level;         /* where it goes */
	unsigned replicas;
	unsigned nl;
	uint64_t addr_bits;     /* expected address field for pa = 2^43 */
};

#define PA0 (1ull << 43)

static const struct leaf_row leaf_rows[] = {
	{ 12, 0, 1, 0, PA0 },
	{ 13, 0, 2, 7, PA0 },                           /* bit 12 = 0: 8 KiB */
	{ 14, 0, 4, 7, PA0 | 0x1000 },                  /* 1 then 0: 16 KiB */
	{ 16, 0, 16, 7, PA0 | 0x7000 },                 /* 64 KiB */
	{ 20, 0, 256, 7, PA0 | 0x7f000 },               /* 1 MiB, half a table */
	{ 21, 1, 1, 0, PA0 },
	{ 22, 1, 2, 7, PA0 | 0x1ff000 },                /* 4 MiB: bits 20:12 set */
	{ 29, 1, 256, 7, PA0 | 0xffff000 },             /* 512 MiB: 27:12 */
	{ 30, 2, 1, 0, PA0 },
	{ 31, 2, 2, 7, PA0 | 0x3ffff000 },              /* 2 GiB: 29:12 */
	{ 38, 2, 256, 7, PA0 | 0x1ffffff000 },          /* 256 GiB: 36:12 */
	{ 39, 3, 1, 0, PA0 },                           /* 512 GiB */
	{ 43, 3, 16, 7, PA0 | 0x3fffffff000 },          /* 8 TiB: 41:12 */
};

ParameterizedTestParameters(amdv1_pte, leaf_of_every_size)
{
	return cr_make_param_array(struct leaf_row, leaf_rows,
				   sizeof(leaf_rows) / sizeof(leaf_rows[0]));
}

ParameterizedTest(const struct leaf_row *r, amdv1_pte, leaf_of_every_size)
{
	uint64_t pte = amdv1_mk_leaf(PA0, r->lg2, IMS_PROT_READ | IMS_PROT_WRITE);

	cr_assert_eq(amdv1_level_for_size(r->lg2), r->level, "2^%u", r->lg2);
	cr_assert_eq(amdv1_replicas(r->lg2), r->replicas, "2^%u", r->lg2);
	cr_assert_eq(amdv1_pte_nl(pte), r->nl, "2^%u", r->lg2);
	cr_assert_eq(amdv1_pte_addr(pte), r->addr_bits, "2^%u: 0x%llx", r->lg2,
		     (unsigned long long)amdv1_pte_addr(pte));
	cr_assert_eq(pte & (AMDV1_PTE_PR | AMDV1_PTE_PERM), AMDV1_PTE_PR | AMDV1_PTE_PERM);
	cr_assert_eq(amdv1_pte_type(pte), AMDV1_PTE_LEAF);
	cr_assert(amdv1_pte_valid(pte, r->level), "2^%u valid at level %u", r->lg2, r->level);
	cr_assert_eq(amdv1_leaf_size_lg2(pte, r->level), r->lg2);
	cr_assert_eq(amdv1_leaf_base(pte, r->level), PA0);
}

Test(amdv1_pte, nl7_sizes_must_lie_between_level_defaults)
{
	/* a 2 MiB size code at level 0 is the level-1 default: not encodable */
	uint64_t pte = AMDV1_PTE_PR | ims_field_prep(AMDV1_PTE_NL, 7) | 0xff000;

	cr_assert_eq(amdv1_nl7_size_lg2(pte), 21);
	cr_assert_not(amdv1_pte_valid(pte, 0));
	/* 4 KiB (no 1s and bit 12 = 0 gives 8 KiB; a level-1 NL=7 of 8 KiB is too small) */
	pte = AMDV1_PTE_PR | ims_field_prep(AMDV1_PTE_NL, 7);
	cr_assert_eq(amdv1_nl7_size_lg2(pte), 13);
	cr_assert(amdv1_pte_valid(pte, 0));
	cr_assert_not(amdv1_pte_valid(pte, 1));
	/* all 40 address bits 1: no size */
	pte |= AMDV1_PTE_ADDR;
	cr_assert_not(amdv1_pte_valid(pte, 0));
}

Test(amdv1_pte, next_level_must_point_down)
{
	uint64_t pde = amdv1_mk_pde(0x5000, 2);

	cr_assert_eq(pde, 0x5000 | (3ull << 9) | AMDV1_PTE_PR | AMDV1_PTE_IR | AMDV1_PTE_IW,
		     "NL = spec level of the child (iommusim level + 1), IR|IW on PDEs");
	cr_assert_eq(amdv1_pde_child_level(pde), 2);
	cr_assert(amdv1_pte_valid(pde, 3));
	cr_assert(amdv1_pte_valid(pde, 5), "skipping from the top is legal");
	cr_assert_not(amdv1_pte_valid(pde, 2), "NL 3 at spec level 3 does not point down");
	cr_assert_not(amdv1_pte_valid(amdv1_mk_pde(0x5000, 0), 0), "no PDE at level 1");
	cr_assert_not(amdv1_pte_valid(pde | IMS_BIT(60), 3), "bit 60 is reserved in a PDE");
	cr_assert(amdv1_pte_valid(amdv1_mk_leaf(0x5000, 12, IMS_PROT_READ) | AMDV1_PTE_FC, 0),
		  "bit 60 is FC in a PTE");
	cr_assert_not(amdv1_pte_valid(amdv1_mk_leaf(0x5000, 12, IMS_PROT_READ) | IMS_BIT(52), 0));
	cr_assert_not(amdv1_pte_valid(amdv1_mk_leaf(0, 39, IMS_PROT_READ), 5),
		      "the top of a 6-level table holds no translation (Table 15)");
	cr_assert_not(amdv1_pte_present(pde & ~AMDV1_PTE_PR));
	cr_assert_eq(amdv1_pte_type(pde & ~AMDV1_PTE_PR), AMDV1_PTE_EMPTY);
}

Test(amdv1_pte, levels_index_nine_bits_top6_seven)
{
	uint64_t iova = (0x55ull << 57) | (4ull << 48) | (3ull << 39) | (2ull << 30) |
			(1ull << 21) | (6ull << 12) | 0x123;

	cr_assert_eq(amdv1_pte_index(iova, 0), 6);
	cr_assert_eq(amdv1_pte_index(iova, 1), 1);
	cr_assert_eq(amdv1_pte_index(iova, 2), 2);
	cr_assert_eq(amdv1_pte_index(iova, 3), 3);
	cr_assert_eq(amdv1_pte_index(iova, 4), 4);
	cr_assert_eq(amdv1_pte_index(iova, 5), 0x55, "VA 63:57 indexes the Mode 6 top");
	cr_assert_eq(amdv1_level_entries(5), 128);
	cr_assert_eq(amdv1_mode_width(4), 48);
	cr_assert_eq(amdv1_mode_width(5), 57);
	cr_assert_eq(amdv1_mode_width(6), 64);
	cr_assert_eq(amdv1_mode_for_width(48), 4);
	cr_assert_eq(amdv1_mode_for_width(57), 5);
	cr_assert_eq(amdv1_mode_for_width(39), 0);
	cr_assert(amdv1_iova_fits(~0ull, 6), "Mode 6 translates all 64 bits");
	cr_assert_not(amdv1_iova_fits(1ull << 48, 4), "no sign extension");
	cr_assert(amdv1_iova_fits((1ull << 48) - 1, 4));
}

Test(amdv1_dte, built_as_linux_writes_it)
{
	struct amdv1_dte e;

	amdv1_dte_build(&e, 0x100000abc000ull, 5, 0x1234, true);
	cr_assert_eq(e.qw[0], AMDV1_DTE_V | AMDV1_DTE_TV | (3ull << 7) | (5ull << 9) |
		     0x100000abc000ull | AMDV1_DTE_IR | AMDV1_DTE_IW);
	cr_assert_eq(e.qw[1], 0x1234, "DomainID in bits 79:64");
	cr_assert_eq(e.qw[2] | e.qw[3], 0);
	cr_assert_eq(amdv1_dte_mode(&e), 5);
	cr_assert_eq(amdv1_dte_root(&e), 0x100000abc000ull);
	cr_assert_eq(amdv1_dte_domid(&e), 0x1234);
	cr_assert_eq(amdv1_dte_had(&e), AMDV1_HAD_AD);
	amdv1_dte_build(&e, 0x2000, 4, 1, false);
	cr_assert_eq(amdv1_dte_had(&e), AMDV1_HAD_NONE);
}

Test(amdv1_dte, had_encodings)
{
	cr_assert_not(amdv1_had_access(AMDV1_HAD_NONE));
	cr_assert_not(amdv1_had_dirty(AMDV1_HAD_NONE));
	cr_assert(amdv1_had_access(AMDV1_HAD_A));
	cr_assert_not(amdv1_had_dirty(AMDV1_HAD_A), "01b: Accessed only");
	cr_assert_not(amdv1_had_access(AMDV1_HAD_RSVD));
	cr_assert_not(amdv1_had_dirty(AMDV1_HAD_RSVD), "10b: reserved, no updates");
	cr_assert(amdv1_had_access(AMDV1_HAD_AD));
	cr_assert(amdv1_had_dirty(AMDV1_HAD_AD), "11b (Linux's DTE_FLAG_HAD): both");
}

/* ---- commands ---------------------------------------------------------------------- */

Test(amdv1_cmd, encodings_are_bit_exact)
{
	struct amdv1_cmd c = amdv1_cmd_completion_wait(0x50004008ull, 0xfeedfacecafef00dull);

	cr_assert_eq(c.qw[0], (1ull << 60) | 0x50004008ull | 1ull, "opcode 01h, S, address");
	cr_assert_eq(c.qw[1], 0xfeedfacecafef00dull, "Store Data 127:64");
	cr_assert_eq(amdv1_cmd_opcode(&c), AMDV1_CMD_COMPLETION_WAIT);
	c = amdv1_cmd_inv_devtab(0xbeef);
	cr_assert_eq(c.qw[0], (2ull << 60) | 0xbeef);
	cr_assert_eq(c.qw[1], 0);
	c = amdv1_cmd_inv_pages(0x4321, 0xabcdef000ull, true, true);
	cr_assert_eq(c.qw[0], (3ull << 60) | (0x4321ull << 32), "DomainID 47:32, PASID 0");
	cr_assert_eq(c.qw[1], 0xabcdef000ull | 0x3ull, "Address 63:12, PDE b65, S b64");
	c = amdv1_cmd_inv_pages(7, 0x5000, false, false);
	cr_assert_eq(c.qw[1], 0x5000);
	c = amdv1_cmd_inv_pages(7, AMDV1_IIP_ALL_ADDR, true, true);
	cr_assert_eq(c.qw[1], 0x7ffffffffffff003ull);
}

struct inv_row {
	uint64_t start, last;
	uint64_t addr;
	bool s;
	uint64_t blk_start, blk_last;   /* what the hardware invalidates */
	bool all;
};

static const struct inv_row inv_rows[] = {
	/* one page: S=0 */
	{ 0x5000, 0x5fff, 0x5000, false, 0x5000, 0x5fff, false },
	{ 0x5100, 0x5200, 0x5000, false, 0x5000, 0x5fff, false },
	/* two pages, aligned: first 0 at bit 12, an 8 KiB block */
	{ 0x0, 0x1fff, 0x0, true, 0x0, 0x1fff, false },
	/* two pages straddling an 8 KiB boundary: a 16 KiB block */
	{ 0x1000, 0x2fff, 0x1000, true, 0x0, 0x3fff, false },
	/* two pages straddling a 16 KiB boundary: 32 KiB */
	{ 0x3000, 0x4fff, 0x3000, true, 0x0, 0x7fff, false },
	/* three pages round up to 16 KiB */
	{ 0x4000, 0x6fff, 0x5000, true, 0x4000, 0x7fff, false },
	/* a 2 MiB page */
	{ 0x200000, 0x3fffff, 0x2ff000, true, 0x200000, 0x3fffff, false },
	/* unaligned, across a 1 GiB boundary: 2 GiB */
	{ 0x3ff00000, 0x400fffff, 0x3ffff000, true, 0x0, 0x7fffffff, false },
	/* high, aligned 1 GiB */
	{ 0x7fc0000000ull, 0x7fffffffffull, 0x7fdffff000ull, true, 0x7fc0000000ull,
	  0x7fffffffffull, false },
	/* the whole 52-bit space is still a block */
	{ 0x0, (1ull << 52) - 1, 0x7fffffffff000ull, true, 0x0, (1ull << 52) - 1, false },
	/* ends differ above bit 51: every page of the domain */
	{ 0x1000, 1ull << 52, AMDV1_IIP_ALL_ADDR, true, 0, UINT64_MAX, true },
	{ 0x0, UINT64_MAX, AMDV1_IIP_ALL_ADDR, true, 0, UINT64_MAX, true },
};

ParameterizedTestParameters(amdv1_cmd, range_encoding)
{
	return cr_make_param_array(struct inv_row, inv_rows, sizeof(inv_rows) / sizeof(inv_rows[0]));
}

ParameterizedTest(const struct inv_row *r, amdv1_cmd, range_encoding)
{
	uint64_t addr = 1, start = 1, last = 0;
	bool s = false, all;

	ims_inv_range_encode(r->start, r->last, &addr, &s);
	cr_assert_eq(addr, r->addr, "[0x%llx, 0x%llx]: addr 0x%llx", (unsigned long long)r->start,
		     (unsigned long long)r->last, (unsigned long long)addr);
	cr_assert_eq(s, r->s);
	all = ims_inv_range_decode(addr, s, &start, &last);
	cr_assert_eq(all, r->all);
	cr_assert_eq(start, r->blk_start, "start 0x%llx", (unsigned long long)start);
	cr_assert_eq(last, r->blk_last, "last 0x%llx", (unsigned long long)last);
	/* covers the range; aligned; no smaller aligned block would do */
	cr_assert(start <= (r->start & ~0xfffull) && last >= r->last);
	if (!all) {
		uint64_t size = last - start + 1;

		cr_assert_eq(start & (size - 1), 0);
		cr_assert(size == 4096 || (r->start & ~(size / 2 - 1)) != (r->last & ~(size / 2 - 1)),
			  "a half-size block would miss an end");
	}
}

Test(amdv1_cmd, all_pages_address_needs_s)
{
	uint64_t start, last;

	cr_assert(ims_inv_range_decode(AMDV1_IIP_ALL_ADDR, true, &start, &last));
	cr_assert_not(ims_inv_range_decode(AMDV1_IIP_ALL_ADDR, false, &start, &last),
		      "S=0: just the page at that address");
	cr_assert_eq(start, AMDV1_IIP_ALL_ADDR);
	cr_assert_eq(last, AMDV1_IIP_ALL_ADDR + 0xfff);
	/* low bits below 12 are not part of the address */
	cr_assert_not(ims_inv_range_decode(0x5fff, true, &start, &last));
	cr_assert_eq(start, 0x4000);
	cr_assert_eq(last, 0x7fff);
}
