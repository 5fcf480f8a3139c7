/* libFuzzer harness: the ELF container reader, through ims_trace_open
 * (targets.h: an input with the ELF magic is the file itself, anything else
 * metadata and records to pack into one). The reader takes a path (libelf
 * works on a file descriptor), so each input goes to one scratch file. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/fuzz/targets.h"

static char scratch[4096];

static void remove_scratch(void)
{
	unlink(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ims_fuzz_result res;

	if (!scratch[0]) {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(scratch, sizeof(scratch), "%s/ims-fuzz-elf-XXXXXX",
			 dir && *dir ? dir : "/tmp");
		fd = mkstemp(scratch);
		if (fd < 0) {
			perror(scratch);
			abort();
		}
		close(fd);
		atexit(remove_scratch);
	}
	ims_fuzz_trace_elf(scratch, data, size, &res);
	return ims_fuzz_verdict(&res);
}
