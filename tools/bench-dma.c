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
#include <time.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/run.h"
#include "sim/sim.h"
#include "sim/trace/trace.h"

struct loaded {
	struct ims_event *ev;
	size_t n, cap;
	char (*names)[64];    /* one per event, used by declarations only */
};

static void die(const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "bench-dma: %s\n", ims_error_format(err, buf, sizeof(buf)));
	exit(1);
}

static void load(const char *path, struct loaded *l)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_event ev;
	int rc;

	if (ims_trace_open(&r, path, &err))
		die(&err);
	while ((rc = ims_trace_next(r, &ev, &err)) > 0) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 1 << 16;
			l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
			l->names = realloc(l->names, l->cap * sizeof(*l->names));
			if (!l->ev || !l->names) {
				fprintf(stderr, "bench-dma: out of memory\n");
				exit(1);
			}
		}
		if (ev.name) {   /* the reader's copy dies with it */
			snprintf(l->names[l->n], sizeof(l->names[0]), "%s", ev.name);
			ev.name = l->names[l->n];
		}
		l->ev[l->n++] = ev;
	}
	if (rc < 0)
		die(&err);
	ims_trace_close(r);
	/* names moved with realloc: point them at their final place */
	for (size_t i = 0; i < l->n; i++)
		if (l->ev[i].name)
			l->ev[i].name = l->names[i];
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *model_name = "vtd";
	const struct ims_model_ops *model;
	struct loaded l = { 0 };
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
	load(path, &l);
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
			die(&err);
		t0 = cpu_seconds();
		if (ims_run_trace(&sim, r, &st, &err))
			die(&err);
		printf("%.6f %llu\n", cpu_seconds() - t0,
		       (unsigned long long)sim.stats.v[IMS_STAT_translations]);
		ims_trace_close(r);
		ims_sim_fini(&sim);
	}
	free(l.ev);
	free(l.names);
	return 0;
}
