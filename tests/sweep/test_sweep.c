/* iommusim sweep: grid order, worker-count independence, generator knobs,
 * and the errors a bad --vary gets. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/sweep/sweep.h"
#include "tests/sim/files.h"

TestSuite(sweep, .init = tmpdir_setup, .fini = tmpdir_teardown);

#define TRACE IMS_SOURCE_DIR "/traces/corpus/nic-rx-strict.elf"

static int sweep(char *out, size_t size, const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s sweep %s", IMS_CLI, args);
	return run_in_tmpdir(out, size, "true", cmd);
}

static json_t *points(json_t *j)
{
	return json_object_get(json_object_get(j, "sweep"), "points");
}

static const char *value(json_t *point, const char *axis)
{
	return json_string_value(json_object_get(json_object_get(point, "values"), axis));
}

static double hit_rate(json_t *point)
{
	return json_real_value(json_object_get(
		json_object_get(json_object_get(point, "results"), "derived"), "iotlb_hit_rate"));
}

Test(sweep, grid_order_and_point_count)
{
	static const char *const models[] = { "vtd", "amdv1" };
	static const int entries[] = { 16, 64, 256 };
	char out[8192];
	json_t *j, *p;

	cr_assert_eq(sweep(out, sizeof(out), TRACE " --vary model=vtd,amdv1 "
			   "--vary iotlb_entries=16,64,256 -j 2 --json s.json"), 0, "%s", out);
	j = tmpdir_json("s.json");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "iommusim"),
							   "version")), IMS_VERSION);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(j, "sweep"), "vary")), 2);
	cr_assert_eq(json_array_size(points(j)), 6);
	for (unsigned i = 0; i < 6; i++) {
		json_t *r;

		p = json_array_get(points(j), i);
		r = json_object_get(p, "results");
		cr_assert_str_eq(value(p, "model"), models[i / 3]);
		cr_assert_eq(atoi(value(p, "iotlb_entries")), entries[i % 3]);
		cr_assert_str_eq(json_string_value(json_object_get(r, "model")), models[i / 3]);
		cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "params"),
								"iotlb_entries")), entries[i % 3]);
	}
	json_decref(j);
}

Test(sweep, strategy_axes)
{
	char out[8192];
	json_t *j;

	cr_assert_eq(sweep(out, sizeof(out), TRACE " --vary unmap=clear+unmap,noclear+unmap "
			   "--strategy sync-noflush --json s.json -q"), 0, "%s", out);
	j = tmpdir_json("s.json");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
		json_array_get(points(j), 1), "results"), "strategy")),
		"noclear+unmap/sync-noflush/eager/strict");
	json_decref(j);
	/* the fourth axis, by its name */
	cr_assert_eq(sweep(out, sizeof(out), TRACE " --vary unmap-flush=strict,lazy --json f.json -q"),
		     0, "%s", out);
	j = tmpdir_json("f.json");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(
		json_array_get(points(j), 1), "results"), "strategy")),
		"clear+unmap/sync-flush/eager/lazy");
	json_decref(j);
	cr_assert_eq(sweep(out, sizeof(out), TRACE " --vary unmap-flush=eager --json g.json -q"), 2,
		     "%s", out);
	cr_assert(strstr(out, "'eager' is not one of the unmap-flush strategies"), "%s", out);
}

Test(sweep, workers_do_not_change_the_output)
{
	static const char grid[] = "gen:random-window,count=3000 --vary window=4M,16M,64M "
				   "--vary page=4K,2M --vary model=vtd,smmuv3";
	char out[8192], cmd[512];
	size_t n1, n2, n3;
	char *a, *b, *c;

	snprintf(cmd, sizeof(cmd), "%s -j 1 -q --json j1.json", grid);
	cr_assert_eq(sweep(out, sizeof(out), cmd), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s -j 2 -q --json j2.json", grid);
	cr_assert_eq(sweep(out, sizeof(out), cmd), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s -j 5 -q --json j5.json", grid);
	cr_assert_eq(sweep(out, sizeof(out), cmd), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "%s/j1.json", tmpdir);
	a = slurp(cmd, &n1);
	snprintf(cmd, sizeof(cmd), "%s/j2.json", tmpdir);
	b = slurp(cmd, &n2);
	snprintf(cmd, sizeof(cmd), "%s/j5.json", tmpdir);
	c = slurp(cmd, &n3);
	cr_assert(n1 == n2 && !memcmp(a, b, n1), "-j 2 output differs from -j 1");
	cr_assert(n1 == n3 && !memcmp(a, c, n1), "-j 5 output differs from -j 1");
	free(a);
	free(b);
	free(c);
}

/* The README's curve: with 4 KiB pages the IOTLB's reach is soon exceeded
 * and the hit rate falls as the window grows; 2 MiB pages keep it high. */
Test(sweep, generator_knobs_hit_rate_falls_with_window)
{
	char out[8192];
	json_t *j, *p;

	cr_assert_eq(sweep(out, sizeof(out), "gen:random-window,count=5000 --vary window=2M,16M "
			   "--vary page=4K,2M --json s.json"), 0, "%s", out);
	cr_assert(strstr(out, "iotlb_hit_rate"), "%s", out);
	j = tmpdir_json("s.json");
	p = points(j);
	cr_assert_eq(json_array_size(p), 4);
	cr_assert_str_eq(value(json_array_get(p, 0), "window"), "2M");
	cr_assert_str_eq(value(json_array_get(p, 1), "page"), "2M");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(p, 2),
		"results"), "trace")), "gen:random-window,count=5000,window=16M,page=4K");
	cr_assert_gt(hit_rate(json_array_get(p, 0)), hit_rate(json_array_get(p, 2)) + 0.05,
		     "4K: %f at 2M, %f at 16M", hit_rate(json_array_get(p, 0)),
		     hit_rate(json_array_get(p, 2)));
	cr_assert_gt(hit_rate(json_array_get(p, 3)), 0.99);
	cr_assert_gt(hit_rate(json_array_get(p, 3)), hit_rate(json_array_get(p, 2)));
	json_decref(j);
}

Test(sweep, bad_vary_names_and_values)
{
	static const struct {
		const char *args;
		const char *says;
	} cases[] = {
		{ TRACE " --vary bogus=1,2", "--vary bogus: not a parameter" },
		{ TRACE " --vary window=4M,16M", "--vary window: not a parameter" },
		{ TRACE " --vary gen.window=4M", "gen.KNOB needs a gen:WORKLOAD input" },
		{ TRACE " --vary iotlb_entries=16,0", "iotlb_entries" },
		{ TRACE " --vary model=vtd,nosuch", "unknown model 'nosuch'" },
		{ TRACE " --vary unmap=sync-flush", "'sync-flush' is not one of the unmap strategies" },
		{ TRACE " --vary iotlb_entries", "expected name=v1,v2" },
		{ TRACE " --vary iotlb_entries=1,,2", "empty value" },
		{ TRACE " --vary model=vtd --vary model=amdv1", "given twice" },
		{ "gen:nosuch --vary iotlb_entries=16", "unknown workload 'nosuch'" },
		{ "gen:random-window --vary nosuch=1", "not a parameter" },
		{ "gen:random-window --vary page=3K", "--page" },
		{ "gen:random-window --vary window=1M --vary page=2M", "not a multiple" },
	};
	char out[8192], args[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(args, sizeof(args), "%s --json s.json", cases[i].args);
		cr_expect_eq(sweep(out, sizeof(out), args), 2, "%s: %s", cases[i].args, out);
		cr_expect(strstr(out, cases[i].says), "%s: expected '%s' in: %s", cases[i].args,
			  cases[i].says, out);
	}
	snprintf(args, sizeof(args), "%s/s.json", tmpdir);
	cr_assert(access(args, F_OK) != 0, "a failed sweep left %s", args);
	cr_assert_eq(sweep(out, sizeof(out), "nosuch.elf --vary iotlb_entries=1 --json s.json"), 2);
	cr_assert_eq(sweep(out, sizeof(out), TRACE " --vary iotlb_entries=1"), 2, "no --json");
}

Test(sweep, library_grid)
{
	struct ims_error err = { 0 };
	struct ims_sweep s;

	ims_sweep_init(&s);
	cr_assert_eq(ims_sweep_points(&s), 1);
	cr_assert_eq(ims_sweep_add_axis(&s, "a=1,2,3", &err), 0);
	cr_assert_eq(ims_sweep_add_axis(&s, "b=x,y", &err), 0);
	cr_assert_eq(ims_sweep_points(&s), 6);
	cr_assert_str_eq(s.axes[1].values[1], "y");
	cr_assert_neq(ims_sweep_add_axis(&s, "=1", &err), 0);
	ims_sweep_fini(&s);
}
