/* SMMUv3 command queue: encoders and the range-invalidation cover (host),
 * the ring in memory, and the SMMU side that consumes, decodes and applies
 * commands (IHI 0070 G.b chapter 4). */
#include "models/smmuv3/smmu_cmdq.h"

#include "models/smmuv3/smmu_desc.h"
#include "models/smmuv3/smmu_model.h"
#include "sim/sim.h"

/* ---- encoders (host) ------------------------------------------------------ */

static struct smmu_cmd cmd_op(unsigned op)
{
	struct smmu_cmd c = { { ims_field_prep(SMMU_CMD0_OP, op), 0 } };

	return c;
}

struct smmu_cmd smmu_cmd_cfgi_ste(uint32_t sid, bool leaf)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_CFGI_STE);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_SID, sid);
	c.dw[1] = leaf ? SMMU_CMD1_LEAF : 0;
	return c;
}

struct smmu_cmd smmu_cmd_cfgi_cd(uint32_t sid, uint32_t ssid, bool leaf)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_CFGI_CD);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_SID, sid) | ims_field_prep(SMMU_CMD0_SSID, ssid);
	c.dw[1] = leaf ? SMMU_CMD1_LEAF : 0;
	return c;
}

struct smmu_cmd smmu_cmd_tlbi_nh_asid(uint16_t vmid, uint16_t asid)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_TLBI_NH_ASID);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_VMID, vmid) | ims_field_prep(SMMU_CMD0_ASID, asid);
	return c;
}

struct smmu_cmd smmu_cmd_tlbi_s12_vmall(uint16_t vmid)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_TLBI_S12_VMALL);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_VMID, vmid);
	return c;
}

struct smmu_cmd smmu_cmd_tlbi_addr(unsigned stage, uint16_t vmid, uint16_t asid, uint64_t addr,
				   bool leaf, unsigned tg, unsigned ttl, unsigned num,
				   unsigned scale)
{
	struct smmu_cmd c = cmd_op(stage == 2 ? SMMU_CMD_TLBI_S2_IPA : SMMU_CMD_TLBI_NH_VA);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_VMID, vmid) |
		   ims_field_prep(SMMU_CMD0_NUM, num) | ims_field_prep(SMMU_CMD0_SCALE, scale);
	if (stage != 2)
		c.dw[0] |= ims_field_prep(SMMU_CMD0_ASID, asid);
	c.dw[1] = (addr & (stage == 2 ? SMMU_CMD1_IPA : SMMU_CMD1_VA)) |
		  ims_field_prep(SMMU_CMD1_TG, tg) | ims_field_prep(SMMU_CMD1_TTL, ttl) |
		  (leaf ? SMMU_CMD1_LEAF : 0);
	return c;
}

/* CS=SIG_IRQ with an MSI to memory; MSH Inner Shareable, MSIAttr Normal
 * write-back, as Linux's arm_smmu_cmdq_build_sync_cmd. */
struct smmu_cmd smmu_cmd_atc_inv(uint32_t sid, uint64_t start, uint64_t last)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_ATC_INV);
	uint64_t first_page = start >> IMS_PAGE_LG2, last_page = last >> IMS_PAGE_LG2;
	unsigned size = first_page == last_page ? 0 : 64u - (unsigned)__builtin_clzll(first_page ^ last_page);
	uint64_t addr = 0;

	if (size >= SMMU_ATC_SIZE_ALL)
		size = SMMU_ATC_SIZE_ALL;
	else
		addr = (first_page >> size) << (size + IMS_PAGE_LG2);
	c.dw[0] |= ims_field_prep(SMMU_CMD0_SID, sid);
	c.dw[1] = ims_field_prep(SMMU_CMD1_ATC_SIZE, size) | (addr & SMMU_CMD1_ATC_ADDR);
	return c;
}

void smmu_atc_inv_range(const struct smmu_cmd *c, uint64_t *start, uint64_t *last)
{
	unsigned size = (unsigned)ims_field_get(SMMU_CMD1_ATC_SIZE, c->dw[1]);
	uint64_t span;

	if (size >= SMMU_ATC_SIZE_ALL) {
		*start = 0;
		*last = UINT64_MAX;
		return;
	}
	/* Address[11+Size:0] are taken as zero: the span is aligned */
	span = UINT64_C(1) << (IMS_PAGE_LG2 + size);
	*start = (c->dw[1] & SMMU_CMD1_ATC_ADDR) & ~(span - 1);
	*last = *start + span - 1;
}

struct smmu_cmd smmu_cmd_sync_msi(uint64_t msi_pa, uint32_t msi_data)
{
	struct smmu_cmd c = cmd_op(SMMU_CMD_SYNC);

	c.dw[0] |= ims_field_prep(SMMU_CMD0_CS, SMMU_CS_IRQ) |
		   ims_field_prep(SMMU_CMD0_MSH, SMMU_SH_ISH) |
		   ims_field_prep(SMMU_CMD0_MSIATTR, SMMU_MSIATTR_OIWB) |
		   ims_field_prep(SMMU_CMD0_MSIDATA, msi_data);
	c.dw[1] = msi_pa & SMMU_CMD1_MSIADDR;
	return c;
}

/* ---- which commands cover a range (host) ---------------------------------- */

#define SCALE_MAX 31u   /* SCALE is 5 bits without SMMU_IDR5.DS */
#define NUM_MAX 32u     /* NUM+1 */

/* TTL for leaves of 2^lg2 bytes (4.4.1.1: the Arm level of the leaf); 0
 * when unknown. Contiguous runs are leaves of the level they sit at. */
static unsigned ttl_of(unsigned leaf_lg2)
{
	return leaf_lg2 ? smmu_arm_level(smmu_level_of_lg2(leaf_lg2)) : 0;
}

/* The next range command of the cover: the largest (NUM+1) 2^SCALE pages
 * whose SCALE is the lowest set bit of the remaining count, taking up to
 * 5 bits above it. Greedy from the bottom is minimal (a test compares it
 * with a brute-force search) and keeps every start aligned to the leaves. */
static void next_range(uint64_t pages, unsigned *num, unsigned *scale)
{
	unsigned s = (unsigned)__builtin_ctzll(pages);
	uint64_t m;

	if (s > SCALE_MAX)
		s = SCALE_MAX;
	m = pages >> s;
	if (m > NUM_MAX)
		m &= NUM_MAX - 1;
	IMS_ASSERT(m >= 1 && m <= NUM_MAX, "range invalidation multiplier out of range");
	*num = (unsigned)(m - 1);
	*scale = s;
}

static unsigned build_ril(const struct smmu_inv_req *r, struct smmu_cmd *out, unsigned max)
{
	uint64_t pages = (r->last - r->start + 1) >> IMS_PAGE_LG2;
	uint64_t addr = r->start;
	unsigned ttl = ttl_of(r->leaf_lg2), n = 0;

	while (pages) {
		unsigned num, scale;

		next_range(pages, &num, &scale);
		IMS_ASSERT(n < max, "TLBI command buffer too small");
		/* NUM=SCALE=TTL=0 with TG!=0 is Reserved (CERROR_ILL): one page
		 * without a level hint is a plain single-address command */
		if (!num && !scale && !ttl)
			out[n++] = smmu_cmd_tlbi_addr(r->stage, r->vmid, r->asid, addr, r->leaf,
						      SMMU_TG_ANY, 0, 0, 0);
		else
			out[n++] = smmu_cmd_tlbi_addr(r->stage, r->vmid, r->asid, addr, r->leaf,
						      SMMU_TG_4KB, ttl, num, scale);
		addr += ((uint64_t)(num + 1) << scale) << IMS_PAGE_LG2;
		pages -= (uint64_t)(num + 1) << scale;
	}
	return n;
}

static unsigned step_lg2(const struct smmu_inv_req *r)
{
	return r->leaf_lg2 ? smmu_level_shift(smmu_level_of_lg2(r->leaf_lg2)) : IMS_PAGE_LG2;
}

static struct smmu_cmd whole_domain(const struct smmu_inv_req *r)
{
	return r->stage == 2 ? smmu_cmd_tlbi_s12_vmall(r->vmid)
			     : smmu_cmd_tlbi_nh_asid(r->vmid, r->asid);
}

static uint64_t steps_of(const struct smmu_inv_req *r)
{
	return ((r->last - r->start) >> step_lg2(r)) + 1;
}

unsigned smmu_inv_worst_case(const struct smmu_inv_req *r)
{
	if (r->ril)
		return 64;   /* every bit of a 36-bit page count, rounded up */
	return steps_of(r) >= r->max_ops ? 1 : (unsigned)steps_of(r);
}

/* Without RIL, one non-range command per leaf-sized step. A contiguous run
 * is invalidated granule by granule (D8.17.6: the Contiguous bit does not
 * change the minimum size of an entry a TLBI must remove), which the leaf
 * size of its descriptors gives. Past max_ops, Linux's CMDQ_MAX_TLBI_OPS
 * policy: one command for the whole address space. */
unsigned smmu_inv_build(const struct smmu_inv_req *r, struct smmu_cmd *out, unsigned max)
{
	uint64_t steps;

	if (r->ril)
		return build_ril(r, out, max);
	steps = steps_of(r);
	IMS_ASSERT(max >= 1, "TLBI command buffer too small");
	if (steps >= r->max_ops) {
		out[0] = whole_domain(r);
		return 1;
	}
	IMS_ASSERT(steps <= max, "TLBI command buffer too small");
	for (uint64_t i = 0; i < steps; i++)
		out[i] = smmu_cmd_tlbi_addr(r->stage, r->vmid, r->asid,
					    (r->start & ~((UINT64_C(1) << step_lg2(r)) - 1)) +
					    (i << step_lg2(r)), r->leaf, SMMU_TG_ANY, 0, 0, 0);
	return (unsigned)steps;
}

/* ---- the ring --------------------------------------------------------------- */

void smmu_cmdq_init(struct smmu_cmdq *q, uint64_t base_pa, unsigned slots)
{
	q->base_pa = base_pa;
	q->slots = slots;
	q->prod = q->cons = 0;
}

static uint64_t slot_pa(const struct smmu_cmdq *q, unsigned idx)
{
	return q->base_pa + (uint64_t)(idx & (q->slots - 1)) * SMMU_CMD_BYTES;
}

/* Host: one command at PROD. The ring never fills: the SMMU consumes each
 * batch before the next is written. */
static void cmdq_write(struct ims_sim *sim, struct smmu_cmdq *q, const struct smmu_cmd *c)
{
	uint64_t pa = slot_pa(q, q->prod);

	if (q->prod - q->cons >= q->slots)
		IMS_BUG("SMMU command queue overflow");
	ims_host_store(sim, pa, c->dw[0]);
	ims_host_store(sim, pa + 8, c->dw[1]);
	q->prod++;
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_desc_write_cycles);
}

/* ---- the SMMU side ---------------------------------------------------------- */

/* Which cached entries a TLBI removes. */
struct inv_scope {
	uint32_t tag, tag_mask;      /* an entry matches if (tag & tag_mask) == .tag */
	uint64_t start, last;        /* IA range; [0, ~0] for by-ASID/VMID commands */
	unsigned ttl;                /* 0: leaves of any level; else only that Arm level */
	bool leaf;                   /* walk caches are left alone */
};

static bool iotlb_entry_matches(const struct ims_iotlb_entry *e, const void *ctx)
{
	const struct inv_scope *s = ctx;
	uint64_t first = e->vpn << e->page_lg2;
	uint64_t last = first + ((UINT64_C(1) << e->page_lg2) - 1);

	if ((e->did & s->tag_mask) != s->tag || first > s->last || last < s->start)
		return false;
	return !s->ttl || smmu_arm_level(smmu_level_of_lg2(e->page_lg2)) == s->ttl;
}

/* A walk-cache entry of iommusim level l caches a Table descriptor of Arm
 * level 3-l. With a TTL, Leaf=0 removes the Table descriptors of the levels
 * above it (4.4.1.1: "levels between the start of the walk and the level
 * before the last level given by TTL"). */
static bool psc_level_in_scope(const struct inv_scope *s, unsigned l)
{
	return !s->ttl || smmu_arm_level(l) < s->ttl;
}

static void apply_scope(struct ims_sim *sim, const struct inv_scope *s)
{
	struct ims_iotlb *t = &sim->iotlb;
	uint64_t tlb = 0, psc = 0;

	ims_inv_drain_walks(sim, s->tag, s->tag_mask);
	tlb = ims_iotlb_inv_if(t, iotlb_entry_matches, s);
	for (unsigned l = 1; !s->leaf && l <= SMMU_TOP_LEVEL; l++) {
		struct ims_psc_level *pl = &sim->psc.lvl[l];

		if (!pl->e || !psc_level_in_scope(s, l))
			continue;
		for (uint64_t i = 0; i < ((uint64_t)pl->nsets_mask + 1) * pl->ways; i++) {
			struct ims_psc_entry *e = &pl->e[i];
			uint64_t first = e->tag << pl->cover_lg2;
			uint64_t last = first + ((UINT64_C(1) << pl->cover_lg2) - 1);

			if (e->valid && (e->did & s->tag_mask) == s->tag &&
			    first <= s->last && last >= s->start) {
				e->valid = 0;
				psc++;
			}
		}
	}
	IMS_STAT_ADD(&sim->stats, inv_iotlb_dropped, tlb);
	IMS_STAT_ADD(&sim->stats, inv_psc_dropped, psc);
}

/* TLBI_NH_VA / TLBI_S2_IPA. TG=0: the entries holding Address (4.4: low
 * address bits are ignored as the entry's size needs). TG=4 KiB: the range
 * (NUM+1) 2^SCALE pages from Address, leaves of level TTL (4.4.1.1). */
static void hw_tlbi_addr(struct ims_sim *sim, const struct smmu_cmd *c)
{
	unsigned stage = smmu_cmd_op(c) == SMMU_CMD_TLBI_S2_IPA ? 2 : 1;
	uint64_t addr = c->dw[1] & (stage == 2 ? SMMU_CMD1_IPA : SMMU_CMD1_VA);
	unsigned tg = (unsigned)ims_field_get(SMMU_CMD1_TG, c->dw[1]);
	unsigned num = (unsigned)ims_field_get(SMMU_CMD0_NUM, c->dw[0]);
	unsigned scale = (unsigned)ims_field_get(SMMU_CMD0_SCALE, c->dw[0]);
	struct inv_scope s = {
		.tag = smmu_tag((uint16_t)ims_field_get(SMMU_CMD0_VMID, c->dw[0]),
				stage == 2 ? 0 : (uint16_t)ims_field_get(SMMU_CMD0_ASID, c->dw[0])),
		.tag_mask = UINT32_MAX, .start = addr, .last = addr,
		.leaf = (c->dw[1] & SMMU_CMD1_LEAF) != 0,
	};

	if (tg == SMMU_TG_ANY) {
		if (num || scale || ims_field_get(SMMU_CMD1_TTL, c->dw[1]))
			IMS_BUG("TLBI with TG=0 and a range or level hint");
	} else {
		s.ttl = (unsigned)ims_field_get(SMMU_CMD1_TTL, c->dw[1]);
		if (tg != SMMU_TG_4KB || !sim->params.smmuv3_ril || (!num && !scale && !s.ttl))
			IMS_BUG("TLBI range command the SMMU rejects (CERROR_ILL)");
		s.last = addr + (((uint64_t)(num + 1) << scale) << IMS_PAGE_LG2) - 1;
	}
	IMS_STAT_INC(&sim->stats, inv_iotlb_page);
	apply_scope(sim, &s);
}

/* TLBI_NH_ASID: stage 1 entries of (VMID, ASID); TLBI_S12_VMALL: every
 * entry of VMID, at all stages (4.4.2.2, 4.4.3.2). */
static void hw_tlbi_space(struct ims_sim *sim, const struct smmu_cmd *c)
{
	uint16_t vmid = (uint16_t)ims_field_get(SMMU_CMD0_VMID, c->dw[0]);
	struct inv_scope s = { .start = 0, .last = UINT64_MAX };

	if (smmu_cmd_op(c) == SMMU_CMD_TLBI_NH_ASID) {
		s.tag = smmu_tag(vmid, (uint16_t)ims_field_get(SMMU_CMD0_ASID, c->dw[0]));
		s.tag_mask = UINT32_MAX;
	} else {
		s.tag = smmu_tag(vmid, 0);
		s.tag_mask = 0xffff0000u;
	}
	IMS_STAT_INC(&sim->stats, inv_iotlb_domain);
	apply_scope(sim, &s);
}

static void hw_cfgi(struct ims_sim *sim, const struct smmu_cmd *c)
{
	uint32_t sid = (uint32_t)ims_field_get(SMMU_CMD0_SID, c->dw[0]);

	IMS_STAT_INC(&sim->stats, inv_context);
	if (smmu_cmd_op(c) == SMMU_CMD_CFGI_STE)
		smmu_cfg_inv_ste(sim, sid);
	else
		smmu_cfg_inv_cd(sim, sid, (uint32_t)ims_field_get(SMMU_CMD0_SSID, c->dw[0]));
}

/* CMD_ATC_INV: the SMMU sends the endpoint an ATS Invalidate Request;
 * only a later CMD_SYNC ensures the endpoint completed it (4.5.1). */
static void hw_atc_inv(struct ims_sim *sim, const struct smmu_cmd *c)
{
	struct ims_device *dev =
		ims_ats_device(sim, (uint16_t)ims_field_get(SMMU_CMD0_SID, c->dw[0]));
	uint64_t start, last;

	if (!dev || (c->dw[0] & SMMU_CMD0_SSV))
		IMS_BUG("CMD_ATC_INV for a stream without ATS or with a SubstreamID: not issued "
			"by the model");
	smmu_atc_inv_range(c, &start, &last);
	ims_atc_invalidate(sim, dev, start, last);
}

/* CMD_SYNC with SIG_IRQ: a 32-bit MSI write of MSIData to MSIAddress,
 * observable once every earlier command completed (4.7.3). */
static void hw_sync(struct ims_sim *sim, const struct smmu_cmd *c)
{
	uint64_t addr = c->dw[1] & SMMU_CMD1_MSIADDR;
	uint64_t word_pa = addr & ~UINT64_C(7);
	unsigned shift = (addr & 4) ? 32 : 0;
	uint64_t data = ims_field_get(SMMU_CMD0_MSIDATA, c->dw[0]);
	uint64_t word;

	IMS_STAT_INC(&sim->stats, inv_wait);
	if (ims_field_get(SMMU_CMD0_CS, c->dw[0]) != SMMU_CS_IRQ || !addr)
		return;
	word = ims_mem_load64(&sim->mem, word_pa);
	word = (word & ~(UINT64_C(0xffffffff) << shift)) | (data << shift);
	ims_mem_store64(&sim->mem, word_pa, word);
}

/* Consume everything from CONS to PROD, in order, each command taking its
 * SMMU time after the previous one. Strict order satisfies every rule of
 * 4.7.3 (commands after a CMD_SYNC wait for it). Returns the completion
 * time of the last CMD_SYNC, 0 if none. */
static uint64_t hw_consume(struct ims_sim *sim, struct smmu_cmdq *q)
{
	const struct ims_costs *k = &sim->costs;
	uint64_t sync_done = 0;

	while (q->cons != q->prod) {
		uint64_t pa = slot_pa(q, q->cons);
		struct smmu_cmd c = { { ims_mem_load64(&sim->mem, pa),
					ims_mem_load64(&sim->mem, pa + 8) } };

		IMS_STAT_INC(&sim->stats, inv_desc);
		if (smmu_cmd_op(&c) != SMMU_CMD_SYNC)
			IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
		switch (smmu_cmd_op(&c)) {
		case SMMU_CMD_CFGI_STE:
		case SMMU_CMD_CFGI_CD:
			hw_cfgi(sim, &c);
			ims_inv_hw_charge(sim, k->smmuv3_cfgi_ns);
			break;
		case SMMU_CMD_TLBI_NH_VA:
		case SMMU_CMD_TLBI_S2_IPA:
			hw_tlbi_addr(sim, &c);
			ims_inv_hw_charge(sim, k->smmuv3_tlbi_ns);
			break;
		case SMMU_CMD_TLBI_NH_ASID:
		case SMMU_CMD_TLBI_S12_VMALL:
			hw_tlbi_space(sim, &c);
			ims_inv_hw_charge(sim, k->smmuv3_tlbi_ns);
			break;
		case SMMU_CMD_ATC_INV:
			ims_inv_hw_charge(sim, k->ats_inv_cmd_ns);
			hw_atc_inv(sim, &c);
			break;
		case SMMU_CMD_SYNC:
			hw_sync(sim, &c);
			sync_done = ims_inv_hw_wait(sim, k->smmuv3_sync_ns);
			break;
		default:
			IMS_BUG("SMMU command the model does not issue");
		}
		q->cons++;
	}
	return sync_done;
}

/* ---- one sync (host) --------------------------------------------------------- */

/* The PROD register write, then the SMMU consumes what it was given. */
static uint64_t doorbell(struct ims_sim *sim, struct smmu_cmdq *q)
{
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_doorbell_cycles);
	return hw_consume(sim, q);
}

void smmu_cmdq_submit_sync(struct ims_sim *sim, struct smmu_cmdq *q, const struct smmu_cmd *cmds,
			   unsigned n)
{
	uint64_t batch = sim->params.smmuv3_cmdq_batch, sync_pa, done;
	unsigned in_batch = 0;
	struct smmu_cmd sync;

	for (unsigned i = 0; i < n; i++) {
		if (in_batch == batch) {
			doorbell(sim, q);
			in_batch = 0;
		}
		cmdq_write(sim, q, &cmds[i]);
		in_batch++;
	}
	/* MSIData 0 over the first word of the CMD_SYNC's own slot: the word
	 * holds the opcode until the SMMU has completed the sync */
	sync_pa = slot_pa(q, q->prod);
	sync = smmu_cmd_sync_msi(sync_pa, 0);
	cmdq_write(sim, q, &sync);
	done = doorbell(sim, q);
	ims_host_wait_until(sim, done);
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_poll_cycles);
	if ((uint32_t)ims_mem_load64(&sim->mem, sync_pa) != 0)
		IMS_BUG("CMD_SYNC completed without its MSI write");
}
