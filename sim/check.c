#include "sim/check.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/host/ioas.h"
#include "sim/host/unmap_flush.h"

static int default_mode = -1;   /* -1: ask the environment */

bool ims_check_default(void)
{
	if (default_mode < 0) {
		const char *v = getenv("IMS_CHECK");

		return v && v[0] && strcmp(v, "0") != 0;
	}
	return default_mode == 1;
}

void ims_check_set_default(bool on)
{
	default_mode = on;
}

void ims_check_fail(struct ims_sim *sim, const char *fmt, ...)
{
	va_list ap;

	if (sim->check.failed)
		return;
	sim->check.failed = true;
	va_start(ap, fmt);
	vsnprintf(sim->check.msg, sizeof(sim->check.msg), fmt, ap);
	va_end(ap);
}

/* ---- IOTLB against the page table --------------------------------------- */

static const char *flags_name(unsigned f, char buf[5])
{
	buf[0] = (f & IMS_TLB_R) ? 'R' : '-';
	buf[1] = (f & IMS_TLB_W) ? 'W' : '-';
	buf[2] = (f & IMS_TLB_DIRTY) ? 'D' : '-';
	buf[3] = (f & IMS_TLB_SNOOP) ? 'S' : '-';
	buf[4] = 0;
	return buf;
}

/* Could a walk by this device have filled e from the page table as it is
 * now? (model.h, probe: p holds every flag a walk may cache.) */
static bool entry_allowed(const struct ims_iotlb_entry *e, uint64_t iova, const struct ims_walk *p)
{
	uint64_t leaf_mask = (UINT64_C(1) << p->page_lg2) - 1;

	return p->fault == IMS_FAULT_NONE && e->page_lg2 <= p->page_lg2 &&
	       e->pa == p->pa + (iova & leaf_mask) &&
	       !(e->flags & (IMS_TLB_R | IMS_TLB_W | IMS_TLB_DIRTY) & ~p->tlb_flags) &&
	       (e->flags & IMS_TLB_SNOOP) == (p->tlb_flags & IMS_TLB_SNOOP);
}

/* Which cache is being checked: the IOTLB (any device of the domain may
 * have filled an entry), or one device's ATS translation cache. */
struct tlb_view {
	const char *name;
	const struct ims_iotlb *t;
	uint32_t tag;
	struct ims_device *dev;   /* NULL: the IOTLB */
};

static void tlb_entry_fail(struct ims_sim *sim, const struct tlb_view *v,
			   const struct ims_domain *dom, const struct ims_iotlb_entry *e,
			   uint64_t iova, const struct ims_walk *p, uint64_t start, uint64_t last)
{
	char have[5], allowed[5];

	if (p->fault != IMS_FAULT_NONE)
		ims_check_fail(sim, "%s holds IOVA 0x%" PRIx64 " of domain '%s' after a "
			       "completed sync over [0x%" PRIx64 ", 0x%" PRIx64 "], but the page "
			       "table does not translate it (fault %d at level %u)",
			       v->name, iova, dom->name, start, last, (int)p->fault, p->fault_level);
	else
		ims_check_fail(sim, "%s entry for IOVA 0x%" PRIx64 " of domain '%s' (2^%u "
			       "bytes at PA 0x%" PRIx64 ", %s) after a completed sync over [0x%"
			       PRIx64 ", 0x%" PRIx64 "]: the page table allows 2^%u bytes at PA "
			       "0x%" PRIx64 ", %s", v->name, iova, dom->name, e->page_lg2, e->pa,
			       flags_name(e->flags, have), start, last, p->page_lg2, p->pa,
			       flags_name(p->tlb_flags, allowed));
}

/* Could a walk (for an ATC: the translation request of its device) have
 * made e from the page table as it is now? An ATC entry with W lets the
 * device write without the IOMMU: it needs what an IOTLB entry with W and
 * DIRTY needs. */
static bool view_entry_ok(struct ims_sim *sim, const struct tlb_view *v,
			  const struct ims_domain *dom, const struct ims_iotlb_entry *e,
			  uint64_t iova, struct ims_walk *p, bool *any_dev)
{
	struct ims_iotlb_entry as_iotlb = *e;

	if (v->dev) {
		*any_dev = true;
		if (as_iotlb.flags & IMS_TLB_W)
			as_iotlb.flags |= IMS_TLB_DIRTY;
		sim->model->probe(sim, v->dev, (struct ims_domain *)dom, iova, p);
		return entry_allowed(&as_iotlb, iova, p);
	}
	for (unsigned d = 0; d < sim->ndevices; d++) {
		struct ims_device *dev = sim->devices[d];

		if (dev->domain != dom)
			continue;
		*any_dev = true;
		sim->model->probe(sim, dev, (struct ims_domain *)dom, iova, p);
		if (entry_allowed(e, iova, p))
			return true;
	}
	return false;
}

static void check_view(struct ims_sim *sim, const struct tlb_view *v,
		       const struct ims_domain *dom, uint64_t start, uint64_t last)
{
	uint64_t n = (uint64_t)(v->t->nsets_mask + 1) * v->t->ways;
	struct ims_walk p = { .fault = IMS_FAULT_NO_DOMAIN };

	for (uint64_t i = 0; i < n && !sim->check.failed; i++) {
		const struct ims_iotlb_entry *e = &v->t->e[i];
		uint64_t iova, e_last;
		bool any_dev = false;

		/* a lazy unmap's flush queue owns its flagged entries until
		 * its flush (ims_check_iotlb_flag_gone holds that) */
		if (!e->page_lg2 || e->did != v->tag || (e->flags & IMS_TLB_UNMAPPED))
			continue;
		iova = e->vpn << e->page_lg2;
		e_last = iova + ((UINT64_C(1) << e->page_lg2) - 1);
		if (e_last < start || iova > last)
			continue;
		/* the entry is good if a walk by any device of the domain
		 * could have made it */
		if (!view_entry_ok(sim, v, dom, e, iova, &p, &any_dev) && any_dev)
			tlb_entry_fail(sim, v, dom, e, iova, &p, start, last);
	}
}

/* ---- paging-structure caches against the page table ---------------------- */

static const char *rw_name(unsigned perm, char buf[3])
{
	buf[0] = (perm & IMS_TLB_R) ? 'R' : '-';
	buf[1] = (perm & IMS_TLB_W) ? 'W' : '-';
	buf[2] = 0;
	return buf;
}

static const char *tag_domain_name(const struct ims_sim *sim, uint32_t tag)
{
	for (unsigned i = 0; i < sim->ndomains; i++)
		if (sim->domains[i]->tlb_tag == tag)
			return sim->domains[i]->name;
	return "?";
}

/* One cached entry being checked: its level and the IOVA range it covers. */
struct psc_view {
	const struct ims_psc_entry *e;
	unsigned level;
	uint64_t iova, last;
};

/* Could a walk by some device of dom have made v's entry from the page
 * table as it is now (model.h, probe_table)? *want gets what the last
 * device whose walk reads a table entry at that level found; *any_dev
 * says whether dom has a device to ask. */
static bool psc_entry_walked(struct ims_sim *sim, const struct ims_domain *dom,
			     const struct psc_view *v, struct ims_psc_entry *want, bool *any_dev)
{
	for (unsigned d = 0; d < sim->ndevices; d++) {
		struct ims_device *dev = sim->devices[d];
		struct ims_psc_entry found;

		if (dev->domain != dom)
			continue;
		*any_dev = true;
		if (!sim->model->probe_table(sim, dev, (struct ims_domain *)dom, v->iova, v->level,
					     &found))
			continue;
		*want = found;
		want->valid = 1;
		if (found.table_pa == v->e->table_pa && found.next_level == v->e->next_level &&
		    found.perm == v->e->perm)
			return true;
	}
	return false;
}

static void psc_entry_fail(struct ims_sim *sim, const struct ims_domain *dom,
			   const struct psc_view *v, const struct ims_psc_entry *want,
			   uint64_t start, uint64_t last)
{
	char have[3], allowed[3], now[96];

	if (want->valid)
		snprintf(now, sizeof(now), "points at the level-%u table at PA 0x%" PRIx64 ", %s",
			 want->next_level, want->table_pa, rw_name(want->perm, allowed));
	else
		snprintf(now, sizeof(now), "has no table entry there");
	ims_check_fail(sim, "paging-structure cache entry of domain '%s' for IOVA 0x%" PRIx64
		       " at level %u (the level-%u table at PA 0x%" PRIx64 ", %s) after a completed "
		       "sync over [0x%" PRIx64 ", 0x%" PRIx64 "]: the page table %s",
		       dom->name, v->iova, v->level, v->e->next_level, v->e->table_pa,
		       rw_name(v->e->perm, have), start, last, now);
}

/* Walks through a freed page-table page read whatever its next owner
 * writes: no cached entry of any domain may point at one. */
static void psc_entry_freed(struct ims_sim *sim, const struct ims_domain *dom,
			    const struct psc_view *v, uint64_t start, uint64_t last)
{
	ims_check_fail(sim, "paging-structure cache entry of domain '%s' for IOVA 0x%" PRIx64
		       " at level %u points at the page-table page at PA 0x%" PRIx64 ", which was "
		       "freed (checked after a completed sync of domain '%s' over [0x%" PRIx64
		       ", 0x%" PRIx64 "])", tag_domain_name(sim, v->e->did), v->iova, v->level,
		       v->e->table_pa, dom->name, start, last);
}

static void check_psc_entry(struct ims_sim *sim, const struct ims_domain *dom,
			    const struct psc_view *v, uint64_t start, uint64_t last)
{
	struct ims_psc_entry want = { .valid = 0 };
	bool any_dev = false;

	if (ims_mem_table_freed(&sim->mem, v->e->table_pa)) {
		psc_entry_freed(sim, dom, v, start, last);
		return;
	}
	if (v->e->did != dom->tlb_tag || v->last < start || v->iova > last)
		return;
	/* a lazy unmap's flush queue owns the tables it unlinked until its
	 * flush: a cached entry may still point at one */
	if (!psc_entry_walked(sim, dom, v, &want, &any_dev) && any_dev &&
	    !ims_unmap_flush_table_waits(dom, v->e->table_pa))
		psc_entry_fail(sim, dom, v, &want, start, last);
}

void ims_check_psc(struct ims_sim *sim, const struct ims_domain *dom, uint64_t start,
		   uint64_t last)
{
	for (unsigned lv = 1; lv <= IMS_PSC_LEVELS && !sim->check.failed; lv++) {
		const struct ims_psc_level *l = &sim->psc.lvl[lv];
		uint64_t n = l->e ? ((uint64_t)l->nsets_mask + 1) * l->ways : 0;

		for (uint64_t i = 0; i < n && !sim->check.failed; i++) {
			struct psc_view v = { &l->e[i], lv, l->e[i].tag << l->cover_lg2, 0 };

			if (!v.e->valid)
				continue;
			v.last = v.iova + ((UINT64_C(1) << l->cover_lg2) - 1);
			check_psc_entry(sim, dom, &v, start, last);
		}
	}
}

void ims_check_iotlb(struct ims_sim *sim, const struct ims_domain *dom, uint64_t start,
		     uint64_t last)
{
	struct tlb_view iotlb = { "IOTLB", &sim->iotlb, dom->tlb_tag, NULL };
	struct ims_device *dev;
	unsigned i = 0;

	if (sim->check.failed)
		return;
	check_view(sim, &iotlb, dom, start, last);
	/* devices with ATS: every invalidation of the IOTLB must reach them */
	while ((dev = ims_ats_device_next(sim, dom, &i))) {
		char name[IMS_NAME_MAX + 32];
		struct tlb_view atc = { name, &dev->atc, 0, dev };

		snprintf(name, sizeof(name), "the ATC of device '%s'", dev->name);
		check_view(sim, &atc, dom, start, last);
	}
	ims_check_psc(sim, dom, start, last);
}

static void view_flag_gone(struct ims_sim *sim, const struct tlb_view *v,
			   const struct ims_domain *dom, unsigned flag)
{
	uint64_t n = (uint64_t)(v->t->nsets_mask + 1) * v->t->ways;

	for (uint64_t i = 0; i < n && !sim->check.failed; i++) {
		const struct ims_iotlb_entry *e = &v->t->e[i];

		if (e->page_lg2 && e->did == v->tag && (e->flags & flag))
			ims_check_fail(sim, "%s entry for IOVA 0x%" PRIx64 " of domain '%s' still "
				       "carries flag 0x%x after the flush that should have dropped it",
				       v->name, e->vpn << e->page_lg2, dom->name, flag);
	}
}

void ims_check_iotlb_flag_gone(struct ims_sim *sim, const struct ims_domain *dom, unsigned flag)
{
	struct tlb_view iotlb = { "IOTLB", &sim->iotlb, dom->tlb_tag, NULL };
	struct ims_device *dev;
	unsigned i = 0;

	view_flag_gone(sim, &iotlb, dom, flag);
	while ((dev = ims_ats_device_next(sim, dom, &i))) {
		char name[IMS_NAME_MAX + 32];
		struct tlb_view atc = { name, &dev->atc, 0, dev };

		snprintf(name, sizeof(name), "the ATC of device '%s'", dev->name);
		view_flag_gone(sim, &atc, dom, flag);
	}
}

/* ---- pin counts ------------------------------------------------------------- */

/* Check one pages object the first time this pass meets it; returns its
 * pinned total then, 0 when it was counted already. */
static uint64_t pages_checked(struct ims_sim *sim, struct ims_pages *p)
{
	uint64_t sum = 0;

	if (p->check_pass == sim->check.pin_pass)
		return 0;
	p->check_pass = sim->check.pin_pass;
	for (size_t i = 0; i < p->nseg; i++) {
		const struct ims_pin_seg *s = &p->seg[i];

		if (s->count == 0 || s->count >= UINT32_C(1) << 31 || s->last < s->first ||
		    s->last >= p->npages || (i && s->first <= p->seg[i - 1].last)) {
			ims_check_fail(sim, "pages object %u: pin segment [%" PRIu64 ", %" PRIu64
				       "] has count %" PRIu32 " (a count below zero wraps)",
				       p->id, s->first, s->last, s->count);
			return p->pinned;
		}
		sum += s->last - s->first + 1;
	}
	if (sum != p->pinned)
		ims_check_fail(sim, "pages object %u: %" PRIu64 " pages pinned by its segments, "
			       "%" PRIu64 " by its total", p->id, sum, p->pinned);
	return p->pinned;
}

static uint64_t ioas_pinned(struct ims_sim *sim, const struct ims_ioas *ioas)
{
	uint64_t sum = 0;

	for (size_t i = 0; ioas && i < ioas->nareas; i++)
		sum += pages_checked(sim, ioas->area[i].pages);
	return sum;
}

static void check_pins(struct ims_sim *sim)
{
	uint64_t sum = 0;

	sim->check.pin_pass++;
	for (unsigned i = 0; i < sim->nioas; i++)
		sum += ioas_pinned(sim, sim->ioas[i]);
	for (unsigned i = 0; i < sim->ndomains; i++)
		sum += ioas_pinned(sim, sim->domains[i]->own_ioas);
	if (sum != sim->pinned_pages)
		ims_check_fail(sim, "%" PRIu64 " pages pinned by the pages objects, %" PRIu64
			       " counted by the simulator", sum, sim->pinned_pages);
}

/* ---- per event ----------------------------------------------------------- */

void ims_check_begin(struct ims_sim *sim)
{
	sim->check.missed_before = IMS_STAT_GET(&sim->stats, dirty_pages_missed);
}

static void check_strategies(struct ims_sim *sim, enum ims_check_op op,
			     const struct ims_strategies *st)
{
	uint64_t missed = IMS_STAT_GET(&sim->stats, dirty_pages_missed) - sim->check.missed_before;
	char name[160];

	/* a dirty-unmap reads dirty state a round left behind: exact only
	 * if the rounds are; and nothing is exact once devices may write
	 * through a lazy unmap's stale translations (counted missed when its
	 * queue is flushed, maybe during this operation) */
	if (missed && st->unmap_flush->safe &&
	    ((op == IMS_CHECK_OP_DIRTY_UNMAP && st->unmap->exact && st->sync->exact) ||
	     (op == IMS_CHECK_OP_DIRTY_ROUND && st->sync->exact)))
		ims_check_fail(sim, "%s missed %" PRIu64 " dirty pages under %s, whose strategies "
			       "are exact", op == IMS_CHECK_OP_DIRTY_UNMAP ? "dirty-unmap"
			       : "a dirty-sync round", missed,
			       ims_strategies_name(st, name, sizeof(name)));
	if (st->unmap_flush->safe && IMS_STAT_GET(&sim->stats, stale_dmas))
		ims_check_fail(sim, "%" PRIu64 " DMAs reached pages after their unmap returned under "
			       "the safe unmap-flush strategy %s", IMS_STAT_GET(&sim->stats, stale_dmas),
			       st->unmap_flush->name);
	if (st->coherency->safe && IMS_STAT_GET(&sim->stats, exposures))
		ims_check_fail(sim, "%" PRIu64 " stale lines exposed under the safe coherency "
			       "strategy %s", IMS_STAT_GET(&sim->stats, exposures),
			       st->coherency->name);
}

int ims_check_end(struct ims_sim *sim, enum ims_check_op op, const struct ims_strategies *st,
		  struct ims_error *err)
{
	if (!sim->check.failed)
		check_strategies(sim, op, st);
	if (!sim->check.failed && op != IMS_CHECK_OP_DMA)
		check_pins(sim);
	if (!sim->check.failed)
		return 0;
	return ims_error_set(err, IMS_ECHECK, "--check: invariant broken (a simulator bug): %s",
			     sim->check.msg);
}
