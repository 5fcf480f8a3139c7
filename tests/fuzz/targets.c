/* Fuzz targets (targets.h). Plain C11 with no libFuzzer dependency: the
 * replay test builds this file with gcc in every preset. */
#define _GNU_SOURCE
#include "tests/fuzz/targets.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/convert/convert.h"
#include "sim/gen/gen.h"
#include "sim/host/dirty_strategy.h"
#include "sim/params.h"
#include "sim/run.h"
#include "sim/sweep/sweep.h"
#include "sim/trace/decls.h"
#include "sim/trace/elf_format.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_elf.h"

#define CANONICAL_NAME "canonical text"
#define SWEEP_MAX_CHECKED 64   /* grid points ims_sweep_check may walk per input */
/* A conversion is replayed only up to this many bytes mapped, unmapped and
 * moved by DMA: a 4 KiB-aligned terabyte map is a valid trace, but its
 * page tables would take the fuzzer's memory and time. */
#define REPLAY_MAX_BYTES (UINT64_C(1) << 30)
#define REPLAY_ONE_IN 4

bool ims_fuzz_replay_all;

static void violate(struct ims_fuzz_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Only the first violation is kept: later ones usually follow from it. */
static void violate(struct ims_fuzz_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->violation[0])
		return;
	va_start(ap, fmt);
	vsnprintf(res->violation, sizeof(res->violation), fmt, ap);
	va_end(ap);
}

static void result_init(struct ims_fuzz_result *res)
{
	memset(res, 0, sizeof(*res));
}

/* A refusal must say what and where: the code, a message, the input's
 * name and, where the reader works line by line, the line. */
static void check_refusal(struct ims_fuzz_result *res, const char *path, bool need_line)
{
	char buf[1024];

	if (res->rc >= 0)
		return;
	ims_error_format(&res->err, buf, sizeof(buf));
	if (!res->err.code || res->rc != -res->err.code || !res->err.msg[0])
		violate(res, "refused (rc %d) without a matching code and message: '%s'", res->rc,
			buf);
	else if (path && strcmp(res->err.path, path))
		violate(res, "the error does not name the input '%s': '%s'", path, buf);
	else if (need_line && !res->err.line)
		violate(res, "the error names no line: '%s'", buf);
}

/* --- every event read or emitted ----------------------------------------------- */

/* Applies each event to declarations of its own (the rules the writers
 * and the ELF reader use) and collects its canonical text. */
struct checker {
	struct ims_trace_decls *decls;
	char *text;
	size_t len, cap;
	uint64_t events, last_time;
	uint64_t per_kind[IMS_EV_KIND_COUNT];
	uint64_t bytes;          /* mapped, unmapped and moved by DMA */
	bool small_pages;        /* ftrace --pgsizes 0x1000: replay with 4 KiB leaves */
	bool iova57;             /* --iova-bits 57 */
	uint64_t pa_end;         /* of the maps with pa= */
	struct ims_fuzz_result *res;
};

static void append(struct checker *c, const char *s, size_t n)
{
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *p;

		while (cap < c->len + n)
			cap *= 2;
		p = realloc(c->text, cap);
		if (!p) {
			violate(c->res, "out of memory collecting the canonical text");
			return;
		}
		c->text = p;
		c->cap = cap;
	}
	memcpy(c->text + c->len, s, n);
	c->len += n;
}

static bool checker_init(struct checker *c, struct ims_fuzz_result *res)
{
	char header[32];
	/* canonical text is of the newest version, whatever the input's */
	int n = snprintf(header, sizeof(header), "iommusim-trace %d\n", IMS_TRACE_VERSION);

	memset(c, 0, sizeof(*c));
	c->res = res;
	if (ims_decls_new(&c->decls)) {
		violate(res, "out of memory");
		return false;
	}
	append(c, header, (size_t)n);
	return true;
}

static void checker_fini(struct checker *c)
{
	ims_decls_free(c->decls);
	free(c->text);
}

static void check_event(struct checker *c, const struct ims_event *ev)
{
	struct ims_event copy = *ev;
	struct ims_error err = { 0 };
	char line[IMS_EVENT_TEXT_MAX + 1];
	int n;

	if (c->res->violation[0])
		return;   /* the declarations may be out of step now */
	if (c->events && ev->time < c->last_time)
		violate(c->res, "event %llu at cycle %llu comes after one at cycle %llu",
			(unsigned long long)c->events + 1, (unsigned long long)ev->time,
			(unsigned long long)c->last_time);
	if (ev->kind >= IMS_EV_KIND_COUNT) {
		violate(c->res, "event %llu has kind %u", (unsigned long long)c->events + 1,
			(unsigned)ev->kind);
		return;
	}
	c->events++;
	c->last_time = ev->time;
	c->per_kind[ev->kind]++;
	if (ev->kind == IMS_EV_MAP || ev->kind == IMS_EV_UNMAP || ev->kind == IMS_EV_DMA)
		c->bytes += ev->len < REPLAY_MAX_BYTES ? ev->len : REPLAY_MAX_BYTES;
	if ((ev->flags & IMS_EVF_HAS_PA) && ev->pa + ev->len > c->pa_end)
		c->pa_end = ev->pa + ev->len;   /* the event rules keep it below 2^52 */
	if (ims_decls_apply_full(c->decls, &copy, &err)) {
		violate(c->res, "event %llu (%s) was let through, but the event rules refuse it: %s",
			(unsigned long long)c->events, ims_ev_kind_name(ev->kind), err.msg);
		return;
	}
	n = ims_event_format(c->decls, &copy, line, sizeof(line) - 1);
	if (n < 0) {
		violate(c->res, "event %llu (%s) has no canonical text",
			(unsigned long long)c->events, ims_ev_kind_name(ev->kind));
		return;
	}
	line[n] = '\n';
	append(c, line, (size_t)n + 1);
}

/* Every event read from `r` into c; the reader's verdict into res. */
static void read_all(struct ims_trace_reader *r, struct checker *c, struct ims_fuzz_result *res)
{
	uint64_t line = 0;
	struct ims_event ev;
	int rc;

	while ((rc = ims_trace_next(r, &ev, &res->err)) > 0) {
		res->events++;
		/* one event per line or record: messages about it point there */
		if (ev.line <= line)
			violate(res, "event %llu is at line or record %llu, after %llu",
				(unsigned long long)res->events, (unsigned long long)ev.line,
				(unsigned long long)line);
		line = ev.line;
		check_event(c, &ev);
	}
	res->rc = rc;
	if (rc < 0 && res->err.line && res->err.line <= line)
		violate(res, "the error is at line or record %llu, the last event at %llu",
			(unsigned long long)res->err.line, (unsigned long long)line);
}

/* The canonical text of what was accepted is a trace that reads back to
 * itself, byte for byte (sim/trace/format.c promises one spelling per
 * event). Checked for the events before an error too. */
static void check_round_trip(const struct checker *c, struct ims_fuzz_result *res)
{
	struct ims_fuzz_result again;
	struct ims_trace_reader *r;
	struct checker c2;
	char buf[1024];

	if (res->violation[0])
		return;
	result_init(&again);
	if (!checker_init(&c2, &again))
		return;
	again.rc = ims_trace_open_mem(&r, CANONICAL_NAME, c->text, c->len, &again.err);
	if (!again.rc) {
		read_all(r, &c2, &again);
		ims_trace_close(r);
	}
	if (again.rc < 0)
		violate(res, "the canonical text of the accepted events is refused: '%s'",
			ims_error_format(&again.err, buf, sizeof(buf)));
	else if (again.violation[0])
		violate(res, "reading the canonical text back: %s", again.violation);
	else if (c2.len != c->len || memcmp(c2.text, c->text, c->len))
		violate(res, "the canonical text reads back as different events "
			"(%llu events, %zu bytes, then %llu events, %zu bytes)",
			(unsigned long long)c->events, c->len, (unsigned long long)c2.events, c2.len);
	checker_fini(&c2);
}

/* --- trace readers ------------------------------------------------------------------ */

void ims_fuzz_trace_text(const char *name, const uint8_t *data, size_t len,
			 struct ims_fuzz_result *res)
{
	struct ims_trace_reader *r;
	struct checker c;

	result_init(res);
	if (!checker_init(&c, res))
		return;
	res->rc = ims_trace_open_mem(&r, name, (const char *)data, len, &res->err);
	if (!res->rc) {
		read_all(r, &c, res);
		ims_trace_close(r);
		/* past the header every message has its line */
		check_refusal(res, name, true);
	} else {
		check_refusal(res, name, false);
	}
	check_round_trip(&c, res);
	checker_fini(&c);
}

void ims_fuzz_trace_file(const char *path, struct ims_fuzz_result *res)
{
	struct ims_trace_reader *r;
	struct checker c;

	result_init(res);
	if (!checker_init(&c, res))
		return;
	res->rc = ims_trace_open(&r, path, &res->err);
	if (!res->rc) {
		read_all(r, &c, res);
		ims_trace_close(r);
	}
	/* the container's errors name a record or a section, not always a line */
	check_refusal(res, path, false);
	check_round_trip(&c, res);
	checker_fini(&c);
}

/* One section of a container being packed; compressed by libelf when asked. */
static bool add_section(Elf *e, uint32_t name, uint32_t type, const void *buf, size_t size,
			bool compress)
{
	Elf_Scn *scn = elf_newscn(e);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;
	GElf_Shdr sh;

	if (!d || !gelf_getshdr(scn, &sh))
		return false;
	d->d_buf = (void *)buf;
	d->d_size = size;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	sh.sh_name = name;
	sh.sh_type = type;
	sh.sh_addralign = 1;
	return gelf_update_shdr(scn, &sh) && (!compress || elf_compress(scn, ELFCOMPRESS_ZLIB, ELF_CHF_FORCE) == 1);
}

/* The unpacked form of a container: a 16-bit little-endian length, that many
 * bytes of metadata, then the event records, all uncompressed. Written to
 * path as a container with libelf (not sim/trace/writer.c, which refuses
 * bad events): the meta section and, when there are records, one event
 * section. Without this, a mutation of the container's bytes lands in zlib
 * data and fails its checksum long before a record is decoded. */
static bool pack_container(const char *path, const uint8_t *data, size_t len)
{
	static const char names[] = "\0" IMS_ELF_META "\0" IMS_ELF_EVENTS "0\0.shstrtab";
	const uint32_t meta_name = 1, events_name = meta_name + sizeof(IMS_ELF_META),
		       strtab_name = events_name + sizeof(IMS_ELF_EVENTS "0");
	size_t meta_len = len >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
	const uint8_t *meta = data + (len >= 2 ? 2 : len);
	size_t rest = len - (size_t)(meta - data);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	GElf_Ehdr eh;
	Elf *e;
	bool ok;

	if (meta_len > rest)
		meta_len = rest;
	if (fd < 0)
		return false;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		return false;
	}
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	ok = e && gelf_newehdr(e, ELFCLASS64) && gelf_getehdr(e, &eh);
	if (ok) {
		/* the encoding first: libelf compresses in it */
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_type = ET_NONE;
		eh.e_machine = EM_NONE;
		eh.e_version = EV_CURRENT;
		eh.e_shstrndx = (uint16_t)(rest == meta_len ? 2 : 3);
		ok = gelf_update_ehdr(e, &eh) &&
		     add_section(e, meta_name, SHT_PROGBITS, meta, meta_len, true) &&
		     (rest == meta_len ||
		      add_section(e, events_name, SHT_PROGBITS, meta + meta_len, rest - meta_len,
				  true)) &&
		     add_section(e, strtab_name, SHT_STRTAB, names, sizeof(names), false) &&
		     elf_update(e, ELF_C_WRITE) >= 0;
	}
	elf_end(e);
	return !close(fd) && ok;
}

void ims_fuzz_trace_elf(const char *path, const uint8_t *data, size_t len,
			struct ims_fuzz_result *res)
{
	FILE *f;
	bool ok;

	/* gzip text goes to the file as it is too: the file reader's other half */
	bool gzip = len >= 2 && data[0] == 0x1f && data[1] == 0x8b;

	if (gzip || ims_elf_magic(data, len >= 4 ? 4 : (unsigned)len)) {
		f = fopen(path, "wb");
		ok = f && fwrite(data, 1, len, f) == len;
		ok = f && !fclose(f) && ok;
	} else {
		ok = pack_container(path, data, len);
	}
	if (!ok) {
		result_init(res);
		violate(res, "cannot write the container %s (%s)", path, elf_errmsg(-1));
		return;
	}
	ims_fuzz_trace_file(path, res);
}

/* --- converters -------------------------------------------------------------------- */

static int emit(const struct ims_event *ev, struct ims_error *err, void *payload)
{
	(void)err;
	check_event(payload, ev);
	return 0;
}

/* The summary counts what was written (docs/converters.md, "Summary"). */
static void check_stats(const struct checker *c, const struct ims_convert_stats *st,
			struct ims_fuzz_result *res)
{
	const struct {
		const char *name;
		uint64_t counted, written;
	} rows[] = {
		{ "devices", st->devices, c->per_kind[IMS_EV_DEVICE] },
		{ "domains", st->domains, c->per_kind[IMS_EV_DOMAIN] },
		{ "maps", st->maps, c->per_kind[IMS_EV_MAP] },
		{ "unmaps", st->unmaps, c->per_kind[IMS_EV_UNMAP] },
		{ "dmas", st->dmas, c->per_kind[IMS_EV_DMA] },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].counted != rows[i].written)
			violate(res, "the summary says %s %llu, %llu were written", rows[i].name,
				(unsigned long long)rows[i].counted,
				(unsigned long long)rows[i].written);
	if (st->fault_dmas > st->dmas)
		violate(res, "the summary has more fault DMAs (%llu) than DMAs (%llu)",
			(unsigned long long)st->fault_dmas, (unsigned long long)st->dmas);
}

/* A second option set from the input's bytes: a mutation anywhere moves
 * the input to another set, so every option gets its turn without the
 * input carrying a header of its own. */
static uint32_t input_hash(const uint8_t *data, size_t len)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

typedef int (*convert_fn)(const char *name, const uint8_t *data, size_t len,
			  struct checker *c, uint32_t variant, struct ims_convert_stats *st,
			  struct ims_error *err);

static int ftrace_variant(const char *name, const uint8_t *data, size_t len, struct checker *c,
			  uint32_t v, struct ims_convert_stats *st, struct ims_error *err)
{
	static const enum ims_convert_dir dirs[] = {
		IMS_CONVERT_DIR_WRITE, IMS_CONVERT_DIR_READ, IMS_CONVERT_DIR_NONE,
		IMS_CONVERT_DIR_WRITE,
	};
	struct ims_ftrace_opts o = IMS_FTRACE_OPTS_INIT;

	if (v) {
		o.domains = v & 1 ? IMS_CONVERT_DOMAINS_GROUP : IMS_CONVERT_DOMAINS_SINGLE;
		o.dma_dir = dirs[(v >> 1) & 3];
		o.dma_delay = v & 8 ? (v >> 16) * 64u : IMS_CONVERT_AUTO;
		o.iova_bits = v & 16 ? 57 : 48;
		o.pgsizes = v & 32 ? 0x1000 : UINT64_C(0x40201000) | (UINT64_C(1) << 39);
		c->small_pages = o.pgsizes == 0x1000;
		c->iova57 = o.iova_bits == 57;
		o.mhz = v & 64 ? 100 : 10000;
		o.fault_len = 1 + ((v >> 8) & 0xff) * 4099u;
	}
	o.stats = st;
	return ims_convert_ftrace_mem(name, data, len, emit, c, &o, err);
}

static int qemu_variant(const char *name, const uint8_t *data, size_t len, struct checker *c,
			uint32_t v, struct ims_convert_stats *st, struct ims_error *err)
{
	struct ims_qemu_opts o = IMS_QEMU_OPTS_INIT;

	if (v) {
		o.domains = v & 1 ? IMS_CONVERT_DOMAINS_SINGLE : IMS_CONVERT_DOMAINS_DEVICE;
		o.unknown_dir = v & 2 ? IMS_CONVERT_DIR_WRITE : IMS_CONVERT_DIR_READ;
		o.dma_len = v & 4 ? 1 + ((v >> 8) & 0xffff) * 97u : IMS_TRACE_DMA_MAX_LEN;
		o.interval = v & 8 ? 0 : UINT64_C(1) << 40;
		o.start = v & 16 ? (v >> 20) * 1000u : IMS_CONVERT_AUTO;
		o.iova_bits = v & 32 ? 57 : 48;
		o.mhz = v & 64 ? 100 : 10000;
		c->iova57 = o.iova_bits == 57;
	}
	o.stats = st;
	return ims_convert_qemu_mem(name, data, len, emit, c, &o, err);
}

/* A conversion's trace replays: the converters keep the simulated host's
 * mappings so that it never refuses a map or unmap (docs/converters.md,
 * "Rules"), so any run error is a converter bug. Faults are not errors. */
static void check_replay(const struct checker *c, uint32_t variant, struct ims_fuzz_result *res)
{
	const struct ims_model_ops *model = ims_models[variant % ims_model_count];
	/* what --pgsizes 0x1000 stands for: a host that maps 4 KiB leaves only */
	static const char *const small_pages[] = { "vtd_sllps=0", "amdv1_pgsizes=0x1000" };
	struct ims_sim *sim = malloc(sizeof(*sim));
	struct ims_trace_reader *r = NULL;
	struct ims_error err = { 0 };
	struct ims_strategies st;
	struct ims_params p;
	char buf[1024];
	int rc;

	if (res->violation[0] || c->bytes > REPLAY_MAX_BYTES) {
		free(sim);
		return;
	}
	if (!sim) {
		violate(res, "out of memory");
		return;
	}
	ims_params_default(&p);
	/* SMMUv3 has neither 5-level tables, nor output addresses of more than
	 * 48 bits (the format allows 52), nor a parameter for 4 KiB leaves only */
	if ((c->small_pages || c->iova57 || c->pa_end > UINT64_C(1) << 48) &&
	    !strcmp(model->name, "smmuv3"))
		model = ims_model_find(variant & 0x100 ? "vtd" : "amdv1");
	if (c->small_pages) {
		for (size_t i = 0; i < sizeof(small_pages) / sizeof(small_pages[0]); i++)
			if (ims_params_set(&p, small_pages[i], &err))
				violate(res, "%s: %s", small_pages[i], err.msg);
	}
	ims_strategies_default(&st);
	rc = ims_trace_open_mem(&r, CANONICAL_NAME, c->text, c->len, &err);
	if (!rc) {
		rc = ims_sim_init(sim, model, &p, &err);
		if (!rc) {
			rc = ims_run_trace(sim, r, &st, &err);
			ims_sim_fini(sim);
		}
		ims_trace_close(r);
	}
	if (rc)
		violate(res, "the converted trace does not replay on %s: '%s'", model->name,
			ims_error_format(&err, buf, sizeof(buf)));
	free(sim);
}

static void fuzz_convert(const char *name, const uint8_t *data, size_t len, convert_fn fn,
			 struct ims_fuzz_result *res)
{
	/* the defaults, then the set the input picks (never 0: the defaults) */
	uint32_t variants[2] = { 0, input_hash(data, len) | 0x80000000u };
	/* A replay costs ten times the conversion (model set-up and page
	 * tables): one input in REPLAY_ONE_IN gets it, so the parsers are
	 * still fuzzed at speed. The choice is the input's, so it replays
	 * the same way every time. */
	bool replay = ims_fuzz_replay_all || (variants[1] >> 24) % REPLAY_ONE_IN == 0;

	result_init(res);
	for (int k = 0; k < 2 && !res->violation[0]; k++) {
		struct ims_convert_stats st = { 0 };
		struct checker c;

		if (!checker_init(&c, res))
			return;
		memset(&res->err, 0, sizeof(res->err));
		res->rc = fn(name, data, len, &c, variants[k], &st, &res->err);
		res->events = c.events;
		check_refusal(res, name, true);
		if (!res->rc)
			check_stats(&c, &st, res);
		check_round_trip(&c, res);
		if (!res->rc && replay)
			check_replay(&c, variants[1] + (uint32_t)k, res);
		checker_fini(&c);
	}
}

void ims_fuzz_ftrace(const char *name, const uint8_t *data, size_t len,
		     struct ims_fuzz_result *res)
{
	fuzz_convert(name, data, len, ftrace_variant, res);
}

void ims_fuzz_qemu(const char *name, const uint8_t *data, size_t len,
		   struct ims_fuzz_result *res)
{
	fuzz_convert(name, data, len, qemu_variant, res);
}

/* --- command-line values ------------------------------------------------------------
 *
 * The input is lines "WHAT VALUE":
 *   param NAME=VALUE    ims_params_set (also a --param of the sweep)
 *   strategy SPEC       ims_strategies_parse (also the sweep's --strategy)
 *   model NAME          ims_model_find (also the sweep's --model)
 *   ftrace NAME=VALUE   ims_ftrace_opts_set
 *   qemu NAME=VALUE     ims_qemu_opts_set
 *   gen WORKLOAD        a generator configuration (ims_gen_find) for knob lines
 *   knob NAME[=VALUE]   ims_gen_cfg_set on it
 *   vary NAME=V1,...    ims_sweep_add_axis
 *   input SPEC          the sweep's input, gen:WORKLOAD[,KNOB=V...]
 * and any other line is a --param assignment. At the end the parameters are
 * validated and converted to cycles, the generator's knobs checked
 * together, and a sweep of at most SWEEP_MAX_CHECKED points checked
 * (ims_sweep_check: every point set up, nothing run).
 */

static bool refused(struct ims_fuzz_result *res, int rc, const struct ims_error *err,
		    const char *what, const char *value)
{
	if (!rc)
		return false;
	if (!err->code || rc != -err->code || !err->msg[0])
		violate(res, "%s '%s' refused (rc %d) without a matching code and message", what,
			value, rc);
	return true;
}

static void check_params(const struct ims_params *p, struct ims_fuzz_result *res)
{
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		if (d->kind == IMS_PARAM_COST) {
			double v = ims_params_get(p, i);

			if (!isfinite(v) || v < 0 || v > 1e12)
				violate(res, "parameter %s holds %g", d->name, v);
		} else {
			uint64_t v = ims_params_get_u64(p, i);

			if (v < d->min || v > d->max)
				violate(res, "parameter %s holds %llu, outside [%llu, %llu]", d->name,
					(unsigned long long)v, (unsigned long long)d->min,
					(unsigned long long)d->max);
		}
	}
}

static void on_strategy(const char *spec, struct ims_fuzz_result *res)
{
	struct ims_strategies s, again;
	char bad[64], name[256];

	ims_strategies_default(&s);
	if (ims_strategies_parse(&s, spec, bad, sizeof(bad))) {
		if (!memchr(bad, '\0', sizeof(bad)))
			violate(res, "strategy '%s': the offending name is not terminated", spec);
		return;
	}
	/* the name of what was parsed parses to the same strategies */
	ims_strategies_name(&s, name, sizeof(name));
	ims_strategies_default(&again);
	if (ims_strategies_parse(&again, name, bad, sizeof(bad)) || again.unmap != s.unmap ||
	    again.sync != s.sync || again.coherency != s.coherency)
		violate(res, "strategy '%s' is named '%s', which does not parse back", spec, name);
}

static void check_ftrace_opts(const struct ims_ftrace_opts *o, struct ims_fuzz_result *res)
{
	/* mhz 0 is the default: cpu_mhz */
	if ((o->mhz && o->mhz < 100) || o->mhz > 10000 || o->fault_len < 1 ||
	    o->fault_len > IMS_TRACE_DMA_MAX_LEN || (o->iova_bits != 48 && o->iova_bits != 57) ||
	    !(o->pgsizes & 0x1000) ||
	    (o->dma_delay != IMS_CONVERT_AUTO && o->dma_delay > UINT64_C(1) << 60))
		violate(res, "ftrace options out of range after a successful set");
}

static void check_qemu_opts(const struct ims_qemu_opts *o, struct ims_fuzz_result *res)
{
	if ((o->mhz && o->mhz < 100) || o->mhz > 10000 || o->dma_len < 1 ||
	    o->dma_len > IMS_TRACE_DMA_MAX_LEN || (o->iova_bits != 48 && o->iova_bits != 57) ||
	    o->interval > UINT64_C(1) << 40 ||
	    (o->start != IMS_CONVERT_AUTO && o->start > UINT64_C(1) << 60))
		violate(res, "QEMU options out of range after a successful set");
}

static unsigned choices(const char *words)
{
	unsigned n = 1;

	for (; *words; words++)
		n += *words == '|';
	return n;
}

static void check_knobs(const struct ims_gen_cfg *cfg, struct ims_fuzz_result *res)
{
	for (unsigned i = 0; i < cfg->w->nopts; i++) {
		const struct ims_gen_opt *o = &cfg->w->opts[i];
		uint64_t v = cfg->v[i];
		bool ok;

		switch (o->type) {
		case IMS_GEN_FLAG: ok = v <= 1; break;
		case IMS_GEN_FRAC: ok = v <= IMS_GEN_PPM; break;
		case IMS_GEN_CHOICE: ok = v < choices(o->choices); break;
		default: ok = v >= o->min && v <= o->max; break;
		}
		if (!ok)
			violate(res, "%s: knob %s holds %llu", cfg->w->name, o->name,
				(unsigned long long)v);
	}
}

/* "NAME=VALUE" split in place; VALUE is NULL without '='. */
static char *split_assignment(char *s)
{
	char *eq = strchr(s, '=');

	if (!eq)
		return NULL;
	*eq = '\0';
	return eq + 1;
}

struct options_state {
	struct ims_params params;
	struct ims_ftrace_opts ftrace;
	struct ims_qemu_opts qemu;
	struct ims_gen_cfg gen;
	bool have_gen;
	struct ims_sweep sweep;
	struct ims_fuzz_result *res;
};

static void option_line(struct options_state *s, char *line)
{
	static char none[1];
	struct ims_fuzz_result *res = s->res;
	struct ims_error err = { 0 };
	char *blank = strchr(line, ' ');
	char *what = line, *value = blank ? blank + 1 : none;
	int rc;

	if (blank)
		*blank = '\0';
	if (!strcmp(what, "strategy")) {
		on_strategy(value, res);
		s->sweep.strategy = value;
	} else if (!strcmp(what, "model")) {
		const struct ims_model_ops *m = ims_model_find(value);

		if (m && strcmp(m->name, value))
			violate(res, "model '%s' found as '%s'", value, m->name);
		s->sweep.model = value;
	} else if (!strcmp(what, "ftrace") || !strcmp(what, "qemu")) {
		struct ims_ftrace_opts ftrace;
		struct ims_qemu_opts qemu;
		char *v = split_assignment(value);

		/* copied with their padding: a refusal must leave every byte */
		memcpy(&ftrace, &s->ftrace, sizeof(ftrace));
		memcpy(&qemu, &s->qemu, sizeof(qemu));
		rc = what[0] == 'f' ? ims_ftrace_opts_set(&s->ftrace, value, v ? v : none, &err)
				    : ims_qemu_opts_set(&s->qemu, value, v ? v : none, &err);
		if (refused(res, rc, &err, what, value)) {
			if (memcmp(&ftrace, &s->ftrace, sizeof(ftrace)) ||
			    memcmp(&qemu, &s->qemu, sizeof(qemu)))
				violate(res, "%s %s=%s refused, but the options changed", what, value,
					v ? v : "");
		} else {
			check_ftrace_opts(&s->ftrace, res);
			check_qemu_opts(&s->qemu, res);
		}
	} else if (!strcmp(what, "gen")) {
		const struct ims_gen_workload *w = ims_gen_find(value);

		s->have_gen = w != NULL;
		if (w)
			ims_gen_cfg_init(&s->gen, w);
	} else if (!strcmp(what, "knob")) {
		struct ims_gen_cfg before;
		char *v;

		if (!s->have_gen)
			return;
		v = split_assignment(value);
		memcpy(&before, &s->gen, sizeof(before));
		rc = ims_gen_cfg_set(&s->gen, value, v, &err);
		if (refused(res, rc, &err, "knob", value)) {
			if (memcmp(&before, &s->gen, sizeof(before)))
				violate(res, "knob %s refused, but the configuration changed", value);
		} else {
			check_knobs(&s->gen, res);
		}
	} else if (!strcmp(what, "vary")) {
		unsigned before = s->sweep.naxes;

		rc = ims_sweep_add_axis(&s->sweep, value, &err);
		if (!refused(res, rc, &err, "vary", value) &&
		    (s->sweep.naxes != before + 1 || !s->sweep.axes[before].nvalues))
			violate(res, "vary '%s' accepted without adding an axis of values", value);
	} else if (!strcmp(what, "input")) {
		s->sweep.input = value;
	} else {
		char *assignment = line;
		struct ims_params before;

		if (!strcmp(what, "param"))
			assignment = value;
		else if (blank)
			*blank = ' ';   /* not a keyword: the whole line is the assignment */
		memcpy(&before, &s->params, sizeof(before));
		rc = ims_params_set(&s->params, assignment, &err);
		if (refused(res, rc, &err, "param", assignment)) {
			if (memcmp(&before, &s->params, sizeof(before)))
				violate(res, "parameter '%s' refused, but the parameters changed",
					assignment);
		} else {
			check_params(&s->params, res);
			if (s->sweep.nparams < IMS_SWEEP_MAX_PARAMS)
				s->sweep.params[s->sweep.nparams++] = assignment;
		}
	}
}

static void options_end(struct options_state *s)
{
	struct ims_fuzz_result *res = s->res;
	struct ims_error err = { 0 };
	int rc = ims_params_validate(&s->params, &err);

	if (!refused(res, rc, &err, "parameters", "(validate)")) {
		struct ims_costs costs;

		ims_costs_from_params(&costs, &s->params);
	}
	if (s->have_gen) {
		memset(&err, 0, sizeof(err));
		rc = ims_gen_cfg_check(&s->gen, &err);
		refused(res, rc, &err, "generator", s->gen.w->name);
	}
	if (s->sweep.input && !strncmp(s->sweep.input, "gen:", 4) &&
	    ims_sweep_points(&s->sweep) <= SWEEP_MAX_CHECKED) {
		memset(&err, 0, sizeof(err));
		rc = ims_sweep_check(&s->sweep, &err);
		refused(res, rc, &err, "sweep", s->sweep.input);
	}
}

void ims_fuzz_options(const uint8_t *data, size_t len, struct ims_fuzz_result *res)
{
	struct ims_ftrace_opts ftrace = IMS_FTRACE_OPTS_INIT;
	struct ims_qemu_opts qemu = IMS_QEMU_OPTS_INIT;
	struct options_state *s = calloc(1, sizeof(*s));
	char *text = malloc(len + 1);

	result_init(res);
	if (!s || !text) {
		violate(res, "out of memory");
		free(s);
		free(text);
		return;
	}
	s->res = res;
	ims_params_default(&s->params);
	check_params(&s->params, res);
	s->ftrace = ftrace;
	s->qemu = qemu;
	ims_sweep_init(&s->sweep);
	/* lines split in place: the sweep keeps pointers into them */
	memcpy(text, data, len);
	text[len] = '\0';
	for (char *line = text, *nl; line; line = nl) {
		nl = memchr(line, '\n', (size_t)(text + len - line));
		if (nl)
			*nl++ = '\0';
		option_line(s, line);
		res->events++;
	}
	options_end(s);
	ims_sweep_fini(&s->sweep);
	free(s);
	free(text);
}

int ims_fuzz_verdict(const struct ims_fuzz_result *res)
{
	if (res->violation[0]) {
		fprintf(stderr, "fuzz target: %s\n", res->violation);
		abort();
	}
	return 0;
}
