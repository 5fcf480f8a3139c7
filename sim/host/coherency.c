/* Non-coherent DMA: the coherency strategies' flush points, the CPU cache
 * model's inputs, and the exposure detector (see coherency.h and
 * docs/noncoherent.md). */
#include "sim/host/coherency.h"

#include <inttypes.h>

#include "sim/assert.h"
#include "sim/host/host_internal.h"

#define LINE_BYTES (UINT64_C(1) << IMS_CACHE_LINE_LG2)

static bool forced(const struct ims_sim *sim)
{
	return sim->flush_policy == IMS_FLUSH_FORCE_COHERENT;
}

int ims_coh_domain_init(struct ims_sim *sim, struct ims_domain *dom, bool noncoherent,
			struct ims_error *err)
{
	dom->noncoherent = noncoherent;
	dom->snoops = !noncoherent || forced(sim);
	if (dom->snoops && !sim->model->can_enforce_coherency(sim))
		return ims_error_set(err, IMS_ENOTSUP,
				     "domain '%s': model %s cannot enforce cache coherency with "
				     "these parameters%s", dom->name, sim->model->name,
				     noncoherent ? " (force-coherent strategy)"
						 : "; declare it coherent=no");
	return 0;
}

unsigned ims_coh_prot(const struct ims_domain *dom)
{
	return dom->snoops ? IMS_PROT_CACHE : 0;
}

/* Count `lines` exposed lines and keep the first few in the run's log: a
 * DMA exposure is one chunk of one page; a host one is listed page by page. */
static void log_one(struct ims_sim *sim, uint64_t pa, uint64_t iova, uint64_t lines,
		    unsigned domain, bool by_dma)
{
	struct ims_exposure_record *e;

	if (sim->nexposures_logged == IMS_EXPOSURE_LOG)
		return;
	e = &sim->exposure_log[sim->nexposures_logged++];
	e->time = by_dma ? sim->now : sim->cpu_now;
	e->pa = pa & ~(IMS_PAGE_SIZE - 1);
	e->iova = iova;
	e->lines = lines;
	e->domain = domain;
	e->by_dma = by_dma;
}

static void dma_exposure(struct ims_sim *sim, uint64_t pa, uint64_t iova, uint64_t lines,
			 unsigned domain)
{
	IMS_STAT_ADD(&sim->stats, exposures, lines);
	IMS_STAT_ADD(&sim->stats, exposure_dma_stale_read, lines);
	log_one(sim, pa, iova, lines, domain, true);
}

/* Stale lines of [pa, pa+len) (whole pages) reach the host at unpin. */
static void host_exposure(struct ims_sim *sim, uint64_t pa, uint64_t len)
{
	uint64_t stale = ims_cpucache_count(&sim->cache, pa, len, IMS_LINE_STALE);

	if (!stale)
		return;
	IMS_STAT_ADD(&sim->stats, exposures, stale);
	IMS_STAT_ADD(&sim->stats, exposure_host_stale_read, stale);
	for (uint64_t off = 0; off < len && sim->nexposures_logged < IMS_EXPOSURE_LOG;
	     off += IMS_PAGE_SIZE) {
		uint64_t n = ims_cpucache_count(&sim->cache, pa + off, IMS_PAGE_SIZE,
						IMS_LINE_STALE);

		if (n)
			log_one(sim, pa + off, 0, n, UINT32_MAX, false);
	}
}

/* Flush [pa, pa+len): every line costs its flush instruction, whatever its
 * state; a clflushopt sequence ends with one fence. */
static void flush_range(struct ims_sim *sim, uint64_t pa, uint64_t len)
{
	struct ims_flush_result r = ims_cpucache_flush(&sim->cache, pa, len);
	uint64_t lines = r.lines_written_back + r.lines_dropped + r.lines_redundant;
	uint64_t cycles = sim->params.cpu_flush_insn_opt
		? lines * sim->costs.cpu_clflushopt_line_cycles + sim->costs.cpu_sfence_cycles
		: lines * sim->costs.cpu_clflush_line_cycles;

	IMS_STAT_INC(&sim->stats, cache_flushes);
	IMS_STAT_ADD(&sim->stats, cache_lines_flushed, lines);
	IMS_STAT_ADD(&sim->stats, cache_lines_written_back, r.lines_written_back);
	IMS_STAT_ADD(&sim->stats, cache_lines_dropped, r.lines_dropped);
	IMS_STAT_ADD(&sim->stats, cache_flush_redundant, r.lines_redundant);
	ims_host_charge(sim, IMS_STAT_cyc_cache_flush, cycles);
}

static uint64_t pages_pa(const struct ims_pages *p, uint64_t page)
{
	return p->pa + (page << IMS_PAGE_LG2);
}

/* The kernel zeroes a page when it first gives it to the process, and the
 * zeroes sit dirty in the CPU cache; a page pinned again later holds the
 * guest's data, not fresh zeroes. So only memory never zeroed before is
 * written here. */
void ims_coh_pinned(struct ims_sim *sim, struct ims_pages *p, uint64_t first, uint64_t last)
{
	uint64_t start = pages_pa(p, first), end = pages_pa(p, last) + IMS_PAGE_SIZE - 1;
	uint64_t gap = start;

	while (gap <= end && ims_range_set_first_gap(&sim->zeroed, gap, end, &gap)) {
		const struct ims_range *next = ims_range_set_overlap(&sim->zeroed, gap, end);
		uint64_t gap_end = next ? next->start - 1 : end;

		if (ims_cpucache_cpu_write(&sim->cache, gap, gap_end - gap + 1))
			IMS_BUG("out of memory in the CPU cache model");
		IMS_STAT_ADD(&sim->stats, pages_zeroed, (gap_end - gap + 1) >> IMS_PAGE_LG2);
		if (gap_end == end)
			break;
		gap = gap_end + 1;
	}
	if (ims_range_set_add(&sim->zeroed, start, end))
		IMS_BUG("out of memory recording zeroed memory");
}

void ims_coh_unpinning(struct ims_sim *sim, struct ims_pages *p, uint64_t first, uint64_t last)
{
	uint64_t pa = pages_pa(p, first), len = (last - first + 1) << IMS_PAGE_LG2;
	bool flush = p->noncoherent_mapped && (sim->flush_policy == IMS_FLUSH_STICKY_UNPIN ||
						sim->flush_policy == IMS_FLUSH_VFIO_TYPE1);

	if (flush)
		flush_range(sim, pa, len);
	/* the host gets the pages back and will read them: stale copies leak
	 * what the device wrote, or hide it */
	host_exposure(sim, pa, len);
}

static bool ioas_has_noncoherent(const struct ims_ioas *ioas)
{
	for (unsigned d = 0; d < ioas->ndom; d++)
		if (!ioas->dom[d]->snoops)
			return true;
	return false;
}

void ims_coh_before_fill(struct ims_sim *sim, struct ims_ioas *ioas, struct ims_area *a,
			 struct ims_domain *dom, enum ims_fill_cause cause)
{
	uint64_t pa = ims_area_pa(a, a->iova), len = a->last - a->iova + 1;
	bool first_reach = !dom->snoops && !a->pages->noncoherent_mapped;
	bool flush = false;

	if (!dom->snoops)
		a->pages->noncoherent_mapped = true;
	switch (sim->flush_policy) {
	case IMS_FLUSH_EAGER:
		flush = !dom->snoops;
		break;
	case IMS_FLUSH_STICKY_UNPIN:
		/* the pages object becomes sticky: flushed again at unpin */
		flush = first_reach;
		break;
	case IMS_FLUSH_STORAGE_AWARE:
		/* filled from a non-coherent storage domain: flushed when that
		 * domain was filled, and nothing can have cached them since */
		flush = !dom->snoops && !(a->storage && a->storage != dom && !a->storage->snoops);
		break;
	case IMS_FLUSH_VFIO_TYPE1:
		/* once per map while the container has a non-coherent domain,
		 * and when the mappings are replayed into a non-coherent domain
		 * that joins it */
		if (cause == IMS_FILL_MAP)
			flush = ioas_has_noncoherent(ioas);
		else if (cause == IMS_FILL_ATTACH)
			flush = !dom->snoops;
		break;
	default:
		break;
	}
	if (flush)
		flush_range(sim, pa, len);
}

void ims_coh_after_unfill(struct ims_sim *sim, struct ims_area *a, uint64_t iova,
			  uint64_t last, struct ims_domain *dom)
{
	uint64_t pa = ims_area_pa(a, iova);

	if (dom->snoops)
		return;
	if (sim->flush_policy == IMS_FLUSH_EAGER || sim->flush_policy == IMS_FLUSH_STORAGE_AWARE)
		flush_range(sim, pa, last - iova + 1);
}

void ims_coh_dma_other(struct ims_sim *sim, const struct ims_domain *dom, uint64_t iova,
		       uint64_t pa, uint64_t len, bool write, bool snooped)
{
	uint64_t lines = ((pa + len - 1) >> IMS_CACHE_LINE_LG2) - (pa >> IMS_CACHE_LINE_LG2) + 1;
	uint64_t stale;

	if (snooped && dom->noncoherent) {
		/* coherent only because force-coherent made it so */
		IMS_STAT_ADD(&sim->stats, dma_forced_snoop_lines, lines);
		IMS_STAT_ADD(&sim->stats, cyc_dma_snoop, lines * sim->costs.dma_snoop_line_ns);
	}
	if (!snooped)
		IMS_STAT_ADD(&sim->stats, dma_nonsnooped_lines, lines);
	if (!sim->cache.lines_cached)
		return;   /* nothing cached: nothing to keep coherent or to leak */
	stale = ims_cpucache_dma(&sim->cache, pa, len, write, snooped);
	if (!snooped && !write && stale)
		dma_exposure(sim, pa, iova, stale, dom->index);
}

int ims_coh_cpu_access(struct ims_sim *sim, uint64_t pa, uint64_t len, bool write,
		       struct ims_error *err)
{
	uint64_t stale;

	if (write) {
		if (ims_cpucache_cpu_write(&sim->cache, pa, len))
			return ims_error_set(err, IMS_ENOMEM, "out of memory (CPU cache model)");
		return 0;
	}
	stale = ims_cpucache_cpu_read(&sim->cache, pa, len);
	if (stale == UINT64_MAX)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (CPU cache model)");
	/* while the pages are in use, keeping the CPU's view coherent is the
	 * reader's business (a driver invalidates before reading what its
	 * device wrote); the host's exposure is at unpin */
	IMS_STAT_ADD(&sim->stats, cpu_stale_line_reads, stale);
	return 0;
}
