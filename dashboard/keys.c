/* dashboard/keys.c — ingest API keys: the key file, SHA-256 digests kept instead of keys, constant-time matching, servers a key may write, reload. */
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

#define MAX_KEYS 100000			/* a line per collector; far beyond any fleet */
#define MAX_NAMES_PER_KEY 1000
#define MAX_NAME_LEN 200

void
keys_free(KeySet *ks)
{
	int			i,
				k;

	for (i = 0; i < ks->n; i++)
	{
		for (k = 0; k < ks->keys[i].nnames; k++)
			free(ks->keys[i].names[k]);
		free(ks->keys[i].names);
	}
	if (ks->keys)
		memset(ks->keys, 0, sizeof(KeyEntry) * (size_t) ks->cap);
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

static KeyEntry *
new_entry(KeySet *ks)
{
	KeyEntry   *e;

	if (ks->n == ks->cap)
	{
		ks->cap = ks->cap ? 2 * ks->cap : 8;
		ks->keys = xrealloc(ks->keys, sizeof(KeyEntry) * (size_t) ks->cap);
	}
	e = &ks->keys[ks->n];
	memset(e, 0, sizeof(*e));
	return e;
}

/*
 * The servers after the key: "*", or names separated by commas (a name may
 * hold spaces).  NULL or empty: none (bound by its first snapshot).  Returns
 * NULL or the reason the list is refused.
 */
static const char *
parse_servers(KeyEntry *e, const char *list)
{
	const char *p = list;

	if (list == NULL)
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	if (strcmp(p, "*") == 0)
	{
		e->any = true;
		return NULL;
	}
	while (*p)
	{
		const char *end = strchr(p, ',');
		size_t		n = end ? (size_t) (end - p) : strlen(p);
		size_t		a = 0;

		while (a < n && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (n > a && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == a)
			return "an empty server name in the list (names are separated by commas)";
		if (n - a > MAX_NAME_LEN)
			return "a server name longer than 200 characters";
		if (n - a == 1 && p[a] == '*')
			return "\"*\" (any server) stands alone after the key";
		if (e->nnames == MAX_NAMES_PER_KEY)
			return "more than 1000 servers for one key";
		e->names = xrealloc(e->names, sizeof(char *) * (size_t) (e->nnames + 1));
		e->names[e->nnames] = xmalloc(n - a + 1);
		memcpy(e->names[e->nnames], p + a, n - a);
		e->names[e->nnames][n - a] = '\0';
		e->nnames++;
		p = end ? end + 1 : p + strlen(p);
	}
	return NULL;
}

static void
drop_entry_names(KeyEntry *e)
{
	int			k;

	for (k = 0; k < e->nnames; k++)
		free(e->names[k]);
	free(e->names);
	e->names = NULL;
	e->nnames = 0;
}

bool
keys_add(KeySet *ks, const char *key, size_t len, const char *servers)
{
	KeyEntry   *e;

	if (ks->n == MAX_KEYS)
		return false;
	e = new_entry(ks);
	if (!key_digest(key, len, e->digest) || parse_servers(e, servers) != NULL)
	{
		drop_entry_names(e);
		return false;
	}
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
		size_t		n,
					klen;
		char	   *servers;
		KeyEntry   *e;
		const char *why;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (ks->n == MAX_KEYS)
		{
			log_error("--api-key-file %s: more than %d keys", path, MAX_KEYS);
			keys_free(ks);
			return false;
		}
		/* the key ends at the first blank; the servers follow */
		klen = strcspn(line, " \t");
		servers = klen < n ? line + klen + 1 : NULL;
		e = new_entry(ks);
		if (strncmp(line, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0)
		{
			if (!parse_digest_line(line, klen, e->digest))
			{
				log_error("--api-key-file %s: line %d starts with \"%s\" but is not 64 hex digits after it "
						  "(print one with: pg_insights_dashboard --hash-key < keyfile)",
						  path, lineno, DIGEST_PREFIX);
				keys_free(ks);
				return false;
			}
		}
		else
		{
			if (klen < 16)
				log_warn("--api-key-file %s: key on line %d is shorter than 16 characters", path, lineno);
			if (!key_digest(line, klen, e->digest))
			{
				log_error("--api-key-file %s: cannot hash the key on line %d", path, lineno);
				keys_free(ks);
				return false;
			}
			/* the plain key is not kept: wipe the copy read from the file */
			memset(line, 0, klen);
		}
		why = parse_servers(e, servers);
		if (why)
		{
			log_error("--api-key-file %s: line %d: %s (write: KEY, KEY *, or KEY name1, name2)", path, lineno, why);
			drop_entry_names(e);
			keys_free(ks);
			return false;
		}
		ks->n++;
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
	char	   *text = read_file(path, 16 * 1024 * 1024, &len);
	bool		ok;

	memset(ks, 0, sizeof(*ks));
	if (text == NULL)
	{
		log_error("--api-key-file %s: %s", path, errno == EFBIG ? "not a regular file of at most 16 MB" : strerror(errno));
		return false;
	}
	ok = keys_parse(ks, text, path);
	memset(text, 0, len);
	free(text);
	return ok;
}

/* every key is compared, each in constant time: the time tells nothing about which matched */
int
keys_match(const KeySet *ks, const char *token, size_t len)
{
	unsigned char d[DASH_KEY_DIGEST_LEN];
	int			found = -1;
	int			i;

	if (!key_digest(token, len, d))
		return -1;
	for (i = 0; i < ks->n; i++)
		if (ct_equal((const char *) ks->keys[i].digest, DASH_KEY_DIGEST_LEN, (const char *) d, DASH_KEY_DIGEST_LEN))
			found = i;
	return found;
}

static const KeyEntry *
find_digest(const KeySet *ks, const unsigned char *digest)
{
	int			i;

	for (i = 0; i < ks->n; i++)
		if (memcmp(ks->keys[i].digest, digest, DASH_KEY_DIGEST_LEN) == 0)
			return &ks->keys[i];
	return NULL;
}

static bool
names_contain(const KeyEntry *e, const char *name)
{
	int			k;

	for (k = 0; k < e->nnames; k++)
		if (strcmp(e->names[k], name) == 0)
			return true;
	return false;
}

KeyVerdict
keys_authorize(const KeySet *ks, const unsigned char digest[DASH_KEY_DIGEST_LEN], const char *name,
			   char *why, size_t whylen)
{
	const KeyEntry *e = find_digest(ks, digest);
	int			i;

	if (e == NULL)
		return KEY_REVOKED;
	if (e->any)
		return KEY_ALLOW;
	if (e->nnames > 0)
	{
		if (names_contain(e, name))
			return KEY_ALLOW;
		snprintf(why, whylen, "this key may write only server%s %s%s", e->nnames > 1 ? "s" : "",
				 e->names[0], e->nnames > 1 ? ", ..." : "");
		return KEY_DENY;
	}
	/* an unbound key may not take a server that the file gives to other keys */
	for (i = 0; i < ks->n; i++)
		if (names_contain(&ks->keys[i], name))
		{
			snprintf(why, whylen, "the key file binds this server to another key");
			return KEY_DENY;
		}
	return KEY_CLAIM;
}

void
keys_digest_array(const KeySet *ks, Buf *out)
{
	char		hex[2 * DASH_KEY_DIGEST_LEN + 1];
	int			i;

	buf_putc(out, '{');
	for (i = 0; i < ks->n; i++)
	{
		key_digest_hex(ks->keys[i].digest, hex);
		buf_printf(out, "%s%s", i ? "," : "", hex);
	}
	buf_putc(out, '}');
}

void
keys_compare(const KeySet *old, const KeySet *new, int *added, int *revoked)
{
	int			i;

	*added = *revoked = 0;
	for (i = 0; i < new->n; i++)
		*added += find_digest(old, new->keys[i].digest) == NULL;
	for (i = 0; i < old->n; i++)
		*revoked += find_digest(new, old->keys[i].digest) == NULL;
}
