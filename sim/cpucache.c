/* CPU cache model: 2 bits of state per 64-byte physical line.
 *
 * The states live in chunks of CHUNK_LINES lines (2 MiB of PA, 8 KiB of
 * state), found through an open-addressed hash table keyed by chunk number,
 * so a 52-bit physical space costs only what was touched.
 *
 * A 64-bit word holds 32 lines: line i is bits 2i ("lo") and 2i+1 ("hi"),
 * whose value is its enum ims_line_state: 00 not cached, 01 clean, 10 dirty,
 * 11 stale. Range operations take a word at a time: the lines of a word in
 * each state fall out of a few ANDs on its lo and hi bits, and one popcount
 * counts them, so flushing a GiB costs 2^19 word steps, not 2^24 line steps.
 *
 * A chunk whose lines all share one state keeps just that state and no
 * words: zeroing pinned memory, flushing it and snooped DMA over whole
 * buffers leave chunks uniform, so a TiB pinned costs 2^19 small chunks
 * (megabytes), not 4 GiB of line states. Words appear when an operation
 * covers part of a uniform chunk and changes its lines, and go again when
 * an operation that sets every line to one state covers the whole chunk.
 */
#include "sim/cpucache.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bits.h"

#define CHUNK_LINES_LG2 15
#define CHUNK_LINES (UINT64_C(1) << CHUNK_LINES_LG2)
#define WORD_LINES_LG2 IMS_CACHE_WORD_LINES_LG2
#define WORD_LINES (1u << WORD_LINES_LG2)
#define CHUNK_WORDS (CHUNK_LINES / WORD_LINES)
#define LO_BITS IMS_CACHE_LO_BITS
#define INIT_SLOTS 16

struct ims_cpucache_chunk {
	uint64_t key;                 /* chunk number: line >> CHUNK_LINES_LG2 */
	uint64_t *w;                  /* CHUNK_WORDS words, or NULL: uniform */
	enum ims_line_state state;    /* every line's state while uniform */
};

/* What a range operation does to each line of the range. */
enum op {
	OP_COUNT,         /* nothing: look only */
	OP_WRITE,         /* every line DIRTY */
	OP_READ,          /* NOT_CACHED lines CLEAN */
	OP_INVALIDATE,    /* every line NOT_CACHED */
	OP_CLEAN_DIRTY,   /* DIRTY lines CLEAN */
	OP_MAKE_STALE,    /* cached lines STALE */
};

/* Lines of the range found in each state, before the operation. */
struct tally {
	uint64_t n[4];
};

static unsigned popcount(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* ---- hash table of chunks ------------------------------------------------ */

/* Fibonacci hashing: the chunks of one buffer have consecutive numbers, and
 * the multiply scatters them over the table's top bits instead of filling
 * one run of slots that every probe would have to cross. */
static uint64_t slot_of(uint64_t key, uint64_t nslots)
{
	return (key * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - ims_ilog2(nslots));
}

/* The load factor stays at most 3/4, so every probe meets an empty slot. */
static struct ims_cpucache_chunk **slot_find(struct ims_cpucache_chunk **slot, uint64_t nslots,
					     uint64_t key)
{
	uint64_t i = slot_of(key, nslots);

	while (slot[i] && slot[i]->key != key)
		i = (i + 1) & (nslots - 1);
	return &slot[i];
}

static struct ims_cpucache_chunk *chunk_find(const struct ims_cpucache *c, uint64_t key)
{
	return *slot_find(c->slot, c->nslots, key);
}

static int table_grow(struct ims_cpucache *c)
{
	uint64_t n = c->nslots * 2;
	struct ims_cpucache_chunk **slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -1;
	for (uint64_t i = 0; i < c->nslots; i++)
		if (c->slot[i])
			*slot_find(slot, n, c->slot[i]->key) = c->slot[i];
	free(c->slot);
	c->slot = slot;
	c->nslots = n;
	return 0;
}

/* The chunk numbered key, created all NOT_CACHED if absent; NULL if out of
 * memory. */
static struct ims_cpucache_chunk *chunk_get(struct ims_cpucache *c, uint64_t key)
{
	struct ims_cpucache_chunk **p = slot_find(c->slot, c->nslots, key);

	if (*p)
		/* cppcheck-suppress identicalInnerCondition ; returns the pointer, not a condition */
		return *p;
	if ((c->nchunks + 1) * 4 > c->nslots * 3) {
		if (table_grow(c))
			return NULL;
		p = slot_find(c->slot, c->nslots, key);
	}
	*p = calloc(1, sizeof(**p));
	if (!*p)
		return NULL;
	(*p)->key = key;
	c->nchunks++;
	return *p;
}

int ims_cpucache_init(struct ims_cpucache *c)
{
	memset(c, 0, sizeof(*c));
	c->slot = calloc(INIT_SLOTS, sizeof(*c->slot));
	if (!c->slot)
		return -1;
	c->nslots = INIT_SLOTS;
	return 0;
}

void ims_cpucache_fini(struct ims_cpucache *c)
{
	for (uint64_t i = 0; i < c->nslots; i++) {
		if (c->slot[i])
			free(c->slot[i]->w);
		free(c->slot[i]);
	}
	free(c->slot);
	memset(c, 0, sizeof(*c));
}

/* ---- word and chunk steps ------------------------------------------------ */

/* Apply op to the lines of *w whose lo bit is in sel; count their states
 * before it into t. Returns the change in cached lines. */
static int64_t word_apply(uint64_t *w, uint64_t sel, enum op op, struct tally *t)
{
	uint64_t x = *w, lo = x & LO_BITS, hi = (x >> 1) & LO_BITS;
	uint64_t dirty = hi & ~lo & sel, cached = (lo | hi) & sel;
	uint64_t both = sel | (sel << 1);   /* both bits of every selected line */

	t->n[IMS_LINE_CLEAN] += popcount(lo & ~hi & sel);
	t->n[IMS_LINE_DIRTY] += popcount(dirty);
	t->n[IMS_LINE_STALE] += popcount(lo & hi & sel);
	switch (op) {
	case OP_COUNT:
		return 0;
	case OP_WRITE:
		x = (x & ~both) | (sel << 1);
		break;
	case OP_READ:
		x |= sel & ~cached;
		break;
	case OP_INVALIDATE:
		x &= ~both;
		break;
	case OP_CLEAN_DIRTY:
		x ^= dirty | (dirty << 1);   /* 10 -> 01 */
		break;
	case OP_MAKE_STALE:
		x |= cached | (cached << 1);
		break;
	}
	*w = x;
	return (int64_t)popcount((x | (x >> 1)) & sel) - (int64_t)popcount(cached);
}

/* What op does to a line in state st (word_apply, one line at a time). */
static enum ims_line_state op_state(enum op op, enum ims_line_state st)
{
	switch (op) {
	case OP_WRITE:
		return IMS_LINE_DIRTY;
	case OP_READ:
		return st == IMS_LINE_NOT_CACHED ? IMS_LINE_CLEAN : st;
	case OP_INVALIDATE:
		return IMS_LINE_NOT_CACHED;
	case OP_CLEAN_DIRTY:
		return st == IMS_LINE_DIRTY ? IMS_LINE_CLEAN : st;
	case OP_MAKE_STALE:
		return st == IMS_LINE_NOT_CACHED ? IMS_LINE_NOT_CACHED : IMS_LINE_STALE;
	case OP_COUNT:
		break;
	}
	return st;
}

/* Ops that leave every line they touch in one state, whatever it was. */
static bool op_is_constant(enum op op)
{
	return op == OP_WRITE || op == OP_INVALIDATE;
}

/* A word of 32 lines in state st: the 2-bit value repeated. */
static uint64_t word_of_state(enum ims_line_state st)
{
	return LO_BITS * (uint64_t)st;
}

/* Give a uniform chunk its words; false if out of memory. */
static bool chunk_materialize(struct ims_cpucache *c, struct ims_cpucache_chunk *ch)
{
	uint64_t fill = word_of_state(ch->state);

	ch->w = malloc(CHUNK_WORDS * sizeof(*ch->w));
	if (!ch->w)
		return false;
	for (uint64_t i = 0; i < CHUNK_WORDS; i++)
		ch->w[i] = fill;
	c->nchunks_split++;
	return true;
}

/* Apply op to lines [a, b] of a chunk (offsets within it); *delta gets the
 * change in cached lines. false if out of memory (nothing changed). */
static bool chunk_apply(struct ims_cpucache *c, struct ims_cpucache_chunk *ch, uint64_t a,
			uint64_t b, enum op op, struct tally *t, int64_t *delta)
{
	uint64_t wa = a >> WORD_LINES_LG2, wb = b >> WORD_LINES_LG2, n = b - a + 1;
	bool whole = n == CHUNK_LINES;

	*delta = 0;
	if (!ch->w) {
		enum ims_line_state st = ch->state, to = op_state(op, st);

		if (whole || to == st) {
			t->n[st] += n;
			*delta = (int64_t)n * ((to != IMS_LINE_NOT_CACHED) -
					       (st != IMS_LINE_NOT_CACHED));
			if (to != st)
				ch->state = to;   /* never for OP_COUNT: const caches */
			return true;
		}
		if (!chunk_materialize(c, ch))
			return false;
	}
	for (uint64_t i = wa; i <= wb; i++) {
		unsigned lo = i == wa ? (unsigned)(a & (WORD_LINES - 1)) : 0;
		unsigned hi = i == wb ? (unsigned)(b & (WORD_LINES - 1)) : WORD_LINES - 1;

		*delta += word_apply(&ch->w[i], ims_cpucache_line_sel(lo, hi), op, t);
	}
	if (whole && op_is_constant(op)) {
		c->last_word_key = 0;
		free(ch->w);
		ch->w = NULL;
		ch->state = op_state(op, IMS_LINE_NOT_CACHED);
		c->nchunks_split--;
	}
	return true;
}

/* ---- range walk ------------------------------------------------------------ */

struct range {
	uint64_t first, last;   /* line numbers, inclusive */
};

/* The lines [pa, pa+len) touches; false if len is 0. A range running past
 * the top of the address space is cut there. */
static bool line_range(uint64_t pa, uint64_t len, struct range *r)
{
	if (!len)
		return false;
	r->first = pa >> IMS_CACHE_LINE_LG2;
	r->last = (len - 1 > UINT64_MAX - pa ? UINT64_MAX : pa + len - 1) >> IMS_CACHE_LINE_LG2;
	return true;
}

/* Apply op to the part of r inside chunk ch; account cached lines. false
 * if out of memory. */
static bool apply_in_chunk(struct ims_cpucache *c, struct ims_cpucache_chunk *ch,
			   const struct range *r, enum op op, struct tally *t)
{
	uint64_t base = ch->key << CHUNK_LINES_LG2;
	uint64_t a = r->first > base ? r->first - base : 0;
	uint64_t b = r->last - base < CHUNK_LINES - 1 ? r->last - base : CHUNK_LINES - 1;
	int64_t delta;

	if (!chunk_apply(c, ch, a, b, op, t, &delta))
		return false;
	/* op == OP_COUNT comes from a const cache: never store to it */
	if (delta)
		c->lines_cached += (uint64_t)delta;
	return true;
}

/* A range spanning more chunks than the table has slots (a flush of a whole
 * address space) visits the chunks that exist instead of looking up every
 * chunk number. Lines are independent, so the order does not matter. */
static bool walk_existing(struct ims_cpucache *c, const struct range *r, enum op op,
			  struct tally *t)
{
	uint64_t fc = r->first >> CHUNK_LINES_LG2, lc = r->last >> CHUNK_LINES_LG2;

	for (uint64_t i = 0; i < c->nslots; i++) {
		struct ims_cpucache_chunk *ch = c->slot[i];

		if (ch && ch->key >= fc && ch->key <= lc && !apply_in_chunk(c, ch, r, op, t))
			return false;
	}
	return true;
}

/* Apply op to every line of r, filling t with the states found (lines of
 * absent chunks are NOT_CACHED). Only OP_WRITE and OP_READ create chunks:
 * they are the only ops that can turn a NOT_CACHED line into a cached one.
 * Any op may give a uniform chunk its words. 0, or -1 if out of memory
 * (lines before the failure are done). */
static int walk(struct ims_cpucache *c, const struct range *r, enum op op, struct tally *t)
{
	uint64_t fc = r->first >> CHUNK_LINES_LG2, lc = r->last >> CHUNK_LINES_LG2;
	bool alloc = op == OP_WRITE || op == OP_READ;

	memset(t, 0, sizeof(*t));
	if (!alloc && lc - fc >= c->nslots) {
		if (!walk_existing(c, r, op, t))
			return -1;
	} else {
		for (uint64_t k = fc;; k++) {
			struct ims_cpucache_chunk *ch = alloc ? chunk_get(c, k) : chunk_find(c, k);

			if (alloc && !ch)
				return -1;
			if (ch && !apply_in_chunk(c, ch, r, op, t))
				return -1;
			if (k == lc)
				break;
		}
	}
	t->n[IMS_LINE_NOT_CACHED] = r->last - r->first + 1 - t->n[IMS_LINE_CLEAN] -
				    t->n[IMS_LINE_DIRTY] - t->n[IMS_LINE_STALE];
	return 0;
}

/* ---- the interface ----------------------------------------------------------- */

/* DMA and flushes happen where the simulation has no error path: a host
 * without memory for line states cannot simulate on. */
static void out_of_memory(void)
{
	fputs("iommusim: out of memory (CPU cache model)\n", stderr);
	abort();
}

int ims_cpucache_cpu_write(struct ims_cpucache *c, uint64_t pa, uint64_t len)
{
	struct range r;
	struct tally t;

	if (!line_range(pa, len, &r))
		return 0;
	return walk(c, &r, OP_WRITE, &t);
}

uint64_t ims_cpucache_cpu_read(struct ims_cpucache *c, uint64_t pa, uint64_t len)
{
	struct range r;
	struct tally t;

	if (!line_range(pa, len, &r))
		return 0;
	if (walk(c, &r, OP_READ, &t))
		return UINT64_MAX;
	return t.n[IMS_LINE_STALE];
}

/* One word of a split chunk under a non-snooped DMA op, a constant where
 * this is inlined: word_apply's tallies other than DIRTY, the only one such
 * a DMA returns, are then dead code. */
static inline uint64_t dma_word(struct ims_cpucache *c, uint64_t *w, uint64_t sel, enum op op)
{
	struct tally t = { { 0 } };
	int64_t delta = word_apply(w, sel, op, &t);

	if (op != OP_COUNT)   /* never a store for OP_COUNT (const caches) */
		c->lines_cached += (uint64_t)delta;
	return t.n[IMS_LINE_DIRTY];
}

/* The word of line's state if its chunk has words, else NULL. */
static uint64_t *line_word(struct ims_cpucache *c, uint64_t line)
{
	uint64_t key = (line >> WORD_LINES_LG2) + 1;
	const struct ims_cpucache_chunk *ch;

	if (key == c->last_word_key)
		return c->last_word;
	ch = chunk_find(c, line >> CHUNK_LINES_LG2);
	if (!ch || !ch->w)
		return NULL;
	c->last_word_key = key;
	c->last_word = &ch->w[(line & (CHUNK_LINES - 1)) >> WORD_LINES_LG2];
	return c->last_word;
}

uint64_t ims_cpucache_dma(struct ims_cpucache *c, uint64_t pa, uint64_t len, int write,
			  int snooped)
{
	struct range r;
	struct tally t;
	enum op op;
	uint64_t *w;

	if (!line_range(pa, len, &r))
		return 0;
	if (snooped)
		op = write ? OP_INVALIDATE : OP_CLEAN_DIRTY;
	else
		op = write ? OP_MAKE_STALE : OP_COUNT;
	/* A DMA of up to 2 KiB within one word of a split chunk, nearly every
	 * DMA once a run is going: one word step per op instead of walk()'s loops. */
	if ((r.first >> WORD_LINES_LG2) == (r.last >> WORD_LINES_LG2) &&
	    (w = line_word(c, r.first))) {
		uint64_t sel = ims_cpucache_line_sel((unsigned)(r.first & (WORD_LINES - 1)),
					(unsigned)(r.last & (WORD_LINES - 1)));

		if (snooped) {
			ims_cpucache_snooped_word(c, w, sel, write);
			return 0;
		}
		return write ? dma_word(c, w, sel, OP_MAKE_STALE) : dma_word(c, w, sel, OP_COUNT);
	}
	if (walk(c, &r, op, &t))
		out_of_memory();
	return snooped ? 0 : t.n[IMS_LINE_DIRTY];
}

void ims_cpucache_prefetch(struct ims_cpucache *c, uint64_t pa)
{
	const uint64_t *w;

	if (c->lines_cached && (w = line_word(c, pa >> IMS_CACHE_LINE_LG2)))
		__builtin_prefetch(w, 1);
}

struct ims_flush_result ims_cpucache_flush(struct ims_cpucache *c, uint64_t pa, uint64_t len)
{
	struct ims_flush_result res = { 0 };
	struct range r;
	struct tally t;

	if (!line_range(pa, len, &r))
		return res;
	if (walk(c, &r, OP_INVALIDATE, &t))
		out_of_memory();
	res.lines_written_back = t.n[IMS_LINE_DIRTY];
	res.lines_dropped = t.n[IMS_LINE_CLEAN] + t.n[IMS_LINE_STALE];
	res.lines_redundant = t.n[IMS_LINE_NOT_CACHED];
	return res;
}

enum ims_line_state ims_cpucache_state(const struct ims_cpucache *c, uint64_t pa)
{
	uint64_t line = pa >> IMS_CACHE_LINE_LG2;
	const struct ims_cpucache_chunk *ch = chunk_find(c, line >> CHUNK_LINES_LG2);
	uint64_t off = line & (CHUNK_LINES - 1);

	if (!ch)
		return IMS_LINE_NOT_CACHED;
	if (!ch->w)
		return ch->state;
	return (enum ims_line_state)((ch->w[off >> WORD_LINES_LG2] >>
				      (2 * (off & (WORD_LINES - 1)))) & 3);
}

uint64_t ims_cpucache_count(const struct ims_cpucache *c, uint64_t pa, uint64_t len,
			    enum ims_line_state state)
{
	struct range r;
	struct tally t;

	if (!line_range(pa, len, &r))
		return 0;
	/* OP_COUNT stores nothing, to the cache or its chunks */
	walk((struct ims_cpucache *)c, &r, OP_COUNT, &t);
	return t.n[state & 3];
}
