/*
 * fuzz_json.h — an independent, strict JSON (RFC 8259) checker for the fuzz targets' invariants:
 * json_valid(s, n) is 1 when s[0..n) is exactly one JSON value (surrounding whitespace allowed),
 * with valid UTF-8 in its strings (json_valid_opt(s, n, 1): any bytes >= 0x80 allowed in them).  Recursion is bounded (depth 200).
 */
#ifndef FUZZ_JSON_H
#define FUZZ_JSON_H

#include <stddef.h>

#define JSON_FN static __attribute__((unused))

typedef struct JsonCur
{
	const unsigned char *p;
	const unsigned char *end;
	int			depth;
	int			any_bytes;		/* strings may hold bytes that are not UTF-8 */
} JsonCur;

JSON_FN int	json_value(JsonCur *c);

JSON_FN void
json_ws(JsonCur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

JSON_FN int
json_lit(JsonCur *c, const char *lit)
{
	for (; *lit; lit++, c->p++)
		if (c->p >= c->end || *c->p != (unsigned char) *lit)
			return 0;
	return 1;
}

JSON_FN int
json_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

JSON_FN int
json_string(JsonCur *c)
{
	if (c->p >= c->end || *c->p != '"')
		return 0;
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
			return 0;
		if (ch == '\\')
		{
			c->p++;
			if (c->p >= c->end)
				return 0;
			ch = *c->p;
			if (ch == 'u')
			{
				int			k;

				for (k = 1; k <= 4; k++)
					if (c->p + k >= c->end || !json_hex(c->p[k]))
						return 0;
				c->p += 5;
			}
			else if (ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' || ch == 'n' ||
					 ch == 'r' || ch == 't')
				c->p++;
			else
				return 0;
			continue;
		}
		if (ch < 0x80 || c->any_bytes)
		{
			c->p++;
			continue;
		}
		{
			int			n = (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3 : (ch & 0xF8) == 0xF0 ? 4 : 0;
			unsigned long cp = n == 2 ? (ch & 0x1Fu) : n == 3 ? (ch & 0x0Fu) : (ch & 0x07u);
			int			k;

			if (n == 0 || c->p + n > c->end)
				return 0;
			for (k = 1; k < n; k++)
			{
				if ((c->p[k] & 0xC0) != 0x80)
					return 0;
				cp = (cp << 6) | (c->p[k] & 0x3F);
			}
			if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
				cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
				return 0;
			c->p += n;
		}
	}
	return 0;
}

JSON_FN int
json_digits(JsonCur *c)
{
	const unsigned char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

JSON_FN int
json_number(JsonCur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (!json_digits(c))
		return 0;
	if (c->p < c->end && *c->p == '.')
	{
		c->p++;
		if (!json_digits(c))
			return 0;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E'))
	{
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!json_digits(c))
			return 0;
	}
	return 1;
}

JSON_FN int
json_container(JsonCur *c, unsigned char close)
{
	int			first = 1;

	if (++c->depth > 200)
		return 0;
	c->p++;
	json_ws(c);
	if (c->p < c->end && *c->p == close)
	{
		c->p++;
		c->depth--;
		return 1;
	}
	for (;;)
	{
		(void) first;
		first = 0;
		json_ws(c);
		if (close == '}')
		{
			if (!json_string(c))
				return 0;
			json_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return 0;
			c->p++;
			json_ws(c);
		}
		if (!json_value(c))
			return 0;
		json_ws(c);
		if (c->p >= c->end)
			return 0;
		if (*c->p == close)
		{
			c->p++;
			c->depth--;
			return 1;
		}
		if (*c->p != ',')
			return 0;
		c->p++;
	}
}

JSON_FN int
json_value(JsonCur *c)
{
	if (c->p >= c->end)
		return 0;
	switch (*c->p)
	{
		case '{':
			return json_container(c, '}');
		case '[':
			return json_container(c, ']');
		case '"':
			return json_string(c);
		case 't':
			return json_lit(c, "true");
		case 'f':
			return json_lit(c, "false");
		case 'n':
			return json_lit(c, "null");
		default:
			return json_number(c);
	}
}

JSON_FN int
json_valid_opt(const char *s, size_t n, int any_bytes)
{
	JsonCur		c;

	c.p = (const unsigned char *) s;
	c.end = c.p + n;
	c.depth = 0;
	c.any_bytes = any_bytes;
	json_ws(&c);
	if (!json_value(&c))
		return 0;
	json_ws(&c);
	return c.p == c.end;
}

JSON_FN int
json_valid(const char *s, size_t n)
{
	return json_valid_opt(s, n, 0);
}

#endif
