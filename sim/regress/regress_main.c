/* `iommusim regress`: the command line of sim/regress/regress.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/paramset.h"
#include "sim/presets.h"
#include "sim/regress/regress.h"
#include "sim/results.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim regress CORPUS_DIR [--baseline DIR] [--update-baseline] [-j N]\n"
		"           [--shard K/N] [--only NAME] [--preset NAME[,NAME...]] [--params FILE]\n"
		"           [--param k=v]... [--json OUT] [--check]\n"
		"       iommusim regress merge SHARD.json... [--json OUT]\n"
		"\n"
		"Replays every run of CORPUS_DIR/MANIFEST and compares every metric with the expected\n"
		"results (CORPUS_DIR/expected, or --baseline DIR) within its tolerance; prints each\n"
		"metric that moved and exits 1 on any regression. --shard K/N: only runs i (from 0,\n"
		"in MANIFEST order) with i %% N == K-1; --json writes the results for 'merge', which\n"
		"decides as one unsharded run would. --only: the runs of one trace, or one run\n"
		"(NAME.MODEL[.STRATEGY]). --update-baseline rewrites the expected files. --check:\n"
		"verify the simulator's invariants while replaying (docs/reliability.md).\n"
		"--preset (one per model: a run of another model keeps the defaults), --params and\n"
		"--param change every run, which then no longer compares with the corpus's\n"
		"expected results: use them with --baseline (docs/calibration.md).\n"
		"See docs/regression.md.\n");
}

static void print_error(const struct ims_error *err)
{
	char buf[1024];

	fprintf(stderr, "iommusim: %s\n", ims_error_format(err, buf, sizeof(buf)));
}

static int finish(json_t *res, const char *json_out, bool update, const struct ims_regress *r)
{
	struct ims_error err = { 0 };
	unsigned bad;

	if (json_out && ims_results_write(res, json_out, &err)) {
		print_error(&err);
		return EXIT_FAILURE;
	}
	bad = ims_regress_report(stdout, res);
	if (update) {
		if (ims_regress_update(res, r, &err)) {
			print_error(&err);
			return EXIT_FAILURE;
		}
		printf("regress: expected results rewritten\n");
		return 0;
	}
	return bad ? EXIT_FAILURE : 0;
}

static int merge_main(int argc, char **argv)
{
	const char *json_out = NULL;
	json_t **shards = calloc((size_t)argc, sizeof(*shards)), *res = NULL;
	struct ims_error err = { 0 };
	unsigned n = 0;
	int rc = EXIT_FAILURE;

	if (!shards)
		return EXIT_FAILURE;
	for (int i = 3; i < argc; i++) {
		json_error_t jerr;

		if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json_out = argv[++i];
			continue;
		}
		if (argv[i][0] == '-') {
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
		if (!(shards[n] = json_load_file(argv[i], 0, &jerr))) {
			fprintf(stderr, "iommusim: %s:%d: %s\n", argv[i], jerr.line, jerr.text);
			goto out;
		}
		n++;
	}
	if (n == 0) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (ims_regress_merge(&res, shards, n, &err)) {
		print_error(&err);
		goto out;
	}
	rc = finish(res, json_out, false, NULL);
out:
	for (unsigned i = 0; i < n; i++)
		json_decref(shards[i]);
	free(shards);
	json_decref(res);
	return rc;
}

static int parse_shard(const char *text, struct ims_regress *r)
{
	return !ims_regress_shard_parse(text, &r->shard_k, &r->shard_n) && r->shard_n > 0 &&
	       r->shard_k >= 1 && r->shard_k <= r->shard_n ? 0 : -1;
}

int ims_regress_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "update-baseline", no_argument, NULL, 'u' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "shard", required_argument, NULL, 'k' },
		{ "only", required_argument, NULL, 'O' },
		{ "param", required_argument, NULL, 'p' },
		{ "preset", required_argument, NULL, 'P' },
		{ "params", required_argument, NULL, 'F' },
		{ "json", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ims_regress r = { .shard_k = 1, .shard_n = 1, .progress = true };
	struct ims_error err = { 0 };
	struct ims_param_file file = { 0 };
	const char *json_out = NULL, *file_path = NULL;
	unsigned nfiles = 0;
	bool update = false;
	json_t *res = NULL;
	int c, rc;

	if (argc > 2 && !strcmp(argv[2], "merge"))
		return merge_main(argc, argv);
	optind = 2;   /* argv[1] is "regress" */
	while ((c = getopt_long(argc, argv, "b:uj:k:O:p:P:F:o:h", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'b': r.baseline = optarg; break;
		case 'u': update = true; break;
		case 'O': r.only = optarg; break;
		case 'o': json_out = optarg; break;
		case 'P':
			if (ims_presets_parse(r.presets, &r.npresets, IMS_REGRESS_MAX_PRESETS, optarg,
					      &err)) {
				print_error(&err);
				return EXIT_USAGE;
			}
			break;
		case 'F':
			if (ims_param_file_opt(&file_path, &nfiles, optarg, &err)) {
				print_error(&err);
				return EXIT_USAGE;
			}
			break;
		case 'K': setenv("IMS_CHECK", "1", 1); break;   /* sim/check.h */
		case 'j':
			r.workers = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || r.workers == 0 || r.workers > 4096) {
				fprintf(stderr, "iommusim: -j '%s': expected a number of workers\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'k':
			if (parse_shard(optarg, &r)) {
				fprintf(stderr, "iommusim: --shard '%s': expected K/N, 1 <= K <= N\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (r.nparams == IMS_REGRESS_MAX_PARAMS) {
				fprintf(stderr, "iommusim: too many --param options\n");
				return EXIT_USAGE;
			}
			r.params[r.nparams++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	r.corpus = argv[optind];
	if (file_path) {
		if (ims_param_file_load(&file, file_path, &err)) {
			print_error(&err);
			return EXIT_FAILURE;
		}
		r.file = &file;
	}
	if (ims_regress_run(&res, &r, &err)) {
		print_error(&err);
		ims_param_file_free(&file);
		return EXIT_FAILURE;
	}
	rc = finish(res, json_out, update, &r);
	json_decref(res);
	ims_param_file_free(&file);
	return rc;
}
