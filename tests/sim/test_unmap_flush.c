/* Strict and lazy unmap flushing (sim/host/unmap_flush.h): the flush
 * queue's four flush causes, deferred page-table frees, the exposure window
 * and stale DMAs, on small hand-written traces with known answers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "files.h"
#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"
#include "sim/host/unmap_flush.h"
#include "sim/run.h"

#define S(st, name) IMS_STAT_GET(&(st), name)

TestSuite(unmap_flush, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* Replay text on model with the strategy spec and the parameters in
 * `params` ("name=value" words separated by spaces, may be ""). */
static struct ims_stats run_with(const struct ims_model_ops *model, const char *spec,
				 const char *params, const char *text)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	struct ims_strategies st;
	struct ims_params p;
	struct ims_sim sim;
	struct ims_stats out;
	char bad[64], list[256], *save = NULL;

	ims_params_default(&p);
	snprintf(list, sizeof(list), "%s", params);
	for (char *a = strtok_r(list, " ", &save); a; a = strtok_r(NULL, " ", &save))
		cr_assert_eq(ims_params_set(&p, a, &err), 0, "%s", err.msg);
	ims_strategies_default(&st);
	cr_assert_eq(ims_strategies_parse(&st, spec, bad, sizeof(bad)), 0, "%s", bad);
	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", text, strlen(text), &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_sim_init(&sim, model, &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), 0, "%s: %s", model->name, err.msg);
	ims_trace_close(r);
	out = sim.stats;
	ims_sim_fini(&sim);
	return out;
}

/* One device, one domain, 64 KiB of 4 KiB leaves (the PA is only 4 KiB
 * aligned, so no model can use a larger page). */
#define HEAD "iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n" \
	     "@0 map vm 0x100000 64K pa=0x300001000\n"

/* ---- strategy names ---------------------------------------------------------- */

Test(unmap_flush, strategy_parsing_and_naming)
{
	struct ims_strategies st;
	char name[128], bad[64];

	ims_strategies_default(&st);
	cr_assert_str_eq(ims_strategies_name(&st, name, sizeof(name)),
			 "clear+unmap/sync-flush/eager/strict");
	cr_assert(st.unmap_flush->safe && st.unmap_flush->unmap_flush == IMS_UNMAP_STRICT);
	cr_assert_eq(ims_strategies_parse(&st, "noclear+unmap/lazy/none", bad, sizeof(bad)), 0);
	cr_assert_str_eq(ims_strategies_name(&st, name, sizeof(name)),
			 "noclear+unmap/sync-flush/none/lazy");
	cr_assert(!st.unmap_flush->safe, "lazy lets devices reach unmapped pages");
	cr_assert_eq(st.unmap_flush->unmap_flush, IMS_UNMAP_LAZY);
	ims_strategies_default(&st);
	cr_assert_eq(ims_strategies_parse(&st, "strict/lazy", bad, sizeof(bad)), -1);
	cr_assert_str_eq(bad, "lazy", "a second one on the axis is named");
	for (unsigned a = 0; a < IMS_AXIS_COUNT; a++) {
		cr_assert_eq(ims_strategy_axis_find(ims_strategy_axis_name(a)), (int)a);
		cr_assert_eq(ims_strategies_get(&st, a)->axis, a, "each axis has its own slot");
	}
	cr_assert_eq(ims_strategy_axis_find("unmap-flush"), IMS_AXIS_UNMAP_FLUSH);
	cr_assert_eq(ims_strategy_axis_find("flush"), -1);
}

/* ---- the four flush causes ---------------------------------------------------- */

/* Five separate 4 KiB maps, each read once, then unmapped one by one.
 * fq_size=4 leaves 3 waiting at most (the ring keeps a slot free): the 4th
 * unmap flushes unmaps 1-3 (full), unmaps 4 and 5 wait for the timer, which
 * runs at the end of the trace. Strict syncs 5 times, lazy twice. */
static const char five_trace[] =
	"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n"
	"@0 map vm 0x100000 4K\n@0 map vm 0x101000 4K\n@0 map vm 0x102000 4K\n"
	"@0 map vm 0x103000 4K\n@0 map vm 0x104000 4K\n"
	"@1000000 dma nic read 0x100000 64\n@1001000 dma nic read 0x101000 64\n"
	"@1002000 dma nic read 0x102000 64\n@1003000 dma nic read 0x103000 64\n"
	"@1004000 dma nic read 0x104000 64\n"
	"@2000000 unmap vm 0x100000 4K\n@2010000 unmap vm 0x101000 4K\n"
	"@2020000 unmap vm 0x102000 4K\n@2030000 unmap vm 0x103000 4K\n"
	"@2040000 unmap vm 0x104000 4K\n";

Test(unmap_flush, a_full_queue_is_flushed_before_the_unmap_joins_it)
{
	static const char *const modes[] = { "fq_size=4", "fq_size=4 fq_flush_range=1" };

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats strict = run_with(ims_models[m], "strict", "fq_size=4", five_trace);

		cr_assert_eq(S(strict, fq_unmaps), 0);
		cr_assert_eq(S(strict, unmap_exposed), 5, "%s: each range was cached",
			     ims_models[m]->name);
		for (unsigned k = 0; k < 2; k++) {
			struct ims_stats s = run_with(ims_models[m], "lazy", modes[k], five_trace);

			cr_assert_eq(S(s, fq_unmaps), 5, "%s", ims_models[m]->name);
			cr_assert_eq(S(s, fq_occupancy_max), 3, "%s: fq_size - 1", ims_models[m]->name);
			cr_assert_eq(S(s, fq_flush_full), 1, "%s %s", ims_models[m]->name, modes[k]);
			cr_assert_eq(S(s, fq_flush_timeout), 1, "%s: 4 and 5, at the end",
				     ims_models[m]->name);
			cr_assert_eq(S(s, fq_flush_reuse) + S(s, fq_flush_teardown), 0);
			cr_assert_eq(S(strict, iotlb_syncs) - S(s, iotlb_syncs), 5 - 2,
				     "%s %s: one sync per flush", ims_models[m]->name, modes[k]);
			/* unmap 4's entry is dropped by the full flush right after
			 * its PTE clear (domain-wide) or by the timer's (range):
			 * cached at unmap time either way. The domain-wide flush
			 * also drops page 5's entry while it is still mapped, so
			 * its unmap finds nothing cached. */
			cr_assert_eq(S(s, unmap_exposed), k ? 5 : 4, "%s %s", ims_models[m]->name,
				     modes[k]);
			cr_assert_eq(S(s, stale_dmas), 0);
			cr_assert_eq(S(s, unmap_calls), 5);
		}
	}
}

/* A map of a queued IOVA range flushes first; one of another range does
 * not. The remapped page is then reached through its new mapping. */
Test(unmap_flush, a_map_reusing_a_queued_iova_flushes_first)
{
	static const char trace[] = HEAD
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 8K\n"
		"@2100000 map vm 0x200000 4K\n"       /* elsewhere: no flush */
		"@2200000 map vm 0x101000 4K\n"       /* inside the queued range */
		"@2300000 dma nic write 0x101000 64\n"
		"@2400000 dma nic read 0x100000 64\n"; /* unmapped, and flushed */

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats s = run_with(ims_models[m], "lazy", "", trace);

		cr_assert_eq(S(s, fq_flush_reuse), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, fq_flush_full) + S(s, fq_flush_timeout) + S(s, fq_flush_teardown),
			     0, "%s: the reuse flush emptied the queue", ims_models[m]->name);
		cr_assert_eq(S(s, stale_dmas), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, faults), 1, "%s: only the read of the unmapped page",
			     ims_models[m]->name);
		cr_assert_eq(S(s, unmap_exposed), 1);
	}
}

/* A detach unfills the domain into its queue and flushes everything once
 * (teardown): two unmaps, one sync; strict syncs each. */
Test(unmap_flush, a_detach_flushes_the_queue)
{
	static const char trace[] =
		"iommusim-trace 1\nioas io\ndevice nic\ndomain vm ioas=io\nattach nic vm\n"
		"@0 ioas-map io 0x100000 4K\n@0 ioas-map io 0x200000 4K\n"
		"@1000000 dma nic read 0x100000 64\n@1001000 dma nic read 0x200000 64\n"
		"@2000000 ioas-unmap io 0x100000 4K\n"
		"@3000000 ioas-detach vm\n"
		"@4000000 dma nic read 0x200000 64\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats strict = run_with(ims_models[m], "strict", "", trace);
		struct ims_stats s = run_with(ims_models[m], "lazy", "", trace);

		cr_assert_eq(S(s, fq_unmaps), 2, "%s: the unmap and the detach's unfill",
			     ims_models[m]->name);
		cr_assert_eq(S(s, fq_flush_teardown), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(s, fq_flush_timeout) + S(s, fq_flush_full) + S(s, fq_flush_reuse), 0);
		cr_assert_eq(S(strict, iotlb_syncs) - S(s, iotlb_syncs), 1, "%s",
			     ims_models[m]->name);
		cr_assert_eq(S(s, stale_dmas), 0, "%s: nothing outlives the detach",
			     ims_models[m]->name);
		cr_assert_eq(S(s, faults), 1);
		cr_assert_eq(S(s, unmap_exposed), 2);
	}
}

/* ---- the timer ------------------------------------------------------------------- */

/* The queue's only unmap is queued at T + cyc_sw_unmap (the host is idle
 * at T; the unmap charges its PTE clear, then sw_fq_queue_cycles), so the
 * timer is due at D = that + fq_timeout_ns. It runs before any event at D
 * or later: a map at D waits for the flush (the window is as without it),
 * a map at D - 1 runs first and holds the flush back (a longer window). A
 * DMA at D - 1 hits the stale entry, and so does one at D, which races the
 * flush; one well after the flush faults. */
Test(unmap_flush, the_timeout_flushes_at_the_deadline)
{
	static const char first[] = HEAD
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4K\n";
	static const char param[] = "fq_timeout_ns=10000";   /* 26000 cycles at 2600 MHz */
	char trace[1024];

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats a = run_with(ims_models[m], "lazy", param, first);
		unsigned long long d = 2000000 + S(a, cyc_sw_unmap) + 26000;
		struct ims_stats s;

		cr_assert_eq(S(a, fq_flush_timeout), 1, "%s: at the end of the trace",
			     ims_models[m]->name);
		snprintf(trace, sizeof(trace), "%s@%llu map vm 0x200000 4K\n", first, d);
		s = run_with(ims_models[m], "lazy", param, trace);
		cr_assert_eq(S(s, cyc_unmap_exposure), S(a, cyc_unmap_exposure),
			     "%s: flushed at D, before the map at D", ims_models[m]->name);
		snprintf(trace, sizeof(trace), "%s@%llu map vm 0x200000 4K\n", first, d - 1);
		s = run_with(ims_models[m], "lazy", param, trace);
		cr_assert_gt(S(s, cyc_unmap_exposure), S(a, cyc_unmap_exposure),
			     "%s: the map at D - 1 came first", ims_models[m]->name);
		snprintf(trace, sizeof(trace), "%s@%llu dma nic read 0x100000 64\n"
			 "@%llu dma nic read 0x100000 64\n", first, d - 1, d + 100000);
		s = run_with(ims_models[m], "lazy", param, trace);
		cr_assert_eq(S(s, stale_dmas), 1, "%s: the DMA before the deadline",
			     ims_models[m]->name);
		cr_assert_eq(S(s, stale_dma_bytes), 64);
		cr_assert_eq(S(s, fault_not_present), 1, "%s: the DMA after the flush",
			     ims_models[m]->name);
		cr_assert_eq(S(s, fq_flush_timeout), 1);
		cr_assert_eq(S(s, cyc_unmap_exposure), S(a, cyc_unmap_exposure));
		/* issued at D, it races the flush: the invalidation has not
		 * completed yet, so it still reaches the page */
		snprintf(trace, sizeof(trace), "%s@%llu dma nic read 0x100000 64\n", first, d);
		s = run_with(ims_models[m], "lazy", param, trace);
		cr_assert_eq(S(s, stale_dmas), 1, "%s: racing the flush", ims_models[m]->name);
		cr_assert_eq(S(s, faults), 0);
	}
}

/* ---- the exposure window ------------------------------------------------------------ */

/* VT-d with the default costs. Page 0x100000 is cached by the read, page
 * 0x108000 never is: only the first unmap counts.
 * Strict: the unmap's own sync, from the PTE clear: two descriptors
 * written (2 x inv_desc_write_cycles = 120), the doorbell (400), the IOMMU
 * processes the page-selective invalidation (vtd_iotlb_inv_ns 250 ns = 650
 * cycles) and the wait descriptor (100 ns = 260): 120 + 400 + 650 + 260 =
 * 1430 cycles.
 * Lazy, fq_timeout_ns = 10 us (26000 cycles): the unmap is queued 100
 * cycles after its PTE clear (sw_fq_queue_cycles), the timer fires 26000
 * later with the host idle, and flush_iotlb_all is a domain-selective
 * invalidation of the same cost: 100 + 26000 + 1430 = 27530 cycles. The
 * second unmap, queued meanwhile, adds no window. A range flush costs the
 * same here (one page-selective invalidation over both ranges). */
Test(unmap_flush, exposure_window_worked_out_on_vtd)
{
	static const char trace[] = HEAD
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4K\n"
		"@2000000 unmap vm 0x108000 4K\n";
	const struct ims_model_ops *vtd = ims_model_find("vtd");
	struct ims_stats strict = run_with(vtd, "strict", "", trace);
	struct ims_stats lazy = run_with(vtd, "lazy", "fq_timeout_ns=10000", trace);
	struct ims_stats range = run_with(vtd, "lazy", "fq_timeout_ns=10000 fq_flush_range=1",
					  trace);

	cr_assert_eq(S(strict, unmap_exposed), 1);
	cr_assert_eq(S(strict, cyc_unmap_exposure), 1430);
	cr_assert_eq(S(strict, cyc_unmap_exposure_max), 1430);
	cr_assert_eq(S(lazy, unmap_exposed), 1);
	cr_assert_eq(S(lazy, cyc_unmap_exposure), 27530);
	cr_assert_eq(S(lazy, cyc_unmap_exposure_max), 27530);
	cr_assert_eq(S(lazy, inv_iotlb_domain), 1, "flush_iotlb_all: one DSI");
	cr_assert_eq(S(range, cyc_unmap_exposure), 27530);
	cr_assert_eq(S(range, inv_iotlb_domain), 0, "a range flush: PSI");
	cr_assert_eq(S(strict, iotlb_syncs) - S(lazy, iotlb_syncs), 1, "two unmaps, one flush");
}

/* The same on every model: the lazy window is the strict one plus the
 * queueing and the timeout (each model's flush_iotlb_all is one command
 * and a sync, like its one-page range invalidation). */
Test(unmap_flush, lazy_window_is_strict_plus_the_wait_on_every_model)
{
	static const char trace[] = HEAD
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4K\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats strict = run_with(ims_models[m], "strict", "", trace);
		struct ims_stats lazy = run_with(ims_models[m], "lazy", "fq_timeout_ns=10000", trace);

		cr_assert_gt(S(strict, cyc_unmap_exposure), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, cyc_unmap_exposure),
			     S(strict, cyc_unmap_exposure) + 100 + 26000, "%s", ims_models[m]->name);
	}
}

/* ---- stale DMAs ---------------------------------------------------------------------------- */

/* After the unmap: a one-request read (the DMA hit path's case), an 8 KiB
 * read over both unmapped pages, and a write. Dirty tracking is on and the
 * first write was reported without clearing (no sync, so its dirty entry
 * stays cached). Lazy: all three reach memory through the stale entries,
 * and the write is lost for migration. Strict: all three fault. */
Test(unmap_flush, stale_dmas_under_lazy_and_none_under_strict)
{
	static const char trace[] = HEAD
		"@500000 dirty-tracking vm on\n"
		"@1000000 dma nic write 0x100000 64\n"
		"@1001000 dma nic read 0x101000 64\n"
		"@1500000 get-dirty vm 0x100000 64K no_clear\n"
		"@2000000 unmap vm 0x100000 8K\n"
		"@2100000 dma nic read 0x100000 64\n"
		"@2200000 dma nic read 0x100000 8K\n"
		"@2300000 dma nic write 0x100000 64\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats lazy = run_with(ims_models[m], "lazy", "", trace);
		struct ims_stats strict = run_with(ims_models[m], "strict", "", trace);

		cr_assert_eq(S(lazy, stale_dmas), 3, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, stale_dma_bytes), 64 + 8192 + 64, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, faults), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, dirty_pages_missed), 1, "%s: the stale write",
			     ims_models[m]->name);
		cr_assert_eq(S(strict, stale_dmas), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(strict, faults), 3, "%s", ims_models[m]->name);
		cr_assert_eq(S(strict, dirty_pages_missed), 0, "%s", ims_models[m]->name);
	}
}

/* An exact dirty strategy is exact only while unmaps are strict: the
 * stale write after the first dirty-unmap is lost, and counted when the
 * second one (fq_size=2: the queue is full) flushes the queue. --check
 * (on in the test suite) must not call that a broken promise. */
Test(unmap_flush, exact_dirty_strategies_are_not_exact_under_lazy)
{
	static const char trace[] = HEAD
		"@0 map vm 0x200000 64K\n"
		"@500000 dirty-tracking vm on\n"
		"@1000000 dma nic write 0x100000 64\n"
		"@1500000 dirty-unmap vm 0x100000 4K\n"
		"@1600000 dma nic write 0x100000 64\n"
		"@1700000 dirty-unmap vm 0x200000 4K\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats lazy = run_with(ims_models[m], "unmap-all-dirty/lazy", "fq_size=2",
						 trace);
		struct ims_stats strict = run_with(ims_models[m], "unmap-all-dirty", "", trace);

		cr_assert_eq(S(lazy, fq_flush_full), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, stale_dmas), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(lazy, dirty_pages_missed), 1, "%s", ims_models[m]->name);
		cr_assert_eq(S(strict, dirty_pages_missed), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(strict, faults), 1, "%s: the late write", ims_models[m]->name);
	}
}

/* ---- page-table pages ---------------------------------------------------------------------- */

struct pt_sim {
	struct ims_sim sim;
	struct ims_domain *dom;
};

/* 2 MiB of 4 KiB leaves (the PA is only 4 KiB aligned) and one more page
 * in the next 2 MiB (two leaf tables under one upper table), then the
 * first 2 MiB unmapped: its leaf table, wholly inside, is freed. */
static void pt_setup(struct pt_sim *t, const struct ims_model_ops *model, bool lazy)
{
	struct ims_error err = { 0 };
	struct ims_device *dev;
	struct ims_params p;

	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&t->sim, model, &p, &err), 0, "%s", err.msg);
	t->sim.unmap_flush = lazy ? IMS_UNMAP_LAZY : IMS_UNMAP_STRICT;
	cr_assert_eq(ims_host_device_create(&t->sim, "nic", 1, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_domain_create(&t->sim, "vm", 48, &t->dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&t->sim, dev, t->dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_map(&t->sim, t->dom, 0x200000, 2 << 20, true, 0x300001000,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_map(&t->sim, t->dom, 0x400000, 4096, false, 0,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_unmap(&t->sim, t->dom, 0x200000, 2 << 20, &err), 0, "%s", err.msg);
}

/* The next page-table page the allocator hands out (given back at once). */
static uint64_t next_table(struct pt_sim *t)
{
	uint64_t pa = ims_host_alloc_table(&t->sim, t->dom);

	cr_assert_neq(pa, 0);
	ims_host_free_table(&t->sim, t->dom, pa);
	return pa;
}

/* Strict frees the leaf table at once: the allocator hands it out next.
 * Lazy keeps it allocated and live until the flush (a paging-structure
 * cache may still point at it), so the allocator hands out another page;
 * after the flush it is the freed table again. */
Test(unmap_flush, page_table_frees_wait_for_the_flush)
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct pt_sim strict, lazy;
		uint64_t freed, live;

		pt_setup(&strict, ims_models[m], false);
		cr_assert_eq(IMS_STAT_GET(&strict.sim.stats, pt_pages_free), 1, "%s",
			     ims_models[m]->name);
		freed = next_table(&strict);
		ims_sim_fini(&strict.sim);

		pt_setup(&lazy, ims_models[m], true);
		cr_assert_eq(IMS_STAT_GET(&lazy.sim.stats, pt_pages_free), 0, "%s",
			     ims_models[m]->name);
		cr_assert_eq(IMS_STAT_GET(&lazy.sim.stats, fq_tables_deferred), 1);
		cr_assert_eq(ims_unmap_flush_tables_waiting(lazy.dom), 1);
		cr_assert_eq(ims_unmap_flush_queued(lazy.dom), 1);
		live = lazy.dom->pt_pages_live;
		cr_assert_neq(next_table(&lazy), freed, "%s: not reused before the flush",
			      ims_models[m]->name);
		cr_assert_neq(lazy.sim.fq_deadline, UINT64_MAX);
		ims_unmap_flush_timeout(&lazy.sim);
		cr_assert_eq(lazy.sim.fq_deadline, UINT64_MAX);
		cr_assert_eq(IMS_STAT_GET(&lazy.sim.stats, fq_flush_timeout), 1);
		cr_assert_eq(IMS_STAT_GET(&lazy.sim.stats, pt_pages_free), 1 + 1,
			     "the table, and next_table's own");
		cr_assert_eq(lazy.dom->pt_pages_live, live - 1);
		cr_assert_eq(ims_unmap_flush_tables_waiting(lazy.dom), 0);
		cr_assert_eq(next_table(&lazy), freed, "%s", ims_models[m]->name);
		ims_sim_fini(&lazy.sim);
	}
}

/* A simulator destroyed with tables still waiting releases them (the
 * destroyed domain's every page-table page is checked to be freed). */
Test(unmap_flush, a_destroyed_domain_releases_waiting_tables)
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct pt_sim lazy;

		pt_setup(&lazy, ims_models[m], true);
		cr_assert_eq(ims_unmap_flush_tables_waiting(lazy.dom), 1);
		ims_sim_fini(&lazy.sim);
	}
}

/* ---- devices with ATS ------------------------------------------------------------------------ */

/* HEAD with a device caching 64 translations in its own ATC (format v2). */
#define HEAD_ATS "iommusim-trace 2\ndevice nic ats=64\ndomain vm\nattach nic vm\n" \
		 "@0 map vm 0x100000 64K pa=0x300001000\n"

/* A read fills the device's ATC and a second one hits it; the page is
 * unmapped; then the device reads it again. */
#define ATS_READ_UNMAP_READ                                                   \
	"@1000000 dma nic read 0x100000 64\n@1001000 dma nic read 0x100040 64\n" \
	"@2000000 unmap vm 0x100000 4K\n@2100000 dma nic read 0x100000 64\n"

/* Under lazy the ATC keeps the unmapped page's translation until the
 * queue's flush, which invalidates the device TLB too (flush_iotlb_all
 * sends a device-TLB invalidation of everything; a range flush, of the
 * range): the read after the unmap goes out translated, past the IOMMU, a
 * stale DMA. Under strict the unmap's sync took the entry from the ATC:
 * the read asks the IOMMU again and faults. */
Test(unmap_flush, a_device_reaches_an_unmapped_page_through_its_atc_under_lazy)
{
	static const char trace[] = HEAD_ATS ATS_READ_UNMAP_READ;
	static const char *const modes[] = { "", "fq_flush_range=1" };

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats strict = run_with(ims_models[m], "strict", "", trace);

		cr_assert_eq(S(strict, stale_dmas), 0, "%s", ims_models[m]->name);
		cr_assert_eq(S(strict, faults), 1, "%s", ims_models[m]->name);
		cr_assert_geq(S(strict, inv_devtlb), 1, "%s: the unmap's", ims_models[m]->name);
		for (unsigned k = 0; k < 2; k++) {
			struct ims_stats lazy = run_with(ims_models[m], "lazy", modes[k], trace);

			cr_assert_eq(S(lazy, stale_dmas), 1, "%s %s", ims_models[m]->name, modes[k]);
			cr_assert_eq(S(lazy, faults), 0, "%s", ims_models[m]->name);
			cr_assert_eq(S(lazy, atc_hit), 2, "%s: the second read and the stale one",
				     ims_models[m]->name);
			cr_assert_eq(S(lazy, fq_flush_timeout), 1, "%s", ims_models[m]->name);
			/* as many as strict's (AMD and SMMU also invalidate the
			 * ATC at attach): the flush reached the device */
			cr_assert_eq(S(lazy, inv_devtlb), S(strict, inv_devtlb), "%s %s",
				     ims_models[m]->name, modes[k]);
			cr_assert_gt(S(lazy, cyc_inv_devtlb_wait), 0, "%s", ims_models[m]->name);
		}
	}
}

/* A strict unmap's window ends when its sync completes, and a sync waits
 * for the device's invalidation completion: ATS makes the window longer by
 * at least the device's invalidation time. */
Test(unmap_flush, the_device_tlb_lengthens_the_exposure_window)
{
	static const char plain[] = HEAD "@1000000 dma nic read 0x100000 64\n"
				    "@2000000 unmap vm 0x100000 4K\n";
	static const char ats[] = HEAD_ATS "@1000000 dma nic read 0x100000 64\n"
				  "@2000000 unmap vm 0x100000 4K\n";

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats without = run_with(ims_models[m], "strict", "ats_inv_ns=1000", plain);
		struct ims_stats with = run_with(ims_models[m], "strict", "ats_inv_ns=1000", ats);

		cr_assert_eq(S(with, unmap_exposed), 1, "%s", ims_models[m]->name);
		cr_assert_geq(S(with, cyc_unmap_exposure), S(without, cyc_unmap_exposure) + 1000,
			      "%s: %llu vs %llu", ims_models[m]->name,
			      (unsigned long long)S(with, cyc_unmap_exposure),
			      (unsigned long long)S(without, cyc_unmap_exposure));
	}
}

/* A flush_iotlb_all that invalidates the IOTLB but not the devices' ATCs
 * (their ATS switched off around the model's own). */
static void flush_all_forgetting_atcs(struct ims_sim *sim, struct ims_domain *dom)
{
	for (unsigned i = 0; i < sim->ndevices; i++)
		sim->devices[i]->ats = false;
	ims_model_find(sim->model->name)->iotlb_flush_all(sim, dom);
	for (unsigned i = 0; i < sim->ndevices; i++)
		sim->devices[i]->ats = true;
}

Test(unmap_flush, check_mode_catches_a_flush_that_forgets_the_atcs)
{
	static const char trace[] = HEAD_ATS ATS_READ_UNMAP_READ;

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_model_ops broken = *ims_models[m];
		struct ims_error err = { 0 };
		struct ims_trace_reader *r;
		struct ims_strategies st;
		struct ims_params p;
		struct ims_sim sim;
		char bad[64];

		broken.iotlb_flush_all = flush_all_forgetting_atcs;
		ims_params_default(&p);
		ims_strategies_default(&st);
		cr_assert_eq(ims_strategies_parse(&st, "lazy", bad, sizeof(bad)), 0);
		cr_assert_eq(ims_trace_open_mem(&r, "t.trace", trace, strlen(trace), &err), 0);
		cr_assert_eq(ims_sim_init(&sim, &broken, &p, &err), 0, "%s", err.msg);
		sim.check.on = true;
		cr_assert_neq(ims_run_trace(&sim, r, &st, &err), 0, "%s", ims_models[m]->name);
		cr_assert(strstr(err.msg, "the ATC of device 'nic' entry for IOVA 0x100000") &&
			  strstr(err.msg, "after the flush that should have dropped it"),
			  "%s: %s", ims_models[m]->name, err.msg);
		ims_trace_close(r);
		ims_sim_fini(&sim);
	}
}

/* VT-d caching mode: Linux makes unmaps strict (iommu_set_dma_strict), so
 * a lazy run there is refused rather than measured. */
Test(unmap_flush, lazy_is_refused_under_vtd_caching_mode)
{
	static char out[4096];

	tmpdir_write("t.trace", five_trace);
	cr_assert_eq(run_cli(out, sizeof(out),
			     "run t.trace -q --model vtd --unmap-flush lazy --param vtd_cm=1"), 1,
		     "%s", out);
	cr_assert(strstr(out, "lazy unmap-flush strategy cannot run on vtd with caching mode"),
		  "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out),
			     "run t.trace -q --model vtd --unmap-flush strict --param vtd_cm=1"), 0,
		     "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out),
			     "run t.trace -q --model amdv1 --unmap-flush lazy --param vtd_cm=1"), 0,
		     "vtd_cm is VT-d's alone: %s", out);
}

/* ---- the command -------------------------------------------------------------------------- */

Test(unmap_flush, compare_shows_the_flush_columns_and_list_the_axis)
{
	static char out[32768];

	tmpdir_write("t.trace", five_trace);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --unmap-flush all --param fq_size=4"),
		     0, "%s", out);
	cr_assert(strstr(out, " fq-max ") && strstr(out, " expo-max-cyc ") &&
		  strstr(out, " stale-dma "), "%s", out);
	cr_assert(strstr(out, "\nvtd     clear+unmap/sync-flush/eager/strict "), "%s", out);
	cr_assert(strstr(out, "\nvtd     clear+unmap/sync-flush/eager/lazy "), "%s", out);
	/* a --strategies list that differs in this axis gets the same columns */
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --strategies strict,lazy"), 0,
		     "%s", out);
	cr_assert(strstr(out, " fq-max "), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --strategies all"), 0, "%s", out);
	cr_assert(!strstr(out, "/lazy "), "'all' dirty strategies stay strict: %s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --strategies all --unmap-flush all"),
		     2);
	cr_assert(strstr(out, "give one of"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace -q --unmap-flush lazy --json r.json"),
		     0, "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --unmap-flush sometimes"), 2);
	cr_assert_eq(run_cli(out, sizeof(out), "list"), 0);
	cr_assert(strstr(out, "(--unmap-flush):\n  strict ") && strstr(out, "\n  lazy "), "%s",
		  out);
}
