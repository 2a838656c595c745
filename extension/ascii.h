/*
 * ascii.h — byte-level helpers shared by the pure C parsers (comment.c,
 * normtext.c); no PostgreSQL headers.
 */
#ifndef PGI_ASCII_H
#define PGI_ASCII_H

#include <stddef.h>

/* Case-insensitive comparison of s[0..n) with a lowercase ASCII word. */
static inline int
pgi_ascii_word_is(const char *s, size_t n, const char *word)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (word[i] == '\0')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char) (c - 'A' + 'a');
		if (c != (unsigned char) word[i])
			return 0;
	}
	return word[n] == '\0';
}

/* Value of one hex digit, -1 for any other byte. */
static inline int
pgi_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif							/* PGI_ASCII_H */
