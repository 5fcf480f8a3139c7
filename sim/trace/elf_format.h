/* The ELF trace container, described once (traces/FORMAT.md, "Binary
 * form"): section names, the metadata layout and the 64-byte event record,
 * with little-endian encoders and decoders shared by the writer and the
 * reader. Byte offsets, not C structs: struct layout and host byte order
 * are not the file's.
 *
 * File: ELF64, little-endian (ELFDATA2LSB), e_type ET_NONE, e_machine
 * EM_NONE (ELF gABI, "ELF Header"). Our sections are SHT_PROGBITS with
 * SHF_COMPRESSED: an Elf64_Chdr (ch_type ELFCOMPRESS_ZLIB, ch_size = the
 * uncompressed size, ch_addralign 8) followed by one zlib stream (gABI,
 * "Section Compression"), so `readelf -S`/`readelf -x` can show them.
 */
#ifndef IMS_TRACE_ELF_FORMAT_H
#define IMS_TRACE_ELF_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/trace/trace.h"

#define IMS_ELF_META ".iommusim.meta"
#define IMS_ELF_EVENTS ".iommusim.events."      /* + chunk number, decimal */
#define IMS_ELF_MAGIC "IMSTRACE"                /* first 8 bytes of the metadata */
#define IMS_ELF_VERSION ((uint32_t)IMS_TRACE_VERSION)  /* written; read: trace.h */
#define IMS_ELF_RECORD_SIZE 64u
/* Records per event section: 16 MiB uncompressed, so a reader holds at most
 * one bounded chunk's stream state whatever the trace length. */
#define IMS_ELF_CHUNK_RECORDS (UINT32_C(16) << 20 >> 6)
#define IMS_ELF_CHDR_SIZE 24u                   /* Elf64_Chdr */

/* Metadata (uncompressed): a fixed head, then the names of the devices,
 * domains and IOASes in index order, each as a length byte and the bytes. */
enum {
	IMS_META_MAGIC = 0,        /* 8 bytes IMS_ELF_MAGIC */
	IMS_META_VERSION = 8,      /* u32 */
	IMS_META_RECORD_SIZE = 12, /* u32 */
	IMS_META_EVENTS = 16,      /* u64 records in all chunks */
	IMS_META_CHUNKS = 24,      /* u32 event sections */
	IMS_META_DEVICES = 28,     /* u32 */
	IMS_META_DOMAINS = 32,     /* u32 */
	IMS_META_IOASES = 36,      /* u32 */
	IMS_META_NAMES = 40,       /* name list */
};

/* Event record. Fields a kind does not use are zero (sim/trace/decls.c has
 * the per-kind table); `pa` holds src_iova for ioas-copy, which has no pa;
 * an ATS device (v2) keeps its ATC entries in `len` and its invalidation
 * cycles in `period`. */
enum {
	IMS_REC_KIND = 0,          /* u8 enum ims_ev_kind */
	IMS_REC_FLAGS = 1,         /* u8 IMS_EVF_* */
	IMS_REC_PROT = 2,          /* u8 */
	IMS_REC_PAGE_LG2 = 3,      /* u8 */
	IMS_REC_IOVA_BITS = 4,     /* u8 */
	IMS_REC_RESERVED = 5,      /* u8, zero */
	IMS_REC_SID = 6,           /* u16 */
	IMS_REC_TIME = 8,          /* u64 cycles */
	IMS_REC_DEVICE = 16,       /* u32 index */
	IMS_REC_DOMAIN = 20,       /* u32 index */
	IMS_REC_IOAS = 24,         /* u32 index */
	IMS_REC_SRC_IOAS = 28,     /* u32 index */
	IMS_REC_IOVA = 32,         /* u64 */
	IMS_REC_LEN = 40,          /* u64 */
	IMS_REC_PA = 48,           /* u64 pa, or src_iova */
	IMS_REC_PERIOD = 56,       /* u64 cycles */
};

static inline void ims_le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void ims_le_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static inline void ims_le_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static inline uint16_t ims_le_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ims_le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t ims_le_get64(const uint8_t *p)
{
	return ims_le_get32(p) | (uint64_t)ims_le_get32(p + 4) << 32;
}

/* The caller has checked ev (ims_decls_apply), so flags fit in a byte. */
static inline void ims_rec_encode(uint8_t rec[IMS_ELF_RECORD_SIZE], const struct ims_event *ev)
{
	bool copy = ev->kind == IMS_EV_IOAS_COPY;

	memset(rec, 0, IMS_ELF_RECORD_SIZE);
	rec[IMS_REC_KIND] = (uint8_t)ev->kind;
	rec[IMS_REC_FLAGS] = (uint8_t)ev->flags;
	rec[IMS_REC_PROT] = ev->prot;
	rec[IMS_REC_PAGE_LG2] = ev->page_lg2;
	rec[IMS_REC_IOVA_BITS] = ev->iova_bits;
	ims_le_put16(rec + IMS_REC_SID, ev->sid);
	ims_le_put64(rec + IMS_REC_TIME, ev->time);
	ims_le_put32(rec + IMS_REC_DEVICE, ev->device);
	ims_le_put32(rec + IMS_REC_DOMAIN, ev->domain);
	ims_le_put32(rec + IMS_REC_IOAS, ev->ioas);
	ims_le_put32(rec + IMS_REC_SRC_IOAS, ev->src_ioas);
	ims_le_put64(rec + IMS_REC_IOVA, ev->iova);
	ims_le_put64(rec + IMS_REC_LEN, ev->len);
	ims_le_put64(rec + IMS_REC_PA, copy ? ev->src_iova : ev->pa);
	ims_le_put64(rec + IMS_REC_PERIOD, ev->period);
}

/* Decodes without judging: the kind may be unknown and the reserved byte
 * set; the reader checks both before the event rules. */
static inline void ims_rec_decode(const uint8_t rec[IMS_ELF_RECORD_SIZE], struct ims_event *ev)
{
	uint64_t pa = ims_le_get64(rec + IMS_REC_PA);

	ev->kind = (enum ims_ev_kind)rec[IMS_REC_KIND];
	ev->flags = rec[IMS_REC_FLAGS];
	ev->prot = rec[IMS_REC_PROT];
	ev->page_lg2 = rec[IMS_REC_PAGE_LG2];
	ev->iova_bits = rec[IMS_REC_IOVA_BITS];
	ev->sid = ims_le_get16(rec + IMS_REC_SID);
	ev->time = ims_le_get64(rec + IMS_REC_TIME);
	ev->device = ims_le_get32(rec + IMS_REC_DEVICE);
	ev->domain = ims_le_get32(rec + IMS_REC_DOMAIN);
	ev->ioas = ims_le_get32(rec + IMS_REC_IOAS);
	ev->src_ioas = ims_le_get32(rec + IMS_REC_SRC_IOAS);
	ev->iova = ims_le_get64(rec + IMS_REC_IOVA);
	ev->len = ims_le_get64(rec + IMS_REC_LEN);
	ev->src_iova = ev->kind == IMS_EV_IOAS_COPY ? pa : 0;
	ev->pa = ev->kind == IMS_EV_IOAS_COPY ? 0 : pa;
	ev->period = ims_le_get64(rec + IMS_REC_PERIOD);
	ev->name = NULL;
}

#endif
