/* The iommusim command. Exit status: 0 success, 1 bad input or failed run
 * (message "file:line: ..."), 2 bad usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/params.h"
#include "sim/regress/regress.h"
#include "sim/report/report.h"
#include "sim/results.h"
#include "sim/run.h"
#include "sim/sim.h"
#include "sim/sweep/sweep.h"
#include "sim/trace/trace.h"

#define EXIT_USAGE 2
#define MAX_PARAMS 256
#define MAX_LIST 8      /* models or strategies in one compare */

struct options {
	const char *model;
	const char *strategy;        /* run */
	const char *strategies;      /* compare, comma-separated */
	const char *models;          /* compare, comma-separated */
	const char *coherency;       /* run: one; compare: comma-separated */
	const char *json;
	const char *trace;
	const char *param[MAX_PARAMS];
	unsigned nparam;
	int quiet;
	int markdown;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim run TRACE [--model M] [--strategy S[/S2[/S3]]] [--coherency C] [--param k=v]... [--json FILE] [--quiet] [--check]\n"
		"       iommusim compare TRACE [--models M1,M2,...] [--strategies S1,S2,... | --coherency C1,C2,...] [--param k=v]... [--json FILE] [--check]\n"
		"       iommusim sweep TRACE|gen:WORKLOAD[,KNOB=V...] --vary NAME=V1,V2,... [--vary ...] [-j N] --json OUT [--check]\n"
		"       iommusim regress CORPUS_DIR [--baseline DIR] [--update-baseline] [-j N] [--shard K/N] [--only NAME] [--json OUT] [--check]\n"
		"       iommusim regress merge SHARD.json... [--json OUT]\n"
		"       iommusim params [--param k=v]... [--markdown]   every parameter: value, unit, source\n"
		"       iommusim list        list models and strategies\n"
		IMS_REPORT_USAGE
		"       iommusim --version\n"
		"\n"
		"TRACE is a trace (traces/FORMAT.md): text, gzip-compressed text or the ELF container.\n"
		"Strategies come on three axes (iommusim list): how dirty-unmap is done, whether\n"
		"migration dirty-sync rounds flush, and where CPU caches are flushed for non-coherent\n"
		"DMA (--coherency C is the same as a /C part); S/S2/S3 picks one of each. Defaults:\n"
		"--model vtd --strategy clear+unmap/sync-flush/eager. compare takes 'all' for --models,\n"
		"--strategies (the dirty axes) and --coherency, and needs two runs or more.\n"
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
		{ "param", required_argument, NULL, 'p' },
		{ "json", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "markdown", no_argument, NULL, 'M' },
		{ "check", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->model = "vtd";
	o->strategy = "clear+unmap/sync-flush";
	optind = 2;   /* argv[1] is the subcommand */
	while ((c = getopt_long(argc, argv, "m:s:S:D:C:p:j:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': o->model = optarg; break;
		case 's': o->strategy = optarg; break;
		case 'S': o->strategies = optarg; break;
		case 'D': o->models = optarg; break;
		case 'C': o->coherency = optarg; break;
		case 'j': o->json = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'M': o->markdown = 1; break;
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

static int build_params(const struct options *o, struct ims_params *p)
{
	struct ims_error err = { 0 };

	ims_params_default(p);
	for (unsigned i = 0; i < o->nparam; i++) {
		if (ims_params_set(p, o->param[i], &err)) {
			print_error(&err);
			return -1;
		}
	}
	if (ims_params_validate(p, &err)) {
		print_error(&err);
		return -1;
	}
	return 0;
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

static int cmd_run(const struct options *o)
{
	char spec[256];
	const struct ims_model_ops *model = find_model(o->model);
	struct ims_strategies strategy;
	struct ims_params params;
	struct ims_sim sim;
	char name[96];
	int rc = 0;

	if (!o->trace) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->coherency)
		snprintf(spec, sizeof(spec), "%s/%s", o->strategy, o->coherency);
	else
		snprintf(spec, sizeof(spec), "%s", o->strategy);
	if (!model || parse_strategies(spec, &strategy) || build_params(o, &params))
		return EXIT_USAGE;
	if (simulate(o->trace, model, &params, &strategy, &sim))
		return EXIT_FAILURE;
	ims_strategies_name(&strategy, name, sizeof(name));
	if (!o->quiet)
		ims_results_print_summary(stdout, &sim, o->trace, name);
	if (o->json) {
		json_t *j = ims_results_json(&sim, o->trace, name);

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

static int cmd_compare(const struct options *o)
{
	static char model_names[MAX_LIST][96], strat_names[MAX_LIST][96];
	static struct ims_stats stats[MAX_LIST * MAX_LIST];
	static char run_names[MAX_LIST * MAX_LIST][96];
	const char *all_models[MAX_LIST], *all_strats[MAX_LIST], *all_coh[MAX_LIST];
	const struct ims_model_ops *models[MAX_LIST];
	struct ims_strategies strats[MAX_LIST], defaults;
	struct ims_compare_run runs[MAX_LIST * MAX_LIST];
	struct ims_params params;
	unsigned nall_models = 0, nall_strats = 0, nall_coh = 0, n = 0;
	json_t *all;
	int nm, ns, rc = 0;

	if (!o->trace) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < ims_model_count && nall_models < MAX_LIST; i++)
		all_models[nall_models++] = ims_models[i]->name;
	/* "all": every unmap strategy (with the default sync strategy), then
	 * every other sync strategy (with the default unmap strategy) */
	ims_strategies_default(&defaults);
	for (unsigned i = 0; i < ims_dirty_strategy_count && nall_strats < MAX_LIST; i++)
		if (ims_dirty_strategies[i].axis == IMS_AXIS_UNMAP ||
		    (ims_dirty_strategies[i].axis == IMS_AXIS_SYNC &&
		     &ims_dirty_strategies[i] != defaults.sync))
			all_strats[nall_strats++] = ims_dirty_strategies[i].name;
	for (unsigned i = 0; i < ims_dirty_strategy_count && nall_coh < MAX_LIST; i++)
		if (ims_dirty_strategies[i].axis == IMS_AXIS_COHERENCY)
			all_coh[nall_coh++] = ims_dirty_strategies[i].name;
	nm = split_list(o->models ? o->models : o->model, "models", all_models, nall_models,
			model_names);
	if (o->coherency && o->strategies) {
		fprintf(stderr, "iommusim: give --strategies or --coherency, not both "
				"(--strategy sets the dirty axes under --coherency)\n");
		return EXIT_USAGE;
	}
	if (o->coherency) {
		ns = split_list(o->coherency, "coherency strategies", all_coh, nall_coh,
				strat_names);
		for (int k = 0; k < ns; k++) {
			char coh[96];

			memcpy(coh, strat_names[k], sizeof(coh));
			snprintf(strat_names[k], 96, "%.60s/%.34s", o->strategy, coh);
		}
	} else {
		ns = split_list(o->strategies ? o->strategies : o->strategy, "strategies",
				all_strats, nall_strats, strat_names);
	}
	if (nm < 0 || ns < 0 || build_params(o, &params))
		return EXIT_USAGE;
	for (int m = 0; m < nm; m++)
		if (!(models[m] = find_model(model_names[m])))
			return EXIT_USAGE;
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

			if (simulate(o->trace, models[m], &params, &strats[k], &sim)) {
				json_decref(all);
				return EXIT_FAILURE;
			}
			stats[n] = sim.stats;
			ims_strategies_name(&strats[k], run_names[n], sizeof(run_names[n]));
			runs[n] = (struct ims_compare_run){ &stats[n], models[m]->name, run_names[n] };
			json_array_append_new(json_object_get(all, "runs"),
					      ims_results_json(&sim, o->trace, run_names[n]));
			ims_sim_fini(&sim);
			n++;
		}
	}
	printf("iommusim %s compare: trace %s\n", IMS_VERSION, o->trace);
	ims_results_print_grid(stdout, runs, n, o->coherency != NULL);
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

static void print_params_markdown(const struct ims_params *p)
{
	printf("# Parameters\n\n"
	       "Generated by `iommusim params --markdown` from `sim/params.def`; a test keeps the two in\n"
	       "step. Override any of them with `--param name=value`. Costs in ns are converted to cycles\n"
	       "of the reference clock (`cpu_mhz`). \"guess\" marks a value no public measurement pins\n"
	       "down: set it from your own hardware before publishing numbers.\n\n"
	       "| parameter | default | unit | description | source |\n|---|---|---|---|---|\n");
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		char value[32];

		printf("| `%s` | %s | %s | %s | %s |\n", d->name, format_value(value, sizeof(value), p, i),
		       d->unit, d->description, d->source);
	}
}

static int cmd_params(const struct options *o)
{
	struct ims_params p;

	if (build_params(o, &p))
		return EXIT_USAGE;
	if (o->markdown) {
		print_params_markdown(&p);
		return 0;
	}
	printf("%-30s %12s %-10s %s\n", "parameter", "value", "unit", "description [source]");
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		char value[32];

		printf("%-30s %12s %-10s %s [%s]\n", d->name, format_value(value, sizeof(value), &p, i),
		       d->unit, d->description, d->source);
	}
	return 0;
}

static int cmd_list(void)
{
	printf("models:\n");
	for (unsigned i = 0; i < ims_model_count; i++)
		printf("  %-16s %s\n", ims_models[i]->name, ims_models[i]->description);
	printf("dirty-unmap strategies (trace keyword dirty-unmap):\n");
	for (unsigned i = 0; i < ims_dirty_strategy_count; i++)
		if (ims_dirty_strategies[i].axis == IMS_AXIS_UNMAP)
			printf("  %-16s %s\n", ims_dirty_strategies[i].name,
			       ims_dirty_strategies[i].description);
	printf("dirty-sync round strategies (trace keywords precopy, stop-copy):\n");
	for (unsigned i = 0; i < ims_dirty_strategy_count; i++)
		if (ims_dirty_strategies[i].axis == IMS_AXIS_SYNC)
			printf("  %-16s %s\n", ims_dirty_strategies[i].name,
			       ims_dirty_strategies[i].description);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	const char *cmd = argc > 1 ? argv[1] : NULL;

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
	if (parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (!strcmp(cmd, "run"))
		return cmd_run(&o);
	if (!strcmp(cmd, "compare"))
		return cmd_compare(&o);
	if (!strcmp(cmd, "params"))
		return cmd_params(&o);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	fprintf(stderr, "iommusim: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
