/* dashboard/main.c — pg_insights_dashboard: options and config file, startup checks, signals, the maintenance loop. */
#include "dashboard.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct OptionDef
{
	const char *name;
	const char *arg;				/* NULL for a flag */
	const char *deflt;
	const char *help;
} OptionDef;

static const OptionDef option_defs[] = {
	{"listen", "HOST:PORT", "127.0.0.1:8470", "address of the HTTP server ([::1]:8470 for IPv6)"},
	{"repo-dsn", "DSN", "dbname=pg_insights_repo", "libpq connection string of the repository database"},
	{"api-key-file", "FILE", "(none: ingest refused)", "ingest keys, one per line: a key (or sha256:HEX of one), then the servers it may write (name, name; * for any; none: the first it writes); SIGHUP reloads it"},
	{"ui-auth", "MODE", "(required unless --no-auth)", "token:SECRET (a login form, then a session cookie) or basic:USER:PASSWORD; SECRET/USER:PASSWORD may be @FILE"},
	{"tls-cert", "FILE", "(none)", "PEM certificate: serve HTTPS (with --tls-key)"},
	{"tls-key", "FILE", "(none)", "PEM private key of --tls-cert"},
	{"web-dir", "DIR", "(installed next to the binary)", "directory of index.html, evidence.js, app.js, style.css and vendor/"},
	{"retention", "DURATION", "7d", "history kept; older buckets are deleted"},
	{"downsample-1m-after", "DURATION", "1h", "10 s buckets older than this are merged into 1 min buckets"},
	{"downsample-10m-after", "DURATION", "1d", "1 min buckets older than this are merged into 10 min buckets"},
	{"maintenance-interval", "DURATION", "60s", "how often downsampling and retention run"},
	{"max-body", "SIZE", "8M", "largest snapshot body accepted on the wire"},
	{"max-inflated", "SIZE", "64M", "largest snapshot after Content-Encoding: deflate is undone"},
	{"max-connections", "N", "1024", "concurrent HTTP connections (idle ones cost no thread; the open-file limit is raised to fit)"},
	{"timeout", "DURATION", "30s", "idle timeout of an HTTP connection"},
	{"request-timeout", "DURATION", "60s", "a request must be received and answered within this long of its connection opening or its previous answer (slow clients are cut); 0 = off"},
	{"threads", "N", "4", "HTTP worker threads (one repository connection each)"},
	{"config", "FILE", "(none)", "key = value lines with the long option names; the command line wins"},
	{"verbose", NULL, "off", "log every stored snapshot"},
	{"no-auth", NULL, "off", "serve the page without --ui-auth; only on a loopback --listen, for the local user alone"},
	{"hash-key", NULL, NULL, "read a key on standard input, print the sha256:HEX line for --api-key-file and exit"},
	{"help", NULL, NULL, "show this help and exit"},
	{"version", NULL, NULL, "show the version and exit"},
};
#define N_OPTIONS (sizeof(option_defs) / sizeof(option_defs[0]))

static void
usage(FILE *f)
{
	size_t		i;

	fprintf(f, "pg_insights_dashboard %s — receives collector snapshots, keeps their history in PostgreSQL\n"
			"and serves the Query Insights page.\n\nUsage: pg_insights_dashboard [OPTION]...\n\nOptions:\n",
			DASH_VERSION);
	for (i = 0; i < N_OPTIONS; i++)
	{
		char		left[64];

		snprintf(left, sizeof(left), "--%s%s%s", option_defs[i].name, option_defs[i].arg ? " " : "",
				 option_defs[i].arg ? option_defs[i].arg : "");
		fprintf(f, "  %-34s %s", left, option_defs[i].help);
		if (option_defs[i].deflt)
			fprintf(f, " [default: %s]", option_defs[i].deflt);
		fputc('\n', f);
	}
	fprintf(f, "\nEndpoints: POST /v1/snapshots (protobuf, bearer API key), GET / (the page), GET /api/...\n"
			"Exit status: 0 after SIGINT/SIGTERM, 1 when it cannot run (repository, listen), 2 for bad usage.\n");
}

static void
set_defaults(DashOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->listen_host = xstrdup("127.0.0.1");
	o->listen_port = 8470;
	o->repo_dsn = xstrdup("dbname=pg_insights_repo");
	o->retention_s = 7 * 86400;
	o->rollup_1m_after_s = 3600;
	o->rollup_10m_after_s = 86400;
	o->maintenance_every_s = 60;
	o->max_body = 8 * 1024 * 1024;
	o->max_inflated = 64 * 1024 * 1024;
	o->max_connections = 1024;
	o->conn_timeout_s = 30;
	o->request_timeout_s = 60;
	o->threads = 4;
}

static void
free_options(DashOptions *o)
{
	free(o->listen_host);
	free(o->repo_dsn);
	free(o->api_key_file);
	free(o->ui_auth);
	free(o->tls_cert);
	free(o->tls_key);
	free(o->web_dir);
}

static void
replace(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static bool
parse_int(const char *v, int lo, int hi, int *out)
{
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < lo || n > hi)
		return false;
	*out = (int) n;
	return true;
}

static bool
parse_listen(DashOptions *o, const char *v)
{
	const char *colon;
	char		host[256];
	size_t		hl;

	if (v[0] == '[')
	{
		const char *close = strchr(v, ']');

		if (close == NULL || close[1] != ':')
			return false;
		hl = (size_t) (close - v - 1);
		if (hl == 0 || hl >= sizeof(host))
			return false;
		memcpy(host, v + 1, hl);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(v, ':');
		if (colon == NULL)
			return false;
		hl = (size_t) (colon - v);
		if (hl == 0 || hl >= sizeof(host))
			return false;
		memcpy(host, v, hl);
	}
	host[hl] = '\0';
	if (!parse_int(colon + 1, 1, 65535, &o->listen_port))
		return false;
	replace(&o->listen_host, host);
	return true;
}

/* apply one option; false (with a message) when the value is bad */
static bool
set_option(DashOptions *o, const char *name, const char *v)
{
	bool		ok = true;

	if (strcmp(name, "listen") == 0)
		ok = parse_listen(o, v);
	else if (strcmp(name, "repo-dsn") == 0)
		replace(&o->repo_dsn, v);
	else if (strcmp(name, "api-key-file") == 0)
		replace(&o->api_key_file, v);
	else if (strcmp(name, "ui-auth") == 0)
		replace(&o->ui_auth, v);
	else if (strcmp(name, "tls-cert") == 0)
		replace(&o->tls_cert, v);
	else if (strcmp(name, "tls-key") == 0)
		replace(&o->tls_key, v);
	else if (strcmp(name, "web-dir") == 0)
		replace(&o->web_dir, v);
	else if (strcmp(name, "retention") == 0)
		ok = parse_duration(v, &o->retention_s) && o->retention_s >= 60;
	else if (strcmp(name, "downsample-1m-after") == 0)
		ok = parse_duration(v, &o->rollup_1m_after_s);
	else if (strcmp(name, "downsample-10m-after") == 0)
		ok = parse_duration(v, &o->rollup_10m_after_s);
	else if (strcmp(name, "maintenance-interval") == 0)
		ok = parse_duration(v, &o->maintenance_every_s) && o->maintenance_every_s >= 1;
	else if (strcmp(name, "max-body") == 0)
		ok = parse_size(v, &o->max_body);
	else if (strcmp(name, "max-inflated") == 0)
		ok = parse_size(v, &o->max_inflated);
	else if (strcmp(name, "max-connections") == 0)
		ok = parse_int(v, 1, 100000, &o->max_connections);
	else if (strcmp(name, "timeout") == 0)
	{
		int64_t		s;

		ok = parse_duration(v, &s) && s >= 1 && s <= 86400;
		if (ok)
			o->conn_timeout_s = (int) s;
	}
	else if (strcmp(name, "request-timeout") == 0)
	{
		int64_t		s;

		ok = parse_duration(v, &s) && s >= 0 && s <= 86400;
		if (ok)
			o->request_timeout_s = (int) s;
	}
	else if (strcmp(name, "threads") == 0)
		ok = parse_int(v, 1, 256, &o->threads);
	else if (strcmp(name, "verbose") == 0)
		o->verbose = strcmp(v, "off") != 0 && strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
	else if (strcmp(name, "no-auth") == 0)
		o->no_auth = strcmp(v, "off") != 0 && strcmp(v, "false") != 0 && strcmp(v, "0") != 0;
	else
	{
		fprintf(stderr, "pg_insights_dashboard: unknown option \"%s\" (see --help)\n", name);
		return false;
	}
	if (!ok)
		fprintf(stderr, "pg_insights_dashboard: invalid value for --%s: \"%s\"\n", name, v);
	return ok;
}

static bool
load_config(DashOptions *o, const char *path)
{
	char	   *text = read_file(path, 1024 * 1024, NULL);
	char	   *line,
			   *save = NULL;
	int			lineno = 0;
	bool		ok = true;

	if (text == NULL)
	{
		fprintf(stderr, "pg_insights_dashboard: --config %s: %s\n", path, strerror(errno));
		return false;
	}
	for (line = strtok_r(text, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save))
	{
		char	   *eq,
				   *k,
				   *v,
				   *e;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
		{
			fprintf(stderr, "pg_insights_dashboard: %s:%d: key = value expected\n", path, lineno);
			ok = false;
			break;
		}
		*eq = '\0';
		k = line;
		v = eq + 1;
		for (e = eq - 1; e >= k && (*e == ' ' || *e == '\t'); e--)
			*e = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = v + strlen(v) - 1; e >= v && (*e == ' ' || *e == '\t' || *e == '\r'); e--)
			*e = '\0';
		if (strcmp(k, "config") == 0 || !set_option(o, k, v))
		{
			fprintf(stderr, "pg_insights_dashboard: %s:%d: bad line\n", path, lineno);
			ok = false;
		}
	}
	free(text);
	return ok;
}

static const OptionDef *
find_option(const char *name, size_t len)
{
	size_t		i;

	for (i = 0; i < N_OPTIONS; i++)
		if (strlen(option_defs[i].name) == len && strncmp(option_defs[i].name, name, len) == 0)
			return &option_defs[i];
	return NULL;
}

/*
 * --hash-key: the first line of standard input -> "sha256:HEX", so that the
 * key file on the dashboard's host need not hold the keys themselves.
 */
static int
hash_key_from_stdin(void)
{
	char		line[4096];
	unsigned char digest[DASH_KEY_DIGEST_LEN];
	char		hex[2 * DASH_KEY_DIGEST_LEN + 1];
	size_t		n,
				start;

	if (fgets(line, sizeof(line), stdin) == NULL)
	{
		fprintf(stderr, "pg_insights_dashboard: --hash-key: no key on standard input\n");
		return EXIT_USAGE;
	}
	/* trimmed as the key file's lines are */
	n = strcspn(line, "\r\n");
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = '\0';
	start = strspn(line, " \t");
	if (n == start || !key_digest(line + start, n - start, digest))
	{
		fprintf(stderr, "pg_insights_dashboard: --hash-key: an empty line, or the key cannot be hashed\n");
		return EXIT_USAGE;
	}
	memset(line, 0, sizeof(line));
	key_digest_hex(digest, hex);
	printf("sha256:%s\n", hex);
	return EXIT_OK;
}

/* returns -1 to go on, else the exit code */
static int
parse_args(DashOptions *o, int argc, char **argv)
{
	int			pass,
				i;

	/* pass 0 reads --config (and --help/--version), pass 1 applies the rest over it */
	for (pass = 0; pass < 2; pass++)
	{
		for (i = 1; i < argc; i++)
		{
			const char *a = argv[i];
			const char *eq;
			const char *val = NULL;
			const OptionDef *def;

			if (strcmp(a, "-h") == 0)
				a = "--help";
			if (strncmp(a, "--", 2) != 0)
			{
				fprintf(stderr, "pg_insights_dashboard: unexpected argument \"%s\" (see --help)\n", a);
				return EXIT_USAGE;
			}
			a += 2;
			eq = strchr(a, '=');
			def = find_option(a, eq ? (size_t) (eq - a) : strlen(a));
			if (def == NULL)
			{
				fprintf(stderr, "pg_insights_dashboard: unknown option \"--%s\" (see --help)\n", a);
				return EXIT_USAGE;
			}
			if (def->arg)
			{
				if (eq)
					val = eq + 1;
				else if (i + 1 < argc)
					val = argv[++i];
				else
				{
					fprintf(stderr, "pg_insights_dashboard: --%s needs a value\n", def->name);
					return EXIT_USAGE;
				}
			}
			else if (eq)
			{
				fprintf(stderr, "pg_insights_dashboard: --%s takes no value\n", def->name);
				return EXIT_USAGE;
			}
			if (strcmp(def->name, "help") == 0)
			{
				usage(stdout);
				return EXIT_OK;
			}
			if (strcmp(def->name, "hash-key") == 0)
				return hash_key_from_stdin();
			if (strcmp(def->name, "version") == 0)
			{
				printf("pg_insights_dashboard %s\n", DASH_VERSION);
				return EXIT_OK;
			}
			if (strcmp(def->name, "config") == 0)
			{
				if (pass == 0 && !load_config(o, val))
					return EXIT_USAGE;
				continue;
			}
			if (pass == 1 && !set_option(o, def->name, val ? val : "on"))
				return EXIT_USAGE;
		}
	}
	return -1;
}

/* "@file" -> the file's first line; anything else -> itself */
static char *
secret_value(const char *v)
{
	char	   *text;

	if (v[0] != '@')
		return xstrdup(v);
	text = read_file(v + 1, 64 * 1024, NULL);
	if (text == NULL)
	{
		fprintf(stderr, "pg_insights_dashboard: --ui-auth %s: %s\n", v + 1, strerror(errno));
		return NULL;
	}
	text[strcspn(text, "\r\n")] = '\0';
	return text;
}

static bool
setup_ui_auth(Dashboard *d)
{
	const char *v = d->opt->ui_auth;
	char	   *secret;

	if (v == NULL)
		return true;
	if (strncmp(v, "token:", 6) == 0)
	{
		secret = secret_value(v + 6);
		if (secret == NULL)
			return false;
		if (strlen(secret) < 8 || strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
										 "0123456789-._~") != strlen(secret))
		{
			fprintf(stderr, "pg_insights_dashboard: --ui-auth token: at least 8 characters of A-Z a-z 0-9 - . _ ~\n");
			free(secret);
			return false;
		}
		d->ui_token = secret;
		return true;
	}
	if (strncmp(v, "basic:", 6) == 0)
	{
		char	   *colon;

		secret = secret_value(v + 6);
		if (secret == NULL)
			return false;
		colon = strchr(secret, ':');
		if (colon == NULL || colon == secret || colon[1] == '\0')
		{
			fprintf(stderr, "pg_insights_dashboard: --ui-auth basic: USER:PASSWORD expected\n");
			free(secret);
			return false;
		}
		*colon = '\0';
		d->ui_basic_user = xstrdup(secret);
		d->ui_basic_pass = xstrdup(colon + 1);
		free(secret);
		return true;
	}
	fprintf(stderr, "pg_insights_dashboard: --ui-auth: token:SECRET or basic:USER:PASSWORD expected\n");
	return false;
}

/* the web assets: --web-dir, else where the build or the install put them relative to the binary */
static bool
find_web_dir(DashOptions *o)
{
	char		exe[PATH_MAX];
	char		cand[PATH_MAX + 64];
	ssize_t		n;
	static const char *const rel[] = {"build/web", "../share/pg_insights/dashboard-web", "web"};
	size_t		i;

	if (o->web_dir)
		return true;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
	{
		snprintf(cand, sizeof(cand), "%s/%s/vendor/uPlot.iife.min.js", exe, rel[i]);
		if (access(cand, R_OK) == 0)
		{
			snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
			o->web_dir = xstrdup(cand);
			return true;
		}
	}
	fprintf(stderr, "pg_insights_dashboard: web assets not found next to the binary; set --web-dir\n");
	return false;
}

/* a revoked key's claim on its server ends: a new unbound key may take the server */
static void
release_claims(Dashboard *d)
{
	PGconn	   *conn;
	Buf			arr;

	if (d->opt->api_key_file == NULL)
		return;
	conn = repo_acquire(&d->pool);
	if (conn == NULL)
		return;
	buf_init(&arr);
	pthread_rwlock_rdlock(&d->keys_lock);
	keys_digest_array(&d->keys, &arr);
	pthread_rwlock_unlock(&d->keys_lock);
	buf_putc(&arr, '\0');
	if (!repo_release_claims(conn, arr.data))
		log_warn("repository: could not release the claims of revoked keys (retried at the next SIGHUP)");
	buf_free(&arr);
	repo_release(&d->pool, conn);
}

/* SIGHUP: read --api-key-file again; a bad file keeps the keys in use */
static void
reload_keys(Dashboard *d)
{
	KeySet		fresh,
				old;
	int			added,
				revoked;

	if (d->opt->api_key_file == NULL)
	{
		log_info("SIGHUP: no --api-key-file to reload (other options need a restart)");
		return;
	}
	if (!keys_load(&fresh, d->opt->api_key_file))
	{
		log_error("SIGHUP: --api-key-file not reloaded, the %d key(s) loaded before stay in use", d->keys.n);
		return;
	}
	keys_compare(&d->keys, &fresh, &added, &revoked);
	pthread_rwlock_wrlock(&d->keys_lock);
	old = d->keys;
	d->keys = fresh;
	pthread_rwlock_unlock(&d->keys_lock);
	keys_free(&old);
	log_info("SIGHUP: --api-key-file reloaded: %d key(s), %d added, %d revoked "
			 "(other options need a restart)", d->keys.n, added, revoked);
	release_claims(d);
}

static void
maintain(Dashboard *d)
{
	PGconn	   *conn = repo_acquire(&d->pool);

	if (conn == NULL)
		return;
	repo_maintain(conn, d->opt);
	repo_release(&d->pool, conn);
}

int
main(int argc, char **argv)
{
	DashOptions opt;
	Dashboard	d;
	sigset_t	sigs;
	PGconn	   *conn;
	int			rc;
	int			exit_code = EXIT_OK;
	time_t		next_maintenance;

	set_defaults(&opt);
	memset(&d, 0, sizeof(d));
	d.opt = &opt;
	pthread_rwlock_init(&d.keys_lock, NULL);
	rc = parse_args(&opt, argc, argv);
	if (rc >= 0)
	{
		free_options(&opt);
		return rc;
	}
	if ((opt.tls_cert == NULL) != (opt.tls_key == NULL))
	{
		fprintf(stderr, "pg_insights_dashboard: --tls-cert and --tls-key go together\n");
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (!setup_ui_auth(&d))
	{
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (opt.no_auth && (d.ui_token != NULL || d.ui_basic_user != NULL))
	{
		fprintf(stderr, "pg_insights_dashboard: --no-auth and --ui-auth exclude each other; keep one\n");
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (opt.no_auth && !is_loopback_host(opt.listen_host))
	{
		fprintf(stderr, "pg_insights_dashboard: refusing --no-auth on %s: anyone who reaches it would read "
				"your SQL; listen on 127.0.0.1 or set --ui-auth token:SECRET\n", opt.listen_host);
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (!opt.no_auth && d.ui_token == NULL && d.ui_basic_user == NULL)
	{
		fprintf(stderr, "pg_insights_dashboard: refusing to listen on %s without --ui-auth (the page shows "
				"your SQL): set --ui-auth token:SECRET (or basic:USER:PASSWORD), or --no-auth when the "
				"address is loopback and only you can reach it (no reverse proxy in front)\n", opt.listen_host);
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (opt.api_key_file && !keys_load(&d.keys, opt.api_key_file))
	{
		exit_code = EXIT_USAGE;
		goto out;
	}
	if (opt.api_key_file == NULL)
		log_warn("no --api-key-file: snapshots will be refused (403)");
	if (!find_web_dir(&opt))
	{
		exit_code = EXIT_USAGE;
		goto out;
	}

	/* signals are taken synchronously by this thread; the server's threads inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!repo_pool_init(&d.pool, opt.repo_dsn, opt.threads + 1))
	{
		char		shown[512];

		repo_dsn_for_log(opt.repo_dsn, shown, sizeof(shown));
		log_error("cannot connect to the repository (--repo-dsn \"%s\")", shown);
		exit_code = EXIT_RUNTIME;
		goto out_pool;
	}
	conn = repo_acquire(&d.pool);
	rc = conn && repo_migrate(conn);
	if (conn)
	{
		log_info("repository ready, schema version %d", repo_schema_version(conn));
		repo_release(&d.pool, conn);
	}
	if (!rc)
	{
		exit_code = EXIT_RUNTIME;
		goto out_pool;
	}
	release_claims(&d);
	if (!server_start(&d))
	{
		exit_code = EXIT_RUNTIME;
		goto out_pool;
	}

	next_maintenance = time(NULL);
	for (;;)
	{
		struct timespec ts;
		time_t		now = time(NULL);
		int			sig;

		if (now >= next_maintenance)
		{
			maintain(&d);
			next_maintenance = time(NULL) + opt.maintenance_every_s;
		}
		/* wake at least every second to cut requests past --request-timeout */
		server_cut_slow(&d);
		ts.tv_sec = next_maintenance - time(NULL);
		if (ts.tv_sec < 0)
			ts.tv_sec = 0;
		if (ts.tv_sec > 1)
			ts.tv_sec = 1;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
		{
			log_info("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (sig == SIGHUP)
			reload_keys(&d);
	}
	server_stop(&d);

out_pool:
	server_stop(&d);
	if (d.pool.conns)
		repo_pool_close(&d.pool);
out:
	keys_free(&d.keys);
	pthread_rwlock_destroy(&d.keys_lock);
	free(d.ui_token);
	free(d.ui_basic_user);
	free(d.ui_basic_pass);
	free_options(&opt);
	return exit_code;
}
