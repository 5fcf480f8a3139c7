/* Simulated physical memory: sparse 4 KiB frames holding 64-bit words.
 *
 * Page-table pages, PASID/context entries and invalidation queues live here
 * as real bytes at real physical addresses, so what the host software writes
 * is exactly what the hardware walker reads. Frames never written read as
 * zero and cost no host memory. DMA payload pages are not stored: the
 * simulator tracks where DMA goes, not what it carries.
 *
 * Frame lookup is a 3-level radix over the 40-bit frame number (52-bit PA),
 * with 8 bytes of index per 4 KiB frame (0.2%), so page tables cost close to
 * their real 8 bytes per PTE.
 */
#ifndef IMS_MEM_H
#define IMS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMS_PAGE_LG2 12
#define IMS_PAGE_SIZE (UINT64_C(1) << IMS_PAGE_LG2)
#define IMS_PA_BITS 52
#define IMS_PA_LIMIT (UINT64_C(1) << IMS_PA_BITS)

/* Physical address map of the simulated machine:
 *   [IMS_PA_IOMMU_BASE, IMS_PA_DATA_BASE)  structures a driver sets up once per
 *       IOMMU (invalidation queues, context/PASID tables), at fixed offsets
 *       each model chooses;
 *   [IMS_PA_DATA_BASE, IMS_PA_TABLE_BASE)  pinned host pages that DMA targets;
 *   [IMS_PA_TABLE_BASE, IMS_PA_LIMIT)      page-table pages.
 * Separate regions mean host data can never collide with IOMMU structures
 * and page-table statistics count page tables only. */
#define IMS_PA_IOMMU_BASE (UINT64_C(1) << 28)   /* queues, context/PASID tables */
#define IMS_PA_DATA_BASE (UINT64_C(1) << 32)
#define IMS_PA_TABLE_BASE (UINT64_C(1) << 44)

#define IMS_MEM_L3_BITS 13
#define IMS_MEM_L2_BITS 13
#define IMS_MEM_L1_BITS (IMS_PA_BITS - IMS_PAGE_LG2 - IMS_MEM_L2_BITS - IMS_MEM_L3_BITS)

struct ims_mem_leaf {
	uint64_t *frame[1u << IMS_MEM_L3_BITS];
};

struct ims_mem_mid {
	struct ims_mem_leaf *leaf[1u << IMS_MEM_L2_BITS];
};

struct ims_mem {
	struct ims_mem_mid *mid[1u << IMS_MEM_L1_BITS];
	/* frames are carved from slabs so each costs 4 KiB, not 4 KiB + malloc header */
	void **slabs;
	size_t nslabs, slab_cap;
	uint64_t *slab_cursor;
	unsigned slab_left;
	uint64_t frames_stored;     /* frames holding storage */
	/* page-table frame allocator */
	uint64_t table_next;        /* bump pointer in the table region */
	uint64_t *free_frames;      /* PAs of freed table frames, reused LIFO */
	size_t nfree, free_cap;
	uint64_t tables_live;
	/* a bit per frame of the table region below table_next: set while the
	 * frame is on free_frames (the --check mode asks, ims_mem_table_freed) */
	uint64_t *freed_bits;
	size_t freed_words;
};

int ims_mem_init(struct ims_mem *mem);
void ims_mem_fini(struct ims_mem *mem);

/* Host pointer to the frame holding pa, or NULL if never written. */
static inline uint64_t *ims_mem_frame(const struct ims_mem *mem, uint64_t pa)
{
	uint64_t fn = pa >> IMS_PAGE_LG2;
	const struct ims_mem_mid *mid = mem->mid[fn >> (IMS_MEM_L2_BITS + IMS_MEM_L3_BITS)];
	const struct ims_mem_leaf *leaf;

	if (!mid)
		return NULL;
	leaf = mid->leaf[(fn >> IMS_MEM_L3_BITS) & ((1u << IMS_MEM_L2_BITS) - 1)];
	if (!leaf)
		return NULL;
	return leaf->frame[fn & ((1u << IMS_MEM_L3_BITS) - 1)];
}

/* Frame for pa, created (zeroed) if needed; NULL only when out of memory. */
uint64_t *ims_mem_frame_get(struct ims_mem *mem, uint64_t pa);

/* 64-bit accesses; pa must be 8-byte aligned and below IMS_PA_LIMIT. */
static inline uint64_t ims_mem_load64(const struct ims_mem *mem, uint64_t pa)
{
	const uint64_t *f = ims_mem_frame(mem, pa);

	return f ? f[(pa & (IMS_PAGE_SIZE - 1)) >> 3] : 0;
}

void ims_mem_store64(struct ims_mem *mem, uint64_t pa, uint64_t val);

/* Start bringing the host memory of the word at pa into the host's caches
 * (simulator speed only; nothing if never written). Always inlined: gcc's
 * interprocedural analysis takes a function that only prefetches for one
 * without side effects and deletes its calls. */
static inline __attribute__((always_inline)) void ims_mem_prefetch(const struct ims_mem *mem,
								   uint64_t pa)
{
	const uint64_t *f = ims_mem_frame(mem, pa);

	if (f)
		__builtin_prefetch(&f[(pa & (IMS_PAGE_SIZE - 1)) >> 3]);
}

/* Atomic compare-and-exchange of the word at pa: stores desired only if the
 * word equals expected; returns the value found. The hardware walker uses it
 * for A/D updates so a racing software clear is never lost. */
uint64_t ims_mem_cmpxchg64(struct ims_mem *mem, uint64_t pa, uint64_t expected,
			   uint64_t desired);

/* Allocate a zeroed 4 KiB page-table frame; returns its PA or 0 on failure. */
uint64_t ims_mem_alloc_table(struct ims_mem *mem);
void ims_mem_free_table(struct ims_mem *mem, uint64_t pa);

/* Whether pa lies in a page-table frame that was freed and not allocated
 * again: nothing may point at it any more. */
static inline bool ims_mem_table_freed(const struct ims_mem *mem, uint64_t pa)
{
	uint64_t i = (pa - IMS_PA_TABLE_BASE) >> IMS_PAGE_LG2;

	return pa >= IMS_PA_TABLE_BASE && i / 64 < mem->freed_words &&
	       (mem->freed_bits[i / 64] >> (i % 64) & 1);
}

#endif
