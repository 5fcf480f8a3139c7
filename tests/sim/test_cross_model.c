/* The same workload under every registered model: what the host observes
 * (dirty bitmaps, faults, sync counts per strategy) must not depend on the
 * IOMMU, while the costs may and do. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"
#include "sim/run.h"

#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define NREADS 3
#define PAGES 64

struct observed {
	uint64_t bitmap[NREADS][(PAGES + 512 + 63) / 64];
	struct ims_fault_record faults[8];
	unsigned nfaults;
	uint64_t syncs_clear_unmap, syncs_noclear_unmap;
	struct ims_stats stats;
};

static void must(int rc, const struct ims_error *err)
{
	cr_assert_eq(rc, 0, "%s", err->msg);
}

static void read_into(struct ims_sim *sim, struct ims_domain *dom, unsigned flags,
		      uint64_t *out, struct ims_error *err)
{
	struct ims_dirty_bitmap bm;

	/* 64 4 KiB pages followed by one 2 MiB page, at 4 KiB granularity */
	must(ims_host_read_dirty(sim, dom, 0x100000, PAGES << 12, 12, flags, &bm, err), err);
	memcpy(out, bm.bits, (PAGES + 63) / 64 * 8);
	free(bm.bits);
	must(ims_host_read_dirty(sim, dom, 0x400000, 2 << 20, 12, flags, &bm, err), err);
	memcpy(out + PAGES / 64, bm.bits, 512 / 8);
	free(bm.bits);
}

static void workload(const struct ims_model_ops *model, struct observed *o)
{
	const struct ims_dirty_strategy *clear = ims_dirty_strategy_find("clear+unmap");
	const struct ims_dirty_strategy *noclear = ims_dirty_strategy_find("noclear+unmap");
	struct ims_error err = { 0 };
	struct ims_params p;
	struct ims_sim sim;
	struct ims_domain *dom;
	struct ims_device *dev;
	uint64_t s0;

	memset(o, 0, sizeof(*o));
	ims_params_default(&p);
	must(ims_sim_init(&sim, model, &p, &err), &err);
	must(ims_host_domain_create(&sim, "d0", 48, &dom, &err), &err);
	must(ims_host_device_create(&sim, "nic", 0x100, &dev, &err), &err);
	must(ims_host_attach(&sim, dev, dom, &err), &err);
	/* 4 KiB leaves (PA not 2 MiB aligned), one 2 MiB leaf, one read-only page */
	must(ims_host_map(&sim, dom, 0x100000, PAGES << 12, true, 0x300001000, RW, &err), &err);
	must(ims_host_map(&sim, dom, 0x400000, 2 << 20, false, 0, RW, &err), &err);
	must(ims_host_map(&sim, dom, 0x800000, 0x1000, false, 0, IMS_PROT_READ, &err), &err);
	for (int i = 0; i < PAGES; i += 5)     /* written before tracking: never reported */
		ims_dma(&sim, dev, 0x100000 + ((uint64_t)i << 12), 64, true);
	must(ims_host_set_dirty_tracking(&sim, dom, true, &err), &err);
	for (int i = 0; i < PAGES; i += 3)
		ims_dma(&sim, dev, 0x100000 + ((uint64_t)i << 12) + 100, 200, true);
	ims_dma(&sim, dev, 0x100000 + (7 << 12), 4096, false);
	ims_dma(&sim, dev, 0x4ff000, 0x2000, true);            /* 2 MiB leaf */
	ims_dma(&sim, dev, 0x800000, 8, true);                 /* read-only: fault */
	ims_dma(&sim, dev, 0x900000, 8, false);                /* unmapped: fault */
	ims_dma(&sim, dev, 1ull << 48, 8, false);              /* beyond 48 bits: fault */
	read_into(&sim, dom, 0, o->bitmap[0], &err);
	for (int i = 1; i < PAGES; i += 7)
		ims_dma(&sim, dev, 0x100000 + ((uint64_t)i << 12), 8, true);
	read_into(&sim, dom, IMS_DIRTY_NO_CLEAR, o->bitmap[1], &err);
	read_into(&sim, dom, IMS_DIRTY_NO_CLEAR, o->bitmap[2], &err);
	cr_assert_eq(memcmp(o->bitmap[1], o->bitmap[2], sizeof(o->bitmap[1])), 0,
		     "%s: NO_CLEAR reads are repeatable", model->name);
	s0 = IMS_STAT_GET(&sim.stats, iotlb_syncs);
	must(clear->dirty_unmap(&sim, dom, 0x100000, 32 << 12, 12, &err), &err);
	o->syncs_clear_unmap = IMS_STAT_GET(&sim.stats, iotlb_syncs) - s0;
	s0 = IMS_STAT_GET(&sim.stats, iotlb_syncs);
	must(noclear->dirty_unmap(&sim, dom, 0x120000, 32 << 12, 12, &err), &err);
	o->syncs_noclear_unmap = IMS_STAT_GET(&sim.stats, iotlb_syncs) - s0;
	o->nfaults = sim.nfaults_logged;
	memcpy(o->faults, sim.faults, sizeof(o->faults));
	o->stats = sim.stats;
	ims_sim_fini(&sim);
}

Test(cross_model, every_model_reports_the_same_dirty_pages_and_faults)
{
	static struct observed ref, cur;

	workload(ims_models[0], &ref);
	cr_assert_eq(ref.nfaults, 3);
	cr_assert_eq(ref.syncs_clear_unmap, 2);
	cr_assert_eq(ref.syncs_noclear_unmap, 1);
	cr_assert_eq(IMS_STAT_GET(&ref.stats, dirty_pages_missed), 0);
	/* every report after the first NO_CLEAR read re-reports unrewritten
	 * pages: the second NO_CLEAR read (all it reports) and the two
	 * dirty-unmap reads (the 4 KiB run again) */
	unsigned small = 0, all = 0;
	for (int i = 0; i < PAGES + 512; i++) {
		bool set = ref.bitmap[2][i / 64] & (1ull << (i % 64));

		small += set && i < PAGES;
		all += set;
	}
	cr_assert_gt(small, 0);
	cr_assert_eq(IMS_STAT_GET(&ref.stats, dirty_pages_spurious), all + small);
	/* first read: pages 0,3,...,63 of the 4 KiB run and all of the 2 MiB leaf */
	for (int i = 0; i < PAGES; i++)
		cr_assert_eq(!!(ref.bitmap[0][i / 64] & (1ull << (i % 64))), i % 3 == 0, "page %d", i);
	cr_assert_eq(ref.bitmap[0][1], ~0ull);
	for (unsigned m = 1; m < ims_model_count; m++) {
		const char *name = ims_models[m]->name;

		workload(ims_models[m], &cur);
		cr_assert_eq(memcmp(ref.bitmap, cur.bitmap, sizeof(ref.bitmap)), 0,
			     "%s reports other dirty pages than %s", name, ims_models[0]->name);
		cr_assert_eq(cur.nfaults, ref.nfaults, "%s", name);
		for (unsigned f = 0; f < ref.nfaults; f++) {
			cr_assert_eq(cur.faults[f].iova, ref.faults[f].iova, "%s fault %u", name, f);
			cr_assert_eq(cur.faults[f].kind, ref.faults[f].kind, "%s fault %u", name, f);
			cr_assert_eq(cur.faults[f].write, ref.faults[f].write, "%s fault %u", name, f);
		}
		cr_assert_eq(cur.syncs_clear_unmap, 2, "%s", name);
		cr_assert_eq(cur.syncs_noclear_unmap, 1, "%s", name);
		cr_assert_eq(IMS_STAT_GET(&cur.stats, dirty_pages_missed), 0, "%s", name);
		cr_assert_eq(IMS_STAT_GET(&cur.stats, dirty_pages_spurious),
			     IMS_STAT_GET(&ref.stats, dirty_pages_spurious), "%s", name);
	}
}

static void run_trace_file(const char *path, const struct ims_model_ops *model,
			   const char *strategy, const char *param, struct ims_stats *out)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	struct ims_params p;
	struct ims_sim sim;

	ims_params_default(&p);
	if (param)
		must(ims_params_set(&p, param, &err), &err);
	must(ims_trace_open(&r, path, &err), &err);
	must(ims_sim_init(&sim, model, &p, &err), &err);
	struct ims_strategies st;
	char bad[64];

	ims_strategies_default(&st);
	cr_assert_eq(ims_strategies_parse(&st, strategy, bad, sizeof(bad)), 0, "%s", bad);
	must(ims_run_trace(&sim, r, &st, &err), &err);
	ims_trace_close(r);
	*out = sim.stats;
	ims_sim_fini(&sim);
}

#define S(st, name) IMS_STAT_GET(&(st), name)

static const char *const unmap_strategies[] = { "clear+unmap", "noclear+unmap",
						"unmap-all-dirty", "wrprotect+unmap" };
#define NUNMAP (sizeof(unmap_strategies) / sizeof(unmap_strategies[0]))

/* Race-free traces (no DMA while a host operation runs) give the same
 * host-visible results everywhere: every model reports exactly the pages
 * DMA wrote (same true positives, nothing missed) and faults the same DMAs.
 * The one documented difference: SMMUv3 creates writable leaves already
 * writable-dirty (as Linux does at stage 1), so a page mapped while tracking
 * is on is reported once although never written; those extra reports are
 * all spurious, nothing else changes. */
Test(cross_model, race_free_traces_agree_on_dirty_accuracy_and_faults)
{
	static const char *traces[] = {
		/* (examples/basic.trace declares a 57-bit domain, which SMMUv3's
		 * 48-bit input cannot take; the SMMUv3 tests check that rejection) */
		IMS_SOURCE_DIR "/traces/examples/migration.trace",
		IMS_SOURCE_DIR "/traces/examples/faults.trace",
	};

	for (unsigned t = 0; t < sizeof(traces) / sizeof(traces[0]); t++) {
		for (unsigned k = 0; k < NUNMAP; k++) {
			const char *strategy = unmap_strategies[k];
			struct ims_stats ref, cur;

			run_trace_file(traces[t], ims_model_find("vtd"), strategy, NULL, &ref);
			for (unsigned m = 0; m < ims_model_count; m++) {
				const char *name = ims_models[m]->name;

				run_trace_file(traces[t], ims_models[m], strategy, NULL, &cur);
				cr_assert_eq(S(cur, dirty_pages_reported) - S(cur, dirty_pages_spurious),
					     S(ref, dirty_pages_reported) - S(ref, dirty_pages_spurious),
					     "%s/%s on %s: true positives", name, strategy, traces[t]);
				cr_assert_eq(S(cur, dirty_pages_missed), 0, "%s on %s", name, traces[t]);
				if (strcmp(name, "smmuv3"))
					cr_assert_eq(S(cur, dirty_pages_spurious),
						     S(ref, dirty_pages_spurious), "%s", name);
				for (unsigned id = IMS_STAT_faults; id <= IMS_STAT_fault_addr; id++)
					cr_assert_eq(cur.v[id], ref.v[id], "%s on %s: %s", name,
						     traces[t], ims_stat_table[id].name);
				cr_assert_eq(S(cur, dma_bytes), S(ref, dma_bytes));
				/* SMMUv3 stage 1 switches tracking without a sync */
				cr_assert_eq(S(cur, iotlb_syncs) + (strcmp(name, "smmuv3") ? 0 :
						     S(cur, dirty_tracking_switches)),
					     S(ref, iotlb_syncs), "%s: syncs", name);
			}
		}
	}
}

/* The demo races DMA with host operations whose length differs per model,
 * so which DMA lands in which window differs too; what must not differ is
 * which DMAs fault, the bytes moved, and that no write is lost. */
Test(cross_model, racing_demo_loses_nothing_on_any_model)
{
	const char *demo = IMS_SOURCE_DIR "/traces/demo/migration.trace.gz";
	struct ims_stats ref, cur;

	run_trace_file(demo, ims_model_find("vtd"), "clear+unmap", NULL, &ref);
	for (unsigned m = 0; m < ims_model_count; m++) {
		for (unsigned k = 0; k < NUNMAP; k++) {
			run_trace_file(demo, ims_models[m], unmap_strategies[k], NULL, &cur);
			for (unsigned id = IMS_STAT_faults; id <= IMS_STAT_fault_addr; id++)
				cr_assert_eq(cur.v[id], ref.v[id], "%s: %s", ims_models[m]->name,
					     ims_stat_table[id].name);
			cr_assert_eq(S(cur, dma_bytes), S(ref, dma_bytes));
			cr_assert_eq(S(cur, dirty_pages_missed), 0, "%s/%s", ims_models[m]->name,
				     unmap_strategies[k]);
			cr_assert_gt(S(cur, dirty_pages_reported), 0);
		}
	}
}

/* Costs differ the way the hardware says they should. */
Test(cross_model, costs_differ_in_the_directions_the_hardware_implies)
{
	const char *race_free = IMS_SOURCE_DIR "/traces/examples/migration.trace";
	const char *demo = IMS_SOURCE_DIR "/traces/demo/migration.trace.gz";
	struct ims_stats vtd, amd, smmu, smmu_noril;

	/* same 4-level radix, same caches, no races: the same walks */
	run_trace_file(race_free, ims_model_find("vtd"), "clear+unmap", NULL, &vtd);
	run_trace_file(race_free, ims_model_find("amdv1"), "clear+unmap", NULL, &amd);
	cr_assert_eq(S(amd, walk_mem_refs), S(vtd, walk_mem_refs));
	cr_assert_eq(S(amd, walks), S(vtd, walks));

	run_trace_file(demo, ims_model_find("vtd"), "clear+unmap", NULL, &vtd);
	run_trace_file(demo, ims_model_find("amdv1"), "clear+unmap", NULL, &amd);
	run_trace_file(demo, ims_model_find("smmuv3"), "clear+unmap", NULL, &smmu);
	run_trace_file(demo, ims_model_find("smmuv3"), "clear+unmap", "smmuv3_ril=0", &smmu_noril);
	/* the SMMUv3 stage-1 tracking switch is free in the driver: one sync fewer */
	cr_assert_eq(S(vtd, dirty_tracking_switches), 1);
	cr_assert_eq(S(smmu, iotlb_syncs) + 1, S(vtd, iotlb_syncs));
	/* AMD attaches pay DTE invalidations; VT-d (caching mode off) pays none */
	cr_assert_gt(S(amd, inv_context), S(vtd, inv_context));
	/* born writable-dirty leaves need fewer hardware dirty updates */
	cr_assert_lt(S(smmu, d_set), S(vtd, d_set));
	/* without range invalidation a multi-page range costs one command per page */
	cr_assert_gt(S(smmu_noril, inv_desc), S(smmu, inv_desc));
	cr_assert_gt(S(smmu_noril, cyc_inv_iommu), S(smmu, cyc_inv_iommu));
	/* every model: noclear+unmap saves exactly one sync per dirty-unmap */
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats a, b;

		run_trace_file(demo, ims_models[m], "clear+unmap", NULL, &a);
		run_trace_file(demo, ims_models[m], "noclear+unmap", NULL, &b);
		cr_assert_eq(S(a, iotlb_syncs) - S(b, iotlb_syncs), S(a, dirty_unmaps), "%s",
			     ims_models[m]->name);
		cr_assert_lt(S(b, cyc_host_total), S(a, cyc_host_total), "%s", ims_models[m]->name);
	}
}
