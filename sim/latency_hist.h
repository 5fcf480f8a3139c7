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

/* A finer histogram, for latencies held against measurements (request
 * latency medians): 32 buckets per power of two, so a quantile is known to
 * 1/32 of an octave (about 2 %); values below 32 have a bucket each. */
#define IMS_FINE_SUB_LG2 5
#define IMS_FINE_BUCKETS ((64 - IMS_FINE_SUB_LG2 + 1) << IMS_FINE_SUB_LG2)

struct ims_fine_hist {
	uint64_t count[IMS_FINE_BUCKETS];
	/* the last value added and its bucket: latencies repeat (every hit
	 * without queueing takes the same time), and a repeat costs a compare */
	uint64_t last_v;
	unsigned last_b;
};

static inline unsigned ims_fine_bucket(uint64_t v)
{
	unsigned lg2;

	if (v < (1u << IMS_FINE_SUB_LG2))
		return (unsigned)v;
	lg2 = 63u - (unsigned)__builtin_clzll(v);
	return ((lg2 - IMS_FINE_SUB_LG2 + 1) << IMS_FINE_SUB_LG2) |
	       (unsigned)((v >> (lg2 - IMS_FINE_SUB_LG2)) & ((1u << IMS_FINE_SUB_LG2) - 1));
}

static inline void ims_fine_hist_add(struct ims_fine_hist *h, uint64_t v)
{
	if (v != h->last_v) {
		h->last_v = v;
		h->last_b = ims_fine_bucket(v);
	}
	h->count[h->last_b]++;
}

/* The q-quantile (0 < q <= 1) as the middle of its bucket; 0 when empty. */
uint64_t ims_fine_hist_quantile(const struct ims_fine_hist *h, double q);

/* {"unit": "cycles", "count": N, "p50": ..., "p90": ..., "p99": ...}. */
json_t *ims_fine_hist_json(const struct ims_fine_hist *h);

/* {"unit": "cycles", "bucket_lg2_cycles": [0, 1, ...], "count": [...]}: the
 * buckets from 0 to the highest non-empty one (both lists empty when no
 * translation was made). Caller json_decref()s. */
json_t *ims_lat_hist_json(const struct ims_lat_hist *h);

#endif
