/* Simulated physical memory: sparse frames, 64-bit words, cmpxchg, tables. */
#include <criterion/criterion.h>

#include "sim/mem.h"

static struct ims_mem mem;

static void setup(void) { ims_mem_init(&mem); }
static void teardown(void) { ims_mem_fini(&mem); }

TestSuite(mem, .init = setup, .fini = teardown);

Test(mem, unwritten_memory_reads_zero_and_costs_nothing)
{
	cr_assert_eq(ims_mem_load64(&mem, 0x123458), 0);
	ims_mem_store64(&mem, 0x5000, 0);   /* storing zero need not allocate */
	cr_assert_eq(mem.frames_stored, 0);
}

Test(mem, stores_are_64bit_words_at_their_address)
{
	ims_mem_store64(&mem, 0x1000, 0x1122334455667788ull);
	ims_mem_store64(&mem, 0x1008, 0xdeadbeefull);
	ims_mem_store64(&mem, (1ull << 51) + 0xff8, 42);   /* near the top of 52-bit PA */
	cr_assert_eq(ims_mem_load64(&mem, 0x1000), 0x1122334455667788ull);
	cr_assert_eq(ims_mem_load64(&mem, 0x1008), 0xdeadbeefull);
	cr_assert_eq(ims_mem_load64(&mem, 0x1010), 0);
	cr_assert_eq(ims_mem_load64(&mem, (1ull << 51) + 0xff8), 42);
	cr_assert_eq(mem.frames_stored, 2);
}

Test(mem, cmpxchg_stores_only_on_match_and_returns_old)
{
	ims_mem_store64(&mem, 0x2000, 5);
	cr_assert_eq(ims_mem_cmpxchg64(&mem, 0x2000, 4, 9), 5);
	cr_assert_eq(ims_mem_load64(&mem, 0x2000), 5);
	cr_assert_eq(ims_mem_cmpxchg64(&mem, 0x2000, 5, 9), 5);
	cr_assert_eq(ims_mem_load64(&mem, 0x2000), 9);
}

Test(mem, table_frames_are_zeroed_distinct_and_reused_after_free)
{
	uint64_t a = ims_mem_alloc_table(&mem), b = ims_mem_alloc_table(&mem);

	cr_assert(a >= IMS_PA_TABLE_BASE && b >= IMS_PA_TABLE_BASE);
	cr_assert_neq(a, b);
	cr_assert_eq(a & 0xfff, 0);
	ims_mem_store64(&mem, a + 8, 7);
	ims_mem_free_table(&mem, a);
	cr_assert_eq(mem.tables_live, 1);
	uint64_t c = ims_mem_alloc_table(&mem);
	cr_assert_eq(c, a, "a freed frame is reused first");
	cr_assert_eq(ims_mem_load64(&mem, c + 8), 0, "a reused frame comes back zeroed");
}

/* What the --check mode asks of a page-table address (check.c). */
Test(mem, a_table_frame_is_known_freed_until_it_is_allocated_again)
{
	uint64_t a = 0, b;

	for (int i = 0; i < 100; i++)
		a = ims_mem_alloc_table(&mem);   /* past the first word of the bitmap */
	b = ims_mem_alloc_table(&mem);
	cr_assert(!ims_mem_table_freed(&mem, a) && !ims_mem_table_freed(&mem, b));
	ims_mem_free_table(&mem, a);
	cr_assert(ims_mem_table_freed(&mem, a));
	cr_assert(ims_mem_table_freed(&mem, a + 0xff8), "any address in the frame");
	cr_assert(!ims_mem_table_freed(&mem, b), "its neighbour is live");
	cr_assert(!ims_mem_table_freed(&mem, IMS_PA_DATA_BASE), "not a table frame");
	cr_assert(!ims_mem_table_freed(&mem, b + (UINT64_C(1) << 30)), "never allocated");
	cr_assert_eq(ims_mem_alloc_table(&mem), a);
	cr_assert(!ims_mem_table_freed(&mem, a), "allocated again");
}

Test(mem, table_memory_is_close_to_8_bytes_per_pte)
{
	/* 4096 tables = 16 MiB of PTEs; index overhead must stay small */
	for (int i = 0; i < 4096; i++)
		ims_mem_alloc_table(&mem);
	cr_assert_eq(mem.frames_stored, 4096);
	cr_assert_eq(mem.nslabs, 4096 / 512);
}
