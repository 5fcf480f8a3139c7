#include "tools/bench-load.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void bench_die(const char *tool, const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "%s: %s\n", tool, ims_error_format(err, buf, sizeof(buf)));
	exit(1);
}

void bench_load(const char *tool, const char *path, struct bench_events *l)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_event ev;
	int rc;

	if (ims_trace_open(&r, path, &err))
		bench_die(tool, &err);
	while ((rc = ims_trace_next(r, &ev, &err)) > 0) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 1 << 16;
			l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
			l->names = realloc(l->names, l->cap * sizeof(*l->names));
			if (!l->ev || !l->names) {
				fprintf(stderr, "%s: out of memory\n", tool);
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
		bench_die(tool, &err);
	ims_trace_close(r);
	/* names moved with realloc: point them at their final place */
	for (size_t i = 0; i < l->n; i++)
		if (l->ev[i].name)
			l->ev[i].name = l->names[i];
}

void bench_events_free(struct bench_events *l)
{
	free(l->ev);
	free(l->names);
	l->ev = NULL;
	l->names = NULL;
	l->n = l->cap = 0;
}

double bench_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
