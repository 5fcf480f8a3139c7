/* The "size bit plus trailing ones" encoding of an invalidated address
 * range, which PCIe ATS Invalidate Requests (PCIe Base Spec 10.3.1) and the
 * commands that ask an IOMMU to send them share with AMD's own IOTLB
 * invalidation:
 *   - S=0: the one 4 KiB page at Address[63:12];
 *   - S=1: the lowest 0 bit of Address at or above bit 12, at bit z, makes
 *     the range the naturally aligned block of 2^(z+1) bytes holding
 *     Address (bit 12 clear: 8 KiB; bits 12 set, 13 clear: 16 KiB; ...);
 *     0x7fff_ffff_ffff_f000 covers everything.
 * Used by VT-d device-TLB invalidate descriptors (VT-d spec 6.5.2.5), AMD
 * INVALIDATE_IOMMU_PAGES and INVALIDATE_IOTLB_PAGES (AMD IOMMU spec 2.4.3,
 * 2.4.4). SMMUv3 CMD_ATC_INV encodes its span as a Size field instead.
 */
#ifndef IMS_INV_RANGE_H
#define IMS_INV_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#define IMS_INV_RANGE_ADDR      UINT64_C(0xfffffffffffff000)   /* Address[63:12] */
#define IMS_INV_RANGE_ALL_ADDR  UINT64_C(0x7ffffffffffff000)

/* Address and S covering [start, last], as Linux's encoders pick them: one
 * page with S=0; otherwise the smallest naturally aligned block holding
 * both ends, S=1; everything when the ends differ above bit 51. */
void ims_inv_range_encode(uint64_t start, uint64_t last, uint64_t *addr_out, bool *s_out);

/* The range Address/S stand for: [*start, *last]. Returns true if that is
 * everything. */
bool ims_inv_range_decode(uint64_t addr, bool s, uint64_t *start, uint64_t *last);

#endif
