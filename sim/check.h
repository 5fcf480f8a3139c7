/* The --check mode: invariants verified while simulating.
 *
 * A result is only worth something if the simulator got the hardware and
 * the host software right. With --check (or IMS_CHECK=1 in the
 * environment; the test suite sets it for every test) the run stops with
 * an IMS_ECHECK error naming the trace line when one of these breaks:
 *
 *  - after a completed IOTLB sync, no IOTLB entry of the domain in the
 *    synced range holds more than the page table allows now (a
 *    translation, size, output address, R/W, the dirty state or the snoop
 *    attribute): each entry is held against the model's probe, a
 *    side-effect-free walk (model.h). The same after an attach and after
 *    dirty tracking is switched, over the whole domain. Entries a lazy
 *    unmap flagged (IMS_TLB_UNMAPPED) are its flush queue's until the
 *    flush, and not held against the page table;
 *  - at the same points, over the same range, every paging-structure-cache
 *    entry of the domain (sim->psc) names the table a walk would reach at
 *    its level now, of the same level, with the same R/W: each is held
 *    against the model's probe_table (model.h). No entry of any domain
 *    points at a freed page-table page, also checked after a lazy flush
 *    queue's flush has released its pages. Tables a lazy unmap unlinked
 *    wait for that flush, allocated: entries pointing at them are the
 *    queue's until then;
 *  - a dirty-unmap under an exact unmap strategy (with an exact sync
 *    strategy), or a dirty-sync round under an exact sync strategy, misses
 *    no page DMA wrote (struct ims_dirty_strategy, exact), as long as the
 *    unmap-flush strategy is safe;
 *  - under a safe coherency strategy no stale line is ever exposed
 *    (struct ims_dirty_strategy, safe);
 *  - under a safe unmap-flush strategy (strict) no DMA goes through an
 *    IOTLB or ATC entry of a page whose unmap had returned (stale_dmas),
 *    and after a lazy flush queue's flush no entry it flagged is left in
 *    the IOTLB or in an ATC;
 *  - pin counts add up: every pin segment has a count in [1, 2^31), each
 *    pages object's pinned total is the sum of its segments, and the
 *    objects' totals are the simulator's pinned_pages.
 *
 * Two more are checked always, being free: an unpin never takes a count
 * below zero, and a destroyed domain has freed every page-table page it
 * allocated (IMS_ASSERT, sim/host/ioas.c and sim/sim.c).
 *
 * Checking reads state only: results are byte-identical with and without
 * it. It costs a scan of the IOTLB and of the paging-structure caches per
 * sync, and of the pin segments per host operation. docs/reliability.md has the details.
 */
#ifndef IMS_CHECK_H
#define IMS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/host/dirty_strategy.h"
#include "sim/sim.h"

/* The mode simulators start in: ims_check_set_default's, else on when the
 * environment has IMS_CHECK set to anything but "" or "0". */
bool ims_check_default(void);
void ims_check_set_default(bool on);

/* Record a broken invariant (the first one is kept and reported). */
void ims_check_fail(struct ims_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Hold dom's IOTLB entries overlapping [start, last] against its page
 * table; call after a completed sync over that range. */
void ims_check_iotlb(struct ims_sim *sim, const struct ims_domain *dom, uint64_t start,
		     uint64_t last);

/* Hold dom's paging-structure-cache entries overlapping [start, last]
 * against its page table, and every cached entry against the freed
 * page-table pages; ims_check_iotlb does it too. Call after a completed
 * sync over that range. */
void ims_check_psc(struct ims_sim *sim, const struct ims_domain *dom, uint64_t start,
		   uint64_t last);

/* No IOTLB entry of dom, nor ATC entry of its devices with ATS, carries
 * flag any more; call after the flush that must have dropped every such
 * entry (a lazy unmap's, IMS_TLB_UNMAPPED). */
void ims_check_iotlb_flag_gone(struct ims_sim *sim, const struct ims_domain *dom,
			       unsigned flag);

/* What a trace event asks the host to do, as far as the checks care. */
enum ims_check_op {
	IMS_CHECK_OP_DMA,          /* a device access: no host work */
	IMS_CHECK_OP_HOST,         /* any other host operation */
	IMS_CHECK_OP_DIRTY_UNMAP,
	IMS_CHECK_OP_DIRTY_ROUND,  /* a pre-copy round or stop-copy */
};

/* Bracket one event: begin before it runs, end after; end returns
 * -IMS_ECHECK with err set when an invariant broke during the event. */
void ims_check_begin(struct ims_sim *sim);
int ims_check_end(struct ims_sim *sim, enum ims_check_op op, const struct ims_strategies *st,
		  struct ims_error *err);

#endif
