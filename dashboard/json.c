/* dashboard/json.c — JSON output: string escaping for untrusted text, numbers from PostgreSQL's text output. */
#include "dashboard.h"

#include <ctype.h>
#include <string.h>

/*
 * Escape a string for JSON.  Besides what JSON requires, '<', '>', '&' and
 * the quotes are \u-escaped (the output can never close a script or HTML
 * context), as are U+2028/U+2029; bytes that are not valid UTF-8 become
 * U+FFFD so the document always parses.
 */
void
json_strn(Buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + n;

	buf_reserve(b, n + 2);
	buf_putc(b, '"');
	while (p < end)
	{
		unsigned char c = *p;

		if (c < 0x80)
		{
			switch (c)
			{
				case '"':
					buf_puts(b, "\\\"");
					break;
				case '\\':
					buf_puts(b, "\\\\");
					break;
				case '\n':
					buf_puts(b, "\\n");
					break;
				case '\r':
					buf_puts(b, "\\r");
					break;
				case '\t':
					buf_puts(b, "\\t");
					break;
				case '<':
				case '>':
				case '&':
				case '\'':
					buf_printf(b, "\\u%04x", c);
					break;
				default:
					if (c < 0x20 || c == 0x7f)
						buf_printf(b, "\\u%04x", c);
					else
						buf_putc(b, (char) c);
			}
			p++;
			continue;
		}
		else
		{
			int			len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
			unsigned int cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
			int			i;
			bool		ok = len > 0 && p + len <= end;

			for (i = 1; ok && i < len; i++)
			{
				if ((p[i] & 0xC0) != 0x80)
					ok = false;
				else
					cp = (cp << 6) | (p[i] & 0x3F);
			}
			if (ok && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
					   (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
					   (cp >= 0xD800 && cp <= 0xDFFF)))
				ok = false;
			if (!ok)
			{
				buf_puts(b, "\\ufffd");
				p++;
			}
			else if (cp == 0x2028 || cp == 0x2029)
			{
				buf_printf(b, "\\u%04x", cp);
				p += len;
			}
			else
			{
				buf_put(b, p, (size_t) len);
				p += len;
			}
		}
	}
	buf_putc(b, '"');
}

void
json_str(Buf *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		json_strn(b, s, strlen(s));
}

/* "key": with a comma before every key but the first of an object */
void
json_key(Buf *b, bool *first, const char *key)
{
	if (!*first)
		buf_putc(b, ',');
	*first = false;
	json_str(b, key);
	buf_putc(b, ':');
}

/*
 * A number from PostgreSQL's text output ("12", "-1.5e-05", "NaN",
 * "Infinity", "" for NULL).  Only plain JSON numbers are copied; anything
 * else is null.
 */
void
json_pg_num(Buf *b, const char *text)
{
	const char *p = text;

	if (p == NULL || *p == '\0')
	{
		buf_puts(b, "null");
		return;
	}
	if (*p == '-')
		p++;
	if (!isdigit((unsigned char) *p))
	{
		buf_puts(b, "null");
		return;
	}
	while (isdigit((unsigned char) *p))
		p++;
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
		{
			buf_puts(b, "null");
			return;
		}
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (*p == 'e' || *p == 'E')
	{
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char) *p))
		{
			buf_puts(b, "null");
			return;
		}
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (*p != '\0')
	{
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, text);
}
