/* input.c — libpq side: connect/reconnect to one database and read the extension's functions. */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "diff.h"

/* every statement of the collector starts with MARK and ends with TAG (sqlcommenter) */
#define MARK "/* pg_insights_collector */ "
#define TAG " /*application='" COLLECTOR_APPLICATION "'*/"
#define EPOCH_US(col) "(extract(epoch from " col ") * 1000000)::int8"
#define INCREMENTAL_MARGIN_US (5 * 1000000LL)

struct Source
{
	char	   *conninfo;
	PGconn	   *conn;
	int64_t		statement_timeout_ms;
	int			connect_timeout_s;
	bool		identified;
	char		sqlstate[6];	/* of the last failed statement */
	SourceIdentity id;
	char		name[160];
	char		server_name[64];	/* --server-name */
};

static const char *const Q_IDENTITY =
MARK "SELECT current_database(),"
" (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()),"
" current_setting('server_version'), current_setting('server_version_num')::int,"
" (SELECT system_identifier::text FROM pg_catalog.pg_control_system()),"
" " EPOCH_US("pg_postmaster_start_time()") ","
" (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_insights'),"
" left(current_setting('cluster_name'), 63), pg_catalog.pg_is_in_recovery()" TAG;

static const char *const Q_BOUNDS =
MARK "SELECT upper_ms FROM insights.histogram_bounds() ORDER BY bucket" TAG;

static const char *const Q_BEGIN =
MARK "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY" TAG;

static const char *const Q_COMMIT = MARK "COMMIT" TAG;

static const char *const Q_INFO =
MARK "SELECT max_shapes, shapes, evictions, max_tagsets, tagsets, tagsets_dropped,"
" tagset_evictions, texts_truncated, comments_rejected, tags_truncated, shape_cache_misses,"
" max_query_length, shmem_bytes, " EPOCH_US("stats_reset") ","
" " EPOCH_US("clock_timestamp()") ", " EPOCH_US("pg_postmaster_start_time()") ","
" event_ring_size, events_written, events_dropped, events_write_dropped,"
" wait_sample_rounds, waits_dropped, errors_dropped,"
" coalesce((SELECT setting::int FROM pg_settings WHERE name = 'pg_insights.wait_sample_interval'), 0)"
" FROM insights.info_raw()" TAG;

/* %u: the database's oid; the label is the key of a CountRow (COUNT_LABEL_LEN) */
static const char *const Q_WAITS =
MARK "SELECT userid, dbid, shape_id, left(concat_ws(':', wait_event_type, wait_event), 79), samples,"
" " EPOCH_US("last_sample_at")
" FROM insights.waits_raw() WHERE dbid = %u" TAG;

static const char *const Q_ERRORS =
MARK "SELECT userid, dbid, shape_id, toplevel, left(sqlstate, 79), errors, " EPOCH_US("last_error_at")
" FROM insights.errors_raw() WHERE dbid = %u" TAG;

/* %u: the database's oid (the store is cluster-wide; each source reads its own database) */
static const char *const Q_SHAPES =
MARK "SELECT userid, dbid, toplevel, shape_id, queryid, command, tables, calls, total_time,"
" min_time, max_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied,"
" shared_blks_written, local_blks_hit, local_blks_read, temp_blks_read, temp_blks_written,"
" blk_read_time, blk_write_time, wal_records, wal_fpi, wal_bytes, latency_histogram,"
" " EPOCH_US("first_seen") ", " EPOCH_US("last_seen") ","
/* counters a server may not keep (NULL): 0 in the snapshot */
" coalesce(local_blk_read_time, 0), coalesce(local_blk_write_time, 0), jit_functions,"
" jit_generation_time, jit_inlining_count, jit_inlining_time, jit_optimization_count,"
" jit_optimization_time, jit_emission_count, jit_emission_time, coalesce(jit_deform_count, 0),"
" coalesce(jit_deform_time, 0), coalesce(parallel_workers_to_launch, 0),"
" coalesce(parallel_workers_launched, 0), coalesce(wal_buffers_full, 0),"
" coalesce(generic_plan_calls, 0), coalesce(custom_plan_calls, 0)"
" FROM insights.queries_raw(false) WHERE dbid = %u%s" TAG;

/* rows of one key (toplevel twins) come together: the window keeps them whole */
static const char *const Q_ATTRS =
MARK "SELECT shape_id, userid, dbid, tagset_id,"
" (SELECT array_agg(key ORDER BY key) FROM jsonb_each_text(tags)),"
" (SELECT array_agg(value ORDER BY key) FROM jsonb_each_text(tags)),"
" prisma_model, prisma_action, prisma_shape::text, route, controller, action, framework,"
" application, db_driver, calls, total_time, rows, reads,"
" " EPOCH_US("first_seen") ", " EPOCH_US("last_seen") ", toplevel"
" FROM (SELECT *, max(last_seen) OVER (PARTITION BY shape_id, userid, tagset_id) AS key_last_seen"
" FROM insights.attribution_raw() WHERE dbid = %u) a WHERE true%s" TAG;

/* texts: all of them (%s empty) or those of the listed shape ids */
static const char *const Q_TEXTS =
MARK "SELECT DISTINCT ON (shape_id) shape_id, query, query_truncated"
" FROM insights.queries_raw(true) WHERE dbid = %u%s ORDER BY shape_id" TAG;

Source *
source_create(const char *conninfo, const Config *cfg)
{
	Source	   *src = xcalloc(1, sizeof(Source));
	PQconninfoOption *opts;
	const char *db = NULL,
			   *host = NULL;

	src->conninfo = xstrdup(conninfo);
	source_set_timeouts(src, cfg);
	snprintf(src->server_name, sizeof(src->server_name), "%s", cfg->server_name ? cfg->server_name : "");

	/* a readable name for the logs, without passwords */
	if (strchr(conninfo, '=') != NULL || strstr(conninfo, "://") != NULL)
	{
		PQconninfoOption *o;

		opts = PQconninfoParse(conninfo, NULL);
		for (o = opts; o != NULL && o->keyword != NULL; o++)
		{
			if (strcmp(o->keyword, "dbname") == 0 && o->val && o->val[0])
				db = o->val;
			if (strcmp(o->keyword, "host") == 0 && o->val && o->val[0])
				host = o->val;
		}
		snprintf(src->name, sizeof(src->name), "%s%s%s", db ? db : "(default database)",
				 host ? "@" : "", host ? host : "");
		PQconninfoFree(opts);
	}
	else
		snprintf(src->name, sizeof(src->name), "%s",
				 conninfo[0] ? conninfo : (getenv("PGDATABASE") ? getenv("PGDATABASE") : "(default database)"));
	return src;
}

void
source_set_timeouts(Source *src, const Config *cfg)
{
	src->statement_timeout_ms = cfg->statement_timeout_us / 1000;
	src->connect_timeout_s = (int) ((cfg->db_connect_timeout_us + 999999) / 1000000);
	if (src->connect_timeout_s < 2)
		src->connect_timeout_s = 2;		/* libpq's minimum */
}

void
source_disconnect(Source *src)
{
	if (src->conn != NULL)
		PQfinish(src->conn);
	src->conn = NULL;
}

void
source_free(Source *src)
{
	if (src == NULL)
		return;
	source_disconnect(src);
	free(src->conninfo);
	free(src);
}

const char *
source_name(const Source *src)
{
	return src->name;
}

bool
source_connected(const Source *src)
{
	return src->conn != NULL && PQstatus(src->conn) == CONNECTION_OK;
}

const SourceIdentity *
source_identity(const Source *src)
{
	return src->identified ? &src->id : NULL;
}

/* the first line of a libpq message, without the trailing newline */
static void
copy_message(char *err, size_t errlen, const char *prefix, const char *msg)
{
	size_t		n;

	snprintf(err, errlen, "%s%s", prefix, msg ? msg : "");
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

static void
result_error(Source *src, PGresult *res, char *err, size_t errlen, const char *what)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	char		conn_msg[512];

	snprintf(src->sqlstate, sizeof(src->sqlstate), "%s", state ? state : "");

	if (msg == NULL)
	{
		/* no server message: the connection's own (lost connection, ...) */
		copy_message(conn_msg, sizeof(conn_msg), "",
					 src->conn ? PQerrorMessage(src->conn) : "connection lost");
		msg = conn_msg[0] ? conn_msg : "unknown error";
	}
	snprintf(err, errlen, "%s: %s%s%s", what, msg, hint ? " (hint: " : "", hint ? hint : "");
	if (hint)
		strncat(err, ")", errlen - strlen(err) - 1);
}

/* is the failure one of a lost connection (retry later) rather than of the statement? */
static InputStatus
failure_kind(Source *src, PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(src->conn) != CONNECTION_OK ||
		(state != NULL && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)))
	{
		source_disconnect(src);
		return INPUT_UNREACHABLE;
	}
	return INPUT_FAILED;
}

static int64_t
ival(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static double
dval(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtod(PQgetvalue(res, row, col), NULL);
}

static const char *
sval(Arena *a, PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return arena_strdup(a, PQgetvalue(res, row, col));
}

static void
copy_field(char *dst, size_t n, PGresult *res, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

static InputStatus
identify(Source *src, char *err, size_t errlen)
{
	PGresult   *res = PQexec(src->conn, Q_IDENTITY);
	SourceIdentity *id = &src->id;
	int			i;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		InputStatus st;

		result_error(src, res, err, errlen, "reading the server identity");
		st = failure_kind(src, res);
		PQclear(res);
		return st == INPUT_UNREACHABLE ? st : INPUT_UNUSABLE;
	}
	memset(id, 0, sizeof(*id));
	copy_field(id->database, sizeof(id->database), res, 0);
	id->dbid = (uint32_t) ival(res, 0, 1);
	copy_field(id->version, sizeof(id->version), res, 2);
	id->version_num = (int) ival(res, 0, 3);
	copy_field(id->system_identifier, sizeof(id->system_identifier), res, 4);
	id->postmaster_start_us = ival(res, 0, 5);
	copy_field(id->extension_version, sizeof(id->extension_version), res, 6);
	snprintf(id->host, sizeof(id->host), "%s", PQhost(src->conn) ? PQhost(src->conn) : "");
	snprintf(id->port, sizeof(id->port), "%s", PQport(src->conn) ? PQport(src->conn) : "");
	/* a socket directory names no machine: "local:5432" */
	snprintf(id->instance, sizeof(id->instance), "%s:%s",
			 id->host[0] == '/' || id->host[0] == '\0' ? "local" : id->host, id->port);
	if (src->server_name[0] != '\0')
		snprintf(id->name, sizeof(id->name), "%s", src->server_name);
	else
		copy_field(id->name, sizeof(id->name), res, 7);
	if (id->name[0] == '\0')
		snprintf(id->name, sizeof(id->name), "%s", id->instance);
	snprintf(id->role, sizeof(id->role), "%s",
			 strcmp(PQgetvalue(res, 0, 8), "t") == 0 ? "standby" : "primary");
	PQclear(res);
	if (id->extension_version[0] == '\0')
	{
		snprintf(err, errlen,
				 "the pg_insights extension is not installed in database \"%s\": run "
				 "CREATE EXTENSION pg_insights; in that database (the server must also have "
				 "pg_insights in shared_preload_libraries, which needs a restart)", id->database);
		return INPUT_UNUSABLE;
	}

	res = PQexec(src->conn, Q_BOUNDS);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		InputStatus st;

		result_error(src, res, err, errlen, "reading insights.histogram_bounds()");
		st = failure_kind(src, res);
		PQclear(res);
		return st == INPUT_UNREACHABLE ? st : INPUT_UNUSABLE;
	}
	if (PQntuples(res) < 1 || PQntuples(res) > MAX_HIST)
	{
		snprintf(err, errlen, "insights.histogram_bounds() has %d buckets; this collector handles 1..%d",
				 PQntuples(res), MAX_HIST);
		PQclear(res);
		return INPUT_UNUSABLE;
	}
	id->nhist = PQntuples(res);
	for (i = 0; i < id->nhist - 1; i++)
		id->bounds[i] = dval(res, i, 0);
	PQclear(res);
	src->identified = true;
	return INPUT_OK;
}

InputStatus
source_connect(Source *src, char *err, size_t errlen)
{
	const char *keys[] = {"connect_timeout", "dbname", "application_name", NULL};
	const char *vals[4];
	char		timeout[16];
	InputStatus st;

	if (source_connected(src))
		return INPUT_OK;
	source_disconnect(src);
	snprintf(timeout, sizeof(timeout), "%d", src->connect_timeout_s);
	vals[0] = timeout;
	vals[1] = src->conninfo;
	vals[2] = COLLECTOR_APPLICATION;	/* after dbname: wins over the conninfo's */
	vals[3] = NULL;
	src->conn = PQconnectdbParams(keys, vals, 1);
	if (src->conn == NULL)
	{
		snprintf(err, errlen, "out of memory connecting");
		return INPUT_UNREACHABLE;
	}
	if (PQstatus(src->conn) != CONNECTION_OK)
	{
		/* a server that answers but refuses us will not change its mind by itself */
		PGPing		ping = PQpingParams(keys, vals, 1);

		copy_message(err, errlen, "cannot connect: ", PQerrorMessage(src->conn));
		source_disconnect(src);
		return ping == PQPING_NO_RESPONSE || ping == PQPING_REJECT ? INPUT_UNREACHABLE : INPUT_UNUSABLE;
	}
	st = identify(src, err, errlen);
	if (st != INPUT_OK)
		source_disconnect(src);
	return st;
}

static bool
run_command(Source *src, const char *sql, InputStatus *st, char *err, size_t errlen, const char *what)
{
	PGresult   *res = PQexec(src->conn, sql);

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		return true;
	}
	result_error(src, res, err, errlen, what);
	*st = failure_kind(src, res);
	PQclear(res);
	return false;
}

static PGresult *
run_query(Source *src, const char *sql, InputStatus *st, char *err, size_t errlen, const char *what)
{
	PGresult   *res = PQexec(src->conn, sql);

	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	result_error(src, res, err, errlen, what);
	*st = failure_kind(src, res);
	PQclear(res);
	return NULL;
}

static void
parse_info(Reading *r, PGresult *res)
{
	InfoRow    *i = &r->info;

	i->max_shapes = ival(res, 0, 0);
	i->shapes = ival(res, 0, 1);
	i->evictions = ival(res, 0, 2);
	i->max_tagsets = ival(res, 0, 3);
	i->tagsets = ival(res, 0, 4);
	i->tagsets_dropped = ival(res, 0, 5);
	i->tagset_evictions = ival(res, 0, 6);
	i->texts_truncated = ival(res, 0, 7);
	i->comments_rejected = ival(res, 0, 8);
	i->tags_truncated = ival(res, 0, 9);
	i->shape_cache_misses = ival(res, 0, 10);
	i->max_query_length = (int32_t) ival(res, 0, 11);
	i->shmem_bytes = ival(res, 0, 12);
	i->stats_reset_us = ival(res, 0, 13);
	r->taken_us = ival(res, 0, 14);
	r->postmaster_start_us = ival(res, 0, 15);
	i->event_ring_size = (int32_t) ival(res, 0, 16);
	i->events_written = ival(res, 0, 17);
	i->events_dropped = ival(res, 0, 18);
	i->events_write_dropped = ival(res, 0, 19);
	i->wait_sample_rounds = ival(res, 0, 20);
	i->waits_dropped = ival(res, 0, 21);
	i->errors_dropped = ival(res, 0, 22);
	i->wait_sample_interval_ms = (int32_t) ival(res, 0, 23);
}

/* rows of Q_WAITS (errors false) or Q_ERRORS (errors true) */
static CountRow *
parse_counts(PGresult *res, bool errors, int *n)
{
	CountRow   *rows;
	int			i;

	*n = PQntuples(res);
	rows = xcalloc((size_t) *n + 1, sizeof(CountRow));
	for (i = 0; i < *n; i++)
	{
		CountRow   *c = &rows[i];
		int			col = 3;

		c->key.userid = (uint32_t) ival(res, i, 0);
		c->key.dbid = (uint32_t) ival(res, i, 1);
		c->key.shape_id = ival(res, i, 2);
		if (errors)
			c->key.toplevel = PQgetvalue(res, i, col++)[0] == 't';
		snprintf(c->key.label, sizeof(c->key.label), "%s", PQgetvalue(res, i, col++));
		c->count = ival(res, i, col++);
		c->last_us = ival(res, i, col);
	}
	return rows;
}

static bool
parse_shapes(Reading *r, PGresult *res, char *err, size_t errlen)
{
	int			n = PQntuples(res);
	int			i;

	r->shapes = xcalloc((size_t) n + 1, sizeof(ShapeRow));
	for (i = 0; i < n; i++)
	{
		ShapeRow   *s = &r->shapes[i];
		int			nh;
		int			c = 7;

		s->key.userid = (uint32_t) ival(res, i, 0);
		s->key.dbid = (uint32_t) ival(res, i, 1);
		s->key.toplevel = PQgetvalue(res, i, 2)[0] == 't';
		s->key.shape_id = ival(res, i, 3);
		s->queryid = ival(res, i, 4);
		s->command = sval(r->arena, res, i, 5);
		s->ntables = PQgetisnull(res, i, 6) ? 0 : pgarray_parse(r->arena, PQgetvalue(res, i, 6), &s->tables);
		if (s->ntables < 0)
			s->ntables = 0;
		s->c[SC_CALLS] = ival(res, i, c++);
		s->t[ST_TOTAL] = dval(res, i, c++);
		s->min_time = dval(res, i, c++);
		s->max_time = dval(res, i, c++);
		s->c[SC_ROWS] = ival(res, i, c++);
		s->c[SC_SHARED_HIT] = ival(res, i, c++);
		s->c[SC_SHARED_READ] = ival(res, i, c++);
		s->c[SC_SHARED_DIRTIED] = ival(res, i, c++);
		s->c[SC_SHARED_WRITTEN] = ival(res, i, c++);
		s->c[SC_LOCAL_HIT] = ival(res, i, c++);
		s->c[SC_LOCAL_READ] = ival(res, i, c++);
		s->c[SC_TEMP_READ] = ival(res, i, c++);
		s->c[SC_TEMP_WRITTEN] = ival(res, i, c++);
		s->t[ST_BLK_READ] = dval(res, i, c++);
		s->t[ST_BLK_WRITE] = dval(res, i, c++);
		s->c[SC_WAL_RECORDS] = ival(res, i, c++);
		s->c[SC_WAL_FPI] = ival(res, i, c++);
		s->c[SC_WAL_BYTES] = (int64_t) strtoull(PQgetvalue(res, i, c++), NULL, 10);
		nh = PQgetisnull(res, i, c) ? 0 : pgarray_parse_int64(PQgetvalue(res, i, c), s->hist, MAX_HIST);
		c++;
		if (nh != r->nhist)
		{
			snprintf(err, errlen, "shape %lld has %d histogram buckets, histogram_bounds() said %d",
					 (long long) s->key.shape_id, nh, r->nhist);
			r->nshapes = i;
			return false;
		}
		s->first_seen_us = ival(res, i, c++);
		s->last_seen_us = ival(res, i, c++);
		s->t[ST_LOCAL_READ] = dval(res, i, c++);
		s->t[ST_LOCAL_WRITE] = dval(res, i, c++);
		s->c[SC_JIT_FUNCTIONS] = ival(res, i, c++);
		s->t[ST_JIT_GENERATION] = dval(res, i, c++);
		s->c[SC_JIT_INLINING] = ival(res, i, c++);
		s->t[ST_JIT_INLINING] = dval(res, i, c++);
		s->c[SC_JIT_OPTIMIZATION] = ival(res, i, c++);
		s->t[ST_JIT_OPTIMIZATION] = dval(res, i, c++);
		s->c[SC_JIT_EMISSION] = ival(res, i, c++);
		s->t[ST_JIT_EMISSION] = dval(res, i, c++);
		s->c[SC_JIT_DEFORM] = ival(res, i, c++);
		s->t[ST_JIT_DEFORM] = dval(res, i, c++);
		s->c[SC_WORKERS_PLANNED] = ival(res, i, c++);
		s->c[SC_WORKERS_LAUNCHED] = ival(res, i, c++);
		s->c[SC_WAL_BUFFERS_FULL] = ival(res, i, c++);
		s->c[SC_GENERIC_PLANS] = ival(res, i, c++);
		s->c[SC_CUSTOM_PLANS] = ival(res, i, c++);
	}
	r->nshapes = n;
	return true;
}

static void
parse_attrs(Reading *r, PGresult *res)
{
	int			n = PQntuples(res);
	int			i;

	r->attrs = xcalloc((size_t) n + 1, sizeof(AttrRow));
	for (i = 0; i < n; i++)
	{
		AttrRow    *a = &r->attrs[i];
		int			nk = 0,
					nv = 0;

		a->key.shape_id = ival(res, i, 0);
		a->key.userid = (uint32_t) ival(res, i, 1);
		a->key.dbid = (uint32_t) ival(res, i, 2);
		a->key.tagset_id = ival(res, i, 3);
		if (!PQgetisnull(res, i, 4))
			nk = pgarray_parse(r->arena, PQgetvalue(res, i, 4), &a->tag_keys);
		if (!PQgetisnull(res, i, 5))
			nv = pgarray_parse(r->arena, PQgetvalue(res, i, 5), &a->tag_values);
		a->ntags = (nk > 0 && nk == nv) ? nk : 0;
		a->prisma_model = sval(r->arena, res, i, 6);
		a->prisma_action = sval(r->arena, res, i, 7);
		a->prisma_shape = sval(r->arena, res, i, 8);
		a->route = sval(r->arena, res, i, 9);
		a->controller = sval(r->arena, res, i, 10);
		a->action = sval(r->arena, res, i, 11);
		a->framework = sval(r->arena, res, i, 12);
		a->application = sval(r->arena, res, i, 13);
		a->db_driver = sval(r->arena, res, i, 14);
		a->calls = ival(res, i, 15);
		a->total_time = dval(res, i, 16);
		a->rows = ival(res, i, 17);
		a->reads = ival(res, i, 18);
		a->first_seen_us = ival(res, i, 19);
		a->last_seen_us = ival(res, i, 20);
		a->key.toplevel = PQgetvalue(res, i, 21)[0] == 't';
	}
	r->nattrs = n;
}

/* Fetch the texts of shapes the cache does not know; all of them when most are new. */
static bool
fetch_texts(Source *src, Reading *r, TextCache *tc, InputStatus *st, char *err, size_t errlen)
{
	size_t		cap = 64,
				len = 0;
	char	   *list = xmalloc(cap);
	int			missing = 0,
				i;
	char	   *sql;
	PGresult   *res;

	list[0] = '\0';
	for (i = 0; i < r->nshapes; i++)
	{
		char		num[32];
		int			nl;

		if (textcache_get(tc, r->shapes[i].key.shape_id, NULL) != NULL)
			continue;
		nl = snprintf(num, sizeof(num), "%s%lld", missing ? "," : "",
					  (long long) r->shapes[i].key.shape_id);
		if (len + (size_t) nl + 1 > cap)
		{
			cap = cap * 2 + (size_t) nl;
			list = xrealloc(list, cap);
		}
		memcpy(list + len, num, (size_t) nl + 1);
		len += (size_t) nl;
		missing++;
	}
	if (missing > 0)
	{
		size_t		sz = strlen(Q_TEXTS) + len + 64;

		sql = xmalloc(sz);
		if (missing * 2 > r->nshapes)
			snprintf(sql, sz, Q_TEXTS, src->id.dbid, "");
		else
		{
			char	   *cond = xmalloc(len + 40);

			snprintf(cond, len + 40, " AND shape_id = ANY ('{%s}'::bigint[])", list);
			snprintf(sql, sz, Q_TEXTS, src->id.dbid, cond);
			free(cond);
		}
		res = run_query(src, sql, st, err, errlen, "reading statement texts");
		free(sql);
		if (res == NULL)
		{
			free(list);
			return false;
		}
		for (i = 0; i < PQntuples(res); i++)
			textcache_put(tc, ival(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2)[0] == 't');
		PQclear(res);
	}
	free(list);
	for (i = 0; i < r->nshapes; i++)
		r->shapes[i].text = textcache_get(tc, r->shapes[i].key.shape_id, &r->shapes[i].text_truncated);
	return true;
}

InputStatus
source_read(Source *src, TextCache *tc, const Reading *prev, Reading **out, char *err, size_t errlen)
{
	InputStatus st = INPUT_OK;
	Reading    *r;
	PGresult   *res;
	char		sql[2048];
	char		since[128];
	bool		incremental;
	bool		attrs_incremental;

	*out = NULL;
	if (!source_connected(src))
	{
		snprintf(err, errlen, "not connected");
		return INPUT_UNREACHABLE;
	}
	r = reading_create();
	r->nhist = src->id.nhist;
	if (!run_command(src, Q_BEGIN, &st, err, errlen, "BEGIN"))
		goto fail;
	/*
	 * Not LOCAL: the value stays for the session once the reading commits, so
	 * the detection's statements after it (reads, EXPLAIN, the writes to
	 * insights.findings, which a lock can block) are bounded by it too.
	 */
	snprintf(sql, sizeof(sql), MARK "SET statement_timeout = %lld" TAG,
			 (long long) src->statement_timeout_ms);
	if (!run_command(src, sql, &st, err, errlen, "SET statement_timeout"))
		goto fail;

	if ((res = run_query(src, Q_INFO, &st, err, errlen, "reading insights.info_raw()")) == NULL)
		goto fail;
	parse_info(r, res);
	PQclear(res);

	/*
	 * Entries not used since the previous reading have not changed: read only
	 * the others (with a margin for a statement that took its timestamp before
	 * that reading but stored its counters after), and take the rest from
	 * prev.  Not when an entry may have gone: eviction, reset, restart.
	 */
	incremental = prev != NULL && prev->nhist == r->nhist &&
		prev->info.stats_reset_us == r->info.stats_reset_us &&
		prev->info.evictions == r->info.evictions &&
		prev->postmaster_start_us == r->postmaster_start_us;
	attrs_incremental = incremental && prev->info.tagset_evictions == r->info.tagset_evictions;
	since[0] = '\0';
	if (incremental)
		snprintf(since, sizeof(since), " AND last_seen >= to_timestamp(%.6f)",
				 (double) (prev->taken_us - INCREMENTAL_MARGIN_US) / 1e6);

	snprintf(sql, sizeof(sql), Q_SHAPES, src->id.dbid, since);
	if ((res = run_query(src, sql, &st, err, errlen, "reading insights.queries_raw()")) == NULL)
		goto fail;
	if (!parse_shapes(r, res, err, errlen))
	{
		PQclear(res);
		st = INPUT_FAILED;
		goto fail;
	}
	PQclear(res);

	if (attrs_incremental)
		snprintf(since, sizeof(since), " AND key_last_seen >= to_timestamp(%.6f)",
				 (double) (prev->taken_us - INCREMENTAL_MARGIN_US) / 1e6);
	else
		since[0] = '\0';
	snprintf(sql, sizeof(sql), Q_ATTRS, src->id.dbid, since);
	if ((res = run_query(src, sql, &st, err, errlen, "reading insights.attribution_raw()")) == NULL)
		goto fail;
	parse_attrs(r, res);
	PQclear(res);
	if (incremental)
		reading_carry_over(r, prev, true, attrs_incremental);

	snprintf(sql, sizeof(sql), Q_WAITS, src->id.dbid);
	if ((res = run_query(src, sql, &st, err, errlen, "reading insights.waits_raw()")) == NULL)
		goto fail;
	r->waits = parse_counts(res, false, &r->nwaits);
	PQclear(res);
	snprintf(sql, sizeof(sql), Q_ERRORS, src->id.dbid);
	if ((res = run_query(src, sql, &st, err, errlen, "reading insights.errors_raw()")) == NULL)
		goto fail;
	r->errors = parse_counts(res, true, &r->nerrors);
	PQclear(res);

	if (!fetch_texts(src, r, tc, &st, err, errlen))
		goto fail;
	if (!run_command(src, Q_COMMIT, &st, err, errlen, "COMMIT"))
		goto fail;
	textcache_prune(tc, r);
	*out = r;
	return INPUT_OK;

fail:
	if (src->conn != NULL && PQtransactionStatus(src->conn) != PQTRANS_IDLE)
		PQclear(PQexec(src->conn, MARK "ROLLBACK" TAG));
	reading_free(r);

	/*
	 * undefined_function / invalid_schema_name: the extension was dropped
	 * under us (DROP EXTENSION pg_insights).  Say what to do; the next polls
	 * retry and resume once it is created again.
	 */
	if (st == INPUT_FAILED &&
		(strcmp(src->sqlstate, "42883") == 0 || strcmp(src->sqlstate, "3F000") == 0))
		snprintf(err, errlen,
				 "the pg_insights extension is gone from database \"%s\" (dropped?): run "
				 "CREATE EXTENSION pg_insights; in that database; retrying every poll",
				 src->id.database);
	return st;
}

struct pg_conn *
source_conn(Source *src)
{
	return src->conn;
}
