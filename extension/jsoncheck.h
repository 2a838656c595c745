/*
 * jsoncheck.h — a strict, bounded JSON checker, free of PostgreSQL headers.
 *
 * Client comments carry JSON (Prisma's query shape) that reaches SQL as
 * jsonb.  PostgreSQL's own lexer accepts JSON that jsonb_in then refuses
 * (numbers beyond numeric's range, \u0000, escapes a non-UTF8 database
 * cannot hold), and one such value would make every read of a view fail.
 * A text this checker accepts is valid JSON that json_in and jsonb_in accept
 * in the database it was checked for, with every number inside numeric's and
 * a double's range.  Work is linear in the length; nothing is allocated.
 */
#ifndef PGI_JSONCHECK_H
#define PGI_JSONCHECK_H

#include <stddef.h>

#define PGI_JSON_MAX_DEPTH		32	/* nesting of arrays and objects (at most 64) */
#define PGI_JSON_MAX_INT_DIGITS	40	/* digits before the decimal point */
#define PGI_JSON_MAX_FRAC_DIGITS	40	/* digits after it */
#define PGI_JSON_MAX_EXPONENT	250 /* |exponent|: 10^290 at most, below DBL_MAX */

/* flags */
#define PGI_JSON_ASCII_ONLY		0x01	/* non-UTF8 database: ASCII bytes and escapes only */

/*
 * 1 when s[0..len) is one JSON value (blanks around it allowed) within the
 * limits above, nested at most max_depth deep; strings must be valid UTF-8
 * (ASCII with PGI_JSON_ASCII_ONLY) without \u0000 or unpaired surrogates.
 * 0 otherwise.  s may hold NUL bytes (they are rejected), need not end in one.
 */
extern int	pgi_json_check(const char *s, size_t len, int max_depth, unsigned int flags);

#endif							/* PGI_JSONCHECK_H */
