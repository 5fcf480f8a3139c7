/* Helpers shared by the host-software files (host.c, ioas.c); not an API. */
#ifndef IMS_HOST_INTERNAL_H
#define IMS_HOST_INTERNAL_H

#include <stdint.h>

#include "sim/bits.h"
#include "sim/check.h"
#include "sim/sim.h"

#define IMS_GIB_LG2 30

/* A host operation starts when the CPU is free and the event has arrived. */
static inline void ims_host_begin(struct ims_sim *sim)
{
	if (sim->cpu_now < sim->now)
		sim->cpu_now = sim->now;
}

static inline void ims_host_end(struct ims_sim *sim)
{
	if (sim->end_time < sim->cpu_now)
		sim->end_time = sim->cpu_now;
}

/* The model's iotlb_sync for what g gathered, then, with --check, the
 * IOTLB held against the page table over that range. */
static inline void ims_host_sync(struct ims_sim *sim, struct ims_domain *dom,
				 const struct ims_gather *g)
{
	sim->model->iotlb_sync(sim, dom, g);
	if (sim->check.on && !g->empty)
		ims_check_iotlb(sim, dom, g->start, g->last);
}

/* [iova, iova+len) is non-empty, aligned to 2^align_lg2 and inside the
 * domain's IOVA width. */
int ims_host_check_range(const struct ims_domain *dom, const char *op, uint64_t iova,
			 uint64_t len, unsigned align_lg2, struct ims_error *err);

/* Largest leaf in pgsizes that fits at iova/pa with `left` bytes to go. */
static inline unsigned ims_pick_page_lg2(uint64_t pgsizes, uint64_t iova, uint64_t pa,
					 uint64_t left)
{
	unsigned best = IMS_PAGE_LG2;

	for (unsigned lg2 = IMS_PAGE_LG2; lg2 < 64; lg2++) {
		uint64_t size = UINT64_C(1) << lg2;

		if (!(pgsizes & size))
			continue;
		if (size > left || !ims_is_aligned(iova | pa, lg2))
			break;
		best = lg2;
	}
	return best;
}

/* Pinned host memory for a mapping without an explicit PA: aligned like the
 * IOVA, up to 1 GiB, as a hugepage-backed guest would be. */
int ims_host_alloc_data(struct ims_sim *sim, uint64_t iova, uint64_t len, uint64_t *out,
			struct ims_error *err);

#endif
