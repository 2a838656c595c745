/* dashboard/repo.c — the repository database: connection pool, versioned schema migrations, retention and downsampling. */
#include "dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Schema versions, applied in order, each in its own transaction.  A
 * version is never edited once released: changes are new entries.
 */
static const struct
{
	int			version;
	const char *sql;
}			migrations[] =
{
	{
		1,
		"CREATE TABLE pgi.sources ("
		"  source_id serial PRIMARY KEY,"
		"  system_identifier text NOT NULL,"
		"  database text NOT NULL,"
		"  dbid oid,"
		"  host text,"
		"  version text,"
		"  extension_version text,"
		"  hist_bounds float8[] NOT NULL DEFAULT '{}',"
		"  first_seen timestamptz NOT NULL DEFAULT now(),"
		"  last_seen timestamptz NOT NULL DEFAULT now(),"
		"  UNIQUE (system_identifier, database));"
		"CREATE TABLE pgi.snapshots ("
		"  snapshot_id text PRIMARY KEY,"
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  received_at timestamptz NOT NULL DEFAULT now(),"
		"  interval_start timestamptz,"
		"  interval_end timestamptz,"
		"  sequence bigint,"
		"  collector_instance text,"
		"  collector_version text,"
		"  shapes int NOT NULL,"
		"  calls bigint NOT NULL);"
		"CREATE INDEX ON pgi.snapshots (received_at);"
		"CREATE TABLE pgi.shapes ("
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  shape_id bigint NOT NULL,"
		"  query text NOT NULL DEFAULT '',"
		"  command text,"
		"  tables text[] NOT NULL DEFAULT '{}',"
		"  model_action text,"
		"  first_seen timestamptz,"
		"  last_seen timestamptz,"
		"  PRIMARY KEY (source_id, shape_id));"
		"CREATE INDEX ON pgi.shapes USING gin (tables);"
		/* one row per source, bucket, width (10, 60, 600 s) and shape */
		"CREATE TABLE pgi.shape_stats ("
		"  source_id int NOT NULL,"
		"  bucket timestamptz NOT NULL,"
		"  width int NOT NULL,"
		"  shape_id bigint NOT NULL,"
		"  calls bigint NOT NULL,"
		"  total_ms float8 NOT NULL,"
		"  rows bigint NOT NULL,"
		"  reads bigint NOT NULL,"
		"  blks_read bigint NOT NULL,"
		"  max_ms float8,"
		"  last_seen timestamptz,"
		"  hist bigint[] NOT NULL DEFAULT '{}',"
		"  PRIMARY KEY (source_id, bucket, width, shape_id));"
		"CREATE INDEX ON pgi.shape_stats (source_id, shape_id, bucket);"
		"CREATE TABLE pgi.totals ("
		"  source_id int NOT NULL,"
		"  bucket timestamptz NOT NULL,"
		"  width int NOT NULL,"
		"  calls bigint NOT NULL,"
		"  total_ms float8 NOT NULL,"
		"  rows bigint NOT NULL,"
		"  reads bigint NOT NULL,"
		"  PRIMARY KEY (source_id, bucket, width));"
		"CREATE TABLE pgi.attributions ("
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  shape_id bigint NOT NULL,"
		"  tagset_id bigint NOT NULL,"
		"  tags jsonb NOT NULL DEFAULT '{}',"
		"  prisma_model text, prisma_action text, prisma_shape text,"
		"  route text, controller text, action text, framework text,"
		"  application text, db_driver text,"
		"  calls bigint NOT NULL, total_ms float8 NOT NULL,"
		"  rows bigint NOT NULL, reads bigint NOT NULL,"
		"  first_seen timestamptz, last_seen timestamptz,"
		"  PRIMARY KEY (source_id, shape_id, tagset_id));"
		"CREATE TABLE pgi.findings ("
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  kind text NOT NULL,"
		"  shape_id bigint NOT NULL,"
		"  finding_id text,"
		"  parent_shape_id bigint,"
		"  severity text, query text, parent_query text,"
		"  tables text[] NOT NULL DEFAULT '{}',"
		"  evidence jsonb NOT NULL DEFAULT '{}',"
		"  suggestion text, fix_sql text, expected_impact text, prompt text,"
		"  status text NOT NULL DEFAULT 'open',"
		"  first_seen timestamptz, last_seen timestamptz,"
		"  occurrences bigint NOT NULL DEFAULT 0,"
		"  PRIMARY KEY (source_id, kind, shape_id));"
		/* helpers: epoch microseconds, histogram arithmetic, tolerant jsonb */
		"CREATE FUNCTION pgi.us(bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS"
		"  $$SELECT CASE WHEN $1 > 0 THEN 'epoch'::timestamptz + $1 * interval '1 microsecond' END$$;"
		"CREATE FUNCTION pgi.hist_add(a bigint[], b bigint[]) RETURNS bigint[] LANGUAGE sql IMMUTABLE AS"
		"  $$SELECT coalesce(array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY o), '{}')"
		"    FROM unnest(a, b) WITH ORDINALITY AS u(x, y, o)$$;"
		"CREATE FUNCTION pgi.hist_quantile(h bigint[], bounds float8[], q float8) RETURNS float8"
		"  LANGUAGE plpgsql IMMUTABLE AS $$"
		"DECLARE total numeric := 0; acc numeric := 0; target numeric; lo float8; hi float8; i int;"
		"BEGIN"
		"  FOR i IN 1 .. coalesce(array_length(h, 1), 0) LOOP total := total + coalesce(h[i], 0); END LOOP;"
		"  IF total = 0 THEN RETURN NULL; END IF;"
		"  target := q * total;"
		"  FOR i IN 1 .. array_length(h, 1) LOOP"
		"    IF coalesce(h[i], 0) > 0 AND acc + h[i] >= target THEN"
		"      lo := CASE WHEN i = 1 THEN 0 ELSE bounds[i - 1] END;"
		"      hi := bounds[i];"
		"      IF hi IS NULL THEN RETURN lo; END IF;"
		"      RETURN lo + (hi - lo) * ((target - acc) / h[i]);"
		"    END IF;"
		"    acc := acc + coalesce(h[i], 0);"
		"  END LOOP;"
		"  RETURN NULL;"
		"END $$;"
		"CREATE FUNCTION pgi.safe_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$"
		"BEGIN"
		"  IF t IS NULL OR t = '' THEN RETURN '{}'; END IF;"
		"  RETURN t::jsonb;"
		"EXCEPTION WHEN others THEN RETURN jsonb_build_object('unparsed', t);"
		"END $$;"
	},
	{
		2,
		/* the collector's own counters (CollectorCounters), cumulative per collector instance */
		"ALTER TABLE pgi.snapshots"
		"  ADD COLUMN polls bigint, ADD COLUMN poll_failures bigint,"
		"  ADD COLUMN snapshots_dropped bigint, ADD COLUMN snapshots_sent bigint,"
		"  ADD COLUMN snapshots_rejected bigint, ADD COLUMN send_failures bigint,"
		"  ADD COLUMN spool_files bigint, ADD COLUMN spool_bytes bigint,"
		"  ADD COLUMN spool_write_failures bigint;"
		"CREATE INDEX ON pgi.snapshots (source_id, collector_instance, sequence);"
	},
	{
		3,
		/*
		 * Server identity: a streaming replica shares its primary's system
		 * identifier, so the instance (host:port as the collector reaches
		 * it) tells them apart; snapshots of older collectors carry none.
		 */
		"ALTER TABLE pgi.sources ADD COLUMN instance text NOT NULL DEFAULT '',"
		"  ADD COLUMN name text, ADD COLUMN role text;"
		"ALTER TABLE pgi.sources DROP CONSTRAINT sources_system_identifier_database_key;"
		"ALTER TABLE pgi.sources ADD UNIQUE (system_identifier, instance, database);"
	},
	{
		4,
		/* an unbound ingest key is bound to the first server it writes; one key per server */
		"CREATE TABLE pgi.key_claims ("
		"  server_name text PRIMARY KEY,"
		"  key_digest text NOT NULL UNIQUE,"
		"  claimed_at timestamptz NOT NULL DEFAULT now());"
	},
	{
		5,
		/* what each shape waits on (sampled) and how it fails, per hour */
		"CREATE TABLE pgi.shape_waits ("
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  bucket timestamptz NOT NULL,"
		"  shape_id bigint NOT NULL,"
		"  wait text NOT NULL,"
		"  samples bigint NOT NULL,"
		"  last_seen timestamptz,"
		"  PRIMARY KEY (source_id, bucket, shape_id, wait));"
		"CREATE TABLE pgi.shape_errors ("
		"  source_id int NOT NULL REFERENCES pgi.sources ON DELETE CASCADE,"
		"  bucket timestamptz NOT NULL,"
		"  shape_id bigint NOT NULL,"
		"  sqlstate text NOT NULL,"
		"  errors bigint NOT NULL,"
		"  last_seen timestamptz,"
		"  PRIMARY KEY (source_id, bucket, shape_id, sqlstate));"
	},
};

#define N_MIGRATIONS ((int) (sizeof(migrations) / sizeof(migrations[0])))

/* ---- connection pool ---- */

void
repo_dsn_for_log(const char *dsn, char *out, size_t outlen)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	PQconninfoOption *o;
	size_t		len = 0;

	if (opts == NULL)
	{
		snprintf(out, outlen, "(not a valid connection string)");
		return;
	}
	out[0] = '\0';
	for (o = opts; o->keyword != NULL; o++)
	{
		int			w;

		if (o->val == NULL || o->val[0] == '\0')
			continue;
		/* the password, and anything libpq itself would not show, is left out */
		if (strcmp(o->keyword, "password") == 0 || (o->dispchar && o->dispchar[0] == '*'))
			w = snprintf(out + len, outlen - len, "%s%s=***", len ? " " : "", o->keyword);
		else
			w = snprintf(out + len, outlen - len, "%s%s=%s", len ? " " : "", o->keyword, o->val);
		if (w < 0 || (size_t) w >= outlen - len)
			break;
		len += (size_t) w;
	}
	PQconninfoFree(opts);
}

static PGconn *
repo_connect(const char *dsn)
{
	PGconn	   *conn = PQconnectdb(dsn);
	PGresult   *res;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		log_error("repository: cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	res = PQexec(conn, "SET TimeZone = 'UTC'; SET application_name = 'pg_insights_dashboard'; "
				 "SET statement_timeout = '60s'");
	PQclear(res);
	return conn;
}

bool
repo_pool_init(RepoPool *pool, const char *dsn, int size)
{
	int			i;

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->freed, NULL);
	pool->dsn = xstrdup(dsn);
	pool->size = size;
	pool->conns = xcalloc((size_t) size, sizeof(PGconn *));
	pool->busy = xcalloc((size_t) size, sizeof(bool));
	for (i = 0; i < size; i++)
	{
		pool->conns[i] = repo_connect(dsn);
		if (pool->conns[i] == NULL)
			return false;
	}
	return true;
}

void
repo_pool_close(RepoPool *pool)
{
	int			i;

	for (i = 0; i < pool->size; i++)
		if (pool->conns[i])
			PQfinish(pool->conns[i]);
	free(pool->conns);
	free(pool->busy);
	free(pool->dsn);
	pool->conns = NULL;
	pool->busy = NULL;
	pool->dsn = NULL;
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->freed);
}

/* a connection for this request; NULL when the repository is unreachable */
PGconn *
repo_acquire(RepoPool *pool)
{
	int			i = 0;
	PGconn	   *conn;

	pthread_mutex_lock(&pool->lock);
	for (;;)
	{
		for (i = 0; i < pool->size; i++)
			if (!pool->busy[i])
				break;
		if (i < pool->size)
			break;
		pthread_cond_wait(&pool->freed, &pool->lock);
	}
	pool->busy[i] = true;
	pthread_mutex_unlock(&pool->lock);

	conn = pool->conns[i];
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
	{
		if (conn)
			PQfinish(conn);
		log_warn("repository: connection lost, reconnecting");
		conn = pool->conns[i] = repo_connect(pool->dsn);
		if (conn == NULL)
		{
			pthread_mutex_lock(&pool->lock);
			pool->busy[i] = false;
			pthread_cond_signal(&pool->freed);
			pthread_mutex_unlock(&pool->lock);
		}
	}
	return conn;
}

void
repo_release(RepoPool *pool, PGconn *conn)
{
	int			i;

	pthread_mutex_lock(&pool->lock);
	for (i = 0; i < pool->size; i++)
	{
		if (pool->conns[i] == conn)
		{
			pool->busy[i] = false;
			break;
		}
	}
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

/* ---- schema ---- */

static bool
exec_ok(PGconn *conn, const char *sql, const char *what)
{
	PGresult   *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool		ok = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);

	if (!ok)
		log_error("repository: %s: %s", what, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

int
repo_schema_version(PGconn *conn)
{
	PGresult   *res = repo_exec(conn, "SELECT coalesce(max(version), 0) FROM pgi.schema_version", 0, NULL);
	int			v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/*
 * Bring the repository to the newest schema version.  An advisory lock
 * keeps two dashboards starting at once from migrating concurrently.
 */
bool
repo_migrate(PGconn *conn)
{
	int			current;
	int			i;

	if (!exec_ok(conn, "BEGIN", "begin") ||
		!exec_ok(conn, "SELECT pg_advisory_xact_lock(8470001)", "lock") ||
		/* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
		 * exists: a role that owns only its schema pgi (made by an administrator) would fail */
		!exec_ok(conn, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = 'pgi')"
				 " THEN CREATE SCHEMA pgi; END IF; END$$", "create schema") ||
		!exec_ok(conn, "CREATE TABLE IF NOT EXISTS pgi.schema_version ("
				 " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
				 "create schema_version"))
	{
		exec_ok(conn, "ROLLBACK", "rollback");
		return false;
	}
	current = repo_schema_version(conn);
	if (current < 0)
	{
		exec_ok(conn, "ROLLBACK", "rollback");
		return false;
	}
	if (current > migrations[N_MIGRATIONS - 1].version)
	{
		log_error("repository: schema version %d is newer than this dashboard knows (%d); upgrade the dashboard",
				  current, migrations[N_MIGRATIONS - 1].version);
		exec_ok(conn, "ROLLBACK", "rollback");
		return false;
	}
	for (i = 0; i < N_MIGRATIONS; i++)
	{
		const char *params[1];
		char		vbuf[16];
		PGresult   *res;

		if (migrations[i].version <= current)
			continue;
		log_info("repository: migrating schema to version %d", migrations[i].version);
		if (!exec_ok(conn, migrations[i].sql, "migration"))
		{
			exec_ok(conn, "ROLLBACK", "rollback");
			return false;
		}
		snprintf(vbuf, sizeof(vbuf), "%d", migrations[i].version);
		params[0] = vbuf;
		res = repo_exec(conn, "INSERT INTO pgi.schema_version (version) VALUES ($1::int)",
						1, params);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			log_error("repository: recording schema version: %s", PQerrorMessage(conn));
			PQclear(res);
			exec_ok(conn, "ROLLBACK", "rollback");
			return false;
		}
		PQclear(res);
	}
	return exec_ok(conn, "COMMIT", "commit");
}

/* ---- retention and downsampling ---- */

/* the histogram sum of a group: array_remove(ARRAY[sum(hist[1])::bigint, ...], NULL) */
static void
hist_sum_expr(Buf *b)
{
	int			i;

	buf_puts(b, "array_remove(ARRAY[");
	for (i = 1; i <= DASH_HIST_MAX; i++)
		buf_printf(b, "%ssum(hist[%d])::bigint", i > 1 ? "," : "", i);
	buf_puts(b, "], NULL)");
}

/*
 * Move rows of width `from` older than the cutoff into buckets of width `to`.
 * The cutoff is aligned on `to`, so a coarse bucket is only ever built from
 * all of its fine buckets at once.
 */
#define CUTOFF "('epoch'::timestamptz + floor(extract(epoch FROM now() - $3::bigint * interval '1 second')" \
	" / $2::int) * $2::int * interval '1 second')"

static bool
rollup(PGconn *conn, int from, int to, int64_t older_than_s)
{
	Buf			sql;
	char		p1[32],
				p2[32],
				p3[32];
	const char *params[3] = {p1, p2, p3};
	PGresult   *res;
	bool		ok;

	snprintf(p1, sizeof(p1), "%d", from);
	snprintf(p2, sizeof(p2), "%d", to);
	snprintf(p3, sizeof(p3), "%lld", (long long) older_than_s);
	buf_init(&sql);
	buf_puts(&sql,
			 "WITH moved AS (DELETE FROM pgi.shape_stats WHERE width = $1::int AND bucket < " CUTOFF
			 " RETURNING *),"
			 " merged AS (INSERT INTO pgi.shape_stats AS s (source_id, bucket, width, shape_id, calls, total_ms,"
			 "  rows, reads, blks_read, max_ms, last_seen, hist)"
			 " SELECT source_id, 'epoch'::timestamptz + floor(extract(epoch FROM bucket) / $2::int) * $2::int"
			 "   * interval '1 second', $2::int, shape_id, sum(calls), sum(total_ms), sum(rows), sum(reads),"
			 "   sum(blks_read), max(max_ms), max(last_seen), ");
	hist_sum_expr(&sql);
	buf_puts(&sql,
			 " FROM moved GROUP BY 1, 2, 4"
			 " ON CONFLICT (source_id, bucket, width, shape_id) DO UPDATE SET"
			 "  calls = s.calls + excluded.calls, total_ms = s.total_ms + excluded.total_ms,"
			 "  rows = s.rows + excluded.rows, reads = s.reads + excluded.reads,"
			 "  blks_read = s.blks_read + excluded.blks_read,"
			 "  max_ms = greatest(s.max_ms, excluded.max_ms), last_seen = greatest(s.last_seen, excluded.last_seen),"
			 "  hist = pgi.hist_add(s.hist, excluded.hist) RETURNING 1),"
			 " tmoved AS (DELETE FROM pgi.totals WHERE width = $1::int AND bucket < " CUTOFF " RETURNING *)"
			 " INSERT INTO pgi.totals AS t (source_id, bucket, width, calls, total_ms, rows, reads)"
			 " SELECT source_id, 'epoch'::timestamptz + floor(extract(epoch FROM bucket) / $2::int) * $2::int"
			 "   * interval '1 second', $2::int, sum(calls), sum(total_ms), sum(rows), sum(reads)"
			 " FROM tmoved GROUP BY 1, 2"
			 " ON CONFLICT (source_id, bucket, width) DO UPDATE SET calls = t.calls + excluded.calls,"
			 "  total_ms = t.total_ms + excluded.total_ms, rows = t.rows + excluded.rows,"
			 "  reads = t.reads + excluded.reads");
	res = repo_exec(conn, sql.data, 3, params);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_error("repository: downsampling %ds -> %ds: %s", from, to, PQerrorMessage(conn));
	else if (atol(PQcmdTuples(res)) > 0)
		log_info("repository: downsampled old %ds buckets into %ds buckets", from, to);
	PQclear(res);
	buf_free(&sql);
	return ok;
}

/* downsample old buckets and drop what is past the retention; run from the main loop */
bool
repo_maintain(PGconn *conn, const DashOptions *opt)
{
	static const char *const tables[] = {"shape_stats", "totals", "snapshots", "attributions", "findings", "shapes",
	"shape_waits", "shape_errors"};
	static const char *const deletes[] = {
		"DELETE FROM pgi.shape_stats WHERE bucket < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.totals WHERE bucket < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.snapshots WHERE received_at < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.attributions WHERE last_seen < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.findings WHERE last_seen < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.shapes WHERE last_seen < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.shape_waits WHERE bucket < now() - $1::bigint * interval '1 second'",
		"DELETE FROM pgi.shape_errors WHERE bucket < now() - $1::bigint * interval '1 second'",
	};
	char		p1[32];
	const char *params[1] = {p1};
	bool		ok = true;
	size_t		i;

	if (!rollup(conn, DASH_BUCKET_SECONDS, 60, opt->rollup_1m_after_s))
		ok = false;
	if (!rollup(conn, 60, 600, opt->rollup_10m_after_s))
		ok = false;
	snprintf(p1, sizeof(p1), "%lld", (long long) opt->retention_s);
	for (i = 0; i < sizeof(deletes) / sizeof(deletes[0]); i++)
	{
		PGresult   *res = repo_exec(conn, deletes[i], 1, params);

		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			log_error("repository: retention: %s", PQerrorMessage(conn));
			ok = false;
		}
		else if (atol(PQcmdTuples(res)) > 0)
			log_info("repository: retention removed %s rows of pgi.%s", PQcmdTuples(res), tables[i]);
		PQclear(res);
	}
	return ok;
}
