/* Shared between the report's pieces: report.c (inputs, directory, HTML and
 * Markdown), charts.c (data and gnuplot scripts), gnuplot.c (running it). */
#ifndef IMS_REPORT_INTERNAL_H
#define IMS_REPORT_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <signal.h>

#include "sim/error.h"

#define RP_MAX_CHARTS 64

/* One run's results object ('iommusim run --json', an entry of compare's
 * "runs"). */
struct rp_run {
	const json_t *j;
	const char *source;          /* the input file it came from */
	char label[160];             /* "model strategy" */
};

/* The "sweep" object of a sweep file. */
struct rp_sweep {
	const json_t *sweep;
	const char *source;
};

/* The "checks" list of 'iommusim validate --json' (sim/validate). */
struct rp_val {
	const json_t *checks;
	const char *source;
};

struct rp_chart {
	char name[64];               /* charts/NAME.{gp,dat,svg} */
	char title[200];
	char caption[600];
};

struct rp {
	const char *const *inputs;   /* the files named on the command line */
	unsigned ninputs;
	json_t **docs;               /* the parsed inputs, owned */
	unsigned ndocs;
	struct rp_run *runs;
	unsigned nruns;
	struct rp_sweep *sweeps;
	unsigned nsweeps;
	struct rp_val *vals;
	unsigned nvals;
	struct rp_chart charts[RP_MAX_CHARTS];
	unsigned ncharts;
	const char *dir;             /* the directory being built */
	const char *gnuplot;
	sigset_t held;               /* signal mask before ims_cleanup_defer: gnuplot runs
				      * with it, so Ctrl-C reaches it at once */
};

/* A counter of a run's "stats" (0 when absent) and a "derived" rate. */
uint64_t rp_stat(const json_t *run, const char *name);
double rp_derived(const json_t *run, const char *name);

/* DMA translation cycles per byte moved (0 when no bytes moved). */
double rp_cycles_per_byte(const json_t *run);

/* Open DIR/rel for writing; rp_close() reports a failed write. */
FILE *rp_open(const struct rp *r, const char *rel, struct ims_error *err);
int rp_close(FILE *f, const char *rel, struct ims_error *err);

/* Write every chart's .dat and .gp, run gnuplot on each, and list them in
 * r->charts. */
int rp_charts(struct rp *r, struct ims_error *err);

/* Run gnuplot on DIR/charts/NAME.gp in DIR/charts; NAME.svg must result. */
int rp_gnuplot_run(const struct rp *r, const char *name, struct ims_error *err);

/* Whether the gnuplot command can be found (a path, or a name in PATH). */
int rp_gnuplot_found(const char *cmd);

#endif
