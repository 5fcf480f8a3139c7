/* Host-side operations (what Linux iommufd does to an I/O page table) and
 * the DMA path that devices drive through the IOMMU. */
#include "sim/host/host.h"

#include <stdlib.h>
#include <string.h>

#include "sim/host/coherency.h"
#include "sim/host/host_internal.h"
#include "sim/host/ioas.h"

static int check_name(const char *name, struct ims_error *err)
{
	if (!name[0] || strlen(name) >= IMS_NAME_MAX)
		return ims_error_set(err, IMS_EINVAL, "name '%s' is empty or longer than %d",
				     name, IMS_NAME_MAX - 1);
	return 0;
}

int ims_host_device_create(struct ims_sim *sim, const char *name, uint16_t sid,
			   struct ims_device **out, struct ims_error *err)
{
	struct ims_device *dev, **v;
	int rc;

	if ((rc = check_name(name, err)))
		return rc;
	for (unsigned i = 0; i < sim->ndevices; i++)
		if (strcmp(sim->devices[i]->name, name) == 0)
			return ims_error_set(err, IMS_EEXIST, "device '%s' already exists", name);
	v = realloc(sim->devices, (sim->ndevices + 1) * sizeof(*v));
	dev = calloc(1, sizeof(*dev));
	if (!v || !dev) {
		free(dev);
		if (v)
			sim->devices = v;
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	sim->devices = v;
	if (ims_dma_engine_init(&dev->dma, &sim->dma_cfg)) {
		free(dev);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	dev->index = sim->ndevices;
	strcpy(dev->name, name);
	dev->sid = sid;
	sim->devices[sim->ndevices++] = dev;
	if (out)
		*out = dev;
	return 0;
}

int ims_host_domain_create(struct ims_sim *sim, const char *name, unsigned iova_bits,
			   struct ims_domain **out, struct ims_error *err)
{
	return ims_host_domain_create_in(sim, name, iova_bits, NULL, false, out, err);
}

int ims_host_domain_create_in(struct ims_sim *sim, const char *name, unsigned iova_bits,
			      struct ims_ioas *ioas, bool noncoherent, struct ims_domain **out,
			      struct ims_error *err)
{
	struct ims_domain *dom, **v;
	int rc;

	if ((rc = check_name(name, err)))
		return rc;
	for (unsigned i = 0; i < sim->ndomains; i++)
		if (strcmp(sim->domains[i]->name, name) == 0)
			return ims_error_set(err, IMS_EEXIST, "domain '%s' already exists", name);
	if (sim->ndomains >= UINT16_MAX)
		return ims_error_set(err, IMS_EINVAL, "too many domains (domain ids are 16 bits)");
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	dom->index = sim->ndomains;
	strcpy(dom->name, name);
	dom->did = (uint16_t)(sim->ndomains + 1);   /* DID 0 is reserved on VT-d */
	dom->tlb_tag = dom->did;
	dom->wp_start = 1;
	dom->wp_last = 0;
	dom->iova_bits = iova_bits;
	ims_range_set_init(&dom->mapped);
	ims_truth_init(&dom->truth);
	if ((rc = ims_coh_domain_init(sim, dom, noncoherent, err)) ||
	    (rc = sim->model->domain_init(sim, dom, err))) {
		ims_range_set_fini(&dom->mapped);
		free(dom);
		return rc;
	}
	v = realloc(sim->domains, (sim->ndomains + 1) * sizeof(*v));
	if (v)
		sim->domains = v;
	rc = !v ? ims_error_set(err, IMS_ENOMEM, "out of memory")
		: ioas ? ims_ioas_attach_domain(sim, ioas, dom, err)
		       : ims_ioas_create_implicit(sim, dom, err);
	if (rc) {
		sim->model->domain_fini(sim, dom);
		ims_range_set_fini(&dom->mapped);
		free(dom);
		return rc;
	}
	sim->domains[sim->ndomains++] = dom;
	if (out)
		*out = dom;
	return 0;
}

int ims_host_attach(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		    struct ims_error *err)
{
	int rc;

	if (dev->domain)
		return ims_error_set(err, IMS_EEXIST, "device '%s' is already attached to '%s'",
				     dev->name, dev->domain->name);
	ims_host_begin(sim);
	rc = sim->model->attach(sim, dev, dom, err);
	if (!rc)
		dev->domain = dom;
	if (!rc && sim->check.on)
		ims_check_iotlb(sim, dom, 0, UINT64_MAX);
	ims_host_end(sim);
	return rc;
}

static int check_page_size(const char *op, unsigned page_lg2, struct ims_error *err)
{
	if (page_lg2 < IMS_PAGE_LG2 || page_lg2 > IMS_GIB_LG2)
		return ims_error_set(err, IMS_EINVAL,
				     "%s: page size 2^%u is not between 4 KiB and 1 GiB", op, page_lg2);
	return 0;
}

int ims_host_check_range(const struct ims_domain *dom, const char *op, uint64_t iova,
			 uint64_t len, unsigned align_lg2, struct ims_error *err)
{
	uint64_t limit = UINT64_C(1) << dom->iova_bits;

	if (!len)
		return ims_error_set(err, IMS_EINVAL, "%s: length is zero", op);
	if (!ims_is_aligned(iova, align_lg2) || !ims_is_aligned(len, align_lg2))
		return ims_error_set(err, IMS_EINVAL,
			"%s: iova 0x%llx and length 0x%llx must be multiples of 0x%llx",
			op, (unsigned long long)iova, (unsigned long long)len,
			(unsigned long long)(UINT64_C(1) << align_lg2));
	if (iova >= limit || len > limit - iova)
		return ims_error_set(err, IMS_EINVAL,
			"%s: [0x%llx, +0x%llx) exceeds the %u-bit IOVA space of domain '%s'",
			op, (unsigned long long)iova, (unsigned long long)len,
			dom->iova_bits, dom->name);
	return 0;
}

int ims_host_alloc_data(struct ims_sim *sim, uint64_t iova, uint64_t len, uint64_t *out,
			struct ims_error *err)
{
	unsigned align = iova ? (unsigned)__builtin_ctzll(iova) : IMS_GIB_LG2;
	uint64_t mask, pa;

	if (align > IMS_GIB_LG2)
		align = IMS_GIB_LG2;
	mask = (UINT64_C(1) << align) - 1;
	pa = (sim->data_pa_next + mask) & ~mask;
	if (pa + len > IMS_PA_TABLE_BASE || pa + len < pa)
		return ims_error_set(err, IMS_ENOMEM,
				     "out of simulated host memory for 0x%llx bytes",
				     (unsigned long long)len);
	sim->data_pa_next = pa + len;
	*out = pa;
	return 0;
}

static int domain_ioas(const struct ims_domain *dom, const char *op, struct ims_error *err)
{
	if (!dom->ioas)
		return ims_error_set(err, IMS_EINVAL,
				     "%s: domain '%s' is not attached to an IOAS", op, dom->name);
	return 0;
}

int ims_host_map(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		 bool pa_given, uint64_t pa, unsigned prot, struct ims_error *err)
{
	int rc = domain_ioas(dom, "map", err);

	if (!rc)
		rc = ims_host_check_range(dom, "map", iova, len, IMS_PAGE_LG2, err);
	return rc ? rc : ims_ioas_map(sim, dom->ioas, iova, len, pa_given, pa, prot, err);
}

static int check_mapped(const struct ims_domain *dom, const char *op, uint64_t iova,
			uint64_t len, struct ims_error *err)
{
	uint64_t gap;

	if (ims_range_set_first_gap(&dom->mapped, iova, iova + len - 1, &gap))
		return ims_error_set(err, IMS_ENOMAP,
			"%s: [0x%llx, 0x%llx] is not fully mapped in domain '%s' (0x%llx is not)",
			op, (unsigned long long)iova, (unsigned long long)(iova + len - 1),
			dom->name, (unsigned long long)gap);
	return 0;
}

/* Unmap through the domain's IOAS (every domain attached to it loses the
 * range). Writes pending in the dirty ground truth of `reported` are
 * returned in *written for the caller to report; everyone else's are lost. */
static int unmap_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		       struct ims_domain *reported, uint64_t *written, struct ims_error *err)
{
	int rc;

	if ((rc = domain_ioas(dom, "unmap", err)) ||
	    (rc = ims_host_check_range(dom, "unmap", iova, len, IMS_PAGE_LG2, err)))
		return rc;
	return ims_ioas_unmap(sim, dom->ioas, iova, len, reported, written, err);
}

int ims_host_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova, uint64_t len,
		   struct ims_error *err)
{
	return unmap_range(sim, dom, iova, len, NULL, NULL, err);
}

int ims_host_unmap_all_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			     uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	uint64_t pages = len >> IMS_PAGE_LG2, written = 0;
	int rc;

	if (!dom->dirty_tracking)
		return ims_error_set(err, IMS_EINVAL,
				     "dirty-unmap: dirty tracking is off in domain '%s'", dom->name);
	if ((rc = check_page_size("dirty-unmap", page_lg2, err)) ||
	    (rc = ims_host_check_range(dom, "dirty-unmap", iova, len, page_lg2, err)) ||
	    (rc = unmap_range(sim, dom, iova, len, dom, &written, err)))
		return rc;
	/* every page is reported, so nothing written can be missed; what was
	 * not written is copied for nothing */
	IMS_STAT_ADD(&sim->stats, dirty_pages_reported, pages);
	IMS_STAT_ADD(&sim->stats, dirty_pages_spurious, pages - written);
	ims_host_charge(sim, IMS_STAT_cyc_sw_dirty_walk,
			(len >> page_lg2) * sim->costs.sw_bitmap_record_cycles);
	ims_host_end(sim);
	return 0;
}

int ims_host_wrprotect_unmap(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			     uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	struct ims_gather g;
	int rc;

	if (!sim->model->write_protect)
		return ims_error_set(err, IMS_ENOTSUP,
				     "wrprotect+unmap: model %s cannot write-protect",
				     sim->model->name);
	if ((rc = check_page_size("dirty-unmap", page_lg2, err)) ||
	    (rc = ims_host_check_range(dom, "dirty-unmap", iova, len, page_lg2, err)) ||
	    (rc = check_mapped(dom, "dirty-unmap", iova, len, err)))
		return rc;
	if (!dom->dirty_tracking)
		return ims_error_set(err, IMS_EINVAL,
				     "dirty-unmap: dirty tracking is off in domain '%s'", dom->name);
	ims_host_begin(sim);
	ims_gather_init(&g);
	dom->wp_start = iova;
	dom->wp_last = iova + len - 1;
	rc = sim->model->write_protect(sim, dom, iova, len, &g, err);
	if (!rc) {
		/* after this sync no write can land: the read below is final */
		ims_host_sync(sim, dom, &g);
		rc = ims_host_read_dirty(sim, dom, iova, len, page_lg2, IMS_DIRTY_NO_CLEAR,
					 NULL, err);
	}
	if (!rc)
		rc = ims_host_unmap(sim, dom, iova, len, err);
	dom->wp_start = 1;
	dom->wp_last = 0;
	ims_host_end(sim);
	return rc;
}

int ims_host_set_dirty_tracking(struct ims_sim *sim, struct ims_domain *dom, bool on,
				struct ims_error *err)
{
	int rc;

	if (dom->dirty_tracking == on)
		return 0;
	ims_host_begin(sim);
	if (on) {
		/* As iommufd does before enabling: start from clean PTEs, so bits
		 * left from an earlier tracking period are not reported. */
		struct ims_gather g;

		ims_gather_init(&g);
		g.dirty_clear = true;
		for (size_t i = 0; i < dom->mapped.n; i++) {
			const struct ims_range *r = &dom->mapped.r[i];

			rc = sim->model->read_dirty(sim, dom, r->start, r->last - r->start + 1,
						    0, NULL, &g, err);
			if (rc)
				goto out;
		}
		ims_host_sync(sim, dom, &g);
	}
	rc = sim->model->set_dirty_tracking(sim, dom, on, err);
	if (!rc) {
		/* switching off forgets the dirty state: writes not reported by
		 * now never will be */
		if (!on)
			IMS_STAT_ADD(&sim->stats, dirty_pages_missed, dom->truth.pages_set);
		dom->dirty_tracking = on;
		ims_truth_fini(&dom->truth);
		ims_truth_init(&dom->truth);
		/* the switch ends with its own sync: nothing cached may
		 * outlive it that the new mode would not cache */
		if (sim->check.on)
			ims_check_iotlb(sim, dom, 0, UINT64_MAX);
	}
out:
	ims_host_end(sim);
	return rc;
}

/* After the read returns: count what it reported and retire the ground
 * truth of every reported granule. The VMM copies those pages after this
 * point, so writes that raced with the walk after their page was scanned are
 * covered by the copy, however the D bits ended up. With or without
 * NO_CLEAR: either way the pages are copied now, and reporting them again
 * without a new write copies them for nothing (spurious). */
static void settle_report(struct ims_sim *sim, struct ims_domain *dom,
			  const struct ims_dirty_bitmap *bm)
{
	uint64_t pages_per_bit = UINT64_C(1) << (bm->page_lg2 - IMS_PAGE_LG2);
	uint64_t first = bm->iova >> IMS_PAGE_LG2;

	/* a word at a time: a large scan's bitmap is mostly zero words */
	for (uint64_t w = 0; w < (bm->nbits + 63) / 64; w++) {
		for (uint64_t m = bm->bits[w]; m; m &= m - 1) {
			uint64_t b = 64 * w + (uint64_t)__builtin_ctzll(m);

			IMS_STAT_ADD(&sim->stats, dirty_pages_reported, pages_per_bit);
			ims_truth_clear(&dom->truth, first + b * pages_per_bit, pages_per_bit);
		}
	}
}

static int bitmap_alloc(struct ims_dirty_bitmap *bm, struct ims_domain *dom, uint64_t iova,
			uint64_t len, unsigned page_lg2, struct ims_error *err)
{
	memset(bm, 0, sizeof(*bm));
	bm->iova = iova;
	bm->len = len;
	bm->page_lg2 = page_lg2;
	bm->nbits = len >> page_lg2;
	bm->score = dom;
	bm->bits = calloc((bm->nbits + 63) / 64, sizeof(uint64_t));
	if (!bm->bits)
		return ims_error_set(err, IMS_ENOMEM, "out of memory for a %llu-bit bitmap",
				     (unsigned long long)bm->nbits);
	return 0;
}

int ims_host_dirty_round(struct ims_sim *sim, struct ims_domain *dom, unsigned page_lg2,
			 bool flush, struct ims_error *err)
{
	struct ims_dirty_bitmap *bms;
	struct ims_gather g;
	size_t n = dom->mapped.n, done = 0;
	int rc = 0;

	if (!dom->dirty_tracking)
		return ims_error_set(err, IMS_EINVAL,
				     "dirty-sync round: dirty tracking is off in domain '%s'",
				     dom->name);
	if ((rc = check_page_size("dirty-sync round", page_lg2, err)))
		return rc;
	bms = calloc(n ? n : 1, sizeof(*bms));
	if (!bms)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	ims_host_begin(sim);
	ims_gather_init(&g);
	g.dirty_clear = true;
	for (; done < n && !rc; done++) {
		uint64_t start = dom->mapped.r[done].start, len = dom->mapped.r[done].last - start + 1;

		if (!ims_is_aligned(start | len, page_lg2))
			rc = ims_error_set(err, IMS_EINVAL,
				"dirty-sync round: mapping [0x%llx, +0x%llx) is not made of "
				"2^%u-byte pages", (unsigned long long)start,
				(unsigned long long)len, page_lg2);
		else if (!(rc = bitmap_alloc(&bms[done], dom, start, len, page_lg2, err)))
			rc = sim->model->read_dirty(sim, dom, start, len, 0, &bms[done], &g, err);
	}
	if (!rc) {
		if (flush)
			ims_host_sync(sim, dom, &g);
		for (size_t i = 0; i < n; i++)
			settle_report(sim, dom, &bms[i]);
		IMS_STAT_INC(&sim->stats, dirty_sync_rounds);
		IMS_STAT_ADD(&sim->stats, dirty_reads, n);
	}
	for (size_t i = 0; i < n; i++)
		free(bms[i].bits);
	free(bms);
	ims_host_end(sim);
	return rc;
}

int ims_host_read_dirty(struct ims_sim *sim, struct ims_domain *dom, uint64_t iova,
			uint64_t len, unsigned page_lg2, unsigned flags,
			struct ims_dirty_bitmap *bm_out, struct ims_error *err)
{
	struct ims_dirty_bitmap bm;
	struct ims_gather g;
	int rc;

	if ((rc = check_page_size("get-dirty", page_lg2, err)) ||
	    (rc = ims_host_check_range(dom, "get-dirty", iova, len, page_lg2, err)) ||
	    (rc = check_mapped(dom, "get-dirty", iova, len, err)))
		return rc;
	if (!dom->dirty_tracking)
		return ims_error_set(err, IMS_EINVAL,
				     "get-dirty: dirty tracking is off in domain '%s'", dom->name);
	if ((rc = bitmap_alloc(&bm, dom, iova, len, page_lg2, err)))
		return rc;

	ims_host_begin(sim);
	ims_gather_init(&g);
	g.dirty_clear = true;
	rc = sim->model->read_dirty(sim, dom, iova, len, flags, &bm, &g, err);
	if (!rc) {
		IMS_STAT_INC(&sim->stats, dirty_reads);
		if (flags & IMS_DIRTY_NO_CLEAR)
			IMS_STAT_INC(&sim->stats, dirty_reads_no_clear);
		else
			ims_host_sync(sim, dom, &g);   /* as iommufd: even if nothing was dirty */
		settle_report(sim, dom, &bm);
	}
	ims_host_end(sim);
	if (bm_out && !rc)
		*bm_out = bm;
	else
		free(bm.bits);
	return rc;
}

/* ---- DMA ------------------------------------------------------------------ */

static void record_fault(struct ims_sim *sim, const struct ims_device *dev, uint64_t iova,
			 bool write, const struct ims_walk *w)
{
	static const enum ims_stat_id kind_stat[] = {
		[IMS_FAULT_NOT_PRESENT] = IMS_STAT_fault_not_present,
		[IMS_FAULT_PERM] = IMS_STAT_fault_perm,
		[IMS_FAULT_ADDR] = IMS_STAT_fault_addr,
		[IMS_FAULT_NO_DOMAIN] = IMS_STAT_fault_no_domain,
	};

	IMS_STAT_INC(&sim->stats, faults);
	sim->stats.v[kind_stat[w->fault]]++;
	if (write && w->fault == IMS_FAULT_PERM && dev->domain &&
	    iova >= dev->domain->wp_start && iova <= dev->domain->wp_last)
		IMS_STAT_INC(&sim->stats, dirty_dma_discarded);
	if (sim->nfaults_logged < IMS_FAULT_LOG) {
		struct ims_fault_record *f = &sim->faults[sim->nfaults_logged++];

		f->time = sim->now;
		f->iova = iova;
		f->device = dev->index;
		f->kind = (uint8_t)w->fault;
		f->write = write;
		f->level = w->fault_level;
		f->pte_pa = w->fault_pte_pa;
		f->host_busy_until = sim->cpu_now > sim->now ? sim->cpu_now : 0;
	}
}

/* A translation as a DMA uses it: the page's output address and size, and
 * the IMS_TLB_* flags of the entry it came from. */
struct xlate {
	uint64_t pa;
	unsigned page_lg2;
	unsigned flags;
};

/* The IOTLB missed (e: an entry without the rights needed, or NULL): walk
 * into *w, fill. Returns false if the walk faulted. Inline for dma_one_walk,
 * where e is NULL. */
static inline bool walk_fill(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			     uint64_t iova, bool write, struct ims_iotlb_entry *e,
			     struct ims_walk *w)
{
	uint64_t lat = sim->costs.iotlb_hit_ns;

	if (e && write && (e->flags & IMS_TLB_W))
		IMS_STAT_INC(&sim->stats, iotlb_dirty_rewalk);
	IMS_STAT_INC(&sim->stats, iotlb_miss);
	sim->model->walk(sim, dev, dom, iova, write ? IMS_ACCESS_WRITE : IMS_ACCESS_READ, w);
	lat += w->cycles;
	IMS_STAT_ADD(&sim->stats, cyc_walk, w->cycles);
	/* a refill the flush caused; a walk that faults (the page is gone)
	 * refills nothing, but the ghost is spent either way */
	if (!e && ims_iotlb_ghost_take(&sim->iotlb, dom->tlb_tag, iova) &&
	    w->fault == IMS_FAULT_NONE) {
		IMS_STAT_INC(&sim->stats, iotlb_refill_after_inv);
		IMS_STAT_ADD(&sim->stats, cyc_refill_after_inv, w->cycles);
	}
	IMS_STAT_ADD(&sim->stats, cyc_dma_translation, lat);
	ims_lat_hist_add(&sim->lat_hist, lat);
	if (w->fault != IMS_FAULT_NONE) {
		if (e)
			ims_iotlb_drop(&sim->iotlb, e);
		return false;
	}
	IMS_STAT_INC(&sim->stats, iotlb_fill);
	/* without e the lookup found no entry of the page, and a walk fills
	 * nothing */
	if (e ? ims_iotlb_fill(&sim->iotlb, dom->tlb_tag, iova, w->page_lg2, w->pa, w->tlb_flags)
	      : ims_iotlb_fill_absent(&sim->iotlb, dom->tlb_tag, iova, w->page_lg2, w->pa,
				      w->tlb_flags))
		IMS_STAT_INC(&sim->stats, iotlb_evict);
	return true;
}

/* walk_fill for the general path, giving the translation in *x. Out of
 * line so that the hit path keeps its registers. */
static __attribute__((noinline)) bool translate_walk(struct ims_sim *sim, struct ims_device *dev,
						     struct ims_domain *dom, uint64_t iova, bool write,
						     struct ims_iotlb_entry *e, struct xlate *x,
						     struct ims_walk *w)
{
	if (!walk_fill(sim, dev, dom, iova, write, e, w))
		return false;
	*x = (struct xlate){ .pa = w->pa, .page_lg2 = w->page_lg2, .flags = w->tlb_flags };
	return true;
}

/* The bookkeeping of an IOTLB hit, for both DMA paths. */
static inline void count_hit(struct ims_sim *sim)
{
	IMS_STAT_INC(&sim->stats, translations);
	IMS_STAT_INC(&sim->stats, iotlb_hit);
	IMS_STAT_ADD(&sim->stats, cyc_dma_translation, sim->costs.iotlb_hit_ns);
	sim->lat_hist.count[sim->iotlb_hit_lat_bucket]++;
}

/* The IOTLB rights a DMA needs: a write also needs the entry to hold the
 * dirty state, else the walk must set the D bit. */
static inline unsigned tlb_need(bool write)
{
	return write ? (IMS_TLB_W | IMS_TLB_DIRTY) : IMS_TLB_R;
}

/* Translate one chunk, whose IOTLB lookup gave e. Returns false on a fault
 * (filled into *w). *walked says whether the IOTLB missed, so that
 * w->cycles is the walk's time. */
static inline bool translate(struct ims_sim *sim, struct ims_device *dev,
			     struct ims_domain *dom, struct ims_iotlb_entry *e, uint64_t iova,
			     bool write, struct xlate *x, bool *walked, struct ims_walk *w)
{
	*walked = !e || (e->flags & tlb_need(write)) != tlb_need(write);
	if (*walked) {
		IMS_STAT_INC(&sim->stats, translations);
		return translate_walk(sim, dev, dom, iova, write, e, x, w);
	}
	count_hit(sim);
	*x = (struct xlate){ .pa = e->pa, .page_lg2 = e->page_lg2, .flags = e->flags };
	return true;
}

/* When the translation of a chunk is usable by its first request, which
 * reaches the IOMMU at t: at once after an IOTLB hit, unless a walk for the
 * same page is still in flight; after a walk, once a walk slot was free and
 * the walk ran (sim/device_dma.h, models/common/walk_slots.h). */
static uint64_t chunk_xlate_done(struct ims_sim *sim, const struct ims_domain *dom,
				 uint64_t iova, uint64_t t, bool walked, const struct ims_walk *w)
{
	uint64_t hit = sim->costs.iotlb_hit_ns, start, until;

	if (walked) {
		start = ims_walk_slots_run(&sim->walk_slots, t, w->cycles, dom->tlb_tag, iova,
					   w->fault == IMS_FAULT_NONE ? w->page_lg2 : 0);
		IMS_STAT_ADD(&sim->stats, cyc_walk_slot_wait, start - t);
		return start + hit + w->cycles;
	}
	until = ims_walk_slots_inflight(&sim->walk_slots, t, dom->tlb_tag, iova);
	if (!until)
		return t + hit;
	IMS_STAT_INC(&sim->stats, iotlb_hit_under_miss);
	IMS_STAT_ADD(&sim->stats, cyc_hit_under_miss, until - t);
	return until + hit;
}

/* What time_chunk needs to know about a chunk besides its bounds. */
struct chunk_timing {
	uint64_t ready;          /* the DMA's trace time */
	bool walked;
	const struct ims_walk *w;
	bool faulted;            /* the chunk's only request is aborted */
	bool atc_hit;            /* ATS: the device's ATC held the translation */
	bool ats_request;        /* ATS: it asked the IOMMU (a translation request) */
};

/* When the first request of a chunk, issued at t, has its translation:
 * from the device's ATC; after an ATS translation request (a round trip to
 * the IOMMU, which translates as for any request); or at the IOMMU. */
static uint64_t chunk_xlate(struct ims_sim *sim, const struct ims_device *dev,
			    const struct ims_domain *dom, uint64_t iova, uint64_t t,
			    const struct chunk_timing *ct)
{
	uint64_t there = dev->dma.rtt / 2, done;

	if (ct->atc_hit)
		return t + sim->costs.ats_hit_ns;
	if (!ct->ats_request)
		return chunk_xlate_done(sim, dom, iova, t, ct->walked, ct->w);
	done = chunk_xlate_done(sim, dom, iova, t + there, ct->walked, ct->w) +
	       (dev->dma.rtt - there);
	IMS_STAT_ADD(&sim->stats, cyc_ats_translation, done - t);
	return done;
}

/* One request issued at `issue` (ready at `ready`) whose translation is
 * done at xlate: its round trip and its data on the link. Returns when it
 * completes. */
static inline uint64_t time_request(struct ims_sim *sim, struct ims_dma_engine *e, uint64_t ready,
				    uint64_t issue, uint64_t xlate, uint64_t bytes)
{
	uint64_t data = xlate + e->rtt, link = ims_dma_engine_link(e, bytes);
	uint64_t done = ims_dma_engine_complete(e, data, link, issue + e->rtt);

	IMS_STAT_ADD(&sim->stats, cyc_dma_tag_wait, issue - ready);
	IMS_STAT_ADD(&sim->stats, cyc_dma_link_wait, done - link - data);
	IMS_STAT_INC(&sim->stats, dma_requests);
	IMS_STAT_ADD(&sim->stats, cyc_dma_request, done - issue);
	ims_fine_hist_add(&sim->req_hist, done - issue);
	return done;
}

/* A chunk's requests after its first, [cur, end): they hit the
 * translation the first waited for, once it is done (at xlate). `last`:
 * when the first completes. Returns when the last of all completes. */
static uint64_t time_more_requests(struct ims_sim *sim, struct ims_dma_engine *e,
				   uint64_t ready, uint64_t cur, uint64_t end, uint64_t xlate,
				   uint64_t hit, uint64_t last)
{
	while (cur < end) {
		/* written so that nothing wraps at the top of the space */
		uint64_t req_end = (cur | e->req_mask) < end - 1 ? (cur | e->req_mask) + 1 : end;
		uint64_t issue = ims_dma_engine_issue(e, ready);
		uint64_t done = time_request(sim, e, ready, issue,
					     issue + hit > xlate ? issue + hit : xlate, req_end - cur);

		if (done > last)
			last = done;
		cur = req_end;
	}
	return last;
}

/* The requests of one translated chunk [cur, end) through dev's DMA engine:
 * the first waits for the chunk's translation, the others hit it (once it is
 * done). Returns when the last completes. A faulted chunk is its first
 * request, aborted: it carries no data. */
static inline uint64_t time_chunk(struct ims_sim *sim, struct ims_device *dev, const struct ims_domain *dom,
				  uint64_t cur, uint64_t end, const struct chunk_timing *ct)
{
	struct ims_dma_engine *e = &dev->dma;
	uint64_t issue = ims_dma_engine_issue(e, ct->ready), first_end, xlate, done;

	xlate = chunk_xlate(sim, dev, dom, cur, issue, ct);
	if (ct->faulted)
		return time_request(sim, e, ct->ready, issue, xlate, 0);
	first_end = (cur | e->req_mask) < end - 1 ? (cur | e->req_mask) + 1 : end;
	done = time_request(sim, e, ct->ready, issue, xlate, first_end - cur);
	if (first_end == end)
		return done;
	/* the others find the translation where the first left it */
	return time_more_requests(sim, e, ct->ready, first_end, end, xlate,
				  dev->ats ? sim->costs.ats_hit_ns : sim->costs.iotlb_hit_ns, done);
}

/* Translate one chunk for a device that uses ATS. Its ATC first: a hit
 * needs R for a read, W for a write, and the DMA goes out translated, past
 * the IOMMU. Otherwise an ATS translation request: the IOMMU translates as
 * for an untranslated DMA (IOTLB, walk, A/D updates: a write asks with
 * NW=0, so the walk sets D before write permission is granted), and the
 * completion fills the ATC with R, and with W only where a write needs no
 * further D update (the IOTLB entry is writable and dirty): a device that
 * read a page asks again before it writes (NW=1 grants no write to a clean
 * page, Arm IHI 0070 3.13.7.2). A failed translation (R=W=0) aborts the DMA
 * as a fault would. */
static bool ats_translate(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			  uint64_t iova, bool write, struct xlate *x, struct chunk_timing *ct,
			  struct ims_walk *w)
{
	unsigned need = write ? IMS_TLB_W : IMS_TLB_R, granted;
	struct ims_iotlb_entry *a = ims_iotlb_lookup(&dev->atc, 0, iova);

	ct->atc_hit = a && (a->flags & need) == need;
	ct->ats_request = !ct->atc_hit;
	ct->walked = false;
	if (ct->atc_hit) {
		IMS_STAT_INC(&sim->stats, atc_hit);
		*x = (struct xlate){ .pa = a->pa, .page_lg2 = a->page_lg2, .flags = a->flags };
		return true;
	}
	IMS_STAT_INC(&sim->stats, atc_miss);
	/* asking again for what a device-TLB invalidation took away */
	if (!a && ims_iotlb_ghost_take(&dev->atc, 0, iova))
		IMS_STAT_INC(&sim->stats, atc_refill_after_inv);
	if (!translate(sim, dev, dom, ims_iotlb_lookup(&sim->iotlb, dom->tlb_tag, iova), iova, write,
		       x, &ct->walked, w))
		return false;
	/* a translation from an entry a lazy unmap flagged is as stale in the ATC */
	granted = x->flags & (IMS_TLB_R | IMS_TLB_SNOOP | IMS_TLB_UNMAPPED);
	if ((x->flags & (IMS_TLB_W | IMS_TLB_DIRTY)) == (IMS_TLB_W | IMS_TLB_DIRTY))
		granted |= IMS_TLB_W;
	IMS_STAT_INC(&sim->stats, atc_fill);
	if (ims_iotlb_fill(&dev->atc, 0, iova, x->page_lg2, x->pa, granted))
		IMS_STAT_INC(&sim->stats, atc_evict);
	x->flags = granted;
	return true;
}

/* A DMA is over at last_done: its share of the statistics. */
static inline void dma_done(struct ims_sim *sim, uint64_t last_done)
{
	IMS_STAT_ADD(&sim->stats, cyc_dma_transfer, last_done - sim->now);
	if (IMS_STAT_GET(&sim->stats, dma_last_cycle) < last_done)
		IMS_STAT_GET(&sim->stats, dma_last_cycle) = last_done;
	if (sim->end_time < last_done)
		sim->end_time = last_done;
}

/* A DMA [cur, end) chunk by chunk: translations (walks, faults), dirty
 * ground truth, CPU-cache coherency and every request's timing. e is the
 * IOTLB lookup of cur, already made by ims_dma. */
static __attribute__((noinline)) uint64_t dma_chunks(struct ims_sim *sim, struct ims_device *dev,
						     struct ims_domain *dom, struct ims_iotlb_entry *e,
						     uint64_t cur, uint64_t end, bool write)
{
	uint64_t xlate_mask = sim->dma_chunk_mask, last_done = sim->now;
	uint64_t marked_until = 0;   /* truth already marked below this address */
	struct ims_walk w;
	struct chunk_timing ct = { .ready = sim->now, .w = &w };
	bool first = true;
	uint64_t stale_bytes = 0;

	while (cur < end) {
		uint64_t chunk_end, page_end, done;
		struct xlate x;
		bool ok;

		if (dev->ats) {
			ok = ats_translate(sim, dev, dom, cur, write, &x, &ct, &w);
		} else {
			if (!first)
				e = ims_iotlb_lookup(&sim->iotlb, dom->tlb_tag, cur);
			ok = translate(sim, dev, dom, e, cur, write, &x, &ct.walked, &w);
		}
		first = false;
		if (!ok) {
			/* the device's request is aborted: the rest of the DMA is discarded */
			record_fault(sim, dev, cur, write, &w);
			ct.faulted = true;
			done = time_chunk(sim, dev, dom, cur, cur + 1, &ct);
			if (done > last_done)
				last_done = done;
			break;
		}
		page_end = (cur | ((UINT64_C(1) << x.page_lg2) - 1)) + 1;
		chunk_end = (cur | xlate_mask) + 1;
		if (chunk_end > page_end)
			chunk_end = page_end;
		if (chunk_end > end || chunk_end == 0)
			chunk_end = end;
		/* tracking tested first: it is steady over a run, while write
		 * flips at random from one DMA to the next (a mispredict) */
		if (dom->dirty_tracking && write && cur >= marked_until) {
			/* ground truth at the leaf's granularity: the hardware can
			 * only ever say "this leaf was written" */
			uint64_t page_start = page_end - (UINT64_C(1) << x.page_lg2);

			ims_truth_set(&dom->truth, page_start >> IMS_PAGE_LG2,
				      UINT64_C(1) << (x.page_lg2 - IMS_PAGE_LG2));
			marked_until = page_end;
		}
		if (!(x.flags & IMS_TLB_SNOOP) || dom->noncoherent || sim->cache.lines_cached)
			ims_coh_dma(sim, dom, cur, x.pa + (cur & ((UINT64_C(1) << x.page_lg2) - 1)),
				    chunk_end - cur, write, x.flags & IMS_TLB_SNOOP);
		IMS_STAT_ADD(&sim->stats, dma_bytes, chunk_end - cur);
		/* a hit (IOTLB or ATC) on a page a lazy unmap already gave back */
		if (x.flags & IMS_TLB_UNMAPPED)
			stale_bytes += chunk_end - cur;
		done = time_chunk(sim, dev, dom, cur, chunk_end, &ct);
		if (done > last_done)
			last_done = done;
		cur = chunk_end;
	}
	dma_done(sim, last_done);
	if (stale_bytes) {
		IMS_STAT_INC(&sim->stats, stale_dmas);
		IMS_STAT_ADD(&sim->stats, stale_dma_bytes, stale_bytes);
	}
	return cur < end ? 1 : 0;
}

/* dma_one_walk's walk faulted: the request is aborted, as in dma_chunks.
 * Out of line: faults are rare. */
static __attribute__((noinline)) uint64_t dma_one_fault(struct ims_sim *sim,
							struct ims_device *dev,
							struct ims_domain *dom, uint64_t iova,
							bool write, const struct ims_walk *w)
{
	struct chunk_timing ct = { .ready = sim->now, .walked = true, .w = w, .faulted = true };

	record_fault(sim, dev, iova, write, w);
	dma_done(sim, time_chunk(sim, dev, dom, iova, iova + 1, &ct));
	return 1;
}

/* A DMA of one request and one translation chunk whose page the IOTLB does
 * not hold at all, and that marks no dirty ground truth: the walk, the fill,
 * the CPU cache and the request's timing, the steps of dma_chunks in its
 * order without its loop and chunk bookkeeping. (A walk never yields an
 * entry a lazy unmap flagged, so there are no stale bytes to count.) */
static inline uint64_t dma_one_walk(struct ims_sim *sim, struct ims_device *dev,
				    struct ims_domain *dom, uint64_t iova, uint64_t len, bool write)
{
	struct ims_dma_engine *eng = &dev->dma;
	struct ims_walk w;
	uint64_t issue, xlate;

	/* on a walk-heavy run the leaf entry of every walk is a host cache
	 * miss: ask for the next DMA's now, so that it overlaps this DMA */
	if (sim->ahead_hook)
		sim->ahead_hook(sim);
	IMS_STAT_INC(&sim->stats, translations);
	if (!walk_fill(sim, dev, dom, iova, write, NULL, &w))
		return dma_one_fault(sim, dev, dom, iova, write, &w);
	if (!(w.tlb_flags & IMS_TLB_SNOOP) || dom->noncoherent || sim->cache.lines_cached)
		ims_coh_dma(sim, dom, iova, w.pa + (iova & ((UINT64_C(1) << w.page_lg2) - 1)),
			    len, write, w.tlb_flags & IMS_TLB_SNOOP);
	IMS_STAT_ADD(&sim->stats, dma_bytes, len);
	issue = ims_dma_engine_issue(eng, sim->now);
	xlate = chunk_xlate_done(sim, dom, iova, issue, true, &w);
	dma_done(sim, time_request(sim, eng, sim->now, issue, xlate, len));
	return 0;
}

/* ims_dma's DMAs off its hit path, e the IOTLB lookup of iova: the plain
 * miss of one chunk takes dma_one_walk, everything else dma_chunks. Six
 * arguments (the domain is the device's), so ims_dma can jump here. */
static __attribute__((noinline)) uint64_t dma_off_hit(struct ims_sim *sim, struct ims_device *dev,
						      struct ims_iotlb_entry *e, uint64_t iova,
						      uint64_t len, bool write)
{
	struct ims_domain *dom = dev->domain;

	if (e || (iova ^ (iova + len - 1)) > (dev->dma.req_mask & sim->dma_chunk_mask) ||
	    (dom->dirty_tracking && write))
		return dma_chunks(sim, dev, dom, e, iova, iova + len, write);
	return dma_one_walk(sim, dev, dom, iova, len, write);
}

/* The common DMA has one request, hits the IOTLB through an entry of a
 * page still mapped, is not dirty-tracked and needs no CPU-cache work: it
 * takes this short path (the same steps as
 * dma_chunks, in the same order); everything else takes dma_chunks. */
uint64_t ims_dma(struct ims_sim *sim, struct ims_device *dev, uint64_t iova, uint64_t len,
		 bool write)
{
	struct ims_domain *dom = dev->domain;
	struct ims_dma_engine *eng = &dev->dma;
	struct ims_iotlb_entry *e;
	uint64_t issue, xlate;

	if (!IMS_STAT_GET(&sim->stats, dma)++)
		IMS_STAT_GET(&sim->stats, dma_first_cycle) = sim->now;
	sim->stats.v[write ? IMS_STAT_dma_write : IMS_STAT_dma_read]++;
	if (!dom) {
		struct ims_walk w = { .fault = IMS_FAULT_NO_DOMAIN };

		record_fault(sim, dev, iova, write, &w);
		return 1;
	}
	if (!len || dev->ats)
		return dma_chunks(sim, dev, dom, NULL, iova, iova + len, write);
	e = ims_iotlb_lookup(&sim->iotlb, dom->tlb_tag, iova);
	/* one request and one translation chunk (both sizes are powers of
	 * two, a request is at most 4 KiB: so also within one page) */
	if ((iova ^ (iova + len - 1)) > (eng->req_mask & sim->dma_chunk_mask) || !e ||
	    (e->flags & (tlb_need(write) | IMS_TLB_SNOOP | IMS_TLB_UNMAPPED)) !=
		    (tlb_need(write) | IMS_TLB_SNOOP) ||
	    (dom->dirty_tracking && write) || dom->noncoherent || sim->cache.lines_cached)
		return dma_off_hit(sim, dev, e, iova, len, write);
	count_hit(sim);
	IMS_STAT_ADD(&sim->stats, dma_bytes, len);
	issue = ims_dma_engine_issue(eng, sim->now);
	xlate = chunk_xlate_done(sim, dom, iova, issue, false, NULL);
	dma_done(sim, time_request(sim, eng, sim->now, issue, xlate, len));
	return 0;
}
