/* Latency of page-table reads issued by the IOMMU: a small set-associative
 * LRU model of the last-level cache holding page-table lines. A hit costs
 * mem_llc_hit_ns, a miss mem_dram_ns. Deterministic, unlike a hit
 * probability, so two strategies over one trace see the same cache.
 *
 * Sets of up to 16 ways (the defaults, and every LLC slice in practice) keep
 * their lines in fixed ways and the recency order apart, as 16 4-bit way
 * numbers in one word, most recent first; an 8-bit fingerprint per way
 * finds a line with two word compares instead of a scan of 16 keys. A hit
 * moves its way's nibble to the front, a miss reuses the way of the last
 * nibble: no key moves, and a miss (most reads of a walk-heavy run) compares
 * no key at all unless a fingerprint collides. Wider sets keep the lines
 * themselves in recency order and scan them. Either way it is LRU exactly:
 * tests/sim/test_memlat.c holds both to timestamps and a least-recent victim.
 */
#ifndef IMS_MEMLAT_H
#define IMS_MEMLAT_H

#include <stdbool.h>
#include <stdint.h>

#define IMS_MEMLAT_ORDER_WAYS 16   /* the widest set the recency word can order */

/* Per set of up to IMS_MEMLAT_ORDER_WAYS ways: who is where. */
struct ims_memlat_set {
	uint64_t order;   /* nibble i = way of the i-th most recent line */
	uint64_t fp[2];   /* byte w of fp[0] then fp[1] = fingerprint of way w */
};

struct ims_memlat {
	uint64_t *line;      /* per set, ways line addresses + 1 (0 = empty) */
	struct ims_memlat_set *set;   /* NULL when ways > IMS_MEMLAT_ORDER_WAYS */
	uint64_t fp_valid[2];         /* bytes of fp[] that belong to a way, top bit set */
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
