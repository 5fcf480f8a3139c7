/* Shared machinery of the converters: see cv.h. */
#include "sim/convert/cv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/params.h"
#include "sim/trace/writer.h"

#define INBUF_SIZE (256u * 1024u)
#define MAX_DECLS IMS_TRACE_MAX_DECLS
#define TIME_LIMIT (UINT64_C(1) << 62)   /* cycles: far beyond any real trace */

/* --- input ------------------------------------------------------------------ */

static int open_file(struct cv *cv, const char *path)
{
	struct cv_input *in = &cv->in;

	in->store = malloc(INBUF_SIZE);
	if (!in->store)
		return ims_error_set(cv->err, IMS_ENOMEM, "out of memory");
	in->buf = in->store;
	errno = 0;
	in->gz = path ? gzopen(path, "rb") : NULL;
	if (!in->gz || gzbuffer(in->gz, INBUF_SIZE) != 0)
		return cv_fail(cv, IMS_EIO, "cannot open: %s",
			       errno ? strerror(errno) : "out of memory");
	return 0;
}

int cv_open(struct cv *cv, const char *name, const void *data, size_t len,
	    ims_convert_emit_fn emit, void *payload, uint64_t mhz, uint8_t iova_bits,
	    struct ims_error *err)
{
	struct ims_params p;

	memset(cv, 0, sizeof(*cv));
	snprintf(cv->in.path, sizeof(cv->in.path), "%s", name ? name : "");
	ims_params_default(&p);
	cv->emit = emit;
	cv->payload = payload;
	cv->err = err;
	cv->mhz = mhz ? mhz : p.cpu_mhz;
	cv->iova_bits = iova_bits ? iova_bits : 48;
	if (!data)
		return open_file(cv, name);
	cv->in.buf = data;
	cv->in.memlen = cv->in.end = len;
	cv->in.eof = true;
	return 0;
}

/* gzread has stopped: a clean end, or a stream cut short or damaged (zlib
 * tells the two apart only through gzerror). */
static int read_failure(struct cv *cv, int n)
{
	int zerr = Z_OK;
	const char *msg = gzerror(cv->in.gz, &zerr);
	size_t plen = strlen(cv->in.path);

	if (!strncmp(msg, cv->in.path, plen) && msg[plen] == ':' && msg[plen + 1] == ' ')
		msg += plen + 2;   /* zlib names the file; the location does already */
	if (zerr == Z_ERRNO)
		return cv_fail(cv, IMS_EIO, "read error: %s", strerror(errno));
	if (n < 0 || zerr == Z_BUF_ERROR || zerr == Z_DATA_ERROR)
		return cv_fail(cv, IMS_EIO, "truncated or corrupt gzip data (%s)", msg);
	return 0;
}

static int fill(struct cv *cv)
{
	struct cv_input *in = &cv->in;
	int n;

	in->pos = in->end = 0;
	if (!in->gz) {
		in->eof = true;
		return 0;
	}
	n = gzread(in->gz, in->store, INBUF_SIZE);
	if (n > 0) {
		in->end = (size_t)n;
		return 0;
	}
	in->eof = true;
	return read_failure(cv, n);
}

/* Append up to the room left; a line longer than CV_LINE_MAX keeps its
 * start and is flagged. */
static void take(struct cv_input *in, const unsigned char *s, size_t n)
{
	size_t room = CV_LINE_MAX - in->len;

	if (n > room) {
		in->too_long = true;
		n = room;
	}
	memcpy(in->line + in->len, s, n);
	in->len += n;
}

int cv_next_line(struct cv *cv)
{
	struct cv_input *in = &cv->in;
	bool started = false;

	in->len = 0;
	in->too_long = false;
	for (;;) {
		const unsigned char *s = in->buf + in->pos;
		size_t avail = in->end - in->pos;
		const unsigned char *nl = memchr(s, '\n', avail);
		int rc;

		if (nl) {
			take(in, s, (size_t)(nl - s));
			in->pos += (size_t)(nl - s) + 1;
			break;
		}
		take(in, s, avail);
		started |= avail > 0;
		in->pos = in->end;
		if (in->eof) {
			if (!started)
				return 0;
			break;   /* last line without '\n' */
		}
		in->lineno += 1;   /* an error is on the line being read */
		rc = fill(cv);
		in->lineno -= 1;
		if (rc < 0)
			return rc;
	}
	in->lineno++;
	cv->st.lines++;
	if (in->len && in->line[in->len - 1] == '\r')
		in->len--;
	for (size_t i = 0; i < in->len; i++)
		if (in->line[i] == '\0')
			in->line[i] = '\x1a';
	in->line[in->len] = '\0';
	return 1;
}

int cv_rewind(struct cv *cv)
{
	struct cv_input *in = &cv->in;

	in->lineno = 0;
	in->pos = 0;
	if (!in->gz) {
		in->end = in->memlen;
		return 0;
	}
	in->end = 0;
	in->eof = false;
	if (gzrewind(in->gz) != 0)
		return cv_fail(cv, IMS_EIO, "cannot read the input a second time");
	return 0;
}

/* --- errors ------------------------------------------------------------------ */

int cv_fail(struct cv *cv, int code, const char *fmt, ...)
{
	struct ims_error *err = cv->err;
	va_list ap;

	if (!err)
		return -code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->path[0] = '\0';
	err->line = 0;
	ims_error_locate(err, cv->in.path, cv->in.lineno);
	return -code;
}

int cv_malformed(struct cv *cv, const char *event, const char *expected)
{
	if (cv->in.too_long)
		return cv_fail(cv, IMS_ESYNTAX, "%s: line too long (more than %u characters)",
			       event, CV_LINE_MAX);
	return cv_fail(cv, IMS_ESYNTAX, "%s: malformed fields (expected '%s')", event, expected);
}

static uint64_t add_time(uint64_t t, double cycles)
{
	return cycles < (double)(TIME_LIMIT - t) ? t + (uint64_t)cycles : TIME_LIMIT;
}

/* --- teardown ----------------------------------------------------------------- */

void cv_close(struct cv *cv, struct ims_convert_stats *out)
{
	if (out) {
		*out = cv->st;
		out->end_time = cv->last_out;
	}
	if (cv->in.gz)
		gzclose(cv->in.gz);
	free(cv->in.store);
	free(cv->dev);
	free(cv->dom);
	free(cv->dev_by_key.slot);
	free(cv->dev_by_name.slot);
	free(cv->dom_by_name.slot);
	memset(cv, 0, sizeof(*cv));
}

uint64_t cv_host_run(struct cv *cv, enum cv_host_op op, uint64_t pages)
{
	struct ims_params p;
	double c, min = 0;
	uint64_t tables;   /* whole page-table pages: one per 512 pages */

	/* Generous: twice the per-page work, a fresh page-table page per level
	 * and per 512 pages, an invalidation with its wait per unmap: more
	 * than the models charge (sim/host, models/). */
	ims_params_default(&p);
	if (pages > (UINT64_C(1) << 40))
		pages = UINT64_C(1) << 40;
	tables = pages / 512;
	switch (op) {
	case CV_HOST_MAP:
		min = (double)pages * (p.sw_pin_page_cycles + p.sw_pte_write_cycles);
		c = 2 * min + (double)(4 + tables) * p.sw_pt_alloc_cycles;
		break;
	case CV_HOST_UNMAP:
		min = (double)pages * p.sw_unpin_page_cycles;
		c = 2 * (double)pages * (p.sw_unpin_page_cycles + p.sw_pte_write_cycles) +
		    (double)(1 + tables) * p.sw_pt_free_cycles + 4000;
		break;
	default:
		c = 4000;
		break;
	}
	cv->host_free = add_time(cv->host_free > cv->now ? cv->host_free : cv->now, c);
	cv->host_min = add_time(cv->host_min > cv->now ? cv->host_min : cv->now, min);
	return cv->host_free;
}

/* --- time --------------------------------------------------------------------- */

void cv_time_cycles(struct cv *cv, uint64_t cycles)
{
	if (cycles < cv->now) {
		uint64_t back = cv->now - cycles;

		cv->st.reordered++;
		if (back > cv->st.reorder_max_cycles)
			cv->st.reorder_max_cycles = back;
		return;
	}
	cv->now = cycles;
}

static uint64_t ns_to_cycles(const struct cv *cv, uint64_t ns)
{
	unsigned __int128 c = (unsigned __int128)ns * cv->mhz / 1000;

	return c > TIME_LIMIT ? TIME_LIMIT : (uint64_t)c;
}

int cv_time_ns(struct cv *cv, uint64_t ns, uint64_t base)
{
	uint64_t rel;

	if (!cv->have_t0) {
		cv->have_t0 = true;
		cv->t0_ns = ns;
	}
	if (ns < cv->t0_ns) {
		/* before the first line: flattened like any step back */
		uint64_t back = ns_to_cycles(cv, cv->t0_ns - ns) + (cv->now - base);

		cv->st.reordered++;
		if (back > cv->st.reorder_max_cycles)
			cv->st.reorder_max_cycles = back;
		return 0;
	}
	rel = ns_to_cycles(cv, ns - cv->t0_ns);
	if (rel >= TIME_LIMIT - base)
		return cv_fail(cv, IMS_EINVAL,
			       "timestamp %llu.%09llu is too far after the first one (%llu.%09llu)",
			       (unsigned long long)(ns / 1000000000u),
			       (unsigned long long)(ns % 1000000000u),
			       (unsigned long long)(cv->t0_ns / 1000000000u),
			       (unsigned long long)(cv->t0_ns % 1000000000u));
	cv_time_cycles(cv, base + rel);
	return 0;
}

/* --- string index ----------------------------------------------------------- */

typedef const char *(*key_fn)(const struct cv *cv, uint32_t index);

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Index of `key`, or CV_NONE; *slot_out is where it would go. */
static uint32_t index_find(const struct cv *cv, const struct cv_index *x, key_fn key_of,
			   const char *key, uint32_t *slot_out)
{
	uint32_t i;

	if (!x->slot)
		return CV_NONE;
	for (i = hash_str(key) & x->mask; x->slot[i]; i = (i + 1) & x->mask)
		if (!strcmp(key_of(cv, x->slot[i] - 1), key))
			return x->slot[i] - 1;
	*slot_out = i;
	return CV_NONE;
}

/* Make room for one more than `count` entries (load at most one half). */
static int index_reserve(const struct cv *cv, struct cv_index *x, key_fn key_of,
			 uint32_t count)
{
	uint32_t cap = x->slot ? x->mask + 1 : 0, ncap = cap ? cap : 64;
	uint32_t *slot;

	if ((uint64_t)(count + 1) * 2 <= cap)
		return 0;
	while ((uint64_t)(count + 1) * 2 > ncap)
		ncap *= 2;
	slot = calloc(ncap, sizeof(*slot));
	if (!slot)
		return -IMS_ENOMEM;
	for (uint32_t k = 0; k < cap; k++) {
		uint32_t i;

		if (!x->slot[k])
			continue;
		for (i = hash_str(key_of(cv, x->slot[k] - 1)) & (ncap - 1); slot[i];
		     i = (i + 1) & (ncap - 1))
			;
		slot[i] = x->slot[k];
	}
	free(x->slot);
	x->slot = slot;
	x->mask = ncap - 1;
	return 0;
}

static void index_put(struct cv_index *x, uint32_t slot, uint32_t index)
{
	x->slot[slot] = index + 1;
}

static const char *dev_key(const struct cv *cv, uint32_t i) { return cv->dev[i].key; }
static const char *dev_name(const struct cv *cv, uint32_t i) { return cv->dev[i].name; }
static const char *dom_name(const struct cv *cv, uint32_t i) { return cv->dom[i].name; }

/* Room for one more declared object of the array *arr (count in use). */
static int room(struct cv *cv, const char *what, void **arr, uint32_t *cap, uint32_t count,
		size_t size)
{
	uint32_t ncap;
	void *p;

	if (count >= MAX_DECLS)
		return cv_fail(cv, IMS_EINVAL, "more than %u %s", MAX_DECLS, what);
	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return cv_fail(cv, IMS_ENOMEM, "out of memory");
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Write the declaration of device or domain `index`. */
static int declare(struct cv *cv, enum ims_ev_kind kind, uint32_t index, const char *name,
		   uint16_t sid)
{
	struct ims_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.time = cv->now;
	ev.name = name;
	if (kind == IMS_EV_DEVICE) {
		ev.device = index;
		ev.sid = sid;
		cv->st.devices++;
	} else {
		ev.domain = index;
		ev.iova_bits = cv->iova_bits;
		cv->st.domains++;
	}
	return cv_emit(cv, &ev);
}

/* --- declarations -------------------------------------------------------------- */

static bool name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && ((c >= '0' && c <= '9') || c == '.' || c == '-'));
}

/* A valid, unused device name made from hint: other characters become '_',
 * a leading digit or '.'/'-' gets "dev_" before it, a taken name "-N" after. */
static int device_name(struct cv *cv, const char *hint, char out[IMS_TRACE_NAME_MAX + 1])
{
	char base[IMS_TRACE_NAME_MAX + 1];
	size_t n = 0, max = IMS_TRACE_NAME_MAX - 7;   /* room for "-65536" */
	uint32_t slot = 0;

	if (!hint[0] || !name_char(hint[0], true)) {
		memcpy(base, "dev_", 4);
		n = 4;
	}
	for (; *hint && n < max; hint++)
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): '_' is an int in C */
		base[n++] = name_char(*hint, false) ? *hint : '_';
	base[n] = '\0';
	snprintf(out, IMS_TRACE_NAME_MAX + 1, "%s", base);
	for (uint32_t k = 2; index_find(cv, &cv->dev_by_name, dev_name, out, &slot) != CV_NONE;
	     k++)
		snprintf(out, IMS_TRACE_NAME_MAX + 1, "%s-%u", base, k);
	return 0;
}

static int take_sid(struct cv *cv, int32_t hint, uint16_t *out)
{
	uint32_t s = 0;

	if (hint >= 0 && hint <= 0xffff && !(cv->sid_used[hint / 8] & (1u << (hint % 8))))
		s = (uint32_t)hint;
	else
		while (s <= 0xffff && (cv->sid_used[s / 8] & (1u << (s % 8))))
			s++;
	if (s > 0xffff)
		return cv_fail(cv, IMS_EINVAL, "more than 65536 devices");
	cv->sid_used[s / 8] |= (uint8_t)(1u << (s % 8));
	*out = (uint16_t)s;
	return 0;
}

int cv_device(struct cv *cv, const char *key, const char *hint, int32_t sid_hint,
	      uint32_t *out)
{
	struct cv_device *d;
	uint32_t slot = 0, nslot = 0, i;
	uint16_t sid = 0;
	int rc;

	if (strlen(key) >= CV_KEY_MAX)
		return cv_fail(cv, IMS_EINVAL, "device name longer than %u characters",
			       CV_KEY_MAX - 1);
	*out = i = index_find(cv, &cv->dev_by_key, dev_key, key, &slot);
	if (i != CV_NONE)
		return 0;
	rc = room(cv, "devices", (void **)&cv->dev, &cv->dev_cap, cv->ndev, sizeof(*cv->dev));
	if (rc)
		return rc;
	if (index_reserve(cv, &cv->dev_by_key, dev_key, cv->ndev) ||
	    index_reserve(cv, &cv->dev_by_name, dev_name, cv->ndev))
		return cv_fail(cv, IMS_ENOMEM, "out of memory");
	rc = take_sid(cv, sid_hint, &sid);
	if (rc)
		return rc;
	*out = i = cv->ndev++;
	d = &cv->dev[i];
	memset(d, 0, sizeof(*d));
	snprintf(d->key, sizeof(d->key), "%s", key);
	device_name(cv, hint, d->name);
	d->domain = CV_NONE;
	d->group = -1;
	index_find(cv, &cv->dev_by_key, dev_key, key, &slot);
	index_put(&cv->dev_by_key, slot, i);
	index_find(cv, &cv->dev_by_name, dev_name, d->name, &nslot);
	index_put(&cv->dev_by_name, nslot, i);
	return declare(cv, IMS_EV_DEVICE, i, d->name, sid);
}

int cv_domain(struct cv *cv, const char *name, uint32_t *out)
{
	uint32_t slot = 0, i;
	int rc;

	*out = i = index_find(cv, &cv->dom_by_name, dom_name, name, &slot);
	if (i != CV_NONE)
		return 0;
	rc = room(cv, "domains", (void **)&cv->dom, &cv->dom_cap, cv->ndom, sizeof(*cv->dom));
	if (rc)
		return rc;
	if (index_reserve(cv, &cv->dom_by_name, dom_name, cv->ndom))
		return cv_fail(cv, IMS_ENOMEM, "out of memory");
	*out = i = cv->ndom++;
	snprintf(cv->dom[i].name, sizeof(cv->dom[i].name), "%s", name);
	cv->dom[i].last_device = CV_NONE;
	index_find(cv, &cv->dom_by_name, dom_name, name, &slot);
	index_put(&cv->dom_by_name, slot, i);
	return declare(cv, IMS_EV_DOMAIN, i, cv->dom[i].name, 0);
}

int cv_attach(struct cv *cv, uint32_t device, uint32_t domain)
{
	struct ims_event ev;

	if (cv->dev[device].domain != CV_NONE)
		return 0;
	cv->dev[device].domain = domain;
	cv->dom[domain].last_device = device;
	cv_host_run(cv, CV_HOST_ATTACH, 0);
	memset(&ev, 0, sizeof(ev));
	ev.kind = IMS_EV_ATTACH;
	ev.time = cv->now;
	ev.device = device;
	ev.domain = domain;
	return cv_emit(cv, &ev);
}

/* --- output ------------------------------------------------------------------- */

int cv_to_writer(const struct ims_event *ev, struct ims_error *err, void *payload)
{
	return ims_trace_write(payload, ev, err);
}

int cv_emit(struct cv *cv, struct ims_event *ev)
{
	struct ims_error werr = { 0 };
	char buf[600];
	int rc;

	if (ev->time < cv->last_out)
		ev->time = cv->last_out;
	cv->last_out = ev->time;
	ev->line = cv->in.lineno;
	rc = cv->emit(ev, &werr, cv->payload);
	if (rc < 0)
		return cv_fail(cv, werr.code ? werr.code : -rc, "cannot write the %s event: %s",
			       ims_ev_kind_name(ev->kind),
			       ims_error_format(&werr, buf, sizeof(buf)));
	cv->st.maps += ev->kind == IMS_EV_MAP;
	cv->st.unmaps += ev->kind == IMS_EV_UNMAP;
	cv->st.dmas += ev->kind == IMS_EV_DMA;
	return 0;
}

int cv_range(struct cv *cv, enum ims_ev_kind kind, uint32_t domain, uint64_t iova,
	     uint64_t len, bool has_pa, uint64_t pa, uint8_t prot)
{
	struct ims_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.time = cv->now;
	ev.domain = domain;
	ev.iova = iova;
	ev.len = len;
	if (kind == IMS_EV_MAP) {
		ev.flags = has_pa ? IMS_EVF_HAS_PA : 0;
		ev.pa = has_pa ? pa : 0;
		ev.prot = prot;
	}
	return cv_emit(cv, &ev);
}

int cv_dma(struct cv *cv, uint64_t time, uint32_t device, uint64_t iova, uint64_t len,
	   bool write, bool fault)
{
	if (len > UINT64_MAX - iova + 1 && iova)
		len = UINT64_MAX - iova + 1;   /* stop at the top of the address space */
	while (len) {
		uint64_t n = len < IMS_TRACE_DMA_MAX_LEN ? len : IMS_TRACE_DMA_MAX_LEN;
		struct ims_event ev;
		int rc;

		memset(&ev, 0, sizeof(ev));
		ev.kind = IMS_EV_DMA;
		ev.time = time;
		ev.device = device;
		ev.iova = iova;
		ev.len = n;
		ev.flags = write ? IMS_EVF_WRITE : 0;
		rc = cv_emit(cv, &ev);
		if (rc)
			return rc;
		cv->st.fault_dmas += fault;
		len -= n;
		iova += n;
	}
	return 0;
}

/* --- field parsers ------------------------------------------------------------ */

void cv_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool cv_lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n))
		return false;
	*p += n;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool cv_xdigits(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (hexval(*s) < 0)
		return false;
	for (; hexval(*s) >= 0; s++) {
		if (v >> 60)
			return false;   /* does not fit in 64 bits */
		v = v << 4 | (uint64_t)hexval(*s);
	}
	*out = v;
	*p = s;
	return true;
}

bool cv_hex(const char **p, uint64_t *out)
{
	const char *s = *p;

	if (!cv_lit(&s, "0x") || !cv_xdigits(&s, out))
		return false;
	*p = s;
	return true;
}

bool cv_dec(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	*p = s;
	return true;
}

bool cv_word(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	while (s[n] && s[n] != ' ' && s[n] != '\t')
		n++;
	if (!n || n >= size)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return true;
}

bool cv_at_end(const char **p)
{
	const char *s = *p;

	cv_blanks(&s);
	return *s == '\0';
}

bool cv_seconds(const char **p, uint64_t *ns)
{
	const char *s = *p, *f;
	uint64_t sec, frac = 0;
	unsigned digits;

	if (!cv_dec(&s, &sec) || *s != '.')
		return false;
	f = ++s;
	for (; *s >= '0' && *s <= '9' && s - f < 9; s++)
		frac = frac * 10 + (uint64_t)(*s - '0');
	digits = (unsigned)(s - f);
	if (!digits || (*s >= '0' && *s <= '9') || sec > UINT64_MAX / 1000000000u - 1)
		return false;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sec * 1000000000u + frac;
	*p = s;
	return true;
}
