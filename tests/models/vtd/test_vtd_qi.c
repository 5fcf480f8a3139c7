/* VT-d queued invalidation: descriptor encodings, the PSI block choice, what
 * a sync costs and what it really drops. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pte.h"
#include "models/vtd/vtd_qi.h"
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
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), p, &err), 0, "%s", err.msg);
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

static void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

/* ---- encodings ------------------------------------------------------------ */

Test(vtd_qi_desc, iotlb_psi_fields_are_bit_exact)
{
	struct vtd_qi_desc d = vtd_qi_iotlb_psi(0x1234, 0xabcdef000ull, 3, true);

	/* qw0: type 2h in 3:0, G=11b in 5:4, DW b6, DR b7, DID 31:16 */
	cr_assert_eq(d.qw[0], 0x2ull | (3ull << 4) | (1ull << 6) | (1ull << 7) | (0x1234ull << 16));
	/* qw1: AM 5:0, IH b6, ADDR 63:12 */
	cr_assert_eq(d.qw[1], 0xabcdef000ull | (1ull << 6) | 3ull);
	cr_assert_eq(d.qw[2] | d.qw[3], 0, "padded to 256 bits with zeros");
	cr_assert_eq(vtd_qi_desc_type(&d), VTD_QI_TYPE_IOTLB);
	d = vtd_qi_iotlb_psi(1, 0x5000, 0, false);
	cr_assert_eq(d.qw[1], 0x5000, "IH=0, AM=0");
}

Test(vtd_qi_desc, iotlb_dsi_and_global_granularity)
{
	struct vtd_qi_desc d = vtd_qi_iotlb_dsi(0xbeef);

	cr_assert_eq(d.qw[0], 0x2ull | (2ull << 4) | 0xc0ull | (0xbeefull << 16));
	cr_assert_eq(d.qw[1], 0);
	d = vtd_qi_iotlb_global();
	cr_assert_eq(d.qw[0], 0x2ull | (1ull << 4) | 0xc0ull);
}

Test(vtd_qi_desc, pasid_cache_and_wait)
{
	struct vtd_qi_desc d = vtd_qi_pasid_cache(VTD_PC_G_PASID, 0x42, 0xfffff);

	/* type 7h, G 5:4 = 01b (PASID-selective-within-domain), DID 31:16, PASID 51:32 */
	cr_assert_eq(d.qw[0], 0x7ull | (1ull << 4) | (0x42ull << 16) | (0xfffffull << 32));
	cr_assert_eq(vtd_qi_desc_type(&d), VTD_QI_TYPE_PC);
	d = vtd_qi_wait(0xcafef00d, 0x10001004);
	/* type 5h, SW b5, status data 63:32; qw1 status address */
	cr_assert_eq(d.qw[0], 0x5ull | (1ull << 5) | (0xcafef00dull << 32));
	cr_assert_eq(d.qw[1], 0x10001004);
	cr_assert_eq(vtd_qi_desc_type(&d), VTD_QI_TYPE_WAIT);
}

/* ---- the PSI block -------------------------------------------------------- */

struct psi_row {
	uint64_t start, last;
	unsigned max_am;
	bool psi;             /* expect a PSI (else DSI) */
	uint64_t addr;
	unsigned am;
};

static const struct psi_row psi_rows[] = {
	{ 0x1000, 0x1fff, 9, true, 0x1000, 0 },          /* one page */
	{ 0x0, 0x1fff, 9, true, 0x0, 1 },                /* two, aligned */
	{ 0x1000, 0x2fff, 9, true, 0x0, 2 },             /* two, straddling a 2-page block */
	{ 0x3000, 0x4fff, 9, true, 0x0, 3 },             /* two, straddling a 4-page block */
	{ 0x4000, 0x6fff, 9, true, 0x4000, 2 },          /* three round up to four */
	{ 0x200000, 0x3fffff, 9, true, 0x200000, 9 },    /* a 2 MiB page */
	{ 0x1ff000, 0x200fff, 9, false, 0, 0 },          /* 2 pages needing a 1024 block */
	{ 0x1ff000, 0x200fff, 10, true, 0x0, 10 },       /* ... allowed with MAMV=10 */
	{ 0x40000000, 0x7fffffff, 9, false, 0, 0 },      /* 1 GiB: AM 18 > 9 */
	{ 0x40000000, 0x7fffffff, 18, true, 0x40000000, 18 },
};

ParameterizedTestParameters(vtd_qi_psi, covers_range_with_one_aligned_block)
{
	return cr_make_param_array(struct psi_row, psi_rows,
				   sizeof(psi_rows) / sizeof(psi_rows[0]));
}

ParameterizedTest(const struct psi_row *r, vtd_qi_psi, covers_range_with_one_aligned_block)
{
	uint64_t addr = ~0ull;
	unsigned am = ~0u;
	bool psi = vtd_qi_psi_cover(r->start, r->last, true, r->max_am, &addr, &am);

	cr_assert_eq(psi, r->psi, "[0x%llx, 0x%llx]", (unsigned long long)r->start,
		     (unsigned long long)r->last);
	if (!psi)
		return;
	cr_assert_eq(am, r->am);
	cr_assert_eq(addr, r->addr);
	/* the block is aligned and covers the range */
	cr_assert_eq(addr & ((1ull << (12 + am)) - 1), 0);
	cr_assert(addr <= r->start && addr + (1ull << (12 + am)) - 1 >= r->last);
}

Test(vtd_qi_psi, unsupported_psi_means_dsi)
{
	uint64_t addr;
	unsigned am;

	cr_assert_not(vtd_qi_psi_cover(0x1000, 0x1fff, false, 9, &addr, &am));
}

/* ---- syncs ------------------------------------------------------------------ */

/* Map n 4 KiB pages at iova and translate each once, so the IOTLB holds them. */
static void map_and_touch(uint64_t iova, unsigned n)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, (uint64_t)n << 12, true, 0x300001000ull, RW,
				  &err), 0, "%s", err.msg);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(ims_dma(&sim, dev, iova + ((uint64_t)i << 12), 8, false), 0);
}

static bool cached(uint64_t iova)
{
	return ims_iotlb_lookup(&sim.iotlb, dom->did, iova) != NULL;
}

Test(vtd_qi_sync, psi_sync_costs_the_sum_of_its_parts, .init = setup, .fini = teardown)
{
	const struct ims_costs *c = &sim.costs;
	struct ims_gather g;

	map_and_touch(0x100000, 4);
	ims_gather_init(&g);
	ims_gather_add(&g, 0x101000, 0x1000, 12);
	cr_assert_leq(sim.inv_busy_until, sim.cpu_now, "the engine is idle");

	uint64_t host0 = STAT(cyc_host_total), cpu0 = STAT(cyc_inv_cpu);
	uint64_t wait0 = STAT(cyc_inv_wait), iommu0 = STAT(cyc_inv_iommu), now0 = sim.cpu_now;
	uint64_t syncs0 = STAT(iotlb_syncs), desc0 = STAT(inv_desc);

	sim.model->iotlb_sync(&sim, dom, &g);

	uint64_t cpu = 2 * c->inv_desc_write_cycles + c->inv_doorbell_cycles + c->inv_poll_cycles;
	uint64_t hw = c->vtd_iotlb_inv_ns + c->vtd_wait_desc_ns;

	cr_assert_eq(STAT(cyc_inv_cpu) - cpu0, cpu, "PSI + wait written, doorbell, one poll");
	cr_assert_eq(STAT(cyc_inv_iommu) - iommu0, hw);
	cr_assert_eq(STAT(cyc_inv_wait) - wait0, hw, "the host stalls while the IOMMU works");
	cr_assert_eq(STAT(cyc_host_total) - host0, cpu + hw);
	cr_assert_eq(sim.cpu_now - now0, cpu + hw);
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1);
	cr_assert_eq(STAT(inv_desc) - desc0, 2);
	cr_assert_eq(STAT(inv_iotlb_page), 1);
	cr_assert_eq(STAT(inv_wait), 1);
}

Test(vtd_qi_sync, psi_drops_exactly_the_block, .init = setup, .fini = teardown)
{
	struct ims_gather g;

	map_and_touch(0x100000, 8);
	for (unsigned i = 0; i < 8; i++)
		cr_assert(cached(0x100000 + i * 0x1000ull));
	ims_gather_init(&g);
	ims_gather_add(&g, 0x102000, 0x2000, 12);   /* pages 2-3: AM=1 at 0x102000 */
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(inv_iotlb_dropped), 2);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(cached(0x100000 + i * 0x1000ull), i != 2 && i != 3, "page %u", i);
	/* IH=1 (no table freed): the PDE cache entry survives */
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x102000));
}

Test(vtd_qi_sync, freed_tables_flush_paging_structure_caches, .init = setup, .fini = teardown)
{
	struct ims_gather g;

	map_and_touch(0x100000, 2);
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000));
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 0x1000, 12);
	g.tables_freed = true;   /* IH=0 */
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->did, 0x100000));
	cr_assert_geq(STAT(inv_psc_dropped), 1);
}

Test(vtd_qi_sync, wide_range_falls_back_to_dsi, .init = setup, .fini = teardown)
{
	struct ims_gather g;

	map_and_touch(0x1ff000, 2);   /* straddles a 2 MiB boundary: AM would be 10 */
	ims_gather_init(&g);
	ims_gather_add(&g, 0x1ff000, 0x2000, 12);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(inv_iotlb_page), 0);
	cr_assert_not(cached(0x1ff000));
	cr_assert_not(cached(0x200000));
}

Test(vtd_qi_sync, no_psi_capability_means_dsi, .fini = teardown)
{
	struct ims_params p;
	struct ims_gather g;

	ims_params_default(&p);
	p.vtd_psi = 0;
	setup_with(&p);
	map_and_touch(0x100000, 1);
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 0x1000, 12);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(inv_iotlb_page), 0);
	cr_assert_not(cached(0x100000));
}

Test(vtd_qi_sync, empty_gather_is_a_lone_wait_round_trip, .init = setup, .fini = teardown)
{
	struct ims_gather g;
	uint64_t host0, entries_before;

	map_and_touch(0x100000, 1);
	host0 = STAT(cyc_host_total);
	entries_before = STAT(inv_iotlb_dropped);
	ims_gather_init(&g);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(iotlb_syncs), 1, "the host asked for a sync");
	cr_assert_eq(STAT(inv_desc), 1, "only the wait descriptor");
	cr_assert_eq(STAT(inv_wait), 1);
	cr_assert_eq(STAT(inv_iotlb_dropped), entries_before);
	cr_assert(cached(0x100000), "nothing was invalidated");
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     sim.costs.inv_desc_write_cycles + sim.costs.inv_doorbell_cycles +
		     sim.costs.vtd_wait_desc_ns + sim.costs.inv_poll_cycles);
}

Test(vtd_qi_sync, queue_and_status_live_in_memory, .init = setup, .fini = teardown)
{
	struct vtd_iommu *iommu = sim.model_state;
	struct ims_gather g;

	map_and_touch(0x100000, 1);
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 0x1000, 12);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(iommu->qi.head, iommu->qi.tail, "the hardware consumed the queue");
	cr_assert_eq(iommu->qi.tail, 2);
	/* slot 0: the PSI as the host wrote it; slot 1: the wait */
	uint64_t qw0 = ims_mem_load64(&sim.mem, VTD_PA_IQ);
	uint64_t qw1 = ims_mem_load64(&sim.mem, VTD_PA_IQ + 8);
	uint64_t w0 = ims_mem_load64(&sim.mem, VTD_PA_IQ + VTD_QI_SLOT_BYTES);

	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_G, qw0), VTD_IOTLB_G_PAGE);
	cr_assert_eq(ims_field_get(VTD_QI_IOTLB_DID, qw0), dom->did);
	cr_assert_eq(qw1 & VTD_QI_IOTLB_ADDR, 0x100000);
	cr_assert(qw1 & VTD_QI_IOTLB_IH);
	cr_assert_eq(w0 & 0xf, VTD_QI_TYPE_WAIT);
	/* the hardware's status write landed where the wait said */
	cr_assert_eq((uint32_t)ims_mem_load64(&sim.mem, VTD_PA_IQ_STATUS), iommu->qi.wait_seq);
	cr_assert_neq(iommu->qi.wait_seq, 0);
}

Test(vtd_qi_sync, dirty_tracking_switch_costs_pasid_cache_dsi_and_wait, .init = setup,
     .fini = teardown)
{
	const struct ims_costs *c = &sim.costs;

	map_and_touch(0x100000, 4);
	uint64_t host0 = STAT(cyc_host_total);

	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, true, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     c->sw_pasid_entry_update_cycles + 3 * c->inv_desc_write_cycles +
		     c->inv_doorbell_cycles + c->vtd_pasid_cache_inv_ns + c->vtd_iotlb_inv_ns +
		     c->vtd_wait_desc_ns + c->inv_poll_cycles);
	cr_assert_eq(STAT(inv_context), 1);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
	cr_assert_eq(STAT(iotlb_syncs), 1);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
	cr_assert_not(cached(0x100000), "the DSI dropped the domain's entries");
	/* unchanged state: nothing at all */
	host0 = STAT(cyc_host_total);
	cr_assert_eq(sim.model->set_dirty_tracking(&sim, dom, true, &err), 0);
	cr_assert_eq(STAT(cyc_host_total), host0);
	cr_assert_eq(STAT(dirty_tracking_switches), 1);
}

Test(vtd_qi_sync, busy_engine_delays_the_wait, .init = setup, .fini = teardown)
{
	const struct ims_costs *c = &sim.costs;
	struct ims_gather g;

	map_and_touch(0x100000, 1);
	/* the engine still has 10000 cycles of earlier work queued */
	sim.inv_busy_until = sim.cpu_now + 10000;
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 0x1000, 12);
	uint64_t wait0 = STAT(cyc_inv_wait);

	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(cyc_inv_wait) - wait0,
		     10000 - 2 * c->inv_desc_write_cycles - c->inv_doorbell_cycles +
		     c->vtd_iotlb_inv_ns + c->vtd_wait_desc_ns);
}
