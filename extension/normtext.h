/*
 * normtext.h — presentation of a normalized statement text, free of
 * PostgreSQL headers (unit-tested and fuzzed standalone).
 */
#ifndef PGI_NORMTEXT_H
#define PGI_NORMTEXT_H

#include <stddef.h>

/*
 * Rewrite a statement text whose constants are already replaced by $n:
 *  - strip comments at the very start and the very end of the text, and any
 *    trailing whitespace and ';' (comments inside the body are kept);
 *  - collapse lists of two or more placeholders, each optionally followed
 *    by a cast (`$3::int`), inside (...) or ARRAY[...] into the first item
 *    followed by PGI_LIST_MARKER (<marker> below):  IN ($1, $2, $3)  ->  IN ($1 <marker>)
 *  - collapse a multi-row VALUES list whose rows hold only placeholders
 *    (and DEFAULT/NULL) into its first row:
 *      VALUES ($1,$2), ($3,$4)  ->  VALUES ($1,$2) <marker>
 * Quotes ('...', "...", $tag$...$tag$, E'...') and comments are respected.
 * Writes at most outsz-1 bytes plus a NUL; returns the length written and
 * sets *truncated (if not NULL) when the output had to be cut.
 */
extern size_t pgi_normtext(const char *in, size_t len, char *out, size_t outsz,
						   int *truncated);

#define PGI_LIST_MARKER " /*, ... */"

#endif							/* PGI_NORMTEXT_H */
