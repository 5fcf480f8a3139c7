/* Parameter sweeps: one run per point of a grid (`iommusim sweep`).
 *
 * The grid is the cross product of the --vary axes, the first axis varying
 * slowest. An axis names a parameter (sim/params.def), `model`, `strategy`,
 * one strategy axis (`unmap`, `sync`, `coherency`), or, when the input is a
 * generator, one of its knobs or `seed` (`gen.KNOB` forces the knob when a
 * parameter has the same name). The input is a trace file or a generator
 * spec `gen:WORKLOAD[,KNOB=VALUE...]`: the workload is generated for each
 * point into a scratch ELF file and replayed, so a knob swept is a knob of
 * the trace. Points run in worker processes (sim/pool); the JSON is the same
 * whatever their number.
 */
#ifndef IMS_SWEEP_H
#define IMS_SWEEP_H

#include <stdbool.h>

#include <jansson.h>

#include "sim/error.h"

struct ims_preset;
struct ims_param_file;

#define IMS_SWEEP_MAX_AXES 8
#define IMS_SWEEP_MAX_VALUES 64
#define IMS_SWEEP_MAX_PARAMS 256

struct ims_sweep_axis {
	char name[64];
	char *values[IMS_SWEEP_MAX_VALUES];   /* owned (ims_sweep_fini) */
	unsigned nvalues;
};

struct ims_sweep {
	const char *input;                  /* trace path or gen:WORKLOAD[,k=v...] */
	const char *model;                  /* NULL: the preset's, else vtd */
	const char *strategy;               /* NULL: the defaults */
	const struct ims_preset *preset;    /* NULL: none; fixes the model */
	const struct ims_param_file *file;  /* NULL: none (--params) */
	const char *params[IMS_SWEEP_MAX_PARAMS];   /* "name=value", after preset and file */
	unsigned nparams;
	struct ims_sweep_axis axes[IMS_SWEEP_MAX_AXES];
	unsigned naxes;
	unsigned workers;                   /* 0: the number of online CPUs */
	bool progress;
};

void ims_sweep_init(struct ims_sweep *s);
void ims_sweep_fini(struct ims_sweep *s);

/* Add an axis from "name=v1,v2,...". */
int ims_sweep_add_axis(struct ims_sweep *s, const char *spec, struct ims_error *err);

/* The number of grid points. */
unsigned ims_sweep_points(const struct ims_sweep *s);

/* Check the input, every axis name and every value of every point without
 * running anything; errors name the axis and value. */
int ims_sweep_check(const struct ims_sweep *s, struct ims_error *err);

/* Run every point: {"iommusim": {...}, "sweep": {"input", "vary", "points":
 * [{"values": {...}, "results": {...as iommusim run --json...}}, ...]}}. */
int ims_sweep_run(json_t **out, const struct ims_sweep *s, struct ims_error *err);

/* The command: `iommusim sweep ...` with argv[1] == "sweep". Returns the
 * exit status (0, 1 failed run, 2 usage). */
int ims_sweep_main(int argc, char **argv);

#endif
