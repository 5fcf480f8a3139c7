/* The validation suite: the model against published measurements
 * (`iommusim validate`, docs/calibration.md#validation).
 *
 * A check (sim/validate/checks.c, the one place that defines them) runs
 * simulations with the preset standing for the measured hardware and adds
 * rows: a point, the published value or range, the simulated value and a
 * tolerance. A row passes when the simulated value lies in the published
 * range widened by the tolerance. A row whose deviation is understood and
 * explained in docs/calibration.md carries that explanation (`known`): it
 * prints as "known" and does not fail the suite; once it passes, it prints
 * "pass" and the note is stale. Rows without a published value print "info".
 */
#ifndef IMS_VALIDATE_H
#define IMS_VALIDATE_H

#include <stdbool.h>

#include "sim/error.h"
#include "sim/sim.h"

enum ims_val_unit {
	IMS_VAL_NS,
	IMS_VAL_CYCLES,
	IMS_VAL_GBPS,        /* Gbit/s, as pcie-bench prints */
	IMS_VAL_PCT,         /* a change in per cent; tolerances in percentage points */
	IMS_VAL_MPS,         /* million requests per second */
	IMS_VAL_RATIO,
	IMS_VAL_PER_PAGE,    /* events per 4 KiB page */
	IMS_VAL_WINDOW,      /* an index into the check's window list; tolerance in steps */
};

#define IMS_VAL_MAX_WINDOWS 16

enum ims_val_verdict { IMS_VAL_PASS, IMS_VAL_FAIL, IMS_VAL_KNOWN, IMS_VAL_INFO };

/* Allowed: [lo - max(rel * |lo|, abs), hi + max(rel * |hi|, abs)]. */
struct ims_val_tol {
	double rel, abs;
};

struct ims_val_row {
	char point[64];
	char model[32];              /* "vtd/xeon-e5" */
	enum ims_val_unit unit;
	bool published;              /* false: no published value (info) */
	double lo, hi;               /* the published range (lo == hi: one value) */
	double sim;
	struct ims_val_tol tol;
	const char *known;           /* the documented deviation, or NULL */
	uint64_t window;             /* a point of a window sweep: its window (bytes), else 0 */
	uint64_t windows[IMS_VAL_MAX_WINDOWS];   /* IMS_VAL_WINDOW: the window sizes (bytes) */
	unsigned nwindows;           /* index nwindows means "none" */
	enum ims_val_verdict verdict;   /* set by ims_val_add */
};

#define IMS_VAL_MAX_PARAMS 64

struct ims_val_ctx {
	struct ims_val_row *rows;
	unsigned nrows, cap;
	/* "name=value" from the command line (--param), applied last to every
	 * run: what-if calibration against the published numbers */
	const char *user_params[IMS_VAL_MAX_PARAMS];
	unsigned nuser_params;
};

struct ims_val_check {
	const char *name;            /* CTest test validation.NAME */
	const char *title;
	const char *source;          /* what the published values are */
	int (*run)(struct ims_val_ctx *ctx, struct ims_error *err);
};

extern const struct ims_val_check ims_val_checks[];
extern const unsigned ims_val_check_count;

/* --- for the checks ---------------------------------------------------- */

/* Add a row and judge it. */
int ims_val_add(struct ims_val_ctx *ctx, const struct ims_val_row *row, struct ims_error *err);

/* Simulate a generated workload (sim/gen) or a text trace under a preset
 * (NULL: defaults, model vtd) plus "name=value" parameters (NULL-ended), then
 * the user's (ctx), with strategies `strategy` (NULL: the defaults). knobs:
 * "name=value" (NULL-ended). On success the caller owns *sim (ims_sim_fini). */
int ims_val_run_gen(struct ims_sim *sim, const struct ims_val_ctx *ctx, const char *preset,
		    const char *workload, const char *const *knobs, const char *const *params,
		    const char *strategy, struct ims_error *err);
int ims_val_run_text(struct ims_sim *sim, const struct ims_val_ctx *ctx, const char *preset,
		     const char *trace_text, const char *const *params, const char *strategy,
		     struct ims_error *err);

/* The command: `iommusim validate ...` with argv[1] == "validate". Returns
 * the exit status (0 every row passes or is known, 1 a row fails or a run
 * failed, 2 usage). */
int ims_validate_main(int argc, char **argv);

#endif
