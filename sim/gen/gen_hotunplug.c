/* hotunplug: the five-step non-coherent scenario (traces/noncoherent/
 * five-step.trace, docs/noncoherent.md) at scale. Buffers of one IOAS are
 * mapped into a coherent domain, shared with --gpus non-coherent domains
 * whose devices read and write them without snooping, pinned by an
 * emulated device; then the non-coherent domains are hot-unplugged, the
 * host reads the buffers, the coherent domain goes too, and the pins are
 * dropped: every point where a cache-flush strategy may have to act. */
#include <stdio.h>

#include "sim/gen/gen.h"

enum { HU_GPUS, HU_BUFFERS, HU_BUFFER_SIZE, HU_DMAS, HU_ATS, HU_ATS_INV, HU_NOPTS };

static const struct ims_gen_opt hu_opts[HU_NOPTS] = {
	[HU_GPUS] = { "gpus", IMS_GEN_COUNT, "4", 1, 4096, NULL,
		      "non-coherent devices, each with its own coherent=no domain" },
	[HU_BUFFERS] = { "buffers", IMS_GEN_COUNT, "16", 1, 1u << 20, NULL,
			 "buffers (one ioas-map each)" },
	[HU_BUFFER_SIZE] = { "buffer-size", IMS_GEN_SIZE, "64K", 8192, UINT64_C(1) << 30, NULL,
			     "bytes per buffer (a multiple of 4K)" },
	[HU_DMAS] = { "dmas", IMS_GEN_COUNT, "32", 0, 1u << 30, NULL,
		      "DMAs per non-coherent device: whole-buffer reads, partial writes" },
	[HU_ATS] = IMS_GEN_OPT_ATS,
	[HU_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

#define HU_GAP 10000   /* cycles between steps' events, besides host estimates */

static int hu_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	return ims_gen_check_aligned("buffer-size", cfg->v[HU_BUFFER_SIZE], 4096, err);
}

static void hu_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	const uint64_t *v = cfg->v;
	uint64_t size = v[HU_BUFFER_SIZE], nbuf = v[HU_BUFFERS], total = size * nbuf, t;
	uint32_t vm, nic, coh, gpu0 = 0, nc0 = 0;

	g->noncoherent = true;
	vm = ims_gen_ioas(g, 0, "vm");
	nic = ims_gen_device(g, 0, "nic");
	coh = ims_gen_domain(g, 0, "coh", vm, true);
	ims_gen_attach(g, 0, nic, coh);

	/* 1. buffers mapped into the coherent domain (pinned, zeroed); the
	 *    NIC writes the first page of each */
	for (uint64_t b = 0; b < nbuf; b++)
		ims_gen_ioas_map(g, 0, vm, b * size, size, 1);
	t = g->host_end + IMS_GEN_MARGIN;
	for (uint64_t b = 0; b < nbuf; b++, t += HU_GAP / 10)
		ims_gen_dma(g, t, nic, true, b * size, 4096);

	/* 2. non-coherent domains join vm (filled from the storage domain);
	 *    their devices read buffers and write parts of them */
	for (uint32_t i = 0; i < v[HU_GPUS] && ims_gen_ok(g); i++) {
		char name[IMS_GEN_NAME_BUF];
		uint32_t dom, dev;

		snprintf(name, sizeof(name), "nc%u", i);
		dom = ims_gen_domain(g, t, name, vm, false);
		snprintf(name, sizeof(name), "gpu%u", i);
		dev = ims_gen_device(g, t, name);

		ims_gen_attach(g, t, dev, dom);
		ims_gen_host(g, t, ims_gen_map_cost(g, total, 1, false));
		if (!i) {
			gpu0 = dev;
			nc0 = dom;
		}
	}
	t = g->host_end + IMS_GEN_MARGIN;
	for (uint64_t i = 0; i < v[HU_DMAS] * v[HU_GPUS] && ims_gen_ok(g); i++, t += HU_GAP / 10) {
		uint32_t dev = gpu0 + (uint32_t)(i % v[HU_GPUS]);
		uint64_t b = ims_gen_rng_below(&g->rng, nbuf), pages = size / 4096;

		if (ims_gen_rng_below(&g->rng, 2)) {
			ims_gen_dma(g, t, dev, false, b * size, size);
		} else {
			uint64_t n = 1 + ims_gen_rng_below(&g->rng, pages / 2);
			uint64_t first = ims_gen_rng_below(&g->rng, pages - n + 1);

			ims_gen_dma(g, t, dev, true, b * size + first * 4096, n * 4096);
		}
	}
	for (uint64_t b = 0; b < nbuf; b++)
		t = ims_gen_access_pin(g, t, vm, b * size, size, false);

	/* 3. hot-unplug: the non-coherent domains leave; the host reads the
	 *    buffers while they are still in use */
	for (uint32_t i = 0; i < v[HU_GPUS]; i++)
		t = ims_gen_ioas_detach(g, t + HU_GAP, nc0 + i, total, nbuf, false);
	for (uint64_t b = 0; b < nbuf; b++)
		t = ims_gen_cpu_access(g, t, vm, b * size, size, false);

	/* 4. unmapped from the coherent domain too: only the pins hold them */
	t = ims_gen_ioas_detach(g, t + HU_GAP, coh, total, nbuf, false);

	/* 5. unpinned: the host gets the pages back */
	for (uint64_t b = 0; b < nbuf; b++)
		t = ims_gen_access_pin(g, t + HU_GAP, vm, b * size, size, true);
}

const struct ims_gen_workload ims_gen_hotunplug = {
	.name = "hotunplug",
	.summary = "the non-coherent five-step scenario (map, share, pin, hot-unplug, unpin) at scale",
	.doc = "IOAS `vm` with a coherent domain `coh` (device nic). 1: --buffers buffers of\n"
	       "--buffer-size bytes are ioas-mapped (pinned and zeroed) and nic writes a page\n"
	       "of each. 2: --gpus non-coherent domains nc0.. join vm (each filled from the\n"
	       "coherent storage domain) with devices gpu0..; each does --dmas DMAs: reads of\n"
	       "whole buffers and writes of random page ranges; an emulated device pins every\n"
	       "buffer (access-pin). 3: the nc domains are detached (hot-unplug) and the host\n"
	       "reads every buffer (cpu-read). 4: coh is detached. 5: the buffers are unpinned.\n"
	       "Compare the cache-flush strategies with `iommusim compare FILE --coherency all`.",
	.opts = hu_opts,
	.nopts = HU_NOPTS,
	.check = hu_check,
	.generate = hu_generate,
};
