/* Tests for the text trace reader (sim/trace/trace.c, traces/FORMAT.md). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "models/model.h"
#include "sim/trace/trace.h"
#include "tests/sim/files.h"

/* Most tests are of version 1 traces, which every later reader takes. */
#define HDR "iommusim-trace 1\n"
#define HDR2 "iommusim-trace 2\n"
/* Header plus a device `a` and a domain `d`: lines 1-4. */
#define PRE HDR "device a\ndomain d\nattach a d\n"

/* --- helpers -------------------------------------------------------------- */

static struct ims_trace_reader *open_text(const char *text)
{
	struct ims_trace_reader *r = NULL;
	struct ims_error err = { 0 };
	char buf[1024];
	int rc = ims_trace_open_mem(&r, "t.trace", text, strlen(text), &err);

	cr_assert_eq(rc, 0, "open failed: %s", ims_error_format(&err, buf, sizeof(buf)));
	return r;
}

/* Names die with their reader: keep a copy for the event handed back. */
static struct ims_event keep_name(struct ims_event ev)
{
	static char name[64];

	if (ev.name) {
		snprintf(name, sizeof(name), "%s", ev.name);
		ev.name = name;
	}
	return ev;
}

/* The n-th event (0-based) of `text`. */
static struct ims_event event_at(const char *text, int n)
{
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	struct ims_event ev = { 0 };   /* (n < 0 would return it as it is) */
	char buf[1024];

	for (int i = 0; i <= n; i++) {
		int rc = ims_trace_next(r, &ev, &err);

		cr_assert_eq(rc, 1, "event %d: rc %d: %s", i, rc,
			     rc < 0 ? ims_error_format(&err, buf, sizeof(buf)) : "end");
	}
	ev = keep_name(ev);
	ims_trace_close(r);
	return ev;
}

/* Last event of a text that must parse cleanly. */
static struct ims_event last_event(const char *text)
{
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	struct ims_event ev, last;
	char buf[1024];
	int rc, n = 0;

	memset(&last, 0, sizeof(last));
	while ((rc = ims_trace_next(r, &ev, &err)) == 1) {
		last = ev;
		n++;
	}
	cr_assert_eq(rc, 0, "rc %d: %s", rc, ims_error_format(&err, buf, sizeof(buf)));
	cr_assert_gt(n, 0);
	last = keep_name(last);
	ims_trace_close(r);
	return last;
}

/* Read until the end or an error, from open_mem or a file; returns the final
 * code (0 or negative), fills err and counts events. */
static int drain(struct ims_trace_reader *r, struct ims_error *err, int *events)
{
	struct ims_event ev;
	int rc;

	*events = 0;
	while ((rc = ims_trace_next(r, &ev, err)) == 1)
		(*events)++;
	return rc;
}

static int run_text(const char *text, struct ims_error *err)
{
	struct ims_trace_reader *r = NULL;
	int n, rc = ims_trace_open_mem(&r, "t.trace", text, strlen(text), err);

	if (rc < 0) {
		cr_assert_null(r);
		return rc;
	}
	rc = drain(r, err, &n);
	ims_trace_close(r);
	return rc;
}

static void assert_error(int rc, const struct ims_error *err, int code,
			 const char *where, const char *want)
{
	char buf[1024];

	ims_error_format(err, buf, sizeof(buf));
	cr_assert_eq(rc, -code, "rc %d, want %d: %s", rc, -code, buf);
	cr_assert_eq(err->code, code, "%s", buf);
	cr_assert(strncmp(buf, where, strlen(where)) == 0, "'%s' does not start with '%s'",
		  buf, where);
	cr_assert(strstr(buf, want), "'%s' does not contain '%s'", buf, want);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* A temporary file with the text, gzip-compressed or plain. */
static void temp_trace(char path[64], const char *text, size_t len, bool gzip)
{
	int fd;

	strcpy(path, "/tmp/ims_trace_XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	if (gzip) {
		gzFile gz = gzdopen(fd, "wb6");

		cr_assert_not_null(gz);
		cr_assert_eq(gzwrite(gz, text, (unsigned)len), (int)len);
		cr_assert_eq(gzclose(gz), Z_OK);
	} else {
		close(fd);
		write_file(path, text, len);
	}
}

/* Many lines with pseudo-random addresses, so gzip cannot shrink them to a
 * few bytes and a cut lands well inside the deflate stream. */
static char *many_lines(unsigned n, size_t *len)
{
	size_t cap = 64 + (size_t)n * 64;
	char *t = malloc(cap);
	size_t at = (size_t)snprintf(t, cap, PRE);
	uint64_t x = 88172645463325252u;

	for (unsigned i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		at += (size_t)snprintf(t + at, cap - at, "+%u dma a %s 0x%llx %u\n",
				       (unsigned)(x % 50), (x & 1) ? "write" : "read",
				       (unsigned long long)(x >> 20), (unsigned)(x % 4096) + 1);
	}
	*len = at;
	return t;
}

/* --- every keyword into the right fields ---------------------------------- */

Test(trace, device_default_sid_is_index)
{
	struct ims_event ev = event_at(HDR "device x\ndevice y\n", 1);

	cr_assert_eq(ev.kind, IMS_EV_DEVICE);
	cr_assert_eq(ev.device, 1);
	cr_assert_eq(ev.sid, 1);
	cr_assert_str_eq(ev.name, "y");
	cr_assert_eq(ev.line, 3);
	cr_assert_eq(ev.time, 0);
}

Test(trace, device_explicit_sid)
{
	struct ims_event ev = event_at(HDR "device nic.0-a sid=0xffff\n", 0);

	cr_assert_eq(ev.kind, IMS_EV_DEVICE);
	cr_assert_eq(ev.device, 0);
	cr_assert_eq(ev.sid, 0xffff);
	cr_assert_str_eq(ev.name, "nic.0-a");
}

/* ats= and ats_inv= (version 2): the flag, entries in len, cycles in
 * period; a device without them has all three zero. */
Test(trace, device_ats_options)
{
	static const char text[] = HDR2 "device a ats=64\n"
				   "device b ats_inv=0x1000 sid=9 ats=65536\n"
				   "device c\ndevice d ats=1 ats_inv=4294967295\n";
	struct ims_event a = event_at(text, 0), b = event_at(text, 1), c, d;

	cr_assert_str_eq(b.name, "b");   /* before the next event_at reuses the name */
	cr_assert_eq(a.flags, IMS_EVF_ATS);
	cr_assert_eq(a.len, 64);
	cr_assert_eq(a.period, 0, "no ats_inv: the run's default");
	cr_assert_eq(a.sid, 0);
	cr_assert_eq(b.flags, IMS_EVF_ATS);
	cr_assert_eq(b.len, 65536);
	cr_assert_eq(b.period, 0x1000);
	cr_assert_eq(b.sid, 9);
	c = event_at(text, 2);
	d = event_at(text, 3);
	cr_assert_eq(c.flags, 0);
	cr_assert_eq(c.len, 0);
	cr_assert_eq(c.period, 0);
	cr_assert_eq(d.len, 1);
	cr_assert_eq(d.period, UINT32_MAX);
}

/* Both versions read, and the reader says which one the file is. */
Test(trace, version_of_the_header)
{
	static const char *const text[] = { HDR "device a\n", HDR2 "device a\n",
					    "# c\niommusim-trace 0x2\n" };
	static const unsigned want[] = { 1, 2, 2 };

	for (int i = 0; i < 3; i++) {
		struct ims_trace_reader *r = open_text(text[i]);

		cr_assert_eq(ims_trace_version(r), want[i], "%s", text[i]);
		ims_trace_close(r);
	}
	/* v2 reads a v1 line the same way */
	cr_assert_eq(last_event(HDR2 "device a sid=3\ndomain d\nattach a d\n"
				"map d 0 4K pa=8K\n").pa, 8192);
}

Test(trace, domain_fields)
{
	static const char text[] = HDR "domain d1\ndomain _d2 iova_bits=57\n";
	struct ims_event a = event_at(text, 0), b;

	cr_assert_eq(a.kind, IMS_EV_DOMAIN);
	cr_assert_eq(a.domain, 0);
	cr_assert_eq(a.iova_bits, 48);
	cr_assert_str_eq(a.name, "d1");
	b = event_at(text, 1);
	cr_assert_eq(b.domain, 1);
	cr_assert_eq(b.iova_bits, 57);
	cr_assert_str_eq(b.name, "_d2");
}

Test(trace, device_and_domain_namespaces_are_separate)
{
	struct ims_event ev = event_at(HDR "device x\ndomain x\nattach x x\n", 2);

	cr_assert_eq(ev.kind, IMS_EV_ATTACH);
	cr_assert_eq(ev.device, 0);
	cr_assert_eq(ev.domain, 0);
}

Test(trace, attach_fields)
{
	struct ims_event ev = event_at(HDR "device a\ndevice b\ndomain p\ndomain q\n"
				       "attach b q\n", 4);

	cr_assert_eq(ev.kind, IMS_EV_ATTACH);
	cr_assert_eq(ev.device, 1);
	cr_assert_eq(ev.domain, 1);
	cr_assert_null(ev.name);
	cr_assert_eq(ev.line, 6);
}

Test(trace, map_defaults)
{
	struct ims_event ev = last_event(PRE "map d 0x200000 2M\n");

	cr_assert_eq(ev.kind, IMS_EV_MAP);
	cr_assert_eq(ev.domain, 0);
	cr_assert_eq(ev.iova, 0x200000);
	cr_assert_eq(ev.len, 2u << 20);
	cr_assert_eq(ev.prot, IMS_PROT_READ | IMS_PROT_WRITE);
	cr_assert_eq(ev.flags, 0);
	cr_assert_eq(ev.pa, 0);
}

Test(trace, map_options_any_order)
{
	struct ims_event a = last_event(PRE "map d 4K 8K pa=0x40000000 prot=r\n");
	struct ims_event b = last_event(PRE "map d 4K 8K prot=w pa=1G\n");
	struct ims_event c = last_event(PRE "map d 4K 8K prot=rw\n");

	cr_assert_eq(a.flags, IMS_EVF_HAS_PA);
	cr_assert_eq(a.pa, 0x40000000);
	cr_assert_eq(a.prot, IMS_PROT_READ);
	cr_assert_eq(a.iova, 4096);
	cr_assert_eq(a.len, 8192);
	cr_assert_eq(b.flags, IMS_EVF_HAS_PA);
	cr_assert_eq(b.pa, 1u << 30);
	cr_assert_eq(b.prot, IMS_PROT_WRITE);
	cr_assert_eq(c.prot, IMS_PROT_READ | IMS_PROT_WRITE);
}

Test(trace, map_at_top_of_57_bit_domain)
{
	struct ims_event ev = last_event(HDR "domain d iova_bits=57\n"
					 "map d 0x1fffffffffff000 4K pa=0xffffffffff000\n");

	cr_assert_eq(ev.iova, 0x1fffffffffff000ull);
	cr_assert_eq(ev.pa, 0xffffffffff000ull);
}

Test(trace, unmap_fields)
{
	struct ims_event ev = last_event(PRE "unmap d 0x1000 0x3000\n");

	cr_assert_eq(ev.kind, IMS_EV_UNMAP);
	cr_assert_eq(ev.domain, 0);
	cr_assert_eq(ev.iova, 0x1000);
	cr_assert_eq(ev.len, 0x3000);
}

Test(trace, dma_read_and_write)
{
	struct ims_event r = last_event(PRE "dma a read 0x1003 5\n");
	struct ims_event w = last_event(PRE "dma a write 0xfff 1G\n");

	cr_assert_eq(r.kind, IMS_EV_DMA);
	cr_assert_eq(r.device, 0);
	cr_assert_eq(r.flags, 0);
	cr_assert_eq(r.iova, 0x1003);
	cr_assert_eq(r.len, 5);
	cr_assert_eq(w.flags, IMS_EVF_WRITE);
	cr_assert_eq(w.iova, 0xfff);
	cr_assert_eq(w.len, 1u << 30);
}

Test(trace, dma_may_reach_beyond_domain_width)
{
	/* Faults are simulated behaviour, not trace errors. */
	struct ims_event ev = last_event(PRE "dma a read 0xffffffffff000000 4K\n");

	cr_assert_eq(ev.iova, 0xffffffffff000000ull);
}

Test(trace, dirty_tracking_on_off)
{
	struct ims_event on = last_event(PRE "dirty-tracking d on\n");
	struct ims_event off = last_event(PRE "dirty-tracking d off\n");

	cr_assert_eq(on.kind, IMS_EV_DIRTY_TRACKING);
	cr_assert_eq(on.flags, IMS_EVF_ON);
	cr_assert_eq(on.domain, 0);
	cr_assert_eq(off.flags, 0);
}

Test(trace, get_dirty_fields)
{
	struct ims_event a = last_event(PRE "get-dirty d 0 64K\n");
	struct ims_event b = last_event(PRE "get-dirty d 0 4M no_clear page=2M\n");
	struct ims_event c = last_event(PRE "get-dirty d 1G 1G page=1G\n");

	cr_assert_eq(a.kind, IMS_EV_GET_DIRTY);
	cr_assert_eq(a.page_lg2, 12);
	cr_assert_eq(a.flags, 0);
	cr_assert_eq(a.len, 65536);
	cr_assert_eq(b.page_lg2, 21);
	cr_assert_eq(b.flags, IMS_EVF_NO_CLEAR);
	cr_assert_eq(c.page_lg2, 30);
	cr_assert_eq(c.iova, 1u << 30);
}

Test(trace, dirty_unmap_fields)
{
	struct ims_event a = last_event(PRE "dirty-unmap d 2M 2M\n");
	struct ims_event b = last_event(PRE "dirty-unmap d 2M 2M page=0x10000\n");

	cr_assert_eq(a.kind, IMS_EV_DIRTY_UNMAP);
	cr_assert_eq(a.domain, 0);
	cr_assert_eq(a.iova, 2u << 20);
	cr_assert_eq(a.len, 2u << 20);
	cr_assert_eq(a.page_lg2, 12);
	cr_assert_eq(b.page_lg2, 16);
}

Test(trace, event_is_zeroed_between_kinds)
{
	struct ims_trace_reader *r = open_text(PRE "map d 0 4K pa=8K prot=r\nunmap d 0 4K\n");
	struct ims_error err = { 0 };
	struct ims_event ev;

	for (int i = 0; i < 5; i++)
		cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ev.kind, IMS_EV_UNMAP);
	cr_assert_eq(ev.pa, 0);
	cr_assert_eq(ev.prot, 0);
	cr_assert_eq(ev.flags, 0);
	cr_assert_null(ev.name);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 0);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 0, "end stays the end");
	ims_trace_close(r);
}

/* --- numbers -------------------------------------------------------------- */

/* Parameters are copied into the test's own process, where the addresses of
 * string literals may differ: strings are kept inline. */
struct num_case {
	char tok[24];
	unsigned long long value;
};

ParameterizedTestParameters(trace, number_syntax)
{
	static struct num_case cases[] = {
		{ "4096", 4096 }, { "0x1000", 0x1000 }, { "0X1000", 0x1000 },
		{ "4K", 4096 }, { "0x4K", 0x1000 }, { "2M", 2u << 20 },
		{ "1G", 1u << 30 }, { "1T", 1ull << 40 }, { "0x0000000000001000", 4096 },
		{ "0xfffffffffffff000", 0xfffffffffffff000ull }, { "16777215T", 16777215ull << 40 },
	};

	return cr_make_param_array(struct num_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct num_case *c, trace, number_syntax)
{
	char text[256];
	struct ims_event ev;

	/* As a DMA address: any value, any alignment. */
	snprintf(text, sizeof(text), PRE "dma a read %s 1\n", c->tok);
	ev = last_event(text);
	cr_assert_eq(ev.iova, c->value, "%s -> 0x%llx", c->tok, (unsigned long long)ev.iova);
}

/* --- time ----------------------------------------------------------------- */

Test(trace, time_absolute_relative_and_inherited)
{
	static const char text[] = PRE
		"dma a read 0 1\n"        /* 0 */
		"@100 dma a read 0 1\n"   /* 100 */
		"dma a read 0 1\n"        /* 100: same as previous line */
		"+5 dma a read 0 1\n"     /* 105 */
		"+0 dma a read 0 1\n"     /* 105 */
		"@105 dma a read 0 1\n"   /* 105: equal is fine */
		"@0x1000 map d 0 4K\n"    /* 4096 */
		"+0x10 unmap d 0 4K\n";   /* 4112 */
	static const uint64_t want[] = { 0, 0, 0, 0, 100, 100, 105, 105, 105, 4096, 4112 };
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	struct ims_event ev;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
		cr_assert_eq(ev.time, want[i], "event %zu: time %llu", i,
			     (unsigned long long)ev.time);
	}
	cr_assert_eq(ims_trace_next(r, &ev, &err), 0);
	ims_trace_close(r);
}

Test(trace, time_on_declarations)
{
	struct ims_event ev = event_at(HDR "@7 device a\n+3 domain d\n", 1);

	cr_assert_eq(ev.time, 10);
}

/* --- comments, blank lines, line numbers ---------------------------------- */

Test(trace, comments_blank_lines_and_line_numbers)
{
	static const char text[] =
		"# leading comment\n"
		"\n"
		"   \t  \n"
		"iommusim-trace 1   # header may carry a comment\n"
		"#device nope\n"
		"\tdevice   a\t\tsid=3#comment right after a token\n"
		"\n"
		"domain d # trailing\r\n"
		"attach a d";   /* no final newline */
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	struct ims_event ev;

	cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ev.kind, IMS_EV_DEVICE);
	cr_assert_eq(ev.sid, 3);
	cr_assert_eq(ev.line, 6);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ev.kind, IMS_EV_DOMAIN);
	cr_assert_eq(ev.line, 8);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ev.kind, IMS_EV_ATTACH);
	cr_assert_eq(ev.line, 9);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 0);
	ims_trace_close(r);
}

Test(trace, line_of_exactly_4096_chars_is_fine)
{
	char *text = malloc(8192);
	size_t at = (size_t)sprintf(text, HDR "device a");

	/* "device a " + comment padded so the line is 4096 characters. */
	text[at++] = ' ';
	text[at++] = '#';
	while (at - strlen(HDR) < 4096)
		text[at++] = 'x';
	strcpy(text + at, "\ndomain d\n");
	cr_assert_eq(last_event(text).kind, IMS_EV_DOMAIN);
	free(text);
}

/* --- names ---------------------------------------------------------------- */

Test(trace, names_by_index_and_stable_pointers)
{
	size_t cap = 3000 * 24 + 64;
	char *text = malloc(cap);
	size_t at = (size_t)snprintf(text, cap, HDR);
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_event ev;
	const char *first = NULL;

	for (int i = 0; i < 3000; i++)
		at += (size_t)snprintf(text + at, cap - at, "domain dom%d\n", i);
	snprintf(text + at, cap - at, "device dev\nattach dev dom2999\n");
	r = open_text(text);
	for (int i = 0; i < 3000; i++) {
		cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
		cr_assert_eq(ev.domain, (uint32_t)i);
		if (!i)
			first = ev.name;
	}
	cr_assert_str_eq(first, "dom0", "first name moved while the table grew");
	cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ims_trace_next(r, &ev, &err), 1);
	cr_assert_eq(ev.domain, 2999);
	cr_assert_str_eq(ims_trace_domain_name(r, 1234), "dom1234");
	cr_assert_eq(ims_trace_domain_name(r, 0), first);
	cr_assert_str_eq(ims_trace_device_name(r, 0), "dev");
	cr_assert_null(ims_trace_device_name(r, 1));
	cr_assert_null(ims_trace_domain_name(r, 3000));
	cr_assert_str_eq(ims_trace_path(r), "t.trace");
	ims_trace_close(r);
	free(text);
}

Test(trace, name_of_63_chars)
{
	static const char n63[] =
		"a23456789012345678901234567890123456789012345678901234567890123";
	char text[256];

	snprintf(text, sizeof(text), HDR "device %s\n", n63);
	cr_assert_str_eq(last_event(text).name, n63);
}

Test(trace, kind_names)
{
	static const char *const want[IMS_EV_KIND_COUNT] = {
		[IMS_EV_DEVICE] = "device", [IMS_EV_DOMAIN] = "domain",
		[IMS_EV_ATTACH] = "attach", [IMS_EV_MAP] = "map",
		[IMS_EV_UNMAP] = "unmap", [IMS_EV_DMA] = "dma",
		[IMS_EV_DIRTY_TRACKING] = "dirty-tracking",
		[IMS_EV_GET_DIRTY] = "get-dirty", [IMS_EV_DIRTY_UNMAP] = "dirty-unmap",
		[IMS_EV_PRECOPY] = "precopy", [IMS_EV_STOP_COPY] = "stop-copy",
		[IMS_EV_IOAS] = "ioas", [IMS_EV_IOAS_MAP] = "ioas-map",
		[IMS_EV_IOAS_UNMAP] = "ioas-unmap", [IMS_EV_IOAS_COPY] = "ioas-copy",
		[IMS_EV_IOAS_ATTACH] = "ioas-attach", [IMS_EV_IOAS_DETACH] = "ioas-detach",
		[IMS_EV_ACCESS_PIN] = "access-pin", [IMS_EV_ACCESS_UNPIN] = "access-unpin",
		[IMS_EV_CPU_READ] = "cpu-read", [IMS_EV_CPU_WRITE] = "cpu-write",
	};

	for (int k = 0; k < IMS_EV_KIND_COUNT; k++)
		cr_assert_str_eq(ims_ev_kind_name((enum ims_ev_kind)k), want[k]);
	cr_assert_not_null(ims_ev_kind_name(IMS_EV_KIND_COUNT));
}

/* --- errors: message, location, code -------------------------------------- */

struct err_case {
	char text[160];
	int code;
	char where[16];      /* the formatted message starts with this */
	char want[80];       /* and contains this */
};

ParameterizedTestParameters(trace, errors)
{
	static struct err_case cases[] = {
		/* header */
		{ "iommusim-trace 3\n", IMS_EINVAL, "t.trace:1: ",
		  "unsupported trace version 3 (this build reads 1 to 2)" },
		{ "# c\n\niommusim-trace 0x10\n", IMS_EINVAL, "t.trace:3: ",
		  "unsupported trace version 16" },
		{ "device a\n", IMS_ESYNTAX, "t.trace:1: ", "missing header" },
		{ "# only\n# comments\n", IMS_ESYNTAX, "t.trace:2: ", "empty trace" },
		{ "", IMS_ESYNTAX, "t.trace: ", "empty trace" },
		{ "iommusim-trace\n", IMS_ESYNTAX, "t.trace:1: ", "bad header" },
		{ "iommusim-trace 1 extra\n", IMS_ESYNTAX, "t.trace:1: ", "bad header" },
		/* syntax */
		{ PRE "map d 0x1000\n", IMS_ESYNTAX, "t.trace:5: ",
		  "map: expected DOMAIN IOVA LEN [pa=PA] [prot=r|w|rw]" },
		{ PRE "map d pa=0 4K\n", IMS_ESYNTAX, "t.trace:5: ", "map: expected DOMAIN" },
		{ PRE "attach a\n", IMS_ESYNTAX, "t.trace:5: ", "attach: expected DEVICE DOMAIN" },
		{ PRE "unmap d 0 4K 8K\n", IMS_ESYNTAX, "t.trace:5: ",
		  "unmap: unexpected argument '8K' (expected DOMAIN IOVA LEN)" },
		{ PRE "dma a read 0 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n", IMS_ESYNTAX,
		  "t.trace:5: ", "dma: expected DEVICE read|write IOVA LEN" },
		{ PRE "mapp d 0 4K\n", IMS_ESYNTAX, "t.trace:5: ", "unknown keyword 'mapp'" },
		{ PRE "iommusim-trace 1\n", IMS_ESYNTAX, "t.trace:5: ",
		  "unknown keyword 'iommusim-trace'" },
		{ PRE "map d 0 4K foo=1\n", IMS_ESYNTAX, "t.trace:5: ",
		  "unknown option 'foo' for map" },
		{ PRE "unmap d 0 4K pa=0\n", IMS_ESYNTAX, "t.trace:5: ",
		  "unknown option 'pa' for unmap" },
		{ PRE "map d 0 4K prot=r prot=w\n", IMS_ESYNTAX, "t.trace:5: ",
		  "duplicate option 'prot' for map" },
		{ PRE "get-dirty d 0 4K no_clear=1\n", IMS_ESYNTAX, "t.trace:5: ",
		  "option 'no_clear' for get-dirty takes no value" },
		{ PRE "map d 0 4K pa\n", IMS_ESYNTAX, "t.trace:5: ",
		  "option 'pa' for map needs a value" },
		{ PRE "map d 0 4K prot=x\n", IMS_ESYNTAX, "t.trace:5: ", "invalid prot 'x'" },
		{ PRE "dma a rd 0 4\n", IMS_ESYNTAX, "t.trace:5: ",
		  "dma: expected read or write, not 'rd'" },
		{ PRE "dirty-tracking d yes\n", IMS_ESYNTAX, "t.trace:5: ",
		  "expected on or off, not 'yes'" },
		{ PRE "map d 0xg000 4K\n", IMS_ESYNTAX, "t.trace:5: ", "map: invalid iova '0xg000'" },
		{ PRE "map d 0 4k\n", IMS_ESYNTAX, "t.trace:5: ", "map: invalid len '4k'" },
		{ PRE "map d 0 -4K\n", IMS_ESYNTAX, "t.trace:5: ", "map: invalid len '-4K'" },
		{ PRE "map d 0x 4K\n", IMS_ESYNTAX, "t.trace:5: ", "map: invalid iova '0x'" },
		{ PRE "@1K dma a read 0 1\n", IMS_ESYNTAX, "t.trace:5: ", "invalid time '@1K'" },
		{ PRE "+ dma a read 0 1\n", IMS_ESYNTAX, "t.trace:5: ", "invalid time '+'" },
		{ PRE "@5\n", IMS_ESYNTAX, "t.trace:5: ", "missing keyword after time prefix" },
		{ HDR "device 9a\n", IMS_ESYNTAX, "t.trace:2: ", "device: invalid name '9a'" },
		{ HDR "domain a/b\n", IMS_ESYNTAX, "t.trace:2: ", "domain: invalid name 'a/b'" },
		{ HDR "device "
		  "a234567890123456789012345678901234567890123456789012345678901234\n",
		  IMS_ESYNTAX, "t.trace:2: ", "is longer than 63 characters" },
		/* unknown names */
		{ PRE "dma x read 0 4\n", IMS_ENOENT, "t.trace:5: ", "unknown device 'x'" },
		{ PRE "map nod 0 4K\n", IMS_ENOENT, "t.trace:5: ", "unknown domain 'nod'" },
		{ PRE "attach a e\n", IMS_ENOENT, "t.trace:5: ", "unknown domain 'e'" },
		{ PRE "attach d d\n", IMS_ENOENT, "t.trace:5: ", "unknown device 'd'" },
		/* redeclaration */
		{ PRE "\ndevice a\n", IMS_EEXIST, "t.trace:6: ",
		  "device 'a' already declared at line 2" },
		{ PRE "domain d iova_bits=57\n", IMS_EEXIST, "t.trace:5: ",
		  "domain 'd' already declared at line 3" },
		{ HDR "device a sid=7\ndevice b sid=7\n", IMS_EEXIST, "t.trace:3: ",
		  "sid 0x7 is already used by device 'a' (line 2)" },
		{ HDR "device a sid=1\ndevice b\n", IMS_EEXIST, "t.trace:3: ",
		  "sid 0x1 is already used by device 'a'" },
		/* values out of range */
		{ PRE "map d 0x1001 4K\n", IMS_EINVAL, "t.trace:5: ",
		  "map: iova 0x1001 is not 4 KiB aligned" },
		{ PRE "unmap d 0 0x800\n", IMS_EINVAL, "t.trace:5: ",
		  "unmap: len 0x800 is not 4 KiB aligned" },
		{ PRE "get-dirty d 2K 4K\n", IMS_EINVAL, "t.trace:5: ",
		  "get-dirty: iova 0x800 is not 4 KiB aligned" },
		{ PRE "map d 0 4K pa=0x1800\n", IMS_EINVAL, "t.trace:5: ",
		  "map: pa 0x1800 is not 4 KiB aligned" },
		{ PRE "map d 0 8K pa=0xffffffffff000\n", IMS_EINVAL, "t.trace:5: ",
		  "beyond 2^52" },
		{ PRE "map d 0 0\n", IMS_EINVAL, "t.trace:5: ", "map: len must not be 0" },
		{ PRE "dirty-unmap d 0 0x0\n", IMS_EINVAL, "t.trace:5: ",
		  "dirty-unmap: len must not be 0" },
		{ PRE "dma a write 0 0\n", IMS_EINVAL, "t.trace:5: ", "dma: len must not be 0" },
		{ PRE "dma a write 0 0x40000001\n", IMS_EINVAL, "t.trace:5: ",
		  "larger than 1 GiB" },
		{ PRE "dma a read 0xffffffffffffffff 2\n", IMS_EINVAL, "t.trace:5: ",
		  "wraps past 2^64" },
		{ PRE "map d 0xfffffffffffff000 4K\n", IMS_EINVAL, "t.trace:5: ",
		  "wraps past 2^64" },
		{ PRE "map d 0xfffffffff000 8K\n", IMS_EINVAL, "t.trace:5: ",
		  "beyond the 48-bit IOVA space of domain 'd'" },
		{ PRE "get-dirty d 0 4K page=3K\n", IMS_EINVAL, "t.trace:5: ",
		  "must be a power of two from 4K to 1G" },
		{ PRE "dirty-unmap d 0 4K page=2G\n", IMS_EINVAL, "t.trace:5: ",
		  "must be a power of two" },
		{ PRE "get-dirty d 0 4K page=2K\n", IMS_EINVAL, "t.trace:5: ",
		  "must be a power of two" },
		{ PRE "get-dirty d 4K 8K page=8K\n", IMS_EINVAL, "t.trace:5: ",
		  "iova 0x1000 and len 0x2000 must be multiples of page 0x2000" },
		{ PRE "dirty-unmap d 2M 1M page=2M\n", IMS_EINVAL, "t.trace:5: ",
		  "must be multiples of page 0x200000" },
		{ HDR "device a sid=0x10000\n", IMS_EINVAL, "t.trace:2: ",
		  "sid 0x10000 out of range" },
		{ HDR "domain d iova_bits=39\n", IMS_EINVAL, "t.trace:2: ",
		  "iova_bits must be 48 or 57, not 39" },
		/* ATS options of a device (version 2) */
		{ HDR2 "device a ats=0\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats 0 out of range (1..65536)" },
		{ HDR2 "device a ats=65537\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats 65537 out of range (1..65536)" },
		{ HDR2 "device a ats=64 ats_inv=0\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats_inv 0 out of range (1..4294967295)" },
		{ HDR2 "device a ats_inv=0x100000000 ats=64\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats_inv 4294967296 out of range (1..4294967295)" },
		{ HDR2 "device a\ndevice b ats_inv=500\n", IMS_ESYNTAX, "t.trace:3: ",
		  "device: ats_inv needs ats=ENTRIES" },
		{ HDR2 "device a ats=8 ats=16\n", IMS_ESYNTAX, "t.trace:2: ",
		  "duplicate option 'ats' for device" },
		{ HDR2 "device a ats=8 ats_inv=1 ats_inv=2\n", IMS_ESYNTAX, "t.trace:2: ",
		  "duplicate option 'ats_inv' for device" },
		{ HDR2 "device a ats=4K\n", IMS_ESYNTAX, "t.trace:2: ",
		  "device: invalid ats '4K' (decimal or 0x-hex)" },
		{ HDR2 "device a ats_inv=1e3 ats=4\n", IMS_ESYNTAX, "t.trace:2: ",
		  "device: invalid ats_inv '1e3'" },
		{ HDR2 "device a ats\n", IMS_ESYNTAX, "t.trace:2: ",
		  "option 'ats' for device needs a value (ats=...)" },
		{ HDR2 "device a ats=99999999999999999999\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats '99999999999999999999' does not fit in 64 bits" },
		{ HDR2 "device a atc=4\n", IMS_ESYNTAX, "t.trace:2: ",
		  "unknown option 'atc' for device" },
		{ HDR2 "domain d ats=4\n", IMS_ESYNTAX, "t.trace:2: ",
		  "unknown option 'ats' for domain" },
		{ HDR "device a\n\ndevice b ats=64\n", IMS_EINVAL, "t.trace:4: ",
		  "device: ats= needs trace version 2 (this trace is version 1)" },
		{ HDR "device b ats_inv=10\n", IMS_EINVAL, "t.trace:2: ",
		  "device: ats_inv= needs trace version 2 (this trace is version 1)" },
		/* number overflow */
		{ PRE "dma a read 0x10000000000000000 4\n", IMS_EINVAL, "t.trace:5: ",
		  "dma: iova '0x10000000000000000' does not fit in 64 bits" },
		{ PRE "dma a read 18446744073709551616 4\n", IMS_EINVAL, "t.trace:5: ",
		  "does not fit in 64 bits" },
		{ PRE "map d 0 16777216T\n", IMS_EINVAL, "t.trace:5: ",
		  "map: len '16777216T' does not fit in 64 bits" },
		{ PRE "@18446744073709551616 dma a read 0 1\n", IMS_EINVAL, "t.trace:5: ",
		  "does not fit in 64 bits" },
		{ PRE "@0xffffffffffffffff dma a read 0 1\n+1 dma a read 0 1\n", IMS_EINVAL,
		  "t.trace:6: ", "overflows 64 bits" },
		/* iommufd objects */
		{ PRE "ioas-map vm 0 4K\n", IMS_ENOENT, "t.trace:5: ", "unknown ioas 'vm'" },
		{ HDR "domain d ioas=vm\n", IMS_ENOENT, "t.trace:2: ", "unknown ioas 'vm'" },
		{ HDR "ioas vm\nioas vm\n", IMS_EEXIST, "t.trace:3: ",
		  "ioas 'vm' already declared at line 2" },
		{ HDR "ioas vm\nioas-map vm 0x800 4K\n", IMS_EINVAL, "t.trace:3: ",
		  "ioas-map: iova 0x800 is not 4 KiB aligned" },
		{ HDR "ioas vm\nioas-unmap vm 0 0\n", IMS_EINVAL, "t.trace:3: ",
		  "ioas-unmap: len must not be 0" },
		{ HDR "ioas vm\nioas-map vm 0 4K pa=0x10\n", IMS_EINVAL, "t.trace:3: ",
		  "ioas-map: pa 0x10 is not 4 KiB aligned" },
		{ HDR "ioas vm\nioas-copy vm 0 vm 4K\n", IMS_ESYNTAX, "t.trace:3: ",
		  "ioas-copy: expected SRC_IOAS SRC_IOVA DST_IOAS DST_IOVA LEN" },
		{ HDR "ioas vm\nioas-copy vm 0 vm 0x1800 4K\n", IMS_EINVAL, "t.trace:3: ",
		  "ioas-copy: iova 0x1800 is not 4 KiB aligned" },
		{ HDR "ioas vm\nioas-copy vm 0 other 0 4K\n", IMS_ENOENT, "t.trace:3: ",
		  "unknown ioas 'other'" },
		{ HDR "ioas vm\nioas-copy vm 0 vm 8K 4K prot=x\n", IMS_ESYNTAX, "t.trace:3: ",
		  "ioas-copy: invalid prot 'x'" },
		{ HDR "ioas vm\nioas-attach nodom vm\n", IMS_ENOENT, "t.trace:3: ",
		  "unknown domain 'nodom'" },
		{ HDR "ioas vm\naccess-pin vm 0 4K extra\n", IMS_ESYNTAX, "t.trace:3: ",
		  "unexpected argument 'extra'" },
		/* time */
		{ PRE "@100 dma a read 0 4\n\n@50 dma a read 0 4\n", IMS_EINVAL, "t.trace:7: ",
		  "time goes backwards (@50 after @100)" },
		{ PRE "+100 dma a read 0 4\n+1 dma a read 0 4\n@100 map d 0 4K\n", IMS_EINVAL,
		  "t.trace:7: ", "time goes backwards (@100 after @101)" },
	};

	return cr_make_param_array(struct err_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct err_case *c, trace, errors)
{
	struct ims_error err = { 0 };
	int rc = run_text(c->text, &err);

	assert_error(rc, &err, c->code, c->where, c->want);
}

Test(trace, error_is_sticky)
{
	struct ims_trace_reader *r = open_text(PRE "mapp d 0 4K\nmap d 0 4K\n");
	struct ims_error err = { 0 };
	struct ims_event ev;
	int n;

	cr_assert_eq(drain(r, &err, &n), -IMS_ESYNTAX);
	cr_assert_eq(n, 3);
	/* A fresh error struct gets the same error again, same location. */
	for (int i = 0; i < 3; i++) {
		struct ims_error again = { 0 };

		cr_assert_eq(ims_trace_next(r, &ev, &again), -IMS_ESYNTAX);
		assert_error(-IMS_ESYNTAX, &again, IMS_ESYNTAX, "t.trace:5: ",
			     "unknown keyword 'mapp'");
	}
	cr_assert_eq(ims_trace_next(r, &ev, NULL), -IMS_ESYNTAX, "NULL err is allowed");
	ims_trace_close(r);
}

Test(trace, stale_location_in_reused_error_is_replaced)
{
	struct ims_error err = { 0 };
	int rc;

	strcpy(err.path, "old.trace");
	err.line = 99;
	rc = run_text(PRE "bogus\n", &err);
	assert_error(rc, &err, IMS_ESYNTAX, "t.trace:5: ", "unknown keyword 'bogus'");
}

Test(trace, overlong_line)
{
	char *text = malloc(8192);
	size_t at = (size_t)sprintf(text, PRE "dma a read 0 1 ");
	struct ims_error err = { 0 };
	int rc;

	text[at++] = '#';
	while (at - strlen(PRE) < 4097)
		text[at++] = 'x';
	strcpy(text + at, "\ndomain e\n");
	rc = run_text(text, &err);
	assert_error(rc, &err, IMS_ESYNTAX, "t.trace:5: ",
		     "line too long (more than 4096 characters)");
	free(text);
}

Test(trace, overlong_last_line_without_newline)
{
	size_t len = 1u << 20;
	char *text = malloc(len + 1);
	struct ims_error err = { 0 };
	int rc;

	memset(text, 'y', len);
	memcpy(text, HDR, strlen(HDR));
	text[len] = '\0';
	rc = run_text(text, &err);
	assert_error(rc, &err, IMS_ESYNTAX, "t.trace:2: ", "line too long");
	free(text);
}

/* --- files: plain, gzip, damaged, missing --------------------------------- */

/* Every event of two readers must agree, names compared by text. */
static void assert_same_events(struct ims_trace_reader *a, struct ims_trace_reader *b)
{
	struct ims_error err = { 0 };
	struct ims_event x, y;
	char buf[1024];
	int n = 0, ra, rb;

	do {
		ra = ims_trace_next(a, &x, &err);
		cr_assert_geq(ra, 0, "%s", ims_error_format(&err, buf, sizeof(buf)));
		rb = ims_trace_next(b, &y, &err);
		cr_assert_geq(rb, 0, "%s", ims_error_format(&err, buf, sizeof(buf)));
		cr_assert_eq(ra, rb, "event %d: one reader ended early", n);
		if (ra != 1)
			break;
		cr_assert_eq(x.kind, y.kind);
		cr_assert_eq(x.flags, y.flags);
		cr_assert_eq(x.time, y.time);
		cr_assert_eq(x.line, y.line);
		cr_assert_eq(x.device, y.device);
		cr_assert_eq(x.domain, y.domain);
		cr_assert_eq(x.iova, y.iova);
		cr_assert_eq(x.len, y.len);
		cr_assert_eq(x.pa, y.pa);
		cr_assert_eq(x.period, y.period);
		cr_assert_eq(x.prot, y.prot);
		cr_assert_eq(x.page_lg2, y.page_lg2);
		cr_assert_eq(x.iova_bits, y.iova_bits);
		cr_assert_eq(x.sid, y.sid);
		cr_assert_eq(!x.name, !y.name);
		if (x.name)
			cr_assert_str_eq(x.name, y.name);
		n++;
	} while (1);
	cr_assert_gt(n, 0);
}

static void round_trip(const char *text, size_t len, bool gzip)
{
	struct ims_trace_reader *mem = NULL, *file = NULL;
	struct ims_error err = { 0 };
	char path[64], buf[1024];

	temp_trace(path, text, len, gzip);
	cr_assert_eq(ims_trace_open_mem(&mem, "mem", text, len, &err), 0);
	cr_assert_eq(ims_trace_open(&file, path, &err), 0, "%s",
		     ims_error_format(&err, buf, sizeof(buf)));
	cr_assert_str_eq(ims_trace_path(file), path);
	assert_same_events(mem, file);
	ims_trace_close(mem);
	ims_trace_close(file);
	unlink(path);
}

Test(trace, gzip_round_trip_of_example)
{
	size_t len;
	char *text = slurp(IMS_SOURCE_DIR "/traces/examples/basic.trace", &len);

	round_trip(text, len, true);
	free(text);
}

Test(trace, large_trace_plain_and_gzip)
{
	/* Several input buffers' worth: lines straddle buffer refills. */
	size_t len;
	char *text = many_lines(200000, &len);

	cr_assert_gt(len, 4u << 20);
	round_trip(text, len, false);
	round_trip(text, len, true);
	free(text);
}

static void assert_damaged_gzip_fails(bool truncate_it)
{
	size_t len, zlen;
	char *text = many_lines(20000, &len);
	char path[64], buf[1024], want[128];
	struct ims_trace_reader *r = NULL;
	struct ims_error err = { 0 };
	char *z;
	int n, rc;

	temp_trace(path, text, len, true);
	z = slurp(path, &zlen);
	cr_assert_gt(zlen, 4096u, "compressed to %zu bytes only", zlen);
	if (truncate_it) {
		cr_assert_eq(truncate(path, (off_t)(zlen / 2)), 0);
	} else {
		z[zlen - 8] ^= 0x55;   /* CRC-32 of the trailer */
		write_file(path, z, zlen);
	}
	rc = ims_trace_open(&r, path, &err);
	cr_assert_eq(rc, 0, "the header is intact");
	rc = drain(r, &err, &n);
	ims_error_format(&err, buf, sizeof(buf));
	cr_assert_eq(rc, -IMS_EIO, "rc %d after %d events: %s", rc, n, buf);
	snprintf(want, sizeof(want), "%s:", path);
	cr_assert(strncmp(buf, want, strlen(want)) == 0, "'%s' does not name the file", buf);
	cr_assert(strstr(buf, "truncated or corrupt gzip data"), "%s", buf);
	cr_assert_gt(err.line, 4, "error carries the line reached: %s", buf);
	snprintf(want, sizeof(want), "(%s", path);
	cr_assert_null(strstr(buf, want), "path said twice: %s", buf);
	if (truncate_it) {
		cr_assert(strstr(buf, "(unexpected end of file)"), "%s", buf);
		cr_assert_lt(n, 20000 + 3, "a cut trace is not silently short");
	} else {
		cr_assert(strstr(buf, "incorrect data check"), "%s", buf);
	}
	ims_trace_close(r);
	unlink(path);
	free(z);
	free(text);
}

Test(trace, truncated_gzip_fails)
{
	assert_damaged_gzip_fails(true);
}

Test(trace, corrupt_gzip_checksum_fails)
{
	assert_damaged_gzip_fails(false);
}

Test(trace, missing_file_fails)
{
	struct ims_trace_reader *r = (void *)&r;
	struct ims_error err = { 0 };
	int rc = ims_trace_open(&r, "/nonexistent/dir/x.trace", &err);

	assert_error(rc, &err, IMS_EIO, "/nonexistent/dir/x.trace: ",
		     "cannot open: No such file or directory");
	cr_assert_null(r);
}

Test(trace, bad_header_in_file_fails_at_open)
{
	static const char text[] = "iommusim-trace 9\ndevice a\n";
	struct ims_trace_reader *r = NULL;
	struct ims_error err = { 0 };
	char path[64], where[80];
	int rc;

	temp_trace(path, text, strlen(text), true);
	rc = ims_trace_open(&r, path, &err);
	snprintf(where, sizeof(where), "%s:1: ", path);
	assert_error(rc, &err, IMS_EINVAL, where, "unsupported trace version 9");
	cr_assert_null(r);
	unlink(path);
}

/* --- the example traces --------------------------------------------------- */

struct example {
	char file[32];
	int events;
};

ParameterizedTestParameters(trace, examples_parse)
{
	static struct example cases[] = {
		{ "basic.trace", 34 },
		{ "migration.trace", 17 },
		{ "faults.trace", 12 },
		{ "ats.trace", 13 },
	};

	return cr_make_param_array(struct example, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct example *c, trace, examples_parse)
{
	struct ims_trace_reader *r = NULL;
	struct ims_error err = { 0 };
	char path[512], buf[1024];
	int n, rc;

	snprintf(path, sizeof(path), "%s/traces/examples/%s", IMS_SOURCE_DIR, c->file);
	rc = ims_trace_open(&r, path, &err);
	cr_assert_eq(rc, 0, "%s", ims_error_format(&err, buf, sizeof(buf)));
	rc = drain(r, &err, &n);
	cr_assert_eq(rc, 0, "%s", ims_error_format(&err, buf, sizeof(buf)));
	cr_assert_eq(n, c->events, "%s: %d events", c->file, n);
	ims_trace_close(r);
}

/* ats.trace (version 2): the device options FORMAT.md describes. */
Test(trace, examples_ats_fields)
{
	size_t len;
	char *text = slurp(IMS_SOURCE_DIR "/traces/examples/ats.trace", &len);
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	struct ims_event ev[3];

	cr_assert_eq(ims_trace_version(r), 2);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ims_trace_next(r, &ev[i], &err), 1, "%s", err.msg);
	cr_assert(ev[0].flags == IMS_EVF_ATS && ev[0].len == 64 && ev[0].period == 0);
	cr_assert(ev[1].flags == IMS_EVF_ATS && ev[1].len == 512 && ev[1].period == 8000);
	cr_assert_eq(ev[1].sid, 0x100);
	cr_assert(ev[2].flags == 0 && ev[2].len == 0 && ev[2].period == 0);
	ims_trace_close(r);
	free(text);
}

/* basic.trace shows every keyword: check the ones FORMAT.md quotes. */
Test(trace, examples_basic_fields)
{
	size_t len;
	char *text = slurp(IMS_SOURCE_DIR "/traces/examples/basic.trace", &len);
	struct ims_event ev[34];
	struct ims_trace_reader *r = open_text(text);
	struct ims_error err = { 0 };
	bool seen[IMS_EV_KIND_COUNT] = { 0 };

	for (int i = 0; i < 34; i++) {
		cr_assert_eq(ims_trace_next(r, &ev[i], &err), 1);
		seen[ev[i].kind] = true;
	}
	for (int k = 0; k < IMS_EV_KIND_COUNT; k++)
		cr_assert(seen[k], "basic.trace lacks '%s'", ims_ev_kind_name((enum ims_ev_kind)k));
	cr_assert_eq(ev[1].sid, 0x100);
	cr_assert_eq(ev[3].iova_bits, 57);
	cr_assert_eq(ev[7].pa, 0x40000000);
	cr_assert_eq(ev[7].prot, IMS_PROT_READ);
	cr_assert_eq(ev[9].time, 1000);
	cr_assert_eq(ev[10].time, 1100);
	cr_assert_eq(ev[11].device, 1);
	cr_assert_eq(ims_trace_next(r, &ev[0], &err), 0);
	cr_assert_eq(ev[15].flags, IMS_EVF_NO_CLEAR);
	cr_assert_eq(ev[15].page_lg2, 13);
	cr_assert_eq(ev[16].kind, IMS_EV_PRECOPY);
	cr_assert_eq(ev[16].period, 50000);
	cr_assert_eq(ev[17].kind, IMS_EV_DIRTY_UNMAP);
	cr_assert_eq(ev[17].time, 2050);
	cr_assert_eq(ev[18].kind, IMS_EV_STOP_COPY);
	/* the iommufd objects */
	cr_assert_eq(ev[21].kind, IMS_EV_IOAS);
	cr_assert_str_eq(ev[21].name, "vm");
	cr_assert_eq(ev[22].flags, IMS_EVF_HAS_IOAS);
	cr_assert_eq(ev[22].ioas, 0);
	cr_assert_eq(ev[22].domain, 2);
	cr_assert_eq(ev[23].ioas, 1);
	cr_assert_eq(ev[24].flags, IMS_EVF_HAS_PA);
	cr_assert_eq(ev[24].pa, 0x80001000);
	cr_assert_eq(ev[25].kind, IMS_EV_IOAS_COPY);
	cr_assert_eq(ev[25].src_ioas, 0);
	cr_assert_eq(ev[25].src_iova, 0);
	cr_assert_eq(ev[25].ioas, 1);
	cr_assert_eq(ev[25].iova, 0x10000000);
	cr_assert_eq(ev[25].len, 1 << 20);
	cr_assert_eq(ev[25].prot, IMS_PROT_READ);
	cr_assert_eq(ev[26].len, 8192);
	cr_assert_eq(ev[29].domain, 2);
	cr_assert_eq(ev[30].ioas, 1);
	/* non-coherent DMA */
	cr_assert_eq(ev[31].flags, IMS_EVF_HAS_IOAS | IMS_EVF_NONCOHERENT);
	cr_assert_eq(ev[31].domain, 3);
	cr_assert_eq(ev[32].kind, IMS_EV_CPU_WRITE);
	cr_assert_eq(ev[32].ioas, 1);
	cr_assert_eq(ev[32].iova, 0x10000000);
	cr_assert_eq(ev[32].len, 4096);
	cr_assert_eq(ev[33].kind, IMS_EV_CPU_READ);
	cr_assert_eq(ev[33].len, 64);
	ims_trace_close(r);
	free(text);
}
