/* libFuzzer harness: the ftrace converter (targets.h). */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ims_fuzz_result res;

	ims_fuzz_ftrace("fuzz-input", data, size, &res);
	return ims_fuzz_verdict(&res);
}
