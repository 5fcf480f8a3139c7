/* Queued invalidation: descriptor encoding (host), the ring in memory, and
 * the hardware that fetches, decodes and applies descriptors (VT-d spec
 * rev. 5.10, section 6.5.2). */
#include "models/vtd/vtd_qi.h"

#include "models/common/inv_range.h"
#include "models/vtd/vtd_model.h"
#include "models/vtd/vtd_pasid.h"
#include "sim/sim.h"

/* ---- encoders (host) ------------------------------------------------------ */

static uint64_t type_bits(unsigned type)
{
	return ims_field_prep(VTD_QI_TYPE_LO, type & 0xfu) |
	       ims_field_prep(VTD_QI_TYPE_HI, type >> 4);
}

static struct vtd_qi_desc iotlb_desc(unsigned gran, uint16_t did, uint64_t qw1)
{
	struct vtd_qi_desc d = { { 0 } };

	d.qw[0] = type_bits(VTD_QI_TYPE_IOTLB) | ims_field_prep(VTD_QI_IOTLB_G, gran) |
		  VTD_QI_IOTLB_DR | VTD_QI_IOTLB_DW | ims_field_prep(VTD_QI_IOTLB_DID, did);
	d.qw[1] = qw1;
	return d;
}

struct vtd_qi_desc vtd_qi_iotlb_global(void)
{
	return iotlb_desc(VTD_IOTLB_G_GLOBAL, 0, 0);
}

struct vtd_qi_desc vtd_qi_iotlb_dsi(uint16_t did)
{
	return iotlb_desc(VTD_IOTLB_G_DOMAIN, did, 0);
}

struct vtd_qi_desc vtd_qi_iotlb_psi(uint16_t did, uint64_t addr, unsigned am, bool ih)
{
	return iotlb_desc(VTD_IOTLB_G_PAGE, did,
			  (addr & VTD_QI_IOTLB_ADDR) | (ih ? VTD_QI_IOTLB_IH : 0) |
			  ims_field_prep(VTD_QI_IOTLB_AM, am));
}

struct vtd_qi_desc vtd_qi_pasid_cache(unsigned gran, uint16_t did, uint32_t pasid)
{
	struct vtd_qi_desc d = { { 0 } };

	d.qw[0] = type_bits(VTD_QI_TYPE_PC) | ims_field_prep(VTD_QI_PC_G, gran) |
		  ims_field_prep(VTD_QI_PC_DID, did) | ims_field_prep(VTD_QI_PC_PASID, pasid);
	return d;
}

struct vtd_qi_desc vtd_qi_devtlb(uint16_t sid, uint64_t start, uint64_t last)
{
	struct vtd_qi_desc d = { { 0 } };
	uint64_t addr;
	bool size;

	ims_inv_range_encode(start, last, &addr, &size);
	d.qw[0] = type_bits(VTD_QI_TYPE_DEVTLB) | ims_field_prep(VTD_QI_DEVTLB_SID, sid) |
		  ims_field_prep(VTD_QI_DEVTLB_PFSID_LO, sid & 0xfu) |
		  ims_field_prep(VTD_QI_DEVTLB_PFSID_HI, sid >> 4);
	d.qw[1] = (addr & VTD_QI_DEVTLB_ADDR) | (size ? VTD_QI_DEVTLB_S : 0);
	return d;
}

struct vtd_qi_desc vtd_qi_wait(uint32_t status_data, uint64_t status_pa)
{
	struct vtd_qi_desc d = { { 0 } };

	d.qw[0] = type_bits(VTD_QI_TYPE_WAIT) | VTD_QI_WAIT_SW |
		  ims_field_prep(VTD_QI_WAIT_SDATA, status_data);
	d.qw[1] = status_pa & VTD_QI_WAIT_SADDR;
	return d;
}

/* Linux's calculate_psi_aligned_address computes the same block: round the
 * page count up to a power of two and, if the start is not aligned to it,
 * grow the block until one aligned block holds both ends. */
bool vtd_qi_psi_cover(uint64_t start, uint64_t last, bool psi_supported, unsigned max_am,
		      uint64_t *addr_out, unsigned *am_out)
{
	uint64_t first_pfn = start >> IMS_PAGE_LG2, last_pfn = last >> IMS_PAGE_LG2;
	uint64_t pages = last_pfn - first_pfn + 1;
	unsigned am = pages > 1 ? 64u - (unsigned)__builtin_clzll(pages - 1) : 0;

	while (am < 64 - IMS_PAGE_LG2 && (first_pfn >> am) != (last_pfn >> am))
		am++;
	if (!psi_supported || am > max_am)
		return false;
	*am_out = am;
	*addr_out = ((first_pfn >> am) << am) << IMS_PAGE_LG2;
	return true;
}

/* ---- the ring --------------------------------------------------------------- */

void vtd_qi_init(struct vtd_qi *q, uint64_t base_pa, uint64_t status_pa)
{
	q->base_pa = base_pa;
	q->status_pa = status_pa;
	q->head = q->tail = 0;
	q->wait_seq = 0;
}

static uint64_t slot_pa(const struct vtd_qi *q, unsigned slot)
{
	return q->base_pa + (uint64_t)slot * VTD_QI_SLOT_BYTES;
}

/* Host: one descriptor into the slot at the tail. */
static void qi_write(struct ims_sim *sim, struct vtd_qi *q, const struct vtd_qi_desc *d)
{
	uint64_t pa = slot_pa(q, q->tail);

	/* software sees the queue full one slot early (section 6.5.2) */
	if ((q->tail + 1) % VTD_QI_SLOTS == q->head)
		IMS_BUG("invalidation queue overflow");
	for (unsigned i = 0; i < 4; i++)
		ims_host_store(sim, pa + 8 * i, d->qw[i]);
	q->tail = (q->tail + 1) % VTD_QI_SLOTS;
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_desc_write_cycles);
}

/* ---- hardware -------------------------------------------------------------- */

static void hw_fetch(const struct ims_sim *sim, const struct vtd_qi *q, struct vtd_qi_desc *d)
{
	uint64_t pa = slot_pa(q, q->head);

	for (unsigned i = 0; i < 4; i++)
		d->qw[i] = ims_mem_load64(&sim->mem, pa + 8 * i);
}

/* Table 23: a global or domain-selective invalidation also drops the
 * paging-structure caches of all/the domain; a page-selective one drops the
 * second-stage paging-structure entries of the range unless IH=1. */
static void hw_iotlb(struct ims_sim *sim, const struct vtd_qi_desc *d)
{
	unsigned gran = (unsigned)ims_field_get(VTD_QI_IOTLB_G, d->qw[0]);
	uint16_t did = (uint16_t)ims_field_get(VTD_QI_IOTLB_DID, d->qw[0]);
	uint64_t tlb = 0, psc = 0;

	ims_inv_drain_walks(sim, did, gran == VTD_IOTLB_G_GLOBAL ? 0 : UINT32_MAX);
	switch (gran) {
	case VTD_IOTLB_G_GLOBAL:
		IMS_STAT_INC(&sim->stats, inv_iotlb_global);
		tlb = ims_iotlb_inv_all(&sim->iotlb);
		psc = ims_psc_inv_all(&sim->psc);
		break;
	case VTD_IOTLB_G_DOMAIN:
		IMS_STAT_INC(&sim->stats, inv_iotlb_domain);
		tlb = ims_iotlb_inv_domain(&sim->iotlb, did);
		psc = ims_psc_inv_domain(&sim->psc, did);
		break;
	case VTD_IOTLB_G_PAGE: {
		unsigned am = (unsigned)ims_field_get(VTD_QI_IOTLB_AM, d->qw[1]);
		uint64_t start = 0, last = UINT64_MAX;

		/* CAP_REG.PSI=0 or AM > MAMV: an invalid descriptor (IQE) */
		if (!sim->params.vtd_psi || am > sim->params.vtd_max_amask)
			IMS_BUG("page-selective IOTLB invalidation the hardware rejects");
		if (IMS_PAGE_LG2 + am < 64) {
			uint64_t size = UINT64_C(1) << (IMS_PAGE_LG2 + am);

			/* ADDR bits below the mask are ignored (section 6.5.2.3) */
			start = (d->qw[1] & VTD_QI_IOTLB_ADDR) & ~(size - 1);
			last = start + size - 1;
		}
		IMS_STAT_INC(&sim->stats, inv_iotlb_page);
		tlb = ims_iotlb_inv_range(&sim->iotlb, did, start, last);
		if (!(d->qw[1] & VTD_QI_IOTLB_IH))
			psc = ims_psc_inv_range(&sim->psc, did, start, last);
		break;
	}
	default:
		IMS_BUG("IOTLB invalidation with reserved granularity");
	}
	IMS_STAT_ADD(&sim->stats, inv_iotlb_dropped, tlb);
	IMS_STAT_ADD(&sim->stats, inv_psc_dropped, psc);
}

/* The IOMMU sends the endpoint an ATS Invalidate Request; the descriptor is
 * done once sent, the device's completion is waited for by the next wait
 * descriptor. */
static void hw_devtlb(struct ims_sim *sim, const struct vtd_qi_desc *d)
{
	uint16_t sid = (uint16_t)ims_field_get(VTD_QI_DEVTLB_SID, d->qw[0]);
	struct ims_device *dev = ims_ats_device(sim, sid);
	uint64_t start, last;

	if (!dev)
		IMS_BUG("device-TLB invalidation for a device without ATS: not issued by the model");
	ims_inv_range_decode(d->qw[1], (d->qw[1] & VTD_QI_DEVTLB_S) != 0, &start, &last);
	ims_atc_invalidate(sim, dev, start, last);
}

static void hw_pasid_cache(struct ims_sim *sim, const struct vtd_qi_desc *d)
{
	unsigned gran = (unsigned)ims_field_get(VTD_QI_PC_G, d->qw[0]);

	if (gran == 2)
		IMS_BUG("PASID-cache invalidation with reserved granularity");
	IMS_STAT_INC(&sim->stats, inv_context);
	vtd_pasid_cache_invalidate(sim, gran,
				   (uint16_t)ims_field_get(VTD_QI_PC_DID, d->qw[0]),
				   (uint32_t)ims_field_get(VTD_QI_PC_PASID, d->qw[0]));
}

/* A coherent dword write of the status data (section 6.5.2.9). */
static void hw_wait(struct ims_sim *sim, const struct vtd_qi_desc *d)
{
	uint64_t addr = d->qw[1] & VTD_QI_WAIT_SADDR;
	uint64_t word_pa = addr & ~UINT64_C(7);
	unsigned shift = (addr & 4) ? 32 : 0;
	uint64_t data = ims_field_get(VTD_QI_WAIT_SDATA, d->qw[0]);
	uint64_t word;

	IMS_STAT_INC(&sim->stats, inv_wait);
	if (!(d->qw[0] & VTD_QI_WAIT_SW))
		return;
	word = ims_mem_load64(&sim->mem, word_pa);
	word = (word & ~(UINT64_C(0xffffffff) << shift)) | (data << shift);
	ims_mem_store64(&sim->mem, word_pa, word);
}

/* Fetch and execute everything between head and tail, in order, each
 * descriptor taking its IOMMU time after the previous one. Descriptors run
 * strictly in order, which satisfies every ordering rule of section
 * 6.5.2.12. Returns when the last wait descriptor completed. */
static uint64_t hw_process(struct ims_sim *sim, struct vtd_qi *q)
{
	uint64_t wait_done = 0;

	while (q->head != q->tail) {
		struct vtd_qi_desc d;

		hw_fetch(sim, q, &d);
		IMS_STAT_INC(&sim->stats, inv_desc);
		switch (vtd_qi_desc_type(&d)) {
		case VTD_QI_TYPE_IOTLB:
			hw_iotlb(sim, &d);
			IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
			ims_inv_hw_charge(sim, sim->costs.vtd_iotlb_inv_ns);
			break;
		case VTD_QI_TYPE_DEVTLB:
			IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
			ims_inv_hw_charge(sim, sim->costs.ats_inv_cmd_ns);
			hw_devtlb(sim, &d);
			break;
		case VTD_QI_TYPE_PC:
			hw_pasid_cache(sim, &d);
			IMS_STAT_INC(&sim->stats, inv_cmd_invalidate);
			ims_inv_hw_charge(sim, sim->costs.vtd_pasid_cache_inv_ns);
			break;
		case VTD_QI_TYPE_WAIT:
			hw_wait(sim, &d);
			wait_done = ims_inv_hw_wait(sim, sim->costs.vtd_wait_desc_ns);
			break;
		default:
			IMS_BUG("invalidation descriptor of a type the model does not issue");
		}
		q->head = (q->head + 1) % VTD_QI_SLOTS;
	}
	return wait_done;
}

/* ---- one sync (host) ------------------------------------------------------- */

/* CM=1 is what an emulated VT-d reports: there the tail-register write exits
 * to the VMM, which runs the queue in software and updates its shadow of
 * the tables before the vCPU resumes. The guest sees that time as part of
 * its wait, before the (emulated) IOMMU has done anything. */
static void cm_trap(struct ims_sim *sim)
{
	if (!sim->params.vtd_cm)
		return;
	IMS_STAT_INC(&sim->stats, viommu_traps);
	IMS_STAT_ADD(&sim->stats, cyc_viommu_trap, sim->costs.vtd_cm_trap_ns);
	ims_host_charge(sim, IMS_STAT_cyc_inv_wait, sim->costs.vtd_cm_trap_ns);
}

void vtd_qi_sync(struct ims_sim *sim, struct vtd_qi *q, const struct vtd_qi_desc *descs,
		 unsigned n)
{
	struct vtd_qi_desc wait;
	uint64_t done;
	uint32_t status;

	/* a fresh, non-zero status value per wait, as Linux's QI_IN_USE/QI_DONE
	 * slot states: the poll can only succeed on this wait's write */
	if (++q->wait_seq == 0)
		q->wait_seq = 1;
	ims_host_store(sim, q->status_pa & ~UINT64_C(7), 0);
	for (unsigned i = 0; i < n; i++)
		qi_write(sim, q, &descs[i]);
	wait = vtd_qi_wait(q->wait_seq, q->status_pa);
	qi_write(sim, q, &wait);
	/* doorbell: the tail register write (IQT_REG) */
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_doorbell_cycles);
	cm_trap(sim);
	done = hw_process(sim, q);
	ims_host_wait_until(sim, done);
	ims_host_charge(sim, IMS_STAT_cyc_inv_cpu, sim->costs.inv_poll_cycles);
	status = (uint32_t)(ims_mem_load64(&sim->mem, q->status_pa & ~UINT64_C(7)) >>
			    ((q->status_pa & 4) ? 32 : 0));
	if (status != q->wait_seq)
		IMS_BUG("invalidation wait completed without its status write");
}
