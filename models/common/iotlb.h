/* The IOTLB every model uses: set-associative, LRU, tagged by domain id,
 * caching leaf translations of any page size with their permissions and
 * their dirty state. The tag is a 32-bit domain tag each model chooses
 * (VT-d DID, AMD DomainID, SMMU VMID:ASID).
 *
 * Its lookup is inline so a hit never crosses into model code: models fill
 * it after a walk and drop entries when they process invalidation commands.
 * Entries of several page sizes coexist; a lookup probes only the sizes that
 * currently have live entries.
 */
#ifndef IMS_IOTLB_H
#define IMS_IOTLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMS_TLB_R 0x1u
#define IMS_TLB_W 0x2u
/* A write may complete from this entry without touching memory: the leaf was
 * dirty when cached, or A/D tracking was off for the walk that filled it.
 * An entry without it makes a write re-walk to set D in memory. This cached
 * bit is why clearing D in memory requires an IOTLB flush. */
#define IMS_TLB_DIRTY 0x4u
/* The translation forces snooping: DMA through it is coherent with CPU
 * caches whatever No-Snoop attribute the request carries. Set by the walk
 * from the leaf (IMS_PROT_CACHE mappings); a hit carries it like R/W. */
#define IMS_TLB_SNOOP 0x8u
/* Not hardware state: the host's bookkeeping of a lazy unmap. The page was
 * unmapped and its invalidation waits in a flush queue
 * (sim/host/unmap_flush.c), so a DMA through this entry reaches memory the
 * host no longer maps (a stale DMA). The DMA hit path sends such entries to
 * its slow path, where they are counted; a walk never sets it. */
#define IMS_TLB_UNMAPPED 0x10u

/* Page sizes one IOTLB can hold: AMD next-level-7 leaves come in any power
 * of two, SMMU contiguous runs add 64 KiB and 32 MiB to the block sizes. */
#define IMS_TLB_MAX_SIZES 32

struct ims_iotlb_entry {
	uint64_t vpn;        /* iova >> page_lg2; valid iff page_lg2 != 0 */
	uint64_t pa;         /* output address of the page */
	uint64_t stamp;      /* LRU */
	uint32_t did;        /* domain tag (struct ims_domain.tlb_tag) */
	uint8_t page_lg2;
	uint8_t flags;       /* IMS_TLB_* */
	uint16_t pad;
};

/* What an invalidation dropped from a slot, kept until the slot is filled
 * again: a later miss on it is a refill the flush caused (its hidden cost). */
struct ims_iotlb_ghost {
	uint64_t vpn;
	uint32_t did;
	uint8_t page_lg2;    /* 0: no ghost */
};

struct ims_iotlb {
	struct ims_iotlb_entry *e;
	struct ims_iotlb_ghost *ghost;   /* one per entry slot */
	uint64_t nghosts;                /* slots holding a ghost: none, no search */
	uint32_t nsets_mask, ways;
	/* valid entries, of nentries: once equal (a warm IOTLB), no set has an
	 * empty way and a fill need not look for one */
	uint64_t nvalid, nentries;
	uint64_t clock;
	/* live entries per page size, to skip sizes with nothing cached */
	uint8_t size_lg2[IMS_TLB_MAX_SIZES];
	uint32_t live[IMS_TLB_MAX_SIZES];
	unsigned nsizes;
	/* the sizes with live entries, in size_lg2 order: what a lookup probes
	 * (kept as sizes come and go, so a hit never steps over empty ones) */
	uint8_t live_lg2[IMS_TLB_MAX_SIZES];
	unsigned nlive;
	/* Way hints: the way a page was last found or filled in, by a finer
	 * hash than the set index, so a lookup usually compares one way instead
	 * of scanning the set (a scan that exits at a random way mispredicts).
	 * Only a guess, always checked: the entry found is the one a scan
	 * finds, since a page is in at most one way of its set. */
	uint8_t *way_hint;
	uint64_t hint_mask;
};

int ims_iotlb_init(struct ims_iotlb *t, uint64_t entries, uint64_t ways,
		   const uint8_t *page_lg2s, unsigned nsizes);
void ims_iotlb_fini(struct ims_iotlb *t);

static inline uint64_t ims_iotlb_hash(uint32_t did, uint64_t vpn)
{
	return vpn ^ ((uint64_t)did * 0x9e3779b1u);
}

static inline uint32_t ims_iotlb_set(const struct ims_iotlb *t, uint32_t did, uint64_t vpn)
{
	return (uint32_t)(ims_iotlb_hash(did, vpn) & t->nsets_mask);
}

/* Entry translating iova in domain did, or NULL. Updates LRU on hit. */
static inline struct ims_iotlb_entry *ims_iotlb_lookup(struct ims_iotlb *t,
						       uint32_t did, uint64_t iova)
{
	for (unsigned s = 0; s < t->nlive; s++) {
		unsigned lg2 = t->live_lg2[s];
		uint64_t vpn = iova >> lg2, h = ims_iotlb_hash(did, vpn);
		struct ims_iotlb_entry *set = t->e + (h & t->nsets_mask) * t->ways;
		uint8_t *hint = &t->way_hint[h & t->hint_mask];
		struct ims_iotlb_entry *e = &set[*hint];

		if (e->vpn != vpn || e->did != did || e->page_lg2 != lg2) {
			uint32_t w = 0;

			while (w < t->ways &&
			       (set[w].vpn != vpn || set[w].did != did || set[w].page_lg2 != lg2))
				w++;
			if (w == t->ways)
				continue;
			*hint = (uint8_t)w;
			e = &set[w];
		}
		e->stamp = ++t->clock;
		return e;
	}
	return NULL;
}

/* Insert (replacing any entry for the same page); returns true if a live
 * entry of another page was evicted. */
bool ims_iotlb_fill(struct ims_iotlb *t, uint32_t did, uint64_t iova,
		    unsigned page_lg2, uint64_t pa, unsigned flags);
/* ims_iotlb_fill of a page the caller knows is not cached (a lookup of it
 * missed and nothing filled since): once every way is valid, the fill needs
 * no search for it, only the least recently used way. */
bool ims_iotlb_fill_absent(struct ims_iotlb *t, uint32_t did, uint64_t iova,
			   unsigned page_lg2, uint64_t pa, unsigned flags);

/* True, once, if an invalidation dropped a translation of iova in domain
 * did and nothing has taken its slot since. Called on misses only. */
bool ims_iotlb_ghost_search(struct ims_iotlb *t, uint32_t did, uint64_t iova);

/* Inline so that the common case, no invalidation has left a ghost, costs a
 * load and a branch on the miss path instead of a call. */
static inline bool ims_iotlb_ghost_take(struct ims_iotlb *t, uint32_t did, uint64_t iova)
{
	return t->nghosts && ims_iotlb_ghost_search(t, did, iova);
}

/* Drop one entry (used when a write re-walk refreshes it). */
void ims_iotlb_drop(struct ims_iotlb *t, struct ims_iotlb_entry *e);

/* Invalidations; each returns the number of entries dropped. */
uint64_t ims_iotlb_inv_all(struct ims_iotlb *t);
uint64_t ims_iotlb_inv_domain(struct ims_iotlb *t, uint32_t did);
/* Entries of domain did overlapping [start, last]. */
uint64_t ims_iotlb_inv_range(struct ims_iotlb *t, uint32_t did, uint64_t start,
			     uint64_t last);
/* OR flags into every entry of domain did overlapping [start, last] (0:
 * change nothing); returns how many there are. Not an invalidation. */
uint64_t ims_iotlb_mark_range(struct ims_iotlb *t, uint32_t did, uint64_t start,
			      uint64_t last, unsigned flags);
/* Entries match() accepts, for scopes the above cannot say (SMMU level
 * hints, VMID-wide). */
uint64_t ims_iotlb_inv_if(struct ims_iotlb *t,
			  bool (*match)(const struct ims_iotlb_entry *e, const void *ctx),
			  const void *ctx);

#endif
