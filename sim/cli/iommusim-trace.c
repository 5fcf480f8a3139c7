/* iommusim-trace: convert, inspect and validate traces (text, gzip text,
 * ELF container; traces/FORMAT.md). Exit status: 0 success, 1 bad input
 * (message "file:line: ..." or "file: record N: ..."), 2 bad usage. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "models/model.h"
#include "sim/convert/convert.h"
#include "sim/trace/decls.h"
#include "sim/trace/trace.h"
#include "sim/trace/writer.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim-trace convert IN OUT [--format text|gz|elf]\n"
		"       iommusim-trace cat FILE          the trace as canonical text\n"
		"       iommusim-trace info FILE         version, declarations, events per kind, bytes\n"
		"       iommusim-trace check FILE        validate every event\n"
		"       iommusim-trace from-ftrace IN -o OUT [--mhz N] [--domains single|group]\n"
		"              [--dma write|read|none] [--dma-delay auto|CYCLES] [--fault-len N]\n"
		"              [--iova-bits 48|57] [--pgsizes BITMAP]\n"
		"       iommusim-trace from-qemu IN -o OUT [--mhz N] [--domains device|single]\n"
		"              [--dir read|write] [--len N] [--interval CYCLES] [--start auto|CYCLES]\n"
		"              [--iova-bits 48|57]\n"
		"\n"
		"FILE is a text trace, gzip-compressed text or the ELF container; the reader\n"
		"tells them apart by their first bytes. convert writes OUT in the form its name\n"
		"says (*.elf: ELF container, *.gz: gzip text, else text; --format overrides) and\n"
		"replaces OUT only once the whole trace was read and written.\n"
		"from-ftrace and from-qemu convert `trace-cmd report` / tracefs `trace` text\n"
		"and QEMU -trace logs (plain or .gz) into a trace; the rules and options are in\n"
		"docs/converters.md. A summary goes to stderr.\n");
}

static void print_error(const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "iommusim-trace: %s\n", ims_error_format(err, buf, sizeof(buf)));
}

/* Copy every event of IN to a writer; the reader's checks and the writer's
 * are the same rules, so a failure is IN's fault or an I/O error. */
static int copy_trace(const char *in, const char *out, enum ims_trace_fmt fmt)
{
	struct ims_trace_reader *r;
	struct ims_trace_writer *w;
	struct ims_error err = { 0 };
	struct ims_event ev;
	int rc;

	if (ims_trace_open(&r, in, &err)) {
		print_error(&err);
		return 1;
	}
	if (ims_trace_writer_open(&w, out, fmt, &err)) {
		ims_trace_close(r);
		print_error(&err);
		return 1;
	}
	while ((rc = ims_trace_next(r, &ev, &err)) > 0)
		if ((rc = ims_trace_write(w, &ev, &err)) < 0)
			break;
	ims_trace_close(r);
	if (rc < 0) {
		ims_trace_writer_abort(w);
		print_error(&err);
		return 1;
	}
	if (ims_trace_writer_close(w, &err)) {
		print_error(&err);
		return 1;
	}
	return 0;
}

static int parse_format(const char *s, enum ims_trace_fmt *out)
{
	if (!strcmp(s, "text"))
		*out = IMS_TRACE_FMT_TEXT;
	else if (!strcmp(s, "gz"))
		*out = IMS_TRACE_FMT_TEXT_GZ;
	else if (!strcmp(s, "elf"))
		*out = IMS_TRACE_FMT_ELF;
	else
		return -1;
	return 0;
}

static int cmd_convert(int argc, char **argv)
{
	const char *files[2];
	enum ims_trace_fmt fmt;
	const char *format = NULL;
	int nfiles = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else if (argv[i][0] == '-' && argv[i][1] && nfiles < 2)
			return fprintf(stderr, "iommusim-trace: convert: unknown option '%s'\n",
				       argv[i]), EXIT_USAGE;
		else if (nfiles < 2)
			files[nfiles++] = argv[i];
		else
			return fprintf(stderr, "iommusim-trace: convert: too many arguments\n"),
			       EXIT_USAGE;
	}
	if (nfiles != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	fmt = ims_trace_fmt_for_path(files[1]);
	if (format && parse_format(format, &fmt)) {
		fprintf(stderr, "iommusim-trace: convert: unknown format '%s' (text, gz or elf)\n",
			format);
		return EXIT_USAGE;
	}
	return copy_trace(files[0], files[1], fmt);
}

/* --- info --------------------------------------------------------------------- */

struct summary {
	uint64_t events, per_kind[IMS_EV_KIND_COUNT];
	uint64_t first_time, last_time;
	uint64_t mapped_bytes, unmapped_bytes, dma_read_bytes, dma_write_bytes;
};

static void count(struct summary *s, const struct ims_event *ev)
{
	if (!s->events++)
		s->first_time = ev->time;
	s->last_time = ev->time;
	s->per_kind[ev->kind]++;
	switch (ev->kind) {
	case IMS_EV_MAP:
	case IMS_EV_IOAS_MAP:
	case IMS_EV_IOAS_COPY:
		s->mapped_bytes += ev->len;
		break;
	case IMS_EV_UNMAP:
	case IMS_EV_IOAS_UNMAP:
	case IMS_EV_DIRTY_UNMAP:
		s->unmapped_bytes += ev->len;
		break;
	case IMS_EV_DMA:
		*(ev->flags & IMS_EVF_WRITE ? &s->dma_write_bytes : &s->dma_read_bytes) += ev->len;
		break;
	default:
		break;
	}
}

static void print_decl(const struct ims_trace_decls *d, const struct ims_event *ev)
{
	char line[IMS_EVENT_TEXT_MAX];

	if (ims_event_format(d, ev, line, sizeof(line)) > 0)
		printf("  %s\n", line);
}

static void print_summary(const char *path, const struct summary *s)
{
	struct stat st;

	printf("events: %llu\n", (unsigned long long)s->events);
	for (int k = 0; k < IMS_EV_KIND_COUNT; k++)
		if (s->per_kind[k])
			printf("  %-15s %llu\n", ims_ev_kind_name(k),
			       (unsigned long long)s->per_kind[k]);
	printf("time: @%llu .. @%llu (span %llu cycles)\n", (unsigned long long)s->first_time,
	       (unsigned long long)s->last_time,
	       (unsigned long long)(s->last_time - s->first_time));
	printf("bytes: mapped %llu, unmapped %llu, dma read %llu, dma written %llu\n",
	       (unsigned long long)s->mapped_bytes, (unsigned long long)s->unmapped_bytes,
	       (unsigned long long)s->dma_read_bytes, (unsigned long long)s->dma_write_bytes);
	if (!stat(path, &st))
		printf("file: %llu bytes\n", (unsigned long long)st.st_size);
}

/* Declarations are listed as they come, in canonical text; the names they
 * refer to are kept by a declaration table of our own. */
static int cmd_info(const char *path)
{
	struct ims_trace_reader *r;
	struct ims_trace_decls *d;
	struct ims_error err = { 0 };
	struct summary s = { 0 };
	struct ims_event ev;
	int rc;

	if (ims_trace_open(&r, path, &err)) {
		print_error(&err);
		return 1;
	}
	if (ims_decls_new(&d)) {
		ims_trace_close(r);
		fprintf(stderr, "iommusim-trace: out of memory\n");
		return 1;
	}
	printf("trace: %s\nversion: %u\ndeclarations:\n", path, ims_trace_version(r));
	while ((rc = ims_trace_next(r, &ev, &err)) > 0) {
		count(&s, &ev);
		if ((rc = ims_decls_apply(d, &ev, &err)) < 0) {
			ims_trace_locate(r, &err, ev.line);
			break;
		}
		if (ev.kind == IMS_EV_DEVICE || ev.kind == IMS_EV_DOMAIN || ev.kind == IMS_EV_IOAS)
			print_decl(d, &ev);
	}
	ims_trace_close(r);
	ims_decls_free(d);
	if (rc < 0) {
		fflush(stdout);
		print_error(&err);
		return 1;
	}
	print_summary(path, &s);
	return 0;
}

static int cmd_check(const char *path)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_event ev;
	uint64_t n = 0;
	int rc;

	if (ims_trace_open(&r, path, &err)) {
		print_error(&err);
		return 1;
	}
	while ((rc = ims_trace_next(r, &ev, &err)) > 0)
		n++;
	ims_trace_close(r);
	if (rc < 0) {
		print_error(&err);
		return 1;
	}
	printf("%s: ok, %llu events\n", path, (unsigned long long)n);
	return 0;
}

/* from-ftrace / from-qemu IN -o OUT [--NAME VALUE | --NAME=VALUE]... */
static int cmd_from(int argc, char **argv, bool qemu)
{
	struct ims_ftrace_opts fo = IMS_FTRACE_OPTS_INIT;
	struct ims_qemu_opts qo = IMS_QEMU_OPTS_INIT;
	struct ims_convert_stats st = { 0 };
	struct ims_error err = { 0 };
	struct ims_trace_writer *w;
	const char *in = NULL, *out = NULL;
	char name[64], summary[2048];
	int rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '='), *value;

		if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
			continue;
		}
		if (strncmp(a, "--", 2) || a[2] == '\0') {
			if (in)
				return fprintf(stderr, "iommusim-trace: too many arguments\n"),
				       EXIT_USAGE;
			in = a;
			continue;
		}
		value = eq ? eq + 1 : i + 1 < argc ? argv[++i] : "";
		snprintf(name, sizeof(name), "%.*s", (int)(eq ? eq - a - 2 : (long)strlen(a) - 2),
			 a + 2);
		rc = qemu ? ims_qemu_opts_set(&qo, name, value, &err) :
			    ims_ftrace_opts_set(&fo, name, value, &err);
		if (rc)
			return print_error(&err), EXIT_USAGE;
	}
	if (!in || !out) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (ims_trace_writer_open(&w, out, ims_trace_fmt_for_path(out), &err))
		return print_error(&err), 1;
	fo.stats = qo.stats = &st;
	rc = qemu ? ims_convert_qemu(in, w, &qo, &err) : ims_convert_ftrace(in, w, &fo, &err);
	if (rc) {
		ims_trace_writer_abort(w);
		return print_error(&err), 1;
	}
	if (ims_trace_writer_close(w, &err))
		return print_error(&err), 1;
	ims_convert_stats_format(&st, summary, sizeof(summary));
	fprintf(stderr, "%s -> %s\n%s", in, out, summary);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd && (!strcmp(cmd, "--help") || !strcmp(cmd, "-h"))) {
		usage(stdout);
		return 0;
	}
	if (cmd && !strcmp(cmd, "convert"))
		return cmd_convert(argc - 2, argv + 2);
	if (cmd && (!strcmp(cmd, "from-ftrace") || !strcmp(cmd, "from-qemu")))
		return cmd_from(argc - 2, argv + 2, !strcmp(cmd, "from-qemu"));
	if (cmd && argc == 3 && !strcmp(cmd, "cat"))
		return copy_trace(argv[2], "-", IMS_TRACE_FMT_TEXT);
	if (cmd && argc == 3 && !strcmp(cmd, "info"))
		return cmd_info(argv[2]);
	if (cmd && argc == 3 && !strcmp(cmd, "check"))
		return cmd_check(argv[2]);
	usage(stderr);
	return EXIT_USAGE;
}
