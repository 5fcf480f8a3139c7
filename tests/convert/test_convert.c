/* Converters from real tools (sim/convert/, docs/converters.md): the sample
 * inputs in tests/convert/samples/ convert to the expected events, the
 * same way every time, replay on every model with the expected faults,
 * and bad input fails at its line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "models/model.h"
#include "sim/convert/convert.h"
#include "sim/trace/decls.h"
#include "sim/trace/writer.h"
#include "../sim/files.h"
#include "../sim/replay.h"

#define SAMPLES IMS_SOURCE_DIR "/tests/convert/samples/"
#define MAX_EVENTS 256

TestSuite(convert, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* --- helpers --------------------------------------------------------------------- */

static const char *tmp(const char *name)
{
	static char path[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

/* Every event a conversion emits, checked by the rules the writer applies
 * (sim/trace/decls.h) and for time order. */
struct rec {
	struct ims_event ev[MAX_EVENTS];
	char names[MAX_EVENTS][IMS_TRACE_NAME_MAX + 1];
	size_t n;
	struct ims_trace_decls *decls;
	struct ims_convert_stats st;
};

static int record(const struct ims_event *ev, struct ims_error *err, void *payload)
{
	struct rec *r = payload;
	struct ims_event copy = *ev;

	if (r->n)
		cr_assert_geq(ev->time, r->ev[r->n - 1].time, "time goes backwards at event %zu",
			      r->n);
	if (ims_decls_apply(r->decls, &copy, err))
		return -err->code;
	if (r->n == MAX_EVENTS)
		return 0;   /* checked, not kept */
	r->ev[r->n] = *ev;
	if (ev->name) {
		snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s", ev->name);
		r->ev[r->n].name = r->names[r->n];
	}
	r->n++;
	return 0;
}

static struct rec *rec_new(void)
{
	struct rec *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	cr_assert_eq(ims_decls_new(&r->decls), 0);
	return r;
}

static void rec_free(struct rec *r)
{
	ims_decls_free(r->decls);
	free(r);
}

static int ftrace_text(struct rec *r, const char *name, const char *text,
		       const struct ims_ftrace_opts *o, struct ims_error *err)
{
	struct ims_ftrace_opts my = IMS_FTRACE_OPTS_INIT;

	if (o)
		my = *o;
	my.stats = &r->st;
	return ims_convert_ftrace_mem(name, text, strlen(text), record, r, &my, err);
}

static int qemu_text(struct rec *r, const char *name, const char *text,
		     const struct ims_qemu_opts *o, struct ims_error *err)
{
	struct ims_qemu_opts my = IMS_QEMU_OPTS_INIT;

	if (o)
		my = *o;
	my.stats = &r->st;
	return ims_convert_qemu_mem(name, text, strlen(text), record, r, &my, err);
}

/* Convert a sample from its file through the writer and the same sample
 * from memory into a rec: the two must agree. */
static struct rec *sample(const char *file, bool qemu, void *opts)
{
	struct ims_error err = { 0 };
	struct rec *r = rec_new();
	size_t len;
	char *text = slurp(file, &len);
	int rc = qemu ? qemu_text(r, file, text, opts, &err) : ftrace_text(r, file, text, opts, &err);

	cr_assert_eq(rc, 0, "%s: %s", file, err.msg);
	cr_assert_eq(strlen(text), len, "%s has NUL bytes", file);
	free(text);
	return r;
}

static const struct ims_event *nth(const struct rec *r, enum ims_ev_kind kind, int n)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].kind == kind && n-- == 0)
			return &r->ev[i];
	cr_assert_fail("no event %d of kind %s", n, ims_ev_kind_name(kind));
	return NULL;
}

static size_t count(const struct rec *r, enum ims_ev_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		n += r->ev[i].kind == kind;
	return n;
}

/* Convert text held in memory, which must succeed. */
static struct rec *converted(bool qemu, const char *text)
{
	struct ims_error err = { 0 };
	struct rec *r = rec_new();
	int rc = qemu ? qemu_text(r, "in", text, NULL, &err) : ftrace_text(r, "in", text, NULL, &err);

	cr_assert_eq(rc, 0, "%s", err.msg);
	return r;
}

/* Convert a file into out with the library's file entry point. */
static int convert_file(const char *in, const char *out, bool qemu, void *opts,
			struct ims_error *err)
{
	struct ims_trace_writer *w;
	struct ims_ftrace_opts fo = IMS_FTRACE_OPTS_INIT;
	struct ims_qemu_opts qo = IMS_QEMU_OPTS_INIT;
	int rc;

	cr_assert_eq(ims_trace_writer_open(&w, out, ims_trace_fmt_for_path(out), err), 0, "%s",
		     err->msg);
	rc = qemu ? ims_convert_qemu(in, w, opts ? opts : &qo, err) :
		    ims_convert_ftrace(in, w, opts ? opts : &fo, err);
	if (rc) {
		ims_trace_writer_abort(w);
		return rc;
	}
	return ims_trace_writer_close(w, err);
}

static struct ims_stats replay_file(const char *model, const char *path)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;

	cr_assert_eq(ims_trace_open(&r, path, &err), 0, "%s", err.msg);
	return replay(ims_model_find(model), "clear+unmap", r);
}

static const char *const models[] = { "vtd", "amdv1", "smmuv3" };

/* Run a shell command in the test's directory with $T = iommusim-trace. */
static int run(char *out, size_t size, const char *command)
{
	return run_in_tmpdir(out, size, "T=" IMS_BIN_DIR "/iommusim-trace", command);
}

/* --- ftrace: trace-cmd report ------------------------------------------------------ */

Test(convert, trace_cmd_report_events)
{
	struct rec *r = sample(SAMPLES "trace-cmd-report.txt", false, NULL);
	const struct ims_event *e;

	cr_assert_eq(r->st.lines, 15);
	cr_assert_eq(r->st.recognised, 12);
	cr_assert_eq(r->st.skipped, 3);   /* cpus=4, sched_switch, irq_handler_entry */
	cr_assert_eq(r->st.devices, 2);
	cr_assert_eq(r->st.domains, 1);
	cr_assert_eq(count(r, IMS_EV_MAP), 3);
	cr_assert_eq(count(r, IMS_EV_UNMAP), 3);
	cr_assert_eq(count(r, IMS_EV_DMA), 4);
	cr_assert_eq(r->st.fault_dmas, 1);

	e = nth(r, IMS_EV_DEVICE, 0);
	cr_assert_str_eq(e->name, "dev_0000_01_00.0");
	cr_assert_eq(e->sid, 0x100, "the PCI requester ID of 0000:01:00.0");
	cr_assert_eq(nth(r, IMS_EV_DEVICE, 1)->sid, 0x200);
	cr_assert_str_eq(nth(r, IMS_EV_DOMAIN, 0)->name, "dom0");

	/* map at 512.000010, the first line at 1.204311: 510.795699 s of 2600 MHz */
	e = nth(r, IMS_EV_MAP, 0);
	cr_assert_eq(e->time, UINT64_C(1328068817400));
	cr_assert_eq(e->iova, 0xffe00000);
	cr_assert_eq(e->len, 0x10000);
	cr_assert_eq(e->flags, IMS_EVF_HAS_PA);
	cr_assert_eq(e->pa, 0x1c0000000);
	cr_assert_eq(e->prot, IMS_PROT_READ | IMS_PROT_WRITE);

	/* unmapped 6 us after its map, before the DMA was due: the DMA comes
	 * first, at the unmap's time */
	cr_assert_eq(r->st.dma_pulled, 1);
	e = nth(r, IMS_EV_DMA, 0);
	cr_assert_eq(e->iova, 0xffe00000);
	cr_assert_eq(e->len, 0x10000);
	cr_assert_eq(e->flags, IMS_EVF_WRITE);
	cr_assert_eq(e->time, nth(r, IMS_EV_UNMAP, 0)->time);
	cr_assert_eq(e->time, UINT64_C(1328068817400) + 6 * 2600);

	/* the map stamped 2 us before the line above it runs at that line's time */
	cr_assert_eq(r->st.reordered, 1);
	cr_assert_eq(r->st.reorder_max_cycles, 2 * 2600);
	cr_assert_eq(nth(r, IMS_EV_MAP, 2)->time, nth(r, IMS_EV_MAP, 1)->time);

	/* 4 KiB unmapped out of a 2 MiB leaf (IOVA and PA 2 MiB-aligned):
	 * widened to the leaf, as VT-d's unmap does */
	e = nth(r, IMS_EV_UNMAP, 1);
	cr_assert_eq(e->iova, 0x80000000);
	cr_assert_eq(e->len, 0x200000);
	cr_assert_eq(r->st.unmap_bytes_widened, 0x200000 - 0x1000);
	/* an unmap of what the trace never mapped writes nothing */
	cr_assert_eq(r->st.unmap_bytes_unknown, 0x1000);

	/* io_page_fault: a DMA write (flags 0x1) of fault_len bytes by the device */
	e = nth(r, IMS_EV_DMA, 3);
	cr_assert_eq(e->iova, 0xdeadb000);
	cr_assert_eq(e->len, 64);
	cr_assert_eq(e->flags, IMS_EVF_WRITE);
	cr_assert_eq(e->device, 1);
	rec_free(r);
}

/* trace-cmd report -l (CPU and flags in one column) and -t (nanoseconds). */
Test(convert, trace_cmd_latency_and_ns_formats)
{
	static const char text[] =
		"           <idle>-0       0d.h1. 106467.859747: io_page_fault:        IOMMU:ahci 0000:00:17.0 iova=0x00000000fffe0000 flags=0x0000\n"
		"             fio-4242     2....1 106467.859747500: map:                  IOMMU: iova=0x00000000fff00000 - 0x00000000fff02000 paddr=0x0000000123400000 size=8192\n";
	struct rec *r = converted(false, text);

	cr_assert_eq(r->st.recognised, 2);
	cr_assert_str_eq(nth(r, IMS_EV_DEVICE, 0)->name, "dev_0000_00_17.0");
	cr_assert_eq(nth(r, IMS_EV_DMA, 0)->flags, 0, "flags 0x0: a read");
	/* 500 ns after the first line: 1300 cycles */
	cr_assert_eq(nth(r, IMS_EV_MAP, 0)->time, 1300);
	cr_assert_eq(nth(r, IMS_EV_MAP, 0)->len, 8192);
	rec_free(r);
}

/* --- ftrace: tracefs trace, older kernel formats ---------------------------------- */

Test(convert, tracefs_single_domain)
{
	struct rec *r = sample(SAMPLES "tracefs-trace.txt", false, NULL);
	const struct ims_event *e;

	cr_assert_eq(r->st.skipped, 12);   /* 11 header lines, sched_waking */
	cr_assert_eq(r->st.recognised, 14);
	cr_assert_eq(r->st.ignored, 2);    /* detach_device_from_domain, remove_device_from_group */
	cr_assert_eq(r->st.domains, 1);
	cr_assert_eq(count(r, IMS_EV_MAP), 4);
	cr_assert_eq(count(r, IMS_EV_UNMAP), 3);
	/* the map format before the 2021 change: no end of range */
	e = nth(r, IMS_EV_MAP, 1);
	cr_assert_eq(e->iova, 0);
	cr_assert_eq(e->len, 0x200000);
	cr_assert_eq(e->pa, 0x840000000);
	/* the DMA over each buffer, by the device attached last */
	cr_assert_eq(count(r, IMS_EV_DMA), 5);
	e = nth(r, IMS_EV_DMA, 1);
	cr_assert_eq(e->iova, 0);
	cr_assert_eq(e->len, 0x200000);
	cr_assert_eq(e->device, 1);
	/* every DMA of a buffer comes after its map (a DMA is issued once the
	 * simulated host should be done) and before its unmap */
	cr_assert_gt(e->time, nth(r, IMS_EV_MAP, 1)->time);
	cr_assert_lt(e->time, nth(r, IMS_EV_UNMAP, 1)->time);
	rec_free(r);
}

Test(convert, tracefs_group_domains)
{
	struct ims_ftrace_opts o = IMS_FTRACE_OPTS_INIT;
	struct rec *r;

	o.domains = IMS_CONVERT_DOMAINS_GROUP;
	r = sample(SAMPLES "tracefs-trace.txt", false, &o);
	cr_assert_eq(r->st.domains, 2);
	cr_assert_str_eq(nth(r, IMS_EV_DOMAIN, 0)->name, "group3");
	cr_assert_str_eq(nth(r, IMS_EV_DOMAIN, 1)->name, "group14");
	/* maps go to the domain of the device attached last */
	cr_assert_eq(nth(r, IMS_EV_MAP, 0)->domain, 0);
	cr_assert_eq(nth(r, IMS_EV_MAP, 1)->domain, 1);
	cr_assert_eq(nth(r, IMS_EV_ATTACH, 1)->device, 1);
	cr_assert_eq(nth(r, IMS_EV_ATTACH, 1)->domain, 1);
	rec_free(r);
}

/* --- QEMU ----------------------------------------------------------------------------- */

Test(convert, qemu_vtd_events)
{
	struct rec *r = sample(SAMPLES "qemu-vtd.log", true, NULL);
	const struct ims_event *e;

	cr_assert_eq(r->st.recognised, 13);
	cr_assert_eq(r->st.skipped, 6);
	cr_assert_eq(r->st.ignored, 6, "IOTLB hit/update lines: vtd_dmar_translate is there");
	cr_assert_eq(r->st.devices, 2);
	cr_assert_eq(r->st.domains, 2);
	e = nth(r, IMS_EV_DEVICE, 0);
	cr_assert_str_eq(e->name, "dev_00_03.0");
	cr_assert_eq(e->sid, 0x18);
	cr_assert_str_eq(nth(r, IMS_EV_DOMAIN, 1)->name, "dom_00_04.0");
	/* a map per page seen, before any DMA, at the translated address */
	cr_assert_eq(count(r, IMS_EV_MAP), 4);
	e = nth(r, IMS_EV_MAP, 0);
	cr_assert_eq(e->time, 0);
	cr_assert_eq(e->iova, 0xfffff000);
	cr_assert_eq(e->len, 0x1000);
	cr_assert_eq(e->pa, 0x7f3a2000);
	e = nth(r, IMS_EV_MAP, 3);
	cr_assert_eq(e->iova, 0x80000000);
	cr_assert_eq(e->pa, 0x40000000);
	cr_assert_eq(count(r, IMS_EV_DMA), 7);
	cr_assert_gt(nth(r, IMS_EV_DMA, 0)->time, 0);
	/* 9 us after the first translation */
	cr_assert_eq(nth(r, IMS_EV_DMA, 1)->time - nth(r, IMS_EV_DMA, 0)->time, 9 * 2600);
	cr_assert_eq(nth(r, IMS_EV_DMA, 1)->flags, 0, "direction unknown: --dir read");
	/* a line from another thread 6 us in the past runs at the time reached */
	cr_assert_eq(r->st.reordered, 1);
	cr_assert_eq(nth(r, IMS_EV_DMA, 3)->time, nth(r, IMS_EV_DMA, 2)->time);
	e = nth(r, IMS_EV_DMA, 6);
	cr_assert_eq(e->iova, 0xdead0000);
	cr_assert_eq(e->flags, IMS_EVF_WRITE, "vtd_dmar_fault write 1");
	cr_assert_eq(r->st.fault_dmas, 1);
	rec_free(r);
}

Test(convert, qemu_amdvi_events)
{
	struct rec *r = sample(SAMPLES "qemu-amdvi.log", true, NULL);
	const struct ims_event *e;

	cr_assert_eq(r->st.recognised, 7);
	cr_assert_eq(r->st.ignored, 3);
	cr_assert_eq(count(r, IMS_EV_MAP), 2);
	cr_assert_eq(nth(r, IMS_EV_MAP, 1)->pa, 0x7f3a1000);
	cr_assert_eq(count(r, IMS_EV_DMA), 4);
	/* no timestamps: one line every --interval cycles */
	cr_assert_eq(nth(r, IMS_EV_DMA, 1)->time - nth(r, IMS_EV_DMA, 0)->time, 1000);
	cr_assert_eq(nth(r, IMS_EV_DMA, 1)->iova, 0xfffff080);
	/* hpa 0: the translation failed */
	e = nth(r, IMS_EV_DMA, 3);
	cr_assert_eq(e->iova, 0xdead0000);
	cr_assert_eq(e->device, 1);
	cr_assert_eq(r->st.fault_dmas, 1);
	rec_free(r);
}

Test(convert, qemu_smmuv3_events)
{
	struct rec *r = sample(SAMPLES "qemu-smmuv3.log", true, NULL);

	cr_assert_eq(r->st.recognised, 6);
	cr_assert_eq(r->st.skipped, 5);
	cr_assert_eq(r->st.ignored, 1, "STE bypass");
	cr_assert_eq(r->st.devices, 2, "no device for the bypassed stream");
	cr_assert_eq(nth(r, IMS_EV_DEVICE, 1)->sid, 0x10);
	/* perm: IOMMU_RO maps read-only and reads, IOMMU_WO the other way */
	cr_assert_eq(nth(r, IMS_EV_MAP, 1)->prot, IMS_PROT_READ);
	cr_assert_eq(nth(r, IMS_EV_MAP, 2)->prot, IMS_PROT_WRITE);
	cr_assert_eq(nth(r, IMS_EV_DMA, 2)->flags, 0);
	cr_assert_eq(nth(r, IMS_EV_DMA, 3)->flags, IMS_EVF_WRITE);
	cr_assert_eq(nth(r, IMS_EV_DMA, 4)->iova, 0xbad000);
	cr_assert_eq(nth(r, IMS_EV_DMA, 4)->flags, IMS_EVF_WRITE, "abort, is_write=1");
	rec_free(r);
}

/* Older QEMU printed the stream ID in decimal and no stage. */
Test(convert, qemu_smmuv3_old_format)
{
	static const char text[] =
		"smmuv3_translate_success smmuv3-iommu-memory-region-0-16 sid=16 iova=0x10000 translated=0x42000000 perm=0x3\n";
	struct rec *r = converted(true, text);

	cr_assert_eq(nth(r, IMS_EV_DEVICE, 0)->sid, 16);
	cr_assert_eq(nth(r, IMS_EV_MAP, 0)->pa, 0x42000000);
	rec_free(r);
}

/* Without vtd_dmar_translate, the IOTLB lookups are the translations:
 * maps without an address (the simulator allocates one). */
Test(convert, qemu_vtd_iotlb_only)
{
	static const char text[] =
		"vtd_iotlb_page_update IOTLB page update sid 0x18 iova 0xfffff000 slpte 0x7f3a2003 domain 0x1\n"
		"vtd_iotlb_page_hit IOTLB page hit sid 0x18 iova 0xfffff040 slpte 0x7f3a2003 domain 0x1\n";
	struct rec *r = converted(true, text);

	cr_assert_eq(count(r, IMS_EV_MAP), 1);
	cr_assert_eq(nth(r, IMS_EV_MAP, 0)->flags, 0);
	cr_assert_eq(count(r, IMS_EV_DMA), 2);
	cr_assert_eq(nth(r, IMS_EV_DMA, 1)->iova, 0xfffff040);
	rec_free(r);
}

/* --- replay ------------------------------------------------------------------------- */

static const struct {
	const char *file;
	bool qemu;
	uint64_t dmas;
} replayed[] = {
	{ "trace-cmd-report.txt", false, 4 },
	{ "tracefs-trace.txt", false, 5 },
	{ "qemu-vtd.log", true, 7 },
	{ "qemu-amdvi.log", true, 4 },
	{ "qemu-smmuv3.log", true, 5 },
};

/* Each sample replays on every model; the one fault is the input's own
 * fault line: no synthesised DMA races the simulated host. */
Test(convert, samples_replay_on_every_model)
{
	for (size_t i = 0; i < sizeof(replayed) / sizeof(replayed[0]); i++) {
		struct ims_error err = { 0 };
		char in[512];
		const char *out = tmp("replay.trace");

		snprintf(in, sizeof(in), SAMPLES "%s", replayed[i].file);
		cr_assert_eq(convert_file(in, out, replayed[i].qemu, NULL, &err), 0, "%s", err.msg);
		for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
			struct ims_stats s = replay_file(models[m], out);

			cr_assert_eq(IMS_STAT_GET(&s, dma), replayed[i].dmas, "%s on %s",
				     replayed[i].file, models[m]);
			cr_assert_eq(IMS_STAT_GET(&s, faults), 1, "%s on %s: %llu faults",
				     replayed[i].file, models[m],
				     (unsigned long long)IMS_STAT_GET(&s, faults));
		}
	}
}

/* The DMA delay matters: issued right at its map, a DMA finds the
 * simulated host still pinning and faults, and the converter says how many
 * will; the automatic delay waits. */
Test(convert, dma_delay_zero_races_the_map)
{
	struct ims_ftrace_opts o = IMS_FTRACE_OPTS_INIT;
	struct ims_error err = { 0 };
	const char *out = tmp("race.trace");
	struct ims_stats s;
	struct rec *r;

	o.dma_delay = 0;
	r = sample(SAMPLES "tracefs-trace.txt", false, &o);
	cr_assert_eq(r->st.dma_early, 4);
	cr_assert_eq(convert_file(SAMPLES "tracefs-trace.txt", out, false, &o, &err), 0, "%s",
		     err.msg);
	for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
		s = replay_file(models[m], out);
		cr_assert_eq(IMS_STAT_GET(&s, faults), 1 + r->st.dma_early, "%s", models[m]);
	}
	rec_free(r);

	o.dma_delay = IMS_CONVERT_AUTO;
	r = sample(SAMPLES "tracefs-trace.txt", false, &o);
	cr_assert_eq(r->st.dma_early, 0);
	rec_free(r);
	o.dma_dir = IMS_CONVERT_DIR_NONE;
	cr_assert_eq(convert_file(SAMPLES "tracefs-trace.txt", out, false, &o, &err), 0, "%s",
		     err.msg);
	s = replay_file("vtd", out);
	cr_assert_eq(IMS_STAT_GET(&s, dma), 1, "--dma none: only the fault line's DMA");
}

/* --- determinism and compressed input ------------------------------------------------ */

static void same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);

	cr_assert_eq(na, nb, "%s and %s differ in size", a, b);
	cr_assert(!memcmp(x, y, na), "%s and %s differ", a, b);
	free(x);
	free(y);
}

static void gzip_file(const char *in, const char *out, size_t cut)
{
	size_t len;
	char *text = slurp(in, &len);
	gzFile gz = gzopen(out, "wb");
	char *z;
	FILE *f;

	cr_assert_not_null(gz);
	cr_assert_eq(gzwrite(gz, text, (unsigned)len), (int)len);
	gzclose(gz);
	free(text);
	if (!cut)
		return;
	z = slurp(out, &len);
	f = fopen(out, "wb");
	cr_assert_eq(fwrite(z, 1, len - cut, f), len - cut);
	fclose(f);
	free(z);
}

Test(convert, deterministic_and_gzip_input)
{
	for (size_t i = 0; i < sizeof(replayed) / sizeof(replayed[0]); i++) {
		struct ims_error err = { 0 };
		char in[512];

		snprintf(in, sizeof(in), SAMPLES "%s", replayed[i].file);
		cr_assert_eq(convert_file(in, tmp("a.trace"), replayed[i].qemu, NULL, &err), 0);
		cr_assert_eq(convert_file(in, tmp("b.trace"), replayed[i].qemu, NULL, &err), 0);
		same_file(tmp("a.trace"), tmp("b.trace"));
		gzip_file(in, tmp("in.gz"), 0);
		cr_assert_eq(convert_file(tmp("in.gz"), tmp("c.trace"), replayed[i].qemu, NULL,
					  &err), 0, "%s", err.msg);
		same_file(tmp("a.trace"), tmp("c.trace"));
		/* and the ELF container twice the same */
		cr_assert_eq(convert_file(in, tmp("a.elf"), replayed[i].qemu, NULL, &err), 0);
		cr_assert_eq(convert_file(in, tmp("b.elf"), replayed[i].qemu, NULL, &err), 0);
		same_file(tmp("a.elf"), tmp("b.elf"));
	}
}

Test(convert, truncated_gzip_input_fails)
{
	for (int qemu = 0; qemu < 2; qemu++) {
		struct ims_error err = { 0 };
		const char *in = qemu ? SAMPLES "qemu-vtd.log" : SAMPLES "trace-cmd-report.txt";
		const char *out = tmp("t.trace");
		FILE *f;

		gzip_file(in, tmp("cut.gz"), 12);
		cr_assert_lt(convert_file(tmp("cut.gz"), out, qemu, NULL, &err), 0);
		cr_assert_eq(err.code, IMS_EIO);
		cr_assert_not_null(strstr(err.msg, "truncated or corrupt gzip data"), "%s", err.msg);
		cr_assert_str_eq(err.path, tmp("cut.gz"));
		cr_assert_gt(err.line, 0);
		f = fopen(out, "r");
		cr_assert_null(f, "a failed conversion leaves no output");
	}
}

/* --- errors ----------------------------------------------------------------------------- */

/* Text that must fail with `code` (0: any) at `line`, saying msg. */
static void fails(bool qemu, const char *text, int code, uint64_t line, const char *msg)
{
	struct ims_error err = { 0 };
	struct rec *r = rec_new();
	int rc = qemu ? qemu_text(r, "bad.txt", text, NULL, &err) :
			ftrace_text(r, "bad.txt", text, NULL, &err);

	cr_assert_lt(rc, 0, "accepted: %s", text);
	cr_assert(!code || err.code == code, "%s", err.msg);
	cr_assert_str_eq(err.path, "bad.txt");
	cr_assert_eq(err.line, line, "%s", err.msg);
	cr_assert_not_null(strstr(err.msg, msg), "'%s' not in '%s'", msg, err.msg);
	rec_free(r);
}

#define PREFIX "  fio-4242 [002] 8061.402400: "

Test(convert, ftrace_errors_name_the_line)
{
	fails(false, "# tracer: nop\n" PREFIX "map: IOMMU: iova=0xfffg0000 paddr=0x1000 size=4096\n",
		     IMS_ESYNTAX, 2, "map: malformed fields");
	fails(false, PREFIX "unmap: IOMMU: iova=0x1000 size=4096\n", IMS_ESYNTAX, 1,
		     "unmap: malformed fields");
	fails(false, "x\n\n" PREFIX "map: IOMMU: iova=0x1000 - 0x3000 paddr=0x1000 size=4096\n",
		     IMS_EINVAL, 3, "end 0x3000 is not iova 0x1000 + size 0x1000");
	fails(false, PREFIX "map: IOMMU: iova=0x1800 paddr=0x1000 size=4096\n", IMS_EINVAL, 1,
		     "multiples of 4 KiB");
	fails(false, PREFIX "map: IOMMU: iova=0x1000000000000 paddr=0x1000 size=4096\n",
		     IMS_EINVAL, 1, "beyond the 48-bit IOVA space");
	fails(false, PREFIX "io_page_fault: IOMMU:nvme iova=0x1000\n", IMS_ESYNTAX, 1,
		     "io_page_fault: malformed");
	fails(false, PREFIX "add_device_to_group: IOMMU: groupID=x device=a\n", IMS_ESYNTAX, 1,
		     "add_device_to_group: malformed");
	fails(false, PREFIX "map: IOMMU: iova=0x1000 paddr=0x1000 size=99999999999999999999\n",
		     IMS_ESYNTAX, 1, "map: malformed");
}

Test(convert, qemu_errors_name_the_line)
{
	fails(true, "qemu: hello\nvtd_dmar_translate dev 00:03.00 iova zz -> gpa 0x1000 mask 0xfff\n",
	      IMS_ESYNTAX, 2, "vtd_dmar_translate: malformed fields");
	fails(true, "vtd_dmar_translate dev 00:33.00 iova 0x1000 -> gpa 0x1000 mask 0xfff\n",
	      IMS_ESYNTAX, 1, "vtd_dmar_translate: malformed");   /* slot 0x33 > 0x1f */
	fails(true, "smmuv3_translate_success mr sid=0x8 iova=0x1000 translated=0x1000 perm=0x7\n",
	      IMS_ESYNTAX, 1, "smmuv3_translate_success: malformed");
	fails(true, "1@1.5:amdvi_translation_result devid: 00:03.0 gpa 0x1000\n", IMS_ESYNTAX, 1,
	      "amdvi_translation_result: malformed");
	fails(true, "smmuv3_translate_success mr sid=0x8 iova=0x1000 translated=0x10000000000000 "
	      "perm=0x3\n", IMS_EINVAL, 1, "beyond 2^52");
}

/* Anything that is not a supported event is skipped, whatever its bytes;
 * a supported event on a line too long is an error. */
Test(convert, garbage_is_skipped_long_lines_fail)
{
	static const char junk[] = "\x01\x02\xff map: IOMMU:\0 \n\n:::: : :\n12@: vtd_x\n"
				   "  a-1 [000] 1.5: map: not iommu\n";
	struct ims_error err = { 0 };
	struct rec *r = rec_new();
	char *big = malloc(10000);

	cr_assert_eq(ims_convert_ftrace_mem("junk", junk, sizeof(junk) - 1, record, r, NULL, &err),
		     0, "%s", err.msg);
	cr_assert_eq(ims_convert_qemu_mem("junk", junk, sizeof(junk) - 1, record, r, NULL, &err),
		     0, "%s", err.msg);
	cr_assert_eq(r->n, 0);
	memset(big, 'x', 9999);
	big[9999] = 0;
	memcpy(big, PREFIX "map: IOMMU: iova=0x1000 paddr=0x1000 size=4096 ",
	       strlen(PREFIX "map: IOMMU: iova=0x1000 paddr=0x1000 size=4096 "));
	cr_assert_lt(ftrace_text(r, "big", big, NULL, &err), 0);
	cr_assert_not_null(strstr(err.msg, "line too long"), "%s", err.msg);
	free(big);
	rec_free(r);
}

/* --- options and the command ------------------------------------------------------------ */

Test(convert, options_by_name)
{
	struct ims_ftrace_opts f = IMS_FTRACE_OPTS_INIT;
	struct ims_qemu_opts q = IMS_QEMU_OPTS_INIT;
	struct ims_error err = { 0 };

	cr_assert_eq(ims_ftrace_opts_set(&f, "dma-delay", "0x100", &err), 0);
	cr_assert_eq(f.dma_delay, 0x100);
	cr_assert_eq(ims_ftrace_opts_set(&f, "dma-delay", "auto", &err), 0);
	cr_assert_eq(f.dma_delay, IMS_CONVERT_AUTO);
	cr_assert_eq(ims_ftrace_opts_set(&f, "domains", "group", &err), 0);
	cr_assert_eq(f.domains, IMS_CONVERT_DOMAINS_GROUP);
	cr_assert_lt(ims_ftrace_opts_set(&f, "domains", "device", &err), 0);
	cr_assert_not_null(strstr(err.msg, "--domains"));
	cr_assert_lt(ims_ftrace_opts_set(&f, "mhz", "12x", &err), 0);
	cr_assert_lt(ims_ftrace_opts_set(&f, "pgsizes", "0x200000", &err), 0);
	cr_assert_eq(ims_qemu_opts_set(&q, "dir", "write", &err), 0);
	cr_assert_eq(q.unknown_dir, IMS_CONVERT_DIR_WRITE);
	cr_assert_lt(ims_qemu_opts_set(&q, "dir", "none", &err), 0);
	cr_assert_lt(ims_qemu_opts_set(&q, "dma", "write", &err), 0);
	cr_assert_eq(ims_qemu_opts_set(&q, "mhz", "1000", &err), 0);
	cr_assert_eq(q.mhz, 1000);
}

Test(convert, command_line)
{
	char out[8192];

	cr_assert_eq(run(out, sizeof(out), "$T from-ftrace " SAMPLES "trace-cmd-report.txt -o f.trace"),
		     0, "%s", out);
	cr_assert_not_null(strstr(out, "dma_pulled"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T check f.trace"), 0, "%s", out);
	cr_assert_eq(run(out, sizeof(out),
			 "$T from-qemu " SAMPLES "qemu-smmuv3.log -o q.elf --dir=write --len 256 --mhz 1000"),
		     0, "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T cat q.elf | grep -c 'dma dev_00_01.0 write'"), 0,
		     "%s", out);
	cr_assert_str_eq(out, "2\n");
	/* a bad line: file:line on stderr, status 1, no output */
	cr_assert_eq(run(out, sizeof(out),
			 "printf 'a-1 [000] 1.0: map: IOMMU: iova=0x1 paddr=0x0 size=1\\n' > bad.txt && "
			 "$T from-ftrace bad.txt -o x.trace"), 1, "%s", out);
	cr_assert_not_null(strstr(out, "bad.txt:1: map:"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "test -e x.trace"), 1);
	cr_assert_eq(run(out, sizeof(out), "$T from-qemu in.log -o x.trace --dir sideways"), 2,
		     "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T from-ftrace only-input.txt"), 2, "%s", out);
}
