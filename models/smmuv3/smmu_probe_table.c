/* model.h, probe_table, for SMMUv3: the Table descriptor a walk for an
 * input address reads at one level, as smmu_walk would cache it in a walk
 * cache (IHI 0070 G.b 16.2: the next table, and with hierarchical
 * permissions the APTable limits down to it). Read from memory alone,
 * starting where the walk does: the device's configuration cache entry.
 * Kept out of smmu_walk.c, the walk's hot path. */
#include "models/smmuv3/smmu_desc.h"
#include "models/smmuv3/smmu_model.h"

bool smmu_probe_table(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		      uint64_t iova, unsigned level, struct ims_psc_entry *out)
{
	const struct smmu_cfg_entry *c = smmu_cfg_of(sim, dev);
	unsigned perm = IMS_TLB_R | IMS_TLB_W;
	struct smmu_xlate_cfg x;
	uint64_t table_pa;

	(void)dom;   /* the device's STE says where to walk */
	if (!c || !smmu_cfg_decode(c, &x) || (iova >> SMMU_IA_BITS) || !level ||
	    level > SMMU_TOP_LEVEL)
		return false;
	table_pa = x.ttb;
	for (unsigned l = SMMU_TOP_LEVEL;; l--) {
		uint64_t d = ims_mem_load64(&sim->mem, table_pa + smmu_desc_index(iova, l) * 8ull);

		if (smmu_desc_type(d, l) != SMMU_DESC_TABLE)
			return false;
		if (x.hier)
			perm &= smmu_table_perm(x.st, d);
		table_pa = smmu_desc_oa(d);
		if (l == level) {
			*out = (struct ims_psc_entry){ .table_pa = table_pa,
				.next_level = (uint8_t)(l - 1), .perm = (uint8_t)perm };
			return true;
		}
	}
}
