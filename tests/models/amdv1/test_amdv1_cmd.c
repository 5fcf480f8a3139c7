/* AMD command buffer: what a sync, an attach and a dirty-tracking switch
 * cost, what they write into the ring, and what the hardware really drops. */
#include <criterion/criterion.h>
#include <string.h>

#include "models/amdv1/amdv1_model.h"
#include "models/amdv1/amdv1_pte.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static void setup_with(const struct ims_params *p)
{
	memset(&err, 0, sizeof(err));
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("amdv1"), p, &err), 0, "%s", err.msg);
	sim_up = true;
	cr_assert_eq(ims_host_domain_create(&sim, "d0", 48, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

static void setup(void)
{
	struct ims_params p;

	ims_params_default(&p);
	setup_with(&p);
}

/* amdv1_inv_pde_always=0: PDE only when page tables were freed */
static void setup_pde_minimal(void)
{
	struct ims_params p;

	ims_params_default(&p);
	p.amdv1_inv_pde_always = 0;
	setup_with(&p);
}

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

TestSuite(amdv1_sync, .init = setup, .fini = teardown);
TestSuite(amdv1_pde, .init = setup_pde_minimal, .fini = teardown);
TestSuite(amdv1_ctl, .init = setup, .fini = teardown);

/* One command of a sequence: host work before it, IOMMU time for it. */
struct step {
	uint64_t before;
	uint64_t hw;
};

/* Host time of a command sequence ending in the poll, from an idle engine
 * that is free again `busy` cycles from now. Each command is written and
 * its tail write issued (Linux writes the tail register per command); the
 * IOMMU starts it when it is submitted or when the previous one is done. */
static uint64_t timeline(const struct step *s, unsigned n, uint64_t busy)
{
	const struct ims_costs *c = &sim.costs;
	uint64_t cpu = 0, done = busy;

	for (unsigned i = 0; i < n; i++) {
		cpu += s[i].before + c->inv_desc_write_cycles + c->inv_doorbell_cycles;
		done = (done > cpu ? done : cpu) + s[i].hw;
	}
	return (done > cpu ? done : cpu) + c->inv_poll_cycles;
}

/* Map n 4 KiB pages at iova and translate each once, so the IOTLB and the
 * page directory cache hold them. */
static void map_and_touch(struct ims_domain *d, struct ims_device *dv, uint64_t iova,
			  unsigned n)
{
	cr_assert_eq(ims_host_map(&sim, d, iova, (uint64_t)n << 12, true, 0x300001000ull, RW,
				  &err), 0, "%s", err.msg);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(ims_dma(&sim, dv, iova + ((uint64_t)i << 12), 8, false), 0);
}

static bool cached(uint64_t iova)
{
	return ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, iova) != NULL;
}

static void gather_one(struct ims_gather *g, uint64_t start, uint64_t len)
{
	ims_gather_init(g);
	ims_gather_add(g, start, len, 12);
}

/* ---- syncs -------------------------------------------------------------------- */

Test(amdv1_sync, range_sync_costs_the_sum_of_its_parts)
{
	const struct ims_costs *c = &sim.costs;
	struct step steps[] = { { 0, c->amdv1_inv_pages_ns }, { 0, c->amdv1_completion_wait_ns } };
	struct ims_gather g;

	map_and_touch(dom, dev, 0x100000, 4);
	gather_one(&g, 0x101000, 0x1000);
	cr_assert_leq(sim.inv_busy_until, sim.cpu_now, "the engine is idle");

	uint64_t host0 = STAT(cyc_host_total), cpu0 = STAT(cyc_inv_cpu);
	uint64_t wait0 = STAT(cyc_inv_wait), iommu0 = STAT(cyc_inv_iommu), now0 = sim.cpu_now;
	uint64_t syncs0 = STAT(iotlb_syncs), desc0 = STAT(inv_desc);
	uint64_t total = timeline(steps, 2, 0);
	uint64_t cpu = 2 * (c->inv_desc_write_cycles + c->inv_doorbell_cycles) + c->inv_poll_cycles;

	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(cyc_host_total) - host0, total);
	cr_assert_eq(sim.cpu_now - now0, total);
	cr_assert_eq(STAT(cyc_inv_cpu) - cpu0, cpu, "two commands, two tail writes, one poll");
	cr_assert_eq(STAT(cyc_inv_wait) - wait0, total - cpu, "the host stalls for the rest");
	cr_assert_eq(STAT(cyc_inv_iommu) - iommu0,
		     c->amdv1_inv_pages_ns + c->amdv1_completion_wait_ns);
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1);
	cr_assert_eq(STAT(inv_desc) - desc0, 2);
	cr_assert_eq(STAT(inv_iotlb_page), 1);
	cr_assert_eq(STAT(inv_wait), 2, "attach's and this one");
	cr_assert_eq(STAT(inv_cmd_invalidate), 2, "attach's INVALIDATE_DEVTAB_ENTRY and this");
	cr_assert_not(cached(0x101000));
	cr_assert(cached(0x100000));
}

Test(amdv1_sync, empty_gather_is_a_lone_completion_wait)
{
	struct step steps[] = { { 0, sim.costs.amdv1_completion_wait_ns } };
	struct ims_gather g;
	uint64_t host0, desc0, dropped0;

	map_and_touch(dom, dev, 0x100000, 1);
	host0 = STAT(cyc_host_total);
	desc0 = STAT(inv_desc);
	dropped0 = STAT(inv_iotlb_dropped);
	ims_gather_init(&g);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(iotlb_syncs), 1, "the host asked for a sync");
	cr_assert_eq(STAT(inv_desc) - desc0, 1, "only the COMPLETION_WAIT");
	cr_assert_eq(STAT(inv_iotlb_dropped), dropped0);
	cr_assert(cached(0x100000), "nothing was invalidated");
	cr_assert_eq(STAT(cyc_host_total) - host0, timeline(steps, 1, 0));
}

Test(amdv1_sync, busy_engine_delays_the_completion)
{
	const struct ims_costs *c = &sim.costs;
	struct step steps[] = { { 0, c->amdv1_inv_pages_ns }, { 0, c->amdv1_completion_wait_ns } };
	struct ims_gather g;

	map_and_touch(dom, dev, 0x100000, 1);
	/* the engine still has 10000 cycles of earlier work */
	sim.inv_busy_until = sim.cpu_now + 10000;
	gather_one(&g, 0x100000, 0x1000);
	uint64_t host0 = STAT(cyc_host_total);

	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(cyc_host_total) - host0, timeline(steps, 2, 10000));
	cr_assert_gt(timeline(steps, 2, 10000), timeline(steps, 2, 0));
}

Test(amdv1_sync, range_drops_exactly_the_aligned_block)
{
	struct ims_gather g;

	map_and_touch(dom, dev, 0x100000, 8);
	for (unsigned i = 0; i < 8; i++)
		cr_assert(cached(0x100000 + i * 0x1000ull));
	/* pages 1-2 straddle an 8 KiB boundary: the 16 KiB block of pages 0-3 */
	gather_one(&g, 0x101000, 0x2000);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(inv_iotlb_dropped), 4);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(cached(0x100000 + i * 0x1000ull), i >= 4, "page %u", i);
	/* the command in the ring: S=1, Address with bit 12 set, 13 clear */
	uint64_t qw1 = ims_mem_load64(&sim.mem, AMDV1_PA_CMDBUF +
				      amdv1_iommu(&sim)->cmd.head - 2 * AMDV1_CMD_BYTES + 8);

	cr_assert_eq(qw1 & AMDV1_IIP_ADDR, 0x101000);
	cr_assert(qw1 & AMDV1_IIP_S);
	cr_assert(qw1 & AMDV1_IIP_PDE, "Linux sets PDE in every INVALIDATE_IOMMU_PAGES");
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000),
		       "PDE=1: the cached PDE of the range is gone too");
}

Test(amdv1_sync, whole_domain_leaves_other_domains_alone)
{
	struct ims_domain *d1;
	struct ims_device *dev1;
	struct amdv1_cmd c;
	struct amdv1_cmdbuf *q = &amdv1_iommu(&sim)->cmd;

	cr_assert_eq(ims_host_domain_create(&sim, "d1", 48, &d1, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev1, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev1, d1, &err), 0, "%s", err.msg);
	map_and_touch(dom, dev, 0x100000, 2);
	map_and_touch(d1, dev1, 0x100000, 2);
	map_and_touch(dom, dev, 0x7f0000000000ull, 1);
	c = amdv1_cmd_inv_pages(dom->did, AMDV1_IIP_ALL_ADDR, true, true);
	amdv1_cmd_queue(&sim, q, &c);
	amdv1_cmd_wait(&sim, q);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(inv_iotlb_dropped), 3);
	cr_assert_not(cached(0x100000));
	cr_assert_not(cached(0x7f0000000000ull));
	cr_assert_null(ims_psc_lookup(&sim.psc, 3, dom->did, 0x7f0000000000ull));
	cr_assert_not_null(ims_iotlb_lookup(&sim.iotlb, d1->tlb_tag, 0x100000));
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, d1->did, 0x100000));
}

Test(amdv1_sync, ring_and_semaphore_live_in_memory)
{
	struct amdv1_cmdbuf *q = &amdv1_iommu(&sim)->cmd;
	struct amdv1_cmd inv = amdv1_cmd_inv_pages(dom->did, 0x100000, false, true);
	struct ims_gather g;
	uint32_t slot;

	map_and_touch(dom, dev, 0x100000, 1);
	slot = q->tail;
	gather_one(&g, 0x100000, 0x1000);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(q->head, q->tail, "the hardware consumed the ring");
	cr_assert_eq(q->tail, slot + 2 * AMDV1_CMD_BYTES);
	cr_assert_eq(ims_mem_load64(&sim.mem, AMDV1_PA_CMDBUF + slot), inv.qw[0]);
	cr_assert_eq(ims_mem_load64(&sim.mem, AMDV1_PA_CMDBUF + slot + 8), inv.qw[1],
		     "one page: S=0");
	uint64_t cw0 = ims_mem_load64(&sim.mem, AMDV1_PA_CMDBUF + slot + 16);
	uint64_t cw1 = ims_mem_load64(&sim.mem, AMDV1_PA_CMDBUF + slot + 24);

	cr_assert_eq(ims_field_get(AMDV1_CMD_OPCODE, cw0), AMDV1_CMD_COMPLETION_WAIT);
	cr_assert(cw0 & AMDV1_CW_S);
	cr_assert_eq(cw0 & AMDV1_CW_ADDR, AMDV1_PA_SEM);
	cr_assert_eq(cw1, q->sem_seq);
	cr_assert_eq(ims_mem_load64(&sim.mem, AMDV1_PA_SEM), q->sem_seq,
		     "the hardware's store landed where the command said");
	cr_assert_eq(q->sem_seq, 2, "attach's wait was the first");
}

Test(amdv1_sync, hw_counters_name_amd_pmu_events)
{
	static const struct { const char *event; unsigned stat; } want[] = {
		{ "amd_iommu/mem_trans_total/", IMS_STAT_translations },
		{ "amd_iommu/mem_iommu_tlb_pte_hit/", IMS_STAT_iotlb_hit },
		{ "amd_iommu/mem_iommu_tlb_pte_mis/", IMS_STAT_iotlb_miss },
		{ "amd_iommu/mem_iommu_tlb_pde_hit/", IMS_STAT_psc_hit },
		{ "amd_iommu/mem_iommu_tlb_pde_mis/", IMS_STAT_psc_miss },
		{ "amd_iommu/page_tbl_read_tot/", IMS_STAT_walk_mem_refs },
		{ "amd_iommu/cmd_processed/", IMS_STAT_inv_desc },
		{ "amd_iommu/cmd_processed_inv/", IMS_STAT_inv_cmd_invalidate },
	};

	cr_assert_eq(sim.model->n_hw_counters, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < sim.model->n_hw_counters; i++) {
		cr_assert_str_eq(sim.model->hw_counters[i].event, want[i].event);
		cr_assert_eq(sim.model->hw_counters[i].stat, want[i].stat, "%s", want[i].event);
	}
	/* cmd_processed_inv counts invalidations, not COMPLETION_WAITs */
	cr_assert_eq(STAT(inv_cmd_invalidate), 1);
	cr_assert_eq(STAT(inv_desc), 2);
}

/* ---- PDE only when tables were freed (amdv1_inv_pde_always=0) ----------------------- */

Test(amdv1_pde, leaf_only_sync_keeps_cached_pdes)
{
	struct ims_gather g;

	map_and_touch(dom, dev, 0x100000, 4);
	gather_one(&g, 0x101000, 0x1000);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_not(cached(0x101000));
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x101000), "PDE=0");
	cr_assert_eq(STAT(inv_psc_dropped), 0);
	uint64_t refs = STAT(walk_mem_refs);

	cr_assert_eq(ims_dma(&sim, dev, 0x101000, 8, false), 0);
	cr_assert_eq(STAT(walk_mem_refs) - refs, 1, "the cached PDE still serves the walk");
}

Test(amdv1_pde, freed_tables_set_pde)
{
	uint64_t held = 0;

	map_and_touch(dom, dev, 0x200000, 512);   /* one full PTE table */
	for (unsigned i = 0; i < 512; i++)
		held += cached(0x200000 + i * 0x1000ull);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000));
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x200000, 2ull << 20, &err), 0, "%s", err.msg);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000));
	cr_assert_geq(STAT(inv_psc_dropped), 1);
	cr_assert_eq(STAT(inv_iotlb_dropped), held, "every cached page of the 2 MiB");
	cr_assert_gt(held, 0);
}

Test(amdv1_pde, partial_unmap_keeps_the_table_and_the_cached_pde)
{
	map_and_touch(dom, dev, 0x200000, 4);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x201000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(pt_pages_free), 0);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x200000));
	cr_assert_eq(STAT(inv_iotlb_page), 1);
	cr_assert_eq(ims_dma(&sim, dev, 0x201000, 8, false), 1, "unmapped");
}

/* ---- attach and the dirty-tracking switch ----------------------------------------- */

Test(amdv1_ctl, attach_writes_the_dte_and_flushes_it)
{
	const struct ims_costs *c = &sim.costs;
	struct step steps[] = {
		{ c->sw_pasid_entry_update_cycles, c->amdv1_inv_devtab_ns },
		{ 0, c->amdv1_completion_wait_ns },
	};
	struct ims_device *dev1;
	struct amdv1_dte want, mem;
	uint64_t host0, ctx0 = STAT(inv_context);

	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x1234, &dev1, &err), 0, "%s", err.msg);
	cr_assert_null(amdv1_dtc_lookup(&sim, dev1->sid));
	host0 = STAT(cyc_host_total);
	cr_assert_eq(ims_host_attach(&sim, dev1, dom, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(cyc_host_total) - host0, timeline(steps, 2, 0));
	amdv1_dte_build(&want, amdv1_dom(dom)->root_pa, 4, dom->did, false);
	amdv1_dte_load(&sim, dev1->sid, &mem);
	cr_assert_arr_eq(mem.qw, want.qw, sizeof(want.qw), "the DTE in memory");
	cr_assert_arr_eq(amdv1_dtc_lookup(&sim, dev1->sid)->qw, want.qw, sizeof(want.qw),
			 "and the device table cache");
	cr_assert_eq(ims_mem_load64(&sim.mem, AMDV1_PA_DEVTAB + 0x1234 * 32 + 8), dom->did,
		     "DomainID at byte 8 of entry 0x1234");
	cr_assert_eq(STAT(inv_context) - ctx0, 1);
	cr_assert_eq(STAT(iotlb_syncs), 0, "a DTE flush is not an IOTLB sync");
}

Test(amdv1_ctl, tracking_switch_is_dte_flushes_whole_domain_and_one_wait)
{
	const struct ims_costs *c = &sim.costs;
	uint64_t u = c->sw_pasid_entry_update_cycles;
	struct step steps[] = {
		{ u, c->amdv1_inv_devtab_ns }, { u, c->amdv1_inv_devtab_ns },
		{ 0, c->amdv1_inv_pages_ns }, { 0, c->amdv1_completion_wait_ns },
	};
	struct ims_device *dev1;
	uint64_t host0, ctx0;

	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev1, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev1, dom, &err), 0, "%s", err.msg);
	map_and_touch(dom, dev, 0x100000, 4);
	host0 = STAT(cyc_host_total);
	ctx0 = STAT(inv_context);
	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(cyc_host_total) - host0, timeline(steps, 4, 0));
	cr_assert_eq(STAT(inv_context) - ctx0, 2, "one INVALIDATE_DEVTAB_ENTRY per device");
	cr_assert_eq(STAT(inv_iotlb_domain), 1, "INVALIDATE_IOMMU_PAGES, all pages");
	cr_assert_eq(STAT(iotlb_syncs), 1);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_not(cached(0x100000 + i * 0x1000ull),
			      "entries cached under HAD=00b are gone");
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000));
	/* unchanged state: nothing at all */
	host0 = STAT(cyc_host_total);
	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, true, &err), 0);
	cr_assert_eq(STAT(cyc_host_total), host0);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
}

Test(amdv1_ctl, tracking_switch_without_devices_issues_nothing)
{
	struct ims_domain *d1;
	struct ims_device *dev1;
	uint64_t desc0 = STAT(inv_desc), host0;

	cr_assert_eq(ims_host_domain_create(&sim, "d1", 48, &d1, &err), 0, "%s", err.msg);
	host0 = STAT(cyc_host_total);
	cr_assert_eq(sim.model->set_dirty_tracking(&sim, d1, true, &err), 0);
	cr_assert_eq(STAT(inv_desc), desc0, "no DTE to change");
	cr_assert_eq(STAT(iotlb_syncs), 0);
	cr_assert_eq(STAT(cyc_host_total), host0);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
	/* the domain remembers: a device attached now gets HAD=11b */
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev1, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev1, d1, &err), 0, "%s", err.msg);
	cr_assert_eq(amdv1_dte_had(amdv1_dtc_lookup(&sim, dev1->sid)), AMDV1_HAD_AD);
}
