/* The iommusim command, as users and CI drive it. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/sim/files.h"

TestSuite(cli, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* A file of the scratch directory, NUL-terminated; free it. */
static char *slurp_in(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return slurp(path, len);
}

static const char good[] =
	"iommusim-trace 1\n"
	"device nic0\n"
	"domain vm0\n"
	"attach nic0 vm0\n"
	"@100 map vm0 0x100000 64K\n"
	"@200 dirty-tracking vm0 on\n"
	"@300 dma nic0 write 0x100000 4096\n"
	"@400 dma nic0 write 0x200000 64\n"        /* unmapped: a fault, not an error */
	"@500 dirty-unmap vm0 0x100000 64K\n";

Test(cli, run_writes_json_and_dma_faults_are_results)
{
	char out[8192];
	size_t len;

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --json r.json"), 0, "%s", out);
	char *json = slurp_in("r.json", &len);
	cr_assert_not_null(json);
	cr_assert(strstr(json, "\"faults\": 1"), "%s", json);
	cr_assert(strstr(json, "\"iotlb_syncs\""));
	cr_assert(strstr(json, "\"UNC_IO_VTD_ACCESS"), "hardware counter names");
	free(json);
}

/* Two commands (run in the scratch directory) write a.json and b.json: the
 * same bytes. */
static void same_json(const char *cmd_a, const char *cmd_b)
{
	char out[8192];
	size_t la, lb;

	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", cmd_a), 0, "%s", out);
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", cmd_b), 0, "%s", out);
	char *a = slurp_in("a.json", &la), *b = slurp_in("b.json", &lb);
	cr_assert_eq(la, lb);
	cr_assert_eq(memcmp(a, b, la), 0);
	free(a);
	free(b);
}

Test(cli, same_run_twice_gives_byte_identical_json)
{
	char a[1024], b[1024];

	tmpdir_write("t.trace", good);
	snprintf(a, sizeof(a), "%s run t.trace -q --json a.json", IMS_CLI);
	snprintf(b, sizeof(b), "%s run t.trace -q --json b.json", IMS_CLI);
	same_json(a, b);
}

/* --check verifies invariants and changes nothing in the results (the
 * suite's IMS_CHECK=1 is dropped for the run without it). */
Test(cli, check_mode_gives_the_same_json)
{
	char a[1024], b[1024];

	tmpdir_write("t.trace", good);
	snprintf(a, sizeof(a), "env -u IMS_CHECK %s run t.trace -q --json a.json", IMS_CLI);
	snprintf(b, sizeof(b), "%s run t.trace -q --check --json b.json", IMS_CLI);
	same_json(a, b);
}

/* The Release and the sanitizer builds write the same bytes: the command
 * of each other preset built in this checkout (CI builds default and asan
 * before testing either) replays the demo comparison next to this one. */
Test(cli, release_and_sanitizer_builds_write_the_same_results)
{
	static const char *const presets[] = { "default", "asan" };
	char a[1024], b[1024], other[512];
	unsigned compared = 0;

	for (unsigned i = 0; i < 2; i++) {
		snprintf(other, sizeof(other), "%s/build/%s/iommusim", IMS_SOURCE_DIR, presets[i]);
		if (!strcmp(other, IMS_CLI) || access(other, X_OK))
			continue;
		snprintf(a, sizeof(a), "%s compare %s/traces/demo/migration.trace.gz --models all "
			 "--strategies all --json a.json", IMS_CLI, IMS_SOURCE_DIR);
		snprintf(b, sizeof(b), "%s compare %s/traces/demo/migration.trace.gz --models all "
			 "--strategies all --json b.json", other, IMS_SOURCE_DIR);
		same_json(a, b);
		compared++;
	}
	if (!compared)
		cr_skip_test("no other preset built in this checkout");
}

Test(cli, malformed_trace_names_file_and_line_and_writes_nothing)
{
	char out[8192];
	struct stat st;

	tmpdir_write("bad.trace", "iommusim-trace 1\ndomain vm0\n@1 mapp vm0 0x1000 4K\n");
	cr_assert_eq(run_cli(out, sizeof(out), "run bad.trace --json r.json"), 1, "%s", out);
	cr_assert(strstr(out, "bad.trace:3:"), "%s", out);
	cr_assert_neq(stat("r.json", &st), 0);
	/* no temporary file left either */
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	while ((e = readdir(d)))
		cr_assert_null(strstr(e->d_name, ".tmp"), "%s left behind", e->d_name);
	closedir(d);
}

Test(cli, semantic_error_in_trace_names_line)
{
	char out[8192];

	tmpdir_write("ov.trace", "iommusim-trace 1\ndomain vm0\n@1 map vm0 0x1000 8K\n"
			       "@2 map vm0 0x2000 4K\n");
	cr_assert_eq(run_cli(out, sizeof(out), "run ov.trace"), 1, "%s", out);
	cr_assert(strstr(out, "ov.trace:4:") && strstr(out, "overlaps"), "%s", out);
}

Test(cli, compare_prints_both_strategies_with_sync_counts)
{
	char out[16384];

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out),
			 "compare t.trace --strategies clear+unmap,noclear+unmap"), 0, "%s", out);
	cr_assert(strstr(out, "clear+unmap") && strstr(out, "noclear+unmap"), "%s", out);
	char *row = strstr(out, "\niotlb_syncs ");
	cr_assert_not_null(row, "%s", out);
	unsigned long a, b;
	/* tracking on: clearing stale bits (1) + the switch (1);
	 * dirty-unmap: 2 (clear) or 1 (no clear) */
	cr_assert_eq(sscanf(row, " iotlb_syncs %lu %lu", &a, &b), 2, "%s", row);
	cr_assert_eq(a, 4);
	cr_assert_eq(b, 3);
}

Test(cli, unknown_names_are_usage_errors)
{
	char out[8192];

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --strategy nope"), 2);
	cr_assert(strstr(out, "unknown strategy 'nope'"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --model nope"), 2);
	cr_assert(strstr(out, "unknown model 'nope'"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --param bogus=1"), 2);
	cr_assert(strstr(out, "unknown parameter"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run missing.trace"), 1);
	cr_assert(strstr(out, "missing.trace"), "%s", out);
}

Test(cli, param_override_changes_results)
{
	char out[16384];

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --param mem_dram_ns=1000 --json r.json"), 0,
		     "%s", out);
	size_t len;
	char *json = slurp_in("r.json", &len);
	cr_assert(strstr(json, "\"mem_dram_ns\": 1000"), "the override is recorded");
	free(json);
}

Test(cli, docs_params_md_matches_the_parameter_table)
{
	char *out = malloc(1 << 16);
	size_t len;
	FILE *f = fopen(IMS_SOURCE_DIR "/docs/params.md", "rb");

	cr_assert_not_null(f, "docs/params.md exists");
	char *doc = malloc(1 << 16);
	len = fread(doc, 1, (1 << 16) - 1, f);
	doc[len] = 0;
	fclose(f);
	cr_assert_eq(run_cli(out, 1 << 16, "params --markdown"), 0);
	cr_assert_str_eq(doc, out,
			 "docs/params.md is stale: regenerate with 'iommusim params --markdown'");
	free(out);
	free(doc);
}

Test(cli, compare_grid_has_a_row_per_model_and_strategy)
{
	char out[16384], line[64];

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --strategies clear+unmap,noclear+unmap"),
		     0, "%s", out);
	snprintf(line, sizeof(line), "\nvtd     clear+unmap/sync-flush/eager/strict ");
	cr_assert(strstr(out, line), "%s", out);
	snprintf(line, sizeof(line), "\nvtd     noclear+unmap/sync-flush/eager/strict ");
	cr_assert(strstr(out, line), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models vtd,nope"), 2);
	cr_assert(strstr(out, "unknown model 'nope'"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models vtd"), 2,
		     "one model x one strategy is not a comparison");
}

Test(cli, summary_shows_every_nonzero_counter)
{
	static char out[65536];
	size_t len;

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --json r.json"), 0, "%s", out);
	char *json = slurp_in("r.json", &len);
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr), *stats = json_object_get(root, "stats");
	const char *name;
	json_t *v;

	cr_assert_not_null(stats);
	json_object_foreach(stats, name, v) {
		char key[80];

		if (!json_integer_value(v))
			continue;
		snprintf(key, sizeof(key), "  %s ", name);
		cr_assert(strstr(out, key), "summary lacks %s", name);
	}
	json_decref(root);
	free(json);
}

Test(cli, results_file_is_readable_and_names_any_path)
{
	char out[8192], name[64];
	struct stat st;

	snprintf(name, sizeof(name), "b%c.trace", (char)0xe9);   /* not UTF-8 */
	tmpdir_write(name, good);
	cr_assert_eq(run_cli(out, sizeof(out), "run b?.trace -q --json r.json"), 0, "%s", out);
	char path[512];
	snprintf(path, sizeof(path), "%s/r.json", tmpdir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0044, 0044, "readable like any file the user creates");
	size_t len;
	char *json = slurp_in("r.json", &len);
	cr_assert(strstr(json, "\"trace\": \"b?.trace\""), "%s", json);
	free(json);
}

Test(cli, one_strategy_per_axis)
{
	char out[8192];

	tmpdir_write("t.trace", good);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace -q --strategy noclear+unmap/sync-noflush"), 0,
		     "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace -q --strategy clear+unmap/noclear+unmap"), 2);
	cr_assert(strstr(out, "'noclear+unmap'"), "%s", out);
}

/* Non-coherent DMA: compare --coherency prints the flush grid, run lists the
 * exposures in the summary and in the JSON. */
Test(cli, coherency_grid_and_exposure_listing)
{
	static char out[32768];
	size_t len;

	tmpdir_write("nc.trace",
		   "iommusim-trace 1\n"
		   "ioas vm\n"
		   "device gpu\n"
		   "domain nc ioas=vm coherent=no\n"
		   "attach gpu nc\n"
		   "ioas-map vm 0x100000 8K\n"
		   "@1000000 dma gpu read 0x100000 8K\n");
	cr_assert_eq(run_cli(out, sizeof(out), "compare nc.trace --models vtd,smmuv3 "
			 "--coherency none,eager,force-coherent"), 0, "%s", out);
	cr_assert(strstr(out, " flushes ") && strstr(out, " exposures "), "%s", out);
	/* none: the device read 128 zeroed lines still dirty in the CPU cache */
	cr_assert(strstr(out, "\nvtd     clear+unmap/sync-flush/none/strict "), "%s", out);
	cr_assert(strstr(out, "\nsmmuv3  clear+unmap/sync-flush/force-coherent/strict "), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run nc.trace --strategy none --json r.json"), 0, "%s",
		     out);
	cr_assert(strstr(out, "exposure_dma_stale_read                 128"), "%s", out);
	cr_assert(strstr(out, "exposure @1000000: domain nc read 64 stale line(s) of page "),
		  "%s", out);
	char *json = slurp_in("r.json", &len);

	cr_assert(strstr(json, "\"by\": \"device\""), "%s", json);
	cr_assert(strstr(json, "\"domain\": \"nc\""), "%s", json);
	free(json);
	cr_assert_eq(run_cli(out, sizeof(out), "run nc.trace --strategy eager"), 0, "%s", out);
	cr_assert(strstr(out, "cache_lines_written_back                128"), "%s", out);
	cr_assert_null(strstr(out, "exposure"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare nc.trace --coherency none,nope"), 2);
	cr_assert(strstr(out, "nope"), "%s", out);
}

/* A DMA issued while the host is still mapping faults (simulated time), and
 * the fault says how long the host was busy; an idle host adds nothing. */
Test(cli, fault_during_a_host_map_names_when_the_host_was_done)
{
	static char out[16384];
	size_t len;

	tmpdir_write("early.trace",
		   "iommusim-trace 1\n"
		   "device nic\n"
		   "domain d\n"
		   "attach nic d\n"
		   "@1000 map d 0x100000 64K\n"
		   "+1000 dma nic write 0x100000 4K\n"
		   "@1000000 dma nic write 0x200000 4K\n");
	cr_assert_eq(run_cli(out, sizeof(out), "run early.trace --json r.json"), 0, "%s", out);
	cr_assert(strstr(out, "fault @2000: nic write 0x100000 (not-present), host busy until @"),
		  "%s", out);
	cr_assert(strstr(out, "fault @1000000: nic write 0x200000 (not-present)\n"), "%s", out);
	char *json = slurp_in("r.json", &len);

	const char *first = strstr(json, "\"host_busy_until\": ");
	const char *second = first ? strstr(first + 1, "\"host_busy_until\": ") : NULL;

	cr_assert(first && second, "%s", json);
	cr_assert_neq(first[strlen("\"host_busy_until\": ")], '0', "the early fault: %s", json);
	cr_assert_eq(second[strlen("\"host_busy_until\": ")], '0', "the idle-host fault");
	free(json);
}
