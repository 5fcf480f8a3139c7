/* STE and CD construction (host), decoding, and the configuration cache
 * (hardware). IHI 0070 G.b sections 5.2, 5.4, 4.3. */
#include "models/smmuv3/smmu_cfg.h"

#include <string.h>

#include "models/smmuv3/smmu_desc.h"
#include "models/smmuv3/smmu_model.h"
#include "sim/sim.h"

/* Linux arm_smmu_make_s1_cd: a 48-bit TTB0 walk with 4 KiB granule,
 * write-back cacheable inner-shareable walks (which HTTU needs, CD.HA
 * note), TTB1 disabled, faults recorded (R) and aborted (A), a non-shared
 * ASID (ASET, 5.4 ASET), and HA/HD when the domain tracks dirty state. */
void smmu_cd_build(uint64_t cd[SMMU_CD_WORDS], uint64_t ttb, uint16_t asid, bool ha, bool hd)
{
	memset(cd, 0, SMMU_CD_WORDS * sizeof(cd[0]));
	cd[0] = ims_field_prep(SMMU_CD0_T0SZ, SMMU_T0SZ_48) |
		ims_field_prep(SMMU_CD0_TG0, SMMU_TG_4K) |
		ims_field_prep(SMMU_CD0_IR0, SMMU_CACHE_WBRA) |
		ims_field_prep(SMMU_CD0_OR0, SMMU_CACHE_WBRA) |
		ims_field_prep(SMMU_CD0_SH0, SMMU_SH_ISH) |
		SMMU_CD0_EPD1 | SMMU_CD0_V |
		ims_field_prep(SMMU_CD0_IPS, SMMU_PS_48) |
		SMMU_CD0_AA64 | (hd ? SMMU_CD0_HD : 0) | (ha ? SMMU_CD0_HA : 0) |
		SMMU_CD0_R | SMMU_CD0_A | SMMU_CD0_ASET |
		ims_field_prep(SMMU_CD0_ASID, asid);
	cd[1] = ttb & SMMU_CD1_TTB0;
	/* MAIR0 as io-pgtable-arm lays it out (smmu_desc.h): index 0 Normal
	 * non-cacheable, 1 Normal write-back, 2 Device-nGnRE, 3 inner
	 * non-cacheable outer write-back; MAIR1 unused */
	cd[3] = ims_field_prep(SMMU_CD3_MAIR0, SMMU_MAIR0_VALUE);
}

/* Linux arm_smmu_make_cdtable_ste: stage 1 only, one CD, NS-EL1 stream
 * world, write-back CD fetches. */
void smmu_ste_build_s1(uint64_t ste[SMMU_STE_WORDS], uint64_t cd_pa)
{
	memset(ste, 0, SMMU_STE_WORDS * sizeof(ste[0]));
	ste[0] = SMMU_STE0_V | ims_field_prep(SMMU_STE0_CONFIG, SMMU_STE_CFG_S1) |
		 (cd_pa & SMMU_STE0_S1CTXPTR);
	ste[1] = ims_field_prep(SMMU_STE1_S1CIR, SMMU_CACHE_WBRA) |
		 ims_field_prep(SMMU_STE1_S1COR, SMMU_CACHE_WBRA) |
		 ims_field_prep(SMMU_STE1_S1CSH, SMMU_SH_ISH) |
		 ims_field_prep(SMMU_STE1_STRW, SMMU_STRW_NSEL1);
}

/* Linux arm_smmu_make_s2_domain_ste: a 48-bit IPA walk from level 0, 4 KiB
 * granule, faults recorded (S2R), plus S2HA/S2HD when tracking. */
void smmu_ste_build_s2(uint64_t ste[SMMU_STE_WORDS], uint64_t ttb, uint16_t vmid, bool ha,
		       bool hd)
{
	memset(ste, 0, SMMU_STE_WORDS * sizeof(ste[0]));
	ste[0] = SMMU_STE0_V | ims_field_prep(SMMU_STE0_CONFIG, SMMU_STE_CFG_S2);
	ste[1] = ims_field_prep(SMMU_STE1_STRW, SMMU_STRW_NSEL1);
	ste[2] = ims_field_prep(SMMU_STE2_S2VMID, vmid) |
		 ims_field_prep(SMMU_STE2_S2T0SZ, SMMU_T0SZ_48) |
		 ims_field_prep(SMMU_STE2_S2SL0, SMMU_S2SL0_L0) |
		 ims_field_prep(SMMU_STE2_S2IR0, SMMU_CACHE_WBRA) |
		 ims_field_prep(SMMU_STE2_S2OR0, SMMU_CACHE_WBRA) |
		 ims_field_prep(SMMU_STE2_S2SH0, SMMU_SH_ISH) |
		 ims_field_prep(SMMU_STE2_S2TG, SMMU_TG_4K) |
		 ims_field_prep(SMMU_STE2_S2PS, SMMU_PS_48) |
		 SMMU_STE2_S2AA64 | SMMU_STE2_S2R |
		 (hd ? SMMU_STE2_S2HD : 0) | (ha ? SMMU_STE2_S2HA : 0);
	ste[3] = ttb & SMMU_STE3_S2TTB;
}

/* HTTU enables of a stage, from the word of the CD or STE that holds them.
 * {HA, HD} = {0, 1} is Reserved and behaves as both 0 (5.4 HA, 5.2 S2HA). */
static void httu_enables(const struct smmu_stage *st, const uint64_t *words,
			 struct smmu_xlate_cfg *out)
{
	uint64_t w = words[st->cfg_word];

	out->ha = (w & st->cfg_ha) != 0;
	out->hd = out->ha && (w & st->cfg_hd) != 0;
	out->affd = (w & st->cfg_affd) != 0;
}

/* Stage 1 through the CD: VMSAv8-64, 4 KiB TTB0 of 48 bits. */
static bool decode_s1(const struct smmu_cfg_entry *c, struct smmu_xlate_cfg *out)
{
	uint64_t cd0 = c->cd[0];

	if (!(cd0 & SMMU_CD0_V) || !(cd0 & SMMU_CD0_AA64) || (cd0 & SMMU_CD0_EPD0) ||
	    ims_field_get(SMMU_CD0_TG0, cd0) != SMMU_TG_4K ||
	    ims_field_get(SMMU_CD0_T0SZ, cd0) != SMMU_T0SZ_48)
		return false;
	out->st = &smmu_stage1;
	out->ttb = c->cd[1] & SMMU_CD1_TTB0 & SMMU_DESC_OA;
	/* a stage-1-only STE tags with STE.S2VMID too (5.2 S2VMID) */
	out->tag = smmu_tag((uint16_t)ims_field_get(SMMU_STE2_S2VMID, c->ste[2]),
			    (uint16_t)ims_field_get(SMMU_CD0_ASID, cd0));
	out->hier = !(c->cd[1] & SMMU_CD1_HAD0);
	out->mair = c->cd[3];   /* MAIR1:MAIR0, attributes 7..0 */
	httu_enables(&smmu_stage1, c->cd, out);
	return true;
}

/* Stage 2 through the STE: VMSAv8-64, 4 KiB, 48-bit IPA from level 0. */
static bool decode_s2(const struct smmu_cfg_entry *c, struct smmu_xlate_cfg *out)
{
	uint64_t s2 = c->ste[2];

	if (!(s2 & SMMU_STE2_S2AA64) || ims_field_get(SMMU_STE2_S2TG, s2) != SMMU_TG_4K ||
	    ims_field_get(SMMU_STE2_S2T0SZ, s2) != SMMU_T0SZ_48 ||
	    ims_field_get(SMMU_STE2_S2SL0, s2) != SMMU_S2SL0_L0)
		return false;
	out->st = &smmu_stage2;
	out->ttb = c->ste[3] & SMMU_STE3_S2TTB & SMMU_DESC_OA;
	out->tag = smmu_tag((uint16_t)ims_field_get(SMMU_STE2_S2VMID, s2), 0);
	out->hier = false;   /* VMSAv8-64 stage 2 has no hierarchical permissions */
	out->mair = 0;       /* stage 2 leaves carry MemAttr itself */
	httu_enables(&smmu_stage2, c->ste, out);
	return true;
}

bool smmu_cfg_decode(const struct smmu_cfg_entry *c, struct smmu_xlate_cfg *out)
{
	if (!c->valid || !(c->ste[0] & SMMU_STE0_V))
		return false;
	switch (ims_field_get(SMMU_STE0_CONFIG, c->ste[0])) {
	case SMMU_STE_CFG_S1:
		return decode_s1(c, out);
	case SMMU_STE_CFG_S2:
		return decode_s2(c, out);
	default:
		/* UNIMPLEMENTED: bypass and nested configurations */
		return false;
	}
}

void smmu_cfg_redecode(struct smmu_cfg_entry *c)
{
	c->decoded = smmu_cfg_decode(c, &c->x);
}

void smmu_cfg_store(struct ims_sim *sim, uint64_t pa, const uint64_t *words, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ims_host_store(sim, pa + 8 * i, words[i]);
}

void smmu_cfg_load(const struct ims_sim *sim, uint64_t pa, uint64_t *words, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		words[i] = ims_mem_load64(&sim->mem, pa + 8 * i);
}

/* ---- the configuration cache (hardware) ------------------------------------ */

struct smmu_cfg_entry *smmu_cfg_of(struct ims_sim *sim, const struct ims_device *dev)
{
	struct smmu_iommu *iommu = smmu_iommu(sim);

	if (dev->index >= iommu->ncfg || !iommu->cfg[dev->index].valid)
		return NULL;
	return &iommu->cfg[dev->index];
}

/* The CD an STE locates: stage 1 with one CD (S1CDMax=0) only. */
static void load_cd(const struct ims_sim *sim, struct smmu_cfg_entry *c)
{
	memset(c->cd, 0, sizeof(c->cd));
	if ((c->ste[0] & SMMU_STE0_V) &&
	    ims_field_get(SMMU_STE0_CONFIG, c->ste[0]) == SMMU_STE_CFG_S1)
		smmu_cfg_load(sim, c->ste[0] & SMMU_STE0_S1CTXPTR, c->cd, SMMU_CD_WORDS);
}

/* CMD_CFGI_STE (4.3.1): the STE and every CD cached through it. */
unsigned smmu_cfg_inv_ste(struct ims_sim *sim, uint32_t sid)
{
	struct smmu_iommu *iommu = smmu_iommu(sim);
	unsigned n = 0;

	for (unsigned i = 0; i < iommu->ncfg; i++) {
		struct smmu_cfg_entry *c = &iommu->cfg[i];

		if (c->sid != sid)
			continue;
		smmu_cfg_load(sim, smmu_ste_pa(sid), c->ste, SMMU_STE_WORDS);
		load_cd(sim, c);
		c->valid = true;
		smmu_cfg_redecode(c);
		n++;
	}
	return n;
}

/* CMD_CFGI_CD (4.3.3): the CD cached through StreamID at index SubstreamID;
 * without substreams, index 0 is the only CD. */
unsigned smmu_cfg_inv_cd(struct ims_sim *sim, uint32_t sid, uint32_t ssid)
{
	struct smmu_iommu *iommu = smmu_iommu(sim);
	unsigned n = 0;

	if (ssid != 0)
		return 0;
	for (unsigned i = 0; i < iommu->ncfg; i++) {
		struct smmu_cfg_entry *c = &iommu->cfg[i];

		if (c->sid != sid || !c->valid)
			continue;
		load_cd(sim, c);
		smmu_cfg_redecode(c);
		n++;
	}
	return n;
}
