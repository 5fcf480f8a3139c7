/* The ELF trace container and the canonical text: round trips over every
 * bundled trace, replay equality, chunking, interoperability with files
 * libelf writes, and one test per kind of damage. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/trace/elf_format.h"
#include "sim/trace/writer.h"
#include "tests/sim/events.h"
#include "tests/sim/files.h"
#include "tests/sim/replay.h"

TestSuite(trace_elf, .init = tmpdir_setup, .fini = tmpdir_teardown);

static const char *in_dir(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Copy a trace through the reader and a writer; 0 or the error. */
static int copy(const char *in, const char *out, struct ims_error *err)
{
	struct ims_trace_reader *r;
	struct ims_trace_writer *w;
	struct ims_event ev;
	int rc = ims_trace_open(&r, in, err);

	if (rc)
		return rc;
	rc = ims_trace_writer_open(&w, out, ims_trace_fmt_for_path(out), err);
	if (rc) {
		ims_trace_close(r);
		return rc;
	}
	while ((rc = ims_trace_next(r, &ev, err)) > 0)
		if ((rc = ims_trace_write(w, &ev, err)) < 0)
			break;
	ims_trace_close(r);
	if (rc < 0) {
		ims_trace_writer_abort(w);
		return rc;
	}
	return ims_trace_writer_close(w, err);
}

static void must_copy(const char *in, const char *out)
{
	struct ims_error err = { 0 };
	char msg[1024];

	cr_assert_eq(copy(in, out, &err), 0, "%s -> %s: %s", in, out,
		     ims_error_format(&err, msg, sizeof(msg)));
}

static bool same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	bool same = na == nb && !memcmp(x, y, na);

	free(x);
	free(y);
	return same;
}

/* Every bundled trace under traces/ (text or gzip). */
static int bundled(char paths[][600], int max)
{
	static const char *const sub[] = { "examples", "noncoherent", "demo" };
	int n = 0;

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		char d[256];
		DIR *dp;
		struct dirent *de;

		snprintf(d, sizeof(d), "%s/traces/%s", IMS_SOURCE_DIR, sub[i]);
		dp = opendir(d);
		cr_assert_not_null(dp, "%s", d);
		while ((de = readdir(dp)) && n < max)
			if (strstr(de->d_name, ".trace"))
				snprintf(paths[n++], 600, "%s/%s", d, de->d_name);
		closedir(dp);
	}
	return n;
}

Test(trace_elf, round_trip_every_bundled_trace)
{
	char paths[64][600];
	int n = bundled(paths, 64);

	cr_assert_geq(n, 8);
	for (int i = 0; i < n; i++) {
		/* text -> canonical text -> ELF -> text: the same text */
		must_copy(paths[i], in_dir("a.trace"));
		must_copy(in_dir("a.trace"), in_dir("b.elf"));
		must_copy(in_dir("b.elf"), in_dir("c.trace"));
		cr_assert(same_file(in_dir("a.trace"), in_dir("c.trace")), "%s", paths[i]);
		/* ELF -> text -> ELF: the same bytes; gzip text too */
		must_copy(in_dir("c.trace"), in_dir("d.elf"));
		cr_assert(same_file(in_dir("b.elf"), in_dir("d.elf")), "%s", paths[i]);
		must_copy(in_dir("b.elf"), in_dir("e.trace.gz"));
		must_copy(in_dir("e.trace.gz"), in_dir("f.trace"));
		cr_assert(same_file(in_dir("a.trace"), in_dir("f.trace")), "%s", paths[i]);
	}
}

static struct ims_stats replay_file(const char *path, const char *strategy)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };

	cr_assert_eq(ims_trace_open(&r, path, &err), 0, "%s", err.msg);
	return replay(ims_model_find("vtd"), strategy, r);
}

Test(trace_elf, replay_of_text_and_elf_is_identical)
{
	static const char *const traces[] = { "demo/migration.trace.gz",
					      "noncoherent/shared-pages.trace",
					      "examples/faults.trace" };

	for (size_t i = 0; i < sizeof(traces) / sizeof(traces[0]); i++) {
		char src[512];
		struct ims_stats a, b;

		snprintf(src, sizeof(src), "%s/traces/%s", IMS_SOURCE_DIR, traces[i]);
		must_copy(src, in_dir("t.elf"));
		a = replay_file(src, "clear+unmap/sync-flush/sticky-unpin");
		b = replay_file(in_dir("t.elf"), "clear+unmap/sync-flush/sticky-unpin");
		cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "%s", traces[i]);
		cr_assert_gt(a.v[IMS_STAT_dma], 0, "%s", traces[i]);
	}
}

/* A trace with `n` DMA events, written through the API. */
static void write_dma_trace(const char *path, uint64_t n)
{
	struct ims_trace_writer *w;
	struct ims_error err = { 0 };
	struct ims_event ev = { .kind = IMS_EV_DEVICE, .name = "nic" };

	cr_assert_eq(ims_trace_writer_open(&w, path, ims_trace_fmt_for_path(path), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	ev = (struct ims_event){ .kind = IMS_EV_DOMAIN, .name = "d", .iova_bits = 48 };
	cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	ev = (struct ims_event){ .kind = IMS_EV_ATTACH };
	cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	ev = (struct ims_event){ .kind = IMS_EV_MAP, .iova = 0x100000, .len = 1 << 20,
				 .prot = IMS_PROT_READ | IMS_PROT_WRITE };
	cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	for (uint64_t i = 0; i < n; i++) {
		ev = (struct ims_event){ .kind = IMS_EV_DMA, .time = 1000000 + i * 10,
					 .iova = 0x100000 + (i * 4096) % (1 << 20), .len = 64,
					 .flags = i & 1 ? IMS_EVF_WRITE : 0 };
		cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(ims_trace_writer_close(w, &err), 0, "%s", err.msg);
}

static uint64_t count_events(const char *path, struct ims_error *err, int *rc)
{
	struct ims_trace_reader *r;
	struct ims_event ev;
	uint64_t n = 0;

	*rc = ims_trace_open(&r, path, err);
	if (*rc)
		return 0;
	while ((*rc = ims_trace_next(r, &ev, err)) > 0)
		n++;
	ims_trace_close(r);
	return n;
}

/* The section names, in order, as libelf sees them. */
static void section_names(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY);
	Elf *e;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	cr_assert_geq(fd, 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	cr_assert_not_null(e);
	cr_assert_eq(elf_getshdrstrndx(e, &shstrndx), 0);
	out[0] = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		cr_assert_not_null(gelf_getshdr(scn, &sh));
		snprintf(out + strlen(out), len - strlen(out), "%s%s ",
			 elf_strptr(e, shstrndx, sh.sh_name),
			 sh.sh_flags & SHF_COMPRESSED ? "(C)" : "");
	}
	elf_end(e);
	close(fd);
}

Test(trace_elf, long_trace_is_split_into_bounded_chunks)
{
	uint64_t n = IMS_ELF_CHUNK_RECORDS + 1000;   /* + 4 setup records */
	struct ims_error err = { 0 };
	char names[512];
	int rc;

	write_dma_trace(in_dir("long.elf"), n);
	section_names(in_dir("long.elf"), names, sizeof(names));
	cr_assert_str_eq(names, ".iommusim.events.0(C) .iommusim.events.1(C) "
			 ".iommusim.meta(C) .shstrtab ");
	cr_assert_eq(count_events(in_dir("long.elf"), &err, &rc), n + 4, "%s", err.msg);
	cr_assert_eq(rc, 0, "%s", err.msg);
}

Test(trace_elf, readelf_lists_compressed_sections)
{
	char cmd[1024], out[4096] = "";
	FILE *p;
	size_t got;

	write_dma_trace(in_dir("r.elf"), 100);
	snprintf(cmd, sizeof(cmd), "readelf -S -W %s 2>&1 && readelf -z -x .iommusim.meta %s 2>&1",
		 in_dir("r.elf"), in_dir("r.elf"));
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
	cr_assert(strstr(out, ".iommusim.events.0 PROGBITS"), "%s", out);
	cr_assert(strstr(out, ".iommusim.meta    PROGBITS") || strstr(out, ".iommusim.meta PROGBITS"),
		  "%s", out);
	cr_assert(strstr(out, " C "), "no compressed flag: %s", out);
	cr_assert(strstr(out, "IMSTRACE"), "meta not readable by readelf -z: %s", out);
}

Test(trace_elf, writer_refuses_invalid_events_and_leaves_no_file)
{
	struct ims_trace_writer *w;
	struct ims_error err = { 0 };
	struct ims_event ev = { .kind = IMS_EV_DEVICE, .name = "nic" };
	struct stat st;
	char msg[1024];

	cr_assert_eq(ims_trace_writer_open(&w, in_dir("bad.elf"), IMS_TRACE_FMT_ELF, &err), 0);
	cr_assert_eq(ims_trace_write(w, &ev, &err), 0, "%s", err.msg);
	ev = (struct ims_event){ .kind = IMS_EV_DMA, .device = 3, .iova = 0, .len = 64 };
	cr_assert_lt(ims_trace_write(w, &ev, &err), 0);
	cr_assert(strstr(ims_error_format(&err, msg, sizeof(msg)),
			 "bad.elf: record 2: dma: device 3 is not declared"), "%s", msg);
	ims_trace_writer_abort(w);
	cr_assert_neq(stat(in_dir("bad.elf"), &st), 0);
	/* and nothing beside it either */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "test -z \"$(ls %s | grep bad.elf)\"", tmpdir);
		cr_assert_eq(system(cmd), 0);
	}
}

/* --- files libelf writes: an independent producer of the container -------- */

struct raw_section {
	const char *name;
	const void *data;
	size_t len;
	bool compress;
};

static void libelf_write(const char *path, uint16_t machine, const struct raw_section *s, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char strtab[1024] = "";
	size_t slen = 1, name_off[16], str_name;
	Elf *e;
	Elf64_Ehdr *eh;
	Elf_Scn *scn;
	Elf_Data *d;
	Elf64_Shdr *sh;

	cr_assert_geq(fd, 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	cr_assert_not_null(e);
	eh = elf64_newehdr(e);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_NONE;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	for (int i = 0; i < n; i++) {
		name_off[i] = slen;
		slen += (size_t)sprintf(strtab + slen, "%s", s[i].name) + 1;
	}
	str_name = slen;
	slen += (size_t)sprintf(strtab + slen, ".shstrtab") + 1;
	for (int i = 0; i < n; i++) {
		scn = elf_newscn(e);
		d = elf_newdata(scn);
		d->d_buf = (void *)s[i].data;
		d->d_size = s[i].len;
		d->d_type = ELF_T_BYTE;
		d->d_align = 8;
		sh = elf64_getshdr(scn);
		sh->sh_name = (Elf64_Word)name_off[i];
		sh->sh_type = SHT_PROGBITS;
		sh->sh_addralign = 8;
		if (s[i].compress)
			cr_assert_eq(elf_compress(scn, ELFCOMPRESS_ZLIB, ELF_CHF_FORCE), 1, "%s", elf_errmsg(-1));
	}
	scn = elf_newscn(e);
	d = elf_newdata(scn);
	d->d_buf = strtab;
	d->d_size = slen;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh = elf64_getshdr(scn);
	sh->sh_name = (Elf64_Word)str_name;
	sh->sh_type = SHT_STRTAB;
	eh->e_shstrndx = (Elf64_Half)elf_ndxscn(scn);
	cr_assert_geq(elf_update(e, ELF_C_WRITE), 0, "%s", elf_errmsg(-1));
	elf_end(e);
	close(fd);
}

/* Metadata of format `version` for one device "nic" and one domain "d". */
static size_t meta_v(uint8_t *m, uint64_t events, uint32_t version)
{
	memset(m, 0, IMS_META_NAMES);
	memcpy(m, IMS_ELF_MAGIC, 8);
	ims_le_put32(m + IMS_META_VERSION, version);
	ims_le_put32(m + IMS_META_RECORD_SIZE, IMS_ELF_RECORD_SIZE);
	ims_le_put64(m + IMS_META_EVENTS, events);
	ims_le_put32(m + IMS_META_CHUNKS, 1);
	ims_le_put32(m + IMS_META_DEVICES, 1);
	ims_le_put32(m + IMS_META_DOMAINS, 1);
	memcpy(m + IMS_META_NAMES, "\3nic\1d", 6);
	return IMS_META_NAMES + 6;
}

static size_t meta(uint8_t *m, uint64_t events)
{
	return meta_v(m, events, IMS_ELF_VERSION);
}

/* device nic; domain d; attach; map; one DMA. */
static void records(uint8_t rec[5][IMS_ELF_RECORD_SIZE])
{
	const struct ims_event ev[5] = {
		{ .kind = IMS_EV_DEVICE },
		{ .kind = IMS_EV_DOMAIN, .iova_bits = 48 },
		{ .kind = IMS_EV_ATTACH },
		{ .kind = IMS_EV_MAP, .iova = 0x1000, .len = 0x4000, .prot = 3 },
		{ .kind = IMS_EV_DMA, .time = 100000, .iova = 0x1800, .len = 64 },
	};

	for (int i = 0; i < 5; i++)
		ims_rec_encode(rec[i], &ev[i]);
}

/* The five records in a container libelf writes with metadata of `version`;
 * the number of events read, or the error (message in msg). */
static int read_raw_v(uint32_t version, uint16_t machine, uint8_t rec[5][IMS_ELF_RECORD_SIZE],
		      size_t meta_events, char *msg, size_t len)
{
	uint8_t m[64];
	size_t mlen = meta_v(m, meta_events, version);
	struct raw_section s[2] = {
		{ ".iommusim.events.0", rec, 5 * IMS_ELF_RECORD_SIZE, true },
		{ ".iommusim.meta", m, mlen, true },
	};
	struct ims_error err = { 0 };
	int rc;
	uint64_t n;

	libelf_write(in_dir("raw.elf"), machine, s, 2);
	n = count_events(in_dir("raw.elf"), &err, &rc);
	ims_error_format(&err, msg, (unsigned)len);
	return rc ? rc : (int)n;
}

static int read_raw(uint16_t machine, uint8_t rec[5][IMS_ELF_RECORD_SIZE], size_t meta_events,
		    char *msg, size_t len)
{
	return read_raw_v(IMS_ELF_VERSION, machine, rec, meta_events, msg, len);
}

Test(trace_elf, reads_a_container_libelf_wrote)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	records(rec);
	cr_assert_eq(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), 5, "%s", msg);
	must_copy(in_dir("raw.elf"), in_dir("raw.trace"));
	{
		size_t n;
		char *text = slurp(in_dir("raw.trace"), &n);

		cr_assert_str_eq(text, "iommusim-trace 2\n@0 device nic\n@0 domain d\n"
				 "@0 attach nic d\n@0 map d 0x1000 16K\n"
				 "@100000 dma nic read 0x1800 64\n");
		free(text);
	}
}

static void expect_error(int rc, const char *msg, const char *want)
{
	cr_assert_lt(rc, 0, "accepted; expected '%s'", want);
	cr_assert(strstr(msg, want), "message '%s' lacks '%s'", msg, want);
}

Test(trace_elf, record_of_unknown_kind)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	records(rec);
	rec[3][IMS_REC_KIND] = 0x7f;
	expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "raw.elf: record 4: unknown record kind 127 (in .iommusim.events.0)");
}

Test(trace_elf, record_breaking_the_event_rules)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	records(rec);
	rec[3][IMS_REC_IOVA] = 0x08;   /* map iova 0x1008 */
	expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "record 4: map: iova 0x1008 is not 4 KiB aligned");
	records(rec);
	rec[4][IMS_REC_PA] = 1;        /* a field dma does not use */
	expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "record 5: dma: field pa must be 0");
	records(rec);
	rec[0][IMS_REC_RESERVED] = 1;
	expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "record 1: reserved byte is 1");
}

/* --- device ATS (format v2) and the versions ----------------------------------- */

/* Device record 0 of records() with an ATS device TLB. */
static void set_ats(uint8_t rec[IMS_ELF_RECORD_SIZE], uint8_t flags, uint64_t entries,
		    uint64_t inv_cycles)
{
	rec[IMS_REC_FLAGS] = flags;
	ims_le_put64(rec + IMS_REC_LEN, entries);
	ims_le_put64(rec + IMS_REC_PERIOD, inv_cycles);
}

static unsigned version_of(const char *path)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	unsigned v;

	cr_assert_eq(ims_trace_open(&r, path, &err), 0, "%s", err.msg);
	v = ims_trace_version(r);
	ims_trace_close(r);
	return v;
}

Test(trace_elf, ats_device_record)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];
	size_t n;
	char *text;

	records(rec);
	set_ats(rec[0], IMS_EVF_ATS, 64, 3000);
	cr_assert_eq(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), 5, "%s", msg);
	cr_assert_eq(version_of(in_dir("raw.elf")), 2);
	must_copy(in_dir("raw.elf"), in_dir("raw.trace"));
	text = slurp(in_dir("raw.trace"), &n);
	cr_assert(!strncmp(text, "iommusim-trace 2\n@0 device nic ats=64 ats_inv=3000\n", 50),
		  "%s", text);
	free(text);
}

Test(trace_elf, ats_device_record_breaking_the_rules)
{
	static const struct {
		uint8_t flags;
		uint64_t entries, inv;
		const char *want;
	} bad[] = {
		{ IMS_EVF_ATS, 0, 0, "record 1: device: ats 0 out of range (1..65536)" },
		{ IMS_EVF_ATS, 65537, 0, "record 1: device: ats 65537 out of range (1..65536)" },
		{ IMS_EVF_ATS, 8, UINT64_C(1) << 32,
		  "record 1: device: ats_inv 4294967296 out of range (1..4294967295)" },
		{ 0, 64, 0, "record 1: device: len (ATC entries) set without the ATS flag" },
		{ 0, 0, 100, "record 1: device: period (ats_inv) set without the ATS flag" },
		{ IMS_EVF_ATS | IMS_EVF_WRITE, 8, 0, "record 1: device: flags 0x1 not allowed" },
	};
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		records(rec);
		set_ats(rec[0], bad[i].flags, bad[i].entries, bad[i].inv);
		expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg, bad[i].want);
	}
	/* the flag is a device's only */
	records(rec);
	rec[1][IMS_REC_FLAGS] = IMS_EVF_ATS;
	expect_error(read_raw(EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "record 2: domain: flags 0x40 not allowed for this kind");
}

/* A version 1 container reads as before; the ATS flag, which version 2
 * added, is an error there, located at its record. */
Test(trace_elf, version_1_container)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	records(rec);
	cr_assert_eq(read_raw_v(1, EM_NONE, rec, 5, msg, sizeof(msg)), 5, "%s", msg);
	cr_assert_eq(version_of(in_dir("raw.elf")), 1);
	/* converting it writes the newest version */
	must_copy(in_dir("raw.elf"), in_dir("v2.elf"));
	cr_assert_eq(version_of(in_dir("v2.elf")), 2);
	set_ats(rec[0], IMS_EVF_ATS, 64, 0);
	expect_error(read_raw_v(1, EM_NONE, rec, 5, msg, sizeof(msg)), msg,
		     "raw.elf: record 1: device: ATS needs trace version 2 (this trace is "
		     "version 1) (in .iommusim.events.0)");
}

Test(trace_elf, unknown_versions_are_refused)
{
	static const uint32_t versions[] = { 0, 3, 0xffffffffu };
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024], want[128];

	records(rec);
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		snprintf(want, sizeof(want), "raw.elf: section .iommusim.meta: unsupported trace "
			 "version %u (this build reads 1 to 2)", versions[i]);
		expect_error(read_raw_v(versions[i], EM_NONE, rec, 5, msg, sizeof(msg)), msg, want);
	}
}

/* The record table of FORMAT.md: an ATS device's flag, entries and cycles
 * at their offsets, and back. */
Test(trace_elf, ats_fields_in_the_record)
{
	const struct ims_event ev = { .kind = IMS_EV_DEVICE, .device = 7, .sid = 0x30,
				      .flags = IMS_EVF_ATS, .len = 512, .period = 0x12345678 };
	uint8_t rec[IMS_ELF_RECORD_SIZE];
	struct ims_event back;

	ims_rec_encode(rec, &ev);
	cr_assert_eq(rec[IMS_REC_FLAGS], 0x40);
	cr_assert_eq(ims_le_get64(rec + 40), 512);
	cr_assert_eq(ims_le_get64(rec + 56), 0x12345678);
	cr_assert_eq(ims_le_get16(rec + 6), 0x30);
	ims_rec_decode(rec, &back);
	cr_assert(back.flags == ev.flags && back.len == ev.len && back.period == ev.period &&
		  back.sid == ev.sid && back.device == ev.device);
}

Test(trace_elf, metadata_disagreeing_with_the_events)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	char msg[1024];

	records(rec);
	expect_error(read_raw(EM_NONE, rec, 6, msg, sizeof(msg)), msg,
		     "raw.elf: 5 event records, the metadata says 6");
}

Test(trace_elf, wrong_magic)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	uint8_t m[64];
	struct raw_section s[1] = { { ".iommusim.events.0", rec, sizeof(rec), true } };
	struct ims_error err = { 0 };
	char msg[1024];
	int rc;

	records(rec);
	expect_error(read_raw(EM_X86_64, rec, 5, msg, sizeof(msg)), msg,
		     "raw.elf: wrong magic: ELF machine 62, a trace has EM_NONE (0)");
	/* an ELF without our metadata */
	libelf_write(in_dir("nometa.elf"), EM_NONE, s, 1);
	count_events(in_dir("nometa.elf"), &err, &rc);
	expect_error(rc, ims_error_format(&err, msg, sizeof(msg)),
		     "nometa.elf: wrong magic: no .iommusim.meta section");
	/* metadata that does not start with IMSTRACE */
	meta(m, 5);
	memcpy(m, "NOTATRCE", 8);
	{
		struct raw_section s2[2] = { s[0], { ".iommusim.meta", m, 46, true } };

		libelf_write(in_dir("badmeta.elf"), EM_NONE, s2, 2);
	}
	count_events(in_dir("badmeta.elf"), &err, &rc);
	expect_error(rc, ims_error_format(&err, msg, sizeof(msg)),
		     "badmeta.elf: section .iommusim.meta: wrong magic: not an iommusim trace");
}

Test(trace_elf, section_not_compressed)
{
	uint8_t rec[5][IMS_ELF_RECORD_SIZE];
	uint8_t m[64];
	size_t mlen;
	struct ims_error err = { 0 };
	char msg[1024];
	int rc;

	records(rec);
	mlen = meta(m, 5);
	{
		struct raw_section s[2] = { { ".iommusim.events.0", rec, sizeof(rec), false },
					    { ".iommusim.meta", m, mlen, true } };

		libelf_write(in_dir("plain.elf"), EM_NONE, s, 2);
	}
	count_events(in_dir("plain.elf"), &err, &rc);
	expect_error(rc, ims_error_format(&err, msg, sizeof(msg)),
		     "section .iommusim.events.0: is not compressed (SHF_COMPRESSED)");
}

/* Damage a file our writer made, at the byte level. */
static char *damaged(size_t *len)
{
	write_dma_trace(in_dir("ok.elf"), 2000);
	return slurp(in_dir("ok.elf"), len);
}

static void expect_file_error(const char *name, const void *buf, size_t len, const char *want)
{
	struct ims_error err = { 0 };
	char msg[1024];
	int rc;

	spit(in_dir(name), buf, len);
	count_events(in_dir(name), &err, &rc);
	expect_error(rc, ims_error_format(&err, msg, sizeof(msg)), want);
}

Test(trace_elf, truncated_file)
{
	size_t len;
	char *buf = damaged(&len);

	expect_file_error("cut.elf", buf, len / 2, "cut.elf: truncated: the section header table");
	expect_file_error("tiny.elf", buf, 10, "tiny.elf: truncated");
	free(buf);
}

Test(trace_elf, bad_section_size)
{
	size_t len;
	char *buf = damaged(&len);
	uint64_t shoff = ims_le_get64((uint8_t *)buf + 40);

	/* section 1 is .iommusim.events.0: make it run past the end */
	ims_le_put64((uint8_t *)buf + shoff + 64 + 32, (uint64_t)len * 4);
	expect_file_error("size.elf", buf, len,
			  "section .iommusim.events.0: offset 64 + size");
	free(buf);
}

Test(trace_elf, bad_compression)
{
	size_t len;
	char *buf = damaged(&len);

	/* scramble the middle of the event stream (after the 64-byte ELF header
	 * and the 24-byte compression header) */
	for (int i = 0; i < 16; i++)
		buf[64 + 24 + 40 + i] ^= 0x5a;
	expect_file_error("zlib.elf", buf, len,
			  "section .iommusim.events.0: corrupt compressed data (zlib:");
	free(buf);
}

Test(trace_elf, compression_header_lies_about_the_size)
{
	size_t len;
	char *buf = damaged(&len);
	uint64_t raw = ims_le_get64((uint8_t *)buf + 64 + 8);

	ims_le_put64((uint8_t *)buf + 64 + 8, raw + IMS_ELF_RECORD_SIZE);
	expect_file_error("chsize.elf", buf, len,
			  "section .iommusim.events.0: inflates to");
	free(buf);
}

Test(trace_elf, run_errors_are_located_at_the_record)
{
	static const char text[] =
		"iommusim-trace 1\n"
		"device nic\ndomain d\nattach nic d\n"
		"map d 0x1000 4K\n"
		"@100000 map d 0x1000 4K\n";   /* overlapping map: an error of the run */
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_strategies st;
	struct ims_params p;
	struct ims_sim sim;
	char msg[1024];

	spit(in_dir("o.trace"), text, sizeof(text) - 1);
	must_copy(in_dir("o.trace"), in_dir("o.elf"));
	cr_assert_eq(ims_trace_open(&r, in_dir("o.elf"), &err), 0, "%s", err.msg);
	ims_params_default(&p);
	ims_strategies_default(&st);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0);
	cr_assert_lt(ims_run_trace(&sim, r, &st, &err), 0);
	ims_error_format(&err, msg, sizeof(msg));
	cr_assert(strstr(msg, "o.elf: record 5: "), "%s", msg);
	ims_trace_close(r);
	ims_sim_fini(&sim);
}

/* --- the text reader and the shared rules agree ------------------------------ */

static const char prefix[] =
	"iommusim-trace 1\n"
	"device nic\ndevice gpu sid=0x30\nioas io\ndomain d\ndomain w iova_bits=57\n"
	"domain e ioas=io coherent=no\nioas io2\n";

/* Parse text; the events in out (at most max); -1 if rejected. With d, the
 * events are also put through the shared rules (while the reader, which owns
 * their names, is open); a refusal there fails the test. */
static int parse_all(const char *text, struct ims_event *out, int max,
		     struct ims_trace_decls *d)
{
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	int n = 0, rc;

	if (ims_trace_open_mem(&r, "t", text, strlen(text), &err))
		return -1;
	while (n < max && (rc = ims_trace_next(r, &out[n], &err)) > 0)
		n++;
	for (int k = 0; d && rc >= 0 && k < n; k++)
		cr_assert_eq(ims_decls_apply(d, &out[k], &err), 0,
			     "text accepts '%s', the shared rules refuse: %s",
			     strrchr(text, '@'), err.msg);
	ims_trace_close(r);
	return rc < 0 ? -1 : n;
}

Test(trace_elf, text_reader_and_shared_rules_agree_on_random_lines)
{
	static const char *const kw[] = {
		"map d", "map w", "unmap d", "ioas-map io", "ioas-unmap io", "access-pin io",
		"cpu-read io", "cpu-write io2", "get-dirty d", "dirty-unmap w", "dma nic write",
		"dma gpu read", "ioas-copy io 0x2000 io2", "precopy d period=1000",
		"stop-copy w", "attach gpu e", "ioas-attach d io2", "ioas-detach e",
		"dirty-tracking e on",
	};
	static const char *const num[] = {
		"0", "0x1000", "0x1008", "4K", "64", "1500", "2M", "1G", "0x200000",
		"0xffffffffffff000", "0x1fffffffffffff000", "0xfffffffffffff000", "3", "8K",
	};
	static const char *const opt[] = {
		"", "", "", " prot=r", " prot=w", " pa=0x40000000", " pa=0x1001", " page=2M",
		" page=8K", " no_clear", " pa=0xfffffffffe000",
	};
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned accepted = 0;

	for (int i = 0; i < 20000; i++) {
		char text[1024], line[256];
		struct ims_event ev[16], again[16];
		struct ims_trace_decls *d;
		int n, m;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		snprintf(line, sizeof(line), "@%u %s %s %s%s", (unsigned)(seed >> 60),
			 kw[(seed >> 8) % (sizeof(kw) / sizeof(kw[0]))],
			 num[(seed >> 16) % (sizeof(num) / sizeof(num[0]))],
			 num[(seed >> 24) % (sizeof(num) / sizeof(num[0]))],
			 opt[(seed >> 32) % (sizeof(opt) / sizeof(opt[0]))]);
		snprintf(text, sizeof(text), "%s%s\n", prefix, line);
		cr_assert_eq(ims_decls_new(&d), 0);
		n = parse_all(text, ev, 16, d);
		if (n < 0) {
			ims_decls_free(d);
			continue;   /* refused by the text reader: nothing to compare */
		}
		accepted++;
		/* its canonical text reads back as the same event */
		{
			char canon[IMS_EVENT_TEXT_MAX];

			/* cppcheck-suppress negativeIndex ; n >= 7: prefix's declarations are events */
			cr_assert_gt(ims_event_format(d, &ev[n - 1], canon, sizeof(canon)), 0);
			snprintf(text, sizeof(text), "%s%s\n", prefix, canon);
			m = parse_all(text, again, 16, NULL);
			cr_assert_eq(m, n, "'%s' (from '%s') does not read back", canon, line);
			cr_assert(same_event(&ev[n - 1], &again[n - 1]), "'%s' -> '%s'", line, canon);
		}
		ims_decls_free(d);
	}
	cr_assert_gt(accepted, 1500, "too few valid lines (%u) to mean anything", accepted);
}

/* ims_decls_apply takes a shortcut for DMAs: on random DMA-like events it
 * must give the full rules' verdict, accepting and refusing alike. */
Test(trace_elf, dma_shortcut_and_full_rules_agree)
{
	static const uint64_t vals[] = {
		0, 1, 64, 0x1000, 1u << 30, (1u << 30) + 1, UINT64_MAX - 63, UINT64_MAX,
	};
	struct ims_trace_decls *fast, *full;
	struct ims_error err = { 0 };
	uint64_t seed = 0x2545f4914f6cdd1du;
	unsigned accepted = 0, refused = 0;

	cr_assert_eq(ims_decls_new(&fast), 0);
	cr_assert_eq(ims_decls_new(&full), 0);
	for (uint32_t i = 0; i < 2; i++) {
		struct ims_event dev = { .kind = IMS_EV_DEVICE, .device = i, .sid = (uint16_t)i,
					 .name = i ? "gpu" : "nic" };
		struct ims_event dev2 = dev;

		cr_assert_eq(ims_decls_apply(fast, &dev, &err), 0, "%s", err.msg);
		cr_assert_eq(ims_decls_apply_full(full, &dev2, &err), 0, "%s", err.msg);
	}
	for (int i = 0; i < 50000; i++) {
		struct ims_event ev = { .kind = IMS_EV_DMA };
		uint64_t r;
		int a, b;

#define NEXT() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17, seed)
		r = NEXT();
		/* now and then before the last event accepted */
		ev.time = 1000 + (uint64_t)i * 100 - ((r & 7) ? 0 : 150);
		ev.device = (uint32_t)(r >> 3 & 3);
		ev.iova = vals[r >> 5 & 7];
		ev.len = vals[r >> 8 & 7];
		ev.flags = (r >> 11 & 7) == 0 ? IMS_EVF_HAS_PA : (r >> 14 & 1) ? IMS_EVF_WRITE : 0;
		r = NEXT();
		/* now and then one field a DMA does not use */
		switch (r & 31) {
		case 0: ev.domain = 1; break;
		case 1: ev.ioas = 2; break;
		case 2: ev.src_ioas = 1; break;
		case 3: ev.src_iova = 0x1000; break;
		case 4: ev.pa = 0x1000; break;
		case 5: ev.prot = 1; break;
		case 6: ev.period = 5; break;
		case 7: ev.page_lg2 = 12; break;
		case 8: ev.iova_bits = 48; break;
		case 9: ev.sid = 3; break;
		case 10: ev.kind = IMS_EV_UNMAP; break;
		default: break;
		}
#undef NEXT
		{
			struct ims_event copy = ev;
			struct ims_error e1 = { 0 }, e2 = { 0 };

			a = ims_decls_apply(fast, &ev, &e1);
			b = ims_decls_apply_full(full, &copy, &e2);
			cr_assert_eq(a, b, "event %d: shortcut %d (%s), full rules %d (%s)", i, a,
				     e1.msg, b, e2.msg);
		}
		if (a)
			refused++;
		else
			accepted++;
	}
	cr_assert_gt(accepted, 3000, "%u accepted", accepted);
	cr_assert_gt(refused, 3000, "%u refused", refused);
	ims_decls_free(fast);
	ims_decls_free(full);
}

/* --- in-memory traces ---------------------------------------------------------- */

Test(trace_elf, events_in_memory_replay_like_the_file)
{
	static char names[64][64];
	struct ims_event ev[64];
	struct ims_trace_reader *r;
	struct ims_error err = { 0 };
	struct ims_stats a, b;
	char src[512];
	int n = 0, rc;

	snprintf(src, sizeof(src), "%s/traces/examples/basic.trace", IMS_SOURCE_DIR);
	cr_assert_eq(ims_trace_open(&r, src, &err), 0, "%s", err.msg);
	while (n < 64 && (rc = ims_trace_next(r, &ev[n], &err)) > 0) {
		if (ev[n].name) {
			snprintf(names[n], sizeof(names[n]), "%s", ev[n].name);
			ev[n].name = names[n];
		}
		n++;
	}
	cr_assert_eq(rc, 0, "%s (more than 64 events?)", err.msg);
	ims_trace_close(r);
	cr_assert_eq(ims_trace_open_events(&r, "mem", ev, (size_t)n, &err), 0, "%s", err.msg);
	a = replay(ims_model_find("amdv1"), "noclear+unmap", r);
	cr_assert_eq(ims_trace_open(&r, src, &err), 0, "%s", err.msg);
	b = replay(ims_model_find("amdv1"), "noclear+unmap", r);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	/* an event the rules refuse is refused at open, located at its index */
	ev[n - 1].len = 0;
	cr_assert_lt(ims_trace_open_events(&r, "mem", ev, (size_t)n, &err), 0);
	cr_assert(strstr(ims_error_format(&err, src, sizeof(src)), "mem: record "), "%s", src);
	cr_assert(strstr(src, "len must not be 0"), "%s", src);
}

/* text -> canonical text -> ELF -> text keeps the options; the events read
 * from the ELF are those of the text; and the run takes the devices (the
 * simulator does not model ATS yet: it must not trip over the fields). */
Test(trace_elf, ats_round_trip_and_run)
{
	static const char text[] =
		"iommusim-trace 2\n"
		"device nic ats=32   # the run's invalidation time\n"
		"device gpu sid=0x40 ats_inv=12000 ats=0x800\n"
		"device plain\n"
		"domain d\nattach nic d\nattach gpu d\n"
		"map d 0x100000 64K\n"
		"@200000 dma nic write 0x100000 64\n"
		"+10 dma gpu read 0x101000 4K\n";
	static const char canonical[] =
		"iommusim-trace 2\n"
		"@0 device nic ats=32\n"
		"@0 device gpu sid=0x40 ats=2048 ats_inv=12000\n"
		"@0 device plain\n";
	struct ims_trace_reader *a, *b;
	struct ims_error err = { 0 };
	struct ims_event x, y;
	struct ims_stats st;
	size_t n;
	char *out;
	int ra;

	spit(in_dir("a.trace"), text, sizeof(text) - 1);
	must_copy(in_dir("a.trace"), in_dir("b.trace"));
	must_copy(in_dir("b.trace"), in_dir("c.elf"));
	must_copy(in_dir("c.elf"), in_dir("d.trace"));
	cr_assert(same_file(in_dir("b.trace"), in_dir("d.trace")));
	out = slurp(in_dir("d.trace"), &n);
	cr_assert(!strncmp(out, canonical, strlen(canonical)), "%s", out);
	free(out);
	cr_assert_eq(ims_trace_open(&a, in_dir("a.trace"), &err), 0, "%s", err.msg);
	cr_assert_eq(ims_trace_open(&b, in_dir("c.elf"), &err), 0, "%s", err.msg);
	while ((ra = ims_trace_next(a, &x, &err)) > 0) {
		cr_assert_eq(ims_trace_next(b, &y, &err), 1, "%s", err.msg);
		cr_assert(same_event(&x, &y), "line %llu", (unsigned long long)x.line);
	}
	cr_assert_eq(ra, 0, "%s", err.msg);
	cr_assert_eq(ims_trace_next(b, &y, &err), 0);
	ims_trace_close(a);
	ims_trace_close(b);
	cr_assert_eq(ims_trace_open(&b, in_dir("c.elf"), &err), 0, "%s", err.msg);
	st = replay(ims_model_find("vtd"), "clear+unmap", b);
	cr_assert_eq(st.v[IMS_STAT_dma], 2);
	cr_assert_eq(st.v[IMS_STAT_faults], 0);
}

/* One device line of format `version` with ats=ents and ats_inv=inv (NULL:
 * absent; n*: their values), against the event the shared rules judge.
 * Returns whether the text accepted it. */
static bool ats_case(unsigned version, const char *ents, uint64_t nents, const char *inv,
		     uint64_t ninv)
{
	struct ims_event ev = { .kind = IMS_EV_DEVICE, .name = "x", .len = nents,
				.period = ninv, .flags = ents ? IMS_EVF_ATS : 0 };
	/* ats_inv alone, or ats_inv=0 (an event's 0 is no ats_inv): spellings
	 * the text refuses that no event has */
	bool no_event = inv && (!ents || !ninv);
	struct ims_trace_decls *d;
	struct ims_error err = { 0 };
	struct ims_event got[2];
	char text[IMS_EVENT_TEXT_MAX + 32], canon[IMS_EVENT_TEXT_MAX];
	int rules = -1, n;

	snprintf(text, sizeof(text), "iommusim-trace %u\ndevice x%s%s%s%s\n", version,
		 ents ? " ats=" : "", ents ? ents : "", inv ? " ats_inv=" : "", inv ? inv : "");
	cr_assert_eq(ims_decls_new(&d), 0);
	ims_decls_set_version(d, version);
	if (!no_event)
		rules = ims_decls_apply(d, &ev, &err);
	n = parse_all(text, got, 2, NULL);
	cr_assert_eq(n == 1, rules == 0, "'%s': text %s, rules %s", text,
		     n == 1 ? "accepts" : "refuses", rules ? err.msg : "accept");
	if (n == 1) {
		cr_assert(same_event(&ev, &got[0]), "%s", text);
		cr_assert_gt(ims_event_format(d, &ev, canon, sizeof(canon)), 0);
		snprintf(text, sizeof(text), "iommusim-trace 2\n%s\n", canon);
		cr_assert_eq(parse_all(text, got, 2, NULL), 1, "%s", text);
		cr_assert(same_event(&ev, &got[0]), "%s", text);
	}
	ims_decls_free(d);
	return n == 1;
}

/* The ATS ranges are written twice, in the text reader and in the shared
 * rules: over every pairing of interesting values, in both versions, the
 * two give the same verdict, and accepted text reads back from its
 * canonical form. */
Test(trace_elf, ats_text_and_shared_rules_agree)
{
	static const char *const val[] = { NULL, "0", "1", "64", "65536", "65537",
					   "4294967295", "4294967296" };
	static const uint64_t num[] = { 0, 0, 1, 64, 65536, 65537, 4294967295u, 4294967296u };
	const size_t nval = sizeof(val) / sizeof(val[0]);
	unsigned accepted = 0;

	for (unsigned version = 1; version <= 2; version++)
		for (size_t e = 0; e < nval; e++)
			for (size_t c = 0; c < nval; c++)
				accepted += ats_case(version, val[e], num[e], val[c], num[c]);
	/* version 1: only the plain device; version 2: that, and ats in
	 * 1..65536 with ats_inv absent or in 1..2^32-1 */
	cr_assert_eq(accepted, 1 + 1 + 3 * 6, "%u accepted", accepted);
}
