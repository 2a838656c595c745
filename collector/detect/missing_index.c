/* missing_index.c — a frequent shape whose scan of a large table throws most rows away in a filter. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define MAX_INDEX_COLS 3

static bool
is_equality(const char *op)
{
	return strcmp(op, "=") == 0;
}

static bool
is_range(const char *op)
{
	return strcmp(op, "<") == 0 || strcmp(op, ">") == 0 ||
		strcmp(op, "<=") == 0 || strcmp(op, ">=") == 0;
}

/* Index columns from the filter: equality columns first, then one range column. */
static int
index_columns(const DetScan *scan, char **cols)
{
	int			n = 0,
				i,
				j;
	bool		have_range = false;

	for (i = 0; i < scan->nfilter && n < MAX_INDEX_COLS; i++)
	{
		bool		dup = false;

		if (!is_equality(scan->filter_ops[i]))
			continue;
		for (j = 0; j < n; j++)
			dup |= strcmp(cols[j], scan->filter_cols[i]) == 0;
		if (!dup)
			cols[n++] = scan->filter_cols[i];
	}
	for (i = 0; i < scan->nfilter && n < MAX_INDEX_COLS && !have_range; i++)
	{
		bool		dup = false;

		if (!is_range(scan->filter_ops[i]))
			continue;
		for (j = 0; j < n; j++)
			dup |= strcmp(cols[j], scan->filter_cols[i]) == 0;
		if (!dup)
		{
			cols[n++] = scan->filter_cols[i];
			have_range = true;
		}
	}
	return n;
}

static bool
has_finding(DetectInput *in, const char *kind, int64_t shape_id)
{
	int			i;

	for (i = 0; i < in->nfindings; i++)
		if (in->findings[i].shape_id == shape_id && strcmp(in->findings[i].kind, kind) == 0)
			return true;
	return false;
}

/* One shape the planner says an index would serve. */
typedef struct Candidate
{
	const DetScan *scan;
	DetShape   *shape;
	char	   *cols[MAX_INDEX_COLS];
	int			ncols;
	char	   *create;			/* CREATE INDEX ON rel (cols): what groups candidates */
	double		removed_frac;
	double		before;
	double		after;
	bool		validated;
	bool		few;			/* fewer calls than index_min_calls: only joins a group */
	bool		skip;			/* another scan of a shape already in its group */
} Candidate;

/* With hypopg, the planner must see the index cut the statement's cost by 10% or more. */
static bool
planner_agrees(DetectInput *in, Candidate *c, const char *create)
{
	c->validated = catalog_hypothetical_costs(in, c->shape ? c->shape->query : NULL, create,
											  &c->before, &c->after);
	return !(c->validated && c->after >= c->before * 0.9);
}

/*
 * The finding of one member c of a group (the candidates sharing one CREATE
 * INDEX): its own scan's numbers, and every shape the same index serves.
 */
static void
emit(DetectInput *in, Candidate *cands, int ncands, const Candidate *c)
{
	const DetScan *scan = c->scan;
	DetShape   *s = c->shape;
	const char *fk;
	DetFinding *f;
	Sbuf		b;
	int			j,
				listed = 0,
				others = 0;
	const char *other_query = NULL;

	if ((f = detect_add(in, "missing_index", s->shape_id)) == NULL)
		return;
	fk = catalog_unindexed_fk(in, scan->relation, c->cols[0]);
	/* a statement with few calls shares the cause but weighs less: ranked below its siblings */
	if (c->few)
		f->severity = "info";
	else
		f->severity = (c->removed_frac >= 0.99 && s->calls >= 100) ||
			has_finding(in, "n_plus_one", s->shape_id) ? "critical" : "warning";

	sbuf_init(&b);
	sbuf_printf(&b, "{\"relation\":");
	sbuf_json_str(&b, scan->relation);
	sbuf_printf(&b, ",\"scan\":");
	sbuf_json_str(&b, scan->scan);
	sbuf_printf(&b, ",\"index_columns\":[");
	for (j = 0; j < c->ncols; j++)
	{
		sbuf_printf(&b, "%s", j ? "," : "");
		sbuf_json_str(&b, c->cols[j]);
	}
	sbuf_printf(&b, "],\"rows_per_scan\":%.1f,\"removed_per_scan\":%.1f,\"removed_fraction\":%.4f,"
				"\"table_rows\":%.0f,\"calls\":%lld,\"reads_per_call\":%.1f",
				scan->rows, scan->removed, c->removed_frac, scan->table_rows, (long long) s->calls,
				s->calls ? (double) s->reads / s->calls : 0.0);
	if (c->validated)
		sbuf_printf(&b, ",\"planner\":{\"cost_before\":%.2f,\"cost_after\":%.2f,\"hypothetical_index\":true}",
					c->before, c->after);
	if (fk)
	{
		sbuf_printf(&b, ",\"unindexed_foreign_key\":");
		sbuf_json_str(&b, fk);
	}
	/* every shape this index serves, this one first */
	sbuf_printf(&b, ",\"serves\":[");
	for (j = -1; j < ncands; j++)
	{
		const Candidate *o = j < 0 ? c : &cands[j];

		if (j >= 0 && (o == c || o->skip || strcmp(o->create, c->create) != 0))
			continue;
		if (o != c)
		{
			others++;
			if (other_query == NULL)
				other_query = o->shape->query;
		}
		sbuf_printf(&b, "%s{\"shape_id\":\"%lld\",\"calls\":%lld,\"total_ms\":%.3f,\"query\":",
					listed++ ? "," : "", (long long) o->shape->shape_id, (long long) o->shape->calls,
					o->shape->total_ms);
		sbuf_json_str(&b, o->shape->query ? o->shape->query : "");
		sbuf_printf(&b, "}");
	}
	sbuf_printf(&b, "]}");
	f->evidence = sbuf_steal(&b);

	sbuf_init(&b);
	sbuf_printf(&b, "Each execution reads %s and its filter throws away %.1f%% of the rows scanned "
				"(%.0f of %.0f). Add an index on %s (",
				strcmp(scan->scan, "seq") == 0 ? "the whole table" : "through an index that does not match the filter",
				c->removed_frac * 100, scan->removed, scan->rows + scan->removed, scan->relation);
	for (j = 0; j < c->ncols; j++)
		sbuf_printf(&b, "%s%s", j ? ", " : "", c->cols[j]);
	sbuf_printf(&b, ")%s.", c->ncols > 1 ? ": equality columns first, then the range column" : "");
	if (fk)
		sbuf_printf(&b, " %s is a foreign key without an index.", fk);
	if (others > 0)
	{
		sbuf_printf(&b, " The same index serves %d other statement%s (", others, others > 1 ? "s" : "");
		sbuf_printf(&b, "%.80s%s", other_query ? other_query : "",
					other_query && strlen(other_query) > 80 ? "..." : "");
		sbuf_printf(&b, "%s): one index fixes them all.", others > 1 ? ", ..." : "");
	}
	f->suggestion = sbuf_steal(&b);

	/* CONCURRENTLY: no write lock on a live table */
	f->fix_sql = xmalloc(strlen(c->create) + 32);
	strcpy(f->fix_sql, "CREATE INDEX CONCURRENTLY");
	strcat(f->fix_sql, c->create + strlen("CREATE INDEX"));
	strcat(f->fix_sql, ";");

	sbuf_init(&b);
	if (c->validated)
		sbuf_printf(&b, "The planner's cost drops from %.1f to %.1f (-%.0f%%) with a hypothetical index (hypopg). ",
					c->before, c->after, 100.0 * (c->before - c->after) / c->before);
	sbuf_printf(&b, "Reads per call should fall from about %.0f to a few index pages plus the %.1f rows returned",
				s->calls ? (double) s->reads / s->calls : 0.0, scan->rows);
	if (others > 0)
		sbuf_printf(&b, ", in %d statement shapes", others + 1);
	sbuf_printf(&b, ".");
	f->expected_impact = sbuf_steal(&b);
}

/*
 * Same cause, same verdict: every shape one index would serve gets the
 * finding, so none of them reads as fine.  A shape with fewer calls than
 * index_min_calls passes every other test (large table, filter removing
 * most rows, no index leading with the columns, the planner agreeing) and
 * is reported only when a shape with enough calls needs the same index.
 */
void
detect_missing_index(DetectInput *in)
{
	const DetectConfig *cfg = in->cfg;
	Candidate  *cands = xcalloc(in->nscans + 1, sizeof(Candidate));
	int			ncands = 0,
				i,
				j;

	for (i = 0; i < in->nscans; i++)
	{
		const DetScan *scan = &in->scans[i];
		DetShape   *s = detect_shape(in, scan->shape_id);
		Candidate  *c = &cands[ncands];
		double		scanned = scan->rows + scan->removed;
		Sbuf		create;

		if (s == NULL || s->internal || s->calls <= 0)
			continue;
		if (strcmp(scan->scan, "seq") != 0 && strcmp(scan->scan, "index") != 0)
			continue;
		c->removed_frac = scanned > 0 ? scan->removed / scanned : 0;
		if (scan->table_rows < cfg->index_min_table_rows || c->removed_frac < cfg->index_min_removed_frac)
			continue;
		c->ncols = index_columns(scan, c->cols);
		if (c->ncols == 0 || catalog_index_prefix_exists(in, scan->relation, c->cols, c->ncols))
			continue;

		sbuf_init(&create);
		sbuf_printf(&create, "CREATE INDEX ON ");
		catalog_quote_relation(&create, scan->relation);
		sbuf_printf(&create, " (");
		for (j = 0; j < c->ncols; j++)
		{
			sbuf_printf(&create, "%s", j ? ", " : "");
			catalog_quote_ident(&create, c->cols[j]);
		}
		sbuf_printf(&create, ")");
		c->few = s->calls < cfg->index_min_calls;
		c->scan = scan;
		c->shape = s;
		c->before = c->after = -1;
		/* a shape with few calls asks the planner only once a sibling justifies the index (below) */
		if (!c->few && !planner_agrees(in, c, create.data))
		{
			free(create.data);
			memset(c, 0, sizeof(*c));
			continue;
		}
		c->create = sbuf_steal(&create);
		ncands++;
	}

	/* one shape, one member of a group: its first scan that needs this index */
	for (i = 0; i < ncands; i++)
		for (j = 0; j < i && !cands[i].skip; j++)
			if (!cands[j].skip && cands[j].shape == cands[i].shape &&
				strcmp(cands[j].create, cands[i].create) == 0)
				cands[i].skip = true;
	for (i = 0; i < ncands; i++)
	{
		bool		justified = false;

		if (cands[i].skip)
			continue;
		for (j = 0; j < ncands && !justified; j++)
			justified = !cands[j].skip && !cands[j].few && strcmp(cands[j].create, cands[i].create) == 0;
		if (justified && cands[i].few && !planner_agrees(in, &cands[i], cands[i].create))
			justified = false;
		if (!justified)
			cands[i].skip = true;	/* neither reported nor listed as served */
	}
	for (i = 0; i < ncands; i++)
		if (!cands[i].skip)
			emit(in, cands, ncands, &cands[i]);
	for (i = 0; i < ncands; i++)
		free(cands[i].create);
	free(cands);
}
