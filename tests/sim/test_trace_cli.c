/* The iommusim-trace command: convert, cat, info, check, as users run them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/sim/files.h"

TestSuite(trace_cli, .init = tmpdir_setup, .fini = tmpdir_teardown);

/* A shell command in the scratch directory, $T = iommusim-trace and
 * $I = iommusim. */
static int run(char *out, size_t size, const char *command)
{
	return run_in_tmpdir(out, size, "T=" IMS_BIN_DIR "/iommusim-trace I=" IMS_CLI, command);
}

static const char trace[] =
	"iommusim-trace 1\n"
	"# a comment, blank lines and relative times: not canonical\n"
	"device nic sid=7\n"
	"domain d   iova_bits=57\n"
	"attach nic d\n"
	"\n"
	"map d 0x200000 2M prot=rw\n"
	"@200000 dma nic write 0x200010 1500\n"
	"+100 dma nic read 0x201000 4K\n"
	"dirty-tracking d on\n"
	"+10 get-dirty d 0x200000 2M no_clear\n"
	"+10 dirty-unmap d 0x200000 2M page=2M\n";

/* written in the newest version, whatever the version read */
static const char canonical[] =
	"iommusim-trace 2\n"
	"@0 device nic sid=0x7\n"
	"@0 domain d iova_bits=57\n"
	"@0 attach nic d\n"
	"@0 map d 0x200000 2M\n"
	"@200000 dma nic write 0x200010 1500\n"
	"@200100 dma nic read 0x201000 4K\n"
	"@200100 dirty-tracking d on\n"
	"@200110 get-dirty d 0x200000 2M no_clear\n"
	"@200120 dirty-unmap d 0x200000 2M page=2M\n";

Test(trace_cli, convert_and_cat_give_canonical_text)
{
	static char out[8192];

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace t.elf && $T cat t.elf"), 0, "%s",
		     out);
	cr_assert_str_eq(out, canonical);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.elf back.trace.gz && "
			 "gzip -dc back.trace.gz"), 0, "%s", out);
	cr_assert_str_eq(out, canonical);
	/* --format overrides the name */
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace x.bin --format elf && "
			 "head -c 4 x.bin | od -An -c"), 0, "%s", out);
	cr_assert(strstr(out, "177   E   L   F"), "%s", out);
}

Test(trace_cli, info_lists_declarations_counts_span_and_bytes)
{
	static char out[8192];

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace t.elf && $T info t.elf"), 0, "%s",
		     out);
	cr_assert(strstr(out, "declarations:\n  @0 device nic sid=0x7\n  @0 domain d iova_bits=57\n"),
		  "%s", out);
	cr_assert(strstr(out, "events: 9\n"), "%s", out);
	cr_assert(strstr(out, "  dma             2\n"), "%s", out);
	cr_assert(strstr(out, "time: @0 .. @200120 (span 200120 cycles)"), "%s", out);
	cr_assert(strstr(out, "bytes: mapped 2097152, unmapped 2097152, dma read 4096, "
			 "dma written 1500"), "%s", out);
}

Test(trace_cli, check_reports_ok_or_the_located_error)
{
	static char out[8192];

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace t.elf && $T check t.elf"), 0);
	cr_assert(strstr(out, "t.elf: ok, 9 events"), "%s", out);
	tmpdir_write("bad.trace", "iommusim-trace 1\ndevice nic\nfrobnicate nic\n");
	cr_assert_eq(run(out, sizeof(out), "$T check bad.trace"), 1);
	cr_assert(strstr(out, "bad.trace:3: unknown keyword 'frobnicate'"), "%s", out);
}

Test(trace_cli, failed_convert_leaves_no_output)
{
	static char out[8192];

	tmpdir_write("bad.trace", "iommusim-trace 1\ndevice nic\nmap nosuch 0 4K\n");
	cr_assert_eq(run(out, sizeof(out), "$T convert bad.trace out.elf"), 1);
	cr_assert(strstr(out, "bad.trace:3: unknown domain 'nosuch'"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "ls"), 0);
	cr_assert_str_eq(out, "bad.trace\n");
	/* an existing output is left as it was */
	tmpdir_write("out.elf", "old\n");
	cr_assert_eq(run(out, sizeof(out), "$T convert bad.trace out.elf; cat out.elf"), 0);
	cr_assert(strstr(out, "old\n"), "%s", out);
}

Test(trace_cli, run_replays_the_container)
{
	static char out[16384];

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace t.elf && $I run t.elf --json a.json "
			 "-q && $I run t.trace --json b.json -q && "
			 "grep -v '\"trace\"' a.json > a && grep -v '\"trace\"' b.json > b && cmp a b && "
			 "echo same"),
		     0, "%s", out);
	cr_assert(strstr(out, "same"), "%s", out);
}

Test(trace_cli, usage_errors_exit_2)
{
	static char out[8192];

	cr_assert_eq(run(out, sizeof(out), "$T"), 2);
	cr_assert(strstr(out, "usage: iommusim-trace convert"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T convert a"), 2);
	cr_assert_eq(run(out, sizeof(out), "$T convert a b --format xml"), 2);
	cr_assert(strstr(out, "unknown format 'xml'"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T frob x"), 2);
	cr_assert_eq(run(out, sizeof(out), "$T --help"), 0);
}

Test(trace_cli, missing_file)
{
	static char out[8192];

	cr_assert_eq(run(out, sizeof(out), "$T info nope.elf"), 1);
	cr_assert(strstr(out, "nope.elf: cannot open"), "%s", out);
}

Test(trace_cli, damaged_container_exits_1_naming_the_problem)
{
	static char out[8192];

	tmpdir_write("t.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T convert t.trace t.elf && head -c 200 t.elf > cut.elf"),
		     0, "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T check cut.elf"), 1);
	cr_assert(strstr(out, "iommusim-trace: cut.elf: truncated: the section header table"),
		  "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$I run cut.elf"), 1);
	cr_assert(strstr(out, "cut.elf: truncated"), "%s", out);
}

/* Format v2's device options through the commands: cat spells them
 * canonically, info says the version, run takes the trace; a v1 file
 * converts to the newest version. */
Test(trace_cli, ats_devices_and_versions)
{
	static char out[16384];

	tmpdir_write("ats.trace", "iommusim-trace 2\n"
		     "device nic ats_inv=2000 ats=64 sid=7\ndevice gpu ats=0x10\n"
		     "domain d\nattach nic d\nattach gpu d\nmap d 0x200000 2M\n"
		     "@200000 dma nic write 0x200010 1500\n+10 dma gpu read 0x201000 4K\n");
	cr_assert_eq(run(out, sizeof(out), "$T convert ats.trace ats.elf && $T cat ats.elf"), 0,
		     "%s", out);
	cr_assert(strstr(out, "iommusim-trace 2\n@0 device nic sid=0x7 ats=64 ats_inv=2000\n"
			 "@0 device gpu ats=16\n"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T info ats.elf"), 0, "%s", out);
	cr_assert(strstr(out, "version: 2\n"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$I run ats.elf -q --json r.json && grep -c '\"dma\": 2,' "
			 "r.json"), 0, "%s", out);
	tmpdir_write("v1.trace", trace);
	cr_assert_eq(run(out, sizeof(out), "$T info v1.trace"), 0, "%s", out);
	cr_assert(strstr(out, "version: 1\n"), "%s", out);
	cr_assert_eq(run(out, sizeof(out), "$T convert v1.trace v2.trace && head -1 v2.trace"), 0,
		     "%s", out);
	cr_assert_str_eq(out, "iommusim-trace 2\n");
	tmpdir_write("bad.trace", "iommusim-trace 1\ndevice nic ats=64\n");
	cr_assert_eq(run(out, sizeof(out), "$T check bad.trace"), 1);
	cr_assert(strstr(out, "bad.trace:2: device: ats= needs trace version 2 (this trace is "
			 "version 1)"), "%s", out);
}
