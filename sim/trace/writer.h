/* Trace writing: canonical text (plain or gzip) and the ELF container
 * (traces/FORMAT.md, "Binary form"), streamed with constant memory.
 *
 * Every event is checked as the readers would check it (sim/trace/decls.h),
 * so a writer cannot produce a file its own readers refuse. Output goes to a
 * temporary file beside the target, renamed into place only by a successful
 * ims_trace_writer_close: a failed or abandoned write leaves nothing behind.
 */
#ifndef IMS_TRACE_WRITER_H
#define IMS_TRACE_WRITER_H

#include "sim/error.h"
#include "sim/trace/decls.h"
#include "sim/trace/trace.h"

enum ims_trace_fmt {
	IMS_TRACE_FMT_TEXT,     /* canonical text, format IMS_TRACE_VERSION */
	IMS_TRACE_FMT_TEXT_GZ,  /* the same, gzip-compressed */
	IMS_TRACE_FMT_ELF,      /* the ELF container */
};

/* By the file name: "*.elf" is the container, "*.gz" gzip text, anything
 * else (and "-" for stdout) plain text. */
enum ims_trace_fmt ims_trace_fmt_for_path(const char *path);

struct ims_trace_writer;

/* path "-" writes text to stdout (not atomically: there is no file). */
int ims_trace_writer_open(struct ims_trace_writer **out, const char *path,
			  enum ims_trace_fmt fmt, struct ims_error *err);

/* Append one event. Declarations carry ev->name; references are indices in
 * declaration order, as the readers produce them. ev->line is ignored. An
 * invalid event is an error located at its record number in the output. */
int ims_trace_write(struct ims_trace_writer *w, const struct ims_event *ev,
		    struct ims_error *err);

/* Finish the file and move it into place; frees w whatever happens. */
int ims_trace_writer_close(struct ims_trace_writer *w, struct ims_error *err);

/* Drop everything written and free w (the target is left untouched). */
void ims_trace_writer_abort(struct ims_trace_writer *w);

#endif
