/* The shared IOTLB and paging-structure caches. */
#include <criterion/criterion.h>

#include <string.h>

#include "models/common/iotlb.h"
#include "models/common/psc.h"

static const uint8_t sizes[] = { 12, 21, 30 };

Test(iotlb, hit_is_tagged_by_domain_and_page_size)
{
	struct ims_iotlb t;

	cr_assert_eq(ims_iotlb_init(&t, 64, 8, sizes, 3), 0);
	ims_iotlb_fill(&t, 1, 0x200000, 21, 0x40000000, IMS_TLB_R | IMS_TLB_W);
	struct ims_iotlb_entry *e = ims_iotlb_lookup(&t, 1, 0x3ff123);
	cr_assert_not_null(e, "any address inside the 2 MiB page hits");
	cr_assert_eq(e->pa, 0x40000000);
	cr_assert_null(ims_iotlb_lookup(&t, 2, 0x3ff123), "other domain misses");
	cr_assert_null(ims_iotlb_lookup(&t, 1, 0x400000), "next page misses");
	ims_iotlb_fini(&t);
}

Test(iotlb, lru_evicts_the_least_recently_used_way)
{
	struct ims_iotlb t;

	/* 2 entries, 2 ways: a single set */
	cr_assert_eq(ims_iotlb_init(&t, 2, 2, sizes, 1), 0);
	cr_assert_not(ims_iotlb_fill(&t, 1, 0x1000, 12, 0xa000, IMS_TLB_R));
	cr_assert_not(ims_iotlb_fill(&t, 1, 0x2000, 12, 0xb000, IMS_TLB_R));
	cr_assert_not_null(ims_iotlb_lookup(&t, 1, 0x1000));   /* 0x1000 now MRU */
	cr_assert(ims_iotlb_fill(&t, 1, 0x3000, 12, 0xc000, IMS_TLB_R), "evicts");
	cr_assert_not_null(ims_iotlb_lookup(&t, 1, 0x1000));
	cr_assert_null(ims_iotlb_lookup(&t, 1, 0x2000));
	ims_iotlb_fini(&t);
}

Test(iotlb, invalidation_by_range_domain_and_all)
{
	struct ims_iotlb t;

	cr_assert_eq(ims_iotlb_init(&t, 64, 4, sizes, 3), 0);
	for (uint64_t i = 0; i < 8; i++)
		ims_iotlb_fill(&t, 1, i << 12, 12, 0x100000 + (i << 12), IMS_TLB_R);
	ims_iotlb_fill(&t, 1, 0x40000000, 30, 0x80000000, IMS_TLB_R);
	ims_iotlb_fill(&t, 2, 0x0, 12, 0x5000, IMS_TLB_R);
	cr_assert_eq(ims_iotlb_inv_range(&t, 1, 0x2000, 0x3fff), 2);
	cr_assert_null(ims_iotlb_lookup(&t, 1, 0x2000));
	cr_assert_not_null(ims_iotlb_lookup(&t, 1, 0x4000));
	cr_assert_eq(ims_iotlb_inv_range(&t, 1, 0x40001000, 0x40001fff), 1,
		     "a range inside a 1 GiB entry drops it");
	cr_assert_eq(ims_iotlb_inv_domain(&t, 1), 6);
	cr_assert_not_null(ims_iotlb_lookup(&t, 2, 0x0));
	cr_assert_eq(ims_iotlb_inv_all(&t), 1);
	cr_assert_null(ims_iotlb_lookup(&t, 2, 0x0));
	ims_iotlb_fini(&t);
}

Test(psc, levels_cache_next_table_and_invalidate_by_range)
{
	struct ims_psc c;
	uint64_t entries[IMS_PSC_LEVELS + 1] = { 0, 16, 4, 4, 0, 0 };
	uint8_t cover[IMS_PSC_LEVELS + 1] = { 0, 21, 30, 39, 48, 57 };

	cr_assert_eq(ims_psc_init(&c, entries, 4, cover), 0);
	ims_psc_fill(&c, 1, 7, 0x12345000, 0xabc000, 0, 3);
	cr_assert_not_null(ims_psc_lookup(&c, 1, 7, 0x12200000), "same 2 MiB region");
	cr_assert_null(ims_psc_lookup(&c, 1, 7, 0x12400000));
	cr_assert_null(ims_psc_lookup(&c, 4, 7, 0x0), "level without a cache");
	cr_assert_eq(ims_psc_inv_range(&c, 7, 0x12300000, 0x12300fff), 1);
	cr_assert_null(ims_psc_lookup(&c, 1, 7, 0x12345000));
	ims_psc_fini(&c);
}

Test(iotlb, invalidated_translation_is_a_ghost_until_refilled_once)
{
	struct ims_iotlb t;

	cr_assert_eq(ims_iotlb_init(&t, 64, 4, sizes, 3), 0);
	ims_iotlb_fill(&t, 1, 0x1000, 12, 0xa000, IMS_TLB_R);
	ims_iotlb_fill(&t, 1, 0x2000, 12, 0xb000, IMS_TLB_R);
	cr_assert_not(ims_iotlb_ghost_take(&t, 1, 0x1000), "nothing invalidated yet");
	cr_assert_eq(ims_iotlb_inv_range(&t, 1, 0x1000, 0x1fff), 1);
	cr_assert_not(ims_iotlb_ghost_take(&t, 2, 0x1000), "ghosts are per domain");
	cr_assert(ims_iotlb_ghost_take(&t, 1, 0x1abc), "a miss on the dropped page");
	cr_assert_not(ims_iotlb_ghost_take(&t, 1, 0x1000), "counted once");
	ims_iotlb_fini(&t);

	/* one set of 4 ways: filling other translations into the emptied set
	 * must use the slots without ghosts first, so no drop is forgotten */
	cr_assert_eq(ims_iotlb_init(&t, 4, 4, sizes, 1), 0);
	ims_iotlb_fill(&t, 1, 0x1000, 12, 0xa000, IMS_TLB_R);
	ims_iotlb_fill(&t, 1, 0x2000, 12, 0xb000, IMS_TLB_R);
	cr_assert_eq(ims_iotlb_inv_domain(&t, 1), 2);
	ims_iotlb_fill(&t, 1, 0x3000, 12, 0xc000, IMS_TLB_R);
	ims_iotlb_fill(&t, 1, 0x4000, 12, 0xd000, IMS_TLB_R);
	cr_assert(ims_iotlb_ghost_take(&t, 1, 0x1000), "ghost kept despite two fills");
	cr_assert(ims_iotlb_ghost_take(&t, 1, 0x2000), "ghost kept despite two fills");
	ims_iotlb_fini(&t);
}

/* What a lookup must find, by scanning every slot: the hints are only a
 * guess, so a hinted lookup must always agree with this. */
static struct ims_iotlb_entry *scan_all(struct ims_iotlb *t, uint32_t did, uint64_t iova)
{
	uint64_t n = ((uint64_t)t->nsets_mask + 1) * t->ways;

	for (unsigned s = 0; s < t->nsizes; s++)
		for (uint64_t i = 0; i < n; i++) {
			struct ims_iotlb_entry *e = &t->e[i];

			if (e->page_lg2 == t->size_lg2[s] && e->did == did &&
			    e->vpn == iova >> t->size_lg2[s])
				return e;
		}
	return NULL;
}

Test(iotlb, hinted_lookup_finds_what_a_full_scan_finds)
{
	struct ims_iotlb t;
	uint64_t x = 0x853c49e6748fea9bu;
	unsigned hits = 0, misses = 0;

	/* few sets, many pages, two domains and two sizes: hints go stale all
	 * the time (evictions, invalidations, refills in other ways) */
	cr_assert_eq(ims_iotlb_init(&t, 16, 4, sizes, 2), 0);
	for (int i = 0; i < 200000; i++) {
		uint32_t did = (uint32_t)(x >> 7 & 1);
		uint64_t iova, pa;
		struct ims_iotlb_entry *want, *got;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		iova = (x >> 20) % (64 << 12);
		pa = iova + 0x100000000u;
		want = scan_all(&t, did, iova);
		got = ims_iotlb_lookup(&t, did, iova);
		cr_assert_eq(got, want, "lookup %d: found slot %td, a scan finds %td", i,
			     got ? got - t.e : -1, want ? want - t.e : -1);
		if (got) {
			hits++;
		} else {
			misses++;
			ims_iotlb_fill(&t, did, iova, (x >> 40) % 8 ? 12 : 21, pa, IMS_TLB_R);
		}
		if (x % 97 == 0)
			ims_iotlb_inv_range(&t, did, iova & ~0xffffu, iova | 0xffffu);
		if (x % 1009 == 0)
			ims_iotlb_inv_domain(&t, did);
	}
	cr_assert(hits > 10000 && misses > 10000, "%u hits, %u misses", hits, misses);
	ims_iotlb_fini(&t);
}

/* ---- ims_iotlb_fill against the plain victim search ------------------------
 * The fill picks its way in one pass with a conditional-move minimum and
 * leaves the live-size bookkeeping alone when a way changes hands within one
 * page size. The reference is the straightforward version: a way loop that
 * stops at the page, prefers empty ways without ghosts, else the smallest
 * stamp, then a full drop and a full refill. Both run the same random
 * fills, lookups, invalidations and ghost takes; every entry, ghost and
 * live count must agree after every step. */

/* The next of a xorshift sequence: the random steps of the test below. */
static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The same call on the tested cache a and the reference b agrees. */
#define SAME_RESULT(step, f, ...) \
	cr_assert_eq(f(&a, __VA_ARGS__), f(&b, __VA_ARGS__), "step %d: " #f, step)

static int ref_size_slot(const struct ims_iotlb *t, unsigned page_lg2)
{
	for (unsigned s = 0; s < t->nsizes; s++)
		if (t->size_lg2[s] == page_lg2)
			return (int)s;
	return -1;
}

static void ref_live_update(struct ims_iotlb *t)
{
	t->nlive = 0;
	for (unsigned s = 0; s < t->nsizes; s++)
		if (t->live[s])
			t->live_lg2[t->nlive++] = t->size_lg2[s];
}

static bool ref_fill(struct ims_iotlb *t, uint32_t did, uint64_t iova, unsigned page_lg2,
		     uint64_t pa, unsigned flags)
{
	int slot = ref_size_slot(t, page_lg2), s;
	uint64_t vpn = iova >> page_lg2;
	struct ims_iotlb_entry *set, *victim;
	struct ims_iotlb_ghost *g;
	bool evicted;

	if (slot < 0)
		return false;
	set = t->e + (uint64_t)ims_iotlb_set(t, did, vpn) * t->ways;
	victim = &set[0];
	for (uint32_t w = 0; w < t->ways; w++) {
		if (set[w].page_lg2 == page_lg2 && set[w].vpn == vpn && set[w].did == did) {
			victim = &set[w];
			break;
		}
		if (!set[w].page_lg2) {
			if (victim->page_lg2 || (t->ghost[victim - t->e].page_lg2 &&
						 !t->ghost[&set[w] - t->e].page_lg2))
				victim = &set[w];
		} else if (victim->page_lg2 && set[w].stamp < victim->stamp) {
			victim = &set[w];
		}
	}
	evicted = victim->page_lg2 &&
		  !(victim->page_lg2 == page_lg2 && victim->vpn == vpn && victim->did == did);
	if (victim->page_lg2) {
		s = ref_size_slot(t, victim->page_lg2);
		if (s >= 0 && !--t->live[s])
			ref_live_update(t);
		memset(victim, 0, sizeof(*victim));
	}
	g = &t->ghost[victim - t->e];
	if (g->page_lg2) {
		g->page_lg2 = 0;
		t->nghosts--;
	}
	victim->vpn = vpn;
	victim->pa = pa;
	victim->did = did;
	victim->page_lg2 = (uint8_t)page_lg2;
	victim->flags = (uint8_t)flags;
	victim->stamp = ++t->clock;
	if (!t->live[slot]++)
		ref_live_update(t);
	return evicted;
}

static void iotlb_same(const struct ims_iotlb *a, const struct ims_iotlb *b, int step)
{
	uint64_t n = ((uint64_t)a->nsets_mask + 1) * a->ways, valid = 0;

	cr_assert_eq(memcmp(a->e, b->e, n * sizeof(*a->e)), 0, "entries differ at step %d", step);
	for (uint64_t i = 0; i < n; i++)
		cr_assert(a->ghost[i].page_lg2 == b->ghost[i].page_lg2 &&
			  (!a->ghost[i].page_lg2 || (a->ghost[i].vpn == b->ghost[i].vpn &&
						     a->ghost[i].did == b->ghost[i].did)),
			  "ghost %llu differs at step %d", (unsigned long long)i, step);
	cr_assert_eq(a->nghosts, b->nghosts, "step %d", step);
	for (uint64_t i = 0; i < n; i++)
		valid += a->e[i].page_lg2 != 0;
	cr_assert_eq(a->nvalid, valid, "valid count at step %d", step);
	cr_assert_eq(a->clock, b->clock, "step %d", step);
	cr_assert_eq(a->nlive, b->nlive, "step %d", step);
	cr_assert_eq(memcmp(a->live, b->live, sizeof(a->live)), 0, "step %d", step);
	cr_assert_eq(memcmp(a->live_lg2, b->live_lg2, a->nlive), 0, "step %d", step);
}

/* Whether t holds an entry of the page (did, iova, lg2), LRU untouched. */
static bool page_cached(const struct ims_iotlb *t, uint32_t did, uint64_t iova, unsigned lg2)
{
	uint64_t n = ((uint64_t)t->nsets_mask + 1) * t->ways;

	for (uint64_t i = 0; i < n; i++)
		if (t->e[i].page_lg2 == lg2 && t->e[i].did == did && t->e[i].vpn == iova >> lg2)
			return true;
	return false;
}

static void fill_vs_reference(uint64_t entries, uint64_t ways, unsigned nsizes, unsigned seed)
{
	struct ims_iotlb a, b;
	uint64_t x = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;

	cr_assert_eq(ims_iotlb_init(&a, entries, ways, sizes, nsizes), 0);
	cr_assert_eq(ims_iotlb_init(&b, entries, ways, sizes, nsizes), 0);
	for (int i = 0; i < 100000; i++) {
		uint64_t r = xorshift(&x), iova;
		unsigned lg2, op = r & 31;
		uint32_t did;

		did = (uint32_t)((r >> 5) & 1);
		/* 13 bits of 4 KiB pages: repeats often enough to hit */
		iova = ((r >> 8) & 0x1fff) << 12;
		lg2 = sizes[(r >> 24) % 3];   /* with nsizes < 3, sometimes a size not cached */
		if (op < 20) {
			/* a page not cached may also take the fill that skips the search */
			bool ea = page_cached(&a, did, iova, lg2)
				? ims_iotlb_fill(&a, did, iova, lg2, iova ^ 0x5000, (unsigned)(r >> 40) & 7)
				: ims_iotlb_fill_absent(&a, did, iova, lg2, iova ^ 0x5000,
							(unsigned)(r >> 40) & 7);
			bool eb = ref_fill(&b, did, iova, lg2, iova ^ 0x5000, (unsigned)(r >> 40) & 7);

			cr_assert_eq(ea, eb, "evicted differs at step %d", i);
		} else if (op < 26) {
			struct ims_iotlb_entry *ea = ims_iotlb_lookup(&a, did, iova);
			struct ims_iotlb_entry *eb = ims_iotlb_lookup(&b, did, iova);

			cr_assert_eq(ea ? ea - a.e : -1, eb ? eb - b.e : -1, "step %d", i);
			if (ea && op == 25) {
				ims_iotlb_drop(&a, ea);
				ims_iotlb_drop(&b, eb);
			}
		} else if (op < 29) {
			SAME_RESULT(i, ims_iotlb_ghost_take, did, iova);
		} else if (op < 31) {
			SAME_RESULT(i, ims_iotlb_inv_range, did, iova, iova + ((r >> 30) & 0xfffff));
		} else {
			SAME_RESULT(i, ims_iotlb_inv_domain, did);
		}
		iotlb_same(&a, &b, i);
	}
	ims_iotlb_fini(&a);
	ims_iotlb_fini(&b);
}

Test(iotlb, fill_same_as_plain_victim_search)
{
	fill_vs_reference(64, 8, 3, 1);    /* the defaults' shape */
	fill_vs_reference(16, 4, 3, 2);
	fill_vs_reference(8, 8, 2, 3);     /* one set */
	fill_vs_reference(32, 1, 1, 4);    /* direct-mapped, one size */
}
