/* Error reporting: the library never prints or exits; it fills a caller-owned
 * struct ims_error and returns a negative code. The command prints
 * "path:line: message" and picks the exit status.
 */
#ifndef IMS_ERROR_H
#define IMS_ERROR_H

#include <stdint.h>

enum ims_errcode {
	IMS_OK = 0,
	IMS_EINVAL = 1,   /* bad argument or value out of range */
	IMS_ESYNTAX = 2,  /* malformed input text */
	IMS_ENOENT = 3,   /* unknown name (model, strategy, device, file) */
	IMS_EEXIST = 4,   /* already exists (overlapping map, duplicate name) */
	IMS_ENOMAP = 5,   /* operation on a range that is not mapped */
	IMS_EIO = 6,      /* file could not be read or written */
	IMS_ENOMEM = 7,
	IMS_ENOTSUP = 8,  /* valid request the model/configuration cannot do */
	IMS_ECHECK = 9,   /* --check found a broken invariant: a simulator bug */
};

struct ims_error {
	int code;            /* enum ims_errcode, 0 when no error */
	char path[256];      /* input file, or "" */
	uint64_t line;       /* line or record number in path, 0 if none */
	int is_record;       /* line is a record number (binary traces) */
	char msg[512];
};

/* Record an error and return -code so callers can `return ims_error_set(...)`. */
int ims_error_set(struct ims_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#ifdef __clang_analyzer__
/* For clang-tidy's analyzer only: it reads one file at a time, so without
 * this it cannot know that the result is -code, takes `rc =
 * ims_error_set(...)` for a success and follows paths that cannot happen.
 * The compilers never see it, nor do clang-tidy's other checks in
 * tools/static-check (-U__clang_analyzer__), which may skip macro text. */
#define ims_error_set(err, code, ...) (ims_error_set((err), (code), __VA_ARGS__), -(code))
#endif

/* Attach a location to an error already set (keeps the first location). */
void ims_error_locate(struct ims_error *err, const char *path, uint64_t line);

/* The same for a record of a binary file. */
void ims_error_locate_record(struct ims_error *err, const char *path, uint64_t record);

/* "path:line: msg", "path: record N: msg", "path: msg" or "msg", written
 * to buf. */
const char *ims_error_format(const struct ims_error *err, char *buf, unsigned len);

#endif
