/* Non-coherent DMA on the host side: where the CPU caches are flushed
 * (the coherency strategy, sim->flush_policy), what DMA and host accesses
 * do to the CPU cache model, and the stale-data exposure detector.
 * docs/noncoherent.md explains the strategies. */
#ifndef IMS_COHERENCY_H
#define IMS_COHERENCY_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/host/ioas.h"
#include "sim/sim.h"

/* Decide at domain creation whether its DMA snoops (dom->snoops), from its
 * declaration and the strategy (force-coherent makes every domain enforce
 * coherency), and check the model can enforce it. */
int ims_coh_domain_init(struct ims_sim *sim, struct ims_domain *dom, bool noncoherent,
			struct ims_error *err);

/* The prot bits a fill of dom adds (IMS_PROT_CACHE for a snooping domain). */
unsigned ims_coh_prot(const struct ims_domain *dom);

/* Pages [first, last] of p were just pinned: memory pinned for the first
 * time was zeroed by the host, so its lines are dirty in the CPU cache. */
void ims_coh_pinned(struct ims_sim *sim, struct ims_pages *p, uint64_t first, uint64_t last);
/* Pages [first, last] of p are about to be unpinned: flush if the strategy
 * says so, then count the lines the host will read stale once it reuses
 * the pages. */
void ims_coh_unpinning(struct ims_sim *sim, struct ims_pages *p, uint64_t first, uint64_t last);

/* Why an area is written into a domain. */
enum ims_fill_cause {
	IMS_FILL_MAP,        /* a new area, into the IOAS's first domain */
	IMS_FILL_MAP_MORE,   /* the same new area, into a further domain */
	IMS_FILL_ATTACH,     /* an existing area, into a newly attached domain */
};

/* Area a is about to be written into domain dom, or was just unmapped from
 * it (unmap or unfill). */
void ims_coh_before_fill(struct ims_sim *sim, struct ims_ioas *ioas, struct ims_area *a,
			 struct ims_domain *dom, enum ims_fill_cause cause);
void ims_coh_after_unfill(struct ims_sim *sim, struct ims_area *a, uint64_t iova,
			  uint64_t last, struct ims_domain *dom);

/* ims_coh_dma of a DMA that is not snooped or goes through a non-coherent
 * domain (forced to snoop): line counts and stale-data exposure. */
void ims_coh_dma_other(struct ims_sim *sim, const struct ims_domain *dom, uint64_t iova,
		       uint64_t pa, uint64_t len, bool write, bool snooped);

/* A DMA chunk [pa, pa+len) through dom, snooped or not (the translation's
 * IMS_TLB_SNOOP). Inline for the DMA path's common case, a snooped DMA
 * through a coherent domain: it only changes the CPU cache model's line
 * states, and nothing while no line is cached. */
static inline void ims_coh_dma(struct ims_sim *sim, const struct ims_domain *dom, uint64_t iova,
			       uint64_t pa, uint64_t len, bool write, bool snooped)
{
	if (snooped && !dom->noncoherent) {
		if (sim->cache.lines_cached)
			ims_cpucache_dma_snooped(&sim->cache, pa, len, write);
		return;
	}
	ims_coh_dma_other(sim, dom, iova, pa, len, write, snooped);
}

/* Host CPU access to [pa, pa+len) (trace cpu-read / cpu-write). */
int ims_coh_cpu_access(struct ims_sim *sim, uint64_t pa, uint64_t len, bool write,
		       struct ims_error *err);

#endif
