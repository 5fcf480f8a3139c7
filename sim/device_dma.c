#include "sim/device_dma.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

int ims_dma_engine_init(struct ims_dma_engine *e, const struct ims_dma_engine_cfg *cfg)
{
	unsigned cap = 4;

	*e = (struct ims_dma_engine){
		.req_mask = cfg->request_bytes - 1,
		.rtt = cfg->rtt,
		.link_q16 = cfg->link_q16,
		.link_fixed_q16 = cfg->overhead_bytes * cfg->link_q16 + 0xffff,
		.ntags = cfg->tags ? cfg->tags : 1,
	};
	/* every busy interval belongs to a request still holding its tag,
	 * plus the one being placed */
	while (cap < e->ntags + 2)
		cap *= 2;
	e->mask = cap - 1;
	e->tag_done = calloc(e->ntags, sizeof(*e->tag_done));
	e->busy = malloc(cap * sizeof(*e->busy));
	if (!e->tag_done || !e->busy) {
		ims_dma_engine_fini(e);
		return -1;
	}
	return 0;
}

void ims_dma_engine_fini(struct ims_dma_engine *e)
{
	free(e->tag_done);
	free(e->busy);
	*e = (struct ims_dma_engine){ 0 };
}

/* Occupy [start, start + len) before the k-th live interval (the one
 * before it ends at or before start, the k-th starts at or after its end),
 * merging with touching neighbours so a saturated link stays one interval. */
static void occupy(struct ims_dma_engine *e, unsigned k, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	uint64_t (*prev)[2] = k ? ims_dma_engine_busy(e, k - 1) : NULL;
	uint64_t (*next)[2] = k < e->nbusy ? ims_dma_engine_busy(e, k) : NULL;
	bool join_prev = prev && (*prev)[1] == start, join_next = next && (*next)[0] == end;

	if (join_prev && join_next) {
		(*prev)[1] = (*next)[1];
		for (unsigned i = k; i + 1 < e->nbusy; i++)
			memcpy(ims_dma_engine_busy(e, i), ims_dma_engine_busy(e, i + 1), sizeof(*prev));
		e->nbusy--;
	} else if (join_prev) {
		(*prev)[1] = end;
	} else if (join_next) {
		(*next)[0] = start;
	} else {
		IMS_ASSERT(e->nbusy <= e->mask, "more link intervals than requests in flight");
		for (unsigned i = e->nbusy; i > k; i--)
			memcpy(ims_dma_engine_busy(e, i), ims_dma_engine_busy(e, i - 1), sizeof(*prev));
		(*ims_dma_engine_busy(e, k))[0] = start;
		(*ims_dma_engine_busy(e, k))[1] = end;
		e->nbusy++;
	}
}

uint64_t ims_dma_engine_place(struct ims_dma_engine *e, uint64_t data_ready, uint64_t link,
			      uint64_t horizon)
{
	uint64_t start = data_ready;
	unsigned k = 0;

	while (e->nbusy && e->busy[e->first][1] <= horizon) {
		e->first = (e->first + 1) & e->mask;
		e->nbusy--;
	}
	if (!e->nbusy)
		e->first = 0;

	while (k < e->nbusy && (*ims_dma_engine_busy(e, k))[1] <= start)
		k++;
	for (; k < e->nbusy && start + link > (*ims_dma_engine_busy(e, k))[0]; k++)
		if ((*ims_dma_engine_busy(e, k))[1] > start)
			start = (*ims_dma_engine_busy(e, k))[1];
	occupy(e, k, start, link);
	e->tag_done[e->next_tag] = start + link;
	e->next_tag = e->next_tag + 1 == e->ntags ? 0 : e->next_tag + 1;
	return start + link;
}
