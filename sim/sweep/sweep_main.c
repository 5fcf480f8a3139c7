/* `iommusim sweep`: the command line of a sweep (sim/sweep/sweep.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/paramset.h"
#include "sim/presets.h"
#include "sim/results.h"
#include "sim/sweep/sweep.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim sweep TRACE|gen:WORKLOAD[,KNOB=V...] --vary NAME=V1,V2,... [--vary ...]\n"
		"           [--model M] [--strategy S] [--preset NAME] [--params FILE] [--param k=v]...\n"
		"           [-j N] [--quiet] [--check] --json OUT\n"
		"\n"
		"Runs every point of the grid (the cross product of the --vary lists, the first\n"
		"varying slowest) and writes them all to OUT. NAME is a parameter (iommusim params),\n"
		"model, strategy, a strategy axis (unmap, sync, coherency, unmap-flush), or with a\n"
		"generator input one of its knobs\n"
		"or seed (gen.KNOB if a parameter has the same name). -j N: worker processes\n"
		"(default: the online CPUs); the output is the same for every N. --check: verify\n"
		"the simulator's invariants while simulating (docs/reliability.md). A preset\n"
		"fixes the model; the axes win over --param, --param over the file, the file over\n"
		"the preset (docs/calibration.md).\n");
}

static void print_error(const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "iommusim: %s\n", ims_error_format(err, buf, sizeof(buf)));
}

/* A number of workers from text, or 0 if it is not one. */
static unsigned parse_workers(const char *text)
{
	char *end;
	unsigned long v = strtoul(text, &end, 10);

	return *text && !*end && v > 0 && v <= 4096 ? (unsigned)v : 0;
}

static void print_points(const struct ims_sweep *s, json_t *sweep)
{
	json_t *points = json_object_get(json_object_get(sweep, "sweep"), "points"), *p;
	size_t i;

	for (unsigned a = 0; a < s->naxes; a++)
		printf("%-14s ", s->axes[a].name);
	printf("%14s %14s %16s\n", "iotlb_hit_rate", "xlate_cyc_avg", "sim_end_cycle");
	json_array_foreach(points, i, p) {
		json_t *r = json_object_get(p, "results");
		json_t *d = json_object_get(r, "derived");

		for (unsigned a = 0; a < s->naxes; a++)
			printf("%-14s ", json_string_value(json_object_get(json_object_get(p, "values"),
									   s->axes[a].name)));
		printf("%14.4f %14.1f %16lld\n",
		       json_real_value(json_object_get(d, "iotlb_hit_rate")),
		       json_real_value(json_object_get(d, "translation_cycles_avg")),
		       (long long)json_integer_value(json_object_get(json_object_get(r, "stats"),
								     "sim_end_cycle")));
	}
}

int ims_sweep_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vary", required_argument, NULL, 'v' },
		{ "model", required_argument, NULL, 'm' },
		{ "strategy", required_argument, NULL, 's' },
		{ "param", required_argument, NULL, 'p' },
		{ "preset", required_argument, NULL, 'P' },
		{ "params", required_argument, NULL, 'F' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ims_error err = { 0 };
	struct ims_sweep s;
	struct ims_param_file file = { 0 };
	const char *json_out = NULL, *file_path = NULL;
	unsigned nfiles = 0;
	json_t *result = NULL;
	int c, quiet = 0, rc = EXIT_USAGE;

	ims_sweep_init(&s);
	s.progress = true;
	optind = 2;   /* argv[1] is "sweep" */
	while ((c = getopt_long(argc, argv, "v:m:s:p:P:F:j:o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (ims_sweep_add_axis(&s, optarg, &err)) {
				print_error(&err);
				goto out;
			}
			break;
		case 'm': s.model = optarg; break;
		case 's': s.strategy = optarg; break;
		case 'o': json_out = optarg; break;
		case 'P':
			if (s.preset || !(s.preset = ims_preset_find(optarg))) {
				fprintf(stderr, "iommusim: %s '%s' (iommusim params --presets); a sweep "
					"takes one\n", s.preset ? "a second --preset" : "unknown preset",
					optarg);
				goto out;
			}
			break;
		case 'F':
			if (ims_param_file_opt(&file_path, &nfiles, optarg, &err)) {
				print_error(&err);
				goto out;
			}
			break;
		case 'q': quiet = 1; break;
		case 'K': setenv("IMS_CHECK", "1", 1); break;   /* sim/check.h */
		case 'p':
			if (s.nparams == IMS_SWEEP_MAX_PARAMS) {
				fprintf(stderr, "iommusim: too many --param options\n");
				goto out;
			}
			s.params[s.nparams++] = optarg;
			break;
		case 'j':
			if (!(s.workers = parse_workers(optarg))) {
				fprintf(stderr, "iommusim: -j '%s': expected a number of workers\n",
					optarg);
				goto out;
			}
			break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind + 1 != argc || !json_out || s.naxes == 0) {
		fprintf(stderr, "iommusim: sweep needs one TRACE or gen:WORKLOAD, --vary and --json\n");
		usage(stderr);
		goto out;
	}
	s.input = argv[optind];
	if (file_path) {
		if (ims_param_file_load(&file, file_path, &err)) {
			print_error(&err);
			rc = EXIT_FAILURE;
			goto out;
		}
		s.file = &file;
	}
	if (ims_sweep_check(&s, &err)) {
		print_error(&err);
		if (err.path[0])
			rc = EXIT_FAILURE;   /* the file's values are to blame (FILE:LINE) */
		goto out;
	}
	rc = EXIT_FAILURE;
	if (ims_sweep_run(&result, &s, &err) || ims_results_write(result, json_out, &err)) {
		print_error(&err);
		goto out;
	}
	if (!quiet)
		print_points(&s, result);
	rc = 0;
out:
	json_decref(result);
	ims_sweep_fini(&s);
	ims_param_file_free(&file);
	return rc;
}
