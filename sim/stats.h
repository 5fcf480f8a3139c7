/* Counters, enum-indexed from sim/stats.def: incrementing one is an array add,
 * never a string lookup. */
#ifndef IMS_STATS_H
#define IMS_STATS_H

#include <stdint.h>

enum ims_stat_id {
#define IMS_STAT(name, unit, desc) IMS_STAT_##name,
#include "sim/stats.def"
#undef IMS_STAT
	IMS_STAT_COUNT
};

struct ims_stat_desc {
	const char *name;
	const char *unit;
	const char *description;
};

extern const struct ims_stat_desc ims_stat_table[IMS_STAT_COUNT];

struct ims_stats {
	uint64_t v[IMS_STAT_COUNT];
};

#define IMS_STAT_ADD(stats, name, n) ((stats)->v[IMS_STAT_##name] += (n))
#define IMS_STAT_INC(stats, name) ((stats)->v[IMS_STAT_##name]++)
#define IMS_STAT_GET(stats, name) ((stats)->v[IMS_STAT_##name])

#endif
