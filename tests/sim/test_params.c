/* Parameters: defaults, --param overrides, validation, cycle conversion. */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/params.h"

Test(params, every_parameter_documents_unit_and_source)
{
	for (unsigned i = 0; i < ims_param_count; i++) {
		const struct ims_param_desc *d = &ims_param_table[i];

		cr_assert(d->unit[0] && d->source[0] && d->description[0], "%s", d->name);
		if (d->kind == IMS_PARAM_COST)
			cr_assert(!strcmp(d->unit, "ns") || !strcmp(d->unit, "cycles"),
				  "%s: a cost is in ns or cycles", d->name);
	}
}

Test(params, set_by_name_with_suffixes_and_ranges)
{
	struct ims_params p;
	struct ims_error err = { 0 };

	ims_params_default(&p);
	cr_assert_eq(ims_params_set(&p, "iotlb_entries=1K", &err), 0);
	cr_assert_eq(p.iotlb_entries, 1024);
	cr_assert_eq(ims_params_set(&p, "mem_dram_ns=90.5", &err), 0);
	cr_assert_float_eq(p.mem_dram_ns, 90.5, 1e-9);
	cr_assert_lt(ims_params_set(&p, "no_such_param=1", &err), 0);
	cr_assert(strstr(err.msg, "unknown parameter 'no_such_param'"));
	cr_assert_lt(ims_params_set(&p, "iotlb_ways=0", &err), 0);
	cr_assert(strstr(err.msg, "out of range"));
	cr_assert_lt(ims_params_set(&p, "mem_dram_ns=abc", &err), 0);
	cr_assert_lt(ims_params_set(&p, "mem_dram_ns", &err), 0);
}

Test(params, validation_rejects_impossible_cache_shapes)
{
	struct ims_params p;
	struct ims_error err = { 0 };

	ims_params_default(&p);
	cr_assert_eq(ims_params_validate(&p, &err), 0);
	p.iotlb_entries = 48;
	p.iotlb_ways = 8;   /* 6 sets: not a power of two */
	cr_assert_lt(ims_params_validate(&p, &err), 0);
	cr_assert(strstr(err.msg, "iotlb_entries"));
}

Test(params, ns_costs_become_cycles_at_the_reference_clock)
{
	struct ims_params p;
	struct ims_costs c;

	ims_params_default(&p);
	p.cpu_mhz = 2000;
	p.mem_dram_ns = 100;
	p.inv_doorbell_cycles = 123;
	ims_costs_from_params(&c, &p);
	cr_assert_eq(c.mem_dram_ns, 200);
	cr_assert_eq(c.inv_doorbell_cycles, 123);
}

Test(params, suffixes_cannot_overflow_and_costs_stay_sane)
{
	struct ims_params p;
	struct ims_error err = { 0 };

	ims_params_default(&p);
	cr_assert_lt(ims_params_set(&p, "mem_llc_lines=18014398509481985K", &err), 0,
		     "a K suffix that wraps is refused, not taken as 1024");
	cr_assert_lt(ims_params_set(&p, "mem_dram_ns=1e300", &err), 0);
	cr_assert_eq(ims_params_set(&p, "mem_dram_ns=1e6", &err), 0);
}
