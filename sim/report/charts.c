/* The report's charts: for each, charts/NAME.dat (tab-separated, a comment
 * header) and charts/NAME.gp (a gnuplot script writing NAME.svg from it, run
 * in charts/ so the user can edit and re-run it). docs/reports.md says what
 * each chart shows. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report/report_internal.h"

/* Strings in scripts are single-quoted: a quote doubles, nothing else is special. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
	fputc('\'', f);
}

/* Data fields are tab-separated; a label must hold no tab or newline. */
static void dat_label(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

struct chart {
	FILE *gp, *dat;
	struct rp_chart *info;
};

static int chart_begin(struct rp *r, struct chart *c, const char *name, const char *title,
		       const char *caption, struct ims_error *err)
{
	char rel[128];

	if (r->ncharts == RP_MAX_CHARTS)
		return ims_error_set(err, IMS_EINVAL, "more than %d charts", RP_MAX_CHARTS);
	c->info = &r->charts[r->ncharts];
	snprintf(c->info->name, sizeof(c->info->name), "%s", name);
	snprintf(c->info->title, sizeof(c->info->title), "%s", title);
	snprintf(c->info->caption, sizeof(c->info->caption), "%s", caption);
	snprintf(rel, sizeof(rel), "charts/%s.dat", name);
	c->dat = rp_open(r, rel, err);
	if (!c->dat)
		return -IMS_EIO;
	snprintf(rel, sizeof(rel), "charts/%s.gp", name);
	c->gp = rp_open(r, rel, err);
	if (!c->gp) {
		fclose(c->dat);
		return -IMS_EIO;
	}
	fprintf(c->gp, "# iommusim report chart: edit and re-run with `gnuplot %s.gp`\n"
		       "# (in this directory); it reads %s.dat and writes %s.svg.\n"
		       "set terminal svg size 1100,720 noenhanced font 'sans,12' background '#ffffff'\n"
		       "set output '%s.svg'\nset datafile separator '\\t'\nset title ",
		name, name, name, name);
	gp_str(c->gp, title);
	fputs("\nset key below\nset grid ytics\n", c->gp);
	fprintf(c->dat, "# %s: data of %s.gp\n", title, name);
	return 0;
}

static int chart_end(struct rp *r, struct chart *c, struct ims_error *err)
{
	char rel[128];
	int rc;

	snprintf(rel, sizeof(rel), "charts/%s.dat", c->info->name);
	rc = rp_close(c->dat, rel, err);
	snprintf(rel, sizeof(rel), "charts/%s.gp", c->info->name);
	if (rp_close(c->gp, rel, err) || rc)
		return -IMS_EIO;
	rc = rp_gnuplot_run(r, c->info->name, err);
	if (!rc)
		r->ncharts++;
	return rc;
}

/* A bar chart of runs: one row per run, a column per series; stacked or
 * side by side. */
static void bars_setup(struct chart *c, int stacked, const char *ylabel)
{
	fprintf(c->gp, "set style data histograms\nset style histogram %s\n"
		       "set style fill solid 0.85 border -1\nset boxwidth 0.8\n"
		       "set xtics rotate by 45 right\nset yrange [0:*]\n"
		       "set xlabel 'model and strategy (one bar%s per run)'\nset ylabel ",
		stacked ? "rowstacked" : "clustered gap 1", stacked ? "" : " group");
	gp_str(c->gp, ylabel);
	fputs("\n", c->gp);
}

static void bars_plot(struct chart *c, const char *const *series, unsigned n)
{
	fputs("plot", c->gp);
	for (unsigned s = 0; s < n; s++) {
		fprintf(c->gp, "%s '%s.dat' using %u%s title ", s ? ", \\\n    " : " ",
			c->info->name, s + 2, s ? "" : ":xtic(1)");
		gp_str(c->gp, series[s]);
	}
	fputs("\n", c->gp);
}

static int cost_chart(struct rp *r, struct ims_error *err)
{
	static const char *const series[] = {
		"host: software dirty walk (cyc_sw_dirty_walk)",
		"host: invalidation submit + wait (cyc_inv_cpu + cyc_inv_wait)",
		"host: other CPU work (map, unmap, pin, cache flush, other)",
		"DMA: post-flush IOTLB refill walks (cyc_refill_after_inv)",
		"DMA: other page walks (cyc_walk - refill)",
		"DMA: IOTLB lookups (cyc_dma_translation - cyc_walk)",
	};
	struct chart c;
	int rc = chart_begin(r, &c, "cost", "Cost breakdown per run: host CPU + DMA translation cycles",
			     "Each bar stacks six disjoint parts whose sum is cyc_host_total +"
			     " cyc_dma_translation: the host's CPU time (software dirty walk,"
			     " invalidation submit and wait, the rest) and the latency DMA spent"
			     " translating (walks refilling what a flush dropped, other walks,"
			     " IOTLB lookups).", err);

	if (rc)
		return rc;
	fputs("# run\tsw_dirty_walk\tinvalidation\thost_other\trefill\twalk_other\tlookup\n", c.dat);
	for (unsigned i = 0; i < r->nruns; i++) {
		const json_t *j = r->runs[i].j;
		uint64_t dirty = rp_stat(j, "cyc_sw_dirty_walk");
		uint64_t inv = rp_stat(j, "cyc_inv_cpu") + rp_stat(j, "cyc_inv_wait");
		uint64_t host = rp_stat(j, "cyc_host_total");
		uint64_t walk = rp_stat(j, "cyc_walk"), refill = rp_stat(j, "cyc_refill_after_inv");
		uint64_t xlate = rp_stat(j, "cyc_dma_translation");

		dat_label(c.dat, r->runs[i].label);
		fprintf(c.dat, "\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu\n", (unsigned long long)dirty,
			(unsigned long long)inv,
			(unsigned long long)(host > dirty + inv ? host - dirty - inv : 0),
			(unsigned long long)refill,
			(unsigned long long)(walk > refill ? walk - refill : 0),
			(unsigned long long)(xlate > walk ? xlate - walk : 0));
	}
	bars_setup(&c, 1, "cycles (reference clock)");
	bars_plot(&c, series, 6);
	return chart_end(r, &c, err);
}

static int dirty_chart(struct rp *r, struct ims_error *err)
{
	static const char *const series[] = {
		"missed: DMA wrote, no report covered (dirty_pages_missed)",
		"spurious: reported, never written (dirty_pages_spurious)",
	};
	struct chart c;
	int rc = chart_begin(r, &c, "dirty-accuracy", "Dirty tracking accuracy per run",
			     "Pages DMA wrote that no dirty report covered (lost for migration)"
			     " and pages reported dirty that DMA never wrote (copied for nothing),"
			     " in 4 KiB pages; zero is right.", err);

	if (rc)
		return rc;
	fputs("# run\tdirty_pages_missed\tdirty_pages_spurious\n", c.dat);
	for (unsigned i = 0; i < r->nruns; i++) {
		dat_label(c.dat, r->runs[i].label);
		fprintf(c.dat, "\t%llu\t%llu\n",
			(unsigned long long)rp_stat(r->runs[i].j, "dirty_pages_missed"),
			(unsigned long long)rp_stat(r->runs[i].j, "dirty_pages_spurious"));
	}
	bars_setup(&c, 0, "4 KiB pages");
	bars_plot(&c, series, 2);
	return chart_end(r, &c, err);
}

/* Two panels: what the flushes cost in lines, and what leaked. */
static int coherency_chart(struct rp *r, struct ims_error *err)
{
	struct chart c;
	int any = 0, rc;

	for (unsigned i = 0; i < r->nruns; i++)
		any |= rp_stat(r->runs[i].j, "cache_lines_flushed") ||
		       rp_stat(r->runs[i].j, "exposures") ||
		       rp_stat(r->runs[i].j, "dma_nonsnooped_lines");
	if (!any)
		return 0;
	rc = chart_begin(r, &c, "coherency", "Non-coherent DMA: cache lines flushed and exposures per run",
			 "Top: 64-byte lines the host flushed for non-coherent DMA and how many of"
			 " them were dirty (written back). Bottom: stale-data exposures (lines), a"
			 " device reading stale memory or the host reading a copy older than DMA's"
			 " data; zero is right.", err);
	if (rc)
		return rc;
	fputs("# run\tcache_lines_flushed\tcache_lines_written_back\texposure_dma_stale_read"
	      "\texposure_host_stale_read\n", c.dat);
	for (unsigned i = 0; i < r->nruns; i++) {
		const json_t *j = r->runs[i].j;

		dat_label(c.dat, r->runs[i].label);
		fprintf(c.dat, "\t%llu\t%llu\t%llu\t%llu\n",
			(unsigned long long)rp_stat(j, "cache_lines_flushed"),
			(unsigned long long)rp_stat(j, "cache_lines_written_back"),
			(unsigned long long)rp_stat(j, "exposure_dma_stale_read"),
			(unsigned long long)rp_stat(j, "exposure_host_stale_read"));
	}
	fputs("set terminal svg size 1100,1000 noenhanced font 'sans,12' background '#ffffff'\n"
	      "set output 'coherency.svg'\nset multiplot layout 2,1\n", c.gp);
	bars_setup(&c, 0, "64-byte lines");
	fputs("set xtics format ''\nset xlabel ''\n", c.gp);
	fputs("set title 'Lines flushed for non-coherent DMA'\n", c.gp);
	bars_plot(&c, (const char *const[]){ "lines flushed (cache_lines_flushed)",
					     "written back (cache_lines_written_back)" }, 2);
	fputs("set title 'Stale-data exposures'\nset xtics format '% h'\n"
	      "set xlabel 'model and strategy (one bar group per run)'\n"
	      "plot 'coherency.dat' using 4:xtic(1) title 'device read stale memory"
	      " (exposure_dma_stale_read)', \\\n    '' using 5 title 'host read an old copy"
	      " (exposure_host_stale_read)'\nunset multiplot\n", c.gp);
	return chart_end(r, &c, err);
}

static int latency_chart(struct rp *r, struct ims_error *err)
{
	struct chart c;
	unsigned plotted = 0;
	int rc;

	for (unsigned i = 0; i < r->nruns; i++)
		plotted += json_array_size(json_object_get(
			json_object_get(r->runs[i].j, "latency_histogram"), "count")) > 0;
	if (!plotted)
		return 0;
	rc = chart_begin(r, &c, "latency-cdf", "Translation latency distribution (CDF) per run",
			 "Fraction of translation requests whose latency is below x cycles, from"
			 " each run's latency_histogram (log2 buckets: a point is a bucket's upper"
			 " end, 2^(i+1) cycles). IOTLB hits make the first step, walks the rest.",
			 err);
	if (rc)
		return rc;
	fputs("set logscale x 2\nset format x '%.0f'\nset yrange [0:1.02]\n"
	      "set xlabel 'translation latency (cycles, log scale)'\n"
	      "set ylabel 'fraction of translations (cumulative)'\n"
	      "plot", c.gp);
	plotted = 0;
	for (unsigned i = 0; i < r->nruns; i++) {
		const json_t *h = json_object_get(r->runs[i].j, "latency_histogram");
		const json_t *lg2 = json_object_get(h, "bucket_lg2_cycles");
		const json_t *count = json_object_get(h, "count");
		uint64_t total = 0, cum = 0;

		if (!json_array_size(count) || json_array_size(lg2) != json_array_size(count))
			continue;
		for (size_t k = 0; k < json_array_size(count); k++)
			total += (uint64_t)json_integer_value(json_array_get(count, k));
		fputs("# ", c.dat);
		dat_label(c.dat, r->runs[i].label);
		fputs("\n# upper_end_cycles\tcumulative_fraction\n", c.dat);
		for (size_t k = 0; k < json_array_size(count); k++) {
			cum += (uint64_t)json_integer_value(json_array_get(count, k));
			fprintf(c.dat, "%.0f\t%.6f\n",
				ldexp(1.0, (int)json_integer_value(json_array_get(lg2, k)) + 1),
				total ? (double)cum / (double)total : 0.0);
		}
		fputs("\n\n", c.dat);
		fprintf(c.gp, "%s 'latency-cdf.dat' index %u using 1:2 with linespoints title ",
			plotted ? ", \\\n    " : " ", plotted);
		gp_str(c.gp, r->runs[i].label);
		plotted++;
	}
	fputs("\n", c.gp);
	return chart_end(r, &c, err);
}

/* --- sweeps ------------------------------------------------------------- */

static void value_text(char *buf, size_t size, const json_t *v)
{
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(buf, size, "?");
}

/* The other varied names' values of a point: its line's title. */
static void line_key(char *buf, size_t size, const json_t *vary, const char *x,
		     const json_t *values)
{
	size_t i, n = 0;
	json_t *name;

	buf[0] = 0;
	json_array_foreach(vary, i, name) {
		char v[128];

		if (!strcmp(json_string_value(name), x))
			continue;
		value_text(v, sizeof(v), json_object_get(values, json_string_value(name)));
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s=%s", n ? ", " : "",
				      json_string_value(name), v);
		if (n >= size)
			break;
	}
	if (!buf[0])
		snprintf(buf, size, "all points");
}

struct sweep_point {
	unsigned line;    /* index among the distinct line keys */
	double x;         /* the value, or its category's rank */
	unsigned order;   /* position in the file, to keep ties stable */
	const json_t *p;
};

static int point_cmp(const void *a, const void *b)
{
	const struct sweep_point *p = a, *q = b;

	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	if (p->x != q->x)
		return p->x < q->x ? -1 : 1;
	return p->order < q->order ? -1 : p->order > q->order;
}

static void sanitize(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		out[n++] = isalnum((unsigned char)*s) ? (char)tolower((unsigned char)*s) : '_';
	out[n] = 0;
}

enum sweep_metric { SWEEP_HIT, SWEEP_CPB };

static int sweep_chart(struct rp *r, unsigned si, const char *x, struct sweep_point *pts,
		       size_t npts, char (*keys)[256], int numeric,
		       enum sweep_metric m, struct ims_error *err)
{
	char name[64], sx[32], title[200], caption[600];
	struct chart c;
	unsigned line = UINT32_MAX;
	int rc;

	sanitize(sx, sizeof(sx), x);
	snprintf(name, sizeof(name), "sweep%u-%s-%s", si + 1, sx, m == SWEEP_HIT ? "hit" : "cpb");
	snprintf(title, sizeof(title), "%s against %s (sweep %u)",
		 m == SWEEP_HIT ? "IOTLB hit rate" : "DMA translation cycles per byte", x, si + 1);
	snprintf(caption, sizeof(caption), "Sweep %u of %s: %s at each value of %s, one line per"
		 " value of the other varied names.", si + 1, r->sweeps[si].source,
		 m == SWEEP_HIT ? "iotlb_hit_rate (IOTLB hits / lookups)"
				: "cyc_dma_translation / dma_bytes (lower is faster)", x);
	rc = chart_begin(r, &c, name, title, caption, err);
	if (rc)
		return rc;
	fprintf(c.dat, "# %s\tx\t%s\n", x, m == SWEEP_HIT ? "iotlb_hit_rate" : "cycles_per_byte");
	fputs("set xlabel ", c.gp);
	gp_str(c.gp, x);
	fprintf(c.gp, "\nset ylabel '%s'\n", m == SWEEP_HIT ? "IOTLB hit rate (fraction of lookups)"
							 : "DMA translation cycles per byte");
	if (m == SWEEP_HIT)
		fputs("set yrange [0:1.02]\n", c.gp);
	if (numeric) {
		double lo = pts[0].x, hi = pts[0].x;

		for (size_t i = 0; i < npts; i++) {
			lo = pts[i].x < lo ? pts[i].x : lo;
			hi = pts[i].x > hi ? pts[i].x : hi;
		}
		if (lo > 0 && hi / lo >= 16)
			fputs("set logscale x 2\n", c.gp);
	} else {
		fputs("set offsets 0.5, 0.5, 0, 0\n", c.gp);
	}
	fputs("plot", c.gp);
	for (size_t i = 0; i < npts; i++) {
		const json_t *res = json_object_get(pts[i].p, "results");
		char v[128];

		if (pts[i].line != line) {
			if (line != UINT32_MAX)
				fputs("\n\n", c.dat);
			line = pts[i].line;
			fputs("# ", c.dat);
			dat_label(c.dat, keys[line]);
			fputs("\n", c.dat);
			fprintf(c.gp, "%s '%s.dat' index %u using 2:3%s with linespoints title ",
				line ? ", \\\n    " : " ", name, line, numeric ? "" : ":xtic(1)");
			gp_str(c.gp, keys[line]);
		}
		value_text(v, sizeof(v), json_object_get(json_object_get(pts[i].p, "values"), x));
		dat_label(c.dat, v);
		fprintf(c.dat, "\t%.17g\t%.6f\n", pts[i].x,
			m == SWEEP_HIT ? json_number_value(json_object_get(
						 json_object_get(res, "derived"), "iotlb_hit_rate"))
				       : rp_cycles_per_byte(res));
	}
	fputs("\n", c.gp);
	return chart_end(r, &c, err);
}

/* For each varied name, the main rates against it, a line per combination
 * of the other names' values (in the order they first appear). */
static int sweep_charts(struct rp *r, unsigned si, struct ims_error *err)
{
	const json_t *vary = json_object_get(r->sweeps[si].sweep, "vary");
	const json_t *points = json_object_get(r->sweeps[si].sweep, "points");
	size_t npts = json_array_size(points), vi;
	struct sweep_point *pts = calloc(npts ? npts : 1, sizeof(*pts));
	char (*keys)[256] = calloc(npts ? npts : 1, sizeof(*keys));
	char (*cats)[128] = calloc(npts ? npts : 1, sizeof(*cats));
	json_t *xname;
	int rc = 0;

	if (!pts || !keys || !cats)
		rc = ims_error_set(err, IMS_ENOMEM, "out of memory");
	json_array_foreach(vary, vi, xname) {
		const char *x = json_string_value(xname);
		unsigned nkeys = 0, ncats = 0;
		int numeric = 1;

		if (rc || !npts)
			break;
		for (size_t i = 0; i < npts; i++)
			numeric &= json_is_number(json_object_get(
				json_object_get(json_array_get(points, i), "values"), x));
		for (size_t i = 0; i < npts; i++) {
			const json_t *p = json_array_get(points, i);
			const json_t *values = json_object_get(p, "values");
			char key[256], v[128];
			unsigned k = 0;

			line_key(key, sizeof(key), vary, x, values);
			while (k < nkeys && strcmp(keys[k], key))
				k++;
			if (k == nkeys)
				snprintf(keys[nkeys++], sizeof(keys[0]), "%s", key);
			pts[i] = (struct sweep_point){ .line = k, .order = (unsigned)i, .p = p };
			if (numeric) {
				pts[i].x = json_number_value(json_object_get(values, x));
				continue;
			}
			value_text(v, sizeof(v), json_object_get(values, x));
			for (k = 0; k < ncats && strcmp(cats[k], v); k++)
				;
			if (k == ncats)
				snprintf(cats[ncats++], sizeof(cats[0]), "%s", v);
			pts[i].x = k;
		}
		qsort(pts, npts, sizeof(*pts), point_cmp);
		rc = sweep_chart(r, si, x, pts, npts, keys, numeric, SWEEP_HIT, err);
		if (!rc)
			rc = sweep_chart(r, si, x, pts, npts, keys, numeric, SWEEP_CPB, err);
	}
	free(pts);
	free(keys);
	free(cats);
	return rc;
}

/* A validation window sweep (rows with "window_bytes" whose points share
 * the text before " at "): the published range as a band, the tolerance
 * around it as dashed lines, the simulated values as points. */
static int validation_chart(struct rp *r, unsigned vi, const json_t *check, const char *series,
			    unsigned n, struct ims_error *err)
{
	const char *cname = json_string_value(json_object_get(check, "name"));
	char name[64], title[200], caption[600], unit[16] = "";
	const json_t *row;
	struct chart c;
	size_t k;
	int rc;

	snprintf(name, sizeof(name), "validate%u-%.20s-%u", vi + 1, cname, n);
	snprintf(title, sizeof(title), "%s: %s against window (published vs simulated)", cname,
		 series);
	snprintf(caption, sizeof(caption), "Validation check %s of %s: the published range (band),"
		 " the range widened by the tolerance (dashed) and the simulated value (points) at"
		 " each window (docs/calibration.md#validation).", cname, r->vals[vi].source);
	rc = chart_begin(r, &c, name, title, caption, err);
	if (rc)
		return rc;
	fputs("# window\twindow_bytes\tpublished_lo\tpublished_hi\tallowed_lo\tallowed_hi\t"
	      "simulated\n", c.dat);
	json_array_foreach(json_object_get(check, "rows"), k, row) {
		const char *point = json_string_value(json_object_get(row, "point"));
		const char *sim = json_string_value(json_object_get(row, "simulated"));
		const char *at = point ? strstr(point, " at ") : NULL;
		char label[32];

		if (!json_is_integer(json_object_get(row, "window_bytes")) || !at ||
		    (size_t)(at - point) != strlen(series) || strncmp(point, series, strlen(series)))
			continue;
		if (!unit[0] && sim && strchr(sim, ' '))
			snprintf(unit, sizeof(unit), "%s", strchr(sim, ' ') + 1);
		snprintf(label, sizeof(label), "%.*s", (int)strcspn(at + 4, " "), at + 4);
		dat_label(c.dat, label);
		fprintf(c.dat, "\t%lld\t%.6g\t%.6g\t%.6g\t%.6g\t%.6g\n",
			(long long)json_integer_value(json_object_get(row, "window_bytes")),
			json_number_value(json_object_get(row, "published_lo")),
			json_number_value(json_object_get(row, "published_hi")),
			json_number_value(json_object_get(row, "allowed_lo")),
			json_number_value(json_object_get(row, "allowed_hi")),
			json_number_value(json_object_get(row, "simulated_value")));
	}
	fputs("set xlabel 'window (bytes touched)'\nset logscale x 2\n"
	      "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05\nset ylabel ", c.gp);
	{
		char ylabel[80];

		snprintf(ylabel, sizeof(ylabel), "%s%s%s%s", series, unit[0] ? " (" : "", unit,
			 unit[0] ? ")" : "");
		gp_str(c.gp, ylabel);
	}
	fprintf(c.gp, "\nplot '%s.dat' using 2:3:4 with filledcurves fs transparent solid 0.3"
		      " title 'published (range of the runs)', \\\n"
		      "    '' using 2:5 with lines dt 2 lc rgb '#888888' title 'tolerance', \\\n"
		      "    '' using 2:6 with lines dt 2 lc rgb '#888888' notitle, \\\n"
		      "    '' using 2:7:xtic(1) with linespoints pt 7 title 'simulated'\n", name);
	return chart_end(r, &c, err);
}

static int validation_charts(struct rp *r, unsigned vi, struct ims_error *err)
{
	const json_t *check;
	size_t i;

	json_array_foreach(r->vals[vi].checks, i, check) {
		char seen[8][64];
		unsigned nseen = 0;
		const json_t *row;
		size_t k;

		json_array_foreach(json_object_get(check, "rows"), k, row) {
			const char *point = json_string_value(json_object_get(row, "point"));
			const char *at = point ? strstr(point, " at ") : NULL;
			char series[64];
			unsigned s;
			int rc;

			if (!at || !json_is_integer(json_object_get(row, "window_bytes")))
				continue;
			snprintf(series, sizeof(series), "%.*s", (int)(at - point), point);
			for (s = 0; s < nseen && strcmp(seen[s], series); s++)
				;
			if (s < nseen || nseen == 8)
				continue;
			memcpy(seen[nseen++], series, sizeof(series));
			if ((rc = validation_chart(r, vi, check, series, nseen, err)))
				return rc;
		}
	}
	return 0;
}

int rp_charts(struct rp *r, struct ims_error *err)
{
	int rc = 0;

	if (r->nruns) {
		rc = cost_chart(r, err);
		if (!rc)
			rc = dirty_chart(r, err);
		if (!rc)
			rc = coherency_chart(r, err);
		if (!rc)
			rc = latency_chart(r, err);
	}
	for (unsigned s = 0; s < r->nsweeps && !rc; s++)
		rc = sweep_charts(r, s, err);
	for (unsigned v = 0; v < r->nvals && !rc; v++)
		rc = validation_charts(r, v, err);
	return rc;
}
