/* AMD IOMMU host page tables ("v1" tables): page directory and page table
 * entries, levels, and the Next Level encodings.
 *
 * AMD I/O Virtualization Technology (IOMMU) Specification, pub. 48882,
 * rev. 3.x: section 2.2.3 "I/O Page Tables for Host Translations" (PDE and
 * PTE formats, Next Level, Table 14 "Example Page Size Encodings", Table 15
 * "Page Table Level Parameters"), 2.2.3.1 "Host Access Support" and 2.2.3.2
 * "Host Dirty Support" (A and D).
 *
 * Spec levels are numbered like the DTE Mode: a table at spec level n is
 * indexed by IOVA bits 12+9n-1 : 12+9(n-1). iommusim numbers tables from the
 * leaf table up, so iommusim level = spec level - 1:
 *   level 0  spec level 1  PTE: 4 KiB page, or NL=7: 8 KiB..1 MiB   VA 20:12
 *   level 1  spec level 2  2 MiB page, NL=7: 4..512 MiB, or a PDE   VA 29:21
 *   level 2  spec level 3  1 GiB page, NL=7: 2..256 GiB, or a PDE   VA 38:30
 *   level 3  spec level 4  512 GiB page, NL=7: 1..128 TiB, or PDE   VA 47:39
 *   level 4  spec level 5  256 TiB page, NL=7 larger, or a PDE      VA 56:48
 *   level 5  spec level 6  PDE only; 128 entries                   VA 63:57
 * A DTE with Mode m points at a table of spec level m (iommusim m-1); the
 * IOVA is m*9+12 bits wide, all 64 bits for Mode 6 (the spec does not sign
 * extend). The top of a 6-level table cannot hold translations (Table 15).
 *
 * Next Level (NL) of a present entry at spec level n:
 *   0       a translation of the level's default size (2^(12+9(n-1)));
 *   1..n-1  a pointer to a table of spec level NL. NL < n-1 skips levels:
 *           the IOVA bits that the skipped levels would index must be zero;
 *   7       a translation of a larger, non-default size: the size is given by
 *           the run of 1s in the address from bit 12 up, 2^(13 + ones), and
 *           must lie strictly between this level's and the next level's
 *           default sizes. The entry is replicated in every one of the
 *           2^(size_lg2 - default_lg2) consecutive entries the page spans.
 * Any other value (NL >= n, or NL 1..6 at level 1) is invalid.
 */
#ifndef AMDV1_PTE_H
#define AMDV1_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/bits.h"

/* Fields of PDEs and PTEs (section 2.2.3, PDE and PTE figures). */
#define AMDV1_PTE_PR      IMS_BIT(0)              /* Present */
#define AMDV1_PTE_A       IMS_BIT(5)              /* Accessed, if DTE.HAD enables it (2.2.3.1) */
#define AMDV1_PTE_D       IMS_BIT(6)              /* Dirty, PTEs only, DTE.HAD=11b (2.2.3.2) */
#define AMDV1_PTE_NL      IMS_GENMASK(11, 9)      /* Next Level */
#define AMDV1_PTE_ADDR    IMS_GENMASK(51, 12)     /* next table, or page (+ size code) */
#define AMDV1_PTE_U       IMS_BIT(59)             /* PTE: untranslated access only */
#define AMDV1_PTE_FC      IMS_BIT(60)             /* PTE: force coherent (snooped) */
#define AMDV1_PTE_IR      IMS_BIT(61)             /* I/O read permission */
#define AMDV1_PTE_IW      IMS_BIT(62)             /* I/O write permission */

/* Reserved bits: 58:52 in a PTE, 60:52 in a PDE (U and FC are PTE fields). */
#define AMDV1_PTE_RSVD    IMS_GENMASK(58, 52)
#define AMDV1_PDE_RSVD    IMS_GENMASK(60, 52)

#define AMDV1_PTE_PERM    (AMDV1_PTE_IR | AMDV1_PTE_IW)

/* Next Level encodings */
#define AMDV1_NL_LEAF     0u    /* translation of the level's default size */
#define AMDV1_NL_SIZE     7u    /* translation whose size the address encodes */

#define AMDV1_LEVEL_PTE   0u
#define AMDV1_MAX_LEVELS  6u    /* Mode 6: levels 0..5 */
#define AMDV1_TOP6_LEVEL  5u    /* top of a 6-level table: PDEs only */

#define AMDV1_TABLE_LG2   9u    /* 512 entries per table */
#define AMDV1_TABLE_ENTRIES (1u << AMDV1_TABLE_LG2)
#define AMDV1_TOP6_ENTRIES 128u /* the Mode 6 top table indexes VA 63:57 */

/* Largest leaf the model handles: the shared IOTLB holds at most 32 page
 * sizes, 2^12..2^43. Larger leaves (up to 2^51 by the format) are not
 * modelled; docs/models/amdv1.md says so. */
#define AMDV1_MAX_PAGE_LG2 43u

enum amdv1_pte_type {
	AMDV1_PTE_EMPTY,    /* PR=0 */
	AMDV1_PTE_TABLE,    /* PDE: NL names the next table's level */
	AMDV1_PTE_LEAF,     /* NL=0 or NL=7 */
};

/* log2 of the IOVA bytes one entry of `level` maps by default. */
static inline unsigned amdv1_level_shift(unsigned level)
{
	return 12u + AMDV1_TABLE_LG2 * level;
}

static inline unsigned amdv1_pte_index(uint64_t iova, unsigned level)
{
	if (level == AMDV1_TOP6_LEVEL)
		return (unsigned)(iova >> amdv1_level_shift(level)) & (AMDV1_TOP6_ENTRIES - 1);
	return (unsigned)(iova >> amdv1_level_shift(level)) & (AMDV1_TABLE_ENTRIES - 1);
}

static inline unsigned amdv1_level_entries(unsigned level)
{
	return level == AMDV1_TOP6_LEVEL ? AMDV1_TOP6_ENTRIES : AMDV1_TABLE_ENTRIES;
}

/* IOVA width a DTE Mode (1..6) translates: 12+9*Mode bits, 64 for Mode 6. */
static inline unsigned amdv1_mode_width(unsigned mode)
{
	return mode >= 6 ? 64u : 12u + AMDV1_TABLE_LG2 * mode;
}

/* DTE Mode sizing a domain's table to its IOVA width, 0 if unsupported. */
static inline unsigned amdv1_mode_for_width(unsigned iova_bits)
{
	switch (iova_bits) {
	case 48:
		return 4;
	case 57:
		return 5;
	default:
		return 0;
	}
}

static inline bool amdv1_iova_fits(uint64_t iova, unsigned mode)
{
	unsigned width = amdv1_mode_width(mode);

	return width >= 64 || !(iova >> width);
}

static inline bool amdv1_pte_present(uint64_t pte)
{
	return (pte & AMDV1_PTE_PR) != 0;
}

static inline unsigned amdv1_pte_nl(uint64_t pte)
{
	return (unsigned)ims_field_get(AMDV1_PTE_NL, pte);
}

static inline uint64_t amdv1_pte_addr(uint64_t pte)
{
	return pte & AMDV1_PTE_ADDR;
}

/* Leaf or table by Next Level alone; amdv1_pte_valid says whether the
 * encoding is legal at the level. */
static inline enum amdv1_pte_type amdv1_pte_type(uint64_t pte)
{
	unsigned nl;

	if (!amdv1_pte_present(pte))
		return AMDV1_PTE_EMPTY;
	nl = amdv1_pte_nl(pte);
	return (nl == AMDV1_NL_LEAF || nl == AMDV1_NL_SIZE) ? AMDV1_PTE_LEAF : AMDV1_PTE_TABLE;
}

/* iommusim level of the table a PDE points to (NL is a spec level). */
static inline unsigned amdv1_pde_child_level(uint64_t pte)
{
	return amdv1_pte_nl(pte) - 1u;
}

/* The IOVA bits a PDE at `level` pointing at a table of level `child`
 * skips (none unless child < level - 1): they must be zero, or the walk
 * faults (section 2.2.3). */
static inline uint64_t amdv1_pde_skipped_bits(unsigned level, unsigned child)
{
	return ((UINT64_C(1) << amdv1_level_shift(level)) - 1) &
	       ~((UINT64_C(1) << amdv1_level_shift(child + 1)) - 1);
}

/* Size of an NL=7 page: the first 0 in the address from bit 12 is at bit
 * 12 + ones, and the page is 2^(13 + ones) bytes (Table 14). */
static inline unsigned amdv1_nl7_size_lg2(uint64_t pte)
{
	uint64_t a = amdv1_pte_addr(pte) >> 12;

	return 13u + (unsigned)__builtin_ctzll(~a);
}

/* Page size of a leaf at `level`, log2. */
static inline unsigned amdv1_leaf_size_lg2(uint64_t pte, unsigned level)
{
	return amdv1_pte_nl(pte) == AMDV1_NL_SIZE ? amdv1_nl7_size_lg2(pte)
						    : amdv1_level_shift(level);
}

/* Is a present entry well formed at `level`? Reserved bits clear, Next
 * Level legal, and an NL=7 size strictly between the level's default size
 * and the next level's (a size the level above would map by default, or a
 * smaller one, is not encodable here). */
static inline bool amdv1_pte_valid(uint64_t pte, unsigned level)
{
	unsigned nl = amdv1_pte_nl(pte);

	if (nl == AMDV1_NL_LEAF || nl == AMDV1_NL_SIZE) {
		unsigned lg2;

		if (level == AMDV1_TOP6_LEVEL || (pte & AMDV1_PTE_RSVD))
			return false;
		if (nl == AMDV1_NL_LEAF)
			return true;
		lg2 = amdv1_nl7_size_lg2(pte);
		return lg2 > amdv1_level_shift(level) && lg2 < amdv1_level_shift(level + 1) &&
		       lg2 <= 52;
	}
	return !(pte & AMDV1_PDE_RSVD) && nl <= level;
}

/* Physical base of the page a leaf maps. Address bits below the page size
 * carry the NL=7 size code or are ignored. */
static inline uint64_t amdv1_leaf_base(uint64_t pte, unsigned level)
{
	return amdv1_pte_addr(pte) & ~((UINT64_C(1) << amdv1_leaf_size_lg2(pte, level)) - 1);
}

/* Where a page of 2^lg2 bytes goes: the level whose default size is the
 * largest not above it, and how many consecutive entries it fills there. */
static inline unsigned amdv1_level_for_size(unsigned lg2)
{
	return (lg2 - 12u) / AMDV1_TABLE_LG2;
}

static inline unsigned amdv1_replicas(unsigned lg2)
{
	return 1u << ((lg2 - 12u) % AMDV1_TABLE_LG2);
}

static inline uint64_t amdv1_prot_to_pte(unsigned prot)
{
	return ((prot & IMS_PROT_READ) ? AMDV1_PTE_IR : 0) |
	       ((prot & IMS_PROT_WRITE) ? AMDV1_PTE_IW : 0);
}

/* The leaf entry for a page of 2^lg2 bytes at pa (aligned to it): NL=0 at
 * a default size, else NL=7 with address bits lg2-2:12 set and bit lg2-1
 * clear. A coherent mapping (IMS_PROT_CACHE) sets FC. The caller writes it
 * into amdv1_replicas(lg2) entries, so every replica carries the same FC. */
static inline uint64_t amdv1_mk_leaf(uint64_t pa, unsigned lg2, unsigned prot)
{
	uint64_t pte = AMDV1_PTE_PR | amdv1_prot_to_pte(prot) |
		       ((prot & IMS_PROT_CACHE) ? AMDV1_PTE_FC : 0);

	if (lg2 == amdv1_level_shift(amdv1_level_for_size(lg2)))
		return pte | ims_field_prep(AMDV1_PTE_NL, AMDV1_NL_LEAF) | (pa & AMDV1_PTE_ADDR);
	return pte | ims_field_prep(AMDV1_PTE_NL, AMDV1_NL_SIZE) |
	       ((pa | ((UINT64_C(1) << (lg2 - 1)) - 1)) & AMDV1_PTE_ADDR);
}

/* Does DMA through this leaf snoop? FC=1: the IOMMU forces the request
 * coherent whatever its No-Snoop attribute; FC=0: the request's own
 * attribute decides (section 2.2.3, PTE fields, FC). FC is a PTE field
 * only: bit 60 is reserved in a PDE. */
static inline bool amdv1_pte_snoops(uint64_t pte)
{
	return (pte & AMDV1_PTE_FC) != 0;
}

/* A PDE pointing at a table of iommusim level child_level. IR and IW are
 * ANDed down the walk, so PDEs grant both and the PTE decides, as Linux
 * writes them. Host software always points at the next level down. */
static inline uint64_t amdv1_mk_pde(uint64_t table_pa, unsigned child_level)
{
	return AMDV1_PTE_PR | AMDV1_PTE_IR | AMDV1_PTE_IW |
	       ims_field_prep(AMDV1_PTE_NL, child_level + 1u) | (table_pa & AMDV1_PTE_ADDR);
}

#endif
