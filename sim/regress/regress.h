/* Regression over a trace corpus (`iommusim regress`, docs/regression.md).
 *
 * The corpus is a directory with a MANIFEST (tools/corpus-build: `trace NAME
 * COMMAND...` and `run NAME MODEL [STRATEGY]` lines), the traces NAME.elf and
 * the expected results expected/NAME.MODEL[.STRATEGY].json ('/' as '_').
 * Every run is replayed and every metric of its results compared with the
 * expected one, within the metric's tolerance (ims_regress_tolerance).
 *
 * A run's outcome is kept as JSON, with the expected results next to the new
 * ones, so shards made on different machines merge into exactly what one
 * machine would have made, and the verdict is taken from that JSON alone.
 */
#ifndef IMS_REGRESS_H
#define IMS_REGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "sim/error.h"

#define IMS_REGRESS_MAX_PARAMS 256
#define IMS_REGRESS_MAX_PRESETS 8

struct ims_preset;
struct ims_param_file;

struct ims_regress_run {
	unsigned index;          /* in MANIFEST order, from 0 */
	char trace[64];
	char model[32];
	char strategy[128];      /* "" for the default */
	char id[256];            /* NAME.MODEL[.STRATEGY with '/' as '_'] */
};

struct ims_regress {
	const char *corpus;      /* the directory holding MANIFEST */
	const char *baseline;    /* NULL: CORPUS/expected */
	const char *only;        /* NULL, a trace name or a run id */
	unsigned shard_k, shard_n;   /* runs i with i % shard_n == shard_k - 1 */
	const char *params[IMS_REGRESS_MAX_PARAMS];   /* "name=value" for every run */
	unsigned nparams;
	/* at most one per model: a run of that model uses it, others the defaults */
	const struct ims_preset *presets[IMS_REGRESS_MAX_PRESETS];
	unsigned npresets;
	const struct ims_param_file *file;   /* NULL: none; between presets and params */
	unsigned workers;        /* 0: the online CPUs */
	bool progress;
};

/* The runs of CORPUS/MANIFEST, in its order. Caller free()s *out. */
int ims_regress_manifest(struct ims_regress_run **out, unsigned *n, const char *corpus,
			 struct ims_error *err);

/* Relative tolerance of a metric ("stats.iotlb_hit", "derived.iotlb_hit_rate"):
 * 0 = exact. */
double ims_regress_tolerance(const char *metric);

/* Replay the selected runs: {"iommusim": {...}, "regress": {"corpus", "only",
 * "shard": "K/N", "params": [...], "presets": [...] and "params_file" (when
 * given), "runs": [{"index", "run", "expected", "results"}...]}}. A missing
 * expected file gives "expected": null. */
int ims_regress_run(json_t **out, const struct ims_regress *r, struct ims_error *err);

/* "K/N", two decimal numbers of at most 32 bits and nothing else (no sign,
 * no blank): 0 with *k and *n set, else -1. The range is the caller's. */
int ims_regress_shard_parse(const char *text, unsigned *k, unsigned *n);

/* Combine the results of shards 1/N..N/N (each exactly once, same corpus,
 * filter, parameters, presets and parameter file) into what an unsharded run
 * gives. */
int ims_regress_merge(json_t **out, json_t *const *shards, unsigned n, struct ims_error *err);

/* Write the expected file of every run from its new results. */
int ims_regress_update(const json_t *res, const struct ims_regress *r, struct ims_error *err);

/* Print the table of every metric that moved (run, metric, old, new,
 * change %) and a summary; returns the number of regressions (metrics out
 * of tolerance and runs with no expected results). */
unsigned ims_regress_report(FILE *out, const json_t *res);

/* The command: `iommusim regress ...` with argv[1] == "regress". Returns
 * the exit status (0 no regression, 1 regression or failure, 2 usage). */
int ims_regress_main(int argc, char **argv);

#endif
