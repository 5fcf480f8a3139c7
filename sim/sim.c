#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/check.h"
#include "sim/host/ioas.h"
#include "sim/host/unmap_flush.h"

int ims_sim_init(struct ims_sim *sim, const struct ims_model_ops *model,
		 const struct ims_params *params, struct ims_error *err)
{
	int rc;

	memset(sim, 0, sizeof(*sim));
	sim->race_next = UINT64_MAX;
	sim->fq_deadline = UINT64_MAX;
	sim->check.on = ims_check_default();
	sim->params = *params;
	sim->model = model;
	if ((rc = ims_params_validate(&sim->params, err)))
		return rc;
	ims_costs_from_params(&sim->costs, &sim->params);
	ims_mem_init(&sim->mem);
	if (ims_cpucache_init(&sim->cache))
		return ims_error_set(err, IMS_ENOMEM, "out of memory (CPU cache model)");
	ims_range_set_init(&sim->zeroed);
	sim->data_pa_next = IMS_PA_DATA_BASE;
	ims_walk_slots_init(&sim->walk_slots, (unsigned)params->iommu_walk_slots);
	/* cpu_mhz cycles per microsecond over link_mbps bytes per microsecond */
	sim->dma_chunk_mask = params->dma_xlate_bytes - 1;
	sim->iotlb_hit_lat_bucket = ims_lat_bucket(sim->costs.iotlb_hit_ns);
	sim->dma_cfg = (struct ims_dma_engine_cfg){
		.tags = (unsigned)params->dma_tags,
		.request_bytes = params->dma_request_bytes,
		.rtt = sim->costs.dma_rtt_ns,
		.link_q16 = (params->cpu_mhz << 16) / params->dma_link_mbps,
		.overhead_bytes = params->dma_tlp_overhead_bytes,
	};
	if (ims_memlat_init(&sim->memlat, params->mem_llc_lines, params->mem_llc_ways,
			    sim->costs.mem_llc_hit_ns, sim->costs.mem_dram_ns))
		return ims_error_set(err, IMS_ENOMEM, "out of memory (LLC model)");
	if ((rc = model->iommu_init(sim, err))) {
		ims_sim_fini(sim);
		return rc;
	}
	return 0;
}

void ims_sim_fini(struct ims_sim *sim)
{
	if (!sim->model)
		return;
	for (unsigned i = 0; i < sim->ndomains; i++) {
		struct ims_domain *d = sim->domains[i];

		ims_unmap_flush_fini(sim, d);
		sim->model->domain_fini(sim, d);
		IMS_ASSERT(d->pt_pages_live == 0, "a destroyed domain left page-table pages allocated");
		ims_ioas_free(sim, d->own_ioas);
		ims_range_set_fini(&d->mapped);
		ims_truth_fini(&d->truth);
		free(d);
	}
	free(sim->domains);
	for (unsigned i = 0; i < sim->nioas; i++)
		ims_ioas_free(sim, sim->ioas[i]);
	free(sim->ioas);
	for (unsigned i = 0; i < sim->ndevices; i++) {
		ims_dma_engine_fini(&sim->devices[i]->dma);
		ims_iotlb_fini(&sim->devices[i]->atc);
		free(sim->devices[i]);
	}
	free(sim->devices);
	sim->model->iommu_fini(sim);
	ims_iotlb_fini(&sim->iotlb);
	ims_psc_fini(&sim->psc);
	ims_memlat_fini(&sim->memlat);
	ims_cpucache_fini(&sim->cache);
	ims_range_set_fini(&sim->zeroed);
	ims_mem_fini(&sim->mem);
	sim->model = NULL;
}

void ims_race_run(struct ims_sim *sim, uint64_t t)
{
	uint64_t now = sim->now;

	if (!sim->race_hook || sim->racing)
		return;
	sim->racing = true;
	sim->race_hook(sim, t);
	sim->racing = false;
	sim->now = now;   /* the host operation resumes at its own trace time */
}

uint64_t ims_host_alloc_table(struct ims_sim *sim, struct ims_domain *dom)
{
	uint64_t pa = ims_mem_alloc_table(&sim->mem);

	if (!pa)
		return 0;
	dom->pt_pages_live++;
	IMS_STAT_INC(&sim->stats, pt_pages_alloc);
	if (sim->mem.tables_live > IMS_STAT_GET(&sim->stats, pt_pages_live_max))
		IMS_STAT_GET(&sim->stats, pt_pages_live_max) = sim->mem.tables_live;
	return pa;
}

void ims_host_free_table(struct ims_sim *sim, struct ims_domain *dom, uint64_t pa)
{
	IMS_ASSERT(dom->pt_pages_live > 0, "page-table page freed twice, or by another domain");
	/* a lazy unmap: the paging-structure caches may still point at it,
	 * so it stays allocated (and live) until the flush */
	if (ims_unmap_flush_defer_table(dom, pa))
		return;
	dom->pt_pages_live--;
	ims_mem_free_table(&sim->mem, pa);
	IMS_STAT_INC(&sim->stats, pt_pages_free);
	ims_host_charge(sim, IMS_STAT_cyc_sw_unmap, sim->costs.sw_pt_free_cycles);
}

void ims_dirty_leaf(struct ims_sim *sim, struct ims_dirty_bitmap *bm, uint64_t iova,
		    uint64_t len, bool dirty)
{
	uint64_t start, last, first_page, npages;

	if (!bm || !len)
		return;
	start = iova > bm->iova ? iova : bm->iova;
	last = iova + len - 1;
	if (last > bm->iova + bm->len - 1)
		last = bm->iova + bm->len - 1;
	if (start > last)
		return;
	if (dirty) {
		uint64_t last_bit = (last - bm->iova) >> bm->page_lg2;

		for (uint64_t b = (start - bm->iova) >> bm->page_lg2; b <= last_bit; b++) {
			uint64_t m = UINT64_C(1) << (b & 63);

			if (!(bm->bits[b >> 6] & m)) {
				bm->bits[b >> 6] |= m;
				ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk,
						sim->costs.sw_bitmap_record_cycles);
			}
		}
	}
	if (!bm->score)
		return;
	first_page = start >> IMS_PAGE_LG2;
	npages = (last - start + 1) >> IMS_PAGE_LG2;
	if (!dirty)
		/* written, but D is not set: these writes can never be reported */
		IMS_STAT_ADD(&sim->stats, dirty_pages_missed,
			     ims_truth_take(&bm->score->truth, first_page, npages));
	else
		IMS_STAT_ADD(&sim->stats, dirty_pages_spurious,
			     npages - ims_truth_count(&bm->score->truth, first_page, npages));
}

/* Mask of bits [lo, hi] of word w of a 512-bit block (empty if none). */
static uint64_t block_word_mask(unsigned w, unsigned lo, unsigned hi)
{
	unsigned wlo = 64 * w, whi = wlo + 63;
	uint64_t m = ~UINT64_C(0);

	if (hi < wlo || lo > whi)
		return 0;
	if (lo > wlo)
		m &= ~UINT64_C(0) << (lo - wlo);
	if (hi < whi)
		m &= ~UINT64_C(0) >> (whi - hi);
	return m;
}

void ims_dirty_clean_score(struct ims_sim *sim, struct ims_dirty_bitmap *bm,
			   struct ims_dirty_clean *c)
{
	const uint64_t block = UINT64_C(64) * IMS_DIRTY_CLEAN_WORDS << IMS_PAGE_LG2;
	uint64_t bm_last, lo, hi;

	/* ims_dirty_leaf scores a clean leaf only with a scoring bitmap, and
	 * only a leaf wholly inside it (a partial one is zero pages) */
	if (bm && bm->score && bm->len) {
		bm_last = bm->iova + bm->len - 1;
		lo = bm->iova <= c->base ? 0 : (bm->iova - c->base + IMS_PAGE_SIZE - 1) >> IMS_PAGE_LG2;
		hi = bm_last >= c->base + block - 1 ? 64 * IMS_DIRTY_CLEAN_WORDS :
		     bm_last < c->base ? 0 : (bm_last + 1 - c->base) >> IMS_PAGE_LG2;
		if (lo < hi) {
			for (unsigned w = 0; w < IMS_DIRTY_CLEAN_WORDS; w++)
				c->bits[w] &= block_word_mask(w, (unsigned)lo, (unsigned)hi - 1);
			IMS_STAT_ADD(&sim->stats, dirty_pages_missed,
				     ims_truth_take_mask(&bm->score->truth, c->base >> IMS_PAGE_LG2,
							 c->bits, IMS_DIRTY_CLEAN_WORDS));
		}
	}
	ims_dirty_clean_init(c, c->base);
}
