/* viommu-dsi: a guest driving a vIOMMU maps its buffers one 4 KiB page at
 * a time (each guest map is one host map) and invalidates them with
 * domain-selective invalidations over 2 MiB, which the VMM turns into one
 * unmap of the whole range: one range covering 512 separate mappings, that
 * iommufd unmaps area by area with a sync each. With --dirty a migration is
 * in progress and the unmaps are dirty-unmaps. */
#include "sim/gen/gen.h"

enum { DSI_CHUNKS, DSI_SIZE, DSI_ROUNDS, DSI_DMAS, DSI_DMA_SIZE, DSI_MAP_GAP, DSI_DIRTY,
       DSI_ATS, DSI_ATS_INV, DSI_NOPTS };

static const struct ims_gen_opt dsi_opts[DSI_NOPTS] = {
	[DSI_CHUNKS] = { "chunks", IMS_GEN_COUNT, "8", 1, 1u << 20, NULL,
			 "ranges invalidated at once, each mapped page by page" },
	[DSI_SIZE] = { "dsi-size", IMS_GEN_SIZE, "2M", 8192, UINT64_C(1) << 30, NULL,
		       "bytes per domain-selective invalidation (a multiple of 4K)" },
	[DSI_ROUNDS] = { "rounds", IMS_GEN_COUNT, "2", 1, 1u << 20, NULL,
			 "map, DMA, invalidate cycles over all chunks (same IOVAs each round)" },
	[DSI_DMAS] = { "dmas", IMS_GEN_COUNT, "64", 0, 1u << 30, NULL,
		       "DMAs per chunk and round, at random places of the chunk" },
	[DSI_DMA_SIZE] = { "dma-size", IMS_GEN_SIZE, "4K", 1, UINT64_C(1) << 30, NULL,
			   "bytes per DMA (at most --dsi-size)" },
	[DSI_MAP_GAP] = { "map-gap", IMS_GEN_CYCLES, "500", 0, UINT64_C(1) << 24, NULL,
			  "cycles between the guest's 4 KiB map requests" },
	[DSI_DIRTY] = { "dirty", IMS_GEN_FLAG, "off", 0, 0, NULL,
			"dirty tracking on; invalidations are dirty-unmaps" },
	[DSI_ATS] = IMS_GEN_OPT_ATS,
	[DSI_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

#define DSI_IOVA (UINT64_C(1) << 32)
#define DSI_DMA_GAP 500

static int dsi_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	if (cfg->v[DSI_CHUNKS] * cfg->v[DSI_SIZE] > (UINT64_C(1) << 48) - DSI_IOVA)
		return ims_error_set(err, IMS_EINVAL, "--chunks x --dsi-size must fit in the "
				     "48-bit IOVA space");
	if (cfg->v[DSI_DMA_SIZE] > cfg->v[DSI_SIZE])
		return ims_error_set(err, IMS_EINVAL, "--dma-size must not exceed --dsi-size");
	return ims_gen_check_aligned("dsi-size", cfg->v[DSI_SIZE], 4096, err);
}

static void dsi_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	const uint64_t *v = cfg->v;
	uint64_t dsi = v[DSI_SIZE], pages = dsi / 4096, t = 0;
	uint64_t slots = dsi / v[DSI_DMA_SIZE];
	uint32_t dev, dom;

	dev = ims_gen_device(g, 0, "dev");
	dom = ims_gen_domain(g, 0, "guest", IMS_GEN_NO_IOAS, true);
	ims_gen_attach(g, 0, dev, dom);
	if (v[DSI_DIRTY])
		t = ims_gen_dirty_tracking(g, 0, dom, true, 0);
	for (uint64_t r = 0; r < v[DSI_ROUNDS] && ims_gen_ok(g); r++) {
		for (uint64_t c = 0; c < v[DSI_CHUNKS] && ims_gen_ok(g); c++)
			for (uint64_t p = 0; p < pages; p++, t += v[DSI_MAP_GAP])
				ims_gen_map(g, t, dom, DSI_IOVA + c * dsi + p * 4096, 4096,
					    IMS_GEN_NO_PA);
		t = g->host_end + IMS_GEN_MARGIN;
		for (uint64_t c = 0; c < v[DSI_CHUNKS]; c++)
			for (uint64_t i = 0; i < v[DSI_DMAS]; i++, t += DSI_DMA_GAP) {
				uint64_t off = ims_gen_rng_below(&g->rng, slots) * v[DSI_DMA_SIZE];

				ims_gen_dma(g, t, dev, ims_gen_rng_below(&g->rng, 2), DSI_IOVA + c * dsi + off,
					    v[DSI_DMA_SIZE]);
			}
		for (uint64_t c = 0; c < v[DSI_CHUNKS]; c++) {
			if (v[DSI_DIRTY])
				ims_gen_dirty_unmap(g, t, dom, DSI_IOVA + c * dsi, dsi, pages);
			else
				ims_gen_unmap(g, t, dom, DSI_IOVA + c * dsi, dsi, pages);
		}
		t = g->host_end + IMS_GEN_MARGIN;
	}
}

const struct ims_gen_workload ims_gen_viommu_dsi = {
	.name = "viommu-dsi",
	.summary = "guest maps 4 KiB pages, invalidates 2 MiB ranges (domain-selective)",
	.doc = "One device, one domain `guest`. Each round the guest maps --chunks ranges of\n"
	       "--dsi-size bytes one 4 KiB page at a time (--map-gap cycles apart), the device\n"
	       "does --dmas reads or writes of --dma-size bytes into each chunk, and then\n"
	       "each chunk is invalidated with one unmap over the whole range (512 areas for\n"
	       "2M: one sync each). --dirty turns dirty tracking on first and makes every\n"
	       "invalidation a dirty-unmap, so --strategy compares the unmap strategies.",
	.opts = dsi_opts,
	.nopts = DSI_NOPTS,
	.check = dsi_check,
	.generate = dsi_generate,
};
