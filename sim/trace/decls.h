/* What a trace has declared so far, and the rules every event must follow
 * whatever form it came in (text, ELF container, a generator, a converter).
 *
 * The text reader checks as it parses, with the token in hand for its
 * messages; the ELF reader and the writers check the decoded event here.
 * Either way an event that passes is one the engine can take: indices name
 * declared objects, ranges are page-granular where the format says so, and
 * fields a kind does not use are zero (so the binary form has one encoding
 * per event and round-trips byte for byte).
 */
#ifndef IMS_TRACE_DECLS_H
#define IMS_TRACE_DECLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/trace/trace.h"

#define IMS_TRACE_NAME_MAX 63           /* characters in a device/domain/IOAS name */
#define IMS_TRACE_MAX_DECLS 65536u      /* of each kind: 16-bit SIDs, domain IDs */
#define IMS_TRACE_DMA_MAX_LEN (UINT64_C(1) << 30)
#define IMS_TRACE_PA_LIMIT_LG2 52       /* widest output address of the formats */
#define IMS_TRACE_ATC_MAX 65536u        /* entries of a device's ATS translation cache */
#define IMS_TRACE_ATS_INV_MAX UINT32_MAX  /* cycles of one ATS invalidation */

/* The three kinds of declared object. */
enum ims_decl_kind { IMS_DECL_DEVICE, IMS_DECL_DOMAIN, IMS_DECL_IOAS, IMS_DECL_KINDS };

struct ims_trace_decls;

int ims_decls_new(struct ims_trace_decls **out);
void ims_decls_free(struct ims_trace_decls *d);

/* Check `ev` against the rules and what was declared before it. A
 * declaration is recorded (its index must be the next one of its kind and
 * ev->name a valid new name; ev->name is then pointed at the stored copy).
 * Errors are unlocated ("map: iova 0x1001 is not 4 KiB aligned"); the caller
 * adds file and line or record. */
int ims_decls_apply(struct ims_trace_decls *d, struct ims_event *ev, struct ims_error *err);
/* The same rules without the shortcut ims_decls_apply takes for DMAs, so
 * tests can hold the two to the same verdicts. */
int ims_decls_apply_full(struct ims_trace_decls *d, struct ims_event *ev,
			 struct ims_error *err);

/* The format version of the trace the events come from (a new table takes
 * IMS_TRACE_VERSION): an event using what a later version added is refused. */
void ims_decls_set_version(struct ims_trace_decls *d, unsigned version);

uint32_t ims_decls_count(const struct ims_trace_decls *d, enum ims_decl_kind kind);
/* NULL if index is not declared. */
const char *ims_decls_name(const struct ims_trace_decls *d, enum ims_decl_kind kind,
			   uint32_t index);

/* Letters, digits, '_', '.', '-', not starting with a digit, '.' or '-';
 * 1..IMS_TRACE_NAME_MAX characters. */
bool ims_trace_name_valid(const char *s, size_t len);

/* The canonical text line of an event (format IMS_TRACE_VERSION, no newline): "@TIME
 * keyword args", addresses in hex, sizes with a K/M/G suffix when exact,
 * options only when not the default. Reading the line back gives the same
 * event. Returns the length, or -1 if buf is too small (256 bytes always
 * suffice). */
int ims_event_format(const struct ims_trace_decls *d, const struct ims_event *ev,
		     char *buf, size_t len);

#define IMS_EVENT_TEXT_MAX 256

#endif
