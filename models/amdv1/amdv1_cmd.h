/* AMD IOMMU command buffer.
 *
 * AMD IOMMU Specification, pub. 48882 rev. 3.x, section 2.4 "Commands": the
 * command buffer is a ring of 128-bit commands in memory (base register
 * MMIO 0008h, head and tail pointers at 2000h/2008h, byte offsets). Software
 * writes a command at the tail and advances the tail register; the IOMMU
 * fetches from the head, in order. A COMPLETION_WAIT with S=1 stores a
 * 64-bit value to memory once every earlier command is done; software polls
 * that semaphore. Queued commands plus that COMPLETION_WAIT are one "sync".
 *
 * The opcode is bits 63:60 of the first quadword (bits 31:28 of the second
 * dword). Commands used, as two 64-bit words:
 *   COMPLETION_WAIT 01h          2.4.1   qw0: S 0, I 1, F 2, Store Address
 *                                        51:3; qw1: Store Data 63:0
 *   INVALIDATE_DEVTAB_ENTRY 02h  2.4.2   qw0: DeviceID 15:0
 *   INVALIDATE_IOMMU_PAGES 03h   2.4.3   qw0: PASID 19:0, DomainID 47:32;
 *                                        qw1: S 0, PDE 1, GN 2, Address 63:12
 *   INVALIDATE_IOTLB_PAGES 04h   2.4.4   qw0: DeviceID 15:0, PASID 15:8 at
 *                                        23:16, Maxpend 31:24, QueueID 47:32,
 *                                        PASID 7:0 at 55:48, PASID 19:16 at
 *                                        59:56; qw1: S 0, GN 2, Address 63:12
 *                                        (the endpoint's ATS device TLB)
 * Not issued: INVALIDATE_INTERRUPT_TABLE,
 * PREFETCH_IOMMU_PAGES, COMPLETE_PPR_REQUEST, INVALIDATE_IOMMU_ALL.
 *
 * INVALIDATE_IOMMU_PAGES address encoding (2.4.3): S=0 invalidates the one
 * 4 KiB page at Address. S=1 invalidates a naturally aligned power-of-two
 * range: the first 0 in Address from bit 12 up, at bit z, makes it the
 * 2^(z+1)-byte block containing Address. Address 7FFF_FFFF_FFFF_F000h with
 * S=1 means every page of the domain. PDE=1 invalidates cached page
 * directory entries too, PDE=0 only translations (PTEs).
 */
#ifndef AMDV1_CMD_H
#define AMDV1_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "models/common/inv_range.h"
#include "sim/bits.h"

struct ims_sim;

#define AMDV1_CMD_OPCODE       IMS_GENMASK(63, 60)

#define AMDV1_CMD_COMPLETION_WAIT   0x1u
#define AMDV1_CMD_INV_DEVTAB_ENTRY  0x2u
#define AMDV1_CMD_INV_IOMMU_PAGES   0x3u
#define AMDV1_CMD_INV_IOTLB_PAGES   0x4u

/* COMPLETION_WAIT */
#define AMDV1_CW_S             IMS_BIT(0)            /* store Store Data at Store Address */
#define AMDV1_CW_I             IMS_BIT(1)            /* completion interrupt */
#define AMDV1_CW_F             IMS_BIT(2)            /* flush queue */
#define AMDV1_CW_ADDR          IMS_GENMASK(51, 3)    /* Store Address, 8-byte aligned */

/* INVALIDATE_DEVTAB_ENTRY */
#define AMDV1_IDE_DEVID        IMS_GENMASK(15, 0)

/* INVALIDATE_IOMMU_PAGES */
#define AMDV1_IIP_PASID        IMS_GENMASK(19, 0)
#define AMDV1_IIP_DOMID        IMS_GENMASK(47, 32)
#define AMDV1_IIP_S            IMS_BIT(0)            /* qw1: size (range) */
#define AMDV1_IIP_PDE          IMS_BIT(1)            /* qw1: page directory entries too */
#define AMDV1_IIP_GN           IMS_BIT(2)            /* qw1: guest (PASID) translations */
#define AMDV1_IIP_ADDR         IMS_GENMASK(63, 12)   /* qw1: Address 63:12 */

/* INVALIDATE_IOTLB_PAGES: the IOMMU sends endpoint DeviceID an ATS
 * Invalidate Request for the range Address/S encode. Maxpend is the
 * device's Invalidate Queue Depth (the model does not limit invalidations
 * in flight: 32, the largest); Linux writes the DeviceID into QueueID. */
#define AMDV1_IIOTLB_DEVID     IMS_GENMASK(15, 0)
#define AMDV1_IIOTLB_PASID_MID IMS_GENMASK(23, 16)   /* PASID 15:8 */
#define AMDV1_IIOTLB_MAXPEND   IMS_GENMASK(31, 24)
#define AMDV1_IIOTLB_QUEUEID   IMS_GENMASK(47, 32)
#define AMDV1_IIOTLB_PASID_LO  IMS_GENMASK(55, 48)   /* PASID 7:0 */
#define AMDV1_IIOTLB_PASID_HI  IMS_GENMASK(59, 56)   /* PASID 19:16 */
#define AMDV1_IIOTLB_S         IMS_BIT(0)            /* qw1 */
#define AMDV1_IIOTLB_GN        IMS_BIT(2)            /* qw1 */
#define AMDV1_IIOTLB_ADDR      IMS_GENMASK(63, 12)   /* qw1 */
#define AMDV1_ATS_MAXPEND      32u

/* Every page of a domain (S=1 with this address). */
#define AMDV1_IIP_ALL_ADDR     IMS_INV_RANGE_ALL_ADDR

#define AMDV1_CMD_BYTES        16u
#define AMDV1_CMDBUF_BYTES     8192u   /* 512 commands, Linux's CMD_BUFFER_SIZE */

struct amdv1_cmd {
	uint64_t qw[2];
};

static inline unsigned amdv1_cmd_opcode(const struct amdv1_cmd *c)
{
	return (unsigned)ims_field_get(AMDV1_CMD_OPCODE, c->qw[0]);
}

/* Encoders (host). */
struct amdv1_cmd amdv1_cmd_completion_wait(uint64_t store_pa, uint64_t data);
struct amdv1_cmd amdv1_cmd_inv_devtab(uint16_t devid);
struct amdv1_cmd amdv1_cmd_inv_pages(uint16_t domid, uint64_t addr, bool s, bool pde);
/* INVALIDATE_IOTLB_PAGES of [start, last] for endpoint devid. */
struct amdv1_cmd amdv1_cmd_inv_iotlb_pages(uint16_t devid, uint64_t start, uint64_t last);

/* INVALIDATE_IOMMU_PAGES and INVALIDATE_IOTLB_PAGES give their range as
 * Address and S: models/common/inv_range.h. */

/* The ring as both sides see it. */
struct amdv1_cmdbuf {
	uint64_t base_pa;       /* Command Buffer Base Address */
	uint64_t sem_pa;        /* software's completion semaphore (8 bytes) */
	uint32_t head, tail;    /* byte offsets, as the head/tail registers */
	uint64_t sem_seq;       /* Store Data of the last COMPLETION_WAIT */
	uint64_t last_done;     /* completion time of the last command processed */
};

void amdv1_cmdbuf_init(struct amdv1_cmdbuf *q, uint64_t base_pa, uint64_t sem_pa);

/* Host: write one command at the tail and move the tail register. Linux's
 * copy_cmd_to_buffer writes the tail register for every command, and the
 * IOMMU starts on it at once: the hardware side runs here too. */
void amdv1_cmd_queue(struct ims_sim *sim, struct amdv1_cmdbuf *q, const struct amdv1_cmd *c);

/* Host: queue a COMPLETION_WAIT (S=1, a fresh Store Data value) and poll
 * the semaphore until the hardware has stored it. Ends one sync. */
void amdv1_cmd_wait(struct ims_sim *sim, struct amdv1_cmdbuf *q);

#endif
