/* Test helper: replay a trace on a fresh simulator with default parameters
 * and the named strategies, and return its counters. Any error fails the
 * test with its message. */
#ifndef IMS_TEST_REPLAY_H
#define IMS_TEST_REPLAY_H

#include <criterion/criterion.h>
#include <string.h>

#include "sim/host/dirty_strategy.h"
#include "sim/run.h"

/* Takes ownership of r. */
static inline struct ims_stats replay(const struct ims_model_ops *model, const char *strategy,
				      struct ims_trace_reader *r)
{
	struct ims_error err = { 0 };
	struct ims_strategies st;
	struct ims_params p;
	struct ims_sim sim;
	struct ims_stats out;
	char bad[64];

	ims_params_default(&p);
	ims_strategies_default(&st);
	cr_assert_eq(ims_strategies_parse(&st, strategy, bad, sizeof(bad)), 0, "%s", bad);
	cr_assert_eq(ims_sim_init(&sim, model, &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), 0, "%s", err.msg);
	ims_trace_close(r);
	out = sim.stats;
	ims_sim_fini(&sim);
	return out;
}

/* Replay a trace held in a string. */
static inline struct ims_stats replay_text(const struct ims_model_ops *model,
					   const char *strategy, const char *text)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;

	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", text, strlen(text), &err), 0, "%s",
		     err.msg);
	return replay(model, strategy, r);
}

#endif
