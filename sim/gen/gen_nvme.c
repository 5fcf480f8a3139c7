/* nvme: an NVMe controller streaming large sequential reads and writes
 * through buffers in two kinds of memory: one region mapped with 2 MiB
 * pages (hugepage-backed, as a VM's memory or an SPDK pool) and one whose
 * host memory only allows 4 KiB pages. The controller keeps --queue-depth
 * commands in flight and moves their data in bursts, round robin. */
#include <stdlib.h>

#include "sim/gen/gen.h"

enum { NV_IOS, NV_IO_SIZE, NV_QD, NV_BURST, NV_BURST_CYCLES, NV_READS, NV_HUGE, NV_BUFFER,
       NV_MAP, NV_ATS, NV_ATS_INV, NV_NOPTS };

enum { NV_STATIC, NV_PER_IO };
enum { NV_REGION_HUGE, NV_REGION_SMALL, NV_REGIONS };

static const struct ims_gen_opt nv_opts[NV_NOPTS] = {
	[NV_IOS] = { "ios", IMS_GEN_COUNT, "1000", 1, UINT64_C(1) << 32, NULL,
		     "I/O commands" },
	[NV_IO_SIZE] = { "io-size", IMS_GEN_SIZE, "256K", 4096, UINT64_C(1) << 30, NULL,
			 "bytes per command (a multiple of 4K)" },
	[NV_QD] = { "queue-depth", IMS_GEN_COUNT, "16", 1, 4096, NULL,
		    "commands in flight" },
	[NV_BURST] = { "burst", IMS_GEN_SIZE, "32K", 64, UINT64_C(1) << 30, NULL,
		       "bytes per DMA: the controller moves a command's data in bursts" },
	[NV_BURST_CYCLES] = { "burst-cycles", IMS_GEN_CYCLES, "8000", 1, UINT64_C(1) << 24, NULL,
			      "cycles per burst (device bandwidth)" },
	[NV_READS] = { "read-fraction", IMS_GEN_FRAC, "0.5", 0, 0, NULL,
		       "fraction of commands that are reads (the device writes memory)" },
	[NV_HUGE] = { "huge-fraction", IMS_GEN_FRAC, "0.5", 0, 0, NULL,
		      "fraction of commands whose buffer is in 2M-mapped memory (the rest: 4K)" },
	[NV_BUFFER] = { "buffer", IMS_GEN_SIZE, "64M", UINT64_C(2) << 20, UINT64_C(1) << 36, NULL,
			"bytes of each region (a multiple of 2M); commands walk it sequentially" },
	[NV_MAP] = { "map", IMS_GEN_CHOICE, "static", 0, 0, "static|per-io",
		     "static: regions mapped once; per-io: each buffer mapped at submission and "
		     "unmapped at completion (DMA API)" },
	[NV_ATS] = IMS_GEN_OPT_ATS,
	[NV_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

/* Region IOVAs and PAs. The 2M region's PA is 2 MiB aligned but not 4 MiB
 * (AMD v1 could use any power of two); the 4K region's PA is only 4 KiB
 * aligned, so its leaves are 4 KiB whatever the IOVA allows. */
static const uint64_t nv_iova[NV_REGIONS] = { UINT64_C(1) << 36, UINT64_C(2) << 36 };
static const uint64_t nv_pa[NV_REGIONS] = { (UINT64_C(1) << 40) + (UINT64_C(2) << 20),
					    (UINT64_C(2) << 40) + 4096 };

static int nv_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	const uint64_t *v = cfg->v;
	int rc;

	if ((rc = ims_gen_check_aligned("io-size", v[NV_IO_SIZE], 4096, err)) ||
	    (rc = ims_gen_check_aligned("buffer", v[NV_BUFFER], UINT64_C(2) << 20, err)))
		return rc;
	if (v[NV_BURST] > v[NV_IO_SIZE])
		return ims_error_set(err, IMS_EINVAL, "--burst must not exceed --io-size");
	/* per-io buffers of the commands in flight must fit side by side */
	if (v[NV_BUFFER] / v[NV_IO_SIZE] < (v[NV_MAP] == NV_PER_IO ? v[NV_QD] + 1 : 1))
		return ims_error_set(err, IMS_EINVAL,
				     "--buffer must hold %s --io-size bytes",
				     v[NV_MAP] == NV_PER_IO ? "--queue-depth + 1 times" : "at least");
	return 0;
}

struct nv_cmd {
	bool active;           /* a command is in the slot */
	bool write;            /* the device writes memory (a read command) */
	unsigned region;
	uint64_t slice;        /* buffer: slice of --io-size bytes in the region */
	uint64_t done;         /* bytes moved */
	uint64_t ready;        /* its buffer is mapped from then on */
};

struct nv {
	struct ims_gen *g;
	const uint64_t *v;
	uint32_t dom;
	uint64_t next;                    /* next command to submit */
	uint64_t slices;                  /* per region */
	uint64_t cursor[NV_REGIONS];      /* next slice, sequentially */
	uint8_t *busy[NV_REGIONS];        /* per-io: per slice, a command in flight uses it */
};

static uint64_t nv_buf_iova(const struct nv *n, const struct nv_cmd *c)
{
	return nv_iova[c->region] + c->slice * n->v[NV_IO_SIZE];
}

/* Submit the next command into slot c at time t (nothing left: empty). */
static void nv_submit(struct nv *n, struct nv_cmd *c, uint64_t t)
{
	const uint64_t *v = n->v;
	bool per_io = v[NV_MAP] == NV_PER_IO;
	uint8_t *busy;

	c->active = n->next < v[NV_IOS];
	if (!c->active)
		return;
	n->next++;
	c->write = ims_gen_rng_chance(&n->g->rng, v[NV_READS]);
	c->region = ims_gen_rng_chance(&n->g->rng, v[NV_HUGE]) ? NV_REGION_HUGE : NV_REGION_SMALL;
	busy = n->busy[c->region];
	/* a per-io buffer is mapped for its command alone: skip slices still
	 * in flight (there are more slices than commands); static buffers
	 * may overlap */
	while (per_io && busy[n->cursor[c->region]])
		n->cursor[c->region] = (n->cursor[c->region] + 1) % n->slices;
	c->slice = n->cursor[c->region];
	n->cursor[c->region] = (c->slice + 1) % n->slices;
	c->done = 0;
	c->ready = t;
	if (per_io) {
		busy[c->slice] = 1;
		c->ready = ims_gen_map(n->g, t, n->dom, nv_buf_iova(n, c), v[NV_IO_SIZE],
				       nv_pa[c->region] + c->slice * v[NV_IO_SIZE]) +
			   IMS_GEN_MARGIN;
	}
}

static void nv_complete(struct nv *n, struct nv_cmd *c, uint64_t t)
{
	if (n->v[NV_MAP] == NV_PER_IO) {
		ims_gen_unmap(n->g, t, n->dom, nv_buf_iova(n, c), n->v[NV_IO_SIZE], 1);
		n->busy[c->region][c->slice] = 0;
	}
	nv_submit(n, c, t);
}

static void nv_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	const uint64_t *v = cfg->v;
	struct nv n = { .g = g, .v = v, .slices = v[NV_BUFFER] / v[NV_IO_SIZE] };
	uint64_t qd = v[NV_QD], now = 0, completed = 0, rr = 0;
	struct nv_cmd *cmd = calloc(qd, sizeof(*cmd));
	uint32_t dev;

	if (v[NV_MAP] == NV_PER_IO) {
		n.busy[0] = calloc(n.slices, 1);
		n.busy[1] = calloc(n.slices, 1);
	}
	if (!cmd || (v[NV_MAP] == NV_PER_IO && (!n.busy[0] || !n.busy[1]))) {
		g->rc = ims_error_set(g->err, IMS_ENOMEM, "out of memory");
		goto out;
	}
	dev = ims_gen_device(g, 0, "nvme");
	n.dom = ims_gen_domain(g, 0, "io", IMS_GEN_NO_IOAS, true);
	ims_gen_attach(g, 0, dev, n.dom);
	if (v[NV_MAP] == NV_STATIC) {
		if (v[NV_HUGE] > 0)
			ims_gen_map(g, 0, n.dom, nv_iova[NV_REGION_HUGE], v[NV_BUFFER],
				    nv_pa[NV_REGION_HUGE]);
		if (v[NV_HUGE] < IMS_GEN_PPM)
			ims_gen_map(g, 0, n.dom, nv_iova[NV_REGION_SMALL], v[NV_BUFFER],
				    nv_pa[NV_REGION_SMALL]);
		now = g->host_end + IMS_GEN_MARGIN;
	}
	for (uint64_t s = 0; s < qd; s++)
		nv_submit(&n, &cmd[s], now);
	while (completed < v[NV_IOS] && ims_gen_ok(g)) {
		uint64_t s, earliest = UINT64_MAX, len;
		struct nv_cmd *c = NULL;

		/* round robin over the commands whose buffers are mapped */
		for (uint64_t k = 0; k < qd; k++) {
			s = (rr + k) % qd;
			if (!cmd[s].active)
				continue;
			if (cmd[s].ready <= now) {
				c = &cmd[s];
				break;
			}
			if (cmd[s].ready < earliest)
				earliest = cmd[s].ready;
		}
		if (!c) {
			now = earliest;
			continue;
		}
		rr = s + 1;
		len = v[NV_IO_SIZE] - c->done < v[NV_BURST] ? v[NV_IO_SIZE] - c->done : v[NV_BURST];
		ims_gen_dma(g, now, dev, c->write, nv_buf_iova(&n, c) + c->done, len);
		c->done += len;
		now += v[NV_BURST_CYCLES];
		if (c->done == v[NV_IO_SIZE]) {
			completed++;
			nv_complete(&n, c, now);
		}
	}
out:
	free(cmd);
	free(n.busy[0]);
	free(n.busy[1]);
}

const struct ims_gen_workload ims_gen_nvme = {
	.name = "nvme",
	.summary = "large sequential NVMe reads and writes through 2 MiB and 4 KiB mappings",
	.doc = "One NVMe controller, one domain, two buffer regions of --buffer bytes: one\n"
	       "mapped with 2 MiB pages, one with 4 KiB pages. --ios commands of --io-size\n"
	       "bytes, each a read (the device writes memory) by --read-fraction, with its\n"
	       "buffer in the 2M region by --huge-fraction, at the next slice of that region\n"
	       "(sequential, wrapping). --queue-depth commands are in flight; the device\n"
	       "moves their data round robin in DMAs of --burst bytes, one every\n"
	       "--burst-cycles. --map per-io maps each buffer when its command is submitted\n"
	       "and unmaps it at completion (the host then picks the pages: 2 MiB only when\n"
	       "--io-size is a multiple of 2M).",
	.opts = nv_opts,
	.nopts = NV_NOPTS,
	.check = nv_check,
	.generate = nv_generate,
};
