/* Converters from real tools' logs into iommusim traces: Linux ftrace iommu
 * events (trace-cmd report, tracefs `trace`) and QEMU vIOMMU `-trace` logs
 * (log backend). Formats, mapping rules and the DMA synthesis rule are in
 * docs/converters.md.
 *
 * Input is read through zlib (plain or gzip), streamed line by line with
 * fixed buffers; what grows is the converter's own bookkeeping: declared
 * devices and domains, the live mappings (ftrace), the pages seen (QEMU)
 * and the DMAs synthesised but not yet due (ftrace). Nothing is allocated
 * per line.
 *
 * Errors are located at the input file and line ("in.txt:12: map: ...").
 * Lines of other events are skipped and counted, never errors.
 */
#ifndef IMS_CONVERT_H
#define IMS_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/trace/trace.h"

struct ims_trace_writer;

/* Where events go, in time order. The file entry points use a trace writer
 * (which validates every event); the _mem ones take any sink, for tests
 * and the fuzzer. Returns 0 or a negative code with err set. */
typedef int (*ims_convert_emit_fn)(const struct ims_event *ev, struct ims_error *err,
				   void *payload);

enum ims_convert_dir {
	IMS_CONVERT_DIR_NONE,    /* no DMA */
	IMS_CONVERT_DIR_READ,
	IMS_CONVERT_DIR_WRITE,
};

enum ims_convert_domains {
	IMS_CONVERT_DOMAINS_SINGLE,   /* one domain, every device attached to it */
	IMS_CONVERT_DOMAINS_GROUP,    /* ftrace: one per IOMMU group */
	IMS_CONVERT_DOMAINS_DEVICE,   /* QEMU: one per device */
};

/* What a conversion did: the command prints it as its summary. */
struct ims_convert_stats {
	uint64_t lines;              /* input lines read (each pass counts once) */
	uint64_t recognised;         /* lines of a supported event */
	uint64_t skipped;            /* other lines: headers, comments, other events */
	uint64_t ignored;            /* supported lines that change nothing (docs) */
	uint64_t reordered;          /* lines stamped earlier than a line before them */
	uint64_t reorder_max_cycles; /* the largest such step back, moved up to now */
	uint64_t devices, domains;   /* declared */
	uint64_t maps, unmaps, dmas; /* events written (a DMA over 1 GiB counts per piece) */
	uint64_t fault_dmas;         /* of the DMAs: written for a fault line */
	uint64_t map_bytes_overlap;  /* ftrace: bytes of maps over mapped ranges, dropped */
	uint64_t unmap_bytes_unknown;/* ftrace: bytes unmapped that the trace never mapped */
	uint64_t unmap_bytes_widened;/* ftrace: bytes added so an unmap cuts no large page */
	uint64_t dma_pulled;         /* ftrace: DMAs moved up to their buffer's unmap */
	uint64_t dma_early;          /* ftrace: DMAs before their map can be done
				      * (pinning alone): they fault, host busy */
	uint64_t pa_conflicts;       /* QEMU: a page seen later at another address */
	uint64_t end_time;           /* cycle of the last event */
};

#define IMS_CONVERT_AUTO UINT64_MAX
#define IMS_CONVERT_PGSIZES_DEFAULT UINT64_C(0x40201000)   /* 4 KiB, 2 MiB, 1 GiB */

struct ims_ftrace_opts {
	uint64_t mhz;                     /* cycles per us; 0 = default cpu_mhz */
	enum ims_convert_domains domains; /* SINGLE or GROUP */
	enum ims_convert_dir dma_dir;     /* DMA synthesised over each mapped buffer */
	uint64_t dma_delay;               /* cycles after its map; AUTO = when the
					   * simulated host should be done (docs) */
	uint64_t fault_len;               /* bytes of the DMA an io_page_fault becomes */
	uint8_t iova_bits;                /* of the domains: 48 or 57 */
	uint64_t pgsizes;                 /* leaf sizes an unmap must not cut */
	struct ims_convert_stats *stats;  /* filled when not NULL */
};

#define IMS_FTRACE_OPTS_INIT { 0, IMS_CONVERT_DOMAINS_SINGLE, IMS_CONVERT_DIR_WRITE, \
			       IMS_CONVERT_AUTO, 64, 48, IMS_CONVERT_PGSIZES_DEFAULT, NULL }

struct ims_qemu_opts {
	uint64_t mhz;                     /* cycles per us; 0 = default cpu_mhz */
	enum ims_convert_domains domains; /* DEVICE or SINGLE */
	enum ims_convert_dir unknown_dir; /* translations that do not say: READ or WRITE */
	uint64_t dma_len;                 /* bytes per translated access */
	uint64_t interval;                /* cycles between lines without a timestamp */
	uint64_t start;                   /* cycle of the first DMA; AUTO = after the maps */
	uint8_t iova_bits;                /* of the domains: 48 or 57 */
	struct ims_convert_stats *stats;  /* filled when not NULL */
};

#define IMS_QEMU_OPTS_INIT { 0, IMS_CONVERT_DOMAINS_DEVICE, IMS_CONVERT_DIR_READ, 64, 1000, \
			     IMS_CONVERT_AUTO, 48, NULL }

/* Convert the ftrace text output in in_path (plain or .gz) into w. */
int ims_convert_ftrace(const char *in_path, struct ims_trace_writer *w,
		       const struct ims_ftrace_opts *opts, struct ims_error *err);
/* The same from memory; `name` is used in messages. */
int ims_convert_ftrace_mem(const char *name, const void *data, size_t len,
			   ims_convert_emit_fn emit, void *payload,
			   const struct ims_ftrace_opts *opts, struct ims_error *err);

/* Convert a QEMU -trace log (log backend) in in_path into w. The input is
 * read three times (which events; declarations and maps; DMAs), so it must
 * be a file, not a pipe. */
int ims_convert_qemu(const char *in_path, struct ims_trace_writer *w,
		     const struct ims_qemu_opts *opts, struct ims_error *err);
int ims_convert_qemu_mem(const char *name, const void *data, size_t len,
			 ims_convert_emit_fn emit, void *payload,
			 const struct ims_qemu_opts *opts, struct ims_error *err);

/* Set an option by its command-line name, without the "--" (docs/converters.md,
 * "Options"): "mhz", "domains", "dma", "dma-delay", ... Unknown names and bad
 * values are IMS_EINVAL with a message naming the option. */
int ims_ftrace_opts_set(struct ims_ftrace_opts *o, const char *name, const char *value,
			struct ims_error *err);
int ims_qemu_opts_set(struct ims_qemu_opts *o, const char *name, const char *value,
		      struct ims_error *err);

/* The summary of a conversion as text, one "name value  # meaning" line per
 * non-zero counter. Returns the length (truncated to len - 1). */
int ims_convert_stats_format(const struct ims_convert_stats *st, char *buf, size_t len);

#endif
