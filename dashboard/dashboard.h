/* dashboard/dashboard.h — shared types of pg_insights_dashboard: options, buffers, repository pool, modules' entry points. */
#ifndef PGI_DASHBOARD_H
#define PGI_DASHBOARD_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <libpq-fe.h>

#define DASH_VERSION "1.0"
#define DASH_BUCKET_SECONDS 10		/* width of the buckets written from snapshots */
#define DASH_HIST_MAX 32			/* histogram buckets kept per row (the extension has 20) */

/* exit codes */
#define EXIT_OK 0
#define EXIT_RUNTIME 1				/* could not start or failed while running */
#define EXIT_USAGE 2				/* bad option or configuration */

/* ---- options (main.c) ---- */
typedef struct DashOptions
{
	char	   *listen_host;
	int			listen_port;
	char	   *repo_dsn;
	char	   *api_key_file;
	char	   *ui_auth;			/* "token:SECRET", "basic:USER:PASS"; SECRET may be "@file" */
	char	   *tls_cert;
	char	   *tls_key;
	char	   *web_dir;
	int64_t		retention_s;
	int64_t		rollup_1m_after_s;
	int64_t		rollup_10m_after_s;
	int64_t		maintenance_every_s;
	size_t		max_body;			/* bytes on the wire */
	size_t		max_inflated;		/* bytes after inflate */
	int			max_connections;
	int			conn_timeout_s;
	int			request_timeout_s;	/* 0: no deadline */
	int			threads;
	bool		verbose;
	bool		no_auth;			/* --no-auth: loopback only, the local user's own page */
} DashOptions;

/* ---- growable byte buffer (util.c) ---- */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

extern void buf_init(Buf *b);
extern void buf_free(Buf *b);
extern void buf_reserve(Buf *b, size_t extra);
extern void buf_put(Buf *b, const void *p, size_t n);
extern void buf_puts(Buf *b, const char *s);
extern void buf_putc(Buf *b, char c);
extern void buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* ---- util.c ---- */
extern void dash_log(const char *level, const char *fmt,...) __attribute__((format(printf, 2, 3)));
#define log_info(...) dash_log("INFO", __VA_ARGS__)
#define log_warn(...) dash_log("WARNING", __VA_ARGS__)
#define log_error(...) dash_log("ERROR", __VA_ARGS__)
extern void *xmalloc(size_t n);
extern void *xcalloc(size_t n, size_t m);
extern void *xrealloc(void *p, size_t n);
extern char *xstrdup(const char *s);
extern bool parse_duration(const char *s, int64_t *seconds);
extern bool parse_size(const char *s, size_t *bytes);
extern bool ct_equal(const char *a, size_t alen, const char *b, size_t blen);
extern char *read_file(const char *path, size_t max, size_t *len);
extern void utf8_sanitize(char *s);
extern bool is_loopback_host(const char *host);
extern int64_t now_us(void);

/* ---- json.c ---- */
extern void json_str(Buf *b, const char *s);
extern void json_strn(Buf *b, const char *s, size_t n);
extern void json_key(Buf *b, bool *first, const char *key);
extern void json_pg_num(Buf *b, const char *text);

/* ---- repository connection pool (repo.c) ---- */
typedef struct RepoPool
{
	pthread_mutex_t lock;
	pthread_cond_t freed;
	char	   *dsn;
	int			size;
	PGconn	  **conns;
	bool	   *busy;
} RepoPool;

extern PGresult *repo_exec(PGconn *conn, const char *sql, int n, const char *const *params);
/* the DSN without its password, for log lines */
extern void repo_dsn_for_log(const char *dsn, char *out, size_t outlen);
extern bool repo_pool_init(RepoPool *pool, const char *dsn, int size);
extern void repo_pool_close(RepoPool *pool);
extern PGconn *repo_acquire(RepoPool *pool);
extern void repo_release(RepoPool *pool, PGconn *conn);
extern bool repo_migrate(PGconn *conn);
extern int	repo_schema_version(PGconn *conn);
extern bool repo_maintain(PGconn *conn, const DashOptions *opt);

/* ---- ingest.c ---- */
typedef struct IngestResult
{
	int			status;				/* HTTP status */
	char		message[256];		/* the reason, for the response body and the log */
	bool		duplicate;
} IngestResult;

struct IngestAuth;
extern void ingest_snapshot(RepoPool *pool, const DashOptions *opt, const struct IngestAuth *auth,
							const char *body, size_t len, const char *content_encoding, IngestResult *res);

/* repo.c: store one decoded snapshot (parameterized statements only) */
struct PgInsights__V1__Snapshot;
extern int	repo_store_snapshot(PGconn *conn, const struct PgInsights__V1__Snapshot *snap,
								char *err, size_t errlen);
/* an unbound key's claim: 1 held (or taken now), 0 the key or the server is claimed otherwise (held names it), -1 error */
extern int	repo_claim_server(PGconn *conn, const char *digest_hex, const char *server,
							  char *held, size_t heldlen, char *err, size_t errlen);
/* forget the claims of keys that left the key file */
extern bool repo_release_claims(PGconn *conn, const char *digest_array);

/* ---- api.c ---- */
typedef struct ApiRequest
{
	const char *path;				/* after "/api/" */
	const char *(*arg) (void *cls, const char *name);	/* query-string lookup */
	void	   *arg_cls;
} ApiRequest;

/* fills out (JSON) and returns the HTTP status */
extern int	api_handle(RepoPool *pool, const ApiRequest *req, Buf *out);

/* ---- ingest keys (keys.c): only their SHA-256 digests are kept ---- */
#define DASH_KEY_DIGEST_LEN 32

/*
 * One line of --api-key-file: the key (or its digest), then optionally the
 * servers it may write, comma-separated; "*" lets it write any server.  A
 * key that names none is bound to the first server it writes (its claim is
 * kept in the repository, pgi.key_claims).
 */
typedef struct KeyEntry
{
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	bool		any;
	int			nnames;
	char	  **names;
} KeyEntry;

typedef struct KeySet
{
	int			n;
	int			cap;
	KeyEntry   *keys;
} KeySet;

/* what keys_authorize() decides for one snapshot */
typedef enum KeyVerdict
{
	KEY_ALLOW,					/* "*", or the server is in the key's list */
	KEY_CLAIM,					/* an unbound key: allowed if the repository claim holds */
	KEY_DENY,					/* the key names other servers, or another key names this one */
	KEY_REVOKED					/* the key left the file since the request began */
} KeyVerdict;

extern bool key_digest(const char *key, size_t len, unsigned char out[DASH_KEY_DIGEST_LEN]);
extern void key_digest_hex(const unsigned char digest[DASH_KEY_DIGEST_LEN], char out[2 * DASH_KEY_DIGEST_LEN + 1]);
/* lines of text: a key, or "sha256:" and its digest in hex, then servers; '#' comments; text is overwritten */
extern bool keys_parse(KeySet *ks, char *text, const char *path);
extern bool keys_load(KeySet *ks, const char *path);
extern void keys_free(KeySet *ks);
extern bool keys_add(KeySet *ks, const char *key, size_t len, const char *servers);
/* the matching key's index, or -1; every key is compared */
extern int	keys_match(const KeySet *ks, const char *token, size_t len);
extern void keys_compare(const KeySet *old, const KeySet *new, int *added, int *revoked);
/* may the key of this digest write server `name`?  On KEY_DENY, why says which servers it may write */
extern KeyVerdict keys_authorize(const KeySet *ks, const unsigned char digest[DASH_KEY_DIGEST_LEN],
								 const char *name, char *why, size_t whylen);
/* the digests in hex, as a text[] literal (for releasing the claims of revoked keys) */
extern void keys_digest_array(const KeySet *ks, Buf *out);

/* how ingest asks the server's current key set about one snapshot (routes.c takes the lock) */
typedef struct IngestAuth
{
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	KeyVerdict	(*authorize) (void *cls, const unsigned char *digest, const char *name, char *why, size_t whylen);
	void	   *cls;
} IngestAuth;

/* ---- page sessions of --ui-auth token (session.c) ---- */
#define SESSION_COOKIE "pgi_session"
extern bool session_create(char out[65]);	/* a new session id, 64 hex digits */
extern bool session_valid(const char *id);
extern void session_drop(const char *id);

/* ---- the server (routes.c) ---- */
typedef struct Dashboard
{
	DashOptions *opt;
	RepoPool	pool;
	KeySet		keys;
	pthread_rwlock_t keys_lock;		/* SIGHUP replaces keys while requests read them */
	char	   *ui_token;			/* token mode */
	char	   *ui_basic_user;		/* basic mode */
	char	   *ui_basic_pass;
	struct MHD_Daemon *daemon;
	void	   *http;			/* routes.c's server state */
} Dashboard;

extern bool server_start(Dashboard *d);
extern void server_stop(Dashboard *d);
/* shut down connections whose request is past --request-timeout; called about once a second */
extern void server_cut_slow(Dashboard *d);

#endif
