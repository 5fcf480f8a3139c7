/* Host-cache prefetches a walker issues for the simulator's own speed; they
 * change no simulated state.
 *
 * On a walk-heavy run the host misses its caches twice per DMA, in
 * sequence: on the leaf entry in simulated memory, and then, once the leaf
 * says where the DMA goes, on that line's state in the CPU cache model. The
 * second is only touched after the IOTLB fill and the accounting of the
 * walk, hundreds of instructions later; asking for it as soon as the walk
 * has the output address lets those instructions run under the miss.
 */
#ifndef IMS_WALK_PREFETCH_H
#define IMS_WALK_PREFETCH_H

#include "models/model.h"
#include "sim/sim.h"

/* A walk that translated iova into out: prefetch the CPU cache model's
 * state of the target line. */
static inline void ims_walk_prefetch_target(struct ims_sim *sim, uint64_t iova,
					    const struct ims_walk *out)
{
	if (out->fault == IMS_FAULT_NONE)
		ims_cpucache_prefetch(&sim->cache,
				      out->pa | (iova & ((UINT64_C(1) << out->page_lg2) - 1)));
}

#endif
