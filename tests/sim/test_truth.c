/* Ground-truth bitmap and mapped-range set. */
#include <criterion/criterion.h>

#include "sim/sim.h"
#include "sim/truth.h"

Test(truth, set_clear_any_across_words_and_chunks)
{
	struct ims_truth t;
	uint64_t chunk = 1ull << IMS_TRUTH_CHUNK_BITS;

	ims_truth_init(&t);
	ims_truth_set(&t, chunk - 3, 70);   /* straddles a chunk boundary */
	cr_assert_eq(t.pages_set, 70);
	cr_assert(ims_truth_any(&t, chunk - 3, 1));
	cr_assert(ims_truth_any(&t, chunk + 66, 1));
	cr_assert_not(ims_truth_any(&t, chunk + 67, 1000));
	cr_assert_not(ims_truth_any(&t, 0, chunk - 3));
	ims_truth_set(&t, chunk, 10);       /* overlapping set does not double count */
	cr_assert_eq(t.pages_set, 70);
	ims_truth_clear(&t, chunk - 3, 3);
	cr_assert_eq(t.pages_set, 67);
	cr_assert_not(ims_truth_any(&t, chunk - 3, 3));
	ims_truth_set(&t, (1ull << 45) - 1, 1);   /* top of a 57-bit IOVA space */
	cr_assert(ims_truth_any(&t, (1ull << 45) - 1, 1));
	ims_truth_fini(&t);
}

/* A small deterministic generator, so the patterns are the same every run. */
static uint64_t next_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

Test(truth, take_mask_is_take_per_page)
{
	struct ims_truth a, b;
	uint64_t mask[8], seed = 1, first = 3ull << IMS_TRUTH_CHUNK_BITS, taken = 0;

	ims_truth_init(&a);
	ims_truth_init(&b);
	for (unsigned i = 0; i < 700; i++) {
		uint64_t p = first - 64 + next_rand(&seed) % 640;

		ims_truth_set(&a, p, 1);
		ims_truth_set(&b, p, 1);
	}
	for (unsigned w = 0; w < 8; w++)
		mask[w] = next_rand(&seed) << 32 | next_rand(&seed);
	mask[3] = 0;
	for (unsigned i = 0; i < 512; i++)
		if (mask[i / 64] >> (i % 64) & 1)
			taken += ims_truth_take(&a, first + i, 1);
	cr_assert_eq(ims_truth_take_mask(&b, first, mask, 8), taken);
	cr_assert_eq(a.pages_set, b.pages_set);
	for (uint64_t p = first - 64; p < first + 576; p++)
		cr_assert_eq(ims_truth_count(&a, p, 1), ims_truth_count(&b, p, 1), "page %llu",
			     (unsigned long long)p);
	ims_truth_fini(&a);
	ims_truth_fini(&b);
}

static bool entry_clean(uint64_t entry, const void *ctx)
{
	(void)ctx;
	return entry != 0;
}

/* Scoring a table's clean 4 KiB leaves at once (ims_dirty_clean) gives what
 * ims_dirty_leaf gives leaf by leaf, whatever part of the table the bitmap
 * covers: leaves outside it, or partly outside, score nothing. */
Test(truth, clean_leaves_scored_per_table_as_per_leaf)
{
	static struct ims_sim sa, sb;
	static struct ims_domain da, db;
	const uint64_t base = 5ull << 21, pg = 4096;
	const struct { uint64_t iova, len; } windows[] = {
		{ base, 2ull << 20 },                 /* the whole table */
		{ base - 8 * pg, 4ull << 20 },        /* beyond both ends */
		{ base + 12 * pg, 100 * pg },         /* inside */
		{ base + 0x1800, 0x5000 },            /* unaligned: partial leaves */
		{ base + (2ull << 20), pg },          /* after the table */
		{ base - 2 * pg, 2 * pg },            /* before it */
	};
	uint64_t seed = 7, table[512];

	for (unsigned k = 0; k < sizeof(windows) / sizeof(windows[0]); k++) {
		struct ims_dirty_bitmap ba = { .iova = windows[k].iova, .len = windows[k].len,
					       .page_lg2 = 12, .score = &da };
		struct ims_dirty_bitmap bb = ba;
		struct ims_dirty_clean c;

		bb.score = &db;
		ims_truth_init(&da.truth);
		ims_truth_init(&db.truth);
		sa.stats.v[IMS_STAT_dirty_pages_missed] = 0;
		sb.stats.v[IMS_STAT_dirty_pages_missed] = 0;
		for (unsigned i = 0; i < 400; i++) {
			uint64_t p = (base >> 12) - 16 + next_rand(&seed) % 544;

			ims_truth_set(&da.truth, p, 1);
			ims_truth_set(&db.truth, p, 1);
		}
		for (unsigned i = 0; i < 512; i++) {
			table[i] = next_rand(&seed) % 4 != 0;   /* else dirty or not present */
			if (table[i])
				ims_dirty_leaf(&sa, &ba, base + i * pg, pg, false);
		}
		ims_dirty_clean_init(&c, base);
		for (unsigned i = 0; i < 512; i++)   /* a run stops at each entry not collected */
			i = ims_dirty_clean_run(&c, table, i, 511, entry_clean, NULL);
		ims_dirty_clean_flush(&sb, &bb, &c);
		cr_assert_not(c.any);
		cr_assert_eq(sb.stats.v[IMS_STAT_dirty_pages_missed],
			     sa.stats.v[IMS_STAT_dirty_pages_missed], "window %u", k);
		cr_assert_eq(db.truth.pages_set, da.truth.pages_set, "window %u", k);
		for (uint64_t p = (base >> 12) - 16; p < (base >> 12) + 528; p++)
			cr_assert_eq(ims_truth_count(&da.truth, p, 1),
				     ims_truth_count(&db.truth, p, 1), "window %u", k);
		ims_truth_fini(&da.truth);
		ims_truth_fini(&db.truth);
	}
}

Test(range_set, merges_detects_overlap_and_gaps)
{
	struct ims_range_set s;
	uint64_t gap;

	ims_range_set_init(&s);
	cr_assert_eq(ims_range_set_add(&s, 0x1000, 0x1fff), 0);
	cr_assert_eq(ims_range_set_add(&s, 0x3000, 0x3fff), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_not_null(ims_range_set_overlap(&s, 0x3fff, 0x5000));
	cr_assert_null(ims_range_set_overlap(&s, 0x2000, 0x2fff));
	cr_assert(ims_range_set_first_gap(&s, 0x1000, 0x3fff, &gap));
	cr_assert_eq(gap, 0x2000);
	cr_assert_eq(ims_range_set_add(&s, 0x2000, 0x2fff), 0);
	cr_assert_eq(s.n, 1, "adjacent ranges merge");
	cr_assert_not(ims_range_set_first_gap(&s, 0x1000, 0x3fff, &gap));
	cr_assert_eq(ims_range_set_remove(&s, 0x2000, 0x2fff), 0);
	cr_assert_eq(s.n, 2, "removing the middle splits");
	cr_assert_eq(ims_range_set_bytes(&s), 0x2000);
	cr_assert(ims_range_set_first_gap(&s, 0x0, 0x1fff, &gap));
	cr_assert_eq(gap, 0x0);
	ims_range_set_fini(&s);
}
