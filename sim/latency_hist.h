/* Distribution of per-translation latency: a fixed log2-bucketed histogram,
 * counted on the DMA path (one array add, no allocation).
 *
 * Bucket i counts latencies in [2^i, 2^(i+1)) cycles of the reference clock;
 * bucket 0 also holds 0 and the last bucket everything above it. Written to
 * the results JSON as "latency_histogram" (docs/reports.md). */
#ifndef IMS_LATENCY_HIST_H
#define IMS_LATENCY_HIST_H

#include <stdint.h>

#include <jansson.h>

#define IMS_LAT_BUCKETS 48

struct ims_lat_hist {
	uint64_t count[IMS_LAT_BUCKETS];
};

static inline unsigned ims_lat_bucket(uint64_t cycles)
{
	unsigned lg2 = cycles ? 63u - (unsigned)__builtin_clzll(cycles) : 0;

	return lg2 < IMS_LAT_BUCKETS ? lg2 : IMS_LAT_BUCKETS - 1;
}

static inline void ims_lat_hist_add(struct ims_lat_hist *h, uint64_t cycles)
{
	h->count[ims_lat_bucket(cycles)]++;
}

/* {"unit": "cycles", "bucket_lg2_cycles": [0, 1, ...], "count": [...]}: the
 * buckets from 0 to the highest non-empty one (both lists empty when no
 * translation was made). Caller json_decref()s. */
json_t *ims_lat_hist_json(const struct ims_lat_hist *h);

#endif
