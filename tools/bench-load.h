/* The benchmark helpers' trace loader: every event of a trace held in
 * memory, so that what they time is the simulation, never the reading. */
#ifndef IMS_BENCH_LOAD_H
#define IMS_BENCH_LOAD_H

#include <stddef.h>

#include "sim/error.h"
#include "sim/trace/trace.h"

struct bench_events {
	struct ims_event *ev;
	size_t n, cap;
	char (*names)[64];    /* one per event, used by declarations only */
};

/* Print "tool: message" and exit 1. */
__attribute__((noreturn)) void bench_die(const char *tool, const struct ims_error *err);

/* Read every event of the trace at path into l (exits on error). */
void bench_load(const char *tool, const char *path, struct bench_events *l);
void bench_events_free(struct bench_events *l);

/* CPU time of this process, seconds. */
double bench_cpu_seconds(void);

#endif
