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
	t->nentries = ((uint64_t)t->nsets_mask + 1) * ways;
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
	t->nvalid--;
	memset(e, 0, sizeof(*e));
}

/* The way a fill of (did, vpn, page_lg2) takes in set: the entry of that
 * page if cached; else an empty way, preferably one no invalidation left a
 * ghost in (reusing a ghost's way forgets that drop), the first such; else
 * the least recently used. One pass; the stamp minimum is kept with
 * conditional moves, since which way is oldest is random. */
static struct ims_iotlb_entry *fill_victim(const struct ims_iotlb *t, struct ims_iotlb_entry *set,
					   uint32_t did, uint64_t vpn, unsigned page_lg2)
{
	struct ims_iotlb_entry *empty = NULL, *empty_ghosted = NULL;
	uint64_t oldest_stamp = UINT64_MAX;
	uint32_t oldest = 0;

	for (uint32_t w = 0; w < t->ways; w++) {
		struct ims_iotlb_entry *e = &set[w];

		if (!e->page_lg2) {
			if (t->nghosts && t->ghost[e - t->e].page_lg2) {
				if (!empty_ghosted)
					empty_ghosted = e;
			} else if (!empty) {
				empty = e;
			}
			continue;
		}
		if (e->vpn == vpn && e->did == did && e->page_lg2 == page_lg2)
			return e;
		oldest = e->stamp < oldest_stamp ? w : oldest;
		oldest_stamp = e->stamp < oldest_stamp ? e->stamp : oldest_stamp;
	}
	if (empty)
		return empty;
	return empty_ghosted ? empty_ghosted : &set[oldest];
}

/* fill_victim in a set with no empty way: the entry of the page if cached,
 * else the least recently used. Stamps of valid entries are distinct, so the
 * minimum is the one fill_victim finds. */
static struct ims_iotlb_entry *full_set_victim(const struct ims_iotlb *t,
					       struct ims_iotlb_entry *set, uint32_t did,
					       uint64_t vpn, unsigned page_lg2)
{
	uint64_t oldest_stamp = set[0].stamp;
	uint32_t oldest = 0;

	for (uint32_t w = 0; w < t->ways; w++) {
		struct ims_iotlb_entry *e = &set[w];
		bool older = e->stamp < oldest_stamp;

		if (e->vpn == vpn && e->did == did && e->page_lg2 == page_lg2)
			return e;
		oldest = older ? w : oldest;
		oldest_stamp = older ? e->stamp : oldest_stamp;
	}
	return &set[oldest];
}

/* The least recently used way of a set with no empty way. */
static struct ims_iotlb_entry *set_lru(const struct ims_iotlb *t, struct ims_iotlb_entry *set)
{
	struct ims_iotlb_entry *oldest = set;
	uint64_t oldest_stamp = set->stamp;

	for (struct ims_iotlb_entry *e = set + 1; e < set + t->ways; e++) {
		bool older = e->stamp < oldest_stamp;

		oldest = older ? e : oldest;
		oldest_stamp = older ? e->stamp : oldest_stamp;
	}
	return oldest;
}

/* ims_iotlb_fill; absent: the caller knows the page is not cached, so a
 * full set need not be searched for it. */
static inline bool fill(struct ims_iotlb *t, uint32_t did, uint64_t iova, unsigned page_lg2,
			uint64_t pa, unsigned flags, bool absent)
{
	int slot = size_slot(t, page_lg2);
	uint64_t vpn = iova >> page_lg2;
	struct ims_iotlb_entry *set, *victim;
	bool evicted;

	if (slot < 0)
		return false;   /* a size this IOTLB does not cache: never filled */
	set = t->e + (uint64_t)ims_iotlb_set(t, did, vpn) * t->ways;
	if (t->nvalid != t->nentries)
		victim = fill_victim(t, set, did, vpn, page_lg2);
	else
		victim = absent ? set_lru(t, set) : full_set_victim(t, set, did, vpn, page_lg2);
	evicted = victim->page_lg2 &&
		  (absent ||
		   !(victim->page_lg2 == page_lg2 && victim->vpn == vpn && victim->did == did));
	/* an entry of the same size gives its place up without the size ever
	 * going out of use: the live count and probe list stay as they are */
	if (victim->page_lg2 != page_lg2) {
		ims_iotlb_drop(t, victim);
		if (!t->live[slot]++)
			live_sizes_update(t);
		t->nvalid++;
	}
	if (t->nghosts)
		ghost_clear(t, &t->ghost[victim - t->e]);
	*victim = (struct ims_iotlb_entry){
		.vpn = vpn, .pa = pa, .stamp = ++t->clock, .did = did,
		.page_lg2 = (uint8_t)page_lg2, .flags = (uint8_t)flags,
	};
	t->way_hint[ims_iotlb_hash(did, vpn) & t->hint_mask] = (uint8_t)(victim - set);
	return evicted;
}

bool ims_iotlb_fill(struct ims_iotlb *t, uint32_t did, uint64_t iova,
		    unsigned page_lg2, uint64_t pa, unsigned flags)
{
	return fill(t, did, iova, page_lg2, pa, flags, false);
}

bool ims_iotlb_fill_absent(struct ims_iotlb *t, uint32_t did, uint64_t iova,
			   unsigned page_lg2, uint64_t pa, unsigned flags)
{
	return fill(t, did, iova, page_lg2, pa, flags, true);
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

bool ims_iotlb_ghost_search(struct ims_iotlb *t, uint32_t did, uint64_t iova)
{
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

	for (uint64_t i = 0; i < t->nentries; i++) {
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

	for (uint64_t i = 0; i < t->nentries; i++) {
		if (t->e[i].page_lg2 && t->e[i].did == did) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}

/* Whether e, a valid entry, is of domain did and overlaps [start, last]. */
static bool entry_in_range(const struct ims_iotlb_entry *e, uint32_t did, uint64_t start,
			   uint64_t last)
{
	uint64_t e_start = e->vpn << e->page_lg2;
	uint64_t e_last = e_start + ((UINT64_C(1) << e->page_lg2) - 1);

	return e->did == did && e_start <= last && start <= e_last;
}

uint64_t ims_iotlb_inv_range(struct ims_iotlb *t, uint32_t did, uint64_t start,
			     uint64_t last)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < t->nentries; i++) {
		if (t->e[i].page_lg2 && entry_in_range(&t->e[i], did, start, last)) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}

uint64_t ims_iotlb_mark_range(struct ims_iotlb *t, uint32_t did, uint64_t start,
			      uint64_t last, unsigned flags)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < t->nentries; i++) {
		struct ims_iotlb_entry *e = &t->e[i];

		if (e->page_lg2 && entry_in_range(e, did, start, last)) {
			e->flags |= (uint8_t)flags;
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

	for (uint64_t i = 0; i < t->nentries; i++) {
		if (t->e[i].page_lg2 && match(&t->e[i], ctx)) {
			inv_drop(t, i);
			n++;
		}
	}
	return n;
}
