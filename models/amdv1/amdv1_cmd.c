/* The command buffer: command encoding (host), the ring in memory, and the
 * hardware that fetches, decodes and executes commands (AMD IOMMU spec
 * 48882 rev. 3.x, section 2.4). */
#include "models/amdv1/amdv1_cmd.h"

#include "models/amdv1/amdv1_model.h"
#include "sim/sim.h"

/* ---- encoders (host) ------------------------------------------------------ */

static uint64_t opcode(unsigned op)
{
	return ims_field_prep(AMDV1_CMD_OPCODE, op);
}

struct amdv1_cmd amdv1_cmd_completion_wait(uint64_t store_pa, uint64_t data)
{
	struct amdv1_cmd c;

	c.qw[0] = opcode(AMDV1_CMD_COMPLETION_WAIT) | AMDV1_CW_S | (store_pa & AMDV1_CW_ADDR);
	c.qw[1] = data;
	return c;
}

struct amdv1_cmd amdv1_cmd_inv_devtab(uint16_t devid)
{
	struct amdv1_cmd c;

	c.qw[0] = opcode(AMDV1_CMD_INV_DEVTAB_ENTRY) | ims_field_prep(AMDV1_IDE_DEVID, devid);
	c.qw[1] = 0;
	return c;
}

struct amdv1_cmd amdv1_cmd_inv_pages(uint16_t domid, uint64_t addr, bool s, bool pde)
{
	struct amdv1_cmd c;

	c.qw[0] = opcode(AMDV1_CMD_INV_IOMMU_PAGES) | ims_field_prep(AMDV1_IIP_DOMID, domid);
	c.qw[1] = (addr & AMDV1_IIP_ADDR) | (s ? AMDV1_IIP_S : 0) | (pde ? AMDV1_IIP_PDE : 0);
	return c;
}

struct amdv1_cmd amdv1_cmd_inv_iotlb_pages(uint16_t devid, uint64_t start, uint64_t last)
{
	struct amdv1_cmd c;
	uint64_t addr;
	bool s;

	ims_inv_range_encode(start, last, &addr, &s);
	c.qw[0] = opcode(AMDV1_CMD_INV_IOTLB_PAGES) | ims_field_prep(AMDV1_IIOTLB_DEVID, devid) |
		  ims_field_prep(AMDV1_IIOTLB_MAXPEND, AMDV1_ATS_MAXPEND) |
		  ims_field_prep(AMDV1_IIOTLB_QUEUEID, devid);
	c.qw[1] = (addr & AMDV1_IIOTLB_ADDR) | (s ? AMDV1_IIOTLB_S : 0);
	return c;
}

/* ---- hardware -------------------------------------------------------------- */

static void hw_fetch(const struct ims_sim *sim, const struct amdv1_cmdbuf *q,
		     struct amdv1_cmd *c)
{
	c->qw[0] = ims_mem_load64(&sim->mem, q->base_pa + q->head);
	c->qw[1] = ims_mem_load64(&sim->mem, q->base_pa + q->head + 8);
}

/* Section 2.4.3: drop the domain's cached translations in the range, and
 * its cached page directory entries too when PDE=1. */
static void hw_inv_pages(struct ims_sim *sim, const struct amdv1_cmd *c)
{
	uint16_t domid = (uint16_t)ims_field_get(AMDV1_IIP_DOMID, c->qw[0]);
	bool pde = (c->qw[1] & AMDV1_IIP_PDE) != 0;
	uint64_t start, last, tlb, psc = 0;

	if (c->qw[1] & AMDV1_IIP_GN)
		IMS_BUG("INVALIDATE_IOMMU_PAGES for guest translations: not issued by the model");
	ims_inv_drain_walks(sim, domid, UINT32_MAX);
	if (ims_inv_range_decode(c->qw[1], (c->qw[1] & AMDV1_IIP_S) != 0, &start, &last)) {
		IMS_STAT_INC(&sim->stats, inv_iotlb_domain);
		tlb = ims_iotlb_inv_domain(&sim->iotlb, domid);
		if (pde)
			psc = ims_psc_inv_domain(&sim->psc, domid);
	} else {
		IMS_STAT_INC(&sim->stats, inv_iotlb_page);
		tlb = ims_iotlb_inv_range(&sim->iotlb, domid, start, last);
		if (pde)
			psc = ims_psc_inv_range(&sim->psc, domid, start, last);
	}
	IMS_STAT_ADD(&sim->stats, inv_iotlb_dropped, tlb);
	IMS_STAT_ADD(&sim->stats, inv_psc_dropped, psc);
}

/* Section 2.4.4: the IOMMU sends the endpoint an ATS Invalidate Request; a
 * later COMPLETION_WAIT waits for its completion. */
static void hw_inv_iotlb_pages(struct ims_sim *sim, const struct amdv1_cmd *c)
{
	uint16_t devid = (uint16_t)ims_field_get(AMDV1_IIOTLB_DEVID, c->qw[0]);
	struct ims_device *dev = ims_ats_device(sim, devid);
	uint64_t start, last;

	if (!dev || (c->qw[1] & AMDV1_IIOTLB_GN))
		IMS_BUG("INVALIDATE_IOTLB_PAGES for a device without ATS or for PASIDs: "
			"not issued by the model");
	ims_inv_range_decode(c->qw[1], (c->qw[1] & AMDV1_IIOTLB_S) != 0, &start, &last);
	ims_atc_invalidate(sim, dev, start, last);
}

/* Section 2.4.1: a 64-bit store of Store Data, coherent with the CPU. */
static void hw_completion_wait(struct ims_sim *sim, const struct amdv1_cmd *c)
{
	IMS_STAT_INC(&sim->stats, inv_wait);
	if (c->qw[0] & AMDV1_CW_S)
		ims_mem_store64(&sim->mem, c->qw[0] & AMDV1_CW_ADDR, c->qw[1]);
}

/* One command: its effect and IOMMU time; returns when it is done. */
static uint64_t hw_execute(struct ims_sim *sim, const struct amdv1_cmd *c)
{
	uint64_t done;

	switch (amdv1_cmd_opcode(c)) {
	case AMDV1_CMD_INV_IOMMU_PAGES:
		IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
		hw_inv_pages(sim, c);
		return ims_inv_hw_charge(sim, sim->costs.amdv1_inv_pages_ns);
	case AMDV1_CMD_INV_DEVTAB_ENTRY:
		IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
		IMS_STAT_INC(&sim->stats, inv_context);
		amdv1_dtc_reload(sim, (uint16_t)ims_field_get(AMDV1_IDE_DEVID, c->qw[0]));
		return ims_inv_hw_charge(sim, sim->costs.amdv1_inv_devtab_ns);
	case AMDV1_CMD_INV_IOTLB_PAGES:
		IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
		done = ims_inv_hw_charge(sim, sim->costs.ats_inv_cmd_ns);
		hw_inv_iotlb_pages(sim, c);
		return done;
	case AMDV1_CMD_COMPLETION_WAIT:
		hw_completion_wait(sim, c);
		return ims_inv_hw_wait(sim, sim->costs.amdv1_completion_wait_ns);
	default:
		IMS_BUG("command of a type the model does not issue");
	}
}

/* Fetch and execute everything between head and tail, in order, each
 * command taking its IOMMU time after the previous one. Commands run
 * strictly in order, so a COMPLETION_WAIT completes after every earlier
 * command, as section 2.4.1 requires (device IOTLB invalidations included:
 * Linux's amd_iommu_domain_flush_complete relies on that). */
static void hw_process(struct ims_sim *sim, struct amdv1_cmdbuf *q)
{
	while (q->head != q->tail) {
		struct amdv1_cmd c;

		hw_fetch(sim, q, &c);
		IMS_STAT_INC(&sim->stats, inv_desc);
		q->last_done = hw_execute(sim, &c);
		q->head = (q->head + AMDV1_CMD_BYTES) % AMDV1_CMDBUF_BYTES;
	}
}

/* ---- the ring (host) -------------------------------------------------------- */

void amdv1_cmdbuf_init(struct amdv1_cmdbuf *q, uint64_t base_pa, uint64_t sem_pa)
{
	q->base_pa = base_pa;
	q->sem_pa = sem_pa;
	q->head = q->tail = 0;
	q->sem_seq = 0;
	q->last_done = 0;
}

void amdv1_cmd_queue(struct ims_sim *sim, struct amdv1_cmdbuf *q, const struct amdv1_cmd *c)
{
	uint32_t next = (q->tail + AMDV1_CMD_BYTES) % AMDV1_CMDBUF_BYTES;

	/* full when the tail would catch up with the head: one slot stays free */
	if (next == q->head)
		IMS_BUG("command buffer overflow");
	ims_host_store(sim, q->base_pa + q->tail, c->qw[0]);
	ims_host_store(sim, q->base_pa + q->tail + 8, c->qw[1]);
	q->tail = next;
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_desc_write_cycles);
	/* the tail register write (MMIO 2008h) */
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_doorbell_cycles);
	hw_process(sim, q);
}

void amdv1_cmd_wait(struct ims_sim *sim, struct amdv1_cmdbuf *q)
{
	struct amdv1_cmd c;

	/* a fresh value per wait, as Linux's cmd_sem_val: the poll can only
	 * succeed on this wait's store */
	if (++q->sem_seq == 0)
		q->sem_seq = 1;
	c = amdv1_cmd_completion_wait(q->sem_pa, q->sem_seq);
	amdv1_cmd_queue(sim, q, &c);
	ims_host_wait_until(sim, q->last_done);
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_poll_cycles);
	if (ims_mem_load64(&sim->mem, q->sem_pa) != q->sem_seq)
		IMS_BUG("COMPLETION_WAIT completed without its semaphore store");
}
