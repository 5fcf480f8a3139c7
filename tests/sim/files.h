/* Test helper: a temporary directory per test and the files in it.
 *
 *     TestSuite(name, .init = tmpdir_setup, .fini = tmpdir_teardown);
 *
 * tmpdir holds its path. Test files that need scratch files or commands
 * use these rather than copies of their own. */
#ifndef IMS_TEST_FILES_H
#define IMS_TEST_FILES_H

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static char tmpdir[] = "/tmp/ims_test_XXXXXX";

static inline void tmpdir_setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
}

static inline void tmpdir_teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

/* The whole file, NUL-terminated; free it. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)n + 1);
	cr_assert_not_null(data);
	cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

/* Write text to the file `name` of tmpdir. */
static inline void tmpdir_write(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

/* Run a shell command in tmpdir, after `env` (assignments, e.g. "T=path");
 * stdout and stderr in out. Returns the exit status. */
static inline int run_in_tmpdir(char *out, size_t size, const char *env, const char *command)
{
	char cmd[4096];
	FILE *p;
	size_t n;
	int status;

	snprintf(cmd, sizeof(cmd), "cd %s && %s && %s 2>&1", tmpdir, env, command);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = 0;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run the iommusim command (IMS_CLI) with args (shell syntax, relative to
 * tmpdir) in tmpdir; stdout and stderr in out. Returns the exit status. */
static inline int run_cli(char *out, size_t size, const char *args)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s %s", IMS_CLI, args);
	return run_in_tmpdir(out, size, "true", cmd);
}

/* The JSON file `name` of tmpdir, which must parse; json_decref it. */
static inline json_t *tmpdir_json(const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	j = json_load_file(path, 0, &jerr);
	cr_assert_not_null(j, "%s: %s", path, jerr.text);
	return j;
}

#endif
