/*
 * fuzz_snapshot_decode.c — libFuzzer target: the dashboard's ingest of a POST /v1/snapshots body,
 * end to end without a database: Content-Encoding, inflate with --max-inflated, protobuf decoding,
 * UTF-8 sanitizing, validation, and the statements store.c would run (fake_pq.h) with every
 * parameter checked.
 *
 * Input: one byte of options, then the body.
 *   bits 0-2  Content-Encoding: none, deflate, gzip, identity, "", DEFLATE, br, x-gzip
 *   bits 3-4  --max-inflated: 1 KB, 64 KB, 1 MB, 8 MB
 *   bits 5-6  the repository fails statement 0 (never), 2, 4 or 7
 *   bit 7     the snapshot id is already stored (duplicate)
 */
#include "dashboard.h"
#include "fake_pq.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define REQUIRE FAKE_REQUIRE

static int
utf8_ok(const char *str)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		len = strlen(str),
				i = 0;

	while (i < len)
	{
		unsigned long cp;
		size_t		n,
					k;

		if (s[i] < 0x80)
		{
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0)
			n = 2, cp = s[i] & 0x1F;
		else if ((s[i] & 0xF0) == 0xE0)
			n = 3, cp = s[i] & 0x0F;
		else if ((s[i] & 0xF8) == 0xF0)
			n = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n;
	}
	return 1;
}

/* a PostgreSQL array literal as arr_* writes them: {} or {e,e,...}, e quoted or a bare token */
static int
pg_array_ok(const char *s)
{
	if (*s++ != '{')
		return 0;
	if (*s == '}')
		return s[1] == '\0';
	for (;;)
	{
		if (*s == '"')
		{
			for (s++; *s != '"'; s++)
			{
				if (*s == '\0')
					return 0;
				if (*s == '\\')
				{
					s++;
					if (*s != '"' && *s != '\\')
						return 0;
				}
			}
			s++;
		}
		else
		{
			const char *t = s;

			while (*s && strchr("{},\"\\ ", *s) == NULL)
				s++;
			if (s == t)
				return 0;
		}
		if (*s == '}')
			return s[1] == '\0';
		if (*s++ != ',')
			return 0;
	}
}

/* an integer literal for ::bigint / ::int / ::oid */
static int
int_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/* a float8 literal: what %.17g prints for finite values */
static int
float_ok(const char *s)
{
	char	   *end;
	double		d = strtod(s, &end);

	return *s != '\0' && *end == '\0' && d == d && d - d == 0;
}

/* the bare tokens inside a numeric array must be numbers too */
static int
numeric_array_ok(const char *s, int (*elem_ok) (const char *))
{
	char		tok[64];

	if (!pg_array_ok(s))
		return 0;
	s++;
	while (*s && *s != '}')
	{
		size_t		n = strcspn(s, ",}");

		if (n == 0 || n >= sizeof(tok))
			return 0;
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (!elem_ok(tok))
			return 0;
		s += n;
		if (*s == ',')
			s++;
	}
	return 1;
}

static void
check_params(const char *sql, int n, const char *const *params)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *p = params[i];
		char		ref[16];
		const char *at;
		size_t		rl;

		if (p == NULL)
			continue;
		/* the repository is UTF-8: every text sent is valid UTF-8 */
		if (!utf8_ok(p))
		{
			fprintf(stderr, "parameter $%d is not valid UTF-8 in: %.120s\n", i + 1, sql);
			abort();
		}
		/* the cast decides what the parameter must look like */
		rl = (size_t) snprintf(ref, sizeof(ref), "$%d::", i + 1);
		for (at = strstr(sql, ref); at; at = strstr(at + 1, ref))
		{
			const char *cast = at + rl;
			int			ok = 1;

			if (strncmp(cast, "bigint[]", 8) == 0)
				ok = numeric_array_ok(p, int_ok);
			else if (strncmp(cast, "float8[]", 8) == 0)
				ok = numeric_array_ok(p, float_ok);
			else if (strncmp(cast, "text[]", 6) == 0)
				ok = pg_array_ok(p);
			else if (strncmp(cast, "bigint", 6) == 0 || strncmp(cast, "int", 3) == 0 ||
					 strncmp(cast, "oid", 3) == 0 || strncmp(cast, "numeric", 7) == 0)
				ok = int_ok(p);
			else if (strncmp(cast, "float8", 6) == 0)
				ok = float_ok(p);
			if (!ok)
			{
				fprintf(stderr, "parameter $%d \"%.200s\" does not fit its cast %.12s in: %.120s\n",
						i + 1, p, cast, sql);
				abort();
			}
		}
	}
}

static const char *const encodings[8] = {NULL, "deflate", "gzip", "identity", "", "DEFLATE", "br", "x-gzip"};
static const size_t max_inflated[4] = {1024, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024};
static const int fail_at[4] = {0, 2, 4, 7};

/* the inflated size of body, or (size_t) -1 when it does not inflate within limit + 1 */
static size_t
inflated_size(const uint8_t *body, size_t len, size_t limit)
{
	z_stream	zs;
	unsigned char out[65536];
	size_t		total = 0;
	int			rc;

	memset(&zs, 0, sizeof(zs));
	REQUIRE(inflateInit2(&zs, 15 + 32) == Z_OK);
	zs.next_in = (Bytef *) body;
	zs.avail_in = (uInt) len;
	do
	{
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		rc = inflate(&zs, Z_NO_FLUSH);
		total += sizeof(out) - zs.avail_out;
	} while (rc == Z_OK && total <= limit);
	inflateEnd(&zs);
	return rc == Z_STREAM_END ? total : (size_t) -1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	return 0;
}

/* the key's verdict is the input's; a claim goes to the fake repository */
static KeyVerdict
fuzz_authorize(void *cls, const unsigned char *digest, const char *name, char *why, size_t whylen)
{
	(void) digest;
	REQUIRE(name != NULL && utf8_ok(name));
	snprintf(why, whylen, "fuzz");
	return *(KeyVerdict *) cls;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DashOptions opt;
	IngestResult res;
	IngestAuth	auth;
	KeyVerdict	verdict;
	const char *enc;
	const uint8_t *body;
	size_t		len;
	bool		compressed;

	if (size < 1)
		return 0;
	memset(&opt, 0, sizeof(opt));
	enc = encodings[data[0] & 7];
	opt.max_inflated = max_inflated[(data[0] >> 3) & 3];
	opt.max_body = 8 * 1024 * 1024;
	fake_db_reset();
	fake_db.fail_at = fail_at[(data[0] >> 5) & 3];
	fake_db.duplicate = (data[0] & 0x80) != 0;
	fake_db.check = check_params;
	body = data + 1;
	len = size - 1;
	compressed = enc && *enc && strcasecmp(enc, "identity") != 0;

	memset(&res, 0x5a, sizeof(res));
	memset(&auth, 0, sizeof(auth));
	auth.authorize = fuzz_authorize;
	auth.cls = &verdict;
	verdict = (KeyVerdict) (len % 4);	/* allow, claim (in the fake repository), deny, revoked */
	ingest_snapshot(NULL, &opt, &auth, (const char *) body, len, enc, &res);

	REQUIRE(memchr(res.message, '\0', sizeof(res.message)) != NULL);
	REQUIRE(res.message[0] != '\0');
	REQUIRE(utf8_ok(res.message));
	REQUIRE(res.status == 200 || res.status == 400 || res.status == 413 || res.status == 415 ||
			res.status == 422 || res.status == 500 || res.status == 503 ||
			(res.status == 401 && verdict == KEY_REVOKED) ||
			(res.status == 403 && (verdict == KEY_DENY || verdict == KEY_CLAIM)));
	if (res.status == 200)
		REQUIRE(verdict == KEY_ALLOW || verdict == KEY_CLAIM);
	REQUIRE(!fake_db.acquired && !fake_db.in_tx && fake_db.open_results == 0);
	if (res.status == 415)
		REQUIRE(compressed && strcasecmp(enc, "deflate") != 0 && strcasecmp(enc, "gzip") != 0);
	if (res.status == 413)
		REQUIRE(compressed);
	if (res.duplicate)
		REQUIRE(res.status == 200 && fake_db.duplicate);
	/* nothing reaches the repository unless it was accepted */
	if (res.status == 400 || res.status == 413 || res.status == 415 || res.status == 422)
		REQUIRE(fake_db.statements == 0);
	if (res.status == 200 || res.status == 500)
		REQUIRE(fake_db.statements > 0);
	if (res.status == 200 && !res.duplicate)
		REQUIRE(fake_db.fail_at == 0 || fake_db.statements < fake_db.fail_at);
	/* the inflate limit holds: nothing bigger than --max-inflated was accepted */
	if (compressed && res.status != 415 && res.status != 400 && res.status != 413)
	{
		size_t		n = inflated_size(body, len, opt.max_inflated);

		REQUIRE(n != (size_t) -1 && n <= opt.max_inflated);
	}
	return 0;
}
