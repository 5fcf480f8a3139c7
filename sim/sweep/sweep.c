#include "sim/sweep/sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "sim/cleanup.h"
#include "sim/gen/gen.h"
#include "sim/host/dirty_strategy.h"
#include "sim/params.h"
#include "sim/paramset.h"
#include "sim/pool/pool.h"
#include "sim/results.h"
#include "sim/run.h"

#define GEN_PREFIX "gen:"

/* Everything one grid point runs with. */
struct point {
	const struct ims_model_ops *model;
	struct ims_strategies strategies;
	struct ims_paramset params;
	bool gen;
	struct ims_gen_cfg cfg;
	char label[1024];       /* the input as results name it */
};

void ims_sweep_init(struct ims_sweep *s)
{
	memset(s, 0, sizeof(*s));
}

void ims_sweep_fini(struct ims_sweep *s)
{
	for (unsigned a = 0; a < s->naxes; a++)
		for (unsigned v = 0; v < s->axes[a].nvalues; v++)
			free(s->axes[a].values[v]);
	s->naxes = 0;
}

int ims_sweep_add_axis(struct ims_sweep *s, const char *spec, struct ims_error *err)
{
	const char *eq = strchr(spec, '=');
	struct ims_sweep_axis *ax;
	const char *p;

	if (!eq || eq == spec || !eq[1])
		return ims_error_set(err, IMS_EINVAL, "--vary '%s': expected name=v1,v2,...", spec);
	if (s->naxes == IMS_SWEEP_MAX_AXES)
		return ims_error_set(err, IMS_EINVAL, "at most %d --vary axes", IMS_SWEEP_MAX_AXES);
	if ((size_t)(eq - spec) >= sizeof(ax->name))
		return ims_error_set(err, IMS_EINVAL, "--vary '%s': name too long", spec);
	ax = &s->axes[s->naxes];
	memset(ax, 0, sizeof(*ax));
	memcpy(ax->name, spec, (size_t)(eq - spec));
	for (unsigned a = 0; a < s->naxes; a++)
		if (!strcmp(s->axes[a].name, ax->name))
			return ims_error_set(err, IMS_EINVAL, "--vary %s given twice", ax->name);
	for (p = eq + 1;;) {
		size_t n = strcspn(p, ",");
		int rc = 0;

		if (n == 0)
			rc = ims_error_set(err, IMS_EINVAL, "--vary %s: empty value", ax->name);
		else if (ax->nvalues == IMS_SWEEP_MAX_VALUES)
			rc = ims_error_set(err, IMS_EINVAL, "--vary %s: more than %d values",
					   ax->name, IMS_SWEEP_MAX_VALUES);
		else if (!(ax->values[ax->nvalues] = strndup(p, n)))
			rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
		if (rc) {
			/* the axis is not added: drop the values it had */
			while (ax->nvalues)
				free(ax->values[--ax->nvalues]);
			return rc;
		}
		ax->nvalues++;
		if (!p[n])
			break;
		p += n + 1;
	}
	s->naxes++;
	return 0;
}

unsigned ims_sweep_points(const struct ims_sweep *s)
{
	unsigned n = 1;

	for (unsigned a = 0; a < s->naxes; a++)
		n *= s->axes[a].nvalues;
	return n;
}

/* The value index of each axis at point i (last axis fastest). */
static void point_indices(const struct ims_sweep *s, unsigned i, unsigned *idx)
{
	for (unsigned a = s->naxes; a-- > 0;) {
		idx[a] = i % s->axes[a].nvalues;
		i /= s->axes[a].nvalues;
	}
}

static bool is_param(const char *name)
{
	for (unsigned i = 0; i < ims_param_count; i++)
		if (!strcmp(ims_param_table[i].name, name))
			return true;
	return false;
}

static int find_model(const char *name, const struct ims_model_ops **out, struct ims_error *err)
{
	*out = ims_model_find(name);
	if (!*out)
		return ims_error_set(err, IMS_ENOENT, "unknown model '%s' (iommusim list)", name);
	return 0;
}

static int apply_strategy(struct ims_strategies *st, const char *spec, struct ims_error *err)
{
	char bad[64];

	if (ims_strategies_parse(st, spec, bad, sizeof(bad)))
		return ims_error_set(err, IMS_ENOENT,
				     "unknown strategy '%s', or a second one on its axis "
				     "(iommusim list)", bad);
	return 0;
}

/* Set a generator knob ("seed" included). */
static int gen_set(struct ims_gen_cfg *cfg, const char *name, const char *value,
		   struct ims_error *err)
{
	/* as iommusim-gen parses --seed (a bare "seed" in gen:WORKLOAD,... has
	 * no value: an error, not a null string) */
	if (!strcmp(name, "seed"))
		return ims_gen_parse_value(&ims_gen_seed_opt, value, &cfg->seed, err);
	if (!ims_gen_opt_find(cfg->w, name))
		return ims_error_set(err, IMS_ENOENT, "workload %s has no knob '%s' "
				     "(iommusim-gen %s --help)", cfg->w->name, name, cfg->w->name);
	return ims_gen_cfg_set(cfg, name, value, err);
}

/* "gen:WORKLOAD[,k=v...]" into cfg. */
static int parse_gen(struct ims_gen_cfg *cfg, const char *input, struct ims_error *err)
{
	char buf[1024], *save = NULL, *tok;
	const struct ims_gen_workload *w;

	if (strlen(input) >= sizeof(buf))
		return ims_error_set(err, IMS_EINVAL, "generator input longer than %zu characters",
				     sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", input + strlen(GEN_PREFIX));
	tok = strtok_r(buf, ",", &save);
	w = tok ? ims_gen_find(tok) : NULL;
	if (!w)
		return ims_error_set(err, IMS_ENOENT, "%s: unknown workload '%s' (iommusim-gen --help)",
				     input, tok ? tok : "");
	ims_gen_cfg_init(cfg, w);
	while ((tok = strtok_r(NULL, ",", &save))) {
		char *eq = strchr(tok, '=');
		int rc;

		if (eq)
			*eq = 0;
		if ((rc = gen_set(cfg, tok, eq ? eq + 1 : NULL, err)))
			return rc;
	}
	return 0;
}

/* Set point i up; values (may be NULL) receives {"axis": "value", ...}. */
static int point_setup(const struct ims_sweep *s, unsigned i, struct point *pt, json_t *values,
		       struct ims_error *err)
{
	/* zeroed: clang's analyzer cannot tell s->naxes stays put across the
	 * calls between point_indices and the loops that read idx */
	unsigned idx[IMS_SWEEP_MAX_AXES] = { 0 };
	const char *model = s->model ? s->model : s->preset ? s->preset->model : "vtd";
	int rc;

	memset(pt, 0, sizeof(*pt));
	point_indices(s, i, idx);
	pt->gen = !strncmp(s->input, GEN_PREFIX, strlen(GEN_PREFIX));
	if (pt->gen && (rc = parse_gen(&pt->cfg, s->input, err)))
		return rc;
	if ((rc = ims_paramset_build(&pt->params, s->preset, s->file, s->params, s->nparams, err)))
		return rc;
	ims_strategies_default(&pt->strategies);
	if (s->strategy && (rc = apply_strategy(&pt->strategies, s->strategy, err)))
		return rc;
	/* model and strategy first, so the axes on a strategy axis refine them */
	for (unsigned a = 0; a < s->naxes; a++) {
		const char *name = s->axes[a].name, *v = s->axes[a].values[idx[a]];

		if (!strcmp(name, "model"))
			model = v;
		else if (!strcmp(name, "strategy") && (rc = apply_strategy(&pt->strategies, v, err)))
			return rc;
	}
	if ((rc = find_model(model, &pt->model, err)))
		return rc;
	if (s->preset && strcmp(model, s->preset->model))
		return ims_error_set(err, IMS_EINVAL, "preset %s is for model %s, not %s: a sweep "
				     "with a preset runs its model only", s->preset->name,
				     s->preset->model, model);
	if (strlen(s->input) >= sizeof(pt->label))
		return ims_error_set(err, IMS_EINVAL, "sweep input longer than %zu characters",
				     sizeof(pt->label) - 1);
	snprintf(pt->label, sizeof(pt->label), "%s", s->input);
	for (unsigned a = 0; a < s->naxes; a++) {
		const char *name = s->axes[a].name, *v = s->axes[a].values[idx[a]];
		int axis = ims_strategy_axis_find(name);

		if (values)
			json_object_set_new(values, name, json_string(v));
		if (!strcmp(name, "model") || !strcmp(name, "strategy"))
			continue;
		if (axis >= 0) {
			const struct ims_dirty_strategy *st = ims_dirty_strategy_find(v);

			if (!st || st->axis != (enum ims_strategy_axis)axis)
				return ims_error_set(err, IMS_ENOENT, "--vary %s: '%s' is not one of "
						     "the %s strategies (iommusim list)", name, v,
						     name);
			ims_strategies_set(&pt->strategies, st);
		} else if (strncmp(name, "gen.", 4) && is_param(name)) {
			char assign[256];

			if ((size_t)snprintf(assign, sizeof(assign), "%s=%s", name, v) >= sizeof(assign))
				return ims_error_set(err, IMS_EINVAL, "--vary %s: value '%.40s...' too long",
						     name, v);
			if ((rc = ims_paramset_set(&pt->params, assign, err)))
				return rc;
		} else if (pt->gen) {
			const char *knob = strncmp(name, "gen.", 4) ? name : name + 4;
			size_t used = strlen(pt->label);

			if (strcmp(knob, "seed") && !ims_gen_opt_find(pt->cfg.w, knob))
				return ims_error_set(err, IMS_ENOENT,
						     "--vary %s: not a parameter (iommusim params), "
						     "model, strategy, unmap, sync, coherency, unmap-flush, "
						     "nor a knob "
						     "of %s (iommusim-gen %s --help)", name,
						     pt->cfg.w->name, pt->cfg.w->name);
			if ((rc = gen_set(&pt->cfg, knob, v, err)))
				return rc;
			/* the label names the point in its results: never cut it short */
			if ((size_t)snprintf(pt->label + used, sizeof(pt->label) - used, ",%s=%s", knob,
					     v) >= sizeof(pt->label) - used)
				return ims_error_set(err, IMS_EINVAL, "sweep point label longer than %zu "
						     "characters", sizeof(pt->label) - 1);
		} else {
			return ims_error_set(err, IMS_ENOENT,
					     "--vary %s: not a parameter (iommusim params), model, "
					     "strategy, unmap, sync, coherency or unmap-flush%s", name,
					     strncmp(name, "gen.", 4) ? "" :
					     "; gen.KNOB needs a gen:WORKLOAD input");
		}
	}
	if ((rc = ims_paramset_validate(&pt->params, err)))
		return rc;
	if (pt->gen && (rc = ims_gen_cfg_check(&pt->cfg, err)))
		return rc;
	return 0;
}

int ims_sweep_check(const struct ims_sweep *s, struct ims_error *err)
{
	unsigned n = ims_sweep_points(s);
	struct point *pt = malloc(sizeof(*pt));
	int rc = 0;

	if (!pt)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	if (strncmp(s->input, GEN_PREFIX, strlen(GEN_PREFIX)) && access(s->input, R_OK))
		rc = ims_error_set(err, IMS_EIO, "%s: %s", s->input, strerror(errno));
	for (unsigned i = 0; i < n && !rc; i++)
		rc = point_setup(s, i, pt, NULL, err);
	free(pt);
	return rc;
}

/* Generate the point's trace into a scratch directory and replay it. */
static int run_gen(struct ims_sim *sim, const struct point *pt, struct ims_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char dir[1024], path[1100];
	int rc, dir_cleanup, file_cleanup;

	snprintf(dir, sizeof(dir), "%s/ims-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!ims_cleanup_mkdtemp(dir, &dir_cleanup))
		return ims_error_set(err, IMS_EIO, "cannot make a scratch directory %s: %s", dir,
				     strerror(errno));
	snprintf(path, sizeof(path), "%s/trace.elf", dir);
	file_cleanup = ims_cleanup_add(path);
	rc = ims_gen_write_file(&pt->cfg, path, NULL, err);
	if (!rc)
		rc = ims_run_file(sim, path, pt->model, &pt->params.p, &pt->strategies, err);
	unlink(path);
	rmdir(dir);
	ims_cleanup_forget(file_cleanup);
	ims_cleanup_forget(dir_cleanup);
	return rc;
}

static json_t *run_point(void *ctx, unsigned i, struct ims_error *err)
{
	const struct ims_sweep *s = ctx;
	struct point *pt = malloc(sizeof(*pt));
	struct ims_sim *sim = malloc(sizeof(*sim));
	json_t *values = json_object(), *j = NULL;
	char name[96];
	int rc;

	if (!pt || !sim || !values) {
		ims_error_set(err, IMS_ENOMEM, "out of memory");
		goto out;
	}
	if (point_setup(s, i, pt, values, err))
		goto out;
	rc = pt->gen ? run_gen(sim, pt, err)
		     : ims_run_file(sim, s->input, pt->model, &pt->params.p, &pt->strategies, err);
	if (rc)
		goto out;
	ims_strategies_name(&pt->strategies, name, sizeof(name));
	j = json_pack("{s:O, s:o}", "values", values,
		      "results", ims_results_json_origin(sim, pt->label, name,
							 s->preset ? s->preset->name : NULL,
							 s->file ? s->file->path : NULL));
	ims_sim_fini(sim);
	if (!j)
		ims_error_set(err, IMS_ENOMEM, "cannot encode the results as JSON");
out:
	json_decref(values);
	free(sim);
	free(pt);
	return j;
}

int ims_sweep_run(json_t **out, const struct ims_sweep *s, struct ims_error *err)
{
	struct ims_pool_opts opts = { s->workers, s->progress, "sweep" };
	unsigned n = ims_sweep_points(s);
	json_t **results = calloc(n, sizeof(*results)), *points, *vary;
	int rc;

	*out = NULL;
	if (!results)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	if ((rc = ims_sweep_check(s, err)) ||
	    (rc = ims_pool_run(results, n, run_point, (void *)s, &opts, err))) {
		free(results);
		return rc;
	}
	points = json_array();
	vary = json_array();
	for (unsigned a = 0; a < s->naxes; a++)
		json_array_append_new(vary, json_string(s->axes[a].name));
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(points, results[i]);
	free(results);
	*out = json_pack("{s:{s:s, s:i}, s:{s:o, s:o, s:o}}",
			 "iommusim", "version", IMS_VERSION, "results_format", IMS_RESULTS_FORMAT,
			 "sweep", "input", ims_results_path_json(s->input), "vary", vary,
			 "points", points);
	if (!*out)
		return ims_error_set(err, IMS_ENOMEM, "cannot encode the sweep as JSON");
	return 0;
}
