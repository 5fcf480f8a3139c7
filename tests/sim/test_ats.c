/* PCIe ATS device TLBs (sim/host/ats.c, docs/ats.md) under every model:
 * what a device's ATC serves, what it is refused, that every IOTLB
 * invalidation of its domain reaches it and that syncs wait for the device;
 * then each model's device-TLB invalidation command, bit by bit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/amdv1/amdv1_cmd.h"
#include "models/common/inv_range.h"
#include "models/smmuv3/smmu_cmdq.h"
#include "models/vtd/vtd_qi.h"
#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"
#include "sim/run.h"

#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define IOVA 0x100000ull
#define S(name) IMS_STAT_GET(&t->sim.stats, name)

struct ats_rig {
	struct ims_sim sim;
	struct ims_domain *dom;
	struct ims_device *dev;
	struct ims_error err;
};

static void must(int rc, const struct ims_error *err)
{
	cr_assert_eq(rc, 0, "%s", err->msg);
}

/* A domain and a device, neither attached nor using ATS yet. */
static void rig_bare(struct ats_rig *t, const char *model)
{
	struct ims_params p;

	memset(t, 0, sizeof(*t));
	ims_params_default(&p);
	must(ims_sim_init(&t->sim, ims_model_find(model), &p, &t->err), &t->err);
	must(ims_host_domain_create(&t->sim, "vm", 48, &t->dom, &t->err), &t->err);
	must(ims_host_device_create(&t->sim, "nic", 0x100, &t->dev, &t->err), &t->err);
}

/* A domain with 16 pages mapped at IOVA and one device with a 64-entry ATC
 * attached to it; dirty tracking on if `tracking`. */
static void rig_up_tracking(struct ats_rig *t, const char *model, bool tracking)
{
	rig_bare(t, model);
	must(ims_host_device_enable_ats(&t->sim, t->dev, 64, 0, &t->err), &t->err);
	must(ims_host_attach(&t->sim, t->dev, t->dom, &t->err), &t->err);
	must(ims_host_map(&t->sim, t->dom, IOVA, 16 << 12, false, 0, RW, &t->err), &t->err);
	if (tracking)
		must(ims_host_set_dirty_tracking(&t->sim, t->dom, true, &t->err), &t->err);
}

static void rig_up(struct ats_rig *t, const char *model)
{
	rig_up_tracking(t, model, false);
}

static bool page_dirty(struct ats_rig *t, uint64_t iova)
{
	struct ims_dirty_bitmap bm;
	bool dirty;

	must(ims_host_read_dirty(&t->sim, t->dom, iova, 4096, 12, 0, &bm, &t->err), &t->err);
	dirty = bm.bits[0] & 1;
	free(bm.bits);
	return dirty;
}

static const char *const models[] = { "vtd", "amdv1", "smmuv3" };

/* Each of these runs under every model. */
#define EVERY_MODEL(name)                                                         \
	static void name(const char *const *model);                               \
	Test(ats, name)                                                           \
	{                                                                         \
		for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)   \
			name(&models[i]);                                         \
	}                                                                         \
	static void name(const char *const *model)

EVERY_MODEL(an_atc_hit_bypasses_the_iommu)
{
	struct ats_rig r, *t = &r;

	rig_up(t, *model);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 0);
	cr_assert_eq(S(atc_miss), 1, "the first read asks the IOMMU");
	cr_assert_eq(S(translations), 1);
	cr_assert_eq(S(atc_fill), 1);
	cr_assert_gt(S(cyc_ats_translation), t->sim.dma_cfg.rtt,
		     "a translation request is a round trip plus the IOMMU's walk");
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA + 128, 64, false), 0);
	cr_assert_eq(S(atc_hit), 1, "the second read of the page hits the device's ATC");
	cr_assert_eq(S(translations), 1, "and never reaches the IOMMU");
	cr_assert_eq(S(iotlb_hit) + S(iotlb_miss), 1);
	ims_sim_fini(&t->sim);
}

/* A read asks with NW=1: the completion grants no write to a clean page
 * while tracking is on, so a later write asks again (NW=0) and the IOMMU
 * sets D before it grants W; writes after that hit the ATC. */
EVERY_MODEL(write_permission_is_granted_with_d_set)
{
	struct ats_rig r, *t = &r;

	rig_up_tracking(t, *model, true);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 0);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, true), 0);
	cr_assert_eq(S(atc_miss), 2, "the write needed a translation request with NW=0");
	cr_assert_eq(S(d_set), 1);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA + 64, 64, true), 0);
	cr_assert_eq(S(atc_hit), 1, "then writes go out translated");
	cr_assert_eq(S(d_set), 1);
	cr_assert(page_dirty(t, IOVA));
	ims_sim_fini(&t->sim);
}

/* The reason a dirty clear must reach the ATC: a device holding W would
 * write again without the IOMMU ever setting D. */
EVERY_MODEL(a_dirty_clear_reaches_the_atc)
{
	struct ats_rig r, *t = &r;

	rig_up_tracking(t, *model, true);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, true), 0);
	cr_assert(page_dirty(t, IOVA), "read and clear: dirty");
	cr_assert_geq(S(inv_devtlb), 1, "the clear's sync invalidated the device TLB");
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, true), 0);
	cr_assert_eq(S(atc_refill_after_inv), 1, "the flush cost a translation request");
	cr_assert(page_dirty(t, IOVA), "the second write set D again: it missed the ATC");
	cr_assert_eq(S(dirty_pages_missed), 0);
	ims_sim_fini(&t->sim);
}

/* Unmap invalidates the device TLB and the sync waits for the device's
 * completion: the host stalls until the device answers. With a slow device
 * (100,000 cycles) the wait is that, less what the IOMMU did in between
 * (its wait command; on AMD also the host writing that command, each
 * command being processed as its tail write lands). On VT-d exactly
 * ats_inv less the wait descriptor. */
EVERY_MODEL(unmap_waits_for_the_device)
{
	struct ats_rig r, *t = &r;
	uint64_t devtlb_before, stall_before, devtlb_wait;

	rig_up(t, *model);
	t->dev->ats_inv_cycles = 100000;
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 0);
	cr_assert_eq(S(inv_devtlb), !strcmp(*model, "vtd") ? 0 : 1,
		     "attach empties the ATC on AMD and SMMUv3 (Linux does), not on VT-d");
	devtlb_before = S(cyc_inv_devtlb_wait);
	stall_before = S(cyc_inv_wait);
	must(ims_host_unmap(&t->sim, t->dom, IOVA, 4096, &t->err), &t->err);
	cr_assert_eq(S(inv_devtlb), !strcmp(*model, "vtd") ? 1 : 2);
	cr_assert_eq(S(atc_inv_entries), 1);
	devtlb_wait = S(cyc_inv_devtlb_wait) - devtlb_before;
	cr_assert(devtlb_wait > 100000 - 3000 && devtlb_wait < 100000,
		  "%s: %llu cycles waited for the device", *model,
		  (unsigned long long)devtlb_wait);
	if (!strcmp(*model, "vtd"))
		cr_assert_eq(devtlb_wait, 100000 - t->sim.costs.vtd_wait_desc_ns);
	cr_assert_geq(S(cyc_inv_wait) - stall_before, devtlb_wait, "the host stalled through it");
	/* the device asks again and is refused: a fault, the ATC stays empty */
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 1);
	cr_assert_eq(S(atc_miss), 2);
	cr_assert_eq(S(faults), 1);
	ims_sim_fini(&t->sim);
}

EVERY_MODEL(a_device_without_ats_gets_no_device_tlb_invalidation)
{
	struct ats_rig r, *t = &r;

	rig_bare(t, *model);
	must(ims_host_attach(&t->sim, t->dev, t->dom, &t->err), &t->err);
	must(ims_host_map(&t->sim, t->dom, IOVA, 4096, false, 0, RW, &t->err), &t->err);
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 0);
	must(ims_host_unmap(&t->sim, t->dom, IOVA, 4096, &t->err), &t->err);
	cr_assert_eq(S(inv_devtlb), 0);
	cr_assert_eq(S(cyc_inv_devtlb_wait), 0);
	cr_assert_eq(S(atc_hit) + S(atc_miss), 0);
	ims_sim_fini(&t->sim);
}

/* traces/examples/ats.trace: the NIC's second write hits its ATC, the disk
 * (no ATS) never looks one up, and the unmap waits for the GPU's 8,000-cycle
 * invalidation (less the wait command's own work). */
EVERY_MODEL(the_example_trace)
{
	struct ims_strategies st;
	struct ims_params p;
	struct ims_error err = { 0 };
	struct ims_sim sim;

	ims_params_default(&p);
	ims_strategies_default(&st);
	must(ims_run_file(&sim, IMS_SOURCE_DIR "/traces/examples/ats.trace", ims_model_find(*model),
			  &p, &st, &err), &err);
	cr_assert_eq(IMS_STAT_GET(&sim.stats, faults), 0, "%s", *model);
	cr_assert_eq(IMS_STAT_GET(&sim.stats, atc_hit), 1);
	cr_assert_eq(IMS_STAT_GET(&sim.stats, atc_miss), 2);
	cr_assert_eq(IMS_STAT_GET(&sim.stats, translations), 3, "two requests and the disk's DMA");
	cr_assert_eq(IMS_STAT_GET(&sim.stats, atc_inv_entries), 2);
	cr_assert(IMS_STAT_GET(&sim.stats, cyc_inv_devtlb_wait) > 8000 - 1000);
	ims_sim_fini(&sim);
}

/* A model whose syncs invalidate the IOTLB but never the devices' ATCs:
 * what --check holds against the page table must catch it. */
static void sync_forgetting_atcs(struct ims_sim *sim, struct ims_domain *dom,
				 const struct ims_gather *g)
{
	for (unsigned i = 0; i < sim->ndevices; i++)
		sim->devices[i]->ats = false;
	ims_model_find(sim->model->name)->iotlb_sync(sim, dom, g);
	for (unsigned i = 0; i < sim->ndevices; i++)
		sim->devices[i]->ats = true;
}

EVERY_MODEL(check_mode_catches_a_stale_atc)
{
	struct ims_model_ops broken = *ims_model_find(*model);
	struct ats_rig r, *t = &r;

	rig_up(t, *model);
	broken.iotlb_sync = sync_forgetting_atcs;
	t->sim.model = &broken;
	t->sim.check.on = true;
	cr_assert_eq(ims_dma(&t->sim, t->dev, IOVA, 64, false), 0);
	must(ims_host_unmap(&t->sim, t->dom, IOVA, 4096, &t->err), &t->err);
	cr_assert(t->sim.check.failed, "%s: a stale ATC entry went unnoticed", *model);
	cr_assert(strstr(t->sim.check.msg, "the ATC of device 'nic' holds IOVA 0x100000"), "%s",
		  t->sim.check.msg);
	ims_sim_fini(&t->sim);
}

Test(ats, enabling_is_checked)
{
	struct ats_rig r, *t = &r;

	rig_bare(t, "vtd");
	cr_assert_neq(ims_host_device_enable_ats(&t->sim, t->dev, 48, 0, &t->err), 0);
	cr_assert(strstr(t->err.msg, "ats=48 entries / 8 ways"), "%s", t->err.msg);
	must(ims_host_device_enable_ats(&t->sim, t->dev, 4, 1000, &t->err), &t->err);
	cr_assert_eq(t->dev->atc.ways, 4, "fewer entries than ats_atc_ways: fully associative");
	cr_assert_eq(t->dev->ats_inv_cycles, 1000);
	must(ims_host_attach(&t->sim, t->dev, t->dom, &t->err), &t->err);
	cr_assert_neq(ims_host_device_enable_ats(&t->sim, t->dev, 4, 0, &t->err), 0);
	cr_assert(strstr(t->err.msg, "before the device is attached"), "%s", t->err.msg);
	ims_sim_fini(&t->sim);
}

/* VT-d caching mode: a map must be followed by an IOTLB invalidation, but no
 * device can have cached what was not present: no device-TLB descriptor
 * (Linux cache_tag_flush_range_np flushes IOTLB tags only). */
Test(ats, a_caching_mode_map_sync_leaves_the_atcs_alone)
{
	struct ats_rig r, *t = &r;

	rig_bare(t, "vtd");
	t->sim.params.vtd_cm = 1;
	must(ims_host_device_enable_ats(&t->sim, t->dev, 64, 0, &t->err), &t->err);
	must(ims_host_attach(&t->sim, t->dev, t->dom, &t->err), &t->err);
	must(ims_host_map(&t->sim, t->dom, IOVA, 16 << 12, false, 0, RW, &t->err), &t->err);
	cr_assert_eq(S(map_syncs), 1);
	cr_assert_eq(S(inv_devtlb), 0);
	must(ims_host_unmap(&t->sim, t->dom, IOVA, 4096, &t->err), &t->err);
	cr_assert_eq(S(inv_devtlb), 1, "an unmap still reaches the device");
	ims_sim_fini(&t->sim);
}

/* ---- command encodings ---------------------------------------------------- */

/* VT-d device-TLB invalidate descriptor: type 3 in qw0[3:0], SID 47:32,
 * PFSID split over 15:12 and 63:52, MIP 0 (= 32); qw1 S and ADDR. */
Test(ats, vtd_device_tlb_descriptor)
{
	struct vtd_qi_desc d = vtd_qi_devtlb(0x1234, 0x200000, 0x200fff);

	cr_assert_eq(vtd_qi_desc_type(&d), VTD_QI_TYPE_DEVTLB);
	cr_assert_eq(d.qw[0], 0x3ull | 0x4000ull | (0x1234ull << 32) | (0x123ull << 52),
		     "qw0 0x%llx", (unsigned long long)d.qw[0]);
	cr_assert_eq(d.qw[1], 0x200000, "one page: S=0");
	d = vtd_qi_devtlb(0x1234, 0x200000, 0x203fff);   /* 16 KiB: bit 12 set, 13 clear */
	cr_assert_eq(d.qw[1], 0x201000 | VTD_QI_DEVTLB_S);
	d = vtd_qi_devtlb(0x1234, 0, UINT64_MAX);
	cr_assert_eq(d.qw[1], IMS_INV_RANGE_ALL_ADDR | VTD_QI_DEVTLB_S);
}

/* AMD INVALIDATE_IOTLB_PAGES: opcode 4 in 63:60, DeviceID 15:0, Maxpend
 * 31:24, QueueID 47:32; qw1 S, Address. */
Test(ats, amd_invalidate_iotlb_pages)
{
	struct amdv1_cmd c = amdv1_cmd_inv_iotlb_pages(0x0a10, 0x40000000, 0x401fffff);

	cr_assert_eq(amdv1_cmd_opcode(&c), AMDV1_CMD_INV_IOTLB_PAGES);
	cr_assert_eq(c.qw[0], (4ull << 60) | (0x0a10ull << 32) | (32ull << 24) | 0x0a10ull,
		     "qw0 0x%llx", (unsigned long long)c.qw[0]);
	/* 2 MiB at 1 GiB: bits 12..19 set, bit 20 clear */
	cr_assert_eq(c.qw[1], 0x400ff000ull | AMDV1_IIOTLB_S, "qw1 0x%llx",
		     (unsigned long long)c.qw[1]);
}

/* SMMUv3 CMD_ATC_INV: opcode 0x40, StreamID 63:32, SSV=0; dw1 Size 5:0 and
 * the span's aligned Address; Size 52 for everything. */
Test(ats, smmu_cmd_atc_inv)
{
	struct smmu_cmd c = smmu_cmd_atc_inv(0x42, 0x5000, 0x5fff);
	uint64_t start, last;

	cr_assert_eq(c.dw[0], 0x40ull | (0x42ull << 32));
	cr_assert_eq(c.dw[1], 0x5000, "one page: Size 0");
	c = smmu_cmd_atc_inv(0x42, 0x5000, 0x6fff);   /* pages 5 and 6 differ in bit 1 */
	cr_assert_eq(c.dw[1], 0x4000 | 2, "dw1 0x%llx: 16 KiB from 0x4000",
		     (unsigned long long)c.dw[1]);
	smmu_atc_inv_range(&c, &start, &last);
	cr_assert_eq(start, 0x4000);
	cr_assert_eq(last, 0x7fff);
	c = smmu_cmd_atc_inv(0x42, 0, UINT64_MAX);
	cr_assert_eq(c.dw[1], SMMU_ATC_SIZE_ALL);
	smmu_atc_inv_range(&c, &start, &last);
	cr_assert_eq(start, 0);
	cr_assert_eq(last, UINT64_MAX);
}
