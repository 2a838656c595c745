/* util.c — logging, clocks, memory (arena) and small parsers shared by the collector's modules. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* the one piece of process-wide state: how chatty stderr is */
static LogLevel log_level = LOG_INFO;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR"};

void
log_set_level(LogLevel level)
{
	log_level = level;
}

const char *
log_level_name(LogLevel level)
{
	return level_names[level];
}

bool
log_parse_level(const char *s, LogLevel *out)
{
	int			i;

	for (i = 0; i < 4; i++)
	{
		if (strcasecmp(s, level_names[i]) == 0)
		{
			*out = (LogLevel) i;
			return true;
		}
	}
	if (strcasecmp(s, "warn") == 0)
	{
		*out = LOG_WARNING;
		return true;
	}
	return false;
}

void
log_msg(LogLevel level, const char *fmt,...)
{
	char		ts[32];
	char		msg[2048];
	time_t		t;
	struct tm	tm;
	va_list		ap;

	if (level < log_level)
		return;
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one write per line so lines of concurrent writers do not interleave */
	fprintf(stderr, "%s %s %s\n", ts, level_names[level], msg);
	fflush(stderr);
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
out_of_memory(void)
{
	fputs("pg_insights_collector: out of memory\n", stderr);
	exit(1);
}

void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory();
	return q;
}

char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* ---- arena ---- */

#define ARENA_CHUNK (64 * 1024)

typedef struct ArenaChunk
{
	struct ArenaChunk *next;
	size_t		used;
	size_t		size;
	/* data follows, maximally aligned */
} ArenaChunk;

struct Arena
{
	ArenaChunk *head;
};

#define CHUNK_DATA(c) ((char *) (c) + ((sizeof(ArenaChunk) + 15) & ~(size_t) 15))

Arena *
arena_create(void)
{
	return xcalloc(1, sizeof(Arena));
}

void *
arena_alloc(Arena *a, size_t n)
{
	ArenaChunk *c = a->head;
	void	   *p;

	n = (n + 15) & ~(size_t) 15;
	if (c == NULL || c->size - c->used < n)
	{
		size_t		size = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;

		c = xmalloc(((sizeof(ArenaChunk) + 15) & ~(size_t) 15) + size);
		c->size = size;
		c->used = 0;
		/* a big block goes behind the head so the head's free space stays usable */
		if (size != ARENA_CHUNK && a->head != NULL)
		{
			c->next = a->head->next;
			a->head->next = c;
		}
		else
		{
			c->next = a->head;
			a->head = c;
		}
	}
	p = CHUNK_DATA(c) + c->used;
	c->used += n;
	return p;
}

char *
arena_strdup(Arena *a, const char *s)
{
	size_t		n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(arena_alloc(a, n), s, n);
}

void
arena_free(Arena *a)
{
	ArenaChunk *c,
			   *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next)
	{
		next = c->next;
		free(c);
	}
	free(a);
}

/* ---- parsers ---- */

bool
parse_int64(const char *s, int64_t *out)
{
	char	   *end;
	long long	v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* number with an optional unit suffix; factor of each unit from the table */
static bool
parse_with_units(const char *s, const char *const *units, const int64_t *factors,
				 int nunits, int default_unit, int64_t *out)
{
	char	   *end;
	double		v;
	int			i;

	if (s == NULL)
		return false;
	while (isspace((unsigned char) *s))
		s++;
	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s)
		return false;
	while (isspace((unsigned char) *end))
		end++;
	/* range first (NaN fails it too): converting an out-of-range double is undefined */
	if (*end == '\0')
	{
		if (!(v >= 0 && v < 9.2e18 / factors[default_unit]))
			return false;
		*out = (int64_t) (v * factors[default_unit]);
		return true;
	}
	for (i = 0; i < nunits; i++)
	{
		if (strcasecmp(end, units[i]) == 0)
		{
			if (!(v >= 0 && v < 9.2e18 / factors[i]))
				return false;
			*out = (int64_t) (v * factors[i]);
			return true;
		}
	}
	return false;
}

bool
parse_duration_us(const char *s, int64_t *out)
{
	static const char *const units[] = {"us", "ms", "s", "m", "min", "h"};
	static const int64_t factors[] = {1, 1000, 1000000, 60000000, 60000000, 3600000000LL};

	return parse_with_units(s, units, factors, 6, 2, out);
}

bool
parse_bytes(const char *s, int64_t *out)
{
	static const char *const units[] = {"b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib"};
	static const int64_t factors[] = {1, 1024, 1024, 1024, 1048576, 1048576, 1048576,
	1073741824, 1073741824, 1073741824};

	return parse_with_units(s, units, factors, 10, 0, out);
}

/*
 * Parse PostgreSQL's text output of a one-dimensional array.  Elements are
 * copied into the arena; NULL elements become NULL pointers.  Returns the
 * element count, or -1 when the text is not an array literal.
 */
int
pgarray_parse(Arena *a, const char *s, char ***out)
{
	size_t		cap = 8;
	int			n = 0;
	char	  **elems;
	const char *p = s;
	size_t		len = strlen(s);
	char	   *buf;

	*out = NULL;
	if (*p != '{')
		return -1;
	p++;
	elems = arena_alloc(a, cap * sizeof(char *));
	buf = xmalloc(len + 1);
	while (*p != '}')
	{
		size_t		bl = 0;
		bool		quoted = false;

		if (*p == '\0')
			goto bad;
		if (*p == '"')
		{
			quoted = true;
			p++;
			while (*p != '"')
			{
				if (*p == '\0')
					goto bad;
				if (*p == '\\' && p[1] != '\0')
					p++;
				buf[bl++] = *p++;
			}
			p++;
		}
		else
		{
			while (*p != ',' && *p != '}')
			{
				if (*p == '\0')
					goto bad;
				buf[bl++] = *p++;
			}
		}
		buf[bl] = '\0';
		if ((size_t) n == cap)
		{
			char	  **bigger = arena_alloc(a, cap * 2 * sizeof(char *));

			memcpy(bigger, elems, cap * sizeof(char *));
			elems = bigger;
			cap *= 2;
		}
		elems[n++] = (!quoted && strcmp(buf, "NULL") == 0) ? NULL : arena_strdup(a, buf);
		if (*p == ',')
			p++;
	}
	free(buf);
	*out = elems;
	return n;
bad:
	free(buf);
	return -1;
}

/* "{1,2,3}" into out (at most max); -1 when malformed */
int
pgarray_parse_int64(const char *s, int64_t *out, int max)
{
	int			n = 0;
	char	   *end;

	if (*s++ != '{')
		return -1;
	if (*s == '}')
		return 0;
	for (;;)
	{
		if (n == max)
			return -1;
		out[n++] = strtoll(s, &end, 10);
		if (end == s)
			return -1;
		if (*end == '}')
			return n;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

void
random_hex(char *buf, size_t nbytes)
{
	unsigned char raw[64];
	size_t		i;

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (getrandom(raw, nbytes, 0) != (ssize_t) nbytes)
	{
		unsigned int seed = (unsigned int) (now_us() ^ (getpid() << 16));

		for (i = 0; i < nbytes; i++)
			raw[i] = (unsigned char) (rand_r(&seed) >> 7);
	}
	for (i = 0; i < nbytes; i++)
		sprintf(buf + 2 * i, "%02x", raw[i]);
}

int64_t
backoff_delay_us(int attempt, int64_t base_us, int64_t max_us)
{
	int64_t		d = base_us;
	unsigned char r[4];
	uint32_t	x;

	while (attempt-- > 0 && d < max_us)
		d *= 2;
	if (d > max_us)
		d = max_us;
	if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
		memset(r, 0x55, sizeof(r));
	memcpy(&x, r, sizeof(x));
	return d / 2 + (int64_t) ((double) x / 4294967296.0 * (double) (d / 2));
}
