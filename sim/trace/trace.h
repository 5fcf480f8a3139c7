/* Trace reading: text traces (format v1, traces/FORMAT.md), plain or gzip,
 * streamed one event at a time so memory does not grow with trace length.
 *
 * Names of devices and domains are resolved to indices here, once per line;
 * the engine never sees a string on the DMA path.
 */
#ifndef IMS_TRACE_H
#define IMS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

enum ims_ev_kind {
	IMS_EV_DEVICE,          /* declare device `device` named `name` */
	IMS_EV_DOMAIN,          /* declare domain `domain` named `name` */
	IMS_EV_ATTACH,          /* attach device to domain */
	IMS_EV_MAP,             /* map [iova, iova+len) in domain (pa optional) */
	IMS_EV_UNMAP,           /* unmap [iova, iova+len) */
	IMS_EV_DMA,             /* device reads/writes [iova, iova+len) */
	IMS_EV_DIRTY_TRACKING,  /* domain tracking on (IMS_EVF_ON) or off */
	IMS_EV_GET_DIRTY,       /* read dirty bitmap of range (IMS_EVF_NO_CLEAR) */
	IMS_EV_DIRTY_UNMAP,     /* read dirty then unmap: the strategy expands it */
	IMS_EV_PRECOPY,         /* start dirty-sync rounds of domain every `period` */
	IMS_EV_STOP_COPY,       /* final dirty-sync round; periodic rounds stop */
	IMS_EV_IOAS,            /* declare IOAS `ioas` named `name` */
	IMS_EV_IOAS_MAP,        /* map [iova, iova+len) in ioas (pa optional) */
	IMS_EV_IOAS_UNMAP,      /* unmap [iova, iova+len) from ioas */
	IMS_EV_IOAS_COPY,       /* copy src_ioas [src_iova, +len) to ioas at iova */
	IMS_EV_IOAS_ATTACH,     /* attach domain to ioas (fill) */
	IMS_EV_IOAS_DETACH,     /* detach domain from its IOAS (unfill) */
	IMS_EV_ACCESS_PIN,      /* an access pins [iova, iova+len) of ioas */
	IMS_EV_ACCESS_UNPIN,    /* ... and unpins it */
	IMS_EV_CPU_READ,        /* the host CPU reads [iova, iova+len) of ioas */
	IMS_EV_CPU_WRITE,       /* the host CPU writes it */
	IMS_EV_KIND_COUNT
};

#define IMS_EVF_WRITE 0x1u      /* DMA: write (else read) */
#define IMS_EVF_NO_CLEAR 0x2u   /* GET_DIRTY: do not clear */
#define IMS_EVF_ON 0x4u         /* DIRTY_TRACKING: enable */
#define IMS_EVF_HAS_PA 0x8u     /* MAP, IOAS_MAP: pa given explicitly */
#define IMS_EVF_HAS_IOAS 0x10u  /* DOMAIN: created in `ioas` (else a private one) */
#define IMS_EVF_NONCOHERENT 0x20u /* DOMAIN: coherent=no */

struct ims_event {
	enum ims_ev_kind kind;
	uint32_t flags;         /* IMS_EVF_* */
	uint64_t time;          /* cycles of the reference clock */
	uint64_t line;          /* source line number, for messages */
	uint32_t device;        /* device index (DEVICE, ATTACH, DMA) */
	uint32_t domain;        /* domain index (DOMAIN, ATTACH, MAP, UNMAP, ...) */
	uint32_t ioas;          /* IOAS index (IOAS_*, ACCESS_*; DOMAIN with HAS_IOAS) */
	uint32_t src_ioas;      /* IOAS_COPY: source IOAS */
	uint64_t src_iova;      /* IOAS_COPY: source address */
	uint64_t iova;
	uint64_t len;
	uint64_t pa;            /* MAP with IMS_EVF_HAS_PA */
	uint8_t prot;           /* MAP: IMS_PROT_READ | IMS_PROT_WRITE; IOAS_COPY: 0 = the
				 * source's */
	uint64_t period;        /* PRECOPY: cycles between rounds */
	uint8_t page_lg2;       /* GET_DIRTY, DIRTY_UNMAP, PRECOPY, STOP_COPY: bitmap granule */
	uint8_t iova_bits;      /* DOMAIN: 48 or 57 */
	uint16_t sid;           /* DEVICE: requester id */
	const char *name;       /* DEVICE, DOMAIN, IOAS: valid until the reader closes */
};

struct ims_trace_reader;

/* Open a text trace; gzip-compressed files are detected and inflated. */
int ims_trace_open(struct ims_trace_reader **out, const char *path, struct ims_error *err);

/* Read from memory (tests, fuzzing); `name` is used in messages. */
int ims_trace_open_mem(struct ims_trace_reader **out, const char *name,
		       const char *text, size_t len, struct ims_error *err);

/* Next event: 1 = *ev filled, 0 = end of trace, < 0 = error with err set and
 * located at the file and line. */
int ims_trace_next(struct ims_trace_reader *r, struct ims_event *ev, struct ims_error *err);

void ims_trace_close(struct ims_trace_reader *r);

const char *ims_trace_path(const struct ims_trace_reader *r);
const char *ims_trace_device_name(const struct ims_trace_reader *r, uint32_t index);
const char *ims_trace_domain_name(const struct ims_trace_reader *r, uint32_t index);
const char *ims_trace_ioas_name(const struct ims_trace_reader *r, uint32_t index);

const char *ims_ev_kind_name(enum ims_ev_kind kind);

#endif
