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
