/* sim/latency_hist.h: bucket boundaries and the JSON block. */
#include <criterion/criterion.h>

#include "sim/latency_hist.h"

Test(latency_hist, buckets_are_powers_of_two)
{
	static const struct {
		uint64_t cycles;
		unsigned bucket;
	} rows[] = {
		{ 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 1 }, { 4, 2 }, { 511, 8 }, { 512, 9 },
		{ 1023, 9 }, { UINT64_C(1) << 46, 46 }, { UINT64_MAX, IMS_LAT_BUCKETS - 1 },
	};

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		cr_expect_eq(ims_lat_bucket(rows[i].cycles), rows[i].bucket, "%llu cycles",
			     (unsigned long long)rows[i].cycles);
}

Test(latency_hist, json_stops_at_the_last_used_bucket)
{
	struct ims_lat_hist h = { { 0 } };
	json_t *j, *lg2, *count;

	ims_lat_hist_add(&h, 2);
	ims_lat_hist_add(&h, 3);
	ims_lat_hist_add(&h, 100);
	j = ims_lat_hist_json(&h);
	lg2 = json_object_get(j, "bucket_lg2_cycles");
	count = json_object_get(j, "count");
	cr_assert_eq(json_array_size(lg2), 7);
	cr_assert_eq(json_array_size(count), 7);
	cr_expect_eq(json_integer_value(json_array_get(count, 1)), 2);
	cr_expect_eq(json_integer_value(json_array_get(count, 6)), 1);
	cr_expect_eq(json_integer_value(json_array_get(lg2, 6)), 6);
	cr_expect_str_eq(json_string_value(json_object_get(j, "unit")), "cycles");
	json_decref(j);
}

Test(latency_hist, empty_histogram_has_empty_lists)
{
	struct ims_lat_hist h = { { 0 } };
	json_t *j = ims_lat_hist_json(&h);

	cr_expect_eq(json_array_size(json_object_get(j, "count")), 0);
	json_decref(j);
}
