/* Host strategies, on three axes, each selectable by name:
 *
 *  - unmap axis: how a "read dirty, then unmap" step (trace keyword
 *    dirty-unmap) is carried out: clear+unmap, noclear+unmap,
 *    unmap-all-dirty, wrprotect+unmap;
 *  - sync axis: whether the migration's periodic dirty-sync rounds (trace
 *    keywords precopy / stop-copy) flush the IOTLB after clearing:
 *    sync-flush, sync-noflush;
 *  - coherency axis: where the host flushes CPU caches for pages that
 *    non-coherent domains can reach (docs/noncoherent.md): none, eager,
 *    sticky-unpin, storage-aware, vfio-type1, force-coherent.
 *
 * A run uses one strategy of each axis (struct ims_strategies). */
#ifndef IMS_DIRTY_STRATEGY_H
#define IMS_DIRTY_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

enum ims_strategy_axis {
	IMS_AXIS_UNMAP,
	IMS_AXIS_SYNC,
	IMS_AXIS_COHERENCY,
	IMS_AXIS_COUNT
};

struct ims_dirty_strategy {
	const char *name;
	const char *description;
	enum ims_strategy_axis axis;
	/* IMS_AXIS_UNMAP */
	int (*dirty_unmap)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			   uint64_t len, unsigned page_lg2, struct ims_error *err);
	/* IMS_AXIS_SYNC: sync the IOTLB after a round's clear */
	bool round_flush;
	/* IMS_AXIS_COHERENCY */
	enum ims_flush_policy flush;
	/* What the strategy promises, held by --check (sim/check.h). Unmap and
	 * sync axes, exact: no page DMA wrote is missed, racing DMA included;
	 * coherency axis, safe: no stale line is ever exposed. */
	bool exact;
	bool safe;
};

extern const struct ims_dirty_strategy ims_dirty_strategies[];
extern const unsigned ims_dirty_strategy_count;

const struct ims_dirty_strategy *ims_dirty_strategy_find(const char *name);

/* The strategies of one run: one per axis. */
struct ims_strategies {
	const struct ims_dirty_strategy *unmap;
	const struct ims_dirty_strategy *sync;
	const struct ims_dirty_strategy *coherency;
};

/* clear+unmap, sync-flush and eager: what Linux does (eager: safe, and
 * all the same when every domain is coherent). */
void ims_strategies_default(struct ims_strategies *out);

/* Apply "name" or "name/name" (each name replaces its axis' default; at
 * most one per axis). Returns 0, or -1 with the offending name (unknown, or
 * a second one for an axis) copied to bad (size badlen). */
int ims_strategies_parse(struct ims_strategies *s, const char *spec, char *bad, size_t badlen);

/* "unmap/sync/coherency", e.g. "clear+unmap/sync-flush/eager". */
const char *ims_strategies_name(const struct ims_strategies *s, char *buf, size_t len);

#endif
