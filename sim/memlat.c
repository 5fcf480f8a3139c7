#include "sim/memlat.h"

#include <stdlib.h>
#include <string.h>

#define LINE_LG2 6

int ims_memlat_init(struct ims_memlat *m, uint64_t lines, uint64_t ways,
		    uint64_t hit_cycles, uint64_t miss_cycles)
{
	memset(m, 0, sizeof(*m));
	m->hit_cycles = hit_cycles;
	m->miss_cycles = miss_cycles;
	if (!lines)
		return 0;
	m->ways = (uint32_t)ways;
	m->sets_mask = (uint32_t)(lines / ways - 1);
	m->line = calloc(lines, sizeof(*m->line));
	return m->line ? 0 : -1;
}

void ims_memlat_fini(struct ims_memlat *m)
{
	free(m->line);
	memset(m, 0, sizeof(*m));
}

/* Returns true on hit; either way the line ends most recent in its set. */
static bool lookup_install(struct ims_memlat *m, uint64_t pa)
{
	uint64_t key = (pa >> LINE_LG2) + 1;
	/* fold high bits in so page-table pages at 4 KiB strides spread over sets */
	uint64_t set = ((pa >> LINE_LG2) ^ (pa >> 18)) & m->sets_mask;
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
