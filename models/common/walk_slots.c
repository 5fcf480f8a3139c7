#include "models/common/walk_slots.h"

void ims_walk_slots_init(struct ims_walk_slots *w, unsigned n)
{
	*w = (struct ims_walk_slots){ .n = n < 1 ? 1 : n > IMS_WALK_SLOTS_MAX ? IMS_WALK_SLOTS_MAX : n };
}

uint64_t ims_walk_slots_run(struct ims_walk_slots *w, uint64_t t, uint64_t cycles, uint32_t tag,
			    uint64_t iova, unsigned page_lg2)
{
	struct ims_walk_slot *best = &w->s[0];
	uint64_t start;

	for (unsigned i = 1; i < w->n && best->done > t; i++)
		if (w->s[i].done < best->done)
			best = &w->s[i];
	start = best->done > t ? best->done : t;
	*best = (struct ims_walk_slot){ .done = start + cycles, .vpn = iova >> page_lg2,
					.tag = tag, .page_lg2 = (uint8_t)page_lg2 };
	if (best->done > w->busy_until)
		w->busy_until = best->done;
	return start;
}

uint64_t ims_walk_slots_inflight_search(const struct ims_walk_slots *w, uint64_t t, uint32_t tag,
					uint64_t iova)
{
	uint64_t until = 0;

	for (unsigned i = 0; i < w->n; i++) {
		const struct ims_walk_slot *s = &w->s[i];

		if (s->done > t && s->page_lg2 && s->tag == tag && s->vpn == iova >> s->page_lg2 &&
		    s->done > until)
			until = s->done;
	}
	return until;
}

uint64_t ims_walk_slots_drain(const struct ims_walk_slots *w, uint64_t t, uint32_t tag,
			      uint32_t mask)
{
	uint64_t until = 0;

	if (t >= w->busy_until)
		return 0;
	for (unsigned i = 0; i < w->n; i++) {
		const struct ims_walk_slot *s = &w->s[i];

		if (s->done > t && ((s->tag ^ tag) & mask) == 0 && s->done > until)
			until = s->done;
	}
	return until;
}
