/*
 * fuzz_collector_parse.c — libFuzzer target: what the collector parses from what it reads, invariants checked.
 *
 * The first byte picks the parser, the rest is its input:
 *   0  pgarray_parse: PostgreSQL text arrays (tables, tag keys and values of query results),
 *      then a round trip through a re-quoted literal
 *   1  pgarray_parse_int64: integer arrays (latency_histogram)
 *   2  parse_duration_us, parse_bytes, parse_int64 (config values)
 *   3  the --config file: config_load on the input as a file (memfd), with everything it validates
 *      (the OTLP settings too: otlp_url, repeated otlp_header lines, otlp_max_shapes);
 *      after the first NUL byte: the contents of the API key file
 *   4  a spool file read back (snapshot_decode, compressed or not, with body_decompress's limit),
 *      printed with pbjson as the --format json output would be; body_compress round trip
 */
#include "util.h"
#include "config.h"
#include "output.h"
#include "pbjson.h"

#include "fuzz_json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUIRE(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

static int	config_fd = -1;
static int	key_fd = -1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	log_set_level(LOG_ERROR);
	config_fd = memfd_create("fuzz-config", 0);
	key_fd = memfd_create("fuzz-key", 0);
	if (config_fd < 0 || key_fd < 0)
	{
		perror("memfd_create");
		abort();
	}
	/* not world-readable: read_key would warn on every run */
	(void) fchmod(config_fd, 0600);
	(void) fchmod(key_fd, 0600);
	return 0;
}

static char *
cstr(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);

	REQUIRE(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* a PostgreSQL array literal of elems, every element quoted (NULL unquoted) */
static char *
requote(char **elems, int n)
{
	size_t		cap = 3,
				len = 0;
	char	   *out;
	int			i;

	for (i = 0; i < n; i++)
		cap += elems[i] ? 2 * strlen(elems[i]) + 3 : 5;
	out = malloc(cap);
	REQUIRE(out != NULL);
	out[len++] = '{';
	for (i = 0; i < n; i++)
	{
		const char *p;

		if (i)
			out[len++] = ',';
		if (elems[i] == NULL)
		{
			memcpy(out + len, "NULL", 4);
			len += 4;
			continue;
		}
		out[len++] = '"';
		for (p = elems[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				out[len++] = '\\';
			out[len++] = *p;
		}
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len] = '\0';
	REQUIRE(len < cap);
	return out;
}

static void
fuzz_text_array(const char *s)
{
	Arena	   *a = arena_create();
	char	  **elems = (char **) 1;
	int			n = pgarray_parse(a, s, &elems);
	size_t		len = strlen(s);

	REQUIRE(n >= -1);
	if (n < 0)
		REQUIRE(elems == NULL);
	else
	{
		char	  **again;
		char	   *lit;
		int			i,
					m;
		size_t		total = 0;

		REQUIRE(elems != NULL);
		/* every element costs at least its separator or the closing brace */
		REQUIRE((size_t) n <= len);
		for (i = 0; i < n; i++)
			if (elems[i])
				total += strlen(elems[i]);
		REQUIRE(total <= len);
		/* the elements survive a round trip through a fully quoted literal */
		lit = requote(elems, n);
		m = pgarray_parse(a, lit, &again);
		REQUIRE(m == n);
		for (i = 0; i < n; i++)
		{
			REQUIRE((elems[i] == NULL) == (again[i] == NULL));
			if (elems[i])
				REQUIRE(strcmp(elems[i], again[i]) == 0);
		}
		free(lit);
	}
	arena_free(a);
}

static void
fuzz_int_array(const char *s)
{
	int64_t		out[33];
	int			max = 32;
	int			n;

	out[32] = 0x5a5a5a5a;
	n = pgarray_parse_int64(s, out, max);
	REQUIRE(n >= -1 && n <= max);
	REQUIRE(out[32] == 0x5a5a5a5a);
	if (n > 0)
	{
		/* well-formed: '{', n numbers separated by ',', '}' and possibly more after it */
		REQUIRE(s[0] == '{');
		REQUIRE(strchr(s, '}') != NULL);
	}
}

static void
fuzz_numbers(const char *s)
{
	int64_t		v = -12345;
	char		again[32];
	int64_t		w;

	if (parse_duration_us(s, &v))
		REQUIRE(v >= 0);
	v = -12345;
	if (parse_bytes(s, &v))
		REQUIRE(v >= 0);
	if (parse_int64(s, &v))
	{
		snprintf(again, sizeof(again), "%lld", (long long) v);
		REQUIRE(parse_int64(again, &w) && w == v);
	}
	/* what the parser printed back parses to the same duration */
	if (parse_duration_us(s, &v))
	{
		snprintf(again, sizeof(again), "%lldus", (long long) v);
		REQUIRE(parse_duration_us(again, &w));
	}
}

static void
put_file(int fd, const char *data, size_t len)
{
	REQUIRE(ftruncate(fd, 0) == 0);
	REQUIRE(pwrite(fd, data, len, 0) == (ssize_t) len);
}

static void
fuzz_config(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t		clen = nul ? (size_t) (nul - data) : size;
	char		cpath[64],
				kpath[64],
				kopt[80];
	char	   *argv[6];
	Config		cfg;
	char		err[512];
	ConfigResult rc;
	int			i;

	put_file(config_fd, (const char *) data, clen);
	put_file(key_fd, nul ? (const char *) nul + 1 : "", nul ? size - clen - 1 : 0);
	snprintf(cpath, sizeof(cpath), "/proc/self/fd/%d", config_fd);
	snprintf(kpath, sizeof(kpath), "/proc/self/fd/%d", key_fd);
	snprintf(kopt, sizeof(kopt), "--api-key-file=%s", kpath);
	/* the command line wins: no file the input names is ever opened */
	argv[0] = "pg_insights_collector";
	argv[1] = "--config";
	argv[2] = cpath;
	argv[3] = kopt;
	argv[4] = "--ca-file=";
	argv[5] = NULL;
	memset(err, 'x', sizeof(err));
	rc = config_load(5, argv, &cfg, err, sizeof(err));
	REQUIRE(rc == CONFIG_OK || rc == CONFIG_ERROR);
	REQUIRE(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == CONFIG_ERROR)
		REQUIRE(err[0] != '\0');
	else
	{
		REQUIRE(cfg.ndbnames >= 1 && cfg.dbnames != NULL);
		for (i = 0; i < cfg.ndbnames; i++)
			REQUIRE(cfg.dbnames[i] != NULL);
		REQUIRE(cfg.interval_us >= 10000);
		REQUIRE(cfg.retry_initial_us > 0 && cfg.retry_max_us >= cfg.retry_initial_us);
		REQUIRE(cfg.history >= 1);
		REQUIRE(cfg.spool_max_bytes >= 0 && cfg.compress_threshold >= 0);
		/* with no output at all the collector only detects: --no-detect is refused then */
		REQUIRE(cfg.output[0] != '\0' || cfg.dashboard_url[0] != '\0' || cfg.otlp_url[0] != '\0' ||
				!cfg.no_detect);
		REQUIRE(cfg.otlp_max_shapes >= 0 && cfg.otlp_max_shapes <= 100000);
		REQUIRE(cfg.notlp_headers == 0 || cfg.otlp_url[0] != '\0');
		for (i = 0; i < cfg.notlp_headers; i++)
			REQUIRE(strchr(cfg.otlp_headers[i], ':') != NULL && strpbrk(cfg.otlp_headers[i], "\r\n") == NULL);
		REQUIRE(cfg.output[0] == '\0' || cfg.once);
		REQUIRE(cfg.api_key != NULL && cfg.api_key[0] != '\0' && strpbrk(cfg.api_key, "\r\n") == NULL);
		REQUIRE(cfg.detect.nplus1_min_repeats >= 0 && cfg.detect.repeat_min >= 0 &&
				cfg.detect.overfetch_min_columns >= 0 && cfg.detect.resolve_after_polls >= 0);
	}
	config_free(&cfg);
}

static void
fuzz_spool_file(const uint8_t *data, size_t size)
{
	bool		compressed;
	size_t		limit;
	PbSnapshot *s;

	if (size < 1)
		return;
	compressed = data[0] & 1;
	limit = (size_t) (data[0] >> 1) * 512;
	data++;
	size--;

	/* body_decompress never returns more than its limit */
	{
		size_t		outlen = 0;
		uint8_t    *out = body_decompress(data, size, &outlen, limit);

		if (out)
			REQUIRE(outlen <= limit);
		free(out);
	}

	s = snapshot_decode(data, size, compressed);
	if (s != NULL)
	{
		char	   *text = NULL;
		size_t		tlen = 0;
		FILE	   *f = open_memstream(&text, &tlen);

		REQUIRE(f != NULL);
		pb_print_json(f, &s->base, false);
		REQUIRE(fclose(f) == 0);
		/* strings are copied byte for byte: structure checked, not their encoding */
		if (!json_valid_opt(text, tlen, 1))
		{
			fprintf(stderr, "pb_print_json wrote invalid JSON: %.*s\n", (int) (tlen > 4000 ? 4000 : tlen), text);
			abort();
		}
		free(text);
		f = fopen("/dev/null", "w");
		REQUIRE(f != NULL);
		pb_print_flat(f, &s->base);
		fclose(f);
		snapshot_free(s);
	}

	/* what the collector compresses, it decompresses to the same bytes */
	if (!compressed)
	{
		size_t		clen = 0,
					plen = 0;
		uint8_t    *c = body_compress(data, size, &clen);
		uint8_t    *p;

		REQUIRE(c != NULL);
		p = body_decompress(c, clen, &plen, size + 1);
		REQUIRE(p != NULL && plen == size && memcmp(p, data, size) == 0);
		free(p);
		free(c);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *s;

	if (size < 1)
		return 0;
	switch (data[0] % 5)
	{
		case 0:
			s = cstr(data + 1, size - 1);
			fuzz_text_array(s);
			free(s);
			break;
		case 1:
			s = cstr(data + 1, size - 1);
			fuzz_int_array(s);
			free(s);
			break;
		case 2:
			s = cstr(data + 1, size - 1);
			fuzz_numbers(s);
			free(s);
			break;
		case 3:
			fuzz_config(data + 1, size - 1);
			break;
		case 4:
			fuzz_spool_file(data + 1, size - 1);
			break;
	}
	return 0;
}
