/* Latency of page-table reads issued by the IOMMU: a small set-associative
 * LRU model of the last-level cache holding page-table lines. A hit costs
 * mem_llc_hit_ns, a miss mem_dram_ns. Deterministic, unlike a hit
 * probability, so two strategies over one trace see the same cache.
 *
 * Each set keeps its lines in recency order, most recent first: a hit moves
 * its line to the front, a miss drops the last and puts the new line first.
 * That is LRU exactly (hits and misses are those of timestamps and a
 * least-recent victim; tests/sim/test_memlat.c holds the two together), at a
 * fraction of the cost: no stamps, and no victim search. */
#ifndef IMS_MEMLAT_H
#define IMS_MEMLAT_H

#include <stdbool.h>
#include <stdint.h>

struct ims_memlat {
	uint64_t *line;      /* per set, ways line addresses + 1 (0 = empty), most recent first */
	uint32_t sets_mask;
	uint32_t ways;
	uint64_t hit_cycles, miss_cycles;
};

int ims_memlat_init(struct ims_memlat *m, uint64_t lines, uint64_t ways,
		    uint64_t hit_cycles, uint64_t miss_cycles);
void ims_memlat_fini(struct ims_memlat *m);

/* Account one read of pa; returns its latency and sets *hit. */
uint64_t ims_memlat_access(struct ims_memlat *m, uint64_t pa, bool *hit);

/* The CPU wrote this line (page-table update): it now sits in the LLC. */
void ims_memlat_touch(struct ims_memlat *m, uint64_t pa);

#endif
