/* The workload generators (sim/gen/) and iommusim-gen: the same arguments
 * give the same file, each workload replays on every model without faults
 * and with the counts its knobs imply, and bad options leave no file. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/sim/events.h"
#include "tests/sim/replay.h"
#include "tests/sim/files.h"
#include "models/model.h"
#include "sim/gen/gen.h"

#define S(st, name) IMS_STAT_GET(&(st), name)

static const char *const models[] = { "vtd", "amdv1", "smmuv3" };
#define NMODELS (sizeof(models) / sizeof(models[0]))

TestSuite(gen, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* Run iommusim-gen with args (shell syntax, in tmpdir). */
static int gen_cmd(char *out, size_t size, const char *args)
{
	char command[1024];

	snprintf(command, sizeof(command), "$G %s", args);
	return run_in_tmpdir(out, size, "G=" IMS_BIN_DIR "/iommusim-gen", command);
}

/* name in tmpdir; valid until the next call */
static const char *in_tmp(const char *name)
{
	static char path[1200];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static bool exists(const char *name)
{
	struct stat st;

	return stat(in_tmp(name), &st) == 0;
}

static bool same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = slurp(in_tmp(a), &la), *y = slurp(in_tmp(b), &lb);
	bool same = la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* Generate workload `w` with knobs "name=value,..." (may be "") into file. */
static void generate(const char *file, const char *w, uint64_t seed, const char *knobs)
{
	struct ims_error err = { 0 };
	struct ims_gen_cfg cfg;
	char buf[256], *save, *kv;

	cr_assert_not_null(ims_gen_find(w), "%s", w);
	ims_gen_cfg_init(&cfg, ims_gen_find(w));
	cfg.seed = seed;
	snprintf(buf, sizeof(buf), "%s", knobs);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq = 0;
		cr_assert_eq(ims_gen_cfg_set(&cfg, kv, eq ? eq + 1 : NULL, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(ims_gen_write_file(&cfg, in_tmp(file), NULL, &err), 0, "%s", err.msg);
}

static struct ims_stats run(const char *file, const char *model, const char *strategy)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;

	cr_assert_eq(ims_trace_open(&r, in_tmp(file), &err), 0, "%s", err.msg);
	return replay(ims_model_find(model), strategy, r);
}

/* ---- the PRNG and knob parsing ------------------------------------------------ */

Test(gen, rng_is_seeded_and_uniform_enough)
{
	struct ims_gen_rng a, b;
	uint64_t hist[10] = { 0 };

	ims_gen_rng_seed(&a, 42);
	ims_gen_rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(ims_gen_rng_next(&a), ims_gen_rng_next(&b));
	ims_gen_rng_seed(&b, 43);
	cr_assert_neq(ims_gen_rng_next(&a), ims_gen_rng_next(&b));
	for (int i = 0; i < 100000; i++) {
		uint64_t x = ims_gen_rng_below(&a, 10);

		cr_assert_lt(x, 10);
		hist[x]++;
	}
	for (int i = 0; i < 10; i++)
		cr_assert(hist[i] > 9500 && hist[i] < 10500, "bucket %d: %lu", i,
			  (unsigned long)hist[i]);
	cr_assert(ims_gen_rng_chance(&a, IMS_GEN_PPM));
	cr_assert_not(ims_gen_rng_chance(&a, 0));
}

Test(gen, knob_values)
{
	const struct ims_gen_workload *w = ims_gen_find("random-window");
	struct ims_error err = { 0 };
	struct ims_gen_cfg cfg;

	ims_gen_cfg_init(&cfg, w);
	cr_assert_eq(cfg.seed, 1);
	cr_assert_eq(ims_gen_cfg_set(&cfg, "window", "0x10M", &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.v[0], UINT64_C(16) << 20);
	cr_assert_eq(ims_gen_cfg_set(&cfg, "window", "2g", &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.v[0], UINT64_C(2) << 30);
	cr_assert_eq(ims_gen_cfg_set(&cfg, "read-fraction", "25%", &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.v[4], 250000);
	cr_assert_eq(ims_gen_cfg_set(&cfg, "read-fraction", ".125", &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.v[4], 125000);
	cr_assert_eq(ims_gen_cfg_set(&cfg, "page", "1G", &err), 0, "%s", err.msg);
	cr_assert_eq(cfg.v[1], 2);

	cr_assert_neq(ims_gen_cfg_set(&cfg, "read-fraction", "1.5", &err), 0);
	cr_assert_str_eq(err.msg, "--read-fraction: invalid value '1.5' (must be between 0 and 1)");
	cr_assert_neq(ims_gen_cfg_set(&cfg, "page", "8K", &err), 0);
	cr_assert_str_eq(err.msg, "--page: invalid value '8K' (expected 4K|2M|1G)");
	cr_assert_neq(ims_gen_cfg_set(&cfg, "window", "4X", &err), 0);
	cr_assert_neq(ims_gen_cfg_set(&cfg, "window", "99999999999T", &err), 0);
	cr_assert(strstr(err.msg, "64 bits"), "%s", err.msg);
	cr_assert_neq(ims_gen_cfg_set(&cfg, "count", "0", &err), 0);
	cr_assert_str_eq(err.msg, "--count: 0 is below the minimum 1");
	cr_assert_neq(ims_gen_cfg_set(&cfg, "bogus", "1", &err), 0);
	cr_assert_eq(err.code, IMS_ENOENT);
}

/* Every default parses, and every workload runs with its defaults. */
Test(gen, defaults_generate)
{
	for (unsigned i = 0; ims_gen_workloads[i]; i++) {
		struct ims_error err = { 0 };
		struct ims_gen_cfg cfg;
		char file[64];

		ims_gen_cfg_init(&cfg, ims_gen_workloads[i]);
		cr_assert_eq(ims_gen_cfg_check(&cfg, &err), 0, "%s: %s",
			     ims_gen_workloads[i]->name, err.msg);
		snprintf(file, sizeof(file), "%s.trace.gz", ims_gen_workloads[i]->name);
		generate(file, ims_gen_workloads[i]->name, 1, "");
	}
}

/* ---- determinism -------------------------------------------------------------- */

Test(gen, same_seed_same_bytes_other_seed_other_bytes)
{
	for (unsigned i = 0; ims_gen_workloads[i]; i++) {
		const char *w = ims_gen_workloads[i]->name;
		char out[1024], args[256];

		snprintf(args, sizeof(args), "%s --seed 7 -o a.trace", w);
		cr_assert_eq(gen_cmd(out, sizeof(out), args), 0, "%s", out);
		snprintf(args, sizeof(args), "%s --seed=7 -o b.trace", w);
		cr_assert_eq(gen_cmd(out, sizeof(out), args), 0, "%s", out);
		snprintf(args, sizeof(args), "%s --seed 8 -o c.trace", w);
		cr_assert_eq(gen_cmd(out, sizeof(out), args), 0, "%s", out);
		cr_assert(same_file("a.trace", "b.trace"), "%s: seed 7 twice differs", w);
		cr_assert_not(same_file("a.trace", "c.trace"), "%s: seeds 7 and 8 agree", w);
	}
}

Test(gen, compressed_and_elf_outputs_are_deterministic)
{
	static const char *const ext[] = { "trace.gz", "elf" };
	char out[1024], args[256];

	for (unsigned i = 0; i < 2; i++) {
		snprintf(args, sizeof(args), "migration --churn -o a.%s && "
			 "%s/iommusim-gen migration --churn -o b.%s", ext[i], IMS_BIN_DIR, ext[i]);
		cr_assert_eq(gen_cmd(out, sizeof(out), args), 0, "%s", out);
		snprintf(args, sizeof(args), "a.%s", ext[i]);
		snprintf(out, sizeof(out), "b.%s", ext[i]);
		cr_assert(same_file(args, out), "%s differs", ext[i]);
	}
}

/* ---- each workload on each model --------------------------------------------- */

Test(gen, nic_rx_strict_and_batched)
{
	generate("strict.trace", "nic-rx", 3, "packets=1000,ring=64");
	generate("batched.trace", "nic-rx", 3, "packets=1000,ring=64,unmap=batched,batch=16");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats s = run("strict.trace", models[m], "clear+unmap");
		struct ims_stats b = run("batched.trace", models[m], "clear+unmap");

		cr_assert_eq(S(s, faults), 0, "%s", models[m]);
		cr_assert_eq(S(s, dma_write), 1000);
		cr_assert_eq(S(s, map_calls), 1000);
		cr_assert_eq(S(s, unmap_calls), 1000);
		cr_assert_eq(S(s, iotlb_syncs), 1000);
		cr_assert_eq(S(s, map_pages_4k), 1000);
		cr_assert_eq(S(b, faults), 0, "%s", models[m]);
		cr_assert_eq(S(b, map_calls), 1000);
		cr_assert_eq(S(b, unmap_calls), (1000 + 15) / 16);
		cr_assert_eq(S(b, unmap_bytes), 1000 * 4096);
	}
}

Test(gen, nic_rx_host_slower_than_packets_waits_not_faults)
{
	/* 100 cycles per packet is far below an unmap's cost: packets must
	 * wait for posted buffers rather than hit unmapped ones */
	generate("fast.trace", "nic-rx", 1, "packets=500,ring=16,rate=100,delay=0");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats s = run("fast.trace", models[m], "clear+unmap");

		cr_assert_eq(S(s, faults), 0, "%s", models[m]);
		cr_assert_eq(S(s, dma), 500);
	}
}

Test(gen, nvme_static_and_per_io)
{
	generate("static.trace", "nvme", 2, "ios=200,io-size=128K,burst=32K,buffer=8M");
	generate("perio.trace", "nvme", 2, "ios=200,io-size=2M,burst=256K,buffer=64M,map=per-io,"
					   "huge-fraction=1");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats s = run("static.trace", models[m], "clear+unmap");
		struct ims_stats p = run("perio.trace", models[m], "clear+unmap");

		cr_assert_eq(S(s, faults), 0, "%s", models[m]);
		cr_assert_eq(S(s, dma), 200 * 4);
		cr_assert_eq(S(s, dma_bytes), 200 * 128 * 1024);
		cr_assert_eq(S(s, map_pages_2m), 4);       /* 8M of 2 MiB pages */
		cr_assert_eq(S(s, map_pages_4k), 2048);    /* 8M of 4 KiB pages */
		cr_assert_eq(S(s, map_pages_other), 0);
		cr_assert_eq(S(p, faults), 0, "%s", models[m]);
		cr_assert_eq(S(p, dma), 200 * 8);
		cr_assert_eq(S(p, map_calls), 200);
		cr_assert_eq(S(p, unmap_calls), 200);
		cr_assert_eq(S(p, map_pages_2m), 200);     /* 2M-aligned buffers */
		cr_assert_eq(S(p, map_pages_4k), 0);
	}
}

Test(gen, migration_rounds_and_strategies)
{
	/* 10 rounds of pre-copy, then stop-copy */
	generate("mig.trace", "migration", 4, "memory=64M,period=1000000,duration=10000000");
	generate("churn.trace", "migration", 4, "memory=64M,period=1000000,duration=10000000,"
						"churn,churn-pages=64,churn-rate=100000");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats s = run("mig.trace", models[m], "clear+unmap/sync-flush");
		struct ims_stats n = run("mig.trace", models[m], "clear+unmap/sync-noflush");
		struct ims_stats c = run("churn.trace", models[m], "clear+unmap/sync-flush");

		cr_assert_eq(S(s, faults), 0, "%s", models[m]);
		cr_assert_eq(S(s, dma_write), 2499);
		cr_assert_eq(S(s, dirty_sync_rounds), 11, "%s: %lu", models[m],
			     (unsigned long)S(s, dirty_sync_rounds));
		cr_assert_eq(S(s, dirty_unmaps), 1);
		cr_assert_gt(S(s, dirty_pages_reported), 0);
		cr_assert_eq(S(s, dirty_pages_missed), 0);
		cr_assert_eq(S(s, dirty_pages_spurious), 0);
		/* skipping the flush loses writes through cached dirty entries */
		cr_assert_gt(S(n, dirty_pages_missed), 0, "%s", models[m]);

		cr_assert_eq(S(c, faults), 0, "%s", models[m]);
		cr_assert_eq(S(c, dirty_sync_rounds), 11);
		cr_assert_eq(S(c, dirty_pages_missed), 0);
		/* 32 pages mapped at the start, an unmap+map pair every 100000
		 * cycles of the 10M before the last write (99), the 32 unmapped
		 * at the end */
		cr_assert_eq(S(c, map_calls), 1 + 32 + 99);
		cr_assert_eq(S(c, dirty_unmaps), 1 + 99 + 32);
	}
}

Test(gen, viommu_dsi_unmaps_whole_ranges)
{
	generate("dsi.trace", "viommu-dsi", 5, "chunks=4,rounds=2,dmas=32");
	generate("dsid.trace", "viommu-dsi", 5, "chunks=4,rounds=2,dmas=32,dirty");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats s = run("dsi.trace", models[m], "clear+unmap");
		struct ims_stats d = run("dsid.trace", models[m], "noclear+unmap");

		cr_assert_eq(S(s, faults), 0, "%s", models[m]);
		cr_assert_eq(S(s, dma), 2 * 4 * 32);
		cr_assert_eq(S(s, map_calls), 2 * 4 * 512);
		cr_assert_eq(S(s, unmap_calls), 2 * 4);
		cr_assert_eq(S(s, iotlb_syncs), 2 * 4 * 512);   /* one per area */
		cr_assert_eq(S(d, faults), 0, "%s", models[m]);
		cr_assert_eq(S(d, dirty_unmaps), 2 * 4);
		cr_assert_eq(S(d, dirty_pages_missed), 0);
	}
}

Test(gen, hotunplug_steps_and_exposures)
{
	generate("hu.trace", "hotunplug", 6, "gpus=3,buffers=8,buffer-size=32K,dmas=16");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats e = run("hu.trace", models[m], "eager");
		struct ims_stats n = run("hu.trace", models[m], "none");

		cr_assert_eq(S(e, faults), 0, "%s", models[m]);
		cr_assert_eq(S(e, dma), 8 + 3 * 16);
		cr_assert_eq(S(e, domain_fills), 1 + 3);
		cr_assert_eq(S(e, domain_unfills), 1 + 3);
		cr_assert_eq(S(e, access_pins), 8);
		cr_assert_eq(S(e, pages_pinned), 8 * 8);
		cr_assert_eq(S(e, pages_unpinned), 8 * 8);
		cr_assert_eq(S(e, exposures), 0);
		cr_assert_gt(S(e, cache_flushes), 0);
		cr_assert_gt(S(n, exposures), 0, "%s", models[m]);
	}
}

Test(gen, random_window_stays_in_window)
{
	static const struct {
		const char *knobs;
		uint64_t window, page;
	} cases[] = {
		{ "window=16M,page=4K,count=3000,size=256", UINT64_C(16) << 20, 4096 },
		{ "window=64M,page=2M,count=3000,size=4K", UINT64_C(64) << 20, UINT64_C(2) << 20 },
		{ "window=2G,page=1G,count=3000,size=64", UINT64_C(2) << 30, UINT64_C(1) << 30 },
	};

	for (unsigned c = 0; c < 3; c++) {
		uint64_t lo = UINT64_MAX, hi = 0, dmas = 0, reads = 0, size = 0;
		struct ims_error err = { 0 };
		struct ims_trace_reader *r;
		struct ims_event ev;
		int rc;

		generate("rw.trace", "random-window", 9, cases[c].knobs);
		cr_assert_eq(ims_trace_open(&r, in_tmp("rw.trace"), &err), 0, "%s", err.msg);
		while ((rc = ims_trace_next(r, &ev, &err)) == 1) {
			if (ev.kind != IMS_EV_DMA)
				continue;
			dmas++;
			reads += !(ev.flags & IMS_EVF_WRITE);
			lo = ev.iova < lo ? ev.iova : lo;
			hi = ev.iova + ev.len > hi ? ev.iova + ev.len : hi;
			size = ev.len;
		}
		cr_assert_eq(rc, 0, "%s", err.msg);
		ims_trace_close(r);
		cr_assert_eq(dmas, 3000);
		cr_assert(reads > 1300 && reads < 1700, "reads %lu", (unsigned long)reads);
		cr_assert_geq(lo, UINT64_C(1) << 40);
		cr_assert_leq(hi, (UINT64_C(1) << 40) + cases[c].window);
		/* uniform: the DMAs reach both ends of the window */
		cr_assert_lt(lo, (UINT64_C(1) << 40) + cases[c].window / 16);
		cr_assert_gt(hi, (UINT64_C(1) << 40) + cases[c].window / 16 * 15);
		cr_assert(size == 256 || size == 4096 || size == 64);

		for (unsigned m = 0; m < NMODELS; m++) {
			struct ims_stats s = run("rw.trace", models[m], "clear+unmap");
			uint64_t leaves = cases[c].window / cases[c].page;

			cr_assert_eq(S(s, faults), 0, "%s", models[m]);
			cr_assert_eq(S(s, dma), 3000);
			cr_assert_eq(S(s, map_pages_4k), cases[c].page == 4096 ? leaves : 0, "%s",
				     models[m]);
			cr_assert_eq(S(s, map_pages_2m), cases[c].page == (2u << 20) ? leaves : 0);
			cr_assert_eq(S(s, map_pages_1g), cases[c].page == (1u << 30) ? leaves : 0);
			cr_assert_eq(S(s, map_pages_other), 0);
		}
	}
}

/* Corner cases that once went wrong: a one-page window (the first map
 * allocates a whole table path before the first DMA may come), a one-slot
 * ring, a queue deeper than the static region has slices (looped forever). */
Test(gen, corner_cases_replay_without_faults, .timeout = 20)
{
	static const struct {
		const char *w, *knobs;
	} cases[] = {
		{ "random-window", "window=4K,size=1,count=100" },
		{ "nic-rx", "ring=1,packets=100" },
		{ "nvme", "huge-fraction=1,io-size=4M,burst=1M,buffer=16M,ios=50" },
		{ "migration", "backing=4K,memory=16M,churn,churn-pages=2,churn-rate=1000,duration=200000,period=50000" },
	};

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		generate("c.trace", cases[c].w, 1, cases[c].knobs);
		for (unsigned m = 0; m < NMODELS; m++) {
			struct ims_stats s = run("c.trace", models[m], "wrprotect+unmap");

			cr_assert_eq(S(s, faults), 0, "%s %s on %s", cases[c].w, cases[c].knobs,
				     models[m]);
			cr_assert_gt(S(s, dma), 0);
		}
	}
}

/* A bigger window than the IOTLB reaches at 4K: 2M pages hit more. */
Test(gen, random_window_reach)
{
	generate("w4k.trace", "random-window", 1, "window=256M,page=4K,count=5000");
	generate("w2m.trace", "random-window", 1, "window=256M,page=2M,count=5000");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats a = run("w4k.trace", models[m], "clear+unmap");
		struct ims_stats b = run("w2m.trace", models[m], "clear+unmap");

		cr_assert_gt(S(b, iotlb_hit), 2 * S(a, iotlb_hit), "%s: %lu vs %lu", models[m],
			     (unsigned long)S(b, iotlb_hit), (unsigned long)S(a, iotlb_hit));
	}
}

/* Read `file` (in tmpdir) into ev[], at most max events; returns the count.
 * Names are not kept (they die with the reader). */
static int read_events(const char *file, struct ims_event *ev, int max)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	int n = 0, rc = 0;

	cr_assert_eq(ims_trace_open(&r, in_tmp(file), &err), 0, "%s", err.msg);
	while (n < max && (rc = ims_trace_next(r, &ev[n], &err)) > 0)
		ev[n++].name = NULL;
	cr_assert_eq(rc, 0, "%s: %s (more than %d events?)", file, err.msg, max);
	ims_trace_close(r);
	return n;
}

/* --ats and --ats-inv put the device TLB on every device line and change
 * nothing else: the trace without them is the same trace, version aside. */
Test(gen, ats_knobs_mark_every_device_and_nothing_else, .timeout = 60)
{
	static struct ims_event a[32768], b[32768];
	static const char *const knobs[] = { "ats=64,ats-inv=2000", "ats=65536" };

	for (unsigned i = 0; ims_gen_workloads[i]; i++) {
		const char *w = ims_gen_workloads[i]->name;
		int na, nb, devices = 0;

		generate("plain.elf", w, 3, "");
		for (unsigned k = 0; k < 2; k++) {
			uint64_t entries = k ? 65536 : 64, inv = k ? 0 : 2000;

			generate("ats.elf", w, 3, knobs[k]);
			na = read_events("plain.elf", a, 32768);
			nb = read_events("ats.elf", b, 32768);
			cr_assert_eq(na, nb, "%s %s", w, knobs[k]);
			for (int e = 0; e < na; e++) {
				if (a[e].kind == IMS_EV_DEVICE) {
					cr_assert_eq(a[e].flags, 0, "%s", w);
					cr_assert_eq(b[e].flags, IMS_EVF_ATS, "%s", w);
					cr_assert_eq(b[e].len, entries, "%s", w);
					cr_assert_eq(b[e].period, inv, "%s", w);
					b[e].flags = 0;
					b[e].len = b[e].period = 0;
					devices++;
				}
				cr_assert(same_event(&a[e], &b[e]), "%s %s: event %d", w, knobs[k],
					  e);
			}
		}
		cr_assert_gt(devices, 0, "%s declares no device", w);
	}
	/* and the simulator takes such a trace (it does not model ATS yet) */
	generate("ats.trace", "migration", 1, "ats=32");
	for (unsigned m = 0; m < NMODELS; m++) {
		struct ims_stats st = run("ats.trace", models[m], "clear+unmap");

		cr_assert_eq(S(st, faults), 0, "%s", models[m]);
		cr_assert_gt(S(st, dma), 0);
	}
}

/* docs/generators.md has a section per workload and a table row per knob
 * with the default the code has. */
Test(gen, docs_list_every_knob_with_its_default)
{
	size_t len;
	char *doc, path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/docs/generators.md", IMS_SOURCE_DIR);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	doc = malloc(1 << 20);
	len = fread(doc, 1, (1 << 20) - 1, f);
	doc[len] = 0;
	fclose(f);
	for (unsigned i = 0; ims_gen_workloads[i]; i++) {
		const struct ims_gen_workload *w = ims_gen_workloads[i];
		char want[128], def[64];
		const char *sec, *end;

		snprintf(want, sizeof(want), "\n## %s:", w->name);
		sec = strstr(doc, want);
		cr_assert_not_null(sec, "no section for %s", w->name);
		end = strstr(sec + 1, "\n## ");
		end = end ? end : doc + len;
		for (unsigned k = 0; k < w->nopts; k++) {
			const char *row, *eol;

			snprintf(want, sizeof(want), "| `--%s", w->opts[k].name);
			row = strstr(sec, want);
			cr_assert(row && row < end, "%s: no row for --%s", w->name, w->opts[k].name);
			eol = strchr(row, '\n');
			snprintf(def, sizeof(def), "| %s |", w->opts[k].def);
			cr_assert(strstr(row, def) && strstr(row, def) < eol,
				  "%s --%s: default %s not in its row", w->name, w->opts[k].name,
				  w->opts[k].def);
		}
	}
	free(doc);
}

/* ---- the command ----------------------------------------------------------------- */

Test(gen, help_lists_workloads_and_knobs)
{
	char out[8192];

	cr_assert_eq(gen_cmd(out, sizeof(out), "--help"), 0);
	for (unsigned i = 0; ims_gen_workloads[i]; i++)
		cr_assert(strstr(out, ims_gen_workloads[i]->name), "%s", ims_gen_workloads[i]->name);
	cr_assert_eq(gen_cmd(out, sizeof(out), "nic-rx --help"), 0);
	cr_assert(strstr(out, "--unmap strict|batched"), "%s", out);
	cr_assert(strstr(out, "[strict]"), "%s", out);
	cr_assert(strstr(out, "--ring N"), "%s", out);
	cr_assert(strstr(out, "[256]"), "%s", out);
}

Test(gen, bad_options_fail_and_leave_no_file)
{
	static const struct {
		const char *args, *msg;
	} bad[] = {
		{ "nosuch -o out.trace", "unknown workload 'nosuch'" },
		{ "nic-rx --bogus 1 -o out.trace", "nic-rx: unknown option '--bogus'" },
		{ "nic-rx --ring -o out.trace", "--ring: invalid value '-o'" },
		{ "nic-rx --ring 0 -o out.trace", "--ring: 0 is below the minimum 1" },
		{ "nic-rx --buffer 4X -o out.trace", "--buffer: invalid value '4X'" },
		{ "nic-rx --buffer 6K -o out.trace", "--buffer: 0x1800 is not a multiple of 0x1000" },
		{ "nic-rx --mtu 9000 -o out.trace", "--mtu must not exceed --buffer" },
		{ "nic-rx --unmap lazy -o out.trace", "expected strict|batched" },
		{ "nic-rx --seed x -o out.trace", "--seed: invalid value 'x'" },
		{ "nic-rx", "missing -o FILE" },
		{ "random-window --page 1G -o out.trace", "--window: 0x4000000 is not a multiple" },
		{ "migration --churn=yes -o out.trace", "--churn takes no value" },
		{ "migration --ats-inv 100 -o out.trace", "--ats-inv needs --ats" },
		{ "nic-rx --ats 65537 -o out.trace", "--ats: 65537 is above the maximum 65536" },
		{ "nvme --ats 8 --ats-inv 0x100000000 -o out.trace",
		  "--ats-inv: 0x100000000 is above the maximum 4294967295" },
		{ "nic-rx -o out.trace --packets", "--packets needs a value" },
		{ "nic-rx -o nodir/out.trace", "nodir/out.trace" },
	};
	struct dirent *e;
	char out[1024];
	DIR *d;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = gen_cmd(out, sizeof(out), bad[i].args);

		cr_assert(rc == 1 || rc == 2, "%s: exit %d", bad[i].args, rc);
		cr_assert(strstr(out, bad[i].msg), "%s: '%s' not in: %s", bad[i].args, bad[i].msg,
			  out);
		cr_assert_not(exists("out.trace"), "%s left a file", bad[i].args);
	}
	/* nothing left beside the target either (no temporary files) */
	d = opendir(tmpdir);
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		cr_assert(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."), "left: %s",
			  e->d_name);
	closedir(d);
}

Test(gen, stdout_output)
{
	char out[256];

	cr_assert_eq(gen_cmd(out, sizeof(out), "hotunplug -o - | head -2"), 0);
	cr_assert_str_eq(out, "iommusim-trace 2\n@0 ioas vm\n");
}
