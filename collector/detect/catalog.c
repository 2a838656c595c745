/* catalog.c — what detectors ask the monitored database: indexes, foreign keys, planner costs (hypopg). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define MARK "/* pg_insights_collector */ "
/* the collector's own statements are recognized by this tag and left out of its deltas */
#define OWN " /*application='pg_insights_collector'*/"

/* Split "schema.rel" into its parts (the store keeps names unquoted). */
static void
split_relation(const char *relation, char *schema, size_t ssz, char *rel, size_t rsz)
{
	const char *dot = strchr(relation, '.');

	if (dot == NULL)
	{
		snprintf(schema, ssz, "public");
		snprintf(rel, rsz, "%s", relation);
		return;
	}
	snprintf(schema, ssz, "%.*s", (int) (dot - relation), relation);
	snprintf(rel, rsz, "%s", dot + 1);
}

/* An identifier as SQL would need it written. */
void
catalog_quote_ident(Sbuf *b, const char *id)
{
	const char *p;
	bool		plain = (*id >= 'a' && *id <= 'z') || *id == '_';

	for (p = id; plain && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			plain = false;
	if (plain)
	{
		sbuf_printf(b, "%s", id);
		return;
	}
	sbuf_printf(b, "\"");
	for (p = id; *p; p++)
		sbuf_printf(b, *p == '"' ? "\"\"" : "%c", *p);
	sbuf_printf(b, "\"");
}

void
catalog_quote_relation(Sbuf *b, const char *relation)
{
	char		schema[256],
				rel[256];

	split_relation(relation, schema, sizeof(schema), rel, sizeof(rel));
	catalog_quote_ident(b, schema);
	sbuf_printf(b, ".");
	catalog_quote_ident(b, rel);
}

/* Does a valid index of relation start with exactly these columns? */
bool
catalog_index_prefix_exists(DetectInput *in, const char *relation, char **cols, int ncols)
{
	static const char *sql = MARK
		"SELECT (SELECT array_agg(a.attname::text ORDER BY k.o)"
		"          FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, o)"
		"          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)::text"
		"  FROM pg_index i"
		" WHERE i.indrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND i.indisvalid" OWN;
	char		schema[256],
				rel[256];
	const char *params[2] = {schema, rel};
	PGresult   *r;
	int			i,
				j;
	bool		found = false;

	split_relation(relation, schema, sizeof(schema), rel, sizeof(rel));
	r = PQexecParams(in->conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		log_warning("detection: index lookup failed: %s", PQerrorMessage(in->conn));
		PQclear(r);
		return true;			/* unknown: suggest nothing rather than something wrong */
	}
	for (i = 0; i < PQntuples(r) && !found; i++)
	{
		char	  **icols;
		int			n = PQgetisnull(r, i, 0) ? 0 : pgarray_parse(in->arena, PQgetvalue(r, i, 0), &icols);

		if (n < ncols)
			continue;
		found = true;
		for (j = 0; j < ncols; j++)
			if (strcmp(icols[j], cols[j]) != 0)
				found = false;
	}
	PQclear(r);
	return found;
}

/* Name of a single-column foreign key on relation.column that no index leads with, or NULL. */
const char *
catalog_unindexed_fk(DetectInput *in, const char *relation, const char *column)
{
	static const char *sql = MARK
		"SELECT c.conname::text FROM pg_constraint c"
		"  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
		" WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND a.attname = $3"
		"   AND c.conrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))"
		"   AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])" OWN;
	char		schema[256],
				rel[256];
	const char *params[3] = {schema, rel, column};
	PGresult   *r;
	const char *name = NULL;

	split_relation(relation, schema, sizeof(schema), rel, sizeof(rel));
	r = PQexecParams(in->conn, sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		name = arena_strdup(in->arena, PQgetvalue(r, 0, 0));
	PQclear(r);
	return name;
}

static int
max_param(const char *q)
{
	int			max = 0;
	const char *p;

	for (p = q; *p; p++)
		if (*p == '$' && p[1] >= '0' && p[1] <= '9')
		{
			int			n = atoi(p + 1);

			if (n > max)
				max = n;
		}
	return max;
}

static bool
run(PGconn *conn, const char *sql)
{
	PGresult   *r = PQexec(conn, sql);
	bool		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok;
}

static double
explain_cost(PGconn *conn, const char *execute)
{
	PGresult   *r = PQexec(conn, execute);
	double		cost = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
	{
		const char *p = strstr(PQgetvalue(r, 0, 0), "\"Total Cost\":");

		if (p)
			cost = strtod(p + strlen("\"Total Cost\":"), NULL);
	}
	PQclear(r);
	return cost;
}

/*
 * The planner's cost of query's generic plan without and with a
 * hypothetical index (hypopg).  Nothing is executed or created: the
 * statement is only prepared and explained, in a transaction rolled back.
 * Returns false when the statement cannot be planned this way.
 */
bool
catalog_hypothetical_costs(DetectInput *in, const char *query, const char *create_index,
						   double *before, double *after)
{
	Sbuf		exec;
	Sbuf		prep;
	int			i,
				n;
	bool		prepared = false;
	PGresult   *r;
	const char *params[1] = {create_index};

	*before = *after = -1;
	if (!in->have_hypopg || query == NULL || strstr(query, "...truncated") != NULL)
		return false;
	n = max_param(query);
	sbuf_init(&prep);
	sbuf_printf(&prep, MARK "PREPARE pgi_detect_plan AS %s", query);
	sbuf_init(&exec);
	sbuf_printf(&exec, MARK "EXPLAIN (FORMAT JSON) EXECUTE pgi_detect_plan");
	for (i = 0; i < n; i++)
		sbuf_printf(&exec, "%sNULL", i ? ", " : "(");
	if (n > 0)
		sbuf_printf(&exec, ")");
	sbuf_printf(&exec, "%s", OWN);

	/*
	 * A cached generic plan would not see the hypothetical index: plan the
	 * statement before and after creating it, from two PREPAREs.
	 */
	if (run(in->conn, MARK "BEGIN READ ONLY" OWN) &&
		run(in->conn, "SET LOCAL plan_cache_mode = force_generic_plan" OWN))
	{
		prepared = run(in->conn, prep.data);
		if (prepared)
		{
			*before = explain_cost(in->conn, exec.data);
			run(in->conn, "DEALLOCATE pgi_detect_plan" OWN);
			r = PQexecParams(in->conn, MARK "SELECT indexrelid FROM hypopg_create_index($1)" OWN,
							 1, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(r) == PGRES_TUPLES_OK && run(in->conn, prep.data))
			{
				*after = explain_cost(in->conn, exec.data);
				run(in->conn, "DEALLOCATE pgi_detect_plan" OWN);
			}
			PQclear(r);
			run(in->conn, MARK "SELECT hypopg_reset()" OWN);
		}
	}
	run(in->conn, "ROLLBACK" OWN);
	free(prep.data);
	free(exec.data);
	return *before > 0 && *after >= 0;
}

/*
 * Request grouping shared by the N+1 and repeated-query detectors: events
 * with the same trace id are one request; else events of one transaction
 * block; else a burst of one backend that no idle gap interrupts.
 * Fills group[i] for every event (ids are arbitrary but equal per request).
 */
void
detect_request_groups(DetectInput *in, int64_t *group, char *grouped_by)
{
	/* last untraced, non-transaction event per backend: open addressing on pid */
	enum
	{
		NSLOTS = 8192
	};
	int		   *slot_pid = xcalloc(NSLOTS, sizeof(int));
	int		   *slot_idx = xcalloc(NSLOTS, sizeof(int));
	int			i;
	int64_t		next_burst = 1;

	for (i = 0; i < in->nevents; i++)
	{
		DetEvent   *e = &in->events[i];

		if (e->trace_id[0] != '\0')
		{
			uint64_t	h = 1469598103934665603ULL;
			const char *p;

			for (p = e->trace_id; *p; p++)
				h = (h ^ (unsigned char) *p) * 1099511628211ULL;
			group[i] = (int64_t) ((h >> 3) | (1ULL << 62));
			grouped_by[i] = 't';
		}
		else if (e->in_xact_block)
		{
			group[i] = (int64_t) (((((uint64_t) e->pid << 32) ^ (uint64_t) e->xact_id) >> 3) | (1ULL << 61));
			grouped_by[i] = 'x';
		}
		else
		{
			unsigned	h = ((unsigned) e->pid * 2654435761u) % NSLOTS;
			int			probes = 0;

			while (slot_pid[h] != 0 && slot_pid[h] != e->pid && probes++ < NSLOTS)
				h = (h + 1) % NSLOTS;
			group[i] = 0;
			if (slot_pid[h] == e->pid)
			{
				int			j = slot_idx[h];
				DetEvent   *p = &in->events[j];

				/* same request unless the backend sat idle in between */
				if ((double) (e->end_us - p->end_us) / 1000.0 - e->duration_ms <= in->cfg->request_idle_gap_ms)
					group[i] = group[j];
			}
			if (group[i] == 0)
				group[i] = next_burst++;
			slot_pid[h] = e->pid;
			slot_idx[h] = i;
			grouped_by[i] = 'b';
		}
	}
	free(slot_pid);
	free(slot_idx);
}
