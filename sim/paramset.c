#include "sim/paramset.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ims_param_index(const char *name, size_t len)
{
	for (unsigned i = 0; i < ims_param_count; i++)
		if (strlen(ims_param_table[i].name) == len &&
		    !strncmp(ims_param_table[i].name, name, len))
			return (int)i;
	return -1;
}

/* ---- parameter files ------------------------------------------------------ */

void ims_param_file_free(struct ims_param_file *f)
{
	for (unsigned i = 0; i < f->n; i++)
		free(f->entries[i].value);
	free(f->entries);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* One line, without its newline: 0 (entry added or nothing on it) or an
 * error without a location. */
static int file_line(struct ims_param_file *f, char *line, size_t len, unsigned lineno,
		     struct ims_error *err)
{
	struct ims_param_file_entry *grown;
	char assign[512], *eq, *name, *value, *hash;
	struct ims_params scratch;
	int idx, rc;

	if (strlen(line) != len)
		return ims_error_set(err, IMS_ESYNTAX, "a NUL byte in the line");
	if ((hash = strchr(line, '#')))
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 0;
	if (!(eq = strchr(line, '=')))
		return ims_error_set(err, IMS_ESYNTAX, "expected 'name = value', got '%.80s'", line);
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (!*name || !*value)
		return ims_error_set(err, IMS_ESYNTAX, "expected 'name = value' (%s missing)",
				     *name ? "value" : "name");
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return ims_error_set(err, IMS_ESYNTAX, "'%.80s' is not a parameter name",
					     name);
	for (const char *c = value; *c; c++)
		if (isspace((unsigned char)*c) || *c == '=')
			return ims_error_set(err, IMS_ESYNTAX, "%s: one value expected, got '%.80s'",
					     name, value);
	if ((idx = ims_param_index(name, strlen(name))) < 0)
		return ims_error_set(err, IMS_ENOENT, "unknown parameter '%.80s' (see 'iommusim params')",
				     name);
	for (unsigned i = 0; i < f->n; i++)
		if (f->entries[i].param == (unsigned)idx)
			return ims_error_set(err, IMS_EEXIST, "%s already set on line %u", name,
					     f->entries[i].line);
	/* the value, checked as --param would check it */
	if ((size_t)snprintf(assign, sizeof(assign), "%s=%s", name, value) >= sizeof(assign))
		return ims_error_set(err, IMS_EINVAL, "%s: value too long", name);
	ims_params_default(&scratch);
	if ((rc = ims_params_set(&scratch, assign, err)))
		return rc;
	grown = realloc(f->entries, (f->n + 1) * sizeof(*grown));
	if (!grown)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	f->entries = grown;
	if (!(grown[f->n].value = strdup(value)))
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	grown[f->n].param = (unsigned)idx;
	grown[f->n].line = lineno;
	f->n++;
	return 0;
}

int ims_param_file_opt(const char **path, unsigned *given, const char *arg,
		       struct ims_error *err)
{
	/* counted rather than *path tested: a test of a pointer that came
	 * from optarg makes clang's analyzer take optarg for possibly null in
	 * the caller's option loop ever after */
	if ((*given)++)
		return ims_error_set(err, IMS_EINVAL, "one --params file only");
	*path = arg;
	return 0;
}

int ims_param_file_load(struct ims_param_file *out, const char *path, struct ims_error *err)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!in) {
		rc = ims_error_set(err, IMS_EIO, "cannot read parameters: %s", strerror(errno));
		ims_error_locate(err, path, 0);
		return rc;
	}
	if (!(out->path = strdup(path)))
		rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
	while (!rc && (got = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)got;

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((rc = file_line(out, line, len, lineno, err)))
			ims_error_locate(err, path, lineno);
	}
	if (!rc && ferror(in)) {
		rc = ims_error_set(err, IMS_EIO, "read error: %s", strerror(errno));
		ims_error_locate(err, path, 0);
	}
	free(line);
	fclose(in);
	if (rc)
		ims_param_file_free(out);
	return rc;
}

/* ---- layers ---------------------------------------------------------------- */

void ims_paramset_init(struct ims_paramset *out)
{
	memset(out, 0, sizeof(*out));
	ims_params_default(&out->p);
}

int ims_paramset_apply_preset(struct ims_paramset *s, const struct ims_preset *preset,
			      struct ims_error *err)
{
	char assign[512];

	s->preset = preset;
	for (unsigned k = 0; k < preset->nvalues; k++) {
		const struct ims_preset_value *v = &preset->values[k];
		int idx = ims_param_index(v->param, strlen(v->param));

		snprintf(assign, sizeof(assign), "%s=%s", v->param, v->value);
		if (idx < 0 || ims_params_set(&s->p, assign, err))
			return ims_error_set(err, IMS_EINVAL, "preset %s: %s=%s refused",
					     preset->name, v->param, v->value);
		s->where[idx] = (struct ims_param_where){ IMS_PARAM_FROM_PRESET, 0, v->source };
	}
	return 0;
}

void ims_paramset_apply_file(struct ims_paramset *s, const struct ims_param_file *file)
{
	char assign[512];

	s->file = file;
	for (unsigned k = 0; k < file->n; k++) {
		const struct ims_param_file_entry *e = &file->entries[k];

		snprintf(assign, sizeof(assign), "%s=%s", ims_param_table[e->param].name, e->value);
		/* checked when the file was read */
		if (ims_params_set(&s->p, assign, NULL) == 0)
			s->where[e->param] = (struct ims_param_where){ IMS_PARAM_FROM_FILE, e->line,
									NULL };
	}
}

int ims_paramset_set(struct ims_paramset *s, const char *assignment, struct ims_error *err)
{
	const char *eq = strchr(assignment, '=');
	int rc = ims_params_set(&s->p, assignment, err);

	if (rc)
		return rc;
	s->where[ims_param_index(assignment, (size_t)(eq - assignment))] =
		(struct ims_param_where){ IMS_PARAM_FROM_CLI, 0, NULL };
	return 0;
}

int ims_paramset_build(struct ims_paramset *out, const struct ims_preset *preset,
		       const struct ims_param_file *file, const char *const *assignments,
		       unsigned nassignments, struct ims_error *err)
{
	int rc;

	ims_paramset_init(out);
	if (preset && (rc = ims_paramset_apply_preset(out, preset, err)))
		return rc;
	if (file)
		ims_paramset_apply_file(out, file);
	for (unsigned i = 0; i < nassignments; i++)
		if ((rc = ims_paramset_set(out, assignments[i], err)))
			return rc;
	return 0;
}

/* Whether the set passes validation with parameter i back at its default
 * (and i's value came from the file). */
static bool file_value_breaks(const struct ims_paramset *s, unsigned i)
{
	struct ims_params p = s->p, def;
	char assign[128];

	if (s->where[i].from != IMS_PARAM_FROM_FILE)
		return false;
	ims_params_default(&def);
	if (ims_param_table[i].kind == IMS_PARAM_COST)
		snprintf(assign, sizeof(assign), "%s=%.17g", ims_param_table[i].name,
			 ims_params_get(&def, i));
	else
		snprintf(assign, sizeof(assign), "%s=%llu", ims_param_table[i].name,
			 (unsigned long long)ims_params_get_u64(&def, i));
	return ims_params_set(&p, assign, NULL) == 0 && ims_params_validate(&p, NULL) == 0;
}

int ims_paramset_validate(const struct ims_paramset *s, struct ims_error *err)
{
	int rc = ims_params_validate(&s->p, err), idx;
	const struct ims_param_where *w;

	if (!rc || !err)
		return rc;
	/* the messages begin with the parameter they are about */
	idx = ims_param_index(err->msg, strcspn(err->msg, ":"));
	if (idx < 0)
		return rc;
	w = &s->where[idx];
	if (w->from != IMS_PARAM_FROM_FILE && s->file) {
		/* the rule ties it to another parameter (iotlb_entries to
		 * iotlb_ways): blame the file line whose value, back at its
		 * default, would pass */
		for (unsigned k = 0; k < s->file->n; k++)
			if (file_value_breaks(s, s->file->entries[k].param)) {
				w = &s->where[s->file->entries[k].param];
				break;
			}
	}
	if (w->from == IMS_PARAM_FROM_FILE) {
		ims_error_locate(err, s->file->path, w->line);
	} else if (w->from == IMS_PARAM_FROM_PRESET) {
		size_t used = strlen(err->msg);

		snprintf(err->msg + used, sizeof(err->msg) - used, " (set by preset %s)",
			 s->preset->name);
	}
	return rc;
}

const char *ims_paramset_source(const struct ims_paramset *s, unsigned i, char *buf, size_t len)
{
	const struct ims_param_where *w = &s->where[i];

	switch (w->from) {
	case IMS_PARAM_FROM_PRESET: return w->source;
	case IMS_PARAM_FROM_FILE: snprintf(buf, len, "%s:%u", s->file->path, w->line); return buf;
	case IMS_PARAM_FROM_CLI: return "--param";
	default: return ims_param_table[i].source;
	}
}
