/* The floor of compressed trace replay (tools/bench, issue 8): inflate every
 * .iommusim.events.* section of an ELF trace with plain zlib and discard the
 * output. Reads the way the trace reader does (pread of 256 KiB, inflate into
 * a 256 KiB buffer), without decoding or checking a single record.
 *
 * usage: bench-inflate TRACE.elf   (prints the uncompressed bytes made)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/trace/elf_format.h"

#define BUF (256u * 1024u)

static int inflate_section(int fd, uint64_t off, uint64_t size, uint8_t *in, uint8_t *out,
			   uint64_t *made)
{
	z_stream zs;
	uint64_t pos = off + IMS_ELF_CHDR_SIZE, end = off + size;
	int zrc = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (size < IMS_ELF_CHDR_SIZE || inflateInit(&zs) != Z_OK)
		return -1;
	while (zrc != Z_STREAM_END) {
		if (!zs.avail_in) {
			size_t k = end - pos < BUF ? (size_t)(end - pos) : BUF;
			ssize_t got = k ? pread(fd, in, k, (off_t)pos) : 0;

			if (got <= 0)
				break;
			pos += (uint64_t)got;
			zs.next_in = in;
			zs.avail_in = (uInt)got;
		}
		zs.next_out = out;
		zs.avail_out = BUF;
		zrc = inflate(&zs, Z_NO_FLUSH);
		*made += BUF - zs.avail_out;
		if (zrc != Z_OK && zrc != Z_STREAM_END)
			break;
	}
	inflateEnd(&zs);
	return zrc == Z_STREAM_END ? 0 : -1;
}

int main(int argc, char **argv)
{
	uint8_t *in, *out;
	uint64_t made = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, rc = 0;
	Elf *e;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-inflate TRACE.elf\n");
		return 2;
	}
	in = malloc(BUF);
	out = malloc(BUF);
	fd = open(argv[1], O_RDONLY);
	elf_version(EV_CURRENT);
	e = fd < 0 || !in || !out ? NULL : elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_getshdrstrndx(e, &shstrndx)) {
		fprintf(stderr, "bench-inflate: %s: cannot read as ELF\n", argv[1]);
		elf_end(e);
		if (fd >= 0)
			close(fd);
		free(in);
		free(out);
		return 1;
	}
	while (!rc && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			rc = -1;
		else if (!strncmp(name, IMS_ELF_EVENTS, strlen(IMS_ELF_EVENTS)))
			rc = inflate_section(fd, sh.sh_offset, sh.sh_size, in, out, &made);
	}
	elf_end(e);
	close(fd);
	free(in);
	free(out);
	if (rc) {
		fprintf(stderr, "bench-inflate: %s: corrupt event section\n", argv[1]);
		return 1;
	}
	printf("%llu\n", (unsigned long long)made);
	return 0;
}
