/* Running gnuplot on a generated script, in the charts directory so the
 * script's relative file names work there and after the directory moves. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cleanup.h"
#include "sim/report/report_internal.h"

int rp_gnuplot_found(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", cmd);
		if (access(buf, X_OK) == 0)
			return 1;
		path = colon ? colon + 1 : NULL;
	}
	return 0;
}

/* The first line of gnuplot's complaint, for the error message. */
static void read_log(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	out[0] = 0;
	if (f) {
		n = fread(out, 1, size - 1, f);
		fclose(f);
	}
	out[n] = 0;
	for (char *c = out; *c; c++)
		if (*c == '\n' && c[1])
			*c = ' ';
}

int rp_gnuplot_run(const struct rp *r, const char *name, struct ims_error *err)
{
	char dir[4096], script[128], log[4200], svg[4200], msg[300];
	struct stat st;
	pid_t pid;
	int status;

	snprintf(dir, sizeof(dir), "%s/charts", r->dir);
	snprintf(script, sizeof(script), "%s.gp", name);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(svg, sizeof(svg), "%s/%s.svg", dir, name);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return ims_error_set(err, IMS_EIO, "cannot start gnuplot: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		ims_cleanup_resume(&r->held);
		if (fd < 0 || chdir(dir) != 0)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		execlp(r->gnuplot, r->gnuplot, script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ims_error_set(err, IMS_EIO, "gnuplot: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		read_log(log, msg, sizeof(msg));
		return ims_error_set(err, IMS_EIO, "gnuplot failed on charts/%s: %s", script,
				     msg[0] ? msg : "(no message)");
	}
	unlink(log);
	if (stat(svg, &st) != 0 || st.st_size == 0)
		return ims_error_set(err, IMS_EIO, "gnuplot wrote no charts/%s.svg", name);
	return 0;
}
