/* Linux ftrace iommu events into a trace (docs/converters.md).
 *
 * Input: the text of `trace-cmd report` (default, -l latency and -t
 * nanosecond forms) or of tracefs `trace`:
 *
 *     TASK-PID [CPU] [FLAGS] SECONDS.FRACTION: EVENT: FIELDS
 *     TASK-PID CPUFLAGS SECONDS.FRACTION: EVENT: FIELDS     (trace-cmd report -l)
 *
 * and the events of include/trace/events/iommu.h (TP_printk formats, both
 * before and after the 2021 change that prints the end of the range, patch
 * "iommu: log iova range in map/unmap trace events"):
 *
 *     add_device_to_group, remove_device_from_group
 *                          IOMMU: groupID=%d device=%s
 *     attach_device_to_domain, detach_device_from_domain
 *                          IOMMU: device=%s
 *     map                  IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu
 *                          IOMMU: iova=0x%016llx paddr=0x%016llx size=%zu
 *     unmap                IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu
 *                          IOMMU: iova=0x%016llx size=%zu unmapped_size=%zu
 *     io_page_fault        IOMMU:%s %s iova=0x%016llx flags=0x%04x   (driver, device)
 *
 * map and unmap name no device and no domain; the rules that place them
 * and the DMA synthesised over mapped buffers are documented in
 * docs/converters.md and implemented below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/convert/cv.h"
#include "models/model.h"

#define PAGE_LG2 12
#define PAGE_MASK ((UINT64_C(1) << PAGE_LG2) - 1)
#define PA_LIMIT (UINT64_C(1) << IMS_TRACE_PA_LIMIT_LG2)
#define EVENT_MAX 32

/* A mapping as the simulated host holds it: one per `map` written, split
 * by unmaps exactly as iommufd splits areas. */
struct area {
	uint32_t dom;
	uint64_t iova, last, pa;
};

/* A synthesised DMA not yet due; before `ready` its map cannot be done. */
struct pend {
	uint64_t time, seq, ready;
	uint32_t device, dom;
	uint64_t iova, len;
};

struct ft {
	struct cv cv;
	struct ims_ftrace_opts o;
	struct area *area;            /* sorted by (dom, iova), disjoint per dom */
	size_t narea, area_cap;
	struct pend *heap;            /* min-heap by (time, seq) */
	size_t nheap, heap_cap;
	uint64_t seq;
	uint32_t cur_dom;             /* GROUP: domain of the last attach line */
};

/* --- growable arrays ----------------------------------------------------------- */

static int reserve(struct ft *f, void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return cv_fail(&f->cv, IMS_ENOMEM, "out of memory");
	*arr = p;
	*cap = ncap;
	return 0;
}

/* --- pending DMAs --------------------------------------------------------------- */

static bool pend_before(const struct pend *a, const struct pend *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void sift_down(struct ft *f, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct pend t;

		if (l < f->nheap && pend_before(&f->heap[l], &f->heap[m]))
			m = l;
		if (l + 1 < f->nheap && pend_before(&f->heap[l + 1], &f->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = f->heap[i];
		f->heap[i] = f->heap[m];
		f->heap[m] = t;
		i = m;
	}
}

static int pend_push(struct ft *f, const struct pend *p)
{
	size_t i;
	int rc = reserve(f, (void **)&f->heap, &f->heap_cap, f->nheap + 1, sizeof(*f->heap));

	if (rc)
		return rc;
	i = f->nheap++;
	f->heap[i] = *p;
	while (i && pend_before(&f->heap[i], &f->heap[(i - 1) / 2])) {
		struct pend t = f->heap[i];

		f->heap[i] = f->heap[(i - 1) / 2];
		f->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static int pend_write(struct ft *f, const struct pend *p, uint64_t time)
{
	f->cv.st.dma_early += time < p->ready;
	return cv_dma(&f->cv, time, p->device, p->iova, p->len,
		      f->o.dma_dir == IMS_CONVERT_DIR_WRITE, false);
}

/* Write every DMA due by `time`, in time order. */
static int pend_flush(struct ft *f, uint64_t time)
{
	while (f->nheap && f->heap[0].time <= time) {
		struct pend p = f->heap[0];
		int rc;

		f->heap[0] = f->heap[--f->nheap];
		sift_down(f, 0);
		rc = pend_write(f, &p, p.time);
		if (rc)
			return rc;
	}
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The buffer [s, e) of dom is unmapped before its DMAs are due: the device
 * must have done them by now, so they are written now, in the order they
 * were made. */
static int pend_pull(struct ft *f, uint32_t dom, uint64_t s, uint64_t e)
{
	size_t keep = 0, n = f->nheap;

	for (size_t i = 0; i < n; i++) {
		const struct pend *p = &f->heap[i];

		if (p->dom == dom && p->iova < e && p->iova + p->len > s)
			continue;
		if (i != keep) {
			struct pend t = f->heap[keep];

			f->heap[keep] = f->heap[i];
			f->heap[i] = t;
		}
		keep++;
	}
	if (keep == n)
		return 0;
	qsort(f->heap + keep, n - keep, sizeof(*f->heap), by_seq);
	f->nheap = keep;
	for (size_t i = keep / 2 + 1; i-- > 0;)
		sift_down(f, i);
	for (size_t i = keep; i < n; i++) {
		struct pend p = f->heap[i];
		int rc = pend_write(f, &p, f->cv.now);

		if (rc)
			return rc;
		f->cv.st.dma_pulled++;
	}
	return 0;
}

/* --- the mappings ----------------------------------------------------------------- */

/* First area of dom whose last byte is at or after iova. */
static size_t area_lower(const struct ft *f, uint32_t dom, uint64_t iova)
{
	size_t lo = 0, hi = f->narea;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct area *a = &f->area[mid];

		if (a->dom < dom || (a->dom == dom && a->last < iova))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_dom(const struct ft *f, size_t i, uint32_t dom)
{
	return i < f->narea && f->area[i].dom == dom;
}

/* Replace the `old` areas from i on by the `n` areas in `with`. A count,
 * not a last index: an insertion at 0 would need index -1, and pointer
 * arithmetic through it is undefined (the fuzzer's UBSan found it). */
static int area_splice(struct ft *f, size_t i, size_t old, const struct area *with, size_t n)
{
	int rc;

	if (n > old) {
		rc = reserve(f, (void **)&f->area, &f->area_cap, f->narea + n - old,
			     sizeof(*f->area));
		if (rc)
			return rc;
	}
	memmove(f->area + i + n, f->area + i + old, (f->narea - i - old) * sizeof(*f->area));
	memcpy(f->area + i, with, n * sizeof(*f->area));
	f->narea = f->narea + n - old;
	return 0;
}

/* The simulated host fills an area with the largest leaves that IOVA and
 * PA alignment allow (docs/design.md, "The iommufd object model"), and
 * refuses to split an area through a leaf. If cutting `a` at x would cut a
 * leaf of a size in pgsizes, the lg2 of the largest such leaf, else 0. */
static unsigned leaf_under(uint64_t pgsizes, const struct area *a, uint64_t x)
{
	uint64_t delta = a->pa - a->iova;

	for (unsigned lg2 = 63; lg2 > PAGE_LG2; lg2--) {
		uint64_t size = UINT64_C(1) << lg2, base = x & ~(size - 1);

		if ((pgsizes & size) && base != x && !(delta & (size - 1)) &&
		    base >= a->iova && base + (size - 1) <= a->last)
			return lg2;
	}
	return 0;
}

/* Write `map` events for the parts of [s, e) that dom does not map yet. */
static int map_gaps(struct ft *f, uint32_t dom, uint64_t s, uint64_t e, uint64_t pa)
{
	size_t i = area_lower(f, dom, s);
	uint64_t cur = s;

	while (cur < e) {
		struct area a;
		uint64_t end;
		int rc;

		if (in_dom(f, i, dom) && f->area[i].iova <= cur) {
			end = f->area[i].last + 1 < e ? f->area[i].last + 1 : e;
			f->cv.st.map_bytes_overlap += end - cur;
			cur = end;
			i++;
			continue;
		}
		end = in_dom(f, i, dom) && f->area[i].iova < e ? f->area[i].iova : e;
		a = (struct area){ dom, cur, end - 1, pa + (cur - s) };
		rc = cv_range(&f->cv, IMS_EV_MAP, dom, cur, end - cur, true, a.pa,
			      IMS_PROT_READ | IMS_PROT_WRITE);
		if (rc)
			return rc;
		rc = area_splice(f, i, 0, &a, 1);
		if (rc)
			return rc;
		i++;
		cur = end;
	}
	return 0;
}

/* Unmap whatever dom maps of [s, e): one `unmap` per run of adjacent areas,
 * widened to whole leaves where the run would cut one. */
static int unmap_mapped(struct ft *f, uint32_t dom, uint64_t s, uint64_t e)
{
	size_t i = area_lower(f, dom, s);
	uint64_t cur = s;

	while (in_dom(f, i, dom) && f->area[i].iova < e) {
		struct area keep[2];
		uint64_t rs, re, ws, we;
		size_t j = i, n = 0;
		unsigned lg2;
		int rc;

		while (in_dom(f, j + 1, dom) && f->area[j + 1].iova == f->area[j].last + 1 &&
		       f->area[j + 1].iova < e)
			j++;
		rs = f->area[i].iova > cur ? f->area[i].iova : cur;
		re = f->area[j].last + 1 < e ? f->area[j].last + 1 : e;
		if (rs > cur)
			f->cv.st.unmap_bytes_unknown += rs - cur;
		lg2 = leaf_under(f->o.pgsizes, &f->area[i], rs);
		ws = lg2 ? rs & ~((UINT64_C(1) << lg2) - 1) : rs;
		lg2 = leaf_under(f->o.pgsizes, &f->area[j], re);
		we = lg2 ? (re & ~((UINT64_C(1) << lg2) - 1)) + (UINT64_C(1) << lg2) : re;
		f->cv.st.unmap_bytes_widened += (rs - ws) + (we - re);

		rc = pend_pull(f, dom, ws, we);
		if (rc)
			return rc;
		cv_host_run(&f->cv, CV_HOST_UNMAP, (we - ws) >> PAGE_LG2);
		rc = cv_range(&f->cv, IMS_EV_UNMAP, dom, ws, we - ws, false, 0, 0);
		if (rc)
			return rc;

		if (f->area[i].iova < ws) {
			keep[n] = f->area[i];
			keep[n++].last = ws - 1;
		}
		if (f->area[j].last >= we) {
			keep[n] = f->area[j];
			keep[n].iova = we;
			keep[n++].pa = f->area[j].pa + (we - f->area[j].iova);
		}
		rc = area_splice(f, i, j + 1 - i, keep, n);
		if (rc)
			return rc;
		i += n;
		cur = we;
	}
	if (e > cur)
		f->cv.st.unmap_bytes_unknown += e - cur;
	return 0;
}

/* --- devices and domains ---------------------------------------------------------- */

/* "DDDD:BB:DD.F" (a PCI device name): its requester ID, else -1. */
static int32_t pci_rid(const char *name)
{
	const char *p = name;
	uint64_t seg, bus, dev, fn;

	if (!cv_xdigits(&p, &seg) || !cv_lit(&p, ":") || !cv_xdigits(&p, &bus) ||
	    !cv_lit(&p, ":") || !cv_xdigits(&p, &dev) || !cv_lit(&p, ".") ||
	    !cv_xdigits(&p, &fn) || *p || bus > 0xff || dev > 0x1f || fn > 7)
		return -1;
	(void)seg;
	return (int32_t)(bus << 8 | dev << 3 | fn);
}

static int group_domain(struct ft *f, int64_t group, uint32_t *out)
{
	char name[IMS_TRACE_NAME_MAX + 1];

	if (f->o.domains != IMS_CONVERT_DOMAINS_GROUP || group < 0)
		return cv_domain(&f->cv, "dom0", out);
	snprintf(name, sizeof(name), "group%lld", (long long)group);
	return cv_domain(&f->cv, name, out);
}

/* The device a line names: declared and attached at first sight, to its
 * group's domain (GROUP, group known) or to dom0. */
static int named_device(struct ft *f, const char *name, int64_t group, uint32_t *out)
{
	uint32_t dom;
	int rc = cv_device(&f->cv, name, name, pci_rid(name), out);

	if (!rc && f->cv.dev[*out].group < 0)
		f->cv.dev[*out].group = group;
	if (rc || f->cv.dev[*out].domain != CV_NONE)
		return rc;
	rc = group_domain(f, f->cv.dev[*out].group, &dom);
	return rc ? rc : cv_attach(&f->cv, *out, dom);
}

/* Where map and unmap go: dom0, or (GROUP) the domain of the device of
 * the last attach line. */
static int map_domain(struct ft *f, uint32_t *out)
{
	if (f->o.domains == IMS_CONVERT_DOMAINS_GROUP && f->cur_dom != CV_NONE) {
		*out = f->cur_dom;
		return 0;
	}
	return cv_domain(&f->cv, "dom0", out);
}

/* The device whose DMA fills a buffer of dom: the one attached last, or a
 * device "dma" declared for the purpose when none is. */
static int dma_device(struct ft *f, uint32_t dom, uint32_t *out)
{
	char key[CV_KEY_MAX];
	int rc;

	if (f->cv.dom[dom].last_device != CV_NONE) {
		*out = f->cv.dom[dom].last_device;
		return 0;
	}
	snprintf(key, sizeof(key), "synthesised dma %s", f->cv.dom[dom].name);  /* no kernel name has a blank */
	rc = cv_device(&f->cv, key, "dma", -1, out);
	return rc ? rc : cv_attach(&f->cv, *out, dom);
}

/* --- events ------------------------------------------------------------------------ */

static const char MAP_FMT[] = "IOMMU: iova=0x... - 0x... paddr=0x... size=N";
static const char UNMAP_FMT[] = "IOMMU: iova=0x... - 0x... size=N unmapped_size=N";

/* "iova=0x%llx[ - 0x%llx]": the end is printed since the 2021 change. */
static bool iova_range(const char **p, uint64_t *iova, bool *has_end, uint64_t *end)
{
	if (!cv_lit(p, "iova=") || !cv_hex(p, iova))
		return false;
	cv_blanks(p);
	*has_end = cv_lit(p, "-");
	if (*has_end) {
		cv_blanks(p);
		if (!cv_hex(p, end))
			return false;
		cv_blanks(p);
	}
	return true;
}

static int check_end(struct ft *f, const char *ev, uint64_t iova, uint64_t size, bool has_end,
		     uint64_t end)
{
	if (has_end && end != iova + size)
		return cv_fail(&f->cv, IMS_EINVAL,
			       "%s: end 0x%llx is not iova 0x%llx + size 0x%llx", ev,
			       (unsigned long long)end, (unsigned long long)iova,
			       (unsigned long long)size);
	return 0;
}

static int do_map(struct ft *f, const char *p)
{
	uint64_t iova, end = 0, pa, size, limit = UINT64_C(1) << f->cv.iova_bits, time;
	bool has_end;
	uint32_t dom, dev = CV_NONE;
	int rc;

	if (!cv_lit(&p, "IOMMU:") || (cv_blanks(&p), !iova_range(&p, &iova, &has_end, &end)) ||
	    !cv_lit(&p, "paddr=") || !cv_hex(&p, &pa) || (cv_blanks(&p), !cv_lit(&p, "size=")) ||
	    !cv_dec(&p, &size) || !cv_at_end(&p))
		return cv_malformed(&f->cv, "map", MAP_FMT);
	rc = check_end(f, "map", iova, size, has_end, end);
	if (rc)
		return rc;
	if (!size || ((iova | pa | size) & PAGE_MASK))
		return cv_fail(&f->cv, IMS_EINVAL,
			       "map: iova 0x%llx, paddr 0x%llx and size 0x%llx must be non-zero "
			       "multiples of 4 KiB", (unsigned long long)iova,
			       (unsigned long long)pa, (unsigned long long)size);
	if (iova >= limit || size > limit - iova)
		return cv_fail(&f->cv, IMS_EINVAL,
			       "map: [0x%llx, +0x%llx) is beyond the %u-bit IOVA space "
			       "(see --iova-bits)", (unsigned long long)iova,
			       (unsigned long long)size, f->cv.iova_bits);
	if (pa >= PA_LIMIT || size > PA_LIMIT - pa)
		return cv_fail(&f->cv, IMS_EINVAL, "map: paddr [0x%llx, +0x%llx) is beyond 2^%u",
			       (unsigned long long)pa, (unsigned long long)size,
			       IMS_TRACE_PA_LIMIT_LG2);
	/* the device first: attaching it is host work that comes before */
	rc = map_domain(f, &dom);
	if (!rc && f->o.dma_dir != IMS_CONVERT_DIR_NONE)
		rc = dma_device(f, dom, &dev);
	if (!rc)
		rc = map_gaps(f, dom, iova, iova + size, pa);
	time = cv_host_run(&f->cv, CV_HOST_MAP, size >> PAGE_LG2);
	if (rc || f->o.dma_dir == IMS_CONVERT_DIR_NONE)
		return rc;
	if (f->o.dma_delay != IMS_CONVERT_AUTO)
		time = f->o.dma_delay < UINT64_MAX - f->cv.now ? f->cv.now + f->o.dma_delay :
								 UINT64_MAX;
	return pend_push(f, &(struct pend){ time, f->seq++, f->cv.host_min, dev, dom, iova,
					    size });
}

static int do_unmap(struct ft *f, const char *p)
{
	uint64_t iova, end = 0, size, unmapped, e, limit = UINT64_C(1) << f->cv.iova_bits;
	bool has_end;
	uint32_t dom;
	int rc;

	if (!cv_lit(&p, "IOMMU:") || (cv_blanks(&p), !iova_range(&p, &iova, &has_end, &end)) ||
	    !cv_lit(&p, "size=") || !cv_dec(&p, &size) ||
	    (cv_blanks(&p), !cv_lit(&p, "unmapped_size=")) || !cv_dec(&p, &unmapped) ||
	    !cv_at_end(&p))
		return cv_malformed(&f->cv, "unmap", UNMAP_FMT);
	rc = check_end(f, "unmap", iova, size, has_end, end);
	if (rc)
		return rc;
	if ((iova | size | unmapped) & PAGE_MASK)
		return cv_fail(&f->cv, IMS_EINVAL,
			       "unmap: iova 0x%llx, size 0x%llx and unmapped_size 0x%llx must be "
			       "multiples of 4 KiB", (unsigned long long)iova,
			       (unsigned long long)size, (unsigned long long)unmapped);
	if (unmapped > -iova && iova)
		return cv_fail(&f->cv, IMS_EINVAL, "unmap: [0x%llx, +0x%llx) wraps past 2^64",
			       (unsigned long long)iova, (unsigned long long)unmapped);
	if (!unmapped) {
		f->cv.st.ignored++;   /* the kernel unmapped nothing */
		return 0;
	}
	/* unmapped_size is what went, from iova: less than size when the
	 * range ran into a hole, more when it ended inside a large page.
	 * Nothing was mapped beyond the IOVA space. */
	if (iova >= limit) {
		f->cv.st.unmap_bytes_unknown += unmapped;
		return 0;
	}
	e = unmapped > limit - iova ? limit : iova + unmapped;
	f->cv.st.unmap_bytes_unknown += unmapped - (e - iova);
	rc = map_domain(f, &dom);
	return rc ? rc : unmap_mapped(f, dom, iova, e);
}

static int do_group(struct ft *f, const char *p, bool add)
{
	char name[CV_KEY_MAX];
	uint64_t gid;
	uint32_t dev, ndev;
	int rc;

	if (!cv_lit(&p, "IOMMU:") || (cv_blanks(&p), !cv_lit(&p, "groupID=")) ||
	    !cv_dec(&p, &gid) || (cv_blanks(&p), !cv_lit(&p, "device=")) ||
	    !cv_word(&p, name, sizeof(name)) || !cv_at_end(&p) || gid > INT32_MAX)
		return cv_malformed(&f->cv, add ? "add_device_to_group" : "remove_device_from_group",
				    "IOMMU: groupID=N device=NAME");
	if (!add) {
		f->cv.st.ignored++;   /* a trace has no detach: the device stays */
		return 0;
	}
	ndev = f->cv.ndev;
	rc = named_device(f, name, (int64_t)gid, &dev);
	if (!rc && dev != ndev)
		f->cv.st.ignored++;   /* seen (and attached) before */
	return rc;
}

static int do_attach(struct ft *f, const char *p, bool attach)
{
	char name[CV_KEY_MAX];
	uint32_t dev;
	int rc;

	if (!cv_lit(&p, "IOMMU:") || (cv_blanks(&p), !cv_lit(&p, "device=")) ||
	    !cv_word(&p, name, sizeof(name)) || !cv_at_end(&p))
		return cv_malformed(&f->cv, attach ? "attach_device_to_domain" :
				    "detach_device_from_domain", "IOMMU: device=NAME");
	if (!attach) {
		f->cv.st.ignored++;
		return 0;
	}
	rc = named_device(f, name, -1, &dev);
	if (!rc)
		f->cur_dom = f->cv.dev[dev].domain;
	return rc;
}

static int do_fault(struct ft *f, const char *p)
{
	char word[CV_KEY_MAX], device[CV_KEY_MAX] = "";
	uint64_t iova, flags;
	bool got_iova = false;
	uint32_t dev;
	int rc;

	/* IOMMU:DRIVER DEVICE iova=...: the driver may be empty */
	if (!cv_lit(&p, "IOMMU:"))
		return cv_malformed(&f->cv, "io_page_fault", "IOMMU:DRIVER DEVICE iova=0x... flags=0x...");
	for (int n = 0; n < 3; n++) {
		cv_blanks(&p);
		if (cv_lit(&p, "iova=")) {
			got_iova = true;
			break;
		}
		if (n == 2 || !cv_word(&p, word, sizeof(word)))
			break;
		memcpy(device, word, sizeof(device));
	}
	if (!device[0] || !got_iova || !cv_hex(&p, &iova) ||
	    (cv_blanks(&p), !cv_lit(&p, "flags=")) || !cv_hex(&p, &flags) || !cv_at_end(&p))
		return cv_malformed(&f->cv, "io_page_fault", "IOMMU:DRIVER DEVICE iova=0x... flags=0x...");
	rc = named_device(f, device, -1, &dev);
	if (rc)
		return rc;
	/* IOMMU_FAULT_WRITE = 0x1 (include/linux/iommu.h) */
	return cv_dma(&f->cv, f->cv.now, dev, iova, f->o.fault_len, flags & 1, true);
}

/* --- lines --------------------------------------------------------------------------- */

/* Split an event line into its timestamp, event name and fields: the
 * timestamp is the first "SECONDS.FRACTION:" token after the task. */
static bool split_line(const char *line, uint64_t *ns, char event[EVENT_MAX],
		       const char **fields)
{
	const char *p = line;

	cv_blanks(&p);
	if (*p == '#' || !*p)
		return false;
	while (*p && *p != ' ' && *p != '\t')
		p++;   /* TASK-PID: the timestamp never comes first */
	for (;;) {
		const char *q, *e;

		cv_blanks(&p);
		if (!*p)
			return false;
		q = p;
		if (cv_seconds(&q, ns) && *q == ':' && (q[1] == ' ' || q[1] == '\t')) {
			q++;
			cv_blanks(&q);
			for (e = q; *e && *e != ':' && *e != ' ' && *e != '\t'; e++)
				;
			if (*e != ':' || e == q || e - q >= EVENT_MAX)
				return false;
			memcpy(event, q, (size_t)(e - q));
			event[e - q] = '\0';
			e++;
			cv_blanks(&e);
			*fields = e;
			return true;
		}
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
}

enum ev_id { EV_MAP, EV_UNMAP, EV_ADD_GROUP, EV_REMOVE_GROUP, EV_ATTACH, EV_DETACH, EV_FAULT,
	     EV_NONE };

static const char *const event_names[] = {
	[EV_MAP] = "map",
	[EV_UNMAP] = "unmap",
	[EV_ADD_GROUP] = "add_device_to_group",
	[EV_REMOVE_GROUP] = "remove_device_from_group",
	[EV_ATTACH] = "attach_device_to_domain",
	[EV_DETACH] = "detach_device_from_domain",
	[EV_FAULT] = "io_page_fault",
};

static enum ev_id event_id(const char *name, const char *fields)
{
	/* every iommu event prints "IOMMU:" first; another subsystem's event
	 * of the same name is not ours */
	if (strncmp(fields, "IOMMU:", 6))
		return EV_NONE;
	for (int i = 0; i < EV_NONE; i++)
		if (!strcmp(name, event_names[i]))
			return (enum ev_id)i;
	return EV_NONE;
}

static int convert_line(struct ft *f)
{
	char event[EVENT_MAX];
	const char *fields;
	enum ev_id id;
	uint64_t ns;
	int rc;

	if (!split_line(f->cv.in.line, &ns, event, &fields) ||
	    (id = event_id(event, fields)) == EV_NONE) {
		f->cv.st.skipped++;
		return 0;
	}
	f->cv.st.recognised++;
	if (f->cv.in.too_long)
		return cv_malformed(&f->cv, event, "");
	rc = cv_time_ns(&f->cv, ns, 0);
	if (!rc)
		rc = pend_flush(f, f->cv.now);
	if (rc)
		return rc;
	switch (id) {
	case EV_MAP:
		return do_map(f, fields);
	case EV_UNMAP:
		return do_unmap(f, fields);
	case EV_ADD_GROUP:
	case EV_REMOVE_GROUP:
		return do_group(f, fields, id == EV_ADD_GROUP);
	case EV_ATTACH:
	case EV_DETACH:
		return do_attach(f, fields, id == EV_ATTACH);
	case EV_FAULT:
		return do_fault(f, fields);
	default:
		return 0;
	}
}

static int run(struct ft *f, const struct ims_ftrace_opts *opts)
{
	int rc;

	f->o = opts ? *opts : (struct ims_ftrace_opts)IMS_FTRACE_OPTS_INIT;
	if (!f->o.pgsizes)
		f->o.pgsizes = IMS_CONVERT_PGSIZES_DEFAULT;
	f->cur_dom = CV_NONE;
	if (f->o.iova_bits != 48 && f->o.iova_bits != 57)
		return cv_fail(&f->cv, IMS_EINVAL, "iova bits must be 48 or 57, not %u",
			       f->o.iova_bits);
	while ((rc = cv_next_line(&f->cv)) > 0) {
		rc = convert_line(f);
		if (rc)
			return rc;
	}
	return rc ? rc : pend_flush(f, UINT64_MAX);
}

static int finish(struct ft *f, int rc)
{
	cv_close(&f->cv, f->o.stats);
	free(f->area);
	free(f->heap);
	free(f);
	return rc;
}

static int convert(const char *name, const void *data, size_t len, ims_convert_emit_fn emit,
		   void *payload, const struct ims_ftrace_opts *opts, struct ims_error *err)
{
	struct ft *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	rc = cv_open(&f->cv, name, data, len, emit, payload, opts ? opts->mhz : 0,
		     opts ? opts->iova_bits : 48, err);
	return finish(f, rc ? rc : run(f, opts));
}

int ims_convert_ftrace_mem(const char *name, const void *data, size_t len,
			   ims_convert_emit_fn emit, void *payload,
			   const struct ims_ftrace_opts *opts, struct ims_error *err)
{
	return convert(name, data ? data : "", len, emit, payload, opts, err);
}

int ims_convert_ftrace(const char *in_path, struct ims_trace_writer *w,
		       const struct ims_ftrace_opts *opts, struct ims_error *err)
{
	return convert(in_path, NULL, 0, cv_to_writer, w, opts, err);
}
