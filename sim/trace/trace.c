/* Text trace reader, formats v1 and v2 (grammar and semantics:
 * traces/FORMAT.md).
 *
 * The reader streams: one fixed input buffer, lines split in place with
 * memchr, tokens kept as (pointer, length) pairs into that buffer, numbers
 * parsed by hand. The only memory that grows is the name tables, which grow
 * with declarations, never with the number of events. Input goes through
 * zlib's gzread, which passes plain files through unchanged.
 */
#include "sim/trace/trace.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "models/model.h"
#include "sim/trace/decls.h"
#include "sim/trace/trace_elf.h"

#define LINE_MAX_CHARS 4096u          /* longest line, '\n' excluded */
#define INBUF_SIZE (256u * 1024u)     /* gzread target; many lines per call */
#define MAX_TOKENS 16                 /* more than any keyword can take */
/* limits shared with every other trace source: sim/trace/decls.h */
#define NAME_MAX_CHARS IMS_TRACE_NAME_MAX
#define NAMES_PER_CHUNK 256u
#define MAX_NAMES IMS_TRACE_MAX_DECLS
#define MAX_CHUNKS (MAX_NAMES / NAMES_PER_CHUNK)
#define PAGE_LG2 12
#define PA_LIMIT_LG2 IMS_TRACE_PA_LIMIT_LG2
#define DMA_MAX_LEN IMS_TRACE_DMA_MAX_LEN

struct tok {
	const char *s;
	size_t len;
};

/* A declared name. Entries live in fixed-size chunks that never move, so
 * the `name` pointer handed out in events stays valid until close. */
struct name_entry {
	char name[NAME_MAX_CHARS + 1];
	uint8_t len;
	uint8_t iova_bits;    /* domains only */
	uint16_t sid;         /* devices only */
	uint64_t line;        /* declaration, for "already declared" messages */
};

/* Open-addressed hash from name to index: lookups on the event path hash
 * the token in place and never allocate. */
struct name_table {
	struct name_entry *chunk[MAX_CHUNKS];
	uint32_t count;
	uint32_t *slot;       /* index + 1, 0 = empty */
	uint32_t slot_mask;   /* capacity - 1, capacity a power of two */
};

struct ims_trace_reader {
	char *path;
	struct ims_elf_reader *elf;   /* the ELF container; NULL for text */
	const struct ims_event *events;   /* an in-memory trace, or NULL */
	size_t nevents, next_event;
	gzFile gz;            /* NULL when reading from memory */
	char *store;          /* owned input buffer (files only) */
	const char *buf;      /* store, or the caller's text */
	size_t pos, end;      /* unread bytes are buf[pos, end) */
	bool eof;             /* no more input beyond buf[end] */
	uint64_t lineno;      /* lines consumed so far */
	unsigned version;     /* the header's */
	uint64_t time;
	struct name_table devices, domains, ioases;
	uint8_t sid_used[65536 / 8];
	int failed;           /* sticky error code (negative), 0 if none */
	struct ims_error err; /* the sticky error, replayed on later calls */
};

/* --- name tables ---------------------------------------------------------- */

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;   /* FNV-1a: short keys, good enough spread */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static struct name_entry *name_at(const struct name_table *t, uint32_t index)
{
	return &t->chunk[index / NAMES_PER_CHUNK][index % NAMES_PER_CHUNK];
}

/* Index of the name, or -1. */
static int64_t name_find(const struct name_table *t, struct tok name)
{
	if (!t->slot)
		return -1;
	for (uint32_t i = name_hash(name.s, name.len) & t->slot_mask;;
	     i = (i + 1) & t->slot_mask) {
		uint32_t v = t->slot[i];
		const struct name_entry *e;

		if (!v)
			return -1;
		e = name_at(t, v - 1);
		if (e->len == name.len && !memcmp(e->name, name.s, name.len))
			return v - 1;
	}
}

static void slot_insert(struct name_table *t, uint32_t index)
{
	const struct name_entry *e = name_at(t, index);
	uint32_t i = name_hash(e->name, e->len) & t->slot_mask;

	while (t->slot[i])
		i = (i + 1) & t->slot_mask;
	t->slot[i] = index + 1;
}

/* Keep the load factor at or below one half so probes stay short. */
static int slots_reserve(struct name_table *t)
{
	uint32_t cap = t->slot ? t->slot_mask + 1 : 0;
	uint32_t *old = t->slot;

	if ((t->count + 1) * 2 <= cap)
		return 0;
	cap = cap ? cap * 2 : 64;
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return -1;
	}
	t->slot_mask = cap - 1;
	for (uint32_t i = 0; i < t->count; i++)
		slot_insert(t, i);
	free(old);
	return 0;
}

/* Append a name the caller checked is new and fits; returns its entry. */
static struct name_entry *name_add(struct name_table *t, struct tok name, uint64_t line)
{
	uint32_t c = t->count / NAMES_PER_CHUNK;
	struct name_entry *e;

	if (!t->chunk[c] && !(t->chunk[c] = calloc(NAMES_PER_CHUNK, sizeof(*e))))
		return NULL;
	if (slots_reserve(t))
		return NULL;
	e = name_at(t, t->count);
	memcpy(e->name, name.s, name.len);
	e->name[name.len] = '\0';
	e->len = (uint8_t)name.len;
	e->line = line;
	slot_insert(t, t->count++);
	return e;
}

static void names_free(struct name_table *t)
{
	for (uint32_t c = 0; c < MAX_CHUNKS; c++)
		free(t->chunk[c]);
	free(t->slot);
}

/* --- tokens and numbers --------------------------------------------------- */

/* Character classes for the tokenizer, one table lookup per byte. */
enum { CH_TOKEN, CH_BLANK, CH_COMMENT };

static const uint8_t char_class[256] = {
	[' '] = CH_BLANK, ['\t'] = CH_BLANK,
	['\r'] = CH_BLANK,    /* CRLF files */
	['#'] = CH_COMMENT,
};

/* Split a line into tokens, stopping at '#'. Returns the number of tokens
 * on the line, which may exceed max; only the first max are stored. */
static int tokenize(const char *p, size_t n, struct tok *t, int max)
{
	const char *e = p + n;
	int count = 0;

	for (;;) {
		const char *s;

		while (p < e && char_class[(uint8_t)*p] == CH_BLANK)
			p++;
		if (p == e || *p == '#')
			return count;
		s = p;
		while (p < e && char_class[(uint8_t)*p] == CH_TOKEN)
			p++;
		if (count < max)
			t[count] = (struct tok){ s, (size_t)(p - s) };
		count++;
	}
}

static bool tok_is(struct tok t, const char *word)
{
	size_t n = strlen(word);

	return t.len == n && !memcmp(t.s, word, n);
}

/* A token made printable and short for messages: input is untrusted. */
static const char *show(char out[48], struct tok t)
{
	size_t n = t.len > 40 ? 37 : t.len;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t.s[i];

		/* NOLINTNEXTLINE(bugprone-narrowing-conversions): '?' is an int in C */
		out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (n < t.len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

enum num_status { NUM_OK, NUM_BAD, NUM_OVERFLOW };

/* Digit value + 1, so that 0 marks a byte that is not a hex digit. */
static const uint8_t hex_value1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static enum num_status parse_hex(const char *p, const char *e, uint64_t *out)
{
	uint64_t v = 0;

	for (; p < e; p++) {
		unsigned d = hex_value1[(uint8_t)*p];

		if (!d)
			return NUM_BAD;
		if (v >> 60)
			return NUM_OVERFLOW;
		v = v << 4 | (d - 1);
	}
	*out = v;
	return NUM_OK;
}

static enum num_status parse_dec(const char *p, const char *e, uint64_t *out)
{
	uint64_t v = 0;

	for (; p < e; p++) {
		unsigned d = (unsigned)(uint8_t)*p - '0';

		if (d > 9)
			return NUM_BAD;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			return NUM_OVERFLOW;
	}
	*out = v;
	return NUM_OK;
}

static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default: return 0;
	}
}

/* Decimal or 0x-hex, optionally with a binary suffix K/M/G/T. Written by
 * hand: strtoull would need a NUL-terminated copy and accepts signs and
 * leading blanks the format does not. */
static enum num_status parse_num(struct tok t, bool suffix_ok, uint64_t *out)
{
	const char *p = t.s, *e = t.s + t.len;
	unsigned shift = 0;
	enum num_status st;
	uint64_t v;

	if (suffix_ok && p < e && suffix_shift(e[-1]))
		shift = suffix_shift(*--e);
	if (p == e)
		return NUM_BAD;
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		st = parse_hex(p + 2, e, &v);
	else
		st = parse_dec(p, e, &v);
	if (st != NUM_OK)
		return st;
	if (v > UINT64_MAX >> shift)
		return NUM_OVERFLOW;
	*out = v << shift;
	return NUM_OK;
}

/* --- errors --------------------------------------------------------------- */

/* Fail the reader: locate the error at the current line and make it sticky.
 * A caller may reuse one ims_error across calls, so a stale location is
 * dropped rather than kept as ims_error_locate would. */
static int fail(struct ims_trace_reader *r, uint64_t line, int rc)
{
	r->err.path[0] = '\0';
	r->err.line = 0;
	ims_error_locate(&r->err, r->path, line);
	r->failed = rc;
	return rc;
}

/* --- input ---------------------------------------------------------------- */

/* At end of input, tell a clean end from a damaged gzip stream: gzread
 * reports a stream cut short only through gzerror's Z_BUF_ERROR. */
static int input_error(struct ims_trace_reader *r, int n)
{
	int zerr = Z_OK;
	const char *msg = gzerror(r->gz, &zerr);
	size_t plen = strlen(r->path);

	/* zlib prefixes its message with the path; ours is located already. */
	if (!strncmp(msg, r->path, plen) && msg[plen] == ':' && msg[plen + 1] == ' ')
		msg += plen + 2;
	if (zerr == Z_ERRNO)
		return ims_error_set(&r->err, IMS_EIO, "read error: %s", strerror(errno));
	if (zerr == Z_BUF_ERROR || zerr == Z_DATA_ERROR || n < 0)
		return ims_error_set(&r->err, IMS_EIO,
				     "truncated or corrupt gzip data (%s)", msg);
	return 0;
}

static int refill(struct ims_trace_reader *r)
{
	size_t avail = r->end - r->pos;
	int n;

	memmove(r->store, r->store + r->pos, avail);
	r->pos = 0;
	r->end = avail;
	n = gzread(r->gz, r->store + avail, INBUF_SIZE - (unsigned)avail);
	if (n <= 0) {
		int rc = input_error(r, n);

		r->eof = true;
		return rc;
	}
	r->end += (size_t)n;
	return 0;
}

/* Next physical line, '\n' stripped. 1 = got one, 0 = end, < 0 = error. */
static int read_line(struct ims_trace_reader *r, struct tok *line)
{
	for (;;) {
		size_t avail = r->end - r->pos;
		size_t scan = avail < LINE_MAX_CHARS + 1 ? avail : LINE_MAX_CHARS + 1;
		const char *s = r->buf + r->pos;
		const char *nl = memchr(s, '\n', scan);
		int rc;

		if (nl) {
			*line = (struct tok){ s, (size_t)(nl - s) };
			r->pos += line->len + 1;
			return 1;
		}
		if (avail > LINE_MAX_CHARS)
			return ims_error_set(&r->err, IMS_ESYNTAX,
					     "line too long (more than %u characters)",
					     LINE_MAX_CHARS);
		if (r->eof) {
			if (!avail)
				return 0;
			*line = (struct tok){ s, avail };   /* no final '\n' */
			r->pos = r->end;
			return 1;
		}
		rc = refill(r);
		if (rc < 0)
			return rc;
	}
}

/* Next line that has tokens; returns its token count, 0 at end, < 0 error. */
static int next_tokens(struct ims_trace_reader *r, struct tok *t)
{
	for (;;) {
		struct tok line = { "", 0 };
		int rc = read_line(r, &line);

		if (rc <= 0) {
			if (rc < 0)
				r->lineno++;   /* the error is on the line being read */
			return rc;
		}
		r->lineno++;
		rc = tokenize(line.s, line.len, t, MAX_TOKENS);
		if (rc)
			return rc;
	}
}

/* --- keywords and their arguments ----------------------------------------- */

enum opt_id { OPT_SID, OPT_IOVA_BITS, OPT_PA, OPT_PROT, OPT_PAGE, OPT_NO_CLEAR, OPT_PERIOD,
	      OPT_IOAS, OPT_COHERENT, OPT_ATS, OPT_ATS_INV, OPT_COUNT };

static const struct {
	const char *name;
	bool flag;            /* bare word, takes no value */
} opt_info[OPT_COUNT] = {
	[OPT_SID] = { "sid", false },
	[OPT_IOVA_BITS] = { "iova_bits", false },
	[OPT_PA] = { "pa", false },
	[OPT_PROT] = { "prot", false },
	[OPT_PAGE] = { "page", false },
	[OPT_NO_CLEAR] = { "no_clear", true },
	[OPT_PERIOD] = { "period", false },
	[OPT_IOAS] = { "ioas", false },
	[OPT_COHERENT] = { "coherent", false },
	[OPT_ATS] = { "ats", false },
	[OPT_ATS_INV] = { "ats_inv", false },
};

/* One parsed line: positional arguments, then options by id. */
struct args {
	const char *kw;
	const char *usage;
	struct tok pos[5];
	struct tok opt[OPT_COUNT];
	unsigned have;        /* bit per enum opt_id */
};

struct keyword {
	const char *name;
	size_t len;
	enum ims_ev_kind kind;
	unsigned npos;
	unsigned opts;        /* bit per enum opt_id allowed */
	const char *usage;
};

#define KW(name) name, sizeof(name) - 1

/* Most frequent first: the table is searched linearly. */
static const struct keyword keywords[] = {
	{ KW("dma"), IMS_EV_DMA, 4, 0, "DEVICE read|write IOVA LEN" },
	{ KW("map"), IMS_EV_MAP, 3, 1u << OPT_PA | 1u << OPT_PROT,
	  "DOMAIN IOVA LEN [pa=PA] [prot=r|w|rw]" },
	{ KW("unmap"), IMS_EV_UNMAP, 3, 0, "DOMAIN IOVA LEN" },
	{ KW("get-dirty"), IMS_EV_GET_DIRTY, 3, 1u << OPT_PAGE | 1u << OPT_NO_CLEAR,
	  "DOMAIN IOVA LEN [page=SIZE] [no_clear]" },
	{ KW("dirty-unmap"), IMS_EV_DIRTY_UNMAP, 3, 1u << OPT_PAGE,
	  "DOMAIN IOVA LEN [page=SIZE]" },
	{ KW("dirty-tracking"), IMS_EV_DIRTY_TRACKING, 2, 0, "DOMAIN on|off" },
	{ KW("precopy"), IMS_EV_PRECOPY, 1, 1u << OPT_PERIOD | 1u << OPT_PAGE,
	  "DOMAIN period=CYCLES [page=SIZE]" },
	{ KW("stop-copy"), IMS_EV_STOP_COPY, 1, 1u << OPT_PAGE, "DOMAIN [page=SIZE]" },
	{ KW("attach"), IMS_EV_ATTACH, 2, 0, "DEVICE DOMAIN" },
	{ KW("device"), IMS_EV_DEVICE, 1, 1u << OPT_SID | 1u << OPT_ATS | 1u << OPT_ATS_INV,
	  "NAME [sid=N] [ats=ENTRIES] [ats_inv=CYCLES]" },
	{ KW("domain"), IMS_EV_DOMAIN, 1, 1u << OPT_IOVA_BITS | 1u << OPT_IOAS | 1u << OPT_COHERENT,
	  "NAME [iova_bits=48|57] [ioas=IOAS] [coherent=yes|no]" },
	{ KW("cpu-read"), IMS_EV_CPU_READ, 3, 0, "IOAS IOVA LEN" },
	{ KW("cpu-write"), IMS_EV_CPU_WRITE, 3, 0, "IOAS IOVA LEN" },
	{ KW("ioas-map"), IMS_EV_IOAS_MAP, 3, 1u << OPT_PA | 1u << OPT_PROT,
	  "IOAS IOVA LEN [pa=PA] [prot=r|w|rw]" },
	{ KW("ioas-unmap"), IMS_EV_IOAS_UNMAP, 3, 0, "IOAS IOVA LEN" },
	{ KW("ioas-copy"), IMS_EV_IOAS_COPY, 5, 1u << OPT_PROT,
	  "SRC_IOAS SRC_IOVA DST_IOAS DST_IOVA LEN [prot=r|w|rw]" },
	{ KW("ioas-attach"), IMS_EV_IOAS_ATTACH, 2, 0, "DOMAIN IOAS" },
	{ KW("ioas-detach"), IMS_EV_IOAS_DETACH, 1, 0, "DOMAIN" },
	{ KW("access-pin"), IMS_EV_ACCESS_PIN, 3, 0, "IOAS IOVA LEN" },
	{ KW("access-unpin"), IMS_EV_ACCESS_UNPIN, 3, 0, "IOAS IOVA LEN" },
	{ KW("ioas"), IMS_EV_IOAS, 1, 0, "NAME" },
};

#undef KW

static const struct keyword *keyword_find(struct tok t)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (t.len == keywords[i].len && !memcmp(t.s, keywords[i].name, t.len))
			return &keywords[i];
	return NULL;
}

static int usage_error(struct ims_trace_reader *r, const struct args *a)
{
	return ims_error_set(&r->err, IMS_ESYNTAX, "%s: expected %s", a->kw, a->usage);
}

static int parse_option(struct ims_trace_reader *r, const struct keyword *k,
			struct args *a, struct tok t)
{
	const char *eq = memchr(t.s, '=', t.len);
	struct tok key = { t.s, eq ? (size_t)(eq - t.s) : t.len };
	char buf[48];
	int id;

	for (id = 0; id < OPT_COUNT; id++)
		if (tok_is(key, opt_info[id].name) && (k->opts & 1u << id))
			break;
	if (id == OPT_COUNT && !eq)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "%s: unexpected argument '%s' (expected %s)",
				     k->name, show(buf, t), k->usage);
	if (id == OPT_COUNT)
		return ims_error_set(&r->err, IMS_ESYNTAX, "unknown option '%s' for %s",
				     show(buf, key), k->name);
	if (a->have & 1u << id)
		return ims_error_set(&r->err, IMS_ESYNTAX, "duplicate option '%s' for %s",
				     opt_info[id].name, k->name);
	if (opt_info[id].flag && eq)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "option '%s' for %s takes no value",
				     opt_info[id].name, k->name);
	if (!opt_info[id].flag && !eq)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "option '%s' for %s needs a value (%s=...)",
				     opt_info[id].name, k->name, opt_info[id].name);
	a->have |= 1u << id;
	if (eq)
		a->opt[id] = (struct tok){ eq + 1, t.len - key.len - 1 };
	return 0;
}

/* Positional arguments first, exactly k->npos of them, then options in any
 * order. A key=value among the positionals means one is missing. */
static int split_args(struct ims_trace_reader *r, const struct keyword *k,
		      struct args *a, const struct tok *t, int ntok)
{
	memset(a, 0, sizeof(*a));
	a->kw = k->name;
	a->usage = k->usage;
	if (ntok > MAX_TOKENS || ntok < (int)k->npos)
		return usage_error(r, a);
	for (unsigned i = 0; i < k->npos; i++) {
		if (memchr(t[i].s, '=', t[i].len))
			return usage_error(r, a);
		a->pos[i] = t[i];
	}
	for (int i = (int)k->npos; i < ntok; i++) {
		int rc = parse_option(r, k, a, t[i]);

		if (rc)
			return rc;
	}
	return 0;
}

/* A number argument; `what` names it in messages ("iova", "len"). */
static int arg_num(struct ims_trace_reader *r, const struct args *a, struct tok t,
		   const char *what, bool suffix_ok, uint64_t *out)
{
	char buf[48];

	switch (parse_num(t, suffix_ok, out)) {
	case NUM_OK:
		return 0;
	case NUM_OVERFLOW:
		return ims_error_set(&r->err, IMS_EINVAL, "%s: %s '%s' does not fit in 64 bits",
				     a->kw, what, show(buf, t));
	default:
		return ims_error_set(&r->err, IMS_ESYNTAX, "%s: invalid %s '%s'%s",
				     a->kw, what, show(buf, t),
				     suffix_ok ? " (decimal or 0x-hex, optional K/M/G/T suffix)"
					       : " (decimal or 0x-hex)");
	}
}

static int check_name(struct ims_trace_reader *r, const struct args *a, struct tok t)
{
	char buf[48];

	if (ims_trace_name_valid(t.s, t.len))
		return 0;
	if (t.len > NAME_MAX_CHARS)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "%s: name '%s' is longer than %d characters",
				     a->kw, show(buf, t), NAME_MAX_CHARS);
	return ims_error_set(&r->err, IMS_ESYNTAX,
			     "%s: invalid name '%s' (letters, digits, '_', '.', '-'; "
			     "not starting with a digit, '.' or '-')", a->kw, show(buf, t));
}

static int lookup(struct ims_trace_reader *r, const struct name_table *t,
		  const char *what, struct tok name, uint32_t *out)
{
	int64_t i = name_find(t, name);
	char buf[48];

	if (i < 0)
		return ims_error_set(&r->err, IMS_ENOENT, "unknown %s '%s'", what,
				     show(buf, name));
	*out = (uint32_t)i;
	return 0;
}

/* Checks a declaration's NAME before any option, so the first problem on
 * the line is the one reported. */
static int declare_check(struct ims_trace_reader *r, const struct args *a,
			 const struct name_table *t)
{
	struct tok name = a->pos[0];
	int64_t prev;
	int rc = check_name(r, a, name);

	if (rc)
		return rc;
	prev = name_find(t, name);
	if (prev >= 0)
		return ims_error_set(&r->err, IMS_EEXIST,
				     "%s '%s' already declared at line %llu", a->kw,
				     name_at(t, (uint32_t)prev)->name,
				     (unsigned long long)name_at(t, (uint32_t)prev)->line);
	if (t->count == MAX_NAMES)
		return ims_error_set(&r->err, IMS_EINVAL, "too many %ss (limit %u)",
				     a->kw, MAX_NAMES);
	return 0;
}

static int declare(struct ims_trace_reader *r, const struct args *a,
		   struct name_table *t, struct name_entry **out)
{
	*out = name_add(t, a->pos[0], r->lineno);
	if (!*out)
		return ims_error_set(&r->err, IMS_ENOMEM, "out of memory");
	return 0;
}

/* Error path only: a linear search is fine. */
static int sid_taken(struct ims_trace_reader *r, uint16_t sid)
{
	const struct name_entry *e = NULL;

	for (uint32_t i = 0; i < r->devices.count; i++)
		if (name_at(&r->devices, i)->sid == sid)
			e = name_at(&r->devices, i);
	return ims_error_set(&r->err, IMS_EEXIST,
			     "device: sid 0x%x is already used by device '%s' (line %llu)",
			     sid, e ? e->name : "?", e ? (unsigned long long)e->line : 0ull);
}

/* sid=N, default the device's index. */
static int opt_sid(struct ims_trace_reader *r, const struct args *a, uint64_t *sid)
{
	int rc;

	*sid = r->devices.count;
	if (!(a->have & 1u << OPT_SID))
		return 0;
	rc = arg_num(r, a, a->opt[OPT_SID], "sid", false, sid);
	if (rc)
		return rc;
	if (*sid > 0xffff)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "device: sid 0x%llx out of range (0..0xffff)",
				     (unsigned long long)*sid);
	return 0;
}

/* A device option that is a number in [1, max], named in its messages. */
static int opt_count(struct ims_trace_reader *r, const struct args *a, enum opt_id id,
		     uint64_t max, uint64_t *out)
{
	const char *what = opt_info[id].name;
	int rc = arg_num(r, a, a->opt[id], what, false, out);

	if (rc)
		return rc;
	if (!*out || *out > max)
		return ims_error_set(&r->err, IMS_EINVAL, "%s: %s %llu out of range (1..%llu)",
				     a->kw, what, (unsigned long long)*out,
				     (unsigned long long)max);
	return 0;
}

/* ats=ENTRIES [ats_inv=CYCLES]: the device caches translations in an ATS
 * device TLB (format v2); without ats_inv its invalidations take the run's
 * ats_inv_ns, so the event says 0. */
static int opt_ats(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	bool ats = a->have & 1u << OPT_ATS, inv = a->have & 1u << OPT_ATS_INV;
	int rc;

	if (!ats && !inv)
		return 0;
	if (r->version < IMS_TRACE_VERSION_ATS)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "device: %s= needs trace version %d (this trace is version %u)",
				     ats ? "ats" : "ats_inv", IMS_TRACE_VERSION_ATS, r->version);
	if (!ats)
		return ims_error_set(&r->err, IMS_ESYNTAX, "device: ats_inv needs ats=ENTRIES");
	rc = opt_count(r, a, OPT_ATS, IMS_TRACE_ATC_MAX, &ev->len);
	if (!rc && inv)
		rc = opt_count(r, a, OPT_ATS_INV, IMS_TRACE_ATS_INV_MAX, &ev->period);
	if (!rc)
		ev->flags |= IMS_EVF_ATS;
	return rc;
}

static int do_device(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	uint64_t sid;
	struct name_entry *e;
	int rc = declare_check(r, a, &r->devices);

	if (!rc)
		rc = opt_sid(r, a, &sid);
	if (!rc)
		rc = opt_ats(r, a, ev);
	if (rc)
		return rc;
	/* Context tables are indexed by SID: two devices cannot share one. */
	if (r->sid_used[sid / 8] & 1u << sid % 8)
		return sid_taken(r, (uint16_t)sid);
	rc = declare(r, a, &r->devices, &e);
	if (rc)
		return rc;
	e->sid = (uint16_t)sid;
	r->sid_used[sid / 8] |= (uint8_t)(1u << sid % 8);
	ev->device = r->devices.count - 1;
	ev->sid = (uint16_t)sid;
	ev->name = e->name;
	return 0;
}

static int do_domain(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	uint64_t bits = 48;
	struct name_entry *e;
	int rc = declare_check(r, a, &r->domains);

	if (rc)
		return rc;
	if (a->have & 1u << OPT_IOVA_BITS) {
		rc = arg_num(r, a, a->opt[OPT_IOVA_BITS], "iova_bits", false, &bits);
		if (rc)
			return rc;
		if (bits != 48 && bits != 57)
			return ims_error_set(&r->err, IMS_EINVAL,
					     "domain: iova_bits must be 48 or 57, not %llu",
					     (unsigned long long)bits);
	}
	if (a->have & 1u << OPT_IOAS) {
		rc = lookup(r, &r->ioases, "ioas", a->opt[OPT_IOAS], &ev->ioas);
		if (rc)
			return rc;
		ev->flags |= IMS_EVF_HAS_IOAS;
	}
	if (a->have & 1u << OPT_COHERENT) {
		char buf[48];

		if (tok_is(a->opt[OPT_COHERENT], "no"))
			ev->flags |= IMS_EVF_NONCOHERENT;
		else if (!tok_is(a->opt[OPT_COHERENT], "yes"))
			return ims_error_set(&r->err, IMS_ESYNTAX,
					     "domain: coherent must be yes or no, not '%s'",
					     show(buf, a->opt[OPT_COHERENT]));
	}
	rc = declare(r, a, &r->domains, &e);
	if (rc)
		return rc;
	e->iova_bits = (uint8_t)bits;
	ev->domain = r->domains.count - 1;
	ev->iova_bits = (uint8_t)bits;
	ev->name = e->name;
	return 0;
}

static int do_attach(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc = lookup(r, &r->devices, "device", a->pos[0], &ev->device);

	return rc ? rc : lookup(r, &r->domains, "domain", a->pos[1], &ev->domain);
}

/* iova and len of a range, checked not to wrap past 2^64. */
static int arg_range(struct ims_trace_reader *r, const struct args *a,
		     struct tok iova, struct tok len, struct ims_event *ev)
{
	int rc = arg_num(r, a, iova, "iova", true, &ev->iova);

	if (!rc)
		rc = arg_num(r, a, len, "len", true, &ev->len);
	if (rc)
		return rc;
	if (!ev->len)
		return ims_error_set(&r->err, IMS_EINVAL, "%s: len must not be 0", a->kw);
	if (ev->len > UINT64_MAX - ev->iova)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "%s: range 0x%llx + 0x%llx wraps past 2^64", a->kw,
				     (unsigned long long)ev->iova, (unsigned long long)ev->len);
	return 0;
}

/* IOVA and LEN of an IOAS operation: page-granular. An IOAS has no width of
 * its own; the domains attached to it check theirs when the run applies it. */
static int page_range(struct ims_trace_reader *r, const struct args *a, struct tok iova,
		      struct tok len, struct ims_event *ev)
{
	int rc = arg_range(r, a, iova, len, ev);

	if (rc)
		return rc;
	if (ev->iova & ((1u << PAGE_LG2) - 1))
		return ims_error_set(&r->err, IMS_EINVAL, "%s: iova 0x%llx is not 4 KiB aligned",
				     a->kw, (unsigned long long)ev->iova);
	if (ev->len & ((1u << PAGE_LG2) - 1))
		return ims_error_set(&r->err, IMS_EINVAL, "%s: len 0x%llx is not 4 KiB aligned",
				     a->kw, (unsigned long long)ev->len);
	return 0;
}

static int ioas_range(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc = lookup(r, &r->ioases, "ioas", a->pos[0], &ev->ioas);

	return rc ? rc : page_range(r, a, a->pos[1], a->pos[2], ev);
}

/* Host-side range of map, unmap and the dirty operations: page-granular and
 * inside the domain's IOVA width, as the kernel would insist. */
static int domain_range(struct ims_trace_reader *r, const struct args *a,
			struct ims_event *ev)
{
	const struct name_entry *d;
	int rc = lookup(r, &r->domains, "domain", a->pos[0], &ev->domain);

	if (!rc)
		rc = page_range(r, a, a->pos[1], a->pos[2], ev);
	if (rc)
		return rc;
	d = name_at(&r->domains, ev->domain);
	if (ev->iova + ev->len > UINT64_C(1) << d->iova_bits)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "%s: range [0x%llx, 0x%llx) is beyond the %u-bit IOVA space "
				     "of domain '%s'", a->kw, (unsigned long long)ev->iova,
				     (unsigned long long)ev->iova + ev->len, d->iova_bits,
				     d->name);
	return 0;
}

static int opt_page(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	uint64_t page = UINT64_C(1) << PAGE_LG2;
	int rc;

	if (a->have & 1u << OPT_PAGE) {
		rc = arg_num(r, a, a->opt[OPT_PAGE], "page", true, &page);
		if (rc)
			return rc;
		if (page < 4096 || page > DMA_MAX_LEN || (page & (page - 1)))
			return ims_error_set(&r->err, IMS_EINVAL,
					     "%s: page 0x%llx must be a power of two from 4K to 1G",
					     a->kw, (unsigned long long)page);
	}
	/* The bitmap has one bit per granule, so the range must be made of
	 * whole granules, as iommufd insists for GET_DIRTY_BITMAP. */
	if ((ev->iova | ev->len) & (page - 1))
		return ims_error_set(&r->err, IMS_EINVAL,
				     "%s: iova 0x%llx and len 0x%llx must be multiples of "
				     "page 0x%llx", a->kw, (unsigned long long)ev->iova,
				     (unsigned long long)ev->len, (unsigned long long)page);
	ev->page_lg2 = (uint8_t)__builtin_ctzll(page);
	return 0;
}

static int opt_prot(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	struct tok t = a->opt[OPT_PROT];
	char buf[48];

	ev->prot = IMS_PROT_READ | IMS_PROT_WRITE;
	if (!(a->have & 1u << OPT_PROT) || tok_is(t, "rw"))
		return 0;
	if (tok_is(t, "r"))
		ev->prot = IMS_PROT_READ;
	else if (tok_is(t, "w"))
		ev->prot = IMS_PROT_WRITE;
	else
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "%s: invalid prot '%s' (expected r, w or rw)", a->kw,
				     show(buf, t));
	return 0;
}

/* cpu-read / cpu-write: any bytes of an IOAS (a line is the grain). */
static int cpu_range(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc = lookup(r, &r->ioases, "ioas", a->pos[0], &ev->ioas);

	return rc ? rc : arg_range(r, a, a->pos[1], a->pos[2], ev);
}

static int opt_pa(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc;

	if (!(a->have & 1u << OPT_PA))
		return 0;
	rc = arg_num(r, a, a->opt[OPT_PA], "pa", true, &ev->pa);
	if (rc)
		return rc;
	if (ev->pa & ((1u << PAGE_LG2) - 1))
		return ims_error_set(&r->err, IMS_EINVAL, "%s: pa 0x%llx is not 4 KiB aligned",
				     a->kw, (unsigned long long)ev->pa);
	/* Output addresses are at most 52 bits in all three formats. */
	if (ev->pa >= UINT64_C(1) << PA_LIMIT_LG2 ||
	    ev->len > (UINT64_C(1) << PA_LIMIT_LG2) - ev->pa)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "%s: pa range 0x%llx + 0x%llx is beyond 2^52", a->kw,
				     (unsigned long long)ev->pa, (unsigned long long)ev->len);
	ev->flags |= IMS_EVF_HAS_PA;
	return 0;
}

/* map DOMAIN ... and ioas-map IOAS ...: the same options. */
static int do_map(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc = ev->kind == IMS_EV_MAP ? domain_range(r, a, ev) : ioas_range(r, a, ev);

	if (!rc)
		rc = opt_prot(r, a, ev);
	return rc ? rc : opt_pa(r, a, ev);
}

static int do_unmap(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	return domain_range(r, a, ev);
}

static int do_dma(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	char buf[48];
	int rc = lookup(r, &r->devices, "device", a->pos[0], &ev->device);

	if (rc)
		return rc;
	if (tok_is(a->pos[1], "write"))
		ev->flags |= IMS_EVF_WRITE;
	else if (!tok_is(a->pos[1], "read"))
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "dma: expected read or write, not '%s'", show(buf, a->pos[1]));
	rc = arg_range(r, a, a->pos[2], a->pos[3], ev);
	if (rc)
		return rc;
	if (ev->len > DMA_MAX_LEN)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "dma: len 0x%llx is larger than 1 GiB",
				     (unsigned long long)ev->len);
	return 0;
}

static int do_dirty_tracking(struct ims_trace_reader *r, const struct args *a,
			     struct ims_event *ev)
{
	char buf[48];
	int rc = lookup(r, &r->domains, "domain", a->pos[0], &ev->domain);

	if (rc)
		return rc;
	if (tok_is(a->pos[1], "on"))
		ev->flags |= IMS_EVF_ON;
	else if (!tok_is(a->pos[1], "off"))
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "dirty-tracking: expected on or off, not '%s'",
				     show(buf, a->pos[1]));
	return 0;
}

static int do_get_dirty(struct ims_trace_reader *r, const struct args *a,
			struct ims_event *ev)
{
	int rc = domain_range(r, a, ev);

	if (a->have & 1u << OPT_NO_CLEAR)
		ev->flags |= IMS_EVF_NO_CLEAR;
	return rc ? rc : opt_page(r, a, ev);
}

static int do_dirty_unmap(struct ims_trace_reader *r, const struct args *a,
			  struct ims_event *ev)
{
	int rc = domain_range(r, a, ev);

	return rc ? rc : opt_page(r, a, ev);
}

/* precopy / stop-copy: the domain's dirty-sync rounds (the run's sync
 * strategy decides whether each round flushes). */
static int do_migration_phase(struct ims_trace_reader *r, const struct args *a,
			      struct ims_event *ev)
{
	int rc = lookup(r, &r->domains, "domain", a->pos[0], &ev->domain);

	if (rc)
		return rc;
	if (ev->kind == IMS_EV_PRECOPY) {
		if (!(a->have & 1u << OPT_PERIOD))
			return ims_error_set(&r->err, IMS_ESYNTAX,
					     "precopy: period=CYCLES is required");
		rc = arg_num(r, a, a->opt[OPT_PERIOD], "period", false, &ev->period);
		if (rc)
			return rc;
		if (!ev->period)
			return ims_error_set(&r->err, IMS_EINVAL, "precopy: period must be > 0");
	}
	return opt_page(r, a, ev);
}

static int do_ioas(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	struct name_entry *e;
	int rc = declare_check(r, a, &r->ioases);

	if (!rc)
		rc = declare(r, a, &r->ioases, &e);
	if (rc)
		return rc;
	ev->ioas = r->ioases.count - 1;
	ev->name = e->name;
	return 0;
}

static int do_ioas_copy(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	int rc = lookup(r, &r->ioases, "ioas", a->pos[0], &ev->src_ioas);

	if (!rc)
		rc = lookup(r, &r->ioases, "ioas", a->pos[2], &ev->ioas);
	if (!rc)
		rc = page_range(r, a, a->pos[1], a->pos[4], ev);
	if (rc)
		return rc;
	ev->src_iova = ev->iova;
	rc = page_range(r, a, a->pos[3], a->pos[4], ev);
	if (rc || !(a->have & 1u << OPT_PROT))
		return rc;
	return opt_prot(r, a, ev);
}

static int do_ioas_attach(struct ims_trace_reader *r, const struct args *a,
			  struct ims_event *ev)
{
	int rc = lookup(r, &r->domains, "domain", a->pos[0], &ev->domain);

	if (rc || ev->kind == IMS_EV_IOAS_DETACH)
		return rc;
	return lookup(r, &r->ioases, "ioas", a->pos[1], &ev->ioas);
}

static int dispatch(struct ims_trace_reader *r, const struct args *a, struct ims_event *ev)
{
	switch (ev->kind) {
	case IMS_EV_DEVICE: return do_device(r, a, ev);
	case IMS_EV_DOMAIN: return do_domain(r, a, ev);
	case IMS_EV_ATTACH: return do_attach(r, a, ev);
	case IMS_EV_MAP: return do_map(r, a, ev);
	case IMS_EV_UNMAP: return do_unmap(r, a, ev);
	case IMS_EV_DMA: return do_dma(r, a, ev);
	case IMS_EV_DIRTY_TRACKING: return do_dirty_tracking(r, a, ev);
	case IMS_EV_GET_DIRTY: return do_get_dirty(r, a, ev);
	case IMS_EV_DIRTY_UNMAP: return do_dirty_unmap(r, a, ev);
	case IMS_EV_PRECOPY:
	case IMS_EV_STOP_COPY: return do_migration_phase(r, a, ev);
	case IMS_EV_IOAS: return do_ioas(r, a, ev);
	case IMS_EV_IOAS_MAP: return do_map(r, a, ev);
	case IMS_EV_IOAS_UNMAP:
	case IMS_EV_ACCESS_PIN:
	case IMS_EV_ACCESS_UNPIN: return ioas_range(r, a, ev);
	case IMS_EV_CPU_READ:
	case IMS_EV_CPU_WRITE: return cpu_range(r, a, ev);
	case IMS_EV_IOAS_COPY: return do_ioas_copy(r, a, ev);
	case IMS_EV_IOAS_ATTACH:
	case IMS_EV_IOAS_DETACH: return do_ioas_attach(r, a, ev);
	default: return ims_error_set(&r->err, IMS_EINVAL, "internal: bad kind");
	}
}

/* --- lines ---------------------------------------------------------------- */

/* `@N` or `+N` if t is a time prefix; sets *time. 0 if not a prefix. */
static int time_prefix(struct ims_trace_reader *r, struct tok t, uint64_t *time)
{
	struct tok num = { t.s + 1, t.len - 1 };
	char buf[48];
	uint64_t v;

	if (t.s[0] != '@' && t.s[0] != '+')
		return 0;
	switch (parse_num(num, false, &v)) {
	case NUM_OK:
		break;
	case NUM_OVERFLOW:
		return ims_error_set(&r->err, IMS_EINVAL, "time '%s' does not fit in 64 bits",
				     show(buf, t));
	default:
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "invalid time '%s' (expected @N or +N, N decimal or 0x-hex)",
				     show(buf, t));
	}
	if (t.s[0] == '+') {
		if (v > UINT64_MAX - r->time)
			return ims_error_set(&r->err, IMS_EINVAL,
					     "time: +%llu overflows 64 bits",
					     (unsigned long long)v);
		v += r->time;
	} else if (v < r->time) {
		return ims_error_set(&r->err, IMS_EINVAL,
				     "time goes backwards (@%llu after @%llu)",
				     (unsigned long long)v, (unsigned long long)r->time);
	}
	*time = v;
	return 1;
}

static int parse_line(struct ims_trace_reader *r, const struct tok *t, int ntok,
		      struct ims_event *ev)
{
	const struct keyword *k;
	uint64_t time = r->time;
	struct args a;
	char buf[48];
	int rc = time_prefix(r, t[0], &time);

	if (rc < 0)
		return rc;
	t += rc;
	ntok -= rc;
	if (!ntok)
		return ims_error_set(&r->err, IMS_ESYNTAX, "missing keyword after time prefix");
	k = keyword_find(t[0]);
	if (!k)
		return ims_error_set(&r->err, IMS_ESYNTAX, "unknown keyword '%s'",
				     show(buf, t[0]));
	rc = split_args(r, k, &a, t + 1, ntok - 1);
	if (rc)
		return rc;
	memset(ev, 0, sizeof(*ev));
	ev->kind = k->kind;
	ev->line = r->lineno;
	ev->time = time;
	rc = dispatch(r, &a, ev);
	if (rc)
		return rc;
	r->time = time;   /* only a valid line moves the clock */
	return 0;
}

static int read_header(struct ims_trace_reader *r)
{
	struct tok t[MAX_TOKENS];
	uint64_t version;
	int n = next_tokens(r, t);

	if (n < 0)
		return n;
	if (n == 0)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "empty trace: missing header 'iommusim-trace %d'",
				     IMS_TRACE_VERSION);
	if (!tok_is(t[0], "iommusim-trace"))
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "missing header: the first line must be 'iommusim-trace %d'",
				     IMS_TRACE_VERSION);
	if (n != 2 || parse_num(t[1], false, &version) != NUM_OK)
		return ims_error_set(&r->err, IMS_ESYNTAX,
				     "bad header: expected 'iommusim-trace %d'", IMS_TRACE_VERSION);
	/* a later version may mean what this build would misread: refuse it */
	if (version < IMS_TRACE_VERSION_MIN || version > IMS_TRACE_VERSION)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "unsupported trace version %llu (this build reads %d to %d)",
				     (unsigned long long)version, IMS_TRACE_VERSION_MIN,
				     IMS_TRACE_VERSION);
	r->version = (unsigned)version;
	return 0;
}

/* --- public API ----------------------------------------------------------- */

static void give_error(const struct ims_trace_reader *r, struct ims_error *err)
{
	if (err)
		*err = r->err;
}

static struct ims_trace_reader *reader_new(const char *path)
{
	struct ims_trace_reader *r = calloc(1, sizeof(*r));

	if (r && !(r->path = strdup(path ? path : ""))) {
		free(r);
		r = NULL;
	}
	return r;
}

/* Common tail of both opens: read the header so a file that is not a trace
 * fails at open time, before the caller builds anything. */
static int open_finish(struct ims_trace_reader **out, struct ims_trace_reader *r,
		       struct ims_error *err)
{
	int rc = read_header(r);

	if (rc < 0) {
		fail(r, r->lineno, rc);
		give_error(r, err);
		ims_trace_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* The first bytes decide: ELF magic for the container; anything else goes
 * to gzread, which inflates gzip and passes plain text through. */
static bool is_elf(const char *path)
{
	unsigned char head[4];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(head, 1, sizeof(head), f) : 0;

	if (f)
		fclose(f);
	return ims_elf_magic(head, (unsigned)n);
}

static int open_elf(struct ims_trace_reader **out, struct ims_trace_reader *r,
		    struct ims_error *err)
{
	int rc = ims_elf_reader_open(&r->elf, r->path, err);

	if (rc) {
		ims_trace_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int ims_trace_open(struct ims_trace_reader **out, const char *path, struct ims_error *err)
{
	struct ims_trace_reader *r;

	*out = NULL;
	if (!path)
		return ims_error_set(err, IMS_EINVAL, "no trace file given");
	r = reader_new(path);
	if (!r)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	r->store = malloc(INBUF_SIZE);
	if (!r->store) {
		ims_trace_close(r);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	r->buf = r->store;
	if (is_elf(path))
		return open_elf(out, r, err);
	errno = 0;
	r->gz = gzopen(path, "rb");
	if (!r->gz || gzbuffer(r->gz, INBUF_SIZE) != 0) {
		int rc = ims_error_set(&r->err, IMS_EIO, "cannot open: %s",
				       errno ? strerror(errno) : "out of memory");

		fail(r, 0, rc);
		give_error(r, err);
		ims_trace_close(r);
		return rc;
	}
	return open_finish(out, r, err);
}

int ims_trace_open_mem(struct ims_trace_reader **out, const char *name,
		       const char *text, size_t len, struct ims_error *err)
{
	struct ims_trace_reader *r = reader_new(name);

	*out = NULL;
	if (!r)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	/* Parsed in place: tokens point into the caller's text, which must
	 * outlive the reader. */
	r->buf = text ? text : "";
	r->end = text ? len : 0;
	r->eof = true;
	return open_finish(out, r, err);
}

int ims_trace_open_events(struct ims_trace_reader **out, const char *name,
			  const struct ims_event *events, size_t count, struct ims_error *err)
{
	struct ims_trace_reader *r = reader_new(name);
	struct ims_trace_decls *d = NULL;
	int rc = 0;

	*out = NULL;
	if (!r || ims_decls_new(&d)) {
		ims_trace_close(r);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; !rc && i < count; i++) {
		struct ims_event ev = events[i];

		rc = ims_decls_apply(d, &ev, err);
		if (rc)
			ims_error_locate_record(err, name, i + 1);
	}
	ims_decls_free(d);
	if (rc) {
		ims_trace_close(r);
		return rc;
	}
	r->events = events;
	r->nevents = count;
	*out = r;
	return 0;
}

/* Declaration events of an in-memory trace, by kind and index (names for
 * messages only: a linear search). */
static const char *event_name(const struct ims_trace_reader *r, enum ims_ev_kind kind,
			      uint32_t index)
{
	for (size_t i = 0; i < r->nevents; i++) {
		const struct ims_event *e = &r->events[i];
		uint32_t at = kind == IMS_EV_DEVICE ? e->device :
			      kind == IMS_EV_DOMAIN ? e->domain : e->ioas;

		if (e->kind == kind && at == index)
			return e->name;
	}
	return NULL;
}

/* The next line of a text trace. Apart from ims_trace_next so that the
 * dispatch there does not set up this function's token array for every
 * event of a container. */
static __attribute__((noinline)) int text_next(struct ims_trace_reader *r, struct ims_event *ev,
					      struct ims_error *err)
{
	struct tok t[MAX_TOKENS];
	int n, rc;

	if (r->failed) {
		give_error(r, err);
		return r->failed;
	}
	n = next_tokens(r, t);
	if (n == 0)
		return 0;
	rc = n < 0 ? n : parse_line(r, t, n, ev);
	if (rc < 0) {
		fail(r, r->lineno, rc);
		give_error(r, err);
		return rc;
	}
	return 1;
}

int ims_trace_next(struct ims_trace_reader *r, struct ims_event *ev, struct ims_error *err)
{
	if (r->events) {
		if (r->next_event == r->nevents)
			return 0;
		*ev = r->events[r->next_event++];
		ev->line = r->next_event;
		return 1;
	}
	if (r->elf)
		return ims_elf_reader_next(r->elf, ev, err);
	return text_next(r, ev, err);
}

void ims_trace_close(struct ims_trace_reader *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	ims_elf_reader_close(r->elf);
	names_free(&r->devices);
	names_free(&r->domains);
	names_free(&r->ioases);
	free(r->store);
	free(r->path);
	free(r);
}

const char *ims_trace_path(const struct ims_trace_reader *r)
{
	return r->path;
}

unsigned ims_trace_version(const struct ims_trace_reader *r)
{
	if (r->elf)
		return ims_elf_reader_version(r->elf);
	return r->events ? IMS_TRACE_VERSION : r->version;
}

static const char *name_by_index(const struct name_table *t, uint32_t index)
{
	return index < t->count ? name_at(t, index)->name : NULL;
}

void ims_trace_locate(const struct ims_trace_reader *r, struct ims_error *err, uint64_t line)
{
	if (r->elf || r->events)
		ims_error_locate_record(err, r->path, line);
	else
		ims_error_locate(err, r->path, line);
}

const char *ims_trace_device_name(const struct ims_trace_reader *r, uint32_t index)
{
	if (r->events)
		return event_name(r, IMS_EV_DEVICE, index);
	if (r->elf)
		return ims_elf_reader_name(r->elf, IMS_DECL_DEVICE, index);
	return name_by_index(&r->devices, index);
}

const char *ims_trace_domain_name(const struct ims_trace_reader *r, uint32_t index)
{
	if (r->events)
		return event_name(r, IMS_EV_DOMAIN, index);
	if (r->elf)
		return ims_elf_reader_name(r->elf, IMS_DECL_DOMAIN, index);
	return name_by_index(&r->domains, index);
}

const char *ims_trace_ioas_name(const struct ims_trace_reader *r, uint32_t index)
{
	if (r->events)
		return event_name(r, IMS_EV_IOAS, index);
	if (r->elf)
		return ims_elf_reader_name(r->elf, IMS_DECL_IOAS, index);
	return name_by_index(&r->ioases, index);
}

const char *ims_ev_kind_name(enum ims_ev_kind kind)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kind == kind)
			return keywords[i].name;
	return "?";
}
