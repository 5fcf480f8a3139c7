/* Dirty strategies on every model: what each costs in syncs and what it
 * gets right or wrong, on small hand-written traces with known answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "replay.h"

#define S(st, name) IMS_STAT_GET(&(st), name)

/* Pre-copy rounds every 200k cycles, well apart from the DMA: pages 0-3 are
 * written before round 1 (their translations are cached dirty), pages 0
 * and 1 are written again and page 5 for the first time before the final
 * stop-copy round. */
static const char rounds_trace[] =
	"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
	"@0 map vm 0x100000 64K pa=0x300001000\n"
	"@100000 dirty-tracking vm on\n"
	"@110000 precopy vm period=200000\n"
	"@150000 dma nic write 0x100000 64\n"
	"+1000 dma nic write 0x101000 64\n"
	"+1000 dma nic write 0x102000 64\n"
	"+1000 dma nic write 0x103000 64\n"
	"@400000 dma nic write 0x100000 64\n"     /* after round 1 (at 310000) */
	"+1000 dma nic write 0x101000 64\n"
	"+1000 dma nic write 0x105000 64\n"
	"@500000 stop-copy vm\n";

Test(strategies, sync_flush_rounds_lose_nothing)
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "sync-flush", rounds_trace);

		cr_assert_eq(S(s, dirty_sync_rounds), 2, "%s: a round at 310k, stop-copy at 500k",
			     ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_reported), 4 + 3, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_spurious), 0, "%s", ims_models[m]->name);
	}
}

/* Without the flush the IOTLB keeps pages 0 and 1 as dirty, so their
 * second writes never set D again and the final round misses exactly them;
 * page 5 was never cached and is reported. */
Test(strategies, sync_noflush_misses_rewrites_through_cached_dirty_entries)
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats flush = replay_text(ims_models[m], "sync-flush", rounds_trace);
		struct ims_stats s = replay_text(ims_models[m], "sync-noflush", rounds_trace);

		cr_assert_eq(S(s, dirty_pages_missed), 2, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_reported), 4 + 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, dirty_pages_spurious), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(flush, iotlb_syncs) - S(s, iotlb_syncs), S(s, dirty_sync_rounds),
			     "%s: one sync saved per round", ims_models[m]->name);
		/* the flush's hidden cost: pages 0 and 1 refill after round 1 */
		cr_assert_eq(S(flush, iotlb_refill_after_inv), 2, "%s", ims_models[m]->name);
		cr_assert_gt(S(flush, cyc_refill_after_inv), 0);
		cr_assert_eq(S(s, iotlb_refill_after_inv), 0, "%s", ims_models[m]->name);
	}
}

/* dirty-unmap over a 2 MiB range built from 512 separate 4 KiB maps (a
 * guest's domain-selective invalidation) works for every strategy. */
Test(strategies, dirty_unmap_spans_many_mappings)
{
	static char trace[64 * 1024], setup_only[64 * 1024];
	static const char *const unmap_strategies[] = { "clear+unmap", "noclear+unmap",
							"unmap-all-dirty", "wrprotect+unmap" };
	/* syncs of the dirty-unmap step: the unmap syncs once per area (512),
	 * plus the clear's or the write-protect's one sync */
	static const uint64_t step_syncs[] = { 513, 512, 512, 513 };
	int n = snprintf(trace, sizeof(trace),
			 "iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n");

	for (int i = 0; i < 512; i++)
		n += snprintf(trace + n, sizeof(trace) - (size_t)n, "@%d map vm 0x%x 4K\n",
			      i * 2000, 0x200000 + i * 0x1000);
	memcpy(setup_only, trace, (size_t)n);
	snprintf(setup_only + n, sizeof(setup_only) - (size_t)n,
		 "@2000000 dirty-tracking vm on\n@2100000 dma nic write 0x212000 64\n");
	snprintf(trace + n, sizeof(trace) - (size_t)n,
		 "@2000000 dirty-tracking vm on\n@2100000 dma nic write 0x212000 64\n"
		 "@2200000 dirty-unmap vm 0x200000 2M\n@2300000 dma nic write 0x212000 8\n");
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats none = replay_text(ims_models[m], "clear+unmap", setup_only);

		for (unsigned k = 0; k < 4; k++) {
			struct ims_stats s = replay_text(ims_models[m], unmap_strategies[k], trace);

			cr_assert_eq(S(s, unmap_calls), 1, "%s/%s", ims_models[m]->name,
				     unmap_strategies[k]);
			cr_assert_eq(S(s, unmap_bytes), 2 << 20);
			cr_assert_eq(S(s, dirty_pages_missed), 0);
			cr_assert_eq(S(s, dirty_pages_reported) - S(s, dirty_pages_spurious), 1,
				     "%s/%s: the one written page", ims_models[m]->name,
				     unmap_strategies[k]);
			cr_assert_eq(S(s, fault_not_present), 1, "the DMA after the unmap faults");
			cr_assert_eq(S(s, iotlb_syncs) - S(none, iotlb_syncs), step_syncs[k],
				     "%s/%s", ims_models[m]->name, unmap_strategies[k]);
			cr_assert_eq(S(s, pages_unpinned), 512);
		}
	}
}

/* A period shorter than a round cannot stack up rounds: when one overruns,
 * the next starts as soon as the host is free. */
Test(strategies, overrunning_rounds_run_back_to_back)
{
	static const char trace[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@0 map vm 0 64K\n@1 dirty-tracking vm on\n"
		"@10 precopy vm period=1\n@100000 stop-copy vm\n";
	struct ims_stats s = replay_text(ims_models[0], "sync-flush", trace);

	cr_assert_geq(S(s, dirty_sync_rounds), 10);
	cr_assert_lt(S(s, dirty_sync_rounds), 1000, "one per round's duration, not per cycle");
	cr_assert_geq(S(s, cyc_host_total), 100000 - 10 - 2000,
		      "the host was kept busy with rounds for the whole phase");
}

/* Rounds over nothing take no time; a billion of them must not take real
 * time either, and are still counted. */
Test(strategies, empty_rounds_are_counted_not_run)
{
	static const char trace[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@1000 dirty-tracking vm on\n@1010 precopy vm period=1\n"
		"@1000000000 stop-copy vm\n";
	struct ims_stats s = replay_text(ims_models[0], "sync-noflush", trace);

	/* one per cycle from when the host is free after the tracking switch
	 * (a few thousand cycles) to the stop-copy */
	cr_assert_leq(S(s, dirty_sync_rounds), 1000000000 - 1010 + 1);
	cr_assert_geq(S(s, dirty_sync_rounds), 1000000000 - 20000);
}

/* Switching tracking off forgets dirty state: unreported writes are lost. */
Test(strategies, tracking_off_loses_unreported_writes)
{
	static const char trace[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@0 map vm 0 64K\n@10000 dirty-tracking vm on\n"
		"@20000 dma nic write 0x1000 8\n@30000 dirty-tracking vm off\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = replay_text(ims_models[m], "clear+unmap", trace);

		cr_assert_eq(S(s, dirty_pages_missed), 1, "%s", ims_models[m]->name);
	}
}

/* One mapping, one dirty-unmap, no racing: every strategy on every model
 * reports exactly the written pages (unmap-all-dirty: all of them) at its
 * documented number of syncs. */
Test(strategies, single_range_syncs_and_exact_bitmaps)
{
	static const char base[] =
		"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
		"@0 map vm 0x100000 64K pa=0x300001000\n"
		"@1000000 dirty-tracking vm on\n"
		"@1100000 dma nic write 0x101000 64\n"
		"+1000 dma nic write 0x10f000 4K\n";
	static const struct {
		const char *strategy;
		uint64_t syncs, reported;
	} want[] = {
		{ "clear+unmap", 2, 2 }, { "noclear+unmap", 1, 2 },
		{ "unmap-all-dirty", 1, 16 }, { "wrprotect+unmap", 2, 2 },
	};
	char trace[512];

	snprintf(trace, sizeof(trace), "%s@1200000 dirty-unmap vm 0x100000 64K\n", base);
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats none = replay_text(ims_models[m], "clear+unmap", base);

		for (unsigned k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			struct ims_stats s = replay_text(ims_models[m], want[k].strategy, trace);

			cr_assert_eq(S(s, iotlb_syncs) - S(none, iotlb_syncs), want[k].syncs, "%s/%s",
				     ims_models[m]->name, want[k].strategy);
			cr_assert_eq(S(s, dirty_pages_reported), want[k].reported, "%s/%s",
				     ims_models[m]->name, want[k].strategy);
			cr_assert_eq(S(s, dirty_pages_reported) - S(s, dirty_pages_spurious), 2);
			cr_assert_eq(S(s, dirty_pages_missed), 0);
			cr_assert_eq(S(s, dirty_dma_discarded), 0);
		}
	}
}
