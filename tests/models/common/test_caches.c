/* The shared IOTLB and paging-structure caches. */
#include <criterion/criterion.h>

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
