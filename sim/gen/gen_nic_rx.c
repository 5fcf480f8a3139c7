/* nic-rx: a NIC's receive ring under the DMA API. Every buffer is mapped
 * when it is posted to the ring, written by one packet, and unmapped when
 * the driver takes the packet; then a fresh buffer is mapped into the slot.
 * Strict mode unmaps each buffer as its packet is taken; batched mode
 * defers the unmaps and issues one unmap per --batch consecutive buffers
 * (lazy unmapping, as a driver's NAPI poll or a flush queue would). */
#include <stdlib.h>

#include "sim/gen/gen.h"

enum { NIC_RING, NIC_BUFFER, NIC_PACKETS, NIC_MTU, NIC_RATE, NIC_DELAY, NIC_UNMAP, NIC_BATCH,
       NIC_SLOTS, NIC_ATS, NIC_ATS_INV, NIC_NOPTS };

enum { NIC_STRICT, NIC_BATCHED };

static const struct ims_gen_opt nic_opts[NIC_NOPTS] = {
	[NIC_RING] = { "ring", IMS_GEN_COUNT, "256", 1, 65536, NULL,
		       "receive descriptors: buffers mapped at any time" },
	[NIC_BUFFER] = { "buffer", IMS_GEN_SIZE, "4K", 4096, 1u << 20, NULL,
			 "bytes per buffer (a multiple of 4K)" },
	[NIC_PACKETS] = { "packets", IMS_GEN_COUNT, "4000", 1, UINT64_C(1) << 32, NULL,
			  "packets received (one map, one DMA write, one unmap each)" },
	[NIC_MTU] = { "mtu", IMS_GEN_SIZE, "1500", 64, 1u << 20, NULL,
		      "largest packet; lengths are uniform in [64, mtu] (at most --buffer)" },
	[NIC_RATE] = { "rate", IMS_GEN_CYCLES, "10000", 1, UINT64_C(1) << 24, NULL,
		       "mean cycles between packets (uniform in [rate/2, 3*rate/2])" },
	[NIC_DELAY] = { "delay", IMS_GEN_CYCLES, "4000", 0, UINT64_C(1) << 32, NULL,
			"cycles from a packet's DMA until the driver takes it" },
	[NIC_UNMAP] = { "unmap", IMS_GEN_CHOICE, "strict", 0, 0, "strict|batched",
			"strict: unmap each buffer when taken; batched: one unmap per --batch "
			"buffers" },
	[NIC_BATCH] = { "batch", IMS_GEN_COUNT, "32", 1, 65536, NULL,
			"buffers per unmap in batched mode" },
	[NIC_SLOTS] = { "iova-slots", IMS_GEN_COUNT, "0", 0, UINT64_C(1) << 24, NULL,
			"IOVA slots the buffers cycle through (0: the fewest the ring needs); more "
			"keep an unmapped IOVA unused longer, as an IOVA allocator does" },
	[NIC_ATS] = IMS_GEN_OPT_ATS,
	[NIC_ATS_INV] = IMS_GEN_OPT_ATS_INV,
};

#define NIC_IOVA UINT64_C(0x10000000)

/* The fewest IOVA slots the ring needs: a slot is free again once its
 * buffer is unmapped, which in batched mode waits for the whole batch (a
 * batch is one contiguous range, so slots come in whole batches). */
static uint64_t nic_min_slots(const uint64_t *v)
{
	if (v[NIC_UNMAP] == NIC_STRICT)
		return v[NIC_RING];
	return ims_gen_round_up(v[NIC_RING] + v[NIC_BATCH], v[NIC_BATCH]);
}

static int nic_check(const struct ims_gen_cfg *cfg, struct ims_error *err)
{
	const uint64_t *v = cfg->v;

	if (v[NIC_MTU] > v[NIC_BUFFER])
		return ims_error_set(err, IMS_EINVAL, "--mtu must not exceed --buffer");
	if (v[NIC_SLOTS] && (v[NIC_SLOTS] < nic_min_slots(v) ||
			     (v[NIC_UNMAP] != NIC_STRICT && v[NIC_SLOTS] % v[NIC_BATCH])))
		return ims_error_set(err, IMS_EINVAL, "--iova-slots must be 0 or at least %llu%s",
				     (unsigned long long)nic_min_slots(v),
				     v[NIC_UNMAP] == NIC_STRICT ? " (--ring)"
							       : ", a multiple of --batch");
	return ims_gen_check_aligned("buffer", v[NIC_BUFFER], 4096, err);
}

struct nic {
	struct ims_gen *g;
	const struct ims_gen_cfg *cfg;
	uint32_t dom;
	uint64_t slots;      /* IOVA slots: buffers in the ring plus those awaiting unmap */
	uint64_t *ready;     /* by packet % ring: estimated end of its buffer's map */
	uint64_t *taken;     /* by packet % ring: when the driver takes it */
};

static uint64_t nic_iova(const struct nic *n, uint64_t packet)
{
	return NIC_IOVA + packet % n->slots * n->cfg->v[NIC_BUFFER];
}

/* Post the buffer of `packet` at time t. */
static void nic_post(struct nic *n, uint64_t t, uint64_t packet)
{
	n->ready[packet % n->cfg->v[NIC_RING]] =
		ims_gen_map(n->g, t, n->dom, nic_iova(n, packet), n->cfg->v[NIC_BUFFER], IMS_GEN_NO_PA);
}

/* The driver takes packet c: unmap (now, or the batch c completes), and
 * post the buffer of the packet that will use the slot next. */
static void nic_take(struct nic *n, uint64_t c)
{
	const uint64_t *v = n->cfg->v;
	uint64_t t = n->taken[c % v[NIC_RING]], buf = v[NIC_BUFFER];

	if (t < n->g->now)
		t = n->g->now;
	if (v[NIC_UNMAP] == NIC_STRICT) {
		ims_gen_unmap(n->g, t, n->dom, nic_iova(n, c), buf, 1);
	} else if (c % v[NIC_BATCH] == v[NIC_BATCH] - 1 || c == v[NIC_PACKETS] - 1) {
		uint64_t first = c - c % v[NIC_BATCH], count = c - first + 1;

		ims_gen_unmap(n->g, t, n->dom, nic_iova(n, first), count * buf, count);
	}
	if (c + v[NIC_RING] < v[NIC_PACKETS])
		nic_post(n, t, c + v[NIC_RING]);
}

static void nic_generate(struct ims_gen *g, const struct ims_gen_cfg *cfg)
{
	const uint64_t *v = cfg->v;
	uint64_t ring = v[NIC_RING], packets = v[NIC_PACKETS], arrival, next = 0;
	struct nic n = { .g = g, .cfg = cfg };
	uint32_t dev;

	n.slots = v[NIC_SLOTS] ? v[NIC_SLOTS] : nic_min_slots(v);
	n.ready = calloc(ring, sizeof(*n.ready));
	n.taken = calloc(ring, sizeof(*n.taken));
	if (!n.ready || !n.taken) {
		g->rc = ims_error_set(g->err, IMS_ENOMEM, "out of memory");
		goto out;
	}
	dev = ims_gen_device(g, 0, "nic");
	n.dom = ims_gen_domain(g, 0, "rx", IMS_GEN_NO_IOAS, true);
	ims_gen_attach(g, 0, dev, n.dom);
	for (uint64_t i = 0; i < ring && i < packets; i++)
		nic_post(&n, 0, i);
	arrival = g->host_end + IMS_GEN_MARGIN;
	for (uint64_t i = 0; i < packets && ims_gen_ok(g); i++) {
		uint64_t t, len;

		if (i)
			arrival += v[NIC_RATE] / 2 + ims_gen_rng_below(&g->rng, v[NIC_RATE] + 1);
		/* the slot is posted when the packet that used it before is taken */
		for (; i >= ring && next <= i - ring; next++)
			nic_take(&n, next);
		t = n.ready[i % ring] + IMS_GEN_MARGIN;
		if (t < arrival)
			t = arrival;
		for (; next < i && n.taken[next % ring] <= t; next++)
			nic_take(&n, next);
		if (t < g->now)
			t = g->now;
		len = 64 + ims_gen_rng_below(&g->rng, v[NIC_MTU] - 64 + 1);
		ims_gen_dma(g, t, dev, true, nic_iova(&n, i), len);
		n.taken[i % ring] = t + v[NIC_DELAY];
	}
	for (; next < packets && ims_gen_ok(g); next++)
		nic_take(&n, next);
out:
	free(n.ready);
	free(n.taken);
}

const struct ims_gen_workload ims_gen_nic_rx = {
	.name = "nic-rx",
	.summary = "a NIC receive ring: map, DMA write, unmap per packet; strict or batched unmaps",
	.doc = "One NIC, one domain. --ring buffers of --buffer bytes are mapped and posted;\n"
	       "packets arrive about every --rate cycles, each DMA-written into the next\n"
	       "posted buffer; --delay cycles later the driver takes it, unmaps the buffer\n"
	       "(strict) or adds it to a batch unmapped as one range when --batch buffers\n"
	       "are done (batched), and maps a new buffer into the slot. Maps = unmapped\n"
	       "buffers = --packets. When the host's estimated work per packet exceeds\n"
	       "--rate, packets wait for posted buffers instead of faulting. --iova-slots\n"
	       "beyond the ring's needs delays each IOVA's reuse (a lazy unmap's flush\n"
	       "queue must flush before a queued IOVA is mapped again).",
	.opts = nic_opts,
	.nopts = NIC_NOPTS,
	.check = nic_check,
	.generate = nic_generate,
};
