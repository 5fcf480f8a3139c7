/* VMSAv8-64 translation table descriptors, 4 KiB granule, 48-bit input, as
 * an Arm SMMUv3 walks them for stage 1 (CD.TTB0) and stage 2 (STE.S2TTB).
 *
 * Arm Architecture Reference Manual for A-profile, DDI 0487 M.a.a:
 *   D8.3    Table D8-48   descriptor type from bits[1:0] and the lookup level
 *   D8.3.1.1 Tables D8-50, D8-51  stage 1 / stage 2 Table descriptor fields
 *   D8.3.1.2 Tables D8-52, D8-53  stage 1 / stage 2 Block and Page descriptor fields
 *   D8.5.1  the Access flag; D8.5.2 the dirty state (DBM, writable-clean/-dirty)
 *   D8.5.5  the Contiguous bit with hardware updates
 *   D8.7.1  the Contiguous bit, Table D8-104 (16 entries at every 4 KiB-granule level)
 * SMMU specifics: IHI 0070 G.b, section 3.13 (HTTU: 3.13.2 Access flag,
 * 3.13.3.1 dirty state with the Direct Permission Scheme).
 *
 * Arm lookup levels map to iommusim levels (level 0 = leaf table):
 *   level 0  Arm level 3  Page descriptors, 4 KiB              IA[20:12]
 *   level 1  Arm level 2  2 MiB Block, or Table -> level 0     IA[29:21]
 *   level 2  Arm level 1  1 GiB Block, or Table -> level 1     IA[38:30]
 *   level 3  Arm level 0  Table -> level 2 only                IA[47:39]
 * A 4 KiB-granule level 0 Block exists only with DS=1 (52-bit, FEAT_LPA2),
 * which the model does not use: a Block descriptor there is invalid.
 *
 * The two stages share one layout of bits[1:0], OA[47:12], SH, AF, DBM and
 * Contiguous, and differ in the permission bits and the memory attributes.
 * struct smmu_stage says how; the walker and the host software are written
 * once against it (QEMU's walker is two near-copies of one loop).
 */
#ifndef SMMU_DESC_H
#define SMMU_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "models/common/iotlb.h"
#include "models/model.h"
#include "sim/bits.h"

/* Fields common to both stages (Tables D8-48, D8-50..53). */
#define SMMU_DESC_VALID     IMS_BIT(0)            /* bit[0]: valid descriptor */
#define SMMU_DESC_TYPE      IMS_BIT(1)            /* bit[1]: 1 Table (Arm levels 0-2) or
						   * Page (Arm level 3); 0 Block */
#define SMMU_DESC_SH        IMS_GENMASK(9, 8)     /* Shareability (DS=0) */
#define SMMU_DESC_AF        IMS_BIT(10)           /* Access flag */
#define SMMU_DESC_OA        IMS_GENMASK(47, 12)   /* OA base (Page) / NLTA (Table), DS=0 */
#define SMMU_DESC_DBM       IMS_BIT(51)           /* Dirty bit modifier */
#define SMMU_DESC_CONTIG    IMS_BIT(52)           /* Contiguous (PnCH=0) */

/* Stage 1 Block/Page descriptor (Table D8-52, EL1&0 regime: two privilege levels). */
#define SMMU_DESC_ATTRINDX  IMS_GENMASK(4, 2)     /* AttrIndx[2:0]: MAIR index */
#define SMMU_DESC_NS        IMS_BIT(5)            /* NS; RES0 for Non-secure accesses */
#define SMMU_DESC_AP1       IMS_BIT(6)            /* AP[1]: EL0 (unprivileged) access */
#define SMMU_DESC_AP2       IMS_BIT(7)            /* AP[2]: read-only */
#define SMMU_DESC_NG        IMS_BIT(11)           /* not global: ASID-tagged */
#define SMMU_DESC_PXN       IMS_BIT(53)           /* privileged execute-never */
#define SMMU_DESC_UXN       IMS_BIT(54)           /* unprivileged execute-never (XN) */
#define SMMU_DESC_S1_SW     IMS_GENMASK(58, 55)   /* reserved for software use */

/* Stage 2 Block/Page descriptor (Table D8-53, FEAT_S2FWB disabled). */
#define SMMU_DESC_MEMATTR   IMS_GENMASK(5, 2)     /* MemAttr[3:0] */
#define SMMU_DESC_S2AP_R    IMS_BIT(6)            /* S2AP[0]: read */
#define SMMU_DESC_S2AP_W    IMS_BIT(7)            /* S2AP[1]: write */
#define SMMU_DESC_S2XN      IMS_GENMASK(54, 53)   /* XN[1:0] (FEAT_XNX; bit 54 XN without) */
#define SMMU_DESC_S2_SW     IMS_GENMASK(58, 56)   /* reserved for software use */

/* The model's own software bit, inside both stages' software-use fields
 * (stage 1 [58:55], stage 2 [58:56], which the walk ignores): the leaf was
 * writable-dirty when write_protect took away its write permission and
 * DBM. Without it that dirty state would be lost, since a leaf with neither
 * reads as non-writable, not dirty (D8.5.2). Bit 56, not 55: the stage 2
 * field starts at 56 (Table D8-53). */
#define SMMU_DESC_SW_DIRTY  IMS_BIT(56)

/* Stage 1 Table descriptor hierarchical attributes (Table D8-50); stage 2
 * Table descriptors have none (Table D8-51: 63:59 RES0, 58:51 IGNORED). */
#define SMMU_TABLE_PXNTABLE IMS_BIT(59)
#define SMMU_TABLE_UXNTABLE IMS_BIT(60)           /* XNTable/UXNTable */
#define SMMU_TABLE_AP0      IMS_BIT(61)           /* APTable[0]: no EL0 access below */
#define SMMU_TABLE_AP1      IMS_BIT(62)           /* APTable[1]: no write access below */
#define SMMU_TABLE_NSTABLE  IMS_BIT(63)           /* Secure state only */

/* SH[1:0] encodings (Tables D8-52/53): 0b00 Non-shareable, 0b01 reserved. */
#define SMMU_SH_OSH         2u
#define SMMU_SH_ISH         3u

/* Memory attributes. Stage 1 leaves name one of eight MAIR attributes by
 * AttrIndx; the CD holds the MAIR (IHI 0070 5.4, MAIR0/MAIR1), laid out as
 * io-pgtable-arm does. Encodings of an attribute byte (DDI 0487, MAIR_EL1
 * Attr<n>): [7:4] outer, [3:0] inner; 0b0000 outer is Device memory,
 * 0b0100 Non-cacheable, 0b01RW (RW != 00) and 0b11RW Write-Back. */
#define SMMU_MAIR_ATTR_NC       0x44u   /* Normal, Inner/Outer Non-cacheable */
#define SMMU_MAIR_ATTR_WB       0xffu   /* Normal, Inner/Outer WB, R/W-allocate */
#define SMMU_MAIR_ATTR_DEVICE   0x04u   /* Device-nGnRE */
#define SMMU_MAIR_ATTR_INC_OWB  0xf4u   /* Normal, Inner Non-cacheable, Outer WB */
#define SMMU_MAIR_IDX_NC        0u
#define SMMU_MAIR_IDX_CACHE     1u
#define SMMU_MAIR_IDX_DEVICE    2u
#define SMMU_MAIR_IDX_INC_OWB   3u
/* CD.MAIR0: attribute n in bits 8n+7:8n. MAIR1 (indexes 4-7) stays 0. */
#define SMMU_MAIR0_VALUE ((uint64_t)SMMU_MAIR_ATTR_NC << (8 * SMMU_MAIR_IDX_NC) | \
			 (uint64_t)SMMU_MAIR_ATTR_WB << (8 * SMMU_MAIR_IDX_CACHE) | \
			 (uint64_t)SMMU_MAIR_ATTR_DEVICE << (8 * SMMU_MAIR_IDX_DEVICE) | \
			 (uint64_t)SMMU_MAIR_ATTR_INC_OWB << (8 * SMMU_MAIR_IDX_INC_OWB))

/* Stage 2 MemAttr[3:0] with FEAT_S2FWB disabled (Table D8-53, DDI 0487
 * stage 2 memory type encoding): [3:2] outer, [1:0] inner; 0b00 outer is
 * Device, 0b01 Non-cacheable, 0b10 Write-Through, 0b11 Write-Back. */
#define SMMU_MEMATTR_NC     0x5u      /* Normal, Inner/Outer Non-cacheable */
#define SMMU_MEMATTR_OIWB   0xfu      /* Normal, Inner/Outer Write-Back */

/* Levels (iommusim numbering) */
#define SMMU_LEVELS         4u        /* Arm levels 0..3 for a 48-bit IA */
#define SMMU_TOP_LEVEL      3u        /* Arm level 0 */
#define SMMU_IA_BITS        48u
#define SMMU_TABLE_LG2      9u        /* 512 descriptors per 4 KiB table */
#define SMMU_TABLE_ENTRIES  (1u << SMMU_TABLE_LG2)
#define SMMU_CONTIG_LG2     4u        /* 16 descriptors per contiguous run (Table D8-104) */
#define SMMU_CONTIG_ENTRIES (1u << SMMU_CONTIG_LG2)

enum smmu_desc_type {
	SMMU_DESC_EMPTY,   /* invalid (bit[0]=0), or a type this level cannot hold */
	SMMU_DESC_TABLE,
	SMMU_DESC_LEAF,    /* Block or Page */
};

/* A translation stage as the shared code sees it. */
struct smmu_stage {
	unsigned num;              /* 1 or 2 */
	/* Permissions of an unprivileged request (PCIe traffic without a
	 * privileged PASID; STE.PRIVCFG "use incoming"). */
	uint64_t read_bit;         /* S1 AP[1], S2 S2AP[0] */
	uint64_t write_bit;        /* S1 AP[2], S2 S2AP[1] */
	bool write_bit_denies;     /* S1: AP[2]=1 is read-only; S2: S2AP[1]=1 grants write */
	bool write_needs_read;     /* S1: AP[2:1]=0b00 gives EL0 nothing, so a write
				    * needs AP[1] too; S2 write is independent of read */
	uint64_t table_no_write;   /* S1 APTable[1]; 0: no hierarchical control */
	uint64_t table_no_read;    /* S1 APTable[0] (no EL0 access at all) */
	/* Memory attributes of the leaves the host writes: Normal write-back
	 * for a coherent mapping (IMS_PROT_CACHE), Normal Non-cacheable
	 * otherwise. SH, AttrIndx and nG at stage 1; SH and MemAttr at 2. */
	uint64_t leaf_attrs_cache;
	uint64_t leaf_attrs_nc;
	/* HTTU enables: which word of the configuration structure (CD at stage
	 * 1, STE at stage 2) and which bits (see smmu_cfg.h) */
	unsigned cfg_word;
	uint64_t cfg_ha, cfg_hd, cfg_affd;
};

extern const struct smmu_stage smmu_stage1;
extern const struct smmu_stage smmu_stage2;

static inline const struct smmu_stage *smmu_stage_get(unsigned num)
{
	return num == 2 ? &smmu_stage2 : &smmu_stage1;
}

/* ---- geometry ---------------------------------------------------------- */

static inline unsigned smmu_level_shift(unsigned level)
{
	return 12u + SMMU_TABLE_LG2 * level;
}

static inline unsigned smmu_desc_index(uint64_t ia, unsigned level)
{
	return (unsigned)((ia >> smmu_level_shift(level)) & (SMMU_TABLE_ENTRIES - 1));
}

/* Arm lookup level of an iommusim level, and of a TLB entry's page size. */
static inline unsigned smmu_arm_level(unsigned level)
{
	return SMMU_TOP_LEVEL - level;
}

static inline unsigned smmu_level_of_lg2(unsigned page_lg2)
{
	return (page_lg2 - 12u) / SMMU_TABLE_LG2;   /* contiguous sizes round down */
}

/* ---- type -------------------------------------------------------------- */

static inline bool smmu_level_can_block(unsigned level)
{
	return level == 1 || level == 2;   /* Arm levels 2 and 1 with DS=0 */
}

/* Table D8-48: bit[0] valid; bit[1] Table/Page (1) or Block (0). At Arm
 * level 3 bit[1]=0 is reserved and treated as invalid; at Arm level 0 a
 * Block needs DS=1. */
static inline enum smmu_desc_type smmu_desc_type(uint64_t d, unsigned level)
{
	if (!(d & SMMU_DESC_VALID))
		return SMMU_DESC_EMPTY;
	if (d & SMMU_DESC_TYPE)
		return level == 0 ? SMMU_DESC_LEAF : SMMU_DESC_TABLE;
	return smmu_level_can_block(level) ? SMMU_DESC_LEAF : SMMU_DESC_EMPTY;
}

static inline uint64_t smmu_desc_oa(uint64_t d)
{
	return d & SMMU_DESC_OA;
}

/* Output base of a leaf: Block OA bits below the block size are RES0
 * (Tables D8-52/53, "Descriptor bits [20:17] are RES0") and ignored here. */
static inline uint64_t smmu_desc_page_base(uint64_t d, unsigned level)
{
	return smmu_desc_oa(d) & ~((UINT64_C(1) << smmu_level_shift(level)) - 1);
}

/* ---- permissions and dirty state (D8.5.2, SMMU 3.13.3.1) --------------- */

/* IMS_TLB_R/W that a leaf grants as it stands, before any HTTU update. */
static inline unsigned smmu_desc_perm(const struct smmu_stage *st, uint64_t d)
{
	bool r = (d & st->read_bit) != 0;
	bool w = ((d & st->write_bit) != 0) != st->write_bit_denies;

	if (st->write_needs_read)
		w = w && r;
	return (r ? IMS_TLB_R : 0u) | (w ? IMS_TLB_W : 0u);
}

/* The descriptor with write permission granted (writable-dirty) or
 * removed (writable-clean), everything else unchanged. */
static inline uint64_t smmu_desc_make_dirty(const struct smmu_stage *st, uint64_t d)
{
	return st->write_bit_denies ? d & ~st->write_bit : d | st->write_bit;
}

static inline uint64_t smmu_desc_make_clean(const struct smmu_stage *st, uint64_t d)
{
	return st->write_bit_denies ? d | st->write_bit : d & ~st->write_bit;
}

/* Writable-dirty: DBM=1 and write permitted (Linux's stage 1 test is
 * (pte & (AP_RDONLY | DBM)) == DBM). */
static inline bool smmu_desc_write_dirty(const struct smmu_stage *st, uint64_t d)
{
	return (d & SMMU_DESC_DBM) && (smmu_desc_perm(st, d) & IMS_TLB_W);
}

/* Writable-clean: DBM=1 and the missing write permission is the only reason
 * a write would fault (D8.5.2.1 R XZFQH). */
static inline bool smmu_desc_write_clean(const struct smmu_stage *st, uint64_t d)
{
	return (d & SMMU_DESC_DBM) && !(smmu_desc_perm(st, d) & IMS_TLB_W) &&
	       (smmu_desc_perm(st, smmu_desc_make_dirty(st, d)) & IMS_TLB_W);
}

/* Dirty as host software reads it: writable-dirty, or write-protected after
 * being so (SMMU_DESC_SW_DIRTY). */
static inline bool smmu_desc_sw_dirty(const struct smmu_stage *st, uint64_t d)
{
	return smmu_desc_write_dirty(st, d) || (d & SMMU_DESC_SW_DIRTY);
}

/* What a dirty clear leaves: writable-clean, or a write-protected leaf
 * without its software dirty bit (make_clean changes nothing there). */
static inline uint64_t smmu_desc_clear_dirty(const struct smmu_stage *st, uint64_t d)
{
	return smmu_desc_make_clean(st, d) & ~SMMU_DESC_SW_DIRTY;
}

/* Write-protected: no write permission and DBM=0, so neither a write nor an
 * HTTU update can make the leaf writable again (HTTU changes the permission
 * only of a descriptor with DBM=1, D8.5.2; IHI 0070 3.13.3.1). A
 * writable-dirty leaf keeps its dirty state in SMMU_DESC_SW_DIRTY; a
 * software dirty bit already there stays. */
static inline uint64_t smmu_desc_write_protect(const struct smmu_stage *st, uint64_t d)
{
	uint64_t wp = smmu_desc_make_clean(st, d) & ~SMMU_DESC_DBM;

	return smmu_desc_write_dirty(st, d) ? wp | SMMU_DESC_SW_DIRTY : wp;
}

/* Permissions a Table descriptor leaves to the levels below it. */
static inline unsigned smmu_table_perm(const struct smmu_stage *st, uint64_t d)
{
	if (d & st->table_no_read)
		return 0;
	return (d & st->table_no_write) ? IMS_TLB_R : IMS_TLB_R | IMS_TLB_W;
}

/* ---- memory attributes: coherency ---------------------------------------- */

/* One half of a MAIR attribute byte is Write-Back: 0b01RW with RW != 00
 * (transient) or 0b11RW (non-transient). */
static inline bool smmu_mair_half_wb(unsigned half)
{
	return (half & 0xcu) == 0xcu || ((half & 0xcu) == 0x4u && (half & 0x3u));
}

/* A MAIR attribute byte: Normal, Inner and Outer Write-Back. */
static inline bool smmu_mair_attr_wb(unsigned attr)
{
	return smmu_mair_half_wb(attr >> 4) && smmu_mair_half_wb(attr & 0xfu);
}

/* Does DMA through this leaf snoop the CPU caches? It does when the leaf
 * makes the access Normal Inner/Outer Write-Back and shareable (Inner or
 * Outer Shareable): such accesses are coherent in a system whose SMMU and
 * interconnect are (SMMU_IDR0.COHACC, IHI 0070 6.3.1; see
 * can_enforce_coherency). Stage 1 gives the attribute by MAIR index
 * (mair: the CD's MAIR1:MAIR0), stage 2 by MemAttr. The architecture treats
 * Normal Non-cacheable as Outer Shareable whatever SH says, which does not
 * matter here: it never snoops. */
static inline bool smmu_desc_snoops(const struct smmu_stage *st, uint64_t d, uint64_t mair)
{
	unsigned sh = (unsigned)ims_field_get(SMMU_DESC_SH, d);

	if (sh != SMMU_SH_OSH && sh != SMMU_SH_ISH)
		return false;
	if (st->num == 1) {
		unsigned idx = (unsigned)ims_field_get(SMMU_DESC_ATTRINDX, d);

		return smmu_mair_attr_wb((unsigned)(mair >> (8 * idx)) & 0xffu);
	}
	return ims_field_get(SMMU_DESC_MEMATTR, d) == SMMU_MEMATTR_OIWB;
}

/* ---- construction (host) ----------------------------------------------- */

/* A Table descriptor: no hierarchical restriction, as Linux writes them. */
static inline uint64_t smmu_mk_table(uint64_t table_pa)
{
	return SMMU_DESC_VALID | SMMU_DESC_TYPE | (table_pa & SMMU_DESC_OA);
}

/* Permission bits of a leaf for prot. With dbm, a writable leaf is created
 * writable-dirty (DBM=1, write permitted), as io-pgtable-arm does under
 * IO_PGTABLE_QUIRK_ARM_HD. Stage 1 cannot express write-only: a write-only
 * request maps read/write. */
static inline uint64_t smmu_prot_bits(const struct smmu_stage *st, unsigned prot, bool dbm)
{
	uint64_t d = 0;
	bool w = prot & IMS_PROT_WRITE;

	if ((prot & IMS_PROT_READ) || st->write_needs_read)
		d |= st->read_bit;
	d = w ? smmu_desc_make_dirty(st, d) : smmu_desc_make_clean(st, d);
	if (w && dbm)
		d |= SMMU_DESC_DBM;
	return d;
}

/* Memory attributes of a leaf for prot: write-back for IMS_PROT_CACHE. */
static inline uint64_t smmu_leaf_attrs(const struct smmu_stage *st, unsigned prot)
{
	return (prot & IMS_PROT_CACHE) ? st->leaf_attrs_cache : st->leaf_attrs_nc;
}

/* A leaf at `level` mapping pa, AF=1 (Linux maps with AF set). Every
 * descriptor of a contiguous run is built from the same prot, so the run
 * has one set of attributes (D8.7.1 requires it). */
static inline uint64_t smmu_mk_leaf(const struct smmu_stage *st, uint64_t pa, unsigned level,
				    unsigned prot, bool dbm, bool contig)
{
	uint64_t d = SMMU_DESC_VALID | SMMU_DESC_AF | smmu_leaf_attrs(st, prot) |
		     smmu_prot_bits(st, prot, dbm) | (pa & SMMU_DESC_OA);

	if (level == 0)
		d |= SMMU_DESC_TYPE;
	if (contig)
		d |= SMMU_DESC_CONTIG;
	return d;
}

#endif
