/* Host operations and dirty strategies, end to end through a model. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"

static struct ims_sim sim;
static struct ims_domain *dom;
static struct ims_device *dev;
static struct ims_error err;

static void setup(void)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_domain_create(&sim, "d0", 48, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	ims_sim_fini(&sim);
}

TestSuite(host, .init = setup, .fini = teardown);

#define STAT(name) IMS_STAT_GET(&sim.stats, name)

Test(host, map_uses_large_pages_when_iova_pa_and_length_align)
{
	cr_assert_eq(ims_host_map(&sim, dom, 0x40000000, 4 << 20, false, 0,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(map_pages_2m), 2);
	cr_assert_eq(STAT(map_pages_4k), 0);
	/* a PA that is not 2 MiB aligned forces 4 KiB leaves */
	cr_assert_eq(ims_host_map(&sim, dom, 0x80000000, 4 << 20, true, 0x200001000,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(map_pages_4k), 1024);
	/* 1 GiB aligned IOVA and length: one 1 GiB leaf */
	cr_assert_eq(ims_host_map(&sim, dom, 1ull << 32, 1ull << 30, false, 0,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(map_pages_1g), 1);
}

Test(host, overlapping_map_and_unmapped_unmap_are_errors)
{
	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 0x10000, false, 0, IMS_PROT_READ, &err), 0);
	cr_assert_eq(ims_host_map(&sim, dom, 0x10f000, 0x2000, false, 0, IMS_PROT_READ, &err),
		     -IMS_EEXIST);
	cr_assert(strstr(err.msg, "overlaps"), "%s", err.msg);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x108000, 0x10000, &err), -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x110000"), "names the first unmapped address: %s", err.msg);
	cr_assert_eq(ims_host_map(&sim, dom, 0x1001, 0x1000, false, 0, IMS_PROT_READ, &err),
		     -IMS_EINVAL);
	cr_assert_eq(STAT(map_calls), 1, "failed maps are not counted");
}

Test(host, dma_to_unmapped_iova_is_a_recorded_fault)
{
	cr_assert_eq(ims_dma(&sim, dev, 0xdead000, 64, true), 1);
	cr_assert_eq(STAT(faults), 1);
	cr_assert_eq(STAT(fault_not_present), 1);
	cr_assert_eq(sim.nfaults_logged, 1);
	cr_assert_eq(sim.faults[0].iova, 0xdead000);
	cr_assert_eq(sim.faults[0].device, dev->index);
	cr_assert_eq(STAT(dma_bytes), 0, "a faulting DMA moves nothing");
}

Test(host, read_only_mapping_faults_on_write)
{
	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 0x1000, false, 0, IMS_PROT_READ, &err), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 64, false), 0);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 64, true), 1);
	cr_assert_eq(STAT(fault_perm), 1);
}

/* Map 64 4 KiB pages and a 2 MiB page, turn tracking on, write a pattern. */
static void populate_and_write(void)
{
	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 64 << 12, true, 0x300001000,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_map(&sim, dom, 0x400000, 2 << 20, false, 0,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	for (int i = 0; i < 64; i += 3)
		ims_dma(&sim, dev, 0x100000 + ((uint64_t)i << 12) + 8, 100, true);
	ims_dma(&sim, dev, 0x100000 + (5 << 12), 100, false);   /* read: not dirty */
	ims_dma(&sim, dev, 0x400000 + 0x12345, 10, true);
}

static struct ims_dirty_bitmap read_bitmap(unsigned flags)
{
	struct ims_dirty_bitmap bm;

	cr_assert_eq(ims_host_read_dirty(&sim, dom, 0x100000, 64 << 12, 12, flags, &bm, &err),
		     0, "%s", err.msg);
	return bm;
}

Test(host, no_clear_and_clear_report_identical_bitmaps)
{
	populate_and_write();
	struct ims_dirty_bitmap a = read_bitmap(IMS_DIRTY_NO_CLEAR);
	struct ims_dirty_bitmap b = read_bitmap(0);

	cr_assert_eq(a.nbits, 64);
	for (int i = 0; i < 64; i++) {
		bool bit = a.bits[0] & (1ull << i);
		cr_assert_eq(bit, i % 3 == 0, "page %d", i);
	}
	cr_assert_eq(memcmp(a.bits, b.bits, 8), 0);
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	/* the NO_CLEAR read is a report too (the VMM copies those pages), so the
	 * same pages reported again without a new write are copied for nothing */
	cr_assert_eq(STAT(dirty_pages_spurious), 22);
	free(a.bits);
	free(b.bits);
}

Test(host, strategies_issue_two_and_one_syncs_per_range)
{
	const struct ims_dirty_strategy *clear = ims_dirty_strategy_find("clear+unmap");
	const struct ims_dirty_strategy *noclear = ims_dirty_strategy_find("noclear+unmap");

	cr_assert_not_null(clear);
	cr_assert_not_null(noclear);
	populate_and_write();
	uint64_t before = STAT(iotlb_syncs);
	cr_assert_eq(clear->dirty_unmap(&sim, dom, 0x100000, 32 << 12, 12, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(iotlb_syncs) - before, 2);
	before = STAT(iotlb_syncs);
	cr_assert_eq(noclear->dirty_unmap(&sim, dom, 0x120000, 32 << 12, 12, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(iotlb_syncs) - before, 1);
	cr_assert_eq(STAT(dirty_pages_reported), 22, "pages 0,3,...,63 of 64");
	cr_assert_eq(STAT(dirty_pages_missed), 0);
	cr_assert_eq(STAT(dirty_pages_spurious), 0);
	/* a whole dirty 2 MiB leaf reports all its 4 KiB granules, and they count
	 * as written: the hardware cannot tell them apart */
	cr_assert_eq(noclear->dirty_unmap(&sim, dom, 0x400000, 2 << 20, 12, &err), 0);
	cr_assert_eq(STAT(dirty_pages_reported), 22 + 512);
	cr_assert_eq(STAT(dirty_pages_spurious), 0);
}

Test(host, dirty_read_requires_tracking_and_a_mapped_range)
{
	struct ims_dirty_bitmap bm;

	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 0x4000, false, 0, IMS_PROT_WRITE, &err), 0);
	cr_assert_eq(ims_host_read_dirty(&sim, dom, 0x100000, 0x4000, 12, 0, &bm, &err),
		     -IMS_EINVAL);
	cr_assert(strstr(err.msg, "tracking is off"), "%s", err.msg);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0);
	cr_assert_eq(ims_host_read_dirty(&sim, dom, 0x100000, 0x8000, 12, 0, &bm, &err),
		     -IMS_ENOMAP);
}

Test(host, skipped_flush_after_clear_loses_writes_and_truth_counts_them)
{
	/* A clear without the sync (what a broken strategy would do): the IOTLB
	 * keeps the dirty translation, the next write does not set D, and the
	 * next report misses it. The oracle must say so. */
	struct ims_gather g;

	populate_and_write();
	free(read_bitmap(0).bits);                  /* proper clear + sync: clean slate */
	ims_dma(&sim, dev, 0x100000, 8, true);      /* walks, sets D, caches D=1 */
	ims_gather_init(&g);
	cr_assert_eq(sim.model->read_dirty(&sim, dom, 0x100000, 64 << 12, 0, NULL, &g, &err), 0);
	cr_assert_not(g.empty, "the clear found page 0 dirty");
	ims_dma(&sim, dev, 0x100000, 8, true);      /* IOTLB hit on the stale D=1 entry */
	struct ims_dirty_bitmap bm = read_bitmap(0);
	cr_assert_eq(bm.bits[0], 0, "D was not set again: the write is invisible");
	cr_assert_eq(STAT(dirty_pages_missed), 1);
	cr_assert_eq(STAT(dirty_pages_spurious), 0);
	free(bm.bits);
}
