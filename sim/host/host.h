/* Host software: the operations Linux iommufd performs on an I/O page table,
 * and the devices' DMA that exercises it.
 *
 * Every operation runs on the host CPU timeline (sim->cpu_now), starting no
 * earlier than sim->now (the trace time of the event that asked for it).
 */
#ifndef IMS_HOST_H
#define IMS_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* Declarations. Domain ids (IOTLB tags) are assigned 1, 2, ... in order.
 * ims_host_domain_create gives the domain a private IOAS (sim/host/ioas.h);
 * ims_host_domain_create_in attaches it to `ioas` (NULL: a private one)
 * and fills it from the IOAS's areas (a host operation, timed);
 * noncoherent: the domain does not enforce cache coherency (its DMA is
 * non-snooped unless the force-coherent strategy runs). */
int ims_host_device_create(struct ims_sim *sim, const char *name, uint16_t sid,
			   struct ims_device **out, struct ims_error *err);
/* Give dev an ATS translation cache of `entries` (ats_atc_ways ways, fewer
 * when it has fewer entries; a power-of-two set count) that completes an
 * invalidation in inv_cycles (0: the ats_inv_ns parameter). Before the
 * device is attached: the IOMMU enables ATS in the device's context entry
 * when it attaches it (sim/host/ats.c, docs/ats.md). */
int ims_host_device_enable_ats(struct ims_sim *sim, struct ims_device *dev, uint64_t entries,
			       uint64_t inv_cycles, struct ims_error *err);
int ims_host_domain_create(struct ims_sim *sim, const char *name, unsigned iova_bits,
			   struct ims_domain **out, struct ims_error *err);
int ims_host_domain_create_in(struct ims_sim *sim, const char *name, unsigned iova_bits,
			      struct ims_ioas *ioas, bool noncoherent, struct ims_domain **out,
			      struct ims_error *err);
int ims_host_attach(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		    struct ims_error *err);

/* Map [iova, iova+len) to host pages in the domain's IOAS (so in every
 * domain attached to it: ims_ioas_map). pa_given = false: the host pins
 * pages at an address aligned like the IOVA (up to 1 GiB), so large pages
 * are used wherever IOVA, PA and length allow. Fails on overlap. */
int ims_host_map(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		 bool pa_given, uint64_t pa, unsigned prot, struct ims_error *err);

/* Unmap the range from the domain's IOAS (ims_ioas_unmap: one unmap and
 * IOTLB sync per area and domain, or under the lazy unmap-flush strategy a
 * place in the domain's flush queue; mappings that stick out are split).
 * Fails if any part of the range is not mapped. */
int ims_host_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		   struct ims_error *err);

int ims_host_set_dirty_tracking(struct ims_sim *sim, struct ims_domain *dom, bool on,
				struct ims_error *err);

/* read_and_clear_dirty(iova, len, page_size, flags): software walk that
 * fills a bitmap at 2^page_lg2 granularity, clears D unless
 * IMS_DIRTY_NO_CLEAR, and syncs the IOTLB once at the end unless
 * IMS_DIRTY_NO_CLEAR (iommufd syncs after every clearing read, whether or
 * not a bit was found set).
 * The report is checked against the ground truth (dirty_pages_missed /
 * dirty_pages_spurious). bm_out, if not NULL, receives the bitmap (caller
 * frees bm_out->bits). */
int ims_host_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			uint64_t len, unsigned page_lg2, unsigned flags,
			struct ims_dirty_bitmap *bm_out, struct ims_error *err);

/* unmap-all-dirty (VFIO type1 "unmap and return the dirty bitmap"): unmap
 * with one sync, then report every page of the range dirty. */
int ims_host_unmap_all_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			     uint64_t len, unsigned page_lg2, struct ims_error *err);

/* wrprotect+unmap: write-protect the range and sync (no write can land any
 * more; racing writes fault and are discarded), read the dirty bits, then
 * unmap. Exact under racing DMA; two syncs. */
int ims_host_wrprotect_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			     uint64_t len, unsigned page_lg2, struct ims_error *err);

/* One migration dirty-sync round: read_and_clear over every mapped range of
 * the domain, then one IOTLB sync if flush (as Linux), none if !flush (the
 * deliberately unsafe variant). Each range is scored as a report. */
int ims_host_dirty_round(struct ims_sim *sim, struct ims_domain *dom, unsigned page_lg2,
			 bool flush, struct ims_error *err);

/* A device's DMA: translate every chunk, fault or move the data. Faults are
 * counted and logged, never errors. Returns the number of chunks that
 * faulted. */
uint64_t ims_dma(struct ims_sim *sim, struct ims_device *dev, uint64_t iova, uint64_t len,
		 bool write);

#endif
