#include "sim/device_dma.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

int ims_dma_engine_init(struct ims_dma_engine *e, unsigned tags)
{
	*e = (struct ims_dma_engine){ .ntags = tags ? tags : 1 };
	/* every busy interval belongs to a request still holding its tag,
	 * plus the one being placed */
	e->cap = e->ntags + 2;
	e->tag_done = calloc(e->ntags, sizeof(*e->tag_done));
	e->busy = malloc(e->cap * sizeof(*e->busy));
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

/* Drop the intervals that end at or before horizon. */
static void forget_before(struct ims_dma_engine *e, uint64_t horizon)
{
	unsigned k = 0;

	while (k < e->nbusy && e->busy[k][1] <= horizon)
		k++;
	if (k) {
		memmove(e->busy, e->busy + k, (e->nbusy - k) * sizeof(*e->busy));
		e->nbusy -= k;
	}
}

/* Occupy [start, start + len) at position i (busy[i-1] ends at or before
 * start, busy[i] starts at or after its end), merging with touching
 * neighbours so a saturated link stays one interval. */
static void occupy(struct ims_dma_engine *e, unsigned i, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	bool join_prev = i > 0 && e->busy[i - 1][1] == start;
	bool join_next = i < e->nbusy && e->busy[i][0] == end;

	if (join_prev && join_next) {
		e->busy[i - 1][1] = e->busy[i][1];
		memmove(e->busy + i, e->busy + i + 1, (e->nbusy - i - 1) * sizeof(*e->busy));
		e->nbusy--;
	} else if (join_prev) {
		e->busy[i - 1][1] = end;
	} else if (join_next) {
		e->busy[i][0] = start;
	} else {
		IMS_ASSERT(e->nbusy < e->cap, "more link intervals than requests in flight");
		memmove(e->busy + i + 1, e->busy + i, (e->nbusy - i) * sizeof(*e->busy));
		e->busy[i][0] = start;
		e->busy[i][1] = end;
		e->nbusy++;
	}
}

uint64_t ims_dma_engine_complete(struct ims_dma_engine *e, uint64_t data_ready, uint64_t link,
				 uint64_t horizon)
{
	uint64_t start = data_ready;
	unsigned i;

	forget_before(e, horizon);
	i = e->nbusy;
	/* usually the data comes after everything placed so far: a look at
	 * the last interval; otherwise the first gap that fits */
	if (i && e->busy[i - 1][1] > start) {
		i = 0;
		while (i < e->nbusy && e->busy[i][1] <= start)
			i++;
		for (; i < e->nbusy && start + link > e->busy[i][0]; i++)
			if (e->busy[i][1] > start)
				start = e->busy[i][1];
	}
	if (link)
		occupy(e, i, start, link);
	e->tag_done[e->next_tag] = start + link;
	e->next_tag = e->next_tag + 1 == e->ntags ? 0 : e->next_tag + 1;
	return start + link;
}
