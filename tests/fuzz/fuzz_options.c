/* libFuzzer harness: command-line values (--param, strategies, models,
 * converter and generator options, sweep axes; targets.h). */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ims_fuzz_result res;

	ims_fuzz_options(data, size, &res);
	return ims_fuzz_verdict(&res);
}
