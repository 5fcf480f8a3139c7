/* Every class of bad input, one table: the command exits non-zero and its
 * message names the file and the line (or record, or section) at fault.
 * Finer cases of each class live beside the code they test (test_trace.c,
 * test_trace_elf.c, test_cli.c, test_params.c); this is the checklist. */
#include <criterion/criterion.h>
#include <string.h>

#include "files.h"

TestSuite(bad_input, .init = tmpdir_setup, .fini = tmpdir_teardown);

#define HEAD "iommusim-trace 1\ndevice nic\ndomain d\nattach nic d\n"

struct bad {
	const char *what;
	const char *trace;     /* written to t.trace, or NULL */
	const char *prepare;   /* shell run first in the scratch dir, or NULL */
	const char *args;      /* after `iommusim` */
	int status;
	const char *message;   /* must appear in the output */
};

static const struct bad cases[] = {
	{ "syntax", HEAD "map d 0x1000\n", NULL, "run t.trace --model vtd", 1,
	  "t.trace:5: map: expected DOMAIN IOVA LEN" },
	{ "unknown keyword", HEAD "frobnicate d\n", NULL, "run t.trace --model vtd", 1,
	  "t.trace:5: unknown keyword 'frobnicate'" },
	{ "unknown model", HEAD, NULL, "run t.trace --model nosuch", 2,
	  "unknown model 'nosuch'" },
	{ "unknown strategy", HEAD, NULL, "run t.trace --model vtd --strategy nosuch", 2,
	  "unknown strategy 'nosuch'" },
	{ "unknown parameter", HEAD, NULL, "run t.trace --model vtd --param nosuch=1", 2,
	  "unknown parameter 'nosuch'" },
	{ "parameter value", HEAD, NULL, "run t.trace --model vtd --param iotlb_entries=banana", 2,
	  "parameter iotlb_entries: 'banana'" },
	{ "overlapping map", HEAD "map d 0x1000 4K\nmap d 0x1000 4K\n", NULL,
	  "run t.trace --model vtd", 1, "t.trace:6: map: [0x1000, 0x1fff] overlaps" },
	{ "unmap of what is not mapped", HEAD "unmap d 0x1000 4K\n", NULL,
	  "run t.trace --model vtd", 1, "t.trace:5: unmap: [0x1000, 0x1fff] is not fully mapped" },
	{ "misaligned size", HEAD "map d 0x1000 100\n", NULL, "run t.trace --model vtd", 1,
	  "t.trace:5: map: len 0x64 is not 4 KiB aligned" },
	{ "value out of range", HEAD "map d 0x1000000000000 4K\n", NULL,
	  "run t.trace --model vtd", 1, "t.trace:5: map: range [0x1000000000000" },
	{ "undeclared device", HEAD "dma gpu write 0x1000 64\n", NULL,
	  "run t.trace --model vtd", 1, "t.trace:5:" },
	{ "truncated .gz", HEAD "map d 0x1000 64K\n",
	  "gzip -c t.trace | head -c 40 > t.trace.gz", "run t.trace.gz --model vtd", 1,
	  "t.trace.gz:2: truncated or corrupt gzip data" },
	{ "corrupt ELF", HEAD "map d 0x1000 64K\n",
	  "$T convert t.trace t.elf && head -c 300 t.elf > bad.elf", "run bad.elf --model vtd", 1,
	  "bad.elf: truncated: the section header table" },
	{ "not a trace", NULL, "printf 'hello\\n' > t.trace", "run t.trace --model vtd", 1,
	  "t.trace:1:" },
	{ "missing file", NULL, NULL, "run nowhere.trace --model vtd", 1, "nowhere.trace" },
};

Test(bad_input, every_class_names_the_place_and_fails)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad *c = &cases[i];
		char out[8192], cmd[1024];
		int status;

		if (c->trace)
			tmpdir_write("t.trace", c->trace);
		if (c->prepare)
			cr_assert_eq(run_in_tmpdir(out, sizeof(out),
						   "T=" IMS_BIN_DIR "/iommusim-trace", c->prepare),
				     0, "%s: preparing: %s", c->what, out);
		snprintf(cmd, sizeof(cmd), IMS_CLI " %s", c->args);
		status = run_in_tmpdir(out, sizeof(out), "true", cmd);
		cr_expect_eq(status, c->status, "%s: exit %d, not %d: %s", c->what, status,
			     c->status, out);
		cr_expect_not_null(strstr(out, c->message), "%s: no '%s' in: %s", c->what,
				   c->message, out);
	}
}

/* A DMA to an unmapped IOVA is simulated behaviour, not bad input: the run
 * succeeds and counts the fault. */
Test(bad_input, dma_to_an_unmapped_iova_is_a_fault_not_an_error)
{
	char out[8192];

	tmpdir_write("t.trace", HEAD "map d 0x1000 64K\n@100000 dma nic write 0x900000 64\n");
	cr_expect_eq(run_in_tmpdir(out, sizeof(out), "true",
				   IMS_CLI " run t.trace --model vtd --json r.json > /dev/null"), 0,
		     "%s", out);
	{
		char path[600], *json;
		size_t len;

		snprintf(path, sizeof(path), "%s/r.json", tmpdir);
		json = slurp(path, &len);
		cr_expect_not_null(strstr(json, "\"fault_not_present\": 1"), "%s", json);
		free(json);
	}
}
