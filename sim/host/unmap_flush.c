/* Strict and lazy unmap flushing (see unmap_flush.h).
 *
 * Linux behaviour modelled (drivers/iommu/dma-iommu.c): queue_iova() first
 * flushes a full ring (fq_full: one slot always stays free) with
 * fq_flush_iotlb(), which calls the driver's flush_iotlb_all, then adds the
 * unmap; the unmap's freed page-table pages travel with its entry and are
 * put back only by fq_ring_free() after a flush. Differences, on purpose:
 * one queue per domain (one host CPU here, Linux has one per CPU); the
 * timer runs out at the oldest waiting unmap's deadline, where Linux arms
 * it at the first queueing while it is off and lets it run even when a full
 * queue was flushed meanwhile; a map of a queued IOVA range flushes first
 * (a trace names its IOVAs, while Linux's allocator never hands a queued
 * one out); a detach flushes the queue.
 */
#include "sim/host/unmap_flush.h"

#include <stdlib.h>

#include "sim/assert.h"
#include "sim/check.h"
#include "sim/host/host_internal.h"

/* One unmap waiting for its invalidation. */
struct fq_entry {
	uint64_t start, last;        /* the IOVA range, inclusive */
	uint64_t cleared;            /* host time its PTEs were all clear */
	bool exposed;                /* IOTLB entries of it survived (flagged) */
};

struct ims_fq {
	struct fq_entry *e;          /* oldest first */
	size_t n, cap;
	uint64_t lo, hi;             /* bounds of the queued ranges, when n > 0 */
	uint64_t deadline;           /* the oldest unmap's timeout, UINT64_MAX if none */
	struct ims_gather g;         /* every queued unmap's gather, for a range flush */
	uint64_t *tables;            /* page-table pages whose release waits */
	size_t ntables, tables_cap;
	size_t tables_queued;        /* of those, the ones of queued unmaps (the
				      * rest belong to the unmap in progress) */
	bool deferring;              /* a lazy unmap is in the model's hands */
};

static void *grow(void *v, size_t *cap, size_t elem)
{
	size_t n = *cap ? 2 * *cap : 16;
	void *p = realloc(v, n * elem);

	if (!p)
		IMS_BUG("out of memory for the flush queue");
	*cap = n;
	return p;
}

static struct ims_fq *fq_of(struct ims_domain *dom)
{
	if (!dom->fq) {
		dom->fq = calloc(1, sizeof(*dom->fq));
		if (!dom->fq)
			IMS_BUG("out of memory for the flush queue");
		dom->fq->deadline = UINT64_MAX;
		ims_gather_init(&dom->fq->g);
	}
	return dom->fq;
}

/* sim->fq_deadline: the earliest deadline of any domain's queue. */
static void deadline_update(struct ims_sim *sim)
{
	uint64_t t = UINT64_MAX;

	for (unsigned i = 0; i < sim->ndomains; i++)
		if (sim->domains[i]->fq && sim->domains[i]->fq->deadline < t)
			t = sim->domains[i]->fq->deadline;
	sim->fq_deadline = t;
}

/* One unmap's window: a device could reach its pages through the IOTLB
 * for this long after the host had unmapped them. */
static void exposure(struct ims_sim *sim, uint64_t window)
{
	IMS_STAT_INC(&sim->stats, unmap_exposed);
	IMS_STAT_ADD(&sim->stats, cyc_unmap_exposure, window);
	if (IMS_STAT_GET(&sim->stats, cyc_unmap_exposure_max) < window)
		IMS_STAT_GET(&sim->stats, cyc_unmap_exposure_max) = window;
}

/* Translations of [start, last] that devices of dom could still use: the
 * IOTLB's, and those in the ATCs of its devices with ATS (which reach
 * memory without asking the IOMMU). ORs mark into each; returns how many. */
static uint64_t cached_translations(struct ims_sim *sim, const struct ims_domain *dom,
				 uint64_t start, uint64_t last, unsigned mark)
{
	uint64_t n = ims_iotlb_mark_range(&sim->iotlb, dom->tlb_tag, start, last, mark);
	struct ims_device *dev;
	unsigned i = 0;

	while ((dev = ims_ats_device_next(sim, dom, &i)))
		n += ims_iotlb_mark_range(&dev->atc, 0, start, last, mark);
	return n;
}

static void gather_merge(struct ims_gather *dst, const struct ims_gather *src)
{
	if (src->empty)
		return;
	ims_gather_add(dst, src->start, src->last - src->start + 1, src->min_page_lg2);
	ims_gather_note_size(dst, src->max_page_lg2);
	dst->tables_freed |= src->tables_freed;
}

/* The invalidation itself: flush_iotlb_all, or one gathered range. */
static void invalidate(struct ims_sim *sim, struct ims_domain *dom, struct ims_fq *q)
{
	if (sim->params.fq_flush_range) {
		ims_host_sync(sim, dom, &q->g);
		return;
	}
	sim->model->iotlb_flush_all(sim, dom);
	if (sim->check.on)
		ims_check_iotlb(sim, dom, 0, UINT64_MAX);
}

/* After the flush: the page-table pages of the flushed unmaps go back to
 * the allocator (charged now, as fq_ring_free frees them after the flush);
 * those of an unmap still in progress keep waiting. */
static void release_tables(struct ims_sim *sim, struct ims_domain *dom, struct ims_fq *q)
{
	size_t done = q->tables_queued;

	for (size_t i = 0; i < done; i++)
		ims_host_free_table(sim, dom, q->tables[i]);
	for (size_t i = done; i < q->ntables; i++)
		q->tables[i - done] = q->tables[i];
	q->ntables -= done;
	q->tables_queued = 0;
}

/* Flush everything queued in dom with one invalidation and one sync. */
static void fq_flush(struct ims_sim *sim, struct ims_domain *dom, enum ims_stat_id cause)
{
	struct ims_fq *q = dom->fq;
	uint64_t done;

	invalidate(sim, dom, q);
	done = sim->inv_busy_until;   /* the sync waited for the IOMMU to get here */
	for (size_t i = 0; i < q->n; i++) {
		const struct fq_entry *e = &q->e[i];

		if (e->exposed)
			exposure(sim, done - e->cleared);
		/* DMA written through the stale entries since the unmap can
		 * never be reported: as a strict unmap settles after its sync */
		IMS_STAT_ADD(&sim->stats, dirty_pages_missed,
			     ims_truth_take(&dom->truth, e->start >> IMS_PAGE_LG2,
					    (e->last - e->start + 1) >> IMS_PAGE_LG2));
	}
	if (sim->check.on)
		ims_check_iotlb_flag_gone(sim, dom, IMS_TLB_UNMAPPED);
	release_tables(sim, dom, q);
	/* the released pages are free now: no walk cache may point at them */
	if (sim->check.on)
		ims_check_psc(sim, dom, 0, UINT64_MAX);
	sim->stats.v[cause]++;
	q->n = 0;
	q->deadline = UINT64_MAX;
	ims_gather_init(&q->g);
	deadline_update(sim);
}

void ims_unmap_flush_begin(struct ims_sim *sim, struct ims_domain *dom)
{
	if (sim->unmap_flush != IMS_UNMAP_LAZY)
		return;
	fq_of(dom)->deferring = true;
}

bool ims_unmap_flush_defer_table(struct ims_domain *dom, uint64_t pa)
{
	struct ims_fq *q = dom->fq;

	if (!q || !q->deferring)
		return false;
	if (q->ntables == q->tables_cap)
		q->tables = grow(q->tables, &q->tables_cap, sizeof(*q->tables));
	q->tables[q->ntables++] = pa;
	return true;
}

bool ims_unmap_flush_table_waits(const struct ims_domain *dom, uint64_t pa)
{
	const struct ims_fq *q = dom->fq;

	for (size_t i = 0; q && i < q->ntables; i++)
		if (q->tables[i] == pa)
			return true;
	return false;
}

/* strict: invalidate and wait now; the window is that sync. */
static void strict_end(struct ims_sim *sim, struct ims_domain *dom, const struct ims_gather *g,
		       uint64_t iova, uint64_t last)
{
	uint64_t cleared = sim->cpu_now;
	bool cached = cached_translations(sim, dom, iova, last, 0) != 0;

	ims_host_sync(sim, dom, g);
	if (cached)
		exposure(sim, sim->inv_busy_until - cleared);
}

static void queue_add(struct ims_sim *sim, struct ims_fq *q, const struct fq_entry *e)
{
	if (q->n == q->cap)
		q->e = grow(q->e, &q->cap, sizeof(*q->e));
	q->e[q->n++] = *e;
	q->lo = q->n == 1 || e->start < q->lo ? e->start : q->lo;
	q->hi = q->n == 1 || e->last > q->hi ? e->last : q->hi;
	if (q->n == 1) {
		q->deadline = sim->cpu_now + sim->costs.fq_timeout_ns;
		deadline_update(sim);
	}
	IMS_STAT_INC(&sim->stats, fq_unmaps);
	if (IMS_STAT_GET(&sim->stats, fq_occupancy_max) < q->n)
		IMS_STAT_GET(&sim->stats, fq_occupancy_max) = q->n;
}

/* lazy: queue_iova. A full queue is flushed before the unmap joins it, so
 * the unmap's own pages wait for the next flush; a domain-wide flush drops
 * its IOTLB entries all the same, which ends its window there. */
static void lazy_end(struct ims_sim *sim, struct ims_domain *dom, const struct ims_gather *g,
		     uint64_t iova, uint64_t last)
{
	struct ims_fq *q = dom->fq;
	struct fq_entry e = { .start = iova, .last = last, .cleared = sim->cpu_now };
	bool full = q->n + 1 >= sim->params.fq_size;
	bool cached = full && cached_translations(sim, dom, iova, last, 0) != 0;

	q->deferring = false;
	ims_host_charge(sim, IMS_STAT_cyc_sw_unmap, sim->costs.sw_fq_queue_cycles);
	if (full)
		fq_flush(sim, dom, IMS_STAT_fq_flush_full);
	/* flagged as the unmap returns: DMA before this is not stale */
	e.exposed = cached_translations(sim, dom, iova, last, IMS_TLB_UNMAPPED) != 0;
	if (cached && !e.exposed)
		exposure(sim, sim->inv_busy_until - e.cleared);
	queue_add(sim, q, &e);
	gather_merge(&q->g, g);
	IMS_STAT_ADD(&sim->stats, fq_tables_deferred, q->ntables - q->tables_queued);
	q->tables_queued = q->ntables;
}

void ims_unmap_flush_end(struct ims_sim *sim, struct ims_domain *dom,
			 const struct ims_gather *g, uint64_t iova, uint64_t last)
{
	if (sim->unmap_flush == IMS_UNMAP_LAZY)
		lazy_end(sim, dom, g, iova, last);
	else
		strict_end(sim, dom, g, iova, last);
}

void ims_unmap_flush_before_map(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
				uint64_t last)
{
	const struct ims_fq *q = dom->fq;

	if (!q || !q->n || last < q->lo || iova > q->hi)
		return;
	for (size_t i = 0; i < q->n; i++)
		if (q->e[i].start <= last && iova <= q->e[i].last) {
			fq_flush(sim, dom, IMS_STAT_fq_flush_reuse);
			return;
		}
}

void ims_unmap_flush_detach(struct ims_sim *sim, struct ims_domain *dom)
{
	if (dom->fq && dom->fq->n)
		fq_flush(sim, dom, IMS_STAT_fq_flush_teardown);
}

void ims_unmap_flush_timeout(struct ims_sim *sim)
{
	for (unsigned i = 0; i < sim->ndomains; i++) {
		struct ims_domain *dom = sim->domains[i];

		if (!dom->fq || dom->fq->deadline != sim->fq_deadline)
			continue;
		/* a timer: host work at the deadline, once the CPU is free */
		sim->now = dom->fq->deadline;
		ims_host_begin(sim);
		fq_flush(sim, dom, IMS_STAT_fq_flush_timeout);
		ims_host_end(sim);
		return;
	}
	IMS_BUG("flush-queue deadline without a queue");
}

void ims_unmap_flush_fini(struct ims_sim *sim, struct ims_domain *dom)
{
	struct ims_fq *q = dom->fq;

	if (!q)
		return;
	for (size_t i = 0; i < q->ntables; i++) {
		ims_mem_free_table(&sim->mem, q->tables[i]);
		dom->pt_pages_live--;
	}
	free(q->tables);
	free(q->e);
	free(q);
	dom->fq = NULL;
}

size_t ims_unmap_flush_queued(const struct ims_domain *dom)
{
	return dom->fq ? dom->fq->n : 0;
}

size_t ims_unmap_flush_tables_waiting(const struct ims_domain *dom)
{
	return dom->fq ? dom->fq->ntables : 0;
}
