/* Intel VT-d scalable-mode PASID-table entry and the PASID cache.
 *
 * VT-d spec rev. 5.10, section 9.6 "Scalable-Mode PASID Table Entry"
 * (Figure 9-6): a 512-bit entry. Only its first two 64-bit words carry the
 * fields second-stage translation uses; the rest stays zero here.
 *
 * Each domain owns one entry: the RID_PASID (PASID 0) entry its devices
 * translate through. Real hardware keeps one entry per device, all holding
 * the same DID and SSPTPTR for devices of one domain; the walker is given a
 * domain, not a device, so one entry per domain carries the same state.
 *
 * The entry lives in simulated memory, where host software writes it. The
 * hardware translates with its PASID-cache copy (section 6.2.3), which a
 * PASID-cache invalidation descriptor reloads (section 6.5.2.2) and nothing
 * else does: that is why a dirty-tracking switch (SSADE) takes effect only
 * after the flush Table 28 prescribes.
 */
#ifndef VTD_PASID_H
#define VTD_PASID_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/bits.h"

struct ims_sim;
struct ims_domain;

/* Word 0: bits 63:0 (Figure 9-6). */
#define VTD_PASID_P        IMS_BIT(0)            /* Present */
#define VTD_PASID_FPD      IMS_BIT(1)            /* Fault Processing Disable */
#define VTD_PASID_AW       IMS_GENMASK(4, 2)     /* Address Width (AGAW) */
#define VTD_PASID_PGTT     IMS_GENMASK(8, 6)     /* PASID Granular Translation Type */
#define VTD_PASID_SSADE    IMS_BIT(9)            /* Second Stage A/D Enable ("SLADE") */
#define VTD_PASID_SSPTPTR  IMS_GENMASK(63, 12)   /* HAW-1:12; 63:HAW reserved */

/* Word 1: bits 127:64. */
#define VTD_PASID_DID      IMS_GENMASK(15, 0)    /* Domain Identifier, bits 79:64 */
#define VTD_PASID_PWSNP    IMS_BIT(23)           /* Page-walk Snoop, bit 87 */
#define VTD_PASID_PGSNP    IMS_BIT(24)           /* Page Snoop, bit 88 */

/* PGTT encodings (section 9.6). */
#define VTD_PGTT_FS        1u
#define VTD_PGTT_SS        2u
#define VTD_PGTT_NESTED    3u
#define VTD_PGTT_PT        4u

/* AW encodings: 39/48/57-bit AGAW = 3/4/5-level tables (section 9.6). */
#define VTD_AW_39          1u
#define VTD_AW_48          2u
#define VTD_AW_57          3u

#define VTD_PASID_ENTRY_BYTES 64u   /* 512-bit entry */
#define VTD_RID_PASID      0u       /* PASID of requests without PASID */

/* The part of an entry the model uses: words 0 and 1. */
struct vtd_pasid_entry {
	uint64_t val[2];
};

static inline unsigned vtd_pasid_levels(const struct vtd_pasid_entry *e)
{
	return (unsigned)ims_field_get(VTD_PASID_AW, e->val[0]) + 2u;
}

static inline uint64_t vtd_pasid_ssptptr(const struct vtd_pasid_entry *e)
{
	return e->val[0] & VTD_PASID_SSPTPTR;
}

static inline bool vtd_pasid_ssade(const struct vtd_pasid_entry *e)
{
	return (e->val[0] & VTD_PASID_SSADE) != 0;
}

static inline uint16_t vtd_pasid_did(const struct vtd_pasid_entry *e)
{
	return (uint16_t)ims_field_get(VTD_PASID_DID, e->val[1]);
}

/* A present second-stage-only entry (PGTT=010b) as Linux's
 * intel_pasid_setup_second_level builds it: page-walk snoop on (coherent
 * walks, so hardware may update A/D), faults reported. */
void vtd_pasid_entry_build(struct vtd_pasid_entry *out, uint64_t ssptptr, unsigned levels,
			   uint16_t did, bool ssade);

/* Physical address of the domain's entry (in the driver-owned region). */
uint64_t vtd_pasid_entry_pa(const struct ims_domain *dom);

/* Host software writes the entry; the hardware reads it. */
void vtd_pasid_entry_store(struct ims_sim *sim, uint64_t pa, const struct vtd_pasid_entry *e);
void vtd_pasid_entry_load(const struct ims_sim *sim, uint64_t pa, struct vtd_pasid_entry *out);

/* PASID-cache invalidate descriptor granularities (section 6.5.2.2). */
#define VTD_PC_G_DOMAIN    0u   /* all entries with DID */
#define VTD_PC_G_PASID     1u   /* PASID-selective-within-domain */
#define VTD_PC_G_GLOBAL    3u   /* all entries */

/* Hardware: process a PASID-cache invalidation by reloading the cached copy
 * of every matching entry from memory. Returns the entries reloaded. */
unsigned vtd_pasid_cache_invalidate(struct ims_sim *sim, unsigned gran, uint16_t did,
				    uint32_t pasid);

#endif
