/* dashboard/api.c — the page's JSON endpoints under /api/: servers, time series, query list and detail, findings, tables. */
#include "dashboard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX_LIMIT 500
#define QUICK_REPEATED_CALLS 100		/* "repeated": at least this many executions in the range */
#define QUICK_HIGH_READS_PER_CALL 100	/* "high reads": at least this many blocks per execution */
#define QUICK_RECENT_SECONDS 300		/* "recent": seen in the last 5 minutes of the range */
/*
 * pg_insights' own statements on the monitored server, hidden from the list
 * and the table filter unless own=1: anything on the insights schema (the
 * demo's and a user's report queries), the extension's own DDL and function
 * calls, and bare transaction control (BEGIN, COMMIT, ROLLBACK), which is no
 * query to optimize.  The collector's statements never reach the store.
 */
#define OWN_SHAPE_SQL \
	"(EXISTS (SELECT 1 FROM unnest(s.tables) ot WHERE ot LIKE 'insights.%')" \
	" OR s.query ~* '^\\s*(begin|start\\s+transaction|commit|end|rollback|abort)\\M[a-z ,]*;?\\s*$'" \
	" OR (coalesce(cardinality(s.tables), 0) = 0 AND s.query ~*" \
	"  '(\\m(create|drop|alter)\\s+extension\\s+(if\\s+(not\\s+)?exists\\s+)?\"?pg_insights\\M|\\minsights\\.[a-z_]+\\s*\\()'))"
#define FINE_READS_PER_CALL 100			/* below these a shape without findings "looks fine" */
#define FINE_AVG_MS 50

typedef struct Ctx
{
	const ApiRequest *req;
	PGconn	   *conn;
	Buf		   *out;
	char		source[16];			/* pgi.sources.source_id */
	char		from_us[24];
	char		to_us[24];
	long long	from_ms;
	long long	to_ms;
} Ctx;

static const char *
arg(const Ctx *c, const char *name)
{
	const char *v = c->req->arg(c->req->arg_cls, name);

	return (v && *v) ? v : NULL;
}

static bool
parse_ll(const char *s, long long *v)
{
	char	   *end;

	if (s == NULL || !(isdigit((unsigned char) *s) || *s == '-'))
		return false;
	*v = strtoll(s, &end, 10);
	return *end == '\0';
}

static int
error(Ctx *c, int status, const char *msg)
{
	c->out->len = 0;
	buf_puts(c->out, "{\"error\":");
	json_str(c->out, msg);
	buf_putc(c->out, '}');
	return status;
}

static PGresult *
query(Ctx *c, const char *sql, int n, const char *const *params)
{
	PGresult   *res = repo_exec(c->conn, sql, n, params);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		log_error("api: %s", PQerrorMessage(c->conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * JSON text produced by PostgreSQL (to_json, jsonb): valid JSON, so '<',
 * '>', '&' and '\'' can only occur inside strings, where \u escapes mean the
 * same; escaping them keeps every response free of markup characters.
 */
static void
json_raw_safe(Buf *b, const char *s)
{
	if (s == NULL || *s == '\0')
	{
		buf_puts(b, "null");
		return;
	}
	for (; *s; s++)
	{
		if (*s == '<' || *s == '>' || *s == '&' || *s == '\'')
			buf_printf(b, "\\u%04x", (unsigned char) *s);
		else
			buf_putc(b, *s);
	}
}

/*
 * Row r of res as a JSON object.  types has one letter per column:
 * s string, n number, j JSON text, b boolean; a NULL value is null.
 */
static void
emit_row(Buf *b, PGresult *res, int r, const char *types, int skip)
{
	int			i;
	bool		first = true;

	buf_putc(b, '{');
	for (i = skip; i < PQnfields(res) && types[i - skip]; i++)
	{
		json_key(b, &first, PQfname(res, i));
		if (PQgetisnull(res, r, i))
			buf_puts(b, "null");
		else if (types[i - skip] == 's')
			json_strn(b, PQgetvalue(res, r, i), (size_t) PQgetlength(res, r, i));
		else if (types[i - skip] == 'n')
			json_pg_num(b, PQgetvalue(res, r, i));
		else if (types[i - skip] == 'j')
			json_raw_safe(b, PQgetvalue(res, r, i));
		else
			buf_puts(b, PQgetvalue(res, r, i)[0] == 't' ? "true" : "false");
	}
	buf_putc(b, '}');
}

static void
emit_rows(Buf *b, PGresult *res, const char *types, int skip)
{
	int			r;

	buf_putc(b, '[');
	for (r = 0; r < PQntuples(res); r++)
	{
		if (r)
			buf_putc(b, ',');
		emit_row(b, res, r, types, skip);
	}
	buf_putc(b, ']');
}

/*
 * source= (an id from /api/servers), or server= (system identifier) and db=
 * (name), to a source id; the newest matching source when ambiguous
 */
static int
resolve_source(Ctx *c)
{
	const char *server = arg(c, "server");
	const char *db = arg(c, "db");
	const char *source = arg(c, "source");
	long long	id;
	PGresult   *res;
	long long	from,
				to;

	if (source && (!parse_ll(source, &id) || id <= 0 || id > 2147483647))
		return error(c, 400, "source: a source id from /api/servers expected");
	res = query(c, "SELECT source_id FROM pgi.sources"
				" WHERE ($1::text IS NULL OR system_identifier = $1) AND ($2::text IS NULL OR database = $2)"
				"  AND ($3::int IS NULL OR source_id = $3::int)"
				" ORDER BY last_seen DESC LIMIT 1", 3, (const char *const[]) {server, db, source});
	if (res == NULL)
		return error(c, 503, "repository query failed");
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		return error(c, 404, "unknown server/database");
	}
	snprintf(c->source, sizeof(c->source), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	to = now_us() / 1000;
	from = to - 3600 * 1000LL;
	if (arg(c, "to") && !parse_ll(arg(c, "to"), &to))
		return error(c, 400, "to: epoch milliseconds expected");
	if (arg(c, "from") && !parse_ll(arg(c, "from"), &from))
		return error(c, 400, "from: epoch milliseconds expected");
	if (from >= to || from < 0 || to > 32503680000000LL)
		return error(c, 400, "from must be before to (epoch milliseconds)");
	c->from_ms = from;
	c->to_ms = to;
	snprintf(c->from_us, sizeof(c->from_us), "%lld", from * 1000);
	snprintf(c->to_us, sizeof(c->to_us), "%lld", to * 1000);
	return 0;
}

static int
api_servers(Ctx *c)
{
	PGresult   *res = query(c,
							"SELECT system_identifier AS server, database AS db, host, version,"
							" extension_version, (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen,"
							" (SELECT count(*) FROM pgi.shapes sh WHERE sh.source_id = s.source_id) AS shapes,"
							/* the collector's counters: its latest snapshot, and drops summed over its runs */
							" (SELECT json_build_object('instance', l.collector_instance, 'version', l.collector_version,"
							"   'last_received', (extract(epoch FROM l.received_at) * 1000)::bigint,"
							"   'sequence', l.sequence, 'polls', l.polls, 'poll_failures', l.poll_failures,"
							"   'spool_files', l.spool_files, 'spool_bytes', l.spool_bytes,"
							"   'send_failures', l.send_failures, 'snapshots_rejected', l.snapshots_rejected,"
							"   'snapshots_dropped', l.snapshots_dropped, 'spool_write_failures', l.spool_write_failures,"
							"   'snapshots_dropped_total', t.dropped, 'spool_write_failures_total', t.write_failures)"
							"  FROM (SELECT * FROM pgi.snapshots n WHERE n.source_id = s.source_id"
							"        ORDER BY received_at DESC, sequence DESC LIMIT 1) l,"
							"   (SELECT coalesce(sum(d), 0) AS dropped, coalesce(sum(w), 0) AS write_failures"
							"     FROM (SELECT max(snapshots_dropped) AS d, max(spool_write_failures) AS w"
							"           FROM pgi.snapshots n WHERE n.source_id = s.source_id"
							"           GROUP BY collector_instance) i) t) AS collector,"
							/* the span the buckets cover, so the page opens on a range that fits the data */
							" (SELECT (extract(epoch FROM min(bucket)) * 1000)::bigint FROM pgi.totals x"
							"   WHERE x.source_id = s.source_id) AS data_from,"
							" (SELECT (extract(epoch FROM max(bucket + width * interval '1 second')) * 1000)::bigint"
							"   FROM pgi.totals x WHERE x.source_id = s.source_id) AS data_to,"
							" source_id AS source, coalesce(name, nullif(instance, ''), host) AS name, instance, role"
							" FROM pgi.sources s ORDER BY 12, system_identifier, instance, database", 0, NULL);

	if (res == NULL)
		return error(c, 503, "repository query failed");
	buf_puts(c->out, "{\"servers\":");
	emit_rows(c->out, res, "sssssnnjnnnsss", 0);
	buf_putc(c->out, '}');
	PQclear(res);
	return 200;
}

/* columns of a series: t (ms), width (s), calls, qps, avg_ms; one array each */
static void
emit_series(Buf *b, PGresult *res)
{
	static const char *const names[] = {"t", "width", "calls", "qps", "avg_ms"};
	int			col,
				r;

	buf_putc(b, '{');
	for (col = 0; col < 5; col++)
	{
		buf_printf(b, "%s\"%s\":[", col ? "," : "", names[col]);
		for (r = 0; r < PQntuples(res); r++)
		{
			if (r)
				buf_putc(b, ',');
			json_pg_num(b, PQgetisnull(res, r, col) ? NULL : PQgetvalue(res, r, col));
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

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
 * The range's totals for the page's tiles: executions, time and reads from
 * pgi.totals (the charts' source), the exact maximum and the p95 from the
 * shapes' histograms.  The p95 is interpolated inside a histogram bucket, so
 * it is capped at the exact maximum it cannot exceed.
 */
static PGresult *
query_summary(Ctx *c)
{
	Buf			sql;
	PGresult   *res;

	buf_init(&sql);
	buf_puts(&sql, "SELECT t.calls, t.total_ms, t.total_ms / nullif(t.calls, 0) AS avg_ms, t.reads, t.rows,"
			 " h.max_ms, least(pgi.hist_quantile(h.h, (SELECT hist_bounds FROM pgi.sources WHERE source_id = $1::int),"
			 "  0.95), h.max_ms) AS p95_ms"
			 " FROM (SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_ms), 0) AS total_ms,"
			 "  coalesce(sum(reads), 0)::bigint AS reads, coalesce(sum(rows), 0)::bigint AS rows FROM pgi.totals"
			 "  WHERE source_id = $1::int AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint)) t,"
			 " (SELECT max(max_ms) AS max_ms, ");
	hist_sum_expr(&sql);
	buf_puts(&sql, " AS h FROM pgi.shape_stats"
			 "  WHERE source_id = $1::int AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint)) h");
	res = query(c, sql.data, 3, (const char *const[]) {c->source, c->from_us, c->to_us});
	buf_free(&sql);
	return res;
}

static int
api_timeseries(Ctx *c)
{
	int			rc = resolve_source(c);
	PGresult   *res,
			   *sum;

	if (rc)
		return rc;
	sum = query_summary(c);
	if (sum == NULL)
		return error(c, 503, "repository query failed");
	res = query(c,
				"SELECT (extract(epoch FROM bucket) * 1000)::bigint, width, calls,"
				" round((calls::numeric / width), 3), round((total_ms / nullif(calls, 0))::numeric, 4)"
				" FROM pgi.totals WHERE source_id = $1::int"
				"  AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint) ORDER BY bucket, width",
				3, (const char *const[]) {c->source, c->from_us, c->to_us});
	if (res == NULL)
	{
		PQclear(sum);
		return error(c, 503, "repository query failed");
	}
	buf_printf(c->out, "{\"from\":%lld,\"to\":%lld,\"summary\":", c->from_ms, c->to_ms);
	emit_row(c->out, sum, 0, "nnnnnnn", 0);
	buf_puts(c->out, ",\"series\":");
	emit_series(c->out, res);
	buf_putc(c->out, '}');
	PQclear(res);
	PQclear(sum);
	return 200;
}

static const struct
{
	const char *name;
	const char *expr;
}			list_sorts[] =
{
	{"avg_ms", "avg_ms"},
	{"p95_ms", "p95_ms"},
	{"calls", "calls"},
	{"total_ms", "total_ms"},
	{"reads", "reads"},
	{"reads_per_call", "reads_per_call"},
	{"rows", "rows"},
	{"rows_per_call", "rows_per_call"},
	{"last_seen", "last_seen"},
	{"query", "query"},
	{"model_action", "model_action"},
	{"findings", "open_findings"},
};

/* own=1 (or true) lists pg_insights' own statements too */
static const char *
show_own(const Ctx *c)
{
	const char *v = arg(c, "own");

	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) ? "t" : "f";
}

static int
api_queries(Ctx *c)
{
	const char *sort = arg(c, "sort") ? arg(c, "sort") : "total_ms";
	const char *dir = arg(c, "dir") && strcmp(arg(c, "dir"), "asc") == 0 ? "ASC" : "DESC";
	const char *quick = arg(c, "quick") ? arg(c, "quick") : "";
	const char *sort_expr = NULL;
	long long	limit = 50,
				offset = 0;
	char		lim[24],
				off[24];
	const char *flags[4];
	static const char *const quick_names[4] = {"repeated", "high_reads", "recent", "findings"};
	Buf			sql,
				page_p95;
	bool		by_p95,
				empty;
	PGresult   *res;
	size_t		i;
	int			rc = resolve_source(c);

	if (rc)
		return rc;
	for (i = 0; i < sizeof(list_sorts) / sizeof(list_sorts[0]); i++)
		if (strcmp(sort, list_sorts[i].name) == 0)
			sort_expr = list_sorts[i].expr;
	if (sort_expr == NULL)
		return error(c, 400, "sort: unknown column");
	if ((arg(c, "limit") && !parse_ll(arg(c, "limit"), &limit)) || limit < 1 || limit > LIST_MAX_LIMIT)
		return error(c, 400, "limit: 1..500");
	if ((arg(c, "offset") && !parse_ll(arg(c, "offset"), &offset)) || offset < 0)
		return error(c, 400, "offset: a non-negative integer");
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	for (i = 0; i < 4; i++)
	{
		const char *p = strstr(quick, quick_names[i]);
		size_t		n = strlen(quick_names[i]);

		flags[i] = (p && (p == quick || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) ? "t" : "f";
	}

	buf_init(&sql);
	by_p95 = strcmp(sort_expr, "p95_ms") == 0;
	buf_init(&page_p95);
	/* p95 is interpolated inside a histogram bucket: capped at the exact maximum */
	buf_puts(&page_p95, "least(pgi.hist_quantile((SELECT ");
	hist_sum_expr(&page_p95);
	buf_puts(&page_p95, " FROM pgi.shape_stats x WHERE x.source_id = $1::int AND x.shape_id = page.shape_id"
			 " AND x.bucket >= pgi.us($2::bigint) AND x.bucket < pgi.us($3::bigint)),"
			 " (SELECT hist_bounds FROM pgi.sources WHERE source_id = $1::int), 0.95), page.max_ms)");
	/* histograms are summed for every shape only to sort by p95; otherwise for the page's rows */
	buf_puts(&sql, "WITH agg AS (SELECT shape_id, sum(calls)::bigint AS calls, sum(total_ms) AS total_ms,"
			 " sum(rows)::bigint AS rows, sum(reads)::bigint AS reads, max(last_seen) AS last_seen, max(max_ms) AS max_ms, ");
	if (by_p95)
		hist_sum_expr(&sql);
	else
		buf_puts(&sql, "NULL::bigint[]");
	buf_printf(&sql, " AS hist FROM pgi.shape_stats WHERE source_id = $1::int"
			   "  AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint) GROUP BY shape_id),"
			   /* the quick filters agree with the findings: a repeated-query or N+1 finding is "repeated",
			      a missing index "high reads", whatever the counts in the range */
			   " f AS (SELECT shape_id, count(*) AS n, bool_or(kind IN ('repeated_query', 'n_plus_one')) AS repeated,"
			   "  bool_or(kind = 'missing_index') AS unindexed FROM pgi.findings"
			   "  WHERE source_id = $1::int AND status = 'open' GROUP BY shape_id),"
			   " r AS (SELECT a.shape_id, s.query, s.tables, s.model_action, a.calls, a.total_ms,"
			   "  a.total_ms / nullif(a.calls, 0) AS avg_ms, a.hist, a.reads,"
			   "  a.reads::float8 / nullif(a.calls, 0) AS reads_per_call, a.rows,"
			   "  a.rows::float8 / nullif(a.calls, 0) AS rows_per_call, a.last_seen, a.max_ms,"
			   "  coalesce(f.n, 0) AS open_findings, %s AS own%s"
			   "  FROM agg a JOIN pgi.shapes s ON s.source_id = $1::int AND s.shape_id = a.shape_id"
			   "  LEFT JOIN f ON f.shape_id = a.shape_id"
			   "  WHERE a.calls > 0"
			   "   AND ($4::text IS NULL OR s.tables @> ARRAY[$4::text])"
			   "   AND ($5::text IS NULL OR strpos(lower(s.query), lower($5::text)) > 0"
			   "        OR strpos(lower(coalesce(s.model_action, '')), lower($5::text)) > 0)"
			   "   AND (NOT $6::bool OR a.calls >= %d OR coalesce(f.repeated, false))"
			   "   AND (NOT $7::bool OR a.reads >= %d * a.calls OR coalesce(f.unindexed, false))"
			   "   AND (NOT $8::bool OR a.last_seen >= least(pgi.us($3::bigint), now()) - interval '%d seconds')"
			   "   AND (NOT $9::bool OR f.n > 0)),"
			   " page AS (SELECT count(*) OVER () AS total, * FROM r WHERE $12::bool OR NOT own"
			   "  ORDER BY %s %s NULLS LAST, shape_id LIMIT $10::bigint OFFSET $11::bigint)"
			   /* how many own statements the filter hid: said on the page, never dropped silently */
			   " SELECT h.hidden, total, shape_id::text AS shape_id, query, array_to_json(tables) AS tables, model_action,"
			   "  calls, total_ms, avg_ms, %s AS p95_ms, reads, reads_per_call, rows, rows_per_call,"
			   "  (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen, open_findings AS findings, max_ms"
			   " FROM (SELECT count(*) FILTER (WHERE own AND NOT $12::bool) AS hidden FROM r) h LEFT JOIN page ON true"
			   " ORDER BY %s %s NULLS LAST, page.shape_id",
			   OWN_SHAPE_SQL, by_p95 ?
			   ", least(pgi.hist_quantile(a.hist, (SELECT hist_bounds FROM pgi.sources WHERE source_id = $1::int),"
			   " 0.95), a.max_ms) AS p95_ms" : "",
			   QUICK_REPEATED_CALLS, QUICK_HIGH_READS_PER_CALL, QUICK_RECENT_SECONDS,
			   sort_expr, dir,
			   by_p95 ? "p95_ms" : page_p95.data, sort_expr, dir);
	res = query(c, sql.data, 12, (const char *const[]) {c->source, c->from_us, c->to_us, arg(c, "table"),
				arg(c, "q"), flags[0], flags[1], flags[2], flags[3], lim, off, show_own(c)});
	buf_free(&sql);
	buf_free(&page_p95);
	if (res == NULL)
		return error(c, 503, "repository query failed");
	/* an empty page is one row of NULLs beside the hidden count */
	empty = PQntuples(res) == 0 || PQgetisnull(res, 0, 1);
	buf_printf(c->out, "{\"from\":%lld,\"to\":%lld,\"total\":", c->from_ms, c->to_ms);
	json_pg_num(c->out, empty ? "0" : PQgetvalue(res, 0, 1));
	buf_puts(c->out, ",\"hidden_own\":");
	json_pg_num(c->out, PQntuples(res) ? PQgetvalue(res, 0, 0) : "0");
	buf_printf(c->out, ",\"offset\":%lld,\"limit\":%lld,\"rows\":", offset, limit);
	if (empty)
		buf_puts(c->out, "[]");
	else
		emit_rows(c->out, res, "ssjsnnnnnnnnnnn", 2);
	buf_putc(c->out, '}');
	PQclear(res);
	return 200;
}

/* the sentence shown when a shape has no finding, or why a shape needs a look */
static void
emit_verdict(Buf *b, PGresult *stats, int open_findings)
{
	double		calls = atof(PQgetvalue(stats, 0, 0));
	double		avg = atof(PQgetvalue(stats, 0, 2));
	double		rpc = atof(PQgetvalue(stats, 0, 4));
	double		rows = atof(PQgetvalue(stats, 0, 6));
	char		text[512];
	const char *level = "good";

	if (open_findings > 0)
		level = "bad", snprintf(text, sizeof(text), "This query needs attention: %d open finding%s below.",
				 open_findings, open_findings == 1 ? "" : "s");
	else if (calls == 0)
		snprintf(text, sizeof(text), "No executions in the selected range, and no finding.");
	else if (rpc < FINE_READS_PER_CALL && avg < FINE_AVG_MS)
		snprintf(text, sizeof(text),
				 "No finding: this query looks fine. It reads %.1f blocks per call (below %d) and takes "
				 "%.3f ms on average (below %d ms), returning %.1f rows per call.",
				 rpc, FINE_READS_PER_CALL, avg, FINE_AVG_MS, rows);
	else
		level = "watch", snprintf(text, sizeof(text),
				 "No finding from the detection rules, but keep an eye on it: %.1f blocks read per call "
				 "and %.3f ms average latency (%.1f rows per call).", rpc, avg, rows);
	buf_printf(b, "\"verdict\":{\"needs_optimization\":%s,\"level\":\"%s\",\"text\":",
			   open_findings > 0 ? "true" : "false", level);
	json_str(b, text);
	buf_putc(b, '}');
}

static int
api_query_detail(Ctx *c, const char *shape)
{
	long long	id;
	PGresult   *shp,
			   *stats,
			   *series,
			   *attr,
			   *find,
			   *waits,
			   *errs;
	Buf			sql;
	const char *p3[4];
	int			rc = resolve_source(c),
				open = 0,
				r;

	if (rc)
		return rc;
	if (!parse_ll(shape, &id))
		return error(c, 400, "shape id: an integer expected");
	shp = query(c, "SELECT shape_id::text AS shape_id, query, command, array_to_json(tables) AS tables,"
				" model_action, (extract(epoch FROM first_seen) * 1000)::bigint AS first_seen,"
				" (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen"
				" FROM pgi.shapes WHERE source_id = $1::int AND shape_id = $2::bigint",
				2, (const char *const[]) {c->source, shape});
	if (shp == NULL)
		return error(c, 503, "repository query failed");
	if (PQntuples(shp) == 0)
	{
		PQclear(shp);
		return error(c, 404, "unknown shape");
	}
	p3[0] = c->source;
	p3[1] = c->from_us;
	p3[2] = c->to_us;
	p3[3] = shape;
	buf_init(&sql);
	buf_puts(&sql, "SELECT coalesce(sum(calls), 0)::bigint AS calls, coalesce(sum(total_ms), 0) AS total_ms,"
			 " coalesce(sum(total_ms) / nullif(sum(calls), 0), 0) AS avg_ms,"
			 " coalesce(sum(reads), 0)::bigint AS reads,"
			 " coalesce(sum(reads)::float8 / nullif(sum(calls), 0), 0) AS reads_per_call,"
			 " coalesce(sum(rows), 0)::bigint AS rows,"
			 " coalesce(sum(rows)::float8 / nullif(sum(calls), 0), 0) AS rows_per_call,"
			 " max(max_ms) AS max_ms,"
			 " least(pgi.hist_quantile(h, b, 0.5), max(max_ms)) AS p50_ms,"
			 " least(pgi.hist_quantile(h, b, 0.95), max(max_ms)) AS p95_ms,"
			 " least(pgi.hist_quantile(h, b, 0.99), max(max_ms)) AS p99_ms, array_to_json(h) AS histogram,"
			 " array_to_json(b) AS histogram_bounds_ms FROM (SELECT sum(calls) AS calls,"
			 " sum(total_ms) AS total_ms, sum(reads) AS reads, sum(rows) AS rows, max(max_ms) AS max_ms, ");
	hist_sum_expr(&sql);
	buf_printf(&sql, " AS h, (SELECT hist_bounds FROM pgi.sources WHERE source_id = $1::int) AS b"
			   " FROM pgi.shape_stats WHERE source_id = $1::int AND shape_id = $4::bigint"
			   "  AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint)) x"
			   " GROUP BY h, b");
	stats = query(c, sql.data, 4, p3);
	buf_free(&sql);
	series = query(c, "SELECT (extract(epoch FROM bucket) * 1000)::bigint, width, calls,"
				   " round(calls::numeric / width, 3), round((total_ms / nullif(calls, 0))::numeric, 4)"
				   " FROM pgi.shape_stats WHERE source_id = $1::int AND shape_id = $4::bigint"
				   "  AND bucket >= pgi.us($2::bigint) AND bucket < pgi.us($3::bigint) ORDER BY bucket, width",
				   4, (const char *const[]) {c->source, c->from_us, c->to_us, shape});
	attr = query(c, "SELECT tags::text AS tags, prisma_model, prisma_action, prisma_shape, route, controller,"
				 " action, framework, application, db_driver, calls, total_ms / nullif(calls, 0) AS avg_ms,"
				 " rows, reads, (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen"
				 " FROM pgi.attributions WHERE source_id = $1::int AND shape_id = $2::bigint"
				 " ORDER BY calls DESC, tagset_id LIMIT 50", 2, (const char *const[]) {c->source, shape});
	find = query(c, "SELECT kind, finding_id AS id, severity, status, parent_shape_id::text AS parent_shape_id,"
				 " parent_query, array_to_json(tables) AS tables, evidence::text AS evidence, suggestion, fix_sql,"
				 " expected_impact, prompt, occurrences,"
				 " (extract(epoch FROM first_seen) * 1000)::bigint AS first_seen,"
				 " (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen,"
				 /* the parent's caller, for the prompt ("once per row of prisma.user.findMany") */
				 " (SELECT p.model_action FROM pgi.shapes p WHERE p.source_id = f.source_id"
				 "   AND p.shape_id = f.parent_shape_id) AS parent_model_action"
				 " FROM pgi.findings f WHERE source_id = $1::int AND shape_id = $2::bigint"
				 " ORDER BY status = 'open' DESC, CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1"
				 " ELSE 2 END, kind", 2, (const char *const[]) {c->source, shape});
	/* waits and errors are kept per hour: the hours that overlap the range */
	waits = query(c, "SELECT wait, sum(samples)::bigint AS samples,"
				  " round(100.0 * sum(samples) / sum(sum(samples)) OVER (), 1) AS pct"
				  " FROM pgi.shape_waits WHERE source_id = $1::int AND shape_id = $4::bigint"
				  "  AND bucket >= date_trunc('hour', pgi.us($2::bigint)) AND bucket < pgi.us($3::bigint)"
				  " GROUP BY wait ORDER BY 2 DESC, wait LIMIT 10", 4, p3);
	errs = query(c, "SELECT sqlstate, sum(errors)::bigint AS errors,"
				 " (extract(epoch FROM max(last_seen)) * 1000)::bigint AS last_seen"
				 " FROM pgi.shape_errors WHERE source_id = $1::int AND shape_id = $4::bigint"
				 "  AND bucket >= date_trunc('hour', pgi.us($2::bigint)) AND bucket < pgi.us($3::bigint)"
				 " GROUP BY sqlstate ORDER BY 2 DESC, sqlstate LIMIT 10", 4, p3);
	if (stats == NULL || series == NULL || attr == NULL || find == NULL || waits == NULL || errs == NULL)
	{
		PQclear(waits);
		PQclear(errs);
		PQclear(shp);
		PQclear(stats);
		PQclear(series);
		PQclear(attr);
		PQclear(find);
		return error(c, 503, "repository query failed");
	}
	for (r = 0; r < PQntuples(find); r++)
		if (strcmp(PQgetvalue(find, r, 3), "open") == 0)
			open++;

	buf_printf(c->out, "{\"from\":%lld,\"to\":%lld,\"shape\":", c->from_ms, c->to_ms);
	emit_row(c->out, shp, 0, "sssjsnn", 0);
	buf_puts(c->out, ",\"stats\":");
	if (PQntuples(stats) == 1)
		emit_row(c->out, stats, 0, "nnnnnnnnnnnjj", 0);
	else
		buf_puts(c->out, "{\"calls\":0}");
	buf_puts(c->out, ",\"series\":");
	emit_series(c->out, series);
	buf_puts(c->out, ",\"attribution\":");
	emit_rows(c->out, attr, "jsssssssssnnnnn", 0);
	buf_puts(c->out, ",\"findings\":");
	emit_rows(c->out, find, "ssssssjjssssnnns", 0);
	buf_puts(c->out, ",\"waits\":");
	emit_rows(c->out, waits, "snn", 0);
	buf_puts(c->out, ",\"errors\":");
	emit_rows(c->out, errs, "snn", 0);
	buf_putc(c->out, ',');
	if (PQntuples(stats) == 1)
		emit_verdict(c->out, stats, open);
	else
		buf_printf(c->out, "\"verdict\":{\"needs_optimization\":%s,\"text\":\"No executions in the selected range.\"}",
				   open ? "true" : "false");
	buf_putc(c->out, '}');
	PQclear(shp);
	PQclear(stats);
	PQclear(series);
	PQclear(attr);
	PQclear(find);
	PQclear(waits);
	PQclear(errs);
	return 200;
}

static int
api_findings(Ctx *c)
{
	const char *status = arg(c, "status") ? arg(c, "status") : "open";
	PGresult   *res;
	int			rc = resolve_source(c);

	if (rc)
		return rc;
	if (strcmp(status, "all") == 0)
		status = NULL;
	res = query(c, "SELECT shape_id::text AS shape_id, kind, severity, status, query,"
				" array_to_json(tables) AS tables, suggestion, expected_impact, occurrences,"
				" (extract(epoch FROM last_seen) * 1000)::bigint AS last_seen"
				" FROM pgi.findings WHERE source_id = $1::int AND ($2::text IS NULL OR status = $2)"
				" ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
				"  last_seen DESC LIMIT 1000", 2, (const char *const[]) {c->source, status});
	if (res == NULL)
		return error(c, 503, "repository query failed");
	buf_puts(c->out, "{\"findings\":");
	emit_rows(c->out, res, "sssssjssnn", 0);
	buf_putc(c->out, '}');
	PQclear(res);
	return 200;
}

static int
api_tables(Ctx *c)
{
	PGresult   *res;
	int			rc = resolve_source(c);

	if (rc)
		return rc;
	res = query(c, "SELECT coalesce(array_to_json(array_agg(DISTINCT t ORDER BY t)), '[]')"
				" FROM pgi.shapes s, unnest(s.tables) AS t WHERE s.source_id = $1::int"
				"  AND ($2::bool OR NOT " OWN_SHAPE_SQL ")",
				2, (const char *const[]) {c->source, show_own(c)});
	if (res == NULL)
		return error(c, 503, "repository query failed");
	buf_puts(c->out, "{\"tables\":");
	json_raw_safe(c->out, PQgetvalue(res, 0, 0));
	buf_putc(c->out, '}');
	PQclear(res);
	return 200;
}

static int
api_health(Ctx *c)
{
	buf_printf(c->out, "{\"status\":\"ok\",\"version\":\"%s\",\"schema_version\":%d}",
			   DASH_VERSION, repo_schema_version(c->conn));
	return 200;
}

int
api_handle(RepoPool *pool, const ApiRequest *req, Buf *out)
{
	Ctx			c;
	int			status;

	memset(&c, 0, sizeof(c));
	c.req = req;
	c.out = out;
	c.conn = repo_acquire(pool);
	if (c.conn == NULL)
		return error(&c, 503, "repository unavailable");
	if (strcmp(req->path, "servers") == 0)
		status = api_servers(&c);
	else if (strcmp(req->path, "timeseries") == 0)
		status = api_timeseries(&c);
	else if (strcmp(req->path, "queries") == 0)
		status = api_queries(&c);
	else if (strncmp(req->path, "queries/", 8) == 0)
		status = api_query_detail(&c, req->path + 8);
	else if (strcmp(req->path, "findings") == 0)
		status = api_findings(&c);
	else if (strcmp(req->path, "tables") == 0)
		status = api_tables(&c);
	else if (strcmp(req->path, "health") == 0)
		status = api_health(&c);
	else
		status = error(&c, 404, "no such endpoint");
	repo_release(pool, c.conn);
	return status;
}
