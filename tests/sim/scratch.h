/* Test helper: a scratch directory per test (Criterion runs each test in
 * its own process, so each gets a fresh one) and the commands run in it. */
#ifndef IMS_TEST_SCRATCH_H
#define IMS_TEST_SCRATCH_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static char scratch_dir[] = "/tmp/ims_test_XXXXXX";

static inline void scratch_setup(void)
{
	cr_assert_not_null(mkdtemp(scratch_dir));
}

static inline void scratch_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch_dir);
	cr_assert_eq(system(cmd), 0);
}

/* name inside the scratch directory; valid until the next call */
static inline const char *scratch_path(const char *name)
{
	static char path[2048];

	snprintf(path, sizeof(path), "%s/%s", scratch_dir, name);
	return path;
}

static inline void scratch_write(const char *name, const char *text)
{
	FILE *f = fopen(scratch_path(name), "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* The whole file, NUL-terminated (the caller frees it), or NULL if absent. */
static inline char *scratch_slurp(const char *name, size_t *len)
{
	FILE *f = fopen(scratch_path(name), "rb");
	char *buf;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Run a shell command line (printf-style) in the scratch directory; its
 * stdout and stderr go to out (truncated to size). Returns the exit status. */
static inline int scratch_cmd(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int scratch_cmd(char *out, size_t size, const char *fmt, ...)
{
	char line[2048], cmd[2304];
	va_list ap;
	FILE *p;
	size_t n;
	int status;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "cd %s && %s 2>&1", scratch_dir, line);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
