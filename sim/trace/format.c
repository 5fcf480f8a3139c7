/* Canonical text of an event (decls.h): what `iommusim-trace cat` prints and
 * the text writer writes. One spelling per event, so that text -> ELF ->
 * text is the identity on canonical text. */
#include <stdarg.h>
#include <stdio.h>

#include "models/model.h"
#include "sim/trace/decls.h"

struct out {
	char *buf;
	size_t len, pos;
	bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->overflow = true;
	else
		o->pos += (size_t)n;
}

/* Sizes (no leading blank): the largest of T/G/M/K that divides exactly, else decimal. */
static void put_size(struct out *o, uint64_t v)
{
	static const struct { unsigned shift; char suffix; } unit[] = {
		{ 40, 'T' }, { 30, 'G' }, { 20, 'M' }, { 10, 'K' },
	};

	for (size_t i = 0; v && i < sizeof(unit) / sizeof(unit[0]); i++)
		if (!(v & ((UINT64_C(1) << unit[i].shift) - 1))) {
			put(o, "%llu%c", (unsigned long long)(v >> unit[i].shift), unit[i].suffix);
			return;
		}
	put(o, "%llu", (unsigned long long)v);
}

static void put_hex(struct out *o, uint64_t v)
{
	put(o, " 0x%llx", (unsigned long long)v);
}

static void put_name(struct out *o, const struct ims_trace_decls *d, enum ims_decl_kind k,
		     uint32_t index)
{
	const char *name = ims_decls_name(d, k, index);

	if (name)
		put(o, " %s", name);
	else
		o->overflow = true;   /* not declared: no text can say it */
}

static void put_range(struct out *o, const struct ims_event *ev)
{
	put_hex(o, ev->iova);
	put(o, " ");
	put_size(o, ev->len);
}

static void put_prot(struct out *o, uint8_t prot)
{
	static const char *const spelling[] = { "", "r", "w", "rw" };

	if (prot && prot != (IMS_PROT_READ | IMS_PROT_WRITE))
		put(o, " prot=%s", spelling[prot & 3]);
}

static void put_page(struct out *o, const struct ims_event *ev)
{
	if (ev->page_lg2 != 12) {
		put(o, " page=");
		put_size(o, UINT64_C(1) << ev->page_lg2);
	}
}

static void put_map_opts(struct out *o, const struct ims_event *ev)
{
	if (ev->flags & IMS_EVF_HAS_PA)
		put(o, " pa=0x%llx", (unsigned long long)ev->pa);
	put_prot(o, ev->prot);
}

static void put_args(struct out *o, const struct ims_trace_decls *d, const struct ims_event *ev)
{
	switch (ev->kind) {
	case IMS_EV_DEVICE:
		put(o, " %s", ev->name);
		if (ev->sid != ev->device)
			put(o, " sid=0x%x", ev->sid);
		if (ev->flags & IMS_EVF_ATS)
			put(o, " ats=%llu", (unsigned long long)ev->len);
		if (ev->period)
			put(o, " ats_inv=%llu", (unsigned long long)ev->period);
		break;
	case IMS_EV_DOMAIN:
		put(o, " %s", ev->name);
		if (ev->iova_bits != 48)
			put(o, " iova_bits=%u", ev->iova_bits);
		if (ev->flags & IMS_EVF_HAS_IOAS) {
			const char *ioas = ims_decls_name(d, IMS_DECL_IOAS, ev->ioas);

			if (ioas)
				put(o, " ioas=%s", ioas);
			else
				o->overflow = true;
		}
		if (ev->flags & IMS_EVF_NONCOHERENT)
			put(o, " coherent=no");
		break;
	case IMS_EV_IOAS:
		put(o, " %s", ev->name);
		break;
	case IMS_EV_ATTACH:
		put_name(o, d, IMS_DECL_DEVICE, ev->device);
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		break;
	case IMS_EV_MAP:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put_range(o, ev);
		put_map_opts(o, ev);
		break;
	case IMS_EV_IOAS_MAP:
		put_name(o, d, IMS_DECL_IOAS, ev->ioas);
		put_range(o, ev);
		put_map_opts(o, ev);
		break;
	case IMS_EV_UNMAP:
	case IMS_EV_DIRTY_UNMAP:
	case IMS_EV_GET_DIRTY:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put_range(o, ev);
		if (ev->kind != IMS_EV_UNMAP)
			put_page(o, ev);
		if (ev->flags & IMS_EVF_NO_CLEAR)
			put(o, " no_clear");
		break;
	case IMS_EV_DMA:
		put_name(o, d, IMS_DECL_DEVICE, ev->device);
		put(o, ev->flags & IMS_EVF_WRITE ? " write" : " read");
		put_range(o, ev);
		break;
	case IMS_EV_DIRTY_TRACKING:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put(o, ev->flags & IMS_EVF_ON ? " on" : " off");
		break;
	case IMS_EV_PRECOPY:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put(o, " period=%llu", (unsigned long long)ev->period);
		put_page(o, ev);
		break;
	case IMS_EV_STOP_COPY:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put_page(o, ev);
		break;
	case IMS_EV_IOAS_UNMAP:
	case IMS_EV_ACCESS_PIN:
	case IMS_EV_ACCESS_UNPIN:
	case IMS_EV_CPU_READ:
	case IMS_EV_CPU_WRITE:
		put_name(o, d, IMS_DECL_IOAS, ev->ioas);
		put_range(o, ev);
		break;
	case IMS_EV_IOAS_COPY:
		put_name(o, d, IMS_DECL_IOAS, ev->src_ioas);
		put_hex(o, ev->src_iova);
		put_name(o, d, IMS_DECL_IOAS, ev->ioas);
		put_range(o, ev);
		put_prot(o, ev->prot);
		break;
	case IMS_EV_IOAS_ATTACH:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		put_name(o, d, IMS_DECL_IOAS, ev->ioas);
		break;
	case IMS_EV_IOAS_DETACH:
		put_name(o, d, IMS_DECL_DOMAIN, ev->domain);
		break;
	default:
		o->overflow = true;
		break;
	}
}

int ims_event_format(const struct ims_trace_decls *d, const struct ims_event *ev,
		     char *buf, size_t len)
{
	struct out o = { buf, len, 0, len == 0 };

	put(&o, "@%llu %s", (unsigned long long)ev->time, ims_ev_kind_name(ev->kind));
	put_args(&o, d, ev);
	return o.overflow ? -1 : (int)o.pos;
}
