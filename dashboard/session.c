/* dashboard/session.c — page sessions of --ui-auth token: a random cookie per login, never the token itself; fixed table, expiry, logout. */
#include "dashboard.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SESSION_MAX 1024		/* the oldest login is dropped when full */
#define SESSION_TTL_S (12 * 3600)
#define SESSION_ID_BYTES 32

/* only the digest of a session id is kept: the table tells nothing that opens the page */
typedef struct Session
{
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	time_t		created;
	bool		used;
} Session;

static Session sessions[SESSION_MAX];
static pthread_mutex_t session_lock = PTHREAD_MUTEX_INITIALIZER;

static bool
hex_to_digest(const char *id, unsigned char out[DASH_KEY_DIGEST_LEN])
{
	if (id == NULL || strlen(id) != 2 * SESSION_ID_BYTES || strspn(id, "0123456789abcdef") != 2 * SESSION_ID_BYTES)
		return false;
	return key_digest(id, 2 * SESSION_ID_BYTES, out);
}

bool
session_create(char out[2 * SESSION_ID_BYTES + 1])
{
	unsigned char raw[SESSION_ID_BYTES];
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	static const char hex[] = "0123456789abcdef";
	time_t		now = time(NULL);
	int			i,
				slot = 0;

	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0)
		return false;
	for (i = 0; i < SESSION_ID_BYTES; i++)
	{
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * SESSION_ID_BYTES] = '\0';
	memset(raw, 0, sizeof(raw));
	if (!key_digest(out, 2 * SESSION_ID_BYTES, digest))
		return false;
	pthread_mutex_lock(&session_lock);
	/* a free or expired slot, else the oldest */
	for (i = 0; i < SESSION_MAX; i++)
	{
		if (!sessions[i].used || now - sessions[i].created > SESSION_TTL_S)
		{
			slot = i;
			break;
		}
		if (sessions[i].created < sessions[slot].created)
			slot = i;
	}
	memcpy(sessions[slot].digest, digest, sizeof(digest));
	sessions[slot].created = now;
	sessions[slot].used = true;
	pthread_mutex_unlock(&session_lock);
	return true;
}

bool
session_valid(const char *id)
{
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	time_t		now = time(NULL);
	bool		found = false;
	int			i;

	if (!hex_to_digest(id, digest))
		return false;
	pthread_mutex_lock(&session_lock);
	for (i = 0; i < SESSION_MAX && !found; i++)
		found = sessions[i].used && now - sessions[i].created <= SESSION_TTL_S &&
			memcmp(sessions[i].digest, digest, sizeof(digest)) == 0;
	pthread_mutex_unlock(&session_lock);
	return found;
}

void
session_drop(const char *id)
{
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	int			i;

	if (!hex_to_digest(id, digest))
		return;
	pthread_mutex_lock(&session_lock);
	for (i = 0; i < SESSION_MAX; i++)
		if (sessions[i].used && memcmp(sessions[i].digest, digest, sizeof(digest)) == 0)
			memset(&sessions[i], 0, sizeof(sessions[i]));
	pthread_mutex_unlock(&session_lock);
}
