/* iommusim report: the directory it writes, its numbers against the JSON,
 * bad inputs, determinism. One small compare of the demo trace feeds them. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/sim/files.h"

TestSuite(report, .init = tmpdir_setup, .fini = tmpdir_teardown);

#define DEMO IMS_SOURCE_DIR "/traces/demo/migration.trace.gz"

static char out[16384];

static void make_compare(void)
{
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " compare " DEMO " --models vtd,smmuv3"
				   " --strategies clear+unmap,unmap-all-dirty --json c.json"),
		     0, "%s", out);
}

static int exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return stat(path, &st) == 0;
}

static char *read_rel(const char *rel, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return slurp(path, len);
}

/* Only DIR itself is in tmpdir besides the inputs: no DIR.tmp-* left. */
static unsigned leftovers(void)
{
	char cmd[600];
	FILE *p;
	unsigned n = 0;
	char line[256];

	snprintf(cmd, sizeof(cmd), "ls -a %s | grep -c -e '\\.tmp-' -e '\\.old-'", tmpdir);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	if (fgets(line, sizeof(line), p))
		n = (unsigned)atoi(line);
	pclose(p);
	return n;
}

static void check_svg(const char *rel)
{
	size_t len;
	char *svg = read_rel(rel, &len);
	char *end;

	cr_assert_gt(len, 200, "%s is nearly empty", rel);
	cr_expect(strstr(svg, "<?xml") == svg || strncmp(svg, "<svg", 4) == 0, "%s: no XML start", rel);
	cr_expect_not_null(strstr(svg, "<svg"), "%s: no <svg root", rel);
	end = strstr(svg, "</svg>");
	cr_assert_not_null(end, "%s: no </svg>", rel);
	for (end += 6; *end; end++)
		cr_expect(*end == '\n' || *end == ' ' || *end == '\r', "%s: text after </svg>", rel);
	cr_expect_null(strstr(svg, "<script"), "%s: scripts in a chart", rel);
	free(svg);
}

Test(report, writes_the_directory)
{
	static const char *const charts[] = { "cost", "dirty-accuracy", "latency-cdf" };
	char rel[128];

	make_compare();
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json -o rep"), 0,
		     "%s", out);
	cr_expect_str_eq(out, "report: rep/index.html\n");
	cr_expect(exists("rep/index.html"));
	cr_expect(exists("rep/summary.md"));
	for (unsigned i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		snprintf(rel, sizeof(rel), "rep/charts/%s.gp", charts[i]);
		cr_expect(exists(rel), "%s missing", rel);
		snprintf(rel, sizeof(rel), "rep/charts/%s.dat", charts[i]);
		cr_expect(exists(rel), "%s missing", rel);
		snprintf(rel, sizeof(rel), "rep/charts/%s.svg", charts[i]);
		check_svg(rel);
	}
	cr_expect_eq(leftovers(), 0);
	/* the scripts re-run where they are */
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "true",
				   "cd rep/charts && rm cost.svg && gnuplot cost.gp"), 0, "%s", out);
	check_svg("rep/charts/cost.svg");
}

static void expect_cell(const char *html, const char *text)
{
	char cell[128];

	snprintf(cell, sizeof(cell), "<td class=\"n\">%s</td>", text);
	cr_expect_not_null(strstr(html, cell), "%s not in index.html", cell);
}

Test(report, numbers_equal_the_json)
{
	static const char *const stats[] = { "translations", "cyc_dma_translation", "cyc_host_total",
					     "cyc_inv_wait", "dirty_pages_spurious", "iotlb_syncs" };
	json_error_t jerr;
	json_t *j, *runs;
	size_t len, i;
	char *html, *md, path[512], num[64];
	json_t *run;

	make_compare();
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json -o rep"), 0,
		     "%s", out);
	snprintf(path, sizeof(path), "%s/c.json", tmpdir);
	j = json_load_file(path, 0, &jerr);
	cr_assert_not_null(j);
	runs = json_object_get(j, "runs");
	cr_assert_eq(json_array_size(runs), 4);
	html = read_rel("rep/index.html", &len);
	md = read_rel("rep/summary.md", &len);
	json_array_foreach(runs, i, run) {
		const json_t *h = json_object_get(run, "latency_histogram");
		json_t *c;
		size_t k;
		json_int_t sum = 0;

		for (unsigned s = 0; s < sizeof(stats) / sizeof(stats[0]); s++) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(
				json_object_get(json_object_get(run, "stats"), stats[s])));
			expect_cell(html, num);
			snprintf(path, sizeof(path), " %s |", num);
			cr_expect_not_null(strstr(md, path), "%s not in summary.md", path);
		}
		snprintf(num, sizeof(num), "%.4f", json_real_value(json_object_get(
			json_object_get(run, "derived"), "iotlb_hit_rate")));
		expect_cell(html, num);
		/* the latency histogram counts every translation once */
		json_array_foreach(json_object_get(h, "count"), k, c)
			sum += json_integer_value(c);
		cr_expect_eq(sum, json_integer_value(json_object_get(json_object_get(run, "stats"),
								     "translations")));
		cr_expect_eq(json_array_size(json_object_get(h, "count")),
			     json_array_size(json_object_get(h, "bucket_lg2_cycles")));
	}
	free(html);
	free(md);
	json_decref(j);
}

/* A feature's columns appear when a run used it: the flush-queue and
 * exposure columns for a strict/lazy compare of the corpus NIC trace (its
 * lazy side queued unmaps), the cache-flush ones for non-coherent DMA; and
 * they stay out of a report where no run did. */
Test(report, feature_columns_when_used)
{
	static const char *const labels[] = { "unmaps queued (lazy)", "exposure window cycles",
					      "longest exposure window", "stale DMAs" };
	size_t len;
	char *html;

	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " compare " IMS_SOURCE_DIR "/traces/corpus/nic-rx-fq.elf"
				   " --models vtd --unmap-flush strict,lazy --json f.json && "
				   IMS_CLI " report f.json -o rep"), 0, "%s", out);
	html = read_rel("rep/index.html", &len);
	for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		cr_expect_not_null(strstr(html, labels[i]), "%s missing", labels[i]);
	cr_expect_null(strstr(html, "ATC hits"), "no run had ATS");
	free(html);
	make_compare();
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json -o rep2"), 0,
		     "%s", out);
	html = read_rel("rep2/index.html", &len);
	/* strict runs have exposure windows too, but queue nothing */
	cr_expect_null(strstr(html, "unmaps queued (lazy)"), "no run was lazy");
	cr_expect_null(strstr(html, "lines flushed"), "no domain was non-coherent");
	free(html);
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " compare " IMS_SOURCE_DIR "/traces/corpus/hotunplug.elf"
				   " --models vtd --coherency all --json h.json && "
				   IMS_CLI " report h.json -o rep3"), 0, "%s", out);
	html = read_rel("rep3/index.html", &len);
	cr_expect_not_null(strstr(html, "lines flushed"), "non-coherent DMA ran");
	cr_expect_not_null(strstr(html, "exposures (lines)"));
	free(html);
}

Test(report, deterministic)
{
	make_compare();
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " report c.json -o a >/dev/null && " IMS_CLI
				   " report c.json -o b >/dev/null && diff -r a b"), 0, "%s", out);
	/* and a second report over the first replaces it */
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json -o a"), 0,
		     "%s", out);
	cr_expect_eq(leftovers(), 0);
}

static void expect_failure(const char *args, const char *message)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), IMS_CLI " report %s -o rep", args);
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "true", cmd), 1, "%s: %s", args, out);
	cr_expect_not_null(strstr(out, message), "%s: '%s' not in: %s", args, message, out);
	cr_expect(!exists("rep"), "%s: rep left behind", args);
	cr_expect_eq(leftovers(), 0, "%s: a temporary directory left behind", args);
}

Test(report, bad_inputs)
{
	tmpdir_write("text.json", "this is not JSON\n");
	tmpdir_write("other.json", "{\"name\": \"something else\", \"runs\": 3}\n");
	tmpdir_write("badrun.json", "{\"trace\": \"t\", \"runs\": [{\"model\": \"vtd\"}]}\n");
	tmpdir_write("badsweep.json", "{\"iommusim\": {}, \"sweep\": {\"vary\": [\"x\"],"
				      " \"points\": [{\"values\": {}, \"results\": {}}]}}\n");
	expect_failure("missing.json", "missing.json: cannot open: No such file");
	expect_failure("text.json", "text.json:1: not JSON");
	expect_failure("other.json", "other.json: not iommusim results");
	expect_failure("badrun.json", "badrun.json: not iommusim results");
	expect_failure("badsweep.json", "badsweep.json: not iommusim results");
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report other.json"), 2);
}

Test(report, bad_input_keeps_an_older_report)
{
	make_compare();
	tmpdir_write("text.json", "[1, 2\n");
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json -o rep"), 0);
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report c.json text.json -o rep"),
		     1);
	cr_expect(exists("rep/index.html"));
	cr_expect_eq(leftovers(), 0);
	/* a directory that is not a report is never replaced */
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "mkdir -p mine && touch mine/keep",
				   IMS_CLI " report c.json -o mine"), 1);
	cr_expect_not_null(strstr(out, "not an iommusim report"), "%s", out);
	cr_expect(exists("mine/keep"));
}

Test(report, gnuplot_missing)
{
	make_compare();
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "PATH=/nonexistent",
				   IMS_CLI " report c.json -o rep"), 1);
	cr_expect_not_null(strstr(out, "gnuplot not found"), "%s", out);
	cr_expect(!exists("rep"));
}

/* The sweep shape of docs/reports.md, made by hand from two runs. */
Test(report, sweep_curves)
{
	static const char *const sizes[] = { "64", "256" };
	json_t *sweep = json_pack("{s:{s:s}, s:{s:[s,s], s:[]}}", "iommusim", "version", "test",
				  "sweep", "vary", "iotlb_entries", "model", "points");
	char cmd[512], path[512];

	for (unsigned m = 0; m < 2; m++)
		for (unsigned s = 0; s < 2; s++) {
			const char *model = m ? "smmuv3" : "vtd";
			json_error_t jerr;
			json_t *res;

			snprintf(cmd, sizeof(cmd), IMS_CLI " run " DEMO " --model %s --param"
				 " iotlb_entries=%s --json r.json --quiet", model, sizes[s]);
			cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", cmd), 0, "%s", out);
			snprintf(path, sizeof(path), "%s/r.json", tmpdir);
			res = json_load_file(path, 0, &jerr);
			cr_assert_not_null(res);
			json_array_append_new(json_object_get(json_object_get(sweep, "sweep"), "points"),
				json_pack("{s:{s:i, s:s}, s:o}", "values", "iotlb_entries",
					  atoi(sizes[s]), "model", model, "results", res));
		}
	snprintf(path, sizeof(path), "%s/sweep.json", tmpdir);
	cr_assert_eq(json_dump_file(sweep, path, JSON_INDENT(1)), 0);
	json_decref(sweep);
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report sweep.json -o rep"), 0,
		     "%s", out);
	check_svg("rep/charts/sweep1-iotlb_entries-hit.svg");
	check_svg("rep/charts/sweep1-iotlb_entries-cpb.svg");
	check_svg("rep/charts/sweep1-model-hit.svg");
	check_svg("rep/charts/sweep1-model-cpb.svg");
}

/* What `iommusim sweep` writes is what the report plots: the IOTLB-reach
 * experiment of the issue, window against page size. */
Test(report, sweep_from_the_sweep_command)
{
	size_t len;
	char *html;

	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " sweep gen:random-window,count=3000 --vary window=2M,32M "
				   "--vary page=4K,2M -j 2 --json s.json -q && "
				   IMS_CLI " report s.json -o rep"), 0, "%s", out);
	check_svg("rep/charts/sweep1-window-hit.svg");
	check_svg("rep/charts/sweep1-page-hit.svg");
	check_svg("rep/charts/sweep1-window-cpb.svg");
	html = read_rel("rep/index.html", &len);
	cr_assert_not_null(strstr(html, "sweep1-window-hit.svg"), "chart not in the page");
	free(html);
}

/* `iommusim validate --json`: a table per check in both pages, and the
 * window sweeps drawn against the published range. */
Test(report, validation_tables_and_window_charts)
{
	size_t len;
	char path[512], *md;

	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " validate --only iotlb-reach,inv-sync --json v.json"), 0,
		     "%s", out);
	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true", IMS_CLI " report v.json -o rep"), 0,
		     "%s", out);
	snprintf(path, sizeof(path), "%s/rep/summary.md", tmpdir);
	md = slurp(path, &len);
	cr_assert(strstr(md, "## Validation") && strstr(md, "### iotlb-reach") &&
		  strstr(md, "### inv-sync") &&
		  strstr(md, "| point | model | published | simulated | tolerance | verdict |"),
		  "%s", md);
	cr_assert(strstr(md, "| latency 4K knee (median rises) | vtd/xeon-e5 | 1M | 1M |"), "%s", md);
	free(md);
	/* latency and bandwidth, 4 KiB and 2 MiB pages; inv-sync has no windows */
	for (unsigned i = 1; i <= 4; i++) {
		snprintf(path, sizeof(path), "rep/charts/validate1-iotlb-reach-%u.svg", i);
		check_svg(path);
	}
	snprintf(path, sizeof(path), "%s/rep/charts/validate1-inv-sync-1.svg", tmpdir);
	cr_assert_neq(access(path, F_OK), 0);
}
