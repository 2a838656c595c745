/*
 * fuzz_normtext.c — libFuzzer target: pgi_normtext on arbitrary bytes, bounds, truncation and prefix invariants checked.
 */
#include "normtext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data;
	/* a collapse at most doubles its text: "in($1,$2)" -> "in($1 /\*, ... *\/)" */
	size_t		bigsz = 2 * size + 64;
	char	   *full = malloc(bigsz);
	char	   *again = malloc(bigsz);
	char	   *cut;
	size_t		n,
				m,
				small;
	int			tr = -1;

	REQUIRE(full != NULL && again != NULL);

	n = pgi_normtext(in, size, full, bigsz, &tr);
	REQUIRE(tr == 0);
	REQUIRE(n < bigsz && full[n] == '\0');

	/* deterministic */
	m = pgi_normtext(in, size, again, bigsz, &tr);
	REQUIRE(m == n && tr == 0 && memcmp(full, again, n + 1) == 0);

	/* a small buffer gives a prefix of the full output */
	small = size > 0 ? (size_t) data[size - 1] % (n + 2) : 0;
	cut = malloc(small > 0 ? small : 1);
	REQUIRE(cut != NULL);
	m = pgi_normtext(in, size, small > 0 ? cut : NULL, small, &tr);
	if (small == 0)
		REQUIRE(m == 0 && tr == (n > 0));
	else
	{
		REQUIRE(m < small && cut[m] == '\0');
		REQUIRE(memcmp(cut, full, m) == 0);
		REQUIRE(tr == (n > small - 1));
		REQUIRE(tr || m == n);
		REQUIRE(!tr || m + 4 >= small - 1);	/* only a partial character is dropped */
	}

	/* the output has no leading blank or comment */
	if (n > 0)
	{
		unsigned char c = (unsigned char) full[0];

		REQUIRE(c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v');
		REQUIRE(!(n >= 2 && full[0] == '-' && full[1] == '-'));
	}

	/* the output is a fixed point: normalizing it again changes nothing */
	{
		size_t		sz2 = 2 * n + 64;
		char	   *second = malloc(sz2);

		REQUIRE(second != NULL);
		m = pgi_normtext(full, n, second, sz2, &tr);
		REQUIRE(tr == 0 && m == n && memcmp(second, full, n + 1) == 0);
		free(second);
	}

	free(cut);
	free(full);
	free(again);
	return 0;
}
