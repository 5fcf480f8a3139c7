/* DMA racing with host operations: a host operation takes simulated time and
 * devices do not wait for it. Each case is a small trace whose DMA lands in
 * a known window; every model must behave the same way. */
#include <criterion/criterion.h>
#include <string.h>

#include "replay.h"

#define S(st, name) IMS_STAT_GET(&(st), name)

#define HEADER \
	"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n" \
	"@0 map vm 0x100000 4M pa=0x300001000\n"   /* 1024 4 KiB leaves, pinned: ~0.65M cycles */ \
	"@1100000 dirty-tracking vm on\n"

/* The walk passes page 0 (clean) long before it finishes the second leaf
 * table; a write to page 0 at that point is owed to the next round, not
 * lost, and not reported by this one. */
Test(race, write_behind_the_walk_is_reported_next_round)
{
	static const char trace[] = HEADER
		"@1200000 get-dirty vm 0x100000 4M\n"
		"@1200001 dma nic write 0x100000 64\n"     /* lands while the walk runs */
		"@1900000 get-dirty vm 0x100000 4M\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "clear+unmap", trace);

		cr_assert_eq(S(s, dirty_pages_reported), 1, "%s: reported once, by round 2",
			     ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_spurious), 0, "%s", ims_models[m]->name);
	}
}

/* A write that lands after the dirty read has scanned its page but before
 * the unmap clears it is lost with both read-then-unmap strategies: nothing
 * reports it. Host time advances as each page table is done (the models
 * charge per table), so the timing is chosen at that grain: the read's walk
 * of 1024 leaves (3 leaf tables) ends near +4.1k cycles, and the unmap's
 * first table charge lands 2k cycles after the read returns (+5.8k with the
 * clear's sync); the write at +5.9k goes to the last page, in the last
 * table the unmap clears. */
Test(race, write_between_read_and_unmap_is_lost)
{
	static const char trace[] = HEADER
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 dirty-unmap vm 0x100000 4M\n"
		"@1305900 dma nic write 0x4ff000 64\n";

	static const char *const read_then_unmap[] = { "clear+unmap", "noclear+unmap" };

	for (unsigned m = 0; m < ims_model_count; m++) {
		for (unsigned k = 0; k < 2; k++) {
			struct ims_stats s = replay_text(ims_models[m], read_then_unmap[k], trace);

			cr_assert_eq(S(s, dirty_pages_reported), 1, "%s/%s", ims_models[m]->name,
				     read_then_unmap[k]);
			cr_assert_eq(S(s, dirty_pages_missed), 1, "%s/%s", ims_models[m]->name,
				     read_then_unmap[k]);
			cr_assert_eq(S(s, faults), 0, "the write landed before the unmap's flush");
		}
		/* VFIO's unmap-and-report-everything cannot lose a write: it
		 * reports all 1024 pages (the late write may land before the
		 * unmap reaches it or fault after), at one sync for the unmap */
		struct ims_stats s = replay_text(ims_models[m], "unmap-all-dirty", trace);
		bool free_switch = !strcmp(ims_models[m]->name, "smmuv3");

		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_reported), 1024, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_spurious), 1024 - 1 - (S(s, faults) ? 0 : 1), "%s",
			     ims_models[m]->name);
		cr_assert_eq(S(s, iotlb_syncs), 1 + (free_switch ? 0 : 1) + 1,
			     "%s: clear pass, tracking switch, the unmap", ims_models[m]->name);

		/* write-protect first: the late write either lands before the
		 * protection takes effect and is reported, or faults and is
		 * discarded; it is never lost */
		s = replay_text(ims_models[m], "wrprotect+unmap", trace);
		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_reported) + S(s, dirty_dma_discarded), 2, "%s",
			     ims_models[m]->name);
		cr_assert_eq(S(s, dirty_dma_discarded), S(s, fault_perm), "%s", ims_models[m]->name);
	}
}

/* Once wrprotect+unmap's write-protect has been synced, a racing write
 * faults and is discarded: never reported, never lost. (The read and the
 * unmap that follow take about 12k cycles; the write lands in them.) */
Test(race, wrprotect_discards_writes_after_the_protection)
{
	static const char trace[] = HEADER
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 dirty-unmap vm 0x100000 4M\n"
		"@1318000 dma nic write 0x4ff000 64\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "wrprotect+unmap", trace);

		cr_assert_eq(S(s, dirty_dma_discarded), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, fault_perm), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_reported), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		bool free_switch = !strcmp(ims_models[m]->name, "smmuv3");

		cr_assert_eq(S(s, iotlb_syncs), 1 + (free_switch ? 0 : 1) + 2,
			     "%s: clear pass, tracking switch, write-protect, unmap",
			     ims_models[m]->name);
	}
}

/* Between an unmap's PTE clear and the IOMMU processing its invalidation,
 * a cached translation still works: the DMA gets through (the window lazy
 * unmapping widens). After the sync completes, the same DMA faults. */

/* A DMA issued while the map is still writing its tables faults: the map
 * has not reached the leaf yet. */
Test(race, dma_before_the_map_finishes_faults)
{
	static const char trace[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@0 map vm 0x100000 4K\n"                /* allocates three tables first */
		"@10 dma nic read 0x100000 64\n"
		"@100000 dma nic read 0x100000 64\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "clear+unmap", trace);

		cr_assert_eq(S(s, fault_not_present), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dma_bytes), 64, "%s", ims_models[m]->name);
	}
}

Test(race, stale_iotlb_entry_serves_dma_until_the_invalidation_runs)
{
	static const char trace[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@0 map vm 0x100000 4K\n"
		"@10000 dma nic read 0x100000 64\n"       /* caches the translation */
		"@100000 unmap vm 0x100000 4K\n"
		"@100020 dma nic read 0x100000 64\n"      /* after the PTE clear, before the flush */
		"@900000 dma nic read 0x100000 64\n";     /* long after the sync */

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "clear+unmap", trace);

		cr_assert_eq(S(s, faults), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dma_bytes), 128, "%s: the racing DMA got through",
			     ims_models[m]->name);
	}
}

/* Without racing (DMA well clear of host operations) nothing is lost. */
Test(race, separated_events_lose_nothing)
{
	static const char trace[] = HEADER
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 get-dirty vm 0x100000 4M\n"
		"@1900000 dma nic write 0x101000 64\n"
		"@2900000 dirty-unmap vm 0x100000 4M\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "noclear+unmap", trace);

		cr_assert_eq(S(s, dirty_pages_reported), 2, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_spurious), 0, "%s", ims_models[m]->name);
	}
}
