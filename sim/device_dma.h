/* A device's DMA engine: when each of its PCIe requests is issued and
 * completes.
 *
 * The host layer (ims_dma, sim/host/host.c) splits a trace transfer into
 * requests of at most dma_request_bytes, aligned to that size (so none
 * crosses a 4 KiB boundary, as PCIe requires), translates them and asks
 * this engine for their timing:
 *
 *  - tags: a device has dma_tags requests outstanding at most. Requests are
 *    issued in order and tags recycled in issue order: request i waits until
 *    request i - dma_tags has completed (a device with one engine hands them
 *    out round robin).
 *  - link: each request's data occupies the link for (bytes +
 *    dma_tlp_overhead_bytes) / dma_link_mbps. The link serves data in the
 *    first gap at or after the moment it is ready, so a request held up by a
 *    page walk does not hold back the ones behind it (completions with
 *    different tags may arrive in any order).
 *
 * A request's life: issue (tag free) -> translation at the IOMMU (IOTLB hit,
 * a wait for an in-flight walk of the same page, or a walk in a walk slot,
 * models/common/walk_slots.h) -> dma_rtt_ns for the rest of the round trip
 * -> its data on the link -> complete. Throughput then falls exactly when
 * dma_tags requests in flight can no longer cover the latency, which is how
 * IOTLB misses cost bandwidth on real devices (pcie-bench, SIGCOMM'18).
 *
 * All times are cycles of the reference clock. The functional simulation
 * does not wait for any of this: a DMA's translations and data happen at its
 * trace time; the engine says when they would have completed.
 */
#ifndef IMS_DEVICE_DMA_H
#define IMS_DEVICE_DMA_H

#include <stdint.h>

/* A device's engine parameters (sim/params.def: dma_*), in cycles. */
struct ims_dma_engine_cfg {
	unsigned tags;            /* dma_tags */
	uint64_t request_bytes;   /* dma_request_bytes, a power of two */
	uint64_t rtt;             /* dma_rtt_ns */
	uint64_t link_q16;        /* link cycles per byte, 16.16 fixed point */
	uint64_t overhead_bytes;  /* dma_tlp_overhead_bytes */
};

struct ims_dma_engine {
	/* the constants the per-request path needs, kept beside its state
	 * so that a request reads one structure */
	uint64_t req_mask;        /* request_bytes - 1 */
	uint64_t rtt;
	uint64_t link_q16;
	uint64_t link_fixed_q16;  /* the TLP overhead in 16.16 link cycles, plus rounding up */
	uint64_t *tag_done;       /* [ntags]: completion of the request that holds each tag */
	unsigned ntags, next_tag;
	uint64_t last_issue;      /* requests are issued in order */
	/* the link's busy intervals that later requests may still meet, a
	 * ring: busy[(first + k) & mask] for k < nbusy, sorted, disjoint,
	 * [start, end) */
	uint64_t (*busy)[2];
	unsigned first, nbusy, mask;
};

int ims_dma_engine_init(struct ims_dma_engine *e, const struct ims_dma_engine_cfg *cfg);
void ims_dma_engine_fini(struct ims_dma_engine *e);

/* Cycles a request of `bytes` (0 for an aborted one) holds the link: at
 * least 1, so that every request occupies it. */
static inline uint64_t ims_dma_engine_link(const struct ims_dma_engine *e, uint64_t bytes)
{
	uint64_t link = (bytes * e->link_q16 + e->link_fixed_q16) >> 16;

	return link + !link;
}

/* A request ready at `ready` is issued when its tag is free, and not before
 * the request before it (the engine issues in order; completions with gaps
 * filled on the link may come back out of order, the issue times do not). */
static inline uint64_t ims_dma_engine_issue(struct ims_dma_engine *e, uint64_t ready)
{
	uint64_t t = e->tag_done[e->next_tag];

	if (t < ready)
		t = ready;
	if (t < e->last_issue)
		t = e->last_issue;
	e->last_issue = t;
	return t;
}

/* ims_dma_engine_complete when the data is not ready after everything
 * placed so far, or the ring is full: forgets what ends by horizon, then
 * searches for a gap. */
uint64_t ims_dma_engine_place(struct ims_dma_engine *e, uint64_t data_ready, uint64_t link,
			      uint64_t horizon);

static inline uint64_t (*ims_dma_engine_busy(const struct ims_dma_engine *e, unsigned k))[2]
{
	return &e->busy[(e->first + k) & e->mask];
}

/* The request issued last has its data ready at data_ready and needs
 * `link` (> 0) cycles of the link: returns when it completes, and hands its
 * tag on. horizon: no later request's data is ready before it (the issue
 * time plus the round trip), so busy time before it is forgotten. Inline
 * for the usual case, data ready after all the link's work so far. */
static inline uint64_t ims_dma_engine_complete(struct ims_dma_engine *e, uint64_t data_ready,
					       uint64_t link, uint64_t horizon)
{
	uint64_t done = data_ready + link, (*last)[2] = ims_dma_engine_busy(e, e->nbusy - 1);

	/* appending needs no forgetting until the ring is full */
	if (e->nbusy && (*last)[1] == data_ready) {
		(*last)[1] = done;              /* the link stays busy: one interval */
	} else if (!e->nbusy || ((*last)[1] < data_ready && e->nbusy <= e->mask)) {
		last = ims_dma_engine_busy(e, e->nbusy++);
		(*last)[0] = data_ready;
		(*last)[1] = done;
	} else {
		return ims_dma_engine_place(e, data_ready, link, horizon);
	}
	e->tag_done[e->next_tag] = done;
	e->next_tag = e->next_tag + 1 == e->ntags ? 0 : e->next_tag + 1;
	return done;
}

#endif
