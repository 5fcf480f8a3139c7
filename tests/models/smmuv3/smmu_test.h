/* Shared setup for the SMMUv3 tests: one simulator, one 48-bit domain, one
 * attached device, with the model parameters a test asks for. */
#ifndef SMMU_TEST_H
#define SMMU_TEST_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/smmuv3/smmu_model.h"
#include "sim/host/host.h"

#define STAT(name) IMS_STAT_GET(&sim.stats, name)
#define RW (IMS_PROT_READ | IMS_PROT_WRITE)
#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define PA4K 0x300001000ull   /* a PA only 4 KiB aligned: every leaf is 4 KiB */

/* Model parameters a test varies; zero fields take the defaults. */
struct smmu_setup {
	unsigned stage;        /* 1 or 2 */
	int contig;            /* -1: default */
	int ril;
	int httu;
	int gap;
	int dbm_at_map;        /* -1: default */
	uint64_t max_ops;
	bool noncoherent;      /* the host adds no IMS_PROT_CACHE: the test's prot rules */
};

static struct ims_sim sim;
static bool sim_up;
static struct ims_error err;
static struct ims_domain *dom;
static struct ims_device *dev;

static inline void smmu_setup_with(const struct smmu_setup *s)
{
	struct ims_params p;

	memset(&err, 0, sizeof(err));
	ims_params_default(&p);
	if (s->stage)
		p.smmuv3_stage = s->stage;
	if (s->contig >= 0)
		p.smmuv3_contig = (uint64_t)s->contig;
	if (s->ril >= 0)
		p.smmuv3_ril = (uint64_t)s->ril;
	if (s->httu >= 0)
		p.smmuv3_httu = (uint64_t)s->httu;
	if (s->gap >= 0)
		p.smmuv3_linux_dirty_sync_gap = (uint64_t)s->gap;
	if (s->dbm_at_map >= 0)
		p.smmuv3_dbm_at_map = (uint64_t)s->dbm_at_map;
	if (s->max_ops)
		p.smmuv3_tlbi_max_ops = s->max_ops;
	cr_assert_eq(ims_sim_init(&sim, ims_model_find("smmuv3"), &p, &err), 0, "%s", err.msg);
	sim_up = true;
	cr_assert_eq(ims_host_domain_create_in(&sim, "d0", 48, NULL, s->noncoherent, &dom, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(ims_host_device_create(&sim, "dev0", 0x100, &dev, &err), 0, "%s", err.msg);
	cr_assert_eq(ims_host_attach(&sim, dev, dom, &err), 0, "%s", err.msg);
}

/* Designated initialisers after the defaults override them, on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"
#define SMMU_SETUP(...) smmu_setup_with(&(struct smmu_setup){ .contig = -1, .ril = -1, \
			.httu = -1, .gap = -1, .dbm_at_map = -1, __VA_ARGS__ })

static inline void setup_s1(void)
{
	SMMU_SETUP(.stage = 1);
}

static inline void setup_s2(void)
{
	SMMU_SETUP(.stage = 2);
}

static inline void teardown(void)
{
	if (sim_up)
		ims_sim_fini(&sim);
	sim_up = false;
}

static inline struct smmu_domain *sd(void)
{
	return smmu_dom(dom);
}

static inline void map(uint64_t iova, uint64_t len, unsigned prot)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, false, 0, prot, &err), 0, "%s", err.msg);
}

static inline void map_4k(uint64_t iova, uint64_t len, uint64_t pa)
{
	cr_assert_eq(ims_host_map(&sim, dom, iova, len, true, pa, RW, &err), 0, "%s", err.msg);
}

static inline uint64_t leaf(uint64_t iova)
{
	uint64_t d = 0;

	cr_assert_eq(smmu_debug_lookup(&sim, dom, iova, &d, NULL, NULL), 0,
		     "0x%llx is mapped", (unsigned long long)iova);
	return d;
}

static inline uint64_t leaf_pa(uint64_t iova)
{
	uint64_t pa = 0;

	cr_assert_eq(smmu_debug_lookup(&sim, dom, iova, NULL, NULL, &pa), 0);
	return pa;
}

static inline uint64_t entry(uint64_t iova, unsigned level)
{
	uint64_t d = 0;

	cr_assert_eq(smmu_debug_entry(&sim, dom, iova, level, &d, NULL), 0);
	return d;
}

static inline void poke_leaf(uint64_t iova, uint64_t d)
{
	ims_mem_store64(&sim.mem, leaf_pa(iova), d);
}

static inline bool dirty(uint64_t iova)
{
	return smmu_desc_write_dirty(sd()->st, leaf(iova));
}

static inline uint64_t refs_of(uint64_t iova, bool write)
{
	uint64_t before = STAT(walk_mem_refs);

	cr_assert_eq(ims_dma(&sim, dev, iova, 8, write), 0, "0x%llx translates",
		     (unsigned long long)iova);
	return STAT(walk_mem_refs) - before;
}

static inline void tracking(bool on)
{
	cr_assert_eq(ims_host_set_dirty_tracking(&sim, dom, on, &err), 0, "%s", err.msg);
}

static inline struct ims_dirty_bitmap read_dirty(uint64_t iova, uint64_t len, unsigned flags)
{
	struct ims_dirty_bitmap bm;

	cr_assert_eq(ims_host_read_dirty(&sim, dom, iova, len, 12, flags, &bm, &err), 0, "%s",
		     err.msg);
	return bm;
}

static inline unsigned popcount(const struct ims_dirty_bitmap *bm)
{
	unsigned n = 0;

	for (uint64_t i = 0; i < (bm->nbits + 63) / 64; i++)
		n += (unsigned)__builtin_popcountll(bm->bits[i]);
	return n;
}

static inline bool cached(uint64_t iova)
{
	return ims_iotlb_lookup(&sim.iotlb, dom->tlb_tag, iova) != NULL;
}

static inline struct smmu_iommu *iommu(void)
{
	return smmu_iommu(&sim);
}

#endif
