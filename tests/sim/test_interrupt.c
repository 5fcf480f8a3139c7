/* Ctrl-C and kill: a command stopped by a signal leaves no temporary file and
 * no half-built result behind, and ends by that signal (sim/cleanup.h). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

TestSuite(interrupt, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* Start `argv` in tmpdir as the leader of its own process group (as a shell
 * starts a foreground job, so a Ctrl-C reaches the command and its
 * children), with PATH = path when given. */
static pid_t start(char *const argv[], const char *path)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int devnull;

		setpgid(0, 0);
		if (chdir(tmpdir) != 0)
			_exit(126);
		devnull = open("/dev/null", 1);
		dup2(devnull, 1);
		dup2(devnull, 2);
		if (path)
			setenv("PATH", path, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* Does tmpdir hold a name starting with prefix? */
static bool has_entry(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	bool found = false;

	cr_assert_not_null(d);
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return found;
}

/* Wait (up to 30 s) until tmpdir holds a name starting with prefix. */
static void wait_for(const char *prefix)
{
	for (int i = 0; i < 3000 && !has_entry(prefix); i++)
		usleep(10000);
	cr_assert(has_entry(prefix), "%s never appeared", prefix);
}

static void expect_killed_by(pid_t pid, int sig)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == sig,
		  "status 0x%x: not ended by signal %d", status, sig);
}

/* a trace of 100 M DMAs takes the generator tens of seconds to write */
static char *const long_gen[] = {
	/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a path, concatenated */
	IMS_BIN_DIR "/iommusim-gen", "random-window", "--count", "100000000",
	"-o", "big.elf", NULL,
};

Test(interrupt, ctrl_c_while_writing_a_trace_leaves_nothing)
{
	pid_t pid = start(long_gen, NULL);

	wait_for("big.elf.tmp.");
	kill(-pid, SIGINT);
	expect_killed_by(pid, SIGINT);
	cr_expect(!has_entry("big.elf"), "a file of the trace was left behind");
}

Test(interrupt, sigterm_to_the_command_alone_leaves_nothing)
{
	pid_t pid = start(long_gen, NULL);

	wait_for("big.elf.tmp.");
	kill(pid, SIGTERM);
	expect_killed_by(pid, SIGTERM);
	cr_expect(!has_entry("big.elf"), "a file of the trace was left behind");
}

/* A report is built in a scratch tree: Ctrl-C while gnuplot draws removes
 * the tree, leaves no report and still ends the command by SIGINT. */
Test(interrupt, ctrl_c_while_drawing_a_report_leaves_nothing)
{
	char out[4096], gp[600], path[700], marker[600];
	char *const report[] = { IMS_CLI, "report", "r.json", "-o", "rep", NULL };
	pid_t pid;
	FILE *f;

	cr_assert_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " run " IMS_SOURCE_DIR "/traces/examples/basic.trace"
				   " --model vtd --json r.json > /dev/null"), 0, "%s", out);
	/* a gnuplot that takes its time */
	snprintf(marker, sizeof(marker), "%s/drawing", tmpdir);
	snprintf(gp, sizeof(gp), "%s/bin", tmpdir);
	cr_assert_eq(mkdir(gp, 0777), 0);
	snprintf(gp, sizeof(gp), "%s/bin/gnuplot", tmpdir);
	f = fopen(gp, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\ntouch %s\nexec sleep 60\n", marker);
	fclose(f);
	chmod(gp, 0755);
	snprintf(path, sizeof(path), "%s/bin:/usr/bin:/bin", tmpdir);
	pid = start(report, path);
	wait_for("drawing");
	kill(-pid, SIGINT);
	expect_killed_by(pid, SIGINT);
	cr_expect(!has_entry("rep"), "the report or its scratch tree was left behind");
}
