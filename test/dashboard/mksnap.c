/* test/dashboard/mksnap.c — writes pg_insights.v1.Snapshot protobufs with known numbers for the dashboard's tests and benchmark. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zlib.h>

#include "proto/insights.pb-c.h"

/*
 * Snapshot k of a scenario (--index k, from 0) carries, for every shape,
 * calls = base_calls * (k + 1); total time, rows and reads follow from the
 * per-call figures; 90% of the calls fall in histogram bucket `hb`, 10% in
 * hb + 1.  `--describe` prints the scenario as JSON so the browser tests
 * compute the expected page from the same numbers.
 */
typedef struct ShapeDef
{
	int64_t		id;
	const char *text;
	const char *command;
	const char *tables;			/* comma-separated */
	int64_t		calls;
	double		avg_ms;
	int64_t		rows_per_call;
	int64_t		reads_per_call;
	int			hb;
	/* attribution (all optional) */
	const char *tags;			/* "k=v;k=v" */
	const char *prisma_model;
	const char *prisma_action;
	const char *prisma_shape;
	const char *route;
	const char *controller;
	const char *action;
	const char *framework;
	/* finding (optional) */
	const char *kind;
	const char *severity;
	const char *evidence;
	const char *suggestion;
	const char *fix_sql;
	const char *impact;
	const char *prompt;
	int64_t		parent;
} ShapeDef;

static const double bounds[19] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

static const ShapeDef basic[] = {
	{1001, "SELECT \"id\", \"email\", \"name\" FROM \"public\".\"users\" WHERE \"id\" = $1 LIMIT $2", "SELECT",
		"users", 500, 0.5, 1, 3, 6,
		"db_driver=prisma;prismaQuery=User.findUnique", "User", "findUnique",
		"{\"where\":{\"id\":\"?\"}}", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{1002, "SELECT * FROM orders WHERE customer_id = $1", "SELECT", "orders", 40, 100.0, 10, 10000, 13,
		"application=shop;route=/customers/:id/orders", "", "", "", "/customers/:id/orders", "orders", "index", "express",
		"missing_index", "critical",
		"{\"reads_per_call\":10000,\"rows_per_call\":10,\"seq_scans\":40,\"reads_per_row\":1000}",
		"Add an index on orders(customer_id): every call scans the whole table to return 10 rows.",
		"CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);",
		"About 99% fewer reads per call (10000 -> ~4 blocks); latency from 100 ms to under 1 ms.",
		"The query `SELECT * FROM orders WHERE customer_id = $1` reads 10000 blocks per call to return 10 rows. "
		"Suggest an index and rewrite if needed.", 0},
	{1003, "SELECT \"id\", \"title\" FROM \"public\".\"posts\" WHERE \"author_id\" = $1", "SELECT", "posts",
		2000, 0.2, 1, 2, 4,
		"db_driver=prisma;prismaQuery=Post.findMany", "Post", "findMany", "{\"where\":{\"authorId\":\"?\"},\"select\":{\"id\":true,\"title\":true}}",
		"", "", "", "",
		"n_plus_one", "warning",
		"{\"children_per_parent\":100,\"parent_calls\":20,\"child_calls\":2000}",
		"Load the posts of all users in one query (include posts in the users query, or WHERE author_id = ANY($1)).",
		"SELECT id, title, author_id FROM posts WHERE author_id = ANY($1);",
		"2000 calls become 20: about 99% fewer round trips.",
		"This Prisma call Post.findMany runs once per user (N+1). Rewrite it with include or a single findMany with `in`.",
		1004},
	{1004, "SELECT \"id\", \"email\" FROM \"public\".\"users\" ORDER BY \"id\" LIMIT $1", "SELECT", "users",
		20, 1.0, 10, 3, 7,
		"db_driver=prisma;prismaQuery=User.findMany", "User", "findMany", "{\"take\":\"?\"}", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{1005, "UPDATE orders SET status = $1 WHERE id = $2", "UPDATE", "orders", 10, 0.5, 1, 5, 6,
		"controller=orders;action=update;framework=rails;route=/orders/:id", "", "", "", "/orders/:id", "orders",
		"update", "rails",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

static const ShapeDef evil[] = {
	{666, "SELECT '<script>alert(1)</script>' AS x, $1 /* <img src=x onerror=alert(2)> */ FROM \"users<b>bold</b>\""
		" WHERE name = ''); DROP TABLE pgi.shapes; --'", "SELECT", "users<img src=x onerror=alert(3)>,'); DROP TABLE pgi.sources; --",
		7, 3.0, 1, 4, 9,
		"route=/x<script>alert(4)</script>;controller='); DROP TABLE pgi.snapshots; --;x<svg onload=alert(5)>=v",
		"<img src=x onerror=alert(6)>", "findMany<script>alert(7)</script>", "{\"where\":\"<script>alert(8)</script>\"}",
		"/x<script>alert(4)</script>", "'); DROP TABLE pgi.snapshots; --", "<b>act</b>", "fw",
		"over_fetching", "warning", "{\"note\":\"<script>alert(9)</script>\"}",
		"<img src=x onerror=alert(10)> select fewer columns", "'); DROP TABLE pgi.findings; --",
		"<script>alert(11)</script>", "Prompt with <script>alert(12)</script> and '); DROP TABLE pgi.totals; --", 0},
};


/*
 * The "evidence" scenario (--scenario evidence, sent once): the demo's Prisma reads of "Post" by
 * the unindexed "authorId" (an N+1 loop that also misses the index, a count and an include query
 * the same index serves), one finding of every kind with the evidence the collector writes, a
 * repeated query run 90 times, and pg_insights' own statements (a report query on insights.*,
 * BEGIN, COMMIT, a call of insights.reset()) that the list hides by default.
 */
static const ShapeDef evidence_shapes[] = {
	{2001, "SELECT \"public\".\"Post\".\"id\", \"public\".\"Post\".\"title\", \"public\".\"Post\".\"body\", \"public\".\"Post\".\"authorId\", \"public\".\"Post\".\"created_at\" FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" = $1 OFFSET $2", "SELECT", "public.Post", 60, 5.025, 10, 1482, 9,
		"db_driver=prisma;prismaQuery=Post.findMany:eyJ3aGVyZSI6eyJhdXRob3JJZCI6eyIkdHlwZSI6IlBhcmFtIiwidmFsdWUiOnsibmFtZSI6IiUxIiwidHlwZSI6IkludCJ9fX19",
		"Post", "findMany", "{\"where\":{\"authorId\":{\"$type\":\"Param\"}}}", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2002, "SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE 1=1 ORDER BY \"public\".\"User\".\"id\" ASC LIMIT $1 OFFSET $2", "SELECT", "public.User", 3, 0.4, 20, 3, 6,
		"db_driver=prisma;prismaQuery=User.findMany:e30", "User", "findMany", "{}", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2003, "SELECT COUNT(*) FROM (SELECT \"public\".\"Post\".\"id\" FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" = $1 OFFSET $2) AS \"sub\"", "SELECT", "public.Post", 3, 4.7, 1, 1482, 9,
		"db_driver=prisma;prismaQuery=Post.aggregate", "Post", "aggregate", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2004, "SELECT \"public\".\"Post\".\"id\", \"public\".\"Post\".\"title\", \"public\".\"Post\".\"body\", \"public\".\"Post\".\"authorId\" FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" IN ($1 /*, ... */) OFFSET $2", "SELECT", "public.Post", 3, 5.1, 400, 1482, 9,
		"db_driver=prisma;prismaQuery=User.findMany", "User", "findMany", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2005, "SELECT name, price FROM products WHERE sku = $1", "SELECT", "public.products", 90, 0.08, 1, 2, 3,
		"route=/product/:sku", "", "", "", "/product/:sku", "", "", "",
		"repeated_query", "info",
		"{\"identical_executions\":90,\"requests\":90,\"window_s\":1.250,\"time_ms\":7.200,\"rows_per_call\":1.0}",
		"The same statement with the same arguments ran 90 times in 1250 ms across 90 requests. Cache the result in the application (or reuse it within a request) and invalidate it when the underlying rows change.",
		NULL, "Up to 89 of 90 executions (7.12 ms of database time in this window) avoided.", "stored prompt 2005", 0},
	{2006, "SELECT id, title FROM \"Post\" ORDER BY created_at, id LIMIT $1 OFFSET $2", "SELECT", "public.Post", 24, 2.0, 20, 300, 8,
		"route=/posts;db_driver=knex:3.3.0", "", "", "", "/posts", "", "", "",
		"offset_pagination", "warning",
		"{\"pages\":[{\"offset\":0,\"reads\":4.0,\"mean_ms\":0.050,\"executions\":3},{\"offset\":32000,\"reads\":880.0,\"mean_ms\":6.400,\"executions\":3}],\"reads_first_page\":4.0,\"reads_deepest_page\":880.0,\"ms_first_page\":0.050,\"ms_deepest_page\":6.400,\"deepest_offset\":32000}",
		"OFFSET makes the server produce and discard every earlier row.", NULL, "Every page costs what the first one does.", "stored prompt 2006", 0},
	{2007, "SELECT * FROM products WHERE stock > $1 ORDER BY id LIMIT $2", "SELECT", "public.products", 30, 1.5, 200, 60, 7,
		"", "", "", "", "", "", "", "",
		"over_fetching", "warning",
		"{\"columns\":14,\"row_width_bytes\":812,\"rows_per_call\":200.0,\"bytes_per_call\":162400,\"select_star\":true,\"future_signal\":{\"share\":0.25,\"source\":\"test\"}}",
		"Each call returns 14 columns. Select only the columns the caller uses instead of SELECT *.", NULL, "About 80% fewer bytes.", "stored prompt 2007", 0},
	{2008, "SELECT u.id, u.name, p.id, p.title, p.body FROM \"User\" u JOIN \"Post\" p ON p.\"authorId\" = u.id ORDER BY u.id", "SELECT",
		"public.User,public.Post", 3, 80.0, 40000, 1700, 12,
		"", "", "", "", "", "", "", "",
		"large_nested_read", "warning",
		"{\"relations\":2,\"rows_per_call\":40000.0,\"bytes_per_call\":9600000,\"reads_per_call\":1700.0,\"calls\":3}",
		"One call reads 2 relations and returns 40000 rows.", NULL, "Smaller reads.", "stored prompt 2008", 0},
	{2009, "SELECT begin_at FROM events WHERE id = $1", "SELECT", "public.events", 5, 0.1, 1, 3, 4,
		"", "", "", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	/* pg_insights' own */
	{2101, "SELECT calls, round(mean_time::numeric, $1) AS mean_ms, reads, rows FROM insights.queries q ORDER BY total_time DESC LIMIT $2",
		"SELECT", "insights.queries", 2, 3.0, 1, 10, 9, "", "", "", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2102, "BEGIN", "BEGIN", "", 40, 0.01, 0, 0, 0, "", "", "", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2103, "COMMIT", "COMMIT", "", 40, 0.02, 0, 0, 1, "", "", "", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
	{2104, "SELECT insights.reset()", "SELECT", "", 1, 0.5, 1, 2, 5, "", "", "", "", "", "", "", "",
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

/* findings beyond the one a ShapeDef carries: a second finding of a shape, parent texts */
typedef struct FindingDef
{
	int64_t		shape;
	const char *kind;
	const char *severity;
	const char *evidence;
	const char *suggestion;
	const char *fix_sql;
	const char *impact;
	int64_t		parent;
	const char *parent_query;
} FindingDef;

static const FindingDef evidence_findings[] = {
	{2001, "n_plus_one", "critical",
		"{\"loops\":3,\"repeats_per_request_avg\":20.0,\"repeats_per_request_max\":20,\"child_time_ms\":301.500,\"parent_rows\":20,"
		"\"grouped_by\":\"backend_burst\",\"loops_by\":{\"trace_id\":0,\"transaction\":0,\"backend_burst\":3},\"ambiguous_loops\":0,"
		"\"confidence\":\"medium\",\"unindexed_foreign_key\":\"Post_authorId_fkey\",\"events_lost\":4,"
		"\"measured\":{\"calls\":60,\"reads_per_call\":1482.00,\"mean_ms\":5.0250}}",
		"This statement ran 20 times per request, once per row of its parent query (prisma.user.findMany). Load the related rows in one statement instead: a JOIN, or one query with WHERE <key> = ANY($1) over the parent ids (batching). With Prisma, fetch the relation in the parent call with `include` (or `relationLoadStrategy: \"join\"`) instead of one prisma.post.findMany call per row. The loop filters on foreign key Post_authorId_fkey, which has no index.",
		"CREATE INDEX CONCURRENTLY ON public.\"Post\" (\"authorId\");", "About 20 round trips per request become 1; the loop cost 100.50 ms per request in 3 loop(s) measured.",
		2002, "SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE 1=1 ORDER BY \"public\".\"User\".\"id\" ASC LIMIT $1 OFFSET $2"},
	{2001, "missing_index", "critical", "{\"relation\":\"public.Post\",\"scan\":\"seq\",\"index_columns\":[\"authorId\"],\"rows_per_scan\":200.0,\"removed_per_scan\":39800.0,\"removed_fraction\":0.9950,\"table_rows\":40000,\"calls\":60,\"reads_per_call\":1482.0,\"planner\":{\"cost_before\":1981.93,\"cost_after\":551.94,\"hypothetical_index\":true},\"unindexed_foreign_key\":\"Post_authorId_fkey\",\"serves\":[{\"shape_id\":\"2001\",\"calls\":60,\"total_ms\":301.500,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\", \\\"public\\\".\\\"Post\\\".\\\"created_at\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2\"},{\"shape_id\":\"2003\",\"calls\":3,\"total_ms\":14.100,\"query\":\"SELECT COUNT(*) FROM (SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2) AS \\\"sub\\\"\"},{\"shape_id\":\"2004\",\"calls\":3,\"total_ms\":15.300,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" IN ($1 /*, ... */) OFFSET $2\"}],\"measured\":{\"calls\":60,\"reads_per_call\":1482.00,\"mean_ms\":5.0250}}", "Each execution reads the whole table and its filter throws away 99.5% of the rows scanned (39800 of 40000). Add an index on public.Post (authorId). Post_authorId_fkey is a foreign key without an index.", "CREATE INDEX CONCURRENTLY ON public.\"Post\" (\"authorId\");", "The planner's cost drops from 1981.9 to 551.9 (-72%) with a hypothetical index (hypopg). Reads per call should fall from about 1482 to a few index pages plus the 200.0 rows returned, in 3 statement shapes.", 0, ""},
	{2003, "missing_index", "info", "{\"relation\":\"public.Post\",\"scan\":\"seq\",\"index_columns\":[\"authorId\"],\"rows_per_scan\":200.0,\"removed_per_scan\":39800.0,\"removed_fraction\":0.9950,\"table_rows\":40000,\"calls\":3,\"reads_per_call\":1482.0,\"planner\":{\"cost_before\":1981.93,\"cost_after\":551.94,\"hypothetical_index\":true},\"unindexed_foreign_key\":\"Post_authorId_fkey\",\"serves\":[{\"shape_id\":\"2003\",\"calls\":3,\"total_ms\":14.100,\"query\":\"SELECT COUNT(*) FROM (SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2) AS \\\"sub\\\"\"},{\"shape_id\":\"2001\",\"calls\":60,\"total_ms\":301.500,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\", \\\"public\\\".\\\"Post\\\".\\\"created_at\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2\"},{\"shape_id\":\"2004\",\"calls\":3,\"total_ms\":15.300,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" IN ($1 /*, ... */) OFFSET $2\"}],\"measured\":{\"calls\":3,\"reads_per_call\":1482.00,\"mean_ms\":5.0250}}", "Each execution reads the whole table and its filter throws away 99.5% of the rows scanned (39800 of 40000). Add an index on public.Post (authorId). Post_authorId_fkey is a foreign key without an index.", "CREATE INDEX CONCURRENTLY ON public.\"Post\" (\"authorId\");", "The planner's cost drops from 1981.9 to 551.9 (-72%) with a hypothetical index (hypopg). Reads per call should fall from about 1482 to a few index pages plus the 200.0 rows returned, in 3 statement shapes.", 0, ""},
	{2004, "missing_index", "info", "{\"relation\":\"public.Post\",\"scan\":\"seq\",\"index_columns\":[\"authorId\"],\"rows_per_scan\":200.0,\"removed_per_scan\":39800.0,\"removed_fraction\":0.9950,\"table_rows\":40000,\"calls\":3,\"reads_per_call\":1482.0,\"planner\":{\"cost_before\":1981.93,\"cost_after\":551.94,\"hypothetical_index\":true},\"unindexed_foreign_key\":\"Post_authorId_fkey\",\"serves\":[{\"shape_id\":\"2004\",\"calls\":3,\"total_ms\":15.300,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" IN ($1 /*, ... */) OFFSET $2\"},{\"shape_id\":\"2001\",\"calls\":60,\"total_ms\":301.500,\"query\":\"SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\", \\\"public\\\".\\\"Post\\\".\\\"title\\\", \\\"public\\\".\\\"Post\\\".\\\"body\\\", \\\"public\\\".\\\"Post\\\".\\\"authorId\\\", \\\"public\\\".\\\"Post\\\".\\\"created_at\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2\"},{\"shape_id\":\"2003\",\"calls\":3,\"total_ms\":14.100,\"query\":\"SELECT COUNT(*) FROM (SELECT \\\"public\\\".\\\"Post\\\".\\\"id\\\" FROM \\\"public\\\".\\\"Post\\\" WHERE \\\"public\\\".\\\"Post\\\".\\\"authorId\\\" = $1 OFFSET $2) AS \\\"sub\\\"\"}],\"measured\":{\"calls\":3,\"reads_per_call\":1482.00,\"mean_ms\":5.0250}}", "Each execution reads the whole table and its filter throws away 99.5% of the rows scanned (39800 of 40000). Add an index on public.Post (authorId). Post_authorId_fkey is a foreign key without an index.", "CREATE INDEX CONCURRENTLY ON public.\"Post\" (\"authorId\");", "The planner's cost drops from 1981.9 to 551.9 (-72%) with a hypothetical index (hypopg). Reads per call should fall from about 1482 to a few index pages plus the 200.0 rows returned, in 3 statement shapes.", 0, ""},
};

typedef struct Args
{
	const char *scenario;
	int			index;
	int			nshapes;			/* bench */
	int64_t		end_us;
	int			interval_s;
	const char *sysid;
	const char *db;
	const char *name;			/* server.name, .instance, .role: empty unless given */
	const char *instance;
	const char *role;
	const char *id;
	const char *out;
	bool		deflate;
	bool		describe;
} Args;

static void
die(const char *msg)
{
	fprintf(stderr, "mksnap: %s\n", msg);
	exit(2);
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void
split_tables(PgInsights__V1__ShapeDelta *d, const char *tables)
{
	char	   *copy = strdup(tables),
			   *save = NULL,
			   *t;

	d->tables = calloc(8, sizeof(char *));
	for (t = strtok_r(copy, ",", &save); t && d->n_tables < 8; t = strtok_r(NULL, ",", &save))
		d->tables[d->n_tables++] = strdup(t);
	free(copy);
}

static void
add_shape(PgInsights__V1__Snapshot *s, const ShapeDef *def, int k, int64_t end_us)
{
	PgInsights__V1__ShapeDelta *d = malloc(sizeof(*d));
	int64_t		calls = def->calls * (k + 1);

	pg_insights__v1__shape_delta__init(d);
	d->shape_id = def->id;
	d->queryid = def->id * 7;
	d->userid = 10;
	d->dbid = 5;
	d->toplevel = 1;
	d->text = strdup(def->text);
	d->command = strdup(def->command);
	split_tables(d, def->tables);
	d->calls = calls;
	d->total_time_ms = (double) calls * def->avg_ms;
	d->min_time_ms = def->avg_ms / 2;
	d->max_time_ms = def->avg_ms * 3;
	d->rows = calls * def->rows_per_call;
	d->reads = calls * def->reads_per_call;
	d->shared_blks_hit = d->reads / 2;
	d->shared_blks_read = d->reads - d->reads / 2;
	d->n_histogram = 20;
	d->histogram = calloc(20, sizeof(int64_t));
	d->histogram[def->hb] = calls - calls / 10;
	d->histogram[def->hb + 1] = calls / 10;
	d->first_seen_us = end_us - 3600 * 1000000LL;
	d->last_seen_us = end_us - 1000000;
	s->shapes[s->n_shapes++] = d;

	if (def->tags && def->tags[0])
	{
		PgInsights__V1__AttributionDelta *a = malloc(sizeof(*a));
		char	   *copy = strdup(def->tags),
				   *save = NULL,
				   *kv;

		pg_insights__v1__attribution_delta__init(a);
		a->shape_id = def->id;
		a->userid = 10;
		a->dbid = 5;
		a->tagset_id = def->id * 100 + 1;
		a->tags = calloc(8, sizeof(void *));
		for (kv = strtok_r(copy, ";", &save); kv && a->n_tags < 8; kv = strtok_r(NULL, ";", &save))
		{
			PgInsights__V1__AttributionDelta__TagsEntry *e = malloc(sizeof(*e));
			char	   *eq = strchr(kv, '=');

			pg_insights__v1__attribution_delta__tags_entry__init(e);
			if (eq)
				*eq = '\0';
			e->key = strdup(kv);
			e->value = strdup(eq ? eq + 1 : "");
			a->tags[a->n_tags++] = e;
		}
		free(copy);
		a->prisma_model = dup_or_empty(def->prisma_model);
		a->prisma_action = dup_or_empty(def->prisma_action);
		a->prisma_shape_json = dup_or_empty(def->prisma_shape);
		a->route = dup_or_empty(def->route);
		a->controller = dup_or_empty(def->controller);
		a->action = dup_or_empty(def->action);
		a->framework = dup_or_empty(def->framework);
		a->db_driver = strdup(def->prisma_model && def->prisma_model[0] ? "prisma" : "");
		a->calls = calls;
		a->total_time_ms = d->total_time_ms;
		a->rows = d->rows;
		a->reads = d->reads;
		a->first_seen_us = d->first_seen_us;
		a->last_seen_us = d->last_seen_us;
		s->attributions[s->n_attributions++] = a;
	}
	if (def->kind)
	{
		PgInsights__V1__Finding *f = malloc(sizeof(*f));

		pg_insights__v1__finding__init(f);
		f->id = malloc(64);
		snprintf(f->id, 64, "%s-%lld", def->kind, (long long) def->id);
		f->kind = strdup(def->kind);
		f->shape_id = def->id;
		f->parent_shape_id = def->parent;
		f->severity = strdup(def->severity);
		f->query = strdup(def->text);
		f->parent_query = strdup("");
		f->n_tables = d->n_tables;
		f->tables = calloc(d->n_tables + 1, sizeof(char *));
		for (size_t i = 0; i < d->n_tables; i++)
			f->tables[i] = strdup(d->tables[i]);
		f->evidence_json = strdup(def->evidence);
		f->suggestion = strdup(def->suggestion);
		f->fix_sql = strdup(def->fix_sql ? def->fix_sql : "");
		f->expected_impact = strdup(def->impact);
		f->prompt = strdup(def->prompt);
		f->status = strdup("open");
		f->first_seen_us = d->first_seen_us;
		f->last_seen_us = d->last_seen_us;
		f->occurrences = k + 1;
		f->dbid = 5;
		s->findings[s->n_findings++] = f;
	}
}

/* a finding of shape def->shape, as the collector ships it */
static void
add_finding(PgInsights__V1__Snapshot *s, const FindingDef *def, int k, int64_t end_us)
{
	PgInsights__V1__Finding *f = malloc(sizeof(*f));
	PgInsights__V1__ShapeDelta *d = NULL;

	for (size_t i = 0; i < s->n_shapes; i++)
		if (s->shapes[i]->shape_id == def->shape)
			d = s->shapes[i];
	if (d == NULL)
		die("finding of an unknown shape");
	pg_insights__v1__finding__init(f);
	f->id = malloc(64);
	snprintf(f->id, 64, "%s-%lld", def->kind, (long long) def->shape);
	f->kind = strdup(def->kind);
	f->shape_id = def->shape;
	f->parent_shape_id = def->parent;
	f->severity = strdup(def->severity);
	f->query = strdup(d->text);
	f->parent_query = strdup(def->parent_query);
	f->n_tables = d->n_tables;
	f->tables = calloc(d->n_tables + 1, sizeof(char *));
	for (size_t i = 0; i < d->n_tables; i++)
		f->tables[i] = strdup(d->tables[i]);
	f->evidence_json = strdup(def->evidence);
	f->suggestion = strdup(def->suggestion);
	f->fix_sql = strdup(def->fix_sql ? def->fix_sql : "");
	f->expected_impact = strdup(def->impact);
	f->prompt = strdup("stored prompt");
	f->status = strdup("open");
	f->first_seen_us = end_us - 600 * 1000000LL;
	f->last_seen_us = end_us - 1000000;
	f->occurrences = k + 1;
	f->dbid = 5;
	s->findings[s->n_findings++] = f;
}

static void
jstr(const char *s)
{
	putchar('"');
	for (; s && *s; s++)
	{
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char) *s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
describe(const ShapeDef *defs, size_t n)
{
	size_t		i;

	printf("{\"bounds\":[");
	for (i = 0; i < 19; i++)
		printf("%s%g", i ? "," : "", bounds[i]);
	printf("],\"shapes\":[");
	for (i = 0; i < n; i++)
	{
		const ShapeDef *d = &defs[i];

		printf("%s{\"id\":\"%lld\",\"calls\":%lld,\"avg_ms\":%g,\"rows_per_call\":%lld,"
			   "\"reads_per_call\":%lld,\"hb\":%d,\"tables\":", i ? "," : "", (long long) d->id,
			   (long long) d->calls, d->avg_ms, (long long) d->rows_per_call, (long long) d->reads_per_call, d->hb);
		jstr(d->tables);
		printf(",\"text\":");
		jstr(d->text);
		printf(",\"model\":");
		jstr(d->prisma_model);
		printf(",\"action\":");
		jstr(d->prisma_action);
		printf(",\"route\":");
		jstr(d->route);
		printf(",\"finding\":");
		if (d->kind)
			jstr(d->kind);
		else
			printf("null");
		printf(",\"fix_sql\":");
		jstr(d->fix_sql);
		printf(",\"impact\":");
		jstr(d->impact);
		printf(",\"prompt\":");
		jstr(d->prompt);
		printf("}");
	}
	printf("]}\n");
}

int
main(int argc, char **argv)
{
	Args		a = {"basic", 0, 1000, 0, 10, "7300000000000000001", "app", NULL, NULL, NULL, NULL, NULL, false, false};
	PgInsights__V1__Snapshot s = PG_INSIGHTS__V1__SNAPSHOT__INIT;
	PgInsights__V1__Server srv = PG_INSIGHTS__V1__SERVER__INIT;
	const ShapeDef *defs = basic;
	size_t		ndefs = sizeof(basic) / sizeof(basic[0]);
	const FindingDef *extra = NULL;
	size_t		nextra = 0;
	size_t		len,
				i;
	uint8_t    *buf;
	char		idbuf[128];
	FILE	   *f;
	struct timeval tv;

	for (int i2 = 1; i2 < argc; i2++)
	{
		const char *o = argv[i2];
		const char *v = i2 + 1 < argc ? argv[i2 + 1] : NULL;

		if (strcmp(o, "--deflate") == 0)
			a.deflate = true;
		else if (strcmp(o, "--describe") == 0)
			a.describe = true;
		else if (v == NULL)
			die("option needs a value (see the top of mksnap.c)");
		else
		{
			i2++;
			if (strcmp(o, "--scenario") == 0)
				a.scenario = v;
			else if (strcmp(o, "--index") == 0)
				a.index = atoi(v);
			else if (strcmp(o, "--shapes") == 0)
				a.nshapes = atoi(v);
			else if (strcmp(o, "--end-us") == 0)
				a.end_us = atoll(v);
			else if (strcmp(o, "--interval") == 0)
				a.interval_s = atoi(v);
			else if (strcmp(o, "--sysid") == 0)
				a.sysid = v;
			else if (strcmp(o, "--db") == 0)
				a.db = v;
			else if (strcmp(o, "--name") == 0)
				a.name = v;
			else if (strcmp(o, "--instance") == 0)
				a.instance = v;
			else if (strcmp(o, "--role") == 0)
				a.role = v;
			else if (strcmp(o, "--id") == 0)
				a.id = v;
			else if (strcmp(o, "-o") == 0)
				a.out = v;
			else
				die("unknown option");
		}
	}
	if (strcmp(a.scenario, "evil") == 0)
	{
		defs = evil;
		ndefs = 1;
	}
	else if (strcmp(a.scenario, "evidence") == 0)
	{
		defs = evidence_shapes;
		ndefs = sizeof(evidence_shapes) / sizeof(evidence_shapes[0]);
		extra = evidence_findings;
		nextra = sizeof(evidence_findings) / sizeof(evidence_findings[0]);
	}
	else if (strcmp(a.scenario, "bench") == 0)
		defs = NULL, ndefs = (size_t) a.nshapes;
	else if (strcmp(a.scenario, "basic") != 0)
		die("scenario: basic, evil, evidence or bench");
	if (a.describe)
	{
		if (defs == NULL)
			die("--describe: basic, evil or evidence");
		describe(defs, ndefs);
		return 0;
	}
	if (a.end_us == 0)
	{
		gettimeofday(&tv, NULL);
		a.end_us = (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
	}
	if (a.id == NULL)
	{
		snprintf(idbuf, sizeof(idbuf), "%s-%s-%lld-%d", a.sysid, a.db, (long long) a.end_us, a.index);
		a.id = idbuf;
	}

	srv.system_identifier = (char *) a.sysid;
	srv.version = (char *) "15.20";
	srv.version_num = 150020;
	srv.database = (char *) a.db;
	srv.dbid = 5;
	srv.host = (char *) "db.test.local";
	srv.extension_version = (char *) "1.0";
	if (a.name)
		srv.name = (char *) a.name;
	if (a.instance)
		srv.instance = (char *) a.instance;
	if (a.role)
		srv.role = (char *) a.role;
	s.schema_version = 1;
	s.snapshot_id = (char *) a.id;
	s.sequence = (uint64_t) a.index + 1;
	s.collector_instance = (char *) "mksnap";
	s.collector_version = (char *) "test";
	s.server = &srv;
	s.interval_start_us = a.end_us - (int64_t) a.interval_s * 1000000;
	s.interval_end_us = a.end_us;
	s.n_histogram_bounds_ms = 19;
	s.histogram_bounds_ms = (double *) bounds;
	s.shapes = calloc(ndefs, sizeof(void *));
	s.attributions = calloc(ndefs, sizeof(void *));
	s.findings = calloc(ndefs + nextra, sizeof(void *));
	if (defs)
	{
		for (i = 0; i < ndefs; i++)
			add_shape(&s, &defs[i], a.index, a.end_us);
		for (i = 0; i < nextra; i++)
			add_finding(&s, &extra[i], a.index, a.end_us);
	}
	else
	{
		for (i = 0; i < ndefs; i++)
		{
			char		text[160],
						tables[32];
			ShapeDef	d = {0};

			snprintf(text, sizeof(text), "SELECT c%zu, c%zu FROM bench_t%zu WHERE id = $1 AND k%zu > $2",
					 i % 7, i % 11, i % 50, i);
			snprintf(tables, sizeof(tables), "bench_t%zu", i % 50);
			d.id = 500000 + (int64_t) i;
			d.text = text;
			d.command = "SELECT";
			d.tables = tables;
			d.calls = 1 + (int64_t) (i % 97);
			d.avg_ms = 0.1 + (double) (i % 13);
			d.rows_per_call = 1 + (int64_t) (i % 5);
			d.reads_per_call = 1 + (int64_t) (i % 300);
			d.hb = (int) (i % 18);
			if (i % 10 == 0)
			{
				d.tags = "db_driver=prisma;prismaQuery=Bench.findMany";
				d.prisma_model = "Bench";
				d.prisma_action = "findMany";
			}
			add_shape(&s, &d, a.index, a.end_us);
		}
	}

	len = pg_insights__v1__snapshot__get_packed_size(&s);
	buf = malloc(len);
	pg_insights__v1__snapshot__pack(&s, buf);
	if (a.deflate)
	{
		uLongf		zlen = compressBound(len);
		uint8_t    *z = malloc(zlen);

		if (compress2(z, &zlen, buf, len, 6) != Z_OK)
			die("compress failed");
		free(buf);
		buf = z;
		len = zlen;
	}
	f = a.out ? fopen(a.out, "wb") : stdout;
	if (f == NULL)
		die("cannot open the output file");
	fwrite(buf, 1, len, f);
	if (a.out)
		fclose(f);
	return 0;
}
