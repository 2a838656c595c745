/* receiver.c — test HTTP receiver: stores each POSTed snapshot or OTLP export in a directory; can be told to fail or delay. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "util.h"

/*
 * Usage: receiver --dir DIR [--port N] [--port-file FILE] [--key KEY] [--control FILE]
 *
 * Every POST /v1/snapshots body is stored as DIR/NNNNNN.pb (inflated when
 * Content-Encoding: deflate), written to a temp name and renamed, and one
 * line "NNNNNN status wire_bytes plain_bytes encoding" goes to DIR/log.
 * Every POST /v1/metrics body (OTLP/HTTP JSON: Content-Type application/json,
 * gunzipped when Content-Encoding: gzip) is stored as DIR/NNNNNN.json, its
 * request headers as DIR/NNNNNN.headers ("Name: value" lines), and the same
 * log line, with "metrics" after it.
 * The control file, read at every request, holds one word: ok (default),
 * 503, 500, 401, 400, partial (metrics: 200 with a partialSuccess of 3
 * rejected points), or "delay MS" (answer ok after MS milliseconds).
 * "Down" is done by stopping the process.
 */

typedef struct Receiver
{
	const char *dir;
	const char *key;
	const char *control;
	int			seq;
} Receiver;

typedef struct Upload
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Upload;

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void
read_control(const Receiver *r, char *mode, size_t n, long *delay_ms)
{
	FILE	   *f;

	snprintf(mode, n, "ok");
	*delay_ms = 0;
	if (r->control == NULL || (f = fopen(r->control, "r")) == NULL)
		return;
	if (fscanf(f, "%15s %ld", mode, delay_ms) < 1)
		snprintf(mode, n, "ok");
	fclose(f);
}

static enum MHD_Result
reply(struct MHD_Connection *con, unsigned int status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *) text,
																 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Content-Type", "text/plain");
	ret = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* windowbits 15: a zlib stream (deflate), 15 + 16: a gzip stream */
static bool
inflate_body(const char *in, size_t len, char **out, size_t *outlen, int windowbits)
{
	z_stream	zs;
	size_t		cap = len * 4 + 1024;
	int			rc;

	*out = xmalloc(cap);
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, windowbits) != Z_OK)
		return false;
	zs.next_in = (Bytef *) in;
	zs.avail_in = (uInt) len;
	for (;;)
	{
		zs.next_out = (Bytef *) *out + zs.total_out;
		zs.avail_out = (uInt) (cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0))
		{
			inflateEnd(&zs);
			return false;
		}
		if (zs.avail_out == 0)
		{
			cap *= 2;
			*out = xrealloc(*out, cap);
		}
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return true;
}

static enum MHD_Result
write_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void) kind;
	fprintf((FILE *) cls, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

/* ext "pb" (a snapshot) or "json" (an OTLP export: its headers are stored too) */
static void
store_as(Receiver *r, struct MHD_Connection *con, const char *ext, int status, const char *body,
		 size_t len, size_t wire, const char *enc)
{
	char		tmp[4096],
				path[4096];
	FILE	   *f;
	bool		metrics = strcmp(ext, "json") == 0;

	r->seq++;
	if (metrics)
	{
		snprintf(path, sizeof(path), "%s/%06d.headers", r->dir, r->seq);
		if ((f = fopen(path, "w")) != NULL)
		{
			MHD_get_connection_values(con, MHD_HEADER_KIND, write_header, f);
			fclose(f);
		}
	}
	if (status == 200)
	{
		snprintf(tmp, sizeof(tmp), "%s/.%06d.tmp", r->dir, r->seq);
		snprintf(path, sizeof(path), "%s/%06d.%s", r->dir, r->seq, ext);
		f = fopen(tmp, "wb");
		if (f != NULL)
		{
			fwrite(body, 1, len, f);
			fclose(f);
			rename(tmp, path);
		}
	}
	snprintf(path, sizeof(path), "%s/log", r->dir);
	f = fopen(path, "a");
	if (f != NULL)
	{
		fprintf(f, "%06d %d %zu %zu %s%s\n", r->seq, status, wire, len, enc, metrics ? " metrics" : "");
		fclose(f);
	}
}

static void
store(Receiver *r, int status, const char *body, size_t len, size_t wire, const char *enc)
{
	store_as(r, NULL, "pb", status, body, len, wire, enc);
}

static enum MHD_Result
reply_json(struct MHD_Connection *con, unsigned int status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *) text,
																 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(con, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* POST /v1/metrics: an OTLP/HTTP JSON export */
static enum MHD_Result
handle_metrics(Receiver *r, struct MHD_Connection *con, const Upload *u, const char *mode)
{
	const char *auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	const char *enc = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Encoding");
	const char *ctype = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
	const char *e = enc ? enc : "identity";
	char		expect[1024];
	char		busy[512];
	char	   *plain = NULL;
	size_t		plen = u->len;

	snprintf(expect, sizeof(expect), "Bearer %s", r->key ? r->key : "");
	if (strcmp(mode, "503") == 0 || strcmp(mode, "500") == 0)
	{
		/* a long answer: the collector logs only its first 200 bytes */
		snprintf(busy, sizeof(busy), "otlp receiver says: try later %0*d", 250, 0);
		store_as(r, con, "json", atoi(mode), u->data, 0, u->len, e);
		return reply(con, (unsigned) atoi(mode), busy);
	}
	if (strcmp(mode, "401") == 0 || (r->key != NULL && (auth == NULL || strcmp(auth, expect) != 0)))
	{
		store_as(r, con, "json", 401, u->data, 0, u->len, e);
		return reply(con, 401, "invalid API key\n");
	}
	if (strcmp(mode, "400") == 0 || ctype == NULL || strcmp(ctype, "application/json") != 0 ||
		(enc != NULL && strcmp(enc, "gzip") != 0))
	{
		store_as(r, con, "json", strcmp(mode, "400") == 0 ? 400 : 415, u->data, 0, u->len, e);
		return reply(con, strcmp(mode, "400") == 0 ? 400 : 415, "bad request\n");
	}
	if (enc != NULL && !inflate_body(u->data, u->len, &plain, &plen, 15 + 16))
	{
		free(plain);
		store_as(r, con, "json", 400, u->data, 0, u->len, e);
		return reply(con, 400, "bad gzip body\n");
	}
	store_as(r, con, "json", 200, plain ? plain : u->data, plen, u->len, e);
	free(plain);
	if (strcmp(mode, "partial") == 0)
		return reply_json(con, 200, "{\"partialSuccess\":{\"rejectedDataPoints\":\"3\","
						  "\"errorMessage\":\"3 points rejected by the test receiver\"}}");
	return reply_json(con, 200, "{}");
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	Receiver   *r = cls;
	Upload	   *u = *con_cls;
	char		mode[16];
	long		delay_ms;
	const char *auth,
			   *enc,
			   *ctype;
	char		expect[1024];
	enum MHD_Result ret;

	(void) version;
	if (u == NULL)
	{
		u = xcalloc(1, sizeof(Upload));
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_size > 0)
	{
		if (u->len + *upload_size > u->cap)
		{
			u->cap = (u->len + *upload_size) * 2;
			u->data = xrealloc(u->data, u->cap);
		}
		memcpy(u->data + u->len, upload_data, *upload_size);
		u->len += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") != 0 ||
		(strcmp(url, "/v1/snapshots") != 0 && strcmp(url, "/v1/metrics") != 0))
		return reply(con, 404, "not found\n");

	read_control(r, mode, sizeof(mode), &delay_ms);
	if (strcmp(mode, "delay") == 0 && delay_ms > 0)
		usleep((useconds_t) delay_ms * 1000);
	if (strcmp(url, "/v1/metrics") == 0)
		return handle_metrics(r, con, u, mode);
	auth = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization");
	enc = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Encoding");
	ctype = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type");
	snprintf(expect, sizeof(expect), "Bearer %s", r->key ? r->key : "");
	if (strcmp(mode, "503") == 0 || strcmp(mode, "500") == 0)
	{
		store(r, atoi(mode), u->data, 0, u->len, enc ? enc : "identity");
		return reply(con, (unsigned) atoi(mode), "try later\n");
	}
	if (strcmp(mode, "401") == 0 || (r->key != NULL && (auth == NULL || strcmp(auth, expect) != 0)))
	{
		store(r, 401, u->data, 0, u->len, enc ? enc : "identity");
		return reply(con, 401, "invalid API key\n");
	}
	if (strcmp(mode, "400") == 0 || ctype == NULL || strcmp(ctype, "application/x-protobuf") != 0)
	{
		store(r, 400, u->data, 0, u->len, enc ? enc : "identity");
		return reply(con, 400, "bad request\n");
	}
	if (enc != NULL && strcmp(enc, "deflate") == 0)
	{
		char	   *plain;
		size_t		plen;

		if (!inflate_body(u->data, u->len, &plain, &plen, 15))
		{
			free(plain);
			store(r, 400, u->data, 0, u->len, enc);
			return reply(con, 400, "bad deflate body\n");
		}
		store(r, 200, plain, plen, u->len, enc);
		free(plain);
	}
	else
		store(r, 200, u->data, u->len, u->len, "identity");
	ret = reply(con, 200, "stored\n");
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *con, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	Upload	   *u = *con_cls;

	(void) cls;
	(void) con;
	(void) toe;
	if (u != NULL)
	{
		free(u->data);
		free(u);
	}
	*con_cls = NULL;
}

int
main(int argc, char **argv)
{
	Receiver	r;
	int			port = 0;
	const char *port_file = NULL;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	int			i;

	memset(&r, 0, sizeof(r));
	for (i = 1; i + 1 < argc; i += 2)
	{
		if (strcmp(argv[i], "--dir") == 0)
			r.dir = argv[i + 1];
		else if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--port-file") == 0)
			port_file = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			r.key = argv[i + 1];
		else if (strcmp(argv[i], "--control") == 0)
			r.control = argv[i + 1];
	}
	if (r.dir == NULL)
	{
		fprintf(stderr, "usage: receiver --dir DIR [--port N] [--port-file F] [--key K] [--control F]\n");
		return 2;
	}
	/* continue numbering after what a previous run stored (restart = "down, then up") */
	{
		char		path[4096];
		FILE	   *f;
		char		line[256];

		snprintf(path, sizeof(path), "%s/log", r.dir);
		if ((f = fopen(path, "r")) != NULL)
		{
			while (fgets(line, sizeof(line), f) != NULL)
				r.seq = atoi(line);
			fclose(f);
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t) port,
						 NULL, NULL, handle, &r,
						 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
						 MHD_OPTION_END);
	if (d == NULL)
	{
		fprintf(stderr, "receiver: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file != NULL)
	{
		char		tmp[4096];
		FILE	   *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
		f = fopen(tmp, "w");
		if (f != NULL)
		{
			fprintf(f, "%u\n", (unsigned) info->port);
			fclose(f);
			rename(tmp, port_file);
		}
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
