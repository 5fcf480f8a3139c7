/* The coherency strategies on the bundled non-coherent scenarios
 * (traces/noncoherent/), on every model: how many flushes and lines each
 * strategy costs, and that every strategy but `none` exposes nothing.
 * The five-step and shared-pages numbers are worked out by hand in
 * docs/noncoherent.md; gpu and churn follow from their generator's shape. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "replay.h"

#define S(st, name) IMS_STAT_GET(&(st), name)
#define ALL (~UINT64_C(0))   /* "any non-zero" in an expectation */

static struct ims_stats run_file(const struct ims_model_ops *model, const char *coherency,
				 const char *file)
{
	struct ims_error err = { 0 };
	struct ims_trace_reader *r;
	char path[512];

	snprintf(path, sizeof(path), "%s/traces/noncoherent/%s", IMS_SOURCE_DIR, file);
	cr_assert_eq(ims_trace_open(&r, path, &err), 0, "%s", err.msg);
	return replay(model, coherency, r);
}

struct expect {
	char file[24];
	char strategy[16];
	uint64_t flushes, lines, written_back, redundant;
	uint64_t dev_stale, host_stale;   /* ALL: some, exact count not asserted */
	uint64_t forced_snoop_lines;
};

/* five-step: 64 KiB (1024 lines), 64 of them cleaned by the NIC's snooped
 * write before the non-coherent domain arrives; the GPU reads all (960
 * dirty) and writes 256. shared-pages: 1 MiB (16384 lines) and its pieces. */
static const struct expect expects[] = {
	{ "five-step.trace", "none", 0, 0, 0, 0, 960, 256, 0 },
	{ "five-step.trace", "eager", 2, 2048, 960, 1088, 0, 0, 0 },
	{ "five-step.trace", "sticky-unpin", 2, 2048, 960, 64, 0, 0, 0 },
	{ "five-step.trace", "storage-aware", 2, 2048, 960, 1088, 0, 0, 0 },
	{ "five-step.trace", "vfio-type1", 2, 2048, 960, 64, 0, 0, 0 },
	{ "five-step.trace", "force-coherent", 0, 0, 0, 0, 0, 0, 1280 },
	{ "shared-pages.trace", "none", 0, 0, 0, 0, 8192, 8192, 0 },
	{ "shared-pages.trace", "eager", 8, 65536, 16384, 49152, 0, 0, 0 },
	{ "shared-pages.trace", "sticky-unpin", 4, 32768, 16384, 12288, 0, 0, 0 },
	{ "shared-pages.trace", "storage-aware", 7, 49152, 16384, 32768, 0, 0, 0 },
	{ "shared-pages.trace", "vfio-type1", 5, 49152, 16384, 28672, 0, 0, 0 },
	{ "shared-pages.trace", "force-coherent", 0, 0, 0, 0, 0, 0, 24576 },
	/* gpu: 256 MiB (4 Mi lines) flushed twice, once when dirty from zeroing */
	{ "gpu.trace", "none", 0, 0, 0, 0, ALL, ALL, 0 },
	{ "gpu.trace", "eager", 16, 8388608, 4194304, 4194304, 0, 0, 0 },
	{ "gpu.trace", "sticky-unpin", 16, 8388608, 4194304, 4194304, 0, 0, 0 },
	{ "gpu.trace", "storage-aware", 16, 8388608, 4194304, 4194304, 0, 0, 0 },
	{ "gpu.trace", "vfio-type1", 16, 8388608, 4194304, 4194304, 0, 0, 0 },
	{ "gpu.trace", "force-coherent", 0, 0, 0, 0, 0, 0, ALL },
	/* churn: 400 requests of 64 KiB (1024 lines), two flushes each; the
	 * 32 pool buffers (32768 lines) are zeroed, so dirty, only once */
	{ "churn.trace", "none", 0, 0, 0, 0, ALL, ALL, 0 },
	{ "churn.trace", "eager", 800, 819200, 32768, 786432, 0, 0, 0 },
	{ "churn.trace", "sticky-unpin", 800, 819200, 32768, 786432, 0, 0, 0 },
	{ "churn.trace", "storage-aware", 800, 819200, 32768, 786432, 0, 0, 0 },
	{ "churn.trace", "vfio-type1", 800, 819200, 32768, 786432, 0, 0, 0 },
	{ "churn.trace", "force-coherent", 0, 0, 0, 0, 0, 0, ALL },
};

static void expect_eq(uint64_t got, uint64_t want, const struct expect *e, const char *what,
		      const char *model)
{
	if (want == ALL)
		cr_assert_gt(got, 0, "%s %s %s: some %s", e->file, e->strategy, model, what);
	else
		cr_assert_eq(got, want, "%s %s %s: %s %llu, want %llu", e->file, e->strategy,
			     model, what, (unsigned long long)got, (unsigned long long)want);
}

ParameterizedTestParameters(noncoherent, scenario_flushes_and_exposures)
{
	return cr_make_param_array(struct expect, expects, sizeof(expects) / sizeof(expects[0]));
}

ParameterizedTest(const struct expect *e, noncoherent, scenario_flushes_and_exposures)
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		const char *name = ims_models[m]->name;
		struct ims_stats s = run_file(ims_models[m], e->strategy, e->file);
		uint64_t flushed = S(s, cache_lines_flushed);

		cr_assert_eq(S(s, faults), 0, "%s %s: the scenario must not fault", e->file, name);
		expect_eq(S(s, cache_flushes), e->flushes, e, "flushes", name);
		expect_eq(flushed, e->lines, e, "lines flushed", name);
		expect_eq(S(s, cache_lines_written_back), e->written_back, e, "written back", name);
		expect_eq(S(s, cache_flush_redundant), e->redundant, e, "redundant", name);
		cr_assert_eq(S(s, cache_lines_written_back) + S(s, cache_lines_dropped) +
			     S(s, cache_flush_redundant), flushed, "every flushed line is one kind");
		expect_eq(S(s, exposure_dma_stale_read), e->dev_stale, e, "device stale reads", name);
		expect_eq(S(s, exposure_host_stale_read), e->host_stale, e, "host stale reads",
			  name);
		cr_assert_eq(S(s, exposures),
			     S(s, exposure_dma_stale_read) + S(s, exposure_host_stale_read));
		expect_eq(S(s, dma_forced_snoop_lines), e->forced_snoop_lines, e,
			  "force-snooped lines", name);
		/* forced snooping replaces non-snooped DMA line for line */
		if (!strcmp(e->strategy, "force-coherent"))
			cr_assert_eq(S(s, dma_nonsnooped_lines), 0);
		else
			cr_assert_gt(S(s, dma_nonsnooped_lines), 0);
	}
}

/* The flush cost follows the flush instruction: clflushopt lines plus one
 * fence per flush, or clflush lines. */
Test(noncoherent, flush_cycles_follow_the_instruction)
{
	struct ims_stats s = run_file(ims_models[0], "eager", "five-step.trace");
	struct ims_params p;

	ims_params_default(&p);
	cr_assert_eq(p.cpu_flush_insn_opt, 1, "clflushopt by default");
	cr_assert_eq(S(s, cyc_cache_flush), 2048 * p.cpu_clflushopt_line_cycles +
		     2 * p.cpu_sfence_cycles);
}
