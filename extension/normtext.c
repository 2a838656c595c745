/*
 * normtext.c — normalized statement text for display: comments stripped, lists collapsed (pure C99).
 *
 * The input is a statement whose constants are already replaced by $n.  One
 * lexical pass (quotes, E'' strings, dollar quotes, nested block comments and
 * line comments are recognised as PostgreSQL's scanner does) finds the first
 * and last significant tokens; everything before the first (whitespace,
 * comments) and after the last (whitespace, comments, ';') is dropped.  A
 * second pass copies the text between them and collapses lists.  The output
 * is a fixed point: normalizing it again returns it unchanged.
 *
 * Which lists collapse.  Textually a function call `f($1, $2)` looks exactly
 * like a list, so a list is collapsed only where it cannot be a call:
 *  - a '(' whose previous token (ignoring whitespace and comments) is the
 *    unquoted keyword IN, any case (`NOT IN` included; "IN" quoted is an
 *    identifier, not the keyword);
 *  - a '[' whose previous token is the unquoted keyword ARRAY;
 *  - the rows following the unquoted keyword VALUES.
 * A list collapses when it holds two or more items and every item is a
 * placeholder $n, optionally followed by casts (`$1::int`, `$2::numeric(10,2)`,
 * `$3::"Enum"[]`, `$4::timestamp with time zone`); only whitespace may
 * separate items (a comment inside keeps the list as it is, which also makes
 * the collapsed form stable).  The list keeps its first item and gets the
 * marker:  IN ($1, $2, $3) -> IN ($1 /\*, ... *\/).  VALUES rows collapse
 * when there are two or more rows and every row holds only placeholders,
 * DEFAULT or NULL: the first row is kept, then the marker.
 *
 * Output is cut at outsz-1 bytes (never inside a UTF-8 character) and always
 * NUL-terminated.  Time is linear in the input; nothing is allocated.
 */
#include "ascii.h"
#include "normtext.h"

#include <string.h>

typedef enum
{
	TK_SPACE,
	TK_COMMENT,
	TK_SEMI,
	TK_STRING,					/* '...', E'...', $tag$...$tag$, unterminated */
	TK_QIDENT,					/* "..." */
	TK_PARAM,					/* $n */
	TK_IDENT,
	TK_NUMBER,
	TK_OTHER					/* one byte, or an unterminated comment */
} TokKind;

typedef enum
{
	PREV_OTHER,
	PREV_IN,
	PREV_ARRAY,
	PREV_VALUES
} PrevKind;

#define MAX_DOLLAR_TAG	64		/* longer $tag$ delimiters are not quotes */

typedef struct Writer
{
	char	   *out;
	size_t		outsz;
	size_t		pos;
	int			truncated;
} Writer;

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
		c >= 0x80;
}

static int
is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

static size_t
skip_space(const char *s, size_t p, size_t end)
{
	while (p < end && is_space((unsigned char) s[p]))
		p++;
	return p;
}

static size_t
ident_end(const char *s, size_t p, size_t end)
{
	while (p < end && is_ident_cont((unsigned char) s[p]))
		p++;
	return p;
}

/* End of a quoted section opened at p (s[p] == q), doubled q escapes q. */
static size_t
quoted_end(const char *s, size_t p, size_t end, char q, int backslash)
{
	p++;
	while (p < end)
	{
		if (backslash && s[p] == '\\')
		{
			p += 2;
			continue;
		}
		if (s[p] == q)
		{
			if (p + 1 < end && s[p + 1] == q)
			{
				p += 2;
				continue;
			}
			return p + 1;
		}
		p++;
	}
	return end;					/* unterminated: runs to the end */
}

/*
 * Dollar quote opened at p: returns its end, or 0 if s[p] does not start a
 * $tag$ delimiter.  An unterminated dollar quote runs to the end.
 */
static size_t
dollar_quote_end(const char *s, size_t p, size_t end)
{
	size_t		t = p + 1;
	size_t		dlen;
	size_t		i;

	if (t < end && is_ident_start((unsigned char) s[t]))
	{
		t++;
		while (t < end && t - p <= MAX_DOLLAR_TAG &&
			   (is_ident_start((unsigned char) s[t]) || is_digit((unsigned char) s[t])))
			t++;
	}
	if (t >= end || s[t] != '$')
		return 0;
	dlen = t + 1 - p;			/* delimiter including both '$' */

	for (i = t + 1; i + dlen <= end; i++)
	{
		if (s[i] == '$' && memcmp(s + i, s + p, dlen) == 0)
			return i + dlen;
	}
	return end;
}

/* Scan the token at p (p < end); returns its end (> p). */
static size_t
next_token(const char *s, size_t p, size_t end, TokKind *kind)
{
	unsigned char c = (unsigned char) s[p];
	size_t		e;

	if (is_space(c))
	{
		*kind = TK_SPACE;
		return skip_space(s, p, end);
	}
	if (c == '-' && p + 1 < end && s[p + 1] == '-')
	{
		e = p + 2;
		while (e < end && s[e] != '\n')
			e++;
		*kind = TK_COMMENT;
		return e;
	}
	if (c == '/' && p + 1 < end && s[p + 1] == '*')
	{
		size_t		depth = 1;

		e = p + 2;
		while (e < end)
		{
			if (s[e] == '/' && e + 1 < end && s[e + 1] == '*')
			{
				depth++;
				e += 2;
			}
			else if (s[e] == '*' && e + 1 < end && s[e + 1] == '/')
			{
				e += 2;
				if (--depth == 0)
				{
					*kind = TK_COMMENT;
					return e;
				}
			}
			else
				e++;
		}
		*kind = TK_OTHER;		/* unterminated: not a comment, kept */
		return end;
	}
	if (c == '\'')
	{
		*kind = TK_STRING;
		return quoted_end(s, p, end, '\'', 0);
	}
	if (c == '"')
	{
		*kind = TK_QIDENT;
		return quoted_end(s, p, end, '"', 0);
	}
	if (c == '$')
	{
		if (p + 1 < end && is_digit((unsigned char) s[p + 1]))
		{
			e = p + 1;
			while (e < end && is_digit((unsigned char) s[e]))
				e++;
			*kind = TK_PARAM;
			return e;
		}
		e = dollar_quote_end(s, p, end);
		if (e != 0)
		{
			*kind = TK_STRING;
			return e;
		}
		*kind = TK_OTHER;
		return p + 1;
	}
	if (is_ident_start(c))
	{
		e = ident_end(s, p, end);
		if (e == p + 1 && (c == 'e' || c == 'E') && e < end && s[e] == '\'')
		{
			*kind = TK_STRING;	/* E'...' with backslash escapes */
			return quoted_end(s, e, end, '\'', 1);
		}
		*kind = TK_IDENT;
		return e;
	}
	if (is_digit(c))
	{
		e = p + 1;
		while (e < end && (is_ident_cont((unsigned char) s[e]) || s[e] == '.'))
			e++;
		*kind = TK_NUMBER;
		return e;
	}
	*kind = (c == ';') ? TK_SEMI : TK_OTHER;
	return p + 1;
}

/*
 * Our own marker (without its leading space) is text, not a comment to strip:
 * this keeps "VALUES ($1) /\*, ... *\/" at the end of a statement, so that
 * normalizing a normalized text changes nothing.
 */
static int
is_marker(const char *s, size_t n)
{
	return n == sizeof(PGI_LIST_MARKER) - 2 &&
		memcmp(s, &PGI_LIST_MARKER[1], n) == 0;
}

/* ---------------------------------------------------------------------
 * List recognition (lookahead, whitespace only between tokens)
 * ---------------------------------------------------------------------
 */

/*
 * One type name after "::": words (identifiers or quoted identifiers),
 * '.', a numeric modifier "(10, 2)" and array brackets "[]" / "[3]".
 * Returns the end, or 0 when there is no type name at p.
 */
static size_t
scan_type(const char *s, size_t p, size_t end)
{
	size_t		q;

	p = skip_space(s, p, end);
	if (p < end && is_ident_start((unsigned char) s[p]))
		p = ident_end(s, p, end);
	else if (p < end && s[p] == '"')
	{
		p = quoted_end(s, p, end, '"', 0);
		if (p >= end)
			return 0;			/* unterminated, or nothing can follow */
	}
	else
		return 0;

	for (;;)
	{
		q = skip_space(s, p, end);
		if (q >= end)
			break;
		if (s[q] == '.' || is_ident_start((unsigned char) s[q]) || s[q] == '"')
		{
			if (s[q] == '.')
				q = skip_space(s, q + 1, end);
			if (q < end && is_ident_start((unsigned char) s[q]))
				p = ident_end(s, q, end);
			else if (q < end && s[q] == '"')
			{
				p = quoted_end(s, q, end, '"', 0);
				if (p == end)
					return 0;
			}
			else
				return 0;
		}
		else if (s[q] == '(')
		{
			q++;
			while (q < end && (is_digit((unsigned char) s[q]) ||
							   is_space((unsigned char) s[q]) || s[q] == ','))
				q++;
			if (q >= end || s[q] != ')')
				return 0;
			p = q + 1;
		}
		else if (s[q] == '[')
		{
			q = skip_space(s, q + 1, end);
			while (q < end && is_digit((unsigned char) s[q]))
				q++;
			q = skip_space(s, q, end);
			if (q >= end || s[q] != ']')
				return 0;
			p = q + 1;
		}
		else
			break;
	}
	return p;
}

/* Optional casts after an item ending at p; returns the new end. */
static size_t
scan_casts(const char *s, size_t p, size_t end)
{
	for (;;)
	{
		size_t		q = skip_space(s, p, end);
		size_t		t;

		if (q + 1 >= end || s[q] != ':' || s[q + 1] != ':')
			return p;
		t = scan_type(s, q + 2, end);
		if (t == 0)
			return p;			/* the caller then fails on "::" */
		p = t;
	}
}

/* One list item at p: $n [casts], or (allow_kw) DEFAULT / NULL [casts]. */
static size_t
scan_item(const char *s, size_t p, size_t end, int allow_kw)
{
	size_t		q;

	if (p + 1 < end && s[p] == '$' && is_digit((unsigned char) s[p + 1]))
	{
		q = p + 1;
		while (q < end && is_digit((unsigned char) s[q]))
			q++;
		if (q < end && is_ident_cont((unsigned char) s[q]))
			return p;
		return scan_casts(s, q, end);
	}
	if (allow_kw && p < end && is_ident_start((unsigned char) s[p]))
	{
		q = ident_end(s, p, end);
		if (pgi_ascii_word_is(s + p, q - p, "default") || pgi_ascii_word_is(s + p, q - p, "null"))
			return scan_casts(s, q, end);
	}
	return p;
}

/*
 * Items after an opener: p is just past it.  Returns the number of items
 * (saturating at 2) and sets *first_end (end of the first item) and *after
 * (just past the closer); 0 when it is not a plain placeholder list.
 */
static int
scan_list(const char *s, size_t p, size_t end, char closer, int allow_kw,
		  size_t *first_end, size_t *after)
{
	int			n = 0;

	p = skip_space(s, p, end);
	for (;;)
	{
		size_t		q = scan_item(s, p, end, allow_kw);

		if (q == p)
			return 0;
		if (n == 0)
			*first_end = q;
		if (n < 2)
			n++;
		p = skip_space(s, q, end);
		if (p >= end)
			return 0;
		if (s[p] == ',')
		{
			p = skip_space(s, p + 1, end);
			continue;
		}
		if (s[p] == closer)
		{
			*after = p + 1;
			return n;
		}
		return 0;
	}
}

/*
 * VALUES rows starting at p (s[p] == '(').  Returns the number of rows
 * (saturating at 2), *first_end just past the first row, *after just past
 * the last; 0 if any row is not made of placeholders, DEFAULT and NULL.
 */
static int
scan_values(const char *s, size_t p, size_t end, size_t *first_end,
			size_t *after)
{
	int			rows = 0;

	for (;;)
	{
		size_t		fe;
		size_t		a;
		size_t		q;

		if (p >= end || s[p] != '(')
			return 0;
		if (scan_list(s, p + 1, end, ')', 1, &fe, &a) == 0)
			return 0;
		if (rows == 0)
			*first_end = a;
		if (rows < 2)
			rows++;
		*after = a;
		q = skip_space(s, a, end);
		if (q < end && s[q] == ',')
		{
			p = skip_space(s, q + 1, end);
			continue;
		}
		return rows;
	}
}

/* ---------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------
 */

static void
emit(Writer *w, const char *s, size_t n)
{
	size_t		room;

	if (w->truncated)
		return;
	room = (w->outsz > 0) ? w->outsz - 1 - w->pos : 0;
	if (n > room)
	{
		n = room;
		w->truncated = 1;
	}
	if (n > 0)
	{
		memcpy(w->out + w->pos, s, n);
		w->pos += n;
	}
}

/* After a cut, drop a UTF-8 character left incomplete at the end. */
static size_t
trim_partial_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		back;

	for (back = 1; back <= 4 && back <= len; back++)
	{
		unsigned char c = s[len - back];
		size_t		need;

		if ((c & 0xC0) == 0x80)
			continue;
		if (c >= 0xF0)
			need = 4;
		else if (c >= 0xE0)
			need = 3;
		else if (c >= 0xC0)
			need = 2;
		else
			need = 1;
		return (need > back) ? len - back : len;
	}
	return len;
}

size_t
pgi_normtext(const char *in, size_t len, char *out, size_t outsz,
			 int *truncated)
{
	Writer		w;
	size_t		p;
	size_t		first = 0;
	size_t		end = 0;
	int			seen = 0;
	PrevKind	prev = PREV_OTHER;

	w.out = out;
	w.outsz = (out != NULL) ? outsz : 0;
	w.pos = 0;
	w.truncated = 0;
	if (in == NULL)
		len = 0;

	/* pass 1: bounds of the significant text */
	for (p = 0; p < len;)
	{
		TokKind		k;
		size_t		e = next_token(in, p, len, &k);

		if (k != TK_SPACE && !(k == TK_COMMENT && !is_marker(in + p, e - p)))
		{
			if (!seen)
				first = p;
			seen = 1;
			if (k != TK_SEMI)
				end = e;
		}
		p = e;
	}
	if (!seen || end <= first)
		end = first = 0;

	/* pass 2: copy, collapsing lists */
	for (p = first; p < end && !w.truncated;)
	{
		TokKind		k;
		size_t		e = next_token(in, p, end, &k);

		if (k == TK_SPACE || k == TK_COMMENT)
		{
			emit(&w, in + p, e - p);
			p = e;
			continue;
		}
		if (k == TK_OTHER && e == p + 1)
		{
			size_t		first_end = 0;
			size_t		after = 0;
			int			n = 0;
			char		c = in[p];

			if (c == '(' && prev == PREV_IN)
				n = scan_list(in, p + 1, end, ')', 0, &first_end, &after);
			else if (c == '[' && prev == PREV_ARRAY)
				n = scan_list(in, p + 1, end, ']', 0, &first_end, &after);
			else if (c == '(' && prev == PREV_VALUES)
				n = scan_values(in, p, end, &first_end, &after);

			if (n >= 2)
			{
				emit(&w, in + p, first_end - p);
				emit(&w, PGI_LIST_MARKER, sizeof(PGI_LIST_MARKER) - 1);
				if (prev != PREV_VALUES)
					emit(&w, &in[after - 1], 1);	/* the closer */
				prev = PREV_OTHER;
				p = after;
				continue;
			}
		}

		emit(&w, in + p, e - p);
		if (k == TK_IDENT && pgi_ascii_word_is(in + p, e - p, "in"))
			prev = PREV_IN;
		else if (k == TK_IDENT && pgi_ascii_word_is(in + p, e - p, "array"))
			prev = PREV_ARRAY;
		else if (k == TK_IDENT && pgi_ascii_word_is(in + p, e - p, "values"))
			prev = PREV_VALUES;
		else
			prev = PREV_OTHER;
		p = e;
	}

	if (w.truncated)
		w.pos = trim_partial_utf8(w.out, w.pos);
	if (w.outsz > 0)
		w.out[w.pos] = '\0';
	if (truncated)
		*truncated = w.truncated;
	return w.pos;
}
