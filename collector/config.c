/* config.c — the collector's settings: command-line flags, a key = value file, libpq's environment. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

typedef enum OptType
{
	OPT_STRING,
	OPT_LIST,					/* repeatable string (list_count: its count) */
	OPT_DURATION,
	OPT_BYTES,
	OPT_INT,
	OPT_FLAG,
	OPT_LEVEL,
	OPT_FORMAT,
	OPT_DETECT,
	OPT_HELP,
	OPT_VERSION
} OptType;

typedef struct Option
{
	const char *name;
	OptType		type;
	size_t		offset;
	const char *def;			/* default, as the user would write it */
	const char *metavar;
	const char *help;
} Option;

#define OFF(f) offsetof(Config, f)

static const Option options[] = {
	{"dbname", OPT_LIST, OFF(dbnames), "", "CONNINFO",
	"database to poll: a name or a libpq conninfo/URI; repeat for several (default: libpq's PG* environment)"},
	{"server-name", OPT_STRING, OFF(server_name), "", "NAME",
	"the server's name on the dashboard and in OTLP (default: its cluster_name, else host:port; "
	"at most 63 characters)"},
	{"dashboard-url", OPT_STRING, OFF(dashboard_url), "", "URL",
	"dashboard base URL; snapshots are POSTed to URL/v1/snapshots"},
	{"api-key-file", OPT_STRING, OFF(api_key_file), "", "FILE",
	"file holding the dashboard API key (sent as Authorization: Bearer)"},
	{"interval", OPT_DURATION, OFF(interval_us), "10s", "DURATION",
	"time between polls (units: ms, s, m, h)"},
	{"once", OPT_FLAG, OFF(once), "off", NULL,
	"take one reading (totals since the extension's stats_reset), write/send it, exit"},
	{"output", OPT_STRING, OFF(output), "", "FILE|-",
	"with --once: write the snapshot to FILE ('-' = stdout)"},
	{"format", OPT_FORMAT, OFF(format), "pb", "pb|json",
	"format of --output"},
	{"spool-dir", OPT_STRING, OFF(spool_dir), "", "DIR",
	"on-disk spool for unsent snapshots (empty: kept in memory, lost at exit)"},
	{"spool-max-bytes", OPT_BYTES, OFF(spool_max_bytes), "64M", "BYTES",
	"spool bound; when full the oldest snapshots are dropped and counted"},
	{"history", OPT_INT, OFF(history), "30", "N",
	"intervals of deltas kept in memory"},
	{"statement-timeout", OPT_DURATION, OFF(statement_timeout_us), "5s", "DURATION",
	"statement_timeout of the collector's statements (reading, detection, findings writes)"},
	{"db-connect-timeout", OPT_DURATION, OFF(db_connect_timeout_us), "10s", "DURATION",
	"libpq connect_timeout (a conninfo value wins)"},
	{"connect-timeout", OPT_DURATION, OFF(http_connect_timeout_us), "5s", "DURATION",
	"HTTP connect timeout"},
	{"http-timeout", OPT_DURATION, OFF(http_timeout_us), "30s", "DURATION",
	"HTTP total timeout of one POST"},
	{"retry-initial", OPT_DURATION, OFF(retry_initial_us), "1s", "DURATION",
	"first retry delay (dashboard and database); doubles, with jitter"},
	{"retry-max", OPT_DURATION, OFF(retry_max_us), "60s", "DURATION",
	"longest retry delay"},
	{"insecure", OPT_FLAG, OFF(insecure), "off", NULL,
	"do not verify the TLS certificate of the dashboard and the OTLP endpoint (logged loudly)"},
	{"ca-file", OPT_STRING, OFF(ca_file), "", "FILE",
	"PEM CA certificate(s) that verify an https dashboard and OTLP endpoint (empty: the system's trust store)"},
	{"compress-threshold", OPT_BYTES, OFF(compress_threshold), "1k", "BYTES",
	"compress bodies larger than this (dashboard: Content-Encoding: deflate; OTLP: gzip)"},
	{"log-level", OPT_LEVEL, OFF(log_level), "info", "LEVEL",
	"debug, info, warning or error"},
	{"config", OPT_STRING, OFF(config_file), "", "FILE",
	"key = value file with these options (the command line wins); re-read on SIGHUP"},
	{"no-detect", OPT_FLAG, OFF(no_detect), "off", NULL,
	"do not run the detectors (no findings written to insights.findings_data)"},
	{"detect-set", OPT_DETECT, 0, NULL, "KEY=VALUE",
	"detector threshold, e.g. nplus1_min_repeats=5 (repeatable; see README, Finding kinds)"},
	{"otlp-url", OPT_STRING, OFF(otlp_url), "", "URL",
	"OpenTelemetry endpoint: after every poll, metrics are POSTed to URL/v1/metrics (OTLP/HTTP, JSON; "
	"a URL ending in /v1/metrics is used as it is); best effort, never retried"},
	{"otlp-header", OPT_LIST, OFF(otlp_headers), "", "'NAME: VALUE'",
	"header sent with every OTLP export, e.g. the API key of a hosted stack (repeatable; never logged)"},
	{"otlp-max-shapes", OPT_INT, OFF(otlp_max_shapes), "500", "N",
	"shapes per OTLP export, those with the most time in the interval; the others are summed "
	"into one point with shape_id \"other\" (0..100000)"},
	{"help", OPT_HELP, 0, NULL, NULL, "show this help and exit"},
	{"version", OPT_VERSION, 0, NULL, NULL, "show the version and exit"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* the items and the count of an OPT_LIST option */
static char ***
list_items(Config *cfg, const Option *o)
{
	return (char ***) ((char *) cfg + o->offset);
}

static int *
list_count(Config *cfg, const Option *o)
{
	return o->offset == OFF(otlp_headers) ? &cfg->notlp_headers : &cfg->ndbnames;
}

void
config_print_help(void)
{
	size_t		i;

	printf("pg_insights_collector %s — reads pg_insights counters, ships protobuf snapshots to the\n"
		   "dashboard and OTLP metrics to any observability stack.\n\n"
		   "Usage:\n"
		   "  pg_insights_collector --dbname CONNINFO --dashboard-url URL --api-key-file FILE [options]\n"
		   "  pg_insights_collector --dbname CONNINFO --otlp-url URL [--otlp-header 'NAME: VALUE'] [options]\n"
		   "  pg_insights_collector --once --output FILE|- [--format pb|json] [--dbname ...]\n\n"
		   "Options (default in brackets):\n", COLLECTOR_VERSION);
	for (i = 0; i < NOPTIONS; i++)
	{
		const Option *o = &options[i];
		char		left[64];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		printf("  %-32s %s", left, o->help);
		if (o->def != NULL)
			printf(" [%s]", o->def[0] ? o->def : "none");
		printf("\n");
	}
	printf("\nThe connection also honours libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE,\n"
		   "PGPASSFILE, ...).  The collector's role reads the statistics and writes findings:\n"
		   "  CREATE ROLE insights_collector LOGIN; GRANT pg_read_all_stats TO insights_collector;\n"
		   "  GRANT SELECT, INSERT, UPDATE ON insights.findings_data TO insights_collector;\n"
		   "  GRANT USAGE ON SEQUENCE insights.findings_data_id_seq TO insights_collector;\n"
		   "Exit status: 0 clean (SIGTERM/SIGINT), 1 runtime failure, 2 bad usage or configuration.\n"
		   "Signals: SIGHUP re-reads --config.\n");
}

static const Option *
find_option(const char *name, size_t len)
{
	size_t		i;

	for (i = 0; i < NOPTIONS; i++)
	{
		const char *n = options[i].name;
		size_t		j;

		if (strlen(n) != len)
			continue;
		/* "spool_dir" in a file means spool-dir */
		for (j = 0; j < len; j++)
			if (n[j] != name[j] && !(n[j] == '-' && name[j] == '_'))
				break;
		if (j == len)
			return &options[i];
	}
	return NULL;
}

static bool
parse_bool(const char *s, bool *out)
{
	if (strcasecmp(s, "on") == 0 || strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
		strcmp(s, "1") == 0)
		*out = true;
	else if (strcasecmp(s, "off") == 0 || strcasecmp(s, "false") == 0 ||
			 strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

/* Store value into cfg; returns false with err filled when it is malformed. */
static bool
set_option(Config *cfg, const Option *o, const char *value, char *err, size_t errlen)
{
	char	   *base = (char *) cfg;
	bool		ok = true;

	switch (o->type)
	{
		case OPT_STRING:
			{
				char	  **p = (char **) (base + o->offset);

				free(*p);
				*p = xstrdup(value);
				break;
			}
		case OPT_LIST:
			{
				char	 ***list = list_items(cfg, o);
				int		   *n = list_count(cfg, o);

				*list = xrealloc(*list, sizeof(char *) * (size_t) (*n + 1));
				(*list)[(*n)++] = xstrdup(value);
				break;
			}
		case OPT_DURATION:
			ok = parse_duration_us(value, (int64_t *) (base + o->offset));
			break;
		case OPT_BYTES:
			ok = parse_bytes(value, (int64_t *) (base + o->offset));
			break;
		case OPT_INT:
			ok = parse_int64(value, (int64_t *) (base + o->offset)) &&
				*(int64_t *) (base + o->offset) >= 0;
			break;
		case OPT_FLAG:
			ok = parse_bool(value, (bool *) (base + o->offset));
			break;
		case OPT_LEVEL:
			ok = log_parse_level(value, &cfg->log_level);
			break;
		case OPT_FORMAT:
			if (strcmp(value, "pb") == 0 || strcmp(value, "protobuf") == 0)
				cfg->format = FORMAT_PB;
			else if (strcmp(value, "json") == 0)
				cfg->format = FORMAT_JSON;
			else
				ok = false;
			break;
		case OPT_DETECT:
			{
				const char *eq = strchr(value, '=');
				char		key[64];

				ok = eq != NULL && (size_t) (eq - value) < sizeof(key);
				if (ok)
				{
					snprintf(key, sizeof(key), "%.*s", (int) (eq - value), value);
					ok = detect_config_set(&cfg->detect, key, eq + 1);
				}
				break;
			}
		case OPT_HELP:
		case OPT_VERSION:
			break;
	}
	if (!ok)
		snprintf(err, errlen, "invalid value for %s: \"%s\"", o->name, value);
	return ok;
}

static void
set_defaults(Config *cfg)
{
	size_t		i;
	char		err[256];

	memset(cfg, 0, sizeof(*cfg));
	detect_config_defaults(&cfg->detect);
	for (i = 0; i < NOPTIONS; i++)
	{
		if (options[i].def != NULL && options[i].type != OPT_LIST)
			(void) set_option(cfg, &options[i], options[i].def, err, sizeof(err));
	}
}

static char *
trim(char *s)
{
	char	   *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

/* Read a key = value file; lines: "# comment", blank, key = value ('...' or "..." quoted). */
static bool
load_file(Config *cfg, const char *path, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;

	if (f == NULL)
	{
		snprintf(err, errlen, "cannot open config file \"%s\": %s", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *s = trim(line);
		char	   *eq,
				   *key,
				   *val;
		const Option *o;
		size_t		vl;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
		{
			snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
			fclose(f);
			return false;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		vl = strlen(val);
		if (vl >= 2 && (val[0] == '\'' || val[0] == '"') && val[vl - 1] == val[0])
		{
			val[vl - 1] = '\0';
			val++;
		}
		o = find_option(key, strlen(key));
		if (o == NULL || o->type == OPT_HELP || o->type == OPT_VERSION ||
			strcmp(o->name, "config") == 0)
		{
			snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", path, lineno, key);
			fclose(f);
			return false;
		}
		if (!set_option(cfg, o, val, err, errlen))
		{
			char		tmp[256];

			snprintf(tmp, sizeof(tmp), "%s", err);
			snprintf(err, errlen, "%s:%d: %s", path, lineno, tmp);
			fclose(f);
			return false;
		}
	}
	fclose(f);
	return true;
}

static bool
read_key(Config *cfg, char *err, size_t errlen)
{
	FILE	   *f;
	char		buf[4096];
	size_t		n;
	struct stat st;

	f = fopen(cfg->api_key_file, "r");
	if (f == NULL)
	{
		snprintf(err, errlen, "cannot read api key file \"%s\": %s", cfg->api_key_file, strerror(errno));
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004))
		log_warning("api key file \"%s\" is readable by everyone", cfg->api_key_file);
	fclose(f);
	buf[n] = '\0';
	free(cfg->api_key);
	cfg->api_key = xstrdup(trim(buf));
	if (cfg->api_key[0] == '\0' || strpbrk(cfg->api_key, "\r\n") != NULL)
	{
		snprintf(err, errlen, "api key file \"%s\" must hold one non-empty line", cfg->api_key_file);
		return false;
	}
	return true;
}

/*
 * An --otlp-header line: "Name: value", the name an HTTP token, the value
 * printable (tabs allowed).  The message never shows the value: it is
 * usually a secret.
 */
static bool
check_header(const char *h, int nth, char *err, size_t errlen)
{
	static const char *const reserved[] = {
		"Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding", "Host", "Expect", NULL
	};
	const char *colon = strchr(h, ':');
	const char *p;
	size_t		nlen;
	int			i;

	if (colon == NULL || colon == h)
	{
		snprintf(err, errlen, "--otlp-header #%d must be 'Name: value' (not shown: it may hold a secret)", nth);
		return false;
	}
	nlen = (size_t) (colon - h);
	for (p = h; p < colon; p++)
		if (!isalnum((unsigned char) *p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
		{
			snprintf(err, errlen, "--otlp-header #%d: the name before ':' must be an HTTP header name "
					 "(letters, digits, -; not shown: it may hold a secret)", nth);
			return false;
		}
	for (i = 0; reserved[i] != NULL; i++)
		if (strlen(reserved[i]) == nlen && strncasecmp(h, reserved[i], nlen) == 0)
		{
			snprintf(err, errlen, "--otlp-header %s: set by the collector itself", reserved[i]);
			return false;
		}
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0')
	{
		snprintf(err, errlen, "--otlp-header %.*s: the value is empty", (int) nlen, h);
		return false;
	}
	for (; *p; p++)
		if (((unsigned char) *p < 0x20 && *p != '\t') || *p == 0x7f)
		{
			snprintf(err, errlen, "--otlp-header %.*s: the value holds a control character "
					 "(line break?)", (int) nlen, h);
			return false;
		}
	return true;
}

static bool
validate(Config *cfg, char *err, size_t errlen)
{
	int			i;

	if (cfg->server_name && cfg->server_name[0])
	{
		const unsigned char *c;

		if (strlen(cfg->server_name) > 63)
		{
			snprintf(err, errlen, "--server-name is longer than 63 characters");
			return false;
		}
		for (c = (const unsigned char *) cfg->server_name; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
			{
				snprintf(err, errlen, "--server-name holds a control character; use printable text");
				return false;
			}
	}
	if (cfg->ndbnames == 0)
	{
		cfg->dbnames = xmalloc(sizeof(char *));
		cfg->dbnames[cfg->ndbnames++] = xstrdup("");
	}
	for (i = 0; i < cfg->ndbnames; i++)
	{
		char	   *perr = NULL;
		const char *d = cfg->dbnames[i];
		PQconninfoOption *opts;

		/* a bare name is a database name; anything with '=' or a URI is conninfo */
		if (strchr(d, '=') == NULL && strncmp(d, "postgres://", 11) != 0 &&
			strncmp(d, "postgresql://", 13) != 0)
			continue;
		opts = PQconninfoParse(d, &perr);
		if (opts == NULL)
		{
			snprintf(err, errlen, "invalid --dbname \"%s\": %s", d, perr ? trim(perr) : "out of memory");
			PQfreemem(perr);
			return false;
		}
		PQconninfoFree(opts);
	}
	if (cfg->interval_us < 10000)
	{
		snprintf(err, errlen, "--interval must be at least 10ms");
		return false;
	}
	if (cfg->output[0] != '\0' && !cfg->once)
	{
		snprintf(err, errlen, "--output needs --once");
		return false;
	}
	if (cfg->format == FORMAT_JSON && cfg->output[0] == '\0')
	{
		snprintf(err, errlen, "--format json needs --once --output FILE|-");
		return false;
	}
	/* with only --dbname the collector still detects and writes insights.findings_data */
	if (cfg->dashboard_url[0] == '\0' && cfg->output[0] == '\0' && cfg->otlp_url[0] == '\0' &&
		cfg->no_detect)
	{
		snprintf(err, errlen, "nothing to do with --no-detect: give --dashboard-url, --otlp-url, or --once --output FILE|-");
		return false;
	}
	if (cfg->dashboard_url[0] != '\0' && strncmp(cfg->dashboard_url, "http://", 7) != 0 &&
		strncmp(cfg->dashboard_url, "https://", 8) != 0)
	{
		snprintf(err, errlen, "--dashboard-url must start with http:// or https://: \"%s\"",
				 cfg->dashboard_url);
		return false;
	}
	if (cfg->otlp_url[0] != '\0' &&
		!((strncmp(cfg->otlp_url, "http://", 7) == 0 && cfg->otlp_url[7] != '\0') ||
		  (strncmp(cfg->otlp_url, "https://", 8) == 0 && cfg->otlp_url[8] != '\0')))
	{
		snprintf(err, errlen, "--otlp-url must start with http:// or https:// and name a host: \"%s\"",
				 cfg->otlp_url);
		return false;
	}
	if (cfg->notlp_headers > 0 && cfg->otlp_url[0] == '\0')
	{
		snprintf(err, errlen, "--otlp-header needs --otlp-url");
		return false;
	}
	for (i = 0; i < cfg->notlp_headers; i++)
		if (!check_header(cfg->otlp_headers[i], i + 1, err, errlen))
			return false;
	if (cfg->otlp_max_shapes > 100000)
	{
		snprintf(err, errlen, "--otlp-max-shapes must be between 0 and 100000");
		return false;
	}
	if (cfg->retry_initial_us <= 0 || cfg->retry_max_us < cfg->retry_initial_us)
	{
		snprintf(err, errlen, "--retry-initial must be > 0 and <= --retry-max");
		return false;
	}
	if (cfg->http_timeout_us < 1000 || cfg->http_connect_timeout_us < 1000 ||
		cfg->statement_timeout_us < 1000)
	{
		snprintf(err, errlen, "timeouts must be at least 1ms");
		return false;
	}
	if (cfg->ca_file[0] != '\0' && access(cfg->ca_file, R_OK) != 0)
	{
		snprintf(err, errlen, "cannot read --ca-file \"%s\": %s", cfg->ca_file, strerror(errno));
		return false;
	}
	if (cfg->history < 1)
		cfg->history = 1;
	if (cfg->api_key_file[0] != '\0' && !read_key(cfg, err, errlen))
		return false;
	return true;
}

ConfigResult
config_load(int argc, char **argv, Config *cfg, char *err, size_t errlen)
{
	int			i;
	size_t		k;
	char	  **file_items[NOPTIONS];	/* the file's values of each OPT_LIST option */
	int			file_nitems[NOPTIONS];
	bool		cli_items[NOPTIONS];	/* given on the command line: replaces the file's */

	set_defaults(cfg);
	memset(file_items, 0, sizeof(file_items));
	memset(file_nitems, 0, sizeof(file_nitems));
	memset(cli_items, 0, sizeof(cli_items));
	err[0] = '\0';

	/* pass 1: --help, --version, --config */
	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
		{
			config_print_help();
			return CONFIG_EXIT;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0)
		{
			printf("pg_insights_collector %s\n", COLLECTOR_VERSION);
			return CONFIG_EXIT;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			(void) set_option(cfg, find_option("config", 6), argv[i] + 9, err, errlen);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			(void) set_option(cfg, find_option("config", 6), argv[++i], err, errlen);
	}
	if (cfg->config_file[0] != '\0' && !load_file(cfg, cfg->config_file, err, errlen))
		return CONFIG_ERROR;
	for (k = 0; k < NOPTIONS; k++)
	{
		char	 ***list = list_items(cfg, &options[k]);
		int		   *n = list_count(cfg, &options[k]);

		if (options[k].type != OPT_LIST)
			continue;
		file_items[k] = *list;
		file_nitems[k] = *n;
		*list = NULL;
		*n = 0;
	}

	/* pass 2: everything, over the file */
	for (i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *eq;
		const char *value;
		const Option *o;

		if (strncmp(arg, "--", 2) != 0)
		{
			snprintf(err, errlen, "unexpected argument \"%s\" (options start with --; see --help)", arg);
			goto fail;
		}
		arg += 2;
		eq = strchr(arg, '=');
		o = find_option(arg, eq ? (size_t) (eq - arg) : strlen(arg));
		if (o == NULL)
		{
			snprintf(err, errlen, "unknown option \"%s\" (see --help)", argv[i]);
			goto fail;
		}
		if (o->type == OPT_FLAG && eq == NULL)
			value = "on";
		else if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
		{
			snprintf(err, errlen, "option --%s needs a value", o->name);
			goto fail;
		}
		if (o->type == OPT_LIST)
			cli_items[o - options] = true;
		if (!set_option(cfg, o, value, err, errlen))
			goto fail;
	}
	/* a list option (--dbname, --otlp-header) on the command line replaces the file's list */
	for (k = 0; k < NOPTIONS; k++)
	{
		if (options[k].type != OPT_LIST)
			continue;
		if (cli_items[k])
		{
			for (i = 0; i < file_nitems[k]; i++)
				free(file_items[k][i]);
			free(file_items[k]);
		}
		else
		{
			*list_items(cfg, &options[k]) = file_items[k];
			*list_count(cfg, &options[k]) = file_nitems[k];
		}
	}
	if (!validate(cfg, err, errlen))
		return CONFIG_ERROR;
	return CONFIG_OK;

fail:
	for (k = 0; k < NOPTIONS; k++)
	{
		for (i = 0; i < file_nitems[k]; i++)
			free(file_items[k][i]);
		free(file_items[k]);
	}
	return CONFIG_ERROR;
}

void
config_free(Config *cfg)
{
	int			i;

	for (i = 0; i < cfg->ndbnames; i++)
		free(cfg->dbnames[i]);
	free(cfg->dbnames);
	free(cfg->dashboard_url);
	free(cfg->server_name);
	free(cfg->api_key_file);
	free(cfg->api_key);
	free(cfg->output);
	free(cfg->spool_dir);
	free(cfg->ca_file);
	free(cfg->config_file);
	free(cfg->otlp_url);
	for (i = 0; i < cfg->notlp_headers; i++)
		free(cfg->otlp_headers[i]);
	free(cfg->otlp_headers);
	memset(cfg, 0, sizeof(*cfg));
	detect_config_defaults(&cfg->detect);
}
