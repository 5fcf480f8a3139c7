/* Intel VT-d, second-stage (scalable mode, PGTT=010b): the model's ops
 * table, the IOMMU instance, domains, attach, the dirty-tracking switch and
 * the host's IOTLB sync.
 *
 * VT-d spec rev. 5.10 (D51397-018). Files of this model:
 *   vtd_pte.h    second-stage entry format (section 9.8)
 *   vtd_pasid.*  scalable-mode PASID-table entry, PASID cache (9.6, 6.2.3)
 *   vtd_qi.*     queued invalidation (6.5.2)
 *   vtd_walk.c   hardware walk, A/D updates (3.7, 6.2.5)
 *   vtd_pt.c     host page-table software (Linux intel-iommu equivalent)
 * docs/models/vtd.md describes the model and what it leaves out.
 */
#include "models/vtd/vtd_model.h"

#include <stdio.h>
#include <stdlib.h>

#include "models/vtd/vtd_pte.h"

static struct vtd_iommu *vtd_iommu(const struct ims_sim *sim)
{
	return (struct vtd_iommu *)sim->model_state;
}

/* CAP_REG.SSLPS (section 11.4.2): bit 0 2 MiB, bit 1 1 GiB. */
static uint64_t vtd_pgsize_bitmap(const struct ims_sim *sim)
{
	uint64_t sizes = UINT64_C(1) << 12;

	if (sim->params.vtd_sllps & 1)
		sizes |= UINT64_C(1) << 21;
	if (sim->params.vtd_sllps & 2)
		sizes |= UINT64_C(1) << 30;
	return sizes;
}

/* CAP_REG.CM, bit 7 (section 11.4.2; the software rule is section 6.1):
 * with CM=1 the IOMMU may cache not-present entries, so a map must be
 * followed by an invalidation of what it made present. With CM=0 Linux
 * only flushes the write buffer, which the model does not need (RWBF=0). */
static bool vtd_map_needs_sync(const struct ims_sim *sim)
{
	return sim->params.vtd_cm != 0;
}

/* ECAP_REG.SC (section 11.4.3): only with snoop control may a leaf set SNP
 * to force snooping; otherwise the field is reserved and a coherent domain
 * cannot be enforced (section 9.8, SNP). */
static bool vtd_can_enforce_coherency(const struct ims_sim *sim)
{
	return sim->params.vtd_sc != 0;
}

static int vtd_iommu_init(struct ims_sim *sim, struct ims_error *err)
{
	static const uint8_t tlb_sizes[] = { 12, 21, 30 };
	const struct ims_params *p = &sim->params;
	uint64_t psc_entries[IMS_PSC_LEVELS + 1] = {
		0, p->psc_l1_entries, p->psc_l2_entries, p->psc_l3_entries, p->psc_l4_entries, 0,
	};
	uint8_t cover_lg2[IMS_PSC_LEVELS + 1];
	struct vtd_iommu *iommu = calloc(1, sizeof(*iommu));

	if (!iommu)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (vtd)");
	sim->model_state = iommu;
	vtd_qi_init(&iommu->qi, VTD_PA_IQ, VTD_PA_IQ_STATUS);
	for (unsigned l = 0; l <= IMS_PSC_LEVELS; l++)
		cover_lg2[l] = (uint8_t)vtd_level_shift(l);
	if (ims_iotlb_init(&sim->iotlb, p->iotlb_entries, p->iotlb_ways, tlb_sizes, 3) ||
	    ims_psc_init(&sim->psc, psc_entries, p->psc_ways, cover_lg2))
		return ims_error_set(err, IMS_ENOMEM, "out of memory (vtd caches)");
	return 0;
}

static void vtd_iommu_fini(struct ims_sim *sim)
{
	free(sim->model_state);
	sim->model_state = NULL;
}

static int vtd_domain_init(struct ims_sim *sim, struct ims_domain *dom, struct ims_error *err)
{
	unsigned levels = vtd_levels_for_width(dom->iova_bits);
	struct vtd_domain *vd;

	if (!levels)
		return ims_error_set(err, IMS_EINVAL,
				     "vtd: domain '%s': %u-bit IOVA is not supported (48 or 57)",
				     dom->name, dom->iova_bits);
	vd = calloc(1, sizeof(*vd));
	if (!vd)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (vtd domain)");
	vd->levels = levels;
	vd->root_pa = ims_host_alloc_table(sim, dom);
	if (!vd->root_pa) {
		free(vd);
		return ims_error_set(err, IMS_ENOMEM, "out of page-table memory");
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pt_alloc_cycles);
	vd->pasid_pa = vtd_pasid_entry_pa(dom);
	vtd_pasid_entry_build(&vd->pc, vd->root_pa, levels, dom->did, false);
	/* The entry is in memory and already cached, as if a PASID-cache
	 * invalidation had followed its setup. With CM=0 a not-present to
	 * present change needs no invalidation at all (Table 28 note). */
	vtd_pasid_entry_store(sim, vd->pasid_pa, &vd->pc);
	dom->priv = vd;
	return 0;
}

static void vtd_domain_fini(struct ims_sim *sim, struct ims_domain *dom)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct vtd_pasid_entry none = { { 0, 0 } };

	if (!vd)
		return;
	vtd_free_tables(sim, dom, vd->root_pa, vd->levels - 1);
	vtd_pasid_entry_store(sim, vd->pasid_pa, &none);
	free(vd);
	dom->priv = NULL;
}

/* The device's RID_PASID entry gets the domain's DID and SSPTPTR
 * (intel_pasid_setup_second_level). The entry goes from not present to
 * present: with CM=0 no invalidation is required (Table 28 note, section
 * 6.1), which is what Linux does (pasid_flush_caches flushes only with CM).
 * UNIMPLEMENTED: with CM=1 Linux adds a PASID-cache and a PASID-based IOTLB
 * (P_IOTLB) invalidation here, each with its wait; the model has no P_IOTLB
 * descriptor and charges none of it (once per attach, docs/caching-mode.md). */
static int vtd_attach(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		      struct ims_error *err)
{
	(void)dev;
	(void)dom;
	(void)err;
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pasid_entry_update_cycles);
	return 0;
}

/* Descriptors per submission, as Linux's qi_batch (QI_MAX_BATCHED_DESC_COUNT,
 * drivers/iommu/intel/iommu.h): a fuller batch is submitted, with its own
 * wait, before more are added. */
#define VTD_QI_BATCH 16

/* Add d to the batch, submitting the batch first (with its wait) if full. */
static void batch_add(struct ims_sim *sim, struct vtd_qi_desc *batch, unsigned *n,
		      struct vtd_qi_desc d)
{
	if (*n == VTD_QI_BATCH) {
		vtd_qi_sync(sim, &vtd_iommu(sim)->qi, batch, *n);
		*n = 0;
	}
	batch[(*n)++] = d;
}

/* A device-TLB descriptor of [start, last] for every device of dom with
 * ATS, after what batch holds. */
static void add_devtlbs(struct ims_sim *sim, struct ims_domain *dom, struct vtd_qi_desc *batch,
			unsigned *n, uint64_t start, uint64_t last)
{
	struct ims_device *dev;
	unsigned i = 0;

	while ((dev = ims_ats_device_next(sim, dom, &i)))
		batch_add(sim, batch, n, vtd_qi_devtlb(dev->sid, start, last));
}

/* cache_tag_flush_range: the IOTLB descriptor, then (devtlb) a device-TLB
 * descriptor for every device of the domain with ATS, whose ATC may hold the
 * range (Linux: one per DEVTLB cache tag), then one wait. */
static void flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
			uint64_t last, bool ih, bool devtlb)
{
	struct vtd_qi_desc batch[VTD_QI_BATCH];
	unsigned n = 0;
	uint64_t addr;
	unsigned am;

	if (vtd_qi_psi_cover(start, last, sim->params.vtd_psi != 0,
			     (unsigned)sim->params.vtd_max_amask, &addr, &am))
		batch[n++] = vtd_qi_iotlb_psi(dom->did, addr, am, ih);
	else
		batch[n++] = vtd_qi_iotlb_dsi(dom->did);
	if (devtlb)
		add_devtlbs(sim, dom, batch, &n, start, last);
	vtd_qi_sync(sim, &vtd_iommu(sim)->qi, batch, n);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
}

void vtd_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
		     uint64_t last, bool ih)
{
	flush_range(sim, dom, start, last, ih, true);
}

/* intel_iommu_tlb_sync -> cache_tag_flush_range: one PSI covering the
 * gathered range (or a DSI), IH=1 when only leaves changed (section
 * 6.5.3.3: "If no intermediate paging-structures entries with PS=0 are
 * modified, the invalidation command can specify IH as 1").
 * A map's sync (CM=1 only: intel_iommu_iotlb_sync_map ->
 * cache_tag_flush_range_np) is the same PSI or DSI with IH=0 and no
 * device-TLB invalidation: the map may have made non-leaf entries present
 * that a CM=1 IOMMU holds as not present in its paging-structure caches.
 * iommufd syncs after every clearing dirty read, found dirty or not; with
 * nothing gathered there is nothing to invalidate, but the host still pays
 * the submit-and-wait round trip, so a lone wait descriptor is issued. */
static void vtd_iotlb_sync(struct ims_sim *sim, struct ims_domain *dom,
			   const struct ims_gather *gather)
{
	if (gather->empty) {
		vtd_qi_sync(sim, &vtd_iommu(sim)->qi, NULL, 0);
		IMS_STAT_INC(&sim->stats, iotlb_syncs);
		return;
	}
	/* a map made entries present that no device can have cached: no
	 * device-TLB invalidation (cache_tag_flush_range_np flushes IOTLB tags
	 * only) */
	flush_range(sim, dom, gather->start, gather->last, !gather->tables_freed && !gather->map,
		    !gather->map);
}

/* intel_flush_iotlb_all -> cache_tag_flush_all: a domain-selective IOTLB
 * invalidation for a second-stage domain (it drops the domain's
 * paging-structure caches too, Table 23), a device-TLB invalidation of
 * every address for each device with ATS (qi_flush_dev_iotlb with the
 * largest mask), then wait. */
static void vtd_iotlb_flush_all(struct ims_sim *sim, struct ims_domain *dom)
{
	struct vtd_qi_desc batch[VTD_QI_BATCH];
	unsigned n = 0;

	batch[n++] = vtd_qi_iotlb_dsi(dom->did);
	add_devtlbs(sim, dom, batch, &n, 0, UINT64_MAX);
	vtd_qi_sync(sim, &vtd_iommu(sim)->qi, batch, n);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
}

/* intel_pasid_setup_dirty_tracking: toggle SSADE in the PASID-table entry,
 * then the Table 28 flushes for an SSADE change in an entry with PGTT=SS:
 * PASID-selective-within-domain PASID-cache invalidation and domain-selective
 * IOTLB invalidation, then, for devices with ATS, a device-TLB invalidation
 * of everything (Linux: devtlb_invalidation_with_pasid), then wait. */
static int vtd_set_dirty_tracking(struct ims_sim *sim, struct ims_domain *dom, bool on,
				  struct ims_error *err)
{
	struct vtd_domain *vd = vtd_dom(dom);
	struct vtd_pasid_entry e;
	struct vtd_qi_desc batch[VTD_QI_BATCH];
	unsigned n = 0;

	(void)err;
	vtd_pasid_entry_load(sim, vd->pasid_pa, &e);
	if (vtd_pasid_ssade(&e) == on)
		return 0;
	e.val[0] ^= VTD_PASID_SSADE;
	ims_host_store(sim, vd->pasid_pa, e.val[0]);
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pasid_entry_update_cycles);
	batch[n++] = vtd_qi_pasid_cache(VTD_PC_G_PASID, dom->did, VTD_RID_PASID);
	batch[n++] = vtd_qi_iotlb_dsi(dom->did);
	add_devtlbs(sim, dom, batch, &n, 0, UINT64_MAX);
	vtd_qi_sync(sim, &vtd_iommu(sim)->qi, batch, n);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
	IMS_STAT_INC(&sim->stats, dirty_tracking_switches);
	return 0;
}

/* Hardware counters with the same meaning as ours; docs/models/vtd.md has
 * the full mapping, including the events left out and why. Intel IIO
 * uncore (Skylake-SP) events are named as libpfm4 does; VTD_PERFMON events
 * are the architectural VT-d perfmon events of spec Table 49. */
static const struct ims_hw_counter vtd_hw_counters[] = {
	{ "UNC_IO_VTD_ACCESS.TLB_MISS", IMS_STAT_iotlb_miss },
	{ "UNC_IO_VTD_ACCESS.L1_MISS", IMS_STAT_psc_miss_l3 },
	{ "UNC_IO_VTD_ACCESS.L2_MISS", IMS_STAT_psc_miss_l2 },
	{ "UNC_IO_VTD_ACCESS.L3_MISS", IMS_STAT_psc_miss_l1 },
	{ "VTD_PERFMON.IOTLB_HIT", IMS_STAT_iotlb_hit },
	{ "VTD_PERFMON.SS_NONLEAF_HIT", IMS_STAT_psc_hit },
	{ "VTD_PERFMON.IOMMU_ATOMIC_AD_UPDATE", IMS_STAT_ad_updates },
};

const struct ims_model_ops ims_vtd_ops = {
	.name = "vtd",
	.description = "Intel VT-d scalable mode, second-stage tables (4/5-level), "
		       "queued invalidation, SSADE dirty tracking",
	.pgsize_bitmap = vtd_pgsize_bitmap,
	.can_enforce_coherency = vtd_can_enforce_coherency,
	.map_needs_sync = vtd_map_needs_sync,
	.iommu_init = vtd_iommu_init,
	.iommu_fini = vtd_iommu_fini,
	.domain_init = vtd_domain_init,
	.domain_fini = vtd_domain_fini,
	.attach = vtd_attach,
	.map_page = vtd_map_page,
	.unmap = vtd_unmap,
	.read_dirty = vtd_read_dirty,
	.write_protect = vtd_write_protect,
	.set_dirty_tracking = vtd_set_dirty_tracking,
	.iotlb_sync = vtd_iotlb_sync,
	.iotlb_flush_all = vtd_iotlb_flush_all,
	.walk = vtd_walk,
	.prefetch_walk = vtd_prefetch_walk,
	.probe = vtd_probe,
	.probe_table = vtd_probe_table,
	.hw_counters = vtd_hw_counters,
	.n_hw_counters = sizeof(vtd_hw_counters) / sizeof(vtd_hw_counters[0]),
};
