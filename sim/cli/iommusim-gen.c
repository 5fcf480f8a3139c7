/* iommusim-gen: write a synthetic workload trace (docs/generators.md).
 * Exit status: 0 success, 1 the file could not be written, 2 bad usage. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/gen/gen.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
		"usage: iommusim-gen WORKLOAD [--seed N] [--KNOB VALUE]... -o FILE\n"
		"       iommusim-gen WORKLOAD --help   the workload's knobs and their defaults\n"
		"       iommusim-gen --help\n"
		"\n"
		"Writes a trace of WORKLOAD, the same file byte for byte for the same\n"
		"arguments. FILE ending in .elf is the ELF container, in .gz gzip text, else\n"
		"text; '-' is stdout. Sizes take K/M/G/T suffixes (binary), fractions are 0..1\n"
		"or a percentage. Workloads:\n\n");
	for (unsigned i = 0; ims_gen_workloads[i]; i++)
		fprintf(out, "  %-14s %s\n", ims_gen_workloads[i]->name,
			ims_gen_workloads[i]->summary);
}

static const char *metavar(const struct ims_gen_opt *o)
{
	switch (o->type) {
	case IMS_GEN_COUNT:
		return "N";
	case IMS_GEN_CYCLES:
		return "CYCLES";
	case IMS_GEN_SIZE:
		return "SIZE";
	case IMS_GEN_FRAC:
		return "FRAC";
	case IMS_GEN_CHOICE:
		return o->choices;
	case IMS_GEN_FLAG:
		return "";
	}
	return "";
}

static void workload_help(const struct ims_gen_workload *w)
{
	printf("usage: iommusim-gen %s [--seed N] [--KNOB VALUE]... -o FILE\n\n%s: %s\n\n%s\n\n"
	       "knobs [default] (--KNOB=VALUE works too):\n", w->name, w->name, w->summary, w->doc);
	for (unsigned i = 0; i < w->nopts; i++) {
		const struct ims_gen_opt *o = &w->opts[i];
		char left[64];

		snprintf(left, sizeof(left), "--%s %s", o->name, metavar(o));
		printf("  %-28s %s [%s]\n", left, o->help, o->def);
	}
	printf("  %-28s %s [%s]\n", "--seed N", "seed of the random choices", "1");
	printf("  %-28s %s\n", "-o FILE", "output trace (required)");
}

static int fail_usage(const char *msg)
{
	fprintf(stderr, "iommusim-gen: %s\n", msg);
	fprintf(stderr, "Try 'iommusim-gen --help'.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct ims_gen_workload *w;
	struct ims_error err = { 0 };
	struct ims_gen_cfg cfg;
	const char *out = NULL;
	char buf[1024];

	if (argc < 2)
		return fail_usage("missing WORKLOAD");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	w = ims_gen_find(argv[1]);
	if (!w) {
		snprintf(buf, sizeof(buf), "unknown workload '%s'", argv[1]);
		return fail_usage(buf);
	}
	ims_gen_cfg_init(&cfg, w);
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		char name[64];
		const struct ims_gen_opt *o;
		size_t len;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			workload_help(w);
			return 0;
		}
		if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
			if (++i == argc)
				return fail_usage("-o needs a FILE");
			out = argv[i];
			continue;
		}
		if (strncmp(arg, "--", 2) || !arg[2]) {
			snprintf(buf, sizeof(buf), "unexpected argument '%s'", arg);
			return fail_usage(buf);
		}
		arg += 2;
		len = strcspn(arg, "=");
		if (len >= sizeof(name)) {
			snprintf(buf, sizeof(buf), "%s: unknown option '--%s'", w->name, arg);
			return fail_usage(buf);
		}
		memcpy(name, arg, len);
		name[len] = 0;
		if (arg[len] == '=')
			value = arg + len + 1;
		if (!strcmp(name, "output")) {
			out = value;
			continue;
		}
		o = ims_gen_opt_find(w, name);
		if (!value && strcmp(name, "seed") && !o) {
			snprintf(buf, sizeof(buf), "%s: unknown option '--%s'", w->name, name);
			return fail_usage(buf);
		}
		/* a value-taking option without '=' takes the next argument */
		if (!value && (!o || o->type != IMS_GEN_FLAG)) {
			if (++i == argc) {
				snprintf(buf, sizeof(buf), "--%s needs a value", name);
				return fail_usage(buf);
			}
			value = argv[i];
		}
		if (!strcmp(name, "seed")) {
			if (ims_gen_parse_value(&ims_gen_seed_opt, value, &cfg.seed, &err))
				return fail_usage(err.msg);
		} else if (ims_gen_cfg_set(&cfg, name, value, &err)) {
			return fail_usage(err.msg);
		}
	}
	if (!out || !*out)
		return fail_usage("missing -o FILE");
	if (ims_gen_cfg_check(&cfg, &err))
		return fail_usage(err.msg);
	if (ims_gen_write_file(&cfg, out, NULL, &err)) {
		fprintf(stderr, "iommusim-gen: %s\n", ims_error_format(&err, buf, sizeof(buf)));
		return EXIT_FAILURE;
	}
	return 0;
}
