#include "sim/regress/regress.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/host/dirty_strategy.h"
#include "sim/params.h"
#include "sim/paramset.h"
#include "sim/pool/pool.h"
#include "sim/results.h"
#include "sim/run.h"

/* ---- the manifest --------------------------------------------------------- */

#define MAX_WORDS 8

/* Split a line at blanks, up to '#'; returns the word count. */
static unsigned split_words(char *line, char **words)
{
	unsigned n = 0;
	char *save = NULL, *tok;

	line[strcspn(line, "#\n")] = 0;
	for (tok = strtok_r(line, " \t\r", &save); tok && n < MAX_WORDS;
	     tok = strtok_r(NULL, " \t\r", &save))
		words[n++] = tok;
	return n;
}

static bool known_trace(char (*traces)[64], unsigned ntraces, const char *name)
{
	for (unsigned i = 0; i < ntraces; i++)
		if (!strcmp(traces[i], name))
			return true;
	return false;
}

int ims_regress_manifest(struct ims_regress_run **out, unsigned *n, const char *corpus,
			 struct ims_error *err)
{
	char path[1100], line[4096];
	char (*traces)[64] = NULL;
	unsigned ntraces = 0, cap = 0, lineno = 0;
	struct ims_regress_run *runs = NULL;
	FILE *f;
	int rc = 0;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/MANIFEST", corpus);
	if (!(f = fopen(path, "r"))) {
		ims_error_set(err, IMS_EIO, "cannot open: %s", strerror(errno));
		ims_error_locate(err, path, 0);
		return -IMS_EIO;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *w[MAX_WORDS];
		unsigned nw = split_words(line, w);

		lineno++;
		if (nw == 0)
			continue;
		if (!strcmp(w[0], "trace") && nw >= 3 && strlen(w[1]) < 64) {
			void *t = realloc(traces, (ntraces + 1) * sizeof(*traces));

			if (!t) {
				rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
				break;
			}
			traces = t;
			if (known_trace(traces, ntraces, w[1]))
				rc = ims_error_set(err, IMS_EEXIST, "trace %s defined twice", w[1]);
			snprintf(traces[ntraces++], 64, "%s", w[1]);
		} else if (!strcmp(w[0], "run") && (nw == 3 || nw == 4)) {
			struct ims_regress_run *r;

			if (!known_trace(traces, ntraces, w[1])) {
				rc = ims_error_set(err, IMS_ENOENT, "run of unknown trace %s", w[1]);
				break;
			}
			if (*n == cap) {
				void *t = realloc(runs, (cap = cap ? 2 * cap : 64) * sizeof(*runs));

				if (!t) {
					rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
					break;
				}
				runs = t;
			}
			r = &runs[*n];
			memset(r, 0, sizeof(*r));
			r->index = *n;
			snprintf(r->trace, sizeof(r->trace), "%s", w[1]);
			snprintf(r->model, sizeof(r->model), "%s", w[2]);
			snprintf(r->strategy, sizeof(r->strategy), "%s", nw == 4 ? w[3] : "");
			snprintf(r->id, sizeof(r->id), "%s.%s%s%s", r->trace, r->model,
				 nw == 4 ? "." : "", r->strategy);
			for (char *c = r->id; *c; c++)
				if (*c == '/')
					*c = '_';
			(*n)++;
		} else {
			rc = ims_error_set(err, IMS_ESYNTAX, "expected 'trace NAME COMMAND...' or "
					   "'run NAME MODEL [STRATEGY]'");
		}
	}
	fclose(f);
	free(traces);
	if (rc) {
		ims_error_locate(err, path, lineno);
		free(runs);
		*n = 0;
		return rc;
	}
	*out = runs;
	return 0;
}

/* ---- tolerances ------------------------------------------------------------ */

/* By metric prefix, first match wins; docs/regression.md says why. Every
 * counter of sim/stats.def (all its groups), the hardware-counter views of
 * them, the fault and exposure logs and the parameters are exact: the
 * simulation is deterministic integer arithmetic. The derived ratios are
 * quotients computed in double, whose last bits may differ between
 * compilers and FPUs (contraction into FMA, x87): they float by 1e-9. */
static const struct {
	const char *prefix;
	double rel;
} tolerances[] = {
	{ "derived.", 1e-9 },
	{ "", 0 },
};

double ims_regress_tolerance(const char *metric)
{
	for (size_t i = 0; i < sizeof(tolerances) / sizeof(tolerances[0]); i++)
		if (!strncmp(metric, tolerances[i].prefix, strlen(tolerances[i].prefix)))
			return tolerances[i].rel;
	return 0;
}

/* ---- running ------------------------------------------------------------- */

struct job_ctx {
	const struct ims_regress *r;
	const struct ims_regress_run *runs;   /* the selected ones */
};

static void expected_path(char *buf, size_t len, const struct ims_regress *r,
			  const struct ims_regress_run *run)
{
	if (r->baseline)
		snprintf(buf, len, "%s/%s.json", r->baseline, run->id);
	else
		snprintf(buf, len, "%s/expected/%s.json", r->corpus, run->id);
}

static int setup(const struct ims_regress *r, const struct ims_regress_run *run,
		 const struct ims_model_ops **model, struct ims_strategies *st,
		 struct ims_paramset *p, struct ims_error *err)
{
	char bad[64];
	int rc;

	if (!(*model = ims_model_find(run->model)))
		return ims_error_set(err, IMS_ENOENT, "%s: unknown model '%s'", run->id, run->model);
	ims_strategies_default(st);
	if (ims_strategies_parse(st, run->strategy, bad, sizeof(bad)))
		return ims_error_set(err, IMS_ENOENT, "%s: unknown strategy '%s'", run->id, bad);
	if ((rc = ims_paramset_build(p, ims_presets_for_model(r->presets, r->npresets, run->model),
				     r->file, r->params, r->nparams, err)))
		return rc;
	return ims_paramset_validate(p, err);
}

static json_t *run_job(void *vctx, unsigned i, struct ims_error *err)
{
	const struct job_ctx *ctx = vctx;
	const struct ims_regress_run *run = &ctx->runs[i];
	const struct ims_model_ops *model;
	struct ims_strategies st;
	struct ims_paramset params;
	struct ims_sim *sim = malloc(sizeof(*sim));
	char trace[1100], expected[1400], name[96];
	json_t *results, *want, *j = NULL;

	if (!sim) {
		ims_error_set(err, IMS_ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(trace, sizeof(trace), "%s/%s.elf", ctx->r->corpus, run->trace);
	if (setup(ctx->r, run, &model, &st, &params, err) ||
	    ims_run_file(sim, trace, model, &params.p, &st, err)) {
		free(sim);
		return NULL;
	}
	ims_strategies_name(&st, name, sizeof(name));
	results = ims_results_json_origin(sim, trace, name,
					  params.preset ? params.preset->name : NULL,
					  params.file ? params.file->path : NULL);
	ims_sim_fini(sim);
	free(sim);
	expected_path(expected, sizeof(expected), ctx->r, run);
	want = json_load_file(expected, 0, NULL);
	j = json_pack("{s:i, s:s, s:o, s:o}", "index", (int)run->index, "run", run->id,
		      "expected", want ? want : json_null(), "results", results);
	if (!j)
		ims_error_set(err, IMS_ENOMEM, "cannot encode the results of %s", run->id);
	return j;
}

static json_t *version_json(void)
{
	return json_pack("{s:s, s:i}", "version", IMS_VERSION, "results_format", IMS_RESULTS_FORMAT);
}

static json_t *params_list(const struct ims_regress *r)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < r->nparams; i++)
		json_array_append_new(a, json_string(r->params[i]));
	return a;
}

/* The preset names, or NULL without any (then the key is left out). */
static json_t *presets_list(const struct ims_regress *r)
{
	json_t *a = r->npresets ? json_array() : NULL;

	for (unsigned i = 0; i < r->npresets; i++)
		json_array_append_new(a, json_string(r->presets[i]->name));
	return a;
}

/* Two shards agree on an optional key: both without it, or equal. */
static bool same_key(const json_t *a, const json_t *b, const char *key)
{
	const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	return (!x && !y) || json_equal(x, y);
}

int ims_regress_run(json_t **out, const struct ims_regress *r, struct ims_error *err)
{
	struct ims_pool_opts opts = { r->workers, r->progress, "regress" };
	struct ims_regress_run *all, *sel;
	unsigned n, nsel = 0;
	struct job_ctx ctx;
	json_t **results, *runs;
	char shard[32];
	int rc;

	*out = NULL;
	if ((rc = ims_regress_manifest(&all, &n, r->corpus, err)))
		return rc;
	sel = calloc(n ? n : 1, sizeof(*sel));
	results = calloc(n ? n : 1, sizeof(*results));
	if (!sel || !results) {
		free(all);
		free(sel);
		free(results);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++) {
		if (all[i].index % r->shard_n != r->shard_k - 1)
			continue;
		if (r->only && strcmp(r->only, all[i].trace) && strcmp(r->only, all[i].id))
			continue;
		sel[nsel++] = all[i];
	}
	if (r->only) {
		bool any = false;

		for (unsigned i = 0; i < n && !any; i++)
			any = !strcmp(r->only, all[i].trace) || !strcmp(r->only, all[i].id);
		if (!any)
			rc = ims_error_set(err, IMS_ENOENT, "%s/MANIFEST has no run of '%s'",
					   r->corpus, r->only);
	}
	ctx = (struct job_ctx){ r, sel };
	if (!rc)
		rc = ims_pool_run(results, nsel, run_job, &ctx, &opts, err);
	free(all);
	free(sel);
	if (rc) {
		free(results);
		return rc;
	}
	runs = json_array();
	for (unsigned i = 0; i < nsel; i++)
		json_array_append_new(runs, results[i]);
	free(results);
	snprintf(shard, sizeof(shard), "%u/%u", r->shard_k, r->shard_n);
	*out = json_pack("{s:o, s:{s:o, s:o, s:s, s:o, s:o*, s:o*, s:o}}", "iommusim", version_json(),
			 "regress", "corpus", ims_results_path_json(r->corpus),
			 "only", r->only ? json_string(r->only) : json_null(), "shard", shard,
			 "params", params_list(r), "presets", presets_list(r),
			 "params_file", r->file ? ims_results_path_json(r->file->path) : NULL,
			 "runs", runs);
	return *out ? 0 : ims_error_set(err, IMS_ENOMEM, "cannot encode the results");
}

/* ---- merging shards ------------------------------------------------------- */

/* Decimal digits up to 2^32 - 1; the end in *end. */
static bool parse_u32(const char *s, const char **end, unsigned *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
			return false;
	*end = p;
	*out = (unsigned)v;
	return p != s;
}

/* (sscanf's %u took "-4" for 4294967292 and let 64-bit numbers overflow) */
int ims_regress_shard_parse(const char *text, unsigned *k, unsigned *n)
{
	const char *p;

	return parse_u32(text, &p, k) && *p == '/' && parse_u32(p + 1, &p, n) && !*p ? 0 : -1;
}

static int by_index(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "index"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "index"));

	return (x > y) - (x < y);
}

int ims_regress_merge(json_t **out, json_t *const *shards, unsigned n, struct ims_error *err)
{
	json_t *first = n ? json_object_get(shards[0], "regress") : NULL, *runs;
	unsigned total = 0, k_1, k_n = 0;
	bool *seen;
	json_t **all;
	size_t count = 0;

	*out = NULL;
	if (!first)
		return ims_error_set(err, IMS_EINVAL, "no shard results (iommusim regress --json)");
	if (ims_regress_shard_parse(json_string_value(json_object_get(first, "shard")) ?: "", &k_1,
				    &k_n) || k_n == 0)
		return ims_error_set(err, IMS_EINVAL, "shard 1: no K/N");
	if (n != k_n)
		return ims_error_set(err, IMS_EINVAL, "%u shard results given for %u shards", n, k_n);
	seen = calloc(k_n, sizeof(*seen));
	if (!seen)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		json_t *s = json_object_get(shards[i], "regress");
		unsigned k = 0, nn = 0;

		if (!s || ims_regress_shard_parse(json_string_value(json_object_get(s, "shard")) ?: "",
						  &k, &nn) || nn != k_n || k == 0 || k > k_n || seen[k - 1]) {
			free(seen);
			return ims_error_set(err, IMS_EINVAL, "shard result %u: not one of the "
					     "shards 1/%u..%u/%u, or given twice", i + 1, k_n, k_n, k_n);
		}
		seen[k - 1] = true;
		if (!json_equal(json_object_get(s, "corpus"), json_object_get(first, "corpus")) ||
		    !json_equal(json_object_get(s, "only"), json_object_get(first, "only")) ||
		    !json_equal(json_object_get(s, "params"), json_object_get(first, "params")) ||
		    !same_key(s, first, "presets") || !same_key(s, first, "params_file")) {
			free(seen);
			return ims_error_set(err, IMS_EINVAL, "shard %u/%u: another corpus, --only, "
					     "--param, --preset or --params than shard 1's", k, k_n);
		}
		total += (unsigned)json_array_size(json_object_get(s, "runs"));
	}
	free(seen);
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		json_t *r;
		size_t k;

		json_array_foreach(json_object_get(json_object_get(shards[i], "regress"), "runs"), k, r)
			all[count++] = r;
	}
	qsort(all, count, sizeof(*all), by_index);
	runs = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append(runs, all[i]);
	free(all);
	*out = json_pack("{s:o, s:{s:O, s:O, s:s, s:O, s:O*, s:O*, s:o}}", "iommusim",
			 version_json(), "regress", "corpus", json_object_get(first, "corpus"),
			 "only", json_object_get(first, "only"), "shard", "1/1",
			 "params", json_object_get(first, "params"),
			 "presets", json_object_get(first, "presets"),
			 "params_file", json_object_get(first, "params_file"), "runs", runs);
	return *out ? 0 : ims_error_set(err, IMS_ENOMEM, "cannot encode the results");
}

/* ---- updating the baseline ------------------------------------------------ */

int ims_regress_update(const json_t *res, const struct ims_regress *r, struct ims_error *err)
{
	struct ims_regress_run *all;
	json_t *run;
	unsigned n;
	size_t i;
	int rc;

	if ((rc = ims_regress_manifest(&all, &n, r->corpus, err)))
		return rc;
	json_array_foreach(json_object_get(json_object_get(res, "regress"), "runs"), i, run) {
		json_int_t index = json_integer_value(json_object_get(run, "index"));
		json_t *want = json_object_get(run, "expected");
		json_t *fresh = json_deep_copy(json_object_get(run, "results"));
		char path[1400];

		if (index < 0 || (unsigned)index >= n || !fresh) {
			json_decref(fresh);
			rc = ims_error_set(err, IMS_EINVAL, "run %lld is not in the manifest",
					   (long long)index);
			break;
		}
		/* the expected files name the trace as tools/corpus-build does
		 * (from the repository root): keep what they said */
		if (json_is_string(json_object_get(want, "trace")))
			json_object_set(fresh, "trace", json_object_get(want, "trace"));
		expected_path(path, sizeof(path), r, &all[index]);
		rc = ims_results_write(fresh, path, err);
		json_decref(fresh);
		if (rc)
			break;
	}
	free(all);
	return rc;
}

/* ---- the verdict ----------------------------------------------------------- */

static bool is_number(const json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

static void format_value(char *buf, size_t len, const json_t *v)
{
	if (!v)
		snprintf(buf, len, "-");
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.10g", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_array(v))
		snprintf(buf, len, "[%zu entries]", json_array_size(v));
	else
		snprintf(buf, len, "(%s)", json_is_null(v) ? "null" : "object");
}

struct table {
	FILE *out;
	unsigned moved, regressions;
};

/* One metric: a row if it moved; counts a regression if out of tolerance. */
static void compare_metric(struct table *t, const char *run, const char *metric,
			   const json_t *old, const json_t *new)
{
	char o[64], n[64], change[32] = "";
	double rel = ims_regress_tolerance(metric);
	bool bad;

	if (old && new && json_equal((json_t *)old, (json_t *)new))
		return;
	if (old && new && is_number(old) && is_number(new)) {
		double a = json_number_value(old), b = json_number_value(new);

		bad = fabs(b - a) > rel * fabs(a) || (rel == 0 && a != b) ||
		      json_is_integer(old) != json_is_integer(new);
		if (a != 0)
			snprintf(change, sizeof(change), "%+.2f%%", (b - a) / fabs(a) * 100);
		else
			snprintf(change, sizeof(change), "new");
	} else {
		bad = true;
		snprintf(change, sizeof(change), "changed");
	}
	if (t->moved++ == 0)
		fprintf(t->out, "%-44s %-44s %14s %14s %9s\n", "run", "metric", "old", "new",
			"change");
	format_value(o, sizeof(o), old);
	format_value(n, sizeof(n), new);
	fprintf(t->out, "%-44s %-44s %14s %14s %9s%s\n", run, metric, o, n, change,
		bad ? "" : "  (within tolerance)");
	if (bad)
		t->regressions++;
}

/* Every key of the section in either object, the expected order first. */
static void compare_section(struct table *t, const char *run, const char *section,
			    const json_t *old, const json_t *new)
{
	const json_t *a = json_object_get(old, section), *b = json_object_get(new, section);
	const char *key;
	json_t *v;
	char metric[256];

	json_object_foreach((json_t *)a, key, v) {
		snprintf(metric, sizeof(metric), "%s.%s", section, key);
		compare_metric(t, run, metric, v, json_object_get(b, key));
	}
	json_object_foreach((json_t *)b, key, v) {
		if (json_object_get(a, key))
			continue;
		snprintf(metric, sizeof(metric), "%s.%s", section, key);
		compare_metric(t, run, metric, NULL, v);
	}
}

unsigned ims_regress_report(FILE *out, const json_t *res)
{
	static const char *const sections[] = { "params", "stats", "derived", "hw_counters",
						"latency_histogram", "faults", "exposures" };
	const json_t *runs = json_object_get(json_object_get(res, "regress"), "runs");
	struct table t = { out, 0, 0 };
	unsigned missing = 0;
	json_t *run;
	size_t i;

	json_array_foreach((json_t *)runs, i, run) {
		const char *id = json_string_value(json_object_get(run, "run"));
		const json_t *old = json_object_get(run, "expected");
		const json_t *new = json_object_get(run, "results");

		if (!json_is_object(old)) {
			fprintf(out, "%s: no expected results (iommusim regress --update-baseline "
				"writes them)\n", id);
			missing++;
			continue;
		}
		if (!json_equal(json_object_get(old, "model"), json_object_get(new, "model")) ||
		    !json_equal(json_object_get(old, "strategy"), json_object_get(new, "strategy")))
			compare_metric(&t, id, "strategy", json_object_get(old, "strategy"),
				       json_object_get(new, "strategy"));
		for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
			compare_section(&t, id, sections[s], old, new);
	}
	fprintf(out, "regress: %zu runs, %u metrics moved, %u regressions%s\n",
		json_array_size(runs), t.moved, t.regressions + missing,
		missing ? " (counting runs with no expected results)" : "");
	return t.regressions + missing;
}
