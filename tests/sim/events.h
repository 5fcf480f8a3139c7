/* Test helper: whether two trace events say the same thing, every field but
 * the line and the name (names die with their reader; compare them apart). */
#ifndef IMS_TEST_EVENTS_H
#define IMS_TEST_EVENTS_H

#include <stdbool.h>

#include "sim/trace/trace.h"

static inline bool same_event(const struct ims_event *a, const struct ims_event *b)
{
	return a->kind == b->kind && a->flags == b->flags && a->time == b->time &&
	       a->device == b->device && a->domain == b->domain && a->ioas == b->ioas &&
	       a->src_ioas == b->src_ioas && a->src_iova == b->src_iova && a->iova == b->iova &&
	       a->len == b->len && a->pa == b->pa && a->prot == b->prot &&
	       a->period == b->period && a->page_lg2 == b->page_lg2 &&
	       a->iova_bits == b->iova_bits && a->sid == b->sid;
}

#endif
