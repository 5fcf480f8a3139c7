/* CPU cache model for non-coherent DMA: per 64-byte physical line, does the
 * CPU's cache agree with memory?
 *
 * Per line, one of:
 *  - NOT_CACHED: the CPU holds no copy;
 *  - CLEAN: the CPU holds a copy equal to memory (it read the line, or a
 *    snooped DMA read made it write its data back);
 *  - DIRTY: the CPU holds newer data than memory (it wrote the line, e.g.
 *    zeroing a page before pinning it); a non-snooped DMA read of the line
 *    reads stale memory: an exposure (the device sees old host data);
 *  - STALE: memory is newer than the CPU's copy (a non-snooped DMA wrote the
 *    line while the CPU held it); a host read returns the old copy: an
 *    exposure (and a dirty copy written back later would clobber the DMA).
 * The model assumes the worst case for safety: a line the CPU touched stays
 * cached until flushed (no capacity evictions).
 *
 * Snooped DMA keeps caches coherent: a snooped write leaves the line
 * NOT_CACHED (other copies invalidated), a snooped read of a DIRTY line gets
 * the CPU's data and leaves it CLEAN. A flush (clflush/clflushopt) writes
 * dirty lines back and invalidates every line of the range.
 *
 * Storage is sparse (only 2 MiB chunks ever touched cost memory; a chunk
 * whose lines share one state costs a few bytes) and deterministic.
 */
#ifndef IMS_CPUCACHE_H
#define IMS_CPUCACHE_H

#include <stdint.h>

#define IMS_CACHE_LINE_LG2 6

enum ims_line_state {
	IMS_LINE_NOT_CACHED = 0,
	IMS_LINE_CLEAN = 1,
	IMS_LINE_DIRTY = 2,
	IMS_LINE_STALE = 3,
};

struct ims_cpucache_chunk;

struct ims_cpucache {
	struct ims_cpucache_chunk **slot;   /* open-addressed by chunk number */
	uint64_t nslots, nchunks;
	uint64_t nchunks_split;             /* chunks holding per-line words */
	uint64_t lines_cached;              /* lines not NOT_CACHED, now */
	/* The word of line states found last (by a walk's prefetch, then by
	 * its DMA), so that the DMA takes it without a second hash probe:
	 * its number (line >> 5) + 1, 0 for none. Forgotten when the words of
	 * its chunk are freed. */
	uint64_t last_word_key;
	uint64_t *last_word;
};

/* What a flush found: lines it wrote back (DIRTY), lines it dropped
 * (CLEAN or STALE), and lines not in the cache at all (flushing them was
 * redundant). */
struct ims_flush_result {
	uint64_t lines_written_back;
	uint64_t lines_dropped;
	uint64_t lines_redundant;
};

int ims_cpucache_init(struct ims_cpucache *c);   /* 0 or -1 (no memory) */
void ims_cpucache_fini(struct ims_cpucache *c);

/* Host CPU writes [pa, pa+len): every line becomes DIRTY (a STALE line's
 * written bytes win over the DMA data, so it is DIRTY too). 0 or -1 (no
 * memory for the line states). */
int ims_cpucache_cpu_write(struct ims_cpucache *c, uint64_t pa, uint64_t len);
/* Host CPU reads [pa, pa+len): returns how many lines it read from a STALE
 * copy (exposures); NOT_CACHED lines become CLEAN. -1 cast to uint64_t
 * (UINT64_MAX) if out of memory. */
uint64_t ims_cpucache_cpu_read(struct ims_cpucache *c, uint64_t pa, uint64_t len);

/* A DMA of [pa, pa+len), write != 0 for a write.
 * Snooped: a write leaves its lines NOT_CACHED, a read turns DIRTY lines
 * CLEAN; returns 0.
 * Non-snooped: a read returns how many of its lines were DIRTY (the device
 * read stale memory; states unchanged); a write turns CLEAN, DIRTY and
 * STALE lines STALE and returns how many of them were DIRTY (a later
 * write-back of those will clobber the DMA data).
 * NOT_CACHED lines stay NOT_CACHED. Aborts if out of memory. */
uint64_t ims_cpucache_dma(struct ims_cpucache *c, uint64_t pa, uint64_t len, int write,
			  int snooped);

/* Line states are kept 32 lines to a 64-bit word, 2 bits a line (the
 * layout sim/cpucache.c describes): what the inline DMA step below needs
 * of it. */
#define IMS_CACHE_WORD_LINES_LG2 5
#define IMS_CACHE_LO_BITS UINT64_C(0x5555555555555555)   /* the lo bit of every line */

/* Mask of the lo bits of lines [a, b] of a word, 0 <= a <= b < 32. */
static inline uint64_t ims_cpucache_line_sel(unsigned a, unsigned b)
{
	return (~UINT64_C(0) >> (63 - (2 * b + 1))) & (~UINT64_C(0) << (2 * a)) &
	       IMS_CACHE_LO_BITS;
}

/* A snooped DMA over the lines of *w in sel: every line NOT_CACHED for a
 * write, DIRTY (10) lines CLEAN (01) for a read, chosen by masks rather
 * than a branch, since reads and writes alternate at random on the DMA
 * path. The random test against a line-by-line model in
 * tests/sim/test_cpucache.c runs DMAs of a word or less through here. */
static inline void ims_cpucache_snooped_word(struct ims_cpucache *c, uint64_t *w, uint64_t sel,
					     int write)
{
	uint64_t x = *w, lo = x & IMS_CACHE_LO_BITS, hi = (x >> 1) & IMS_CACHE_LO_BITS;
	uint64_t dirty = hi & ~lo & sel, cached = (lo | hi) & sel;
	uint64_t is_write = -(uint64_t)(write != 0);

	/* a read keeps the number of cached lines */
	*w = (x & ~((sel | (sel << 1)) & is_write)) ^ ((dirty | (dirty << 1)) & ~is_write);
	c->lines_cached -= (uint64_t)__builtin_popcountll(cached) & is_write;
}

/* ims_cpucache_dma(c, pa, len, write, 1), inline when the DMA's lines are
 * in the word found last: a walk's prefetch has just found the word of the
 * DMA that follows it. */
static inline void ims_cpucache_dma_snooped(struct ims_cpucache *c, uint64_t pa, uint64_t len,
					    int write)
{
	uint64_t first = pa >> IMS_CACHE_LINE_LG2, last = (pa + len - 1) >> IMS_CACHE_LINE_LG2;

	if (len && pa + len - 1 >= pa &&
	    (first >> IMS_CACHE_WORD_LINES_LG2) + 1 == c->last_word_key &&
	    (last >> IMS_CACHE_WORD_LINES_LG2) + 1 == c->last_word_key) {
		unsigned in_word = (1u << IMS_CACHE_WORD_LINES_LG2) - 1;

		ims_cpucache_snooped_word(c, c->last_word,
					  ims_cpucache_line_sel((unsigned)first & in_word,
								(unsigned)last & in_word),
					  write);
		return;
	}
	ims_cpucache_dma(c, pa, len, write, 1);
}

/* Start bringing the host memory holding the state of pa's line into the
 * host's cache: the DMA path knows where a DMA goes a walk's tail before it
 * applies the DMA here, and on a walk-heavy run that state is a host cache
 * miss. Changes nothing; a no-op while no line is cached (ims_coh_dma
 * does not look then). */
void ims_cpucache_prefetch(struct ims_cpucache *c, uint64_t pa);

/* Flush (write back + invalidate) [pa, pa+len): every line ends NOT_CACHED.
 * Aborts if out of memory (splitting a uniform chunk). */
struct ims_flush_result ims_cpucache_flush(struct ims_cpucache *c, uint64_t pa, uint64_t len);

/* State of one line (tests, exposure reports). */
enum ims_line_state ims_cpucache_state(const struct ims_cpucache *c, uint64_t pa);

/* How many lines of [pa, pa+len) are in `state`. */
uint64_t ims_cpucache_count(const struct ims_cpucache *c, uint64_t pa, uint64_t len,
			    enum ims_line_state state);

#endif
