#include "sim/truth.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_PAGES (UINT64_C(1) << IMS_TRUTH_CHUNK_BITS)
#define CHUNK_WORDS (CHUNK_PAGES / 64)
#define MID_SIZE (1u << IMS_TRUTH_MID_BITS)
#define TOP_SIZE (1u << 15)

/* Page numbers have at most 45 bits (57-bit IOVA): 15 top, 15 mid, 15 chunk. */
static uint64_t *chunk_of(const struct ims_truth *t, uint64_t page)
{
	uint64_t c = page >> IMS_TRUTH_CHUNK_BITS;
	uint64_t **mid = t->top[(c >> IMS_TRUTH_MID_BITS) & (TOP_SIZE - 1)];

	return mid ? mid[c & (MID_SIZE - 1)] : NULL;
}

static uint64_t *chunk_get(struct ims_truth *t, uint64_t page)
{
	uint64_t c = page >> IMS_TRUTH_CHUNK_BITS;
	uint64_t ***midp = &t->top[(c >> IMS_TRUTH_MID_BITS) & (TOP_SIZE - 1)];
	uint64_t **chunkp;

	if (!*midp && !(*midp = calloc(MID_SIZE, sizeof(uint64_t *))))
		abort();
	chunkp = &(*midp)[c & (MID_SIZE - 1)];
	if (!*chunkp && !(*chunkp = calloc(CHUNK_WORDS, sizeof(uint64_t))))
		abort();
	return *chunkp;
}

void ims_truth_init(struct ims_truth *t)
{
	memset(t, 0, sizeof(*t));
}

void ims_truth_fini(struct ims_truth *t)
{
	for (unsigned i = 0; i < TOP_SIZE; i++) {
		if (!t->top[i])
			continue;
		for (unsigned j = 0; j < MID_SIZE; j++)
			free(t->top[i][j]);
		free(t->top[i]);
	}
	memset(t, 0, sizeof(*t));
}

/* Mask of bits [lo, lo+n) within one word, n in 1..64. */
static uint64_t word_mask(unsigned lo, unsigned n)
{
	return (n == 64 ? ~UINT64_C(0) : ((UINT64_C(1) << n) - 1)) << lo;
}

enum bits_op { OP_SET, OP_CLEAR, OP_ANY, OP_COUNT };

/* Apply op to [first, first+n), one word at a time. OP_ANY returns 1 at the
 * first set bit, OP_COUNT the number set; the others return 0. */
static uint64_t walk_bits(struct ims_truth *t, uint64_t first, uint64_t n, enum bits_op op)
{
	uint64_t count = 0;

	while (n) {
		uint64_t in_chunk = first & (CHUNK_PAGES - 1);
		uint64_t run = CHUNK_PAGES - in_chunk;
		uint64_t *chunk = op == OP_SET ? chunk_get(t, first) : chunk_of(t, first);

		if (run > n)
			run = n;
		if (chunk) {
			uint64_t bit = in_chunk, left = run;

			while (left) {
				unsigned lo = (unsigned)(bit & 63);
				unsigned cnt = 64 - lo < left ? 64 - lo : (unsigned)left;
				uint64_t m = word_mask(lo, cnt);
				uint64_t *w = &chunk[bit >> 6];

				switch (op) {
				case OP_ANY:
					if (*w & m)
						return 1;
					break;
				case OP_COUNT:
					count += (uint64_t)__builtin_popcountll(*w & m);
					break;
				case OP_SET:
					t->pages_set += (uint64_t)__builtin_popcountll(m & ~*w);
					*w |= m;
					break;
				case OP_CLEAR:
					t->pages_set -= (uint64_t)__builtin_popcountll(m & *w);
					*w &= ~m;
					break;
				}
				bit += cnt;
				left -= cnt;
			}
		}
		first += run;
		n -= run;
	}
	return count;
}

void ims_truth_set(struct ims_truth *t, uint64_t first, uint64_t n)
{
	walk_bits(t, first, n, OP_SET);
}

void ims_truth_clear(struct ims_truth *t, uint64_t first, uint64_t n)
{
	walk_bits(t, first, n, OP_CLEAR);
}

uint64_t ims_truth_count(const struct ims_truth *t, uint64_t first, uint64_t n)
{
	return walk_bits((struct ims_truth *)t, first, n, OP_COUNT);
}

uint64_t ims_truth_take(struct ims_truth *t, uint64_t first, uint64_t n)
{
	uint64_t before = t->pages_set;

	walk_bits(t, first, n, OP_CLEAR);
	return before - t->pages_set;
}

uint64_t ims_truth_take_mask(struct ims_truth *t, uint64_t first, const uint64_t *mask,
			     unsigned nwords)
{
	uint64_t taken = 0;

	/* first is 64-aligned and chunks hold whole words, so each mask word
	 * is one word of one chunk */
	for (unsigned w = 0; w < nwords; w++) {
		uint64_t page = first + 64 * (uint64_t)w, *chunk, *word, hit;

		if (!mask[w] || !(chunk = chunk_of(t, page)))
			continue;
		word = &chunk[(page & (CHUNK_PAGES - 1)) >> 6];
		hit = *word & mask[w];
		*word &= ~hit;
		taken += (uint64_t)__builtin_popcountll(hit);
	}
	t->pages_set -= taken;
	return taken;
}

bool ims_truth_any(const struct ims_truth *t, uint64_t first, uint64_t n)
{
	return walk_bits((struct ims_truth *)t, first, n, OP_ANY) != 0;
}

/* ---- range set ---------------------------------------------------------- */

void ims_range_set_init(struct ims_range_set *s)
{
	memset(s, 0, sizeof(*s));
}

void ims_range_set_fini(struct ims_range_set *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* Index of the first range whose last >= addr. */
static size_t lower_bound(const struct ims_range_set *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->r[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ims_range *ims_range_set_overlap(const struct ims_range_set *s,
					      uint64_t start, uint64_t last)
{
	size_t i = lower_bound(s, start);

	return i < s->n && s->r[i].start <= last ? &s->r[i] : NULL;
}

bool ims_range_set_first_gap(const struct ims_range_set *s, uint64_t start,
			     uint64_t last, uint64_t *out)
{
	size_t i = lower_bound(s, start);

	/* ranges are merged, so one range must cover all of [start, last] */
	if (i < s->n && s->r[i].start <= start && s->r[i].last >= last)
		return false;
	if (i < s->n && s->r[i].start <= start)
		*out = s->r[i].last + 1;
	else
		*out = start;
	return true;
}

static int reserve(struct ims_range_set *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap * 2 : 16;
	while (cap < n)
		cap *= 2;
	struct ims_range *r = realloc(s->r, cap * sizeof(*r));
	if (!r)
		return -1;
	s->r = r;
	s->cap = cap;
	return 0;
}

int ims_range_set_add(struct ims_range_set *s, uint64_t start, uint64_t last)
{
	/* merge with neighbours that touch or overlap */
	size_t i = lower_bound(s, start ? start - 1 : 0);
	size_t j = i;

	while (j < s->n && (last == UINT64_MAX || s->r[j].start <= last + 1)) {
		if (s->r[j].start < start)
			start = s->r[j].start;
		if (s->r[j].last > last)
			last = s->r[j].last;
		j++;
	}
	if (j == i) {
		if (reserve(s, s->n + 1))
			return -1;
		memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
		s->n++;
	} else if (j > i + 1) {
		memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(*s->r));
		s->n -= j - i - 1;
	}
	s->r[i].start = start;
	s->r[i].last = last;
	return 0;
}

int ims_range_set_remove(struct ims_range_set *s, uint64_t start, uint64_t last)
{
	size_t i = lower_bound(s, start);

	while (i < s->n && s->r[i].start <= last) {
		struct ims_range cur = s->r[i];

		if (cur.start < start && cur.last > last) {
			/* split in two */
			if (reserve(s, s->n + 1))
				return -1;
			memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
			s->n++;
			s->r[i].last = start - 1;
			s->r[i + 1].start = last + 1;
			return 0;
		}
		if (cur.start < start) {
			s->r[i].last = start - 1;
			i++;
		} else if (cur.last > last) {
			s->r[i].start = last + 1;
			return 0;
		} else {
			memmove(&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof(*s->r));
			s->n--;
		}
	}
	return 0;
}

uint64_t ims_range_set_bytes(const struct ims_range_set *s)
{
	uint64_t b = 0;

	for (size_t i = 0; i < s->n; i++)
		b += s->r[i].last - s->r[i].start + 1;
	return b;
}
