/* iommusim regress: the committed corpus passes, a perturbation fails with
 * the metric named, shards merge into the unsharded result, and
 * --update-baseline makes a moved corpus pass again. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sim/regress/regress.h"
#include "tests/sim/files.h"

TestSuite(regress, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* Run `iommusim regress ARGS` from the scratch directory, which holds a
 * copy of the corpus as ./corpus when copy_corpus() made it. */
static int regress(char *out, size_t size, const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s regress %s", IMS_CLI, args);
	return run_in_tmpdir(out, size, "true", cmd);
}

static void copy_corpus(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp -r %s/traces/corpus %s/corpus", IMS_SOURCE_DIR, tmpdir);
	cr_assert_eq(system(cmd), 0);
}

static char *slurp_in(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return slurp(path, len);
}

static void assert_same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp_in(a, &na), *y = slurp_in(b, &nb);

	cr_assert(na == nb && !memcmp(x, y, na), "%s and %s differ", a, b);
	free(x);
	free(y);
}

/* The runs the corpus MANIFEST lists, counted from its text (not by the
 * parser under test), so that adding a run needs no edit here. */
static unsigned manifest_runs(void)
{
	size_t len;
	char *text = slurp(IMS_SOURCE_DIR "/traces/corpus/MANIFEST", &len);
	const char *line = text;
	unsigned n = 0;

	while (line) {
		const char *nl = strchr(line, '\n');

		n += !strncmp(line, "run ", 4);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	cr_assert_gt(n, 40);   /* the corpus is not mistaken for a tiny one */
	return n;
}

Test(regress, committed_corpus_passes)
{
	char out[16384], cmd[512], want[128];

	snprintf(cmd, sizeof(cmd), "%s/traces/corpus -j 2", IMS_SOURCE_DIR);
	snprintf(want, sizeof(want), "regress: %u runs, 0 metrics moved, 0 regressions",
		 manifest_runs());
	cr_assert_eq(regress(out, sizeof(out), cmd), 0, "%s", out);
	cr_assert(strstr(out, want), "%s", out);
}

Test(regress, perturbed_parameter_names_the_metric)
{
	char out[65536], cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/traces/corpus --only random-window-4k.vtd "
		 "--param iotlb_entries=32", IMS_SOURCE_DIR);
	cr_assert_eq(regress(out, sizeof(out), cmd), 1, "%s", out);
	cr_assert(strstr(out, "random-window-4k.vtd"), "%s", out);
	cr_assert(strstr(out, "stats.iotlb_hit "), "%s", out);
	cr_assert(strstr(out, "params.iotlb_entries"), "%s", out);
	cr_assert(strstr(out, "regress: 1 runs"), "%s", out);
}

Test(regress, modified_expected_file_then_update_baseline)
{
	char out[65536];

	copy_corpus();
	snprintf(out, sizeof(out), "sed -i 's/\"iotlb_syncs\": [0-9]*/\"iotlb_syncs\": 999/' "
		 "%s/corpus/expected/nic-rx-strict.amdv1.json", tmpdir);
	cr_assert_eq(system(out), 0);
	cr_assert_eq(regress(out, sizeof(out), "corpus --only nic-rx-strict"), 1, "%s", out);
	cr_assert(strstr(out, "nic-rx-strict.amdv1"), "%s", out);
	cr_assert(strstr(out, "stats.iotlb_syncs"), "%s", out);
	cr_assert(strstr(out, "999"), "%s", out);
	cr_assert(strstr(out, "1 metrics moved, 1 regressions"), "%s", out);
	/* the diff table again, then the files rewritten: exit 0 */
	cr_assert_eq(regress(out, sizeof(out), "corpus --update-baseline"), 0, "%s", out);
	cr_assert(strstr(out, "stats.iotlb_syncs"), "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus"), 0, "%s", out);
	/* and what it wrote is what tools/corpus-build wrote */
	snprintf(out, sizeof(out), "diff -r %s/traces/corpus %s/corpus >/dev/null",
		 IMS_SOURCE_DIR, tmpdir);
	cr_assert_eq(system(out), 0, "--update-baseline wrote other files than the committed ones");
}

Test(regress, baseline_directory_and_missing_results)
{
	char out[16384];

	copy_corpus();
	snprintf(out, sizeof(out), "mkdir %s/base && cp %s/corpus/expected/qemu-vtd.vtd.json "
		 "%s/base/", tmpdir, tmpdir, tmpdir);
	cr_assert_eq(system(out), 0);
	cr_assert_eq(regress(out, sizeof(out), "corpus --baseline base --only qemu-vtd"), 0, "%s",
		     out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --baseline base --only qemu-amdvi"), 1,
		     "%s", out);
	cr_assert(strstr(out, "qemu-amdvi.amdv1: no expected results"), "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --only nosuch"), 1, "%s", out);
	cr_assert(strstr(out, "no run of 'nosuch'"), "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard 3/2"), 2, "%s", out);
	/* digits only: sscanf's %u once took -4 for 4294967292 (cert-err34-c) */
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard 1/-4"), 2, "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard 1/99999999999"), 2, "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard ' 1/2'"), 2, "%s", out);
}

/* Shards made apart and merged decide exactly as one run: same JSON byte
 * for byte, same table, same exit status, also when something moved. */
static void check_merge(const char *extra, int status)
{
	char out[65536], one[65536], merged[65536], cmd[1024];

	snprintf(cmd, sizeof(cmd), "corpus %s --json all.json", extra);
	cr_assert_eq(regress(one, sizeof(one), cmd), status, "%s", one);
	for (int k = 1; k <= 3; k++) {
		snprintf(cmd, sizeof(cmd), "corpus %s --shard %d/3 -j 1 --json s%d.json", extra, k,
			 k);
		regress(out, sizeof(out), cmd);
	}
	cr_assert_eq(regress(merged, sizeof(merged), "merge s3.json s1.json s2.json "
			     "--json merged.json"), status, "%s", merged);
	cr_assert_str_eq(merged, one);
	assert_same_file("all.json", "merged.json");
	cr_assert_eq(regress(out, sizeof(out), "merge s1.json s2.json"), 1, "%s", out);
	cr_assert(strstr(out, "2 shard results given for 3 shards"), "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "merge s1.json s1.json s2.json"), 1, "%s", out);
}

Test(regress, shards_merge_into_the_unsharded_result)
{
	copy_corpus();
	check_merge("", 0);
}

Test(regress, shards_merge_into_the_unsharded_result_when_metrics_moved)
{
	copy_corpus();
	check_merge("--param psc_l1_entries=8", 1);
}

Test(regress, two_shards)
{
	char out[65536], want[64];

	copy_corpus();
	/* shard 1 takes the runs of even index: the larger half */
	snprintf(want, sizeof(want), "regress: %u runs", (manifest_runs() + 1) / 2);
	cr_assert_eq(regress(out, sizeof(out), "corpus --json all.json"), 0, "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard 1/2 --json a.json"), 0, "%s", out);
	cr_assert(strstr(out, want), "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "corpus --shard 2/2 --json b.json"), 0, "%s", out);
	cr_assert_eq(regress(out, sizeof(out), "merge a.json b.json --json m.json"), 0, "%s", out);
	assert_same_file("all.json", "m.json");
}

Test(regress, tolerances)
{
	cr_assert_eq(ims_regress_tolerance("stats.iotlb_hit"), 0);
	cr_assert_eq(ims_regress_tolerance("stats.cyc_walk"), 0);
	cr_assert_eq(ims_regress_tolerance("hw_counters.VTD_PERFMON.IOTLB_HIT"), 0);
	cr_assert_eq(ims_regress_tolerance("faults.count"), 0);
	cr_assert_gt(ims_regress_tolerance("derived.iotlb_hit_rate"), 0);
	cr_assert_lt(ims_regress_tolerance("derived.iotlb_hit_rate"), 1e-6);
}

Test(regress, manifest)
{
	struct ims_error err = { 0 };
	struct ims_regress_run *runs;
	unsigned n;

	cr_assert_eq(ims_regress_manifest(&runs, &n, IMS_SOURCE_DIR "/traces/corpus", &err), 0);
	cr_assert_eq(n, manifest_runs());
	cr_assert_str_eq(runs[11].id, "migration.vtd.clear+unmap_sync-flush");
	cr_assert_str_eq(runs[11].strategy, "clear+unmap/sync-flush");
	cr_assert_eq(runs[11].index, 11);
	free(runs);
	tmpdir_write("MANIFEST", "trace a iommusim-gen nvme\nrun a vtd\nrun b vtd\n");
	cr_assert_neq(ims_regress_manifest(&runs, &n, tmpdir, &err), 0);
	cr_assert_eq(err.line, 3);
	cr_assert(strstr(err.msg, "unknown trace b"), "%s", err.msg);
}

/* The bar goes to a terminal only: `script` gives the command one; through
 * a pipe (CI logs) stderr stays clean. */
Test(regress, progress_bar_only_on_a_terminal)
{
	static char out[16384];
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "script -qec '%s regress %s/traces/corpus --only migration' "
		 "/dev/null", IMS_CLI, IMS_SOURCE_DIR);
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", cmd), 0, "%s", out);
	cr_assert_not_null(strstr(out, "regress ["), "no bar on a terminal: %s", out);
	cr_assert_not_null(strstr(out, "] 4/4"), "bar does not reach the end: %s", out);
	snprintf(cmd, sizeof(cmd), "%s/traces/corpus --only migration", IMS_SOURCE_DIR);
	cr_assert_eq(regress(out, sizeof(out), cmd), 0, "%s", out);
	cr_assert_null(strstr(out, "regress ["), "a bar without a terminal: %s", out);
}
