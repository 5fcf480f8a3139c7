#include "models/common/iotlb.h"

#include <stdlib.h>
#include <string.h>

/* Way hints per set (a power of two): pages of one set rarely share one. */
#define HINTS_PER_SET 8

int ims_iotlb_init(struct ims_iotlb *t, uint64_t entries, uint64_t ways,
		   const uint8_t *page_lg2s, unsigned nsizes)
{
	memset(t, 0, sizeof(*t));
	if (nsizes > IMS_TLB_MAX_SIZES || !entries)
		return -1;
	t->ways = (uint32_t)ways;
	t->nsets_mask = (uint32_t)(entries / ways - 1);
	t->nsizes = nsizes;
	memcpy(t->size_lg2, page_lg2s, nsizes);
	t->e = calloc(entries, sizeof(*t->e));
	t->ghost = calloc(entries, sizeof(*t->ghost));
	t->hint_mask = (uint64_t)entries / ways * HINTS_PER_SET - 1;
	t->way_hint = calloc(t->hint_mask + 1, 1);
	return t->e && t->ghost && t->way_hint ? 0 : -1;
}

void ims_iotlb_fini(struct ims_iotlb *t)
{
	free(t->e);
	free(t->ghost);
	free(t->way_hint);
	memset(t, 0, sizeof(*t));
}

static int size_slot(const struct ims_iotlb *t, unsigned page_lg2)
{
	for (unsigned s = 0; s < t->nsizes; s++)
		if (t->size_lg2[s] == page_lg2)
			return (int)s;
	return -1;
}

static void ghost_clear(struct ims_iotlb *t, struct ims_iotlb_ghost *g)
{
	if (g->page_lg2) {
		g->page_lg2 = 0;
		t->nghosts--;
	}
}

/* Rebuild the probe list after a size gained its first entry or lost its
 * last. */
static void live_sizes_update(struct ims_iotlb *t)
{
	t->nlive = 0;
	for (unsigned s = 0; s < t->nsizes; s++)
		if (t->live[s])
			t->live_lg2[t->nlive++] = t->size_lg2[s];
}

void ims_iotlb_drop(struct ims_iotlb *t, struct ims_iotlb_entry *e)
{
	int s;

	if (!e->page_lg2)
		return;
	s = size_slot(t, e->page_lg2);
	if (s >= 0 && !--t->live[s])
		live_sizes_update(t);
	memset(e, 0, sizeof(*e));
}

bool ims_iotlb_fill(struct ims_iotlb *t, uint32_t did, uint64_t iova,
		    unsigned page_lg2, uint64_t pa, unsigned flags)
{
	int slot = size_slot(t, page_lg2);
	uint64_t vpn = iova >> page_lg2;
	struct ims_iotlb_entry *set, *victim;
	bool evicted;

	if (slot < 0)
		return false;   /* a size this IOTLB does not cache: never filled */
	set = t->e + (uint64_t)ims_iotlb_set(t, did, vpn) * t->ways;
	victim = &set[0];
	for (uint32_t w = 0; w < t->ways; w++) {
		if (set[w].page_lg2 == page_lg2 && set[w].vpn == vpn && set[w].did == did) {
			victim = &set[w];
			break;
		}
		if (!set[w].page_lg2) {
			/* an empty slot, preferably one no invalidation left a
			 * ghost in: reusing a ghost's slot forgets that drop */
			if (victim->page_lg2 || (t->ghost[victim - t->e].page_lg2 &&
						 !t->ghost[&set[w] - t->e].page_lg2))
				victim = &set[w];
		} else if (victim->page_lg2 && set[w].stamp < victim->stamp) {
			victim = &set[w];
		}
	}
	evicted = victim->page_lg2 &&
		  !(victim->page_lg2 == page_lg2 && victim->vpn == vpn && victim->did == did);
	ims_iotlb_drop(t, victim);
	ghost_clear(t, &t->ghost[victim - t->e]);
	victim->vpn = vpn;
	victim->pa = pa;
	victim->did = did;
	victim->page_lg2 = (uint8_t)page_lg2;
	victim->flags = (uint8_t)flags;
	victim->stamp = ++t->clock;
	t->way_hint[ims_iotlb_hash(did, vpn) & t->hint_mask] = (uint8_t)(victim - set);
	if (!t->live[slot]++)
		live_sizes_update(t);
	return evicted;
}

static uint64_t total_entries(const struct ims_iotlb *t)
{
	return ((uint64_t)t->nsets_mask + 1) * t->ways;
}

/* An invalidation drops slot i: remember what it held. */
static void inv_drop(struct ims_iotlb *t, uint64_t i)
{
	ghost_clear(t, &t->ghost[i]);
	t->ghost[i] = (struct ims_iotlb_ghost){ t->e[i].vpn, t->e[i].did, t->e[i].page_lg2 };
	if (t->ghost[i].page_lg2)
		t->nghosts++;
	ims_iotlb_drop(t, &t->e[i]);
}

bool ims_iotlb_ghost_take(struct ims_iotlb *t, uint32_t did, uint64_t iova)
{
	if (!t->nghosts)
		return false;
	for (unsigned s = 0; s < t->nsizes; s++) {
		uint64_t vpn = iova >> t->size_lg2[s];
		uint64_t base = (uint64_t)ims_iotlb_set(t, did, vpn) * t->ways;

		for (uint32_t w = 0; w < t->ways; w++) {
			struct ims_iotlb_ghost *g = &t->ghost[base + w];

			if (g->page_lg2 == t->size_lg2[s] && g->vpn == vpn && g->did == did) {
				ghost_clear(t, g);
				return true;
			}
		}
	}
	return false;
}

uint64_t ims_iotlb_inv_all(struct ims_iotlb *t)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < total_entries(t); i++) {
		if (t->e[i].page_lg2) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}

uint64_t ims_iotlb_inv_domain(struct ims_iotlb *t, uint32_t did)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < total_entries(t); i++) {
		if (t->e[i].page_lg2 && t->e[i].did == did) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}

uint64_t ims_iotlb_inv_range(struct ims_iotlb *t, uint32_t did, uint64_t start,
			     uint64_t last)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < total_entries(t); i++) {
		struct ims_iotlb_entry *e = &t->e[i];
		uint64_t e_start, e_last;

		if (!e->page_lg2 || e->did != did)
			continue;
		e_start = e->vpn << e->page_lg2;
		e_last = e_start + ((UINT64_C(1) << e->page_lg2) - 1);
		if (e_start <= last && start <= e_last) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}

uint64_t ims_iotlb_inv_if(struct ims_iotlb *t,
			  bool (*match)(const struct ims_iotlb_entry *e, const void *ctx),
			  const void *ctx)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < total_entries(t); i++) {
		if (t->e[i].page_lg2 && match(&t->e[i], ctx)) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}
