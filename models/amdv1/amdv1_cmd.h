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
 * Not issued: INVALIDATE_IOTLB_PAGES (ATS), INVALIDATE_INTERRUPT_TABLE,
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

#include "sim/bits.h"

struct ims_sim;

#define AMDV1_CMD_OPCODE       IMS_GENMASK(63, 60)

#define AMDV1_CMD_COMPLETION_WAIT   0x1u
#define AMDV1_CMD_INV_DEVTAB_ENTRY  0x2u
#define AMDV1_CMD_INV_IOMMU_PAGES   0x3u

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

/* Every page of a domain (S=1 with this address). */
#define AMDV1_IIP_ALL_ADDR     UINT64_C(0x7ffffffffffff000)

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

/* The INVALIDATE_IOMMU_PAGES Address and S covering [start, last], as
 * Linux's build_inv_address picks them: one page with S=0; otherwise the
 * smallest naturally aligned block holding both ends, S=1; the whole domain
 * when the ends differ above bit 51. */
void amdv1_inv_encode(uint64_t start, uint64_t last, uint64_t *addr_out, bool *s_out);

/* What the hardware invalidates for Address/S: [*start, *last]. Returns true
 * if that is every page of the domain. */
bool amdv1_inv_decode(uint64_t addr, bool s, uint64_t *start, uint64_t *last);

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
