#include "sim/cleanup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 256
#define PATH_LEN 4096

/* A slot is written fully before `owner` is set, and `owner` is cleared
 * before the slot is reused, so the handler never reads a half-made path. */
static struct {
	char path[PATH_LEN];
	volatile sig_atomic_t owner;   /* pid that registered it; 0 = free */
} slot[SLOTS];

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
	pid_t self = getpid();
	struct sigaction dfl;

	/* files first, then directories, whatever order they came in */
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].owner == self)
			unlink(slot[i].path);
	for (int i = 0; i < SLOTS; i++)
		if (slot[i].owner == self)
			rmdir(slot[i].path);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

static void install(void)
{
	static bool installed;
	struct sigaction sa;

	if (installed)
		return;
	installed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
		sigaddset(&sa.sa_mask, cleanup_signals[i]);
	for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++) {
		struct sigaction old;

		/* a signal the parent shell ignores (nohup, background job) stays
		 * ignored: the user asked for the run to survive it */
		if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

int ims_cleanup_add(const char *path)
{
	size_t len = strlen(path);

	if (len >= PATH_LEN)
		return -1;
	install();
	for (int i = 0; i < SLOTS; i++) {
		if (slot[i].owner)
			continue;
		memcpy(slot[i].path, path, len + 1);
		slot[i].owner = getpid();
		return i;
	}
	return -1;
}

int ims_cleanup_mkstemp(char *tmpl, int *handle)
{
	sigset_t saved;
	int fd, e;

	ims_cleanup_defer(&saved);
	fd = mkstemp(tmpl);
	e = errno;
	*handle = fd < 0 ? -1 : ims_cleanup_add(tmpl);
	ims_cleanup_resume(&saved);
	errno = e;
	return fd;
}

char *ims_cleanup_mkdtemp(char *tmpl, int *handle)
{
	sigset_t saved;
	char *dir;
	int e;

	ims_cleanup_defer(&saved);
	dir = mkdtemp(tmpl);
	e = errno;
	*handle = dir ? ims_cleanup_add(tmpl) : -1;
	ims_cleanup_resume(&saved);
	errno = e;
	return dir;
}

void ims_cleanup_forget(int handle)
{
	if (handle >= 0 && handle < SLOTS)
		slot[handle].owner = 0;
}

void ims_cleanup_defer(sigset_t *saved)
{
	sigset_t hold;

	sigemptyset(&hold);
	for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
		sigaddset(&hold, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &hold, saved);
}

void ims_cleanup_resume(const sigset_t *saved)
{
	sigprocmask(SIG_SETMASK, saved, NULL);
}
