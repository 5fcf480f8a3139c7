/* The IOMMU's page-walk slots: how many walks it can run at once.
 *
 * A translation that misses the IOTLB needs a slot; when all are busy it
 * waits for the first to free up, so a burst of misses queues inside the
 * IOMMU (gem5's SMMUv3 model has 16 such slots, "ptw slots"). Each slot
 * remembers the page its walk fills, so that
 *  - a request hitting an IOTLB entry whose walk is still in flight waits
 *    for it (in-flight-miss merging: the functional model fills the entry at
 *    once, its timing says when it becomes usable), and
 *  - an invalidation of a domain completes only after the walks of that
 *    domain in flight when it is processed (a walk that started before the
 *    invalidation may still fill the entry it drops).
 *
 * A slot remembers only its latest walk. Times are cycles of the reference
 * clock, on the devices' timeline. Walks are short-lived, so a lookup first
 * compares against the latest end of any walk and scans the slots only while
 * one may still run.
 */
#ifndef IMS_WALK_SLOTS_H
#define IMS_WALK_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#define IMS_WALK_SLOTS_MAX 256

struct ims_walk_slot {
	uint64_t done;           /* the walk ends (0: never used) */
	uint64_t vpn;            /* page it fills: iova >> page_lg2 */
	uint32_t tag;            /* domain tag of the IOTLB entry */
	uint8_t page_lg2;
};

struct ims_walk_slots {
	struct ims_walk_slot s[IMS_WALK_SLOTS_MAX];
	unsigned n;              /* slots the IOMMU has */
	uint64_t busy_until;     /* latest done of any slot */
};

void ims_walk_slots_init(struct ims_walk_slots *w, unsigned n);

/* A walk of `cycles` that may start at t: takes the slot that frees first
 * and returns when the walk starts (t, or later when every slot is busy).
 * The slot is held until start + cycles, for the page given (page_lg2 0:
 * the walk faulted and fills nothing). */
uint64_t ims_walk_slots_run(struct ims_walk_slots *w, uint64_t t, uint64_t cycles, uint32_t tag,
			    uint64_t iova, unsigned page_lg2);

/* When the walk filling the page of iova in domain tag ends, if it is still
 * in flight at t; 0 otherwise. */
uint64_t ims_walk_slots_inflight_search(const struct ims_walk_slots *w, uint64_t t, uint32_t tag,
					uint64_t iova);

static inline uint64_t ims_walk_slots_inflight(const struct ims_walk_slots *w, uint64_t t,
					       uint32_t tag, uint64_t iova)
{
	return t < w->busy_until ? ims_walk_slots_inflight_search(w, t, tag, iova) : 0;
}

/* The latest end of the walks in flight at t whose tag matches
 * (slot tag & mask == tag & mask; mask 0: every domain), or 0. */
uint64_t ims_walk_slots_drain(const struct ims_walk_slots *w, uint64_t t, uint32_t tag,
			      uint32_t mask);

#endif
