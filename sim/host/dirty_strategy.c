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
	{ .name = "clear+unmap", .axis = IMS_AXIS_UNMAP, .dirty_unmap = clear_then_unmap,
	  .description = "read_and_clear_dirty, then unmap: two IOTLB syncs" },
	{ .name = "noclear+unmap", .axis = IMS_AXIS_UNMAP, .dirty_unmap = noclear_then_unmap,
	  .description = "read dirty with NO_CLEAR, then unmap: one IOTLB sync" },
	{ .name = "unmap-all-dirty", .axis = IMS_AXIS_UNMAP,
	  .dirty_unmap = ims_host_unmap_all_dirty, .exact = true,
	  .description = "unmap, report every mapped page dirty (VFIO type1): one sync, "
			 "over-reports" },
	{ .name = "wrprotect+unmap", .axis = IMS_AXIS_UNMAP,
	  .dirty_unmap = ims_host_wrprotect_unmap, .exact = true,
	  .description = "write-protect and sync, read dirty, unmap: two syncs, exact under "
			 "racing DMA (racing writes fault)" },
	{ .name = "sync-flush", .axis = IMS_AXIS_SYNC, .round_flush = true, .exact = true,
	  .description = "migration rounds: read_and_clear, then one IOTLB sync (Linux)" },
	{ .name = "sync-noflush", .axis = IMS_AXIS_SYNC,
	  .description = "migration rounds: read_and_clear without the sync (unsafe on "
			 "purpose: rewrites through cached dirty entries are lost)" },
	{ .name = "eager", .axis = IMS_AXIS_COHERENCY, .flush = IMS_FLUSH_EAGER, .safe = true,
	  .description = "flush CPU caches before mapping into and after unmapping from each "
			 "non-coherent domain" },
	{ .name = "none", .axis = IMS_AXIS_COHERENCY, .flush = IMS_FLUSH_NONE,
	  .description = "never flush CPU caches (unsafe baseline)" },
	{ .name = "sticky-unpin", .axis = IMS_AXIS_COHERENCY, .flush = IMS_FLUSH_STICKY_UNPIN,
	  .safe = true,
	  .description = "flush when pages first reach a non-coherent domain, mark them "
			 "sticky, flush again right before unpin" },
	{ .name = "storage-aware", .axis = IMS_AXIS_COHERENCY, .flush = IMS_FLUSH_STORAGE_AWARE,
	  .safe = true,
	  .description = "as eager, but skip the flush before mapping pages filled from a "
			 "non-coherent storage domain" },
	{ .name = "vfio-type1", .axis = IMS_AXIS_COHERENCY, .flush = IMS_FLUSH_VFIO_TYPE1,
	  .safe = true,
	  .description = "flush at map time while any non-coherent domain is attached, and at "
			 "unpin" },
	{ .name = "force-coherent", .axis = IMS_AXIS_COHERENCY,
	  .flush = IMS_FLUSH_FORCE_COHERENT, .safe = true,
	  .description = "make every domain enforce coherency (snooped DMA, snoop cost per "
			 "line), flush nothing" },
	{ .name = "strict", .axis = IMS_AXIS_UNMAP_FLUSH, .unmap_flush = IMS_UNMAP_STRICT,
	  .safe = true,
	  .description = "every unmap invalidates the IOTLB and waits before it returns "
			 "(iommufd; the DMA API with iommu.strict=1)" },
	{ .name = "lazy", .axis = IMS_AXIS_UNMAP_FLUSH, .unmap_flush = IMS_UNMAP_LAZY,
	  .description = "unmaps wait in a per-domain flush queue, flushed with one "
			 "invalidation when full, on timeout, before an IOVA is reused and at "
			 "detach (the DMA API's flush queue, iommu.strict=0): devices can reach "
			 "unmapped pages until then" },
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
	out->coherency = ims_dirty_strategy_find("eager");
	out->unmap_flush = ims_dirty_strategy_find("strict");
}

/* The slot of axis a in s: one place that knows the member per axis. */
static const struct ims_dirty_strategy **axis_slot(struct ims_strategies *s,
						   enum ims_strategy_axis a)
{
	switch (a) {
	case IMS_AXIS_UNMAP: return &s->unmap;
	case IMS_AXIS_SYNC: return &s->sync;
	case IMS_AXIS_COHERENCY: return &s->coherency;
	default: return &s->unmap_flush;
	}
}

void ims_strategies_set(struct ims_strategies *s, const struct ims_dirty_strategy *st)
{
	*axis_slot(s, st->axis) = st;
}

const struct ims_dirty_strategy *ims_strategies_get(const struct ims_strategies *s,
						    enum ims_strategy_axis a)
{
	struct ims_strategies copy = *s;   /* axis_slot's pointer is for writing */

	return *axis_slot(&copy, a);
}

static const char *const axis_names[IMS_AXIS_COUNT] = {
	[IMS_AXIS_UNMAP] = "unmap",
	[IMS_AXIS_SYNC] = "sync",
	[IMS_AXIS_COHERENCY] = "coherency",
	[IMS_AXIS_UNMAP_FLUSH] = "unmap-flush",
};

const char *ims_strategy_axis_name(enum ims_strategy_axis a)
{
	return axis_names[a];
}

int ims_strategy_axis_find(const char *name)
{
	for (unsigned a = 0; a < IMS_AXIS_COUNT; a++)
		if (!strcmp(axis_names[a], name))
			return (int)a;
	return -1;
}

int ims_strategies_parse(struct ims_strategies *s, const char *spec, char *bad, size_t badlen)
{
	const char *p = spec;
	bool axis_given[IMS_AXIS_COUNT] = { false };

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
		ims_strategies_set(s, st);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

const char *ims_strategies_name(const struct ims_strategies *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", s->unmap->name, s->sync->name, s->coherency->name,
		 s->unmap_flush->name);
	return buf;
}
