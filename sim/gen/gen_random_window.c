/* random-window: uniformly random DMA over a window of W bytes mapped with
 * pages of size P, the IOTLB-reach experiment: the hit rate falls once W
 * exceeds what the IOTLB's entries cover at page size P. The mapping may be
 * larger than the window (--mapped), as in pcie-bench, which maps a 64 MiB
 * buffer and touches its first W bytes: that is how a window smaller than a
 * 2 MiB page is measured with superpages. */
#include "sim/gen/gen.h"

enum { RW_WINDOW, RW_PAGE, RW_COUNT, RW_SIZE, RW_READS, RW_GAP, RW_MAPPED, RW_ATS, RW_ATS_INV,
       RW_NOPTS };

static const struct ims_gen_opt rw_opts[RW_NOPTS] = {
	[RW_WINDOW] = { "window", IMS_GEN_SIZE, "64M", 4096, UINT64_C(1) << 40, NULL,
			"bytes mapped and covered by the DMA (a multiple of --page)" },
	[RW_PAGE] = { "page", IMS_GEN_CHOICE, "4K", 0, 0, "4K|2M|1G",
		      "page size of the mapping (its IOVA and PA alignment allow no larger)" },
	[RW_COUNT] = { "count", IMS_GEN_COUNT, "20000", 1, UINT64_C(1) << 32, NULL,
		       "number of DMAs" },
	[RW_SIZE] = { "size", IMS_GEN_SIZE, "64", 1, UINT64_C(1) << 30, NULL,
		      "bytes per DMA; the window is cut in slots of this size, each DMA "
		      "picks one uniformly" },
	[RW_READS] = { "read-fraction", IMS_GEN_FRAC, "0.5", 0, 0, NULL,
		       "fraction of DMAs that are reads (the rest write)" },
	[RW_GAP] = { "gap", IMS_GEN_CYCLES, "200", 0, UINT64_C(1) << 24, NULL,
		     "cycles between DMAs" },
	[RW_MAPPED] = { "mapped", IMS_GEN_SIZE, "0", 0, UINT64_C(1) << 40, NULL,
			"bytes mapped from the window's start (a multiple of --page, at least "
			"--window); 0: the window" },
	[RW_ATS] = IMS_GEN_OPT_ATS,
	[RW_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

/* The window's IOVA (1 TiB: aligned for every page size) and PA. The PA is
 * aligned to P but not to the next size a model could use (AMD v1 takes
 * any power of two), so every leaf is exactly P. */
#define RW_IOVA (UINT64_C(1) << 40)
#define RW_PA_BASE (UINT64_C(1) << 42)

static const unsigned rw_page_lg2[] = { 12, 21, 30 };

static int rw_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	uint64_t page = UINT64_C(1) << rw_page_lg2[cfg->v[RW_PAGE]];

	if (cfg->v[RW_SIZE] > cfg->v[RW_WINDOW])
		return ims_error_set(err, IMS_EINVAL, "--size must not exceed --window");
	if (!cfg->v[RW_MAPPED])
		return ims_gen_check_aligned("window", cfg->v[RW_WINDOW], page, err);
	if (cfg->v[RW_MAPPED] < cfg->v[RW_WINDOW])
		return ims_error_set(err, IMS_EINVAL, "--mapped must not be below --window");
	return ims_gen_check_aligned("mapped", cfg->v[RW_MAPPED], page, err);
}

static void rw_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	uint64_t page = UINT64_C(1) << rw_page_lg2[cfg->v[RW_PAGE]];
	uint64_t window = cfg->v[RW_WINDOW], size = cfg->v[RW_SIZE];
	uint64_t mapped = cfg->v[RW_MAPPED] ? cfg->v[RW_MAPPED] : window;
	uint64_t slots = window / size, t;
	uint32_t dev, dom;

	dev = ims_gen_device(g, 0, "dev");
	dom = ims_gen_domain(g, 0, "window", IMS_GEN_NO_IOAS, true);
	ims_gen_attach(g, 0, dev, dom);
	t = ims_gen_map(g, 0, dom, RW_IOVA, mapped, RW_PA_BASE + page) + IMS_GEN_MARGIN;
	for (uint64_t i = 0; i < cfg->v[RW_COUNT] && ims_gen_ok(g); i++) {
		bool write = !ims_gen_rng_chance(&g->rng, cfg->v[RW_READS]);
		uint64_t slot = ims_gen_rng_below(&g->rng, slots);

		ims_gen_dma(g, t, dev, write, RW_IOVA + slot * size, size);
		t += cfg->v[RW_GAP];
	}
}

const struct ims_gen_workload ims_gen_random_window = {
	.name = "random-window",
	.summary = "uniformly random DMA over a window mapped with one page size (IOTLB reach)",
	.doc = "One device, one domain. The window of --window bytes is mapped once at\n"
	       "IOVA 1 TiB with pages of --page bytes; then --count DMAs of --size bytes,\n"
	       "--gap cycles apart, each to a uniformly random --size-aligned slot of the\n"
	       "window, reads or writes by --read-fraction. Sweep --window against --page\n"
	       "to see the IOTLB hit rate fall once the window exceeds the IOTLB's reach.\n"
	       "--mapped maps more than the window (pcie-bench maps 64 MiB and uses the\n"
	       "first --window bytes), so windows below one page can be measured.",
	.opts = rw_opts,
	.nopts = RW_NOPTS,
	.check = rw_check,
	.generate = rw_generate,
};
