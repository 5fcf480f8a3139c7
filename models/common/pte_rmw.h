/* Atomic read-modify-writes of page-table entries, as both sides do them.
 *
 * The hardware walker sets accessed/dirty state with a locked update, and
 * host software clears dirty bits or write permission with one too, so
 * neither side can lose the other's change: each retries with the value it
 * finds when the entry changed since it was read. One loop for every model;
 * the model supplies only the transformation (its bit format).
 */
#ifndef IMS_PTE_RMW_H
#define IMS_PTE_RMW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* The entry value wanted, given the one found; ctx is the model's. */
typedef uint64_t (*ims_pte_xform)(uint64_t pte, const void *ctx);

/* Host software: atomically replace the entry at pa (read as `seen`) by
 * f(current), retrying until it sticks. The line lands in the LLC model.
 * Costs are the caller's to charge. Returns the value written. */
static inline uint64_t ims_host_pte_update(struct ims_sim *sim, uint64_t pa, uint64_t seen,
					   ims_pte_xform f, const void *ctx)
{
	uint64_t cur = seen, old, want;

	while ((old = ims_mem_cmpxchg64(&sim->mem, pa, cur, want = f(cur, ctx))) != cur)
		cur = old;
	ims_memlat_touch(&sim->memlat, pa);
	return want;
}

static inline uint64_t ims_pte_xform_clear(uint64_t pte, const void *ctx)
{
	return pte & ~*(const uint64_t *)ctx;
}

/* Host software: atomically clear `bits` in the entry at pa. */
static inline uint64_t ims_host_pte_clear(struct ims_sim *sim, uint64_t pa, uint64_t seen,
					  uint64_t bits)
{
	return ims_host_pte_update(sim, pa, seen, ims_pte_xform_clear, &bits);
}

/* How a format spells accessed and dirty, for the hardware update below. */
struct ims_ad_format {
	ims_pte_xform update;                 /* the entry with A (and D) as wanted */
	bool (*accessed)(uint64_t pte, const void *ctx);
	bool (*dirty)(uint64_t pte, const void *ctx);
	const void *ctx;
};

/* Hardware walker: atomically replace the entry at pa (read as `seen`) by
 * fmt->update(current) unless that changes nothing, retrying if software
 * changed it meanwhile (counted in ad_cmpxchg_retry). An update is counted
 * (ad_updates, a_set, d_set) and timed (ad_update_ns, added to *cycles and
 * cyc_ad_update). Returns the entry as it now is. */
uint64_t ims_walk_ad_update(struct ims_sim *sim, uint64_t pa, uint64_t seen,
			    const struct ims_ad_format *fmt, uint64_t *cycles);

/* The common case: accessed and dirty are plain bits that are set. */
uint64_t ims_walk_set_ad_bits(struct ims_sim *sim, uint64_t pa, uint64_t seen, uint64_t set,
			      uint64_t a_bit, uint64_t d_bit, uint64_t *cycles);

#endif
