/* Outputs in the making, removed if a signal ends the process first.
 *
 * Every command writes its results to a temporary file (or directory) and
 * renames it into place when complete, so a failed run never leaves a
 * partial result. This registry covers the other way a run ends early:
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP. The handler removes what is
 * registered (files first, then directories), then
 * lets the signal end the process as it would have (exit status 128 + N).
 *
 * Only async-signal-safe calls run in the handler (unlink, rmdir, getpid,
 * sigaction, raise), and the slots are fixed-size, so registering allocates
 * nothing. A forked worker inherits the registry but never removes what its
 * parent registered: each entry carries the pid that made it.
 */
#ifndef IMS_CLEANUP_H
#define IMS_CLEANUP_H

#include <signal.h>

/* Register a temporary file or (empty-to-be) directory; the handlers are
 * installed on first use. Returns a handle for ims_cleanup_forget, or -1
 * when the path is too long or every slot is taken (then the path is simply
 * not cleaned up on a signal: the caller carries on). */
int ims_cleanup_add(const char *path);

/* mkstemp(tmpl) and mkdtemp(tmpl), registering what they made with the
 * signals held in between: a signal can never find the file or directory
 * made but not yet registered. *handle gets ims_cleanup_add's answer.
 * Return as mkstemp and mkdtemp do (errno set on failure). */
int ims_cleanup_mkstemp(char *tmpl, int *handle);
char *ims_cleanup_mkdtemp(char *tmpl, int *handle);

/* The path was renamed into place or removed: forget it. -1 is ignored. */
void ims_cleanup_forget(int handle);

/* Hold those signals while building something the handler cannot remove
 * safely (a report's directory tree), for the few seconds it takes; a
 * signal that came meanwhile is delivered by ims_cleanup_resume, after the
 * caller has installed or removed what it built. */
void ims_cleanup_defer(sigset_t *saved);
void ims_cleanup_resume(const sigset_t *saved);

#endif
