/* iommusim report: results JSON (run, compare, sweep) to a directory with
 * index.html, summary.md and gnuplot charts (docs/reports.md). */
#ifndef IMS_REPORT_H
#define IMS_REPORT_H

#include "sim/error.h"

struct ims_report_opts {
	const char *const *inputs;   /* results JSON files, in the order shown */
	unsigned ninputs;
	const char *out_dir;         /* written atomically: built beside it, renamed */
	const char *gnuplot;         /* the gnuplot command; NULL: "gnuplot" from PATH */
};

/* Write the report. Returns 0 or -IMS_E* with err set; on error nothing is
 * left at out_dir (an older report there is kept) nor beside it. */
int ims_report_write(const struct ims_report_opts *o, struct ims_error *err);

/* The `iommusim report RESULTS.json... -o DIR` command: argv[0] is "report".
 * Prints "report: DIR/index.html"; returns the exit status (0, 1 failure,
 * 2 usage). */
int ims_report_main(int argc, char **argv);

#define IMS_REPORT_USAGE \
	"       iommusim report RESULTS.json... -o DIR   index.html, summary.md and gnuplot charts (docs/reports.md)\n"

#endif
