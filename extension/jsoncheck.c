/*
 * jsoncheck.c — the strict bounded JSON checker (see jsoncheck.h).
 *
 * An iterative scan with a bit stack of the open containers (object or
 * array), so no input can recurse or allocate.  The limits are tighter than
 * JSON's and PostgreSQL's on purpose: what passes here must be storable as
 * jsonb and readable back by any client without overflow.
 */
#include "jsoncheck.h"

#include <stdint.h>

typedef struct Cursor
{
	const unsigned char *p;
	const unsigned char *end;
	unsigned int flags;
} Cursor;

static void
skip_blanks(Cursor *c)
{
	while (c->p < c->end &&
		   (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
hex4(const unsigned char *p, const unsigned char *end, unsigned int *out)
{
	unsigned int v = 0;
	int			i;

	if (end - p < 4)
		return 0;
	for (i = 0; i < 4; i++)
	{
		unsigned char h = p[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* Length of the valid UTF-8 sequence (2..4 bytes) at p, 0 if invalid. */
static int
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80,
				hi = 0xBF;
	int			n,
				i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (c == 0xED)
			hi = 0x9F;			/* UTF-16 surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		if (c == 0xF0)
			lo = 0x90;			/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;			/* beyond U+10FFFF */
	}
	else
		return 0;
	if (end - p < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* A string; c->p is at its opening quote. */
static int
scan_string(Cursor *c)
{
	c->p++;
	while (c->p < c->end)
	{
		unsigned char ch = *c->p;

		if (ch == '"')
		{
			c->p++;
			return 1;
		}
		if (ch < 0x20)
			return 0;			/* control characters must be escaped; NUL too */
		if (ch == '\\')
		{
			unsigned int u,
						lo;

			if (c->end - c->p < 2)
				return 0;
			switch (c->p[1])
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					c->p += 2;
					continue;
				case 'u':
					break;
				default:
					return 0;
			}
			if (!hex4(c->p + 2, c->end, &u))
				return 0;
			c->p += 6;
			if (u == 0)
				return 0;		/* jsonb cannot hold \u0000 */
			if (u >= 0xDC00 && u <= 0xDFFF)
				return 0;		/* a low surrogate without its high one */
			if (u >= 0xD800 && u <= 0xDBFF)
			{
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
					!hex4(c->p + 2, c->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return 0;	/* a high surrogate without its low one */
				c->p += 6;
			}
			/* outside UTF-8, jsonb_in refuses escapes it cannot convert */
			if (u > 0x7F && (c->flags & PGI_JSON_ASCII_ONLY))
				return 0;
			continue;
		}
		if (ch >= 0x80)
		{
			int			n;

			if (c->flags & PGI_JSON_ASCII_ONLY)
				return 0;
			n = utf8_len(c->p, c->end);
			if (n == 0)
				return 0;
			c->p += n;
			continue;
		}
		c->p++;
	}
	return 0;					/* unterminated */
}

static int
is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? within the digit limits */
static int
scan_number(Cursor *c)
{
	int			n;
	long		exp = 0;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || !is_digit(*c->p))
		return 0;
	if (*c->p == '0')
		c->p++;
	else
	{
		for (n = 0; c->p < c->end && is_digit(*c->p); n++)
			c->p++;
		if (n > PGI_JSON_MAX_INT_DIGITS)
			return 0;
	}
	if (c->p < c->end && *c->p == '.')
	{
		c->p++;
		for (n = 0; c->p < c->end && is_digit(*c->p); n++)
			c->p++;
		if (n == 0 || n > PGI_JSON_MAX_FRAC_DIGITS)
			return 0;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
	{
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return 0;
		/* leading zeros are harmless; the value is capped while read */
		for (; c->p < c->end && is_digit(*c->p); c->p++)
		{
			exp = exp * 10 + (*c->p - '0');
			if (exp > PGI_JSON_MAX_EXPONENT)
				return 0;
		}
	}
	/* "1x" or "01": a number must end at a delimiter */
	if (c->p < c->end && (is_digit(*c->p) || *c->p == '.' || *c->p == 'e' ||
						  *c->p == 'E' || *c->p == '-' || *c->p == '+'))
		return 0;
	return 1;
}

static int
scan_literal(Cursor *c, const char *lit, int n)
{
	int			i;

	if (c->end - c->p < n)
		return 0;
	for (i = 0; i < n; i++)
		if (c->p[i] != (unsigned char) lit[i])
			return 0;
	c->p += n;
	return 1;
}

/* An object member's key and its ':'. */
static int
scan_key(Cursor *c)
{
	skip_blanks(c);
	if (c->p >= c->end || *c->p != '"' || !scan_string(c))
		return 0;
	skip_blanks(c);
	if (c->p >= c->end || *c->p != ':')
		return 0;
	c->p++;
	return 1;
}

int
pgi_json_check(const char *s, size_t len, int max_depth, unsigned int flags)
{
	Cursor		c;
	uint64_t	is_object = 0;	/* bit d: the container at depth d+1 */
	int			depth = 0;

	if (s == NULL)
		return 0;
	if (max_depth > 64)
		max_depth = 64;
	c.p = (const unsigned char *) s;
	c.end = c.p + len;
	c.flags = flags;

	for (;;)
	{
		int			closed = 0;

		/* a value */
		skip_blanks(&c);
		if (c.p >= c.end)
			return 0;
		switch (*c.p)
		{
			case '{':
			case '[':
				{
					int			obj = (*c.p == '{');

					if (depth >= max_depth)
						return 0;
					c.p++;
					if (obj)
						is_object |= (uint64_t) 1 << depth;
					else
						is_object &= ~((uint64_t) 1 << depth);
					depth++;
					skip_blanks(&c);
					if (c.p < c.end && *c.p == (obj ? '}' : ']'))
					{
						c.p++;
						depth--;
						closed = 1;
					}
					else if (obj && !scan_key(&c))
						return 0;
					if (!closed)
						continue;	/* the first member's value */
					break;
				}
			case '"':
				if (!scan_string(&c))
					return 0;
				break;
			case 't':
				if (!scan_literal(&c, "true", 4))
					return 0;
				break;
			case 'f':
				if (!scan_literal(&c, "false", 5))
					return 0;
				break;
			case 'n':
				if (!scan_literal(&c, "null", 4))
					return 0;
				break;
			default:
				if (!scan_number(&c))
					return 0;
				break;
		}

		/* after a value: close containers until one takes another member */
		for (;;)
		{
			int			obj;

			skip_blanks(&c);
			if (depth == 0)
				return c.p == c.end;
			if (c.p >= c.end)
				return 0;
			obj = (is_object >> (depth - 1)) & 1;
			if (*c.p == ',')
			{
				c.p++;
				if (obj && !scan_key(&c))
					return 0;
				break;
			}
			if (*c.p != (obj ? '}' : ']'))
				return 0;
			c.p++;
			depth--;
		}
	}
}
