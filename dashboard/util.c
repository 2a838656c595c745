/* dashboard/util.c — small helpers of the dashboard: logging, allocation, buffers, parsing, constant-time compare, UTF-8. */
#include "dashboard.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

void
dash_log(const char *level, const char *fmt,...)
{
	char		ts[40];
	char		msg[2048];
	struct timespec now;
	struct tm	tm;
	va_list		ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line, one write: lines of concurrent threads do not interleave */
	fprintf(stderr, "%s.%03ld UTC [dashboard] %s: %s\n", ts, now.tv_nsec / 1000000, level, msg);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		log_error("out of memory (%zu bytes)", n);
		abort();
	}
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void	   *p = calloc(n ? n : 1, m ? m : 1);

	if (p == NULL)
	{
		log_error("out of memory");
		abort();
	}
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (q == NULL)
	{
		log_error("out of memory (%zu bytes)", n);
		abort();
	}
	return q;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s);
	char	   *p = xmalloc(n + 1);

	memcpy(p, s, n + 1);
	return p;
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- buffers ---- */

void
buf_init(Buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(Buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reserve(Buf *b, size_t extra)
{
	size_t		need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
buf_put(Buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(Buf *b, char c)
{
	buf_put(b, &c, 1);
}

void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* ---- parsing ---- */

/* "90", "90s", "15m", "1h", "7d", "2w" -> seconds */
bool
parse_duration(const char *s, int64_t *seconds)
{
	char	   *end;
	long long	v;
	int64_t		mult = 1;

	if (s == NULL || !isdigit((unsigned char) *s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return false;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = 86400;
	else if (strcmp(end, "w") == 0)
		mult = 7 * 86400;
	else
		return false;
	if (v > INT64_MAX / mult / 1000000)
		return false;
	*seconds = v * mult;
	return true;
}

/* "4096", "512k", "16M", "1G" -> bytes */
bool
parse_size(const char *s, size_t *bytes)
{
	char	   *end;
	unsigned long long v;
	unsigned long long mult = 1;

	if (s == NULL || !isdigit((unsigned char) *s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return false;
	if (*end == '\0' || strcasecmp(end, "b") == 0)
		mult = 1;
	else if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kb") == 0)
		mult = 1024;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mb") == 0)
		mult = 1024 * 1024;
	else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gb") == 0)
		mult = 1024ULL * 1024 * 1024;
	else
		return false;
	if (v == 0 || v > (unsigned long long) SIZE_MAX / mult)
		return false;
	*bytes = (size_t) (v * mult);
	return true;
}

/*
 * Constant-time comparison: the time depends on the lengths only, never on
 * where the first difference is.
 */
bool
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char diff = (unsigned char) (alen != blen);
	size_t		n = alen > blen ? alen : blen;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		unsigned char x = i < alen ? (unsigned char) a[i] : 0;
		unsigned char y = i < blen ? (unsigned char) b[i] : 0;

		diff |= x ^ y;
	}
	return diff == 0;
}

/* whole file into a NUL-terminated buffer, at most max bytes; NULL (errno set) on failure */
char *
read_file(const char *path, size_t max, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *data;
	size_t		n;
	struct stat st;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size > max)
	{
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	data = xmalloc((size_t) st.st_size + 1);
	n = fread(data, 1, (size_t) st.st_size, f);
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

/*
 * Make s valid UTF-8 in place: every byte of an invalid sequence becomes '?'.
 * Text from a monitored database is untrusted; the repository and the JSON
 * output need valid UTF-8.
 */
void
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *) s;

	while (*p)
	{
		int			n;
		int			i;
		unsigned int cp;

		if (*p < 0x80)
		{
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0)
			n = 1, cp = *p & 0x1F;
		else if ((*p & 0xF0) == 0xE0)
			n = 2, cp = *p & 0x0F;
		else if ((*p & 0xF8) == 0xF0)
			n = 3, cp = *p & 0x07;
		else
		{
			*p++ = '?';
			continue;
		}
		for (i = 1; i <= n; i++)
		{
			if ((p[i] & 0xC0) != 0x80)
				break;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if (i <= n || (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
			(n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
		{
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

bool
is_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}
