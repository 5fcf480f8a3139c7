/* SMMUv3 hardware walk through the host API, both stages: walks for every
 * page size (blocks, contiguous runs) with exact memory references, the
 * walk caches, HTTU (Access flag, dirty state) only when enabled, the
 * configuration cache, faults. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

TestSuite(smmu_walk, .fini = teardown);
TestSuite(smmu_httu, .fini = teardown);
TestSuite(smmu_fault, .fini = teardown);
TestSuite(smmu_cfg, .fini = teardown);

/* ---- walks ------------------------------------------------------------------ */

struct refs_row {
	unsigned stage;
	unsigned page_lg2;
	int contig;
	uint64_t refs;
};

static const struct refs_row refs_rows[] = {
	{ 1, 12, 0, 4 }, { 1, 21, 0, 3 }, { 1, 30, 0, 2 }, { 1, 16, 1, 4 }, { 1, 25, 1, 3 },
	{ 2, 12, 0, 4 }, { 2, 21, 0, 3 }, { 2, 30, 0, 2 }, { 2, 16, 1, 4 }, { 2, 25, 1, 3 },
};

ParameterizedTestParameters(smmu_walk, cold_walk_reads_one_descriptor_per_level)
{
	return cr_make_param_array(struct refs_row, refs_rows,
				   sizeof(refs_rows) / sizeof(refs_rows[0]));
}

ParameterizedTest(const struct refs_row *r, smmu_walk, cold_walk_reads_one_descriptor_per_level)
{
	uint64_t size = 1ull << r->page_lg2, iova = 4 * GIB + (1ull << 40);
	struct ims_walk w;

	SMMU_SETUP(.stage = r->stage, .contig = r->contig);
	map(iova, size, RW);
	cr_assert_eq(refs_of(iova + size / 2, false), r->refs, "stage %u, 2^%u", r->stage,
		     r->page_lg2);
	cr_assert_eq(STAT(psc_miss), 1);
	sim.model->walk(&sim, dev, dom, iova + size / 2 + 8, IMS_ACCESS_READ, &w);
	cr_assert_eq(w.fault, IMS_FAULT_NONE);
	cr_assert_eq(w.page_lg2, r->page_lg2, "a contiguous run is one TLB entry");
	cr_assert_eq(w.pa, smmu_desc_page_base(leaf(iova), smmu_level_of_lg2(r->page_lg2)));
	/* host domains enforce coherency unless declared otherwise: snooped */
	cr_assert_eq(w.tlb_flags, IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY | IMS_TLB_SNOOP,
		     "created writable-dirty: writes need no update");
	/* the whole leaf is reachable from the one TLB entry */
	cr_assert_eq(refs_of(iova, true), 0);
	cr_assert_eq(refs_of(iova + size - 8, false), 0);
}

Test(smmu_walk, blocks_are_block_descriptors_at_arm_levels_2_and_1)
{
	setup_s1();
	map(0x200000, 2 * MIB, RW);
	map(GIB, GIB, RW);
	cr_assert_eq(smmu_desc_type(entry(0x200000, 1), 1), SMMU_DESC_LEAF);
	cr_assert_eq(entry(0x200000, 1) & 3, 1, "bits[1:0] = 0b01: Block");
	cr_assert_eq(entry(GIB, 2) & 3, 1);
	cr_assert_eq(smmu_desc_type(entry(GIB, 3), 3), SMMU_DESC_TABLE);
	cr_assert_eq(STAT(map_pages_2m), 1);
	cr_assert_eq(STAT(map_pages_1g), 1);
}

Test(smmu_walk, contiguous_run_is_sixteen_descriptors_with_the_hint)
{
	uint64_t base;

	SMMU_SETUP(.stage = 1, .contig = 1);
	map(0x10000, 64 * KIB, RW);
	base = smmu_desc_oa(leaf(0x10000));
	for (unsigned i = 0; i < 16; i++) {
		uint64_t d = leaf(0x10000 + i * 0x1000ull);

		cr_assert(d & SMMU_DESC_CONTIG, "entry %u", i);
		cr_assert_eq(smmu_desc_oa(d), base + i * 0x1000ull, "consecutive OAs");
	}
	cr_assert_eq(STAT(map_pages_4k), 16);
	cr_assert(cached(0x10000) == false);
	cr_assert_eq(refs_of(0x1a000, false), 4);
	cr_assert(cached(0x10000) && cached(0x1f000), "one 64 KiB TLB entry");
	/* without the parameter the same map is 16 plain pages */
	teardown();
	SMMU_SETUP(.stage = 1, .contig = 0);
	map(0x10000, 64 * KIB, RW);
	cr_assert_eq(leaf(0x10000) & SMMU_DESC_CONTIG, 0);
	cr_assert_eq(sim.model->pgsize_bitmap(&sim), (1ull << 12) | (1ull << 21) | (1ull << 30));
}

Test(smmu_walk, partial_unmap_of_a_contiguous_run_fails)
{
	SMMU_SETUP(.stage = 1, .contig = 1);
	map(0x10000, 64 * KIB, RW);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x14000, 0x1000, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "would cut the 64 KiB page at 0x10000"), "%s",
		  err.msg);
	cr_assert(leaf(0x14000) & SMMU_DESC_CONTIG);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x10000, 64 * KIB, &err), 0, "%s", err.msg);
}

Test(smmu_walk, walk_caches_skip_upper_reads)
{
	setup_s1();
	map_4k(0x40000000, 4 * MIB, PA4K);
	cr_assert_eq(refs_of(0x40000000, false), 4, "cold");
	cr_assert_eq(refs_of(0x40001000, false), 1, "level-1 walk cache: the L3 table");
	cr_assert_eq(STAT(psc_hit_l1), 1);
	cr_assert_eq(refs_of(0x40200000, false), 2, "level-2 walk cache: the L2 table");
	cr_assert_eq(STAT(psc_hit_l2), 1);
	cr_assert_eq(refs_of(0x40200010, false), 0, "IOTLB hit");
	/* the walk caches are tagged like the IOTLB: VMID:ASID */
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x40000000));
	cr_assert_eq(dom->tlb_tag, dom->did, "stage 1: VMID 0, ASID = did");
}

Test(smmu_walk, stage2_domains_are_tagged_by_vmid)
{
	setup_s2();
	cr_assert_eq(dom->tlb_tag, (uint32_t)dom->did << 16);
	map_4k(0x100000, 0x1000, PA4K);
	cr_assert_eq(refs_of(0x100000, false), 4);
	cr_assert(cached(0x100000));
}

Test(smmu_walk, walk_cache_hit_is_cheaper_than_the_reads_it_saves)
{
	struct ims_walk cold, warm;

	setup_s2();
	map_4k(0x40000000, 4 * MIB, PA4K);
	sim.model->walk(&sim, dev, dom, 0x40000000, IMS_ACCESS_READ, &cold);
	sim.model->walk(&sim, dev, dom, 0x40001000, IMS_ACCESS_READ, &warm);
	cr_assert_lt(warm.cycles, cold.cycles);
	cr_assert_geq(warm.cycles, sim.costs.psc_hit_ns);
}

Test(smmu_walk, block_over_an_empty_table_is_remapped_and_flushed)
{
	setup_s1();
	map_4k(0x200000, 0x1000, PA4K);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x200000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(smmu_desc_type(entry(0x200000, 1), 1), SMMU_DESC_TABLE);
	uint64_t free0 = STAT(pt_pages_free), syncs0 = STAT(iotlb_syncs);

	map(0x200000, 2 * MIB, RW);
	cr_assert_eq(smmu_desc_type(entry(0x200000, 1), 1), SMMU_DESC_LEAF);
	cr_assert_eq(STAT(pt_pages_free) - free0, 1);
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1, "the walk caches pointing at it flushed");
	cr_assert_eq(refs_of(0x212345, false), 3);
}

/* ---- HTTU --------------------------------------------------------------------- */

Test(smmu_httu, access_flag_set_by_hardware_only_with_ha)
{
	setup_s1();
	map_4k(0x100000, 0x2000, PA4K);
	cr_assert(leaf(0x100000) & SMMU_DESC_AF, "mapped with AF=1, as Linux");
	poke_leaf(0x100000, leaf(0x100000) & ~SMMU_DESC_AF);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert(leaf(0x100000) & SMMU_DESC_AF, "3.13.2: HA sets AF");
	cr_assert_eq(STAT(a_set), 1);
	cr_assert_eq(STAT(ad_updates), 1);
	cr_assert_eq(STAT(cyc_ad_update), sim.costs.ad_update_ns);
	cr_assert_eq(STAT(d_set), 0);
}

Test(smmu_httu, access_flag_fault_without_ha)
{
	SMMU_SETUP(.stage = 1, .httu = 0);
	map_4k(0x100000, 0x2000, PA4K);
	cr_assert_eq(leaf(0x100000) & SMMU_DESC_DBM, 0, "no dirty-state HTTU: no DBM");
	poke_leaf(0x100000, leaf(0x100000) & ~SMMU_DESC_AF);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 1, "F_ACCESS");
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(leaf(0x100000) & SMMU_DESC_AF, 0);
	cr_assert_eq(STAT(ad_updates), 0);
	/* a plain writable page is written without any update */
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert_eq(STAT(ad_updates), 0);
}

Test(smmu_httu, affd_treats_af_as_set_without_writing_it)
{
	SMMU_SETUP(.stage = 1, .httu = 0);
	map_4k(0x100000, 0x1000, PA4K);
	poke_leaf(0x100000, leaf(0x100000) & ~SMMU_DESC_AF);
	/* the driver sets CD.AFFD and invalidates the CD */
	ims_mem_store64(&sim.mem, sd()->cd_pa,
			ims_mem_load64(&sim.mem, sd()->cd_pa) | SMMU_CD0_AFFD);
	struct smmu_cmd c = smmu_cmd_cfgi_cd(dev->sid, 0, true);

	smmu_cmdq_submit_sync(&sim, &iommu()->cmdq, &c, 1);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_eq(leaf(0x100000) & SMMU_DESC_AF, 0);
}

/* Stage 1: leaves start writable-dirty; a clear makes them writable-clean
 * and the next write makes them dirty again, atomically. */
Test(smmu_httu, write_to_writable_clean_sets_dirty_stage1)
{
	setup_s1();
	map_4k(0x100000, 0x2000, PA4K);
	cr_assert(dirty(0x100000), "created writable-dirty");
	cr_assert_eq(leaf(0x100000) & (SMMU_DESC_AP2 | SMMU_DESC_DBM), SMMU_DESC_DBM);
	tracking(true);   /* iommufd clears every dirty bit first */
	cr_assert_eq(leaf(0x100000) & (SMMU_DESC_AP2 | SMMU_DESC_DBM),
		     SMMU_DESC_AP2 | SMMU_DESC_DBM, "writable-clean: AP[2]=1");
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_not(dirty(0x100000), "reads do not dirty");
	cr_assert_eq(STAT(ad_updates), 0, "AF already set: no update on a read");
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 0);
	cr_assert(dirty(0x101000));
	cr_assert_eq(STAT(d_set), 1);
	cr_assert_eq(STAT(ad_updates), 1);
}

Test(smmu_httu, write_after_read_rewalks_to_set_dirty)
{
	setup_s1();
	map_4k(0x100000, 0x1000, PA4K);
	tracking(true);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	struct ims_iotlb_entry *e = ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, 0x100000);

	cr_assert_not_null(e);
	cr_assert_eq(e->flags, IMS_TLB_R | IMS_TLB_W | IMS_TLB_SNOOP,
		     "writable-clean with HD: W, not DIRTY");
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(iotlb_dirty_rewalk), 1);
	cr_assert(dirty(0x100000));
	uint64_t walks = STAT(walks);

	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(STAT(walks), walks, "cached writable-dirty: the next write hits");
}

/* Stage 2: S2HD comes from the STE, off until tracking is enabled. */
Test(smmu_httu, stage2_dirty_state_only_with_s2hd)
{
	setup_s2();
	map_4k(0x100000, 0x2000, PA4K);
	cr_assert(dirty(0x100000), "created writable-dirty: DBM=1, S2AP[1]=1");
	/* software makes it writable-clean while S2HD=0: a write faults */
	poke_leaf(0x100000, smmu_desc_make_clean(&smmu_stage2, leaf(0x100000)));
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(STAT(ad_updates), 0);
	tracking(true);
	cr_assert(iommu()->cfg[dev->index].ste[2] & SMMU_STE2_S2HD, "cached STE has S2HD");
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert(dirty(0x100000), "S2AP[1] set by hardware");
	cr_assert(leaf(0x100000) & SMMU_DESC_S2AP_W);
	cr_assert_eq(STAT(d_set), 1);
}

Test(smmu_httu, dbm_zero_read_only_write_is_a_permission_fault)
{
	setup_s1();
	map(0x100000, 0x1000, IMS_PROT_READ);
	cr_assert_eq(leaf(0x100000) & (SMMU_DESC_DBM | SMMU_DESC_AP2), SMMU_DESC_AP2);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_eq(sim.faults[0].level, 0);
	cr_assert_eq(sim.faults[0].pte_pa, leaf_pa(0x100000));
	cr_assert_eq(STAT(ad_updates), 0, "no update on a faulting access");
}

/* ---- faults --------------------------------------------------------------------- */

ParameterizedTestParameters(smmu_fault, not_present_names_the_descriptor)
{
	static unsigned stages[] = { 1, 2 };

	return cr_make_param_array(unsigned, stages, 2);
}

ParameterizedTest(unsigned *stage, smmu_fault, not_present_names_the_descriptor)
{
	SMMU_SETUP(.stage = *stage);
	cr_assert_eq(ims_dma(&sim, dev, 0x7f0000000000ull, 8, false), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
	cr_assert_eq(sim.faults[0].level, 3, "empty level 0 table");
	cr_assert_eq(sim.faults[0].pte_pa,
		     sd()->root_pa + 8 * smmu_desc_index(0x7f0000000000ull, 3));
	map_4k(0x100000, 0x1000, PA4K);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, false), 1);
	cr_assert_eq(sim.faults[1].level, 0);
	cr_assert_eq(ims_dma(&sim, dev, 1ull << 48, 8, false), 1);
	cr_assert_eq(STAT(fault_addr), 1);
	cr_assert_eq(STAT(faults), 3);
}

Test(smmu_fault, aptable_removes_write_below_and_httu_cannot_override)
{
	uint64_t d, pa;

	setup_s1();
	map_4k(0x40000000, 0x1000, PA4K);
	tracking(true);   /* writable-clean now */
	cr_assert_eq(smmu_debug_entry(&sim, dom, 0x40000000, 2, &d, &pa), 0);
	ims_mem_store64(&sim.mem, pa, d | SMMU_TABLE_AP1);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 1, "APTable[1]: read-only below");
	cr_assert_eq(STAT(fault_perm), 1);
	cr_assert_not(dirty(0x40000000), "3.13.3.1: not a writable-clean case");
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, false), 0);
	/* CD.HAD0 disables the hierarchical control */
	ims_mem_store64(&sim.mem, sd()->cd_pa + 8,
			ims_mem_load64(&sim.mem, sd()->cd_pa + 8) | SMMU_CD1_HAD0);
	struct smmu_cmd c[2] = { smmu_cmd_cfgi_cd(dev->sid, 0, true),
				 smmu_cmd_tlbi_nh_asid(0, sd()->asid) };

	smmu_cmdq_submit_sync(&sim, &iommu()->cmdq, c, 2);
	cr_assert_eq(ims_dma(&sim, dev, 0x40000000, 8, true), 0);
	cr_assert(dirty(0x40000000));
}

Test(smmu_fault, stage2_write_only_and_read_only)
{
	setup_s2();
	map(0x100000, 0x1000, IMS_PROT_WRITE);
	map(0x200000, 0x1000, IMS_PROT_READ);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 1, "S2AP=0b10: no read");
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, true), 1);
	cr_assert_eq(STAT(fault_perm), 2);
}

Test(smmu_fault, invalid_ste_aborts_and_unsupported_width_is_rejected)
{
	struct ims_domain *d57;

	setup_s1();
	map_4k(0x100000, 0x1000, PA4K);
	ims_mem_store64(&sim.mem, smmu_ste_pa(dev->sid), 0);
	struct smmu_cmd c = smmu_cmd_cfgi_ste(dev->sid, true);

	smmu_cmdq_submit_sync(&sim, &iommu()->cmdq, &c, 1);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 1, "C_BAD_STE");
	cr_assert_eq(STAT(fault_no_domain), 1);
	cr_assert_eq(ims_host_domain_create(&sim, "d57", 57, &d57, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "57-bit"), "%s", err.msg);
}

/* ---- configuration cache ------------------------------------------------------------ */

Test(smmu_cfg, cd_change_takes_effect_only_after_cfgi_cd)
{
	setup_s1();
	map_4k(0x100000, 0x3000, PA4K);
	tracking(true);
	/* software clears HD in memory but does not invalidate the CD */
	ims_mem_store64(&sim.mem, sd()->cd_pa,
			ims_mem_load64(&sim.mem, sd()->cd_pa) & ~SMMU_CD0_HD);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, true), 0, "the cached CD still has HD");
	cr_assert(dirty(0x100000));
	struct smmu_cmd c[2] = { smmu_cmd_cfgi_cd(dev->sid, 0, true),
				 smmu_cmd_tlbi_nh_asid(0, sd()->asid) };

	smmu_cmdq_submit_sync(&sim, &iommu()->cmdq, c, 2);
	cr_assert_eq(iommu()->cfg[dev->index].cd[0] & SMMU_CD0_HD, 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, true), 1, "writable-clean, HD=0: fault");
	cr_assert_not(dirty(0x101000));
}

Test(smmu_cfg, attach_writes_the_ste_and_invalidates_it)
{
	uint64_t ste[SMMU_STE_WORDS];
	struct ims_device *dev2;

	setup_s1();
	smmu_cfg_load(&sim, smmu_ste_pa(dev->sid), ste, SMMU_STE_WORDS);
	cr_assert_eq(ste[0], sd()->cd_pa | (SMMU_STE_CFG_S1 << 1) | SMMU_STE0_V);
	cr_assert_eq(memcmp(ste, iommu()->cfg[dev->index].ste, sizeof(ste)), 0);
	cr_assert_eq(STAT(inv_context), 1, "CMD_CFGI_STE");
	cr_assert_eq(STAT(inv_wait), 1, "followed by CMD_SYNC");
	cr_assert_eq(STAT(iotlb_syncs), 0, "a configuration sync is not an IOTLB sync");
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev2, &err), 0);
	cr_assert_eq(ims_host_attach(&sim, dev2, dom, &err), 0, "%s", err.msg);
	cr_assert_eq(iommu()->cfg[dev2->index].sid, 0x200);
	cr_assert_eq(iommu()->cfg[dev2->index].cd[0], iommu()->cfg[dev->index].cd[0],
		     "both STEs locate the domain's CD");
	map_4k(0x100000, 0x1000, PA4K);
	cr_assert_eq(ims_dma(&sim, dev2, 0x100000, 8, false), 0);
}
