/* Results of a run: every counter as JSON (jansson), written atomically, and
 * the readable summary and side-by-side comparison the command prints. */
#ifndef IMS_RESULTS_H
#define IMS_RESULTS_H

#include <stdio.h>

#include <jansson.h>

#include "sim/sim.h"

#define IMS_RESULTS_FORMAT 1

/* A file path as a JSON string (bytes that are not UTF-8 shown as '?'). */
json_t *ims_results_path_json(const char *path);

/* Everything about one finished run. Caller json_decref()s. */
json_t *ims_results_json(const struct ims_sim *sim, const char *trace_path,
			 const char *strategy);

/* The same, naming where the parameters came from besides the defaults and
 * --param: "preset" (its name) and "params_file" (a path) follow "strategy",
 * each only when not NULL. */
json_t *ims_results_json_origin(const struct ims_sim *sim, const char *trace_path,
				const char *strategy, const char *preset,
				const char *params_file);

/* Write j to path through a temporary file and rename(), so a failed or
 * interrupted run never leaves a partial file behind. */
int ims_results_write(json_t *j, const char *path, struct ims_error *err);

/* Ratios and rates derived from the counters (0 when undefined). */
double ims_results_iotlb_hit_rate(const struct ims_stats *s);

void ims_results_print_summary(FILE *out, const struct ims_sim *sim, const char *trace_path,
			       const char *strategy);

/* One run of a comparison. */
struct ims_compare_run {
	const struct ims_stats *stats;
	const char *model;
	const char *strategy;
};

/* Which columns a comparison shows: what the strategies compared differ in. */
enum ims_grid_kind {
	IMS_GRID_DIRTY,              /* dirty-unmap and dirty-sync strategies */
	IMS_GRID_COHERENCY,          /* CPU cache flushes for non-coherent DMA */
	IMS_GRID_UNMAP_FLUSH,        /* strict vs lazy unmap invalidation */
};

/* One row per run (model x strategy) with the costs that tell strategies and
 * models apart, and two ratios: host CPU time against the same model's first
 * strategy, and DMA translation time against the first model's run of the
 * same strategy. */
void ims_results_print_grid(FILE *out, const struct ims_compare_run *runs, unsigned nruns,
			    enum ims_grid_kind kind);

/* Table of every counter that is non-zero in any run, one column per run
 * (labelled by strategy) and a ratio column per run against the first. */
void ims_results_print_compare(FILE *out, const struct ims_compare_run *runs, unsigned nruns);

#endif
