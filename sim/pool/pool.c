#include "sim/pool/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

unsigned ims_pool_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static void job_path(char *buf, size_t len, const char *dir, unsigned i, const char *ext)
{
	snprintf(buf, len, "%s/%u.%s", dir, i, ext);
}

/* A worker: jobs w, w + nworkers, ...; one byte on `done` per job. */
static void worker(unsigned w, unsigned nworkers, unsigned n, ims_pool_job_fn fn, void *ctx,
		   const char *dir, int done)
{
	for (unsigned i = w; i < n; i += nworkers) {
		struct ims_error err = { 0 };
		char path[1100];
		json_t *j = fn(ctx, i, &err);
		int ok;

		if (j) {
			job_path(path, sizeof(path), dir, i, "json");
			ok = json_dump_file(j, path, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0;
			json_decref(j);
		} else {
			char msg[1024];
			FILE *f;

			job_path(path, sizeof(path), dir, i, "err");
			f = fopen(path, "w");
			ok = f && fprintf(f, "%d\n%s", err.code ? err.code : IMS_EIO,
					  ims_error_format(&err, msg, sizeof(msg))) > 0;
			ok = f && fclose(f) == 0 && ok;
		}
		if (!ok || write(done, "x", 1) != 1)
			_exit(3);
	}
	_exit(0);
}

static void draw(const struct ims_pool_opts *o, unsigned done, unsigned n)
{
	enum { WIDTH = 40 };
	char bar[WIDTH + 1];
	unsigned fill = n ? done * WIDTH / n : WIDTH;

	memset(bar, '#', fill);
	memset(bar + fill, ' ', WIDTH - fill);
	bar[WIDTH] = 0;
	fprintf(stderr, "\r%s [%s] %u/%u", o->label ? o->label : "", bar, done, n);
	if (done == n)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Read the results back in job order; the first failure wins. */
static int collect(json_t **out, unsigned n, const char *dir, struct ims_error *err)
{
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		char path[1100];
		json_error_t jerr;
		FILE *f;

		job_path(path, sizeof(path), dir, i, "err");
		f = fopen(path, "r");
		if (f) {
			char msg[1100] = "";
			int code = IMS_EIO;
			size_t len;

			/* NOLINTNEXTLINE(cert-err34-c): the worker above wrote it with %d */
			if (fscanf(f, "%d\n", &code) != 1)
				code = IMS_EIO;
			len = fread(msg, 1, sizeof(msg) - 1, f);
			msg[len] = 0;
			fclose(f);
			unlink(path);
			if (!rc)
				rc = ims_error_set(err, code, "%s", msg);
			continue;
		}
		job_path(path, sizeof(path), dir, i, "json");
		out[i] = json_load_file(path, 0, &jerr);
		unlink(path);
		if (!out[i] && !rc)
			rc = ims_error_set(err, IMS_EIO, "job %u left no result: %s", i, jerr.text);
	}
	if (rc)
		for (unsigned i = 0; i < n; i++) {
			json_decref(out[i]);
			out[i] = NULL;
		}
	return rc;
}

int ims_pool_run(json_t **out, unsigned n, ims_pool_job_fn fn, void *ctx,
		 const struct ims_pool_opts *opts, struct ims_error *err)
{
	const char *tmp = getenv("TMPDIR");
	unsigned nworkers = opts->workers ? opts->workers : ims_pool_cpus(), started = 0, done = 0;
	bool bar = opts->progress && isatty(STDERR_FILENO);
	char dir[1024];
	pid_t *pids;
	int fds[2], rc = 0;
	bool died = false;

	for (unsigned i = 0; i < n; i++)
		out[i] = NULL;
	if (n == 0)
		return 0;
	if (nworkers > n)
		nworkers = n;
	snprintf(dir, sizeof(dir), "%s/ims-pool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return ims_error_set(err, IMS_EIO, "cannot make a scratch directory %s: %s", dir,
				     strerror(errno));
	pids = calloc(nworkers, sizeof(*pids));
	if (!pids || pipe(fds)) {
		free(pids);
		rmdir(dir);
		return ims_error_set(err, IMS_ENOMEM, "cannot start workers");
	}
	/* what is buffered would be written again by every child */
	fflush(stdout);
	fflush(stderr);
	for (; started < nworkers; started++) {
		pids[started] = fork();
		if (pids[started] < 0) {
			rc = ims_error_set(err, IMS_ENOMEM, "cannot fork: %s", strerror(errno));
			break;
		}
		if (pids[started] == 0) {
			close(fds[0]);
			worker(started, nworkers, n, fn, ctx, dir, fds[1]);
		}
	}
	close(fds[1]);
	if (bar)
		draw(opts, 0, n);
	for (;;) {
		char buf[64];
		ssize_t got = read(fds[0], buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		done += (unsigned)got;
		if (bar)
			draw(opts, done, n);
	}
	close(fds[0]);
	for (unsigned w = 0; w < started; w++) {
		int status;

		while (waitpid(pids[w], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			died = true;
	}
	free(pids);
	if (!rc && (died || done != n))
		rc = ims_error_set(err, IMS_EIO, "a worker process died (%u of %u jobs done)",
				   done, n);
	if (!rc)
		rc = collect(out, n, dir, err);
	else {
		/* clean up whatever the workers left */
		for (unsigned i = 0; i < n; i++) {
			char path[1100];

			job_path(path, sizeof(path), dir, i, "json");
			unlink(path);
			job_path(path, sizeof(path), dir, i, "err");
			unlink(path);
		}
	}
	rmdir(dir);
	return rc;
}
