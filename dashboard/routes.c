/* dashboard/routes.c — the HTTP server: libmicrohttpd setup, URL -> handler table, authentication, limits, security headers, static assets. */
#include "dashboard.h"

#include <sys/resource.h>

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'"

/* static assets, read from the web directory once at start and served from memory */
typedef struct Asset
{
	const char *url;
	const char *file;
	const char *type;
	char	   *data;
	size_t		len;
} Asset;

static Asset assets_template[] = {
	{"/", "index.html", "text/html; charset=utf-8", NULL, 0},
	{"/index.html", "index.html", "text/html; charset=utf-8", NULL, 0},
	{"/evidence.js", "evidence.js", "text/javascript; charset=utf-8", NULL, 0},
	{"/app.js", "app.js", "text/javascript; charset=utf-8", NULL, 0},
	{"/style.css", "style.css", "text/css; charset=utf-8", NULL, 0},
	{"/favicon.svg", "favicon.svg", "image/svg+xml", NULL, 0},
	{"/login", "login.html", "text/html; charset=utf-8", NULL, 0},
	{"/vendor/uPlot.iife.min.js", "vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", NULL, 0},
	{"/vendor/uPlot.min.css", "vendor/uPlot.min.css", "text/css; charset=utf-8", NULL, 0},
};
#define N_ASSETS (sizeof(assets_template) / sizeof(assets_template[0]))

/*
 * One open connection, for --request-timeout.  libmicrohttpd only has an
 * idle timeout: a client sending a byte now and then keeps a connection
 * forever.  The clock starts when the connection opens and again when a
 * request is answered; server_cut_slow() shuts down the socket of a
 * connection past the deadline, and libmicrohttpd then closes it as it
 * would a dropped client.  The watch is unlinked (under the lock) when
 * libmicrohttpd reports the connection closed, which it does before it
 * closes the descriptor, so a shut-down descriptor is never a reused one.
 */
typedef struct ConnWatch
{
	int			fd;
	struct timespec since;
	bool		cut;
	struct ConnWatch *prev;
	struct ConnWatch *next;
} ConnWatch;

/* per-server state that the handlers reach through the daemon's closure */
typedef struct Server
{
	Dashboard  *d;
	Asset		assets[N_ASSETS];
	bool		tls;
	pthread_mutex_t watch_lock;
	ConnWatch  *watches;
	uint64_t	cut_total;
} Server;

/* per-request state (POST bodies) */
typedef struct Request
{
	Buf			body;
	bool		too_big;
	unsigned char key[DASH_KEY_DIGEST_LEN];	/* digest of the request's key */
} Request;

/* the state of a GET or HEAD between its two calls: nothing to keep */
static Request answer_next_call;

/* ---- responses ---- */

static void
add_headers(struct MHD_Response *resp, bool no_store)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(resp, "Cache-Control", no_store ? "no-store" : "no-cache");
}

static enum MHD_Result
send_buf(struct MHD_Connection *conn, int status, const char *type, const char *data, size_t len,
		 const char *extra_name, const char *extra_value)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *) data, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	add_headers(resp, true);
	if (extra_name)
		MHD_add_response_header(resp, extra_name, extra_value);
	ret = MHD_queue_response(conn, (unsigned) status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *conn, int status, const char *msg)
{
	Buf			b;
	enum MHD_Result ret;

	buf_init(&b);
	buf_puts(&b, "{\"error\":");
	json_str(&b, msg);
	buf_puts(&b, "}\n");
	ret = send_buf(conn, status, "application/json", b.data, b.len,
				   status == 401 ? "WWW-Authenticate" : NULL, "Bearer realm=\"pg_insights\"");
	buf_free(&b);
	return ret;
}

/* ---- authentication ---- */

static const char *
bearer_token(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

/* a 303 to a page of this dashboard, optionally setting a cookie */
static enum MHD_Result
send_redirect(struct MHD_Connection *conn, const char *location, const char *cookie)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Location", location);
	add_headers(resp, true);
	if (cookie)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* what the login page needs is served to anyone */
static bool
open_path(const char *url)
{
	return strcmp(url, "/login") == 0 || strcmp(url, "/style.css") == 0 || strcmp(url, "/favicon.svg") == 0;
}

/* returns MHD_YES when allowed; otherwise queues the refusal and sets *refused */
static enum MHD_Result
check_ui_auth(Server *s, struct MHD_Connection *conn, const char *url, bool *refused)
{
	Dashboard  *d = s->d;

	*refused = false;
	if (d->ui_token)
	{
		const char *t = bearer_token(conn);
		size_t		n = strlen(d->ui_token);

		/* scripts send the token; a browser holds a session from the login form, never the token */
		if (t && ct_equal(d->ui_token, n, t, strlen(t)))
			return MHD_YES;
		if (session_valid(MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE)))
			return MHD_YES;
		if (open_path(url))
			return MHD_YES;
		*refused = true;
		if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
			return send_redirect(conn, "login", NULL);
		return send_error(conn, 401, "authentication required: log in at /login, "
						  "or send Authorization: Bearer <ui token>");
	}
	if (d->ui_basic_user)
	{
		char	   *pass = NULL;
		char	   *user = MHD_basic_auth_get_username_password(conn, &pass);
		bool		ok = user && pass &&
			ct_equal(d->ui_basic_user, strlen(d->ui_basic_user), user, strlen(user)) &
			ct_equal(d->ui_basic_pass, strlen(d->ui_basic_pass), pass, strlen(pass));
		struct MHD_Response *resp;
		enum MHD_Result ret;

		if (user)
			MHD_free(user);
		if (pass)
			MHD_free(pass);
		if (ok)
			return MHD_YES;
		*refused = true;
		resp = MHD_create_response_from_buffer(strlen("authentication required\n"),
											   (void *) "authentication required\n",
											   MHD_RESPMEM_PERSISTENT);
		add_headers(resp, true);
		ret = MHD_queue_basic_auth_fail_response(conn, "pg_insights dashboard", resp);
		MHD_destroy_response(resp);
		return ret;
	}
	return MHD_YES;
}

/* ---- handlers ---- */

static const char *
lookup_arg(void *cls, const char *name)
{
	return MHD_lookup_connection_value((struct MHD_Connection *) cls, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result
handle_api(Server *s, struct MHD_Connection *conn, const char *path)
{
	ApiRequest	req = {path, lookup_arg, conn};
	Buf			out;
	int			status;
	enum MHD_Result ret;

	buf_init(&out);
	status = api_handle(&s->d->pool, &req, &out);
	buf_putc(&out, '\n');
	ret = send_buf(conn, status, "application/json; charset=utf-8", out.data, out.len, NULL, NULL);
	buf_free(&out);
	return ret;
}

static enum MHD_Result
handle_static(Server *s, struct MHD_Connection *conn, const char *url)
{
	size_t		i;

	for (i = 0; i < N_ASSETS; i++)
	{
		const Asset *a = &s->assets[i];
		struct MHD_Response *resp;
		enum MHD_Result ret;

		if (strcmp(url, a->url) != 0)
			continue;
		resp = MHD_create_response_from_buffer(a->len, a->data, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Type", a->type);
		add_headers(resp, false);
		ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	return send_error(conn, 404, "not found");
}

/* the value of field `name` in an application/x-www-form-urlencoded body, unescaped in place */
static char *
form_field(char *body, const char *name)
{
	size_t		n = strlen(name);
	char	   *p = body;

	while (p && *p)
	{
		if (strncmp(p, name, n) == 0 && p[n] == '=')
		{
			char	   *v = p + n + 1;
			char	   *end = strchr(v, '&');

			if (end)
				*end = '\0';
			for (end = v; *end; end++)
				if (*end == '+')
					*end = ' ';
			MHD_http_unescape(v);
			return v;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return NULL;
}

/* POST /login: the token from the form, then a session cookie that is not the token */
static enum MHD_Result
handle_login(Server *s, struct MHD_Connection *conn, Request *r)
{
	Dashboard  *d = s->d;
	char	   *token;
	char		id[65],
				cookie[256];
	bool		ok;

	if (d->ui_token == NULL)
		return send_redirect(conn, "./", NULL);
	buf_putc(&r->body, '\0');
	token = r->too_big ? NULL : form_field(r->body.data, "token");
	ok = token != NULL && ct_equal(d->ui_token, strlen(d->ui_token), token, strlen(token));
	if (token)
		memset(token, 0, strlen(token));
	if (!ok)
	{
		log_warn("login: wrong or missing token refused");
		return send_redirect(conn, "login#failed", NULL);
	}
	if (!session_create(id))
		return send_error(conn, 500, "could not create a session (no random source)");
	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200%s",
			 id, s->tls ? "; Secure" : "");
	memset(id, 0, sizeof(id));
	return send_redirect(conn, "./", cookie);
}

/* POST /logout: the session ends here, not only in this browser */
static enum MHD_Result
handle_logout(Server *s, struct MHD_Connection *conn)
{
	char		cookie[128];

	if (s->d->ui_token == NULL)
		return send_redirect(conn, "./", NULL);	/* no sessions in this mode */
	session_drop(MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SESSION_COOKIE));
	snprintf(cookie, sizeof(cookie), SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
			 s->tls ? "; Secure" : "");
	return send_redirect(conn, "login", cookie);
}

/* the key set of the moment: a SIGHUP between the headers and the body may have revoked the key */
static KeyVerdict
authorize_snapshot(void *cls, const unsigned char *digest, const char *name, char *why, size_t whylen)
{
	Dashboard  *d = cls;
	KeyVerdict	v;

	pthread_rwlock_rdlock(&d->keys_lock);
	v = keys_authorize(&d->keys, digest, name, why, whylen);
	pthread_rwlock_unlock(&d->keys_lock);
	return v;
}

static enum MHD_Result
handle_ingest(Server *s, struct MHD_Connection *conn, Request *r)
{
	IngestResult res;
	IngestAuth	auth;
	Buf			out;
	enum MHD_Result ret;
	const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");

	if (r->too_big)
	{
		log_warn("ingest: body larger than --max-body (%zu bytes) rejected", s->d->opt->max_body);
		return send_error(conn, 413, "body exceeds --max-body");
	}
	auth.authorize = authorize_snapshot;
	auth.cls = s->d;
	memcpy(auth.digest, r->key, DASH_KEY_DIGEST_LEN);
	ingest_snapshot(&s->d->pool, s->d->opt, &auth, r->body.data, r->body.len, enc, &res);
	if (res.status >= 400)
	{
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char		host[64] = "?";

		if (ci && ci->client_addr)
			getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
						sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
						host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		log_warn("ingest: rejected %zu-byte snapshot from %s: %d %s", r->body.len, host, res.status,
				 res.message);
		return send_error(conn, res.status, res.message);
	}
	buf_init(&out);
	buf_printf(&out, "{\"status\":\"%s\",\"message\":", res.duplicate ? "duplicate" : "stored");
	json_str(&out, res.message);
	buf_puts(&out, "}\n");
	ret = send_buf(conn, 200, "application/json", out.data, out.len, NULL, NULL);
	buf_free(&out);
	return ret;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	Server	   *s = cls;
	Dashboard  *d = s->d;
	Request    *r = *con_cls;
	bool		refused;

	(void) version;
	if (strcmp(url, "/v1/snapshots") == 0)
	{
		if (strcmp(method, "POST") != 0)
			return send_error(conn, 405, "POST a Snapshot here");
		if (r == NULL)
		{
			const char *token = bearer_token(conn);
			const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			bool		nokeys,
						match;
			int			k = -1;
			unsigned char digest[DASH_KEY_DIGEST_LEN];

			pthread_rwlock_rdlock(&d->keys_lock);
			nokeys = d->keys.n == 0;
			if (token != NULL)
				k = keys_match(&d->keys, token, strlen(token));
			match = k >= 0;
			if (match)
				memcpy(digest, d->keys.keys[k].digest, DASH_KEY_DIGEST_LEN);
			pthread_rwlock_unlock(&d->keys_lock);
			if (nokeys)
				return send_error(conn, 403, "ingest disabled: the dashboard runs without --api-key-file");
			if (!match)
			{
				log_warn("ingest: request with a missing or wrong API key refused");
				return send_error(conn, 401, "missing or wrong API key");
			}
			if (cl && strtoull(cl, NULL, 10) > d->opt->max_body)
				return send_error(conn, 413, "body exceeds --max-body");
			r = xcalloc(1, sizeof(Request));
			buf_init(&r->body);
			memcpy(r->key, digest, DASH_KEY_DIGEST_LEN);
			*con_cls = r;
			return MHD_YES;
		}
		if (*upload_data_size > 0)
		{
			if (!r->too_big && r->body.len + *upload_data_size <= d->opt->max_body)
				buf_put(&r->body, upload_data, *upload_data_size);
			else
				r->too_big = true;
			*upload_data_size = 0;
			return MHD_YES;
		}
		return handle_ingest(s, conn, r);
	}

	if ((strcmp(url, "/login") == 0 || strcmp(url, "/logout") == 0) && strcmp(method, "POST") == 0)
	{
		if (r == NULL)
		{
			r = xcalloc(1, sizeof(Request));
			buf_init(&r->body);
			*con_cls = r;
			return MHD_YES;
		}
		if (*upload_data_size > 0)
		{
			if (!r->too_big && r->body.len + *upload_data_size <= 4096)
				buf_put(&r->body, upload_data, *upload_data_size);
			else
				r->too_big = true;
			*upload_data_size = 0;
			return MHD_YES;
		}
		return strcmp(url, "/login") == 0 ? handle_login(s, conn, r) : handle_logout(s, conn);
	}

	/*
	 * Answer in the next call, once the request is read: libmicrohttpd
	 * closes the connection after a response queued while the headers are
	 * processed, and keep-alive matters (the page makes many requests; a
	 * TLS handshake each would be costly).
	 */
	if (r == NULL)
	{
		*con_cls = &answer_next_call;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_error(conn, 405, "read-only: only GET and HEAD");
	if (*upload_data_size > 0)
		return send_error(conn, 400, "unexpected request body");
	if (check_ui_auth(s, conn, url, &refused) != MHD_YES || refused)
		return refused ? MHD_YES : MHD_NO;
	if (strcmp(url, "/login") == 0 && d->ui_token == NULL)
		return send_redirect(conn, "./", NULL);
	if (strncmp(url, "/api/", 5) == 0)
		return handle_api(s, conn, url + 5);
	return handle_static(s, conn, url);
}

static void
connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
				 enum MHD_ConnectionNotificationCode toe)
{
	Server	   *s = cls;
	ConnWatch  *w = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
	{
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (ci == NULL)
			return;
		w = xcalloc(1, sizeof(ConnWatch));
		w->fd = ci->connect_fd;
		clock_gettime(CLOCK_MONOTONIC, &w->since);
		pthread_mutex_lock(&s->watch_lock);
		w->next = s->watches;
		if (s->watches)
			s->watches->prev = w;
		s->watches = w;
		pthread_mutex_unlock(&s->watch_lock);
		*socket_context = w;
	}
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && w != NULL)
	{
		pthread_mutex_lock(&s->watch_lock);
		if (w->prev)
			w->prev->next = w->next;
		else
			s->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
		pthread_mutex_unlock(&s->watch_lock);
		free(w);
		*socket_context = NULL;
	}
}

void
server_cut_slow(Dashboard *d)
{
	Server	   *s = d->http;
	struct timespec now;
	ConnWatch  *w;
	int			cut = 0;

	if (s == NULL || d->opt->request_timeout_s <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&s->watch_lock);
	for (w = s->watches; w; w = w->next)
	{
		int64_t		ms = (int64_t) (now.tv_sec - w->since.tv_sec) * 1000 +
			(now.tv_nsec - w->since.tv_nsec) / 1000000;

		if (!w->cut && ms >= (int64_t) d->opt->request_timeout_s * 1000)
		{
			(void) shutdown(w->fd, SHUT_RDWR);
			w->cut = true;
			cut++;
		}
	}
	s->cut_total += (uint64_t) cut;
	pthread_mutex_unlock(&s->watch_lock);
	if (cut > 0)
		log_warn("cut %d connection(s) that did not finish a request within --request-timeout (%d s); "
				 "%llu so far", cut, d->opt->request_timeout_s, (unsigned long long) s->cut_total);
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	Server	   *s = cls;
	Request    *r = *con_cls;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	(void) toe;
	/* answered: the next request on this connection gets a fresh deadline */
	if (ci != NULL && ci->socket_context != NULL)
	{
		ConnWatch  *w = ci->socket_context;

		pthread_mutex_lock(&s->watch_lock);
		clock_gettime(CLOCK_MONOTONIC, &w->since);
		pthread_mutex_unlock(&s->watch_lock);
	}
	if (r && r != &answer_next_call)
	{
		buf_free(&r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		msg[512];

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warn("http: %s", msg);
}

static bool
load_assets(Server *s, const char *dir)
{
	size_t		i;

	memcpy(s->assets, assets_template, sizeof(assets_template));
	for (i = 0; i < N_ASSETS; i++)
	{
		char		path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, s->assets[i].file);
		s->assets[i].data = read_file(path, 16 * 1024 * 1024, &s->assets[i].len);
		if (s->assets[i].data == NULL)
		{
			log_error("web asset %s: %s (set --web-dir)", path, strerror(errno));
			return false;
		}
	}
	return true;
}

static void
free_assets(Server *s)
{
	size_t		i;

	for (i = 0; i < N_ASSETS; i++)
		free(s->assets[i].data);
}

bool
server_start(Dashboard *d)
{
	DashOptions *o = d->opt;
	Server	   *s = xcalloc(1, sizeof(Server));
	struct addrinfo hints,
			   *ai = NULL;
	char		port[16];
	char	   *cert = NULL,
			   *key = NULL;
	unsigned	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	int			rc;

	s->d = d;
	pthread_mutex_init(&s->watch_lock, NULL);
	if (!load_assets(s, o->web_dir))
		goto fail;

	/*
	 * Each connection is a descriptor: raise the soft open-file limit so that
	 * --max-connections idle clients (a flood) are absorbed and time out
	 * instead of keeping everyone else out; cap the limit when it cannot be.
	 */
	{
		struct rlimit rl;
		rlim_t		want = (rlim_t) o->max_connections + 64;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		{
			rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want) ? want : rl.rlim_max;
			(void) setrlimit(RLIMIT_NOFILE, &rl);
			if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
			{
				int			fit = rl.rlim_cur > 128 ? (int) rl.rlim_cur - 64 : 64;

				log_warn("open-file limit %lu: --max-connections lowered from %d to %d",
						 (unsigned long) rl.rlim_cur, o->max_connections, fit);
				o->max_connections = fit;
			}
		}
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", o->listen_port);
	rc = getaddrinfo(o->listen_host, port, &hints, &ai);
	if (rc != 0)
	{
		log_error("--listen %s: %s", o->listen_host, gai_strerror(rc));
		goto fail;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->tls_cert)
	{
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		{
			log_error("this libmicrohttpd has no TLS support");
			goto fail;
		}
		cert = read_file(o->tls_cert, 1024 * 1024, NULL);
		key = read_file(o->tls_key, 1024 * 1024, NULL);
		if (cert == NULL || key == NULL)
		{
			log_error("cannot read --tls-cert %s / --tls-key %s: %s", o->tls_cert, o->tls_key, strerror(errno));
			goto fail;
		}
		flags |= MHD_USE_TLS;
		s->tls = true;
	}
	d->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, s,
								 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
								 MHD_OPTION_SOCK_ADDR, ai->ai_addr,
								 MHD_OPTION_THREAD_POOL_SIZE, (unsigned) o->threads,
								 MHD_OPTION_CONNECTION_LIMIT, (unsigned) o->max_connections,
								 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) o->conn_timeout_s,
								 MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
								 MHD_OPTION_NOTIFY_CONNECTION, connection_event, s,
								 s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
								 MHD_OPTION_HTTPS_MEM_KEY, key,
								 MHD_OPTION_END);
	if (d->daemon == NULL)
	{
		log_error("cannot listen on %s:%d (address in use, or not allowed)", o->listen_host, o->listen_port);
		goto fail;
	}
	d->http = s;
	freeaddrinfo(ai);
	free(cert);
	free(key);
	log_info("listening on %s://%s:%d (%d threads, ingest %s, UI auth %s)", s->tls ? "https" : "http",
			 o->listen_host, o->listen_port, o->threads, d->keys.n ? "enabled" : "disabled",
			 d->ui_token ? "token" : d->ui_basic_user ? "basic" : "off");
	return true;

fail:
	if (ai)
		freeaddrinfo(ai);
	free(cert);
	free(key);
	free_assets(s);
	free(s);
	return false;
}

void
server_stop(Dashboard *d)
{
	Server	   *s = d->http;

	if (d->daemon)
		MHD_stop_daemon(d->daemon);
	d->daemon = NULL;
	if (s)
	{
		free_assets(s);
		pthread_mutex_destroy(&s->watch_lock);
		free(s);
	}
	d->http = NULL;
}
