/* Event rules shared by every trace source (see decls.h). The text reader
 * applies the same rules while parsing; tests/sim/test_trace_elf.c replays
 * every bundled trace through both paths to keep them in step. */
#include "sim/trace/decls.h"

#include <stdlib.h>
#include <string.h>

#include "models/model.h"

#define PAGE_4K (UINT64_C(1) << 12)

struct decl {
	char name[IMS_TRACE_NAME_MAX + 1];
	uint8_t iova_bits;    /* domains */
};

struct decl_list {
	struct decl *v;
	uint32_t count, cap;
};

struct ims_trace_decls {
	struct decl_list list[IMS_DECL_KINDS];
	uint8_t sid_used[65536 / 8];
	uint64_t time;
	unsigned version;     /* of the trace the events come from */
};

/* Which fields of struct ims_event a kind uses; the rest must be zero. */
enum {
	F_DEVICE = 1u << 0, F_DOMAIN = 1u << 1, F_IOAS = 1u << 2, F_SRC_IOAS = 1u << 3,
	F_SRC_IOVA = 1u << 4, F_IOVA = 1u << 5, F_LEN = 1u << 6, F_PA = 1u << 7,
	F_PROT = 1u << 8, F_PERIOD = 1u << 9, F_PAGE = 1u << 10, F_IOVA_BITS = 1u << 11,
	F_SID = 1u << 12,
};

static const struct {
	unsigned fields;
	uint32_t flags;       /* IMS_EVF_* allowed */
} kind_use[IMS_EV_KIND_COUNT] = {
	/* an ATS device: len = ATC entries, period = invalidation cycles */
	[IMS_EV_DEVICE] = { F_DEVICE | F_SID | F_LEN | F_PERIOD, IMS_EVF_ATS },
	[IMS_EV_DOMAIN] = { F_DOMAIN | F_IOVA_BITS | F_IOAS,
			    IMS_EVF_HAS_IOAS | IMS_EVF_NONCOHERENT },
	[IMS_EV_ATTACH] = { F_DEVICE | F_DOMAIN, 0 },
	[IMS_EV_MAP] = { F_DOMAIN | F_IOVA | F_LEN | F_PROT | F_PA, IMS_EVF_HAS_PA },
	[IMS_EV_UNMAP] = { F_DOMAIN | F_IOVA | F_LEN, 0 },
	[IMS_EV_DMA] = { F_DEVICE | F_IOVA | F_LEN, IMS_EVF_WRITE },
	[IMS_EV_DIRTY_TRACKING] = { F_DOMAIN, IMS_EVF_ON },
	[IMS_EV_GET_DIRTY] = { F_DOMAIN | F_IOVA | F_LEN | F_PAGE, IMS_EVF_NO_CLEAR },
	[IMS_EV_DIRTY_UNMAP] = { F_DOMAIN | F_IOVA | F_LEN | F_PAGE, 0 },
	[IMS_EV_PRECOPY] = { F_DOMAIN | F_PERIOD | F_PAGE, 0 },
	[IMS_EV_STOP_COPY] = { F_DOMAIN | F_PAGE, 0 },
	[IMS_EV_IOAS] = { F_IOAS, 0 },
	[IMS_EV_IOAS_MAP] = { F_IOAS | F_IOVA | F_LEN | F_PROT | F_PA, IMS_EVF_HAS_PA },
	[IMS_EV_IOAS_UNMAP] = { F_IOAS | F_IOVA | F_LEN, 0 },
	[IMS_EV_IOAS_COPY] = { F_SRC_IOAS | F_SRC_IOVA | F_IOAS | F_IOVA | F_LEN | F_PROT, 0 },
	[IMS_EV_IOAS_ATTACH] = { F_DOMAIN | F_IOAS, 0 },
	[IMS_EV_IOAS_DETACH] = { F_DOMAIN, 0 },
	[IMS_EV_ACCESS_PIN] = { F_IOAS | F_IOVA | F_LEN, 0 },
	[IMS_EV_ACCESS_UNPIN] = { F_IOAS | F_IOVA | F_LEN, 0 },
	[IMS_EV_CPU_READ] = { F_IOAS | F_IOVA | F_LEN, 0 },
	[IMS_EV_CPU_WRITE] = { F_IOAS | F_IOVA | F_LEN, 0 },
};

int ims_decls_new(struct ims_trace_decls **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -IMS_ENOMEM;
	(*out)->version = IMS_TRACE_VERSION;
	return 0;
}

void ims_decls_set_version(struct ims_trace_decls *d, unsigned version)
{
	d->version = version;
}

void ims_decls_free(struct ims_trace_decls *d)
{
	if (!d)
		return;
	for (int k = 0; k < IMS_DECL_KINDS; k++)
		free(d->list[k].v);
	free(d);
}

uint32_t ims_decls_count(const struct ims_trace_decls *d, enum ims_decl_kind kind)
{
	return d->list[kind].count;
}

const char *ims_decls_name(const struct ims_trace_decls *d, enum ims_decl_kind kind,
			   uint32_t index)
{
	return index < d->list[kind].count ? d->list[kind].v[index].name : NULL;
}

bool ims_trace_name_valid(const char *s, size_t len)
{
	if (!len || len > IMS_TRACE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		bool tail = (c >= '0' && c <= '9') || c == '.' || c == '-';

		if (!alpha && !(i > 0 && tail))
			return false;
	}
	return true;
}

/* --- the rules -------------------------------------------------------------- */

static const char *field_name(unsigned f)
{
	switch (f) {
	case F_DEVICE: return "device";
	case F_DOMAIN: return "domain";
	case F_IOAS: return "ioas";
	case F_SRC_IOAS: return "src_ioas";
	case F_SRC_IOVA: return "src_iova";
	case F_IOVA: return "iova";
	case F_LEN: return "len";
	case F_PA: return "pa";
	case F_PROT: return "prot";
	case F_PERIOD: return "period";
	case F_PAGE: return "page";
	case F_IOVA_BITS: return "iova_bits";
	default: return "sid";
	}
}

/* Fields a kind does not use are zero, so that an event has one encoding. */
static int check_unused(const struct ims_event *ev, const char *kw, struct ims_error *err)
{
	unsigned use = kind_use[ev->kind].fields;
	const struct { unsigned f; uint64_t v; } field[] = {
		{ F_DEVICE, ev->device }, { F_DOMAIN, ev->domain }, { F_IOAS, ev->ioas },
		{ F_SRC_IOAS, ev->src_ioas }, { F_SRC_IOVA, ev->src_iova },
		{ F_IOVA, ev->iova }, { F_LEN, ev->len }, { F_PA, ev->pa },
		{ F_PROT, ev->prot }, { F_PERIOD, ev->period }, { F_PAGE, ev->page_lg2 },
		{ F_IOVA_BITS, ev->iova_bits }, { F_SID, ev->sid },
	};
	uint32_t bad_flags = ev->flags & ~kind_use[ev->kind].flags;

	for (size_t i = 0; i < sizeof(field) / sizeof(field[0]); i++)
		if (!(use & field[i].f) && field[i].v)
			return ims_error_set(err, IMS_EINVAL,
					     "%s: field %s must be 0 for this kind (is 0x%llx)",
					     kw, field_name(field[i].f),
					     (unsigned long long)field[i].v);
	if (bad_flags)
		return ims_error_set(err, IMS_EINVAL, "%s: flags 0x%x not allowed for this kind",
				     kw, bad_flags);
	if ((use & F_PA) && !(ev->flags & IMS_EVF_HAS_PA) && ev->pa)
		return ims_error_set(err, IMS_EINVAL, "%s: pa set without its flag", kw);
	if (ev->kind == IMS_EV_DOMAIN && !(ev->flags & IMS_EVF_HAS_IOAS) && ev->ioas)
		return ims_error_set(err, IMS_EINVAL, "domain: ioas set without its flag");
	return 0;
}

static int check_ref(const struct ims_trace_decls *d, enum ims_decl_kind kind, uint32_t index,
		     const char *kw, struct ims_error *err)
{
	static const char *const what[] = { "device", "domain", "ioas" };

	if (index < d->list[kind].count)
		return 0;
	return ims_error_set(err, IMS_ENOENT, "%s: %s %u is not declared (%u so far)", kw,
			     what[kind], index, d->list[kind].count);
}

static int check_range(const struct ims_event *ev, uint64_t iova, const char *kw,
		       bool pages, struct ims_error *err)
{
	if (!ev->len)
		return ims_error_set(err, IMS_EINVAL, "%s: len must not be 0", kw);
	if (ev->len > UINT64_MAX - iova)
		return ims_error_set(err, IMS_EINVAL, "%s: range 0x%llx + 0x%llx wraps past 2^64",
				     kw, (unsigned long long)iova, (unsigned long long)ev->len);
	if (!pages)
		return 0;
	if (iova & (PAGE_4K - 1))
		return ims_error_set(err, IMS_EINVAL, "%s: iova 0x%llx is not 4 KiB aligned", kw,
				     (unsigned long long)iova);
	if (ev->len & (PAGE_4K - 1))
		return ims_error_set(err, IMS_EINVAL, "%s: len 0x%llx is not 4 KiB aligned", kw,
				     (unsigned long long)ev->len);
	return 0;
}

static int check_domain_range(const struct ims_trace_decls *d, const struct ims_event *ev,
			      const char *kw, struct ims_error *err)
{
	const struct decl *dom = &d->list[IMS_DECL_DOMAIN].v[ev->domain];
	int rc = check_range(ev, ev->iova, kw, true, err);

	if (rc)
		return rc;
	if (ev->iova + ev->len > UINT64_C(1) << dom->iova_bits)
		return ims_error_set(err, IMS_EINVAL,
				     "%s: range [0x%llx, 0x%llx) is beyond the %u-bit IOVA space "
				     "of domain '%s'", kw, (unsigned long long)ev->iova,
				     (unsigned long long)ev->iova + ev->len, dom->iova_bits,
				     dom->name);
	return 0;
}

static int check_page(const struct ims_event *ev, const char *kw, struct ims_error *err)
{
	uint64_t page;

	if (ev->page_lg2 < 12 || ev->page_lg2 > 30)
		return ims_error_set(err, IMS_EINVAL,
				     "%s: page 2^%u must be a power of two from 4K to 1G", kw,
				     ev->page_lg2);
	page = UINT64_C(1) << ev->page_lg2;
	if (ev->kind != IMS_EV_PRECOPY && ev->kind != IMS_EV_STOP_COPY &&
	    ((ev->iova | ev->len) & (page - 1)))
		return ims_error_set(err, IMS_EINVAL,
				     "%s: iova 0x%llx and len 0x%llx must be multiples of "
				     "page 0x%llx", kw, (unsigned long long)ev->iova,
				     (unsigned long long)ev->len, (unsigned long long)page);
	return 0;
}

static int check_prot(const struct ims_event *ev, const char *kw, struct ims_error *err)
{
	bool zero_ok = ev->kind == IMS_EV_IOAS_COPY;   /* 0: keep the source's */

	if (ev->prot > (IMS_PROT_READ | IMS_PROT_WRITE) || (!ev->prot && !zero_ok))
		return ims_error_set(err, IMS_EINVAL, "%s: invalid prot 0x%x", kw, ev->prot);
	return 0;
}

static int check_pa(const struct ims_event *ev, const char *kw, struct ims_error *err)
{
	if (!(ev->flags & IMS_EVF_HAS_PA))
		return 0;
	if (ev->pa & (PAGE_4K - 1))
		return ims_error_set(err, IMS_EINVAL, "%s: pa 0x%llx is not 4 KiB aligned", kw,
				     (unsigned long long)ev->pa);
	if (ev->pa >= UINT64_C(1) << IMS_TRACE_PA_LIMIT_LG2 ||
	    ev->len > (UINT64_C(1) << IMS_TRACE_PA_LIMIT_LG2) - ev->pa)
		return ims_error_set(err, IMS_EINVAL, "%s: pa range 0x%llx + 0x%llx is beyond 2^52",
				     kw, (unsigned long long)ev->pa, (unsigned long long)ev->len);
	return 0;
}

/* A new name of `kind` at the next index. */
static int check_declare(const struct ims_trace_decls *d, enum ims_decl_kind kind,
			 uint32_t index, const struct ims_event *ev, const char *kw,
			 struct ims_error *err)
{
	const struct decl_list *l = &d->list[kind];
	size_t len = ev->name ? strlen(ev->name) : 0;

	if (index != l->count)
		return ims_error_set(err, IMS_EINVAL, "%s: declares index %u, expected %u", kw,
				     index, l->count);
	if (l->count == IMS_TRACE_MAX_DECLS)
		return ims_error_set(err, IMS_EINVAL, "too many %ss (limit %u)", kw,
				     IMS_TRACE_MAX_DECLS);
	if (!ims_trace_name_valid(ev->name ? ev->name : "", len))
		return ims_error_set(err, IMS_ESYNTAX, "%s: invalid name '%.*s'", kw,
				     (int)(len > 40 ? 40 : len), ev->name ? ev->name : "");
	/* Error path and declarations only: a linear search is fine. */
	for (uint32_t i = 0; i < l->count; i++)
		if (!strcmp(l->v[i].name, ev->name))
			return ims_error_set(err, IMS_EEXIST, "%s '%s' already declared as %s %u",
					     kw, ev->name, kw, i);
	return 0;
}

static struct decl *decl_push(struct decl_list *l, const char *name)
{
	struct decl *e;

	if (l->count == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 16;
		struct decl *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	e = &l->v[l->count++];
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);   /* checked: at most IMS_TRACE_NAME_MAX */
	return e;
}

/* A device's ATS fields: both zero without the flag, so that a device has
 * one encoding; with it, what `ats=` and `ats_inv=` accept (0 = default). */
static int check_ats(const struct ims_trace_decls *d, const struct ims_event *ev,
		     struct ims_error *err)
{
	if (!(ev->flags & IMS_EVF_ATS)) {
		if (ev->len || ev->period)
			return ims_error_set(err, IMS_EINVAL, "device: %s set without the ATS flag",
					     ev->len ? "len (ATC entries)" : "period (ats_inv)");
		return 0;
	}
	if (d->version < IMS_TRACE_VERSION_ATS)
		return ims_error_set(err, IMS_EINVAL,
				     "device: ATS needs trace version %u (this trace is version %u)",
				     IMS_TRACE_VERSION_ATS, d->version);
	if (!ev->len || ev->len > IMS_TRACE_ATC_MAX)
		return ims_error_set(err, IMS_EINVAL, "device: ats %llu out of range (1..%u)",
				     (unsigned long long)ev->len, IMS_TRACE_ATC_MAX);
	if (ev->period > IMS_TRACE_ATS_INV_MAX)
		return ims_error_set(err, IMS_EINVAL, "device: ats_inv %llu out of range (1..%u)",
				     (unsigned long long)ev->period, IMS_TRACE_ATS_INV_MAX);
	return 0;
}

static int check_device(struct ims_trace_decls *d, const struct ims_event *ev,
			struct ims_error *err)
{
	int rc = check_declare(d, IMS_DECL_DEVICE, ev->device, ev, "device", err);

	if (rc)
		return rc;
	if (d->sid_used[ev->sid / 8] & 1u << ev->sid % 8)
		return ims_error_set(err, IMS_EEXIST, "device: sid 0x%x is already used", ev->sid);
	return check_ats(d, ev, err);
}

static int check_domain(const struct ims_trace_decls *d, const struct ims_event *ev,
			struct ims_error *err)
{
	int rc = check_declare(d, IMS_DECL_DOMAIN, ev->domain, ev, "domain", err);

	if (rc)
		return rc;
	if (ev->iova_bits != 48 && ev->iova_bits != 57)
		return ims_error_set(err, IMS_EINVAL, "domain: iova_bits must be 48 or 57, not %u",
				     ev->iova_bits);
	if (ev->flags & IMS_EVF_HAS_IOAS)
		return check_ref(d, IMS_DECL_IOAS, ev->ioas, "domain", err);
	return 0;
}

/* References of a non-declaring event, then its numbers. */
static int check_event(const struct ims_trace_decls *d, const struct ims_event *ev,
		       const char *kw, struct ims_error *err)
{
	unsigned use = kind_use[ev->kind].fields;
	int rc = 0;

	if (use & F_DEVICE)
		rc = check_ref(d, IMS_DECL_DEVICE, ev->device, kw, err);
	if (!rc && (use & F_DOMAIN))
		rc = check_ref(d, IMS_DECL_DOMAIN, ev->domain, kw, err);
	if (!rc && (use & F_SRC_IOAS))
		rc = check_ref(d, IMS_DECL_IOAS, ev->src_ioas, kw, err);
	if (!rc && (use & F_IOAS))
		rc = check_ref(d, IMS_DECL_IOAS, ev->ioas, kw, err);
	if (rc)
		return rc;
	switch (ev->kind) {
	case IMS_EV_MAP:
	case IMS_EV_UNMAP:
	case IMS_EV_GET_DIRTY:
	case IMS_EV_DIRTY_UNMAP:
		rc = check_domain_range(d, ev, kw, err);
		break;
	case IMS_EV_IOAS_COPY:   /* the source range, then the destination's below */
		rc = check_range(ev, ev->src_iova, kw, true, err);
		__attribute__((fallthrough));
	case IMS_EV_IOAS_MAP:
	case IMS_EV_IOAS_UNMAP:
	case IMS_EV_ACCESS_PIN:
	case IMS_EV_ACCESS_UNPIN:
		if (!rc)
			rc = check_range(ev, ev->iova, kw, true, err);
		break;
	case IMS_EV_CPU_READ:
	case IMS_EV_CPU_WRITE:
		rc = check_range(ev, ev->iova, kw, false, err);
		break;
	case IMS_EV_DMA:
		rc = check_range(ev, ev->iova, kw, false, err);
		if (!rc && ev->len > IMS_TRACE_DMA_MAX_LEN)
			rc = ims_error_set(err, IMS_EINVAL, "dma: len 0x%llx is larger than 1 GiB",
					   (unsigned long long)ev->len);
		break;
	case IMS_EV_PRECOPY:
		if (!ev->period)
			rc = ims_error_set(err, IMS_EINVAL, "precopy: period must be > 0");
		break;
	default:
		break;
	}
	if (!rc && (use & F_PROT))
		rc = check_prot(ev, kw, err);
	if (!rc && (use & F_PA))
		rc = check_pa(ev, kw, err);
	if (!rc && (use & F_PAGE))
		rc = check_page(ev, kw, err);
	return rc;
}

static int record(struct ims_trace_decls *d, struct ims_event *ev, enum ims_decl_kind kind)
{
	struct decl *e = decl_push(&d->list[kind], ev->name);

	if (!e)
		return -IMS_ENOMEM;
	e->iova_bits = ev->iova_bits;
	if (kind == IMS_DECL_DEVICE)
		d->sid_used[ev->sid / 8] |= (uint8_t)(1u << ev->sid % 8);
	ev->name = e->name;
	return 0;
}

/* The rules above for a DMA, as one expression: the event every replay
 * checks millions of times. True only for a DMA those rules accept; anything
 * else takes the full path, which finds the same verdict and words the
 * error (tests/sim/test_trace_elf.c holds the two to agreement). */
static bool dma_fast_ok(const struct ims_trace_decls *d, const struct ims_event *ev)
{
	uint64_t unused = (uint64_t)ev->domain | ev->ioas | ev->src_ioas | ev->src_iova | ev->pa |
			  ev->prot | ev->period | ev->page_lg2 | ev->iova_bits | ev->sid;

	return ev->kind == IMS_EV_DMA && ev->time >= d->time && !unused &&
	       !(ev->flags & ~kind_use[IMS_EV_DMA].flags) &&
	       ev->device < d->list[IMS_DECL_DEVICE].count && ev->len &&
	       ev->len <= IMS_TRACE_DMA_MAX_LEN && ev->len <= UINT64_MAX - ev->iova;
}

int ims_decls_apply(struct ims_trace_decls *d, struct ims_event *ev, struct ims_error *err)
{
	if (dma_fast_ok(d, ev)) {
		d->time = ev->time;
		return 0;
	}
	return ims_decls_apply_full(d, ev, err);
}

int ims_decls_apply_full(struct ims_trace_decls *d, struct ims_event *ev,
			 struct ims_error *err)
{
	const char *kw;
	int rc;

	if ((unsigned)ev->kind >= IMS_EV_KIND_COUNT)
		return ims_error_set(err, IMS_EINVAL, "unknown event kind %u", (unsigned)ev->kind);
	kw = ims_ev_kind_name(ev->kind);
	if (ev->time < d->time)
		return ims_error_set(err, IMS_EINVAL, "time goes backwards (@%llu after @%llu)",
				     (unsigned long long)ev->time, (unsigned long long)d->time);
	rc = check_unused(ev, kw, err);
	if (rc)
		return rc;
	switch (ev->kind) {
	case IMS_EV_DEVICE:
		rc = check_device(d, ev, err);
		break;
	case IMS_EV_DOMAIN:
		rc = check_domain(d, ev, err);
		break;
	case IMS_EV_IOAS:
		rc = check_declare(d, IMS_DECL_IOAS, ev->ioas, ev, "ioas", err);
		break;
	default:
		rc = check_event(d, ev, kw, err);
		if (!rc)
			d->time = ev->time;
		return rc;
	}
	if (rc)
		return rc;
	rc = record(d, ev, ev->kind == IMS_EV_DEVICE ? IMS_DECL_DEVICE :
			   ev->kind == IMS_EV_DOMAIN ? IMS_DECL_DOMAIN : IMS_DECL_IOAS);
	if (rc)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	d->time = ev->time;
	return 0;
}
