/* The iommufd object model: areas, pages objects and pin counts, fill and
 * unfill of the domains attached to an IOAS, on every model. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/host/dirty_strategy.h"
#include "sim/host/host.h"
#include "sim/host/ioas.h"
#include "sim/run.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define STAT(name) IMS_STAT_GET(&sim.stats, name)

static struct ims_sim sim;
static struct ims_error err;

static void start(const struct ims_model_ops *model)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, model, &p, &err), 0, "%s", err.msg);
}

static void stop(void)
{
	ims_sim_fini(&sim);
}

static struct ims_ioas *new_ioas(const char *name)
{
	struct ims_ioas *ioas;

	cr_assert_eq(ims_ioas_create(&sim, name, &ioas, &err), 0, "%s", err.msg);
	return ioas;
}

static struct ims_domain *new_domain(const char *name, struct ims_ioas *ioas)
{
	struct ims_domain *dom;

	cr_assert_eq(ims_host_domain_create_in(&sim, name, 48, ioas, false, &dom, &err), 0, "%s",
		     err.msg);
	return dom;
}

/* A device attached to dom, to look translations up through. */
static struct ims_device *device_on(struct ims_domain *dom)
{
	struct ims_device *dev;
	char name[16];

	snprintf(name, sizeof(name), "dev%u", sim.ndevices);
	cr_assert_eq(ims_host_device_create(&sim, name, (uint16_t)(sim.ndevices + 1), &dev, &err),
		     0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
	return dev;
}

/* What the hardware walk of dom says iova maps to; UINT64_MAX on a fault. */
static uint64_t walk_pa(struct ims_device *dev, uint64_t iova, unsigned *page_lg2)
{
	struct ims_walk w;

	memset(&w, 0, sizeof(w));
	sim.model->walk(&sim, dev, dev->domain, iova, IMS_ACCESS_READ, &w);
	if (page_lg2)
		*page_lg2 = w.page_lg2;
	return w.fault == IMS_FAULT_NONE ? w.pa : UINT64_MAX;
}

static void map(struct ims_ioas *ioas, uint64_t iova, uint64_t len, uint64_t pa)
{
	cr_assert_eq(ims_ioas_map(&sim, ioas, iova, len, pa != 0, pa, RW, &err), 0, "%s",
		     err.msg);
}

/* NOLINTNEXTLINE(bugprone-macro-parentheses): m is the name declared */
#define FOR_EACH_MODEL(m) for (unsigned m = 0; m < ims_model_count; m++)

/* iommufd pins only when something can DMA: the first domain. */
Test(ioas, map_without_domain_pins_nothing_first_domain_pins)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");

		map(vm, 0x100000, 64 * KIB, 0);
		cr_assert_eq(sim.pinned_pages, 0, "%s", ims_models[m]->name);
		cr_assert_eq(vm->nareas, 1);
		cr_assert_eq(vm->area[0].storage, NULL);

		uint64_t sw_map0 = STAT(cyc_sw_map);
		struct ims_domain *a = new_domain("a", vm);
		uint64_t fill_a = STAT(cyc_sw_map) - sw_map0;

		cr_assert_eq(sim.pinned_pages, 16);
		cr_assert_eq(STAT(pages_pinned), 16);
		cr_assert_eq(vm->area[0].storage, a, "the first domain filled holds the PFNs");
		cr_assert_eq(ims_range_set_bytes(&a->mapped), 64 * KIB);

		/* a second domain reads the PFNs back from the storage domain:
		 * no new pin, but the same translations */
		uint64_t sw_map = STAT(cyc_sw_map);
		struct ims_domain *b = new_domain("b", vm);

		cr_assert_eq(STAT(pages_pinned), 16, "%s", ims_models[m]->name);
		cr_assert_eq(STAT(cyc_sw_map) - sw_map, fill_a + 16 * sim.costs.sw_pfn_read_cycles,
			     "%s: the same fill plus one PFN read per page", ims_models[m]->name);
		cr_assert_eq(vm->area[0].storage, a);
		struct ims_device *da = device_on(a), *db = device_on(b);

		for (uint64_t off = 0; off < 64 * KIB; off += 4 * KIB)
			cr_assert_eq(walk_pa(da, 0x100000 + off, NULL),
				     walk_pa(db, 0x100000 + off, NULL), "%s +0x%llx",
				     ims_models[m]->name, (unsigned long long)off);
		cr_assert_eq(STAT(domain_fills), 2);
		stop();
	}
}

/* A domain attached after the maps is filled exactly like one that was
 * there all along, large pages included. */
Test(ioas, late_fill_writes_the_same_leaves)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");
		struct ims_domain *early = new_domain("early", vm);

		map(vm, 0x40000000, 4 * MIB, 0);                 /* 2 MiB leaves */
		map(vm, 0x80000000, 64 * KIB, 0x300001000);      /* 4 KiB leaves */
		uint64_t leaves_2m = STAT(map_pages_2m), leaves_4k = STAT(map_pages_4k);
		struct ims_domain *late = new_domain("late", vm);

		cr_assert_eq(STAT(map_pages_2m), 2 * leaves_2m, "%s", ims_models[m]->name);
		cr_assert_eq(STAT(map_pages_4k), 2 * leaves_4k, "%s", ims_models[m]->name);
		struct ims_device *de = device_on(early), *dl = device_on(late);
		unsigned lg2_e, lg2_l;

		cr_assert_eq(walk_pa(de, 0x40234000, &lg2_e), walk_pa(dl, 0x40234000, &lg2_l));
		cr_assert_eq(lg2_e, lg2_l);
		cr_assert_eq(walk_pa(dl, 0x8000f000, NULL), 0x300010000);
		stop();
	}
}

/* A partial unmap splits the area; the pieces share the pages object and
 * only the pages no longer in any area are unpinned. */
Test(ioas, partial_unmap_splits_the_area)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");
		struct ims_domain *a = new_domain("a", vm), *b = new_domain("b", vm);
		struct ims_device *da = device_on(a);

		map(vm, 0x100000, 64 * KIB, 0x300001000);
		const struct ims_pages *pages = vm->area[0].pages;
		uint64_t syncs = STAT(iotlb_syncs);

		cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x104000, 16 * KIB, NULL, NULL, &err), 0, "%s",
			     err.msg);
		cr_assert_eq(vm->nareas, 2, "%s", ims_models[m]->name);
		cr_assert_eq(vm->area[0].iova, 0x100000);
		cr_assert_eq(vm->area[0].last, 0x103fff);
		cr_assert_eq(vm->area[1].iova, 0x108000);
		cr_assert_eq(vm->area[1].pgoff, 8);
		cr_assert_eq(vm->area[0].pages, pages);
		cr_assert_eq(vm->area[1].pages, pages);
		cr_assert_eq(pages->users, 2);
		cr_assert_eq(STAT(areas_split), 2, "split at both ends");
		cr_assert_eq(ims_pages_pin_count(pages, 3), 1);
		cr_assert_eq(ims_pages_pin_count(pages, 4), 0);
		cr_assert_eq(ims_pages_pin_count(pages, 7), 0);
		cr_assert_eq(ims_pages_pin_count(pages, 8), 1);
		cr_assert_eq(STAT(pages_unpinned), 4);
		cr_assert_eq(STAT(iotlb_syncs) - syncs, 2, "%s: one unmap and sync per domain",
			     ims_models[m]->name);
		cr_assert_eq(walk_pa(da, 0x105000, NULL), UINT64_MAX, "unmapped");
		cr_assert_eq(walk_pa(da, 0x109000, NULL), 0x300001000 + 0x9000);
		cr_assert_eq(ims_range_set_bytes(&b->mapped), 48 * KIB);
		stop();
	}
}

/* Unmapping several areas at once costs one unmap and one sync per area
 * and domain, as iommufd's per-area iommu_unmap() does. */
Test(ioas, unmap_over_many_areas_syncs_per_area_and_domain)
{
	start(ims_model_find("vtd"));
	struct ims_ioas *vm = new_ioas("vm");

	new_domain("a", vm);
	new_domain("b", vm);
	for (int i = 0; i < 8; i++)
		map(vm, 0x200000 + (uint64_t)i * 4 * KIB, 4 * KIB, 0);
	uint64_t syncs = STAT(iotlb_syncs);

	cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x200000, 32 * KIB, NULL, NULL, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(iotlb_syncs) - syncs, 16);
	cr_assert_eq(STAT(unmap_calls), 1);
	cr_assert_eq(vm->nareas, 0);
	cr_assert_eq(sim.pinned_pages, 0);
	stop();
}

/* A split that would cut a large leaf is refused before anything changes;
 * with no domain attached there are no leaves and the split is free. */
Test(ioas, split_of_a_large_page_is_refused)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");

		new_domain("a", vm);
		map(vm, 0x40000000, 4 * MIB, 0);
		uint64_t syncs = STAT(iotlb_syncs);

		cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x40201000, 4 * KIB, NULL, NULL, &err),
			     -IMS_EINVAL, "%s", ims_models[m]->name);
		cr_assert(strstr(err.msg, "would cut the 2 MiB page at 0x40200000"), "%s",
			  err.msg);
		cr_assert_eq(vm->nareas, 1);
		cr_assert_eq(STAT(iotlb_syncs), syncs);
		cr_assert_eq(STAT(areas_split), 0);
		/* the 2 MiB boundary is a leaf boundary: fine */
		cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x40200000, 2 * MIB, NULL, NULL, &err), 0,
			     "%s", err.msg);
		stop();

		start(ims_models[m]);
		vm = new_ioas("vm");
		map(vm, 0x40000000, 4 * MIB, 0);
		cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x40201000, 4 * KIB, NULL, NULL, &err), 0,
			     "%s", err.msg);
		cr_assert_eq(vm->nareas, 2);
		/* a domain attached now fills the pieces with what fits */
		struct ims_domain *a = new_domain("a", vm);

		cr_assert_eq(ims_range_set_bytes(&a->mapped), 4 * MIB - 4 * KIB);
		stop();
	}
}

Test(ioas, holes_overlaps_and_widths_are_errors)
{
	start(ims_model_find("vtd"));
	struct ims_ioas *vm = new_ioas("vm");

	map(vm, 0x100000, 64 * KIB, 0);
	map(vm, 0x120000, 64 * KIB, 0);
	cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x100000, 192 * KIB, NULL, NULL, &err),
		     -IMS_ENOMAP);
	cr_assert(strstr(err.msg, "0x110000 is not"), "names the hole: %s", err.msg);
	cr_assert_eq(ims_ioas_map(&sim, vm, 0x11f000, 8 * KIB, false, 0, RW, &err), -IMS_EEXIST);
	cr_assert(strstr(err.msg, "overlaps mapping [0x120000, 0x12ffff] in IOAS 'vm'"), "%s",
		  err.msg);
	cr_assert_eq(ims_ioas_create(&sim, "vm", NULL, &err), -IMS_EEXIST);
	/* an IOAS has no width; a 48-bit domain cannot mirror an area above 2^48 */
	map(vm, UINT64_C(1) << 50, 4 * KIB, 0);
	struct ims_domain *d;

	cr_assert_eq(ims_host_domain_create_in(&sim, "d", 48, vm, false, &d, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "exceeds the 48-bit IOVA space of domain 'd'"), "%s", err.msg);
	cr_assert_eq(sim.pinned_pages, 0, "the failed attach pinned nothing");
	cr_assert_eq(ims_ioas_unmap(&sim, vm, UINT64_C(1) << 50, 4 * KIB, NULL, NULL, &err), 0);
	d = new_domain("d", vm);
	cr_assert_eq(ims_ioas_map(&sim, vm, UINT64_C(1) << 50, 4 * KIB, false, 0, RW, &err),
		     -IMS_EINVAL);
	cr_assert_eq(ims_ioas_attach_domain(&sim, vm, d, &err), -IMS_EEXIST);
	stop();
}

/* IOAS copy: a new area over the same pages, no new memory and no new pin. */
Test(ioas, copy_shares_pages_and_pins)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *src = new_ioas("src"), *dst = new_ioas("dst");
		struct ims_domain *ds = new_domain("ds", src), *dd = new_domain("dd", dst);
		struct ims_device *dev = device_on(dd);

		(void)ds;
		map(src, 0x100000, 1 * MIB, 0x300001000);
		const struct ims_pages *pages = src->area[0].pages;
		uint64_t data_next = sim.data_pa_next;

		cr_assert_eq(ims_ioas_copy(&sim, dst, 0x10000000, src, 0x140000, 512 * KIB,
					   IMS_PROT_READ, &err), 0, "%s", err.msg);
		cr_assert_eq(sim.data_pa_next, data_next, "no new memory");
		cr_assert_eq(STAT(pages_pinned), 256, "%s: no new pin", ims_models[m]->name);
		cr_assert_eq(dst->area[0].pages, pages);
		cr_assert_eq(dst->area[0].pgoff, 64);
		cr_assert_eq(dst->area[0].prot, IMS_PROT_READ);
		cr_assert_eq(pages->users, 2);
		cr_assert_eq(ims_pages_pin_count(pages, 64), 2);
		cr_assert_eq(ims_pages_pin_count(pages, 63), 1);
		cr_assert_eq(walk_pa(dev, 0x10001000, NULL), 0x300001000 + 0x41000);
		/* the source goes; the copy keeps its half pinned */
		cr_assert_eq(ims_ioas_unmap(&sim, src, 0x100000, 1 * MIB, NULL, NULL, &err), 0);
		cr_assert_eq(STAT(pages_unpinned), 128, "%s", ims_models[m]->name);
		cr_assert_eq(ims_pages_pin_count(pages, 64), 1);
		cr_assert_eq(pages->users, 1);
		cr_assert_eq(walk_pa(dev, 0x10001000, NULL), 0x300001000 + 0x41000);
		cr_assert_eq(STAT(ioas_copies), 1);
		/* the source range must be mapped */
		cr_assert_eq(ims_ioas_copy(&sim, dst, 0x20000000, src, 0x100000, 4 * KIB, 0, &err),
			     -IMS_ENOMAP);
		stop();
	}
}

/* Copy within one IOAS, across several source areas. */
Test(ioas, copy_within_one_ioas_over_two_areas)
{
	start(ims_model_find("amdv1"));
	struct ims_ioas *vm = new_ioas("vm");
	struct ims_domain *d = new_domain("d", vm);
	struct ims_device *dev = device_on(d);

	map(vm, 0x100000, 16 * KIB, 0x300000000);
	map(vm, 0x104000, 16 * KIB, 0x500000000);
	cr_assert_eq(ims_ioas_copy(&sim, vm, 0x0, vm, 0x102000, 16 * KIB, 0, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(vm->nareas, 4);
	cr_assert_eq(vm->area[0].last, 0x1fff);
	cr_assert_eq(vm->area[1].iova, 0x2000);
	cr_assert_eq(walk_pa(dev, 0x1000, NULL), 0x300003000);
	cr_assert_eq(walk_pa(dev, 0x3000, NULL), 0x500001000);
	cr_assert_eq(vm->area[2].iova, 0x100000, "the sources are untouched");
	cr_assert_eq(vm->area[2].last, 0x103fff);
	stop();
}

/* Detach unfills the domain (one unmap and sync per area) and the last
 * domain to leave unpins everything only the areas held. */
Test(ioas, detach_unfills_and_the_last_one_unpins)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");
		struct ims_domain *a = new_domain("a", vm), *b = new_domain("b", vm);
		struct ims_device *da = device_on(a);

		map(vm, 0x100000, 64 * KIB, 0);
		map(vm, 0x200000, 64 * KIB, 0);
		uint64_t syncs = STAT(iotlb_syncs);

		cr_assert_eq(ims_ioas_detach_domain(&sim, a, &err), 0, "%s", err.msg);
		cr_assert_eq(STAT(iotlb_syncs) - syncs, 2, "%s", ims_models[m]->name);
		cr_assert_eq(a->ioas, NULL);
		cr_assert_eq(a->mapped.n, 0);
		cr_assert_eq(walk_pa(da, 0x100000, NULL), UINT64_MAX);
		cr_assert_eq(sim.pinned_pages, 32, "b still needs them");
		cr_assert_eq(vm->area[0].storage, b, "b took over as storage domain");
		cr_assert_eq(ims_ioas_detach_domain(&sim, b, &err), 0);
		cr_assert_eq(sim.pinned_pages, 0);
		cr_assert_eq(STAT(pages_unpinned), 32);
		cr_assert_eq(vm->area[0].storage, NULL);
		cr_assert_eq(vm->nareas, 2, "the IOAS keeps its areas");
		cr_assert_eq(ims_ioas_detach_domain(&sim, b, &err), -IMS_EINVAL);
		/* the domain-level API needs an IOAS */
		cr_assert_eq(ims_host_map(&sim, a, 0x400000, 4 * KIB, false, 0, RW, &err),
			     -IMS_EINVAL);
		cr_assert(strstr(err.msg, "not attached to an IOAS"), "%s", err.msg);
		/* and a re-attach pins and fills again */
		cr_assert_eq(ims_ioas_attach_domain(&sim, vm, a, &err), 0, "%s", err.msg);
		cr_assert_eq(sim.pinned_pages, 32);
		cr_assert_neq(walk_pa(da, 0x100000, NULL), UINT64_MAX);
		stop();
	}
}

/* An access pin holds pages whatever the domains do, and blocks an unmap
 * of its range until it is released. */
Test(ioas, access_pins_hold_pages_and_block_unmap)
{
	start(ims_model_find("smmuv3"));
	struct ims_ioas *vm = new_ioas("vm");
	struct ims_domain *a = new_domain("a", vm);

	map(vm, 0x100000, 64 * KIB, 0);
	const struct ims_pages *pages = vm->area[0].pages;

	cr_assert_eq(ims_ioas_access_pin(&sim, vm, 0x102000, 8 * KIB, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(pages_pinned), 16, "already pinned: no new pin");
	cr_assert_eq(ims_pages_pin_count(pages, 2), 2);
	cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x100000, 64 * KIB, NULL, NULL, &err), -IMS_EINVAL);
	cr_assert(strstr(err.msg, "pinned by an access"), "%s", err.msg);
	cr_assert_eq(ims_ioas_detach_domain(&sim, a, &err), 0);
	cr_assert_eq(sim.pinned_pages, 2, "the access keeps its two pages");
	cr_assert_eq(ims_ioas_access_unpin(&sim, vm, 0x102000, 4 * KIB, &err), -IMS_ENOMAP);
	cr_assert_eq(ims_ioas_access_unpin(&sim, vm, 0x102000, 8 * KIB, &err), 0, "%s", err.msg);
	cr_assert_eq(sim.pinned_pages, 0);
	cr_assert_eq(ims_ioas_unmap(&sim, vm, 0x100000, 64 * KIB, NULL, NULL, &err), 0);
	/* pinning an unmapped range is an error */
	cr_assert_eq(ims_ioas_access_pin(&sim, vm, 0x100000, 4 * KIB, &err), -IMS_ENOMAP);
	stop();
}

/* Every domain of an IOAS loses the range on unmap: writes still pending in
 * a domain's dirty state that nobody read are lost for migration. */
Test(ioas, unmap_loses_unread_dirty_pages_of_every_domain)
{
	FOR_EACH_MODEL(m) {
		start(ims_models[m]);
		struct ims_ioas *vm = new_ioas("vm");
		struct ims_domain *a = new_domain("a", vm), *b = new_domain("b", vm);
		struct ims_device *da = device_on(a), *db = device_on(b);

		map(vm, 0x100000, 64 * KIB, 0x300001000);
		cr_assert_eq(ims_host_set_dirty_tracking(&sim, a, true, &err), 0, "%s", err.msg);
		cr_assert_eq(ims_host_set_dirty_tracking(&sim, b, true, &err), 0, "%s", err.msg);
		sim.now = sim.cpu_now + 1000;
		ims_dma(&sim, da, 0x101000, 64, true);
		ims_dma(&sim, db, 0x102000, 64, true);
		/* VFIO-style unmap-all-dirty through a: a's page is reported,
		 * b's is not */
		cr_assert_eq(ims_host_unmap_all_dirty(&sim, a, 0x100000, 64 * KIB, 12, &err), 0,
			     "%s", err.msg);
		cr_assert_eq(STAT(dirty_pages_reported), 16, "%s", ims_models[m]->name);
		cr_assert_eq(STAT(dirty_pages_spurious), 15);
		cr_assert_eq(STAT(dirty_pages_missed), 1, "%s: b's write", ims_models[m]->name);
		stop();
	}
}

/* A trace drives the same operations, and the sim's end state is checked. */
Test(ioas, trace_events_drive_the_object_model)
{
	static const char text[] =
		"iommusim-trace 1\n"
		"ioas vm\n"
		"ioas vm2\n"
		"domain a ioas=vm\n"
		"domain legacy\n"
		"ioas-map vm 0 1M pa=0x300001000\n"
		"ioas-copy vm 0x80000 vm2 0x10000000 256K\n"
		"ioas-attach legacy vm2\n";
	struct ims_trace_reader *r;
	struct ims_strategies st;
	struct ims_params p;

	ims_params_default(&p);
	ims_strategies_default(&st);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", text, sizeof(text) - 1, &err), 0);
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), -IMS_EEXIST,
		     "legacy is in its own IOAS: it must be detached first");
	cr_assert(strstr(err.msg, "domain 'legacy' is already attached to its own IOAS"), "%s",
		  err.msg);
	cr_assert_eq(err.line, 8);
	ims_trace_close(r);
	stop();

	static const char ok[] =
		"iommusim-trace 1\n"
		"ioas vm\n"
		"ioas vm2\n"
		"domain a ioas=vm\n"
		"domain legacy\n"
		"ioas-map vm 0 1M pa=0x300001000\n"
		"ioas-copy vm 0x80000 vm2 0x10000000 256K\n"
		"ioas-detach legacy\n"
		"ioas-attach legacy vm2\n"
		"access-pin vm2 0x10000000 4K\n"
		"ioas-unmap vm 0 1M\n";
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", ok, sizeof(ok) - 1, &err), 0);
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), 0, "%s", err.msg);
	ims_trace_close(r);
	cr_assert_eq(sim.nioas, 2);
	cr_assert_eq(sim.ioas[0]->nareas, 0);
	cr_assert_eq(sim.ioas[1]->nareas, 1);
	cr_assert_eq(sim.domains[1]->ioas, sim.ioas[1]);
	cr_assert_eq(sim.pinned_pages, 64, "vm2's copy stays pinned by its domain");
	cr_assert_eq(STAT(pages_pinned), 256);
	cr_assert_eq(STAT(pages_unpinned), 256 - 64);
	stop();
}
