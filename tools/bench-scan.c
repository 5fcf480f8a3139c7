/* bench-scan: the time of a dirty scan alone, without the map before it.
 *
 * A read_and_clear of 1 TiB takes seconds after a map that takes tens of
 * seconds, so the difference of two whole replays (with and without the
 * scan) would leave the scan inside the noise of the map. Instead: load the
 * trace's events into memory, replay everything before the first get-dirty
 * with the run loop, untimed (declarations, the map, tracking on, the first
 * DMAs), then replay the rest here, event by event, timing each get-dirty
 * alone: ims_host_read_dirty, which is what the run loop dispatches for it
 * (walk, bitmap, scoring, sync).
 *
 * After the first get-dirty only dma and get-dirty events may follow, each
 * issued when the host is idle again (time >= its CPU timeline): then no DMA
 * races a host operation and this loop does what the run loop would. A trace
 * where one would race is refused rather than replayed differently.
 *
 * Prints "scan SECONDS PTES_SCANNED PAGES_REPORTED" per get-dirty (CPU time),
 * then "setup SECONDS" (the untimed prefix) and "peak_rss_kib N" (VmHWM of
 * this process: the page tables of the whole run plus the loaded events).
 * Usage: bench-scan TRACE [--model M]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"
#include "sim/run.h"
#include "sim/sim.h"
#include "tools/bench-load.h"

#define TOOL "bench-scan"

static void fail(const char *msg, const struct ims_event *ev)
{
	fprintf(stderr, TOOL ": event %llu: %s\n", (unsigned long long)ev->line, msg);
	exit(1);
}

/* VmHWM of this process in KiB, 0 if /proc cannot tell. */
static unsigned long long peak_rss_kib(void)
{
	unsigned long long kib = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		/* NOLINTNEXTLINE(cert-err34-c): the kernel's own numbers */
		if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* One event after the prefix, as the run loop's dispatch and run_dma do it.
 * Returns the CPU seconds of a get-dirty, 0 for a DMA. */
static double replay_one(struct ims_sim *sim, const struct ims_event *ev)
{
	struct ims_error err = { 0 };
	double t0;

	if (ev->time < sim->cpu_now)
		fail("issued while the host is busy (it would race): space the trace out", ev);
	sim->now = ev->time;
	if (ev->kind == IMS_EV_DMA) {
		if (ev->device >= sim->ndevices)
			fail("device not declared", ev);
		ims_dma(sim, sim->devices[ev->device], ev->iova, ev->len, ev->flags & IMS_EVF_WRITE);
		return 0;
	}
	if (ev->kind != IMS_EV_GET_DIRTY)
		fail("only dma and get-dirty may follow the first get-dirty", ev);
	if (ev->domain >= sim->ndomains)
		fail("domain not declared", ev);
	t0 = bench_cpu_seconds();
	if (ims_host_read_dirty(sim, sim->domains[ev->domain], ev->iova, ev->len, ev->page_lg2,
				ev->flags & IMS_EVF_NO_CLEAR ? IMS_DIRTY_NO_CLEAR : 0, NULL, &err))
		bench_die(TOOL, &err);
	return bench_cpu_seconds() - t0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *model_name = "vtd";
	const struct ims_model_ops *model;
	struct bench_events l = { 0 };
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_strategies st;
	struct ims_params p;
	struct ims_sim sim;
	size_t first = 0;
	double t0;
	bool usage = false;

	for (int i = 1; i < argc && !usage; i++) {
		if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model_name = argv[++i];
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			usage = true;
	}
	model = path && !usage ? ims_model_find(model_name) : NULL;
	if (!model) {
		fprintf(stderr, "usage: " TOOL " TRACE [--model vtd|amdv1|smmuv3]\n");
		return 2;
	}
	bench_load(TOOL, path, &l);
	while (first < l.n && l.ev[first].kind != IMS_EV_GET_DIRTY)
		first++;
	if (first == l.n) {
		fprintf(stderr, TOOL ": %s has no get-dirty\n", path);
		return 1;
	}
	ims_params_default(&p);
	ims_strategies_default(&st);
	if (ims_sim_init(&sim, model, &p, &err) ||
	    ims_trace_open_events(&r, path, l.ev, first, &err))
		bench_die(TOOL, &err);
	t0 = bench_cpu_seconds();
	if (ims_run_trace(&sim, r, &st, &err))
		bench_die(TOOL, &err);
	t0 = bench_cpu_seconds() - t0;
	ims_trace_close(r);
	for (size_t i = first; i < l.n; i++) {
		uint64_t scanned = sim.stats.v[IMS_STAT_dirty_ptes_scanned];
		uint64_t reported = sim.stats.v[IMS_STAT_dirty_pages_reported];
		double s = replay_one(&sim, &l.ev[i]);

		if (l.ev[i].kind == IMS_EV_GET_DIRTY)
			printf("scan %.6f %llu %llu\n", s,
			       (unsigned long long)(sim.stats.v[IMS_STAT_dirty_ptes_scanned] - scanned),
			       (unsigned long long)(sim.stats.v[IMS_STAT_dirty_pages_reported] -
						    reported));
	}
	printf("setup %.6f\npeak_rss_kib %llu\n", t0, peak_rss_kib());
	ims_sim_fini(&sim);
	bench_events_free(&l);
	return 0;
}
