/* AMD IOMMU v1 (host page tables): the model's ops table, the IOMMU
 * instance, domains, attach, the dirty-tracking switch and the host's IOTLB
 * sync.
 *
 * AMD I/O Virtualization Technology (IOMMU) Specification, pub. 48882,
 * rev. 3.x. Files of this model:
 *   amdv1_pte.h    host page table entries, Next Level, page sizes (2.2.3)
 *   amdv1_dte.*    device table entries and the device table cache (2.2.2)
 *   amdv1_cmd.*    command buffer: commands, ring, hardware side (2.4)
 *   amdv1_walk.c   hardware walk, A/D updates (2.2.3, 2.2.3.1-2, 2.2.7.4)
 *   amdv1_pt.c     host page-table software (Linux AMD v1 equivalent)
 * docs/models/amdv1.md describes the model and what it leaves out.
 */
#include "models/amdv1/amdv1_model.h"

#include <stdlib.h>

#include "models/amdv1/amdv1_pte.h"

/* The host may use every size amdv1_pgsizes names, up to what the model
 * handles (AMDV1_MAX_PAGE_LG2): Linux's v1 driver advertises every power of
 * two from 4 KiB but 512 GiB, and that bitmap is accepted as is. */
static uint64_t amdv1_pgsize_bitmap(const struct ims_sim *sim)
{
	return sim->params.amdv1_pgsizes & AMDV1_PGSIZES_MODELLED;
}

/* FC (Force Coherent) is a field of every PTE (section 2.2.3), with no
 * capability bit to gate it: any mapping can be made coherent. */
static bool amdv1_can_enforce_coherency(const struct ims_sim *sim)
{
	(void)sim;
	return true;
}

/* AMD's counterpart of VT-d caching mode is NpCache (IOMMU capability
 * header bit 26), with which Linux flushes after every map
 * (domain_flush_np_cache). The model is hardware without it. */
static bool amdv1_map_needs_sync(const struct ims_sim *sim)
{
	(void)sim;
	return false;
}

static int init_caches(struct ims_sim *sim, struct ims_error *err)
{
	const struct ims_params *p = &sim->params;
	uint64_t psc_entries[IMS_PSC_LEVELS + 1] = {
		0, p->psc_l1_entries, p->psc_l2_entries, p->psc_l3_entries, p->psc_l4_entries, 0,
	};
	uint8_t cover_lg2[IMS_PSC_LEVELS + 1];
	uint8_t tlb_sizes[IMS_TLB_MAX_SIZES];
	uint64_t sizes = amdv1_pgsize_bitmap(sim);
	unsigned n = 0;

	/* every leaf size the host can map, NL=7 sizes included; the IOTLB
	 * entry of an NL=7 leaf covers the whole page */
	for (unsigned lg2 = 12; lg2 <= AMDV1_MAX_PAGE_LG2; lg2++)
		if (sizes & (UINT64_C(1) << lg2))
			tlb_sizes[n++] = (uint8_t)lg2;
	for (unsigned l = 0; l <= IMS_PSC_LEVELS; l++)
		cover_lg2[l] = (uint8_t)amdv1_level_shift(l);
	if (ims_iotlb_init(&sim->iotlb, p->iotlb_entries, p->iotlb_ways, tlb_sizes, n) ||
	    ims_psc_init(&sim->psc, psc_entries, p->psc_ways, cover_lg2))
		return ims_error_set(err, IMS_ENOMEM, "out of memory (amdv1 caches)");
	return 0;
}

static int amdv1_iommu_init(struct ims_sim *sim, struct ims_error *err)
{
	uint64_t sizes = sim->params.amdv1_pgsizes;
	struct amdv1_iommu *iommu;

	if (!(sizes & (UINT64_C(1) << 12)) || (sizes & IMS_GENMASK(11, 0)))
		return ims_error_set(err, IMS_EINVAL,
				     "amdv1_pgsizes 0x%llx: must include 4 KiB (bit 12) and no"
				     " smaller size", (unsigned long long)sizes);
	iommu = calloc(1, sizeof(*iommu));
	if (!iommu)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (amdv1)");
	sim->model_state = iommu;
	iommu->dtc = calloc(AMDV1_DEVICE_IDS, sizeof(*iommu->dtc));
	iommu->dtc_valid = calloc(AMDV1_DEVICE_IDS, 1);
	if (!iommu->dtc || !iommu->dtc_valid)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (amdv1 device table cache)");
	amdv1_cmdbuf_init(&iommu->cmd, AMDV1_PA_CMDBUF, AMDV1_PA_SEM);
	return init_caches(sim, err);
}

static void amdv1_iommu_fini(struct ims_sim *sim)
{
	struct amdv1_iommu *iommu = amdv1_iommu(sim);

	if (iommu) {
		free(iommu->dtc);
		free(iommu->dtc_valid);
	}
	free(iommu);
	sim->model_state = NULL;
}

static int amdv1_domain_init(struct ims_sim *sim, struct ims_domain *dom, struct ims_error *err)
{
	unsigned mode = amdv1_mode_for_width(dom->iova_bits);
	struct amdv1_domain *ad;

	if (!mode)
		return ims_error_set(err, IMS_EINVAL,
				     "amdv1: domain '%s': %u-bit IOVA is not supported (48 or 57)",
				     dom->name, dom->iova_bits);
	ad = calloc(1, sizeof(*ad));
	if (!ad)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (amdv1 domain)");
	ad->mode = mode;
	ad->root_pa = ims_host_alloc_table(sim, dom);
	if (!ad->root_pa) {
		free(ad);
		return ims_error_set(err, IMS_ENOMEM, "out of page-table memory");
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pt_alloc_cycles);
	dom->priv = ad;
	return 0;
}

static void amdv1_domain_fini(struct ims_sim *sim, struct ims_domain *dom)
{
	struct amdv1_domain *ad = amdv1_dom(dom);

	if (!ad)
		return;
	amdv1_free_tables(sim, dom, ad->root_pa, ad->mode - 1);
	free(ad);
	dom->priv = NULL;
}

/* set_dte_entry + device_flush_dte + completion wait: the device's DTE gets
 * the domain's tables, DomainID and current HAD, and I (IOTLB enable,
 * DTE bit 96) for a device with ATS; then the device table cache is told,
 * and such a device's IOTLB emptied (device_flush_dte ends with
 * INVALIDATE_IOTLB_PAGES of everything when ATS is on). A DTE flush, not an
 * IOTLB sync: not in iotlb_syncs. */
static int amdv1_attach(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	struct amdv1_cmdbuf *q = &amdv1_iommu(sim)->cmd;
	struct amdv1_dte e;
	struct amdv1_cmd c = amdv1_cmd_inv_devtab(dev->sid);

	(void)err;
	amdv1_dte_build(&e, ad->root_pa, ad->mode, dom->did, ad->tracking);
	if (dev->ats)
		e.qw[1] |= AMDV1_DTE_I;
	amdv1_dte_store(sim, dev->sid, &e);
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pasid_entry_update_cycles);
	amdv1_cmd_queue(sim, q, &c);
	if (dev->ats) {
		c = amdv1_cmd_inv_iotlb_pages(dev->sid, 0, UINT64_MAX);
		amdv1_cmd_queue(sim, q, &c);
	}
	amdv1_cmd_wait(sim, q);
	return 0;
}

/* Queue INVALIDATE_IOTLB_PAGES of [start, last] for every device of dom
 * with ATS (domain_flush_pages_v1: device_flush_iotlb per ATS device). */
static void flush_device_iotlbs(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
				uint64_t last)
{
	struct ims_device *dev;
	unsigned i = 0;

	while ((dev = ims_ats_device_next(sim, dom, &i))) {
		struct amdv1_cmd c = amdv1_cmd_inv_iotlb_pages(dev->sid, start, last);

		amdv1_cmd_queue(sim, &amdv1_iommu(sim)->cmd, &c);
	}
}

void amdv1_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
		       uint64_t last, bool pde)
{
	struct amdv1_cmdbuf *q = &amdv1_iommu(sim)->cmd;
	struct amdv1_cmd c;
	uint64_t addr;
	bool s;

	ims_inv_range_encode(start, last, &addr, &s);
	c = amdv1_cmd_inv_pages(dom->did, addr, s, pde);
	amdv1_cmd_queue(sim, q, &c);
	flush_device_iotlbs(sim, dom, start, last);
	amdv1_cmd_wait(sim, q);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
}

/* amd_iommu_iotlb_sync -> amd_iommu_domain_flush_pages: one
 * INVALIDATE_IOMMU_PAGES for the smallest aligned block covering the
 * gathered range, then COMPLETION_WAIT. Linux sets PDE in every one ("we
 * want to flush everything, not only the PTEs"); amdv1_inv_pde_always=0
 * sets it only when page tables were freed. iommufd syncs after every
 * clearing dirty read, found dirty or not; with nothing gathered the host
 * still pays a submit-and-wait round trip: a lone COMPLETION_WAIT. */
static void amdv1_iotlb_sync(struct ims_sim *sim, struct ims_domain *dom,
			     const struct ims_gather *gather)
{
	if (gather->empty) {
		amdv1_cmd_wait(sim, &amdv1_iommu(sim)->cmd);
		IMS_STAT_INC(&sim->stats, iotlb_syncs);
		return;
	}
	amdv1_flush_range(sim, dom, gather->start, gather->last,
			  gather->tables_freed || sim->params.amdv1_inv_pde_always);
}

/* amd_iommu_flush_iotlb_all -> amd_iommu_domain_flush_all: the range
 * flush of every address with PDE=1 (the range encodes as S=1 with
 * AMDV1_IIP_ALL_ADDR), so an INVALIDATE_IOTLB_PAGES of every address for
 * each device with ATS too, then COMPLETION_WAIT. */
static void amdv1_iotlb_flush_all(struct ims_sim *sim, struct ims_domain *dom)
{
	amdv1_flush_range(sim, dom, 0, UINT64_MAX, true);
}

/* amd_iommu_set_dirty_tracking: for every device of the domain, set or
 * clear HAD (11b) in its DTE and queue INVALIDATE_DEVTAB_ENTRY; then
 * invalidate every page of the domain, PDE=1 (amd_iommu_domain_flush_all),
 * and the device IOTLBs of devices with ATS, so no entry cached under the
 * old HAD survives, and wait: one sync.
 * A domain without devices has no DTE to change: nothing is issued. */
static int amdv1_set_dirty_tracking(struct ims_sim *sim, struct ims_domain *dom, bool on,
				    struct ims_error *err)
{
	struct amdv1_domain *ad = amdv1_dom(dom);
	struct amdv1_cmdbuf *q = &amdv1_iommu(sim)->cmd;
	unsigned ndev = 0;

	(void)err;
	if (ad->tracking == on)
		return 0;
	for (unsigned i = 0; i < sim->ndevices; i++) {
		struct ims_device *dev = sim->devices[i];
		struct amdv1_dte e;
		struct amdv1_cmd c;

		if (dev->domain != dom)
			continue;
		amdv1_dte_load(sim, dev->sid, &e);
		e.qw[0] = (e.qw[0] & ~AMDV1_DTE_HAD) |
			  ims_field_prep(AMDV1_DTE_HAD, on ? AMDV1_HAD_AD : AMDV1_HAD_NONE);
		ims_host_store(sim, amdv1_dte_pa(dev->sid), e.qw[0]);
		ims_host_charge(sim, IMS_STAT_cyc_sw_other,
				sim->costs.sw_pasid_entry_update_cycles);
		c = amdv1_cmd_inv_devtab(dev->sid);
		amdv1_cmd_queue(sim, q, &c);
		ndev++;
	}
	if (ndev)
		amdv1_iotlb_flush_all(sim, dom);
	ad->tracking = on;
	IMS_STAT_INC(&sim->stats, dirty_tracking_switches);
	return 0;
}

/* AMD IOMMU performance counter events (Linux drivers/perf/amd/iommu.c
 * names, csource codes 05h-12h) with the same meaning as ours;
 * docs/models/amdv1.md has the mapping, its confidence, and the events
 * left out. */
static const struct ims_hw_counter amdv1_hw_counters[] = {
	{ "amd_iommu/mem_trans_total/", IMS_STAT_translations },
	{ "amd_iommu/mem_iommu_tlb_pte_hit/", IMS_STAT_iotlb_hit },
	{ "amd_iommu/mem_iommu_tlb_pte_mis/", IMS_STAT_iotlb_miss },
	{ "amd_iommu/mem_iommu_tlb_pde_hit/", IMS_STAT_psc_hit },
	{ "amd_iommu/mem_iommu_tlb_pde_mis/", IMS_STAT_psc_miss },
	{ "amd_iommu/page_tbl_read_tot/", IMS_STAT_walk_mem_refs },
	{ "amd_iommu/cmd_processed/", IMS_STAT_inv_desc },
	{ "amd_iommu/cmd_processed_inv/", IMS_STAT_inv_cmd_invalidate },
};

const struct ims_model_ops ims_amdv1_ops = {
	.name = "amdv1",
	.description = "AMD IOMMU v1 host page tables (4/5-level, Next Level 7 page sizes), "
		       "command buffer, DTE HAD dirty tracking",
	.pgsize_bitmap = amdv1_pgsize_bitmap,
	.can_enforce_coherency = amdv1_can_enforce_coherency,
	.map_needs_sync = amdv1_map_needs_sync,
	.iommu_init = amdv1_iommu_init,
	.iommu_fini = amdv1_iommu_fini,
	.domain_init = amdv1_domain_init,
	.domain_fini = amdv1_domain_fini,
	.attach = amdv1_attach,
	.map_page = amdv1_map_page,
	.unmap = amdv1_unmap,
	.read_dirty = amdv1_read_dirty,
	.write_protect = amdv1_write_protect,
	.set_dirty_tracking = amdv1_set_dirty_tracking,
	.iotlb_sync = amdv1_iotlb_sync,
	.iotlb_flush_all = amdv1_iotlb_flush_all,
	.walk = amdv1_walk,
	.probe = amdv1_probe,
	.probe_table = amdv1_probe_table,
	.prefetch_walk = amdv1_prefetch_walk,
	.hw_counters = amdv1_hw_counters,
	.n_hw_counters = sizeof(amdv1_hw_counters) / sizeof(amdv1_hw_counters[0]),
};
