#include "sim/host/dirty_strategy.h"

#include <stdio.h>
#include <string.h>

#include "sim/host/host.h"

/* read_and_clear_dirty, then unmap. The clear must be followed by an IOTLB
 * sync (a cached dirty translation would never set D again), and the unmap
 * syncs again: two syncs for one range. Writes landing after the read are
 * lost. */
static int clear_then_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			    uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	int rc = ims_host_read_dirty(sim, dom, iova, len, page_lg2, 0, NULL, err);

	return rc ? rc : ims_host_unmap(sim, dom, iova, len, err);
}

/* Read with NO_CLEAR (IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), then unmap: the
 * bits are not cleared, so the only sync is the unmap's. Writes landing
 * after the read are lost, as with clear+unmap. */
static int noclear_then_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			      uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	int rc = ims_host_read_dirty(sim, dom, iova, len, page_lg2, IMS_DIRTY_NO_CLEAR,
				     NULL, err);

	return rc ? rc : ims_host_unmap(sim, dom, iova, len, err);
}

const struct ims_dirty_strategy ims_dirty_strategies[] = {
	{ "clear+unmap", "read_and_clear_dirty, then unmap: two IOTLB syncs",
	  IMS_AXIS_UNMAP, clear_then_unmap, false },
	{ "noclear+unmap", "read dirty with NO_CLEAR, then unmap: one IOTLB sync",
	  IMS_AXIS_UNMAP, noclear_then_unmap, false },
	{ "unmap-all-dirty", "unmap, report every mapped page dirty (VFIO type1): one sync, "
	  "over-reports", IMS_AXIS_UNMAP, ims_host_unmap_all_dirty, false },
	{ "wrprotect+unmap", "write-protect and sync, read dirty, unmap: two syncs, exact "
	  "under racing DMA (racing writes fault)", IMS_AXIS_UNMAP, ims_host_wrprotect_unmap,
	  false },
	{ "sync-flush", "migration rounds: read_and_clear, then one IOTLB sync (Linux)",
	  IMS_AXIS_SYNC, NULL, true },
	{ "sync-noflush", "migration rounds: read_and_clear without the sync (unsafe on "
	  "purpose: rewrites through cached dirty entries are lost)", IMS_AXIS_SYNC, NULL, false },
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

void ims_strategies_default(struct ims_strategies *out)
{
	out->unmap = ims_dirty_strategy_find("clear+unmap");
	out->sync = ims_dirty_strategy_find("sync-flush");
}

int ims_strategies_parse(struct ims_strategies *s, const char *spec, char *bad, size_t badlen)
{
	const char *p = spec;
	bool axis_given[2] = { false, false };

	while (*p) {
		size_t n = strcspn(p, "/");
		char name[64];
		const struct ims_dirty_strategy *st;

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		st = n < sizeof(name) ? ims_dirty_strategy_find(name) : NULL;
		if (!st || axis_given[st->axis]) {
			/* unknown, or a second choice for the same axis */
			snprintf(bad, badlen, "%.*s", (int)n, p);
			return -1;
		}
		axis_given[st->axis] = true;
		if (st->axis == IMS_AXIS_UNMAP)
			s->unmap = st;
		else
			s->sync = st;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

const char *ims_strategies_name(const struct ims_strategies *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", s->unmap->name, s->sync->name);
	return buf;
}
