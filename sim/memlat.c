#include "sim/memlat.h"

#include <stdlib.h>
#include <string.h>

#define LINE_LG2 6
#define BYTES_01 UINT64_C(0x0101010101010101)
#define BYTES_80 UINT64_C(0x8080808080808080)
#define NIBBLES_1 UINT64_C(0x1111111111111111)
#define NIBBLES_8 UINT64_C(0x8888888888888888)

int ims_memlat_init(struct ims_memlat *m, uint64_t lines, uint64_t ways,
		    uint64_t hit_cycles, uint64_t miss_cycles)
{
	uint64_t sets;

	memset(m, 0, sizeof(*m));
	m->hit_cycles = hit_cycles;
	m->miss_cycles = miss_cycles;
	if (!lines)
		return 0;
	m->ways = (uint32_t)ways;
	sets = lines / ways;
	m->sets_mask = (uint32_t)(sets - 1);
	m->line = calloc(lines, sizeof(*m->line));
	if (!m->line)
		return -1;
	if (ways > IMS_MEMLAT_ORDER_WAYS)
		return 0;
	m->set = calloc(sets, sizeof(*m->set));
	if (!m->set)
		return -1;
	for (uint64_t w = 0; w < ways; w++)
		m->fp_valid[w >> 3] |= UINT64_C(0x80) << (8 * (w & 7));
	/* any order will do while every way is empty: all are equally old */
	for (uint64_t s = 0; s < sets; s++)
		m->set[s].order = UINT64_C(0xfedcba9876543210);
	return 0;
}

void ims_memlat_fini(struct ims_memlat *m)
{
	free(m->line);
	free(m->set);
	memset(m, 0, sizeof(*m));
}

/* The high bits of the key, where the set index (its low bits) says nothing. */
static unsigned fingerprint(uint64_t key)
{
	return (unsigned)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 56);
}

/* Ways among the 8 whose fingerprint bytes are in word that may hold fp: the
 * bit 8i+7 of the result for way i. Every way whose byte equals fp is
 * included; a borrow may add ways above one that matched, which the key
 * compare rejects. */
static uint64_t fp_candidates(uint64_t word, unsigned fp)
{
	uint64_t x = word ^ (BYTES_01 * fp);

	return (x - BYTES_01) & ~x & BYTES_80;
}

/* Way of row holding key among the candidate bits of one fingerprint word
 * (ways base..base+7), or -1. */
static int match_in(const uint64_t *row, uint64_t cand, unsigned base, uint64_t key)
{
	while (cand) {
		unsigned w = base + ((unsigned)__builtin_ctzll(cand) >> 3);

		if (row[w] == key)
			return (int)w;
		cand &= cand - 1;
	}
	return -1;
}

/* Move the nibble at position pos of order to the front. */
static uint64_t to_front(uint64_t order, unsigned pos)
{
	uint64_t below = (UINT64_C(1) << (4 * pos)) - 1;
	uint64_t nib = (order >> (4 * pos)) & 0xf;

	return (order & ~(below | (UINT64_C(0xf) << (4 * pos)))) | ((order & below) << 4) | nib;
}

/* Sets of up to IMS_MEMLAT_ORDER_WAYS ways (see memlat.h). */
static inline bool lookup_install_ordered(struct ims_memlat *m, uint64_t set, uint64_t key)
{
	struct ims_memlat_set *s = &m->set[set];
	uint64_t *row = m->line + set * m->ways;
	unsigned fp = fingerprint(key), pos;
	/* both words at once: a miss, the common case, then takes one branch */
	uint64_t cand0 = fp_candidates(s->fp[0], fp) & m->fp_valid[0];
	uint64_t cand1 = fp_candidates(s->fp[1], fp) & m->fp_valid[1];
	int w = -1;

	if (cand0 | cand1) {
		w = match_in(row, cand0, 0, key);
		if (w < 0)
			w = match_in(row, cand1, 8, key);
	}
	if (w >= 0) {
		uint64_t x = s->order ^ (NIBBLES_1 * (unsigned)w);

		/* the lowest zero nibble is exact: the way's position */
		pos = (unsigned)__builtin_ctzll((x - NIBBLES_1) & ~x & NIBBLES_8) >> 2;
		s->order = to_front(s->order, pos);
		return true;
	}
	/* the least recent way, empty while the set is not full (empty ways
	 * are never moved forward, so they stay behind every line) */
	pos = m->ways - 1;
	w = (int)((s->order >> (4 * pos)) & 0xf);
	/* with every nibble in use, moving the last to the front is a rotate */
	s->order = m->ways == IMS_MEMLAT_ORDER_WAYS ? (s->order << 4) | (s->order >> 60) :
						    to_front(s->order, pos);
	row[w] = key;
	s->fp[w >> 3] = (s->fp[w >> 3] & ~(UINT64_C(0xff) << (8 * (w & 7)))) |
			((uint64_t)fp << (8 * (w & 7)));
	return false;
}

/* Wider sets: the lines themselves in recency order, most recent first. */
static bool lookup_install_scan(struct ims_memlat *m, uint64_t set, uint64_t key)
{
	uint64_t *row = m->line + set * m->ways;
	uint32_t w = 0;
	bool hit;

	/* Stop at the line, at the first empty slot (the set fills from the
	 * front, so the rest are empty too) or at the least recent line, which
	 * a miss in a full set evicts. Whatever was found moves to the front. */
	while (w < m->ways - 1 && row[w] && row[w] != key)
		w++;
	hit = row[w] == key;
	memmove(row + 1, row, w * sizeof(*row));
	row[0] = key;
	return hit;
}

/* Returns true on hit; either way the line ends most recent in its set.
 * Inline: a walk-heavy run makes two of these per DMA. */
static inline bool lookup_install(struct ims_memlat *m, uint64_t pa)
{
	uint64_t key = (pa >> LINE_LG2) + 1;
	/* fold high bits in so page-table pages at 4 KiB strides spread over sets */
	uint64_t set = ((pa >> LINE_LG2) ^ (pa >> 18)) & m->sets_mask;

	return m->set ? lookup_install_ordered(m, set, key) : lookup_install_scan(m, set, key);
}

uint64_t ims_memlat_access(struct ims_memlat *m, uint64_t pa, bool *hit)
{
	*hit = m->ways && lookup_install(m, pa);
	return *hit ? m->hit_cycles : m->miss_cycles;
}

void ims_memlat_touch(struct ims_memlat *m, uint64_t pa)
{
	if (m->ways)
		lookup_install(m, pa);
}
