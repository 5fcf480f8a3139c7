/* The --check mode (sim/check.h): each invariant is broken on purpose and
 * must be reported, with the trace line; checking must not change results.
 * The rest of the suite runs with IMS_CHECK=1 (CMakeLists.txt), so every
 * other test is also a test that the invariants hold. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check.h"
#include "sim/host/host.h"
#include "sim/host/ioas.h"
#include "sim/run.h"

#define HEADER \
	"iommusim-trace 1\ndevice nic\ndomain vm\nattach nic vm\n" \
	"@0 map vm 0x100000 4M pa=0x300001000\n"

/* Run text with check mode on, on model with strategies st and the default
 * parameters but `param` (an assignment, or NULL); returns the run's
 * status, err its error. The simulator is finished either way. */
static int run_checked_with(const struct ims_model_ops *model, const struct ims_strategies *st,
			    const char *param, const char *text, struct ims_error *err,
			    struct ims_stats *stats)
{
	struct ims_trace_reader *r;
	struct ims_params p;
	struct ims_sim sim;
	int rc;

	ims_params_default(&p);
	if (param)
		cr_assert_eq(ims_params_set(&p, param, err), 0, "%s", err->msg);
	cr_assert_eq(ims_trace_open_mem(&r, "t.trace", text, strlen(text), err), 0, "%s",
		     err->msg);
	cr_assert_eq(ims_sim_init(&sim, model, &p, err), 0, "%s", err->msg);
	sim.check.on = true;
	rc = ims_run_trace(&sim, r, st, err);
	ims_trace_close(r);
	if (stats)
		*stats = sim.stats;
	ims_sim_fini(&sim);
	return rc;
}

static int run_checked(const struct ims_model_ops *model, const struct ims_strategies *st,
		       const char *text, struct ims_error *err, struct ims_stats *stats)
{
	return run_checked_with(model, st, NULL, text, err, stats);
}

static struct ims_strategies strategies(const char *spec)
{
	struct ims_strategies st;
	char bad[64];

	ims_strategies_default(&st);
	cr_assert_eq(ims_strategies_parse(&st, spec, bad, sizeof(bad)), 0, "%s", bad);
	return st;
}

static void expect_check_failure(int rc, const struct ims_error *err, uint64_t line,
				 const char *words)
{
	char buf[1024];

	cr_assert_eq(rc, -IMS_ECHECK, "want a check failure, got %d: %s", rc, err->msg);
	cr_assert_eq(err->line, line, "reported at line %llu: %s",
		     (unsigned long long)err->line, ims_error_format(err, buf, sizeof(buf)));
	cr_assert(strstr(err->msg, words), "message names the invariant: %s", err->msg);
}

/* ---- the IOTLB after a completed sync -------------------------------------- */

/* A model whose sync invalidates nothing: what the check exists to catch. */
static void sync_forgetting_everything(struct ims_sim *sim, struct ims_domain *dom,
				       const struct ims_gather *g)
{
	(void)sim;
	(void)dom;
	(void)g;
}

/* Every model, its iotlb_sync replaced by sync, runs text with check mode
 * on and stops at `line` with a message holding words and detail. */
static void caught_on_every_model(void (*sync)(struct ims_sim *, struct ims_domain *,
					       const struct ims_gather *),
				  const char *text, uint64_t line, const char *words,
				  const char *detail)
{
	struct ims_strategies st = strategies("clear+unmap");

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_model_ops broken = *ims_models[m];
		struct ims_error err = { 0 };

		broken.iotlb_sync = sync;
		expect_check_failure(run_checked(&broken, &st, text, &err, NULL), &err, line, words);
		cr_assert(strstr(err.msg, detail), "%s: %s", ims_models[m]->name, err.msg);
	}
}

Test(check, a_sync_that_keeps_an_unmapped_translation_is_caught)
{
	static const char trace[] = HEADER
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4M\n";

	caught_on_every_model(sync_forgetting_everything, trace, 7, "does not translate it",
			      "IOVA 0x100000");
}

/* The sync after a dirty-bit clear is skipped: the cached translation still
 * says dirty while the page table says clean (the bug NO_CLEAR is about). */
static void sync_skipping_dirty_clears(struct ims_sim *sim, struct ims_domain *dom,
				       const struct ims_gather *g)
{
	if (!g->dirty_clear)
		ims_model_find(sim->model->name)->iotlb_sync(sim, dom, g);
}

Test(check, a_cached_dirty_translation_after_a_clear_is_caught)
{
	static const char trace[] = HEADER
		"@1100000 dirty-tracking vm on\n"
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 get-dirty vm 0x100000 4M\n";

	caught_on_every_model(sync_skipping_dirty_clears, trace, 8, "the page table allows",
			      "RWD");
}

/* Every model runs text under strategy spec with check mode on, to the end,
 * having counted something in stat (what the run is about happened). */
static void clean_on_every_model(const char *spec, const char *text, enum ims_stat_id stat)
{
	struct ims_strategies st = strategies(spec);

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_error err = { 0 };
		struct ims_stats s;

		cr_assert_eq(run_checked(ims_models[m], &st, text, &err, &s), 0, "%s: %s",
			     ims_models[m]->name, err.msg);
		cr_assert_gt(s.v[stat], 0, "%s", ims_models[m]->name);
	}
}

Test(check, correct_models_pass_the_same_traces)
{
	static const char trace[] = HEADER
		"@1100000 dirty-tracking vm on\n"
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 get-dirty vm 0x100000 4M\n"
		"@1400000 dma nic write 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4M\n";

	clean_on_every_model("clear+unmap", trace, IMS_STAT_iotlb_syncs);
}

/* ---- strategy promises ------------------------------------------------------ */

/* The strategy of `axis` in st loses writes on vtd with text and is not
 * checked for it; claimed exact, the run stops at line `line`, naming the
 * kind of operation `what`. */
static void caught_when_claimed_exact(struct ims_strategies st, enum ims_strategy_axis axis,
				      const char *text, uint64_t line, const char *what)
{
	const struct ims_dirty_strategy **slot = axis == IMS_AXIS_UNMAP ? &st.unmap : &st.sync;
	struct ims_dirty_strategy claimed = **slot;
	struct ims_error err = { 0 };
	struct ims_stats s;

	cr_assert_eq(run_checked(ims_model_find("vtd"), &st, text, &err, &s), 0, "%s", err.msg);
	cr_assert_gt(IMS_STAT_GET(&s, dirty_pages_missed), 0, "%s loses a write", claimed.name);
	claimed.exact = true;
	*slot = &claimed;
	expect_check_failure(run_checked(ims_model_find("vtd"), &st, text, &err, NULL), &err,
			     line, what);
}

/* The race of test_race.c: a write lands between the dirty read and the
 * unmap. clear+unmap loses it, as documented; claimed exact, it is caught.
 * The exact strategies hold on every model. */
Test(check, a_strategy_claimed_exact_that_misses_a_write_is_caught)
{
	static const char trace[] = HEADER
		"@1100000 dirty-tracking vm on\n"
		"@1200000 dma nic write 0x100000 64\n"
		"@1300000 dirty-unmap vm 0x100000 4M\n"
		"@1305900 dma nic write 0x4ff000 64\n";
	static const char *const exact[] = { "wrprotect+unmap", "unmap-all-dirty" };

	caught_when_claimed_exact(strategies("clear+unmap"), IMS_AXIS_UNMAP, trace, 8,
				  "dirty-unmap missed 1 dirty pages");
	for (unsigned m = 0; m < ims_model_count; m++)
		for (unsigned k = 0; k < 2; k++) {
			struct ims_strategies st = strategies(exact[k]);
			struct ims_error err = { 0 };

			cr_assert_eq(run_checked(ims_models[m], &st, trace, &err, NULL), 0,
				     "%s/%s: %s", ims_models[m]->name, exact[k], err.msg);
		}
}

/* sync-noflush loses rewrites through cached dirty translations
 * (test_strategies.c); claimed exact, a pre-copy round finds them (rounds
 * are reported at their precopy line). */
Test(check, rounds_claimed_exact_without_the_flush_are_caught)
{
	static const char trace[] = HEADER
		"@1100000 dirty-tracking vm on\n"
		"@1200000 precopy vm period=2000000\n"
		"@1300000 dma nic write 0x100000 64\n"
		"@3500000 dma nic write 0x100000 64\n"
		"@9000000 stop-copy vm\n";

	caught_when_claimed_exact(strategies("sync-noflush"), IMS_AXIS_SYNC, trace, 7,
				  "a dirty-sync round missed");
}

Test(check, an_unsafe_coherency_strategy_claimed_safe_is_caught)
{
	char path[512];
	FILE *f;
	static char text[1 << 16];
	size_t n;
	struct ims_strategies st = strategies("none");
	struct ims_dirty_strategy claimed = *st.coherency;
	struct ims_error err = { 0 };
	int rc;

	snprintf(path, sizeof(path), "%s/traces/noncoherent/five-step.trace", IMS_SOURCE_DIR);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	cr_assert_eq(run_checked(ims_model_find("vtd"), &st, text, &err, NULL), 0, "%s", err.msg);
	claimed.safe = true;
	st.coherency = &claimed;
	rc = run_checked(ims_model_find("vtd"), &st, text, &err, NULL);
	cr_assert_eq(rc, -IMS_ECHECK, "%s", err.msg);
	cr_assert(strstr(err.msg, "stale lines exposed"), "%s", err.msg);
	cr_assert_gt(err.line, 0, "names the event that exposed them");
}

/* A DMA through the IOTLB after a lazy unmap returned (line 8): lazy runs
 * clean, but claimed safe the check stops at that DMA. */
Test(check, an_unsafe_unmap_flush_strategy_claimed_safe_is_caught)
{
	static const char trace[] = HEADER
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4K\n"
		"@2100000 dma nic read 0x100000 64\n";
	struct ims_strategies st = strategies("lazy");
	struct ims_dirty_strategy claimed = *st.unmap_flush;
	struct ims_error err = { 0 };
	struct ims_stats s;

	for (unsigned m = 0; m < ims_model_count; m++) {
		st.unmap_flush = ims_dirty_strategy_find("lazy");
		cr_assert_eq(run_checked(ims_models[m], &st, trace, &err, &s), 0, "%s", err.msg);
		cr_assert_eq(IMS_STAT_GET(&s, stale_dmas), 1, "%s", ims_models[m]->name);
		claimed.safe = true;
		st.unmap_flush = &claimed;
		expect_check_failure(run_checked(ims_models[m], &st, trace, &err, NULL), &err, 8,
				     "reached pages after their unmap returned");
	}
}

/* A flush_iotlb_all that drops nothing leaves the lazy unmap's flagged
 * entry behind: caught when the queue's timer flushes it (at the end of
 * the trace, reported at its last line). */
static void flush_all_forgetting(struct ims_sim *sim, struct ims_domain *dom)
{
	(void)dom;
	IMS_STAT_INC(&sim->stats, iotlb_syncs);
}

Test(check, a_flush_queue_flush_that_leaves_flagged_entries_is_caught)
{
	static const char trace[] = HEADER
		"@1000000 dma nic read 0x100000 64\n"
		"@2000000 unmap vm 0x100000 4K\n";
	struct ims_strategies st = strategies("lazy");
	struct ims_error err = { 0 };

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_model_ops broken = *ims_models[m];

		broken.iotlb_flush_all = flush_all_forgetting;
		cr_assert_eq(run_checked(ims_models[m], &st, trace, &err, NULL), 0, "%s", err.msg);
		expect_check_failure(run_checked(&broken, &st, trace, &err, NULL), &err, 7,
				     "still carries flag 0x10");
	}
}

/* ---- paging-structure caches after a completed sync ------------------------ */

/* A DMA caches the walk down to the leaf table of [0x200000, 0x3fffff]
 * (a level-1 entry); unmapping those 2 MiB frees that table. */
#define PSC_TRACE HEADER \
	"@1000000 dma nic read 0x200000 64\n" \
	"@2000000 unmap vm 0x200000 2M\n"

/* AMD: PDE=1 only when tables were freed, as the other models do. */
#define PDE_WHEN_FREED "amdv1_inv_pde_always=0"

/* A sync that loses the gather's tables_freed: the invalidation keeps the
 * walk caches (VT-d IH=1, AMD PDE=0, SMMUv3 Leaf=1), right only when no
 * table was freed. */
static void sync_keeping_walk_caches(struct ims_sim *sim, struct ims_domain *dom,
				     const struct ims_gather *g)
{
	struct ims_gather leaf_only = *g;

	leaf_only.tables_freed = false;
	ims_model_find(sim->model->name)->iotlb_sync(sim, dom, &leaf_only);
}

/* On every model: the model runs PSC_TRACE clean under strategy spec and
 * param (or NULL), stat counting something; with one op replaced by
 * breaks, the run stops at the unmap's line, naming the entry (domain,
 * IOVA, level) and the freed table it points at. */
static void psc_bug_caught(const char *spec, const char *param, enum ims_stat_id stat,
			   void (*breaks)(struct ims_model_ops *))
{
	struct ims_strategies st = strategies(spec);

	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_model_ops broken = *ims_models[m];
		struct ims_error err = { 0 };
		struct ims_stats s;

		cr_assert_eq(run_checked_with(ims_models[m], &st, param, PSC_TRACE, &err, &s), 0,
			     "%s: %s", ims_models[m]->name, err.msg);
		cr_assert_gt(s.v[stat], 0, "%s", ims_models[m]->name);
		breaks(&broken);
		expect_check_failure(run_checked_with(&broken, &st, param, PSC_TRACE, &err, NULL),
				     &err, 7, "paging-structure cache entry of domain 'vm' for "
				     "IOVA 0x200000 at level 1 points at the page-table page");
		cr_assert(strstr(err.msg, "which was freed"), "%s: %s", ims_models[m]->name,
			  err.msg);
	}
}

static void break_sync(struct ims_model_ops *ops)
{
	ops->iotlb_sync = sync_keeping_walk_caches;
}

Test(check, a_sync_that_keeps_a_walk_cache_entry_of_a_freed_table_is_caught)
{
	psc_bug_caught("clear+unmap", PDE_WHEN_FREED, IMS_STAT_inv_psc_dropped, break_sync);
}

/* Every level's entries, to put back what an invalidation dropped. */
struct psc_copy {
	struct ims_psc_entry *e[IMS_PSC_LEVELS + 1];
};

static size_t psc_level_bytes(const struct ims_psc_level *l)
{
	return l->e ? ((size_t)l->nsets_mask + 1) * l->ways * sizeof(*l->e) : 0;
}

static void psc_save(const struct ims_psc *c, struct psc_copy *out)
{
	for (unsigned lv = 1; lv <= IMS_PSC_LEVELS; lv++) {
		size_t n = psc_level_bytes(&c->lvl[lv]);

		out->e[lv] = n ? malloc(n) : NULL;
		if (n)
			memcpy(out->e[lv], c->lvl[lv].e, n);
	}
}

static void psc_restore(struct ims_psc *c, struct psc_copy *saved)
{
	for (unsigned lv = 1; lv <= IMS_PSC_LEVELS; lv++) {
		if (saved->e[lv])
			memcpy(c->lvl[lv].e, saved->e[lv], psc_level_bytes(&c->lvl[lv]));
		free(saved->e[lv]);
	}
}

/* The lazy queue's flush_iotlb_all that invalidates the IOTLB and ATCs
 * but leaves the walk caches as they were. */
static void flush_all_keeping_walk_caches(struct ims_sim *sim, struct ims_domain *dom)
{
	struct psc_copy saved;

	psc_save(&sim->psc, &saved);
	ims_model_find(sim->model->name)->iotlb_flush_all(sim, dom);
	psc_restore(&sim->psc, &saved);
}

static void break_flush_all(struct ims_model_ops *ops)
{
	ops->iotlb_flush_all = flush_all_keeping_walk_caches;
}

/* Lazy: the unmap leaves the entry pointing at the table it unlinked (the
 * queue keeps it); the queue's flush at the end of the trace must drop it
 * before the table goes back to the allocator. */
Test(check, a_lazy_flush_that_keeps_a_walk_cache_entry_is_caught)
{
	psc_bug_caught("lazy", NULL, IMS_STAT_fq_tables_deferred, break_flush_all);
}

/* A device attached while the lazy unmap waits in its queue (an attach is
 * checked over the whole domain): the walk cache still points at the
 * table the unmap unlinked, which is the queue's until its flush. */
Test(check, walk_cache_entries_of_a_queued_unmap_wait_for_its_flush)
{
	static const char trace[] = "iommusim-trace 1\ndevice nic\ndevice nic2\ndomain vm\n"
		"attach nic vm\n@0 map vm 0x100000 4M pa=0x300001000\n"
		"@1000000 dma nic read 0x200000 64\n"
		"@2000000 unmap vm 0x200000 2M\n"
		"@2100000 attach nic2 vm\n";

	clean_on_every_model("lazy", trace, IMS_STAT_fq_tables_deferred);
}

/* A simulator with check mode on, domain 'vm' with 4 MiB of 4 KiB pages
 * mapped at 0x200000 and device 'nic' attached, whose DMAs have filled the
 * walk caches for both leaf tables. */
static struct ims_domain *psc_rig(struct ims_sim *sim, const struct ims_model_ops *model)
{
	struct ims_error err = { 0 };
	struct ims_domain *dom;
	struct ims_device *dev;
	struct ims_params p;

	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(sim, model, &p, &err), 0, "%s", err.msg);
	sim->check.on = true;
	cr_assert_eq(ims_host_domain_create(sim, "vm", 48, &dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_device_create(sim, "nic", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(sim, dev, dom, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_map(sim, dom, 0x200000, 4 << 20, true, 0x300001000,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_dma(sim, dev, 0x200000, 64, false), 0);
	cr_assert_eq(ims_dma(sim, dev, 0x400000, 64, false), 0);
	return dom;
}

static struct ims_psc_entry *level1_entry(struct ims_sim *sim, const struct ims_domain *dom,
					  uint64_t iova)
{
	struct ims_psc_entry *e = ims_psc_lookup(&sim->psc, 1, dom->tlb_tag, iova);

	cr_assert_not_null(e, "%s: the DMA cached the walk", sim->model->name);
	return e;
}

/* body, on every model's psc_rig; what it breaks in the level-1 entry of
 * iova is put back before the simulator is finished. */
static void on_every_rig(uint64_t iova, void (*body)(struct ims_sim *, struct ims_domain *,
						      struct ims_psc_entry *))
{
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_sim sim;
		struct ims_domain *dom = psc_rig(&sim, ims_models[m]);
		struct ims_psc_entry *e = level1_entry(&sim, dom, iova);
		struct ims_psc_entry good = *e;

		ims_check_psc(&sim, dom, 0, UINT64_MAX);
		cr_assert(!sim.check.failed, "%s: %s", ims_models[m]->name, sim.check.msg);
		body(&sim, dom, e);
		*e = good;
		ims_sim_fini(&sim);
	}
}

static void wrong_table_and_rights(struct ims_sim *sim, struct ims_domain *dom,
				   struct ims_psc_entry *e)
{
	struct ims_psc_entry good = *e;

	e->table_pa = level1_entry(sim, dom, 0x400000)->table_pa;
	ims_check_psc(sim, dom, 0x200000, 0x200fff);
	cr_assert(sim->check.failed, "%s: a wrong table went unnoticed", sim->model->name);
	cr_assert(strstr(sim->check.msg, "entry of domain 'vm' for IOVA 0x200000 at level 1 "
			 "(the level-0 table at PA"), "%s", sim->check.msg);
	cr_assert(strstr(sim->check.msg, "the page table points at the level-0 table at PA"),
		  "%s", sim->check.msg);
	*e = good;
	e->perm = IMS_TLB_R;
	sim->check.failed = false;
	ims_check_psc(sim, dom, 0, UINT64_MAX);
	cr_assert(sim->check.failed, "%s: lost write permission", sim->model->name);
	cr_assert(strstr(sim->check.msg, ", R-) after"), "%s", sim->check.msg);
	cr_assert(strstr(sim->check.msg, ", RW"), "%s", sim->check.msg);
}

/* A cached entry whose next-table address or rights differ from the page
 * table's, the table it names still live: the check compares, it does not
 * only look for freed pages. */
Test(check, a_walk_cache_entry_that_disagrees_with_the_page_table_is_caught)
{
	on_every_rig(0x200000, wrong_table_and_rights);
}

static void no_rights_outside(struct ims_sim *sim, struct ims_domain *dom,
			      struct ims_psc_entry *e)
{
	e->perm = 0;
	ims_check_psc(sim, dom, 0x200000, 0x3fffff);
	cr_assert(!sim->check.failed, "%s: %s", sim->model->name, sim->check.msg);
	ims_check_psc(sim, dom, 0x3ff000, 0x400fff);
	cr_assert(sim->check.failed, "%s", sim->model->name);
	cr_assert(strstr(sim->check.msg, "IOVA 0x400000 at level 1"), "%s", sim->check.msg);
}

/* Outside the synced range only freed tables count: a level-1 entry for
 * 0x400000 is not held against the table after a sync of 0x200000. */
Test(check, the_walk_caches_are_compared_over_the_synced_range_only)
{
	on_every_rig(0x400000, no_rights_outside);
}

/* ---- pin counts and page-table pages -------------------------------------- */

Test(check, a_wrapped_pin_count_is_caught)
{
	struct ims_strategies st = strategies("clear+unmap");
	struct ims_error err = { 0 };
	struct ims_params p;
	struct ims_sim sim;
	struct ims_domain *dom;
	struct ims_pages *pages;

	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("vtd"), &p, &err), 0, "%s", err.msg);
	sim.check.on = true;
	cr_assert_eq(ims_host_domain_create_in(&sim, "d", 48, NULL, false, &dom, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ims_host_map(&sim, dom, 0x100000, 0x10000, false, 0,
				  IMS_PROT_READ | IMS_PROT_WRITE, &err), 0, "%s", err.msg);
	ims_check_begin(&sim);
	cr_assert_eq(ims_check_end(&sim, IMS_CHECK_OP_HOST, &st, &err), 0, "%s", err.msg);
	pages = dom->own_ioas->area[0].pages;
	cr_assert_gt(pages->nseg, 0, "a domain's pages are pinned");
	pages->seg[0].count -= 2;   /* one unpin too many, wrapped */
	ims_check_begin(&sim);
	cr_assert_eq(ims_check_end(&sim, IMS_CHECK_OP_HOST, &st, &err), -IMS_ECHECK);
	cr_assert(strstr(err.msg, "below zero"), "%s", err.msg);
	pages->seg[0].count += 2;
	ims_sim_fini(&sim);
}

/* A model that leaks a table: the domain's destruction must not pass. */
Test(check, a_domain_destroyed_with_tables_left_aborts, .signal = SIGABRT)
{
	struct ims_error err = { 0 };
	struct ims_params p;
	struct ims_sim sim;
	struct ims_domain *dom;

	ims_params_default(&p);
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("amdv1"), &p, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_domain_create_in(&sim, "d", 48, NULL, false, &dom, &err), 0, "%s",
		     err.msg);
	cr_assert_neq(ims_host_alloc_table(&sim, dom), 0);   /* linked nowhere */
	ims_sim_fini(&sim);
}

/* ---- checking changes nothing ----------------------------------------------- */

Test(check, results_are_the_same_with_and_without_it)
{
	char path[512];
	struct ims_strategies st = strategies("noclear+unmap");

	snprintf(path, sizeof(path), "%s/traces/corpus/migration-churn.elf", IMS_SOURCE_DIR);
	for (unsigned m = 0; m < ims_model_count; m++) {
		struct ims_stats with, without;
		struct ims_params p;
		struct ims_sim sim;
		struct ims_error err = { 0 };

		ims_params_default(&p);
		ims_check_set_default(true);
		cr_assert_eq(ims_run_file(&sim, path, ims_models[m], &p, &st, &err), 0, "%s",
			     err.msg);
		cr_assert(sim.check.on);
		with = sim.stats;
		ims_sim_fini(&sim);
		ims_check_set_default(false);
		cr_assert_eq(ims_run_file(&sim, path, ims_models[m], &p, &st, &err), 0, "%s",
			     err.msg);
		cr_assert(!sim.check.on);
		without = sim.stats;
		ims_sim_fini(&sim);
		cr_assert(!memcmp(&with, &without, sizeof(with)), "%s", ims_models[m]->name);
	}
}

Test(check, the_environment_turns_it_on)
{
	setenv("IMS_CHECK", "0", 1);
	cr_assert(!ims_check_default());
	setenv("IMS_CHECK", "", 1);
	cr_assert(!ims_check_default());
	setenv("IMS_CHECK", "1", 1);
	cr_assert(ims_check_default(), "as iommusim --check sets it");
	unsetenv("IMS_CHECK");
	cr_assert(!ims_check_default());
}
