/* `iommusim validate`: run the checks of sim/validate/checks.c, print one
 * table per check (point, model, published, simulated, tolerance, verdict)
 * and optionally write them as JSON. */
#include "sim/validate/validate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sim/cleanup.h"
#include "sim/gen/gen.h"
#include "sim/host/dirty_strategy.h"
#include "sim/paramset.h"
#include "sim/presets.h"
#include "sim/results.h"
#include "sim/run.h"

#define EXIT_USAGE 2
#define MAX_SET (32 + IMS_VAL_MAX_PARAMS)

static const char *const verdict_name[] = { "pass", "FAIL", "known", "info" };

static double lower(const struct ims_val_row *r)
{
	return r->lo - fmax(r->tol.rel * fabs(r->lo), r->tol.abs);
}

static double upper(const struct ims_val_row *r)
{
	return r->hi + fmax(r->tol.rel * fabs(r->hi), r->tol.abs);
}

int ims_val_add(struct ims_val_ctx *ctx, const struct ims_val_row *row, struct ims_error *err)
{
	struct ims_val_row *r;

	if (ctx->nrows == ctx->cap) {
		unsigned cap = ctx->cap ? 2 * ctx->cap : 32;
		struct ims_val_row *rows = realloc(ctx->rows, cap * sizeof(*rows));

		if (!rows)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		ctx->rows = rows;
		ctx->cap = cap;
	}
	r = &ctx->rows[ctx->nrows++];
	*r = *row;
	if (!r->published)
		r->verdict = IMS_VAL_INFO;
	else if (r->sim >= lower(r) && r->sim <= upper(r))
		r->verdict = IMS_VAL_PASS;
	else
		r->verdict = r->known ? IMS_VAL_KNOWN : IMS_VAL_FAIL;
	return 0;
}

/* --- running simulations ----------------------------------------------- */

static int build(struct ims_paramset *ps, const struct ims_model_ops **model,
		 struct ims_strategies *strat, const struct ims_val_ctx *ctx,
		 const char *preset_name, const char *const *params, const char *strategy,
		 struct ims_error *err)
{
	const struct ims_preset *preset = NULL;
	const char *set[MAX_SET], *name;
	unsigned n = 0;
	char bad[64];
	int rc;

	if (preset_name && !(preset = ims_preset_find(preset_name)))
		return ims_error_set(err, IMS_ENOENT, "unknown preset '%s'", preset_name);
	for (; params && params[n]; n++) {
		if (n == MAX_SET - IMS_VAL_MAX_PARAMS)
			return ims_error_set(err, IMS_EINVAL, "more than %d parameters", MAX_SET);
		set[n] = params[n];
	}
	for (unsigned i = 0; i < ctx->nuser_params; i++)
		set[n++] = ctx->user_params[i];
	if ((rc = ims_paramset_build(ps, preset, NULL, set, n, err)) ||
	    (rc = ims_paramset_validate(ps, err)))
		return rc;
	name = preset ? preset->model : "vtd";
	if (!(*model = ims_model_find(name)))
		return ims_error_set(err, IMS_ENOENT, "no model %s", name);
	ims_strategies_default(strat);
	if (strategy && ims_strategies_parse(strat, strategy, bad, sizeof(bad)))
		return ims_error_set(err, IMS_EINVAL, "unknown strategy '%s'", bad);
	return 0;
}

/* A scratch file for one trace, removed on any exit. */
struct scratch {
	char dir[1024], path[1100];
	int dir_cleanup, file_cleanup;
};

static int scratch_open(struct scratch *s, const char *name, struct ims_error *err)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(s->dir, sizeof(s->dir), "%s/ims-validate-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!ims_cleanup_mkdtemp(s->dir, &s->dir_cleanup))
		return ims_error_set(err, IMS_EIO, "cannot make a scratch directory %s: %s", s->dir,
				     strerror(errno));
	snprintf(s->path, sizeof(s->path), "%s/%s", s->dir, name);
	s->file_cleanup = ims_cleanup_add(s->path);
	return 0;
}

static void scratch_close(struct scratch *s)
{
	unlink(s->path);
	rmdir(s->dir);
	ims_cleanup_forget(s->file_cleanup);
	ims_cleanup_forget(s->dir_cleanup);
}

int ims_val_run_gen(struct ims_sim *sim, const struct ims_val_ctx *ctx, const char *preset,
		    const char *workload, const char *const *knobs, const char *const *params,
		    const char *strategy, struct ims_error *err)
{
	const struct ims_gen_workload *w = ims_gen_find(workload);
	const struct ims_model_ops *model;
	struct ims_strategies strat;
	struct ims_paramset ps;
	struct ims_gen_cfg cfg;
	struct scratch s = { 0 };
	int rc;

	if (!w)
		return ims_error_set(err, IMS_ENOENT, "unknown workload '%s'", workload);
	ims_gen_cfg_init(&cfg, w);
	for (unsigned i = 0; knobs && knobs[i]; i++) {
		char name[64];
		const char *eq = strchr(knobs[i], '=');

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - knobs[i]) : 63, knobs[i]);
		if ((rc = ims_gen_cfg_set(&cfg, name, eq ? eq + 1 : NULL, err)))
			return rc;
	}
	if ((rc = build(&ps, &model, &strat, ctx, preset, params, strategy, err)) ||
	    (rc = scratch_open(&s, "trace.elf", err)))
		return rc;
	rc = ims_gen_write_file(&cfg, s.path, NULL, err);
	if (!rc)
		rc = ims_run_file(sim, s.path, model, &ps.p, &strat, err);
	scratch_close(&s);
	return rc;
}

int ims_val_run_text(struct ims_sim *sim, const struct ims_val_ctx *ctx, const char *preset,
		     const char *trace_text, const char *const *params, const char *strategy,
		     struct ims_error *err)
{
	const struct ims_model_ops *model;
	struct ims_strategies strat;
	struct ims_paramset ps;
	struct scratch s = { 0 };
	FILE *f;
	int rc;

	if ((rc = build(&ps, &model, &strat, ctx, preset, params, strategy, err)) ||
	    (rc = scratch_open(&s, "trace.txt", err)))
		return rc;
	if (!(f = fopen(s.path, "w")) || fputs(trace_text, f) < 0 || fclose(f)) {
		rc = ims_error_set(err, IMS_EIO, "%s: %s", s.path, strerror(errno));
	} else {
		rc = ims_run_file(sim, s.path, model, &ps.p, &strat, err);
	}
	scratch_close(&s);
	return rc;
}

/* --- output ------------------------------------------------------------- */

static void format_size(char *buf, size_t len, uint64_t b)
{
	if (b >= 1 << 20 && b % (1 << 20) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(b >> 20));
	else if (b >= 1 << 20)
		snprintf(buf, len, "%gM", (double)b / (1 << 20));
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(b >> 10));
}

static void format_value(char *buf, size_t len, const struct ims_val_row *r, double v)
{
	switch (r->unit) {
	case IMS_VAL_NS: snprintf(buf, len, "%.1f ns", v); break;
	case IMS_VAL_CYCLES: snprintf(buf, len, "%.0f cyc", v); break;
	case IMS_VAL_GBPS: snprintf(buf, len, "%.2f Gb/s", v); break;
	case IMS_VAL_PCT: snprintf(buf, len, "%+.1f %%", v); break;
	case IMS_VAL_MPS: snprintf(buf, len, "%.2f M/s", v); break;
	case IMS_VAL_RATIO: snprintf(buf, len, "%.2fx", v); break;
	case IMS_VAL_PER_PAGE: snprintf(buf, len, "%.3f", v); break;
	case IMS_VAL_WINDOW: {
		unsigned i = (unsigned)lround(v);

		if (i >= r->nwindows)
			snprintf(buf, len, "none");
		else
			format_size(buf, len, r->windows[i]);
		break;
	}
	}
}

static void format_published(char *buf, size_t len, const struct ims_val_row *r)
{
	char lo[32], hi[32];

	if (!r->published) {
		snprintf(buf, len, "-");
		return;
	}
	format_value(lo, sizeof(lo), r, r->lo);
	if (r->lo == r->hi) {
		snprintf(buf, len, "%s", lo);
		return;
	}
	format_value(hi, sizeof(hi), r, r->hi);
	/* "600.0 ns" .. "680.0 ns" prints as "600.0..680.0 ns" */
	{
		const char *unit = strchr(lo, ' ');

		if (unit && !strcmp(unit, strchr(hi, ' ') ? strchr(hi, ' ') : ""))
			snprintf(buf, len, "%.*s..%s", (int)(unit - lo), lo, hi);
		else
			snprintf(buf, len, "%s..%s", lo, hi);
	}
}

static void format_tol(char *buf, size_t len, const struct ims_val_row *r)
{
	const char *abs_unit = r->unit == IMS_VAL_NS ? " ns" : r->unit == IMS_VAL_PCT ? " pp" :
			       r->unit == IMS_VAL_WINDOW ? " step" : "";

	if (!r->published)
		snprintf(buf, len, "-");
	else if (r->tol.rel > 0 && r->tol.abs > 0)
		snprintf(buf, len, "+-%g %% (min %g%s)", 100 * r->tol.rel, r->tol.abs, abs_unit);
	else if (r->tol.rel > 0)
		snprintf(buf, len, "+-%g %%", 100 * r->tol.rel);
	else if (r->tol.abs > 0)
		snprintf(buf, len, "+-%g%s%s", r->tol.abs, abs_unit,
			 r->unit == IMS_VAL_WINDOW && r->tol.abs != 1 ? "s" : "");
	else
		snprintf(buf, len, "in range");
}

/* prefix, then text broken at spaces into lines of at most 100 columns,
 * continued with three spaces */
static void print_wrapped(FILE *out, const char *prefix, const char *text)
{
	size_t col = strlen(prefix);

	fputs(prefix, out);
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > 3 && col + 1 + word > 100) {
			fputs("\n  ", out);
			col = 2;
		}
		fprintf(out, " %.*s", (int)word, text);
		col += 1 + word;
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* The text columns of a row, as the table and the JSON show them. */
struct row_text {
	char pub[80], sim[32], tol[48];
};

static void row_text(struct row_text *out, const struct ims_val_row *r)
{
	format_published(out->pub, sizeof(out->pub), r);
	format_value(out->sim, sizeof(out->sim), r, r->sim);
	format_tol(out->tol, sizeof(out->tol), r);
}

static void print_check(FILE *out, const struct ims_val_check *c, const struct ims_val_ctx *ctx)
{
	fprintf(out, "== %s: %s\n", c->name, c->title);
	print_wrapped(out, "   published:", c->source);
	fprintf(out, "%-36s %-24s %-22s %-14s %-22s %s\n", "point", "model", "published",
		"simulated", "tolerance", "verdict");
	for (unsigned i = 0; i < ctx->nrows; i++) {
		const struct ims_val_row *r = &ctx->rows[i];
		struct row_text t;

		row_text(&t, r);
		fprintf(out, "%-36s %-24s %-22s %-14s %-22s %s\n", r->point, r->model, t.pub, t.sim,
			t.tol, verdict_name[r->verdict]);
	}
	/* each explanation once, after the first row it covers */
	for (unsigned i = 0; i < ctx->nrows; i++) {
		bool seen = false;

		if (ctx->rows[i].verdict != IMS_VAL_KNOWN)
			continue;
		for (unsigned k = 0; k < i; k++)
			seen |= ctx->rows[k].verdict == IMS_VAL_KNOWN &&
				ctx->rows[k].known == ctx->rows[i].known;
		if (!seen) {
			char prefix[128];

			snprintf(prefix, sizeof(prefix), "   known (%s%s):", ctx->rows[i].point,
				 i + 1 < ctx->nrows && ctx->rows[i + 1].known == ctx->rows[i].known ?
				 " and the rows after it" : "");
			print_wrapped(out, prefix, ctx->rows[i].known);
		}
	}
	fprintf(out, "\n");
}

/* A value of the row in the JSON: a number in the row's unit, except that a
 * window is its size in bytes (null for "none", or when not published). */
static json_t *value_json(const struct ims_val_row *r, double v, bool present)
{
	long i = lround(v);

	if (!present)
		return json_null();
	if (r->unit != IMS_VAL_WINDOW)
		return json_real(v);
	if (i < 0)
		i = 0;
	return (unsigned long)i < r->nwindows ? json_integer((json_int_t)r->windows[i])
					      : json_null();
}

static json_t *check_json(const struct ims_val_check *c, const struct ims_val_ctx *ctx,
			  bool failed)
{
	json_t *rows = json_array();

	for (unsigned i = 0; i < ctx->nrows; i++) {
		const struct ims_val_row *r = &ctx->rows[i];
		struct row_text t;

		row_text(&t, r);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, "
						      "s:o, s:o, s:s*, s:o*}",
			"point", r->point, "model", r->model, "published", t.pub, "simulated", t.sim,
			"tolerance", t.tol, "verdict", verdict_name[r->verdict],
			"published_lo", value_json(r, r->lo, r->published),
			"published_hi", value_json(r, r->hi, r->published),
			"simulated_value", value_json(r, r->sim, true),
			"allowed_lo", value_json(r, lower(r), r->published),
			"allowed_hi", value_json(r, upper(r), r->published),
			"known", r->known,
			"window_bytes", r->window ? json_integer((json_int_t)r->window) : NULL));
	}
	return json_pack("{s:s, s:s, s:s, s:b, s:o}", "name", c->name, "title", c->title,
			 "source", c->source, "pass", !failed, "rows", rows);
}

/* --- the command -------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim validate [--only NAME[,NAME...]] [--param name=value]... [--json OUT]\n"
		"       iommusim validate --list\n"
		"\n"
		"Runs the validation checks (docs/calibration.md#validation): the model, with\n"
		"the preset of the measured hardware, against published measurements. Prints\n"
		"one table per check: point, model, published, simulated, tolerance, verdict.\n"
		"A row fails when the simulated value leaves the published range widened by\n"
		"the tolerance; 'known' rows are deviations explained in the docs and do not\n"
		"fail. Exit status 1 if any row fails. --param sets a parameter in every run,\n"
		"after the check's own: see how other values would fare.\n");
}

static bool selected(const char *only, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = only; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (p[len] == ',');
	}
	return !only;
}

int ims_validate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, 'o' },
		{ "json", required_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "param", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL, *json_path = NULL, *user_params[IMS_VAL_MAX_PARAMS];
	unsigned nuser_params = 0;
	bool list = false, any_failed = false;
	json_t *checks;
	int c, rc = 0;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': only = optarg; break;
		case 'j': json_path = optarg; break;
		case 'l': list = true; break;
		case 'p':
			if (nuser_params == IMS_VAL_MAX_PARAMS) {
				fprintf(stderr, "iommusim: validate: more than %d --param options\n",
					IMS_VAL_MAX_PARAMS);
				return EXIT_USAGE;
			}
			user_params[nuser_params++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iommusim: validate: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	for (const char *p = only; p && *p;) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (unsigned i = 0; i < ims_val_check_count; i++)
			found |= strlen(ims_val_checks[i].name) == len &&
				 !strncmp(ims_val_checks[i].name, p, len);
		if (!found) {
			fprintf(stderr, "iommusim: validate: no check '%.*s' (iommusim validate --list)\n",
				(int)len, p);
			return EXIT_USAGE;
		}
		p += len + (p[len] == ',');
	}
	if (nuser_params) {   /* a bad --param is a usage error, before anything runs */
		struct ims_paramset ps;
		struct ims_error err = { 0 };

		if (ims_paramset_build(&ps, NULL, NULL, user_params, nuser_params, &err)) {
			char buf[1024];

			fprintf(stderr, "iommusim: validate: %s\n",
				ims_error_format(&err, buf, sizeof(buf)));
			return EXIT_USAGE;
		}
	}
	if (list) {
		for (unsigned i = 0; i < ims_val_check_count; i++)
			printf("%-16s %s\n", ims_val_checks[i].name, ims_val_checks[i].title);
		return 0;
	}
	checks = json_array();
	for (unsigned i = 0; i < ims_val_check_count; i++) {
		const struct ims_val_check *chk = &ims_val_checks[i];
		struct ims_val_ctx ctx = { .nuser_params = nuser_params };
		struct ims_error err = { 0 };
		bool failed = false;

		memcpy(ctx.user_params, user_params, nuser_params * sizeof(*user_params));
		if (!selected(only, chk->name))
			continue;
		if (chk->run(&ctx, &err)) {
			char buf[1024];

			fprintf(stderr, "iommusim: validate %s: %s\n", chk->name,
				ims_error_format(&err, buf, sizeof(buf)));
			free(ctx.rows);
			rc = EXIT_FAILURE;
			continue;
		}
		for (unsigned k = 0; k < ctx.nrows; k++)
			failed |= ctx.rows[k].verdict == IMS_VAL_FAIL;
		any_failed |= failed;
		print_check(stdout, chk, &ctx);
		fflush(stdout);
		json_array_append_new(checks, check_json(chk, &ctx, failed));
		free(ctx.rows);
	}
	printf("validate: %s\n", rc ? "a check could not run" :
	       any_failed ? "FAIL (a row left its tolerance)" : "pass");
	if (json_path) {
		struct ims_error err = { 0 };
		json_t *j = json_pack("{s:{s:s, s:i}, s:b, s:o}", "iommusim", "version", IMS_VERSION,
				      "results_format", IMS_RESULTS_FORMAT, "pass",
				      !any_failed && !rc, "checks", checks);

		if (ims_results_write(j, json_path, &err)) {
			char buf[1024];

			fprintf(stderr, "iommusim: %s\n", ims_error_format(&err, buf, sizeof(buf)));
			rc = EXIT_FAILURE;
		}
		json_decref(j);
	} else {
		json_decref(checks);
	}
	return rc ? rc : any_failed ? EXIT_FAILURE : 0;
}
