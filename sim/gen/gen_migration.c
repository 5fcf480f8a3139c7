/* migration: live migration of a VM with assigned devices. Guest memory is
 * mapped once (long-lived), dirty tracking goes on, the devices write into
 * a working set while pre-copy dirty-sync rounds run every --period, then
 * the VM stops: a final stop-copy round and the teardown with dirty-unmap
 * (read the dirty bits, then unmap). With --churn, a guest vIOMMU maps and
 * unmaps 4 KiB pages of a window of its own during the pre-copy phase (each
 * unmap a dirty-unmap, as the VMM must not lose bits the guest unmaps). */
#include <stdio.h>
#include <stdlib.h>

#include "sim/gen/gen.h"

enum { MG_MEMORY, MG_BACKING, MG_DEVICES, MG_WSET, MG_RATE, MG_DMA_SIZE, MG_PERIOD,
       MG_DURATION, MG_CHURN, MG_CHURN_PAGES, MG_CHURN_RATE, MG_ATS, MG_ATS_INV, MG_NOPTS };

static const unsigned mg_backing_lg2[] = { 12, 21, 30 };

static const struct ims_gen_opt mg_opts[MG_NOPTS] = {
	[MG_MEMORY] = { "memory", IMS_GEN_SIZE, "256M", UINT64_C(2) << 20, UINT64_C(1) << 40,
			NULL, "guest memory, mapped at IOVA 0 (a multiple of 2M and of --backing)" },
	[MG_BACKING] = { "backing", IMS_GEN_CHOICE, "2M", 0, 0, "4K|2M|1G",
			 "host page size backing guest memory: its leaf size" },
	[MG_DEVICES] = { "devices", IMS_GEN_COUNT, "2", 1, 256, NULL,
			 "assigned devices (one domain)" },
	[MG_WSET] = { "working-set", IMS_GEN_SIZE, "16M", 4096, UINT64_C(1) << 40, NULL,
		      "bytes of guest memory the devices write (a region at a random place)" },
	[MG_RATE] = { "write-rate", IMS_GEN_CYCLES, "4000", 1, UINT64_C(1) << 24, NULL,
		      "cycles between DMA writes (all devices together)" },
	[MG_DMA_SIZE] = { "dma-size", IMS_GEN_SIZE, "4K", 64, UINT64_C(1) << 30, NULL,
			  "bytes per DMA write" },
	[MG_PERIOD] = { "period", IMS_GEN_CYCLES, "2000000", 1000, UINT64_C(1) << 40, NULL,
			"cycles between pre-copy dirty-sync rounds" },
	[MG_DURATION] = { "duration", IMS_GEN_CYCLES, "20000000", 1, UINT64_C(1) << 44, NULL,
			  "cycles of pre-copy (device writes) before stop-and-copy" },
	[MG_CHURN] = { "churn", IMS_GEN_FLAG, "off", 0, 0, NULL,
		       "a guest vIOMMU maps and unmaps pages during migration" },
	[MG_CHURN_PAGES] = { "churn-pages", IMS_GEN_COUNT, "256", 2, 1u << 20, NULL,
			     "4 KiB pages of the vIOMMU window (half mapped at any time)" },
	[MG_CHURN_RATE] = { "churn-rate", IMS_GEN_CYCLES, "50000", 1, UINT64_C(1) << 40, NULL,
			    "cycles between guest unmap+map pairs" },
	[MG_ATS] = IMS_GEN_OPT_ATS,
	[MG_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

#define MG_PA_BASE (UINT64_C(1) << 41)
#define MG_CHURN_IOVA (UINT64_C(1) << 40)
#define MG_CHUNK (UINT64_C(1) << 30)   /* guest memory is mapped 1 GiB at a time */

static int mg_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	const uint64_t *v = cfg->v;
	int rc;

	if ((rc = ims_gen_check_aligned("memory", v[MG_MEMORY], UINT64_C(2) << 20, err)) ||
	    (rc = ims_gen_check_aligned("memory", v[MG_MEMORY],
					UINT64_C(1) << mg_backing_lg2[v[MG_BACKING]], err)))
		return rc;
	if (v[MG_WSET] > v[MG_MEMORY])
		return ims_error_set(err, IMS_EINVAL, "--working-set must not exceed --memory");
	if (v[MG_DMA_SIZE] > v[MG_WSET])
		return ims_error_set(err, IMS_EINVAL, "--dma-size must not exceed --working-set");
	if (v[MG_DMA_SIZE] > 4096 && v[MG_CHURN])
		return ims_error_set(err, IMS_EINVAL, "--churn needs --dma-size of at most 4K "
				     "(the guest maps 4 KiB pages)");
	return 0;
}

struct mg {
	struct ims_gen *g;
	const uint64_t *v;
	uint32_t dom;
	uint64_t next_round, end, round_cost;
	uint64_t churn_mapped;            /* pages */
	uint64_t *churn_ready;            /* per page: mapped from then on; 0: unmapped */
};

/* Pre-copy rounds are host work the simulator starts by itself: account
 * for those due by time t before estimating a host operation at t. */
static void mg_rounds_until(struct mg *m, uint64_t t)
{
	for (; m->next_round <= t && m->next_round <= m->end; m->next_round += m->v[MG_PERIOD])
		ims_gen_host(m->g, m->next_round, m->round_cost);
}

static uint64_t mg_churn_iova(uint64_t page)
{
	return MG_CHURN_IOVA + page * 4096;
}

/* A page of the window, mapped (want) or not, at random; the window is
 * half mapped, so a few probes find one. */
static uint64_t mg_churn_pick(struct mg *m, bool mapped)
{
	uint64_t n = m->v[MG_CHURN_PAGES], p = ims_gen_rng_below(&m->g->rng, n);

	while ((m->churn_ready[p] != 0) != mapped)
		p = (p + 1) % n;
	return p;
}

static void mg_churn_map(struct mg *m, uint64_t t, uint64_t page)
{
	mg_rounds_until(m, t);
	/* a round may start before the map does: leave room for one */
	m->churn_ready[page] = ims_gen_map(m->g, t, m->dom, mg_churn_iova(page), 4096,
					   IMS_GEN_NO_PA) + m->round_cost + IMS_GEN_MARGIN;
	m->churn_mapped++;
}

static void mg_churn_unmap(struct mg *m, uint64_t t, uint64_t page)
{
	mg_rounds_until(m, t);
	ims_gen_dirty_unmap(m->g, t, m->dom, mg_churn_iova(page), 4096, 1);
	m->churn_ready[page] = 0;
	m->churn_mapped--;
}

static void mg_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	const uint64_t *v = cfg->v;
	uint64_t memory = v[MG_MEMORY], pages = v[MG_CHURN_PAGES];
	uint64_t backing = UINT64_C(1) << mg_backing_lg2[v[MG_BACKING]];
	uint64_t wset_base, wset_slots, t, next_churn;
	struct mg m = { .g = g, .v = v, .next_round = UINT64_MAX };

	m.churn_ready = calloc(pages, sizeof(*m.churn_ready));
	if (!m.churn_ready) {
		g->rc = ims_error_set(g->err, IMS_ENOMEM, "out of memory");
		return;
	}
	m.dom = ims_gen_domain(g, 0, "vm", IMS_GEN_NO_IOAS, true);
	for (uint64_t d = 0; d < v[MG_DEVICES]; d++) {
		char name[IMS_GEN_NAME_BUF];

		snprintf(name, sizeof(name), "dev%u", (unsigned)d);
		ims_gen_attach(g, 0, ims_gen_device(g, 0, name), m.dom);
	}
	/* the VM's life before migration: memory mapped, PA aligned to the
	 * backing page size but not to the next one */
	for (uint64_t off = 0; off < memory; off += MG_CHUNK) {
		uint64_t len = memory - off < MG_CHUNK ? memory - off : MG_CHUNK;

		ims_gen_map(g, 0, m.dom, off, len, MG_PA_BASE + backing + off);
	}
	if (v[MG_CHURN])
		for (uint64_t p = 0; p < pages; p += 2)
			mg_churn_map(&m, 0, p);

	/* migration starts: tracking on, then the rounds */
	t = g->host_end + IMS_GEN_MARGIN;
	t = ims_gen_dirty_tracking(g, t, m.dom, true, memory + m.churn_mapped * 4096) +
	    IMS_GEN_MARGIN;
	ims_gen_precopy(g, t, m.dom, v[MG_PERIOD]);
	m.next_round = t + v[MG_PERIOD];
	m.end = t + v[MG_DURATION];
	m.round_cost = ims_gen_dirty_cost(g, memory + (v[MG_CHURN] ? pages * 4096 : 0));
	for (uint64_t p = 0; p < pages; p++)
		if (m.churn_ready[p] && m.churn_ready[p] < t)
			m.churn_ready[p] = t;

	wset_slots = v[MG_WSET] / v[MG_DMA_SIZE];
	wset_base = ims_gen_rng_below(&g->rng, (memory - v[MG_WSET]) / 4096 + 1) * 4096;
	next_churn = v[MG_CHURN] ? t + v[MG_CHURN_RATE] : UINT64_MAX;
	for (t += v[MG_RATE]; t < m.end && ims_gen_ok(g);) {
		uint32_t dev = (uint32_t)ims_gen_rng_below(&g->rng, v[MG_DEVICES]);
		uint64_t iova = wset_base + ims_gen_rng_below(&g->rng, wset_slots) * v[MG_DMA_SIZE];

		if (next_churn <= t) {
			mg_churn_unmap(&m, next_churn, mg_churn_pick(&m, true));
			mg_churn_map(&m, next_churn, mg_churn_pick(&m, false));
			next_churn += v[MG_CHURN_RATE];
			continue;
		}
		/* one write in eight goes to a page the guest mapped */
		if (v[MG_CHURN] && !ims_gen_rng_below(&g->rng, 8)) {
			uint64_t p = mg_churn_pick(&m, true);

			if (m.churn_ready[p] <= t)
				iova = mg_churn_iova(p) +
				       ims_gen_rng_below(&g->rng, 4096 / v[MG_DMA_SIZE]) *
					       v[MG_DMA_SIZE];
		}
		ims_gen_dma(g, t, dev, true, iova, v[MG_DMA_SIZE]);
		t += v[MG_RATE];
	}

	/* stop-and-copy: the VM and its devices are stopped */
	t = m.end > g->now ? m.end : g->now;
	mg_rounds_until(&m, t);
	t = ims_gen_stop_copy(g, t, m.dom, memory + m.churn_mapped * 4096);
	for (uint64_t off = 0; off < memory; off += MG_CHUNK) {
		uint64_t len = memory - off < MG_CHUNK ? memory - off : MG_CHUNK;

		ims_gen_dirty_unmap(g, t, m.dom, off, len, 1);
	}
	for (uint64_t p = 0; p < pages; p++)
		if (m.churn_ready[p])
			mg_churn_unmap(&m, t, p);
	ims_gen_dirty_tracking(g, t, m.dom, false, 0);
	free(m.churn_ready);
}

const struct ims_gen_workload ims_gen_migration = {
	.name = "migration",
	.summary = "live migration: dirty tracking, pre-copy rounds, stop-copy, dirty-unmap; "
		   "optional vIOMMU churn",
	.doc = "One domain `vm` with --devices devices. --memory bytes of guest memory are\n"
	       "mapped at IOVA 0 (1 GiB per map, leaves of --backing size). Then dirty\n"
	       "tracking goes on and `precopy vm period=--period` starts the dirty-sync\n"
	       "rounds; for --duration cycles the devices write --dma-size bytes every\n"
	       "--write-rate cycles at random places of a --working-set region. Then\n"
	       "`stop-copy vm`, a dirty-unmap of all memory, tracking off. --churn adds a\n"
	       "guest vIOMMU window of --churn-pages 4 KiB pages at IOVA 1 TiB, half mapped,\n"
	       "where every --churn-rate cycles the guest unmaps one page (dirty-unmap) and\n"
	       "maps another; one device write in eight goes there.",
	.opts = mg_opts,
	.nopts = MG_NOPTS,
	.check = mg_check,
	.generate = mg_generate,
};
