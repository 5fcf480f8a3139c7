/* Shared machinery of the converters (sim/convert/ftrace.c, qemu_log.c):
 * the line reader, the declared devices and domains, time conversion,
 * event output and small parsers for printf-formatted fields. Internal:
 * not part of the API (convert.h is).
 */
#ifndef IMS_CONVERT_CV_H
#define IMS_CONVERT_CV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "sim/convert/convert.h"
#include "sim/trace/decls.h"

#define CV_LINE_MAX 4096u     /* longer lines are cut here and flagged */
#define CV_KEY_MAX 128u       /* a device's key: kernel device name, "sid 0x12" */
#define CV_NONE UINT32_MAX

/* --- input: one line at a time, from a gzip/plain file or from memory ----- */

struct cv_input {
	char path[256];               /* for messages */
	gzFile gz;                    /* NULL for memory input */
	unsigned char *store;         /* gzread buffer (files) */
	const unsigned char *buf;     /* store, or the caller's bytes */
	size_t pos, end, memlen;      /* unread bytes: buf[pos, end) */
	bool eof;
	uint64_t lineno;              /* of the line in `line` */
	char line[CV_LINE_MAX + 1];   /* NUL-terminated; NUL bytes read become '\x1a' */
	size_t len;
	bool too_long;                /* the line went on past CV_LINE_MAX */
};

/* --- declared objects ------------------------------------------------------ */

struct cv_device {
	char key[CV_KEY_MAX];
	char name[IMS_TRACE_NAME_MAX + 1];
	uint32_t domain;              /* attached to, or CV_NONE */
	int64_t group;                /* ftrace: IOMMU group, -1 unknown */
};

struct cv_domain {
	char name[IMS_TRACE_NAME_MAX + 1];
	uint32_t last_device;         /* most recently attached device, or CV_NONE */
};

/* Open-addressed string index: slot = object index + 1, 0 empty. */
struct cv_index {
	uint32_t *slot;
	uint32_t mask;                /* capacity - 1; capacity a power of two */
};

struct cv {
	struct cv_input in;
	ims_convert_emit_fn emit;
	void *payload;
	struct ims_error *err;
	struct ims_convert_stats st;
	uint64_t mhz;
	uint8_t iova_bits;

	bool have_t0;                 /* t0_ns is the first timestamp seen */
	uint64_t t0_ns;
	uint64_t now;                 /* cycles: the time of the line being converted */
	uint64_t host_free;           /* when the simulated host should be done */
	uint64_t host_min;            /* before which it cannot be done */
	uint64_t last_out;            /* time of the last event written */

	struct cv_device *dev;
	uint32_t ndev, dev_cap;
	struct cv_index dev_by_key, dev_by_name;
	struct cv_domain *dom;
	uint32_t ndom, dom_cap;
	struct cv_index dom_by_name;
	uint8_t sid_used[65536 / 8];
};

/* Set up cv to read `name` (a plain or gzip file when data is NULL, else
 * the len bytes at data) and emit through `emit`; mhz 0 = the default
 * cpu_mhz. Errors go to err. */
int cv_open(struct cv *cv, const char *name, const void *data, size_t len,
	    ims_convert_emit_fn emit, void *payload, uint64_t mhz, uint8_t iova_bits,
	    struct ims_error *err);
/* The emit function of the file entry points: payload is the writer. */
int cv_to_writer(const struct ims_event *ev, struct ims_error *err, void *payload);
/* Back to the first line (the QEMU converter's second pass). */
int cv_rewind(struct cv *cv);
/* Next line into cv->in.line: 1, 0 at the end, < 0 on a read error. */
int cv_next_line(struct cv *cv);
/* Copy the statistics out (if wanted) and free everything. */
void cv_close(struct cv *cv, struct ims_convert_stats *out);

/* Fail at the current line: "path:line: fmt". Returns -code. */
int cv_fail(struct cv *cv, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A line of a supported event whose fields do not read as `expected`. */
int cv_malformed(struct cv *cv, const char *event, const char *expected);

/* Time: a timestamp in ns (the first one seen is `base` cycles) or a time
 * in cycles becomes cv->now; a step back is counted and flattened. */
int cv_time_ns(struct cv *cv, uint64_t ns, uint64_t base);
void cv_time_cycles(struct cv *cv, uint64_t cycles);

/* Find or declare (at cv->now). A new device gets a trace name made from
 * `hint` and SID `sid_hint` if free (else the lowest free one; -1: none). */
int cv_device(struct cv *cv, const char *key, const char *hint, int32_t sid_hint,
	      uint32_t *out);
int cv_domain(struct cv *cv, const char *name, uint32_t *out);
/* Attach a device attached to nothing yet (else nothing happens). */
int cv_attach(struct cv *cv, uint32_t device, uint32_t domain);

/* The simulated host runs its operations one after another; account one
 * more under default parameters, twice: with a generous estimate of its
 * cost (host_free: when a DMA over what it maps should not race it, the
 * value returned) and with a lower bound, the pinning and PTE writes alone
 * (host_min: a DMA before it races the host). */
enum cv_host_op { CV_HOST_MAP, CV_HOST_UNMAP, CV_HOST_ATTACH };
uint64_t cv_host_run(struct cv *cv, enum cv_host_op op, uint64_t pages);

/* Write one event at ev->time (never before the last one written). */
int cv_emit(struct cv *cv, struct ims_event *ev);
/* A map (with pa if has_pa, prot IMS_PROT_*) or unmap at cv->now. */
int cv_range(struct cv *cv, enum ims_ev_kind kind, uint32_t domain, uint64_t iova,
	     uint64_t len, bool has_pa, uint64_t pa, uint8_t prot);
/* A DMA at `time`, split into pieces the format allows. */
int cv_dma(struct cv *cv, uint64_t time, uint32_t device, uint64_t iova, uint64_t len,
	   bool write, bool fault);

/* --- field parsers: advance *p on success, leave it on failure ------------ */

void cv_blanks(const char **p);
bool cv_lit(const char **p, const char *s);            /* exactly s */
bool cv_hex(const char **p, uint64_t *out);            /* 0x then hex digits */
bool cv_xdigits(const char **p, uint64_t *out);        /* hex digits, no 0x */
bool cv_dec(const char **p, uint64_t *out);            /* decimal digits */
bool cv_word(const char **p, char *out, size_t size);  /* up to a blank */
bool cv_at_end(const char **p);                        /* only blanks left */
/* "SECONDS.FRACTION" (1 to 9 fraction digits) in ns. */
bool cv_seconds(const char **p, uint64_t *ns);

#endif
