#include "sim/run.h"

#include "sim/host/host.h"

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

static int dispatch(struct ims_sim *sim, const struct ims_event *ev,
		    const struct ims_dirty_strategy *strategy, struct ims_error *err)
{
	struct ims_domain *dom = NULL;
	struct ims_device *dev = NULL;
	int rc;

	switch (ev->kind) {
	case IMS_EV_DEVICE:
		return ims_host_device_create(sim, ev->name, ev->sid, NULL, err);
	case IMS_EV_DOMAIN:
		return ims_host_domain_create(sim, ev->name, ev->iova_bits, NULL, err);
	case IMS_EV_ATTACH:
		if ((rc = lookup_device(sim, ev->device, &dev, err)) ||
		    (rc = lookup_domain(sim, ev->domain, &dom, err)))
			return rc;
		return ims_host_attach(sim, dev, dom, err);
	case IMS_EV_DMA:
		if ((rc = lookup_device(sim, ev->device, &dev, err)))
			return rc;
		ims_dma(sim, dev, ev->iova, ev->len, ev->flags & IMS_EVF_WRITE);
		return 0;
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
		return strategy->dirty_unmap(sim, dom, ev->iova, ev->len, ev->page_lg2, err);
	default:
		return ims_error_set(err, IMS_EINVAL, "event kind %d not handled", (int)ev->kind);
	}
}

int ims_run_trace(struct ims_sim *sim, struct ims_trace_reader *r,
		  const struct ims_dirty_strategy *strategy, struct ims_error *err)
{
	struct ims_event ev;
	int rc;

	while ((rc = ims_trace_next(r, &ev, err)) > 0) {
		sim->now = ev.time;
		rc = dispatch(sim, &ev, strategy, err);
		if (rc) {
			ims_error_locate(err, ims_trace_path(r), ev.line);
			return rc;
		}
	}
	if (rc == 0) {
		if (sim->end_time < sim->cpu_now)
			sim->end_time = sim->cpu_now;
		if (sim->end_time < sim->now)
			sim->end_time = sim->now;
		IMS_STAT_GET(&sim->stats, sim_end_cycle) = sim->end_time;
	}
	return rc;
}
