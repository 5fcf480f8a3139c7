/* The LLC model keeps each set's recency order in a word of way numbers (up
 * to 16 ways) or in the order of its lines (wider sets); these tests hold
 * both to the textbook LRU (timestamps, least recent evicted, empty ways
 * first). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "sim/memlat.h"

#define HIT 40
#define MISS 100

/* Reference: stamp per way, victim = empty way or the smallest stamp. */
struct ref_lru {
	uint64_t *line, *stamp, clock;
	uint32_t sets, ways;
};

static bool ref_access(struct ref_lru *r, uint64_t pa)
{
	uint64_t key = (pa >> 6) + 1, set = ((pa >> 6) ^ (pa >> 18)) & (r->sets - 1);
	uint64_t *line = r->line + set * r->ways, *stamp = r->stamp + set * r->ways;
	uint32_t victim = 0;

	r->clock++;
	for (uint32_t w = 0; w < r->ways; w++)
		if (line[w] == key) {
			stamp[w] = r->clock;
			return true;
		}
	for (uint32_t w = 1; w < r->ways; w++)
		if (stamp[w] < stamp[victim])
			victim = w;
	line[victim] = key;
	stamp[victim] = r->clock;
	return false;
}

static void compare(uint32_t sets, uint32_t ways, uint64_t span, int n, unsigned seed)
{
	struct ims_memlat m;
	struct ref_lru r = { calloc(sets * ways, 8), calloc(sets * ways, 8), 0, sets, ways };
	uint64_t x = seed * 0x9e3779b97f4a7c15u + 1;
	unsigned hits = 0;

	cr_assert_eq(ims_memlat_init(&m, (uint64_t)sets * ways, ways, HIT, MISS), 0);
	for (int i = 0; i < n; i++) {
		bool hit, want;
		uint64_t pa, lat;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		pa = (x % span) & ~UINT64_C(7);
		want = ref_access(&r, pa);
		if (x >> 60 == 0) {
			ims_memlat_touch(&m, pa);   /* a host write: installs like a read */
			hit = want;
		} else {
			lat = ims_memlat_access(&m, pa, &hit);
			cr_assert_eq(lat, hit ? HIT : MISS);
		}
		cr_assert_eq(hit, want, "access %d (pa 0x%llx, %ux%u): model %d, LRU %d", i,
			     (unsigned long long)pa, sets, ways, hit, want);
		hits += hit;
	}
	cr_assert(hits > (unsigned)n / 20 && hits < (unsigned)n - n / 20,
		  "%u hits of %d: the span does not exercise both outcomes", hits, n);
	ims_memlat_fini(&m);
	free(r.line);
	free(r.stamp);
}

Test(memlat, same_hits_as_timestamp_lru)
{
	compare(512, 16, 1 << 20, 200000, 1);   /* the defaults' shape */
	compare(8, 4, 4 << 10, 50000, 2);
	compare(4, 1, 512, 20000, 3);           /* direct-mapped */
	compare(1, 64, 8 << 10, 20000, 4);       /* fully associative, widest */
	compare(1, 16, 2 << 10, 20000, 5);       /* the widest recency word */
	compare(16, 17, 32 << 10, 50000, 6);     /* the narrowest set that scans */
	compare(8, 12, 16 << 10, 50000, 7);      /* a second fingerprint word, part used */
	compare(32, 8, 32 << 10, 50000, 8);      /* one fingerprint word, all used */
	compare(16, 2, 4 << 10, 50000, 9);
	compare(8, 5, 4 << 10, 50000, 10);
}

Test(memlat, no_lines_means_every_read_misses)
{
	struct ims_memlat m;
	bool hit = true;

	cr_assert_eq(ims_memlat_init(&m, 0, 16, HIT, MISS), 0);
	cr_assert_eq(ims_memlat_access(&m, 0x1000, &hit), MISS);
	cr_assert(!hit);
	ims_memlat_fini(&m);
}
