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
	m->stamp = calloc(lines, sizeof(*m->stamp));
	return m->line && m->stamp ? 0 : -1;
}

void ims_memlat_fini(struct ims_memlat *m)
{
	free(m->line);
	free(m->stamp);
	memset(m, 0, sizeof(*m));
}

/* Returns true on hit; on miss installs the line in the LRU way. */
static bool lookup_install(struct ims_memlat *m, uint64_t pa)
{
	uint64_t key = (pa >> LINE_LG2) + 1;
	/* fold high bits in so page-table pages at 4 KiB strides spread over sets */
	uint64_t set = ((pa >> LINE_LG2) ^ (pa >> 18)) & m->sets_mask;
	uint64_t *line = m->line + set * m->ways;
	uint64_t *stamp = m->stamp + set * m->ways;
	uint32_t victim = 0;

	m->clock++;
	for (uint32_t w = 0; w < m->ways; w++) {
		if (line[w] == key) {
			stamp[w] = m->clock;
			return true;
		}
		if (stamp[w] < stamp[victim])
			victim = w;
	}
	line[victim] = key;
	stamp[victim] = m->clock;
	return false;
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
