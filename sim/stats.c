#include "sim/stats.h"

const struct ims_stat_desc ims_stat_table[IMS_STAT_COUNT] = {
#define IMS_STAT(name, unit, desc) { #name, unit, desc },
#include "sim/stats.def"
#undef IMS_STAT
};
