/* util.h — logging, clocks, memory (arena) and small parsers shared by the collector's modules. */
#ifndef COLLECTOR_UTIL_H
#define COLLECTOR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECTOR_VERSION "1.0"
/* application_name, and the sqlcommenter application tag of the collector's own statements */
#define COLLECTOR_APPLICATION "pg_insights_collector"

typedef enum LogLevel
{
	LOG_DEBUG,
	LOG_INFO,
	LOG_WARNING,
	LOG_ERROR
} LogLevel;

extern void log_set_level(LogLevel level);
extern bool log_parse_level(const char *s, LogLevel *out);
extern const char *log_level_name(LogLevel level);
extern void log_msg(LogLevel level, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* wall clock (Unix epoch) and monotonic clock, microseconds */
extern int64_t now_us(void);
extern int64_t mono_us(void);

/* allocation that aborts on out-of-memory */
extern void *xmalloc(size_t n);
extern void *xcalloc(size_t n, size_t size);
extern void *xrealloc(void *p, size_t n);
extern char *xstrdup(const char *s);

/* an arena: many small allocations freed at once */
typedef struct Arena Arena;
extern Arena *arena_create(void);
extern void *arena_alloc(Arena *a, size_t n);
extern char *arena_strdup(Arena *a, const char *s);
extern void arena_free(Arena *a);

/* parsers: return false on malformed input */
extern bool parse_duration_us(const char *s, int64_t *out);	/* 500ms, 10s, 2m, 1h; bare = s */
extern bool parse_bytes(const char *s, int64_t *out);	/* 4096, 64k, 10M, 1G */
extern bool parse_int64(const char *s, int64_t *out);

/* PostgreSQL text-format one-dimensional array: {a,"b c",NULL} */
extern int	pgarray_parse(Arena *a, const char *s, char ***out);
/* the same of integers, "{1,2,3}", into out (at most max): the count, or -1 when malformed */
extern int	pgarray_parse_int64(const char *s, int64_t *out, int max);

/* random bytes (getrandom, falling back to time and pid) as lowercase hex */
extern void random_hex(char *buf, size_t nbytes);

/* jittered exponential backoff: a delay in [d/2, d], d = base * 2^attempt capped at max */
extern int64_t backoff_delay_us(int attempt, int64_t base_us, int64_t max_us);

#endif
