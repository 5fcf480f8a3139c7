/* The two translation stages as the shared walker and host code see them
 * (smmu_desc.h). DDI 0487 M.a.a Tables D8-50..53; IHI 0070 G.b 5.2, 5.4. */
#include "models/smmuv3/smmu_desc.h"

#include "models/smmuv3/smmu_cfg.h"

/* Stage 1, EL1&0 regime (StreamWorld NS-EL1): AP[2:1] Direct permissions
 * (D8.4.1.2), APTable hierarchical control, HA/HD/AFFD in CD word 0. Leaves
 * are Inner Shareable and non-global, with MAIR index 1 (Normal write-back)
 * when coherent, index 0 (Normal Non-cacheable) otherwise. */
const struct smmu_stage smmu_stage1 = {
	.num = 1,
	.read_bit = SMMU_DESC_AP1,
	.write_bit = SMMU_DESC_AP2,
	.write_bit_denies = true,
	.write_needs_read = true,
	.table_no_write = SMMU_TABLE_AP1,
	.table_no_read = SMMU_TABLE_AP0,
	.leaf_attrs_cache = (uint64_t)SMMU_SH_ISH << 8 | (uint64_t)SMMU_MAIR_IDX_CACHE << 2 |
			    SMMU_DESC_NG,
	/* cppcheck-suppress badBitmaskCheck ; MAIR index 0 is a field value, kept explicit */
	.leaf_attrs_nc = (uint64_t)SMMU_SH_ISH << 8 | (uint64_t)SMMU_MAIR_IDX_NC << 2 |
			 SMMU_DESC_NG,
	.cfg_word = 0,
	.cfg_ha = SMMU_CD0_HA,
	.cfg_hd = SMMU_CD0_HD,
	.cfg_affd = SMMU_CD0_AFFD,
};

/* Stage 2: S2AP[1:0] (D8.4.2), no hierarchical permissions, S2HA/S2HD/
 * S2AFFD in STE word 2. Leaves are Inner Shareable, MemAttr Normal
 * write-back (0b1111) when coherent, Normal Non-cacheable (0b0101)
 * otherwise. */
const struct smmu_stage smmu_stage2 = {
	.num = 2,
	.read_bit = SMMU_DESC_S2AP_R,
	.write_bit = SMMU_DESC_S2AP_W,
	.write_bit_denies = false,
	.write_needs_read = false,
	.table_no_write = 0,
	.table_no_read = 0,
	.leaf_attrs_cache = (uint64_t)SMMU_SH_ISH << 8 | (uint64_t)SMMU_MEMATTR_OIWB << 2,
	.leaf_attrs_nc = (uint64_t)SMMU_SH_ISH << 8 | (uint64_t)SMMU_MEMATTR_NC << 2,
	.cfg_word = 2,
	.cfg_ha = SMMU_STE2_S2HA,
	.cfg_hd = SMMU_STE2_S2HD,
	.cfg_affd = SMMU_STE2_S2AFFD,
};
