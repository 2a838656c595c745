/* dashboard/ingest.c — POST /v1/snapshots: inflate, decode and validate a Snapshot, then store it once. */
#include "dashboard.h"
#include "proto/insights.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define MAX_SNAPSHOT_ID 200

static void
fail(IngestResult *res, int status, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static void
fail(IngestResult *res, int status, const char *fmt,...)
{
	va_list		ap;

	res->status = status;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/*
 * Inflate a zlib (RFC 1950) or gzip stream into *out, at most max bytes.
 * Returns NULL on success, else the reason.
 */
static const char *
inflate_body(const char *in, size_t inlen, size_t max, Buf *out)
{
	z_stream	zs;
	int			rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return "cannot initialize zlib";
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) inlen;
	do
	{
		buf_reserve(out, 64 * 1024);
		zs.next_out = (Bytef *) out->data + out->len;
		zs.avail_out = (uInt) (out->cap - out->len - 1);
		rc = inflate(&zs, Z_NO_FLUSH);
		out->len = (size_t) ((char *) zs.next_out - out->data);
		if (out->len > max)
		{
			inflateEnd(&zs);
			return "inflated body exceeds the size limit";
		}
	} while (rc == Z_OK);
	inflateEnd(&zs);
	if (rc != Z_STREAM_END)
		return rc == Z_BUF_ERROR ? "truncated deflate stream" : "corrupt deflate stream";
	if (zs.avail_in != 0)
		return "trailing bytes after the deflate stream";
	return NULL;
}

/* make every string of a decoded message valid UTF-8, whatever its depth */
static void
sanitize_message(ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned	i;

	for (i = 0; i < d->n_fields; i++)
	{
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char	   *base = (char *) m + f->offset;

		if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
		{
			size_t		n = *(size_t *) ((char *) m + f->quantifier_offset);
			void	  **items = *(void ***) base;
			size_t		k;

			for (k = 0; k < n; k++)
			{
				if (f->type == PROTOBUF_C_TYPE_STRING)
					utf8_sanitize((char *) items[k]);
				else if (items[k])
					sanitize_message((ProtobufCMessage *) items[k]);
			}
		}
		else
		{
			void	   *v = *(void **) base;

			if (v == NULL)
				continue;
			if (f->type == PROTOBUF_C_TYPE_STRING)
			{
				/* the shared empty string is never written: it has no bytes to fix */
				utf8_sanitize((char *) v);
			}
			else
				sanitize_message((ProtobufCMessage *) v);
		}
	}
}

/* checks that need no database; returns NULL or the reason */
static const char *
validate(const PgInsights__V1__Snapshot *s)
{
	size_t		i;

	if (s->schema_version == 0)
		return "schema_version missing";
	if (s->schema_version > 1)
		return "unsupported schema_version (this dashboard reads version 1)";
	if (s->snapshot_id[0] == '\0')
		return "snapshot_id missing";
	if (strlen(s->snapshot_id) > MAX_SNAPSHOT_ID)
		return "snapshot_id longer than 200 bytes";
	if (s->server == NULL || s->server->system_identifier[0] == '\0' || s->server->database[0] == '\0')
		return "server.system_identifier and server.database are required";
	if (strlen(s->server->name) > 200 || strlen(s->server->instance) > 300)
		return "server.name longer than 200 bytes or server.instance longer than 300";
	if (s->server->role[0] != '\0' && strcmp(s->server->role, "primary") != 0 &&
		strcmp(s->server->role, "standby") != 0)
		return "server.role is neither \"primary\" nor \"standby\"";
	if (s->interval_end_us <= 0 || s->interval_start_us > s->interval_end_us)
		return "interval_start_us/interval_end_us missing or reversed";
	if (s->n_histogram_bounds_ms + 1 > DASH_HIST_MAX)
		return "more histogram buckets than this dashboard keeps (32)";
	for (i = 0; i < s->n_shapes; i++)
	{
		const PgInsights__V1__ShapeDelta *d = s->shapes[i];

		if (d->calls < 0 || d->rows < 0 || d->reads < 0 || d->total_time_ms < 0)
			return "negative counter in a shape delta";
		if (d->n_histogram > s->n_histogram_bounds_ms + 1)
			return "shape histogram longer than histogram_bounds_ms + 1";
	}
	for (i = 0; i < s->n_waits; i++)
		if (s->waits[i]->samples < 0 || strlen(s->waits[i]->wait_event_type) > 64 ||
			strlen(s->waits[i]->wait_event) > 64)
			return "wait delta with negative samples or an event name longer than 64 bytes";
	for (i = 0; i < s->n_errors; i++)
		if (s->errors[i]->errors < 0 || strlen(s->errors[i]->sqlstate) != 5 ||
			strspn(s->errors[i]->sqlstate, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5)
			return "error delta with negative errors or a sqlstate that is not 5 characters of 0-9 A-Z";
	for (i = 0; i < s->n_attributions; i++)
		if (s->attributions[i]->calls < 0)
			return "negative counter in an attribution delta";
	for (i = 0; i < s->n_findings; i++)
		if (s->findings[i]->kind[0] == '\0')
			return "finding without kind";
	return NULL;
}

/* the server as the key file and the page name it: name, else instance, else host */
static const char *
server_label(const PgInsights__V1__Server *srv)
{
	if (srv->name[0])
		return srv->name;
	if (srv->instance[0])
		return srv->instance;
	if (srv->host[0])
		return srv->host;
	return srv->system_identifier;
}

/* may the request's key write this snapshot's server?  false with res set when not */
static bool
authorized(PGconn *conn, const IngestAuth *auth, const PgInsights__V1__Server *srv, IngestResult *res)
{
	const char *name = server_label(srv);
	char		why[200] = "",
				hex[2 * DASH_KEY_DIGEST_LEN + 1],
				held[256],
				err[256];
	int			rc;

	switch (auth->authorize(auth->cls, auth->digest, name, why, sizeof(why)))
	{
		case KEY_ALLOW:
			return true;
		case KEY_REVOKED:
			fail(res, 401, "API key revoked");
			return false;
		case KEY_DENY:
			fail(res, 403, "server \"%.200s\" refused: %s", name, why);
			return false;
		case KEY_CLAIM:
			break;
	}
	key_digest_hex(auth->digest, hex);
	rc = repo_claim_server(conn, hex, name, held, sizeof(held), err, sizeof(err));
	if (rc < 0)
	{
		log_error("ingest: key claim: %s", err);
		fail(res, 500, "could not check the key's server (see the dashboard log)");
		return false;
	}
	if (rc == 0 && held[0])
		fail(res, 403, "server \"%.200s\" refused: this key is bound to server \"%.200s\", the first it wrote; "
			 "give each server its own key, or list its servers after the key in --api-key-file", name, held);
	else if (rc == 0)
		fail(res, 403, "server \"%.200s\" refused: another key wrote it first; use that server's key, "
			 "or bind it in --api-key-file (KEY name)", name);
	return rc == 1;
}

void
ingest_snapshot(RepoPool *pool, const DashOptions *opt, const IngestAuth *auth, const char *body, size_t len,
				const char *content_encoding, IngestResult *res)
{
	Buf			inflated;
	const char *data = body;
	const char *why;
	PgInsights__V1__Snapshot *snap;
	PGconn	   *conn;
	char		err[256];
	int			rc;

	memset(res, 0, sizeof(*res));
	buf_init(&inflated);
	if (len == 0)
	{
		fail(res, 400, "empty body");
		return;
	}
	if (content_encoding && *content_encoding && strcasecmp(content_encoding, "identity") != 0)
	{
		if (strcasecmp(content_encoding, "deflate") != 0 && strcasecmp(content_encoding, "gzip") != 0)
		{
			fail(res, 415, "unsupported Content-Encoding (deflate, gzip or identity)");
			return;
		}
		why = inflate_body(body, len, opt->max_inflated, &inflated);
		if (why)
		{
			fail(res, strstr(why, "limit") ? 413 : 400, "%s", why);
			buf_free(&inflated);
			return;
		}
		data = inflated.data;
		len = inflated.len;
	}

	snap = pg_insights__v1__snapshot__unpack(NULL, len, (const uint8_t *) data);
	buf_free(&inflated);
	if (snap == NULL)
	{
		fail(res, 400, "malformed protobuf: not a pg_insights.v1.Snapshot");
		return;
	}
	sanitize_message(&snap->base);
	why = validate(snap);
	if (why)
	{
		fail(res, 422, "%s", why);
		pg_insights__v1__snapshot__free_unpacked(snap, NULL);
		return;
	}

	conn = repo_acquire(pool);
	if (conn == NULL)
	{
		fail(res, 503, "repository unavailable");
		pg_insights__v1__snapshot__free_unpacked(snap, NULL);
		return;
	}
	if (!authorized(conn, auth, snap->server, res))
	{
		repo_release(pool, conn);
		pg_insights__v1__snapshot__free_unpacked(snap, NULL);
		return;
	}
	rc = repo_store_snapshot(conn, snap, err, sizeof(err));
	repo_release(pool, conn);
	if (rc < 0)
	{
		log_error("ingest: snapshot %s: %s", snap->snapshot_id, err);
		fail(res, 500, "could not store the snapshot (see the dashboard log)");
	}
	else if (rc == 0)
	{
		res->status = 200;
		res->duplicate = true;
		snprintf(res->message, sizeof(res->message), "duplicate snapshot, already stored");
	}
	else
	{
		res->status = 200;
		snprintf(res->message, sizeof(res->message), "stored %zu shapes, %zu attributions, %zu findings",
				 snap->n_shapes, snap->n_attributions, snap->n_findings);
		if (opt->verbose)
			log_info("ingest: snapshot %s from %s/%s: %s", snap->snapshot_id,
					 snap->server->system_identifier, snap->server->database, res->message);
	}
	pg_insights__v1__snapshot__free_unpacked(snap, NULL);
}
