/* AMD IOMMU device table entries and the device table cache.
 *
 * AMD IOMMU Specification, pub. 48882 rev. 3.x, section 2.2.2 "Device Table
 * Entry Format" (Table 7, "Device Table Entry (DTE) Field Definitions"): a
 * 256-bit entry per DeviceID (the requester ID), in a device table that
 * software allocates and the IOMMU reads. Only the fields host translation
 * uses are modelled; the rest (guest tables, interrupt remapping, ATS
 * controls) stay zero.
 *
 * The table lives in simulated memory at AMDV1_PA_DEVTAB, indexed by the
 * device's sid. The hardware translates with its cached copy of an entry
 * (the device table cache); only an INVALIDATE_DEVTAB_ENTRY command reloads
 * it (section 2.4.2). This is why a change of HAD takes effect only after
 * that command: the walker never reads the DTE from memory.
 */
#ifndef AMDV1_DTE_H
#define AMDV1_DTE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/bits.h"

struct ims_sim;

/* Quadword 0: bits 63:0 (Table 7). */
#define AMDV1_DTE_V        IMS_BIT(0)            /* Valid */
#define AMDV1_DTE_TV       IMS_BIT(1)            /* Translation information Valid */
#define AMDV1_DTE_HAD      IMS_GENMASK(8, 7)     /* Host Access Dirty */
#define AMDV1_DTE_MODE     IMS_GENMASK(11, 9)    /* paging mode: levels, 0 = no translation */
#define AMDV1_DTE_HPTR     IMS_GENMASK(51, 12)   /* Host Page Table Root Pointer */
#define AMDV1_DTE_PPR      IMS_BIT(52)           /* peripheral page requests */
#define AMDV1_DTE_GPRP     IMS_BIT(53)           /* guest PPR response with PASID */
#define AMDV1_DTE_GIOV     IMS_BIT(54)           /* guest I/O protection valid */
#define AMDV1_DTE_GV       IMS_BIT(55)           /* guest translation valid */
#define AMDV1_DTE_GLX      IMS_GENMASK(57, 56)   /* guest levels translated */
#define AMDV1_DTE_GCR3_LO  IMS_GENMASK(60, 58)   /* guest CR3 table root, bits 14:12 */
#define AMDV1_DTE_IR       IMS_BIT(61)           /* I/O read permission */
#define AMDV1_DTE_IW       IMS_BIT(62)           /* I/O write permission */

/* Quadword 1: bits 127:64. */
#define AMDV1_DTE_DOMID    IMS_GENMASK(15, 0)    /* DomainID, bits 79:64 */
#define AMDV1_DTE_GCR3_MID IMS_GENMASK(31, 16)   /* bits 95:80 */
#define AMDV1_DTE_I        IMS_BIT(32)           /* IOTLB enable (ATS), bit 96 */
#define AMDV1_DTE_SE       IMS_BIT(33)           /* suppress I/O page fault events, bit 97 */
#define AMDV1_DTE_SA       IMS_BIT(34)           /* suppress all I/O page fault events, bit 98 */
#define AMDV1_DTE_IOCTL    IMS_GENMASK(36, 35)   /* port I/O control, bits 100:99 */
#define AMDV1_DTE_CACHE    IMS_BIT(37)           /* IOTLB cache hint, bit 101 */
#define AMDV1_DTE_SD       IMS_BIT(38)           /* snoop disable, bit 102 */
#define AMDV1_DTE_EX       IMS_BIT(39)           /* allow exclusion, bit 103 */
#define AMDV1_DTE_SYSMGT   IMS_GENMASK(41, 40)   /* system management messages, bits 105:104 */
#define AMDV1_DTE_GCR3_HI  IMS_GENMASK(63, 43)   /* bits 127:107 */

/* HAD encodings (Table 7, "HAD"; sections 2.2.3.1, 2.2.3.2). 01b enables
 * Accessed updates only, 11b Accessed and Dirty; Linux writes 11b
 * (DTE_FLAG_HAD = 3 << 7). 10b is treated as reserved: no updates. */
#define AMDV1_HAD_NONE     0u
#define AMDV1_HAD_A        1u
#define AMDV1_HAD_RSVD     2u
#define AMDV1_HAD_AD       3u

#define AMDV1_DTE_BYTES    32u
#define AMDV1_DEVICE_IDS   65536u

struct amdv1_dte {
	uint64_t qw[4];
};

static inline unsigned amdv1_dte_mode(const struct amdv1_dte *e)
{
	return (unsigned)ims_field_get(AMDV1_DTE_MODE, e->qw[0]);
}

static inline unsigned amdv1_dte_had(const struct amdv1_dte *e)
{
	return (unsigned)ims_field_get(AMDV1_DTE_HAD, e->qw[0]);
}

static inline uint64_t amdv1_dte_root(const struct amdv1_dte *e)
{
	return e->qw[0] & AMDV1_DTE_HPTR;
}

static inline uint16_t amdv1_dte_domid(const struct amdv1_dte *e)
{
	return (uint16_t)ims_field_get(AMDV1_DTE_DOMID, e->qw[1]);
}

/* Hardware Accessed updates: HAD=01b or 11b. */
static inline bool amdv1_had_access(unsigned had)
{
	return had == AMDV1_HAD_A || had == AMDV1_HAD_AD;
}

/* Hardware Dirty updates: HAD=11b only. */
static inline bool amdv1_had_dirty(unsigned had)
{
	return had == AMDV1_HAD_AD;
}

/* A DTE for host translation as Linux's set_dte_entry/amd_iommu_set_dte_v1
 * writes it: V, TV, Mode, root, IR|IW (the PTEs decide), DomainID, and HAD
 * = 11b while the domain tracks dirty pages. */
void amdv1_dte_build(struct amdv1_dte *out, uint64_t root_pa, unsigned mode, uint16_t domid,
		     bool dirty_tracking);

/* Address of a device's entry in the device table. */
uint64_t amdv1_dte_pa(uint16_t devid);

/* Host software writes an entry; the hardware reads one. */
void amdv1_dte_store(struct ims_sim *sim, uint16_t devid, const struct amdv1_dte *e);
void amdv1_dte_load(const struct ims_sim *sim, uint16_t devid, struct amdv1_dte *out);

#endif
