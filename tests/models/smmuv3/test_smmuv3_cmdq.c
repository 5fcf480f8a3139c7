/* SMMUv3 command queue: command encodings, the range-invalidation cover
 * (NUM/SCALE/TG/TTL, exact and minimal), the per-page policy and its
 * whole-ASID threshold without RIL, what a sync costs, and which cached
 * entries each command really drops. */
#include "smmu_test.h"

#include <criterion/parameterized.h>

TestSuite(smmu_cmd, .fini = teardown);
TestSuite(smmu_ril, .fini = teardown);
TestSuite(smmu_sync, .fini = teardown);
TestSuite(smmu_inv, .fini = teardown);

/* ---- encodings --------------------------------------------------------------- */

Test(smmu_cmd, tlbi_nh_va_range_is_bit_exact)
{
	struct smmu_cmd c = smmu_cmd_tlbi_addr(1, 0x1234, 0xbeef, 0xfedcba987000ull, true,
					       SMMU_TG_4KB, 3, 17, 9);

	/* dw0: opcode 7:0, NUM 16:12, SCALE 24:20, VMID 47:32, ASID 63:48 */
	cr_assert_eq(c.dw[0], 0x12ull | (17ull << 12) | (9ull << 20) | (0x1234ull << 32) |
			      (0xbeefull << 48));
	/* dw1: Leaf 0, TTL 9:8, TG 11:10, Address 63:12 */
	cr_assert_eq(c.dw[1], 0xfedcba987000ull | (3ull << 8) | (1ull << 10) | 1ull);
	c = smmu_cmd_tlbi_addr(1, 0, 5, 0x3000, false, SMMU_TG_ANY, 0, 0, 0);
	cr_assert_eq(c.dw[0], 0x12ull | (5ull << 48));
	cr_assert_eq(c.dw[1], 0x3000, "non-range: TG=0, Leaf=0");
}

Test(smmu_cmd, tlbi_s2_ipa_has_no_asid)
{
	struct smmu_cmd c = smmu_cmd_tlbi_addr(2, 0x42, 0xffff, 0x40000000ull, true,
					       SMMU_TG_4KB, 1, 0, 18);

	cr_assert_eq(c.dw[0], 0x2aull | (18ull << 20) | (0x42ull << 32));
	cr_assert_eq(c.dw[1], 0x40000000ull | (1ull << 8) | (1ull << 10) | 1ull);
}

Test(smmu_cmd, asid_vmid_cfgi_and_sync_are_bit_exact)
{
	struct smmu_cmd c = smmu_cmd_tlbi_nh_asid(0x12, 0x3456);

	cr_assert_eq(c.dw[0], 0x11ull | (0x12ull << 32) | (0x3456ull << 48));
	cr_assert_eq(c.dw[1], 0);
	c = smmu_cmd_tlbi_s12_vmall(0x77);
	cr_assert_eq(c.dw[0], 0x28ull | (0x77ull << 32));
	c = smmu_cmd_cfgi_ste(0x10203, true);
	cr_assert_eq(c.dw[0], 0x03ull | (0x10203ull << 32));
	cr_assert_eq(c.dw[1], 1, "Leaf");
	c = smmu_cmd_cfgi_cd(0x100, 0xabcde, false);
	cr_assert_eq(c.dw[0], 0x05ull | (0xabcdeull << 12) | (0x100ull << 32));
	cr_assert_eq(c.dw[1], 0);
	c = smmu_cmd_sync_msi(0x90000020ull, 0xcafe);
	/* CS=SIG_IRQ 13:12, MSH=ISH 23:22, MSIAttr=0xf 27:24, MSIData 63:32 */
	cr_assert_eq(c.dw[0], 0x46ull | (1ull << 12) | (3ull << 22) | (0xfull << 24) |
			      (0xcafeull << 32));
	cr_assert_eq(c.dw[1], 0x90000020ull, "MSIAddress[55:2]");
}

/* ---- range invalidation cover ------------------------------------------------------ */

struct cmd_exp {
	uint64_t addr;
	unsigned num, scale, ttl, tg;
};

struct ril_row {
	uint64_t start;
	uint64_t pages;
	unsigned leaf_lg2;
	unsigned n;
	struct cmd_exp c[3];
};

static const struct ril_row ril_rows[] = {
	{ 0x1000, 1, 12, 1, { { 0x1000, 0, 0, 3, 1 } } },
	/* one page with no level hint: NUM=SCALE=TTL=0 is Reserved, so TG=0 */
	{ 0x1000, 1, 0, 1, { { 0x1000, 0, 0, 0, 0 } } },
	{ 0x5000, 3, 12, 1, { { 0x5000, 2, 0, 3, 1 } } },
	{ 0x0, 32, 12, 1, { { 0x0, 0, 5, 3, 1 } } },
	{ 0x0, 33, 12, 2, { { 0x0, 0, 0, 3, 1 }, { 0x1000, 0, 5, 3, 1 } } },
	{ 0x0, 63, 12, 2, { { 0x0, 30, 0, 3, 1 }, { 0x1f000, 0, 5, 3, 1 } } },
	{ 0x7000, 2, 0, 1, { { 0x7000, 0, 1, 0, 1 } } },          /* 1 x 2^1 */
	{ 0x200000, 512, 21, 1, { { 0x200000, 0, 9, 2, 1 } } },
	{ 0x200000, 3 * 512, 21, 1, { { 0x200000, 2, 9, 2, 1 } } },
	{ 0x2000000, 8192, 21, 1, { { 0x2000000, 0, 13, 2, 1 } } },     /* 32 MiB run */
	{ 0x40000000, 1ull << 19, 30, 1, { { 0x40000000, 0, 19, 1, 1 } } },
	/* 0b10_0000_0101: the 5-bit window from bit 0 takes 5 pages, then 512 */
	{ 0x3000, 1 + 4 + 512, 12, 2, { { 0x3000, 4, 0, 3, 1 }, { 0x8000, 0, 9, 3, 1 } } },
	{ 0x0, 1ull << 36, 0, 1, { { 0x0, 31, 31, 0, 1 } } },          /* all of 48 bits */
};

ParameterizedTestParameters(smmu_ril, cover_encodings)
{
	return cr_make_param_array(struct ril_row, ril_rows,
				   sizeof(ril_rows) / sizeof(ril_rows[0]));
}

static struct smmu_inv_req req(unsigned stage, uint64_t start, uint64_t pages, unsigned lg2,
			       bool ril)
{
	struct smmu_inv_req r = {
		.stage = stage, .vmid = 0, .asid = 7, .start = start,
		.last = start + (pages << 12) - 1, .leaf = true, .leaf_lg2 = lg2, .ril = ril,
		.max_ops = 512,
	};

	return r;
}

ParameterizedTest(const struct ril_row *r, smmu_ril, cover_encodings)
{
	struct smmu_inv_req q = req(1, r->start, r->pages, r->leaf_lg2, true);
	struct smmu_cmd out[64];
	unsigned n = smmu_inv_build(&q, out, 64);

	cr_assert_eq(n, r->n, "0x%llx + %llu pages: %u commands", (unsigned long long)r->start,
		     (unsigned long long)r->pages, n);
	for (unsigned i = 0; i < n; i++) {
		const struct cmd_exp *e = &r->c[i];

		cr_assert_eq(smmu_cmd_op(&out[i]), SMMU_CMD_TLBI_NH_VA);
		cr_assert_eq(out[i].dw[1] & SMMU_CMD1_VA, e->addr, "command %u", i);
		cr_assert_eq(ims_field_get(SMMU_CMD0_NUM, out[i].dw[0]), e->num, "command %u", i);
		cr_assert_eq(ims_field_get(SMMU_CMD0_SCALE, out[i].dw[0]), e->scale, "command %u",
			     i);
		cr_assert_eq(ims_field_get(SMMU_CMD1_TTL, out[i].dw[1]), e->ttl, "command %u", i);
		cr_assert_eq(ims_field_get(SMMU_CMD1_TG, out[i].dw[1]), e->tg, "command %u", i);
		cr_assert(out[i].dw[1] & SMMU_CMD1_LEAF);
		cr_assert_eq(ims_field_get(SMMU_CMD0_ASID, out[i].dw[0]), 7);
	}
}

/* Fewest terms (NUM+1) 2^SCALE, NUM+1 <= 32, summing to n: brute force. */
static unsigned min_terms(uint64_t n, unsigned *memo)
{
	if (!n)
		return 0;
	if (memo[n])
		return memo[n];
	unsigned best = ~0u;

	for (unsigned s = 0; (1ull << s) <= n; s++)
		for (uint64_t m = 1; m <= 32 && (m << s) <= n; m++) {
			unsigned t = 1 + min_terms(n - (m << s), memo);

			if (t < best)
				best = t;
		}
	return memo[n] = best;
}

Test(smmu_ril, cover_is_exact_and_minimal)
{
	static unsigned memo[2049];
	struct smmu_cmd out[64];

	for (uint64_t pages = 1; pages <= 2048; pages++) {
		struct smmu_inv_req q = req(2, 0x123000, pages, 12, true);
		unsigned n = smmu_inv_build(&q, out, 64);
		uint64_t next = q.start;

		for (unsigned i = 0; i < n; i++) {
			uint64_t num = ims_field_get(SMMU_CMD0_NUM, out[i].dw[0]);
			uint64_t scale = ims_field_get(SMMU_CMD0_SCALE, out[i].dw[0]);

			cr_assert_eq(smmu_cmd_op(&out[i]), SMMU_CMD_TLBI_S2_IPA);
			cr_assert_eq(out[i].dw[1] & SMMU_CMD1_IPA, next,
				     "%llu pages: no gap or overlap", (unsigned long long)pages);
			next += ((num + 1) << scale) << 12;
		}
		cr_assert_eq(next, q.last + 1, "%llu pages covered exactly",
			     (unsigned long long)pages);
		cr_assert_eq(n, min_terms(pages, memo), "%llu pages: %u commands, minimum %u",
			     (unsigned long long)pages, n, min_terms(pages, memo));
	}
}

/* ---- without RIL ---------------------------------------------------------------------- */

struct noril_row {
	unsigned stage;
	uint64_t pages;
	unsigned leaf_lg2;
	unsigned n;            /* commands */
	bool whole;            /* one TLBI_NH_ASID / TLBI_S12_VMALL */
};

static const struct noril_row noril_rows[] = {
	{ 1, 1, 12, 1, false }, { 1, 100, 12, 100, false }, { 1, 511, 12, 511, false },
	{ 1, 512, 12, 1, true }, { 2, 511, 12, 511, false }, { 2, 512, 12, 1, true },
	{ 1, 1024, 21, 2, false },       /* two 2 MiB blocks: one command each */
	{ 1, 512, 0, 1, true },          /* sizes unknown: 4 KiB steps, over the threshold */
	{ 2, 1ull << 18, 30, 1, false }, /* one 1 GiB block */
};

ParameterizedTestParameters(smmu_ril, without_ril_per_leaf_then_whole_space)
{
	return cr_make_param_array(struct noril_row, noril_rows,
				   sizeof(noril_rows) / sizeof(noril_rows[0]));
}

ParameterizedTest(const struct noril_row *r, smmu_ril, without_ril_per_leaf_then_whole_space)
{
	struct smmu_inv_req q = req(r->stage, 0x40000000, r->pages, r->leaf_lg2, false);
	unsigned max = smmu_inv_worst_case(&q);
	struct smmu_cmd *out = calloc(max, sizeof(*out));
	unsigned n = smmu_inv_build(&q, out, max);
	uint64_t step = r->leaf_lg2 ? 1ull << r->leaf_lg2 : 4096;

	cr_assert_eq(n, r->n);
	if (r->whole) {
		cr_assert_eq(smmu_cmd_op(&out[0]), r->stage == 2 ? SMMU_CMD_TLBI_S12_VMALL
								 : SMMU_CMD_TLBI_NH_ASID);
	} else {
		for (unsigned i = 0; i < n; i++) {
			cr_assert_eq(smmu_cmd_op(&out[i]), r->stage == 2 ? SMMU_CMD_TLBI_S2_IPA
									 : SMMU_CMD_TLBI_NH_VA);
			cr_assert_eq(out[i].dw[1] & ~0xfffull, 0x40000000 + i * step);
			cr_assert_eq(ims_field_get(SMMU_CMD1_TG, out[i].dw[1]), 0,
				     "no range fields");
			cr_assert_eq(out[i].dw[0] & (SMMU_CMD0_NUM | SMMU_CMD0_SCALE), 0);
		}
	}
	free(out);
}

Test(smmu_ril, threshold_is_a_parameter)
{
	SMMU_SETUP(.stage = 1, .ril = 0, .max_ops = 4);
	map_4k(0x100000, 0x8000, PA4K);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x3000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(inv_iotlb_page), 3);
	cr_assert_eq(STAT(inv_iotlb_domain), 0);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x103000, 0x4000, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(inv_iotlb_page), 3);
	cr_assert_eq(STAT(inv_iotlb_domain), 1);
}

/* ---- syncs ------------------------------------------------------------------------------ */

static void map_and_touch(uint64_t iova, unsigned n)
{
	map_4k(iova, (uint64_t)n << 12, PA4K);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(ims_dma(&sim, dev, iova + ((uint64_t)i << 12), 8, false), 0);
}

Test(smmu_sync, range_sync_costs_the_sum_of_its_parts)
{
	const struct ims_costs *c = &sim.costs;

	setup_s1();
	map_and_touch(0x100000, 4);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x1000, &err), 0);   /* warm */
	cr_assert_leq(sim.inv_busy_until, sim.cpu_now, "the SMMU is idle");
	uint64_t host0 = STAT(cyc_host_total), cpu0 = STAT(cyc_inv_cpu), wait0 = STAT(cyc_inv_wait);
	uint64_t iommu0 = STAT(cyc_inv_iommu), syncs0 = STAT(iotlb_syncs), desc0 = STAT(inv_desc);
	uint64_t unmap0 = STAT(cyc_sw_unmap), pin0 = STAT(cyc_sw_pin);

	cr_assert_eq(ims_host_unmap(&sim, dom, 0x101000, 0x2000, &err), 0, "%s", err.msg);
	uint64_t cpu = 2 * c->inv_desc_write_cycles + c->inv_doorbell_cycles + c->inv_poll_cycles;
	uint64_t hw = c->smmuv3_tlbi_ns + c->smmuv3_sync_ns;

	cr_assert_eq(STAT(inv_desc) - desc0, 2, "one range TLBI, one CMD_SYNC");
	cr_assert_eq(STAT(cyc_inv_cpu) - cpu0, cpu);
	cr_assert_eq(STAT(cyc_inv_iommu) - iommu0, hw);
	cr_assert_eq(STAT(cyc_inv_wait) - wait0, hw);
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     cpu + hw + STAT(cyc_sw_unmap) - unmap0 + STAT(cyc_sw_pin) - pin0,
		     "the unmap, its sync, and the unpin of its pages");
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1);
}

Test(smmu_sync, batches_ring_the_doorbell_every_64_commands)
{
	const struct ims_costs *c = &sim.costs;
	struct ims_gather g;

	SMMU_SETUP(.stage = 1, .ril = 0);
	map_and_touch(0x100000, 100);
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 100 * 0x1000, 12);
	uint64_t cpu0 = STAT(cyc_inv_cpu), host0 = STAT(cyc_host_total);

	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(inv_iotlb_page), 100);
	cr_assert_eq(STAT(cyc_inv_cpu) - cpu0,
		     101 * c->inv_desc_write_cycles + 2 * c->inv_doorbell_cycles +
		     c->inv_poll_cycles, "64 + (36 + CMD_SYNC): two doorbells");
	/* the SMMU works on the first batch while the host writes the second */
	uint64_t first = 64 * c->inv_desc_write_cycles + c->inv_doorbell_cycles;
	uint64_t second = first + 37 * c->inv_desc_write_cycles + c->inv_doorbell_cycles;
	uint64_t busy = first + 64 * c->smmuv3_tlbi_ns;
	uint64_t done = (busy > second ? busy : second) + 36 * c->smmuv3_tlbi_ns +
			c->smmuv3_sync_ns;

	cr_assert_eq(STAT(cyc_host_total) - host0, done + c->inv_poll_cycles);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_not(cached(0x100000 + i * 0x1000ull), "page %u dropped", i);
}

Test(smmu_sync, empty_gather_is_a_lone_cmd_sync)
{
	struct ims_gather g;

	setup_s2();
	map_and_touch(0x100000, 1);
	uint64_t host0 = STAT(cyc_host_total), dropped = STAT(inv_iotlb_dropped);
	uint64_t desc0 = STAT(inv_desc), syncs0 = STAT(iotlb_syncs);

	ims_gather_init(&g);
	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(iotlb_syncs) - syncs0, 1, "the host asked for a sync");
	cr_assert_eq(STAT(inv_desc) - desc0, 1, "only CMD_SYNC");
	cr_assert_eq(STAT(inv_iotlb_dropped), dropped);
	cr_assert(cached(0x100000));
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     sim.costs.inv_desc_write_cycles + sim.costs.inv_doorbell_cycles +
		     sim.costs.smmuv3_sync_ns + sim.costs.inv_poll_cycles);
}

Test(smmu_sync, queue_and_completion_live_in_memory)
{
	struct smmu_cmdq *q;
	uint64_t slot;

	setup_s1();
	map_and_touch(0x100000, 1);
	q = &iommu()->cmdq;
	slot = q->prod;   /* after attach's CFGI_STE + CMD_SYNC */
	cr_assert_eq(slot, 2);
	cr_assert_eq(ims_host_unmap(&sim, dom, 0x100000, 0x1000, &err), 0, "%s", err.msg);
	cr_assert_eq(q->cons, q->prod, "the SMMU consumed everything");
	cr_assert_eq(q->prod, slot + 2);
	uint64_t t0 = ims_mem_load64(&sim.mem, SMMU_PA_CMDQ + slot * 16);
	uint64_t t1 = ims_mem_load64(&sim.mem, SMMU_PA_CMDQ + slot * 16 + 8);
	uint64_t s1 = ims_mem_load64(&sim.mem, SMMU_PA_CMDQ + (slot + 1) * 16 + 8);

	cr_assert_eq(t0 & 0xff, SMMU_CMD_TLBI_NH_VA);
	cr_assert_eq(ims_field_get(SMMU_CMD0_ASID, t0), dom->did);
	cr_assert_eq(t1 & SMMU_CMD1_VA, 0x100000);
	cr_assert_eq(ims_field_get(SMMU_CMD1_TTL, t1), 3);
	cr_assert_eq(s1, SMMU_PA_CMDQ + (slot + 1) * 16, "MSIAddress = the CMD_SYNC's own slot");
	cr_assert_eq((uint32_t)ims_mem_load64(&sim.mem, SMMU_PA_CMDQ + (slot + 1) * 16), 0,
		     "the MSI wrote MSIData=0 over the opcode word");
}

Test(smmu_sync, busy_smmu_delays_the_sync)
{
	const struct ims_costs *c = &sim.costs;
	struct ims_gather g;

	setup_s1();
	map_and_touch(0x100000, 1);
	sim.inv_busy_until = sim.cpu_now + 10000;
	ims_gather_init(&g);
	ims_gather_add(&g, 0x100000, 0x1000, 12);
	uint64_t wait0 = STAT(cyc_inv_wait);

	sim.model->iotlb_sync(&sim, dom, &g);
	cr_assert_eq(STAT(cyc_inv_wait) - wait0,
		     10000 - 2 * c->inv_desc_write_cycles - c->inv_doorbell_cycles +
		     c->smmuv3_tlbi_ns + c->smmuv3_sync_ns);
}

Test(smmu_sync, attach_is_cfgi_ste_and_sync)
{
	struct ims_device *dev2;
	const struct ims_costs *c = &sim.costs;

	setup_s1();
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &dev2, &err), 0);
	uint64_t host0 = STAT(cyc_host_total);

	cr_assert_eq(ims_host_attach(&sim, dev2, dom, &err), 0, "%s", err.msg);
	cr_assert_eq(STAT(cyc_host_total) - host0,
		     c->sw_pasid_entry_update_cycles + 2 * c->inv_desc_write_cycles +
		     c->inv_doorbell_cycles + c->smmuv3_cfgi_ns + c->smmuv3_sync_ns +
		     c->inv_poll_cycles);
}

/* ---- what the SMMU drops ------------------------------------------------------------------ */

static void submit(const struct smmu_cmd *cmds, unsigned n)
{
	smmu_cmdq_submit_sync(&sim, &iommu()->cmdq, cmds, n);
}

Test(smmu_inv, ttl_limits_the_leaves_and_leaf_keeps_walk_caches)
{
	setup_s1();
	map(0x200000, 2 * MIB, RW);
	map_and_touch(0x400000, 4);
	cr_assert_eq(ims_dma(&sim, dev, 0x200000, 8, false), 0);
	cr_assert(cached(0x200000));
	/* 4 MiB from 0x200000, level 3 leaves only, Leaf=1 */
	struct smmu_cmd c = smmu_cmd_tlbi_addr(1, 0, sd()->asid, 0x200000, true, SMMU_TG_4KB, 3,
					       0, 10);

	submit(&c, 1);
	cr_assert(cached(0x200000), "a level-2 block is outside TTL=3");
	for (unsigned i = 0; i < 4; i++)
		cr_assert_not(cached(0x400000 + i * 0x1000ull));
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x400000), "Leaf=1");
	c = smmu_cmd_tlbi_addr(1, 0, sd()->asid, 0x200000, false, SMMU_TG_4KB, 2, 0, 10);
	submit(&c, 1);
	cr_assert_not(cached(0x200000));
	cr_assert_not_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x400000),
			   "TTL=2 with Leaf=0: Arm level 2 table descriptors are kept");
	cr_assert_null(ims_psc_lookup(&sim.psc, 2, dom->tlb_tag, 0x400000),
		       "Arm level 1 table descriptors are dropped");
	c = smmu_cmd_tlbi_addr(1, 0, sd()->asid, 0x400000, false, SMMU_TG_ANY, 0, 0, 0);
	submit(&c, 1);
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x400000));
}

Test(smmu_inv, single_address_drops_the_entry_holding_it)
{
	setup_s1();
	map(0x200000, 2 * MIB, RW);
	cr_assert_eq(ims_dma(&sim, dev, 0x300000, 8, false), 0);
	struct smmu_cmd c = smmu_cmd_tlbi_addr(1, 0, sd()->asid, 0x3ff000, true, SMMU_TG_ANY, 0,
					       0, 0);

	submit(&c, 1);
	cr_assert_not(cached(0x200000), "4.4: low address bits ignored as the entry's size needs");
}

Test(smmu_inv, nh_asid_and_s12_vmall_scopes)
{
	struct ims_domain *d2;
	struct ims_device *v2;

	setup_s1();
	cr_assert_eq(ims_host_domain_create(&sim, "d1", 48, &d2, &err), 0);
	cr_assert_eq(ims_host_device_create(&sim, "dev1", 0x200, &v2, &err), 0);
	cr_assert_eq(ims_host_attach(&sim, v2, d2, &err), 0);
	map_and_touch(0x100000, 2);
	cr_assert_eq(ims_host_map(&sim, d2, 0x100000, 0x2000, true, PA4K, RW, &err), 0);
	cr_assert_eq(ims_dma(&sim, v2, 0x100000, 8, false), 0);
	cr_assert_not_null(ims_iotlb_lookup(&sim.iotlb, d2->tlb_tag, 0x100000));
	struct smmu_cmd c = smmu_cmd_tlbi_nh_asid(0, sd()->asid);

	submit(&c, 1);
	cr_assert_not(cached(0x100000));
	cr_assert_null(ims_psc_lookup(&sim.psc, 1, dom->tlb_tag, 0x100000));
	cr_assert_not_null(ims_iotlb_lookup(&sim.iotlb, d2->tlb_tag, 0x100000), "other ASID kept");
	/* VMID 0 holds every stage-1 domain here: S12_VMALL(0) drops them all */
	c = smmu_cmd_tlbi_s12_vmall(0);
	submit(&c, 1);
	cr_assert_null(ims_iotlb_lookup(&sim.iotlb, d2->tlb_tag, 0x100000));
}

Test(smmu_inv, s2_ipa_matches_the_vmid)
{
	setup_s2();
	map_and_touch(0x100000, 2);
	struct smmu_cmd c = smmu_cmd_tlbi_addr(2, sd()->vmid + 1, 0, 0x100000, true, SMMU_TG_ANY,
					       0, 0, 0);

	submit(&c, 1);
	cr_assert(cached(0x100000), "another VMID");
	c = smmu_cmd_tlbi_addr(2, sd()->vmid, 0, 0x100000, true, SMMU_TG_ANY, 0, 0, 0);
	submit(&c, 1);
	cr_assert_not(cached(0x100000));
	cr_assert(cached(0x101000));
	cr_assert_eq(STAT(inv_iotlb_dropped), 1);
}
