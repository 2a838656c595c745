/*
 * check.h — the tiny assertion kit of the standalone unit tests: pass/fail
 * counters, CHECK and CHECK_INT, and a printer for strings with odd bytes.
 */
#ifndef PGI_UNIT_CHECK_H
#define PGI_UNIT_CHECK_H

#include <stdio.h>

static int	n_passed = 0;
static int	n_failed = 0;

/* Print a string with non-printable bytes escaped. */
static void
print_escaped(const char *s, size_t len)
{
	size_t		i;

	if (s == NULL)
	{
		printf("(null)");
		return;
	}
	putchar('"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7F)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

#define CHECK(cond) \
	do { \
		if (cond) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_INT(expected, got) \
	do { \
		long long e_ = (long long) (expected); \
		long long g_ = (long long) (got); \
		if (e_ == g_) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			printf("%s:%d: %s: expected %lld, got %lld\n", \
				   __FILE__, __LINE__, #got, e_, g_); \
		} \
	} while (0)

#endif							/* PGI_UNIT_CHECK_H */
