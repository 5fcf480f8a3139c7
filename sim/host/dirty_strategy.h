/* Host strategies, on four axes, each selectable by name:
 *
 *  - unmap axis: how a "read dirty, then unmap" step (trace keyword
 *    dirty-unmap) is carried out: clear+unmap, noclear+unmap,
 *    unmap-all-dirty, wrprotect+unmap;
 *  - sync axis: whether the migration's periodic dirty-sync rounds (trace
 *    keywords precopy / stop-copy) flush the IOTLB after clearing:
 *    sync-flush, sync-noflush;
 *  - coherency axis: where the host flushes CPU caches for pages that
 *    non-coherent domains can reach (docs/noncoherent.md): none, eager,
 *    sticky-unpin, storage-aware, vfio-type1, force-coherent;
 *  - unmap-flush axis: when every unmap's IOTLB invalidation happens
 *    (docs/unmap-flush.md): strict (before the unmap returns), lazy (a
 *    per-domain flush queue, as Linux's DMA API without iommu.strict).
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
	IMS_AXIS_UNMAP_FLUSH,
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
	/* IMS_AXIS_UNMAP_FLUSH */
	enum ims_unmap_flush unmap_flush;
	/* What the strategy promises, held by --check (sim/check.h). Unmap and
	 * sync axes, exact: no page DMA wrote is missed, racing DMA included;
	 * coherency axis, safe: no stale line is ever exposed; unmap-flush
	 * axis, safe: no DMA reaches a page after its unmap returned. */
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
	const struct ims_dirty_strategy *unmap_flush;
};

/* clear+unmap, sync-flush, eager and strict: what Linux iommufd does
 * (eager: safe, and all the same when every domain is coherent). */
void ims_strategies_default(struct ims_strategies *out);

/* Put st in its axis' place of s. */
void ims_strategies_set(struct ims_strategies *s, const struct ims_dirty_strategy *st);

/* The strategy of s on axis a. */
const struct ims_dirty_strategy *ims_strategies_get(const struct ims_strategies *s,
						    enum ims_strategy_axis a);

/* The axis' name as the command line writes it ("unmap", "sync",
 * "coherency", "unmap-flush"); -1 from ims_strategy_axis_find if none. */
const char *ims_strategy_axis_name(enum ims_strategy_axis a);
int ims_strategy_axis_find(const char *name);

/* Apply "name" or "name/name" (each name replaces its axis' default; at
 * most one per axis). Returns 0, or -1 with the offending name (unknown, or
 * a second one for an axis) copied to bad (size badlen). */
int ims_strategies_parse(struct ims_strategies *s, const char *spec, char *bad, size_t badlen);

/* "unmap/sync/coherency/unmap-flush", e.g.
 * "clear+unmap/sync-flush/eager/strict". */
const char *ims_strategies_name(const struct ims_strategies *s, char *buf, size_t len);

#endif
