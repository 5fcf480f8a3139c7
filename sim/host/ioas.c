/* The iommufd object model (see ioas.h): IOAS areas, pages objects and pin
 * counts, and the fill/unfill of the domains attached to an IOAS.
 *
 * Linux behaviour modelled (drivers/iommu/iommufd/io_pagetable.c, pages.c):
 * an IOAS unmap removes area by area, and each area is unmapped from each
 * domain with its own iommu_unmap(), which syncs the IOTLB; so does the
 * unfill of a detaching domain (under the lazy unmap-flush strategy the
 * sync waits in the domain's flush queue instead: unmap_flush.h). A fill
 * writes the area with the largest pages alignment allows (iommu_map of the
 * whole run).
 */
#include "sim/host/ioas.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"
#include "sim/host/coherency.h"
#include "sim/host/host_internal.h"
#include "sim/host/unmap_flush.h"

#define PAGES(bytes) ((bytes) >> IMS_PAGE_LG2)

/* ---- pin counts ----------------------------------------------------------- */

/* Pages [first, last] of p went from unpinned to pinned (pin) or back. */
static void pin_edge(struct ims_sim *sim, struct ims_pages *p, uint64_t first, uint64_t last,
		     bool pin)
{
	uint64_t n = last - first + 1;

	if (pin) {
		IMS_STAT_ADD(&sim->stats, pages_pinned, n);
		sim->pinned_pages += n;
		if (IMS_STAT_GET(&sim->stats, pinned_pages_max) < sim->pinned_pages)
			IMS_STAT_GET(&sim->stats, pinned_pages_max) = sim->pinned_pages;
		ims_host_charge(sim, IMS_STAT_cyc_sw_pin, n * sim->costs.sw_pin_page_cycles);
		ims_coh_pinned(sim, p, first, last);
	} else {
		ims_coh_unpinning(sim, p, first, last);
		IMS_STAT_ADD(&sim->stats, pages_unpinned, n);
		sim->pinned_pages -= n;
		ims_host_charge(sim, IMS_STAT_cyc_sw_pin, n * sim->costs.sw_unpin_page_cycles);
	}
}

static void seg_push(struct ims_pin_seg *v, size_t *n, uint64_t first, uint64_t last,
		     uint32_t count)
{
	if (!count)
		return;
	if (*n && v[*n - 1].count == count && v[*n - 1].last + 1 == first) {
		v[*n - 1].last = last;
		return;
	}
	v[(*n)++] = (struct ims_pin_seg){ first, last, count };
}

/* Ranges of pages whose count crossed zero in one pin_adjust. */
struct pin_edges {
	struct ims_pin_seg *v;
	size_t n;
	uint64_t pages;
};

static void edge_add(struct pin_edges *e, uint64_t first, uint64_t last)
{
	e->v[e->n++] = (struct ims_pin_seg){ first, last, 0 };
	e->pages += last - first + 1;
}

/* Add delta (+1 or -1) to the pin count of pages [first, last] of p, and
 * pin or unpin the pages whose count leaves or reaches zero. Returns how
 * many pages were newly pinned (delta +1), or -1 when out of memory (then
 * nothing changed). */
static int64_t pin_adjust(struct ims_sim *sim, struct ims_pages *p, uint64_t first,
			  uint64_t last, int delta)
{
	struct ims_pin_seg *v = malloc((2 * p->nseg + 3) * sizeof(*v));
	struct pin_edges e = { malloc((p->nseg + 1) * sizeof(*e.v)), 0, 0 };
	uint64_t cursor = first;
	size_t n = 0;

	if (!v || !e.v) {
		free(v);
		free(e.v);
		return -1;
	}
	for (size_t i = 0; i < p->nseg; i++) {
		struct ims_pin_seg s = p->seg[i];

		if (s.last < first || s.first > last) {
			if (s.first > last && cursor <= last) {
				IMS_ASSERT(delta > 0, "unpin of pages that are not pinned");
				seg_push(v, &n, cursor, last, 1);
				edge_add(&e, cursor, last);
				cursor = last + 1;
			}
			seg_push(v, &n, s.first, s.last, s.count);
			continue;
		}
		if (s.first < first)
			seg_push(v, &n, s.first, first - 1, s.count);
		if (cursor < s.first) {
			IMS_ASSERT(delta > 0, "unpin of pages that are not pinned");
			seg_push(v, &n, cursor, s.first - 1, 1);
			edge_add(&e, cursor, s.first - 1);
		}
		{
			uint64_t lo = s.first > first ? s.first : first;
			uint64_t hi = s.last < last ? s.last : last;
			uint32_t c = (uint32_t)((int64_t)s.count + delta);

			if (!c)
				edge_add(&e, lo, hi);
			seg_push(v, &n, lo, hi, c);
			cursor = hi + 1;
		}
		if (s.last > last)
			seg_push(v, &n, last + 1, s.last, s.count);
	}
	if (cursor <= last) {
		IMS_ASSERT(delta > 0, "unpin of pages that are not pinned");
		seg_push(v, &n, cursor, last, 1);
		edge_add(&e, cursor, last);
	}
	free(p->seg);
	p->seg = v;
	p->nseg = n;
	if (delta > 0)
		p->pinned += e.pages;
	else
		p->pinned -= e.pages;
	for (size_t i = 0; i < e.n; i++)
		pin_edge(sim, p, e.v[i].first, e.v[i].last, delta > 0);
	free(e.v);
	return delta > 0 ? (int64_t)e.pages : 0;
}

uint32_t ims_pages_pin_count(const struct ims_pages *pages, uint64_t page)
{
	for (size_t i = 0; i < pages->nseg; i++)
		if (page >= pages->seg[i].first && page <= pages->seg[i].last)
			return pages->seg[i].count;
	return 0;
}

static void pages_put(struct ims_pages *p)
{
	IMS_ASSERT(p->users > 0, "pages object released twice");
	if (--p->users)
		return;
	IMS_ASSERT(p->pinned == 0, "pages object freed while pinned");
	free(p->seg);
	free(p);
}

/* ---- areas ---------------------------------------------------------------- */

static uint64_t area_first_page(const struct ims_area *a)
{
	return a->pgoff;
}

static uint64_t area_last_page(const struct ims_area *a)
{
	return a->pgoff + PAGES(a->last - a->iova);
}

/* Index of the first area whose last byte is at or after iova. */
static size_t area_lower_bound(const struct ims_ioas *ioas, uint64_t iova)
{
	size_t lo = 0, hi = ioas->nareas;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ioas->area[mid].last < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ims_area *ims_ioas_area_at(const struct ims_ioas *ioas, uint64_t iova)
{
	size_t i = area_lower_bound(ioas, iova);

	return i < ioas->nareas && ioas->area[i].iova <= iova ? &ioas->area[i] : NULL;
}

static int area_insert(struct ims_ioas *ioas, size_t at, const struct ims_area *a)
{
	if (ioas->nareas == ioas->area_cap) {
		size_t cap = ioas->area_cap ? 2 * ioas->area_cap : 8;
		struct ims_area *v = realloc(ioas->area, cap * sizeof(*v));

		if (!v)
			return -1;
		ioas->area = v;
		ioas->area_cap = cap;
	}
	memmove(&ioas->area[at + 1], &ioas->area[at], (ioas->nareas - at) * sizeof(*a));
	ioas->area[at] = *a;
	ioas->nareas++;
	return 0;
}

static void area_remove(struct ims_ioas *ioas, size_t at, size_t n)
{
	memmove(&ioas->area[at], &ioas->area[at + n],
		(ioas->nareas - at - n) * sizeof(ioas->area[0]));
	ioas->nareas -= n;
}

/* Split area i so that a new area starts at iova (inside it). Pin counts
 * are per page, so the two halves keep the pins the whole had. */
static int area_split(struct ims_sim *sim, struct ims_ioas *ioas, size_t i, uint64_t iova)
{
	struct ims_area tail = ioas->area[i];

	tail.iova = iova;
	tail.pgoff += PAGES(iova - ioas->area[i].iova);
	if (area_insert(ioas, i + 1, &tail))
		return -1;
	ioas->area[i].last = iova - 1;
	tail.pages->users++;
	IMS_STAT_INC(&sim->stats, areas_split);
	return 0;
}

/* Would an area boundary at x, inside area a, cut a leaf of an attached
 * domain? Fills write the maximal aligned blocks of a supported size that
 * fit in the area (in IOVA and PA alike), and areas are only ever split
 * between such blocks, so a leaf straddles x exactly when some supported
 * size s has an s-aligned block around x that lies inside a and whose PA
 * is s-aligned too. */
static unsigned leaf_cut_at(uint64_t pgsizes, const struct ims_area *a, uint64_t x)
{
	uint64_t delta = ims_area_pa(a, a->iova) - a->iova;

	for (unsigned lg2 = 63; lg2 > IMS_PAGE_LG2; lg2--) {
		uint64_t size = UINT64_C(1) << lg2, base = x & ~(size - 1);

		if (!(pgsizes & size) || base == x || !ims_is_aligned(delta, lg2))
			continue;
		if (base >= a->iova && base + size - 1 <= a->last)
			return lg2;
	}
	return 0;
}

/* ---- fill and unfill ---------------------------------------------------- */

/* iommufd fills an area with one iommu_map() per physically contiguous run
 * (pages.c, batch_to_domain), an area's run here, and iommu_map() ends with
 * the driver's iotlb_sync_map over what it mapped. Only a model whose
 * hardware may cache not-present entries needs that sync (VT-d CM=1). */
static void map_sync(struct ims_sim *sim, struct ims_domain *dom, const struct ims_gather *g)
{
	uint64_t t0 = sim->cpu_now;

	if (!sim->model->map_needs_sync(sim))
		return;
	ims_host_sync(sim, dom, g);
	IMS_STAT_INC(&sim->stats, map_syncs);
	IMS_STAT_ADD(&sim->stats, cyc_map_sync, sim->cpu_now - t0);
}

static int fill_range(struct ims_sim *sim, struct ims_ioas *ioas, struct ims_domain *dom,
		      struct ims_area *a, enum ims_fill_cause cause, struct ims_error *err)
{
	uint64_t pgsizes = sim->model->pgsize_bitmap(sim);
	uint64_t len = a->last - a->iova + 1, pa = ims_area_pa(a, a->iova), done = 0;
	unsigned prot = a->prot | ims_coh_prot(dom);
	struct ims_gather mapped;
	int rc = 0;

	ims_unmap_flush_before_map(sim, dom, a->iova, a->last);
	ims_gather_init(&mapped);
	mapped.map = true;
	ims_coh_before_fill(sim, ioas, a, dom, cause);
	while (done < len) {
		unsigned lg2 = ims_pick_page_lg2(pgsizes, a->iova + done, pa + done, len - done);

		rc = sim->model->map_page(sim, dom, a->iova + done, pa + done, lg2, prot, err);
		if (rc)
			break;
		ims_gather_add(&mapped, a->iova + done, UINT64_C(1) << lg2, lg2);
		done += UINT64_C(1) << lg2;
	}
	if (!rc && ims_range_set_add(&dom->mapped, a->iova, a->last))
		rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
	if (!rc)
		map_sync(sim, dom, &mapped);
	if (rc) {
		/* undo the part already written, so a failed fill leaves no trace */
		struct ims_gather g;

		ims_gather_init(&g);
		if (done && !sim->model->unmap(sim, dom, a->iova, done, &g, NULL))
			ims_host_sync(sim, dom, &g);
		if (done)
			ims_range_set_remove(&dom->mapped, a->iova, a->iova + done - 1);
	}
	return rc;
}

/* Unmap [iova, last] from one domain with one iommu_unmap(): one gather,
 * one sync, or under the lazy unmap-flush strategy a place in the domain's
 * flush queue (unmap_flush.h); undoing a failed fill always syncs. Pending
 * dirty truth is settled: counted missed, or returned in *written when the
 * caller reports the range. */
static void unfill_range(struct ims_sim *sim, struct ims_domain *dom, struct ims_area *a,
			 uint64_t iova, uint64_t last, uint64_t *written, bool undo)
{
	struct ims_error err = { 0 };
	struct ims_gather g;
	uint64_t pending;

	ims_gather_init(&g);
	if (!undo)
		ims_unmap_flush_begin(sim, dom);
	if (sim->model->unmap(sim, dom, iova, last - iova + 1, &g, &err))
		IMS_BUG(err.msg);   /* areas are whole leaves: checked before */
	if (undo)
		ims_host_sync(sim, dom, &g);
	else
		ims_unmap_flush_end(sim, dom, &g, iova, last);
	ims_coh_after_unfill(sim, a, iova, last, dom);
	ims_range_set_remove(&dom->mapped, iova, last);
	pending = ims_truth_take(&dom->truth, iova >> IMS_PAGE_LG2, PAGES(last - iova + 1));
	if (written)
		*written += pending;
	else
		IMS_STAT_ADD(&sim->stats, dirty_pages_missed, pending);
}

/* PFNs of pages already pinned are read back from where iommufd keeps them
 * (the storage domain), one software lookup per 4 KiB page. */
static void charge_pfn_reads(struct ims_sim *sim, uint64_t pages)
{
	ims_host_charge(sim, IMS_STAT_cyc_sw_map, pages * sim->costs.sw_pfn_read_cycles);
}

/* Make area a ready for DMA through the IOAS's domains: pin if not yet. */
static int area_pin(struct ims_sim *sim, struct ims_area *a, struct ims_error *err)
{
	int64_t fresh;

	if (a->pinned)
		return 0;
	fresh = pin_adjust(sim, a->pages, area_first_page(a), area_last_page(a), +1);
	if (fresh < 0)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	a->pinned = true;
	charge_pfn_reads(sim, PAGES(a->last - a->iova + 1) - (uint64_t)fresh);
	return 0;
}

static void area_unpin(struct ims_sim *sim, struct ims_area *a)
{
	if (!a->pinned)
		return;
	if (pin_adjust(sim, a->pages, area_first_page(a), area_last_page(a), -1) < 0)
		IMS_BUG("out of memory adjusting pin counts");
	a->pinned = false;
}

static int check_width(const struct ims_ioas *ioas, const char *op, uint64_t iova,
		       uint64_t len, struct ims_error *err)
{
	for (unsigned d = 0; d < ioas->ndom; d++) {
		int rc = ims_host_check_range(ioas->dom[d], op, iova, len, IMS_PAGE_LG2, err);

		if (rc)
			return rc;
	}
	return 0;
}

/* A new area (already in ioas->area[at]) goes live: pinned and written into
 * every domain, or, on failure, taken out again. */
static int area_publish(struct ims_sim *sim, struct ims_ioas *ioas, size_t at,
			struct ims_error *err)
{
	struct ims_area *a = &ioas->area[at];
	unsigned d = 0;
	int rc = 0;

	if (ioas->ndom && (rc = area_pin(sim, a, err)))
		goto undo;
	for (; d < ioas->ndom; d++) {
		if ((rc = fill_range(sim, ioas, ioas->dom[d], a,
				      d ? IMS_FILL_MAP_MORE : IMS_FILL_MAP, err)))
			goto undo;
		if (!a->storage)
			a->storage = ioas->dom[d];
	}
	return 0;
undo:
	while (d--)
		unfill_range(sim, ioas->dom[d], a, a->iova, a->last, NULL, true);
	area_unpin(sim, a);
	pages_put(a->pages);
	area_remove(ioas, at, 1);
	return rc;
}

/* ---- IOAS objects --------------------------------------------------------- */

static struct ims_ioas *ioas_new(const char *name)
{
	struct ims_ioas *ioas = calloc(1, sizeof(*ioas));

	if (ioas)
		snprintf(ioas->name, sizeof(ioas->name), "%s", name);
	return ioas;
}

int ims_ioas_create(struct ims_sim *sim, const char *name, struct ims_ioas **out,
		    struct ims_error *err)
{
	struct ims_ioas *ioas, **v;

	if (!name[0] || strlen(name) >= IMS_NAME_MAX)
		return ims_error_set(err, IMS_EINVAL, "IOAS name '%s' is empty or too long", name);
	for (unsigned i = 0; i < sim->nioas; i++)
		if (strcmp(sim->ioas[i]->name, name) == 0)
			return ims_error_set(err, IMS_EEXIST, "IOAS '%s' already exists", name);
	v = realloc(sim->ioas, (sim->nioas + 1) * sizeof(*v));
	if (!v)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	sim->ioas = v;
	if (!(ioas = ioas_new(name)))
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	ioas->index = sim->nioas;
	sim->ioas[sim->nioas++] = ioas;
	if (out)
		*out = ioas;
	return 0;
}

int ims_ioas_create_implicit(struct ims_sim *sim, struct ims_domain *dom,
			     struct ims_error *err)
{
	struct ims_ioas *ioas = ioas_new(dom->name);
	struct ims_domain **v = malloc(sizeof(*v));

	(void)sim;
	if (!ioas || !v) {
		free(ioas);
		free(v);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	ioas->index = UINT32_MAX;
	ioas->implicit = true;
	v[0] = dom;
	ioas->dom = v;
	ioas->ndom = 1;
	dom->ioas = dom->own_ioas = ioas;
	return 0;
}

void ims_ioas_free(struct ims_sim *sim, struct ims_ioas *ioas)
{
	(void)sim;
	if (!ioas)
		return;
	for (size_t i = 0; i < ioas->nareas; i++) {
		/* teardown, not an operation: drop pins without charging them */
		struct ims_pages *p = ioas->area[i].pages;

		p->pinned = 0;
		pages_put(p);
	}
	free(ioas->area);
	free(ioas->dom);
	free(ioas->pin);
	free(ioas);
}

/* ---- operations ----------------------------------------------------------- */

static int check_aligned(const char *op, uint64_t iova, uint64_t len, struct ims_error *err)
{
	if (!len)
		return ims_error_set(err, IMS_EINVAL, "%s: length is zero", op);
	if (!ims_is_aligned(iova | len, IMS_PAGE_LG2))
		return ims_error_set(err, IMS_EINVAL,
				     "%s: iova 0x%" PRIx64 " and length 0x%" PRIx64
				     " must be multiples of 4 KiB", op, iova, len);
	if (iova + len - 1 < iova)
		return ims_error_set(err, IMS_EINVAL, "%s: range wraps past 2^64", op);
	return 0;
}

/* [iova, last] must be covered by areas without a hole; returns the index
 * range [*i0, *i1] of the areas it touches. */
static int check_covered(const struct ims_ioas *ioas, const char *op, uint64_t iova,
			 uint64_t last, size_t *i0, size_t *i1, struct ims_error *err)
{
	size_t i = area_lower_bound(ioas, iova);
	uint64_t want = iova;

	*i0 = i;
	for (; i < ioas->nareas && ioas->area[i].iova <= last; i++) {
		if (ioas->area[i].iova > want)
			break;
		want = ioas->area[i].last + 1;
		if (ioas->area[i].last >= last)
			break;
	}
	if (i >= ioas->nareas || ioas->area[i].iova > want || ioas->area[i].last < last)
		return ims_error_set(err, IMS_ENOMAP,
				     "%s: [0x%" PRIx64 ", 0x%" PRIx64 "] is not fully mapped in "
				     "IOAS '%s' (0x%" PRIx64 " is not)", op, iova, last,
				     ioas->name, want);
	*i1 = i;
	return 0;
}

/* [iova, iova+len) must not overlap an area; *at is where a new area over
 * it goes. `what` starts the message ("map: "). */
static int check_free(const struct ims_ioas *ioas, const char *what, uint64_t iova,
		      uint64_t len, size_t *at, struct ims_error *err)
{
	const struct ims_area *a;

	*at = area_lower_bound(ioas, iova);
	if (*at == ioas->nareas || ioas->area[*at].iova > iova + len - 1)
		return 0;
	a = &ioas->area[*at];
	return ims_error_set(err, IMS_EEXIST,
			     "%s[0x%" PRIx64 ", 0x%" PRIx64 "] overlaps mapping [0x%" PRIx64
			     ", 0x%" PRIx64 "] in %s '%s'", what, iova, iova + len - 1, a->iova,
			     a->last, ioas->implicit ? "domain" : "IOAS", ioas->name);
}

int ims_ioas_map(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova, uint64_t len,
		 bool pa_given, uint64_t pa, unsigned prot, struct ims_error *err)
{
	struct ims_area a = { 0 };
	size_t at;
	int rc;

	if ((rc = check_aligned("map", iova, len, err)) ||
	    (rc = check_width(ioas, "map", iova, len, err)))
		return rc;
	if (pa_given && (!ims_is_aligned(pa, IMS_PAGE_LG2) || pa + len > IMS_PA_LIMIT ||
			 pa + len < pa))
		return ims_error_set(err, IMS_EINVAL,
				     "map: pa 0x%" PRIx64 " must be 4 KiB aligned and the range "
				     "below 2^%d", pa, IMS_PA_BITS);
	if (!(prot & (IMS_PROT_READ | IMS_PROT_WRITE)))
		return ims_error_set(err, IMS_EINVAL, "map: no access permitted (prot)");
	if ((rc = check_free(ioas, "map: ", iova, len, &at, err)))
		return rc;
	if (!pa_given && (rc = ims_host_alloc_data(sim, iova, len, &pa, err)))
		return rc;
	a.pages = calloc(1, sizeof(*a.pages));
	if (!a.pages)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	a.pages->id = sim->npages_objects++;
	a.pages->pa = pa;
	a.pages->npages = PAGES(len);
	a.pages->users = 1;
	a.iova = iova;
	a.last = iova + len - 1;
	a.prot = prot;
	if (area_insert(ioas, at, &a)) {
		free(a.pages);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	ims_host_begin(sim);
	rc = area_publish(sim, ioas, at, err);
	if (!rc) {
		IMS_STAT_INC(&sim->stats, map_calls);
		IMS_STAT_ADD(&sim->stats, map_bytes, len);
	}
	ims_host_end(sim);
	return rc;
}

static bool access_pinned(const struct ims_ioas *ioas, uint64_t iova, uint64_t last,
			  const struct ims_access_pin **hit)
{
	for (size_t i = 0; i < ioas->npins; i++)
		if (ioas->pin[i].iova <= last && ioas->pin[i].last >= iova) {
			*hit = &ioas->pin[i];
			return true;
		}
	return false;
}

static int check_split(struct ims_sim *sim, const struct ims_ioas *ioas,
		       const struct ims_area *a, uint64_t x, struct ims_error *err)
{
	unsigned lg2;

	if (!ioas->ndom || x <= a->iova || x > a->last)
		return 0;
	lg2 = leaf_cut_at(sim->model->pgsize_bitmap(sim), a, x);
	if (!lg2)
		return 0;
	return ims_error_set(err, IMS_EINVAL,
			     "unmap: splitting mapping [0x%" PRIx64 ", 0x%" PRIx64 "] at 0x%"
			     PRIx64 " would cut the %" PRIu64 " %s page at 0x%" PRIx64
			     " of its domains", a->iova, a->last, x,
			     UINT64_C(1) << (lg2 % 10), lg2 >= 30 ? "GiB" : lg2 >= 20 ? "MiB" : "KiB",
			     x & ~((UINT64_C(1) << lg2) - 1));
}

int ims_ioas_unmap(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova, uint64_t len,
		   struct ims_domain *reported, uint64_t *reported_written,
		   struct ims_error *err)
{
	const struct ims_access_pin *pin;
	uint64_t last = iova + len - 1;
	size_t i0, i1;
	int rc;

	if ((rc = check_aligned("unmap", iova, len, err)) ||
	    (rc = check_covered(ioas, "unmap", iova, last, &i0, &i1, err)) ||
	    (rc = check_split(sim, ioas, &ioas->area[i0], iova, err)) ||
	    (rc = check_split(sim, ioas, &ioas->area[i1], last + 1, err)))
		return rc;
	if (access_pinned(ioas, iova, last, &pin))
		return ims_error_set(err, IMS_EINVAL,
				     "unmap: [0x%" PRIx64 ", 0x%" PRIx64 "] is pinned by an access "
				     "([0x%" PRIx64 ", 0x%" PRIx64 "]); access-unpin it first",
				     iova, last, pin->iova, pin->last);
	if (ioas->area[i0].iova < iova) {
		if (area_split(sim, ioas, i0, iova))
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		i0++;
		i1++;
	}
	if (ioas->area[i1].last > last && area_split(sim, ioas, i1, last + 1))
		return ims_error_set(err, IMS_ENOMEM, "out of memory");

	ims_host_begin(sim);
	for (size_t i = i0; i <= i1; i++) {
		struct ims_area *a = &ioas->area[i];

		for (unsigned d = 0; d < ioas->ndom; d++)
			unfill_range(sim, ioas->dom[d], a, a->iova, a->last,
				     ioas->dom[d] == reported ? reported_written : NULL, false);
		area_unpin(sim, a);
		pages_put(a->pages);
	}
	area_remove(ioas, i0, i1 - i0 + 1);
	IMS_STAT_INC(&sim->stats, unmap_calls);
	IMS_STAT_ADD(&sim->stats, unmap_bytes, len);
	ims_host_end(sim);
	return 0;
}

int ims_ioas_copy(struct ims_sim *sim, struct ims_ioas *dst, uint64_t dst_iova,
		  struct ims_ioas *src, uint64_t src_iova, uint64_t len, unsigned prot,
		  struct ims_error *err)
{
	uint64_t src_last = src_iova + len - 1;
	size_t i0, i1, at;
	int rc;

	if ((rc = check_aligned("copy", src_iova, len, err)) ||
	    (rc = check_aligned("copy", dst_iova, len, err)) ||
	    (rc = check_covered(src, "copy", src_iova, src_last, &i0, &i1, err)) ||
	    (rc = check_width(dst, "copy", dst_iova, len, err)) ||
	    (rc = check_free(dst, "copy: destination ", dst_iova, len, &at, err)))
		return rc;
	ims_host_begin(sim);
	for (size_t i = i0; i <= i1; i++) {
		/* src and dst may be the same IOAS: take the source area's
		 * values before an insert moves it */
		struct ims_area s = src->area[i], a = { 0 };
		uint64_t lo = s.iova > src_iova ? s.iova : src_iova;
		uint64_t hi = s.last < src_last ? s.last : src_last;
		size_t where;

		a.iova = dst_iova + (lo - src_iova);
		a.last = dst_iova + (hi - src_iova);
		a.pages = s.pages;
		a.pgoff = s.pgoff + PAGES(lo - s.iova);
		a.prot = prot ? prot : s.prot;
		where = area_lower_bound(dst, a.iova);
		if (area_insert(dst, where, &a)) {
			rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
			break;
		}
		s.pages->users++;
		if ((rc = area_publish(sim, dst, where, err)))
			break;
		if (src == dst && where <= i) {
			/* the source areas moved up by one */
			i++;
			i1++;
		}
	}
	if (!rc) {
		IMS_STAT_INC(&sim->stats, ioas_copies);
		IMS_STAT_ADD(&sim->stats, map_bytes, len);
	}
	/* a failed copy keeps the areas already published: as iommufd, which
	 * unwinds; see the note in docs/design.md on partial failures */
	ims_host_end(sim);
	return rc;
}

int ims_ioas_attach_domain(struct ims_sim *sim, struct ims_ioas *ioas,
			   struct ims_domain *dom, struct ims_error *err)
{
	struct ims_domain **v;
	size_t i = 0;
	int rc = 0;

	if (dom->ioas)
		return ims_error_set(err, IMS_EEXIST, "domain '%s' is already attached to %s '%s'",
				     dom->name, dom->ioas->implicit ? "its own IOAS" : "IOAS",
				     dom->ioas->name);
	for (size_t k = 0; k < ioas->nareas; k++)
		if ((rc = ims_host_check_range(dom, "attach", ioas->area[k].iova,
					       ioas->area[k].last - ioas->area[k].iova + 1,
					       IMS_PAGE_LG2, err)))
			return rc;
	v = realloc(ioas->dom, (ioas->ndom + 1) * sizeof(*v));
	if (!v)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	ioas->dom = v;
	ims_host_begin(sim);
	for (; i < ioas->nareas; i++) {
		struct ims_area *a = &ioas->area[i];
		bool was_pinned = a->pinned;

		if ((rc = area_pin(sim, a, err)))
			break;
		if (was_pinned)
			charge_pfn_reads(sim, PAGES(a->last - a->iova + 1));
		if ((rc = fill_range(sim, ioas, dom, a, IMS_FILL_ATTACH, err))) {
			if (!ioas->ndom)
				area_unpin(sim, a);
			break;
		}
		if (!a->storage)
			a->storage = dom;
	}
	if (rc) {
		while (i--) {
			unfill_range(sim, dom, &ioas->area[i], ioas->area[i].iova,
				     ioas->area[i].last, NULL, true);
			if (ioas->area[i].storage == dom)
				ioas->area[i].storage = NULL;
			if (!ioas->ndom)
				area_unpin(sim, &ioas->area[i]);
		}
	} else {
		ioas->dom[ioas->ndom++] = dom;
		dom->ioas = ioas;
		IMS_STAT_INC(&sim->stats, domain_fills);
	}
	ims_host_end(sim);
	return rc;
}

int ims_ioas_detach_domain(struct ims_sim *sim, struct ims_domain *dom,
			   struct ims_error *err)
{
	struct ims_ioas *ioas = dom->ioas;
	unsigned d = 0;

	if (!ioas)
		return ims_error_set(err, IMS_EINVAL, "domain '%s' is not attached to an IOAS",
				     dom->name);
	while (ioas->dom[d] != dom)
		d++;
	memmove(&ioas->dom[d], &ioas->dom[d + 1], (ioas->ndom - d - 1) * sizeof(ioas->dom[0]));
	ioas->ndom--;
	ims_host_begin(sim);
	for (size_t i = 0; i < ioas->nareas; i++) {
		struct ims_area *a = &ioas->area[i];

		unfill_range(sim, dom, a, a->iova, a->last, NULL, false);
		if (a->storage == dom)
			a->storage = ioas->ndom ? ioas->dom[0] : NULL;
		if (!ioas->ndom)
			area_unpin(sim, a);
	}
	/* what the unfill queued is flushed before the domain leaves */
	ims_unmap_flush_detach(sim, dom);
	dom->ioas = NULL;
	IMS_STAT_INC(&sim->stats, domain_unfills);
	ims_host_end(sim);
	return 0;
}

/* An access pins (+1) or unpins (-1) the pages behind [iova, last], which
 * areas i0..i1 cover. Pages another user pinned already are read back
 * rather than pinned again. */
static void access_adjust(struct ims_sim *sim, struct ims_ioas *ioas, size_t i0, size_t i1,
			  uint64_t iova, uint64_t last, int delta)
{
	for (size_t i = i0; i <= i1; i++) {
		struct ims_area *a = &ioas->area[i];
		uint64_t lo = a->iova > iova ? a->iova : iova, hi = a->last < last ? a->last : last;
		uint64_t first = a->pgoff + PAGES(lo - a->iova);
		int64_t fresh = pin_adjust(sim, a->pages, first, first + PAGES(hi - lo), delta);

		IMS_ASSERT(fresh >= 0, "out of memory adjusting pin counts");
		if (delta > 0)
			charge_pfn_reads(sim, PAGES(hi - lo + 1) - (uint64_t)fresh);
	}
}

int ims_ioas_access_pin(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			uint64_t len, struct ims_error *err)
{
	uint64_t last = iova + len - 1;
	size_t i0, i1;
	int rc;

	if ((rc = check_aligned("access-pin", iova, len, err)) ||
	    (rc = check_covered(ioas, "access-pin", iova, last, &i0, &i1, err)))
		return rc;
	if (ioas->npins == ioas->pin_cap) {
		size_t cap = ioas->pin_cap ? 2 * ioas->pin_cap : 4;
		struct ims_access_pin *v = realloc(ioas->pin, cap * sizeof(*v));

		if (!v)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		ioas->pin = v;
		ioas->pin_cap = cap;
	}
	ims_host_begin(sim);
	access_adjust(sim, ioas, i0, i1, iova, last, +1);
	ioas->pin[ioas->npins++] = (struct ims_access_pin){ iova, last };
	IMS_STAT_INC(&sim->stats, access_pins);
	ims_host_end(sim);
	return 0;
}

int ims_ioas_access_unpin(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			  uint64_t len, struct ims_error *err)
{
	uint64_t last = iova + len - 1;
	size_t p = 0, i0, i1;

	while (p < ioas->npins && (ioas->pin[p].iova != iova || ioas->pin[p].last != last))
		p++;
	if (p == ioas->npins)
		return ims_error_set(err, IMS_ENOMAP,
				     "access-unpin: no access pin of exactly [0x%" PRIx64 ", 0x%"
				     PRIx64 "] in IOAS '%s'", iova, last, ioas->name);
	/* areas under a pin cannot be unmapped, so they are all still there */
	if (check_covered(ioas, "access-unpin", iova, last, &i0, &i1, err))
		IMS_BUG("areas under an access pin disappeared");
	ims_host_begin(sim);
	access_adjust(sim, ioas, i0, i1, iova, last, -1);
	ioas->pin[p] = ioas->pin[--ioas->npins];
	ims_host_end(sim);
	return 0;
}

int ims_ioas_cpu_access(struct ims_sim *sim, struct ims_ioas *ioas, uint64_t iova,
			uint64_t len, bool write, struct ims_error *err)
{
	const char *op = write ? "cpu-write" : "cpu-read";
	uint64_t last = iova + len - 1;
	size_t i0, i1;
	int rc;

	if (!len || last < iova)
		return ims_error_set(err, IMS_EINVAL, "%s: empty range or one that wraps past 2^64",
				     op);
	if ((rc = check_covered(ioas, op, iova, last, &i0, &i1, err)))
		return rc;
	for (size_t i = i0; i <= i1 && !rc; i++) {
		const struct ims_area *a = &ioas->area[i];
		uint64_t lo = a->iova > iova ? a->iova : iova, hi = a->last < last ? a->last : last;

		rc = ims_coh_cpu_access(sim, ims_area_pa(a, lo), hi - lo + 1, write, err);
	}
	return rc;
}
