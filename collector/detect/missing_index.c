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

void
detect_missing_index(DetectInput *in)
{
	const DetectConfig *cfg = in->cfg;
	int			i,
				j;

	for (i = 0; i < in->nscans; i++)
	{
		const DetScan *scan = &in->scans[i];
		DetShape   *s = detect_shape(in, scan->shape_id);
		char	   *cols[MAX_INDEX_COLS];
		int			ncols;
		double		scanned = scan->rows + scan->removed;
		double		removed_frac = scanned > 0 ? scan->removed / scanned : 0;
		double		before = -1,
					after = -1;
		bool		validated;
		const char *fk;
		DetFinding *f;
		Sbuf		create,
					b;

		if (s == NULL || s->internal || s->calls < cfg->index_min_calls)
			continue;
		if (strcmp(scan->scan, "seq") != 0 && strcmp(scan->scan, "index") != 0)
			continue;
		if (scan->table_rows < cfg->index_min_table_rows || removed_frac < cfg->index_min_removed_frac)
			continue;
		ncols = index_columns(scan, cols);
		if (ncols == 0 || catalog_index_prefix_exists(in, scan->relation, cols, ncols))
			continue;

		sbuf_init(&create);
		sbuf_printf(&create, "CREATE INDEX ON ");
		catalog_quote_relation(&create, scan->relation);
		sbuf_printf(&create, " (");
		for (j = 0; j < ncols; j++)
		{
			sbuf_printf(&create, "%s", j ? ", " : "");
			catalog_quote_ident(&create, cols[j]);
		}
		sbuf_printf(&create, ")");
		validated = catalog_hypothetical_costs(in, s->query, create.data, &before, &after);
		/* the planner says the index would not help: say nothing */
		if (validated && after >= before * 0.9)
		{
			free(create.data);
			continue;
		}
		if ((f = detect_add(in, "missing_index", s->shape_id)) == NULL)
		{
			free(create.data);
			continue;
		}
		fk = catalog_unindexed_fk(in, scan->relation, cols[0]);
		f->severity = (removed_frac >= 0.99 && s->calls >= 100) ||
			has_finding(in, "n_plus_one", s->shape_id) ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"relation\":");
		sbuf_json_str(&b, scan->relation);
		sbuf_printf(&b, ",\"scan\":");
		sbuf_json_str(&b, scan->scan);
		sbuf_printf(&b, ",\"index_columns\":[");
		for (j = 0; j < ncols; j++)
		{
			sbuf_printf(&b, "%s", j ? "," : "");
			sbuf_json_str(&b, cols[j]);
		}
		sbuf_printf(&b, "],\"rows_per_scan\":%.1f,\"removed_per_scan\":%.1f,\"removed_fraction\":%.4f,"
					"\"table_rows\":%.0f,\"calls\":%lld,\"reads_per_call\":%.1f",
					scan->rows, scan->removed, removed_frac, scan->table_rows, (long long) s->calls,
					s->calls ? (double) s->reads / s->calls : 0.0);
		if (validated)
			sbuf_printf(&b, ",\"planner\":{\"cost_before\":%.2f,\"cost_after\":%.2f,\"hypothetical_index\":true}",
						before, after);
		if (fk)
		{
			sbuf_printf(&b, ",\"unindexed_foreign_key\":");
			sbuf_json_str(&b, fk);
		}
		sbuf_printf(&b, "}");
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Each execution reads %s and its filter throws away %.1f%% of the rows scanned "
					"(%.0f of %.0f). Add an index on %s (",
					strcmp(scan->scan, "seq") == 0 ? "the whole table" : "through an index that does not match the filter",
					removed_frac * 100, scan->removed, scanned, scan->relation);
		for (j = 0; j < ncols; j++)
			sbuf_printf(&b, "%s%s", j ? ", " : "", cols[j]);
		sbuf_printf(&b, ")%s.", ncols > 1 ? ": equality columns first, then the range column" : "");
		if (fk)
			sbuf_printf(&b, " %s is a foreign key without an index.", fk);
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "%s;", create.data);
		/* CONCURRENTLY: no write lock on a live table */
		f->fix_sql = xmalloc(b.len + 32);
		strcpy(f->fix_sql, "CREATE INDEX CONCURRENTLY");
		strcat(f->fix_sql, b.data + strlen("CREATE INDEX"));
		free(b.data);

		sbuf_init(&b);
		if (validated)
			sbuf_printf(&b, "The planner's cost drops from %.1f to %.1f (-%.0f%%) with a hypothetical index (hypopg). ",
						before, after, 100.0 * (before - after) / before);
		sbuf_printf(&b, "Reads per call should fall from about %.0f to a few index pages plus the %.1f rows returned.",
					s->calls ? (double) s->reads / s->calls : 0.0, scan->rows);
		f->expected_impact = sbuf_steal(&b);
		free(create.data);
	}
}
