/* The validation checks: every published number the model is held to, the
 * workload that reproduces each measurement, the preset standing for the
 * measured hardware, and the tolerances. docs/calibration.md#validation
 * explains each choice and every known deviation; keep the two in step.
 *
 * Published sources:
 *  - pcie-bench (Neugebauer et al., SIGCOMM'18) raw data, summarised in
 *    validation/reference/pciebench/ (README.md there); the per-window
 *    tables come from tools/validate-reference (reference.inc);
 *  - the calibration reference (invalidation latencies, Rubin et al.
 *    SOSP'24, the non-coherent flush cover letter): docs/calibration.md
 *    cites each.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/latency_hist.h"
#include "sim/stats.h"
#include "sim/validate/validate.h"

struct ref_window {
	uint64_t window;
	double lo, hi;
};

#include "sim/validate/reference.inc"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (UINT64_C(1) << 20)

/* ---- 1. IOTLB reach: pcie-bench's window sweeps -------------------------
 *
 * The device: a Netronome NFP-6000 on PCIe Gen3 x8, which reads 64 B units
 * uniformly at random from the first W bytes of a 64 MiB buffer (README,
 * "What the measurements are"). Latency: one DMA at a time. Bandwidth: 88
 * DMAs outstanding (11 MEs x 8 threads, one each). The host: the xeon-e5
 * preset. The device parameters belong to the NFP, not to the host, so they
 * are set here and not in the preset:
 *  - dma_tlp_overhead_bytes = 80: the NFP's effective cost per read request
 *    on the link. Derived from the IOMMU-off Cold read bandwidth
 *    (bw_window_rd.csv at 256 KiB, E5 systems): 64 B reads reach 25.0-28.2
 *    Gbit/s, i.e. 18.2-20.5 ns per request = 143-161 link bytes at
 *    dma_link_mbps 7877; 128/256/512 B reads imply 63-91 B per request.
 *    80 B gives 27.4, 38.8, 48.0 and 54.5 Gbit/s for 64-512 B against
 *    25.0-28.2, 41.0-42.6, 45.5-46.9 and 54.9-55.7 measured.
 */
static const char *const reach_lat_device[] = { "dma_tags=1", "dma_tlp_overhead_bytes=80", NULL };
static const char *const reach_bw_device[] = { "dma_tags=88", "dma_tlp_overhead_bytes=80", NULL };
#define REACH_PRESET "xeon-e5"
#define REACH_MODEL "vtd/xeon-e5"
#define REACH_COUNT 20000
#define REACH_LAT_GAP 20000        /* cycles: one DMA at a time at any clock */
#define REACH_KNEE_NS 50.0         /* a median "rises" by more than this */
#define REACH_DROP_PCT (-5.0)       /* bandwidth "drops" below this change */

/* Tolerances (docs/calibration.md#validation says why). */
static const struct ims_val_tol tol_base_ns = { 0.10, 30 };    /* base latency */
static const struct ims_val_tol tol_rise_ns = { 0.25, 30 };    /* miss penalty */
static const struct ims_val_tol tol_gbps = { 0.15, 0 };        /* base bandwidth */
static const struct ims_val_tol tol_pp = { 0, 15 };            /* bandwidth change */
static const struct ims_val_tol tol_mps = { 0.15, 0 };         /* walk-limited rate */
static const struct ims_val_tol tol_step = { 0, 1 };           /* knee: one window */

static void reach_knobs(char knobs[][40], const char **list, uint64_t window, const char *page,
			unsigned gap)
{
	snprintf(knobs[0], 40, "window=%llu", (unsigned long long)window);
	snprintf(knobs[1], 40, "page=%s", page);
	snprintf(knobs[2], 40, "gap=%u", gap);
	snprintf(knobs[3], 40, "count=%d", REACH_COUNT);
	snprintf(knobs[4], 40, "mapped=%llu", (unsigned long long)(64 * MIB));
	for (unsigned i = 0; i < 5; i++)
		list[i] = knobs[i];
	list[5] = "size=64";
	list[6] = "read-fraction=1";
	list[7] = NULL;
}

/* Median and 95th percentile of request latency (ns) of one window. */
static int reach_latency(double *out, double *p95, const struct ims_val_ctx *ctx, uint64_t window,
			 const char *page, struct ims_error *err)
{
	char knobs[5][40];
	const char *list[8];
	struct ims_sim sim;
	int rc;

	reach_knobs(knobs, list, window, page, REACH_LAT_GAP);
	if ((rc = ims_val_run_gen(&sim, ctx, REACH_PRESET, "random-window", list, reach_lat_device,
				  NULL, err)))
		return rc;
	*out = (double)ims_fine_hist_quantile(&sim.req_hist, 0.5) * 1000.0 /
	       (double)sim.params.cpu_mhz;
	*p95 = (double)ims_fine_hist_quantile(&sim.req_hist, 0.95) * 1000.0 /
	       (double)sim.params.cpu_mhz;
	ims_sim_fini(&sim);
	return 0;
}

/* Read bandwidth (Gbit/s) of one window with 88 requests outstanding. */
static int reach_bandwidth(double *out, const struct ims_val_ctx *ctx, uint64_t window,
			   const char *page, struct ims_error *err)
{
	char knobs[5][40];
	const char *list[8];
	struct ims_sim sim;
	uint64_t span;
	int rc;

	reach_knobs(knobs, list, window, page, 0);
	if ((rc = ims_val_run_gen(&sim, ctx, REACH_PRESET, "random-window", list, reach_bw_device, NULL,
				  err)))
		return rc;
	span = IMS_STAT_GET(&sim.stats, dma_last_cycle) - IMS_STAT_GET(&sim.stats, dma_first_cycle);
	*out = span ? (double)IMS_STAT_GET(&sim.stats, dma_bytes) * 8.0 *
		      (double)sim.params.cpu_mhz / 1000.0 / (double)span : 0;
	ims_sim_fini(&sim);
	return 0;
}

/* "64K", "1.5M", "64M" */
static void window_label(char *buf, size_t len, uint64_t w)
{
	if (w % MIB == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(w / MIB));
	else if (w > MIB)
		snprintf(buf, len, "%gM", (double)w / (double)MIB);
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(w >> 10));
}

/* The first index from 1 whose value rises above the limit (rise) or falls
 * below it (!rise); n when none does. */
static unsigned first_index(const double *v, unsigned n, double limit, bool rise)
{
	for (unsigned i = 1; i < n; i++)
		if (rise ? v[i] > limit : v[i] < limit)
			return i;
	return n;
}

/* A row for "the first window whose value passes the limit": published,
 * the earliest and the latest run (first_of and last_of hold, per window,
 * the value of the run that passes first and of the one that passes last). */
static int add_first_window(struct ims_val_ctx *ctx, const char *point, const double *first_of,
			    const double *last_of, const double *sim, const uint64_t *windows,
			    unsigned n, double limit, bool rise, struct ims_error *err)
{
	struct ims_val_row row = { .model = REACH_MODEL, .unit = IMS_VAL_WINDOW, .published = true,
				   .lo = first_index(first_of, n, limit, rise),
				   .hi = first_index(last_of, n, limit, rise),
				   .sim = first_index(sim, n, limit, rise), .tol = tol_step,
				   .nwindows = n };

	memcpy(row.windows, windows, n * sizeof(*windows));
	snprintf(row.point, sizeof(row.point), "%s", point);
	return ims_val_add(ctx, &row, err);
}

static int reach_page(struct ims_val_ctx *ctx, const char *page, const struct ref_window *lat,
		      unsigned nlat, const uint64_t *p95_knee, const struct ref_window *bw,
		      unsigned nbw, const double *mtrans, struct ims_error *err)
{
	uint64_t lat_windows[IMS_VAL_MAX_WINDOWS], bw_windows[IMS_VAL_MAX_WINDOWS];
	double sim_lat[IMS_VAL_MAX_WINDOWS], sim_p95[IMS_VAL_MAX_WINDOWS], sim_bw[IMS_VAL_MAX_WINDOWS];
	double lo[IMS_VAL_MAX_WINDOWS], hi[IMS_VAL_MAX_WINDOWS];
	struct ims_val_row row;
	char point[64];
	int rc;

	if (nlat > IMS_VAL_MAX_WINDOWS || nbw > IMS_VAL_MAX_WINDOWS)
		return ims_error_set(err, IMS_EINVAL, "more than %d windows", IMS_VAL_MAX_WINDOWS);

	/* latency: the median at 64 KiB, then its rise per window */
	for (unsigned i = 0; i < nlat; i++) {
		lat_windows[i] = lat[i].window;
		if ((rc = reach_latency(&sim_lat[i], &sim_p95[i], ctx, lat[i].window, page, err)))
			return rc;
		row = (struct ims_val_row){ .model = REACH_MODEL, .unit = IMS_VAL_NS,
					    .published = true, .lo = lat[i].lo, .hi = lat[i].hi,
					    .tol = i ? tol_rise_ns : tol_base_ns,
					    .window = i ? lat[i].window : 0 };
		if (i) {
			char w[20];

			window_label(w, sizeof(w), lat[i].window);
			row.sim = sim_lat[i] - sim_lat[0];
			snprintf(row.point, sizeof(row.point), "latency %s rise at %s%s", page, w,
				 lat[i].window == 64 * MIB ? " (depth)" : "");
		} else {
			row.sim = sim_lat[0];
			snprintf(row.point, sizeof(row.point), "latency %s median at 64K", page);
		}
		if ((rc = ims_val_add(ctx, &row, err)))
			return rc;
	}
	/* the knee: first window whose median rises; published: the earliest
	 * and the latest of the runs */
	for (unsigned i = nlat; i-- > 0;) {   /* down, so sim_lat[0] is the base until last */
		lo[i] = i ? lat[i].hi : 0;   /* the run that rises first */
		hi[i] = i ? lat[i].lo : 0;   /* the run that rises last */
		sim_lat[i] = i ? sim_lat[i] - sim_lat[0] : 0;
	}
	snprintf(point, sizeof(point), "latency %s knee (median rises)", page);
	if ((rc = add_first_window(ctx, point, lo, hi, sim_lat, lat_windows, nlat, REACH_KNEE_NS,
				   true, err)))
		return rc;
	if (p95_knee) {
		/* the 95th percentile: published, the earliest and latest run's knee
		 * (a step at those windows, so first_index finds them) */
		for (unsigned i = nlat; i-- > 0;) {
			lo[i] = lat[i].window >= p95_knee[0] ? 1e9 : 0;
			hi[i] = lat[i].window >= p95_knee[1] ? 1e9 : 0;
			sim_p95[i] = i ? sim_p95[i] - sim_p95[0] : 0;
		}
		snprintf(point, sizeof(point), "latency %s p95 knee (p95 rises)", page);
		if ((rc = add_first_window(ctx, point, lo, hi, sim_p95, lat_windows, nlat,
					   REACH_KNEE_NS, true, err)))
			return rc;
	}

	/* bandwidth: Gbit/s at 256 KiB, then the change per window */
	for (unsigned i = 0; i < nbw; i++) {
		bw_windows[i] = bw[i].window;
		if ((rc = reach_bandwidth(&sim_bw[i], ctx, bw[i].window, page, err)))
			return rc;
	}
	for (unsigned i = 0; i < nbw; i++) {
		row = (struct ims_val_row){ .model = REACH_MODEL, .published = true, .lo = bw[i].lo,
					    .hi = bw[i].hi, .window = i ? bw[i].window : 0 };
		if (i) {
			char w[20];

			window_label(w, sizeof(w), bw[i].window);
			row.unit = IMS_VAL_PCT;
			row.tol = tol_pp;
			row.sim = 100.0 * (sim_bw[i] / sim_bw[0] - 1);
			snprintf(row.point, sizeof(row.point), "bandwidth %s change at %s%s", page,
				 w, bw[i].window == 64 * MIB ? " (depth)" : "");
		} else {
			row.unit = IMS_VAL_GBPS;
			row.tol = tol_gbps;
			row.sim = sim_bw[0];
			snprintf(row.point, sizeof(row.point), "bandwidth %s at 256K", page);
		}
		if ((rc = ims_val_add(ctx, &row, err)))
			return rc;
		lo[i] = i ? row.lo : 0;
		hi[i] = i ? row.hi : 0;
		sim_lat[i] = i ? row.sim : 0;   /* reused: the simulated changes */
	}
	snprintf(point, sizeof(point), "bandwidth %s first 5 %% drop", page);
	if ((rc = add_first_window(ctx, point, lo, hi, sim_lat, bw_windows, nbw, REACH_DROP_PCT,
				   false, err)))
		return rc;
	if (mtrans) {
		/* at 64 MiB nearly every read walks: the rate the walk slots allow */
		row = (struct ims_val_row){ .model = REACH_MODEL, .unit = IMS_VAL_MPS,
					    .published = true, .lo = mtrans[0], .hi = mtrans[1],
					    .sim = sim_bw[nbw - 1] * 1000.0 / 8 / 64,
					    .tol = tol_mps };
		snprintf(row.point, sizeof(row.point), "reads/s %s at 64M (walk-bound)", page);
		if ((rc = ims_val_add(ctx, &row, err)))
			return rc;
	}
	return 0;
}

static int check_iotlb_reach(struct ims_val_ctx *ctx, struct ims_error *err)
{
	int rc = reach_page(ctx, "4K", ref_lat_4k, ARRAY_SIZE(ref_lat_4k), ref_p95_knee_4k,
			    ref_bw_4k, ARRAY_SIZE(ref_bw_4k), ref_mtrans_64m_4k, err);

	return rc ? rc : reach_page(ctx, "2M", ref_lat_2m, ARRAY_SIZE(ref_lat_2m), NULL, ref_bw_2m,
				    ARRAY_SIZE(ref_bw_2m), NULL, err);
}

/* ---- 2. Strict-mode NIC: miss penalty and walk-cache misses -------------
 *
 * nic-rx in strict mode (every buffer unmapped, with an IOTLB sync, when the
 * driver takes it): each packet's first DMA misses the IOTLB and walks. */
static const char *const nic_knobs[] = { "packets=4000", "unmap=strict", NULL };

static const char known_pwc[] =
	"the model's walk caches never miss here: nic-rx maps its ring in one 1 MiB IOVA range "
	"(one leaf table) and Linux-style page-selective invalidations keep paging-structure "
	"entries (IH=1 when no table is freed); Rubin et al.'s misses come from 5-40 flows "
	"spread over the IOVA space by Linux's allocator, which no generator reproduces yet";

static int check_strict_nic(struct ims_val_ctx *ctx, struct ims_error *err)
{
	/* Rubin et al., SOSP'24, Fig. 2d: misses per 4 KiB at 5 and 40 flows;
	 * their L1/L2/L3 are the PML4E/PDPE/PDE caches (our psc levels 3/2/1) */
	static const struct { const char *point; unsigned stat; double lo, hi; } pwc[] = {
		{ "PWC misses/4K, PDE (Rubin L3)", IMS_STAT_psc_miss_l1, 0.36, 0.90 },
		{ "PWC misses/4K, PDPE (Rubin L2)", IMS_STAT_psc_miss_l2, 0.05, 0.63 },
		{ "PWC misses/4K, PML4E (Rubin L1)", IMS_STAT_psc_miss_l3, 0.05, 0.63 },
	};
	struct ims_val_row row;
	struct ims_sim sim;
	double pages, mhz;
	int rc;

	if ((rc = ims_val_run_gen(&sim, ctx, REACH_PRESET, "nic-rx", nic_knobs, NULL, NULL, err)))
		return rc;
	mhz = (double)sim.params.cpu_mhz;
	/* every packet lands in one 4 KiB buffer: pages touched = DMAs */
	pages = (double)IMS_STAT_GET(&sim.stats, dma);
	row = (struct ims_val_row){ .model = REACH_MODEL, .unit = IMS_VAL_NS, .published = true,
				    .lo = 226, .hi = 347, .tol = { 0.10, 0 },
				    .sim = (double)(IMS_STAT_GET(&sim.stats, cyc_walk) +
						    IMS_STAT_GET(&sim.stats, cyc_walk_slot_wait)) /
					   (double)IMS_STAT_GET(&sim.stats, walks) * 1000.0 / mhz };
	snprintf(row.point, sizeof(row.point), "IOTLB miss penalty (walk)");
	if ((rc = ims_val_add(ctx, &row, err)))
		goto out;
	row = (struct ims_val_row){ .model = REACH_MODEL, .unit = IMS_VAL_PER_PAGE,
				    .sim = (double)IMS_STAT_GET(&sim.stats, walks) / pages };
	snprintf(row.point, sizeof(row.point), "IOTLB misses per 4K page");
	if ((rc = ims_val_add(ctx, &row, err)))
		goto out;
	for (unsigned i = 0; i < ARRAY_SIZE(pwc); i++) {
		row = (struct ims_val_row){ .model = REACH_MODEL, .unit = IMS_VAL_PER_PAGE,
					    .published = true, .lo = pwc[i].lo, .hi = pwc[i].hi,
					    .sim = (double)sim.stats.v[pwc[i].stat] / pages,
					    .known = known_pwc };
		snprintf(row.point, sizeof(row.point), "%s", pwc[i].point);
		if ((rc = ims_val_add(ctx, &row, err)))
			goto out;
	}
out:
	ims_sim_fini(&sim);
	return rc;
}

/* ---- 3. Synchronous IOTLB invalidation latency per model -----------------
 *
 * nic-rx strict: one IOTLB sync per unmapped buffer. The sync latency is what
 * the host pays per sync, submit plus wait (derived.sync_cycles_avg). */
struct sync_point {
	const char *preset;
	const char *point;
	enum ims_val_unit unit;      /* NS or CYCLES */
	bool iommu_side;             /* the IOMMU's time per sync, not the host's */
	bool published;
	double lo, hi;
	struct ims_val_tol tol;
};

static const struct sync_point sync_points[] = {
	/* rIOMMU (Malka et al., ASPLOS'15, Table 1; secondary source) */
	{ "xeon-e5", "strict-unmap sync (rIOMMU)", IMS_VAL_CYCLES, false, true, 2100, 2100,
	  { 0.25, 0 } },
	/* dmar_perf_latency inv_iotlb, Sapphire Rapids (QEMU qpl-compression.rst):
	 * mostly 0.1-1 us */
	{ "xeon-spr", "IOTLB inv + wait (dmar_perf)", IMS_VAL_NS, false, true, 100, 1000,
	  { 0, 0 } },
	/* arm-smmu-v3 cmdq series v2: ~3.5 us per map+unmap pair at 8 CPUs on
	 * one queue, so the SMMU serves a TLBI+CMD_SYNC in ~3.5/8 us */
	{ "neoverse-smmu", "SMMU time per TLBI+SYNC", IMS_VAL_NS, true, true, 437.5, 437.5,
	  { 0.25, 0 } },
	{ "neoverse-smmu", "sync, one CPU (<= 8-CPU pair)", IMS_VAL_NS, false, true, 437.5,
	  3500, { 0, 0 } },
	/* no public AMD IOMMU measurement */
	{ "epyc", "COMPLETION_WAIT sync", IMS_VAL_NS, false, false, 0, 0, { 0, 0 } },
};

static int check_inv_sync(struct ims_val_ctx *ctx, struct ims_error *err)
{
	for (unsigned i = 0; i < ARRAY_SIZE(sync_points); i++) {
		const struct sync_point *p = &sync_points[i];
		struct ims_val_row row;
		struct ims_sim sim;
		double syncs, cycles;
		int rc;

		if ((rc = ims_val_run_gen(&sim, ctx, p->preset, "nic-rx", nic_knobs, NULL, NULL, err)))
			return rc;
		syncs = (double)IMS_STAT_GET(&sim.stats, iotlb_syncs);
		cycles = p->iommu_side ? (double)IMS_STAT_GET(&sim.stats, cyc_inv_iommu)
				       : (double)(IMS_STAT_GET(&sim.stats, cyc_inv_cpu) +
						  IMS_STAT_GET(&sim.stats, cyc_inv_wait));
		row = (struct ims_val_row){ .unit = p->unit, .published = p->published, .lo = p->lo,
					    .hi = p->hi, .tol = p->tol,
					    .sim = cycles / syncs *
						   (p->unit == IMS_VAL_NS ?
						    1000.0 / (double)sim.params.cpu_mhz : 1) };
		snprintf(row.point, sizeof(row.point), "%s", p->point);
		snprintf(row.model, sizeof(row.model), "%s/%s", sim.model->name, p->preset);
		ims_sim_fini(&sim);
		if ((rc = ims_val_add(ctx, &row, err)))
			return rc;
	}
	return 0;
}

/* ---- 4. Non-coherent DMA: flushing a 1 GiB aperture ---------------------
 *
 * "Enforce CPU cache flush for non-coherent device assignment" v1 cover
 * letter (2024-05): map, unmap and teardown of a 1 GiB GPU aperture in a
 * 4-vCPU VM, cycles without and with CPU cache flushing, for iommufd and
 * VFIO type1. Here: one non-coherent domain in an IOAS; the phases are an
 * ioas-map of 1 GiB, its ioas-unmap, and (teardown) the domain's detach with
 * the 1 GiB still mapped. Without flushing: coherency none; with: eager
 * (iommufd's flush on map and unmap) and vfio-type1. The preset is xeon-spr:
 * the cover letter's machine is an unnamed recent Intel part, which Linux
 * flushes with CLFLUSHOPT. */
#define NC_HEAD "iommusim-trace 1\nioas vm\ndevice gpu\ndomain gfx ioas=vm coherent=no\n" \
		"attach gpu gfx\n@0 ioas-map vm 0x100000000 1G\n"
static const char *const nc_phase_trace[] = {
	NC_HEAD,
	NC_HEAD "@10000000000 ioas-unmap vm 0x100000000 1G\n",
	NC_HEAD "@10000000000 ioas-detach gfx\n",
};
static const char *const nc_phase_name[] = { "map", "unmap", "teardown" };

static int check_noncoherent(struct ims_val_ctx *ctx, struct ims_error *err)
{
	/* published cycles, {without, with} flush, per phase */
	static const struct {
		const char *who, *strategy;
		double cycles[3][2];
	} pub[] = {
		{ "iommufd", "eager", { { 1167e6, 2400e6 }, { 40e6, 276e6 }, { 201e6, 1160e6 } } },
		{ "vfio", "vfio-type1", { { 3058e6, 5664e6 }, { 379e6, 1653e6 }, { 448e6, 1522e6 } } },
	};
	static const char *const strategies[] = { "none", "eager", "vfio-type1" };
	double host[3][3];   /* [strategy][trace]: cyc_host_total */
	int rc;

	for (unsigned s = 0; s < 3; s++)
		for (unsigned t = 0; t < 3; t++) {
			struct ims_sim sim;
			char spec[64];

			snprintf(spec, sizeof(spec), "%s", strategies[s]);
			if ((rc = ims_val_run_text(&sim, ctx, "xeon-spr", nc_phase_trace[t], NULL, spec,
						   err)))
				return rc;
			host[s][t] = (double)IMS_STAT_GET(&sim.stats, cyc_host_total);
			ims_sim_fini(&sim);
		}
	for (unsigned w = 0; w < ARRAY_SIZE(pub); w++)
		for (unsigned ph = 0; ph < 3; ph++) {
			unsigned s = w + 1;
			/* a phase's cost: its trace minus the map before it */
			double without = ph ? host[0][ph] - host[0][0] : host[0][0];
			double with = ph ? host[s][ph] - host[s][0] : host[s][0];
			double r = pub[w].cycles[ph][1] / pub[w].cycles[ph][0];
			struct ims_val_row row = { .unit = IMS_VAL_RATIO, .published = true,
						   .lo = r, .hi = r, .sim = with / without,
						   .tol = { 0.5, 0 } };

			snprintf(row.point, sizeof(row.point), "%s %s: with/without flush", pub[w].who,
				 nc_phase_name[ph]);
			snprintf(row.model, sizeof(row.model), "vtd/xeon-spr %s", pub[w].strategy);
			if ((rc = ims_val_add(ctx, &row, err)))
				return rc;
		}
	return 0;
}

const struct ims_val_check ims_val_checks[] = {
	{ .name = "iotlb-reach",
	  .title = "IOTLB reach: 64 B random reads against window, 4 KiB and 2 MiB pages",
	  .source = "pcie-bench (SIGCOMM'18) NFP-6000 on Xeon E5 v2-v4, Cold, IOMMU on: "
		    "min..max over the runs (validation/reference/pciebench, "
		    "tools/validate-reference); latency with one DMA outstanding, bandwidth with 88",
	  .run = check_iotlb_reach },
	{ .name = "strict-nic",
	  .title = "IOTLB miss penalty and walk-cache misses, strict-mode NIC receive",
	  .source = "miss penalty: pcie-bench median +226..+347 ns (Xeon E5 v2-v4); walk-cache "
		    "misses per 4 KiB: Rubin et al., SOSP'24, Fig. 2d (5 to 40 flows)",
	  .run = check_strict_nic },
	{ .name = "inv-sync",
	  .title = "Synchronous IOTLB invalidation latency per model and preset",
	  .source = "rIOMMU (ASPLOS'15) ~2,100 cycles; dmar_perf_latency (Sapphire Rapids) "
		    "0.1-1 us; arm-smmu-v3 cmdq series ~3.5 us per map+unmap at 8 CPUs",
	  .run = check_inv_sync },
	{ .name = "noncoherent",
	  .title = "CPU cache flushing for non-coherent DMA: 1 GiB aperture",
	  .source = "\"Enforce CPU cache flush for non-coherent device assignment\" v1 "
		    "(2024-05): cycles with / without clflush, iommufd and VFIO, 4-vCPU VM",
	  .run = check_noncoherent },
};

const unsigned ims_val_check_count = ARRAY_SIZE(ims_val_checks);
