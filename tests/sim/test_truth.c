/* Ground-truth bitmap and mapped-range set. */
#include <criterion/criterion.h>

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
