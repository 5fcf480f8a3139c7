/* The iommufd object model: I/O address spaces, areas, pages objects.
 *
 * An IOAS is what user space maps into: a set of areas, each mapping an IOVA
 * range to a run of pages of a pages object (host memory the VMM handed
 * over). Domains (hardware page tables) attach to an IOAS and mirror every
 * area: attaching fills the domain from the areas, detaching unfills it, and
 * every map, unmap or copy on the IOAS is applied to all of its domains.
 *
 * Pinning follows iommufd: a page is pinned while something needs it to stay
 * put: an area of an IOAS that has at least one domain (the IOMMU may DMA to
 * it), or an access (an emulated device, `access-pin`). A map into an IOAS
 * with no domain only records the area; the first domain to attach pins. Pin
 * counts are kept per page, as segments, so many users of one page cost one
 * pin, and the pin and unpin that happen when a count leaves or reaches zero
 * are charged (sw_pin_page_cycles, sw_unpin_page_cycles).
 *
 * Each area has a storage domain: the attached domain its pages were first
 * filled into. A domain attached later reads the area's PFNs back from the
 * storage domain (sw_pfn_read_cycles per 4 KiB page), as iommufd does rather
 * than pin again; when the storage domain detaches, another attached domain
 * takes over.
 *
 * A domain created without an IOAS gets a private one (implicit), so
 * `map DOMAIN` keeps meaning what it always did.
 */
#ifndef IMS_IOAS_H
#define IMS_IOAS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* Pages [first, last] of a pages object have pin count `count` (> 0). */
struct ims_pin_seg {
	uint64_t first, last;
	uint32_t count;
};

struct ims_pages {
	unsigned id;                 /* creation order, for tests and messages */
	uint64_t pa;                 /* host physical address of page 0 */
	uint64_t npages;             /* 4 KiB pages */
	unsigned users;              /* areas referring to it; freed at 0 */
	struct ims_pin_seg *seg;     /* sorted, disjoint; absent pages have count 0 */
	size_t nseg;
	uint64_t pinned;             /* pages with a count > 0 */
	bool noncoherent_mapped;     /* ever mapped into a non-coherent domain (the
				      * sticky mark of sticky-unpin) */
	uint64_t check_pass;         /* --check: the pin check that last counted it */
};

struct ims_area {
	uint64_t iova, last;         /* inclusive */
	struct ims_pages *pages;
	uint64_t pgoff;              /* first page of the area within pages */
	unsigned prot;               /* IMS_PROT_* */
	bool pinned;                 /* holds one pin on its pages (IOAS has domains) */
	struct ims_domain *storage;  /* domain its PFNs were filled into, or NULL */
};

/* Physical address behind iova, an address inside area a. */
static inline uint64_t ims_area_pa(const struct ims_area *a, uint64_t iova)
{
	return a->pages->pa + (a->pgoff << IMS_PAGE_LG2) + (iova - a->iova);
}

/* An access pin (emulated device): [iova, last] pinned until access-unpin. */
struct ims_access_pin {
	uint64_t iova, last;
};

struct ims_ioas {
	unsigned index;              /* trace index (declared), or UINT32_MAX (implicit) */
	char name[IMS_NAME_MAX];
	bool implicit;               /* private IOAS of a domain declared without one */
	struct ims_area *area;       /* sorted by iova, disjoint */
	size_t nareas, area_cap;
	struct ims_domain **dom;     /* attached domains, in attach order */
	unsigned ndom;
	struct ims_access_pin *pin;
	size_t npins, pin_cap;
};

/* Declare an IOAS (sim->ioas[], trace order). */
int ims_ioas_create(struct ims_sim *sim, const char *name, struct ims_ioas **out,
		    struct ims_error *err);
/* The private IOAS of a domain declared without one; owned by the domain. */
int ims_ioas_create_implicit(struct ims_sim *sim, struct ims_domain *dom,
			     struct ims_error *err);
void ims_ioas_free(struct ims_sim *sim, struct ims_ioas *ioas);

/* IOMMU_IOAS_MAP: a new pages object (pa_given: at pa; else the host picks
 * memory aligned like the IOVA) and one area over it; if the IOAS has
 * domains the pages are pinned and every domain is filled, with the largest
 * pages alignment allows. Fails on overlap with an area. */
int ims_ioas_map(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova, uint64_t len,
		 bool pa_given, uint64_t pa, unsigned prot, struct ims_error *err);

/* IOMMU_IOAS_UNMAP: every byte of the range must be in an area; areas that
 * stick out are split first (refused if a split would cut a large page of
 * an attached domain, or the range holds an access pin). Each domain is
 * unmapped with one gather and one IOTLB sync (lazy: a place in its flush
 * queue, unmap_flush.h); then pages nobody uses any more are unpinned. Writes still pending in a domain's dirty ground truth
 * are counted missed, except in `reported`'s (may be NULL), whose count is
 * returned in *reported_written (the caller reports them). */
int ims_ioas_unmap(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova, uint64_t len,
		   struct ims_domain *reported, uint64_t *reported_written,
		   struct ims_error *err);

/* IOMMU_IOAS_COPY: new areas in dst over [dst_iova, +len) sharing the pages
 * of the areas that cover [src_iova, +len) in src (no new memory, no new
 * pin beyond what dst's domains need); prot 0 keeps each source area's. */
int ims_ioas_copy(struct ims_sim *sim, struct ims_ioas *dst, uint64_t dst_iova,
		  struct ims_ioas *src, uint64_t src_iova, uint64_t len, unsigned prot,
		  struct ims_error *err);

/* Attach a domain (not attached to any IOAS) and fill it from every area;
 * the first domain of an IOAS pins its pages. */
int ims_ioas_attach_domain(struct ims_sim *sim, struct ims_ioas *ioas,
			   struct ims_domain *dom, struct ims_error *err);
/* Unfill the domain (one unmap and IOTLB sync per area, as iommufd; lazy:
 * one flush of its queue at the end) and detach it; the last domain to
 * leave unpins what only areas held. */
int ims_ioas_detach_domain(struct ims_sim *sim, struct ims_domain *dom,
			   struct ims_error *err);

/* iommufd_access_pin_pages / unpin_pages: an emulated device pins the pages
 * behind [iova, +len) (fully in areas); unpin must name a pinned range
 * exactly. */
int ims_ioas_access_pin(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			uint64_t len, struct ims_error *err);
int ims_ioas_access_unpin(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			  uint64_t len, struct ims_error *err);

/* The host CPU reads or writes the memory behind [iova, +len) (fully in
 * areas): input to the CPU cache model (trace cpu-read / cpu-write). */
int ims_ioas_cpu_access(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			uint64_t len, bool write, struct ims_error *err);

/* Inspection (tests, reports). */
const struct ims_area *ims_ioas_area_at(const struct ims_ioas *ioas, uint64_t iova);
uint32_t ims_pages_pin_count(const struct ims_pages *pages, uint64_t page);

#endif
