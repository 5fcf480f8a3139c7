/* A run's parameters built in layers, each value remembering where it came
 * from: the defaults (sim/params.def), then a hardware preset
 * (sim/presets.h), then a parameter file (--params FILE), then --param
 * assignments. A later layer wins whatever the order on the command line.
 *
 * Parameter files (docs/calibration.md#parameter-files) hold one
 * `name = value` a line, in the value syntax of --param; `#` starts a
 * comment, blank lines are skipped. A name given twice, an unknown name, a
 * bad value or a line of another shape is an error naming FILE:LINE.
 */
#ifndef IMS_PARAMSET_H
#define IMS_PARAMSET_H

#include <stddef.h>

#include "sim/error.h"
#include "sim/params.h"
#include "sim/presets.h"

/* The number of parameters, as a constant (ims_param_count is a variable). */
enum {
#define IMS_COST(name, def, unit, src, desc) IMS_PARAM_IDX_##name,
#define IMS_SIZE(name, def, min, max, unit, src, desc) IMS_PARAM_IDX_##name,
#include "sim/params.def"
#undef IMS_COST
#undef IMS_SIZE
	IMS_PARAM_NUM
};

enum ims_param_origin {
	IMS_PARAM_FROM_DEFAULT,
	IMS_PARAM_FROM_PRESET,
	IMS_PARAM_FROM_FILE,
	IMS_PARAM_FROM_CLI,
};

struct ims_param_file_entry {
	unsigned param;          /* index in ims_param_table */
	unsigned line;
	char *value;
};

/* A parameter file, read and checked once, applied to any number of sets. */
struct ims_param_file {
	char *path;
	struct ims_param_file_entry *entries;
	unsigned n;
};

/* Read path; every error names path and line. On error nothing is left to
 * free. */
int ims_param_file_load(struct ims_param_file *out, const char *path, struct ims_error *err);
void ims_param_file_free(struct ims_param_file *f);

/* A command's --params FILE option, met during option parsing: *path
 * takes arg; a second one is an error (one file per command). *given
 * counts them (0 before the first). */
int ims_param_file_opt(const char **path, unsigned *given, const char *arg,
		       struct ims_error *err);

struct ims_param_where {
	enum ims_param_origin from;
	unsigned line;           /* IMS_PARAM_FROM_FILE */
	const char *source;      /* IMS_PARAM_FROM_PRESET: the preset value's source */
};

struct ims_paramset {
	struct ims_params p;
	const struct ims_preset *preset;       /* NULL: none */
	const struct ims_param_file *file;     /* NULL: none; borrowed */
	struct ims_param_where where[IMS_PARAM_NUM];
};

/* The defaults. */
void ims_paramset_init(struct ims_paramset *out);

/* One layer each; apply them in this order. */
int ims_paramset_apply_preset(struct ims_paramset *s, const struct ims_preset *preset,
			      struct ims_error *err);
void ims_paramset_apply_file(struct ims_paramset *s, const struct ims_param_file *file);
int ims_paramset_set(struct ims_paramset *s, const char *assignment, struct ims_error *err);

/* Every layer in precedence order (preset and file may be NULL), without
 * validation: callers may still add values (a sweep's axes). */
int ims_paramset_build(struct ims_paramset *out, const struct ims_preset *preset,
		       const struct ims_param_file *file, const char *const *assignments,
		       unsigned nassignments, struct ims_error *err);

/* ims_params_validate, with the error located at the file line (or named
 * after the preset) that set the parameter it is about. */
int ims_paramset_validate(const struct ims_paramset *s, struct ims_error *err);

/* Where parameter i's value came from: the default's or the preset value's
 * source, "FILE:LINE" or "--param". */
const char *ims_paramset_source(const struct ims_paramset *s, unsigned i, char *buf, size_t len);

/* Index of the parameter called name (len bytes), or -1. */
int ims_param_index(const char *name, size_t len);

#endif
