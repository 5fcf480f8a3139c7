/* When an unmap's IOTLB invalidation happens: the unmap-flush strategy axis
 * (docs/unmap-flush.md).
 *
 *  - strict: the unmap syncs before it returns (iommufd, and the DMA API
 *    with iommu.strict=1);
 *  - lazy: the unmap returns at once and its range waits in a per-domain
 *    flush queue, as the DMA API's IOVA flush queue (Linux
 *    drivers/iommu/dma-iommu.c, queue_iova). The queue is flushed with one
 *    invalidation and one sync when an unmap finds it full (fq_size - 1
 *    waiting, as fq_full), when its oldest unmap has waited fq_timeout_ns,
 *    before a map reuses a queued IOVA range, and when the domain detaches.
 *    Page-table pages those unmaps freed are released only after the flush,
 *    since the paging-structure caches may still point at them. IOTLB
 *    and ATC entries of a queued range carry IMS_TLB_UNMAPPED, so a DMA
 *    through one is counted (stale_dmas).
 *
 * Both count the exposure window of every unmap whose range had a
 * translation in the IOTLB (or in the ATC of a device with ATS) when its
 * PTEs were cleared: from then until the invalidation covering it (and the
 * devices' completions) completed.
 *
 * The host layer calls begin before the model's unmap and end after it,
 * with the gather the unmap filled (sim/host/ioas.c, unfill_range).
 */
#ifndef IMS_UNMAP_FLUSH_H
#define IMS_UNMAP_FLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* Before the model unmaps from dom: under lazy, the page-table pages the
 * unmap frees wait for the flush. */
void ims_unmap_flush_begin(struct ims_sim *sim, struct ims_domain *dom);

/* After the model cleared [iova, last] of dom, gathered in g: strict syncs
 * now; lazy queues the range (flushing a full queue first). */
void ims_unmap_flush_end(struct ims_sim *sim, struct ims_domain *dom,
			 const struct ims_gather *g, uint64_t iova, uint64_t last);

/* A map is about to write [iova, last] into dom: IOVAs are reused only
 * after their flush, so a queue holding part of the range is flushed. */
void ims_unmap_flush_before_map(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
				uint64_t last);

/* dom detaches from its IOAS: nothing it queued may outlive that. */
void ims_unmap_flush_detach(struct ims_sim *sim, struct ims_domain *dom);

/* The timer: flush the queue whose oldest unmap times out at
 * sim->fq_deadline, at that time (the run loop calls it before the first
 * event at or after the deadline, and for every pending one at the end). */
void ims_unmap_flush_timeout(struct ims_sim *sim);

/* ims_host_free_table asks: true when pa's release must wait for dom's
 * flush (an unmap of the lazy strategy is running); the queue keeps pa. */
bool ims_unmap_flush_defer_table(struct ims_domain *dom, uint64_t pa);

/* Whether the page-table page at pa waits for dom's flush: unlinked by a
 * lazy unmap, it stays allocated, and the paging-structure caches may
 * point at it until the flush (the --check mode asks). */
bool ims_unmap_flush_table_waits(const struct ims_domain *dom, uint64_t pa);

/* dom is destroyed: release what waits, untimed (the run is over). */
void ims_unmap_flush_fini(struct ims_sim *sim, struct ims_domain *dom);

/* Unmaps waiting in dom's queue, and page-table pages waiting with them. */
size_t ims_unmap_flush_queued(const struct ims_domain *dom);
size_t ims_unmap_flush_tables_waiting(const struct ims_domain *dom);

#endif
