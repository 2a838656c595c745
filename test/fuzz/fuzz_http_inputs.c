/*
 * fuzz_http_inputs.c — libFuzzer target: every HTTP input of the dashboard (method, path, query
 * string arguments, headers, cookies, Basic credentials, body) through its real request handler,
 * routes.c's access_handler (included here, so its static functions are reachable), with
 * libmicrohttpd replaced by a fake connection below and the repository by fake_pq.h.  The API
 * (api.c), ingest (ingest.c, store.c) and JSON output (json.c) run for real.
 *
 * Input: a flags byte, then lines (\n):
 *   line 1 the method, line 2 the URL path (as MHD hands it over: decoded, no query string);
 *   then any of  H<name>:<value>  header,  A<name>=<value>  query argument,  C<name>=<value> cookie,
 *   U<user> / P<pass>  Basic credentials as MHD decodes them,  D<text>  a value the fake
 *   repository returns (kept only when it is valid JSON, as PostgreSQL's output would be),
 *   and a line "BODY": everything after it is the request body.
 *   flags bits 0-1  UI auth: off, token, basic, off;  bit 2  ingest keys loaded;
 *         bits 3-4  rows of every repository SELECT (0-3);  bit 5  TLS;
 *         bit 6  repository unavailable;  bit 7  repository statement 2 fails
 *
 * Invariants: one response per request, a known status, the security headers on every
 * response, valid JSON without markup characters in every JSON body, nothing served past the UI
 * authentication without the credentials (a bearer token, a session from the login form, Basic),
 * nothing ingested without an API key, no Set-Cookie but a session for a POST /login with the
 * token (never the token itself) or its end at POST /logout, a Set-Cookie without CR/LF.
 */
#include "../../dashboard/routes.c"

#include "fake_pq.h"
#include "fuzz_json.h"

#include <ctype.h>
#include <stdint.h>

#define REQUIRE FAKE_REQUIRE

#define MAX_ITEMS 32
#define UI_TOKEN "ui-token-0123456789abcdef"
#define BASIC_USER "admin"
#define BASIC_PASS "pa:ss word"
#define KEY1 "collector-key-0123456789"
#define KEY2 "second-key-abcdefghijkl"

typedef struct Item
{
	char		kind;			/* H, A, C */
	char	   *name;
	char	   *value;
} Item;

struct MHD_Response
{
	char	   *body;
	size_t		len;
	int			nheaders;
	char	   *hname[16];
	char	   *hvalue[16];
};

static struct
{
	Item		items[MAX_ITEMS];
	int			nitems;
	char	   *user;
	char	   *pass;
	/* the queued response */
	int			queued;
	unsigned	status;
	bool		basic_fail;
	struct MHD_Response resp;
} fc;

static int	fake_conn;

/* ---- libmicrohttpd, faked ---- */

const char *
MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	int			i;

	REQUIRE(connection == (struct MHD_Connection *) &fake_conn && key != NULL);
	for (i = 0; i < fc.nitems; i++)
	{
		const Item *it = &fc.items[i];

		if (kind == MHD_HEADER_KIND && it->kind == 'H' && strcasecmp(it->name, key) == 0)
			return it->value;
		if (kind == MHD_GET_ARGUMENT_KIND && it->kind == 'A' && strcmp(it->name, key) == 0)
			return it->value;
		if (kind == MHD_COOKIE_KIND && it->kind == 'C' && strcmp(it->name, key) == 0)
			return it->value;
	}
	return NULL;
}

/* percent-decoding in place, as libmicrohttpd's does */
size_t
MHD_http_unescape(char *val)
{
	char	   *r = val,
			   *w = val;

	while (*r)
	{
		if (r[0] == '%' && isxdigit((unsigned char) r[1]) && isxdigit((unsigned char) r[2]))
		{
			char		h[3] = {r[1], r[2], 0};

			*w++ = (char) strtol(h, NULL, 16);
			r += 3;
		}
		else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t) (w - val);
}

char *
MHD_basic_auth_get_username_password(struct MHD_Connection *connection, char **password)
{
	REQUIRE(connection == (struct MHD_Connection *) &fake_conn);
	if (password)
		*password = fc.pass ? strdup(fc.pass) : NULL;
	return fc.user ? strdup(fc.user) : NULL;
}

void
MHD_free(void *ptr)
{
	free(ptr);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = calloc(1, sizeof(*r));

	(void) mode;
	REQUIRE(r != NULL);
	REQUIRE(size == 0 || buffer != NULL);
	r->body = malloc(size + 1);
	REQUIRE(r->body != NULL);
	if (size)
		memcpy(r->body, buffer, size);
	r->body[size] = '\0';
	r->len = size;
	return r;
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
	REQUIRE(response != NULL && header != NULL && content != NULL);
	REQUIRE(response->nheaders < 16);
	/* MHD refuses header values with line breaks: ours never have any */
	REQUIRE(strpbrk(header, "\r\n: ") == NULL && strpbrk(content, "\r\n") == NULL);
	response->hname[response->nheaders] = strdup(header);
	response->hvalue[response->nheaders] = strdup(content);
	response->nheaders++;
	return MHD_YES;
}

void
MHD_destroy_response(struct MHD_Response *response)
{
	int			i;

	if (response == NULL)
		return;
	for (i = 0; i < response->nheaders; i++)
	{
		free(response->hname[i]);
		free(response->hvalue[i]);
	}
	free(response->body);
	free(response);
}

static void
record(struct MHD_Response *response, unsigned status)
{
	int			i;

	REQUIRE(response != NULL);
	REQUIRE(fc.queued == 0);	/* one response per request */
	fc.queued++;
	fc.status = status;
	fc.resp = *response;
	fc.resp.body = malloc(response->len + 1);
	REQUIRE(fc.resp.body != NULL);
	memcpy(fc.resp.body, response->body, response->len + 1);
	for (i = 0; i < response->nheaders; i++)
	{
		fc.resp.hname[i] = strdup(response->hname[i]);
		fc.resp.hvalue[i] = strdup(response->hvalue[i]);
	}
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response)
{
	REQUIRE(connection == (struct MHD_Connection *) &fake_conn);
	record(response, status_code);
	return MHD_YES;
}

enum MHD_Result
MHD_queue_basic_auth_fail_response(struct MHD_Connection *connection, const char *realm,
								   struct MHD_Response *response)
{
	REQUIRE(connection == (struct MHD_Connection *) &fake_conn && realm != NULL);
	record(response, 401);
	fc.basic_fail = true;
	return MHD_YES;
}

const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type,...)
{
	(void) connection;
	(void) info_type;
	return NULL;
}

/* not reached: server_start/server_stop are never called here */
enum MHD_Result
MHD_is_feature_supported(enum MHD_FEATURE feature)
{
	(void) feature;
	abort();
}

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
				 MHD_AccessHandlerCallback dh, void *dh_cls,...)
{
	(void) flags;
	(void) port;
	(void) apc;
	(void) apc_cls;
	(void) dh;
	(void) dh_cls;
	abort();
}

void
MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	(void) daemon;
	abort();
}

/* ---- the target ---- */

static const char *
resp_header(const char *name)
{
	int			i;

	for (i = 0; i < fc.resp.nheaders; i++)
		if (strcasecmp(fc.resp.hname[i], name) == 0)
			return fc.resp.hvalue[i];
	return NULL;
}

static char *
dup_range(const char *s, size_t n)
{
	char	   *p = malloc(n + 1);

	REQUIRE(p != NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static bool
bearer_is(const char *secret)
{
	const char *h = MHD_lookup_connection_value((struct MHD_Connection *) &fake_conn, MHD_HEADER_KIND,
												"Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return strcmp(h, secret) == 0;
}

static Dashboard dash;
static DashOptions opts;
static Server server;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t		i;

	(void) argc;
	(void) argv;
	opts.max_body = 64 * 1024;
	opts.max_inflated = 1024 * 1024;
	dash.opt = &opts;
	server.d = &dash;
	pthread_rwlock_init(&dash.keys_lock, NULL);
	memcpy(server.assets, assets_template, sizeof(assets_template));
	for (i = 0; i < N_ASSETS; i++)
	{
		server.assets[i].data = strdup("<!doctype html><p>asset</p>");
		server.assets[i].len = strlen(server.assets[i].data);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p,
			   *end;
	char	   *method = NULL,
			   *url = NULL;
	const char *body = NULL;
	size_t		body_len = 0;
	void	   *con_cls = NULL;
	size_t		upload;
	enum MHD_Result ret;
	int			line = 0,
				i;
	uint8_t		flags;
	bool		ui_token,
				ui_basic,
				keys,
				is_ingest;
	const char *ctype;

	if (size < 1)
		return 0;
	flags = data[0];
	memset(&fc, 0, sizeof(fc));
	fake_db_reset();
	fake_db.rows = (flags >> 3) & 3;
	fake_db.unavailable = (flags & 0x40) != 0;
	fake_db.fail_at = (flags & 0x80) ? 2 : 0;

	ui_token = (flags & 3) == 1;
	ui_basic = (flags & 3) == 2;
	keys = (flags & 4) != 0;
	dash.ui_token = ui_token ? UI_TOKEN : NULL;
	dash.ui_basic_user = ui_basic ? BASIC_USER : NULL;
	dash.ui_basic_pass = ui_basic ? BASIC_PASS : NULL;
	keys_free(&dash.keys);
	if (keys)
	{
		REQUIRE(keys_add(&dash.keys, KEY1, strlen(KEY1), "*"));
		REQUIRE(keys_add(&dash.keys, KEY2, strlen(KEY2), "*"));
	}
	server.tls = (flags & 0x20) != 0;

	/* the request */
	p = (const char *) data + 1;
	end = (const char *) data + size;
	while (p < end)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t		n = nl ? (size_t) (nl - p) : (size_t) (end - p);

		line++;
		if (line == 1)
			method = dup_range(p, n);
		else if (line == 2)
			url = dup_range(p, n);
		else if (n == 4 && memcmp(p, "BODY", 4) == 0)
		{
			body = nl ? nl + 1 : end;
			body_len = (size_t) (end - body);
			break;
		}
		else if (n >= 1 && (p[0] == 'H' || p[0] == 'A' || p[0] == 'C') && fc.nitems < MAX_ITEMS)
		{
			const char *sep = memchr(p + 1, p[0] == 'H' ? ':' : '=', n - 1);
			Item	   *it = &fc.items[fc.nitems++];

			it->kind = p[0];
			if (sep)
			{
				it->name = dup_range(p + 1, (size_t) (sep - p - 1));
				it->value = dup_range(sep + 1, (size_t) (p + n - sep - 1));
			}
			else
			{
				it->name = dup_range(p + 1, n - 1);
				it->value = dup_range("", 0);
			}
		}
		else if (n >= 1 && p[0] == 'U' && fc.user == NULL)
			fc.user = dup_range(p + 1, n - 1);
		else if (n >= 1 && p[0] == 'P' && fc.pass == NULL)
			fc.pass = dup_range(p + 1, n - 1);
		else if (n >= 1 && p[0] == 'D' && fake_db.nvals < FAKE_MAXVALS)
		{
			char	   *v = dup_range(p + 1, n - 1);

			/* what PostgreSQL returns is valid text; "" is NULL */
			if (strlen(v) == n - 1 && (n == 1 || json_valid(v, n - 1)))
				fake_db.vals[fake_db.nvals++] = v;
			else
				free(v);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (method == NULL)
		method = dup_range("GET", 3);
	if (url == NULL)
		url = dup_range("/", 1);
	/* MHD hands over NUL-terminated strings: an embedded NUL ends them */

	/* MHD's calls: headers (no data), then the body in pieces, then once more without data */
	upload = 0;
	ret = access_handler(&server, (struct MHD_Connection *) &fake_conn, url, method, "HTTP/1.1", NULL,
						 &upload, &con_cls);
	if (ret == MHD_YES && fc.queued == 0)
	{
		size_t		off = 0;

		while (off < body_len && fc.queued == 0 && ret == MHD_YES)
		{
			size_t		chunk = body_len - off < 4096 ? body_len - off : 4096;

			upload = chunk;
			ret = access_handler(&server, (struct MHD_Connection *) &fake_conn, url, method, "HTTP/1.1",
								 body + off, &upload, &con_cls);
			/* either all of it is consumed, or a response is queued */
			REQUIRE(upload == 0 || fc.queued == 1);
			off += chunk;
		}
		if (fc.queued == 0 && ret == MHD_YES)
		{
			upload = 0;
			ret = access_handler(&server, (struct MHD_Connection *) &fake_conn, url, method, "HTTP/1.1",
								 NULL, &upload, &con_cls);
		}
	}
	request_completed(&server, (struct MHD_Connection *) &fake_conn, &con_cls, MHD_REQUEST_TERMINATED_COMPLETED_OK);
	REQUIRE(con_cls == NULL);

	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "%s %s -> %u, %d statements: %.300s\n", method, url, fc.status, fake_db.statements,
				fc.resp.body ? fc.resp.body : "");

	/* exactly one answer (the fakes never fail to queue) */
	REQUIRE(ret == MHD_YES);
	REQUIRE(fc.queued == 1);
	REQUIRE(fc.status == 200 || fc.status == 303 || fc.status == 400 || fc.status == 401 || fc.status == 403 ||
			fc.status == 404 || fc.status == 405 || fc.status == 413 || fc.status == 415 ||
			fc.status == 422 || fc.status == 500 || fc.status == 503);
	REQUIRE(!fake_db.acquired && !fake_db.in_tx && fake_db.open_results == 0);

	/* security headers on every response */
	REQUIRE(resp_header("Content-Security-Policy") && strcmp(resp_header("Content-Security-Policy"), CSP) == 0);
	REQUIRE(resp_header("X-Content-Type-Options") && strcmp(resp_header("X-Content-Type-Options"), "nosniff") == 0);
	REQUIRE(resp_header("X-Frame-Options") && resp_header("Cache-Control"));

	/* JSON bodies parse and carry no markup characters */
	ctype = resp_header("Content-Type");
	if (ctype && strncmp(ctype, "application/json", 16) == 0)
	{
		if (!json_valid(fc.resp.body, fc.resp.len) || strpbrk(fc.resp.body, "<>&'") != NULL ||
			memchr(fc.resp.body, '\0', fc.resp.len) != NULL)
		{
			fprintf(stderr, "bad JSON response (%u): %.*s\n", fc.status,
					(int) (fc.resp.len > 4000 ? 4000 : fc.resp.len), fc.resp.body);
			abort();
		}
	}
	else
		REQUIRE(fc.status == 200 || fc.status == 303 || fc.basic_fail);

	is_ingest = strcmp(url, "/v1/snapshots") == 0;
	if (is_ingest)
	{
		/* nothing reaches the repository without a valid API key */
		if (fake_db.statements > 0 || fc.status == 200)
			REQUIRE(keys && (bearer_is(KEY1) || bearer_is(KEY2)) && strcmp(method, "POST") == 0);
		REQUIRE(resp_header("Set-Cookie") == NULL);
	}
	else
	{
		bool		login = strcmp(url, "/login") == 0 && strcmp(method, "POST") == 0;
		bool		logout = strcmp(url, "/logout") == 0 && strcmp(method, "POST") == 0;
		bool		open = strcmp(url, "/login") == 0 || strcmp(url, "/style.css") == 0 ||
			strcmp(url, "/favicon.svg") == 0;
		bool		allowed = (!ui_token && !ui_basic) ||
			(ui_token && (bearer_is(UI_TOKEN) || open ||
						  session_valid(MHD_lookup_connection_value((struct MHD_Connection *) &fake_conn,
																	MHD_COOKIE_KIND, SESSION_COOKIE)))) ||
			(ui_basic && fc.user && fc.pass && strcmp(fc.user, BASIC_USER) == 0 && strcmp(fc.pass, BASIC_PASS) == 0);
		const char *cookie = resp_header("Set-Cookie");

		REQUIRE(strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || login || logout || fc.status == 405);
		/* served (or looked up in the repository) only past the UI authentication */
		if (fc.status == 200 || fake_db.statements > 0)
			REQUIRE(allowed && !login && !logout);
		if (!allowed && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && body_len == 0)
			REQUIRE(fc.status == 401 || (fc.status == 303 && (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)));
		if (cookie)
		{
			/* a session (64 hex digits, not the token) for the right token, or its end */
			REQUIRE(ui_token && (login || logout) && fc.status == 303);
			REQUIRE(strstr(cookie, UI_TOKEN) == NULL);
			if (login)
				REQUIRE(strncmp(cookie, SESSION_COOKIE "=", strlen(SESSION_COOKIE) + 1) == 0 &&
						strspn(cookie + strlen(SESSION_COOKIE) + 1, "0123456789abcdef") == 64);
			else
				REQUIRE(strncmp(cookie, SESSION_COOKIE "=;", strlen(SESSION_COOKIE) + 2) == 0);
			REQUIRE(strstr(cookie, "HttpOnly") && strstr(cookie, "SameSite=Strict"));
			REQUIRE(!server.tls || strstr(cookie, "Secure"));
		}
		/* static assets only for their exact URL */
		if (fc.status == 200 && strncmp(url, "/api/", 5) != 0)
		{
			bool		known = false;

			for (i = 0; i < (int) N_ASSETS; i++)
				known |= strcmp(url, assets_template[i].url) == 0;
			REQUIRE(known);
		}
	}

	for (i = 0; i < fc.nitems; i++)
	{
		free(fc.items[i].name);
		free(fc.items[i].value);
	}
	for (i = 0; i < fc.resp.nheaders; i++)
	{
		free(fc.resp.hname[i]);
		free(fc.resp.hvalue[i]);
	}
	free(fc.resp.body);
	for (i = 0; i < fake_db.nvals; i++)
		free((char *) fake_db.vals[i]);
	free(fc.user);
	free(fc.pass);
	free(method);
	free(url);
	return 0;
}
