#include "sim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

/* (parenthesized: not the analyzer's macro of the same name, error.h) */
int (ims_error_set)(struct ims_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

void ims_error_locate(struct ims_error *err, const char *path, uint64_t line)
{
	if (!err || err->path[0])
		return;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	err->line = line;
	err->is_record = 0;
}

void ims_error_locate_record(struct ims_error *err, const char *path, uint64_t record)
{
	if (!err || err->path[0])
		return;
	ims_error_locate(err, path, record);
	err->is_record = 1;
}

const char *ims_error_format(const struct ims_error *err, char *buf, unsigned len)
{
	if (err->path[0] && err->line && err->is_record)
		snprintf(buf, len, "%s: record %llu: %s", err->path,
			 (unsigned long long)err->line, err->msg);
	else if (err->path[0] && err->line)
		snprintf(buf, len, "%s:%llu: %s", err->path,
			 (unsigned long long)err->line, err->msg);
	else if (err->path[0])
		snprintf(buf, len, "%s: %s", err->path, err->msg);
	else
		snprintf(buf, len, "%s", err->msg);
	return buf;
}

void ims_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "iommusim: internal error at %s:%d: %s\n", file, line, what);
	abort();
}
