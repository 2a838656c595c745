/*
 * statfile.c — inspect and rewrite the header of pg_insights' statistics file
 * (pg_stat/pg_insights.stat, see extension/persist.c) for the reliability tests.
 *
 *   statfile FILE                      print the header fields and "crc ok" / "crc bad"
 *   statfile FILE FIELD VALUE          set a header field and recompute the trailing CRC-32C,
 *                                      so the file is intact except for that one claim
 *   statfile FILE FIELD +N | -N        add to / subtract from a field, same
 *
 * FIELD: magic version pg_version layout nshapes ntagsets max_query_length.
 * The layout mirrors PgiFileHeader of file format 2: 32-bit words in host byte order at
 * offsets 0 magic ("PGI1"), 4 format version, 8 PG_VERSION_NUM of the writer (only
 * pg_version / 100 must match the reader's), 12 layout checksum (CRC-32C over the format
 * version and the offsets and sizes of the raw structs), 16 nshapes, 20 ntagsets,
 * 24 max_query_length of the writer, 28 reserved; then the int64 stats_reset at 32; the
 * records start at 40.  The file ends with the CRC-32C (Castagnoli, as PostgreSQL's
 * pg_crc32c) of all preceding bytes, in host byte order.  Exit status 0 on success, 1 on a
 * bad file or usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fields[] = {
	"magic", "version", "pg_version", "layout", "nshapes", "ntagsets", "max_query_length"
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define HEADER_MIN (NFIELDS * 4)

static uint32_t
crc32c(const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	static int	init;
	uint32_t	crc = 0xFFFFFFFFu;

	if (!init)
	{
		for (uint32_t i = 0; i < 256; i++)
		{
			uint32_t	c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			table[i] = c;
		}
		init = 1;
	}
	while (n--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

int
main(int argc, char **argv)
{
	FILE	   *f;
	unsigned char *data;
	long		size;
	uint32_t	crc, stored;

	if (argc != 2 && argc != 4)
	{
		fprintf(stderr, "usage: statfile FILE [FIELD VALUE|+N|-N]\n");
		return 1;
	}
	if ((f = fopen(argv[1], "rb")) == NULL)
	{
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	if (size < (long) (HEADER_MIN + 4))
	{
		fprintf(stderr, "statfile: %s: %ld bytes, too short\n", argv[1], size);
		return 1;
	}
	data = malloc(size);
	if (data == NULL || fread(data, 1, size, f) != (size_t) size)
	{
		fprintf(stderr, "statfile: cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);

	if (argc == 2)
	{
		for (size_t i = 0; i < NFIELDS; i++)
		{
			uint32_t	v;

			memcpy(&v, data + 4 * i, 4);
			printf("%s %u\n", fields[i], v);
		}
		memcpy(&stored, data + size - 4, 4);
		printf("size %ld\ncrc %s\n", size, crc32c(data, size - 4) == stored ? "ok" : "bad");
		return 0;
	}

	for (size_t i = 0; i < NFIELDS; i++)
	{
		uint32_t	v;

		if (strcmp(argv[2], fields[i]) != 0)
			continue;
		memcpy(&v, data + 4 * i, 4);
		if (argv[3][0] == '+')
			v += (uint32_t) strtol(argv[3] + 1, NULL, 10);
		else if (argv[3][0] == '-')
			v -= (uint32_t) strtol(argv[3] + 1, NULL, 10);
		else
			v = (uint32_t) strtoul(argv[3], NULL, 10);
		memcpy(data + 4 * i, &v, 4);
		crc = crc32c(data, size - 4);
		memcpy(data + size - 4, &crc, 4);
		if ((f = fopen(argv[1], "r+b")) == NULL || fwrite(data, 1, size, f) != (size_t) size ||
			fclose(f) != 0)
		{
			perror(argv[1]);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "statfile: unknown field %s\n", argv[2]);
	return 1;
}
