/* Strategies for a "read dirty, then unmap" step (trace keyword dirty-unmap):
 * the ways Linux can return the dirty state of a range it is about to unmap.
 * Each is selectable by name with --strategy. */
#ifndef IMS_DIRTY_STRATEGY_H
#define IMS_DIRTY_STRATEGY_H

#include <stdint.h>

#include "sim/sim.h"

struct ims_dirty_strategy {
	const char *name;
	const char *description;
	int (*dirty_unmap)(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			   uint64_t len, unsigned page_lg2, struct ims_error *err);
};

extern const struct ims_dirty_strategy ims_dirty_strategies[];
extern const unsigned ims_dirty_strategy_count;

const struct ims_dirty_strategy *ims_dirty_strategy_find(const char *name);

#endif
