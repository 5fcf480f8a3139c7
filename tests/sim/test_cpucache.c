/* CPU cache model: line-state transitions, exposures, flush accounting,
 * range edges, sparse storage. */
#include <criterion/criterion.h>

#include "sim/cpucache.h"

#define LINE 64ull
#define CHUNK (2ull << 20)   /* 2 MiB of PA per chunk of line states */
#define GIB (1ull << 30)

static struct ims_cpucache c;

static void setup(void)
{
	cr_assert_eq(ims_cpucache_init(&c), 0);
}

static void teardown(void)
{
	ims_cpucache_fini(&c);
}

TestSuite(cpucache, .init = setup, .fini = teardown);

/* Put line `line` (a line number) into `state` from NOT_CACHED, through the
 * public operations only. */
static void make(uint64_t line, enum ims_line_state state)
{
	uint64_t pa = line * LINE;

	switch (state) {
	case IMS_LINE_NOT_CACHED:
		break;
	case IMS_LINE_CLEAN:
		cr_assert_eq(ims_cpucache_cpu_read(&c, pa, LINE), 0);
		break;
	case IMS_LINE_DIRTY:
		cr_assert_eq(ims_cpucache_cpu_write(&c, pa, LINE), 0);
		break;
	case IMS_LINE_STALE:
		cr_assert_eq(ims_cpucache_cpu_read(&c, pa, LINE), 0);
		cr_assert_eq(ims_cpucache_dma(&c, pa, LINE, 1, 0), 0);
		break;
	}
	cr_assert_eq(ims_cpucache_state(&c, pa), state);
}

/* Lines 100..103 in the four states, in enum order. */
static void make_four(void)
{
	for (unsigned s = 0; s < 4; s++)
		make(100 + s, (enum ims_line_state)s);
	cr_assert_eq(c.lines_cached, 3);
}

static enum ims_line_state st(uint64_t line)
{
	return ims_cpucache_state(&c, line * LINE);
}

/* Cached lines by counting, to check the running lines_cached against. */
static uint64_t cached_by_count(uint64_t pa, uint64_t len)
{
	return ims_cpucache_count(&c, pa, len, IMS_LINE_CLEAN) +
	       ims_cpucache_count(&c, pa, len, IMS_LINE_DIRTY) +
	       ims_cpucache_count(&c, pa, len, IMS_LINE_STALE);
}

Test(cpucache, starts_empty)
{
	cr_assert_eq(c.nchunks, 0);
	cr_assert_eq(c.lines_cached, 0);
	cr_assert_eq(st(12345), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_count(&c, 0, 4096, IMS_LINE_NOT_CACHED), 64);
	cr_assert_eq(ims_cpucache_count(&c, 0, 4096, IMS_LINE_DIRTY), 0);
	cr_assert_eq(c.nchunks, 0);
}

Test(cpucache, cpu_write_makes_every_state_dirty)
{
	make_four();
	cr_assert_eq(ims_cpucache_cpu_write(&c, 100 * LINE, 4 * LINE), 0);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(st(100 + i), IMS_LINE_DIRTY, "line %u", i);
	cr_assert_eq(c.lines_cached, 4);
	cr_assert_eq(st(99), IMS_LINE_NOT_CACHED);
	cr_assert_eq(st(104), IMS_LINE_NOT_CACHED);
}

Test(cpucache, cpu_read_fills_and_counts_stale_exposures)
{
	make_four();
	make(104, IMS_LINE_STALE);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 100 * LINE, 5 * LINE), 2, "two stale lines read");
	cr_assert_eq(st(100), IMS_LINE_CLEAN, "not cached -> clean");
	cr_assert_eq(st(101), IMS_LINE_CLEAN);
	cr_assert_eq(st(102), IMS_LINE_DIRTY, "a read keeps the CPU's newer data");
	cr_assert_eq(st(103), IMS_LINE_STALE, "still the old copy");
	cr_assert_eq(st(104), IMS_LINE_STALE);
	cr_assert_eq(c.lines_cached, 5);
	/* reading again exposes the same stale lines again */
	cr_assert_eq(ims_cpucache_cpu_read(&c, 100 * LINE, 5 * LINE), 2);
}

Test(cpucache, snooped_dma_write_invalidates_every_state)
{
	make_four();
	make(99, IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_dma(&c, 100 * LINE, 4 * LINE, 1, 1), 0);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(st(100 + i), IMS_LINE_NOT_CACHED, "line %u", i);
	cr_assert_eq(st(99), IMS_LINE_DIRTY, "outside the range");
	cr_assert_eq(c.lines_cached, 1);
}

Test(cpucache, snooped_dma_read_cleans_dirty_lines_only)
{
	make_four();
	cr_assert_eq(ims_cpucache_dma(&c, 100 * LINE, 4 * LINE, 0, 1), 0);
	cr_assert_eq(st(100), IMS_LINE_NOT_CACHED, "a DMA never allocates");
	cr_assert_eq(st(101), IMS_LINE_CLEAN);
	cr_assert_eq(st(102), IMS_LINE_CLEAN, "dirty data written back on the snoop");
	cr_assert_eq(st(103), IMS_LINE_STALE);
	cr_assert_eq(c.lines_cached, 3);
}

Test(cpucache, non_snooped_dma_read_counts_dirty_exposures)
{
	make_four();
	make(110, IMS_LINE_DIRTY);
	make(111, IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_dma(&c, 100 * LINE, 12 * LINE, 0, 0), 3);
	cr_assert_eq(st(100), IMS_LINE_NOT_CACHED);
	cr_assert_eq(st(101), IMS_LINE_CLEAN);
	cr_assert_eq(st(102), IMS_LINE_DIRTY, "states unchanged");
	cr_assert_eq(st(103), IMS_LINE_STALE);
	cr_assert_eq(st(111), IMS_LINE_DIRTY);
	cr_assert_eq(c.lines_cached, 5);
}

Test(cpucache, non_snooped_dma_write_makes_cached_lines_stale)
{
	make_four();
	make(104, IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_dma(&c, 100 * LINE, 5 * LINE, 1, 0), 2,
		     "two dirty lines will clobber the DMA data when written back");
	cr_assert_eq(st(100), IMS_LINE_NOT_CACHED, "a DMA never allocates");
	for (unsigned i = 1; i < 5; i++)
		cr_assert_eq(st(100 + i), IMS_LINE_STALE, "line %u", i);
	cr_assert_eq(c.lines_cached, 4);
	/* the dirty lines became stale: a second write finds none dirty */
	cr_assert_eq(ims_cpucache_dma(&c, 100 * LINE, 5 * LINE, 1, 0), 0);
}

Test(cpucache, flush_reports_written_back_dropped_redundant)
{
	struct ims_flush_result r;

	make_four();
	make(104, IMS_LINE_DIRTY);
	make(105, IMS_LINE_CLEAN);
	r = ims_cpucache_flush(&c, 98 * LINE, 10 * LINE);   /* lines 98..107 */
	cr_assert_eq(r.lines_written_back, 2);
	cr_assert_eq(r.lines_dropped, 3, "clean 101 and 105, stale 103");
	cr_assert_eq(r.lines_redundant, 5, "98, 99, 100, 106, 107");
	for (unsigned i = 98; i < 108; i++)
		cr_assert_eq(st(i), IMS_LINE_NOT_CACHED, "line %u", i);
	cr_assert_eq(c.lines_cached, 0);
	r = ims_cpucache_flush(&c, 98 * LINE, 10 * LINE);
	cr_assert_eq(r.lines_written_back + r.lines_dropped, 0);
	cr_assert_eq(r.lines_redundant, 10);
}

Test(cpucache, partial_lines_at_both_ends_count_as_touched)
{
	struct ims_flush_result r;

	/* 2 bytes straddling a line boundary touch two lines */
	cr_assert_eq(ims_cpucache_cpu_write(&c, 0x1003f, 2), 0);
	cr_assert_eq(c.lines_cached, 2);
	cr_assert_eq(ims_cpucache_state(&c, 0x10000), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, 0x10040), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, 0x10080), IMS_LINE_NOT_CACHED);
	/* one byte in the middle of a line touches it */
	cr_assert_eq(ims_cpucache_cpu_read(&c, 0x100a1, 1), 0);
	cr_assert_eq(ims_cpucache_state(&c, 0x10080), IMS_LINE_CLEAN);
	/* a range ending exactly on a boundary does not touch the next line */
	cr_assert_eq(ims_cpucache_dma(&c, 0x10000, 0x40, 0, 0), 1);
	cr_assert_eq(ims_cpucache_dma(&c, 0x10001, 0x40, 0, 0), 2);
	cr_assert_eq(ims_cpucache_count(&c, 0x1003f, 0x42, IMS_LINE_NOT_CACHED), 0);
	cr_assert_eq(ims_cpucache_count(&c, 0x1003f, 0x42, IMS_LINE_DIRTY), 2);
	cr_assert_eq(ims_cpucache_count(&c, 0x1003f, 0x42, IMS_LINE_CLEAN), 1);
	/* len 0 is nothing */
	cr_assert_eq(ims_cpucache_cpu_write(&c, 0x20000, 0), 0);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 0x20000, 0), 0);
	cr_assert_eq(ims_cpucache_dma(&c, 0x10000, 0, 0, 0), 0);
	cr_assert_eq(ims_cpucache_count(&c, 0x10000, 0, IMS_LINE_DIRTY), 0);
	r = ims_cpucache_flush(&c, 0x10000, 0);
	cr_assert_eq(r.lines_written_back + r.lines_dropped + r.lines_redundant, 0);
	cr_assert_eq(c.lines_cached, 3);
	/* a flush of 1 byte at the end of the last line flushes only it */
	r = ims_cpucache_flush(&c, 0x100bf, 1);
	cr_assert_eq(r.lines_dropped, 1);
	cr_assert_eq(r.lines_written_back + r.lines_redundant, 0);
	cr_assert_eq(c.lines_cached, 2);
}

Test(cpucache, unaligned_ranges_within_one_word)
{
	/* lines 3..9 and 40..70 of a word-aligned region: partial words both ends */
	cr_assert_eq(ims_cpucache_cpu_write(&c, 3 * LINE + 5, 7 * LINE - 10), 0);
	cr_assert_eq(ims_cpucache_count(&c, 0, 128 * LINE, IMS_LINE_DIRTY), 7);
	cr_assert_eq(st(2), IMS_LINE_NOT_CACHED);
	cr_assert_eq(st(3), IMS_LINE_DIRTY);
	cr_assert_eq(st(9), IMS_LINE_DIRTY);
	cr_assert_eq(st(10), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 40 * LINE, 31 * LINE), 0);
	cr_assert_eq(ims_cpucache_count(&c, 0, 128 * LINE, IMS_LINE_CLEAN), 31);
	cr_assert_eq(st(39), IMS_LINE_NOT_CACHED);
	cr_assert_eq(st(70), IMS_LINE_CLEAN);
	cr_assert_eq(st(71), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_dma(&c, 5 * LINE, 60 * LINE, 1, 0), 5, "dirty 5..9");
	cr_assert_eq(ims_cpucache_count(&c, 0, 128 * LINE, IMS_LINE_STALE), 5 + 25);
	cr_assert_eq(c.lines_cached, 38);
}

Test(cpucache, ranges_cross_chunk_boundaries)
{
	struct ims_flush_result r;

	/* 2 lines each side of the 2 MiB boundary, and of the 4 MiB one */
	cr_assert_eq(ims_cpucache_cpu_write(&c, CHUNK - 2 * LINE, 4 * LINE), 0);
	cr_assert_eq(c.nchunks, 2);
	cr_assert_eq(ims_cpucache_state(&c, CHUNK - LINE), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, CHUNK), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, CHUNK + 2 * LINE), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 2 * CHUNK - LINE, 2 * LINE), 0);
	cr_assert_eq(c.nchunks, 3);
	cr_assert_eq(c.lines_cached, 6);
	/* one range over three chunks, most of it never touched */
	cr_assert_eq(ims_cpucache_count(&c, CHUNK - 2 * LINE, CHUNK + 3 * LINE,
					IMS_LINE_NOT_CACHED), CHUNK / LINE + 3 - 6);
	cr_assert_eq(ims_cpucache_dma(&c, 0, 3 * CHUNK, 0, 0), 4);
	r = ims_cpucache_flush(&c, CHUNK - LINE, CHUNK + LINE);   /* up to 4 MiB */
	cr_assert_eq(r.lines_written_back, 3);
	cr_assert_eq(r.lines_dropped, 1);
	cr_assert_eq(r.lines_redundant, CHUNK / LINE + 1 - 4);
	cr_assert_eq(ims_cpucache_state(&c, CHUNK - 2 * LINE), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, 2 * CHUNK), IMS_LINE_CLEAN);
	cr_assert_eq(c.lines_cached, 2);
}

Test(cpucache, far_apart_addresses_and_a_whole_space_flush)
{
	struct ims_flush_result r;
	uint64_t top = 1ull << 52;

	cr_assert_eq(ims_cpucache_cpu_write(&c, 0, 1), 0);
	cr_assert_eq(ims_cpucache_cpu_write(&c, 1ull << 51, 1), 0);
	cr_assert_eq(ims_cpucache_cpu_read(&c, top - LINE, LINE), 0);
	cr_assert_eq(ims_cpucache_cpu_write(&c, (1ull << 51) + 7 * CHUNK, 1), 0);
	cr_assert_eq(c.nchunks, 4);
	cr_assert_eq(c.lines_cached, 4);
	cr_assert_eq(ims_cpucache_state(&c, 1ull << 51), IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_state(&c, (1ull << 51) + LINE), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_state(&c, (1ull << 51) - LINE), IMS_LINE_NOT_CACHED);
	cr_assert_eq(ims_cpucache_state(&c, top - LINE), IMS_LINE_CLEAN);
	cr_assert_eq(ims_cpucache_count(&c, 0, top, IMS_LINE_DIRTY), 3);
	cr_assert_eq(ims_cpucache_count(&c, 0, top, IMS_LINE_NOT_CACHED), (top / LINE) - 4);
	/* exposures across the whole space, then one flush of all of it */
	cr_assert_eq(ims_cpucache_dma(&c, 0, top, 0, 0), 3);
	r = ims_cpucache_flush(&c, 0, top);
	cr_assert_eq(r.lines_written_back, 3);
	cr_assert_eq(r.lines_dropped, 1);
	cr_assert_eq(r.lines_redundant, top / LINE - 4);
	cr_assert_eq(c.lines_cached, 0);
	cr_assert_eq(ims_cpucache_count(&c, 0, top, IMS_LINE_NOT_CACHED), top / LINE);
	/* the top of the 64-bit space: a range is cut at its end, not wrapped */
	r = ims_cpucache_flush(&c, UINT64_MAX - LINE + 1, 2 * LINE);
	cr_assert_eq(r.lines_redundant, 1);
}

Test(cpucache, one_gib_write_read_flush_exact)
{
	uint64_t lines = GIB / LINE;
	struct ims_flush_result r;

	cr_assert_eq(ims_cpucache_cpu_write(&c, 4 * GIB, GIB), 0);
	cr_assert_eq(c.lines_cached, lines);
	cr_assert_eq(c.nchunks, GIB / CHUNK);
	cr_assert_eq(ims_cpucache_count(&c, 4 * GIB, GIB, IMS_LINE_DIRTY), lines);
	/* a device reads the second half without snooping, writes the last quarter */
	cr_assert_eq(ims_cpucache_dma(&c, 4 * GIB + GIB / 2, GIB / 2, 0, 0), lines / 2);
	cr_assert_eq(ims_cpucache_dma(&c, 5 * GIB - GIB / 4, GIB / 4, 1, 0), lines / 4);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 4 * GIB - GIB / 4, GIB / 2), 0);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 5 * GIB - 100, 200), 2, "the last 2 stale lines");
	cr_assert_eq(c.lines_cached, lines + lines / 4 + 2);
	cr_assert_eq(c.nchunks, GIB / CHUNK + GIB / 4 / CHUNK + 1);
	r = ims_cpucache_flush(&c, 4 * GIB, GIB);
	cr_assert_eq(r.lines_written_back, lines - lines / 4);
	cr_assert_eq(r.lines_dropped, lines / 4);
	cr_assert_eq(r.lines_redundant, 0);
	cr_assert_eq(c.lines_cached, lines / 4 + 2, "clean lines before 4 GiB, 2 after 5 GiB");
	cr_assert_eq(ims_cpucache_count(&c, 4 * GIB, GIB, IMS_LINE_NOT_CACHED), lines);
}

Test(cpucache, dma_and_flush_of_untouched_memory_allocate_nothing)
{
	struct ims_flush_result r;

	for (int w = 0; w < 2; w++)
		for (int s = 0; s < 2; s++)
			cr_assert_eq(ims_cpucache_dma(&c, 1ull << 40, GIB, w, s), 0);
	r = ims_cpucache_flush(&c, 1ull << 40, GIB);
	cr_assert_eq(r.lines_redundant, GIB / LINE);
	cr_assert_eq(r.lines_written_back + r.lines_dropped, 0);
	cr_assert_eq(ims_cpucache_count(&c, 0, GIB, IMS_LINE_STALE), 0);
	cr_assert_eq(ims_cpucache_state(&c, 1ull << 40), IMS_LINE_NOT_CACHED);
	cr_assert_eq(c.nchunks, 0);
	cr_assert_eq(c.lines_cached, 0);
	/* nor next to memory that is cached */
	make(0, IMS_LINE_DIRTY);
	cr_assert_eq(ims_cpucache_dma(&c, 0, 16 * CHUNK, 1, 0), 1);
	r = ims_cpucache_flush(&c, 0, 16 * CHUNK);
	cr_assert_eq(r.lines_dropped, 1, "the stale line");
	cr_assert_eq(c.nchunks, 1);
}

Test(cpucache, table_grows_and_keeps_every_chunk)
{
	/* 3000 chunks, scattered: each gets its own line state */
	for (uint64_t i = 0; i < 3000; i++) {
		uint64_t pa = (i * 0x9e3779b1ull % (1ull << 30)) * CHUNK + (i % 7) * LINE;

		if (i % 2)
			cr_assert_eq(ims_cpucache_cpu_write(&c, pa, 1), 0);
		else
			cr_assert_eq(ims_cpucache_cpu_read(&c, pa, 1), 0);
	}
	cr_assert_eq(c.nchunks, 3000);
	cr_assert_eq(c.lines_cached, 3000);
	cr_assert_geq(c.nslots * 3, c.nchunks * 4, "load factor at most 3/4");
	cr_assert_eq(c.nslots & (c.nslots - 1), 0, "grown by doubling");
	for (uint64_t i = 0; i < 3000; i++) {
		uint64_t pa = (i * 0x9e3779b1ull % (1ull << 30)) * CHUNK + (i % 7) * LINE;

		cr_assert_eq(ims_cpucache_state(&c, pa), i % 2 ? IMS_LINE_DIRTY : IMS_LINE_CLEAN,
			     "chunk %llu", (unsigned long long)i);
		cr_assert_eq(ims_cpucache_state(&c, pa + LINE), IMS_LINE_NOT_CACHED);
	}
}

/* ---- against a line-by-line reference model ------------------------------- */

#define REF_LINES 1500
#define REF_BASE (3 * CHUNK - 700 * LINE)   /* window across a chunk boundary */

static enum ims_line_state ref[REF_LINES];

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* What the header says, one line at a time. Returns the op's result. */
static uint64_t ref_apply(enum ims_line_state *model, unsigned kind, uint64_t a, uint64_t b,
			  struct ims_flush_result *fr)
{
	uint64_t n = 0;

	for (uint64_t i = a; i <= b; i++) {
		enum ims_line_state *s = &model[i];

		switch (kind) {
		case 0:   /* cpu write */
			*s = IMS_LINE_DIRTY;
			break;
		case 1:   /* cpu read */
			n += *s == IMS_LINE_STALE;
			if (*s == IMS_LINE_NOT_CACHED)
				*s = IMS_LINE_CLEAN;
			break;
		case 2:   /* snooped dma write */
			*s = IMS_LINE_NOT_CACHED;
			break;
		case 3:   /* snooped dma read */
			if (*s == IMS_LINE_DIRTY)
				*s = IMS_LINE_CLEAN;
			break;
		case 4:   /* non-snooped dma write */
			n += *s == IMS_LINE_DIRTY;
			if (*s != IMS_LINE_NOT_CACHED)
				*s = IMS_LINE_STALE;
			break;
		case 5:   /* non-snooped dma read */
			n += *s == IMS_LINE_DIRTY;
			break;
		case 6:   /* flush */
			if (*s == IMS_LINE_DIRTY)
				fr->lines_written_back++;
			else if (*s == IMS_LINE_NOT_CACHED)
				fr->lines_redundant++;
			else
				fr->lines_dropped++;
			*s = IMS_LINE_NOT_CACHED;
			break;
		}
	}
	return n;
}

static uint64_t real_apply(unsigned kind, uint64_t pa, uint64_t len, struct ims_flush_result *fr)
{
	switch (kind) {
	case 0:
		return (uint64_t)ims_cpucache_cpu_write(&c, pa, len);
	case 1:
		return ims_cpucache_cpu_read(&c, pa, len);
	case 2:
	case 3:
		/* the DMA path's way: after a walk's prefetch of the first line
		 * (half the time), inline when that found the DMA's word; the
		 * whole-chunk test below frees words the prefetch found */
		if (pa & LINE)
			ims_cpucache_prefetch(&c, pa);
		ims_cpucache_dma_snooped(&c, pa, len, kind == 2);
		return 0;
	case 4:
		return ims_cpucache_dma(&c, pa, len, 1, 0);
	case 5:
		return ims_cpucache_dma(&c, pa, len, 0, 0);
	default:
		*fr = ims_cpucache_flush(&c, pa, len);
		return 0;
	}
}

/* The cache agrees with the line model: the op's result and every line. */
static void same_as_model(const enum ims_line_state *model, unsigned nlines, uint64_t base,
			  uint64_t r_got, uint64_t r_want, const struct ims_flush_result *got,
			  const struct ims_flush_result *want, unsigned step, unsigned kind)
{
	uint64_t cached = 0;

	cr_assert_eq(r_got, r_want, "step %u kind %u", step, kind);
	cr_assert_eq(got->lines_written_back, want->lines_written_back, "step %u", step);
	cr_assert_eq(got->lines_dropped, want->lines_dropped, "step %u", step);
	cr_assert_eq(got->lines_redundant, want->lines_redundant, "step %u", step);
	for (unsigned i = 0; i < nlines; i++) {
		cr_assert_eq(ims_cpucache_state(&c, base + i * LINE), model[i],
			     "step %u kind %u line %u", step, kind, i);
		cached += model[i] != IMS_LINE_NOT_CACHED;
	}
	cr_assert_eq(c.lines_cached, cached, "step %u", step);
}

Test(cpucache, random_ops_match_a_line_by_line_model)
{
	for (unsigned step = 0; step < 4000; step++) {
		unsigned kind = (unsigned)(rng() % 7);
		uint64_t off = rng() % (REF_LINES * LINE);
		uint64_t len = 1 + rng() % (rng() % 4 ? 40 * LINE : REF_LINES * LINE - off);
		struct ims_flush_result want = { 0 }, got = { 0 };

		if (off + len > REF_LINES * LINE)
			len = REF_LINES * LINE - off;
		uint64_t r_want = ref_apply(ref, kind, off / LINE, (off + len - 1) / LINE, &want);
		uint64_t r_got = real_apply(kind, REF_BASE + off, len, &got);

		same_as_model(ref, REF_LINES, REF_BASE, r_got, r_want, &got, &want, step, kind);
	}
	cr_assert_eq(cached_by_count(0, 1ull << 52), c.lines_cached);
	cr_assert_eq(c.nchunks, 2);
}

/* The same over whole chunks: ops covering a chunk keep it uniform (no
 * per-line words), ops covering part of one split it, and ops that set a
 * whole chunk to one state make it uniform again. */
#define WIDE_LINES (2 * CHUNK / LINE + 1000)
#define WIDE_BASE (5 * CHUNK - 500 * LINE)

static enum ims_line_state wide[WIDE_LINES];

Test(cpucache, whole_chunk_ops_match_the_line_model_and_stay_compact)
{
	uint64_t split_seen = 0, uniform_again = 0;

	for (unsigned step = 0; step < 300; step++) {
		unsigned kind = (unsigned)(rng() % 7), shape = (unsigned)(rng() % 3);
		uint64_t off, len, before = c.nchunks_split;
		struct ims_flush_result want = { 0 }, got = { 0 };

		if (shape == 0) {          /* one whole chunk, or both */
			off = 500 * LINE + (rng() % 2) * CHUNK;
			len = (1 + rng() % 2) * CHUNK;
			if (off + len > WIDE_LINES * LINE)
				len = CHUNK;
		} else if (shape == 1) {   /* a few lines somewhere */
			off = rng() % (WIDE_LINES * LINE - 64 * LINE);
			len = 1 + rng() % (64 * LINE);
		} else {                   /* anything */
			off = rng() % (WIDE_LINES * LINE);
			len = 1 + rng() % (WIDE_LINES * LINE - off);
		}
		uint64_t r_want = ref_apply(wide, kind, off / LINE, (off + len - 1) / LINE, &want);
		uint64_t r_got = real_apply(kind, WIDE_BASE + off, len, &got);

		same_as_model(wide, WIDE_LINES, WIDE_BASE, r_got, r_want, &got, &want, step, kind);
		split_seen += c.nchunks_split > before;
		uniform_again += c.nchunks_split < before;
	}
	cr_assert_gt(split_seen, 0);
	cr_assert_gt(uniform_again, 0);
}

Test(cpucache, a_pinned_gib_costs_no_per_line_words)
{
	cr_assert_eq(ims_cpucache_cpu_write(&c, 4 * GIB, GIB), 0);
	cr_assert_eq(c.nchunks_split, 0, "zeroing whole chunks leaves them uniform");
	cr_assert_eq(ims_cpucache_dma(&c, 4 * GIB, GIB, 0, 1), 0);
	cr_assert_eq(c.nchunks_split, 0, "a snooped read of them too");
	cr_assert_eq(ims_cpucache_count(&c, 4 * GIB, GIB, IMS_LINE_CLEAN), GIB / LINE);
	/* a 4 KiB non-snooped write splits one chunk, a whole-chunk flush joins it */
	cr_assert_eq(ims_cpucache_dma(&c, 4 * GIB + 3 * CHUNK + 4096, 4096, 1, 0), 0);
	cr_assert_eq(c.nchunks_split, 1);
	cr_assert_eq(ims_cpucache_state(&c, 4 * GIB + 3 * CHUNK + 4096), IMS_LINE_STALE);
	cr_assert_eq(ims_cpucache_state(&c, 4 * GIB + 3 * CHUNK), IMS_LINE_CLEAN);
	cr_assert_eq(ims_cpucache_flush(&c, 4 * GIB + 2 * CHUNK, 2 * CHUNK).lines_dropped,
		     2 * CHUNK / LINE);
	cr_assert_eq(c.nchunks_split, 0);
	cr_assert_eq(c.lines_cached, GIB / LINE - 2 * CHUNK / LINE);
}

Test(cpucache, lines_cached_stays_exact_through_mixed_ops)
{
	cr_assert_eq(ims_cpucache_cpu_write(&c, 0, 10 * LINE), 0);
	cr_assert_eq(ims_cpucache_cpu_read(&c, 5 * LINE, 10 * LINE), 0);
	cr_assert_eq(c.lines_cached, 15);
	cr_assert_eq(ims_cpucache_dma(&c, 12 * LINE, 10 * LINE, 1, 0), 0);
	cr_assert_eq(c.lines_cached, 15, "stale lines are still cached");
	cr_assert_eq(ims_cpucache_dma(&c, 0, 3 * LINE, 1, 1), 0);
	cr_assert_eq(c.lines_cached, 12);
	cr_assert_eq(ims_cpucache_cpu_write(&c, 20 * LINE, 10 * LINE), 0);
	cr_assert_eq(c.lines_cached, 22);
	ims_cpucache_flush(&c, 9 * LINE, 13 * LINE);
	cr_assert_eq(c.lines_cached, 14, "3..8 and 22..29 left");
	cr_assert_eq(c.lines_cached, cached_by_count(0, GIB));
}

Test(cpucache, fini_then_init_again_is_empty)
{
	cr_assert_eq(ims_cpucache_cpu_write(&c, 0, 8 * CHUNK), 0);
	cr_assert_eq(c.nchunks, 8);
	ims_cpucache_fini(&c);
	cr_assert_eq(c.nchunks, 0);
	cr_assert_eq(c.lines_cached, 0);
	cr_assert_eq(ims_cpucache_init(&c), 0);
	cr_assert_eq(ims_cpucache_state(&c, 0), IMS_LINE_NOT_CACHED);
}
