/* Run independent jobs over worker processes and collect their results in
 * job order.
 *
 * Each job returns a JSON object; a worker writes it to a scratch file and
 * the parent reads the files back in job order, so the collected results do
 * not depend on how many workers ran or which finished first (reals survive
 * the round trip: jansson writes 17 significant digits). Used by
 * `iommusim sweep` (one job per grid point) and `iommusim regress` (one per
 * corpus run).
 */
#ifndef IMS_POOL_H
#define IMS_POOL_H

#include <stdbool.h>

#include <jansson.h>

#include "sim/error.h"

/* One job: NULL with err set on failure. Runs in a worker process. */
typedef json_t *(*ims_pool_job_fn)(void *ctx, unsigned index, struct ims_error *err);

struct ims_pool_opts {
	unsigned workers;          /* 0: the number of online CPUs */
	bool progress;             /* a progress bar on stderr, if it is a terminal */
	const char *label;         /* shown before the bar */
};

/* The number of online CPUs (at least 1). */
unsigned ims_pool_cpus(void);

/* Run jobs 0..n-1; out[i] receives job i's result (caller json_decref()s
 * each). On error (a job failed: the first in job order is reported, or a
 * worker died) every out[i] is NULL. */
int ims_pool_run(json_t **out, unsigned n, ims_pool_job_fn fn, void *ctx,
		 const struct ims_pool_opts *opts, struct ims_error *err);

#endif
