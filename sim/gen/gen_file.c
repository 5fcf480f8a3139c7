/* A workload into a trace file through the trace writer (sim/trace/writer.h). */
#include "sim/gen/gen.h"
#include "sim/trace/writer.h"

static int write_event(void *ctx, const struct ims_event *ev, struct ims_error *err)
{
	return ims_trace_write(ctx, ev, err);
}

int ims_gen_write_file(const struct ims_gen_cfg *cfg, const char *path,
		       uint64_t *events_out, struct ims_error *err)
{
	struct ims_trace_writer *w;
	struct ims_gen_sink sink = { .event = write_event };
	int rc;

	/* bad knobs are refused before a file is opened */
	if ((rc = ims_gen_cfg_check(cfg, err)))
		return rc;
	if ((rc = ims_trace_writer_open(&w, path, ims_trace_fmt_for_path(path), err)))
		return rc;
	sink.ctx = w;
	rc = ims_gen_run(cfg, &sink, events_out, err);
	if (rc) {
		ims_trace_writer_abort(w);
		return rc;
	}
	return ims_trace_writer_close(w, err);
}
