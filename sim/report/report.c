/* iommusim report: read results JSON, build the report in DIR.tmp-XXXXXX,
 * rename it to DIR. The charts come from charts.c; the tables are here. */
#define _GNU_SOURCE   /* nftw's FTW_DEPTH, FTW_PHYS */
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cleanup.h"
#include "sim/report/report.h"
#include "sim/report/report_internal.h"
#include "sim/results.h"

uint64_t rp_stat(const json_t *run, const char *name)
{
	json_t *v = json_object_get(json_object_get(run, "stats"), name);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

double rp_derived(const json_t *run, const char *name)
{
	return json_number_value(json_object_get(json_object_get(run, "derived"), name));
}

double rp_cycles_per_byte(const json_t *run)
{
	uint64_t bytes = rp_stat(run, "dma_bytes");

	return bytes ? (double)rp_stat(run, "cyc_dma_translation") / (double)bytes : 0.0;
}

FILE *rp_open(const struct rp *r, const char *rel, struct ims_error *err)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", r->dir, rel);
	f = fopen(path, "w");
	if (!f)
		ims_error_set(err, IMS_EIO, "cannot create %s: %s", rel, strerror(errno));
	return f;
}

int rp_close(FILE *f, const char *rel, struct ims_error *err)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad)
		return ims_error_set(err, IMS_EIO, "cannot write %s", rel);
	return 0;
}

/* --- inputs ------------------------------------------------------------- */

static int is_run(const json_t *j)
{
	return json_is_object(j) && json_is_object(json_object_get(j, "iommusim")) &&
	       json_is_object(json_object_get(j, "stats")) &&
	       json_is_string(json_object_get(j, "model")) &&
	       json_is_string(json_object_get(j, "strategy"));
}

static int add_run(struct rp *r, const json_t *j, const char *source)
{
	struct rp_run *runs = realloc(r->runs, (r->nruns + 1) * sizeof(*runs));

	if (!runs)
		return -1;
	r->runs = runs;
	runs[r->nruns].j = j;
	runs[r->nruns].source = source;
	snprintf(runs[r->nruns].label, sizeof(runs[r->nruns].label), "%s %s",
		 json_string_value(json_object_get(j, "model")),
		 json_string_value(json_object_get(j, "strategy")));
	r->nruns++;
	return 0;
}

static int not_ours(struct ims_error *err, const char *path, const char *why)
{
	ims_error_set(err, IMS_EINVAL, "not iommusim results (%s): expected what 'iommusim run"
		      " --json', 'iommusim compare --json' or a sweep writes (docs/reports.md)", why);
	ims_error_locate(err, path, 0);
	return -IMS_EINVAL;
}

/* A sweep file: {"iommusim": {...}, "sweep": {"vary": [names], "points":
 * [{"values": {...}, "results": run}, ...]}}. */
static int check_sweep(const json_t *sweep, const char *path, struct ims_error *err)
{
	const json_t *vary = json_object_get(sweep, "vary"), *points = json_object_get(sweep, "points");
	size_t i;
	json_t *p;

	if (!json_is_array(vary) || !json_array_size(vary) || !json_is_array(points))
		return not_ours(err, path, "a sweep needs a 'vary' list of names and a 'points' list");
	json_array_foreach(vary, i, p)
		if (!json_is_string(p))
			return not_ours(err, path, "a sweep's 'vary' holds parameter names");
	json_array_foreach(points, i, p) {
		const json_t *values = json_object_get(p, "values");
		size_t k;
		json_t *name;

		if (!json_is_object(values) || !is_run(json_object_get(p, "results")))
			return not_ours(err, path, "a sweep point needs 'values' and run 'results'");
		json_array_foreach(vary, k, name)
			if (!json_object_get(values, json_string_value(name)))
				return not_ours(err, path, "a sweep point lacks a value of a varied name");
	}
	return 0;
}

static int load(struct rp *r, const char *path, struct ims_error *err)
{
	json_error_t jerr;
	json_t *j, *runs;
	FILE *f = fopen(path, "r");

	if (!f) {
		ims_error_set(err, IMS_EIO, "cannot open: %s", strerror(errno));
		ims_error_locate(err, path, 0);
		return -IMS_EIO;
	}
	j = json_loadf(f, 0, &jerr);
	fclose(f);
	if (!j) {
		ims_error_set(err, IMS_ESYNTAX, "not JSON: %s", jerr.text);
		ims_error_locate(err, path, jerr.line > 0 ? (uint64_t)jerr.line : 0);
		return -IMS_ESYNTAX;
	}
	r->docs[r->ndocs++] = j;
	runs = json_object_get(j, "runs");
	if (is_run(j))
		return add_run(r, j, path) ? ims_error_set(err, IMS_ENOMEM, "out of memory") : 0;
	if (json_is_array(runs) && json_array_size(runs)) {
		size_t i;
		json_t *run;

		json_array_foreach(runs, i, run)
			if (!is_run(run))
				return not_ours(err, path, "an entry of 'runs' is not a run's results");
		json_array_foreach(runs, i, run)
			if (add_run(r, run, path))
				return ims_error_set(err, IMS_ENOMEM, "out of memory");
		return 0;
	}
	if (json_is_object(json_object_get(j, "iommusim")) &&
	    json_is_object(json_object_get(j, "sweep"))) {
		struct rp_sweep *s;
		int rc = check_sweep(json_object_get(j, "sweep"), path, err);

		if (rc)
			return rc;
		s = realloc(r->sweeps, (r->nsweeps + 1) * sizeof(*s));
		if (!s)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		r->sweeps = s;
		s[r->nsweeps].sweep = json_object_get(j, "sweep");
		s[r->nsweeps++].source = path;
		return 0;
	}
	if (json_is_object(json_object_get(j, "iommusim")) &&
	    json_is_array(json_object_get(j, "checks"))) {
		const json_t *checks = json_object_get(j, "checks"), *c;
		struct rp_val *v;
		size_t i;

		json_array_foreach(checks, i, c)
			if (!json_is_string(json_object_get(c, "name")) ||
			    !json_is_array(json_object_get(c, "rows")))
				return not_ours(err, path, "a validation check needs a 'name' and "
						"'rows'");
		v = realloc(r->vals, (r->nvals + 1) * sizeof(*v));
		if (!v)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		r->vals = v;
		v[r->nvals].checks = checks;
		v[r->nvals++].source = path;
		return 0;
	}
	return not_ours(err, path, "no 'iommusim' block with 'stats', 'runs', 'sweep' or 'checks'");
}

/* A row's text field ("" when absent). */
static const char *row_str(const json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));

	return s ? s : "";
}

static const char *const val_columns[] = { "point", "model", "published", "simulated",
					   "tolerance", "verdict" };
#define NVAL_COLUMNS (sizeof(val_columns) / sizeof(val_columns[0]))

/* --- tables ------------------------------------------------------------- */

enum col_kind { COL_STAT, COL_RATE, COL_CPB };

/* A column of a feature (ATS, lazy unmaps, non-coherent DMA) is shown when
 * a run used the feature: its `used` stat is not 0 there. Then every run
 * shows its value, zeros included (no stale DMA, strict's exposure). */
#define ALWAYS NULL
static const struct column {
	const char *label;
	const char *key;     /* stat name, or derived name */
	enum col_kind kind;
	const char *used;    /* a stat that is not 0 when the feature was used */
} columns[] = {
	{ "translations", "translations", COL_STAT, ALWAYS },
	{ "IOTLB hit rate", "iotlb_hit_rate", COL_RATE, ALWAYS },
	{ "cycles/translation", "translation_cycles_avg", COL_RATE, ALWAYS },
	{ "translation cycles/byte", NULL, COL_CPB, ALWAYS },
	{ "DMA translation cycles", "cyc_dma_translation", COL_STAT, ALWAYS },
	{ "walk cycles", "cyc_walk", COL_STAT, ALWAYS },
	{ "post-flush refill cycles", "cyc_refill_after_inv", COL_STAT, ALWAYS },
	{ "host CPU cycles", "cyc_host_total", COL_STAT, ALWAYS },
	{ "invalidation wait cycles", "cyc_inv_wait", COL_STAT, ALWAYS },
	{ "of which device-TLB (ATS) cycles", "cyc_inv_devtlb_wait", COL_STAT, "atc_miss" },
	{ "software dirty walk cycles", "cyc_sw_dirty_walk", COL_STAT, ALWAYS },
	{ "IOTLB syncs", "iotlb_syncs", COL_STAT, ALWAYS },
	{ "ATC hits", "atc_hit", COL_STAT, "atc_miss" },
	{ "ATS translation requests", "atc_miss", COL_STAT, "atc_miss" },
	{ "unmaps queued (lazy)", "fq_unmaps", COL_STAT, "fq_unmaps" },
	{ "most unmaps queued", "fq_occupancy_max", COL_STAT, "fq_unmaps" },
	{ "unmaps exposed", "unmap_exposed", COL_STAT, "fq_unmaps" },
	{ "exposure window cycles", "cyc_unmap_exposure", COL_STAT, "fq_unmaps" },
	{ "longest exposure window", "cyc_unmap_exposure_max", COL_STAT, "fq_unmaps" },
	{ "stale DMAs", "stale_dmas", COL_STAT, "fq_unmaps" },
	{ "dirty pages reported", "dirty_pages_reported", COL_STAT, ALWAYS },
	{ "dirty pages missed", "dirty_pages_missed", COL_STAT, ALWAYS },
	{ "dirty pages spurious", "dirty_pages_spurious", COL_STAT, ALWAYS },
	{ "faults", "faults", COL_STAT, ALWAYS },
	{ "lines flushed", "cache_lines_flushed", COL_STAT, "dma_nonsnooped_lines" },
	{ "exposures (lines)", "exposures", COL_STAT, "dma_nonsnooped_lines" },
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static bool column_shown(const struct rp *r, unsigned c)
{
	if (columns[c].used == ALWAYS)
		return true;
	for (unsigned i = 0; i < r->nruns; i++)
		if (rp_stat(r->runs[i].j, columns[c].used))
			return true;
	return false;
}

/* The columns the runs' table has, decided once per table (a check runs
 * over every run). Returns how many went into cols. */
static unsigned shown_columns(const struct rp *r, const struct column *cols[NCOLUMNS])
{
	unsigned n = 0;

	for (unsigned c = 0; c < NCOLUMNS; c++)
		if (column_shown(r, c))
			cols[n++] = &columns[c];
	return n;
}

static void cell(char *buf, size_t size, const json_t *run, const struct column *c)
{
	switch (c->kind) {
	case COL_STAT:
		snprintf(buf, size, "%llu", (unsigned long long)rp_stat(run, c->key));
		break;
	case COL_RATE:
		snprintf(buf, size, "%.4f", rp_derived(run, c->key));
		break;
	case COL_CPB:
		snprintf(buf, size, "%.4f", rp_cycles_per_byte(run));
		break;
	}
}

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (strchr("|\\`*_[]<>", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static const char *trace_of(const json_t *run)
{
	const char *t = json_string_value(json_object_get(run, "trace"));

	return t ? t : "";
}

static int write_html(const struct rp *r, struct ims_error *err)
{
	FILE *f = rp_open(r, "index.html", err);
	char buf[64];

	if (!f)
		return -IMS_EIO;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>iommusim report</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 1.5em; color: #222; }\n"
	      "table { border-collapse: collapse; font-size: 0.85em; }\n"
	      "th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; }\n"
	      "th { background: #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
	      "figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }\n"
	      "</style>\n</head>\n<body>\n<h1>iommusim report</h1>\n<p>Inputs:", f);
	for (unsigned i = 0; i < r->ninputs; i++) {
		fputs(i ? ", <code>" : " <code>", f);
		html_text(f, r->inputs[i]);
		fputs("</code>", f);
	}
	fputs("</p>\n", f);
	if (r->nruns) {
		const struct column *cols[NCOLUMNS];
		unsigned ncols = shown_columns(r, cols);

		fputs("<h2>Runs</h2>\n<div style=\"overflow-x: auto\">\n<table>\n<tr><th>model</th><th>strategy</th><th>trace</th>", f);
		for (unsigned c = 0; c < ncols; c++) {
			fputs("<th>", f);
			html_text(f, cols[c]->label);
			fputs("</th>", f);
		}
		fputs("</tr>\n", f);
		for (unsigned i = 0; i < r->nruns; i++) {
			const json_t *run = r->runs[i].j;

			fputs("<tr><td>", f);
			html_text(f, json_string_value(json_object_get(run, "model")));
			fputs("</td><td>", f);
			html_text(f, json_string_value(json_object_get(run, "strategy")));
			fputs("</td><td>", f);
			html_text(f, trace_of(run));
			fputs("</td>", f);
			for (unsigned c = 0; c < ncols; c++) {
				cell(buf, sizeof(buf), run, cols[c]);
				fprintf(f, "<td class=\"n\">%s</td>", buf);
			}
			fputs("</tr>\n", f);
		}
		fputs("</table>\n</div>\n<p>Cycles are reference-clock cycles; pages are 4 KiB; lines are"
		      " 64-byte cache lines. Every counter: <code>iommusim run --json</code>"
		      " (sim/stats.def).</p>\n", f);
	}
	for (unsigned v = 0; v < r->nvals; v++) {
		const json_t *check, *row;
		size_t i, k;

		if (!v)
			fputs("<h2>Validation</h2>\n<p>The model against published measurements"
			      " (<code>iommusim validate</code>, docs/calibration.md).</p>\n", f);
		json_array_foreach(r->vals[v].checks, i, check) {
			fputs("<h3>", f);
			html_text(f, row_str(check, "name"));
			fputs(": ", f);
			html_text(f, row_str(check, "title"));
			fputs("</h3>\n<p>Published: ", f);
			html_text(f, row_str(check, "source"));
			fputs("</p>\n<table>\n<tr>", f);
			for (unsigned c = 0; c < NVAL_COLUMNS; c++)
				fprintf(f, "<th>%s</th>", val_columns[c]);
			fputs("</tr>\n", f);
			json_array_foreach(json_object_get(check, "rows"), k, row) {
				fputs("<tr>", f);
				for (unsigned c = 0; c < NVAL_COLUMNS; c++) {
					fputs(c >= 2 && c <= 4 ? "<td class=\"n\">" : "<td>", f);
					html_text(f, row_str(row, val_columns[c]));
					fputs("</td>", f);
				}
				fputs("</tr>\n", f);
			}
			fputs("</table>\n", f);
		}
	}
	if (r->ncharts)
		fputs("<h2>Charts</h2>\n", f);
	for (unsigned i = 0; i < r->ncharts; i++) {
		const struct rp_chart *c = &r->charts[i];

		fprintf(f, "<figure id=\"%s\">\n<img src=\"charts/%s.svg\" alt=\"", c->name, c->name);
		html_text(f, c->title);
		fputs("\">\n<figcaption>", f);
		html_text(f, c->caption);
		fprintf(f, " (<a href=\"charts/%s.gp\">gnuplot script</a>,"
			   " <a href=\"charts/%s.dat\">data</a>)</figcaption>\n</figure>\n",
			c->name, c->name);
	}
	fprintf(f, "<p>Made by iommusim %s <code>report</code>; re-draw a chart with"
		   " <code>cd charts &amp;&amp; gnuplot NAME.gp</code>.</p>\n</body>\n</html>\n",
		IMS_VERSION);
	return rp_close(f, "index.html", err);
}

static int write_md(const struct rp *r, struct ims_error *err)
{
	FILE *f = rp_open(r, "summary.md", err);
	char buf[64];

	if (!f)
		return -IMS_EIO;
	fputs("# iommusim report\n\nInputs:", f);
	for (unsigned i = 0; i < r->ninputs; i++) {
		fputs(i ? ", " : " ", f);
		md_text(f, r->inputs[i]);
	}
	fputs("\n", f);
	if (r->nruns) {
		const struct column *cols[NCOLUMNS];
		unsigned ncols = shown_columns(r, cols);

		fputs("\n| model | strategy |", f);
		for (unsigned c = 0; c < ncols; c++)
			fprintf(f, " %s |", cols[c]->label);
		fputs("\n| --- | --- |", f);
		for (unsigned c = 0; c < ncols; c++)
			fputs(" ---: |", f);
		fputs("\n", f);
		for (unsigned i = 0; i < r->nruns; i++) {
			const json_t *run = r->runs[i].j;

			fputs("| ", f);
			md_text(f, json_string_value(json_object_get(run, "model")));
			fputs(" | ", f);
			md_text(f, json_string_value(json_object_get(run, "strategy")));
			fputs(" |", f);
			for (unsigned c = 0; c < ncols; c++) {
				cell(buf, sizeof(buf), run, cols[c]);
				fprintf(f, " %s |", buf);
			}
			fputs("\n", f);
		}
		fputs("\nCycles are reference-clock cycles; pages are 4 KiB; lines are 64-byte cache"
		      " lines.\n", f);
	}
	for (unsigned v = 0; v < r->nvals; v++) {
		const json_t *check, *row;
		size_t i, k;

		if (!v)
			fputs("\n## Validation\n", f);
		json_array_foreach(r->vals[v].checks, i, check) {
			fputs("\n### ", f);
			md_text(f, row_str(check, "name"));
			fputs(": ", f);
			md_text(f, row_str(check, "title"));
			fputs("\n\n|", f);
			for (unsigned c = 0; c < NVAL_COLUMNS; c++)
				fprintf(f, " %s |", val_columns[c]);
			fputs("\n|", f);
			for (unsigned c = 0; c < NVAL_COLUMNS; c++)
				fputs(c >= 2 && c <= 4 ? " ---: |" : " --- |", f);
			fputs("\n", f);
			json_array_foreach(json_object_get(check, "rows"), k, row) {
				fputs("|", f);
				for (unsigned c = 0; c < NVAL_COLUMNS; c++) {
					fputs(" ", f);
					md_text(f, row_str(row, val_columns[c]));
					fputs(" |", f);
				}
				fputs("\n", f);
			}
		}
	}
	if (r->ncharts)
		fputs("\n## Charts\n\n", f);
	for (unsigned i = 0; i < r->ncharts; i++) {
		fputs("- [", f);
		md_text(f, r->charts[i].title);
		fprintf(f, "](charts/%s.svg): ", r->charts[i].name);
		md_text(f, r->charts[i].caption);
		fputs("\n", f);
	}
	return rp_close(f, "summary.md", err);
}

/* --- the directory ------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Put the finished tmp at dir. An older report there (a directory with an
 * index.html, or an empty one) is replaced; anything else is left alone. */
static int install(const char *tmp, const char *dir, struct ims_error *err)
{
	char old[4200], probe[4200];
	struct stat st;

	if (rename(tmp, dir) == 0)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOTDIR)
		return ims_error_set(err, IMS_EIO, "cannot rename %s to %s: %s", tmp, dir,
				     strerror(errno));
	snprintf(probe, sizeof(probe), "%s/index.html", dir);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(probe, F_OK) != 0)
		return ims_error_set(err, IMS_EEXIST, "%s exists and is not an iommusim report"
				     " (no index.html): not replacing it", dir);
	snprintf(old, sizeof(old), "%s.old-XXXXXX", dir);
	if (!mkdtemp(old) || rename(dir, old) != 0 || rename(tmp, dir) != 0)
		return ims_error_set(err, IMS_EIO, "cannot replace %s: %s", dir, strerror(errno));
	rm_tree(old);
	return 0;
}

int ims_report_write(const struct ims_report_opts *o, struct ims_error *err)
{
	struct rp r = { .inputs = o->inputs, .ninputs = o->ninputs };
	size_t n = strlen(o->out_dir);
	char *tmp = NULL, charts[4200];
	mode_t mask;
	int rc = 0;

	r.gnuplot = o->gnuplot ? o->gnuplot : "gnuplot";
	if (!o->ninputs)
		return ims_error_set(err, IMS_EINVAL, "no results files given");
	if (!rp_gnuplot_found(r.gnuplot))
		return ims_error_set(err, IMS_ENOENT, "gnuplot not found ('%s' is not in PATH):"
				     " install gnuplot (tools/bootstrap installs gnuplot-nox)",
				     r.gnuplot);
	r.docs = calloc(o->ninputs, sizeof(*r.docs));
	if (!r.docs)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	for (unsigned i = 0; i < o->ninputs && !rc; i++)
		rc = load(&r, o->inputs[i], err);
	if (!rc && !r.nruns && !r.nsweeps && !r.nvals)
		rc = ims_error_set(err, IMS_EINVAL, "the results hold no runs");
	/* Ctrl-C waits until the tree is installed or removed (seconds) */
	ims_cleanup_defer(&r.held);
	if (!rc && !(tmp = malloc(n + 16)))
		rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
	if (!rc && tmp) {
		snprintf(tmp, n + 16, "%s.tmp-XXXXXX", o->out_dir);
		if (!mkdtemp(tmp)) {
			rc = ims_error_set(err, IMS_EIO, "cannot create a directory next to %s: %s",
					   o->out_dir, strerror(errno));
			free(tmp);
			tmp = NULL;
		}
	}
	if (!rc) {
		/* mkdtemp makes it 0700; a report is as readable as any directory */
		mask = umask(0);
		umask(mask);
		chmod(tmp, 0777 & ~mask);
		r.dir = tmp;
		snprintf(charts, sizeof(charts), "%s/charts", tmp);
		if (mkdir(charts, 0777) != 0)
			rc = ims_error_set(err, IMS_EIO, "cannot create %s: %s", charts, strerror(errno));
	}
	if (!rc)
		rc = rp_charts(&r, err);
	if (!rc)
		rc = write_html(&r, err);
	if (!rc)
		rc = write_md(&r, err);
	if (!rc)
		rc = install(tmp, o->out_dir, err);
	if (rc && tmp)
		rm_tree(tmp);
	ims_cleanup_resume(&r.held);
	free(tmp);
	for (unsigned i = 0; i < r.ndocs; i++)
		json_decref(r.docs[i]);
	free(r.docs);
	free(r.runs);
	free(r.sweeps);
	free(r.vals);
	return rc;
}

/* --- the command -------------------------------------------------------- */

int ims_report_main(int argc, char **argv)
{
	const char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	struct ims_report_opts o = { .inputs = inputs };
	struct ims_error err = { 0 };
	char buf[1200], *dir = NULL;
	int rc;

	if (!inputs)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) {
			if (++i == argc)
				break;
			o.out_dir = argv[i];
		} else if (!strncmp(argv[i], "--output=", 9)) {
			o.out_dir = argv[i] + 9;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: iommusim report RESULTS.json... -o DIR\n"
			       "Writes DIR/index.html, DIR/summary.md and DIR/charts/NAME.{gp,dat,svg}\n"
			       "from the JSON of 'iommusim run --json', 'compare --json', a sweep or\n"
			       "'iommusim validate --json' "
			       "(docs/reports.md). Needs gnuplot.\n");
			free(inputs);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "iommusim report: unknown option '%s'\n", argv[i]);
			free(inputs);
			return 2;
		} else {
			inputs[o.ninputs++] = argv[i];
		}
	}
	if (!o.out_dir || !o.out_dir[0] || !o.ninputs) {
		fprintf(stderr, "usage: iommusim report RESULTS.json... -o DIR\n");
		free(inputs);
		return 2;
	}
	/* "report/" and "report" are the same directory; the rename wants the latter */
	dir = strdup(o.out_dir);
	if (!dir) {
		free(inputs);
		return 1;
	}
	for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
		dir[n - 1] = 0;
	o.out_dir = dir;
	rc = ims_report_write(&o, &err);
	if (rc)
		fprintf(stderr, "iommusim report: %s\n", ims_error_format(&err, buf, sizeof(buf)));
	else
		printf("report: %s/index.html\n", dir);
	free(dir);
	free(inputs);
	return rc ? 1 : 0;
}
