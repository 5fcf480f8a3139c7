/* The SMMUv3 translation table walk for one request, both stages through
 * one level loop parameterised by struct smmu_stage.
 *
 * IHI 0070 G.b: 3.13 HTTU (3.13.2 Access flag, 3.13.3.1 dirty state with
 * DBM), 3.17 TLB tagging by VMID and ASID, 16.2 caching (walk caches);
 * DDI 0487 M.a.a: D8.3 descriptor types, D8.4 permissions, D8.5.1/D8.5.2
 * Access flag and dirty state, D8.5.5 and D8.7.1 the Contiguous bit;
 * Tables D8-52/53 the memory attributes that make a leaf coherent.
 *
 * The walk starts from the device's entry in the configuration cache (the
 * STE and, at stage 1, the CD): never from memory. The IOTLB is the
 * engine's; this walker neither looks it up nor fills it.
 */
#include "models/common/pte_rmw.h"
#include "models/common/walk_prefetch.h"
#include "models/smmuv3/smmu_desc.h"
#include "models/smmuv3/smmu_model.h"

/* One walk in progress. */
struct walk_state {
	struct ims_sim *sim;
	const struct smmu_xlate_cfg *x;
	uint64_t iova;
	uint64_t cycles;
	unsigned perm;           /* IMS_TLB_R/W left by the Table descriptors so far */
};

static void fault(struct ims_walk *out, enum ims_fault kind, unsigned level, uint64_t pa)
{
	out->fault = kind;
	out->fault_level = (uint8_t)level;
	out->fault_pte_pa = pa;
}

/* Deepest walk-cache hit (16.2: a walk cache holds Table descriptors). As
 * for VT-d, counted once per walk. Returns the level the walk continues at. */
static unsigned psc_start(struct walk_state *w, uint64_t *table_pa)
{
	struct ims_sim *sim = w->sim;

	for (unsigned l = 1; l <= SMMU_TOP_LEVEL; l++) {
		struct ims_psc_entry *e = ims_psc_lookup(&sim->psc, l, w->x->tag, w->iova);

		if (!e) {
			sim->stats.v[IMS_STAT_psc_miss_l1 + l - 1]++;
			continue;
		}
		IMS_STAT_INC(&sim->stats, psc_hit);
		sim->stats.v[IMS_STAT_psc_hit_l1 + l - 1]++;
		w->cycles += sim->costs.psc_hit_ns;
		w->perm = e->perm;
		*table_pa = e->table_pa;
		return e->next_level;
	}
	IMS_STAT_INC(&sim->stats, psc_miss);
	return SMMU_TOP_LEVEL;
}

/* How HTTU spells accessed (AF) and dirty (writable-dirty) at this stage. */
struct httu_ctx {
	const struct smmu_stage *st;
	bool set_dirty;
};

static uint64_t httu_want(uint64_t d, const void *ctx)
{
	const struct httu_ctx *c = ctx;

	d |= SMMU_DESC_AF;
	return c->set_dirty && smmu_desc_write_clean(c->st, d) ? smmu_desc_make_dirty(c->st, d) : d;
}

static bool httu_accessed(uint64_t d, const void *ctx)
{
	(void)ctx;
	return d & SMMU_DESC_AF;
}

static bool httu_dirty(uint64_t d, const void *ctx)
{
	return smmu_desc_write_dirty(((const struct httu_ctx *)ctx)->st, d);
}

/* The HTTU update of a leaf: set AF, and make it writable-dirty for a
 * write, in one atomic read-modify-write (D8.5.2.1 R PRHKD), retried if
 * software changed the descriptor meanwhile (3.13: "agents supporting HTTU
 * update the flags atomically"). */
static void httu_update(struct walk_state *w, uint64_t pa, uint64_t *d, bool set_dirty)
{
	struct httu_ctx c = { w->x->st, set_dirty };
	struct ims_ad_format fmt = { httu_want, httu_accessed, httu_dirty, &c };

	*d = ims_walk_ad_update(w->sim, pa, *d, &fmt, &w->cycles);
}

/* Checks on a leaf, in the architecture's priority order (D8.5.2.1 I DSHLJ:
 * Access flag faults before Permission faults). Returns IMS_FAULT_NONE or
 * the fault, after any HTTU update. An Access flag fault (F_ACCESS) is
 * reported as IMS_FAULT_PERM: the engine has no separate kind. */
static enum ims_fault leaf_access(struct walk_state *w, uint64_t pa, uint64_t *d,
				  enum ims_access access)
{
	const struct smmu_xlate_cfg *x = w->x;
	unsigned perm = smmu_desc_perm(x->st, *d) & w->perm;
	bool write = access == IMS_ACCESS_WRITE;
	bool set_dirty = false;

	if (!(*d & SMMU_DESC_AF) && !x->ha && !x->affd)
		return IMS_FAULT_PERM;
	if (!(perm & IMS_TLB_R) && !write)
		return IMS_FAULT_PERM;
	if (write && !(perm & IMS_TLB_W)) {
		/* writable-clean and HD: the update makes it writable; the
		 * hierarchical controls must allow the write (3.13.3.1) */
		if (!x->hd || !smmu_desc_write_clean(x->st, *d) || !(w->perm & IMS_TLB_W))
			return IMS_FAULT_PERM;
		set_dirty = true;
	}
	/* 3.13.2: AF is set by a translation that would otherwise fault on it;
	 * with AFFD it is treated as 1 and never written */
	if ((!(*d & SMMU_DESC_AF) && x->ha) || set_dirty)
		httu_update(w, pa, d, set_dirty);
	return IMS_FAULT_NONE;
}

/* The flags of the TLB entry for a leaf. IMS_TLB_DIRTY: a write needs no
 * descriptor update, because the descriptor is writable (writable-dirty, or
 * DBM=0 and writable). A writable-clean descriptor is cached with W but not
 * DIRTY only while HD=1: a write re-walks and updates it. IMS_TLB_SNOOP:
 * the leaf's attributes are Normal write-back and shareable (smmu_desc.h). */
static unsigned leaf_tlb_flags(const struct smmu_xlate_cfg *x, unsigned table_perm, uint64_t d)
{
	unsigned perm = smmu_desc_perm(x->st, d) & table_perm;
	unsigned flags = perm;

	if (smmu_desc_snoops(x->st, d, x->mair))
		flags |= IMS_TLB_SNOOP;
	if (perm & IMS_TLB_W)
		flags |= IMS_TLB_DIRTY;
	else if (x->hd && smmu_desc_write_clean(x->st, d) && (table_perm & IMS_TLB_W))
		flags |= IMS_TLB_W;
	return flags;
}

/* The size of the TLB entry for a leaf at `level`: a contiguous run if the
 * IOTLB holds such entries (D8.7.1). */
static unsigned leaf_tlb_lg2(const struct ims_sim *sim, uint64_t d, unsigned level)
{
	return smmu_level_shift(level) +
	       ((d & SMMU_DESC_CONTIG) && sim->params.smmuv3_contig ? SMMU_CONTIG_LG2 : 0u);
}

static void leaf_result(struct walk_state *w, uint64_t d, unsigned level, struct ims_walk *out)
{
	unsigned lg2 = leaf_tlb_lg2(w->sim, d, level);

	out->page_lg2 = (uint8_t)lg2;
	out->pa = smmu_desc_oa(d) & ~((UINT64_C(1) << lg2) - 1);
	ims_walk_prefetch_target(w->sim, w->iova, out);
	out->tlb_flags = (uint8_t)leaf_tlb_flags(w->x, w->perm, d);
}

/* Walk from `level` down. Returns with *out filled. */
static void walk_levels(struct walk_state *w, uint64_t table_pa, unsigned level,
			enum ims_access access, struct ims_walk *out)
{
	const struct smmu_xlate_cfg *x = w->x;
	struct ims_sim *sim = w->sim;

	for (;;) {
		uint64_t pa = table_pa + (uint64_t)smmu_desc_index(w->iova, level) * 8;
		uint64_t d = ims_walk_read(sim, pa, &w->cycles);
		enum ims_fault f;

		switch (smmu_desc_type(d, level)) {
		case SMMU_DESC_EMPTY:
			fault(out, IMS_FAULT_NOT_PRESENT, level, pa);   /* F_TRANSLATION */
			return;
		case SMMU_DESC_LEAF:
			f = leaf_access(w, pa, &d, access);
			if (f != IMS_FAULT_NONE) {
				fault(out, f, level, pa);
				return;
			}
			leaf_result(w, d, level, out);
			return;
		case SMMU_DESC_TABLE:
			if (x->hier)
				w->perm &= smmu_table_perm(x->st, d);
			/* a successful partial walk may be cached (16.2) */
			ims_psc_fill(&sim->psc, level, x->tag, w->iova, smmu_desc_oa(d), level - 1,
				     w->perm);
			table_pa = smmu_desc_oa(d);
			level--;
			break;
		}
	}
}

void smmu_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
	       uint64_t iova, enum ims_access access, struct ims_walk *out)
{
	const struct smmu_cfg_entry *c = smmu_cfg_of(sim, dev);
	struct walk_state w = { .sim = sim, .iova = iova, .cycles = 0,
				.perm = IMS_TLB_R | IMS_TLB_W };
	uint64_t table_pa;
	unsigned level;

	(void)dom;   /* the device's STE says where to walk */
	IMS_STAT_INC(&sim->stats, walks);
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	if (!c)
		IMS_BUG("attached device without a configuration cache entry");
	if (!c->decoded) {
		/* C_BAD_STE / C_BAD_CD: the transaction is aborted */
		fault(out, IMS_FAULT_NO_DOMAIN, SMMU_TOP_LEVEL, 0);
		return;
	}
	w.x = &c->x;
	/* input beyond T0SZ/S2T0SZ: a Translation fault before any read */
	if (iova >> SMMU_IA_BITS) {
		fault(out, IMS_FAULT_ADDR, SMMU_TOP_LEVEL, 0);
		return;
	}
	table_pa = c->x.ttb;
	level = psc_start(&w, &table_pa);
	walk_levels(&w, table_pa, level, access, out);
	out->cycles = w.cycles;
}

/* model.h, prefetch_walk: from the deepest walk-cache entry for iova
 * (peeked: no LRU update), else from the table base, smmu_probe's reads
 * down to the level-3 table (of 4 KiB pages), whose descriptor is
 * prefetched instead of read; it stops at a block or an empty descriptor. */
void smmu_prefetch_walk(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
			uint64_t iova)
{
	const struct smmu_cfg_entry *c = smmu_cfg_of(sim, dev);
	uint64_t table_pa;
	unsigned level;

	(void)dom;
	if (!c || !c->decoded || iova >> SMMU_IA_BITS)
		return;
	table_pa = c->x.ttb;
	level = SMMU_TOP_LEVEL;
	ims_psc_peek_deepest(&sim->psc, SMMU_TOP_LEVEL, c->x.tag, iova, &table_pa, &level);
	for (; level > 0; level--) {
		uint64_t d = ims_mem_load64(&sim->mem,
					    table_pa + (uint64_t)smmu_desc_index(iova, level) * 8);

		if (smmu_desc_type(d, level) != SMMU_DESC_TABLE)
			return;
		table_pa = smmu_desc_oa(d);
	}
	ims_mem_prefetch(&sim->mem, table_pa + (uint64_t)smmu_desc_index(iova, 0) * 8);
}

/* model.h, probe: the walk above through dev's cached configuration,
 * without the walk cache, HTTU updates or timing. A contiguous run cached
 * as one entry gets the union of its descriptors' flags: a write through it
 * updates the one descriptor its IOVA selects. A leaf the walk would take an
 * Access flag fault on gives no flags: nothing may be cached from it. */
void smmu_probe(struct ims_sim *sim, struct ims_device *dev, struct ims_domain *dom,
		uint64_t iova, struct ims_walk *out)
{
	const struct smmu_cfg_entry *c = smmu_cfg_of(sim, dev);
	struct smmu_xlate_cfg x;
	unsigned level = SMMU_TOP_LEVEL, perm = IMS_TLB_R | IMS_TLB_W;
	uint64_t table_pa;

	(void)dom;
	*out = (struct ims_walk){ .fault = IMS_FAULT_NONE };
	if (!c || !smmu_cfg_decode(c, &x)) {
		fault(out, IMS_FAULT_NO_DOMAIN, SMMU_TOP_LEVEL, 0);
		return;
	}
	if (iova >> SMMU_IA_BITS) {
		fault(out, IMS_FAULT_ADDR, SMMU_TOP_LEVEL, 0);
		return;
	}
	for (table_pa = x.ttb;; level--) {
		uint64_t pa = table_pa + (uint64_t)smmu_desc_index(iova, level) * 8;
		uint64_t d = ims_mem_load64(&sim->mem, pa);

		switch (smmu_desc_type(d, level)) {
		case SMMU_DESC_EMPTY:
			fault(out, IMS_FAULT_NOT_PRESENT, level, pa);
			return;
		case SMMU_DESC_TABLE:
			if (x.hier)
				perm &= smmu_table_perm(x.st, d);
			table_pa = smmu_desc_oa(d);
			continue;
		case SMMU_DESC_LEAF: {
			unsigned lg2 = leaf_tlb_lg2(sim, d, level);
			unsigned n = 1u << (lg2 - smmu_level_shift(level));
			unsigned first = smmu_desc_index(iova, level) & ~(n - 1), flags = 0;

			for (unsigned i = 0; i < n; i++) {
				uint64_t r = ims_mem_load64(&sim->mem, table_pa + (first + i) * 8ull);
				bool af_fault = !(r & SMMU_DESC_AF) && !x.ha && !x.affd;

				if (smmu_desc_type(r, level) == SMMU_DESC_LEAF && !af_fault)
					flags |= leaf_tlb_flags(&x, perm, r);
			}
			out->page_lg2 = (uint8_t)lg2;
			out->pa = smmu_desc_oa(d) & ~((UINT64_C(1) << lg2) - 1);
			out->tlb_flags = (uint8_t)flags;
			return;
		}
		}
	}
}
