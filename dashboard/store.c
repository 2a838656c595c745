/* dashboard/store.c — write one decoded snapshot into the repository in one transaction (parameterized statements only). */
#include "dashboard.h"
#include "proto/insights.pb-c.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef PgInsights__V1__Snapshot Snapshot;
typedef PgInsights__V1__ShapeDelta ShapeDelta;
typedef PgInsights__V1__AttributionDelta AttrDelta;
typedef PgInsights__V1__Finding Finding;

/* ---- PostgreSQL array literals, passed as parameters ---- */

static void
arr_sep(Buf *b)
{
	if (b->len == 0)
		buf_putc(b, '{');
	else
		buf_putc(b, ',');
}

static void
arr_str(Buf *b, const char *s)
{
	arr_sep(b);
	buf_putc(b, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void
arr_i64(Buf *b, long long v)
{
	arr_sep(b);
	buf_printf(b, "%lld", v);
}

static void
arr_f64(Buf *b, double v)
{
	arr_sep(b);
	if (isnan(v) || isinf(v))
		buf_puts(b, "0");
	else
		buf_printf(b, "%.17g", v);
}

static const char *
arr_end(Buf *b)
{
	if (b->len == 0)
		buf_putc(b, '{');
	buf_putc(b, '}');
	return b->data;
}

/* a + b clamped to the range of long long: counters from a snapshot are untrusted, never overflow */
static long long
sat_add(long long a, long long b)
{
	long long	r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? LLONG_MAX : LLONG_MIN;
	return r;
}

/* ---- statement execution ---- */

/*
 * Every statement of the dashboard ends with this sqlcommenter tag, so that
 * pg_insights on a repository server counts it as its own (insights.info's
 * own_calls) instead of showing the dashboard's queries as the user's.
 */
#define OWN_TAG " /*application='pg_insights_dashboard'*/"

PGresult *
repo_exec(PGconn *conn, const char *sql, int n, const char *const *params)
{
	size_t		len = strlen(sql);
	char	   *tagged = malloc(len + sizeof(OWN_TAG));
	PGresult   *res;

	if (tagged == NULL)
		return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	memcpy(tagged, sql, len);
	memcpy(tagged + len, OWN_TAG, sizeof(OWN_TAG));
	res = PQexecParams(conn, tagged, n, NULL, params, NULL, NULL, 0);
	free(tagged);
	return res;
}

static bool
run(PGconn *conn, const char *sql, int n, const char *const *params, PGresult **out,
	char *err, size_t errlen)
{
	PGresult   *res = repo_exec(conn, sql, n, params);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
	{
		snprintf(err, errlen, "repository: %s", PQerrorMessage(conn));
		err[strcspn(err, "\n")] = '\0';
		PQclear(res);
		return false;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return true;
}

static int
cmp_shape(const void *a, const void *b)
{
	const ShapeDelta *x = *(const ShapeDelta *const *) a;
	const ShapeDelta *y = *(const ShapeDelta *const *) b;

	return x->shape_id < y->shape_id ? -1 : x->shape_id > y->shape_id;
}

static int
cmp_attr(const void *a, const void *b)
{
	const AttrDelta *x = *(const AttrDelta *const *) a;
	const AttrDelta *y = *(const AttrDelta *const *) b;

	if (x->shape_id != y->shape_id)
		return x->shape_id < y->shape_id ? -1 : 1;
	return x->tagset_id < y->tagset_id ? -1 : x->tagset_id > y->tagset_id;
}

/* shapes and per-bucket counters; rows of one shape_id (users, toplevel) are merged first */
static bool
store_shapes(PGconn *conn, const Snapshot *s, const char *source, int64_t bucket_us,
			 char *err, size_t errlen)
{
	enum
	{
		A_ID, A_TEXT, A_CMD, A_TABLES, A_FIRST, A_LAST, A_CALLS, A_TOTAL, A_ROWS, A_READS,
		A_BLKS, A_MAX, A_HIST, N_ARR
	};
	Buf			arr[N_ARR];
	char		bucket[32],
				width[16];
	ShapeDelta **sorted;
	size_t		i,
				j,
				k;
	bool		ok;

	if (s->n_shapes == 0)
		return true;
	for (k = 0; k < N_ARR; k++)
		buf_init(&arr[k]);
	sorted = xmalloc(s->n_shapes * sizeof(ShapeDelta *));
	memcpy(sorted, s->shapes, s->n_shapes * sizeof(ShapeDelta *));
	qsort(sorted, s->n_shapes, sizeof(ShapeDelta *), cmp_shape);
	for (i = 0; i < s->n_shapes; i = j)
	{
		const ShapeDelta *d = sorted[i];
		long long	calls = 0,
					rows = 0,
					reads = 0,
					blks = 0,
					hist[DASH_HIST_MAX] = {0};
		double		total = 0,
					maxms = 0;
		int64_t		first = d->first_seen_us,
					last = d->last_seen_us;
		const ShapeDelta *text_from = d;
		Buf			tables,
					h;

		for (j = i; j < s->n_shapes && sorted[j]->shape_id == d->shape_id; j++)
		{
			const ShapeDelta *e = sorted[j];

			calls = sat_add(calls, e->calls);
			rows = sat_add(rows, e->rows);
			reads = sat_add(reads, e->reads);
			blks = sat_add(blks, e->shared_blks_read);
			total += e->total_time_ms;
			if (e->max_time_ms > maxms)
				maxms = e->max_time_ms;
			if (e->first_seen_us > 0 && (first <= 0 || e->first_seen_us < first))
				first = e->first_seen_us;
			if (e->last_seen_us > last)
				last = e->last_seen_us;
			if (text_from->text[0] == '\0' || (e->toplevel && !text_from->toplevel && e->text[0]))
				text_from = e;
			for (k = 0; k < e->n_histogram; k++)
				hist[k < DASH_HIST_MAX ? k : DASH_HIST_MAX - 1] =
					sat_add(hist[k < DASH_HIST_MAX ? k : DASH_HIST_MAX - 1], e->histogram[k]);
		}
		if (last <= 0)
			last = s->interval_end_us;
		arr_i64(&arr[A_ID], d->shape_id);
		arr_str(&arr[A_TEXT], text_from->text);
		arr_str(&arr[A_CMD], text_from->command);
		buf_init(&tables);
		for (k = 0; k < text_from->n_tables; k++)
			arr_str(&tables, text_from->tables[k]);
		arr_str(&arr[A_TABLES], arr_end(&tables));
		buf_free(&tables);
		arr_i64(&arr[A_FIRST], first);
		arr_i64(&arr[A_LAST], last);
		arr_i64(&arr[A_CALLS], calls);
		arr_f64(&arr[A_TOTAL], total);
		arr_i64(&arr[A_ROWS], rows);
		arr_i64(&arr[A_READS], reads);
		arr_i64(&arr[A_BLKS], blks);
		arr_f64(&arr[A_MAX], maxms);
		buf_init(&h);
		for (k = 0; k < s->n_histogram_bounds_ms + 1 && k < DASH_HIST_MAX; k++)
			arr_i64(&h, hist[k]);
		arr_str(&arr[A_HIST], arr_end(&h));
		buf_free(&h);
	}
	free(sorted);
	for (k = 0; k < N_ARR; k++)
		arr_end(&arr[k]);
	snprintf(bucket, sizeof(bucket), "%lld", (long long) bucket_us);
	snprintf(width, sizeof(width), "%d", DASH_BUCKET_SECONDS);

	ok = run(conn,
			 "INSERT INTO pgi.shapes AS s (source_id, shape_id, query, command, tables, first_seen, last_seen)"
			 " SELECT $7::int, id, q, c, t::text[], pgi.us(f), pgi.us(l)"
			 " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])"
			 "  AS u(id, q, c, t, f, l)"
			 " ON CONFLICT (source_id, shape_id) DO UPDATE SET"
			 "  query = CASE WHEN excluded.query <> '' THEN excluded.query ELSE s.query END,"
			 "  command = coalesce(nullif(excluded.command, ''), s.command),"
			 "  tables = CASE WHEN cardinality(excluded.tables) > 0 THEN excluded.tables ELSE s.tables END,"
			 "  first_seen = least(s.first_seen, excluded.first_seen),"
			 "  last_seen = greatest(s.last_seen, excluded.last_seen)",
			 7, (const char *const[]) {arr[A_ID].data, arr[A_TEXT].data, arr[A_CMD].data,
			 arr[A_TABLES].data, arr[A_FIRST].data, arr[A_LAST].data, source}, NULL, err, errlen)
		&& run(conn,
			   "INSERT INTO pgi.shape_stats AS s (source_id, bucket, width, shape_id, calls, total_ms, rows,"
			   "  reads, blks_read, max_ms, last_seen, hist)"
			   " SELECT $10::int, pgi.us($11::bigint), $12::int, id, c, t, r, rd, b, m, pgi.us(l), h::bigint[]"
			   " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::float8[], $5::bigint[],"
			   "  $6::bigint[], $7::bigint[], $8::float8[], $9::text[]) AS u(id, l, c, t, r, rd, b, m, h)"
			   " ON CONFLICT (source_id, bucket, width, shape_id) DO UPDATE SET"
			   "  calls = s.calls + excluded.calls, total_ms = s.total_ms + excluded.total_ms,"
			   "  rows = s.rows + excluded.rows, reads = s.reads + excluded.reads,"
			   "  blks_read = s.blks_read + excluded.blks_read,"
			   "  max_ms = greatest(s.max_ms, excluded.max_ms),"
			   "  last_seen = greatest(s.last_seen, excluded.last_seen),"
			   "  hist = pgi.hist_add(s.hist, excluded.hist)",
			   12, (const char *const[]) {arr[A_ID].data, arr[A_LAST].data, arr[A_CALLS].data,
			   arr[A_TOTAL].data, arr[A_ROWS].data, arr[A_READS].data, arr[A_BLKS].data,
			   arr[A_MAX].data, arr[A_HIST].data, source, bucket, width}, NULL, err, errlen);
	for (k = 0; k < N_ARR; k++)
		buf_free(&arr[k]);
	return ok;
}

/* tags as a JSON object text, for ::jsonb */
static void
tags_json(Buf *b, const AttrDelta *a)
{
	bool		first = true;
	size_t		i;

	buf_putc(b, '{');
	for (i = 0; i < a->n_tags; i++)
	{
		json_key(b, &first, a->tags[i]->key);
		json_str(b, a->tags[i]->value);
	}
	buf_putc(b, '}');
}

static bool
store_attributions(PGconn *conn, const Snapshot *s, const char *source, char *err, size_t errlen)
{
	enum
	{
		B_SHAPE, B_TAGSET, B_TAGS, B_PM, B_PA, B_PS, B_ROUTE, B_CTRL, B_ACTION, B_FW, B_APP, B_DRV,
		B_CALLS, B_TOTAL, B_ROWS, B_READS, B_FIRST, B_LAST, N_ARR
	};
	Buf			arr[N_ARR];
	const char *params[N_ARR + 1];
	AttrDelta **sorted;
	size_t		i,
				j,
				k;
	bool		ok;

	if (s->n_attributions == 0)
		return true;
	for (k = 0; k < N_ARR; k++)
		buf_init(&arr[k]);
	sorted = xmalloc(s->n_attributions * sizeof(AttrDelta *));
	memcpy(sorted, s->attributions, s->n_attributions * sizeof(AttrDelta *));
	qsort(sorted, s->n_attributions, sizeof(AttrDelta *), cmp_attr);
	for (i = 0; i < s->n_attributions; i = j)
	{
		const AttrDelta *a = sorted[i];
		long long	calls = 0,
					rows = 0,
					reads = 0;
		double		total = 0;
		int64_t		first = a->first_seen_us,
					last = a->last_seen_us;
		Buf			tj;

		for (j = i; j < s->n_attributions && sorted[j]->shape_id == a->shape_id &&
			 sorted[j]->tagset_id == a->tagset_id; j++)
		{
			calls = sat_add(calls, sorted[j]->calls);
			rows = sat_add(rows, sorted[j]->rows);
			reads = sat_add(reads, sorted[j]->reads);
			total += sorted[j]->total_time_ms;
			if (sorted[j]->first_seen_us > 0 && (first <= 0 || sorted[j]->first_seen_us < first))
				first = sorted[j]->first_seen_us;
			if (sorted[j]->last_seen_us > last)
				last = sorted[j]->last_seen_us;
		}
		if (last <= 0)
			last = s->interval_end_us;
		arr_i64(&arr[B_SHAPE], a->shape_id);
		arr_i64(&arr[B_TAGSET], a->tagset_id);
		buf_init(&tj);
		tags_json(&tj, a);
		arr_str(&arr[B_TAGS], tj.data);
		buf_free(&tj);
		arr_str(&arr[B_PM], a->prisma_model);
		arr_str(&arr[B_PA], a->prisma_action);
		arr_str(&arr[B_PS], a->prisma_shape_json);
		arr_str(&arr[B_ROUTE], a->route);
		arr_str(&arr[B_CTRL], a->controller);
		arr_str(&arr[B_ACTION], a->action);
		arr_str(&arr[B_FW], a->framework);
		arr_str(&arr[B_APP], a->application);
		arr_str(&arr[B_DRV], a->db_driver);
		arr_i64(&arr[B_CALLS], calls);
		arr_f64(&arr[B_TOTAL], total);
		arr_i64(&arr[B_ROWS], rows);
		arr_i64(&arr[B_READS], reads);
		arr_i64(&arr[B_FIRST], first);
		arr_i64(&arr[B_LAST], last);
	}
	free(sorted);
	for (k = 0; k < N_ARR; k++)
		params[k] = arr_end(&arr[k]);
	params[N_ARR] = source;
	ok = run(conn,
			 "INSERT INTO pgi.attributions AS a (source_id, shape_id, tagset_id, tags, prisma_model,"
			 "  prisma_action, prisma_shape, route, controller, action, framework, application, db_driver,"
			 "  calls, total_ms, rows, reads, first_seen, last_seen)"
			 " SELECT $19::int, sh, ts, pgi.safe_jsonb(tg), pm, pa, ps, ro, co, ac, fw, ap, dr,"
			 "  c, t, r, rd, pgi.us(f), pgi.us(l)"
			 " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],"
			 "  $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[],"
			 "  $14::float8[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[])"
			 "  AS u(sh, ts, tg, pm, pa, ps, ro, co, ac, fw, ap, dr, c, t, r, rd, f, l)"
			 " ON CONFLICT (source_id, shape_id, tagset_id) DO UPDATE SET"
			 "  tags = excluded.tags, prisma_model = excluded.prisma_model,"
			 "  prisma_action = excluded.prisma_action, prisma_shape = excluded.prisma_shape,"
			 "  route = excluded.route, controller = excluded.controller, action = excluded.action,"
			 "  framework = excluded.framework, application = excluded.application,"
			 "  db_driver = excluded.db_driver, calls = a.calls + excluded.calls,"
			 "  total_ms = a.total_ms + excluded.total_ms, rows = a.rows + excluded.rows,"
			 "  reads = a.reads + excluded.reads, first_seen = least(a.first_seen, excluded.first_seen),"
			 "  last_seen = greatest(a.last_seen, excluded.last_seen)",
			 N_ARR + 1, params, NULL, err, errlen)
	/* the list shows the Prisma model.action that sent most calls of each shape */
		&& run(conn,
			   "UPDATE pgi.shapes s SET model_action = t.ma"
			   " FROM (SELECT DISTINCT ON (shape_id) shape_id, prisma_model || '.' || prisma_action AS ma"
			   "       FROM pgi.attributions WHERE source_id = $2::int AND shape_id = ANY ($1::bigint[])"
			   "        AND prisma_model <> '' ORDER BY shape_id, calls DESC) t"
			   " WHERE s.source_id = $2::int AND s.shape_id = t.shape_id"
			   "  AND s.model_action IS DISTINCT FROM t.ma",
			   2, (const char *const[]) {params[B_SHAPE], source}, NULL, err, errlen);
	for (k = 0; k < N_ARR; k++)
		buf_free(&arr[k]);
	return ok;
}

static bool
store_finding(PGconn *conn, const Finding *f, const char *source, char *err, size_t errlen)
{
	char		num[5][32];
	Buf			tables;
	const char *params[19];
	bool		ok;
	size_t		k;

	buf_init(&tables);
	for (k = 0; k < f->n_tables; k++)
		arr_str(&tables, f->tables[k]);
	snprintf(num[0], 32, "%lld", (long long) f->shape_id);
	snprintf(num[1], 32, "%lld", (long long) f->parent_shape_id);
	snprintf(num[2], 32, "%lld", (long long) f->first_seen_us);
	snprintf(num[3], 32, "%lld", (long long) f->last_seen_us);
	snprintf(num[4], 32, "%lld", (long long) f->occurrences);
	params[0] = source;
	params[1] = f->kind;
	params[2] = num[0];
	params[3] = f->id;
	params[4] = num[1];
	params[5] = f->severity;
	params[6] = f->query;
	params[7] = f->parent_query;
	params[8] = arr_end(&tables);
	params[9] = f->evidence_json;
	params[10] = f->suggestion;
	params[11] = f->fix_sql;
	params[12] = f->expected_impact;
	params[13] = f->prompt;
	params[14] = f->status[0] ? f->status : "open";
	params[15] = num[2];
	params[16] = num[3];
	params[17] = num[4];
	params[18] = NULL;
	ok = run(conn,
			 "INSERT INTO pgi.findings AS f (source_id, kind, shape_id, finding_id, parent_shape_id, severity,"
			 "  query, parent_query, tables, evidence, suggestion, fix_sql, expected_impact, prompt, status,"
			 "  first_seen, last_seen, occurrences)"
			 " VALUES ($1::int, $2, $3::bigint, $4, nullif($5::bigint, 0), $6, $7, $8, $9::text[],"
			 "  pgi.safe_jsonb($10), $11, $12, $13, $14, $15, coalesce(pgi.us($16::bigint), now()),"
			 "  coalesce(pgi.us($17::bigint), now()), $18::bigint)"
			 " ON CONFLICT (source_id, kind, shape_id) DO UPDATE SET finding_id = excluded.finding_id,"
			 "  parent_shape_id = excluded.parent_shape_id, severity = excluded.severity,"
			 "  query = excluded.query, parent_query = excluded.parent_query, tables = excluded.tables,"
			 "  evidence = excluded.evidence, suggestion = excluded.suggestion, fix_sql = excluded.fix_sql,"
			 "  expected_impact = excluded.expected_impact, prompt = excluded.prompt,"
			 "  status = excluded.status, first_seen = least(f.first_seen, excluded.first_seen),"
			 "  last_seen = greatest(f.last_seen, excluded.last_seen), occurrences = excluded.occurrences",
			 18, params, NULL, err, errlen);
	buf_free(&tables);
	return ok;
}

/*
 * Wait samples and failed executions per shape, in hour buckets: what a
 * statement waits on and how it fails change over hours, not seconds, and
 * one row per shape and event an hour keeps a fleet's repository small.
 * Rows of one shape_id (users, toplevel) are summed by the GROUP BY.
 */
static bool
store_waits_errors(PGconn *conn, const Snapshot *s, const char *source, char *err, size_t errlen)
{
	Buf			shape,
				label,
				count,
				last;
	char		end[32];
	size_t		i;
	bool		ok = true;

	snprintf(end, sizeof(end), "%lld", (long long) s->interval_end_us);
	if (s->n_waits > 0)
	{
		buf_init(&shape);
		buf_init(&label);
		buf_init(&count);
		buf_init(&last);
		for (i = 0; i < s->n_waits; i++)
		{
			const PgInsights__V1__WaitDelta *w = s->waits[i];
			char		l[160];

			if (w->samples <= 0)
				continue;
			if (w->wait_event[0] == '\0')
				snprintf(l, sizeof(l), "%s", w->wait_event_type[0] ? w->wait_event_type : "CPU");
			else
				snprintf(l, sizeof(l), "%s:%s", w->wait_event_type, w->wait_event);
			arr_i64(&shape, w->shape_id);
			arr_str(&label, l);
			arr_i64(&count, w->samples);
			arr_i64(&last, w->last_sample_us);
		}
		if (shape.len > 0)
			ok = run(conn,
					 "INSERT INTO pgi.shape_waits AS w (source_id, bucket, shape_id, wait, samples, last_seen)"
					 " SELECT $5::int, date_trunc('hour', pgi.us($6::bigint)), sh, lb, sum(n), pgi.us(max(ls))"
					 " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS u(sh, lb, n, ls)"
					 " GROUP BY sh, lb"
					 " ON CONFLICT (source_id, bucket, shape_id, wait) DO UPDATE SET samples = w.samples + excluded.samples,"
					 "  last_seen = greatest(w.last_seen, excluded.last_seen)",
					 6, (const char *const[]) {arr_end(&shape), arr_end(&label), arr_end(&count), arr_end(&last),
					 source, end}, NULL, err, errlen);
		buf_free(&shape);
		buf_free(&label);
		buf_free(&count);
		buf_free(&last);
		if (!ok)
			return false;
	}
	if (s->n_errors > 0)
	{
		buf_init(&shape);
		buf_init(&label);
		buf_init(&count);
		buf_init(&last);
		for (i = 0; i < s->n_errors; i++)
		{
			const PgInsights__V1__ErrorDelta *e = s->errors[i];

			if (e->errors <= 0)
				continue;
			arr_i64(&shape, e->shape_id);
			arr_str(&label, e->sqlstate);
			arr_i64(&count, e->errors);
			arr_i64(&last, e->last_error_us);
		}
		if (shape.len > 0)
			ok = run(conn,
					 "INSERT INTO pgi.shape_errors AS e (source_id, bucket, shape_id, sqlstate, errors, last_seen)"
					 " SELECT $5::int, date_trunc('hour', pgi.us($6::bigint)), sh, st, sum(n), pgi.us(max(ls))"
					 " FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[]) AS u(sh, st, n, ls)"
					 " GROUP BY sh, st"
					 " ON CONFLICT (source_id, bucket, shape_id, sqlstate) DO UPDATE SET errors = e.errors + excluded.errors,"
					 "  last_seen = greatest(e.last_seen, excluded.last_seen)",
					 6, (const char *const[]) {arr_end(&shape), arr_end(&label), arr_end(&count), arr_end(&last),
					 source, end}, NULL, err, errlen);
		buf_free(&shape);
		buf_free(&label);
		buf_free(&count);
		buf_free(&last);
	}
	return ok;
}

/*
 * Store a snapshot.  Returns 1 when stored, 0 when the snapshot id was
 * already stored (nothing written), -1 on error (err set; rolled back).
 */
int
repo_store_snapshot(PGconn *conn, const Snapshot *s, char *err, size_t errlen)
{
	const PgInsights__V1__Server *srv = s->server;
	char		source[16],
				num[6][32];
	Buf			bounds;
	PGresult   *res = NULL;
	long long	calls = 0;
	double		total = 0;
	long long	rows = 0,
				reads = 0;
	int64_t		bucket_us;
	size_t		i;
	bool		dup;

	bucket_us = s->interval_end_us - s->interval_end_us % ((int64_t) DASH_BUCKET_SECONDS * 1000000);
	for (i = 0; i < s->n_shapes; i++)
	{
		calls = sat_add(calls, s->shapes[i]->calls);
		total += s->shapes[i]->total_time_ms;
		rows = sat_add(rows, s->shapes[i]->rows);
		reads = sat_add(reads, s->shapes[i]->reads);
	}
	buf_init(&bounds);
	for (i = 0; i < s->n_histogram_bounds_ms; i++)
		arr_f64(&bounds, s->histogram_bounds_ms[i]);

	if (!run(conn, "BEGIN", 0, NULL, NULL, err, errlen))
	{
		buf_free(&bounds);
		return -1;
	}
	snprintf(num[0], 32, "%u", srv->dbid);
	if (!run(conn,
			 "INSERT INTO pgi.sources AS s (system_identifier, database, dbid, host, version,"
			 "  extension_version, hist_bounds, instance, name, role)"
			 " VALUES ($1, $2, $3::oid, $4, $5, $6, $7::float8[], $8, nullif($9, ''), nullif($10, ''))"
			 " ON CONFLICT (system_identifier, instance, database) DO UPDATE SET dbid = excluded.dbid,"
			 "  host = excluded.host, version = excluded.version,"
			 "  name = coalesce(excluded.name, s.name), role = coalesce(excluded.role, s.role),"
			 "  extension_version = excluded.extension_version,"
			 "  hist_bounds = CASE WHEN cardinality(excluded.hist_bounds) > 0"
			 "   THEN excluded.hist_bounds ELSE s.hist_bounds END, last_seen = now()"
			 " RETURNING source_id",
			 10, (const char *const[]) {srv->system_identifier, srv->database, num[0], srv->host,
			 srv->version, srv->extension_version, arr_end(&bounds), srv->instance, srv->name,
			 srv->role}, &res, err, errlen))
		goto fail;
	snprintf(source, sizeof(source), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);

	snprintf(num[0], 32, "%lld", (long long) s->interval_start_us);
	snprintf(num[1], 32, "%lld", (long long) s->interval_end_us);
	snprintf(num[2], 32, "%llu", (unsigned long long) s->sequence);
	snprintf(num[3], 32, "%zu", s->n_shapes);
	snprintf(num[4], 32, "%lld", calls);
	if (!run(conn,
			 "INSERT INTO pgi.snapshots (snapshot_id, source_id, interval_start, interval_end, sequence,"
			 "  collector_instance, collector_version, shapes, calls)"
			 " VALUES ($1, $2::int, pgi.us($3::bigint), pgi.us($4::bigint), $5::numeric::bigint, $6, $7,"
			 "  $8::int, $9::bigint)"
			 " ON CONFLICT (snapshot_id) DO NOTHING RETURNING 1",
			 9, (const char *const[]) {s->snapshot_id, source, num[0], num[1], num[2],
			 s->collector_instance, s->collector_version, num[3], num[4]}, &res, err, errlen))
		goto fail;
	dup = PQntuples(res) == 0;
	PQclear(res);
	if (dup)
	{
		run(conn, "ROLLBACK", 0, NULL, NULL, err, errlen);
		buf_free(&bounds);
		return 0;
	}
	if (s->collector != NULL)
	{
		const PgInsights__V1__CollectorCounters *cc = s->collector;
		char		cnum[9][32];

		snprintf(cnum[0], 32, "%lld", (long long) cc->polls);
		snprintf(cnum[1], 32, "%lld", (long long) cc->poll_failures);
		snprintf(cnum[2], 32, "%lld", (long long) cc->snapshots_dropped);
		snprintf(cnum[3], 32, "%lld", (long long) cc->snapshots_sent);
		snprintf(cnum[4], 32, "%lld", (long long) cc->snapshots_rejected);
		snprintf(cnum[5], 32, "%lld", (long long) cc->send_failures);
		snprintf(cnum[6], 32, "%lld", (long long) cc->spool_files);
		snprintf(cnum[7], 32, "%lld", (long long) cc->spool_bytes);
		snprintf(cnum[8], 32, "%lld", (long long) cc->spool_write_failures);
		if (!run(conn,
				 "UPDATE pgi.snapshots SET polls = $2::bigint, poll_failures = $3::bigint,"
				 "  snapshots_dropped = $4::bigint, snapshots_sent = $5::bigint,"
				 "  snapshots_rejected = $6::bigint, send_failures = $7::bigint, spool_files = $8::bigint,"
				 "  spool_bytes = $9::bigint, spool_write_failures = $10::bigint"
				 " WHERE snapshot_id = $1",
				 10, (const char *const[]) {s->snapshot_id, cnum[0], cnum[1], cnum[2], cnum[3], cnum[4],
				 cnum[5], cnum[6], cnum[7], cnum[8]}, NULL, err, errlen))
			goto fail;
	}

	if (!store_shapes(conn, s, source, bucket_us, err, errlen) ||
		!store_attributions(conn, s, source, err, errlen) ||
		!store_waits_errors(conn, s, source, err, errlen))
		goto fail;

	snprintf(num[0], 32, "%lld", (long long) bucket_us);
	snprintf(num[1], 32, "%lld", calls);
	snprintf(num[2], 32, "%.17g", isfinite(total) ? total : 0.0);
	snprintf(num[3], 32, "%lld", rows);
	snprintf(num[4], 32, "%lld", reads);
	snprintf(num[5], 32, "%d", DASH_BUCKET_SECONDS);
	if (s->n_shapes > 0 &&
		!run(conn,
			 "INSERT INTO pgi.totals AS t (source_id, bucket, width, calls, total_ms, rows, reads)"
			 " VALUES ($1::int, pgi.us($2::bigint), $7::int, $3::bigint, $4::float8, $5::bigint, $6::bigint)"
			 " ON CONFLICT (source_id, bucket, width) DO UPDATE SET calls = t.calls + excluded.calls,"
			 "  total_ms = t.total_ms + excluded.total_ms, rows = t.rows + excluded.rows,"
			 "  reads = t.reads + excluded.reads",
			 7, (const char *const[]) {source, num[0], num[1], num[2], num[3], num[4], num[5]},
			 NULL, err, errlen))
		goto fail;

	for (i = 0; i < s->n_findings; i++)
		if (!store_finding(conn, s->findings[i], source, err, errlen))
			goto fail;

	if (!run(conn, "COMMIT", 0, NULL, NULL, err, errlen))
		goto fail;
	buf_free(&bounds);
	return 1;

fail:
	{
		PGresult   *r = PQexec(conn, "ROLLBACK");

		PQclear(r);
	}
	buf_free(&bounds);
	return -1;
}

int
repo_claim_server(PGconn *conn, const char *digest_hex, const char *server, char *held, size_t heldlen,
				  char *err, size_t errlen)
{
	PGresult   *res = NULL;
	int			rc;

	held[0] = '\0';
	if (!run(conn,
			 "WITH mine AS (SELECT server_name FROM pgi.key_claims WHERE key_digest = $1),"
			 " taken AS (INSERT INTO pgi.key_claims (server_name, key_digest)"
			 "   SELECT $2, $1 WHERE NOT EXISTS (SELECT FROM mine) ON CONFLICT DO NOTHING RETURNING server_name)"
			 " SELECT coalesce((SELECT server_name FROM mine), (SELECT server_name FROM taken))",
			 2, (const char *const[]) {digest_hex, server}, &res, err, errlen))
		return -1;
	if (PQntuples(res) != 1)
	{
		snprintf(err, errlen, "key claim: %d rows, want 1", PQntuples(res));
		rc = -1;
	}
	else if (PQgetisnull(res, 0, 0))
		rc = 0;					/* the server is another key's */
	else
	{
		snprintf(held, heldlen, "%s", PQgetvalue(res, 0, 0));
		rc = strcmp(held, server) == 0 ? 1 : 0;
	}
	PQclear(res);
	return rc;
}

bool
repo_release_claims(PGconn *conn, const char *digest_array)
{
	char		err[256];

	return run(conn, "DELETE FROM pgi.key_claims WHERE key_digest <> ALL ($1::text[])",
			   1, (const char *const[]) {digest_array}, NULL, err, sizeof(err));
}
