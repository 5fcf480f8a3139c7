/* bench-dma: simulation speed without trace reading.
 *
 * Loads a trace's events into memory (checked once), then replays them
 * --repeat times, each on a fresh simulator, and prints the CPU time of each
 * replay and the translations it made: "replay_s translations" per line.
 * What remains in the timed part besides the simulation is copying one
 * event struct per event. Usage: bench-dma TRACE [--model M] [--repeat N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/run.h"
#include "sim/sim.h"
#include "sim/trace/trace.h"
#include "tools/bench-load.h"

int main(int argc, char **argv)
{
	const char *path = NULL, *model_name = "vtd";
	const struct ims_model_ops *model;
	struct bench_events l = { 0 };
	unsigned repeat = 5;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model_name = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "usage: bench-dma TRACE [--model M] [--repeat N]\n");
			return 2;
		}
	}
	model = path ? ims_model_find(model_name) : NULL;
	if (!model) {
		fprintf(stderr, "usage: bench-dma TRACE [--model vtd|amdv1|smmuv3] [--repeat N]\n");
		return 2;
	}
	bench_load("bench-dma", path, &l);
	for (unsigned k = 0; k < repeat; k++) {
		struct ims_trace_reader *r;
		struct ims_error err = { 0 };
		struct ims_strategies st;
		struct ims_params p;
		struct ims_sim sim;
		double t0;

		ims_params_default(&p);
		ims_strategies_default(&st);
		if (ims_sim_init(&sim, model, &p, &err) ||
		    ims_trace_open_events(&r, path, l.ev, l.n, &err))
			bench_die("bench-dma", &err);
		t0 = bench_cpu_seconds();
		if (ims_run_trace(&sim, r, &st, &err))
			bench_die("bench-dma", &err);
		printf("%.6f %llu\n", bench_cpu_seconds() - t0,
		       (unsigned long long)sim.stats.v[IMS_STAT_translations]);
		ims_trace_close(r);
		ims_sim_fini(&sim);
	}
	bench_events_free(&l);
	return 0;
}
