/* QEMU vIOMMU translation events into a trace (docs/converters.md).
 *
 * Input: a QEMU -trace log written by the log backend, one event a line,
 * "NAME ARGS" or, with -msg timestamp=on, "PID@SECONDS.MICROS:NAME ARGS"
 * (scripts/tracetool/backend/log.py). The events and their printf formats
 * are those of hw/i386/trace-events (intel_iommu.c, amd_iommu.c) and
 * hw/arm/trace-events (smmuv3.c):
 *
 *   vtd_dmar_translate        dev %02x:%02x.%02x iova 0x%PRIx64 -> gpa 0x%PRIx64 mask 0x%PRIx64
 *   vtd_iotlb_page_hit        IOTLB page hit sid 0x%PRIx16 iova 0x%PRIx64 slpte 0x%PRIx64 domain 0x%PRIx16
 *   vtd_iotlb_page_update     IOTLB page update sid 0x%PRIx16 iova 0x%PRIx64 slpte 0x%PRIx64 domain 0x%PRIx16
 *   vtd_dmar_fault            sid 0x%PRIx16 fault %d addr 0x%PRIx64 write %d
 *   vtd_translate_pt          source id 0x%PRIx16, iova 0x%PRIx64
 *   amdvi_translation_result  devid: %02x:%02x.%x gpa 0x%PRIx64 hpa 0x%PRIx64
 *   amdvi_iotlb_hit           hit iotlb devid %02x:%02x.%x gpa 0x%PRIx64 hpa 0x%PRIx64
 *   amdvi_cache_update         update iotlb domid 0x%PRIx16 devid: %02x:%02x.%x gpa 0x%PRIx64 hpa 0x%PRIx64
 *   smmuv3_translate_success  %s sid=%d iova=0x%PRIx64 translated=0x%PRIx64 perm=0x%x
 *                             (later: sid=0x%x; since the 2024 nested-translation
 *                             series also " stage=%d" after perm)
 *   smmuv3_translate_abort    %s sid=%d abort on iova:0x%PRIx64 is_write=%d
 *   smmuv3_translate_bypass   %s sid=%d STE bypass iova:0x%PRIx64 is_write=%d
 *   smmuv3_translate_disable  %s sid=%d bypass (smmu disabled) iova:0x%PRIx64 is_write=%d
 *
 * Every translation is one DMA of the device at the IOVA. The page must
 * be mapped for the DMA to replay, so the input is read three times:
 * which events are there, then the declarations and a map per page seen
 * (all at the start, the guest's mappings existed before its DMA), then
 * the DMAs at their times after the maps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/convert/cv.h"
#include "models/model.h"

#define PAGE_LG2 12
#define PAGE_SIZE (UINT64_C(1) << PAGE_LG2)
#define PA_LIMIT (UINT64_C(1) << IMS_TRACE_PA_LIMIT_LG2)
#define NAME_MAX_CHARS 48

enum family { FAM_VTD, FAM_AMDVI, FAM_SMMUV3, FAM_COUNT };

/* What an event line says. */
enum role {
	ROLE_XLATE,       /* a translation the IOMMU model completed: one DMA */
	ROLE_IOTLB,       /* the IOTLB lookup of one: a DMA only if the log has no ROLE_XLATE */
	ROLE_FAULT,       /* a translation that failed: one DMA that faults */
	ROLE_IGNORE,      /* bypass: no translation */
};

struct access {
	enum family fam;
	enum role role;
	uint16_t sid;
	uint64_t iova;
	bool has_pa;
	uint64_t pa;
	int dir;          /* 0 read, 1 write, -1 not said */
	uint8_t prot;     /* of the page, for its map */
};

/* A page a domain maps: key (dom, iova page). */
struct page {
	uint64_t pfn;
	uint32_t dom;
	bool used;
	uint64_t pa;
};

struct qm {
	struct cv cv;
	struct ims_qemu_opts o;
	struct page *page;
	size_t page_mask, npages;
	bool has_xlate[FAM_COUNT];
	int pass;               /* 1 scan, 2 declarations and maps, 3 DMAs */
};

typedef bool (*parse_fn)(const char *p, struct access *a);

/* --- field formats ------------------------------------------------------------ */

static bool bdf(const char **p, uint16_t *sid)
{
	uint64_t bus, slot, fn;

	if (!cv_xdigits(p, &bus) || !cv_lit(p, ":") || !cv_xdigits(p, &slot) ||
	    !cv_lit(p, ".") || !cv_xdigits(p, &fn) || bus > 0xff || slot > 0x1f || fn > 7)
		return false;
	*sid = (uint16_t)(bus << 8 | slot << 3 | fn);
	return true;
}

static bool hex16(const char **p, uint16_t *out)
{
	uint64_t v;

	if (!cv_hex(p, &v) || v > 0xffff)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* " WORD" then optional blanks: the fixed words of a format */
static bool lit(const char **p, const char *s)
{
	cv_blanks(p);
	return cv_lit(p, s);
}

static bool flag01(const char **p, int *out)
{
	uint64_t v;

	if (!cv_dec(p, &v) || v > 1)
		return false;
	*out = (int)v;
	return true;
}

static bool vtd_dmar_translate(const char *p, struct access *a)
{
	uint64_t mask;

	a->role = ROLE_XLATE;
	a->has_pa = true;
	return lit(&p, "dev") && (cv_blanks(&p), bdf(&p, &a->sid)) && lit(&p, "iova") &&
	       (cv_blanks(&p), cv_hex(&p, &a->iova)) && lit(&p, "->") && lit(&p, "gpa") &&
	       (cv_blanks(&p), cv_hex(&p, &a->pa)) && lit(&p, "mask") &&
	       (cv_blanks(&p), cv_hex(&p, &mask)) && cv_at_end(&p);
}

static bool vtd_iotlb(const char *p, struct access *a, const char *what)
{
	uint64_t slpte;
	uint16_t domain;

	a->role = ROLE_IOTLB;
	return lit(&p, "IOTLB page") && lit(&p, what) && lit(&p, "sid") &&
	       (cv_blanks(&p), hex16(&p, &a->sid)) && lit(&p, "iova") &&
	       (cv_blanks(&p), cv_hex(&p, &a->iova)) && lit(&p, "slpte") &&
	       (cv_blanks(&p), cv_hex(&p, &slpte)) && lit(&p, "domain") &&
	       (cv_blanks(&p), hex16(&p, &domain)) && cv_at_end(&p);
}

static bool vtd_iotlb_page_hit(const char *p, struct access *a)
{
	return vtd_iotlb(p, a, "hit");
}

static bool vtd_iotlb_page_update(const char *p, struct access *a)
{
	return vtd_iotlb(p, a, "update");
}

static bool vtd_dmar_fault(const char *p, struct access *a)
{
	uint64_t fault;

	a->role = ROLE_FAULT;
	return lit(&p, "sid") && (cv_blanks(&p), hex16(&p, &a->sid)) && lit(&p, "fault") &&
	       (cv_blanks(&p), cv_dec(&p, &fault)) && lit(&p, "addr") &&
	       (cv_blanks(&p), cv_hex(&p, &a->iova)) && lit(&p, "write") &&
	       (cv_blanks(&p), flag01(&p, &a->dir)) && cv_at_end(&p);
}

static bool vtd_translate_pt(const char *p, struct access *a)
{
	a->role = ROLE_IGNORE;
	return lit(&p, "source id") && (cv_blanks(&p), hex16(&p, &a->sid)) && cv_lit(&p, ",") &&
	       lit(&p, "iova") && (cv_blanks(&p), cv_hex(&p, &a->iova)) && cv_at_end(&p);
}

/* "gpa 0x... hpa 0x...": hpa 0 is what amdvi_translate reports for a
 * translation that failed (its IOMMUTLBEntry starts zeroed). */
static bool amdvi_gpa_hpa(const char **p, struct access *a)
{
	if (!lit(p, "gpa") || (cv_blanks(p), !cv_hex(p, &a->iova)) || !lit(p, "hpa") ||
	    (cv_blanks(p), !cv_hex(p, &a->pa)) || !cv_at_end(p))
		return false;
	a->has_pa = true;
	return true;
}

static bool amdvi_translation_result(const char *p, struct access *a)
{
	a->role = ROLE_XLATE;
	if (!lit(&p, "devid:") || (cv_blanks(&p), !bdf(&p, &a->sid)) || !amdvi_gpa_hpa(&p, a))
		return false;
	if (!a->pa) {
		a->role = ROLE_FAULT;
		a->has_pa = false;
	}
	return true;
}

static bool amdvi_iotlb_hit(const char *p, struct access *a)
{
	a->role = ROLE_IOTLB;
	return lit(&p, "hit iotlb devid") && (cv_blanks(&p), bdf(&p, &a->sid)) &&
	       amdvi_gpa_hpa(&p, a);
}

static bool amdvi_cache_update(const char *p, struct access *a)
{
	uint16_t domid;

	a->role = ROLE_IOTLB;
	return lit(&p, "update iotlb domid") && (cv_blanks(&p), hex16(&p, &domid)) &&
	       lit(&p, "devid:") && (cv_blanks(&p), bdf(&p, &a->sid)) && amdvi_gpa_hpa(&p, a);
}

/* "%s sid=N": the memory region's name, the stream ID in decimal (or 0x
 * hex in later versions) */
static bool smmu_sid(const char **p, struct access *a)
{
	char mr[CV_LINE_MAX];
	uint64_t sid;

	cv_blanks(p);
	if (!cv_word(p, mr, sizeof(mr)) || !lit(p, "sid="))
		return false;
	if (!cv_hex(p, &sid) && !cv_dec(p, &sid))
		return false;
	if (sid > 0xffff)
		return false;
	a->sid = (uint16_t)sid;
	return true;
}

static bool smmuv3_translate_success(const char *p, struct access *a)
{
	uint64_t perm, stage;

	a->role = ROLE_XLATE;
	a->has_pa = true;
	if (!smmu_sid(&p, a) || !lit(&p, "iova=") || !cv_hex(&p, &a->iova) ||
	    !lit(&p, "translated=") || !cv_hex(&p, &a->pa) || !lit(&p, "perm=") ||
	    !cv_hex(&p, &perm) || perm > 3)
		return false;
	if (lit(&p, "stage=") && !cv_dec(&p, &stage))
		return false;
	/* IOMMUAccessFlags: IOMMU_RO 1, IOMMU_WO 2, IOMMU_RW 3, of the page */
	a->prot = perm ? (uint8_t)perm : IMS_PROT_READ | IMS_PROT_WRITE;
	a->dir = perm == 1 ? 0 : perm == 2 ? 1 : -1;
	return cv_at_end(&p);
}

static bool smmu_after_iova(const char **p, struct access *a)
{
	return lit(p, "iova:") && cv_hex(p, &a->iova) && lit(p, "is_write=") &&
	       flag01(p, &a->dir) && cv_at_end(p);
}

static bool smmuv3_translate_abort(const char *p, struct access *a)
{
	a->role = ROLE_FAULT;
	return smmu_sid(&p, a) && lit(&p, "abort on") && smmu_after_iova(&p, a);
}

static bool smmuv3_translate_bypass(const char *p, struct access *a)
{
	a->role = ROLE_IGNORE;
	return smmu_sid(&p, a) && lit(&p, "STE bypass") && smmu_after_iova(&p, a);
}

static bool smmuv3_translate_disable(const char *p, struct access *a)
{
	a->role = ROLE_IGNORE;
	return smmu_sid(&p, a) && lit(&p, "bypass (smmu disabled)") && smmu_after_iova(&p, a);
}

static const struct event {
	const char *name;
	enum family fam;
	parse_fn parse;
	const char *format;     /* for messages */
} events[] = {
	{ "vtd_dmar_translate", FAM_VTD, vtd_dmar_translate,
	  "dev BB:DD.FF iova 0x... -> gpa 0x... mask 0x..." },
	{ "vtd_iotlb_page_hit", FAM_VTD, vtd_iotlb_page_hit,
	  "IOTLB page hit sid 0x... iova 0x... slpte 0x... domain 0x..." },
	{ "vtd_iotlb_page_update", FAM_VTD, vtd_iotlb_page_update,
	  "IOTLB page update sid 0x... iova 0x... slpte 0x... domain 0x..." },
	{ "vtd_dmar_fault", FAM_VTD, vtd_dmar_fault, "sid 0x... fault N addr 0x... write 0|1" },
	{ "vtd_translate_pt", FAM_VTD, vtd_translate_pt, "source id 0x..., iova 0x..." },
	{ "amdvi_translation_result", FAM_AMDVI, amdvi_translation_result,
	  "devid: BB:DD.F gpa 0x... hpa 0x..." },
	{ "amdvi_iotlb_hit", FAM_AMDVI, amdvi_iotlb_hit, "hit iotlb devid BB:DD.F gpa 0x... hpa 0x..." },
	{ "amdvi_cache_update", FAM_AMDVI, amdvi_cache_update,
	  "update iotlb domid 0x... devid: BB:DD.F gpa 0x... hpa 0x..." },
	{ "smmuv3_translate_success", FAM_SMMUV3, smmuv3_translate_success,
	  "MR sid=N iova=0x... translated=0x... perm=0x...[ stage=N]" },
	{ "smmuv3_translate_abort", FAM_SMMUV3, smmuv3_translate_abort,
	  "MR sid=N abort on iova:0x... is_write=0|1" },
	{ "smmuv3_translate_bypass", FAM_SMMUV3, smmuv3_translate_bypass,
	  "MR sid=N STE bypass iova:0x... is_write=0|1" },
	{ "smmuv3_translate_disable", FAM_SMMUV3, smmuv3_translate_disable,
	  "MR sid=N bypass (smmu disabled) iova:0x... is_write=0|1" },
};

/* "[PID@SECONDS.MICROS:]NAME ARGS": the event, its arguments, the time. */
static const struct event *split_line(const char *line, bool *has_ns, uint64_t *ns,
				      const char **args)
{
	const char *p = line, *q = line, *name;
	uint64_t pid;
	size_t n;

	*has_ns = false;
	if (cv_dec(&q, &pid) && cv_lit(&q, "@") && cv_seconds(&q, ns) && cv_lit(&q, ":")) {
		*has_ns = true;
		p = q;
	}
	name = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	n = (size_t)(p - name);
	if (!n || (*p && *p != ' '))
		return NULL;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (strlen(events[i].name) == n && !strncmp(events[i].name, name, n)) {
			*args = p;
			return &events[i];
		}
	return NULL;
}

/* --- pages ----------------------------------------------------------------------- */

static size_t page_hash(uint64_t pfn, uint32_t dom, size_t mask)
{
	uint64_t h = (pfn ^ ((uint64_t)dom << 45)) * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h ^ (h >> 29)) & mask;
}

static struct page *page_find(struct qm *q, uint64_t pfn, uint32_t dom)
{
	size_t i;

	for (i = page_hash(pfn, dom, q->page_mask); q->page[i].used; i = (i + 1) & q->page_mask)
		if (q->page[i].pfn == pfn && q->page[i].dom == dom)
			break;
	return &q->page[i];
}

static int page_room(struct qm *q)
{
	size_t cap = q->page ? q->page_mask + 1 : 0, ncap = cap ? cap * 2 : 1024;
	struct page *old = q->page;

	if ((q->npages + 1) * 2 <= cap)
		return 0;
	q->page = calloc(ncap, sizeof(*q->page));
	if (!q->page) {
		q->page = old;
		return cv_fail(&q->cv, IMS_ENOMEM, "out of memory");
	}
	q->page_mask = ncap - 1;
	for (size_t i = 0; i < cap; i++)
		if (old[i].used)
			*page_find(q, old[i].pfn, old[i].dom) = old[i];
	free(old);
	return 0;
}

/* --- conversion ------------------------------------------------------------------- */

static int device_of(struct qm *q, uint16_t sid, uint32_t *out)
{
	char key[24], name[IMS_TRACE_NAME_MAX + 1], dom[IMS_TRACE_NAME_MAX + 1];
	uint32_t d;
	int rc;

	snprintf(key, sizeof(key), "sid 0x%04x", sid);
	snprintf(name, sizeof(name), "dev_%02x_%02x.%x", sid >> 8, (sid >> 3) & 0x1f, sid & 7);
	rc = cv_device(&q->cv, key, name, sid, out);
	if (rc || q->cv.dev[*out].domain != CV_NONE)
		return rc;
	if (q->o.domains == IMS_CONVERT_DOMAINS_SINGLE)
		snprintf(dom, sizeof(dom), "dom0");
	else
		snprintf(dom, sizeof(dom), "dom_%02x_%02x.%x", sid >> 8, (sid >> 3) & 0x1f, sid & 7);
	rc = cv_domain(&q->cv, dom, &d);
	return rc ? rc : cv_attach(&q->cv, *out, d);
}

/* Pass 2: the page of a translation, mapped the first time it is seen. */
static int map_page(struct qm *q, const struct access *a, uint32_t dev)
{
	uint32_t dom = q->cv.dev[dev].domain;
	uint64_t iova = a->iova & ~(PAGE_SIZE - 1), pa = a->pa & ~(PAGE_SIZE - 1);
	struct page *pg;
	int rc;

	if (iova >> q->cv.iova_bits)
		return cv_fail(&q->cv, IMS_EINVAL,
			       "iova 0x%llx is beyond the %u-bit IOVA space (see --iova-bits)",
			       (unsigned long long)a->iova, q->cv.iova_bits);
	if (a->has_pa && pa >= PA_LIMIT - PAGE_SIZE + 1)
		return cv_fail(&q->cv, IMS_EINVAL, "translated address 0x%llx is beyond 2^%u",
			       (unsigned long long)a->pa, IMS_TRACE_PA_LIMIT_LG2);
	rc = page_room(q);
	if (rc)
		return rc;
	pg = page_find(q, iova >> PAGE_LG2, dom);
	if (pg->used) {
		q->cv.st.pa_conflicts += a->has_pa && pg->pa != pa;
		return 0;
	}
	*pg = (struct page){ iova >> PAGE_LG2, dom, true, a->has_pa ? pa : UINT64_MAX };
	q->npages++;
	cv_host_run(&q->cv, CV_HOST_MAP, 1);
	return cv_range(&q->cv, IMS_EV_MAP, dom, iova, PAGE_SIZE, a->has_pa, pa,
			a->prot ? a->prot : IMS_PROT_READ | IMS_PROT_WRITE);
}

/* Pass 3: the access itself. */
static int dma(struct qm *q, const struct access *a, uint32_t dev)
{
	uint64_t len = q->o.dma_len;
	int dir = a->dir >= 0 ? a->dir : q->o.unknown_dir == IMS_CONVERT_DIR_WRITE;

	if (a->role != ROLE_FAULT) {
		uint64_t room = PAGE_SIZE - (a->iova & (PAGE_SIZE - 1));

		len = len < room ? len : room;   /* only this page is known mapped */
	}
	return cv_dma(&q->cv, q->cv.now, dev, a->iova, len, dir == 1, a->role == ROLE_FAULT);
}

static int convert_line(struct qm *q)
{
	struct access a;
	const struct event *e;
	const char *args;
	bool has_ns;
	uint64_t ns = 0;
	uint32_t dev;
	int rc;

	e = split_line(q->cv.in.line, &has_ns, &ns, &args);
	if (!e) {
		q->cv.st.skipped++;
		return 0;
	}
	q->cv.st.recognised++;
	memset(&a, 0, sizeof(a));
	a.fam = e->fam;
	a.dir = -1;
	if (q->cv.in.too_long || !e->parse(args, &a))
		return cv_malformed(&q->cv, e->name, e->format);
	if (q->pass == 1) {
		/* a failed translation (AMD-Vi hpa 0) is still a translation event */
		q->has_xlate[a.fam] |= a.role == ROLE_XLATE ||
				       (a.role == ROLE_FAULT && e->parse == amdvi_translation_result);
		return 0;
	}
	if (a.role == ROLE_IGNORE || (a.role == ROLE_IOTLB && q->has_xlate[a.fam])) {
		q->cv.st.ignored += q->pass == 2;
		return 0;
	}
	if (q->pass == 3) {
		if (has_ns)
			rc = cv_time_ns(&q->cv, ns, q->o.start);
		else
			rc = (cv_time_cycles(&q->cv, q->cv.now + q->o.interval), 0);
		if (rc)
			return rc;
	}
	rc = device_of(q, a.sid, &dev);
	if (rc)
		return rc;
	if (q->pass == 2)
		return a.role == ROLE_FAULT ? 0 : map_page(q, &a, dev);
	return dma(q, &a, dev);
}

static int run_pass(struct qm *q, int pass)
{
	int rc;

	q->pass = pass;
	rc = cv_rewind(&q->cv);
	while (!rc && (rc = cv_next_line(&q->cv)) > 0)
		rc = convert_line(q);
	return rc;
}

static int run(struct qm *q, const struct ims_qemu_opts *opts)
{
	struct ims_convert_stats seen;
	int rc;

	q->o = opts ? *opts : (struct ims_qemu_opts)IMS_QEMU_OPTS_INIT;
	if (q->o.iova_bits != 48 && q->o.iova_bits != 57)
		return cv_fail(&q->cv, IMS_EINVAL, "iova bits must be 48 or 57, not %u",
			       q->o.iova_bits);
	if (q->o.unknown_dir == IMS_CONVERT_DIR_NONE || !q->o.dma_len ||
	    q->o.dma_len > IMS_TRACE_DMA_MAX_LEN)
		return cv_fail(&q->cv, IMS_EINVAL,
			       "a translation is a read or a write of 1 byte to 1 GiB");
	rc = run_pass(q, 1);
	seen = q->cv.st;
	if (!rc)
		rc = run_pass(q, 2);
	if (rc)
		return rc;
	if (q->o.start == IMS_CONVERT_AUTO)
		q->o.start = q->cv.host_free;
	q->cv.now = q->o.start > q->cv.now ? q->o.start : q->cv.now;
	rc = run_pass(q, 3);
	/* count each line once, whatever the passes */
	q->cv.st.lines = seen.lines;
	q->cv.st.recognised = seen.recognised;
	q->cv.st.skipped = seen.skipped;
	return rc;
}

static int finish(struct qm *q, int rc)
{
	cv_close(&q->cv, q->o.stats);
	free(q->page);
	free(q);
	return rc;
}

static int convert(const char *name, const void *data, size_t len, ims_convert_emit_fn emit,
		   void *payload, const struct ims_qemu_opts *opts, struct ims_error *err)
{
	struct qm *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	rc = cv_open(&q->cv, name, data, len, emit, payload, opts ? opts->mhz : 0,
		     opts ? opts->iova_bits : 48, err);
	return finish(q, rc ? rc : run(q, opts));
}

int ims_convert_qemu_mem(const char *name, const void *data, size_t len,
			 ims_convert_emit_fn emit, void *payload,
			 const struct ims_qemu_opts *opts, struct ims_error *err)
{
	return convert(name, data ? data : "", len, emit, payload, opts, err);
}

int ims_convert_qemu(const char *in_path, struct ims_trace_writer *w,
		     const struct ims_qemu_opts *opts, struct ims_error *err)
{
	return convert(in_path, NULL, 0, cv_to_writer, w, opts, err);
}
