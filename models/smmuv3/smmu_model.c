/* Arm SMMUv3: the model's ops table, the SMMU instance, domains, attach,
 * the dirty-tracking switch and the host's IOTLB sync.
 *
 * IHI 0070 G.b (SMMUv3) and DDI 0487 M.a.a (VMSAv8-64). Files:
 *   smmu_desc.h/.c  VMSAv8-64 descriptors; the two stages (D8.3, D8.5)
 *   smmu_cfg.h/.c   STE, CD, configuration cache (5.2, 5.4, 4.3)
 *   smmu_cmdq.h/.c  command queue, TLBI/CFGI/SYNC, range invalidation (4)
 *   smmu_walk.c     hardware walk with HTTU (3.13)
 *   smmu_pt.c       host page-table software (Linux io-pgtable-arm equivalent)
 * docs/models/smmuv3.md describes the model and what it leaves out.
 */
#include "models/smmuv3/smmu_model.h"

#include <stdlib.h>
#include <string.h>

#include "models/smmuv3/smmu_desc.h"

/* 4 KiB granule: pages, 2 MiB and 1 GiB blocks; with the Contiguous hint
 * also 64 KiB and 32 MiB runs (Table D8-104). */
static uint64_t smmu_pgsize_bitmap(const struct ims_sim *sim)
{
	uint64_t sizes = UINT64_C(1) << 12 | UINT64_C(1) << 21 | UINT64_C(1) << 30;

	if (sim->params.smmuv3_contig)
		sizes |= UINT64_C(1) << 16 | UINT64_C(1) << 25;
	return sizes;
}

/* Coherency is a memory attribute of every leaf (Normal write-back,
 * shareable), which both stages can always write. That such an access
 * snoops the CPU caches is a property of the system, assumed here: the SMMU
 * is coherent (SMMU_IDR0.COHACC=1, IHI 0070 6.3.1) and so is the
 * interconnect carrying its client traffic. */
static bool smmu_can_enforce_coherency(const struct ims_sim *sim)
{
	(void)sim;
	return true;
}

/* SMMUv3 has no caching-mode capability, and Linux's arm-smmu-v3 driver
 * registers no iotlb_sync_map (arm_smmu_ops): a map issues no command. */
static bool smmu_map_needs_sync(const struct ims_sim *sim)
{
	(void)sim;
	return false;
}

static int smmu_iommu_init(struct ims_sim *sim, struct ims_error *err)
{
	static const uint8_t tlb_sizes[] = { 12, 21, 30, 16, 25 };
	const struct ims_params *p = &sim->params;
	uint64_t psc_entries[IMS_PSC_LEVELS + 1] = {
		0, p->psc_l1_entries, p->psc_l2_entries, p->psc_l3_entries, 0, 0,
	};
	uint8_t cover_lg2[IMS_PSC_LEVELS + 1];
	struct smmu_iommu *iommu = calloc(1, sizeof(*iommu));

	if (!iommu)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (smmuv3)");
	sim->model_state = iommu;
	smmu_cmdq_init(&iommu->cmdq, SMMU_PA_CMDQ, SMMU_CMDQ_SLOTS);
	for (unsigned l = 0; l <= IMS_PSC_LEVELS; l++)
		cover_lg2[l] = (uint8_t)smmu_level_shift(l);
	if (ims_iotlb_init(&sim->iotlb, p->iotlb_entries, p->iotlb_ways, tlb_sizes,
			   p->smmuv3_contig ? 5 : 3) ||
	    ims_psc_init(&sim->psc, psc_entries, p->psc_ways, cover_lg2))
		return ims_error_set(err, IMS_ENOMEM, "out of memory (smmuv3 caches)");
	return 0;
}

static void smmu_iommu_fini(struct ims_sim *sim)
{
	struct smmu_iommu *iommu = smmu_iommu(sim);

	if (iommu)
		free(iommu->cfg);
	free(iommu);
	sim->model_state = NULL;
}

/* Stage 1 (smmuv3_stage=1, as Linux's iommufd paging domains): ASID = did,
 * VMID 0, and a CD written now with HA/HD set whenever the SMMU can update
 * dirty state (Linux enables HTTU for a dirty-tracking capable domain at
 * creation). No device points at it yet, so no CFGI is needed. Stage 2:
 * VMID = did; the STEs carry the rest. */
static int smmu_domain_init(struct ims_sim *sim, struct ims_domain *dom, struct ims_error *err)
{
	struct smmu_domain *sd;

	if (dom->iova_bits != SMMU_IA_BITS)
		return ims_error_set(err, IMS_EINVAL,
				     "smmuv3: domain '%s': %u-bit IOVA is not supported (48)",
				     dom->name, dom->iova_bits);
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (smmuv3 domain)");
	sd->st = smmu_stage_get((unsigned)sim->params.smmuv3_stage);
	sd->root_pa = ims_host_alloc_table(sim, dom);
	if (!sd->root_pa) {
		free(sd);
		return ims_error_set(err, IMS_ENOMEM, "out of page-table memory");
	}
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pt_alloc_cycles);
	if (sd->st->num == 1) {
		uint64_t cd[SMMU_CD_WORDS];
		bool hd = sim->params.smmuv3_httu >= 2;

		sd->asid = dom->did;
		sd->cd_pa = SMMU_PA_CD + (uint64_t)dom->index * SMMU_CD_BYTES;
		smmu_cd_build(cd, sd->root_pa, sd->asid, sim->params.smmuv3_httu >= 1, hd);
		smmu_cfg_store(sim, sd->cd_pa, cd, SMMU_CD_WORDS);
		ims_host_charge(sim, IMS_STAT_cyc_sw_other,
				sim->costs.sw_pasid_entry_update_cycles);
	} else {
		sd->vmid = dom->did;
	}
	dom->tlb_tag = smmu_tag(sd->vmid, sd->asid);
	dom->priv = sd;
	return 0;
}

static void smmu_domain_fini(struct ims_sim *sim, struct ims_domain *dom)
{
	struct smmu_domain *sd = smmu_dom(dom);
	uint64_t zero[SMMU_CD_WORDS] = { 0 };

	if (!sd)
		return;
	smmu_free_tables(sim, dom, sd->root_pa, SMMU_TOP_LEVEL);
	if (sd->st->num == 1)
		smmu_cfg_store(sim, sd->cd_pa, zero, SMMU_CD_WORDS);
	free(sd);
	dom->priv = NULL;
}

/* The STE of a device in dom, as the driver writes it. */
static void ste_for(const struct ims_domain *dom, uint64_t ste[SMMU_STE_WORDS])
{
	const struct smmu_domain *sd = smmu_dom(dom);

	if (sd->st->num == 1)
		smmu_ste_build_s1(ste, sd->cd_pa);
	else
		smmu_ste_build_s2(ste, sd->root_pa, sd->vmid, sd->s2_httu, sd->s2_httu);
}

static int cfg_slot(struct ims_sim *sim, const struct ims_device *dev, struct ims_error *err)
{
	struct smmu_iommu *iommu = smmu_iommu(sim);

	if (dev->index >= iommu->ncfg) {
		struct smmu_cfg_entry *v = realloc(iommu->cfg, (dev->index + 1) * sizeof(*v));

		if (!v)
			return ims_error_set(err, IMS_ENOMEM,
					     "out of memory (smmuv3 config cache)");
		memset(v + iommu->ncfg, 0, (dev->index + 1 - iommu->ncfg) * sizeof(*v));
		iommu->cfg = v;
		iommu->ncfg = dev->index + 1;
	}
	iommu->cfg[dev->index].sid = dev->sid;
	return 0;
}

/* arm_smmu_attach_dev -> arm_smmu_write_ste: the STE goes from invalid to
 * valid, then CMD_CFGI_STE (Leaf=1: linear Stream table) and CMD_SYNC; the
 * SMMU may have cached the invalid STE (5.2.1). A device with ATS gets
 * STE.EATS=01 (full ATS, 5.2) and, before it may use ATS, an ATC
 * invalidation of everything and a second CMD_SYNC (arm_smmu_enable_ats
 * flushes the ATC first: it may be stale). */
static int smmu_attach(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		       struct ims_error *err)
{
	uint64_t ste[SMMU_STE_WORDS];
	struct smmu_cmd c = smmu_cmd_cfgi_ste(dev->sid, true);
	int rc;

	if ((rc = cfg_slot(sim, dev, err)))
		return rc;
	ste_for(dom, ste);
	if (dev->ats)
		ste[1] |= ims_field_prep(SMMU_STE1_EATS, SMMU_EATS_FULL);
	smmu_cfg_store(sim, smmu_ste_pa(dev->sid), ste, SMMU_STE_WORDS);
	ims_host_charge(sim, IMS_STAT_cyc_sw_other, sim->costs.sw_pasid_entry_update_cycles);
	/* a configuration sync, not an IOTLB sync: not in iotlb_syncs */
	smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, &c, 1);
	if (dev->ats) {
		c = smmu_cmd_atc_inv(dev->sid, 0, UINT64_MAX);
		smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, &c, 1);
	}
	return 0;
}

static struct smmu_inv_req inv_req(const struct ims_sim *sim, const struct smmu_domain *sd,
				   uint64_t start, uint64_t last, bool leaf, unsigned leaf_lg2)
{
	struct smmu_inv_req r = {
		.stage = sd->st->num, .vmid = sd->vmid, .asid = sd->asid,
		.start = start, .last = last, .leaf = leaf, .leaf_lg2 = leaf_lg2,
		.ril = sim->params.smmuv3_ril != 0, .max_ops = sim->params.smmuv3_tlbi_max_ops,
	};

	return r;
}

/* arm_smmu_atc_inv_domain: after the TLBIs have completed (their CMD_SYNC),
 * a CMD_ATC_INV per device of the domain with ATS, then another CMD_SYNC;
 * in the other order a device could fetch the stale translation again from
 * the SMMU's TLB (4.5.1, 3.9.1). Nothing without such devices. */
static void flush_atcs(struct ims_sim *sim, struct ims_domain *dom, uint64_t start,
		       uint64_t last)
{
	struct smmu_cmd *cmds = NULL;
	struct ims_device *dev;
	unsigned n = 0, i = 0;

	while ((dev = ims_ats_device_next(sim, dom, &i))) {
		if (!cmds && !(cmds = calloc(sim->ndevices, sizeof(*cmds))))
			abort();   /* host out of memory: nothing sensible to simulate */
		cmds[n++] = smmu_cmd_atc_inv(dev->sid, start, last);
	}
	if (n)
		smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, cmds, n);
	free(cmds);
}

void smmu_flush_range(struct ims_sim *sim, struct ims_domain *dom, uint64_t start, uint64_t last,
		      bool leaf, unsigned leaf_lg2)
{
	struct smmu_inv_req r = inv_req(sim, smmu_dom(dom), start, last, leaf, leaf_lg2);
	unsigned max = smmu_inv_worst_case(&r), n;
	struct smmu_cmd *cmds = calloc(max, sizeof(*cmds));

	if (!cmds)
		abort();   /* host out of memory: nothing sensible to simulate */
	n = smmu_inv_build(&r, cmds, max);
	smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, cmds, n);
	flush_atcs(sim, dom, start, last);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
	free(cmds);
}

/* arm_smmu_iotlb_sync: TLBIs for the gathered range, then CMD_SYNC. Leaf=1
 * unless a table was freed (Linux invalidates freed tables with Leaf=0 in
 * tlb_flush_walk). An empty gather is a lone CMD_SYNC: the host asked for
 * a sync and pays its round trip (Linux issues nothing at all when the
 * gather has no pgsize).
 * smmuv3_linux_dirty_sync_gap=1 reproduces Linux returning early when
 * gather->pgsize is 0, which is how a dirty-clearing read leaves Linux's
 * gather (iommu_iotlb_gather_add_range sets no pgsize): no TLBI, so cached
 * writable-dirty entries survive.
 * Unverified against current mainline; see docs/models/smmuv3.md. */
static void smmu_iotlb_sync(struct ims_sim *sim, struct ims_domain *dom,
			    const struct ims_gather *gather)
{
	unsigned leaf_lg2 = ims_gather_page_lg2(gather);

	if (gather->empty || (sim->params.smmuv3_linux_dirty_sync_gap && gather->dirty_clear)) {
		smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, NULL, 0);
		IMS_STAT_INC(&sim->stats, iotlb_syncs);
		return;
	}
	smmu_flush_range(sim, dom, gather->start, gather->last, !gather->tables_freed, leaf_lg2);
}

/* arm_smmu_flush_iotlb_all -> arm_smmu_tlb_inv_context: TLBI_NH_ASID at
 * stage 1, TLBI_S12_VMALL at stage 2 (both drop walk caches too), then
 * CMD_SYNC; then the ATCs of devices with ATS, all addresses
 * (arm_smmu_atc_inv_domain with size 0), and another CMD_SYNC. */
static void smmu_iotlb_flush_all(struct ims_sim *sim, struct ims_domain *dom)
{
	const struct smmu_domain *sd = smmu_dom(dom);
	struct smmu_cmd c = sd->st->num == 2 ? smmu_cmd_tlbi_s12_vmall(sd->vmid)
					     : smmu_cmd_tlbi_nh_asid(sd->vmid, sd->asid);

	smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, &c, 1);
	flush_atcs(sim, dom, 0, UINT64_MAX);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
}

/* Stage 2: S2HA/S2HD in the STE of every device of the domain, then for
 * each CMD_CFGI_STE, and TLBI_S12_VMALL because S2HA/S2HD may be cached in
 * TLB entries (5.2.1), then CMD_SYNC: one sync (and the ATCs of devices with
 * ATS, which may hold write permission granted under the old setting). */
static void s2_switch(struct ims_sim *sim, struct ims_domain *dom, bool on)
{
	struct smmu_domain *sd = smmu_dom(dom);
	struct smmu_cmd *cmds = calloc(sim->ndevices + 1, sizeof(*cmds));
	unsigned n = 0;

	if (!cmds)
		abort();
	sd->s2_httu = on;
	for (unsigned i = 0; i < sim->ndevices; i++) {
		const struct ims_device *dev = sim->devices[i];
		uint64_t ste[SMMU_STE_WORDS];

		if (dev->domain != dom)
			continue;
		ste_for(dom, ste);
		/* only word 2 changes: one 64-bit store (a hitless update) */
		ims_host_store(sim, smmu_ste_pa(dev->sid) + 16, ste[2]);
		ims_host_charge(sim, IMS_STAT_cyc_sw_other,
				sim->costs.sw_pasid_entry_update_cycles);
		cmds[n++] = smmu_cmd_cfgi_ste(dev->sid, true);
	}
	cmds[n++] = smmu_cmd_tlbi_s12_vmall(sd->vmid);
	smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, cmds, n);
	flush_atcs(sim, dom, 0, UINT64_MAX);
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
	free(cmds);
}

/* Stage 1 (Linux arm_smmu_set_dirty_tracking): nothing to do, HTTU is on
 * since the CD was written; iommufd has already cleared every dirty bit and
 * synced. Stage 2 (no Linux counterpart): the STE switch above; turning it
 * off first makes writable-clean leaves writable-dirty again, or writes
 * would fault once S2HD is 0.
 * With smmuv3_dbm_at_map=0 leaves carry DBM only while tracking is on: the
 * switch first walks the whole table (smmu_dbm_switch_all), then
 * invalidates the domain: TLBI_NH_ASID + CMD_SYNC at stage 1, and at stage
 * 2 the STE switch, whose TLBI_S12_VMALL covers it (one sync either way).
 * Switching off that way leaves nothing writable-clean to redirty. */
static int smmu_set_dirty_tracking(struct ims_sim *sim, struct ims_domain *dom, bool on,
				   struct ims_error *err)
{
	struct smmu_domain *sd = smmu_dom(dom);

	if (sim->params.smmuv3_httu < 2)
		return ims_error_set(err, IMS_ENOTSUP,
				     "dirty tracking: the SMMU does not update dirty state "
				     "(smmuv3_httu=%u, SMMU_IDR0.HTTU)",
				     (unsigned)sim->params.smmuv3_httu);
	if (!sim->params.smmuv3_dbm_at_map && dom->dirty_tracking != on) {
		smmu_dbm_switch_all(sim, dom, on);
		if (sd->st->num == 1) {
			struct smmu_cmd c = smmu_cmd_tlbi_nh_asid(sd->vmid, sd->asid);

			smmu_cmdq_submit_sync(sim, &smmu_iommu(sim)->cmdq, &c, 1);
			IMS_STAT_INC(&sim->stats, iotlb_syncs);
		}
	}
	if (sd->st->num == 2 && sd->s2_httu != on) {
		if (!on && sim->params.smmuv3_dbm_at_map)
			smmu_redirty_all(sim, dom);
		s2_switch(sim, dom, on);
	}
	IMS_STAT_INC(&sim->stats, dirty_tracking_switches);
	return 0;
}

/* SMMUv3 PMCG architected events (IHI 0070 G.b 10.3), named as Linux's
 * arm_smmuv3_pmu driver lists them; docs/models/smmuv3.md has the mapping
 * and the events left out. */
static const struct ims_hw_counter smmu_hw_counters[] = {
	{ "SMMUV3_PMCG.TRANSACTION", IMS_STAT_translations },
	{ "SMMUV3_PMCG.TLB_MISS", IMS_STAT_iotlb_miss },
	{ "SMMUV3_PMCG.TRANS_TABLE_WALK_ACCESS", IMS_STAT_walk_mem_refs },
};

const struct ims_model_ops ims_smmuv3_ops = {
	.name = "smmuv3",
	.description = "Arm SMMUv3, VMSAv8-64 4 KiB stage 1 or 2, command queue with range "
		       "invalidation, HTTU dirty state (DBM)",
	.pgsize_bitmap = smmu_pgsize_bitmap,
	.can_enforce_coherency = smmu_can_enforce_coherency,
	.map_needs_sync = smmu_map_needs_sync,
	.iommu_init = smmu_iommu_init,
	.iommu_fini = smmu_iommu_fini,
	.domain_init = smmu_domain_init,
	.domain_fini = smmu_domain_fini,
	.attach = smmu_attach,
	.map_page = smmu_map_page,
	.unmap = smmu_unmap,
	.read_dirty = smmu_read_dirty,
	.write_protect = smmu_write_protect,
	.set_dirty_tracking = smmu_set_dirty_tracking,
	.iotlb_sync = smmu_iotlb_sync,
	.iotlb_flush_all = smmu_iotlb_flush_all,
	.walk = smmu_walk,
	.probe = smmu_probe,
	.probe_table = smmu_probe_table,
	.prefetch_walk = smmu_prefetch_walk,
	.hw_counters = smmu_hw_counters,
	.n_hw_counters = sizeof(smmu_hw_counters) / sizeof(smmu_hw_counters[0]),
};
