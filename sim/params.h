/* Simulator parameters: the struct generated from sim/params.def, defaults,
 * --param overrides, and the conversion of every cost to reference cycles.
 */
#ifndef IMS_PARAMS_H
#define IMS_PARAMS_H

#include <stdint.h>

#include "sim/error.h"

struct ims_params {
#define IMS_COST(name, def, unit, src, desc) double name;
#define IMS_SIZE(name, def, min, max, unit, src, desc) uint64_t name;
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
};

/* Every IMS_COST converted to cycles of the reference clock, rounded to the
 * nearest cycle. The hot paths read these, never the ns values. */
struct ims_costs {
#define IMS_COST(name, def, unit, src, desc) uint64_t name;
#define IMS_SIZE(name, def, min, max, unit, src, desc)
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
};

enum ims_param_kind { IMS_PARAM_COST, IMS_PARAM_SIZE };

struct ims_param_desc {
	const char *name;
	enum ims_param_kind kind;
	double def;
	uint64_t min, max;      /* IMS_PARAM_SIZE only */
	const char *unit;
	const char *source;
	const char *description;
};

extern const struct ims_param_desc ims_param_table[];
extern const unsigned ims_param_count;

void ims_params_default(struct ims_params *out);

/* Apply "name=value" (value: decimal, 0x hex, or with K/M/G suffix for sizes). */
int ims_params_set(struct ims_params *p, const char *assignment, struct ims_error *err);

/* Value of parameter i of ims_param_table as a double (costs), or exactly
 * as an integer (sizes; 0 for a cost). */
double ims_params_get(const struct ims_params *p, unsigned i);
uint64_t ims_params_get_u64(const struct ims_params *p, unsigned i);

/* Check cross-parameter rules (powers of two, ways dividing entries). */
int ims_params_validate(const struct ims_params *p, struct ims_error *err);

void ims_costs_from_params(struct ims_costs *out, const struct ims_params *p);

#endif
