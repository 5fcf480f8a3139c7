/* Fuzz targets: one entry point per parser, shared by the libFuzzer
 * harnesses (tests/fuzz/fuzz_*.c, clang only) and the replay of recorded
 * crashers (tests/fuzz_regress/test_fuzz_crashers.c, every preset), so a
 * crasher replays through exactly the code that found it.
 *
 * A target never decides whether an input is good: refusing it is fine.
 * It checks what must hold either way and reports a broken rule in
 * `violation`: an error without the file it is about, an event a reader
 * accepted that the shared rules (sim/trace/decls.h) refuse, a trace whose
 * canonical text does not read back to itself, an option accepted with a
 * value outside its range. The sanitizers catch the rest.
 */
#ifndef IMS_FUZZ_TARGETS_H
#define IMS_FUZZ_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

struct ims_fuzz_result {
	int rc;                 /* 0 the input was accepted, < 0 refused with err */
	struct ims_error err;
	uint64_t events;        /* events read or emitted before the end or the error */
	char violation[512];    /* "" unless a rule above was broken: a bug */
};

/* Text trace from memory (ims_trace_open_mem); `name` is used in messages. */
void ims_fuzz_trace_text(const char *name, const uint8_t *data, size_t len,
			 struct ims_fuzz_result *res);

/* A trace file through ims_trace_open, which picks the ELF container, gzip
 * or plain text by the first bytes. */
void ims_fuzz_trace_file(const char *path, struct ims_fuzz_result *res);

/* The container reader, through ims_fuzz_trace_file on `path` (a scratch
 * file it overwrites): data starting with the ELF or the gzip magic is
 * written as it is, anything else is taken as the unpacked form, metadata
 * and event records uncompressed, and packed into a container first
 * (targets.c). */
void ims_fuzz_trace_elf(const char *path, const uint8_t *data, size_t len,
			struct ims_fuzz_result *res);

/* Converters replay what they converted for one input in four (by its
 * hash; the simulator costs ten times the conversion); true: every time. */
extern bool ims_fuzz_replay_all;

/* The converters from memory, with the default options and then with a
 * second set picked from the input (every option the converter has). */
void ims_fuzz_ftrace(const char *name, const uint8_t *data, size_t len,
		     struct ims_fuzz_result *res);
void ims_fuzz_qemu(const char *name, const uint8_t *data, size_t len,
		   struct ims_fuzz_result *res);

/* Command-line values, one per line: `--param` assignments, strategies,
 * models, converter and generator options and sweep axes (the grammar is
 * at the top of targets.c). */
void ims_fuzz_options(const uint8_t *data, size_t len, struct ims_fuzz_result *res);

/* The harness's verdict: prints the violation and aborts, so that
 * libFuzzer records the input as a crasher. */
int ims_fuzz_verdict(const struct ims_fuzz_result *res);

/* What each harness defines (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
