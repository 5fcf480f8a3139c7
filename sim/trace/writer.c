/* Trace writers (writer.h): canonical text, gzip text and the ELF container.
 *
 * The ELF file is written front to back in one pass: a placeholder ELF
 * header, then each event section as it fills (its compression header is
 * patched once the chunk's size is known), then the metadata, the section
 * name table and the section headers, and last the real ELF header. Memory
 * is one record batch and one deflate buffer, whatever the trace length;
 * libelf's own writer would hold every section until elf_update.
 */
#define _GNU_SOURCE   /* mkstemp, fdopen */
#include "sim/trace/writer.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/cleanup.h"
#include "sim/trace/elf_format.h"

#define BATCH_RECORDS 4096u            /* records deflated per call */
#define ZOUT_SIZE (256u * 1024u)
#define MAX_SECTIONS (SHN_LORESERVE - 1u)  /* keep e_shnum a plain count */

struct section {
	uint64_t name_off;     /* in the section name table */
	uint64_t offset, size;
	uint64_t entsize;
};

struct ims_trace_writer {
	enum ims_trace_fmt fmt;
	char *path;
	char *tmp;             /* NULL when writing to stdout */
	int cleanup;           /* tmp's ims_cleanup handle, or -1 */
	FILE *text;            /* TEXT */
	gzFile gz;             /* TEXT_GZ */
	int fd;                /* ELF */
	struct ims_trace_decls *decls;
	uint64_t records;      /* events written */
	/* ELF */
	z_stream zs;
	bool in_chunk;
	uint64_t chunk_off;    /* file offset of the open chunk's Elf64_Chdr */
	uint32_t chunk_records;
	uint64_t file_off;     /* bytes written so far */
	uint8_t *batch;
	uint32_t batch_used;   /* records */
	uint8_t *zout;
	struct section *sec;
	uint32_t nsec, capsec;
};

enum ims_trace_fmt ims_trace_fmt_for_path(const char *path)
{
	size_t n = strlen(path);

	if (n >= 4 && !strcmp(path + n - 4, ".elf"))
		return IMS_TRACE_FMT_ELF;
	if (n >= 3 && !strcmp(path + n - 3, ".gz"))
		return IMS_TRACE_FMT_TEXT_GZ;
	return IMS_TRACE_FMT_TEXT;
}

static int io_error(struct ims_trace_writer *w, struct ims_error *err, const char *what)
{
	int rc = ims_error_set(err, IMS_EIO, "cannot %s: %s", what,
			       errno ? strerror(errno) : "I/O error");

	ims_error_locate(err, w->path, 0);
	return rc;
}

/* --- ELF output ------------------------------------------------------------- */

static int put_bytes(struct ims_trace_writer *w, const void *p, size_t n, struct ims_error *err)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(w->fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return io_error(w, err, "write");
		b += k;
		n -= (size_t)k;
		w->file_off += (uint64_t)k;
	}
	return 0;
}

static int put_zeros(struct ims_trace_writer *w, size_t n, struct ims_error *err)
{
	static const uint8_t zero[64];

	while (n) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);
		int rc = put_bytes(w, zero, k, err);

		if (rc)
			return rc;
		n -= k;
	}
	return 0;
}

static int put_at(struct ims_trace_writer *w, uint64_t off, const void *p, size_t n,
		  struct ims_error *err)
{
	errno = 0;
	if (pwrite(w->fd, p, n, (off_t)off) != (ssize_t)n)
		return io_error(w, err, "write");
	return 0;
}

static int add_section(struct ims_trace_writer *w, uint64_t offset, uint64_t size,
		       uint64_t entsize, struct ims_error *err)
{
	if (w->nsec == w->capsec) {
		uint32_t cap = w->capsec ? w->capsec * 2 : 16;
		struct section *s = realloc(w->sec, cap * sizeof(*s));

		if (!s)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		w->sec = s;
		w->capsec = cap;
	}
	w->sec[w->nsec++] = (struct section){ 0, offset, size, entsize };
	return 0;
}

/* Deflate `n` bytes (flush: Z_NO_FLUSH or Z_FINISH) and write the output. */
static int deflate_put(struct ims_trace_writer *w, const uint8_t *p, size_t n, int flush,
		       struct ims_error *err)
{
	int zrc;

	w->zs.next_in = (Bytef *)p;
	w->zs.avail_in = (uInt)n;
	do {
		size_t have;
		int rc;

		w->zs.next_out = w->zout;
		w->zs.avail_out = ZOUT_SIZE;
		zrc = deflate(&w->zs, flush);
		if (zrc == Z_STREAM_ERROR)
			return ims_error_set(err, IMS_EIO, "deflate failed");
		have = ZOUT_SIZE - w->zs.avail_out;
		rc = put_bytes(w, w->zout, have, err);
		if (rc)
			return rc;
	} while (w->zs.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

/* Open a compressed section: alignment, a placeholder header, a stream. */
static int section_begin(struct ims_trace_writer *w, struct ims_error *err)
{
	int rc = put_zeros(w, (size_t)(-w->file_off & 7), err);

	if (rc)
		return rc;
	w->chunk_off = w->file_off;
	rc = put_zeros(w, IMS_ELF_CHDR_SIZE, err);
	if (rc)
		return rc;
	memset(&w->zs, 0, sizeof(w->zs));
	if (deflateInit(&w->zs, Z_DEFAULT_COMPRESSION) != Z_OK)
		return ims_error_set(err, IMS_ENOMEM, "out of memory (deflateInit)");
	w->in_chunk = true;
	return 0;
}

static int section_end(struct ims_trace_writer *w, uint64_t raw_size, uint64_t entsize,
		       struct ims_error *err)
{
	uint8_t chdr[IMS_ELF_CHDR_SIZE] = { 0 };
	int rc = deflate_put(w, NULL, 0, Z_FINISH, err);

	deflateEnd(&w->zs);
	w->in_chunk = false;
	if (rc)
		return rc;
	ims_le_put32(chdr + 0, ELFCOMPRESS_ZLIB);          /* ch_type */
	ims_le_put64(chdr + 8, raw_size);                  /* ch_size */
	ims_le_put64(chdr + 16, 8);                        /* ch_addralign */
	rc = put_at(w, w->chunk_off, chdr, sizeof(chdr), err);
	return rc ? rc : add_section(w, w->chunk_off, w->file_off - w->chunk_off, entsize, err);
}

static int flush_batch(struct ims_trace_writer *w, struct ims_error *err)
{
	int rc = deflate_put(w, w->batch, (size_t)w->batch_used * IMS_ELF_RECORD_SIZE,
			     Z_NO_FLUSH, err);

	w->batch_used = 0;
	return rc;
}

static int chunk_end(struct ims_trace_writer *w, struct ims_error *err)
{
	int rc = flush_batch(w, err);

	if (!rc)
		rc = section_end(w, (uint64_t)w->chunk_records * IMS_ELF_RECORD_SIZE,
				 IMS_ELF_RECORD_SIZE, err);
	w->chunk_records = 0;
	return rc;
}

static int elf_put_event(struct ims_trace_writer *w, const struct ims_event *ev,
			 struct ims_error *err)
{
	int rc;

	if (!w->in_chunk) {
		if (w->nsec == MAX_SECTIONS - 2)
			return ims_error_set(err, IMS_EINVAL, "trace too long for one file "
					     "(%u event sections)", w->nsec);
		rc = section_begin(w, err);
		if (rc)
			return rc;
	}
	ims_rec_encode(w->batch + (size_t)w->batch_used * IMS_ELF_RECORD_SIZE, ev);
	w->chunk_records++;
	if (++w->batch_used == BATCH_RECORDS) {
		rc = flush_batch(w, err);
		if (rc)
			return rc;
	}
	return w->chunk_records == IMS_ELF_CHUNK_RECORDS ? chunk_end(w, err) : 0;
}

static int elf_put_meta(struct ims_trace_writer *w, struct ims_error *err)
{
	size_t cap = IMS_META_NAMES;
	uint8_t *meta, *p;
	int rc;

	for (int k = 0; k < IMS_DECL_KINDS; k++)
		cap += (size_t)ims_decls_count(w->decls, k) * (1 + IMS_TRACE_NAME_MAX);
	meta = calloc(1, cap);
	if (!meta)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): 8 magic bytes */
	memcpy(meta + IMS_META_MAGIC, IMS_ELF_MAGIC, 8);
	ims_le_put32(meta + IMS_META_VERSION, IMS_ELF_VERSION);
	ims_le_put32(meta + IMS_META_RECORD_SIZE, IMS_ELF_RECORD_SIZE);
	ims_le_put64(meta + IMS_META_EVENTS, w->records);
	ims_le_put32(meta + IMS_META_CHUNKS, w->nsec);
	ims_le_put32(meta + IMS_META_DEVICES, ims_decls_count(w->decls, IMS_DECL_DEVICE));
	ims_le_put32(meta + IMS_META_DOMAINS, ims_decls_count(w->decls, IMS_DECL_DOMAIN));
	ims_le_put32(meta + IMS_META_IOASES, ims_decls_count(w->decls, IMS_DECL_IOAS));
	p = meta + IMS_META_NAMES;
	for (int k = 0; k < IMS_DECL_KINDS; k++)
		for (uint32_t i = 0; i < ims_decls_count(w->decls, k); i++) {
			const char *name = ims_decls_name(w->decls, k, i);
			size_t n = strlen(name);

			*p++ = (uint8_t)n;
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): length-prefixed */
			memcpy(p, name, n);
			p += n;
		}
	rc = section_begin(w, err);
	if (!rc)
		rc = deflate_put(w, meta, (size_t)(p - meta), Z_NO_FLUSH, err);
	if (!rc)
		rc = section_end(w, (uint64_t)(p - meta), 0, err);
	free(meta);
	return rc;
}

static void put_shdr(uint8_t *s, uint32_t name, uint32_t type, uint64_t flags, uint64_t offset,
		     uint64_t size, uint64_t align, uint64_t entsize)
{
	memset(s, 0, sizeof(Elf64_Shdr));
	ims_le_put32(s + 0, name);       /* sh_name */
	ims_le_put32(s + 4, type);       /* sh_type */
	ims_le_put64(s + 8, flags);      /* sh_flags */
	ims_le_put64(s + 24, offset);    /* sh_offset */
	ims_le_put64(s + 32, size);      /* sh_size */
	ims_le_put64(s + 48, align);     /* sh_addralign */
	ims_le_put64(s + 56, entsize);   /* sh_entsize */
}

static void put_ehdr(uint8_t *e, uint64_t shoff, uint16_t shnum, uint16_t shstrndx)
{
	memset(e, 0, sizeof(Elf64_Ehdr));
	memcpy(e, ELFMAG, SELFMAG);
	e[EI_CLASS] = ELFCLASS64;
	e[EI_DATA] = ELFDATA2LSB;
	e[EI_VERSION] = EV_CURRENT;
	e[EI_OSABI] = ELFOSABI_NONE;
	ims_le_put16(e + 16, ET_NONE);               /* e_type */
	ims_le_put16(e + 18, EM_NONE);               /* e_machine */
	ims_le_put32(e + 20, EV_CURRENT);            /* e_version */
	ims_le_put64(e + 40, shoff);                 /* e_shoff */
	ims_le_put16(e + 52, sizeof(Elf64_Ehdr));    /* e_ehsize */
	ims_le_put16(e + 58, sizeof(Elf64_Shdr));    /* e_shentsize */
	ims_le_put16(e + 60, shnum);                 /* e_shnum */
	ims_le_put16(e + 62, shstrndx);              /* e_shstrndx */
}

/* The section name table, the headers (null, events, meta, names) and the
 * ELF header. The events are sections 1..n-1 in chunk order; meta is last
 * of ours. */
static int elf_finish(struct ims_trace_writer *w, struct ims_error *err)
{
	uint32_t nours = w->nsec, nchunks = nours - 1;
	size_t strcap = 1 + sizeof(IMS_ELF_META) + sizeof(".shstrtab") +
			(size_t)nchunks * (sizeof(IMS_ELF_EVENTS) + 10);
	char *str = malloc(strcap);
	/* NOLINTNEXTLINE(clang-analyzer-unix.MallocSizeof): headers as bytes (ims_le_put*) */
	uint8_t *shdrs = calloc((size_t)nours + 2, sizeof(Elf64_Shdr));
	uint8_t ehdr[sizeof(Elf64_Ehdr)];
	size_t slen = 1;
	uint64_t str_off, shoff;
	uint32_t shstr_name;
	int rc;

	if (!str || !shdrs) {
		free(str);
		free(shdrs);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	str[0] = '\0';
	for (uint32_t i = 0; i < nours; i++) {
		w->sec[i].name_off = slen;
		if (i < nchunks)
			slen += (size_t)sprintf(str + slen, IMS_ELF_EVENTS "%u", i) + 1;
		else
			slen += (size_t)sprintf(str + slen, IMS_ELF_META) + 1;
	}
	shstr_name = (uint32_t)slen;
	slen += (size_t)sprintf(str + slen, ".shstrtab") + 1;
	str_off = w->file_off;
	rc = put_bytes(w, str, slen, err);
	if (!rc)
		rc = put_zeros(w, (size_t)(-w->file_off & 7), err);
	shoff = w->file_off;
	for (uint32_t i = 0; !rc && i < nours; i++) {
		const struct section *s = &w->sec[i];

		put_shdr(shdrs + (i + 1) * sizeof(Elf64_Shdr), (uint32_t)s->name_off, SHT_PROGBITS,
			 SHF_COMPRESSED, s->offset, s->size, 8, s->entsize);
	}
	put_shdr(shdrs + (nours + 1) * sizeof(Elf64_Shdr), shstr_name, SHT_STRTAB, 0, str_off,
		 slen, 1, 0);
	if (!rc)
		rc = put_bytes(w, shdrs, ((size_t)nours + 2) * sizeof(Elf64_Shdr), err);
	put_ehdr(ehdr, shoff, (uint16_t)(nours + 2), (uint16_t)(nours + 1));
	if (!rc)
		rc = put_at(w, 0, ehdr, sizeof(ehdr), err);
	free(str);
	free(shdrs);
	return rc;
}

static int elf_close(struct ims_trace_writer *w, struct ims_error *err)
{
	int rc = w->in_chunk ? chunk_end(w, err) : 0;

	if (!rc)
		rc = elf_put_meta(w, err);
	return rc ? rc : elf_finish(w, err);
}

/* --- text output ------------------------------------------------------------ */

static int text_put(struct ims_trace_writer *w, const char *s, size_t n, struct ims_error *err)
{
	errno = 0;
	if (w->gz ? gzwrite(w->gz, s, (unsigned)n) != (int)n : fwrite(s, 1, n, w->text) != n)
		return io_error(w, err, "write");
	return 0;
}

static int text_put_event(struct ims_trace_writer *w, const struct ims_event *ev,
			  struct ims_error *err)
{
	char line[IMS_EVENT_TEXT_MAX + 1];
	int n = ims_event_format(w->decls, ev, line, sizeof(line) - 1);

	if (n < 0)
		return ims_error_set(err, IMS_EINVAL, "event cannot be written as text");
	line[n++] = '\n';
	return text_put(w, line, (size_t)n, err);
}

/* --- public ------------------------------------------------------------------ */

static void writer_free(struct ims_trace_writer *w)
{
	ims_cleanup_forget(w->cleanup);   /* renamed into place, or removed */
	if (w->in_chunk)
		deflateEnd(&w->zs);
	ims_decls_free(w->decls);
	free(w->batch);
	free(w->zout);
	free(w->sec);
	free(w->tmp);
	free(w->path);
	free(w);
}

static int open_tmp(struct ims_trace_writer *w, struct ims_error *err)
{
	size_t n = strlen(w->path) + sizeof(".tmp.XXXXXX");

	w->tmp = malloc(n);
	if (!w->tmp)
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	snprintf(w->tmp, n, "%s.tmp.XXXXXX", w->path);
	errno = 0;
	w->fd = ims_cleanup_mkstemp(w->tmp, &w->cleanup);
	if (w->fd < 0) {
		free(w->tmp);
		w->tmp = NULL;
		return io_error(w, err, "create a file beside it");
	}
	/* mkstemp makes it private; the result gets the usual mode. */
	{
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(w->fd, 0666 & ~mask))
			return io_error(w, err, "set the mode of the new file");
	}
	return 0;
}

static int open_stream(struct ims_trace_writer *w, struct ims_error *err)
{
	char header[32];
	int n = snprintf(header, sizeof(header), "iommusim-trace %d\n", IMS_TRACE_VERSION);

	switch (w->fmt) {
	case IMS_TRACE_FMT_ELF:
		w->batch = malloc((size_t)BATCH_RECORDS * IMS_ELF_RECORD_SIZE);
		w->zout = malloc(ZOUT_SIZE);
		if (!w->batch || !w->zout)
			return ims_error_set(err, IMS_ENOMEM, "out of memory");
		return put_zeros(w, sizeof(Elf64_Ehdr), err);   /* header comes last */
	case IMS_TRACE_FMT_TEXT_GZ:
		w->gz = gzdopen(w->fd, "wb");
		if (!w->gz)
			return ims_error_set(err, IMS_ENOMEM, "out of memory (gzdopen)");
		w->fd = -1;
		break;
	default:
		w->text = w->tmp ? fdopen(w->fd, "w") : stdout;
		if (!w->text)
			return io_error(w, err, "open");
		w->fd = -1;
		break;
	}
	return text_put(w, header, (size_t)n, err);
}

int ims_trace_writer_open(struct ims_trace_writer **out, const char *path,
			  enum ims_trace_fmt fmt, struct ims_error *err)
{
	struct ims_trace_writer *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (w)
		w->cleanup = -1;
	if (!w || !(w->path = strdup(path)) || ims_decls_new(&w->decls)) {
		if (w)
			writer_free(w);
		return ims_error_set(err, IMS_ENOMEM, "out of memory");
	}
	w->fmt = fmt;
	w->fd = -1;
	if (!strcmp(path, "-") && fmt == IMS_TRACE_FMT_ELF) {
		writer_free(w);
		return ims_error_set(err, IMS_EINVAL, "the ELF form needs a file, not stdout");
	}
	rc = strcmp(path, "-") ? open_tmp(w, err) : 0;
	if (!rc)
		rc = open_stream(w, err);
	if (rc) {
		ims_trace_writer_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

int ims_trace_write(struct ims_trace_writer *w, const struct ims_event *ev,
		    struct ims_error *err)
{
	struct ims_event e = *ev;
	int rc = ims_decls_apply(w->decls, &e, err);

	if (rc) {
		ims_error_locate_record(err, w->path, w->records + 1);
		return rc;
	}
	e.line = 0;
	rc = w->fmt == IMS_TRACE_FMT_ELF ? elf_put_event(w, &e, err) : text_put_event(w, &e, err);
	if (!rc)
		w->records++;
	return rc;
}

int ims_trace_writer_close(struct ims_trace_writer *w, struct ims_error *err)
{
	int rc = 0;

	if (w->fmt == IMS_TRACE_FMT_ELF) {
		rc = elf_close(w, err);
		errno = 0;
		if (close(w->fd) && !rc)
			rc = io_error(w, err, "close");
		w->fd = -1;
	} else if (w->gz) {
		errno = 0;
		if (gzclose(w->gz) != Z_OK)
			rc = io_error(w, err, "write");
		w->gz = NULL;
	} else if (w->text) {
		errno = 0;
		if (w->text == stdout ? fflush(stdout) : fclose(w->text))
			rc = io_error(w, err, "write");
		w->text = NULL;
	}
	if (!rc && w->tmp && rename(w->tmp, w->path))
		rc = io_error(w, err, "rename into place");
	if (rc && w->tmp)
		unlink(w->tmp);
	writer_free(w);
	return rc;
}

void ims_trace_writer_abort(struct ims_trace_writer *w)
{
	if (!w)
		return;
	if (w->gz)
		gzclose(w->gz);
	if (w->text && w->text != stdout)
		fclose(w->text);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	writer_free(w);
}
