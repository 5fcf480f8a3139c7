/* The iommusim command. Exit status: 0 success, 1 bad input or failed run
 * (message "file:line: ..."), 2 bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/params.h"
#include "sim/paramset.h"
#include "sim/presets.h"
#include "sim/regress/regress.h"
#include "sim/report/report.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/sim.h"
#include "sim/sweep/sweep.h"
#include "sim/validate/validate.h"
#include "sim/trace/trace.h"

#define EXIT_USAGE 2
#define MAX_PARAMS 256
#define MAX_LIST 8      /* models or strategies in one compare */

struct options {
	const char *model;           /* NULL: not given */
	const char *strategy;        /* run */
	const char *strategies;      /* compare, comma-separated */
	const char *models;          /* compare, comma-separated */
	const char *coherency;       /* run: one; compare: comma-separated */
	const char *unmap_flush;     /* run: one; compare: comma-separated */
	const char *json;
	const char *trace;
	const char *param[MAX_PARAMS];
	unsigned nparam;
	const char *preset[MAX_LIST];   /* --preset, each maybe a comma-separated list */
	unsigned npreset;
	const char *params_file;
	unsigned nparams_files;      /* --params given (one allowed) */
	int quiet;
	int markdown;
	int list_presets;
};

/* What --preset and --params name, looked up and read once. */
struct param_inputs {
	const struct ims_preset *presets[MAX_LIST];
	unsigned npresets;
	struct ims_param_file file;
	bool have_file;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim run TRACE [--model M] [--strategy S[/S2[/S3[/S4]]]] [--coherency C] [--unmap-flush F] [PARAMS] [--json FILE] [--quiet] [--check]\n"
		"       iommusim compare TRACE [--models M1,M2,...] [--strategies S1,S2,... | --coherency C1,C2,... | --unmap-flush F1,F2,...] [PARAMS] [--json FILE] [--check]\n"
		"       iommusim sweep TRACE|gen:WORKLOAD[,KNOB=V...] --vary NAME=V1,V2,... [--vary ...] [PARAMS] [-j N] --json OUT [--check]\n"
		"       iommusim regress CORPUS_DIR [--baseline DIR] [--update-baseline] [-j N] [--shard K/N] [--only NAME] [PARAMS] [--json OUT] [--check]\n"
		"       iommusim regress merge SHARD.json... [--json OUT]\n"
		"       iommusim params [PARAMS] [--markdown]   every parameter: value, unit, source\n"
		"       iommusim params --presets [--markdown]  the hardware presets\n"
		"       iommusim list        list models, strategies and presets\n"
		"       iommusim validate [--only CHECK,...] [--json OUT] [--list]   model vs published\n"
		IMS_REPORT_USAGE
		"       iommusim --version\n"
		"\n"
		"TRACE is a trace (traces/FORMAT.md): text, gzip-compressed text or the ELF container.\n"
		"Strategies come on four axes (iommusim list): how dirty-unmap is done, whether\n"
		"migration dirty-sync rounds flush, where CPU caches are flushed for non-coherent\n"
		"DMA (--coherency C is the same as a /C part), and when an unmap's IOTLB\n"
		"invalidation happens (--unmap-flush strict|lazy, the same as a /F part); S/S2/...\n"
		"picks one of each. Defaults: --model vtd --strategy\n"
		"clear+unmap/sync-flush/eager/strict. compare takes 'all' for --models, --strategies\n"
		"(the dirty axes), --coherency and --unmap-flush; under the last two, --strategy sets\n"
		"the other axes. It needs two runs or more.\n"
		"PARAMS: [--preset NAME] [--params FILE] [--param name=value]...; a later one wins\n"
		"(preset, then file, then --param; docs/calibration.md). A preset stands for a class\n"
		"of hardware and fixes the model; compare and regress take one preset per model\n"
		"(--preset a,b), and a model without one runs with the defaults.\n"
		"--check (or IMS_CHECK=1) verifies the simulator's invariants as it runs and stops\n"
		"at the first broken one (docs/reliability.md); results are the same with or without.\n");
}

static void print_error(const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "iommusim: %s\n", ims_error_format(err, buf, sizeof(buf)));
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "strategy", required_argument, NULL, 's' },
		{ "strategies", required_argument, NULL, 'S' },
		{ "models", required_argument, NULL, 'D' },
		{ "coherency", required_argument, NULL, 'C' },
		{ "unmap-flush", required_argument, NULL, 'U' },
		{ "param", required_argument, NULL, 'p' },
		{ "preset", required_argument, NULL, 'P' },
		{ "params", required_argument, NULL, 'F' },
		{ "presets", no_argument, NULL, 'L' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "markdown", no_argument, NULL, 'M' },
		{ "check", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ims_error err = { 0 };
	int c;

	memset(o, 0, sizeof(*o));
	o->strategy = "clear+unmap/sync-flush";
	optind = 2;   /* argv[1] is the subcommand */
	while ((c = getopt_long(argc, argv, "m:s:S:D:C:p:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 's': o->strategy = optarg; break;
		case 'S': o->strategies = optarg; break;
		case 'D': o->models = optarg; break;
		case 'C': o->coherency = optarg; break;
		case 'U': o->unmap_flush = optarg; break;
		case 'j': o->json = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'M': o->markdown = 1; break;
		case 'L': o->list_presets = 1; break;
		case 'F':
			if (ims_param_file_opt(&o->params_file, &o->nparams_files, optarg, &err)) {
				print_error(&err);
				return -1;
			}
			break;
		case 'P':
			if (o->npreset == MAX_LIST) {
				fprintf(stderr, "iommusim: more than %d --preset options\n", MAX_LIST);
				return -1;
			}
			o->preset[o->npreset++] = optarg;
			break;
		case 'K': setenv("IMS_CHECK", "1", 1); break;   /* sim/check.h */
		case 'p':
			if (o->nparam == MAX_PARAMS) {
				fprintf(stderr, "iommusim: more than %d --param options\n", MAX_PARAMS);
				return -1;
			}
			o->param[o->nparam++] = optarg;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc)
		o->trace = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "iommusim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static void list_presets_to(FILE *out)
{
	for (unsigned i = 0; i < ims_preset_count; i++)
		fprintf(out, "  %-16s %-8s %s\n", ims_presets[i].name, ims_presets[i].model,
			ims_presets[i].hardware);
}

/* Look the --preset names up and read the --params file. Returns 0 or the
 * exit status: 2 for an unknown preset or two for one model, 1 for a bad
 * file (its message names FILE:LINE). */
static int load_param_inputs(const struct options *o, struct param_inputs *in)
{
	struct ims_error err = { 0 };

	memset(in, 0, sizeof(*in));
	for (unsigned i = 0; i < o->npreset; i++)
		if (ims_presets_parse(in->presets, &in->npresets, MAX_LIST, o->preset[i], &err)) {
			print_error(&err);
			if (err.code == IMS_ENOENT)
				list_presets_to(stderr);
			return EXIT_USAGE;
		}
	if (o->params_file) {
		if (ims_param_file_load(&in->file, o->params_file, &err)) {
			print_error(&err);
			return EXIT_FAILURE;
		}
		in->have_file = true;
	}
	return 0;
}

static void free_param_inputs(struct param_inputs *in)
{
	if (in->have_file)
		ims_param_file_free(&in->file);
}

/* Defaults, then preset, then file, then --param. Returns 0 or the exit
 * status: 1 when the file is to blame (FILE:LINE), else 2. */
static int build_params(const struct options *o, const struct param_inputs *in,
			const struct ims_preset *preset, struct ims_paramset *out)
{
	struct ims_error err = { 0 };

	if (ims_paramset_build(out, preset, in->have_file ? &in->file : NULL, o->param,
			       o->nparam, &err) ||
	    ims_paramset_validate(out, &err)) {
		print_error(&err);
		return err.path[0] ? EXIT_FAILURE : EXIT_USAGE;
	}
	return 0;
}

/* The model a run uses: --model, else the preset's, else vtd. A preset for
 * another model than --model names is a usage error (NULL). */
static const char *run_model(const struct options *o, const struct ims_preset *preset)
{
	if (preset && o->model && strcmp(o->model, preset->model)) {
		fprintf(stderr, "iommusim: preset %s is for model %s, not %s (--model): "
			"drop --model or pick a preset for %s (iommusim list)\n",
			preset->name, preset->model, o->model, o->model);
		return NULL;
	}
	return o->model ? o->model : preset ? preset->model : "vtd";
}

static const char *file_path(const struct param_inputs *in)
{
	return in->have_file ? in->file.path : NULL;
}

static const struct ims_model_ops *find_model(const char *name)
{
	const struct ims_model_ops *m = ims_model_find(name);

	if (!m) {
		fprintf(stderr, "iommusim: unknown model '%s'; models:", name);
		for (unsigned i = 0; i < ims_model_count; i++)
			fprintf(stderr, " %s", ims_models[i]->name);
		fprintf(stderr, "\n");
	}
	return m;
}

/* Strategies from "name[/name]" on top of the defaults. */
static int parse_strategies(const char *spec, struct ims_strategies *out)
{
	char bad[64];

	ims_strategies_default(out);
	if (!ims_strategies_parse(out, spec, bad, sizeof(bad)))
		return 0;
	fprintf(stderr, "iommusim: unknown strategy '%s', or a second one on its axis; strategies:",
		bad);
	for (unsigned i = 0; i < ims_dirty_strategy_count; i++)
		fprintf(stderr, " %s", ims_dirty_strategies[i].name);
	fprintf(stderr, "\n");
	return -1;
}

/* Simulate the whole trace with one strategy. On success the caller owns *sim. */
static int simulate(const char *trace, const struct ims_model_ops *model,
		    const struct ims_params *params, const struct ims_strategies *strategy,
		    struct ims_sim *sim)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	int rc;

	if (ims_trace_open(&r, trace, &err)) {
		print_error(&err);
		return -1;
	}
	if (ims_sim_init(sim, model, params, &err)) {
		print_error(&err);
		ims_trace_close(r);
		return -1;
	}
	rc = ims_run_trace(sim, r, strategy, &err);
	ims_trace_close(r);
	if (rc) {
		print_error(&err);
		ims_sim_fini(sim);
		return -1;
	}
	return 0;
}

static int write_json(json_t *j, const char *path)
{
	struct ims_error err = { 0 };

	if (ims_results_write(j, path, &err)) {
		print_error(&err);
		return -1;
	}
	return 0;
}

static int cmd_run(const struct options *o, const struct param_inputs *in)
{
	char spec[256];
	const struct ims_preset *preset = in->npresets ? in->presets[0] : NULL;
	const struct ims_model_ops *model;
	const char *model_name;
	struct ims_strategies strategy;
	struct ims_paramset params;
	struct ims_sim sim;
	char name[96];
	int rc = 0;

	if (!o->trace) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (in->npresets > 1) {
		fprintf(stderr, "iommusim: run takes one --preset (a run has one model)\n");
		return EXIT_USAGE;
	}
	if (!(model_name = run_model(o, preset)) || !(model = find_model(model_name)))
		return EXIT_USAGE;
	snprintf(spec, sizeof(spec), "%s%s%s%s%s", o->strategy, o->coherency ? "/" : "",
		 o->coherency ? o->coherency : "", o->unmap_flush ? "/" : "",
		 o->unmap_flush ? o->unmap_flush : "");
	if (parse_strategies(spec, &strategy))
		return EXIT_USAGE;
	if ((rc = build_params(o, in, preset, &params)))
		return rc;
	if (simulate(o->trace, model, &params.p, &strategy, &sim))
		return EXIT_FAILURE;
	ims_strategies_name(&strategy, name, sizeof(name));
	if (!o->quiet) {
		ims_results_print_summary(stdout, &sim, o->trace, name);
		if (preset || file_path(in))
			printf("Parameters: %s%s%s%s%s\n", preset ? "preset " : "",
			       preset ? preset->name : "", preset && file_path(in) ? ", " : "",
			       file_path(in) ? "file " : "", file_path(in) ? file_path(in) : "");
	}
	if (o->json) {
		json_t *j = ims_results_json_origin(&sim, o->trace, name,
						    preset ? preset->name : NULL, file_path(in));

		rc = write_json(j, o->json) ? EXIT_FAILURE : 0;
		json_decref(j);
	}
	ims_sim_fini(&sim);
	return rc;
}

/* Split a comma-separated list into out (at most MAX_LIST items; "all"
 * expands to every name in all[]). Returns the count or -1. */
static int split_list(const char *text, const char *what, const char *const *all, unsigned nall,
		      char out[][96])
{
	char list[1024], *save = NULL, *tok;
	int n = 0;

	snprintf(list, sizeof(list), "%s", text);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool every = !strcmp(tok, "all");

		for (unsigned k = 0; k < (every ? nall : 1); k++) {
			if (n == MAX_LIST) {
				fprintf(stderr, "iommusim: at most %d %s\n", MAX_LIST, what);
				return -1;
			}
			snprintf(out[n++], 96, "%s", every ? all[k] : tok);
		}
	}
	return n;
}

/* Is st one of the strategies "all" stands for when comparing kind? The
 * dirty axes: every unmap strategy (with the default sync strategy), then
 * every other sync strategy (with the default unmap strategy). */
static bool in_all(const struct ims_dirty_strategy *st, enum ims_grid_kind kind)
{
	struct ims_strategies defaults;

	ims_strategies_default(&defaults);
	switch (kind) {
	case IMS_GRID_COHERENCY: return st->axis == IMS_AXIS_COHERENCY;
	case IMS_GRID_UNMAP_FLUSH: return st->axis == IMS_AXIS_UNMAP_FLUSH;
	default:
		return st->axis == IMS_AXIS_UNMAP ||
		       (st->axis == IMS_AXIS_SYNC && st != defaults.sync);
	}
}

/* The strategies compare runs, as names for parse_strategies, and which
 * columns tell them apart: --coherency and --unmap-flush list one axis,
 * with --strategy for the others. Returns the count, or -1 (usage). */
static int compare_strategy_names(const struct options *o, char names[][96],
				  enum ims_grid_kind *kind)
{
	const char *all[MAX_LIST], *axis_list = o->coherency ? o->coherency : o->unmap_flush;
	unsigned nall = 0;
	int n;

	if (!!o->strategies + !!o->coherency + !!o->unmap_flush > 1) {
		fprintf(stderr, "iommusim: give one of --strategies, --coherency and --unmap-flush "
				"(--strategy sets the other axes under the last two)\n");
		return -1;
	}
	*kind = o->coherency ? IMS_GRID_COHERENCY : o->unmap_flush ? IMS_GRID_UNMAP_FLUSH
							   : IMS_GRID_DIRTY;
	for (unsigned i = 0; i < ims_dirty_strategy_count && nall < MAX_LIST; i++)
		if (in_all(&ims_dirty_strategies[i], *kind))
			all[nall++] = ims_dirty_strategies[i].name;
	if (!axis_list)
		return split_list(o->strategies ? o->strategies : o->strategy, "strategies", all,
				  nall, names);
	n = split_list(axis_list, "strategies", all, nall, names);
	for (int k = 0; k < n; k++) {
		char one[96];

		memcpy(one, names[k], sizeof(one));
		snprintf(names[k], 96, "%.60s/%.34s", o->strategy, one);
	}
	return n;
}

/* A --strategies list whose runs differ in when unmaps flush is about
 * that: show its columns. */
static enum ims_grid_kind grid_for(enum ims_grid_kind kind, const struct ims_strategies *st,
				   int n)
{
	for (int k = 1; k < n && kind == IMS_GRID_DIRTY; k++)
		if (st[k].unmap_flush != st[0].unmap_flush)
			return IMS_GRID_UNMAP_FLUSH;
	return kind;
}

static int cmd_compare(const struct options *o, const struct param_inputs *in)
{
	static char model_names[MAX_LIST][96], strat_names[MAX_LIST][96];
	static struct ims_stats stats[MAX_LIST * MAX_LIST];
	static char run_names[MAX_LIST * MAX_LIST][96];
	const char *all_models[MAX_LIST];
	const struct ims_model_ops *models[MAX_LIST];
	struct ims_strategies strats[MAX_LIST];
	struct ims_compare_run runs[MAX_LIST * MAX_LIST];
	static struct ims_paramset params[MAX_LIST];
	char preset_models[MAX_LIST * 40] = "";
	unsigned nall_models = 0, n = 0;
	enum ims_grid_kind kind;
	json_t *all;
	int nm, ns, rc = 0;

	if (!o->trace) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < ims_model_count && nall_models < MAX_LIST; i++)
		all_models[nall_models++] = ims_models[i]->name;
	/* without --models: --model, else the presets' models, else vtd */
	for (unsigned i = 0; i < in->npresets; i++)
		snprintf(preset_models + strlen(preset_models), sizeof(preset_models) -
			 strlen(preset_models), "%s%s", i ? "," : "", in->presets[i]->model);
	nm = split_list(o->models ? o->models : o->model ? o->model :
			in->npresets ? preset_models : "vtd", "models", all_models, nall_models,
			model_names);
	ns = compare_strategy_names(o, strat_names, &kind);
	if (nm < 0 || ns < 0)
		return EXIT_USAGE;
	for (int m = 0; m < nm; m++)
		if (!(models[m] = find_model(model_names[m])))
			return EXIT_USAGE;
	for (unsigned i = 0; i < in->npresets; i++) {
		bool used = false;

		for (int m = 0; m < nm; m++)
			used |= !strcmp(models[m]->name, in->presets[i]->model);
		if (!used) {
			fprintf(stderr, "iommusim: preset %s is for model %s, which this comparison "
				"does not run (--models)\n", in->presets[i]->name,
				in->presets[i]->model);
			return EXIT_USAGE;
		}
	}
	for (int m = 0; m < nm; m++) {
		const struct ims_preset *preset = ims_presets_for_model(in->presets, in->npresets,
									models[m]->name);

		if ((rc = build_params(o, in, preset, &params[m])))
			return rc;
	}
	for (int k = 0; k < ns; k++)
		if (parse_strategies(strat_names[k], &strats[k]))
			return EXIT_USAGE;
	if (nm * ns < 2) {
		fprintf(stderr, "iommusim: compare needs two runs or more "
				"(give --models and/or --strategies lists)\n");
		return EXIT_USAGE;
	}
	all = json_pack("{s:o, s:[]}", "trace", ims_results_path_json(o->trace), "runs");
	if (!all) {
		fprintf(stderr, "iommusim: out of memory\n");
		return EXIT_FAILURE;
	}
	for (int m = 0; m < nm; m++) {
		for (int k = 0; k < ns; k++) {
			struct ims_sim sim;

			if (simulate(o->trace, models[m], &params[m].p, &strats[k], &sim)) {
				json_decref(all);
				return EXIT_FAILURE;
			}
			stats[n] = sim.stats;
			ims_strategies_name(&strats[k], run_names[n], sizeof(run_names[n]));
			runs[n] = (struct ims_compare_run){ &stats[n], models[m]->name, run_names[n] };
			json_array_append_new(json_object_get(all, "runs"),
					      ims_results_json_origin(&sim, o->trace, run_names[n],
						      params[m].preset ? params[m].preset->name : NULL,
						      file_path(in)));
			ims_sim_fini(&sim);
			n++;
		}
	}
	printf("iommusim %s compare: trace %s\n", IMS_VERSION, o->trace);
	if (in->npresets || file_path(in)) {
		printf("parameters:");
		for (int m = 0; m < nm; m++)
			printf("%s %s %s", m ? "," : "", models[m]->name,
			       params[m].preset ? params[m].preset->name : "defaults (no preset)");
		if (file_path(in))
			printf("; file %s", file_path(in));
		printf("\n");
	}
	for (int m = 1; m < nm; m++)
		if (params[m].p.cpu_mhz != params[0].p.cpu_mhz) {
			printf("note: cycles count each model's own clock (cpu_mhz:");
			for (int k = 0; k < nm; k++)
				printf("%s %s %llu", k ? "," : "", models[k]->name,
				       (unsigned long long)params[k].p.cpu_mhz);
			printf("); xlate-x compares cycles, not time\n");
			break;
		}
	ims_results_print_grid(stdout, runs, n, grid_for(kind, strats, ns));
	if (nm == 1 && ns <= 3) {
		printf("\nAll counters (ratio = column / %s):\n", runs[0].strategy);
		ims_results_print_compare(stdout, runs, n);
	}
	if (o->json && write_json(all, o->json))
		rc = EXIT_FAILURE;
	json_decref(all);
	return rc;
}

/* Sizes print as integers (bitmaps in hex), costs as the shortest exact decimal. */
static const char *format_value(char *buf, size_t len, const struct ims_params *p, unsigned i)
{
	const struct ims_param_desc *d = &ims_param_table[i];
	uint64_t v = ims_params_get_u64(p, i);

	if (d->kind == IMS_PARAM_COST)
		snprintf(buf, len, "%g", ims_params_get(p, i));
	else if (!strcmp(d->unit, "bitmap"))
		snprintf(buf, len, "0x%llx", (unsigned long long)v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* With only defaults this is docs/params.md; otherwise the column says
 * "value" and the source is where each value came from. */
static void print_params_markdown(const struct ims_paramset *s, bool defaults)
{
	char where[1100];

	printf("# Parameters\n\n"
	       "Generated by `iommusim params --markdown` from `sim/params.def`; a test keeps the two in\n"
	       "step. Override any of them with `--param name=value`, or many at once with a\n"
	       "hardware preset (`--preset NAME`) or a parameter file (`--params FILE`): see\n"
	       "[calibration.md](calibration.md). Costs in ns are converted to cycles of the\n"
	       "reference clock (`cpu_mhz`). \"guess\" marks a value no public measurement pins\n"
	       "down: set it from your own hardware before publishing numbers; \"derived\" marks\n"
	       "arithmetic on cited data.\n\n"
	       "| parameter | %s | unit | description | source |\n|---|---|---|---|---|\n",
	       defaults ? "default" : "value");
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		char value[32];

		printf("| `%s` | %s | %s | %s | %s |\n", d->name,
		       format_value(value, sizeof(value), &s->p, i), d->unit, d->description,
		       ims_paramset_source(s, i, where, sizeof(where)));
	}
}

/* The presets, as `iommusim params --presets`; with --markdown the
 * "Presets" part of docs/calibration.md, which a test keeps in step. */
static void print_presets(bool markdown)
{
	if (!markdown) {
		printf("  %-16s %-8s %s\n", "preset", "model", "hardware");
		list_presets_to(stdout);
		printf("\n'iommusim params --preset NAME' shows every value with its source.\n");
		return;
	}
	for (unsigned i = 0; i < ims_preset_count; i++) {
		const struct ims_preset *p = &ims_presets[i];
		unsigned guesses = 0, derived = 0;

		for (unsigned k = 0; k < p->nvalues; k++) {
			guesses += !strncmp(p->values[k].source, "guess", 5);
			derived += !strncmp(p->values[k].source, "derived", 7);
		}
		printf("### `%s`: %s\n\n"
		       "Model `%s`. %s\n\n"
		       "It sets %u parameters: %u cited, %u derived from cited data, %u guesses. "
		       "The others keep their defaults.\n\n"
		       "| parameter | value | default | source |\n|---|---|---|---|\n",
		       p->name, p->hardware, p->model, p->description, p->nvalues,
		       p->nvalues - guesses - derived, derived, guesses);
		for (unsigned k = 0; k < p->nvalues; k++) {
			struct ims_params defaults;
			char value[32];
			int idx = ims_param_index(p->values[k].param, strlen(p->values[k].param));

			ims_params_default(&defaults);
			printf("| `%s` | %s | %s | %s |\n", p->values[k].param, p->values[k].value,
			       idx < 0 ? "?" : format_value(value, sizeof(value), &defaults,
							      (unsigned)idx),
			       p->values[k].source);
		}
		printf("\n");
	}
}

static int cmd_params(const struct options *o, const struct param_inputs *in)
{
	const struct ims_preset *preset = in->npresets ? in->presets[0] : NULL;
	struct ims_paramset s;
	char where[1100];
	int rc;

	if (o->list_presets) {
		print_presets(o->markdown);
		return 0;
	}
	if (in->npresets > 1) {
		fprintf(stderr, "iommusim: params shows one --preset at a time\n");
		return EXIT_USAGE;
	}
	if ((rc = build_params(o, in, preset, &s)))
		return rc;
	if (o->markdown) {
		print_params_markdown(&s, !preset && !in->have_file && !o->nparam);
		return 0;
	}
	if (preset)
		printf("preset %s (model %s): %s\n\n", preset->name, preset->model, preset->hardware);
	printf("%-30s %12s %-10s %s\n", "parameter", "value", "unit", "description [source]");
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		char value[32];

		printf("%-30s %12s %-10s %s [%s]\n", d->name, format_value(value, sizeof(value), &s.p, i),
		       d->unit, d->description, ims_paramset_source(&s, i, where, sizeof(where)));
	}
	return 0;
}

static int cmd_list(void)
{
	printf("models:\n");
	for (unsigned i = 0; i < ims_model_count; i++)
		printf("  %-16s %s\n", ims_models[i]->name, ims_models[i]->description);
	for (unsigned a = 0; a < IMS_AXIS_COUNT; a++) {
		static const char *const title[IMS_AXIS_COUNT] = {
			[IMS_AXIS_UNMAP] = "dirty-unmap strategies (trace keyword dirty-unmap)",
			[IMS_AXIS_SYNC] = "dirty-sync round strategies (trace keywords precopy, "
					  "stop-copy)",
			[IMS_AXIS_COHERENCY] = "CPU cache-flush strategies for non-coherent domains "
					       "(--coherency)",
			[IMS_AXIS_UNMAP_FLUSH] = "unmap-flush strategies: when an unmap's IOTLB "
						 "invalidation happens (--unmap-flush)",
		};

		printf("%s:\n", title[a]);
		for (unsigned i = 0; i < ims_dirty_strategy_count; i++)
			if (ims_dirty_strategies[i].axis == (enum ims_strategy_axis)a)
				printf("  %-16s %s\n", ims_dirty_strategies[i].name,
				       ims_dirty_strategies[i].description);
	}
	printf("hardware presets (--preset NAME; iommusim params --preset NAME):\n");
	list_presets_to(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct param_inputs in;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int rc;

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : EXIT_USAGE;
	}
	if (!strcmp(cmd, "--version")) {
		printf("iommusim %s\n", IMS_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "sweep"))
		return ims_sweep_main(argc, argv);
	if (!strcmp(cmd, "regress"))
		return ims_regress_main(argc, argv);
	if (!strcmp(cmd, "report"))
		return ims_report_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return ims_validate_main(argc, argv);
	if (parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (strcmp(cmd, "run") && strcmp(cmd, "compare") && strcmp(cmd, "params")) {
		fprintf(stderr, "iommusim: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((rc = load_param_inputs(&o, &in)))
		return rc;
	rc = !strcmp(cmd, "run") ? cmd_run(&o, &in) :
	     !strcmp(cmd, "compare") ? cmd_compare(&o, &in) : cmd_params(&o, &in);
	free_param_inputs(&in);
	return rc;
}
