/* dashboard/keys.c — ingest API keys: the key file, SHA-256 digests kept instead of keys, constant-time matching, reload. */
#include "dashboard.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_PREFIX "sha256:"

bool
key_digest(const char *key, size_t len, unsigned char out[DASH_KEY_DIGEST_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, key, len, out) == 0;
}

void
key_digest_hex(const unsigned char digest[DASH_KEY_DIGEST_LEN], char out[2 * DASH_KEY_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < DASH_KEY_DIGEST_LEN; i++)
	{
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[2 * DASH_KEY_DIGEST_LEN] = '\0';
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "sha256:" + 64 hex digits -> digest; false when the line only looks like one */
static bool
parse_digest_line(const char *line, size_t n, unsigned char out[DASH_KEY_DIGEST_LEN])
{
	size_t		plen = strlen(DIGEST_PREFIX);
	int			i;

	if (n != plen + 2 * DASH_KEY_DIGEST_LEN)
		return false;
	for (i = 0; i < DASH_KEY_DIGEST_LEN; i++)
	{
		int			hi = hex_value(line[plen + 2 * i]);
		int			lo = hex_value(line[plen + 2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char) (hi << 4 | lo);
	}
	return true;
}

bool
keys_add(KeySet *ks, const char *key, size_t len)
{
	if (ks->n == DASH_MAX_KEYS || !key_digest(key, len, ks->digest[ks->n]))
		return false;
	ks->n++;
	return true;
}

bool
keys_parse(KeySet *ks, char *text, const char *path)
{
	char	   *line,
			   *save = NULL;
	int			lineno = 0;

	memset(ks, 0, sizeof(*ks));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		size_t		n;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (ks->n == DASH_MAX_KEYS)
		{
			log_error("--api-key-file %s: more than %d keys", path, DASH_MAX_KEYS);
			return false;
		}
		if (strncmp(line, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0)
		{
			if (!parse_digest_line(line, n, ks->digest[ks->n]))
			{
				log_error("--api-key-file %s: line %d starts with \"%s\" but is not 64 hex digits after it "
						  "(print one with: pg_insights_dashboard --hash-key < keyfile)",
						  path, lineno, DIGEST_PREFIX);
				return false;
			}
			ks->n++;
			continue;
		}
		if (n < 16)
			log_warn("--api-key-file %s: key on line %d is shorter than 16 characters", path, lineno);
		if (!keys_add(ks, line, n))
		{
			log_error("--api-key-file %s: cannot hash the key on line %d", path, lineno);
			return false;
		}
		/* the plain key is not kept: wipe the copy read from the file */
		memset(line, 0, n);
	}
	if (ks->n == 0)
	{
		log_error("--api-key-file %s: no key in the file", path);
		return false;
	}
	return true;
}

bool
keys_load(KeySet *ks, const char *path)
{
	size_t		len = 0;
	char	   *text = read_file(path, 64 * 1024, &len);
	bool		ok;

	memset(ks, 0, sizeof(*ks));
	if (text == NULL)
	{
		log_error("--api-key-file %s: %s", path, errno == EFBIG ? "not a regular file of at most 64 kB" : strerror(errno));
		return false;
	}
	ok = keys_parse(ks, text, path);
	memset(text, 0, len);
	free(text);
	return ok;
}

/* every key is compared, each in constant time: the time tells nothing about which matched */
bool
keys_match(const KeySet *ks, const char *token, size_t len)
{
	unsigned char d[DASH_KEY_DIGEST_LEN];
	bool		found = false;
	int			i;

	if (!key_digest(token, len, d))
		return false;
	for (i = 0; i < ks->n; i++)
		found |= ct_equal((const char *) ks->digest[i], DASH_KEY_DIGEST_LEN, (const char *) d, DASH_KEY_DIGEST_LEN);
	return found;
}

static bool
keys_contain(const KeySet *ks, const unsigned char *digest)
{
	int			i;

	for (i = 0; i < ks->n; i++)
		if (memcmp(ks->digest[i], digest, DASH_KEY_DIGEST_LEN) == 0)
			return true;
	return false;
}

void
keys_compare(const KeySet *old, const KeySet *new, int *added, int *revoked)
{
	int			i;

	*added = *revoked = 0;
	for (i = 0; i < new->n; i++)
		*added += !keys_contain(old, new->digest[i]);
	for (i = 0; i < old->n; i++)
		*revoked += !keys_contain(new, old->digest[i]);
}
