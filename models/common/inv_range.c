#include "models/common/inv_range.h"

#include "sim/mem.h"

void ims_inv_range_encode(uint64_t start, uint64_t last, uint64_t *addr_out, bool *s_out)
{
	unsigned msb;

	if ((start >> IMS_PAGE_LG2) == (last >> IMS_PAGE_LG2)) {
		*addr_out = start & IMS_INV_RANGE_ADDR;
		*s_out = false;
		return;
	}
	/* the highest bit where the ends differ: the block of 2^(msb+1) bytes
	 * aligned on it holds both, and no smaller aligned block does */
	msb = 63u - (unsigned)__builtin_clzll(start ^ last);
	*s_out = true;
	if (msb > 51) {
		*addr_out = IMS_INV_RANGE_ALL_ADDR;
		return;
	}
	/* bits msb-1..12 set, bit msb (0 in start) is the first zero */
	*addr_out = (start | ((UINT64_C(1) << msb) - 1)) & IMS_INV_RANGE_ADDR;
}

bool ims_inv_range_decode(uint64_t addr, bool s, uint64_t *start, uint64_t *last)
{
	unsigned z;
	uint64_t size;

	addr &= IMS_INV_RANGE_ADDR;
	if (!s) {
		*start = addr;
		*last = addr + IMS_PAGE_SIZE - 1;
		return false;
	}
	z = IMS_PAGE_LG2 + (unsigned)__builtin_ctzll(~(addr >> IMS_PAGE_LG2));
	if (z >= 63) {
		*start = 0;
		*last = UINT64_MAX;
		return true;
	}
	size = UINT64_C(1) << (z + 1);
	*start = addr & ~(size - 1);
	*last = *start + size - 1;
	return false;
}
