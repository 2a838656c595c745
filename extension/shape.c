/*
 * shape.c — statement shapes: the per-backend queryid -> shape cache, the
 * normalized text, the tables a statement touches and its command name.
 *
 * A shape is the version-independent fingerprint of the statement's tokens
 * (fingerprint.c).  Core gives equal query ids to statements that differ
 * only in constants, comments, whitespace or keyword case, and the
 * fingerprint ignores those too, so each backend caches queryid -> shape and
 * lexes a statement only once per queryid.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "common/hashfn.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/scanner.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "normtext.h"
#include "pg_insights.h"

/*
 * Shape of an optimizable statement: the fingerprint of its own span of the
 * source text (fingerprint.c).  Runs on a shape-cache miss only.
 */
uint64
pgi_shape_for_query(Query *query, const char *querytext)
{
	int			loc = query->stmt_location < 0 ? 0 : query->stmt_location,
				len = query->stmt_len;
	uint64		shape;

	/* 0: the rest of the string (measured only then: a script can be long) */
	if (len <= 0)
		len = (int) strlen(querytext + loc);
	shape = pgi_fingerprint(querytext + loc, len);
	return shape != 0 ? shape : pgi_shape_for_utility(querytext + loc, len);
}

/* Shape of a utility statement: its text without edge comments or ';'. */
uint64
pgi_shape_for_utility(const char *text, int len)
{
	char		buf[1024];
	int			n,
				trunc = 0;
	uint64		h;

	n = (int) pgi_normtext(text, len, buf, sizeof(buf), &trunc);
	h = hash_bytes_extended((const unsigned char *) buf, n, UINT64CONST(0x5047494e5349));
	/* a long statement: the start is not enough to tell it apart */
	if (trunc)
		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) text, len, 0));
	return h != 0 ? h : UINT64CONST(1);
}

/*
 * ---- per-backend cache: queryid -> shape ----
 *
 * A 2-way set associative array in front of a hash table that keeps every
 * mapping this backend computed: a prepared statement whose slot was pushed
 * out by other parses still finds its shape at execution, when only core's
 * queryid is known (item: one statement, one shape, whatever the cache
 * state).  The table is bounded; when full it starts over (counted).
 */

#define SHAPE_CACHE_SETS 2048
#define SHAPE_MAP_MAX	65536

static PgiShapeCacheSlot *shape_cache = NULL;
static HTAB *shape_map = NULL;

typedef struct ShapeMapEntry
{
	uint64		queryid;
	uint64		shape_id;
} ShapeMapEntry;

static void
shape_map_put(uint64 queryid, uint64 shape_id)
{
	ShapeMapEntry *e;
	bool		found;

	if (shape_map != NULL && hash_get_num_entries(shape_map) >= SHAPE_MAP_MAX)
	{
		hash_destroy(shape_map);
		shape_map = NULL;
		pg_atomic_fetch_add_u64(&pgi_shared->shape_cache_misses, 1);
	}
	if (shape_map == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(uint64);
		ctl.entrysize = sizeof(ShapeMapEntry);
		ctl.hcxt = TopMemoryContext;
		shape_map = hash_create("pg_insights shape map", 1024, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = hash_search(shape_map, &queryid, HASH_ENTER_NULL, &found);
	if (e != NULL)
		e->shape_id = shape_id;
}

static PgiShapeCacheSlot *
cache_set(uint64 queryid)
{
	if (shape_cache == NULL)
	{
		shape_cache = MemoryContextAllocExtended(TopMemoryContext,
												 sizeof(PgiShapeCacheSlot) * SHAPE_CACHE_SETS * 2,
												 MCXT_ALLOC_NO_OOM | MCXT_ALLOC_ZERO);
		if (shape_cache == NULL)
			return NULL;
	}
	/* query ids are already well-mixed hashes */
	return &shape_cache[(queryid % SHAPE_CACHE_SETS) * 2];
}

PgiShapeCacheSlot *
pgi_shape_cache_get(uint64 queryid)
{
	PgiShapeCacheSlot *set = cache_set(queryid);

	if (set == NULL)
		return NULL;
	if (set[0].queryid == queryid && set[0].shape_id != 0)
		return &set[0];
	if (set[1].queryid == queryid && set[1].shape_id != 0)
	{
		/* move to front so the other way is the one replaced next */
		PgiShapeCacheSlot tmp = set[0];

		set[0] = set[1];
		set[1] = tmp;
		return &set[0];
	}
	if (shape_map != NULL)
	{
		ShapeMapEntry *e = hash_search(shape_map, &queryid, HASH_FIND, NULL);

		if (e != NULL)
		{
			set[1] = set[0];
			memset(&set[0], 0, sizeof(PgiShapeCacheSlot));
			set[0].queryid = queryid;
			set[0].shape_id = e->shape_id;
			set[0].hint.slot = -1;
			return &set[0];
		}
	}
	return NULL;
}

PgiShapeCacheSlot *
pgi_shape_cache_put(uint64 queryid, uint64 shape_id)
{
	PgiShapeCacheSlot *set = cache_set(queryid);

	if (set == NULL)
		return NULL;
	shape_map_put(queryid, shape_id);
	set[1] = set[0];
	memset(&set[0], 0, sizeof(PgiShapeCacheSlot));
	set[0].queryid = queryid;
	set[0].shape_id = shape_id;
	set[0].hint.slot = -1;
	return &set[0];
}

/* ---- normalized text ---- */

static int
comp_location(const void *a, const void *b)
{
	int			l = ((const LocationLen *) a)->location;
	int			r = ((const LocationLen *) b)->location;

	return (l > r) - (l < r);
}

/*
 * Find the byte length of each constant with the core lexer (the locations
 * come from the jumble).  A '-' that starts a constant belongs to it.
 */
static void
constant_lengths(JumbleState *jstate, const char *query, int query_loc)
{
	LocationLen *locs = jstate->clocations;
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			i = 0;
	int			last_loc = -1;

	if (jstate->clocations_count > 1)
		qsort(locs, jstate->clocations_count, sizeof(LocationLen), comp_location);

	scanner = scanner_init(query, &extra, &ScanKeywords, ScanKeywordTokens);
	/* the text parsed already; settings must not change how it lexes */
	extra.escape_string_warning = false;

	while (i < jstate->clocations_count)
	{
		int			loc = locs[i].location;
		int			tok;

		if (loc < 0 || loc <= last_loc)
		{
			/* duplicate or unknown location: ignore */
			locs[i].length = -1;
			i++;
			continue;
		}
		loc -= query_loc;
		tok = core_yylex(&yylval, &yylloc, scanner);
		if (tok == 0)
			break;
		if (yylloc >= loc)
		{
			if (yylloc == loc)
			{
				int			len = strlen(extra.scanbuf + loc);

				if (tok == '-')
				{
					tok = core_yylex(&yylval, &yylloc, scanner);
					if (tok == 0)
						break;
					len = yylloc + strlen(extra.scanbuf + yylloc) - loc;
				}
				locs[i].length = len;
			}
			else
				locs[i].length = -1;
			last_loc = locs[i].location;
			i++;
		}
	}
	for (; i < jstate->clocations_count; i++)
		locs[i].length = -1;
	scanner_finish(scanner);
}

/*
 * Normalized text of the statement at [location, location+len) of
 * querytext: constants become $n (numbered after the statement's own
 * parameters), edge comments go, value lists collapse (normtext.c), and the
 * result is cut to max_query_length with a visible marker.  palloc'd.
 */
char *
pgi_normalize_text(const char *querytext, int location, int len,
				   JumbleState *jstate, int *out_len, bool *truncated)
{
	const char *stmt;
	char	   *subst;
	int			sn = 0;
	char	   *out;
	int			max = pgi_max_query_length;
	int			trunc = 0;
	size_t		n;

	stmt = CleanQuerytext(querytext, &location, &len);

	if (jstate != NULL && jstate->clocations_count > 0)
	{
		/* the lexer wants a NUL-terminated copy of exactly this statement */
		char	   *copy = pnstrdup(stmt, len);
		int			i,
					prev = 0,
					pnum = jstate->highest_extern_param_id;

		constant_lengths(jstate, copy, location);
		subst = palloc(len + jstate->clocations_count * 12 + 1);
		for (i = 0; i < jstate->clocations_count; i++)
		{
			int			off = jstate->clocations[i].location - location;
			int			clen = jstate->clocations[i].length;

			if (clen < 0 || off < prev || off + clen > len)
				continue;
			memcpy(subst + sn, copy + prev, off - prev);
			sn += off - prev;
			sn += sprintf(subst + sn, "$%d", ++pnum);
			prev = off + clen;
		}
		memcpy(subst + sn, copy + prev, len - prev);
		sn += len - prev;
		subst[sn] = '\0';
		pfree(copy);
	}
	else
	{
		subst = pnstrdup(stmt, len);
		sn = len;
	}

	out = palloc(max + 1);
	n = pgi_normtext(subst, sn, out, max + 1, &trunc);
	if (trunc)
	{
		/* cut at a character boundary and make the cut visible */
		int			keep = max - (int) strlen(PGI_TRUNC_MARKER) - 1;

		keep = pg_mbcliplen(out, n, keep);
		strcpy(out + keep, PGI_TRUNC_MARKER);
		n = keep + strlen(PGI_TRUNC_MARKER);
	}
	pfree(subst);
	*out_len = (int) n;
	*truncated = trunc != 0;
	return out;
}

/* ---- tables ---- */

typedef struct TableCollector
{
	Oid			relids[32];
	int			n;
} TableCollector;

static void
collect_relid(TableCollector *tc, Oid relid)
{
	int			i;

	for (i = 0; i < tc->n; i++)
		if (tc->relids[i] == relid)
			return;
	if (tc->n < lengthof(tc->relids))
		tc->relids[tc->n++] = relid;
}

static bool
tables_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
			collect_relid((TableCollector *) context, rte->relid);
		return false;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, tables_walker, context,
								 QTW_EXAMINE_RTES_BEFORE);
	return expression_tree_walker(node, tables_walker, context);
}

/* Format "schema.rel\0schema.rel\0..." into buf; returns bytes used. */
static int
format_tables(TableCollector *tc, char *buf, int bufsz, int *ntables)
{
	int			used = 0;
	int			i;

	*ntables = 0;
	for (i = 0; i < tc->n; i++)
	{
		Oid			nsp = get_rel_namespace(tc->relids[i]);
		char	   *rel = get_rel_name(tc->relids[i]);
		char	   *nspname = OidIsValid(nsp) ? get_namespace_name(nsp) : NULL;
		char		name[NAMEDATALEN * 2 + 2];
		int			len;

		if (rel == NULL)
			continue;
		/* temp schemas differ per backend; name them all alike */
		if (nspname && isAnyTempNamespace(nsp))
			nspname = "pg_temp";
		len = snprintf(name, sizeof(name), "%s.%s", nspname ? nspname : "?", rel);
		if (used + len + 1 > bufsz)
			break;
		memcpy(buf + used, name, len + 1);
		used += len + 1;
		(*ntables)++;
	}
	return used;
}

int
pgi_tables_from_query(Query *query, char *buf, int bufsz, int *ntables)
{
	TableCollector tc;

	tc.n = 0;
	tables_walker((Node *) query, &tc);
	return format_tables(&tc, buf, bufsz, ntables);
}

int
pgi_tables_from_rtable(List *rtable, char *buf, int bufsz, int *ntables)
{
	TableCollector tc;
	ListCell   *lc;

	tc.n = 0;
	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION)
			collect_relid(&tc, rte->relid);
	}
	return format_tables(&tc, buf, bufsz, ntables);
}

const char *
pgi_command_name(CmdType cmd, Node *utility)
{
	switch (cmd)
	{
		case CMD_SELECT:
			return "SELECT";
		case CMD_INSERT:
			return "INSERT";
		case CMD_UPDATE:
			return "UPDATE";
		case CMD_DELETE:
			return "DELETE";
		case CMD_MERGE:
			return "MERGE";
		case CMD_UTILITY:
			if (utility != NULL)
				return GetCommandTagName(CreateCommandTag(utility));
			return "UTILITY";
		default:
			return "UNKNOWN";
	}
}
