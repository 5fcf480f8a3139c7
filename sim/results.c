#include "sim/results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cleanup.h"

static const char *fault_kind_name(unsigned kind)
{
	switch (kind) {
	case IMS_FAULT_NOT_PRESENT: return "not-present";
	case IMS_FAULT_PERM: return "permission";
	case IMS_FAULT_ADDR: return "address-width";
	case IMS_FAULT_NO_DOMAIN: return "no-domain";
	default: return "none";
	}
}

json_t *ims_results_path_json(const char *path)
{
	json_t *j = json_string(path);
	char *safe;

	if (j)
		return j;
	/* not UTF-8: JSON cannot carry the bytes, so show them as '?' */
	safe = strdup(path);
	if (!safe)
		return NULL;
	for (char *c = safe; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	j = json_string(safe);
	free(safe);
	return j;
}

double ims_results_iotlb_hit_rate(const struct ims_stats *s)
{
	uint64_t n = IMS_STAT_GET(s, iotlb_hit) + IMS_STAT_GET(s, iotlb_miss);

	return n ? (double)IMS_STAT_GET(s, iotlb_hit) / (double)n : 0.0;
}

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static json_t *params_json(const struct ims_params *p)
{
	json_t *o = json_object();

	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];
		uint64_t v = ims_params_get_u64(p, i);
		json_t *val;

		if (d->kind == IMS_PARAM_COST) {
			val = json_real(ims_params_get(p, i));
		} else if (!strcmp(d->unit, "bitmap") || v > INT64_MAX) {
			/* JSON integers stop at 2^63; bitmaps read better in hex anyway */
			char hex[24];

			snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)v);
			val = json_string(hex);
		} else {
			val = json_integer((json_int_t)v);
		}
		json_object_set_new(o, d->name, val);
	}
	return o;
}

static json_t *faults_json(const struct ims_sim *sim)
{
	json_t *list = json_array();

	for (unsigned i = 0; i < sim->nfaults_logged; i++) {
		const struct ims_fault_record *f = &sim->faults[i];
		char iova[32], pte[32];

		snprintf(iova, sizeof(iova), "0x%llx", (unsigned long long)f->iova);
		snprintf(pte, sizeof(pte), "0x%llx", (unsigned long long)f->pte_pa);
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:I}",
			"time", (json_int_t)f->time,
			"device", sim->devices[f->device]->name,
			"iova", iova,
			"kind", fault_kind_name(f->kind),
			"access", f->write ? "write" : "read",
			"level", (int)f->level,
			"pte_pa", pte,
			"host_busy_until", (json_int_t)f->host_busy_until));
	}
	return json_pack("{s:I, s:o}", "count",
			 (json_int_t)IMS_STAT_GET(&sim->stats, faults), "logged", list);
}

static json_t *exposures_json(const struct ims_sim *sim)
{
	json_t *list = json_array();

	for (unsigned i = 0; i < sim->nexposures_logged; i++) {
		const struct ims_exposure_record *e = &sim->exposure_log[i];
		char pa[32], iova[32];

		snprintf(pa, sizeof(pa), "0x%llx", (unsigned long long)e->pa);
		snprintf(iova, sizeof(iova), "0x%llx", (unsigned long long)e->iova);
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}",
			"time", (json_int_t)e->time,
			"by", e->by_dma ? "device" : "host",
			"domain", e->by_dma ? sim->domains[e->domain]->name : "",
			"page_pa", pa,
			"iova", iova,
			"lines", (json_int_t)e->lines));
	}
	return json_pack("{s:I, s:o}", "count",
			 (json_int_t)IMS_STAT_GET(&sim->stats, exposures), "logged", list);
}

json_t *ims_results_json(const struct ims_sim *sim, const char *trace_path,
			 const char *strategy)
{
	return ims_results_json_origin(sim, trace_path, strategy, NULL, NULL);
}

json_t *ims_results_json_origin(const struct ims_sim *sim, const char *trace_path,
				const char *strategy, const char *preset,
				const char *params_file)
{
	const struct ims_stats *s = &sim->stats;
	json_t *stats = json_object(), *hw = json_object(), *derived;

	for (unsigned i = 0; i < IMS_STAT_COUNT; i++)
		json_object_set_new(stats, ims_stat_table[i].name, json_integer((json_int_t)s->v[i]));
	for (unsigned i = 0; i < sim->model->n_hw_counters; i++)
		json_object_set_new(hw, sim->model->hw_counters[i].event,
				    json_integer((json_int_t)s->v[sim->model->hw_counters[i].stat]));
	derived = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}",
		"iotlb_hit_rate", ims_results_iotlb_hit_rate(s),
		"translation_cycles_avg", per(IMS_STAT_GET(s, cyc_dma_translation),
					      IMS_STAT_GET(s, translations)),
		"walk_mem_refs_avg", per(IMS_STAT_GET(s, walk_mem_refs), IMS_STAT_GET(s, walks)),
		"sync_cycles_avg", per(IMS_STAT_GET(s, cyc_inv_cpu) + IMS_STAT_GET(s, cyc_inv_wait),
				       IMS_STAT_GET(s, iotlb_syncs)),
		"request_cycles_avg", per(IMS_STAT_GET(s, cyc_dma_request),
					  IMS_STAT_GET(s, dma_requests)),
		"dma_bytes_per_cycle", per(IMS_STAT_GET(s, dma_bytes),
					   IMS_STAT_GET(s, dma_last_cycle) -
					   IMS_STAT_GET(s, dma_first_cycle)));
	return json_pack("{s:{s:s, s:i}, s:o, s:s, s:s, s:s*, s:o*, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"iommusim", "version", IMS_VERSION, "results_format", IMS_RESULTS_FORMAT,
		"trace", ims_results_path_json(trace_path),
		"model", sim->model->name,
		"strategy", strategy,
		"preset", preset,
		"params_file", params_file ? ims_results_path_json(params_file) : NULL,
		"params", params_json(&sim->params),
		"stats", stats,
		"derived", derived,
		"hw_counters", hw,
		"faults", faults_json(sim),
		"exposures", exposures_json(sim),
		"latency_histogram", ims_lat_hist_json(&sim->lat_hist),
		"request_latency", ims_fine_hist_json(&sim->req_hist));
}

int ims_results_write(json_t *j, const char *path, struct ims_error *err)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	FILE *f;
	int fd, ok, cleanup;
	mode_t mask;

	if (!j) {
		free(tmp);
		ims_error_set(err, IMS_ENOMEM, "cannot encode the results as JSON");
		ims_error_locate(err, path, 0);
		return -IMS_ENOMEM;
	}
	if (!tmp)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = ims_cleanup_mkstemp(tmp, &cleanup);
	if (fd < 0) {
		int e = errno;

		free(tmp);
		ims_error_set(err, IMS_EIO, "cannot create a file next to it: %s", strerror(e));
		ims_error_locate(err, path, 0);
		return -IMS_EIO;
	}
	/* mkstemp makes the file 0600; a results file should be as readable
	 * as any other file the user creates (best effort: not fatal) */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	f = fdopen(fd, "w");
	ok = f && json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	     fputc('\n', f) != EOF;
	if (f)
		ok = (fclose(f) == 0) && ok;
	else
		close(fd);
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		ims_cleanup_forget(cleanup);
		free(tmp);
		ims_error_set(err, IMS_EIO, "cannot write results: %s", strerror(e));
		ims_error_locate(err, path, 0);
		return -IMS_EIO;
	}
	ims_cleanup_forget(cleanup);
	free(tmp);
	return 0;
}

static void line(FILE *out, const struct ims_stats *s, enum ims_stat_id id)
{
	fprintf(out, "  %-26s %16llu  %s\n", ims_stat_table[id].name,
		(unsigned long long)s->v[id], ims_stat_table[id].unit);
}

void ims_results_print_summary(FILE *out, const struct ims_sim *sim, const char *trace_path,
			       const char *strategy)
{
	const struct ims_stats *s = &sim->stats;
	/* each group runs from its first counter to the next group's first,
	 * in sim/stats.def order, so a counter added there is always shown */
	static const struct {
		const char *title;
		enum ims_stat_id first;
	} groups[] = {
		{ "DMA", IMS_STAT_dma },
		{ "Translation caches", IMS_STAT_iotlb_hit },
		{ "Walks and memory", IMS_STAT_walks },
		{ "Faults", IMS_STAT_faults },
		{ "Invalidation", IMS_STAT_inv_desc },
		{ "Unmap flushing", IMS_STAT_fq_unmaps },
		{ "Host page tables", IMS_STAT_map_calls },
		{ "Dirty tracking", IMS_STAT_dirty_tracking_switches },
		{ "Non-coherent DMA", IMS_STAT_dma_nonsnooped_lines },
		{ "Time (cycles)", IMS_STAT_cyc_dma_translation },
	};
	const unsigned ngroups = sizeof(groups) / sizeof(groups[0]);

	fprintf(out, "iommusim %s: trace %s, model %s, strategy %s\n", IMS_VERSION, trace_path,
		sim->model->name, strategy);
	for (unsigned g = 0; g < ngroups; g++) {
		unsigned end = g + 1 < ngroups ? groups[g + 1].first : IMS_STAT_COUNT;

		fprintf(out, "%s\n", groups[g].title);
		for (unsigned id = groups[g].first; id < end; id++)
			if (s->v[id] || id == groups[g].first)
				line(out, s, (enum ims_stat_id)id);
	}
	fprintf(out, "Derived\n  %-26s %16.4f\n  %-26s %16.1f  cycles\n", "iotlb_hit_rate",
		ims_results_iotlb_hit_rate(s), "translation_cycles_avg",
		per(IMS_STAT_GET(s, cyc_dma_translation), IMS_STAT_GET(s, translations)));
	for (unsigned i = 0; i < sim->nfaults_logged && i < 5; i++) {
		const struct ims_fault_record *f = &sim->faults[i];

		fprintf(out, "  fault @%llu: %s %s 0x%llx (%s)", (unsigned long long)f->time,
			sim->devices[f->device]->name, f->write ? "write" : "read",
			(unsigned long long)f->iova, fault_kind_name(f->kind));
		/* the usual surprise: DMA issued before the host finished mapping */
		if (f->host_busy_until)
			fprintf(out, ", host busy until @%llu",
				(unsigned long long)f->host_busy_until);
		fputc('\n', out);
	}
	for (unsigned i = 0; i < sim->nexposures_logged && i < 5; i++) {
		const struct ims_exposure_record *e = &sim->exposure_log[i];

		if (e->by_dma)
			fprintf(out, "  exposure @%llu: domain %s read %llu stale line(s) of page 0x%llx"
				" (iova 0x%llx)\n", (unsigned long long)e->time,
				sim->domains[e->domain]->name, (unsigned long long)e->lines,
				(unsigned long long)e->pa, (unsigned long long)e->iova);
		else
			fprintf(out, "  exposure @%llu: host read %llu stale line(s) of page 0x%llx\n",
				(unsigned long long)e->time, (unsigned long long)e->lines,
				(unsigned long long)e->pa);
	}
}

struct grid_column {
	enum ims_stat_id stat;
	const char *label;
};

static const struct grid_column dirty_columns[] = {
	/* the cost breakdown: invalidation, host CPU, what DMA pays */
	{ IMS_STAT_iotlb_syncs, "syncs" },
	{ IMS_STAT_inv_desc, "inv-cmds" },
	{ IMS_STAT_cyc_inv_wait, "inv-wait-cyc" },
	{ IMS_STAT_cyc_sw_dirty_walk, "sw-dirty-cyc" },
	{ IMS_STAT_cyc_host_total, "host-cyc" },
	{ IMS_STAT_cyc_walk, "dma-stall-cyc" },
	{ IMS_STAT_iotlb_refill_after_inv, "refills" },
	{ IMS_STAT_cyc_refill_after_inv, "refill-cyc" },
	{ IMS_STAT_cyc_dma_translation, "xlate-cyc" },
	/* what it gets right and wrong */
	{ IMS_STAT_dirty_pages_reported, "dirty" },
	{ IMS_STAT_dirty_pages_missed, "missed" },
	{ IMS_STAT_dirty_pages_spurious, "spurious" },
	{ IMS_STAT_dirty_dma_discarded, "discarded" },
	{ IMS_STAT_faults, "faults" },
};

/* Added after inv-wait-cyc when a run had a device with ATS: the
 * device-TLB share of the flush cost, and what the devices' ATCs served. */
static const struct grid_column ats_columns[] = {
	{ IMS_STAT_inv_devtlb, "devtlb-inv" },
	{ IMS_STAT_cyc_inv_devtlb_wait, "devtlb-wait-cyc" },
	{ IMS_STAT_atc_hit, "atc-hits" },
	{ IMS_STAT_atc_miss, "ats-reqs" },
};

/* Non-coherent DMA: what the flushes cost and whether anything leaked. */
static const struct grid_column coherency_columns[] = {
	{ IMS_STAT_cache_flushes, "flushes" },
	{ IMS_STAT_cache_lines_flushed, "lines" },
	{ IMS_STAT_cache_lines_written_back, "written" },
	{ IMS_STAT_cache_flush_redundant, "redundant" },
	{ IMS_STAT_cyc_cache_flush, "flush-cyc" },
	{ IMS_STAT_cyc_host_total, "host-cyc" },
	{ IMS_STAT_dma_nonsnooped_lines, "ns-lines" },
	{ IMS_STAT_cyc_dma_snoop, "snoop-cyc" },
	{ IMS_STAT_exposure_dma_stale_read, "dev-stale" },
	{ IMS_STAT_exposure_host_stale_read, "host-stale" },
	{ IMS_STAT_exposures, "exposures" },
};

/* Strict vs lazy unmap flushing: what the invalidations cost, how long
 * IOVAs wait, and how long devices could still reach unmapped pages. */
static const struct grid_column unmap_flush_columns[] = {
	{ IMS_STAT_iotlb_syncs, "syncs" },
	{ IMS_STAT_inv_desc, "inv-cmds" },
	{ IMS_STAT_cyc_inv_cpu, "inv-cpu-cyc" },
	{ IMS_STAT_cyc_inv_wait, "inv-wait-cyc" },
	{ IMS_STAT_cyc_host_total, "host-cyc" },
	{ IMS_STAT_fq_occupancy_max, "fq-max" },
	{ IMS_STAT_fq_flush_full, "full" },
	{ IMS_STAT_fq_flush_timeout, "timeout" },
	{ IMS_STAT_fq_flush_reuse, "reuse" },
	{ IMS_STAT_fq_flush_teardown, "teardown" },
	{ IMS_STAT_unmap_exposed, "exposed" },
	{ IMS_STAT_cyc_unmap_exposure, "expo-cyc" },
	{ IMS_STAT_cyc_unmap_exposure_max, "expo-max-cyc" },
	{ IMS_STAT_stale_dmas, "stale-dma" },
	{ IMS_STAT_iotlb_refill_after_inv, "refills" },
	{ IMS_STAT_cyc_walk, "dma-stall-cyc" },
};

/* Cycle counts get room for 12 digits, event counts for 9; a longer
 * label widens its column. */
static int grid_width(const struct grid_column *col)
{
	int w = strstr(col->label, "cyc") ? 12 : 10;
	int len = (int)strlen(col->label);

	return len > w ? len : w;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Whether any run had a device with ATS (it looked up an ATC). */
static bool any_ats(const struct ims_compare_run *runs, unsigned nruns)
{
	for (unsigned r = 0; r < nruns; r++)
		if (IMS_STAT_GET(runs[r].stats, atc_hit) + IMS_STAT_GET(runs[r].stats, atc_miss))
			return true;
	return false;
}

/* The columns of a grid of this kind; the ATS columns follow inv-wait-cyc
 * when ats (the dirty-tracking and unmap-flush grids). Returns how many. */
static unsigned grid_columns_for(enum ims_grid_kind kind, bool ats,
				 const struct grid_column **cols)
{
	static const struct {
		const struct grid_column *col;
		unsigned n;
	} grids[] = {
		[IMS_GRID_DIRTY] = { dirty_columns, NCOLS(dirty_columns) },
		[IMS_GRID_COHERENCY] = { coherency_columns, NCOLS(coherency_columns) },
		[IMS_GRID_UNMAP_FLUSH] = { unmap_flush_columns, NCOLS(unmap_flush_columns) },
	};
	unsigned n = 0;

	for (unsigned c = 0; c < grids[kind].n; c++) {
		cols[n++] = &grids[kind].col[c];
		if (ats && grids[kind].col[c].stat == IMS_STAT_cyc_inv_wait)
			for (unsigned a = 0; a < NCOLS(ats_columns); a++)
				cols[n++] = &ats_columns[a];
	}
	return n;
}

void ims_results_print_grid(FILE *out, const struct ims_compare_run *runs, unsigned nruns,
			    enum ims_grid_kind kind)
{
	const struct grid_column *cols[NCOLS(dirty_columns) + NCOLS(coherency_columns) +
				       NCOLS(unmap_flush_columns) + NCOLS(ats_columns)];
	const bool ats = kind != IMS_GRID_COHERENCY && any_ats(runs, nruns);
	const unsigned ncol = grid_columns_for(kind, ats, cols);
	int sw = 8;

	for (unsigned r = 0; r < nruns; r++)
		if ((int)strlen(runs[r].strategy) > sw)
			sw = (int)strlen(runs[r].strategy);
	fprintf(out, "%-7s %-*s", "model", sw, "strategy");
	for (unsigned c = 0; c < ncol; c++)
		fprintf(out, " %*s", grid_width(cols[c]), cols[c]->label);
	fprintf(out, " %9s %9s\n", "host-x", "xlate-x");
	for (unsigned r = 0; r < nruns; r++) {
		const struct ims_compare_run *same_model = &runs[r], *same_strategy = &runs[r];

		for (unsigned q = 0; q < r; q++) {
			if (same_model == &runs[r] && !strcmp(runs[q].model, runs[r].model))
				same_model = &runs[q];
			if (same_strategy == &runs[r] && !strcmp(runs[q].strategy, runs[r].strategy))
				same_strategy = &runs[q];
		}
		fprintf(out, "%-7s %-*s", runs[r].model, sw, runs[r].strategy);
		for (unsigned c = 0; c < ncol; c++)
			fprintf(out, " %*llu", grid_width(cols[c]),
				(unsigned long long)runs[r].stats->v[cols[c]->stat]);
		fprintf(out, " %9.3f %9.3f\n",
			ratio(IMS_STAT_GET(runs[r].stats, cyc_host_total),
			      IMS_STAT_GET(same_model->stats, cyc_host_total)),
			ratio(IMS_STAT_GET(runs[r].stats, cyc_dma_translation),
			      IMS_STAT_GET(same_strategy->stats, cyc_dma_translation)));
	}
	fprintf(out, "columns:");
	for (unsigned c = 0; c < ncol; c++)
		fprintf(out, "%s %s = %s", c ? "," : "", cols[c]->label,
			ims_stat_table[cols[c]->stat].name);
	if (kind == IMS_GRID_COHERENCY)
		fprintf(out, ";\n  lines are 64-byte cache lines; dev-stale: non-snooped DMA read stale"
			     " memory, host-stale: the host read a copy older than DMA's data");
	else if (kind == IMS_GRID_UNMAP_FLUSH)
		fprintf(out, ";\n  inv-cpu-cyc + inv-wait-cyc: host time in syncs; fq-max: most unmaps"
			     " waiting in one flush queue; full/timeout/reuse/teardown: its flushes by"
			     " cause; exposed: unmaps whose range was in the IOTLB (or an ATC) when unmapped,"
			     " expo-cyc their windows until the invalidation completed (summed, and"
			     " the longest); stale-dma: DMAs through such an entry after the unmap"
			     " returned");
	else
		fprintf(out, ";\n  dma-stall-cyc: translation latency DMA waited beyond IOTLB hits (page walks),"
		     " refill-cyc the part caused by invalidations");
	if (ats)
		fprintf(out, ";\n  devtlb-wait-cyc: what syncs waited for devices to complete ATS"
			     " invalidations, the device-TLB share of the flush cost");
	fprintf(out, ";\n  host-x = host-cyc / the same model's first strategy;"
		     " xlate-x = xlate-cyc / the first model's run of the same strategy\n");
}

void ims_results_print_compare(FILE *out, const struct ims_compare_run *runs, unsigned nruns)
{
	fprintf(out, "%-26s", "metric");
	for (unsigned r = 0; r < nruns; r++)
		fprintf(out, " %29s", runs[r].strategy);
	for (unsigned r = 1; r < nruns; r++)
		fprintf(out, " %9s", "ratio");
	fprintf(out, "\n");
	for (unsigned id = 0; id < IMS_STAT_COUNT; id++) {
		bool any = false;

		for (unsigned r = 0; r < nruns; r++)
			any |= runs[r].stats->v[id] != 0;
		if (!any)
			continue;
		fprintf(out, "%-26s", ims_stat_table[id].name);
		for (unsigned r = 0; r < nruns; r++)
			fprintf(out, " %29llu", (unsigned long long)runs[r].stats->v[id]);
		for (unsigned r = 1; r < nruns; r++) {
			if (runs[0].stats->v[id])
				fprintf(out, " %9.3f", ratio(runs[r].stats->v[id], runs[0].stats->v[id]));
			else
				fprintf(out, " %9s", "-");
		}
		fprintf(out, "\n");
	}
}
