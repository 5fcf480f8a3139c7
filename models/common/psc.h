/* Paging-structure caches: per table level, a set-associative LRU cache of
 * non-leaf entries, tagged by domain id. A hit at level L hands the walker
 * the physical address of the level L-1 table, skipping the reads above it.
 *
 * Level numbering follows the rest of iommusim: level 0 is the leaf table, so
 * a "level-1 entry" is one that points to a leaf table (VT-d: a PDE; a cached
 * PDE covers 2 MiB of IOVA). Models give each level its coverage at init.
 */
#ifndef IMS_PSC_H
#define IMS_PSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMS_PSC_LEVELS 5   /* entries of levels 1..5 may be cached */

struct ims_psc_entry {
	uint64_t tag;        /* iova >> cover_lg2 */
	uint64_t table_pa;   /* next-level table the entry points to */
	uint64_t stamp;
	uint32_t did;        /* domain tag (struct ims_domain.tlb_tag) */
	uint8_t valid;
	uint8_t perm;        /* permissions accumulated down to this entry (IMS_TLB_R/W) */
	uint8_t next_level;  /* level of the table it points to: level-1, or lower
			      * when the format skips levels (AMD Next Level) */
	uint8_t pad;
};

struct ims_psc_level {
	struct ims_psc_entry *e;  /* NULL when this level has no cache */
	uint32_t nsets_mask, ways;
	uint8_t cover_lg2;        /* IOVA bytes one entry maps, log2 */
};

struct ims_psc {
	struct ims_psc_level lvl[IMS_PSC_LEVELS + 1];   /* index = level; [0] unused */
	uint64_t clock;
};

/* entries[level] = capacity of the level cache (0 = none), cover_lg2[level]
 * = bytes one entry of that level maps. Index 0 is ignored. */
int ims_psc_init(struct ims_psc *c, const uint64_t *entries, uint64_t ways,
		 const uint8_t *cover_lg2);
void ims_psc_fini(struct ims_psc *c);

/* The set of level l where the entry of domain did covering tag (an IOVA
 * >> cover_lg2) lives. */
static inline struct ims_psc_entry *ims_psc_set(const struct ims_psc_level *l, uint32_t did,
						uint64_t tag)
{
	return l->e + (uint64_t)((tag ^ ((uint64_t)did * 0x9e3779b1u)) & l->nsets_mask) * l->ways;
}

static inline struct ims_psc_entry *ims_psc_lookup(struct ims_psc *c, unsigned level,
						   uint32_t did, uint64_t iova)
{
	struct ims_psc_level *l = &c->lvl[level];
	uint64_t tag;
	struct ims_psc_entry *set;

	if (!l->e)
		return NULL;
	tag = iova >> l->cover_lg2;
	set = ims_psc_set(l, did, tag);
	for (uint32_t w = 0; w < l->ways; w++) {
		if (set[w].valid && set[w].tag == tag && set[w].did == did) {
			set[w].stamp = ++c->clock;
			return &set[w];
		}
	}
	return NULL;
}

/* ims_psc_lookup without touching the LRU state: for a look-ahead that
 * must change nothing (model.h, prefetch_walk). */
static inline const struct ims_psc_entry *ims_psc_peek(const struct ims_psc *c, unsigned level,
						       uint32_t did, uint64_t iova)
{
	const struct ims_psc_level *l = &c->lvl[level];
	uint64_t tag;
	const struct ims_psc_entry *set;

	if (!l->e)
		return NULL;
	tag = iova >> l->cover_lg2;
	set = ims_psc_set(l, did, tag);
	for (uint32_t w = 0; w < l->ways; w++)
		if (set[w].valid && set[w].tag == tag && set[w].did == did)
			return &set[w];
	return NULL;
}

/* A look-ahead's start (model.h, prefetch_walk): the deepest entry cached
 * for iova among levels 1..top, peeked as a walk looks its caches up.
 * Gives the table it points to and that table's level; false if none. */
static inline bool ims_psc_peek_deepest(const struct ims_psc *c, unsigned top, uint32_t did,
					uint64_t iova, uint64_t *table_pa, unsigned *level)
{
	for (unsigned l = 1; l <= top; l++) {
		const struct ims_psc_entry *e = ims_psc_peek(c, l, did, iova);

		if (e) {
			*table_pa = e->table_pa;
			*level = e->next_level;
			return true;
		}
	}
	return false;
}

void ims_psc_fill(struct ims_psc *c, unsigned level, uint32_t did, uint64_t iova,
		  uint64_t table_pa, unsigned next_level, unsigned perm);

uint64_t ims_psc_inv_all(struct ims_psc *c);
uint64_t ims_psc_inv_domain(struct ims_psc *c, uint32_t did);
uint64_t ims_psc_inv_range(struct ims_psc *c, uint32_t did, uint64_t start, uint64_t last);

#endif
