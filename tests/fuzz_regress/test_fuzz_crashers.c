/* The fuzzers' findings stay fixed: every input in tests/fuzz/crashers/TARGET/
 * (what libFuzzer saved when a harness crashed or broke a rule, kept after
 * the fix) replays through the same entry point as the harness
 * (tests/fuzz/targets.h), here under gcc and the asan preset's sanitizers.
 * Each must be accepted or refused cleanly: a message that names the file
 * and, for line-based input, the line. The seed inputs from traces/ and the
 * samples replay too, so the targets' own rules (canonical text reads back,
 * converter summaries count what was written) are held to real traces. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/targets.h"
#include "../sim/files.h"

#define CRASHERS IMS_SOURCE_DIR "/tests/fuzz/crashers/"

enum target { TRACE_TEXT, TRACE_ELF, FTRACE, QEMU, OPTIONS };

static struct ims_fuzz_result replay(enum target t, const char *path)
{
	struct ims_fuzz_result res;
	size_t len;
	char *data = slurp(path, &len), scratch[512];
	const uint8_t *bytes = (const uint8_t *)data;

	snprintf(scratch, sizeof(scratch), "%s/container.elf", tmpdir);
	switch (t) {
	case TRACE_TEXT: ims_fuzz_trace_text(path, bytes, len, &res); break;
	case TRACE_ELF: ims_fuzz_trace_elf(scratch, bytes, len, &res); break;
	case FTRACE: ims_fuzz_ftrace(path, bytes, len, &res); break;
	case QEMU: ims_fuzz_qemu(path, bytes, len, &res); break;
	case OPTIONS: ims_fuzz_options(bytes, len, &res); break;
	}
	free(data);
	return res;
}

/* Replays the files of dir whose names end with suffix ("" for all);
 * returns how many there were. */
static unsigned replay_dir(enum target t, const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), slen = strlen(suffix);
		char path[1024];
		struct ims_fuzz_result res;

		if (e->d_name[0] == '.' || len < slen || strcmp(e->d_name + len - slen, suffix))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		res = replay(t, path);
		cr_expect_str_empty(res.violation, "%s: %s", path, res.violation);
		n++;
	}
	closedir(d);
	return n;
}

TestSuite(fuzz_crashers, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* Per target: its crashers, and the seeds that must be there (at least
 * `seeds` of them, so a moved directory fails rather than passes empty). */
static const struct {
	enum target t;
	const char *crashers, *seed_dir, *suffix;
	unsigned seeds;
} targets[] = {
	{ TRACE_TEXT, CRASHERS "trace_text", IMS_SOURCE_DIR "/traces/examples", ".trace", 3 },
	{ TRACE_ELF, CRASHERS "trace_elf", IMS_SOURCE_DIR "/traces/corpus", ".elf", 10 },
	{ FTRACE, CRASHERS "ftrace", IMS_SOURCE_DIR "/tests/convert/samples", ".txt", 2 },
	{ QEMU, CRASHERS "qemu", IMS_SOURCE_DIR "/tests/convert/samples", ".log", 3 },
	{ OPTIONS, CRASHERS "options", IMS_SOURCE_DIR "/tests/fuzz/seeds/options", "", 4 },
};

Test(fuzz_crashers, replay)
{
	ims_fuzz_replay_all = true;
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		replay_dir(targets[i].t, targets[i].crashers, "");
		cr_expect_geq(replay_dir(targets[i].t, targets[i].seed_dir, targets[i].suffix),
			      targets[i].seeds, "seeds missing in %s", targets[i].seed_dir);
	}
}
