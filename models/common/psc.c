#include "models/common/psc.h"

#include <stdlib.h>
#include <string.h>

int ims_psc_init(struct ims_psc *c, const uint64_t *entries, uint64_t ways,
		 const uint8_t *cover_lg2)
{
	memset(c, 0, sizeof(*c));
	for (unsigned l = 1; l <= IMS_PSC_LEVELS; l++) {
		struct ims_psc_level *lv = &c->lvl[l];

		lv->cover_lg2 = cover_lg2[l];
		if (!entries[l])
			continue;
		lv->ways = (uint32_t)(entries[l] < ways ? entries[l] : ways);
		lv->nsets_mask = (uint32_t)(entries[l] / lv->ways - 1);
		lv->e = calloc(entries[l], sizeof(*lv->e));
		if (!lv->e)
			return -1;
	}
	return 0;
}

void ims_psc_fini(struct ims_psc *c)
{
	for (unsigned l = 1; l <= IMS_PSC_LEVELS; l++)
		free(c->lvl[l].e);
	memset(c, 0, sizeof(*c));
}

void ims_psc_fill(struct ims_psc *c, unsigned level, uint32_t did, uint64_t iova,
		  uint64_t table_pa, unsigned next_level, unsigned perm)
{
	struct ims_psc_level *l = &c->lvl[level];
	uint64_t tag;
	struct ims_psc_entry *set, *victim;

	if (!l->e)
		return;
	tag = iova >> l->cover_lg2;
	set = ims_psc_set(l, did, tag);
	victim = &set[0];
	for (uint32_t w = 0; w < l->ways; w++) {
		if (set[w].valid && set[w].tag == tag && set[w].did == did) {
			victim = &set[w];
			break;
		}
		if (!set[w].valid) {
			if (victim->valid)
				victim = &set[w];
		} else if (victim->valid && set[w].stamp < victim->stamp) {
			victim = &set[w];
		}
	}
	victim->tag = tag;
	victim->table_pa = table_pa;
	victim->did = did;
	victim->perm = (uint8_t)perm;
	victim->next_level = (uint8_t)next_level;
	victim->valid = 1;
	victim->stamp = ++c->clock;
}

static uint64_t level_entries(const struct ims_psc_level *l)
{
	return l->e ? ((uint64_t)l->nsets_mask + 1) * l->ways : 0;
}

/* Drop entries that match; keep is a filter: did < 0 matches any domain, and
 * [start, last] the IOVA range an entry must overlap. */
static uint64_t inv_matching(struct ims_psc *c, int64_t did, uint64_t start, uint64_t last)
{
	uint64_t n = 0;

	for (unsigned lv = 1; lv <= IMS_PSC_LEVELS; lv++) {
		struct ims_psc_level *l = &c->lvl[lv];

		for (uint64_t i = 0; i < level_entries(l); i++) {
			struct ims_psc_entry *e = &l->e[i];
			uint64_t e_start, e_last;

			if (!e->valid || (did >= 0 && e->did != (uint32_t)did))
				continue;
			e_start = e->tag << l->cover_lg2;
			e_last = e_start + ((UINT64_C(1) << l->cover_lg2) - 1);
			if (e_start <= last && start <= e_last) {
				e->valid = 0;
				n++;
			}
		}
	}
	return n;
}

uint64_t ims_psc_inv_all(struct ims_psc *c)
{
	return inv_matching(c, -1, 0, UINT64_MAX);
}

uint64_t ims_psc_inv_domain(struct ims_psc *c, uint32_t did)
{
	return inv_matching(c, did, 0, UINT64_MAX);
}

uint64_t ims_psc_inv_range(struct ims_psc *c, uint32_t did, uint64_t start, uint64_t last)
{
	return inv_matching(c, did, start, last);
}
