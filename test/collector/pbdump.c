/* pbdump.c — test tool: decode stored snapshots (plain or zlib) and print them as JSON or path=value lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "pbjson.h"

/*
 * Usage: pbdump [--json|--flat] FILE...
 * Prints each snapshot; exits 1 when a file does not decode.  zlib bodies
 * (spool .pbz files) are recognised by their header.
 */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf = NULL;
	size_t		cap = 0;
	size_t		n;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;)
	{
		if (*len == cap)
		{
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	bool		flat = false;
	int			i;
	int			rc = 0;

	for (i = 1; i < argc; i++)
	{
		size_t		len;
		uint8_t    *buf;
		PbSnapshot *s;
		bool		z;

		if (strcmp(argv[i], "--flat") == 0)
		{
			flat = true;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0)
		{
			flat = false;
			continue;
		}
		buf = slurp(argv[i], &len);
		if (buf == NULL)
		{
			fprintf(stderr, "pbdump: cannot read %s\n", argv[i]);
			rc = 1;
			continue;
		}
		/* zlib header: 0x78 then a byte making the pair a multiple of 31 */
		z = len >= 2 && buf[0] == 0x78 && ((buf[0] << 8) | buf[1]) % 31 == 0;
		s = snapshot_decode(buf, len, z);
		if (s == NULL && z)
			s = snapshot_decode(buf, len, false);
		free(buf);
		if (s == NULL)
		{
			fprintf(stderr, "pbdump: %s is not a snapshot\n", argv[i]);
			rc = 1;
			continue;
		}
		if (flat)
			pb_print_flat(stdout, &s->base);
		else
			pb_print_json(stdout, &s->base, true);
		snapshot_free(s);
	}
	return rc;
}
