/* The validation suite's driver (sim/validate/validate.c): how a row is
 * judged against its published range and tolerance, the command's options
 * and exit status, its JSON, and docs/calibration.md in step with its
 * output. The checks themselves run as the CTest label `validation`. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/validate/validate.h"
#include "tests/sim/files.h"

TestSuite(validate, .init = tmpdir_setup, .fini = tmpdir_teardown);

static enum ims_val_verdict judge(double lo, double hi, double sim, double rel, double abs,
				  const char *known)
{
	struct ims_val_ctx ctx = { 0 };
	struct ims_error err = { 0 };
	struct ims_val_row row = { .point = "p", .unit = IMS_VAL_NS, .published = true, .lo = lo,
				   .hi = hi, .sim = sim, .tol = { rel, abs }, .known = known };
	enum ims_val_verdict v;

	cr_assert_eq(ims_val_add(&ctx, &row, &err), 0);
	cr_assert_eq(ctx.nrows, 1);
	v = ctx.rows[0].verdict;
	free(ctx.rows);
	return v;
}

Test(validate, range_widened_by_the_larger_of_relative_and_absolute)
{
	/* 200..300 +-10 %: 180..330 */
	cr_assert_eq(judge(200, 300, 180, 0.10, 0, NULL), IMS_VAL_PASS);
	cr_assert_eq(judge(200, 300, 330, 0.10, 0, NULL), IMS_VAL_PASS);
	cr_assert_eq(judge(200, 300, 179, 0.10, 0, NULL), IMS_VAL_FAIL);
	cr_assert_eq(judge(200, 300, 331, 0.10, 0, NULL), IMS_VAL_FAIL);
	/* the absolute floor wins where the range is near 0: 0 +-30 */
	cr_assert_eq(judge(0, 0, 29, 0.25, 30, NULL), IMS_VAL_PASS);
	cr_assert_eq(judge(0, 0, -31, 0.25, 30, NULL), IMS_VAL_FAIL);
	/* no tolerance: the range itself */
	cr_assert_eq(judge(100, 1000, 100, 0, 0, NULL), IMS_VAL_PASS);
	cr_assert_eq(judge(100, 1000, 1000.5, 0, 0, NULL), IMS_VAL_FAIL);
}

Test(validate, known_deviation_does_not_fail_and_passing_rows_stay_pass)
{
	cr_assert_eq(judge(1, 2, 5, 0, 0, "explained"), IMS_VAL_KNOWN);
	cr_assert_eq(judge(1, 2, 1.5, 0, 0, "explained"), IMS_VAL_PASS);
}

Test(validate, row_without_published_value_is_info)
{
	struct ims_val_ctx ctx = { 0 };
	struct ims_error err = { 0 };
	struct ims_val_row row = { .point = "p", .unit = IMS_VAL_NS, .sim = 1e9 };

	cr_assert_eq(ims_val_add(&ctx, &row, &err), 0);
	cr_assert_eq(ctx.rows[0].verdict, IMS_VAL_INFO);
	free(ctx.rows);
}

Test(validate, list_names_every_check_and_unknown_check_is_usage_error)
{
	static char out[8192];

	cr_assert_eq(run_cli(out, sizeof(out), "validate --list"), 0, "%s", out);
	for (unsigned i = 0; i < ims_val_check_count; i++)
		cr_assert(strstr(out, ims_val_checks[i].name), "%s: %s", ims_val_checks[i].name, out);
	cr_assert_eq(run_cli(out, sizeof(out), "validate --only no-such-check"), 2, "%s", out);
	cr_assert(strstr(out, "no check 'no-such-check'"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "validate extra"), 2, "%s", out);
}

/* The xeon-e5 preset's values before the pcie-bench calibration fail the
 * IOTLB-reach check (docs/calibration.md#calibration-from-these-checks). */
Test(validate, param_applies_to_every_run_and_a_failed_row_fails_the_command)
{
	static char out[1 << 16];

	cr_assert_eq(run_cli(out, sizeof(out), "validate --only iotlb-reach --param iotlb_entries=64 "
			     "--param iotlb_ways=8 --param mem_dram_ns=287 --param mem_llc_lines=8192 "
			     "--param iommu_walk_slots=16 --param dma_rtt_ns=548"), 1, "%s", out);
	cr_assert(strstr(out, "FAIL\n") && strstr(out, "validate: FAIL"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "validate --only inv-sync --param nosuch=1"), 2, "%s",
		     out);
	cr_assert(strstr(out, "nosuch"), "%s", out);
}

Test(validate, json_has_every_column_of_every_row)
{
	static char out[65536];
	json_t *j, *check, *row;
	size_t i, k;

	cr_assert_eq(run_cli(out, sizeof(out), "validate --only inv-sync,noncoherent --json v.json"),
		     0, "%s", out);
	cr_assert(strstr(out, "point") && strstr(out, "published") && strstr(out, "simulated") &&
		  strstr(out, "tolerance") && strstr(out, "verdict"), "%s", out);
	j = tmpdir_json("v.json");
	cr_assert(json_is_true(json_object_get(j, "pass")));
	cr_assert_eq(json_array_size(json_object_get(j, "checks")), 2);
	json_array_foreach(json_object_get(j, "checks"), i, check) {
		cr_assert_gt(json_array_size(json_object_get(check, "rows")), 0);
		json_array_foreach(json_object_get(check, "rows"), k, row) {
			static const char *const keys[] = { "point", "model", "published",
							    "simulated", "tolerance", "verdict" };

			for (unsigned n = 0; n < 6; n++)
				cr_assert(json_is_string(json_object_get(row, keys[n])), "%s",
					  keys[n]);
		}
	}
	json_decref(j);
}

/* docs/calibration.md shows the whole output between markers; paste
 * `iommusim validate` there after a change. */
Test(validate, docs_calibration_md_shows_the_current_results, .timeout = 120)
{
	static const char begin[] = "<!-- iommusim validate: begin -->\n```text\n";
	static const char end[] = "```\n<!-- iommusim validate: end -->";
	static char out[1 << 17];
	char path[512];
	const char *b, *e;
	size_t len;
	char *doc;

	cr_assert_eq(run_cli(out, sizeof(out), "validate"), 0, "%s", out);
	snprintf(path, sizeof(path), "%s/docs/calibration.md", IMS_SOURCE_DIR);
	doc = slurp(path, &len);
	cr_assert_not_null(b = strstr(doc, begin), "no validate markers in %s", path);
	b += strlen(begin);
	cr_assert_not_null(e = strstr(b, end));
	cr_assert(strlen(out) == (size_t)(e - b) && !strncmp(b, out, strlen(out)),
		  "docs/calibration.md's validation results differ from `iommusim validate`:\n%s",
		  out);
	free(doc);
}
