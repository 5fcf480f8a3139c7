/* Trace reading: text traces (format v1 and v2, traces/FORMAT.md), plain or gzip,
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

/* Format versions (traces/FORMAT.md, "Versioning"). Writers write the
 * newest; readers take every version from the oldest on, and refuse what a
 * trace uses before the version that added it. */
#define IMS_TRACE_VERSION 2             /* written, and the newest read */
#define IMS_TRACE_VERSION_MIN 1         /* the oldest read */
#define IMS_TRACE_VERSION_ATS 2         /* added device ATS (ats=, IMS_EVF_ATS) */

/* The values are the record kinds of the binary form (traces/FORMAT.md,
 * "Event records"): append new kinds, never renumber. */
enum ims_ev_kind {
	IMS_EV_DEVICE = 0,          /* declare device `device` named `name` */
	IMS_EV_DOMAIN = 1,          /* declare domain `domain` named `name` */
	IMS_EV_ATTACH = 2,          /* attach device to domain */
	IMS_EV_MAP = 3,             /* map [iova, iova+len) in domain (pa optional) */
	IMS_EV_UNMAP = 4,           /* unmap [iova, iova+len) */
	IMS_EV_DMA = 5,             /* device reads/writes [iova, iova+len) */
	IMS_EV_DIRTY_TRACKING = 6,  /* domain tracking on (IMS_EVF_ON) or off */
	IMS_EV_GET_DIRTY = 7,       /* read dirty bitmap of range (IMS_EVF_NO_CLEAR) */
	IMS_EV_DIRTY_UNMAP = 8,     /* read dirty then unmap: the strategy expands it */
	IMS_EV_PRECOPY = 9,         /* start dirty-sync rounds of domain every `period` */
	IMS_EV_STOP_COPY = 10,      /* final dirty-sync round; periodic rounds stop */
	IMS_EV_IOAS = 11,           /* declare IOAS `ioas` named `name` */
	IMS_EV_IOAS_MAP = 12,       /* map [iova, iova+len) in ioas (pa optional) */
	IMS_EV_IOAS_UNMAP = 13,     /* unmap [iova, iova+len) from ioas */
	IMS_EV_IOAS_COPY = 14,      /* copy src_ioas [src_iova, +len) to ioas at iova */
	IMS_EV_IOAS_ATTACH = 15,    /* attach domain to ioas (fill) */
	IMS_EV_IOAS_DETACH = 16,    /* detach domain from its IOAS (unfill) */
	IMS_EV_ACCESS_PIN = 17,     /* an access pins [iova, iova+len) of ioas */
	IMS_EV_ACCESS_UNPIN = 18,   /* ... and unpins it */
	IMS_EV_CPU_READ = 19,       /* the host CPU reads [iova, iova+len) of ioas */
	IMS_EV_CPU_WRITE = 20,      /* the host CPU writes it */
	IMS_EV_KIND_COUNT
};

#define IMS_EVF_WRITE 0x1u      /* DMA: write (else read) */
#define IMS_EVF_NO_CLEAR 0x2u   /* GET_DIRTY: do not clear */
#define IMS_EVF_ON 0x4u         /* DIRTY_TRACKING: enable */
#define IMS_EVF_HAS_PA 0x8u     /* MAP, IOAS_MAP: pa given explicitly */
#define IMS_EVF_HAS_IOAS 0x10u  /* DOMAIN: created in `ioas` (else a private one) */
#define IMS_EVF_NONCOHERENT 0x20u /* DOMAIN: coherent=no */
#define IMS_EVF_ATS 0x40u       /* DEVICE: has an ATS device TLB (format v2) */

struct ims_event {
	enum ims_ev_kind kind;
	uint32_t flags;         /* IMS_EVF_* */
	uint64_t time;          /* cycles of the reference clock */
	uint64_t line;          /* source line (text) or record number (ELF), for messages */
	uint32_t device;        /* device index (DEVICE, ATTACH, DMA) */
	uint32_t domain;        /* domain index (DOMAIN, ATTACH, MAP, UNMAP, ...) */
	uint32_t ioas;          /* IOAS index (IOAS_*, ACCESS_*; DOMAIN with HAS_IOAS) */
	uint32_t src_ioas;      /* IOAS_COPY: source IOAS */
	uint64_t src_iova;      /* IOAS_COPY: source address */
	uint64_t iova;
	uint64_t len;           /* bytes of a range; DEVICE with IMS_EVF_ATS: ATC entries */
	uint64_t pa;            /* MAP with IMS_EVF_HAS_PA */
	uint8_t prot;           /* MAP: IMS_PROT_READ | IMS_PROT_WRITE; IOAS_COPY: 0 = the
				 * source's */
	uint64_t period;        /* PRECOPY: cycles between rounds; DEVICE with IMS_EVF_ATS:
				 * cycles an ATS invalidation takes, 0 = the run's
				 * ats_inv_ns */
	uint8_t page_lg2;       /* GET_DIRTY, DIRTY_UNMAP, PRECOPY, STOP_COPY: bitmap granule */
	uint8_t iova_bits;      /* DOMAIN: 48 or 57 */
	uint16_t sid;           /* DEVICE: requester id */
	const char *name;       /* DEVICE, DOMAIN, IOAS: valid until the reader closes */
};

struct ims_trace_reader;

/* Open a trace: text, gzip-compressed text or the ELF container, told
 * apart by their first bytes. */
int ims_trace_open(struct ims_trace_reader **out, const char *path, struct ims_error *err);

/* Read from memory (tests, fuzzing); `name` is used in messages. */
int ims_trace_open_mem(struct ims_trace_reader **out, const char *name,
		       const char *text, size_t len, struct ims_error *err);

/* Replay events held in memory (benchmarks, in-process generators). The
 * events are checked once here by the shared rules (sim/trace/decls.h);
 * their names must outlive the reader. ev->line becomes the index + 1. */
int ims_trace_open_events(struct ims_trace_reader **out, const char *name,
			  const struct ims_event *events, size_t count, struct ims_error *err);

/* Next event: 1 = *ev filled, 0 = end of trace, < 0 = error with err set and
 * located at the file and line. */
int ims_trace_next(struct ims_trace_reader *r, struct ims_event *ev, struct ims_error *err);

void ims_trace_close(struct ims_trace_reader *r);

const char *ims_trace_path(const struct ims_trace_reader *r);

/* The format version the trace declares (its header or metadata); events
 * held in memory are of the newest, IMS_TRACE_VERSION (decls.h). */
unsigned ims_trace_version(const struct ims_trace_reader *r);

/* Locate err at a line (text) or record (ELF) of this trace. */
void ims_trace_locate(const struct ims_trace_reader *r, struct ims_error *err, uint64_t line);
const char *ims_trace_device_name(const struct ims_trace_reader *r, uint32_t index);
const char *ims_trace_domain_name(const struct ims_trace_reader *r, uint32_t index);
const char *ims_trace_ioas_name(const struct ims_trace_reader *r, uint32_t index);

const char *ims_ev_kind_name(enum ims_ev_kind kind);

#endif
