/* SMMUv3 configuration structures: the Stream Table Entry (one per device,
 * by StreamID) and the Context Descriptor (one per stage-1 domain), and the
 * configuration cache the hardware translates with.
 *
 * Arm SMMUv3 architecture specification, IHI 0070 G.b:
 *   5.2  STE, Stream Table Entry (64 bytes; field bits as the spec numbers
 *        them over the whole entry, given here per 64-bit word)
 *   5.4  CD, Context Descriptor (64 bytes)
 *   5.2.1 / 5.4.1  which fields may be cached in TLB entries (S2HA/S2HD,
 *        HA/HD): changing them needs a TLB invalidation after the CFGI
 *   4.3  configuration structure invalidation (CMD_CFGI_STE, CMD_CFGI_CD)
 *
 * The Stream table is linear (SMMU_STRTAB_BASE_CFG.FMT=0b00): the STE of
 * StreamID s sits at base + 64 s. Each STE of a stage-1 domain points at
 * the domain's single CD (S1CDMax=0, no substreams).
 *
 * The hardware never reads an STE or CD from memory while translating: it
 * uses the copy in its configuration cache, which CMD_CFGI_STE/CMD_CFGI_CD
 * reload (a real SMMU drops the entry and refetches it on the next use; the
 * refetch cost is folded into smmuv3_cfgi_ns). A change in memory therefore
 * takes effect only after the invalidation the spec requires.
 */
#ifndef SMMU_CFG_H
#define SMMU_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/bits.h"

struct ims_sim;

#define SMMU_STE_WORDS      8u
#define SMMU_CD_WORDS       8u
#define SMMU_STE_BYTES      64u
#define SMMU_CD_BYTES       64u

/* STE word 0: bits 63:0 (5.2) */
#define SMMU_STE0_V         IMS_BIT(0)
#define SMMU_STE0_CONFIG    IMS_GENMASK(3, 1)
#define SMMU_STE0_S1FMT     IMS_GENMASK(5, 4)
#define SMMU_STE0_S1CTXPTR  IMS_GENMASK(55, 6)
#define SMMU_STE0_S1CDMAX   IMS_GENMASK(63, 59)
/* STE word 1: bits 127:64 */
#define SMMU_STE1_S1DSS     IMS_GENMASK(1, 0)     /* 65:64 */
#define SMMU_STE1_S1CIR     IMS_GENMASK(3, 2)     /* 67:66 */
#define SMMU_STE1_S1COR     IMS_GENMASK(5, 4)     /* 69:68 */
#define SMMU_STE1_S1CSH     IMS_GENMASK(7, 6)     /* 71:70 */
#define SMMU_STE1_EATS      IMS_GENMASK(29, 28)   /* 93:92 */
#define SMMU_EATS_FULL      1u   /* EATS 01: full ATS, translated traffic bypasses (5.2) */
#define SMMU_STE1_STRW      IMS_GENMASK(31, 30)   /* 95:94 */
#define SMMU_STE1_SHCFG     IMS_GENMASK(45, 44)   /* 109:108 */
/* STE word 2: bits 191:128 */
#define SMMU_STE2_S2VMID    IMS_GENMASK(15, 0)    /* 143:128 */
#define SMMU_STE2_S2T0SZ    IMS_GENMASK(37, 32)   /* 165:160 */
#define SMMU_STE2_S2SL0     IMS_GENMASK(39, 38)   /* 167:166 */
#define SMMU_STE2_S2IR0     IMS_GENMASK(41, 40)   /* 169:168 */
#define SMMU_STE2_S2OR0     IMS_GENMASK(43, 42)   /* 171:170 */
#define SMMU_STE2_S2SH0     IMS_GENMASK(45, 44)   /* 173:172 */
#define SMMU_STE2_S2TG      IMS_GENMASK(47, 46)   /* 175:174 */
#define SMMU_STE2_S2PS      IMS_GENMASK(50, 48)   /* 178:176 */
#define SMMU_STE2_S2AA64    IMS_BIT(51)           /* 179 */
#define SMMU_STE2_S2ENDI    IMS_BIT(52)           /* 180 */
#define SMMU_STE2_S2AFFD    IMS_BIT(53)           /* 181 */
#define SMMU_STE2_S2PTW     IMS_BIT(54)           /* 182 */
#define SMMU_STE2_S2HD      IMS_BIT(55)           /* 183 */
#define SMMU_STE2_S2HA      IMS_BIT(56)           /* 184 */
#define SMMU_STE2_S2S       IMS_BIT(57)           /* 185 */
#define SMMU_STE2_S2R       IMS_BIT(58)           /* 186 */
/* STE word 3: bits 255:192 */
#define SMMU_STE3_S2TTB     IMS_GENMASK(55, 4)    /* 247:196 */

/* STE.Config (5.2) */
#define SMMU_STE_CFG_ABORT  0x0u
#define SMMU_STE_CFG_BYPASS 0x4u
#define SMMU_STE_CFG_S1     0x5u   /* stage 1 translates, stage 2 bypass */
#define SMMU_STE_CFG_S2     0x6u   /* stage 1 bypass, stage 2 translates */
#define SMMU_STE_CFG_NESTED 0x7u

/* CD word 0: bits 63:0 (5.4) */
#define SMMU_CD0_T0SZ       IMS_GENMASK(5, 0)
#define SMMU_CD0_TG0        IMS_GENMASK(7, 6)
#define SMMU_CD0_IR0        IMS_GENMASK(9, 8)
#define SMMU_CD0_OR0        IMS_GENMASK(11, 10)
#define SMMU_CD0_SH0        IMS_GENMASK(13, 12)
#define SMMU_CD0_EPD0       IMS_BIT(14)
#define SMMU_CD0_ENDI       IMS_BIT(15)
#define SMMU_CD0_T1SZ       IMS_GENMASK(21, 16)
#define SMMU_CD0_TG1        IMS_GENMASK(23, 22)
#define SMMU_CD0_EPD1       IMS_BIT(30)
#define SMMU_CD0_V          IMS_BIT(31)
#define SMMU_CD0_IPS        IMS_GENMASK(34, 32)
#define SMMU_CD0_AFFD       IMS_BIT(35)
#define SMMU_CD0_WXN        IMS_BIT(36)
#define SMMU_CD0_UWXN       IMS_BIT(37)
#define SMMU_CD0_TBI0       IMS_BIT(38)
#define SMMU_CD0_TBI1       IMS_BIT(39)
#define SMMU_CD0_PAN        IMS_BIT(40)
#define SMMU_CD0_AA64       IMS_BIT(41)
#define SMMU_CD0_HD         IMS_BIT(42)
#define SMMU_CD0_HA         IMS_BIT(43)
#define SMMU_CD0_S          IMS_BIT(44)
#define SMMU_CD0_R          IMS_BIT(45)
#define SMMU_CD0_A          IMS_BIT(46)
#define SMMU_CD0_ASET       IMS_BIT(47)
#define SMMU_CD0_ASID       IMS_GENMASK(63, 48)
/* CD word 1: bits 127:64 */
#define SMMU_CD1_NSCFG0     IMS_BIT(0)            /* 64 */
#define SMMU_CD1_HAD0       IMS_BIT(1)            /* 65: hierarchical attributes disable */
#define SMMU_CD1_E0PD0      IMS_BIT(2)            /* 66 */
#define SMMU_CD1_HAFT       IMS_BIT(3)            /* 67 */
#define SMMU_CD1_TTB0       IMS_GENMASK(55, 4)    /* 119:68 */
/* CD word 3: bits 255:192 */
#define SMMU_CD3_MAIR0      IMS_GENMASK(31, 0)    /* 223:192 */
#define SMMU_CD3_MAIR1      IMS_GENMASK(63, 32)   /* 255:224 */

/* Encodings shared by both structures */
#define SMMU_TG_4K          0u     /* CD.TG0 and STE.S2TG: 0b00 = 4 KiB */
#define SMMU_PS_48          5u     /* CD.IPS / STE.S2PS 0b101: 48 bits */
#define SMMU_CACHE_WBRA     1u     /* IR/OR 0b01: write-back, read/write-allocate */
#define SMMU_S2SL0_L0       2u     /* VTCR_EL2.SL0 0b10 with 4 KiB: walk starts at level 0 */
#define SMMU_T0SZ_48        16u    /* 64 - 48 */
#define SMMU_STRW_NSEL1     0u

/* One device's cached configuration: the STE and, for stage 1, the CD it
 * located. Keyed by StreamID (a CD is cached per StreamID, 4.3.3). */
/* What a walk needs, decoded from a cached entry. */
struct smmu_xlate_cfg {
	const struct smmu_stage *st;
	uint64_t ttb;          /* root table */
	uint32_t tag;          /* VMID << 16 | ASID: the IOTLB/walk-cache tag */
	bool ha, hd, affd;     /* HTTU enables and Access flag fault disable */
	bool hier;             /* hierarchical permissions (APTable) apply */
	uint64_t mair;         /* stage 1: CD MAIR1:MAIR0, what AttrIndx selects from */
};

struct smmu_cfg_entry {
	uint32_t sid;
	bool valid;
	uint64_t ste[SMMU_STE_WORDS];
	uint64_t cd[SMMU_CD_WORDS];
	/* smmu_cfg_decode of the words above, made whenever they change
	 * (smmu_cfg_redecode): every walk reads it */
	bool decoded;
	struct smmu_xlate_cfg x;
};


/* The tag of the shared caches: VMID in 31:16, ASID in 15:0 (3.17). */
static inline uint32_t smmu_tag(uint16_t vmid, uint16_t asid)
{
	return ((uint32_t)vmid << 16) | asid;
}

/* Build a stage-1 CD for a 48-bit TTB0 walk with the given ASID, and an STE
 * pointing at it, or a stage-2 STE; as Linux's arm_smmu_make_s1_cd,
 * arm_smmu_make_cdtable_ste and arm_smmu_make_s2_domain_ste do. */
void smmu_cd_build(uint64_t cd[SMMU_CD_WORDS], uint64_t ttb, uint16_t asid, bool ha, bool hd);
void smmu_ste_build_s1(uint64_t ste[SMMU_STE_WORDS], uint64_t cd_pa);
void smmu_ste_build_s2(uint64_t ste[SMMU_STE_WORDS], uint64_t ttb, uint16_t vmid, bool ha,
		       bool hd);

/* Decode a cached entry; returns false if it cannot translate (STE.V=0,
 * abort or bypass, CD.V=0, or a configuration this model does not walk:
 * these make the SMMU abort the transaction, C_BAD_STE/C_BAD_CD). */
bool smmu_cfg_decode(const struct smmu_cfg_entry *c, struct smmu_xlate_cfg *out);
/* Decode c's words again into c->decoded and c->x, after they changed (the
 * CFGI commands load them; tests poke them). */
void smmu_cfg_redecode(struct smmu_cfg_entry *c);

/* Host: write a structure to memory; hardware: read one back. */
void smmu_cfg_store(struct ims_sim *sim, uint64_t pa, const uint64_t *words, unsigned n);
void smmu_cfg_load(const struct ims_sim *sim, uint64_t pa, uint64_t *words, unsigned n);

#endif
