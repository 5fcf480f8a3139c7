/* Intel VT-d queued invalidation.
 *
 * VT-d spec rev. 5.10, section 6.5.2 "Queued Invalidation Interface": the
 * invalidation queue (IQ) is a ring in memory. Software writes descriptors
 * at the tail and moves the tail register; hardware fetches from the head,
 * in order, and applies each to its caches. An invalidation wait descriptor
 * with SW=1 makes hardware write a status dword once everything ahead of it
 * is done; software polls that dword. One such round trip is a "sync".
 *
 * Scalable mode requires 256-bit descriptors (IQA_REG.DW=1; section 6.5.2,
 * Table 26): the 128-bit descriptors (IOTLB invalidate, invalidation wait)
 * are padded with 128 zero bits, and the PASID-cache invalidate is 256-bit
 * by definition. The queue therefore holds 32-byte slots; only qw0/qw1 are
 * ever non-zero for the descriptors used here.
 *
 * Descriptors used (type = bits 11:9 concatenated with bits 3:0):
 *   IOTLB invalidate, type 2h          section 6.5.2.3, Figure 6-3
 *   PASID-cache invalidate, type 7h    section 6.5.2.2, Figure 6-2
 *   invalidation wait, type 5h         section 6.5.2.9, Figure 6-9
 *   device-TLB invalidate, type 3h     section 6.5.2 "Device-TLB Invalidate
 *                                      Descriptor" (6.5.2.5 in rev. 3.x)
 * Not modelled: context-cache, PASID-based device-TLB, P_IOTLB, IEC and
 * HPT invalidations (no first stage, no PASIDs, no interrupt remapping).
 */
#ifndef VTD_QI_H
#define VTD_QI_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/bits.h"

struct ims_sim;

/* qw0 fields shared by all descriptors */
#define VTD_QI_TYPE_LO      IMS_GENMASK(3, 0)     /* type[3:0] */
#define VTD_QI_TYPE_HI      IMS_GENMASK(11, 9)    /* type[6:4] */

#define VTD_QI_TYPE_CC      0x1u   /* context-cache invalidate */
#define VTD_QI_TYPE_IOTLB   0x2u   /* IOTLB invalidate */
#define VTD_QI_TYPE_DEVTLB  0x3u   /* device-TLB invalidate */
#define VTD_QI_TYPE_WAIT    0x5u   /* invalidation wait */
#define VTD_QI_TYPE_PC      0x7u   /* PASID-cache invalidate */

/* IOTLB invalidate (Figure 6-3) */
#define VTD_QI_IOTLB_G      IMS_GENMASK(5, 4)     /* granularity */
#define VTD_QI_IOTLB_DW     IMS_BIT(6)            /* drain writes */
#define VTD_QI_IOTLB_DR     IMS_BIT(7)            /* drain reads */
#define VTD_QI_IOTLB_DID    IMS_GENMASK(31, 16)
#define VTD_QI_IOTLB_AM     IMS_GENMASK(5, 0)     /* qw1: address mask */
#define VTD_QI_IOTLB_IH     IMS_BIT(6)            /* qw1: invalidation hint */
#define VTD_QI_IOTLB_ADDR   IMS_GENMASK(63, 12)   /* qw1: ADDR[63:12] */

#define VTD_IOTLB_G_GLOBAL  1u
#define VTD_IOTLB_G_DOMAIN  2u   /* domain-selective (DSI) */
#define VTD_IOTLB_G_PAGE    3u   /* page-selective-within-domain (PSI) */

/* Device-TLB invalidate: asks the endpoint SID for an ATS Invalidate
 * Request of the range ADDR/S encode (models/common/inv_range.h). PFSID is
 * the physical function's SID (for a VF; a PF gives its own). MIP, the
 * device's Invalidate Queue Depth from its ATS capability, encodes 32 as 0:
 * the model does not limit invalidations in flight, so it writes 0. */
#define VTD_QI_DEVTLB_PFSID_LO IMS_GENMASK(15, 12)  /* PFSID[3:0] */
#define VTD_QI_DEVTLB_MIP   IMS_GENMASK(20, 16)
#define VTD_QI_DEVTLB_SID   IMS_GENMASK(47, 32)
#define VTD_QI_DEVTLB_PFSID_HI IMS_GENMASK(63, 52)  /* PFSID[15:4] */
#define VTD_QI_DEVTLB_S     IMS_BIT(0)            /* qw1: size (range) */
#define VTD_QI_DEVTLB_ADDR  IMS_GENMASK(63, 12)   /* qw1 */

/* PASID-cache invalidate (Figure 6-2); G encodings in vtd_pasid.h */
#define VTD_QI_PC_G         IMS_GENMASK(5, 4)
#define VTD_QI_PC_DID       IMS_GENMASK(31, 16)
#define VTD_QI_PC_PASID     IMS_GENMASK(51, 32)

/* Invalidation wait (Figure 6-9) */
#define VTD_QI_WAIT_IF      IMS_BIT(4)            /* interrupt on completion */
#define VTD_QI_WAIT_SW      IMS_BIT(5)            /* status write */
#define VTD_QI_WAIT_FN      IMS_BIT(6)            /* fence */
#define VTD_QI_WAIT_PD      IMS_BIT(7)            /* page-request drain */
#define VTD_QI_WAIT_SDATA   IMS_GENMASK(63, 32)   /* status data */
#define VTD_QI_WAIT_SADDR   IMS_GENMASK(63, 2)    /* qw1: status address (dword) */

#define VTD_QI_SLOT_BYTES   32u                   /* 256-bit descriptors */
#define VTD_QI_SLOTS        (4096u / VTD_QI_SLOT_BYTES)   /* one 4 KiB page */

struct vtd_qi_desc {
	uint64_t qw[4];
};

static inline unsigned vtd_qi_desc_type(const struct vtd_qi_desc *d)
{
	return (unsigned)(ims_field_get(VTD_QI_TYPE_LO, d->qw[0]) |
			  (ims_field_get(VTD_QI_TYPE_HI, d->qw[0]) << 4));
}

/* Encoders. Drain flags are set as Linux sets them when the hardware
 * reports DRD/DWD; major version 2+ hardware drains regardless. */
struct vtd_qi_desc vtd_qi_iotlb_global(void);
struct vtd_qi_desc vtd_qi_iotlb_dsi(uint16_t did);
struct vtd_qi_desc vtd_qi_iotlb_psi(uint16_t did, uint64_t addr, unsigned am, bool ih);
struct vtd_qi_desc vtd_qi_pasid_cache(unsigned gran, uint16_t did, uint32_t pasid);
struct vtd_qi_desc vtd_qi_wait(uint32_t status_data, uint64_t status_pa);
/* The device-TLB invalidation of [start, last] for endpoint sid (a PF). */
struct vtd_qi_desc vtd_qi_devtlb(uint16_t sid, uint64_t start, uint64_t last);

/* The page-selective invalidation covering [start, last]: the smallest
 * naturally aligned block of 2^AM pages that contains the range. Returns
 * false if a domain-selective one must be used instead: PSI unsupported
 * (CAP_REG.PSI=0) or AM beyond CAP_REG.MAMV (section 11.4.2). */
bool vtd_qi_psi_cover(uint64_t start, uint64_t last, bool psi_supported, unsigned max_am,
		      uint64_t *addr_out, unsigned *am_out);

/* The queue as both sides see it: the ring in memory, the head register the
 * hardware advances, the tail register software writes. */
struct vtd_qi {
	uint64_t base_pa;       /* IQA_REG: ring base */
	uint64_t status_pa;     /* software's wait-status dword */
	unsigned head, tail;    /* IQH_REG / IQT_REG, in slots */
	uint32_t wait_seq;      /* status data of the last wait descriptor */
};

void vtd_qi_init(struct vtd_qi *q, uint64_t base_pa, uint64_t status_pa);

/* One host sync: write descs[0..n) and a wait descriptor, ring the doorbell,
 * let the hardware process the queue, and poll until the status write has
 * landed. Charges the CPU (descriptor writes, doorbell, poll), the IOMMU
 * (each descriptor) and the stall in between; with CM=1 also the exit to
 * the VMM (vtd_cm_trap_ns). */
void vtd_qi_sync(struct ims_sim *sim, struct vtd_qi *q, const struct vtd_qi_desc *descs,
		 unsigned n);

#endif
