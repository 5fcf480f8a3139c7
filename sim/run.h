/* Replay a trace through a simulator, event by event. */
#ifndef IMS_RUN_H
#define IMS_RUN_H

#include "sim/host/dirty_strategy.h"
#include "sim/sim.h"
#include "sim/trace/trace.h"

/* Replay every event of r with the given strategies (one per axis). On
 * error, err names the trace file and line. */
int ims_run_trace(struct ims_sim *sim, struct ims_trace_reader *r,
		  const struct ims_strategies *strategies, struct ims_error *err);

/* Open the trace at path, set sim up with model and params, and replay the
 * whole trace. On success the caller owns *sim (ims_sim_fini); on error
 * nothing is left to free. */
int ims_run_file(struct ims_sim *sim, const char *path, const struct ims_model_ops *model,
		 const struct ims_params *params, const struct ims_strategies *strategies,
		 struct ims_error *err);

#endif
