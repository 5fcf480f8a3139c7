/* VT-d caching mode (CAP_REG.CM, vtd_cm): the invalidation that ends every
 * map, as Linux's intel_iommu_iotlb_sync_map issues it, what it costs, the
 * vIOMMU trap on every wait, and that CM=0 and the other models are
 * untouched. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_qi.h"
#include "sim/check.h"
#include "sim/host/host.h"
#include "sim/host/ioas.h"
#include "sim/run.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define PA 0x300001000ull   /* 4 KiB-aligned only: fills use 4 KiB leaves */

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup_model(const char *model, const struct ims_params *p)
{
	memset(&err, 0, sizeof(err));
	cr_assert_eq(ims_sim_init(&sim, ims_model_find(model), p, &err), 0, "%s", err.msg);
	sim_up = true;
	sim.check.on = true;   /* every sync is held against the page table */
	cr_assert_eq(ims_host_domain_create(&sim, "d0", 48, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void setup_cm(unsigned cm)
{
	struct ims_params p;

	ims_params_default(&p);
	p.vtd_cm = cm;
	setup_model("vtd", &p);
}

static void setup_cm1(void)
{
	setup_cm(1);
}

static void teardown(void)
{
	if (sim_up) {
		cr_expect_not(sim.check.failed, "--check: %s", sim.check.msg);
		ims_sim_fini(&sim);
	}
	sim_up = false;
}

static void map(uint64_t iova, uint64_t len)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, PA, RW, &err), 0, "%s", err.msg);
}

/* The descriptor `back` slots behind the queue's tail, as the host wrote it
 * into memory (1: the last one, the wait). */
static struct vtd_qi_desc desc_back(unsigned back)
{
	const struct vtd_iommu *iommu = sim.model_state;
	unsigned slot = (iommu->qi.tail + VTD_QI_SLOTS - back) % VTD_QI_SLOTS;
	struct vtd_qi_desc d;

	for (unsigned i = 0; i < 4; i++)
		d.qw[i] = ims_mem_load64(&sim.mem, VTD_PA_IQ + slot * VTD_QI_SLOT_BYTES + 8 * i);
	return d;
}

/* The last sync was one page-selective invalidation of 2^am pages at addr,
 * IH=0, in this domain, and one wait. */
static void assert_map_psi(const struct vtd_qi_desc *d, uint64_t addr, unsigned am)
{
	cr_assert_eq(vtd_qi_desc_type(d), VTD_QI_TYPE_IOTLB);
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_G, d->qw[0]), VTD_IOTLB_G_PAGE, "PSI");
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_DID, d->qw[0]), dom->did);
	cr_assert_eq(d->qw[1] & VTD_QI_IOTLB_ADDR, addr, "ADDR 0x%llx",
		     (unsigned long long)(d->qw[1] & VTD_QI_IOTLB_ADDR));
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_AM, d->qw[1]), am);
	cr_assert_not(d->qw[1] & VTD_QI_IOTLB_IH, "IH=0: paging-structure caches too");
}

/* ---- the descriptors of a map's sync ---------------------------------------- */

struct map_row {
	uint64_t iova, len;
	uint64_t addr;       /* expected PSI block */
	unsigned am;
	const char *why;
};

static const struct map_row map_rows[] = {
	/* one page: AM=0 at the page */
	{ 0x100000, 0x1000, 0x100000, 0, "one page" },
	/* pages 0x101-0x103: 3 round up to 4, and 0x100-0x103 is aligned */
	{ 0x101000, 0x3000, 0x100000, 2, "three unaligned pages" },
	/* pages 0x103-0x104: AM=1 and AM=2 blocks split them, AM=3 (0x100-0x107) does not */
	{ 0x103000, 0x2000, 0x100000, 3, "two pages across an 8-page boundary" },
	/* 16 aligned pages: exactly one AM=4 block */
	{ 0x110000, 0x10000, 0x110000, 4, "sixteen aligned pages" },
};

ParameterizedTestParameters(vtd_cm_desc, map_ends_with_one_psi_ih0_and_a_wait)
{
	return cr_make_param_array(struct map_row, map_rows, sizeof(map_rows) / sizeof(map_rows[0]));
}

ParameterizedTest(const struct map_row *r, vtd_cm_desc, map_ends_with_one_psi_ih0_and_a_wait,
		  .init = setup_cm1, .fini = teardown)
{
	struct vtd_qi_desc psi, wait;

	map(r->iova, r->len);
	psi = desc_back(2);
	wait = desc_back(1);
	assert_map_psi(&psi, r->addr, r->am);
	cr_assert_eq(psi.qw[2] | psi.qw[3], 0, "%s: padded to 256 bits", r->why);
	cr_assert_eq(vtd_qi_desc_type(&wait), VTD_QI_TYPE_WAIT);
	cr_assert(wait.qw[0] & VTD_QI_WAIT_SW);
	/* nothing else: no device-TLB or PASID-cache invalidation on a map */
	cr_assert_eq(STAT(inv_desc), 2, "%s", r->why);
	cr_assert_eq(STAT(inv_iotlb_page), 1);
	cr_assert_eq(STAT(inv_wait), 1);
	cr_assert_eq(STAT(iotlb_syncs), 1);
	cr_assert_eq(STAT(map_syncs), 1);
}

Test(vtd_cm_desc, two_mib_leaf_is_one_am9_block, .init = setup_cm1, .fini = teardown)
{
	struct vtd_qi_desc psi;

	/* without a PA the host allocates one aligned like the IOVA: a 2 MiB leaf */
	cr_assert_eq(ims_host_map(&sim, dom, 0x200000, 0x200000, false, 0, RW, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(map_pages_2m), 1);
	psi = desc_back(2);
	assert_map_psi(&psi, 0x200000, 9);
}

Test(vtd_cm_desc, block_beyond_mamv_falls_back_to_dsi, .init = setup_cm1, .fini = teardown)
{
	struct vtd_qi_desc d;

	/* pages 0x1ff and 0x200 share only a 1024-page block: AM=10 > MAMV=9 */
	map(0x1ff000, 0x2000);
	d = desc_back(2);
	cr_assert_eq(vtd_qi_desc_type(&d), VTD_QI_TYPE_IOTLB);
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_G, d.qw[0]), VTD_IOTLB_G_DOMAIN, "DSI");
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_DID, d.qw[0]), dom->did);
	cr_assert_eq(d.qw[1], 0);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(inv_iotlb_page), 0);
	cr_assert_eq(STAT(map_syncs), 1);
}

Test(vtd_cm_desc, no_psi_capability_means_dsi, .fini = teardown)
{
	struct ims_params p;

	ims_params_default(&p);
	p.vtd_cm = 1;
	p.vtd_psi = 0;
	setup_model("vtd", &p);
	map(0x100000, 0x1000);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(inv_iotlb_page), 0);
	cr_assert_eq(STAT(inv_desc), 2, "the DSI and one wait");
}

/* IH=0 matters: the PSI also drops the PDE-cache entry of its block, which
 * a leaf-only (IH=1) unmap sync keeps (test_vtd_qi.c, psi_drops_exactly_the_block). */
Test(vtd_cm_desc, map_sync_drops_paging_structure_entries, .init = setup_cm1, .fini = teardown)
{
	map(0x100000, 0x1000);
	cr_assert_eq(ims_dma(&sim, dev, 0x100000, 8, false), 0);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000));
	cr_assert_not_null(ims_iotlb_lookup(&sim.iotlb, dom->did, 0x100000));
	map(0x101000, 0x1000);   /* same leaf table: AM=0 at 0x101000 */
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000), "PDE cache entry dropped");
	cr_assert_not_null(ims_iotlb_lookup(&sim.iotlb, dom->did, 0x100000),
			   "the neighbour's leaf is outside the block");
	cr_assert_geq(STAT(inv_psc_dropped), 1);
}

/* ---- one sync per map, none without CM ------------------------------------- */

Test(vtd_cm_host, one_sync_per_map_with_cm1, .init = setup_cm1, .fini = teardown)
{
	for (unsigned i = 0; i < 5; i++)
		map(0x100000 + i * 0x10000ull, 0x4000);
	cr_assert_eq(STAT(map_calls), 5);
	cr_assert_eq(STAT(map_syncs), 5);
	cr_assert_eq(STAT(iotlb_syncs), 5);
	cr_assert_eq(STAT(inv_wait), 5, "one wait per map");
	cr_assert_eq(STAT(viommu_traps), 5);
}

Test(vtd_cm_host, no_sync_on_map_with_cm0, .fini = teardown)
{
	setup_cm(0);
	for (unsigned i = 0; i < 5; i++)
		map(0x100000 + i * 0x10000ull, 0x4000);
	cr_assert_eq(STAT(map_calls), 5);
	cr_assert_eq(STAT(map_syncs), 0);
	cr_assert_eq(STAT(iotlb_syncs), 0);
	cr_assert_eq(STAT(inv_desc), 0);
	cr_assert_eq(STAT(cyc_map_sync), 0);
	cr_assert_eq(STAT(viommu_traps), 0);
	cr_assert_not(sim.model->map_needs_sync(&sim));
}

/* Every domain an IOAS map reaches gets its own sync; a domain filled on
 * creation in an IOAS gets one per area, each covering its area. */
Test(vtd_cm_host, ioas_fills_sync_per_area_and_domain, .init = setup_cm1, .fini = teardown)
{
	struct ims_ioas *ioas;
	struct ims_domain *a, *b, *c;
	struct vtd_qi_desc d;

	cr_assert_eq(ims_ioas_create(&sim, "io", &ioas, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_domain_create_in(&sim, "a", 48, ioas, false, &a, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_host_domain_create_in(&sim, "b", 48, ioas, false, &b, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(map_syncs), 0, "empty IOAS: nothing to fill");
	cr_assert_eq(ims_ioas_map(&sim, ioas, 0x400000, 0x2000, true, PA, RW, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(map_syncs), 2, "one per domain");
	cr_assert_eq(ims_ioas_map(&sim, ioas, 0x800000, 0x1000, true, PA + 0x10000, RW, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(STAT(map_syncs), 4);
	cr_assert_eq(ims_host_domain_create_in(&sim, "c", 48, ioas, false, &c, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(map_syncs), 6, "the fill of c: one per area");
	dom = c;   /* assert_map_psi checks the DID */
	d = desc_back(4);
	assert_map_psi(&d, 0x400000, 1);
	d = desc_back(2);
	assert_map_psi(&d, 0x800000, 0);
	/* a copy is a map too; detach and attach again is a new fill */
	cr_assert_eq(ims_ioas_copy(&sim, ioas, 0xc00000, ioas, 0x400000, 0x2000, 0, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(STAT(map_syncs), 9, "the copy into three domains");
	cr_assert_eq(ims_ioas_detach_domain(&sim, c, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(map_syncs), 9, "an unfill syncs, but not as a map");
	cr_assert_eq(ims_ioas_attach_domain(&sim, ioas, c, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(map_syncs), 12, "three areas filled again");
	cr_assert_eq(STAT(iotlb_syncs), 12 + 3, "plus the unfill's three unmap syncs");
}

/* ---- what it costs --------------------------------------------------------- */

/* Host cycles of one 4 KiB map at 0x100000 into a fresh vtd simulator. */
static uint64_t map_cycles(unsigned cm, double trap_ns)
{
	struct ims_params p;
	uint64_t t0, host0, cycles;

	ims_params_default(&p);
	p.vtd_cm = cm;
	p.vtd_cm_trap_ns = trap_ns;
	setup_model("vtd", &p);
	cr_assert_leq(sim.inv_busy_until, sim.cpu_now, "the engine is idle");
	t0 = sim.cpu_now;
	host0 = STAT(cyc_host_total);
	map(0x100000, 0x1000);
	cycles = sim.cpu_now - t0;
	cr_assert_eq(STAT(cyc_host_total) - host0, cycles, "the host was busy only with the map");
	return cycles;
}

/* With the defaults (cpu_mhz 2600): descriptor writes 2 x 60, doorbell 400
 * and poll 200 cycles of CPU; the PSI 250 ns = 650 and the wait 100 ns =
 * 260 cycles of IOMMU time the host waits for; the trap 10 us = 26000
 * cycles. A map costs 120 + 400 + 200 + 650 + 260 + 26000 = 27630 cycles
 * more with CM=1, 1630 of them without the trap. */
Test(vtd_cm_cost, map_pays_descriptors_wait_and_trap, .fini = teardown)
{
	uint64_t base = map_cycles(0, 10000), with_cm;
	struct ims_costs c;

	teardown();
	with_cm = map_cycles(1, 10000);
	c = sim.costs;
	uint64_t cpu = 2 * c.inv_desc_write_cycles + c.inv_doorbell_cycles + c.inv_poll_cycles;
	uint64_t hw = c.vtd_iotlb_inv_ns + c.vtd_wait_desc_ns;

	cr_assert_eq(with_cm - base, cpu + hw + c.vtd_cm_trap_ns);
	cr_assert_eq(STAT(cyc_map_sync), cpu + hw + c.vtd_cm_trap_ns);
	cr_assert_eq(STAT(cyc_inv_cpu), cpu);
	cr_assert_eq(STAT(cyc_inv_iommu), hw);
	cr_assert_eq(STAT(cyc_inv_wait), hw + c.vtd_cm_trap_ns, "the trap is waited out");
	cr_assert_eq(STAT(cyc_viommu_trap), c.vtd_cm_trap_ns);
	cr_assert_eq(STAT(viommu_traps), 1);
	teardown();
	/* without the trap only the sync itself remains */
	cr_assert_eq(map_cycles(1, 0) - base, cpu + hw);
	cr_assert_eq(STAT(viommu_traps), 1);
	cr_assert_eq(STAT(cyc_viommu_trap), 0);
}

/* The trap is per wait, not per map: the dirty-tracking switch (the sync
 * after clearing stale D bits, then the switch's own) and an unmap's sync
 * pay it too; with CM=0 the trap cost is never charged. */
Test(vtd_cm_cost, every_wait_traps_with_cm1, .fini = teardown)
{
	struct ims_params p;

	setup_cm(1);
	map(0x100000, 0x1000);
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(iotlb_syncs), 4);
	cr_assert_eq(STAT(map_syncs), 1);
	cr_assert_eq(STAT(viommu_traps), 4);
	cr_assert_eq(STAT(cyc_viommu_trap), 4 * sim.costs.vtd_cm_trap_ns);
	teardown();
	ims_params_default(&p);
	p.vtd_cm_trap_ns = 99999;   /* ignored: no vIOMMU without CM */
	setup_model("vtd", &p);
	map(0x100000, 0x1000);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(iotlb_syncs), 1);
	cr_assert_eq(STAT(viommu_traps), 0);
	cr_assert_eq(STAT(cyc_viommu_trap), 0);
}

/* ---- the other models ------------------------------------------------------- */

static const char *const other_models[] = { "amdv1", "smmuv3" };

/* vtd_cm is a VT-d capability: on the other models it changes nothing. */
Test(vtd_cm_models, amdv1_and_smmuv3_never_sync_on_map, .fini = teardown)
{
	for (unsigned m = 0; m < 2; m++) {
		struct ims_params p;
		uint64_t t0, base;

		ims_params_default(&p);
		setup_model(other_models[m], &p);
		t0 = sim.cpu_now;
		map(0x100000, 0x4000);
		base = sim.cpu_now - t0;
		teardown();
		p.vtd_cm = 1;
		setup_model(other_models[m], &p);
		cr_assert_not(sim.model->map_needs_sync(&sim), "%s", other_models[m]);
		/* attach already issued its own commands (DTE or STE flush) */
		uint64_t syncs0 = STAT(iotlb_syncs), desc0 = STAT(inv_desc);

		t0 = sim.cpu_now;
		map(0x100000, 0x4000);
		cr_assert_eq(sim.cpu_now - t0, base, "%s", other_models[m]);
		cr_assert_eq(STAT(map_syncs), 0);
		cr_assert_eq(STAT(iotlb_syncs), syncs0);
		cr_assert_eq(STAT(inv_desc), desc0, "no command on map");
		cr_assert_eq(STAT(viommu_traps), 0);
		teardown();
	}
}

/* ---- whole traces, --check on ------------------------------------------------ */

static const char trace[] =
	"iommusim-trace 1\n"
	"device nic\ndevice ssd\n"
	"ioas io\n"
	"domain vm ioas=io\ndomain vm2 ioas=io\n"
	"attach nic vm\nattach ssd vm2\n"
	"@1000 ioas-map io 0x100000 64K pa=0x300001000\n"
	"@2000 dma nic write 0x100000 16K\n"
	"@3000 dirty-tracking vm on\n"
	"@4000 ioas-map io 0x400000 8K pa=0x300101000\n"
	"@5000 dma nic write 0x400000 8K\n"
	"@6000 dma ssd read 0x101000 4K\n"
	"@7000 get-dirty vm 0x100000 64K\n"
	"@8000 ioas-unmap io 0x104000 8K\n"
	"@9000 ioas-copy io 0x100000 io 0x900000 16K\n"
	"@10000 dma ssd write 0x900000 16K\n"
	"@11000 ioas-detach vm2\n"
	"@12000 ioas-attach vm2 io\n"
	"@13000 dma ssd read 0x900000 4K\n";

static struct ims_stats run_trace(const char *model, unsigned cm)
{
	struct ims_trace_reader *r;
	struct ims_strategies st;
	struct ims_params p;
	struct ims_stats out;

	ims_params_default(&p);
	p.vtd_cm = cm;
	ims_strategies_default(&st);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(ims_trace_open_mem(&r, "cm.trace", trace, strlen(trace), &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find(model), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	sim.check.on = true;
	cr_assert_eq(ims_run_trace(&sim, r, &st, &err), 0, "%s: line %llu: %s", model,
		     (unsigned long long)err.line, err.msg);
	ims_trace_close(r);
	out = sim.stats;
	teardown();
	return out;
}

#define S(s, name) IMS_STAT_GET(&(s), name)

/* Maps: 2 areas into 2 domains, the remaining pieces are not remapped, a
 * copy into 2 domains, then vm2's refill: 3 areas after the split plus the
 * copy's. The check holds after every sync. */
Test(vtd_cm_trace, checked_run_syncs_every_fill, .fini = teardown)
{
	struct ims_stats cm0 = run_trace("vtd", 0), cm1 = run_trace("vtd", 1);

	cr_assert_eq(S(cm0, map_syncs), 0);
	/* ioas-map x2 into 2 domains = 4; the copy into 2 domains = 2; the
	 * refill of vm2: areas [0x100000,+16K), [0x106000,+40K), [0x400000,+8K),
	 * [0x900000,+16K) = 4 */
	cr_assert_eq(S(cm1, map_syncs), 10);
	cr_assert_eq(S(cm1, iotlb_syncs) - S(cm0, iotlb_syncs), 10);
	cr_assert_eq(S(cm1, viommu_traps), S(cm1, iotlb_syncs), "every sync traps");
	cr_assert_eq(S(cm1, faults), S(cm0, faults));
	cr_assert_eq(S(cm1, dirty_pages_reported), S(cm0, dirty_pages_reported));
	cr_assert_gt(S(cm1, cyc_host_total), S(cm0, cyc_host_total));
}

Test(vtd_cm_trace, other_models_give_identical_results, .fini = teardown)
{
	for (unsigned m = 0; m < 2; m++) {
		struct ims_stats a = run_trace(other_models[m], 0);
		struct ims_stats b = run_trace(other_models[m], 1);

		cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "%s: vtd_cm moved a counter",
			     other_models[m]);
		cr_assert_eq(S(b, map_syncs), 0);
	}
}
