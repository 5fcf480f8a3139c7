#include "sim/host/dirty_strategy.h"

#include <string.h>

#include "sim/host/host.h"

/* read_and_clear_dirty, then unmap. The clear must be followed by an IOTLB
 * sync (a cached dirty translation would never set D again), and the unmap
 * syncs again: two syncs for one range. */
static int clear_then_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			    uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	int rc = ims_host_read_dirty(sim, dom, iova, len, page_lg2, 0, NULL, err);

	return rc ? rc : ims_host_unmap(sim, dom, iova, len, err);
}

/* Read with NO_CLEAR (IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), then unmap: the
 * bits are not cleared, so the only sync is the unmap's. */
static int noclear_then_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			      uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	int rc = ims_host_read_dirty(sim, dom, iova, len, page_lg2, IMS_DIRTY_NO_CLEAR,
				     NULL, err);

	return rc ? rc : ims_host_unmap(sim, dom, iova, len, err);
}

const struct ims_dirty_strategy ims_dirty_strategies[] = {
	{ "clear+unmap", "read_and_clear_dirty, then unmap: two IOTLB syncs",
	  clear_then_unmap },
	{ "noclear+unmap", "read dirty with NO_CLEAR, then unmap: one IOTLB sync",
	  noclear_then_unmap },
};

const unsigned ims_dirty_strategy_count =
	sizeof(ims_dirty_strategies) / sizeof(ims_dirty_strategies[0]);

const struct ims_dirty_strategy *ims_dirty_strategy_find(const char *name)
{
	for (unsigned i = 0; i < ims_dirty_strategy_count; i++)
		if (strcmp(ims_dirty_strategies[i].name, name) == 0)
			return &ims_dirty_strategies[i];
	return NULL;
}
