#include "sim/run.h"

#include <stdlib.h>

#include "sim/check.h"
#include "sim/host/host.h"
#include "sim/host/ioas.h"
#include "sim/host/unmap_flush.h"

static int lookup_domain(struct ims_sim *sim, uint32_t index, struct ims_domain **out,
			 struct ims_error *err)
{
	if (index >= sim->ndomains)
		return ims_error_set(err, IMS_ENOENT, "domain #%u not declared", index);
	*out = sim->domains[index];
	return 0;
}

static int lookup_device(struct ims_sim *sim, uint32_t index, struct ims_device **out,
			 struct ims_error *err)
{
	if (index >= sim->ndevices)
		return ims_error_set(err, IMS_ENOENT, "device #%u not declared", index);
	*out = sim->devices[index];
	return 0;
}

static int lookup_ioas(struct ims_sim *sim, uint32_t index, struct ims_ioas **out,
		       struct ims_error *err)
{
	if (index >= sim->nioas)
		return ims_error_set(err, IMS_ENOENT, "IOAS #%u not declared", index);
	*out = sim->ioas[index];
	return 0;
}

/* The iommufd object operations: IOAS declaration, map, unmap, copy,
 * domain attach/detach, access pins. Returns 1 if ev is not one of them. */
static int dispatch_ioas(struct ims_sim *sim, const struct ims_event *ev, struct ims_error *err)
{
	struct ims_ioas *ioas = NULL, *src = NULL;
	struct ims_domain *dom = NULL;
	int rc;

	switch (ev->kind) {
	case IMS_EV_IOAS:
		return ims_ioas_create(sim, ev->name, NULL, err);
	case IMS_EV_IOAS_ATTACH:
		if ((rc = lookup_domain(sim, ev->domain, &dom, err)) ||
		    (rc = lookup_ioas(sim, ev->ioas, &ioas, err)))
			return rc;
		return ims_ioas_attach_domain(sim, ioas, dom, err);
	case IMS_EV_IOAS_DETACH:
		if ((rc = lookup_domain(sim, ev->domain, &dom, err)))
			return rc;
		return ims_ioas_detach_domain(sim, dom, err);
	case IMS_EV_IOAS_MAP:
	case IMS_EV_IOAS_UNMAP:
	case IMS_EV_IOAS_COPY:
	case IMS_EV_ACCESS_PIN:
	case IMS_EV_ACCESS_UNPIN:
	case IMS_EV_CPU_READ:
	case IMS_EV_CPU_WRITE:
		break;
	default:
		return 1;
	}
	if ((rc = lookup_ioas(sim, ev->ioas, &ioas, err)))
		return rc;
	switch (ev->kind) {
	case IMS_EV_IOAS_MAP:
		return ims_ioas_map(sim, ioas, ev->iova, ev->len, ev->flags & IMS_EVF_HAS_PA,
				    ev->pa, ev->prot, err);
	case IMS_EV_IOAS_UNMAP:
		return ims_ioas_unmap(sim, ioas, ev->iova, ev->len, NULL, NULL, err);
	case IMS_EV_IOAS_COPY:
		if ((rc = lookup_ioas(sim, ev->src_ioas, &src, err)))
			return rc;
		return ims_ioas_copy(sim, ioas, ev->iova, src, ev->src_iova, ev->len, ev->prot,
				     err);
	case IMS_EV_ACCESS_PIN:
		return ims_ioas_access_pin(sim, ioas, ev->iova, ev->len, err);
	case IMS_EV_CPU_READ:
	case IMS_EV_CPU_WRITE:
		return ims_ioas_cpu_access(sim, ioas, ev->iova, ev->len,
					   ev->kind == IMS_EV_CPU_WRITE, err);
	default:   /* IMS_EV_ACCESS_UNPIN */
		return ims_ioas_access_unpin(sim, ioas, ev->iova, ev->len, err);
	}
}

static int dispatch(struct ims_sim *sim, const struct ims_event *ev,
		    const struct ims_strategies *st, struct ims_error *err)
{
	struct ims_domain *dom = NULL;
	struct ims_device *dev = NULL;
	struct ims_ioas *ioas = NULL;
	int rc = dispatch_ioas(sim, ev, err);

	if (rc <= 0)
		return rc;
	switch (ev->kind) {
	case IMS_EV_DEVICE:
		if ((rc = ims_host_device_create(sim, ev->name, ev->sid, &dev, err)))
			return rc;
		/* ats=ENTRIES [ats_inv=CYCLES] (0: the ats_inv_ns parameter) */
		if (ev->flags & IMS_EVF_ATS)
			return ims_host_device_enable_ats(sim, dev, ev->len, ev->period, err);
		return 0;
	case IMS_EV_DOMAIN:
		if (ev->flags & IMS_EVF_HAS_IOAS &&
		    (rc = lookup_ioas(sim, ev->ioas, &ioas, err)))
			return rc;
		return ims_host_domain_create_in(sim, ev->name, ev->iova_bits, ioas,
						 ev->flags & IMS_EVF_NONCOHERENT, NULL, err);
	case IMS_EV_ATTACH:
		if ((rc = lookup_device(sim, ev->device, &dev, err)) ||
		    (rc = lookup_domain(sim, ev->domain, &dom, err)))
			return rc;
		return ims_host_attach(sim, dev, dom, err);
	default:
		break;
	}
	if ((rc = lookup_domain(sim, ev->domain, &dom, err)))
		return rc;
	switch (ev->kind) {
	case IMS_EV_MAP:
		return ims_host_map(sim, dom, ev->iova, ev->len, ev->flags & IMS_EVF_HAS_PA,
				    ev->pa, ev->prot, err);
	case IMS_EV_UNMAP:
		return ims_host_unmap(sim, dom, ev->iova, ev->len, err);
	case IMS_EV_DIRTY_TRACKING:
		return ims_host_set_dirty_tracking(sim, dom, ev->flags & IMS_EVF_ON, err);
	case IMS_EV_GET_DIRTY:
		return ims_host_read_dirty(sim, dom, ev->iova, ev->len, ev->page_lg2,
					   ev->flags & IMS_EVF_NO_CLEAR ? IMS_DIRTY_NO_CLEAR : 0,
					   NULL, err);
	case IMS_EV_DIRTY_UNMAP:
		IMS_STAT_INC(&sim->stats, dirty_unmaps);
		return st->unmap->dirty_unmap(sim, dom, ev->iova, ev->len, ev->page_lg2, err);
	case IMS_EV_STOP_COPY:
		return ims_host_dirty_round(sim, dom, ev->page_lg2, st->sync->round_flush, err);
	default:
		return ims_error_set(err, IMS_EINVAL, "event kind %d not handled", (int)ev->kind);
	}
}

/* The run loop's state: one event of lookahead, so the DMAs that follow a
 * host operation in the trace can run inside it when their time comes. */
/* Pre-copy rounds of one domain: every `period` from `next` until stop-copy. */
struct round_plan {
	uint64_t next;               /* UINT64_MAX: no rounds */
	uint64_t period;
	unsigned page_lg2;
	uint64_t line;               /* of the precopy event, for messages */
};

struct replay {
	struct ims_sim *sim;
	struct ims_trace_reader *r;
	struct round_plan *rounds;   /* by domain index */
	unsigned nrounds;
	/* the event being run and the one read ahead take turns in buf, so
	 * moving on to the next event copies nothing */
	struct ims_event buf[2];
	struct ims_event *next;
	int have_next;               /* 1 next is valid, 0 end of trace, < 0 error */
	struct ims_error read_err;   /* error met while reading ahead */
	struct ims_error dma_err;
};

static void read_ahead(struct replay *rp)
{
	struct ims_sim *sim = rp->sim;

	rp->have_next = ims_trace_next(rp->r, rp->next, &rp->read_err);
	sim->race_next = rp->have_next > 0 && rp->next->kind == IMS_EV_DMA ? rp->next->time
									 : UINT64_MAX;
}

static int run_dma(struct ims_sim *sim, const struct ims_event *ev, struct ims_error *err)
{
	struct ims_device *dev = NULL;   /* set by lookup_device; gcc 12 -O2 cannot tell */
	int rc;

	sim->now = ev->time;
	if ((rc = lookup_device(sim, ev->device, &dev, err)))
		return rc;
	ims_dma(sim, dev, ev->iova, ev->len, ev->flags & IMS_EVF_WRITE);
	return 0;
}

/* Pinned 4 KiB pages from which on the look-ahead prefetches: 2 GiB, whose
 * 4 MiB of leaf entries outgrow what the host's last-level cache keeps for
 * us (a pointer chase on the 2-core VM gets slow between 2 and 4 MiB,
 * docs/performance.md). Below, the entries are host cache hits anyway and
 * the look-ahead's reads (about 100 instructions) would be pure cost. A
 * knob of the simulator's speed, not a simulated parameter. */
#define AHEAD_MIN_PINNED_PAGES (UINT64_C(1) << 19)

/* sim->ahead_hook: the next event, read ahead, if it is a DMA through the
 * IOMMU, has the model prefetch its walk's leaf entry. */
static void ahead_hook(struct ims_sim *sim)
{
	const struct replay *rp = sim->race_ctx;
	const struct ims_event *ev = rp->next;
	struct ims_device *dev;

	if (sim->pinned_pages < AHEAD_MIN_PINNED_PAGES || rp->have_next <= 0 || ev->kind != IMS_EV_DMA || ev->device >= sim->ndevices)
		return;
	dev = sim->devices[ev->device];
	if (dev->domain && !dev->ats)
		sim->model->prefetch_walk(sim, dev, dev->domain, ev->iova);
}

static enum ims_check_op check_op(enum ims_ev_kind kind)
{
	switch (kind) {
	case IMS_EV_DMA:
		return IMS_CHECK_OP_DMA;
	case IMS_EV_DIRTY_UNMAP:
		return IMS_CHECK_OP_DIRTY_UNMAP;
	case IMS_EV_STOP_COPY:
		return IMS_CHECK_OP_DIRTY_ROUND;
	default:
		return IMS_CHECK_OP_HOST;
	}
}

/* ims_race_run's hook: run the DMAs before `until`, in trace order. */
static void race_hook(struct ims_sim *sim, uint64_t until)
{
	struct replay *rp = sim->race_ctx;

	while (rp->have_next > 0 && rp->next->kind == IMS_EV_DMA && rp->next->time < until) {
		if (run_dma(sim, rp->next, &rp->dma_err)) {
			ims_trace_locate(rp->r, &rp->dma_err, rp->next->line);
			rp->have_next = -1;
			sim->race_next = UINT64_MAX;
			return;
		}
		read_ahead(rp);
	}
}

static int plan_rounds(struct replay *rp, const struct ims_event *ev, struct ims_error *err)
{
	if (ev->domain >= rp->nrounds) {
		unsigned n = ev->domain + 1;
		struct round_plan *p = realloc(rp->rounds, n * sizeof(*p));

		if (!p)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		for (unsigned i = rp->nrounds; i < n; i++)
			p[i].next = UINT64_MAX;
		rp->rounds = p;
		rp->nrounds = n;
	}
	if (ev->kind == IMS_EV_PRECOPY) {
		rp->rounds[ev->domain] = (struct round_plan){ ev->time + ev->period, ev->period,
							      ev->page_lg2, ev->line };
		if (rp->rounds[ev->domain].next < ev->time)   /* overflow: no rounds */
			rp->rounds[ev->domain].next = UINT64_MAX;
	} else {
		rp->rounds[ev->domain].next = UINT64_MAX;
	}
	return 0;
}

/* The domain whose next pre-copy round comes first, if it is due no later
 * than `before`; -1 otherwise. */
static int due_round(const struct replay *rp, uint64_t before)
{
	int best = -1;

	for (unsigned d = 0; d < rp->nrounds; d++)
		if (rp->rounds[d].next <= before &&
		    (best < 0 || rp->rounds[d].next < rp->rounds[best].next))
			best = (int)d;
	return best;
}

static int run_round(struct replay *rp, int d, const struct ims_strategies *st,
		     uint64_t next_event, struct ims_error *err)
{
	struct ims_sim *sim = rp->sim;
	struct round_plan *plan = &rp->rounds[d];
	int rc;

	sim->now = plan->next;
	if (sim->check.on)
		ims_check_begin(sim);
	rc = ims_host_dirty_round(sim, sim->domains[d], plan->page_lg2, st->sync->round_flush, err);
	if (!rc && sim->check.on)
		rc = ims_check_end(sim, IMS_CHECK_OP_DIRTY_ROUND, st, err);
	if (!rc && sim->cpu_now <= plan->next && next_event > plan->next) {
		/* The round took no time (nothing mapped, nothing to sync), so
		 * every round until the next trace event would too, and would
		 * find the same nothing: count them, don't run them. */
		uint64_t slots = (next_event - plan->next - 1) / plan->period;

		IMS_STAT_ADD(&sim->stats, dirty_sync_rounds, slots);
		plan->next += slots * plan->period;
	}
	/* Rounds keep their cadence while they fit in it; when one overruns,
	 * the next starts as soon as the host is free (a VMM loop that cannot
	 * keep up runs rounds back to back), never once per missed period. */
	plan->next = plan->next + plan->period < plan->next ? UINT64_MAX : plan->next + plan->period;
	if (plan->next < sim->cpu_now)
		plan->next = sim->cpu_now;
	return rc;
}

/* The flush-queue timer due first, at sim->fq_deadline (a host operation
 * like a round, checked the same way). */
static int run_fq_timer(struct ims_sim *sim, const struct ims_strategies *st,
			struct ims_error *err)
{
	if (sim->check.on)
		ims_check_begin(sim);
	ims_unmap_flush_timeout(sim);
	return sim->check.on ? ims_check_end(sim, IMS_CHECK_OP_HOST, st, err) : 0;
}

/* Is the flush-queue timer due before the next trace event (at `before`)
 * and before the pre-copy round of domain d (-1: none)? */
static bool fq_timer_first(const struct replay *rp, uint64_t before, int d)
{
	uint64_t t = rp->sim->fq_deadline;

	return t <= before && (d < 0 || t <= rp->rounds[d].next);
}

int ims_run_trace(struct ims_sim *sim, struct ims_trace_reader *r,
		  const struct ims_strategies *strategies, struct ims_error *err)
{
	struct replay rp = { .sim = sim, .r = r };
	int rc = 0;

	/* Linux makes every unmap strict on an IOMMU that may cache
	 * not-present entries (VT-d caching mode: intel_iommu_init calls
	 * iommu_set_dma_strict, "IOMMU batching disallowed due to
	 * virtualization", commit 29b32839725f): a flush queue's domain-wide
	 * invalidations make a VMM that shadows the guest's tables walk all of
	 * them. Running lazy there would measure a system that does not exist. */
	if (strategies->unmap_flush->unmap_flush == IMS_UNMAP_LAZY && sim->model->map_needs_sync &&
	    sim->model->map_needs_sync(sim))
		return ims_error_set(err, IMS_EINVAL, "the lazy unmap-flush strategy cannot run on "
				     "%s with caching mode (vtd_cm=1): Linux forces strict "
				     "unmaps there (iommu_set_dma_strict); use strict",
				     sim->model->name);
	rp.next = &rp.buf[0];
	sim->flush_policy = strategies->coherency->flush;
	sim->unmap_flush = strategies->unmap_flush->unmap_flush;
	sim->race_hook = race_hook;
	sim->ahead_hook = sim->model->prefetch_walk ? ahead_hook : NULL;
	sim->race_ctx = &rp;   /* cppcheck-suppress autoVariables ; cleared before return */
	read_ahead(&rp);
	while (rp.have_next > 0) {
		const struct ims_event *ev = rp.next;
		int d = due_round(&rp, ev->time);

		if (fq_timer_first(&rp, ev->time, d)) {
			/* the flush at its deadline: the event stays ahead, so
			 * its DMAs can race the flush as they would a round */
			if ((rc = run_fq_timer(sim, strategies, err))) {
				ims_trace_locate(r, err, ev->line);
				break;
			}
			continue;
		}
		if (d >= 0) {
			/* a pre-copy round before the next trace event: the
			 * event stays ahead, so its DMAs can race the round */
			if ((rc = run_round(&rp, d, strategies, ev->time, err))) {
				ims_trace_locate(r, err, rp.rounds[d].line);
				break;
			}
			continue;
		}
		rp.next = ev == &rp.buf[0] ? &rp.buf[1] : &rp.buf[0];
		read_ahead(&rp);
		if (sim->check.on)
			ims_check_begin(sim);
		if (ev->kind == IMS_EV_DMA) {
			rc = run_dma(sim, ev, err);
		} else {
			sim->now = ev->time;
			if (ev->kind == IMS_EV_PRECOPY || ev->kind == IMS_EV_STOP_COPY)
				rc = plan_rounds(&rp, ev, err);
			if (!rc && ev->kind != IMS_EV_PRECOPY)
				rc = dispatch(sim, ev, strategies, err);
		}
		if (!rc && sim->check.on)
			rc = ims_check_end(sim, check_op(ev->kind), strategies, err);
		if (rc) {
			ims_trace_locate(r, err, ev->line);
			break;
		}
	}
	if (!rc && rp.have_next < 0) {
		/* a read or a racing DMA failed while the host was busy */
		*err = rp.dma_err.code ? rp.dma_err : rp.read_err;
		rc = -err->code;
	}
	/* timers still pending when the trace ends run at their deadlines; an
	 * error names the last event (in the buffer read_ahead did not use) */
	while (!rc && sim->fq_deadline != UINT64_MAX)
		if ((rc = run_fq_timer(sim, strategies, err)))
			ims_trace_locate(r, err, rp.buf[rp.next == &rp.buf[0]].line);
	free(rp.rounds);
	sim->race_hook = NULL;
	sim->race_ctx = NULL;
	sim->race_next = UINT64_MAX;
	sim->ahead_hook = NULL;
	if (rc)
		return rc;
	if (sim->end_time < sim->cpu_now)
		sim->end_time = sim->cpu_now;
	if (sim->end_time < sim->now)
		sim->end_time = sim->now;
	IMS_STAT_GET(&sim->stats, sim_end_cycle) = sim->end_time;
	return 0;
}

int ims_run_file(struct ims_sim *sim, const char *path, const struct ims_model_ops *model,
		 const struct ims_params *params, const struct ims_strategies *strategies,
		 struct ims_error *err)
{
	struct ims_trace_reader *r;
	int rc;

	if ((rc = ims_trace_open(&r, path, err)))
		return rc;
	if ((rc = ims_sim_init(sim, model, params, err))) {
		ims_trace_close(r);
		return rc;
	}
	rc = ims_run_trace(sim, r, strategies, err);
	ims_trace_close(r);
	if (rc)
		ims_sim_fini(sim);
	return rc;
}
