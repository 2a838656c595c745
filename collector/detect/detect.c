/* detect.c — one detection pass: read shapes, plan samples and events, run the detector table, merge findings. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

/* The registry: every detector, in the order they run. */
static const Detector detectors[] = {
	{"n_plus_one", detect_n_plus_one},
	{"missing_index", detect_missing_index},
	{"offset_pagination", detect_offset_pagination},
	{"repeated_query", detect_repeated_query},
	{"over_fetching", detect_over_fetching},
	{"large_nested_read", detect_large_nested_read},
	{"frequent_errors", detect_frequent_errors},
};

#define CARRY_WINDOW_US		(5 * 1000000LL)	/* events kept across polls */
#define CARRY_MAX			20000
#define MARK				"/* pg_insights_collector */ "
/* the collector's own statements are recognized by this tag and left out of its deltas */
#define OWN					" /*application='pg_insights_collector'*/"

typedef struct PrevShape
{
	int64_t		shape_id;
	int64_t		calls;
	int64_t		reads;
	int64_t		rows;
	double		ms;
} PrevShape;

struct DetectState
{
	int64_t		after_seq;
	int64_t		events_lost;
	DetEvent   *carry;
	int			ncarry;
	PrevShape  *prev;
	int			nprev;
};

void
detect_config_defaults(DetectConfig *cfg)
{
	cfg->nplus1_min_repeats = 5;
	cfg->request_idle_gap_ms = 100.0;
	cfg->index_min_table_rows = 10000;
	cfg->index_min_removed_frac = 0.9;
	cfg->index_min_calls = 5;
	cfg->offset_min = 100;
	cfg->offset_growth = 2.0;
	cfg->repeat_min = 10;
	cfg->overfetch_min_columns = 10;
	cfg->overfetch_min_bytes_per_call = 16384;
	cfg->nested_min_rows_per_call = 1000;
	cfg->nested_min_bytes_per_call = 262144;
	cfg->resolve_after_polls = 2;
	cfg->errors_min = 10;
	cfg->errors_min_rate = 0.05;
}

/* key = value from the config file or --detect key=value; false if unknown or bad */
bool
detect_config_set(DetectConfig *cfg, const char *key, const char *value)
{
	char	   *end;
	double		d = strtod(value, &end);

	if (*value == '\0' || *end != '\0' || !(d >= 0))	/* NaN too */
		return false;
	/* a value the field cannot hold is refused (converting it would be undefined) */
#define SET(name, field) if (strcmp(key, name) == 0) { \
		if (d > (sizeof(cfg->field) == sizeof(int) ? (double) INT_MAX : 9.2e18)) \
			return false; \
		cfg->field = d; \
		return true; \
	}
	SET("nplus1_min_repeats", nplus1_min_repeats);
	SET("request_idle_gap_ms", request_idle_gap_ms);
	SET("index_min_table_rows", index_min_table_rows);
	SET("index_min_removed_frac", index_min_removed_frac);
	SET("index_min_calls", index_min_calls);
	SET("offset_min", offset_min);
	SET("offset_growth", offset_growth);
	SET("repeat_min", repeat_min);
	SET("overfetch_min_columns", overfetch_min_columns);
	SET("overfetch_min_bytes_per_call", overfetch_min_bytes_per_call);
	SET("nested_min_rows_per_call", nested_min_rows_per_call);
	SET("nested_min_bytes_per_call", nested_min_bytes_per_call);
	SET("resolve_after_polls", resolve_after_polls);
	SET("errors_min", errors_min);
	SET("errors_min_rate", errors_min_rate);
#undef SET
	return false;
}

const char *
detect_kind(int i)
{
	if (i < 0 || (size_t) i >= sizeof(detectors) / sizeof(detectors[0]))
		return NULL;
	return detectors[i].kind;
}

DetectState *
detect_state_create(void)
{
	return xcalloc(1, sizeof(DetectState));
}

void
detect_state_free(DetectState *st)
{
	if (st == NULL)
		return;
	free(st->carry);
	free(st->prev);
	free(st);
}

/* the server restarted: its event ring starts again at seq 1 and the old events are gone */
void
detect_state_restart(DetectState *st)
{
	st->after_seq = 0;
	st->ncarry = 0;
}

int64_t
detect_events_lost(const DetectState *st)
{
	return st->events_lost;
}

/* in->shapes is sorted by shape_id (load_shapes): a binary search per lookup */
DetShape *
detect_shape(DetectInput *in, int64_t shape_id)
{
	int			lo = 0,
				hi = in->nshapes - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int64_t		id = in->shapes[mid].shape_id;

		if (id == shape_id)
			return &in->shapes[mid];
		if (id < shape_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* A new finding of this poll; at most one per (kind, shape). */
DetFinding *
detect_add(DetectInput *in, const char *kind, int64_t shape_id)
{
	DetFinding *f;
	int			i;

	for (i = 0; i < in->nfindings; i++)
		if (in->findings[i].shape_id == shape_id && strcmp(in->findings[i].kind, kind) == 0)
			return NULL;
	if (in->nfindings == in->cap_findings)
	{
		in->cap_findings = in->cap_findings ? in->cap_findings * 2 : 16;
		in->findings = xrealloc(in->findings, sizeof(DetFinding) * in->cap_findings);
	}
	f = &in->findings[in->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->shape_id = shape_id;
	f->severity = "warning";
	return f;
}

static int64_t
num(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static double
dbl(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

static const char *
str(Arena *a, PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : arena_strdup(a, PQgetvalue(r, row, col));
}

static PGresult *
query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	PGresult   *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
	{
		log_warning("detection: query failed: %s", PQerrorMessage(conn));
		PQclear(r);
		return NULL;
	}
	return r;
}

static bool
is_internal(char **tables, int ntables)
{
	int			i;

	if (ntables == 0)
		return true;
	for (i = 0; i < ntables; i++)
		if (strncmp(tables[i], "pg_catalog.", 11) != 0 && strncmp(tables[i], "insights.", 9) != 0 &&
			strncmp(tables[i], "information_schema.", 19) != 0)
			return false;
	return true;
}

/* st->prev is in the previous poll's shape order, sorted by shape_id */
static const PrevShape *
find_prev(const DetectState *st, int64_t shape_id)
{
	int			lo = 0,
				hi = st->nprev - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int64_t		id = st->prev[mid].shape_id;

		if (id == shape_id)
			return &st->prev[mid];
		if (id < shape_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static bool
load_shapes(DetectInput *in, DetectState *st)
{
	static const char *sql = MARK
		"WITH q AS MATERIALIZED ("
		"  SELECT * FROM insights.queries_raw(true)"
		"   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())),"
		" a AS MATERIALIZED ("
		"  SELECT DISTINCT ON (shape_id) shape_id,"
		"         coalesce('prisma.' || lower(left(prisma_model, 1)) || substr(prisma_model, 2) || '.' || prisma_action,"
		"                  prisma_action, route, controller, application) AS who, prisma_shape::text AS pshape,"
		"         application = 'pg_insights_collector' AS own"
		"    FROM insights.attribution_raw()"
		"   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
		"   ORDER BY shape_id, calls DESC)"
		"SELECT q.shape_id, min(q.query), min(q.command), (array_agg(q.tables::text))[1],"
		"       sum(q.calls), sum(q.total_time), sum(q.rows), sum(q.reads), sum(q.bytes),"
		"       max(q.row_width), max(q.columns), min(a.who), min(a.pshape), bool_or(coalesce(a.own, false))"
		"  FROM q LEFT JOIN a USING (shape_id)"
		" GROUP BY q.shape_id ORDER BY q.shape_id" OWN;
	PGresult   *r = query(in->conn, sql, 0, NULL);
	PrevShape  *next;
	int			i;

	if (r == NULL)
		return false;
	in->nshapes = PQntuples(r);
	in->shapes = arena_alloc(in->arena, sizeof(DetShape) * (in->nshapes + 1));
	next = xcalloc(in->nshapes + 1, sizeof(PrevShape));
	for (i = 0; i < in->nshapes; i++)
	{
		DetShape   *s = &in->shapes[i];
		const PrevShape *p;

		memset(s, 0, sizeof(*s));
		s->shape_id = num(r, i, 0);
		s->query = str(in->arena, r, i, 1);
		s->command = str(in->arena, r, i, 2);
		s->ntables = PQgetisnull(r, i, 3) ? 0 :
			pgarray_parse(in->arena, PQgetvalue(r, i, 3), &s->tables);
		if (s->ntables < 0)
			s->ntables = 0;
		s->calls = num(r, i, 4);
		s->total_ms = dbl(r, i, 5);
		s->rows = num(r, i, 6);
		s->reads = num(r, i, 7);
		s->bytes = num(r, i, 8);
		s->row_width = (int) num(r, i, 9);
		s->columns = (int) num(r, i, 10);
		s->attribution = str(in->arena, r, i, 11);
		s->prisma_shape = str(in->arena, r, i, 12);
		s->internal = is_internal(s->tables, s->ntables) ||
			(!PQgetisnull(r, i, 13) && PQgetvalue(r, i, 13)[0] == 't');

		/* interval deltas; a counter that went down restarted from zero */
		p = find_prev(st, s->shape_id);
		if (p && s->calls >= p->calls)
		{
			s->d_calls = s->calls - p->calls;
			s->d_reads = s->reads - p->reads;
			s->d_rows = s->rows - p->rows;
			s->d_ms = s->total_ms - p->ms;
		}
		else
		{
			s->d_calls = s->calls;
			s->d_reads = s->reads;
			s->d_rows = s->rows;
			s->d_ms = s->total_ms;
		}
		next[i].shape_id = s->shape_id;
		next[i].calls = s->calls;
		next[i].reads = s->reads;
		next[i].rows = s->rows;
		next[i].ms = s->total_ms;
	}
	free(st->prev);
	st->prev = next;
	st->nprev = in->nshapes;
	PQclear(r);
	return true;
}

static bool
load_scans(DetectInput *in)
{
	static const char *sql = MARK
		"WITH p AS MATERIALIZED ("
		"  SELECT DISTINCT ON (shape_id) shape_id, plan FROM insights.queries_raw(false)"
		"   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
		"     AND plan IS NOT NULL ORDER BY shape_id, plan_sampled_at DESC)"
		"SELECT p.shape_id, n->>'relation', n->>'scan', n->>'index',"
		"       (n->>'rows')::float8 / greatest((n->>'loops')::float8, 1),"
		"       (n->>'removed')::float8 / greatest((n->>'loops')::float8, 1),"
		"       (n->>'table_rows')::float8,"
		"       (SELECT array_agg(f->>'column' ORDER BY o) FROM jsonb_array_elements(n->'filter') WITH ORDINALITY x(f, o))::text,"
		"       (SELECT array_agg(f->>'op' ORDER BY o) FROM jsonb_array_elements(n->'filter') WITH ORDINALITY x(f, o))::text"
		"  FROM p, jsonb_array_elements(p.plan->'nodes') n" OWN;
	PGresult   *r = query(in->conn, sql, 0, NULL);
	int			i;

	if (r == NULL)
		return false;
	in->nscans = PQntuples(r);
	in->scans = arena_alloc(in->arena, sizeof(DetScan) * (in->nscans + 1));
	for (i = 0; i < in->nscans; i++)
	{
		DetScan    *s = &in->scans[i];
		int			nops;

		memset(s, 0, sizeof(*s));
		s->shape_id = num(r, i, 0);
		s->relation = str(in->arena, r, i, 1);
		s->scan = str(in->arena, r, i, 2);
		s->index = str(in->arena, r, i, 3);
		s->rows = dbl(r, i, 4);
		s->removed = dbl(r, i, 5);
		s->table_rows = dbl(r, i, 6);
		s->nfilter = PQgetisnull(r, i, 7) ? 0 : pgarray_parse(in->arena, PQgetvalue(r, i, 7), &s->filter_cols);
		nops = PQgetisnull(r, i, 8) ? 0 : pgarray_parse(in->arena, PQgetvalue(r, i, 8), &s->filter_ops);
		if (s->nfilter < 0 || nops != s->nfilter)
			s->nfilter = 0;
	}
	PQclear(r);
	return true;
}

static bool
load_errors(DetectInput *in)
{
	static const char *sql = MARK
		"SELECT shape_id, left(sqlstate, 5), sum(errors)::bigint FROM insights.errors_raw()"
		" WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
		" GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2" OWN;
	PGresult   *r = query(in->conn, sql, 0, NULL);
	int			i;

	if (r == NULL)
		return false;
	in->nerrors = PQntuples(r);
	in->errors = arena_alloc(in->arena, sizeof(DetError) * (in->nerrors + 1));
	for (i = 0; i < in->nerrors; i++)
	{
		in->errors[i].shape_id = num(r, i, 0);
		snprintf(in->errors[i].sqlstate, sizeof(in->errors[i].sqlstate), "%s", PQgetvalue(r, i, 1));
		in->errors[i].errors = num(r, i, 2);
	}
	PQclear(r);
	return true;
}

static int
cmp_event_seq(const void *a, const void *b)
{
	int64_t		x = ((const DetEvent *) a)->seq,
				y = ((const DetEvent *) b)->seq;

	return (x > y) - (x < y);
}

static bool
load_events(DetectInput *in, DetectState *st)
{
	static const char *sql = MARK
		"SELECT seq, (extract(epoch FROM end_time) * 1000000)::int8, pid, xact_id, nesting_level,"
		"       shape_id, duration_ms, rows, reads, param_hash, coalesce(trace_id, ''),"
		"       coalesce(tagset_id, 0), coalesce(offset_value, -1), in_xact_block,"
		"       dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
		"  FROM insights.events($1) ORDER BY seq" OWN;
	char		after[32];
	const char *params[1] = {after};
	PGresult   *r;
	int			n,
				i,
				keep = 0;
	int64_t		newest = 0;
	DetEvent   *all;

	snprintf(after, sizeof(after), "%lld", (long long) st->after_seq);
	r = query(in->conn, sql, 1, params);
	if (r == NULL)
		return false;
	n = PQntuples(r);

	all = xmalloc(sizeof(DetEvent) * (st->ncarry + n + 1));
	if (st->ncarry > 0)
		memcpy(all, st->carry, sizeof(DetEvent) * st->ncarry);
	in->nevents = st->ncarry;
	for (i = 0; i < n; i++)
	{
		DetEvent   *e;
		int64_t		seq = num(r, i, 0);

		/*
		 * every missing number is an event lost (overwritten, or dropped by
		 * its writer); not those from before the collector's first read
		 */
		if (st->after_seq > 0 && seq > st->after_seq + 1)
			in->events_lost += seq - st->after_seq - 1;
		st->after_seq = seq;
		if (PQgetvalue(r, i, 14)[0] != 't')
			continue;			/* another database's */
		e = &all[in->nevents++];
		e->seq = num(r, i, 0);
		e->end_us = num(r, i, 1);
		e->pid = (int) num(r, i, 2);
		e->xact_id = num(r, i, 3);
		e->nesting_level = (int) num(r, i, 4);
		e->shape_id = num(r, i, 5);
		e->duration_ms = dbl(r, i, 6);
		e->rows = num(r, i, 7);
		e->reads = num(r, i, 8);
		e->param_hash = num(r, i, 9);
		snprintf(e->trace_id, sizeof(e->trace_id), "%s", PQgetvalue(r, i, 10));
		e->tagset_id = num(r, i, 11);
		e->offset_value = num(r, i, 12);
		e->in_xact_block = PQgetvalue(r, i, 13)[0] == 't';
	}
	PQclear(r);
	st->events_lost += in->events_lost;
	qsort(all, in->nevents, sizeof(DetEvent), cmp_event_seq);

	/* drop the collector's own and catalog-only statements */
	for (i = 0; i < in->nevents; i++)
	{
		DetShape   *s = detect_shape(in, all[i].shape_id);

		if (s == NULL || s->internal)
			continue;
		all[keep++] = all[i];
		if (all[i].end_us > newest)
			newest = all[i].end_us;
	}
	in->nevents = keep;
	in->events = arena_alloc(in->arena, sizeof(DetEvent) * (keep + 1));
	memcpy(in->events, all, sizeof(DetEvent) * keep);

	/* carry the last few seconds over, so a request split by a poll is seen whole */
	st->ncarry = 0;
	free(st->carry);
	st->carry = xmalloc(sizeof(DetEvent) * (keep + 1));
	for (i = 0; i < keep; i++)
		if (all[i].end_us >= newest - CARRY_WINDOW_US)
			st->carry[st->ncarry++] = all[i];
	if (st->ncarry > CARRY_MAX)
	{
		memmove(st->carry, st->carry + st->ncarry - CARRY_MAX, sizeof(DetEvent) * CARRY_MAX);
		st->ncarry = CARRY_MAX;
	}
	free(all);
	return true;
}

/* ---- merging into insights.findings_data (read as insights.findings) ---- */

static char *
tables_literal(const DetShape *s)
{
	Sbuf		b;
	int			i;

	sbuf_init(&b);
	sbuf_printf(&b, "{");
	for (i = 0; s && i < s->ntables; i++)
	{
		sbuf_printf(&b, "%s", i ? "," : "");
		sbuf_json_str(&b, s->tables[i]);	/* JSON quoting is valid array-literal quoting here */
	}
	sbuf_printf(&b, "}");
	return sbuf_steal(&b);
}

static char *
build_prompt(const DetFinding *f, const DetShape *s, const DetShape *parent)
{
	Sbuf		b;
	int			i;

	sbuf_init(&b);
	sbuf_printf(&b, "Help me fix a PostgreSQL performance problem that pg_insights found (%s).\n\n", f->kind);
	sbuf_printf(&b, "Query (normalized, $n are parameters):\n%s\n\n", s && s->query ? s->query : "(unknown)");
	if (parent && parent->query)
		sbuf_printf(&b, "It runs once per row of this parent query:\n%s\n\n", parent->query);
	if (s && s->ntables > 0)
	{
		sbuf_printf(&b, "Tables: ");
		for (i = 0; i < s->ntables; i++)
			sbuf_printf(&b, "%s%s", i ? ", " : "", s->tables[i]);
		sbuf_printf(&b, "\n");
	}
	if (s && s->attribution)
		sbuf_printf(&b, "Issued by: %s\n", s->attribution);
	if (s && s->calls > 0)
		sbuf_printf(&b, "Measured: %lld executions, %.3f ms average, %.1f reads (8 kB blocks) and %.1f rows per call\n",
					(long long) s->calls, s->total_ms / s->calls, (double) s->reads / s->calls,
					(double) s->rows / s->calls);
	sbuf_printf(&b, "Evidence: %s\n\n", f->evidence ? f->evidence : "{}");
	sbuf_printf(&b, "Suggested fix: %s\n", f->suggestion ? f->suggestion : "");
	if (f->fix_sql)
		sbuf_printf(&b, "SQL: %s\n", f->fix_sql);
	if (f->expected_impact)
		sbuf_printf(&b, "Expected impact: %s\n", f->expected_impact);
	sbuf_printf(&b, "\nShow me the change to make in the application code (and schema, if needed), "
				"and how to verify it with the same measurements.");
	return sbuf_steal(&b);
}

/* evidence + "measured": the numbers a later before/after comparison uses */
static char *
evidence_with_measured(const DetFinding *f, const DetShape *s, int64_t events_lost)
{
	Sbuf		b;
	const char *ev = f->evidence ? f->evidence : "{}";
	size_t		len = strlen(ev);
	int64_t		calls = s ? (s->d_calls > 0 ? s->d_calls : s->calls) : 0;
	int64_t		reads = s ? (s->d_calls > 0 ? s->d_reads : s->reads) : 0;
	double		ms = s ? (s->d_calls > 0 ? s->d_ms : s->total_ms) : 0;

	sbuf_init(&b);
	/* ev is an object we built: "{...}"; splice the measured object in */
	if (len >= 2 && ev[len - 1] == '}')
	{
		sbuf_printf(&b, "%.*s%s", (int) (len - 1), ev, len > 2 ? "," : "");
		/* the window's events were incomplete: the counts above may be low */
		if (events_lost > 0)
			sbuf_printf(&b, "\"events_lost\":%lld,", (long long) events_lost);
		sbuf_printf(&b, "\"measured\":{\"calls\":%lld,\"reads_per_call\":%.2f,\"mean_ms\":%.4f}}",
					(long long) calls, calls ? (double) reads / calls : 0.0, calls ? ms / calls : 0.0);
	}
	else
		sbuf_printf(&b, "{}");
	return sbuf_steal(&b);
}

static bool
upsert(DetectInput *in, const DetFinding *f)
{
	static const char *sql = MARK
		"INSERT INTO insights.findings_data AS f (kind, dbid, shape_id, query, parent_shape_id, parent_query,"
		"  tables, severity, evidence, suggestion, fix_sql, expected_impact, prompt, attribution)"
		" VALUES ($1, (SELECT oid FROM pg_database WHERE datname = current_database()), $2, $3, $4, $5,"
		"  $6::text[], $7, $8::jsonb, $9, $10, $11, $12, $13)"
		" ON CONFLICT (kind, dbid, shape_id) DO UPDATE SET"
		"  query = EXCLUDED.query, parent_shape_id = EXCLUDED.parent_shape_id,"
		"  parent_query = EXCLUDED.parent_query, tables = EXCLUDED.tables, severity = EXCLUDED.severity,"
		"  evidence = CASE WHEN f.status = 'resolved'"
		"    THEN EXCLUDED.evidence || jsonb_build_object('reopened_after', f.resolved_at)"
		"    ELSE EXCLUDED.evidence END,"
		"  suggestion = EXCLUDED.suggestion, fix_sql = EXCLUDED.fix_sql,"
		"  expected_impact = EXCLUDED.expected_impact, prompt = EXCLUDED.prompt,"
		"  attribution = EXCLUDED.attribution, status = 'open', resolved_at = NULL, quiet_polls = 0,"
		"  last_seen = now(), occurrences = f.occurrences + 1" OWN;
	const DetShape *s = detect_shape(in, f->shape_id);
	const DetShape *parent = f->parent_shape_id ? detect_shape(in, f->parent_shape_id) : NULL;
	char		shape[32],
				pshape[32];
	char	   *tables = tables_literal(s);
	char	   *prompt = build_prompt(f, s, parent);
	char	   *evidence = evidence_with_measured(f, s, in->events_lost);
	const char *params[13];
	PGresult   *r;

	snprintf(shape, sizeof(shape), "%lld", (long long) f->shape_id);
	snprintf(pshape, sizeof(pshape), "%lld", (long long) f->parent_shape_id);
	params[0] = f->kind;
	params[1] = shape;
	params[2] = s ? s->query : NULL;
	params[3] = f->parent_shape_id ? pshape : NULL;
	params[4] = parent ? parent->query : NULL;
	params[5] = tables;
	params[6] = f->severity;
	params[7] = evidence;
	params[8] = f->suggestion;
	params[9] = f->fix_sql;
	params[10] = f->expected_impact;
	params[11] = prompt;
	params[12] = s ? s->attribution : NULL;
	r = query(in->conn, sql, 13, params);
	free(tables);
	free(prompt);
	free(evidence);
	if (r == NULL)
		return false;
	PQclear(r);
	return true;
}

/*
 * Open findings not seen in this poll although their shape ran: after
 * resolve_after_polls such polls (counted in the table, so a collector
 * restart or --once runs keep counting) the finding resolves, keeping the
 * numbers from before (evidence.measured) and after the change.
 */
static bool
resolve_stale(DetectInput *in)
{
	static const char *open_sql = MARK
		"SELECT id, kind, shape_id, quiet_polls FROM insights.findings_data"
		" WHERE status = 'open' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())" OWN;
	static const char *quiet_sql = MARK
		"UPDATE insights.findings_data SET quiet_polls = quiet_polls + 1 WHERE id = $1" OWN;
	static const char *resolve_sql = MARK
		"UPDATE insights.findings_data SET status = 'resolved', resolved_at = now(), quiet_polls = 0,"
		"  evidence = evidence || jsonb_build_object('before', evidence->'measured',"
		"    'after', jsonb_build_object('calls', $2::int8, 'reads_per_call', $3::float8, 'mean_ms', $4::float8))"
		" WHERE id = $1" OWN;
	PGresult   *r = query(in->conn, open_sql, 0, NULL);
	int			i,
				j;

	if (r == NULL)
		return false;
	for (i = 0; i < PQntuples(r); i++)
	{
		const char *kind = PQgetvalue(r, i, 1);
		int64_t		shape_id = num(r, i, 2);
		int64_t		quiet = num(r, i, 3);
		DetShape   *s = detect_shape(in, shape_id);
		bool		seen = false;
		char		a[32],
					b[32],
					c[32],
					d[32];
		const char *p[4] = {a, b, c, d};
		PGresult   *u;

		for (j = 0; j < in->nfindings; j++)
			if (in->findings[j].shape_id == shape_id && strcmp(in->findings[j].kind, kind) == 0)
				seen = true;
		if (seen || s == NULL || s->d_calls <= 0)
			continue;			/* still there, or idle: no evidence either way */
		snprintf(a, sizeof(a), "%s", PQgetvalue(r, i, 0));
		if (quiet + 1 < in->cfg->resolve_after_polls)
			u = query(in->conn, quiet_sql, 1, p);
		else
		{
			snprintf(b, sizeof(b), "%lld", (long long) s->d_calls);
			snprintf(c, sizeof(c), "%.4f", (double) s->d_reads / s->d_calls);
			snprintf(d, sizeof(d), "%.4f", s->d_ms / s->d_calls);
			u = query(in->conn, resolve_sql, 4, p);
			if (u != NULL)
				log_info("finding %s (%s) resolved: its signal is gone", a, kind);
		}
		if (u == NULL)
		{
			PQclear(r);
			return false;
		}
		PQclear(u);
	}
	PQclear(r);
	return true;
}

static bool
load_stored(PGconn *conn, StoredFinding **out, int *nout)
{
	static const char *sql = MARK
		"SELECT id, kind, shape_id, coalesce(parent_shape_id, 0), severity, query, parent_query,"
		"       tables::text, evidence::text, suggestion, fix_sql, expected_impact, prompt, status,"
		"       (extract(epoch FROM first_seen) * 1000000)::int8, (extract(epoch FROM last_seen) * 1000000)::int8,"
		"       occurrences, dbid, attribution,"
		"       coalesce((extract(epoch FROM resolved_at) * 1000000)::int8, 0)"
		"  FROM insights.findings_data"
		" WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY id" OWN;
	PGresult   *r = query(conn, sql, 0, NULL);
	int			i,
				n;
	StoredFinding *f;

	*out = NULL;
	*nout = 0;
	if (r == NULL)
		return false;
	n = PQntuples(r);
	f = xcalloc(n + 1, sizeof(StoredFinding));
	for (i = 0; i < n; i++)
	{
#define S(col) (PQgetisnull(r, i, col) ? NULL : xstrdup(PQgetvalue(r, i, col)))
		f[i].id = num(r, i, 0);
		f[i].kind = S(1);
		f[i].shape_id = num(r, i, 2);
		f[i].parent_shape_id = num(r, i, 3);
		f[i].severity = S(4);
		f[i].query = S(5);
		f[i].parent_query = S(6);
		f[i].tables = S(7);
		f[i].evidence = S(8);
		f[i].suggestion = S(9);
		f[i].fix_sql = S(10);
		f[i].expected_impact = S(11);
		f[i].prompt = S(12);
		f[i].status = S(13);
		f[i].first_seen_us = num(r, i, 14);
		f[i].last_seen_us = num(r, i, 15);
		f[i].occurrences = num(r, i, 16);
		f[i].dbid = (uint32_t) num(r, i, 17);
		f[i].attribution = S(18);
		f[i].resolved_at_us = num(r, i, 19);
#undef S
	}
	PQclear(r);
	*out = f;
	*nout = n;
	return true;
}

void
detect_findings_free(StoredFinding *f, int n)
{
	int			i;

	for (i = 0; f && i < n; i++)
	{
		free(f[i].kind);
		free(f[i].severity);
		free(f[i].query);
		free(f[i].parent_query);
		free(f[i].tables);
		free(f[i].evidence);
		free(f[i].suggestion);
		free(f[i].fix_sql);
		free(f[i].expected_impact);
		free(f[i].prompt);
		free(f[i].status);
		free(f[i].attribution);
	}
	free(f);
}

static void
free_findings(DetectInput *in)
{
	int			i;

	for (i = 0; i < in->nfindings; i++)
	{
		free(in->findings[i].evidence);
		free(in->findings[i].suggestion);
		free(in->findings[i].fix_sql);
		free(in->findings[i].expected_impact);
	}
	free(in->findings);
}

static bool
exec_simple(PGconn *conn, const char *sql)
{
	PGresult   *r = PQexec(conn, sql);
	bool		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		log_warning("detection: \"%s\" failed: %s", sql, PQerrorMessage(conn));
	PQclear(r);
	return ok;
}

bool
detect_run(PGconn *conn, DetectState *st, const DetectConfig *cfg,
		   StoredFinding **out, int *nout)
{
	DetectInput in;
	PGresult   *r;
	bool		ok = false;
	size_t		i;

	*out = NULL;
	*nout = 0;
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.conn = conn;
	in.arena = arena_create();

	/* read everything in one snapshot; the detectors may run EXPLAIN later */
	if (!exec_simple(conn, MARK "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" OWN))
		goto done;
	if (!load_shapes(&in, st) || !load_scans(&in) || !load_events(&in, st) || !load_errors(&in))
	{
		exec_simple(conn, "ROLLBACK" OWN);
		goto done;
	}
	r = query(conn, MARK "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'hypopg')" OWN, 0, NULL);
	in.have_hypopg = r && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	exec_simple(conn, "COMMIT" OWN);

	for (i = 0; i < sizeof(detectors) / sizeof(detectors[0]); i++)
		detectors[i].run(&in);

	if (!exec_simple(conn, MARK "BEGIN" OWN))
		goto done;
	for (i = 0; i < (size_t) in.nfindings; i++)
	{
		if (!upsert(&in, &in.findings[i]))
		{
			exec_simple(conn, "ROLLBACK" OWN);
			goto done;
		}
	}
	if (!resolve_stale(&in))
	{
		exec_simple(conn, "ROLLBACK" OWN);
		goto done;
	}
	if (!exec_simple(conn, "COMMIT" OWN))
		goto done;
	ok = load_stored(conn, out, nout);
done:
	free_findings(&in);
	arena_free(in.arena);
	return ok;
}
