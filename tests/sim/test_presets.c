/* Hardware presets and parameter files (sim/presets.c, sim/paramset.c): every
 * preset valid for its model, precedence preset < file < --param, file
 * errors at FILE:LINE with their exit status, where `params` says each value
 * came from, per-model presets in compare and regress, the model a preset
 * fixes, and docs/calibration.md in step with the table. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/paramset.h"
#include "sim/presets.h"
#include "tests/sim/files.h"

TestSuite(presets, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* A 2 MiB mapping written and read under dirty tracking, then unmapped:
 * walks, IOTLB hits and an invalidation, so every preset's costs show. */
static const char trace[] =
	"iommusim-trace 1\n"
	"device ssd0\n"
	"domain guest\n"
	"attach ssd0 guest\n"
	"@100 map guest 0x200000 2M\n"
	"@200 dirty-tracking guest on\n"
	"@300 dma ssd0 write 0x200000 64K\n"
	"@400 dma ssd0 read 0x210000 4096\n"
	"@500 dirty-unmap guest 0x200000 2M\n";

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return access(path, F_OK) == 0;
}

static const struct ims_preset_value *preset_value(const struct ims_preset *p, const char *param)
{
	for (unsigned k = 0; k < p->nvalues; k++)
		if (!strcmp(p->values[k].param, param))
			return &p->values[k];
	return NULL;
}

/* ---- the table -------------------------------------------------------------- */

Test(presets, parameter_count_constant_matches_the_table)
{
	cr_assert_eq(IMS_PARAM_NUM, ims_param_count);
}

Test(presets, every_preset_is_valid_for_its_model)
{
	cr_assert_geq(ims_preset_count, 4);
	for (unsigned i = 0; i < ims_preset_count; i++) {
		const struct ims_preset *p = &ims_presets[i];
		struct ims_params params;
		struct ims_error err = { 0 };

		cr_assert(p->name[0] && p->hardware[0] && p->description[0], "preset %u", i);
		cr_assert_not_null(ims_model_find(p->model), "%s: model %s", p->name, p->model);
		cr_assert_eq(ims_preset_find(p->name), p, "%s: names are unique", p->name);
		cr_assert_gt(p->nvalues, 0, "%s sets nothing", p->name);
		ims_params_default(&params);
		for (unsigned k = 0; k < p->nvalues; k++) {
			const struct ims_preset_value *v = &p->values[k];
			int idx = ims_param_index(v->param, strlen(v->param));
			char assign[512];

			cr_assert_geq(idx, 0, "%s: unknown parameter %s", p->name, v->param);
			cr_assert(v->source[0], "%s.%s has no source", p->name, v->param);
			for (unsigned j = 0; j < k; j++)
				cr_assert(strcmp(p->values[j].param, v->param), "%s sets %s twice",
					  p->name, v->param);
			/* a model's own parameters belong to that model's presets */
			for (unsigned m = 0; m < ims_model_count; m++) {
				size_t n = strlen(ims_models[m]->name);

				if (!strncmp(v->param, ims_models[m]->name, n) && v->param[n] == '_')
					cr_assert_str_eq(ims_models[m]->name, p->model,
							 "%s (for %s) sets %s", p->name, p->model,
							 v->param);
			}
			snprintf(assign, sizeof(assign), "%s=%s", v->param, v->value);
			cr_assert_eq(ims_params_set(&params, assign, &err), 0, "%s: %s", p->name,
				     err.msg);
			/* the offset the table compiles in is the named field's */
			if (ims_param_table[idx].kind == IMS_PARAM_COST)
				cr_assert_eq(*(double *)(void *)((char *)&params + v->offset),
					     ims_params_get(&params, (unsigned)idx), "%s", v->param);
			else
				cr_assert_eq(*(uint64_t *)(void *)((char *)&params + v->offset),
					     ims_params_get_u64(&params, (unsigned)idx), "%s",
					     v->param);
		}
		cr_assert_eq(ims_params_validate(&params, &err), 0, "%s: %s", p->name, err.msg);
	}
}

Test(presets, the_four_hardware_classes_and_their_key_values)
{
	static const struct {
		const char *preset, *model, *param, *value, *source_has;
	} want[] = {
		{ "xeon-e5", "vtd", "iotlb_entries", "120", "pcie-bench" },
		{ "xeon-e5", "vtd", "iommu_walk_slots", "5", "Little's law" },
		{ "xeon-e5", "vtd", "vtd_iotlb_inv_ns", "527", "rIOMMU" },
		{ "xeon-spr", "vtd", "vtd_iotlb_inv_ns", "225", "dmar_perf_latency" },
		{ "epyc", "amdv1", "amdv1_inv_pages_ns", "250", "guess" },
		{ "neoverse-smmu", "smmuv3", "iotlb_entries", "2048", "gem5" },
		{ "neoverse-smmu", "smmuv3", "smmuv3_tlbi_ns", "220", "cmdq" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ims_preset *p = ims_preset_find(want[i].preset);
		const struct ims_preset_value *v;

		cr_assert_not_null(p, "%s", want[i].preset);
		cr_assert_str_eq(p->model, want[i].model);
		cr_assert_not_null(v = preset_value(p, want[i].param), "%s.%s", p->name,
				   want[i].param);
		cr_assert_str_eq(v->value, want[i].value, "%s.%s", p->name, want[i].param);
		cr_assert(strstr(v->source, want[i].source_has), "%s.%s: %s", p->name,
			  want[i].param, v->source);
	}
}

Test(presets, parse_lists_one_per_model)
{
	const struct ims_preset *list[8];
	struct ims_error err = { 0 };
	unsigned n = 0;

	cr_assert_eq(ims_presets_parse(list, &n, 8, "xeon-e5,neoverse-smmu", &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_presets_parse(list, &n, 8, "epyc", &err), 0, "%s", err.msg);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(ims_presets_for_model(list, n, "smmuv3")->name, "neoverse-smmu");
	cr_assert_str_eq(ims_presets_for_model(list, n, "amdv1")->name, "epyc");
	cr_assert_lt(ims_presets_parse(list, &n, 8, "xeon-spr", &err), 0);
	cr_assert(strstr(err.msg, "xeon-e5 and xeon-spr are both for model vtd"), "%s", err.msg);
	cr_assert_lt(ims_presets_parse(list, &n, 8, "nope", &err), 0);
	cr_assert_eq(err.code, IMS_ENOENT);
	cr_assert_lt(ims_presets_parse(list, &n, 8, "", &err), 0, "an empty name is no preset");
	cr_assert_eq(n, 3);
}

/* ---- precedence ------------------------------------------------------------- */

Test(presets, preset_then_file_then_param)
{
	const struct ims_preset *xeon = ims_preset_find("xeon-e5");
	const char *cli_params[] = { "mem_dram_ns=222" };
	struct ims_param_file file;
	struct ims_paramset s;
	struct ims_error err = { 0 };
	char path[512], buf[1100];
	int cpu = ims_param_index("cpu_mhz", 7), dram = ims_param_index("mem_dram_ns", 11);
	int inv = ims_param_index("vtd_iotlb_inv_ns", 16), ways = ims_param_index("psc_ways", 8);

	tmpdir_write("f.params", "# lab box\n\ncpu_mhz = 3000\nmem_dram_ns = 111  # measured\n");
	snprintf(path, sizeof(path), "%s/f.params", tmpdir);
	cr_assert_eq(ims_param_file_load(&file, path, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_paramset_build(&s, xeon, &file, cli_params, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_paramset_validate(&s, &err), 0, "%s", err.msg);
	/* the file over the preset */
	cr_assert_eq(s.p.cpu_mhz, 3000);
	snprintf(path, sizeof(path), "%s/f.params:3", tmpdir);
	cr_assert_str_eq(ims_paramset_source(&s, (unsigned)cpu, buf, sizeof(buf)), path);
	/* --param over the file */
	cr_assert_float_eq(s.p.mem_dram_ns, 222, 1e-9);
	cr_assert_str_eq(ims_paramset_source(&s, (unsigned)dram, buf, sizeof(buf)), "--param");
	/* the preset over the defaults */
	cr_assert_float_eq(s.p.vtd_iotlb_inv_ns, 527, 1e-9);
	cr_assert_str_eq(ims_paramset_source(&s, (unsigned)inv, buf, sizeof(buf)),
			 preset_value(xeon, "vtd_iotlb_inv_ns")->source);
	cr_assert_str_eq(ims_paramset_source(&s, (unsigned)ways, buf, sizeof(buf)),
			 ims_param_table[ways].source);
	/* without the --param, the file's value */
	cr_assert_eq(ims_paramset_build(&s, xeon, &file, NULL, 0, &err), 0);
	cr_assert_float_eq(s.p.mem_dram_ns, 111, 1e-9);
	/* without the file, the preset's */
	cr_assert_eq(ims_paramset_build(&s, xeon, NULL, NULL, 0, &err), 0);
	cr_assert_float_eq(s.p.mem_dram_ns, 258, 1e-9);
	cr_assert_eq(s.p.cpu_mhz, 2200);
	ims_param_file_free(&file);
}

Test(presets, command_line_order_does_not_change_precedence)
{
	static char out[65536];

	/* 30 ways: 4 sets of the preset's 120 entries */
	tmpdir_write("f.params", "mem_dram_ns = 111\niotlb_ways = 30\n");
	/* --param first, the preset last: the layers still stack preset < file < --param */
	cr_assert_eq(run_cli(out, sizeof(out),
			 "params --param mem_dram_ns=222 --params f.params --preset xeon-e5"), 0,
		     "%s", out);
	cr_assert(strstr(out, "\nmem_dram_ns ") && strstr(strstr(out, "\nmem_dram_ns "),
							 "222 ns"), "%s", out);
	cr_assert(strstr(out, "[--param]"), "%s", out);
	cr_assert(strstr(out, "[f.params:2]"), "iotlb_ways from the file: %s", out);
	cr_assert(strstr(out, "2200 MHz"), "cpu_mhz from the preset: %s", out);
}

/* ---- parameter files -------------------------------------------------------- */

struct file_case {
	char text[96];
	unsigned line;
	char msg[80];
};

ParameterizedTestParameters(presets, file_errors_name_file_and_line)
{
	static struct file_case cases[] = {
		{ "iotlb_entries 64\n", 1, "expected 'name = value'" },
		{ "# ok\n\nno_such_param = 1\n", 3, "unknown parameter 'no_such_param'" },
		{ "mem_dram_ns = fast\n", 1, "is not a number" },
		{ "iotlb_entries = 1K\niotlb_ways = 4\niotlb_entries = 2K\n", 3,
		  "iotlb_entries already set on line 1" },
		{ "iotlb_ways = 0\n", 1, "out of range" },
		{ "cpu_mhz =\n", 1, "value missing" },
		{ "= 5\n", 1, "name missing" },
		{ "cpu_mhz = 2000 3000\n", 1, "one value expected" },
		{ "cpu-mhz = 2000\n", 1, "not a parameter name" },
		{ "mem_dram_ns = 90\niotlb_ways = 3\n", 2, "power-of-two set count" },
	};

	return cr_make_param_array(struct file_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct file_case *c, presets, file_errors_name_file_and_line)
{
	char out[8192], where[64];

	tmpdir_write("t.trace", trace);
	tmpdir_write("bad.params", c->text);
	snprintf(where, sizeof(where), "bad.params:%u: ", c->line);
	/* the same error from every command that reads a file; 1: bad input */
	cr_assert_eq(run_cli(out, sizeof(out), "params --params bad.params"), 1, "%s", out);
	cr_assert(strstr(out, where) && strstr(out, c->msg), "want '%s...%s', got: %s", where,
		  c->msg, out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --params bad.params --json r.json"), 1,
		     "%s", out);
	cr_assert(strstr(out, where) && strstr(out, c->msg), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "sweep t.trace --params bad.params "
			 "--vary cpu_mhz=1000,2000 -j 1 --quiet --json s.json"), 1, "%s", out);
	cr_assert(strstr(out, where), "%s", out);
	cr_assert(!exists("r.json") && !exists("s.json"), "no results written");
}

Test(presets, file_format_comments_blank_lines_and_crlf)
{
	char out[65536];

	tmpdir_write("ok.params", "# a comment line\n"
				  "\n"
				  "   \t\n"
				  "iotlb_entries=2K   # a trailing comment\n"
				  "  mem_llc_lines = 0x100\r\n"
				  "mem_dram_ns = 90.5");   /* no final newline */
	cr_assert_eq(run_cli(out, sizeof(out), "params --params ok.params"), 0, "%s", out);
	cr_assert(strstr(out, "2048 entries") && strstr(out, "[ok.params:4]"), "%s", out);
	cr_assert(strstr(out, "256 64B lines") && strstr(out, "[ok.params:5]"), "%s", out);
	cr_assert(strstr(out, "90.5 ns") && strstr(out, "[ok.params:6]"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "params --params missing.params"), 1, "%s", out);
	cr_assert(strstr(out, "missing.params: cannot read parameters"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "params --params ok.params --params ok.params"), 2,
		     "one file only: %s", out);
}

/* ---- what `params` shows ---------------------------------------------------- */

Test(presets, params_preset_names_the_presets_sources)
{
	static char out[65536];
	char args[128];

	for (unsigned i = 0; i < ims_preset_count; i++) {
		const struct ims_preset *p = &ims_presets[i];

		snprintf(args, sizeof(args), "params --preset %s", p->name);
		cr_assert_eq(run_cli(out, sizeof(out), args), 0, "%s", out);
		for (unsigned k = 0; k < p->nvalues; k++) {
			char line_start[96], *line, *end, want[1100];

			snprintf(line_start, sizeof(line_start), "\n%s ", p->values[k].param);
			cr_assert_not_null(line = strstr(out, line_start), "%s: %s", p->name,
					   p->values[k].param);
			end = strchr(line + 1, '\n');
			if (end)
				*end = '\0';
			snprintf(want, sizeof(want), "[%s]", p->values[k].source);
			cr_assert(strstr(line, want), "%s: %s shows another source: %s", p->name,
				  p->values[k].param, line);
			if (end)
				*end = '\n';
		}
	}
	/* a parameter no preset sets keeps the default's source */
	cr_assert(strstr(out, ims_param_table[ims_param_index("sw_pte_write_cycles", 19)].source));
}

Test(presets, params_presets_lists_every_preset_with_its_model)
{
	char out[8192], line[256];

	cr_assert_eq(run_cli(out, sizeof(out), "params --presets"), 0, "%s", out);
	for (unsigned i = 0; i < ims_preset_count; i++) {
		snprintf(line, sizeof(line), "  %-16s %-8s %s\n", ims_presets[i].name,
			 ims_presets[i].model, ims_presets[i].hardware);
		cr_assert(strstr(out, line), "%s missing: %s", ims_presets[i].name, out);
	}
	cr_assert_eq(run_cli(out, sizeof(out), "list"), 0);
	cr_assert(strstr(out, "neoverse-smmu"), "list shows the presets too: %s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "params --preset xeon-e5,epyc"), 2, "%s", out);
}

Test(presets, docs_calibration_md_lists_the_presets_as_the_table_has_them)
{
	static const char begin[] = "<!-- iommusim params --presets --markdown: begin -->\n";
	static const char end[] = "<!-- iommusim params --presets --markdown: end -->\n";
	static char out[1 << 16];
	size_t len;
	char *doc = slurp(IMS_SOURCE_DIR "/docs/calibration.md", &len), *a, *b;

	cr_assert(strstr(doc, "\n## Validation\n"), "the section the validation suite fills");
	cr_assert_not_null(a = strstr(doc, begin), "docs/calibration.md has the begin marker");
	a += strlen(begin);
	cr_assert_not_null(b = strstr(a, end), "docs/calibration.md has the end marker");
	*b = '\0';
	cr_assert_eq(run_cli(out, sizeof(out), "params --presets --markdown"), 0);
	cr_assert_str_eq(a, out, "docs/calibration.md is stale: paste 'iommusim params --presets "
			 "--markdown' between its markers");
	free(doc);
}

/* ---- the model a preset fixes ----------------------------------------------- */

Test(presets, run_takes_the_presets_model_and_refuses_another)
{
	char out[8192];
	json_t *j;

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --preset epyc --json r.json"), 0, "%s",
		     out);
	cr_assert(strstr(out, "Parameters: preset epyc"), "%s", out);
	j = tmpdir_json("r.json");
	cr_assert_str_eq(json_string_value(json_object_get(j, "model")), "amdv1");
	cr_assert_str_eq(json_string_value(json_object_get(j, "preset")), "epyc");
	cr_assert_null(json_object_get(j, "params_file"));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "params"),
							"cpu_mhz")), 2400);
	json_decref(j);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --preset epyc --model amdv1 --quiet"), 0,
		     "the same model named twice: %s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --preset epyc --model vtd --json x.json"),
		     2, "%s", out);
	cr_assert(strstr(out, "preset epyc is for model amdv1, not vtd"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --preset epyc,xeon-e5 --quiet"), 2, "%s",
		     out);
	cr_assert(!exists("x.json"), "no results after a usage error");
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --preset no-such --quiet"), 2, "%s", out);
}

Test(presets, results_record_preset_and_file_only_when_given)
{
	char out[8192];
	json_t *j;

	tmpdir_write("t.trace", trace);
	tmpdir_write("f.params", "iotlb_entries = 128\n");
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --params f.params --preset xeon-spr "
			 "--json r.json --quiet"), 0, "%s", out);
	j = tmpdir_json("r.json");
	cr_assert_str_eq(json_string_value(json_object_get(j, "preset")), "xeon-spr");
	cr_assert_str_eq(json_string_value(json_object_get(j, "params_file")), "f.params");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "params"),
							"iotlb_entries")), 128);
	json_decref(j);
	cr_assert_eq(run_cli(out, sizeof(out), "run t.trace --json d.json --quiet"), 0, "%s", out);
	j = tmpdir_json("d.json");
	cr_assert_null(json_object_get(j, "preset"));
	cr_assert_null(json_object_get(j, "params_file"));
	json_decref(j);
}

Test(presets, compare_runs_each_model_with_its_own_preset)
{
	static char out[65536];
	json_t *j, *run;
	size_t i;
	unsigned seen = 0;

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models vtd,amdv1,smmuv3 "
			 "--preset neoverse-smmu --preset xeon-e5 --json c.json"), 0, "%s", out);
	cr_assert(strstr(out, "parameters: vtd xeon-e5, amdv1 defaults (no preset), "
			      "smmuv3 neoverse-smmu"), "%s", out);
	cr_assert(strstr(out, "note: cycles count each model's own clock (cpu_mhz: vtd 2200, "
			      "amdv1 2600, smmuv3 3000)"), "%s", out);
	j = tmpdir_json("c.json");
	json_array_foreach(json_object_get(j, "runs"), i, run) {
		const char *model = json_string_value(json_object_get(run, "model"));
		const char *preset = json_string_value(json_object_get(run, "preset"));
		json_int_t entries = json_integer_value(json_object_get(json_object_get(run,
			"params"), "iotlb_entries"));
		json_int_t mhz = json_integer_value(json_object_get(json_object_get(run, "params"),
								    "cpu_mhz"));

		if (!strcmp(model, "vtd")) {
			cr_assert_str_eq(preset, "xeon-e5");
			cr_assert_eq(mhz, 2200);
		} else if (!strcmp(model, "amdv1")) {
			cr_assert_null(preset, "amdv1 has no preset: the defaults");
			cr_assert_eq(mhz, 2600);
			cr_assert_eq(entries, 64);
		} else {
			cr_assert_str_eq(preset, "neoverse-smmu");
			cr_assert_eq(entries, 2048);
		}
		seen |= 1u << i;
	}
	cr_assert_eq(seen, 7, "three runs");
	json_decref(j);
	/* without --models: the presets' models */
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --preset xeon-spr,epyc --json d.json"),
		     0, "%s", out);
	j = tmpdir_json("d.json");
	cr_assert_eq(json_array_size(json_object_get(j, "runs")), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j,
		"runs"), 1), "model")), "amdv1");
	json_decref(j);
	/* one clock: no note */
	tmpdir_write("f.params", "cpu_mhz = 2000\n");
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models vtd,smmuv3 "
			     "--params f.params"), 0, "%s", out);
	cr_assert(strstr(out, "parameters: vtd defaults (no preset), smmuv3 defaults (no preset); "
			      "file f.params\n"), "%s", out);
	cr_assert_null(strstr(out, "note:"), "%s", out);
	/* a preset for a model not compared, two for one model */
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models vtd,amdv1 "
			 "--preset neoverse-smmu"), 2, "%s", out);
	cr_assert(strstr(out, "preset neoverse-smmu is for model smmuv3, which this comparison "
			      "does not run"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "compare t.trace --models all --preset xeon-e5 "
			 "--preset xeon-spr"), 2, "%s", out);
	cr_assert(strstr(out, "both for model vtd"), "%s", out);
}

Test(presets, sweep_runs_the_presets_model_only)
{
	static char out[16384];
	json_t *j, *p;
	size_t i;

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run_cli(out, sizeof(out), "sweep t.trace --preset neoverse-smmu "
			 "--vary iotlb_ways=2,4 -j 1 --quiet --json s.json"), 0, "%s", out);
	j = tmpdir_json("s.json");
	json_array_foreach(json_object_get(json_object_get(j, "sweep"), "points"), i, p) {
		json_t *r = json_object_get(p, "results");

		cr_assert_str_eq(json_string_value(json_object_get(r, "model")), "smmuv3");
		cr_assert_str_eq(json_string_value(json_object_get(r, "preset")), "neoverse-smmu");
		/* the axis over the preset */
		cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "params"),
								"iotlb_ways")), i ? 4 : 2);
		cr_assert_eq(json_integer_value(json_object_get(json_object_get(r, "params"),
								"iotlb_entries")), 2048);
	}
	json_decref(j);
	cr_assert_eq(run_cli(out, sizeof(out), "sweep t.trace --preset neoverse-smmu "
			 "--vary model=vtd,smmuv3 -j 1 --quiet --json s2.json"), 2, "%s", out);
	cr_assert(strstr(out, "preset neoverse-smmu is for model smmuv3, not vtd"), "%s", out);
	cr_assert_eq(run_cli(out, sizeof(out), "sweep t.trace --preset xeon-e5 --model amdv1 "
			 "--vary cpu_mhz=1000 -j 1 --quiet --json s2.json"), 2, "%s", out);
}

Test(presets, regress_applies_a_preset_to_its_models_runs_only)
{
	static char out[1 << 16];
	char args[512];
	json_t *j, *run;
	size_t i;
	unsigned with = 0, without = 0;

	snprintf(args, sizeof(args), "regress %s/traces/corpus --only random-window-4k "
		 "--preset neoverse-smmu -j 1 --json g.json", IMS_SOURCE_DIR);
	cr_assert_eq(run_cli(out, sizeof(out), args), 1, "other caches move the metrics: %s", out);
	j = tmpdir_json("g.json");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(j,
		"regress"), "presets"), 0)), "neoverse-smmu");
	json_array_foreach(json_object_get(json_object_get(j, "regress"), "runs"), i, run) {
		json_t *r = json_object_get(run, "results");
		const char *model = json_string_value(json_object_get(r, "model"));

		if (!strcmp(model, "smmuv3")) {
			cr_assert_str_eq(json_string_value(json_object_get(r, "preset")),
					 "neoverse-smmu");
			with++;
		} else {
			cr_assert_null(json_object_get(r, "preset"), "%s keeps the defaults", model);
			without++;
		}
	}
	cr_assert(with == 1 && without == 2, "%u runs with the preset, %u without", with, without);
	json_decref(j);
}
