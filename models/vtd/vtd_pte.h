/* Intel VT-d second-stage paging entries.
 *
 * Intel Virtualization Technology for Directed I/O Architecture
 * Specification, rev. 5.10 (D51397-018): section 3.7 "Second-Stage
 * Translation" (Table 4, second-stage paging structures) and section 9.8
 * "Second-Stage Paging Entries" (Figure 9-8, Tables 41-47).
 *
 * Spec names map to iommusim levels (level 0 = leaf table):
 *   level 0  SS-PTE    maps a 4 KiB page                       (Table 47)
 *   level 1  SS-PDE    maps 2 MiB if PS, else -> SS-PTE table   (Tables 45, 46)
 *   level 2  SS-PDPE   maps 1 GiB if PS, else -> SS-PDE table   (Tables 43, 44)
 *   level 3  SS-PML4E  -> SS-PDPE table                         (Table 42)
 *   level 4  SS-PML5E  -> SS-PML4E table, 5-level tables only   (Table 41)
 * Every table is 4 KiB holding 512 entries; the entry at level L is selected
 * by IOVA bits 12+9L+8 : 12+9L (section 3.7). 48-bit IOVA spaces use 4
 * levels (PASID-entry AW=010b), 57-bit ones 5 levels (AW=011b).
 *
 * There is no present bit: an entry is used only if R or W is set (section
 * 3.7, "If a second-stage paging-structure entry's read and write
 * permissions are both 0 ... the entry is used neither to reference another
 * paging-structure entry nor to map a page").
 */
#ifndef VTD_PTE_H
#define VTD_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/model.h"
#include "sim/bits.h"

/* Fields common to all second-stage entries (Tables 41-47). */
#define VTD_SLPTE_R     IMS_BIT(0)              /* Read */
#define VTD_SLPTE_W     IMS_BIT(1)              /* Write */
#define VTD_SLPTE_PS    IMS_BIT(7)              /* Page Size: SS-PDE/SS-PDPE only */
#define VTD_SLPTE_A     IMS_BIT(8)              /* Accessed, if SSADE=1 (sec. 3.7.2) */
#define VTD_SLPTE_D     IMS_BIT(9)              /* Dirty, leaves only, if SSADE=1 */
#define VTD_SLPTE_SNP   IMS_BIT(11)             /* Snoop, leaves only, if ECAP_REG.SC=1 */
#define VTD_SLPTE_ADDR  IMS_GENMASK(51, 12)     /* ADDR: HAW-1:12, 51:HAW reserved */

#define VTD_SLPTE_PERM  (VTD_SLPTE_R | VTD_SLPTE_W)

#define VTD_LEVEL_PTE    0u
#define VTD_LEVEL_PDE    1u
#define VTD_LEVEL_PDPE   2u
#define VTD_LEVEL_PML4E  3u
#define VTD_LEVEL_PML5E  4u
#define VTD_MAX_LEVELS   5u       /* table levels of a 5-level walk */

#define VTD_TABLE_LG2    9u       /* 512 entries per table */
#define VTD_TABLE_ENTRIES (1u << VTD_TABLE_LG2)

enum vtd_pte_type {
	VTD_PTE_EMPTY,   /* R=W=0: not present */
	VTD_PTE_TABLE,   /* references the next-level table */
	VTD_PTE_LEAF,    /* maps a page */
};

static inline bool vtd_pte_present(uint64_t pte)
{
	return (pte & VTD_SLPTE_PERM) != 0;
}

/* Leaves are SS-PTEs and, with PS=1, SS-PDEs and SS-PDPEs (Table 4). PS is
 * reserved in SS-PML4E/SS-PML5E, so it never makes them leaves. */
static inline bool vtd_level_can_leaf(unsigned level)
{
	return level <= VTD_LEVEL_PDPE;
}

static inline bool vtd_pte_is_leaf(uint64_t pte, unsigned level)
{
	return level == VTD_LEVEL_PTE ||
	       (vtd_level_can_leaf(level) && (pte & VTD_SLPTE_PS));
}

static inline enum vtd_pte_type vtd_pte_type(uint64_t pte, unsigned level)
{
	if (!vtd_pte_present(pte))
		return VTD_PTE_EMPTY;
	return vtd_pte_is_leaf(pte, level) ? VTD_PTE_LEAF : VTD_PTE_TABLE;
}

/* log2 of the IOVA bytes one entry of `level` maps. */
static inline unsigned vtd_level_shift(unsigned level)
{
	return 12u + VTD_TABLE_LG2 * level;
}

static inline unsigned vtd_pte_index(uint64_t iova, unsigned level)
{
	return (unsigned)((iova >> vtd_level_shift(level)) & (VTD_TABLE_ENTRIES - 1));
}

/* Physical address held in ADDR: the next table, or the page base. For a
 * large leaf the low ADDR bits are reserved (section 3.7) and masked off. */
static inline uint64_t vtd_pte_addr(uint64_t pte)
{
	return pte & VTD_SLPTE_ADDR;
}

static inline uint64_t vtd_pte_page_base(uint64_t pte, unsigned level)
{
	return vtd_pte_addr(pte) & ~((UINT64_C(1) << vtd_level_shift(level)) - 1);
}

/* Table levels for an IOVA width (section 9.6, AW field), 0 if unsupported. */
static inline unsigned vtd_levels_for_width(unsigned iova_bits)
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

/* IOVA bits a table of `levels` levels translates (AGAW). */
static inline unsigned vtd_width_for_levels(unsigned levels)
{
	return vtd_level_shift(levels);
}

/* A non-leaf entry. Permissions are ANDed down the walk (section 3.7.1), so
 * table entries grant both and the leaf decides, as Linux writes them. */
static inline uint64_t vtd_mk_table(uint64_t table_pa)
{
	return VTD_SLPTE_R | VTD_SLPTE_W | (table_pa & VTD_SLPTE_ADDR);
}

static inline uint64_t vtd_prot_to_pte(unsigned prot)
{
	return ((prot & IMS_PROT_READ) ? VTD_SLPTE_R : 0) |
	       ((prot & IMS_PROT_WRITE) ? VTD_SLPTE_W : 0);
}

/* A leaf mapping pa at `level`: PS is set on SS-PDE/SS-PDPE leaves, SNP on
 * a coherent (IMS_PROT_CACHE) mapping. SNP is reserved without snoop
 * control: the caller drops IMS_PROT_CACHE when ECAP_REG.SC=0. */
static inline uint64_t vtd_mk_leaf(uint64_t pa, unsigned level, unsigned prot)
{
	uint64_t pte = vtd_prot_to_pte(prot) | (pa & VTD_SLPTE_ADDR);

	if (level != VTD_LEVEL_PTE)
		pte |= VTD_SLPTE_PS;
	if (prot & IMS_PROT_CACHE)
		pte |= VTD_SLPTE_SNP;
	return pte;
}

/* Does DMA through this leaf snoop? Section 9.8 (Tables 43, 45, 47, SNP):
 * with snoop control (sc, ECAP_REG.SC) a leaf with SNP=1 makes the request
 * snooped whatever its No-Snoop attribute; with SNP=0 the request's own
 * attribute decides. Without snoop control SNP is reserved and never
 * forces anything. */
static inline bool vtd_pte_snoops(uint64_t pte, bool sc)
{
	return sc && (pte & VTD_SLPTE_SNP);
}

#endif
