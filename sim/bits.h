/* Bit-field helpers for 64-bit hardware words.
 *
 * Hardware formats (PTEs, invalidation descriptors, context entries) are kept
 * as plain uint64_t words and read through named masks, never C bitfields:
 * bitfield layout is implementation-defined, and a mask can be checked against
 * the bit numbers printed in a spec table.
 */
#ifndef IMS_BITS_H
#define IMS_BITS_H

#include <stdbool.h>
#include <stdint.h>

/* Mask of bits hi..lo inclusive, as spec tables print them ("51:12"). */
#define IMS_GENMASK(hi, lo) \
	((~UINT64_C(0) >> (63 - (hi))) & (~UINT64_C(0) << (lo)))
#define IMS_BIT(n) (UINT64_C(1) << (n))

static inline unsigned ims_mask_shift(uint64_t mask)
{
	return (unsigned)__builtin_ctzll(mask);
}

/* Extract the field selected by mask, shifted down to bit 0. */
static inline uint64_t ims_field_get(uint64_t mask, uint64_t word)
{
	return (word & mask) >> ims_mask_shift(mask);
}

/* Place value into the field selected by mask (value bits beyond it are dropped). */
static inline uint64_t ims_field_prep(uint64_t mask, uint64_t value)
{
	return (value << ims_mask_shift(mask)) & mask;
}

static inline bool ims_is_aligned(uint64_t v, unsigned lg2)
{
	return (v & ((UINT64_C(1) << lg2) - 1)) == 0;
}

static inline unsigned ims_ilog2(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static inline bool ims_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
