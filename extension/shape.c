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

#include "compat.h"
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

/* a constant of the statement: where it starts, its byte length (-1: skip) */
typedef struct ConstLoc
{
	int			location;
	int			length;
} ConstLoc;

/* the constants found so far; grows with the statement's lists */
typedef struct ConstList
{
	ConstLoc   *items;
	int			n;
	int			size;
	int			highest_param;	/* highest $n seen */
} ConstList;

static void
const_add(ConstList *cl, int location)
{
	if (cl->n >= cl->size)
	{
		cl->size *= 2;
		cl->items = repalloc(cl->items, cl->size * sizeof(ConstLoc));
	}
	cl->items[cl->n].location = location;
	cl->items[cl->n].length = -1;
	cl->n++;
}

/* the number of the "$n" at s, or 0 */
static int
param_number(const char *s)
{
	int			n = 0;

	if (*s++ != '$' || !isdigit((unsigned char) *s))
		return 0;
	while (isdigit((unsigned char) *s) && n < 100000000)
		n = n * 10 + (*s++ - '0');
	return n;
}

static int
comp_location(const void *a, const void *b)
{
	int			l = ((const ConstLoc *) a)->location;
	int			r = ((const ConstLoc *) b)->location;

	return (l > r) - (l < r);
}

/*
 * A squashed list (18 on) covers the items of an IN (...) or ARRAY[...]
 * list at [loc, loc+len) of stmt, which starts at base of the source text.  Add the constants that 15
 * records for it: one per item that holds no $n, at the item's first token
 * (15 records the leftmost of a constant and its casts).  An item with a $n
 * is a parameter, which 15 leaves as it is.
 */
static void
split_list(ConstList *cl, const char *stmt, int stmt_len, int loc, int len, int base)
{
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	char	   *span;
	int			tok,
				depth = 0,
				item_start = -1;
	bool		item_param = false;

	if (loc < 0 || len <= 0 || loc + len > stmt_len)
		return;
	span = pnstrdup(stmt + loc, len);
	scanner = scanner_init(span, &extra, &ScanKeywords, ScanKeywordTokens);
	pgi_scanner_quiet(&extra, false);
	for (;;)
	{
		tok = core_yylex(&yylval, &yylloc, scanner);
		if (tok == 0 || (depth == 0 && tok == ','))
		{
			if (item_start >= 0 && !item_param)
				const_add(cl, base + loc + item_start);
			if (tok == 0)
				break;
			item_start = -1;
			item_param = false;
			continue;
		}
		if (item_start < 0)
			item_start = yylloc;
		if (tok == '(' || tok == '[')
			depth++;
		else if ((tok == ')' || tok == ']') && depth > 0)
			depth--;
		else if (extra.scanbuf[yylloc] == '$')
		{
			int			pn = param_number(extra.scanbuf + yylloc);

			if (pn > 0)
			{
				item_param = true;
				cl->highest_param = Max(cl->highest_param, pn);
			}
		}
	}
	scanner_finish(scanner);
	pfree(span);
}

/*
 * The statement's constants as 15's jumble records them, from this
 * version's jumble (compat.h): stmt is the statement, NUL-terminated, that
 * starts at query_loc of the source text.
 */
static void
collect_constants(const JumbleState *jstate, const char *stmt, int stmt_len, int query_loc,
				  ConstList *cl)
{
	int			i;

	cl->size = Max(jstate->clocations_count, 8);
	cl->items = palloc(cl->size * sizeof(ConstLoc));
	cl->n = 0;
	cl->highest_param = 0;
	for (i = 0; i < jstate->clocations_count; i++)
	{
		const LocationLen *l = &jstate->clocations[i];
		int			off = l->location - query_loc;

		switch (pgi_const_kind(l))
		{
			case PGI_CONST_ONE:
				const_add(cl, l->location);
				break;
			case PGI_CONST_PARAM:
				if (off >= 0 && off < stmt_len)
					cl->highest_param = Max(cl->highest_param, param_number(stmt + off));
				break;
			case PGI_CONST_LIST:
				split_list(cl, stmt, stmt_len, off, l->length, query_loc);
				break;
		}
	}
	if (pgi_jumble_highest_param(jstate) >= 0)
		cl->highest_param = pgi_jumble_highest_param(jstate);
}

/*
 * Does the statement have a constant 15 would replace?  Only then is its
 * entry made at parse time (hooks.c), on every version alike.  Per
 * execution: a list is lexed only when its items may all be parameters.
 */
bool
pgi_jumble_has_constants(const JumbleState *jstate, const char *querytext)
{
	int			i;

	for (i = 0; i < jstate->clocations_count; i++)
	{
		const LocationLen *l = &jstate->clocations[i];

		switch (pgi_const_kind(l))
		{
			case PGI_CONST_ONE:
				return true;
			case PGI_CONST_PARAM:
				break;
			case PGI_CONST_LIST:
				{
					ConstList	cl;

					if (l->length > 0 && memchr(querytext + l->location, '$', l->length) == NULL)
						return true;
					cl.size = 8;
					cl.items = palloc(cl.size * sizeof(ConstLoc));
					cl.n = 0;
					cl.highest_param = 0;
					split_list(&cl, querytext, l->location + l->length, l->location, l->length, 0);
					pfree(cl.items);
					if (cl.n > 0)
						return true;
				}
				break;
		}
	}
	return false;
}

/*
 * Find the byte length of each constant with the core lexer.  A '-' that
 * starts a constant belongs to it.
 */
static void
constant_lengths(ConstList *cl, const char *query, int query_loc)
{
	ConstLoc   *locs = cl->items;
	core_yyscan_t scanner;
	core_yy_extra_type extra;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			i = 0;
	int			last_loc = -1;

	if (cl->n > 1)
		qsort(locs, cl->n, sizeof(ConstLoc), comp_location);

	scanner = scanner_init(query, &extra, &ScanKeywords, ScanKeywordTokens);
	/* the text parsed already; settings must not change how it lexes */
	pgi_scanner_quiet(&extra, false);

	while (i < cl->n)
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
	for (; i < cl->n; i++)
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
				   const JumbleState *jstate, int *out_len, bool *truncated)
{
	const char *stmt;
	char	   *subst;
	int			sn = 0;
	char	   *out;
	int			max = pgi_max_query_length;
	int			trunc = 0;
	size_t		n;
	ConstList	cl = {NULL, 0, 0, 0};

	stmt = CleanQuerytext(querytext, &location, &len);

	/* the lexer wants a NUL-terminated copy of exactly this statement */
	subst = pnstrdup(stmt, len);
	sn = len;
	if (jstate != NULL && jstate->clocations_count > 0)
		collect_constants(jstate, subst, len, location, &cl);
	if (cl.n > 0)
	{
		char	   *copy = subst;
		int			i,
					prev = 0,
					pnum = cl.highest_param;

		constant_lengths(&cl, copy, location);
		subst = palloc(len + cl.n * 12 + 1);
		sn = 0;
		for (i = 0; i < cl.n; i++)
		{
			int			off = cl.items[i].location - location;
			int			clen = cl.items[i].length;

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
	if (cl.items != NULL)
		pfree(cl.items);

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
