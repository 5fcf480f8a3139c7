#include "models/common/pte_rmw.h"

/* The update loop of both entry points below. Inline so that where fmt is a
 * constant (ims_walk_set_ad_bits) its functions are known and inlined: the
 * plain-bit case, VT-d's and AMD's on every A/D update, makes no indirect
 * calls. */
static inline uint64_t ad_update(struct ims_sim *sim, uint64_t pa, uint64_t seen,
				 const struct ims_ad_format *fmt, uint64_t *cycles)
{
	uint64_t cur = seen, want, old;

	for (;;) {
		want = fmt->update(cur, fmt->ctx);
		if (want == cur)
			return cur;
		old = ims_mem_cmpxchg64(&sim->mem, pa, cur, want);
		if (old == cur)
			break;
		/* lost a race with software (a dirty clear): redo with what is there */
		IMS_STAT_INC(&sim->stats, ad_cmpxchg_retry);
		cur = old;
	}
	if (fmt->accessed(want, fmt->ctx) && !fmt->accessed(cur, fmt->ctx))
		IMS_STAT_INC(&sim->stats, a_set);
	if (fmt->dirty(want, fmt->ctx) && !fmt->dirty(cur, fmt->ctx))
		IMS_STAT_INC(&sim->stats, d_set);
	IMS_STAT_INC(&sim->stats, ad_updates);
	IMS_STAT_ADD(&sim->stats, cyc_ad_update, sim->costs.ad_update_ns);
	*cycles += sim->costs.ad_update_ns;
	return want;
}

uint64_t ims_walk_ad_update(struct ims_sim *sim, uint64_t pa, uint64_t seen,
			    const struct ims_ad_format *fmt, uint64_t *cycles)
{
	return ad_update(sim, pa, seen, fmt, cycles);
}

struct ad_bits {
	/* cppcheck-suppress unusedStructMember ; read through the callbacks' void *ctx */
	uint64_t set, a_bit, d_bit;
};

static uint64_t set_bits(uint64_t pte, const void *ctx)
{
	return pte | ((const struct ad_bits *)ctx)->set;
}

static bool a_is_set(uint64_t pte, const void *ctx)
{
	return pte & ((const struct ad_bits *)ctx)->a_bit;
}

static bool d_is_set(uint64_t pte, const void *ctx)
{
	const struct ad_bits *b = ctx;

	return b->d_bit && (pte & b->d_bit);
}

/* flatten: the format's functions are only known once ad_update is inlined
 * here, after the compiler's own inlining decisions; this makes it inline
 * them too. */
__attribute__((flatten))
uint64_t ims_walk_set_ad_bits(struct ims_sim *sim, uint64_t pa, uint64_t seen, uint64_t set,
			      uint64_t a_bit, uint64_t d_bit, uint64_t *cycles)
{
	struct ad_bits b = { set, a_bit, d_bit };
	const struct ims_ad_format fmt = { set_bits, a_is_set, d_is_set, &b };

	return ad_update(sim, pa, seen, &fmt, cycles);
}
