#include "sim/latency_hist.h"

json_t *ims_lat_hist_json(const struct ims_lat_hist *h)
{
	json_t *lg2 = json_array(), *count = json_array();
	unsigned used = 0;

	for (unsigned i = 0; i < IMS_LAT_BUCKETS; i++)
		if (h->count[i])
			used = i + 1;
	for (unsigned i = 0; i < used; i++) {
		json_array_append_new(lg2, json_integer((json_int_t)i));
		json_array_append_new(count, json_integer((json_int_t)h->count[i]));
	}
	return json_pack("{s:s, s:o, s:o}", "unit", "cycles", "bucket_lg2_cycles", lg2,
			 "count", count);
}

/* Lowest value of bucket b, and its width. */
static uint64_t fine_lower(unsigned b, uint64_t *width)
{
	unsigned octave = b >> IMS_FINE_SUB_LG2, sub = b & ((1u << IMS_FINE_SUB_LG2) - 1);

	if (!octave) {
		*width = 1;
		return b;
	}
	*width = UINT64_C(1) << (octave - 1);
	return (UINT64_C(1) << (octave + IMS_FINE_SUB_LG2 - 1)) + (uint64_t)sub * *width;
}

static uint64_t fine_count(const struct ims_fine_hist *h)
{
	uint64_t n = 0;

	for (unsigned b = 0; b < IMS_FINE_BUCKETS; b++)
		n += h->count[b];
	return n;
}

uint64_t ims_fine_hist_quantile(const struct ims_fine_hist *h, double q)
{
	/* the smallest value with at least ceil(q n) values at or below it */
	uint64_t n = fine_count(h), want = (uint64_t)(q * (double)n), seen = 0, width;

	if (!n)
		return 0;
	if ((double)want < q * (double)n)
		want++;
	if (!want)
		want = 1;
	for (unsigned b = 0; b < IMS_FINE_BUCKETS; b++) {
		seen += h->count[b];
		if (seen >= want) {
			uint64_t lower = fine_lower(b, &width);

			return lower + width / 2;
		}
	}
	return 0;
}

json_t *ims_fine_hist_json(const struct ims_fine_hist *h)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "unit", "cycles", "count", (json_int_t)fine_count(h),
			 "p50", (json_int_t)ims_fine_hist_quantile(h, 0.5),
			 "p90", (json_int_t)ims_fine_hist_quantile(h, 0.9),
			 "p99", (json_int_t)ims_fine_hist_quantile(h, 0.99));
}
