#include "sim/mem.h"

#include <stdlib.h>
#include <string.h>

#define SLAB_FRAMES 512u   /* 2 MiB slabs */

int ims_mem_init(struct ims_mem *mem)
{
	memset(mem, 0, sizeof(*mem));
	mem->table_next = IMS_PA_TABLE_BASE;
	return 0;
}

void ims_mem_fini(struct ims_mem *mem)
{
	for (size_t i = 0; i < (1u << IMS_MEM_L1_BITS); i++) {
		struct ims_mem_mid *mid = mem->mid[i];

		if (!mid)
			continue;
		for (size_t j = 0; j < (1u << IMS_MEM_L2_BITS); j++)
			free(mid->leaf[j]);
		free(mid);
	}
	for (size_t i = 0; i < mem->nslabs; i++)
		free(mem->slabs[i]);
	free(mem->slabs);
	free(mem->free_frames);
	free(mem->freed_bits);
	memset(mem, 0, sizeof(*mem));
}

static uint64_t *new_frame(struct ims_mem *mem)
{
	uint64_t *f;

	if (!mem->slab_left) {
		void *slab;

		if (mem->nslabs == mem->slab_cap) {
			size_t cap = mem->slab_cap ? mem->slab_cap * 2 : 64;
			void **s = realloc(mem->slabs, cap * sizeof(*s));

			if (!s)
				return NULL;
			mem->slabs = s;
			mem->slab_cap = cap;
		}
		/* Zeroed by calloc; large callocs come straight from mmap, so an
		 * untouched tail of a slab costs no resident memory. */
		slab = calloc(SLAB_FRAMES, IMS_PAGE_SIZE);
		if (!slab)
			return NULL;
		mem->slabs[mem->nslabs++] = slab;
		mem->slab_cursor = slab;
		mem->slab_left = SLAB_FRAMES;
	}
	f = mem->slab_cursor;
	mem->slab_cursor += IMS_PAGE_SIZE / sizeof(uint64_t);
	mem->slab_left--;
	mem->frames_stored++;
	return f;
}

uint64_t *ims_mem_frame_get(struct ims_mem *mem, uint64_t pa)
{
	uint64_t fn = pa >> IMS_PAGE_LG2;
	size_t i1 = fn >> (IMS_MEM_L2_BITS + IMS_MEM_L3_BITS);
	size_t i2 = (fn >> IMS_MEM_L3_BITS) & ((1u << IMS_MEM_L2_BITS) - 1);
	size_t i3 = fn & ((1u << IMS_MEM_L3_BITS) - 1);
	struct ims_mem_mid *mid = mem->mid[i1];
	struct ims_mem_leaf *leaf;

	if (!mid && !(mid = mem->mid[i1] = calloc(1, sizeof(*mid))))
		return NULL;
	leaf = mid->leaf[i2];
	if (!leaf && !(leaf = mid->leaf[i2] = calloc(1, sizeof(*leaf))))
		return NULL;
	if (!leaf->frame[i3])
		leaf->frame[i3] = new_frame(mem);
	return leaf->frame[i3];
}

void ims_mem_store64(struct ims_mem *mem, uint64_t pa, uint64_t val)
{
	uint64_t *f = ims_mem_frame(mem, pa);

	if (!f) {
		if (!val)
			return;   /* storing zero into an absent frame changes nothing */
		f = ims_mem_frame_get(mem, pa);
		if (!f)
			abort();  /* host out of memory: nothing sensible to simulate */
	}
	f[(pa & (IMS_PAGE_SIZE - 1)) >> 3] = val;
}

uint64_t ims_mem_cmpxchg64(struct ims_mem *mem, uint64_t pa, uint64_t expected,
			   uint64_t desired)
{
	uint64_t old = ims_mem_load64(mem, pa);

	if (old == expected)
		ims_mem_store64(mem, pa, desired);
	return old;
}

/* Mark pa's table frame freed (on) or in use (off). */
static void freed_mark(struct ims_mem *mem, uint64_t pa, bool on)
{
	uint64_t i = (pa - IMS_PA_TABLE_BASE) >> IMS_PAGE_LG2;

	if (pa < IMS_PA_TABLE_BASE)
		return;   /* not the allocator's: nothing to track */
	if (i / 64 >= mem->freed_words) {
		size_t n = mem->freed_words ? mem->freed_words : 64;
		uint64_t *b;

		while (n <= i / 64)
			n *= 2;
		b = realloc(mem->freed_bits, n * sizeof(*b));
		if (!b)
			abort();
		memset(b + mem->freed_words, 0, (n - mem->freed_words) * sizeof(*b));
		mem->freed_bits = b;
		mem->freed_words = n;
	}
	if (on)
		mem->freed_bits[i / 64] |= UINT64_C(1) << (i % 64);
	else
		mem->freed_bits[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

uint64_t ims_mem_alloc_table(struct ims_mem *mem)
{
	uint64_t pa;
	uint64_t *f;

	if (mem->nfree) {
		pa = mem->free_frames[--mem->nfree];
		freed_mark(mem, pa, false);
		f = ims_mem_frame(mem, pa);
		memset(f, 0, IMS_PAGE_SIZE);
	} else {
		if (mem->table_next >= IMS_PA_LIMIT)
			return 0;
		pa = mem->table_next;
		if (!ims_mem_frame_get(mem, pa))
			return 0;
		mem->table_next += IMS_PAGE_SIZE;
	}
	mem->tables_live++;
	return pa;
}

void ims_mem_free_table(struct ims_mem *mem, uint64_t pa)
{
	if (mem->nfree == mem->free_cap) {
		size_t cap = mem->free_cap ? mem->free_cap * 2 : 256;
		uint64_t *n = realloc(mem->free_frames, cap * sizeof(*n));

		if (!n)
			abort();
		mem->free_frames = n;
		mem->free_cap = cap;
	}
	mem->free_frames[mem->nfree++] = pa;
	freed_mark(mem, pa, true);
	mem->tables_live--;
}
