/* Reader of the ELF trace container (elf_format.h, traces/FORMAT.md), used
 * through the ims_trace_* API, which picks it by the file's magic. */
#ifndef IMS_TRACE_ELF_H
#define IMS_TRACE_ELF_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/trace/decls.h"
#include "sim/trace/trace.h"

struct ims_elf_reader;

/* Checks the ELF structure and reads the metadata; errors are located at
 * the file and name the section. */
int ims_elf_reader_open(struct ims_elf_reader **out, const char *path, struct ims_error *err);

/* 1 = *ev filled (ev->line is its record number, from 1), 0 = end, < 0 =
 * error located at the file and record or section. */
int ims_elf_reader_next(struct ims_elf_reader *r, struct ims_event *ev, struct ims_error *err);

void ims_elf_reader_close(struct ims_elf_reader *r);

/* The format version the metadata gives. */
unsigned ims_elf_reader_version(const struct ims_elf_reader *r);

/* Names from the metadata, declared or not yet; NULL beyond them. */
const char *ims_elf_reader_name(const struct ims_elf_reader *r, enum ims_decl_kind kind,
				uint32_t index);

/* True if the file starts with the ELF magic. */
bool ims_elf_magic(const unsigned char *head, unsigned len);

#endif
