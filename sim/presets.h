/* Hardware presets (`--preset NAME`): named parameter sets, each standing
 * for a class of real hardware and bound to one model, every value with its
 * source. The table is sim/presets.c; docs/calibration.md lists it (generated
 * by `iommusim params --presets --markdown`, a test keeps the two in step).
 *
 * A value is text in the syntax of --param (K/M/G suffixes, 0x hex). Its
 * source begins with "guess" when no public measurement pins it down, and
 * with "derived" when it is arithmetic on cited data (the arithmetic shown).
 * Parameters a preset does not name keep their defaults (sim/params.def).
 */
#ifndef IMS_PRESETS_H
#define IMS_PRESETS_H

#include <stddef.h>

#include "sim/error.h"

struct ims_preset_value {
	const char *param;       /* a name of sim/params.def */
	const char *value;       /* as --param takes it */
	const char *source;
	size_t offset;           /* in struct ims_params: an unknown name does not compile */
};

struct ims_preset {
	const char *name;        /* --preset NAME */
	const char *model;       /* the one model it stands for (models/registry.c) */
	const char *hardware;    /* the class of hardware, one line */
	const char *description; /* what it is based on and what it leaves out */
	const struct ims_preset_value *values;
	unsigned nvalues;
};

extern const struct ims_preset ims_presets[];
extern const unsigned ims_preset_count;

/* The preset called name, or NULL. */
const struct ims_preset *ims_preset_find(const char *name);

/* Add the presets a comma-separated list names to out[*n] (at most max in
 * all), at most one per model: compare and regress runs each model with its
 * own. Unknown names are IMS_ENOENT, a second preset for a model IMS_EEXIST. */
int ims_presets_parse(const struct ims_preset **out, unsigned *n, unsigned max,
		      const char *list, struct ims_error *err);

/* The preset of list[0..n) for model, or NULL. */
const struct ims_preset *ims_presets_for_model(const struct ims_preset *const *list, unsigned n,
					       const char *model);

#endif
