/* ELF trace container reader.
 *
 * libelf checks the ELF structure and gives the section table; the section
 * contents are read with pread and inflated here, a bounded buffer at a
 * time. libelf would inflate a whole section into memory and keep it until
 * elf_end, which would make memory grow with the trace.
 */
#define _GNU_SOURCE
#include "sim/trace/trace_elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/trace/elf_format.h"

#define IN_SIZE (256u * 1024u)
#define OUT_RECORDS 4096u
#define META_MAX (UINT32_C(16) << 20)    /* far above 3 x 65536 names */
#define SEC_NAME_MAX 48

/* One compressed section being inflated. */
struct sec_stream {
	char name[SEC_NAME_MAX];
	uint64_t in_off, in_end;  /* compressed bytes not yet read */
	uint64_t raw_size;        /* ch_size */
	uint64_t raw_done;        /* inflated so far */
	bool open, ended;
	z_stream zs;
};

struct chunk {
	uint64_t offset, size;
	bool seen;
};

struct ims_elf_reader {
	char *path;
	int fd;
	uint64_t file_size;
	struct chunk *chunk;
	uint32_t nchunks, next_chunk;
	uint64_t meta_events;
	unsigned version;         /* the metadata's */
	uint32_t meta_count[IMS_DECL_KINDS];
	char (*names[IMS_DECL_KINDS])[IMS_TRACE_NAME_MAX + 1];
	struct ims_trace_decls *decls;
	uint64_t record;          /* records delivered */
	struct sec_stream s;
	uint8_t *in;
	uint8_t *out;
	size_t out_pos, out_len;
	int failed;
	struct ims_error err;
};

bool ims_elf_magic(const unsigned char *head, unsigned len)
{
	return len >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG);
}

/* --- errors ----------------------------------------------------------------- */

static int fail_file(struct ims_elf_reader *r, int rc)
{
	r->err.path[0] = '\0';
	ims_error_locate(&r->err, r->path, 0);
	r->failed = rc;
	return rc;
}

/* Prefix the message with the section: "section .iommusim.events.2: ...". */
static int fail_section(struct ims_elf_reader *r, const char *section, int rc)
{
	char msg[sizeof(r->err.msg)];

	snprintf(msg, sizeof(msg), "section %.47s: %.440s", section, r->err.msg);
	memcpy(r->err.msg, msg, sizeof(msg));
	return fail_file(r, rc);
}

static int fail_record(struct ims_elf_reader *r, int rc)
{
	char msg[sizeof(r->err.msg)];

	snprintf(msg, sizeof(msg), "%.440s (in %.47s)", r->err.msg, r->s.name);
	memcpy(r->err.msg, msg, sizeof(msg));
	r->err.path[0] = '\0';
	ims_error_locate_record(&r->err, r->path, r->record);
	r->failed = rc;
	return rc;
}

/* --- compressed sections ------------------------------------------------------ */

static int read_exact(struct ims_elf_reader *r, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t k = pread(r->fd, p, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return ims_error_set(&r->err, IMS_EIO, "read error: %s",
					     k < 0 ? strerror(errno) : "unexpected end of file");
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Read the compression header and start inflating. */
static int sec_open(struct ims_elf_reader *r, struct sec_stream *s, const char *name,
		    uint64_t offset, uint64_t size, uint64_t raw_max)
{
	uint8_t chdr[IMS_ELF_CHDR_SIZE];
	uint32_t type;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (size < IMS_ELF_CHDR_SIZE)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "size %llu is too small for a compression header",
				     (unsigned long long)size);
	rc = read_exact(r, chdr, sizeof(chdr), offset);
	if (rc)
		return rc;
	type = ims_le_get32(chdr);
	s->raw_size = ims_le_get64(chdr + 8);
	if (type != ELFCOMPRESS_ZLIB)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "compression type %u is not ELFCOMPRESS_ZLIB", type);
	if (s->raw_size > raw_max)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "uncompressed size %llu is larger than %llu",
				     (unsigned long long)s->raw_size, (unsigned long long)raw_max);
	if (inflateInit(&s->zs) != Z_OK)
		return ims_error_set(&r->err, IMS_ENOMEM, "out of memory (inflateInit)");
	s->open = true;
	s->in_off = offset + IMS_ELF_CHDR_SIZE;
	s->in_end = offset + size;
	return 0;
}

static void sec_close(struct sec_stream *s)
{
	if (s->open)
		inflateEnd(&s->zs);
	s->open = false;
}

/* The stream ended: it must have used every byte and made ch_size bytes. */
static int sec_check_end(struct ims_elf_reader *r, struct sec_stream *s)
{
	s->ended = true;
	if (s->zs.avail_in || s->in_off != s->in_end)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "bytes after the end of the compressed data");
	if (s->raw_done != s->raw_size)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "inflates to %llu bytes, its header says %llu",
				     (unsigned long long)s->raw_done,
				     (unsigned long long)s->raw_size);
	return 0;
}

/* Inflate up to n bytes into dst; *got = bytes made (0 only at the end). */
static int sec_read(struct ims_elf_reader *r, struct sec_stream *s, uint8_t *dst, size_t n,
		    size_t *got)
{
	*got = 0;
	while (*got < n && !s->ended) {
		size_t before;
		int zrc, rc;

		if (!s->zs.avail_in && s->in_off < s->in_end) {
			uint64_t left = s->in_end - s->in_off;
			size_t k = left < IN_SIZE ? (size_t)left : IN_SIZE;

			rc = read_exact(r, r->in, k, s->in_off);
			if (rc)
				return rc;
			s->in_off += k;
			s->zs.next_in = r->in;
			s->zs.avail_in = (uInt)k;
		}
		s->zs.next_out = dst + *got;
		s->zs.avail_out = (uInt)(n - *got);
		before = s->zs.avail_out;
		zrc = inflate(&s->zs, Z_NO_FLUSH);
		*got += before - s->zs.avail_out;
		s->raw_done += before - s->zs.avail_out;
		if (s->raw_done > s->raw_size)
			return ims_error_set(&r->err, IMS_EINVAL,
					     "inflates to more than the %llu bytes its header says",
					     (unsigned long long)s->raw_size);
		if (zrc == Z_STREAM_END)
			return sec_check_end(r, s);
		if (zrc == Z_BUF_ERROR && !s->zs.avail_in && s->in_off == s->in_end)
			return ims_error_set(&r->err, IMS_EINVAL,
					     "compressed data ends early (truncated section)");
		if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return ims_error_set(&r->err, IMS_EINVAL, "corrupt compressed data (zlib: %s)",
					     s->zs.msg ? s->zs.msg : zError(zrc));
	}
	return 0;
}

/* --- metadata ----------------------------------------------------------------- */

static int parse_names(struct ims_elf_reader *r, const uint8_t *p, const uint8_t *end)
{
	static const char *const what[] = { "device", "domain", "ioas" };

	for (int k = 0; k < IMS_DECL_KINDS; k++) {
		r->names[k] = calloc(r->meta_count[k] ? r->meta_count[k] : 1, sizeof(*r->names[k]));
		if (!r->names[k])
			return ims_error_set(&r->err, IMS_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < r->meta_count[k]; i++) {
			size_t n = p < end ? *p : 0;

			if (p >= end || (size_t)(end - p - 1) < n)
				return ims_error_set(&r->err, IMS_EINVAL,
						     "name of %s %u runs past the end", what[k], i);
			if (!ims_trace_name_valid((const char *)p + 1, n))
				return ims_error_set(&r->err, IMS_EINVAL,
						     "name of %s %u is not a valid name", what[k], i);
			memcpy(r->names[k][i], p + 1, n);
			p += 1 + n;
		}
	}
	if (p != end)
		return ims_error_set(&r->err, IMS_EINVAL, "%zu bytes after the names",
				     (size_t)(end - p));
	return 0;
}

static int parse_meta(struct ims_elf_reader *r, const uint8_t *m, size_t n)
{
	uint32_t version;

	if (n < IMS_META_NAMES || memcmp(m + IMS_META_MAGIC, IMS_ELF_MAGIC, 8))
		return ims_error_set(&r->err, IMS_EINVAL, "wrong magic: not an iommusim trace");
	version = ims_le_get32(m + IMS_META_VERSION);
	/* a later version may mean what this build would misread: refuse it */
	if (version < IMS_TRACE_VERSION_MIN || version > IMS_TRACE_VERSION)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "unsupported trace version %u (this build reads %d to %d)",
				     version, IMS_TRACE_VERSION_MIN, IMS_TRACE_VERSION);
	r->version = version;
	ims_decls_set_version(r->decls, version);
	if (ims_le_get32(m + IMS_META_RECORD_SIZE) != IMS_ELF_RECORD_SIZE)
		return ims_error_set(&r->err, IMS_EINVAL, "record size %u, expected %u",
				     ims_le_get32(m + IMS_META_RECORD_SIZE), IMS_ELF_RECORD_SIZE);
	r->meta_events = ims_le_get64(m + IMS_META_EVENTS);
	r->nchunks = ims_le_get32(m + IMS_META_CHUNKS);
	r->meta_count[IMS_DECL_DEVICE] = ims_le_get32(m + IMS_META_DEVICES);
	r->meta_count[IMS_DECL_DOMAIN] = ims_le_get32(m + IMS_META_DOMAINS);
	r->meta_count[IMS_DECL_IOAS] = ims_le_get32(m + IMS_META_IOASES);
	for (int k = 0; k < IMS_DECL_KINDS; k++)
		if (r->meta_count[k] > IMS_TRACE_MAX_DECLS)
			return ims_error_set(&r->err, IMS_EINVAL, "%u names of one kind (limit %u)",
					     r->meta_count[k], IMS_TRACE_MAX_DECLS);
	if (r->meta_events > (uint64_t)r->nchunks * IMS_ELF_CHUNK_RECORDS)
		return ims_error_set(&r->err, IMS_EINVAL, "%llu events do not fit in %u sections",
				     (unsigned long long)r->meta_events, r->nchunks);
	return parse_names(r, m + IMS_META_NAMES, m + n);
}

static int read_meta(struct ims_elf_reader *r, uint64_t offset, uint64_t size)
{
	struct sec_stream s;
	uint8_t *m = NULL;
	size_t got = 0;
	int rc = sec_open(r, &s, IMS_ELF_META, offset, size, META_MAX);

	if (!rc && !(m = malloc(s.raw_size ? s.raw_size : 1)))
		rc = ims_error_set(&r->err, IMS_ENOMEM, "out of memory");
	if (!rc)
		rc = sec_read(r, &s, m, s.raw_size, &got);
	/* A stream that made exactly ch_size bytes must also end there. */
	if (!rc && !s.ended) {
		uint8_t extra;

		rc = sec_read(r, &s, &extra, 1, &got);
		if (!rc && !s.ended)
			rc = ims_error_set(&r->err, IMS_EINVAL, "inflates to more than its header says");
	}
	if (!rc)
		rc = parse_meta(r, m, s.raw_size);
	sec_close(&s);
	free(m);
	return rc;
}

/* --- ELF structure -------------------------------------------------------------- */

/* The ELF header, from the bytes, before libelf: a file cut short or of
 * another kind gets a message that says so rather than libelf's. */
static int check_ehdr(struct ims_elf_reader *r)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	uint64_t shoff, shsize;
	int rc;

	if (r->file_size < sizeof(eh))
		return ims_error_set(&r->err, IMS_EINVAL,
				     "truncated: %llu bytes, shorter than an ELF header",
				     (unsigned long long)r->file_size);
	rc = read_exact(r, eh, sizeof(eh), 0);
	if (rc)
		return rc;
	if (eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "wrong magic: ELF class/data %u/%u, a trace is ELF64 little-endian",
				     eh[EI_CLASS], eh[EI_DATA]);
	if (ims_le_get16(eh + 18) != EM_NONE)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "wrong magic: ELF machine %u, a trace has EM_NONE (0)",
				     ims_le_get16(eh + 18));
	shoff = ims_le_get64(eh + 40);
	shsize = (uint64_t)ims_le_get16(eh + 58) * ims_le_get16(eh + 60);
	if (shoff > r->file_size || shsize > r->file_size - shoff)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "truncated: the section header table (offset %llu, %llu bytes) "
				     "is beyond the end of the file (%llu bytes)",
				     (unsigned long long)shoff, (unsigned long long)shsize,
				     (unsigned long long)r->file_size);
	return 0;
}

/* ".iommusim.events.N": N decimal without leading zeros, or -1. */
static int64_t events_index(const char *name)
{
	const char *p = name + strlen(IMS_ELF_EVENTS);
	int64_t v = 0;

	if (strncmp(name, IMS_ELF_EVENTS, strlen(IMS_ELF_EVENTS)) || !*p ||
	    (p[0] == '0' && p[1]))
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 0xffffff)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* An event section as the section table lists it: its number, where. */
struct found_chunk {
	int64_t index;
	uint64_t offset, size;
};

struct found {
	uint64_t meta_off, meta_size;
	bool meta;
	struct found_chunk *ev;   /* in section-table order */
	uint32_t nev;
};

static int scan_section(struct ims_elf_reader *r, struct found *f, const char *name,
			const GElf_Shdr *sh)
{
	int64_t index = events_index(name);
	bool ours = !strcmp(name, IMS_ELF_META) || index >= 0;
	struct found_chunk *ev;

	if (sh->sh_type == SHT_NOBITS)
		return ours ? ims_error_set(&r->err, IMS_EINVAL, "has no contents (SHT_NOBITS)") : 0;
	if (sh->sh_offset > r->file_size || sh->sh_size > r->file_size - sh->sh_offset)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "offset %llu + size %llu is beyond the end of the file "
				     "(%llu bytes)", (unsigned long long)sh->sh_offset,
				     (unsigned long long)sh->sh_size,
				     (unsigned long long)r->file_size);
	if (!ours)
		return 0;   /* other sections (the name table, additions) are not ours */
	if (!(sh->sh_flags & SHF_COMPRESSED))
		return ims_error_set(&r->err, IMS_EINVAL, "is not compressed (SHF_COMPRESSED)");
	if (index < 0) {
		if (f->meta)
			return ims_error_set(&r->err, IMS_EINVAL, "appears twice");
		f->meta = true;
		f->meta_off = sh->sh_offset;
		f->meta_size = sh->sh_size;
		return 0;
	}
	ev = realloc(f->ev, ((size_t)f->nev + 1) * sizeof(*ev));
	if (!ev)
		return ims_error_set(&r->err, IMS_ENOMEM, "out of memory");
	f->ev = ev;
	ev[f->nev++] = (struct found_chunk){ index, sh->sh_offset, sh->sh_size };
	return 0;
}

/* Every event section 0..nchunks-1 exactly once, put in order. */
static int order_chunks(struct ims_elf_reader *r, struct found *f)
{
	if (f->nev != r->nchunks)
		return ims_error_set(&r->err, IMS_EINVAL,
				     "%u event sections, the metadata says %u", f->nev, r->nchunks);
	r->chunk = calloc(r->nchunks ? r->nchunks : 1, sizeof(*r->chunk));
	if (!r->chunk)
		return ims_error_set(&r->err, IMS_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < f->nev; i++) {
		int64_t k = f->ev[i].index;

		if (k >= r->nchunks || r->chunk[k].seen)
			return ims_error_set(&r->err, IMS_EINVAL,
					     "event section " IMS_ELF_EVENTS "%lld is %s",
					     (long long)k, k >= r->nchunks ? "beyond the count in "
					     "the metadata" : "there twice");
		r->chunk[k] = (struct chunk){ f->ev[i].offset, f->ev[i].size, true };
	}
	return 0;
}

static int scan_elf(struct ims_elf_reader *r, struct found *f)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int rc = check_ehdr(r);
	Elf *e;

	if (rc)
		return fail_file(r, rc);
	e = elf_begin(r->fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return fail_file(r, ims_error_set(&r->err, IMS_EINVAL, "not a valid ELF file (%s)",
						  elf_errmsg(-1)));
	}
	elf_errno();   /* clear an error left by an earlier, unrelated libelf call */
	if (elf_getshdrstrndx(e, &shstrndx))
		rc = ims_error_set(&r->err, IMS_EINVAL, "bad section name table (%s)",
				   elf_errmsg(-1));
	while (!rc && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name))) {
			rc = ims_error_set(&r->err, IMS_EINVAL, "bad section header %zu (%s)",
					   elf_ndxscn(scn), elf_errmsg(-1));
			break;
		}
		rc = scan_section(r, f, name, &sh);
		if (rc) {
			char sec[SEC_NAME_MAX];

			snprintf(sec, sizeof(sec), "%s", name);
			elf_end(e);
			return fail_section(r, sec, rc);
		}
	}
	if (!rc && elf_errno())
		rc = ims_error_set(&r->err, IMS_EINVAL, "bad section table (%s)", elf_errmsg(-1));
	elf_end(e);
	if (!rc && !f->meta)
		rc = ims_error_set(&r->err, IMS_EINVAL,
				   "wrong magic: no " IMS_ELF_META " section, not an iommusim trace");
	return rc ? fail_file(r, rc) : 0;
}

static int open_structure(struct ims_elf_reader *r)
{
	struct found f = { 0 };
	struct stat st;
	int rc;

	if (fstat(r->fd, &st))
		return fail_file(r, ims_error_set(&r->err, IMS_EIO, "cannot stat: %s",
						  strerror(errno)));
	r->file_size = (uint64_t)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail_file(r, ims_error_set(&r->err, IMS_EINVAL, "libelf is too old"));
	rc = scan_elf(r, &f);
	if (!rc) {
		rc = read_meta(r, f.meta_off, f.meta_size);
		if (rc)
			rc = fail_section(r, IMS_ELF_META, rc);
	}
	if (!rc) {
		rc = order_chunks(r, &f);
		if (rc)
			rc = fail_file(r, rc);
	}
	free(f.ev);
	return rc;
}

int ims_elf_reader_open(struct ims_elf_reader **out, const char *path, struct ims_error *err)
{
	struct ims_elf_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (r)
		r->fd = -1;
	if (!r || !(r->path = strdup(path)) || ims_decls_new(&r->decls) ||
	    !(r->in = malloc(IN_SIZE)) || !(r->out = malloc(OUT_RECORDS * IMS_ELF_RECORD_SIZE))) {
		ims_elf_reader_close(r);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = fail_file(r, ims_error_set(&r->err, IMS_EIO, "cannot open: %s",
						strerror(errno)));
	} else {
		rc = open_structure(r);
	}
	if (rc) {
		if (err)
			*err = r->err;
		ims_elf_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* --- events ------------------------------------------------------------------------ */

static int next_chunk(struct ims_elf_reader *r)
{
	const struct chunk *c = &r->chunk[r->next_chunk];
	char name[SEC_NAME_MAX];
	int rc;

	snprintf(name, sizeof(name), IMS_ELF_EVENTS "%u", r->next_chunk);
	sec_close(&r->s);
	rc = sec_open(r, &r->s, name, c->offset, c->size,
		      (uint64_t)IMS_ELF_CHUNK_RECORDS * IMS_ELF_RECORD_SIZE);
	if (!rc && (r->s.raw_size % IMS_ELF_RECORD_SIZE || !r->s.raw_size))
		rc = ims_error_set(&r->err, IMS_EINVAL,
				   "uncompressed size %llu is not a positive multiple of %u",
				   (unsigned long long)r->s.raw_size, IMS_ELF_RECORD_SIZE);
	if (rc)
		return fail_section(r, name, rc);
	r->next_chunk++;
	return 0;
}

/* Make at least one whole record available; 0 at the end of all chunks. */
static int fill(struct ims_elf_reader *r)
{
	for (;;) {
		size_t left = r->out_len - r->out_pos, got;
		int rc;

		if (left >= IMS_ELF_RECORD_SIZE)
			return 1;
		if (!r->s.open || r->s.ended) {
			if (r->next_chunk == r->nchunks)
				return 0;
			rc = next_chunk(r);
			if (rc)
				return rc;
		}
		memmove(r->out, r->out + r->out_pos, left);
		r->out_pos = 0;
		r->out_len = left;
		rc = sec_read(r, &r->s, r->out + left, OUT_RECORDS * IMS_ELF_RECORD_SIZE - left,
			      &got);
		if (rc)
			return fail_section(r, r->s.name, rc);
		r->out_len += got;
	}
}

/* Before the event rules: the kind, the reserved byte, declared names. */
static int check_record(struct ims_elf_reader *r, const uint8_t *rec, struct ims_event *ev)
{
	enum ims_decl_kind k;
	uint32_t index;

	if (rec[IMS_REC_KIND] >= IMS_EV_KIND_COUNT)
		return ims_error_set(&r->err, IMS_EINVAL, "unknown record kind %u",
				     rec[IMS_REC_KIND]);
	if (rec[IMS_REC_RESERVED])
		return ims_error_set(&r->err, IMS_EINVAL, "reserved byte is %u, not 0",
				     rec[IMS_REC_RESERVED]);
	ims_rec_decode(rec, ev);
	switch (ev->kind) {
	case IMS_EV_DEVICE: k = IMS_DECL_DEVICE; index = ev->device; break;
	case IMS_EV_DOMAIN: k = IMS_DECL_DOMAIN; index = ev->domain; break;
	case IMS_EV_IOAS: k = IMS_DECL_IOAS; index = ev->ioas; break;
	default: return 0;
	}
	if (index >= r->meta_count[k])
		return ims_error_set(&r->err, IMS_EINVAL,
				     "declares index %u, the metadata has %u names of its kind",
				     index, r->meta_count[k]);
	ev->name = r->names[k][index];
	return 0;
}

/* At the end: the counts in the metadata must be what the events did. */
static int check_totals(struct ims_elf_reader *r)
{
	if (r->record != r->meta_events)
		return ims_error_set(&r->err, IMS_EINVAL, "%llu event records, the metadata says %llu",
				     (unsigned long long)r->record,
				     (unsigned long long)r->meta_events);
	for (int k = 0; k < IMS_DECL_KINDS; k++)
		if (ims_decls_count(r->decls, k) != r->meta_count[k])
			return ims_error_set(&r->err, IMS_EINVAL,
					     "the metadata names %u objects of a kind the events "
					     "declare %u of", r->meta_count[k],
					     ims_decls_count(r->decls, k));
	return 0;
}

int ims_elf_reader_next(struct ims_elf_reader *r, struct ims_event *ev, struct ims_error *err)
{
	const uint8_t *rec;
	int rc;

	if (!r->failed) {
		rc = fill(r);
		if (rc == 0) {
			rc = check_totals(r);
			if (!rc)
				return 0;
			fail_file(r, rc);
		} else if (rc == 1) {
			rec = r->out + r->out_pos;
			r->out_pos += IMS_ELF_RECORD_SIZE;
			r->record++;
			rc = check_record(r, rec, ev);
			if (!rc)
				rc = ims_decls_apply(r->decls, ev, &r->err);
			if (!rc) {
				ev->line = r->record;
				return 1;
			}
			fail_record(r, rc);
		}
	}
	if (err)
		*err = r->err;
	return r->failed;
}

void ims_elf_reader_close(struct ims_elf_reader *r)
{
	if (!r)
		return;
	sec_close(&r->s);
	if (r->fd >= 0)
		close(r->fd);
	for (int k = 0; k < IMS_DECL_KINDS; k++)
		free(r->names[k]);
	ims_decls_free(r->decls);
	free(r->chunk);
	free(r->in);
	free(r->out);
	free(r->path);
	free(r);
}

unsigned ims_elf_reader_version(const struct ims_elf_reader *r)
{
	return r->version;
}

const char *ims_elf_reader_name(const struct ims_elf_reader *r, enum ims_decl_kind kind,
				uint32_t index)
{
	return index < r->meta_count[kind] ? r->names[kind][index] : NULL;
}
