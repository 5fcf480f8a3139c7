/* The device DMA engine (sim/device_dma.h) and the IOMMU's walk slots
 * (models/common/walk_slots.h): tags, the link, walk-slot queueing,
 * in-flight-miss merging, and invalidations that wait for walks; first the
 * pieces alone, then through traces. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/common/walk_slots.h"
#include "sim/device_dma.h"
#include "sim/run.h"

#define S(sim, name) IMS_STAT_GET(&(sim).stats, name)

/* ---- the engine alone -------------------------------------------------------- */

/* The engine with `tags` tags; the tests pass link times themselves. */
static int engine_init(struct ims_dma_engine *e, unsigned tags)
{
	return ims_dma_engine_init(e, &(struct ims_dma_engine_cfg){ .tags = tags, .request_bytes = 256 });
}

Test(dma_engine, a_request_waits_for_the_tag_of_the_oldest)
{
	struct ims_dma_engine e;

	cr_assert_eq(engine_init(&e, 2), 0);
	cr_assert_eq(ims_dma_engine_issue(&e, 0), 0);
	cr_assert_eq(ims_dma_engine_complete(&e, 100, 10, 0), 110);
	cr_assert_eq(ims_dma_engine_issue(&e, 0), 0, "a second tag is free");
	cr_assert_eq(ims_dma_engine_complete(&e, 100, 10, 0), 120, "behind the first on the link");
	cr_assert_eq(ims_dma_engine_issue(&e, 5), 110, "both tags taken: the oldest frees at 110");
	ims_dma_engine_fini(&e);
}

Test(dma_engine, requests_are_issued_in_order)
{
	struct ims_dma_engine e;

	cr_assert_eq(engine_init(&e, 2), 0);
	ims_dma_engine_issue(&e, 0);
	cr_assert_eq(ims_dma_engine_complete(&e, 500, 10, 0), 510, "held up by a walk");
	ims_dma_engine_issue(&e, 0);
	cr_assert_eq(ims_dma_engine_complete(&e, 100, 10, 0), 110, "done first");
	cr_assert_eq(ims_dma_engine_issue(&e, 0), 510, "the third waits for the first's tag");
	ims_dma_engine_complete(&e, 600, 10, 510);
	cr_assert_eq(ims_dma_engine_issue(&e, 0), 510, "the second's tag was free, but not before the third");
	ims_dma_engine_fini(&e);
}

Test(dma_engine, late_data_does_not_hold_back_earlier_data)
{
	struct ims_dma_engine e;

	cr_assert_eq(engine_init(&e, 8), 0);
	cr_assert_eq(ims_dma_engine_complete(&e, 500, 10, 0), 510, "a request held up by a walk");
	cr_assert_eq(ims_dma_engine_complete(&e, 100, 10, 0), 110, "the next one uses the gap");
	cr_assert_eq(ims_dma_engine_complete(&e, 495, 10, 0), 520, "no room before 500: after it");
	cr_assert_eq(ims_dma_engine_complete(&e, 105, 10, 0), 120, "right after [100, 110)");
	ims_dma_engine_fini(&e);
}

Test(dma_engine, a_saturated_link_is_one_interval)
{
	struct ims_dma_engine e;
	uint64_t done = 0;

	/* 16 tags cover the 60-cycle latency at one transfer per 10 cycles */
	cr_assert_eq(engine_init(&e, 16), 0);
	for (unsigned i = 0; i < 1000; i++) {
		uint64_t issue = ims_dma_engine_issue(&e, 0);

		done = ims_dma_engine_complete(&e, issue + 50, 10, issue + 50);
	}
	cr_assert_eq(e.nbusy, 1, "touching transfers merge");
	cr_assert_eq(done, 50 + 1000 * 10, "link-bound: one transfer every 10 cycles");
	ims_dma_engine_fini(&e);
}

/* ---- walk slots alone -------------------------------------------------------- */

Test(walk_slots, misses_queue_for_a_free_slot)
{
	struct ims_walk_slots w;

	ims_walk_slots_init(&w, 2);
	cr_assert_eq(ims_walk_slots_run(&w, 0, 100, 1, 0x1000, 12), 0);
	cr_assert_eq(ims_walk_slots_run(&w, 0, 100, 1, 0x2000, 12), 0);
	cr_assert_eq(ims_walk_slots_inflight(&w, 50, 1, 0x1fff), 100, "same page, in flight");
	cr_assert_eq(ims_walk_slots_inflight(&w, 50, 2, 0x1000), 0, "another domain");
	cr_assert_eq(ims_walk_slots_run(&w, 10, 100, 1, 0x3000, 12), 100, "both busy until 100");
	cr_assert_eq(ims_walk_slots_inflight(&w, 150, 1, 0x3000), 200);
	cr_assert_eq(ims_walk_slots_inflight(&w, 200, 1, 0x3000), 0, "done");
	cr_assert_eq(ims_walk_slots_drain(&w, 50, 1, UINT32_MAX), 200);
	cr_assert_eq(ims_walk_slots_drain(&w, 50, 7, UINT32_MAX), 0, "no walk of domain 7");
	cr_assert_eq(ims_walk_slots_drain(&w, 50, 7, 0), 200, "mask 0: every domain");
	cr_assert_eq(ims_walk_slots_run(&w, 0, 5, 1, 0x9000, 0), 100,
		     "a faulting walk takes a slot too");
	cr_assert_eq(ims_walk_slots_inflight(&w, 101, 1, 0x9000), 0, "but fills nothing");
}

/* ---- through traces ---------------------------------------------------------- */

#define HEADER "iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n" \
	       "@0 map vm 0x100000 4M pa=0x300000000\n"

static struct ims_sim sim;

static void run(const char *text, const char *const *params)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	struct ims_strategies st;
	struct ims_params p;

	ims_params_default(&p);
	for (; params && *params; params++)
		cr_assert_eq(ims_params_set(&p, *params, &err), 0, "%s", err.msg);
	ims_strategies_default(&st);
	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", text, strlen(text), &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), 0, "%s", err.msg);
	ims_trace_close(r);
}

static void finish(void)
{
	ims_sim_fini(&sim);
}

TestSuite(dma_timing, .fini = finish);

/* link cycles of one request of `bytes` */
static uint64_t link_cycles(uint64_t bytes)
{
	return ((bytes + sim.params.dma_tlp_overhead_bytes) * sim.dma_cfg.link_q16 + 0xffff) >> 16;
}

Test(dma_timing, a_request_costs_translation_round_trip_and_link)
{
	run(HEADER "@1000000 dma nic read 0x100000 64\n@2000000 dma nic read 0x100040 64\n", NULL);
	uint64_t hit = sim.costs.iotlb_hit_ns, rtt = sim.costs.dma_rtt_ns;

	cr_assert_eq(S(sim, dma_requests), 2);
	cr_assert_eq(S(sim, iotlb_miss), 1);
	cr_assert_eq(S(sim, cyc_dma_request), (hit + S(sim, cyc_walk) + rtt + link_cycles(64)) +
					      (hit + rtt + link_cycles(64)),
		     "the first walks, the second hits");
	cr_assert_eq(S(sim, dma_last_cycle), 2000000 + hit + rtt + link_cycles(64));
	cr_assert_eq(S(sim, dma_first_cycle), 1000000);
}

Test(dma_timing, a_transfer_is_split_into_aligned_requests)
{
	/* 1 KiB from 0x100080: 0x80..0xff, then three 256 B requests, then 0x480 */
	run(HEADER "@1000000 dma nic write 0x100080 1024\n", NULL);
	cr_assert_eq(S(sim, dma_requests), 5);
	cr_assert_eq(S(sim, translations), 1, "one translation for the 4 KiB chunk");
}

/* Back-to-back hits with few tags: throughput is tags x size per round trip,
 * not the link's. */
Test(dma_timing, few_tags_bound_throughput_by_latency)
{
	static char text[1 << 16];
	size_t n = (size_t)snprintf(text, sizeof(text), HEADER);
	const char *const params[] = { "dma_tags=4", NULL };

	for (unsigned i = 0; i < 400; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "@1000000 dma nic read 0x%x 256\n", 0x100000 + (i % 16) * 256);
	run(text, params);
	uint64_t per_req = sim.costs.iotlb_hit_ns + sim.costs.dma_rtt_ns + link_cycles(256);
	uint64_t span = S(sim, dma_last_cycle) - S(sim, dma_first_cycle);

	/* 100 rounds of 4 requests, each round one request latency (the first
	 * round also walks once) */
	cr_assert_geq(span, 100 * per_req);
	cr_assert_leq(span, 100 * per_req + S(sim, cyc_walk) + 400);
	cr_assert_gt(S(sim, cyc_dma_tag_wait), 100 * S(sim, cyc_dma_link_wait),
		     "requests wait for tags, hardly for the link");
}

Test(dma_timing, many_tags_make_the_link_the_bound)
{
	static char text[1 << 16];
	size_t n = (size_t)snprintf(text, sizeof(text), HEADER);
	const char *const params[] = { "dma_tags=1024", "dma_link_mbps=1000", NULL };

	for (unsigned i = 0; i < 400; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "@1000000 dma nic read 0x%x 256\n", 0x100000 + (i % 16) * 256);
	run(text, params);
	uint64_t span = S(sim, dma_last_cycle) - S(sim, dma_first_cycle);
	uint64_t first = sim.costs.iotlb_hit_ns + S(sim, cyc_walk) + sim.costs.dma_rtt_ns;

	cr_assert_eq(span, first + 400 * link_cycles(256), "one request per link slot");
	cr_assert_gt(S(sim, cyc_dma_link_wait), 0);
}

/* Reads to 64 different pages at once: with one walk slot they queue; with
 * 64 they do not. */
Test(dma_timing, misses_queue_for_walk_slots)
{
	static char text[1 << 16];
	size_t n = (size_t)snprintf(text, sizeof(text), HEADER);
	const char *const one[] = { "iommu_walk_slots=1", "dma_tags=64", NULL };
	const char *const many[] = { "iommu_walk_slots=64", "dma_tags=64", NULL };
	uint64_t queued;

	for (unsigned i = 0; i < 64; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "@1000000 dma nic read 0x%x 64\n", 0x100000 + i * 4096);
	run(text, one);
	queued = S(sim, cyc_walk_slot_wait);
	cr_assert_eq(S(sim, iotlb_miss), 64);
	cr_assert_gt(queued, 0);
	finish();
	run(text, many);
	cr_assert_eq(S(sim, cyc_walk_slot_wait), 0);
}

Test(dma_timing, a_hit_on_a_translation_being_walked_waits_for_the_walk)
{
	run(HEADER "@1000000 dma nic read 0x100000 64\n@1000000 dma nic read 0x100800 64\n", NULL);
	cr_assert_eq(S(sim, iotlb_miss), 1);
	cr_assert_eq(S(sim, iotlb_hit_under_miss), 1);
	cr_assert_eq(S(sim, cyc_hit_under_miss), S(sim, cyc_walk), "issued together: the whole walk");
}

/* A walk made slow (every page-table read a 100 us DRAM miss) is still in
 * flight when the unmap's invalidation is processed: the invalidation, and
 * so the host's sync, waits for it. */
Test(dma_timing, an_invalidation_waits_for_walks_of_its_domain)
{
	const char *const slow[] = { "mem_dram_ns=100000", "mem_llc_lines=0", NULL };

	run(HEADER "@1000000 dma nic read 0x100000 64\n@1000001 unmap vm 0x100000 4M\n", slow);
	cr_assert_gt(S(sim, cyc_inv_walk_drain), 0);
	cr_assert_geq(S(sim, cyc_inv_wait), S(sim, cyc_inv_walk_drain) / 2,
		      "the host's wait includes it");
}
