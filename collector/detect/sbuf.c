/* sbuf.c — a growable string for building evidence JSON, suggestions and prompts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "detect.h"

void
sbuf_init(Sbuf *b)
{
	b->cap = 256;
	b->len = 0;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
}

static void
sbuf_reserve(Sbuf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	while (b->len + more + 1 > b->cap)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
sbuf_printf(Sbuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* n bytes as they are */
void
sbuf_putn(Sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* A JSON string literal; NULL becomes null. */
void
sbuf_json_str(Sbuf *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
	{
		sbuf_printf(b, "null");
		return;
	}
	sbuf_reserve(b, strlen(s) + 2);
	b->data[b->len++] = '"';
	for (p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '"':
				sbuf_printf(b, "\\\"");
				break;
			case '\\':
				sbuf_printf(b, "\\\\");
				break;
			case '\n':
				sbuf_printf(b, "\\n");
				break;
			case '\r':
				sbuf_printf(b, "\\r");
				break;
			case '\t':
				sbuf_printf(b, "\\t");
				break;
			default:
				if (*p < 0x20)
					sbuf_printf(b, "\\u%04x", *p);
				else
				{
					sbuf_reserve(b, 1);
					b->data[b->len++] = (char) *p;
				}
		}
	}
	sbuf_reserve(b, 1);
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

char *
sbuf_steal(Sbuf *b)
{
	char	   *s = b->data;

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}
