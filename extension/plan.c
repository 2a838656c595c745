/*
 * plan.c — detection signals taken from an execution: the sampled plan's
 * scan nodes (relation, access method, filter columns and operators, rows
 * returned and removed), the OFFSET value used, and a hash of the arguments.
 *
 * Everything here runs at ExecutorEnd on the caller's memory context and
 * must not throw: catalog lookups use their missing_ok forms.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "nodes/nodeFuncs.h"
#include "utils/json.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/rel.h"

#include "comment.h"
#include "pg_insights.h"

double		pgi_plan_sample_rate = 0.01;

/* executions to let pass before the next sample; drawn at each sample */
static int64 sample_countdown = -1;

/* executions before the next sampled one: geometric with p = sample rate */
static int64
draw_gap(void)
{
	double		u = pg_prng_double(&pg_global_prng_state);

	if (u <= 0.0)
		u = 1e-12;
	return (int64) floor(log(u) / log(1.0 - pgi_plan_sample_rate));
}

/*
 * Sample each execution with probability plan_sample_rate.  The gap to the
 * next sample is drawn once per sample, so an execution that is not sampled
 * costs one decrement.
 */
bool
pgi_plan_should_sample(void)
{
	if (pgi_plan_sample_rate <= 0.0)
		return false;
	if (pgi_plan_sample_rate >= 1.0)
		return true;
	if (sample_countdown < 0)
		sample_countdown = draw_gap();
	if (sample_countdown > 0)
	{
		sample_countdown--;
		return false;
	}
	sample_countdown = draw_gap();
	return true;
}

typedef struct PlanJsonState
{
	StringInfoData buf;
	int			nodes;
	int			limit;			/* keep the JSON under this many bytes */
	bool		full;			/* a node did not fit: stop walking */
} PlanJsonState;

static const char *
scan_kind(PlanState *ps, Oid *indexid)
{
	*indexid = InvalidOid;
	switch (nodeTag(ps))
	{
		case T_SeqScanState:
			return "seq";
		case T_IndexScanState:
			*indexid = ((IndexScan *) ps->plan)->indexid;
			return "index";
		case T_IndexOnlyScanState:
			*indexid = ((IndexOnlyScan *) ps->plan)->indexid;
			return "index_only";
		case T_BitmapHeapScanState:
			return "bitmap";
		default:
			return NULL;
	}
}

/* Column of a Var under casts, or 0. */
static AttrNumber
var_attno(Node *node)
{
	while (node && (IsA(node, RelabelType) || IsA(node, CoerceViaIO)))
		node = IsA(node, RelabelType) ? (Node *) ((RelabelType *) node)->arg :
			(Node *) ((CoerceViaIO *) node)->arg;
	if (node && IsA(node, Var) && ((Var *) node)->varattno > 0)
		return ((Var *) node)->varattno;
	return 0;
}

/* Append the filter's column/operator pairs: [{"column":..,"op":..},...] */
static void
append_filter(StringInfo out, List *quals, Oid relid)
{
	ListCell   *lc;
	bool		first = true;

	appendStringInfoChar(out, '[');
	foreach(lc, quals)
	{
		Node	   *q = (Node *) lfirst(lc);
		AttrNumber	att = 0;
		Oid			opno = InvalidOid;
		char	   *col,
				   *op;

		if (IsA(q, OpExpr) && list_length(((OpExpr *) q)->args) == 2)
		{
			OpExpr	   *o = (OpExpr *) q;

			att = var_attno(linitial(o->args));
			if (att == 0)
				att = var_attno(lsecond(o->args));
			opno = o->opno;
		}
		else if (IsA(q, ScalarArrayOpExpr))
		{
			ScalarArrayOpExpr *o = (ScalarArrayOpExpr *) q;

			att = var_attno(linitial(o->args));
			opno = o->opno;
		}
		if (att == 0)
			continue;
		col = get_attname(relid, att, true);
		op = OidIsValid(opno) ? get_opname(opno) : NULL;
		if (col == NULL)
			continue;
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		appendStringInfoString(out, "{\"column\":");
		escape_json(out, col);
		appendStringInfoString(out, ",\"op\":");
		escape_json(out, op ? op : "?");
		if (IsA(q, ScalarArrayOpExpr))
			appendStringInfoString(out, ",\"any\":true");
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

static bool
plan_walker(PlanState *ps, void *context)
{
	PlanJsonState *st = (PlanJsonState *) context;
	Oid			indexid;
	const char *kind;

	if (ps == NULL)
		return false;
	if (st->full)
		return true;			/* a plan over 10k partitions ends here */
	kind = scan_kind(ps, &indexid);
	if (kind != NULL && ((ScanState *) ps)->ss_currentRelation != NULL)
	{
		Relation	rel = ((ScanState *) ps)->ss_currentRelation;
		Oid			relid = RelationGetRelid(rel);
		char	   *nsp = get_namespace_name(RelationGetNamespace(rel));
		StringInfoData node;
		PgiNodeInstr *in = ps->instrument;
		double		loops;
		char	   *idxname = OidIsValid(indexid) ? get_rel_name(indexid) : NULL;

		/* fold the current loop into the totals, as EXPLAIN ANALYZE does */
		if (in)
			InstrEndLoop(in);
		loops = in ? in->nloops : 0;
		initStringInfo(&node);
		appendStringInfoString(&node, "{\"relation\":");
		escape_json(&node, psprintf("%s.%s", nsp ? nsp : "?", RelationGetRelationName(rel)));
		appendStringInfo(&node, ",\"scan\":\"%s\"", kind);
		if (idxname)
		{
			appendStringInfoString(&node, ",\"index\":");
			escape_json(&node, idxname);
		}
		appendStringInfoString(&node, ",\"filter\":");
		append_filter(&node, ps->plan->qual, relid);
		appendStringInfo(&node, ",\"rows\":%.0f,\"removed\":%.0f,\"loops\":%.0f,\"table_pages\":%u,\"table_rows\":%.0f}",
						 in ? in->ntuples : 0, in ? in->nfiltered1 : 0, loops,
						 rel->rd_rel->relpages, (double) Max(rel->rd_rel->reltuples, 0));
		if (st->buf.len + node.len + 8 < st->limit)
		{
			if (st->nodes > 0)
				appendStringInfoChar(&st->buf, ',');
			appendBinaryStringInfo(&st->buf, node.data, node.len);
			st->nodes++;
		}
		else
			st->full = true;
		pfree(node.data);
	}
	return planstate_tree_walker(ps, plan_walker, context);
}

/* JSON of the scan nodes of an instrumented execution, or NULL. */
char *
pgi_plan_json(QueryDesc *queryDesc)
{
	PlanJsonState st;

	if (queryDesc->planstate == NULL || queryDesc->planstate->instrument == NULL)
		return NULL;
	initStringInfo(&st.buf);
	st.nodes = 0;
	st.limit = PGI_PLAN_LEN - 1;
	st.full = false;
	appendStringInfo(&st.buf, "{\"width\":%d,\"nodes\":[",
					 queryDesc->plannedstmt->planTree->plan_width);
	plan_walker(queryDesc->planstate, &st);
	appendStringInfoString(&st.buf, "]}");
	return st.buf.data;
}

/* OFFSET value of the first Limit node near the top of the plan, or -1. */
int64
pgi_plan_offset(QueryDesc *queryDesc)
{
	PlanState  *ps = queryDesc->planstate;
	int			depth;

	for (depth = 0; ps != NULL && depth < 4; depth++)
	{
		if (IsA(ps, LimitState))
		{
			LimitState *ls = (LimitState *) ps;

			if (ls->limitOffset == NULL || ls->lstate == LIMIT_INITIAL)
				return -1;
			return ls->offset;
		}
		ps = outerPlanState(ps);
	}
	return -1;
}

/*
 * Hash of "this statement with these arguments": the statement text without
 * its sqlcommenter comment (inline constants of the simple protocol) and the
 * bound parameter values (extended protocol).
 */
/*
 * typlen/typbyval of parameter types: a few recent types per backend, so an
 * execution does not pay a syscache lookup per parameter.
 */
typedef struct TypeInfo
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
} TypeInfo;

static TypeInfo recent_types[16];
static bool type_callback_registered = false;

/* a type changed or was dropped: forget what we remembered */
static void
forget_types(Datum arg, int cacheid, uint32 hashvalue)
{
	memset(recent_types, 0, sizeof(recent_types));
}

static void
param_type_info(Oid type, int16 *typlen, bool *typbyval)
{
	TypeInfo   *t = &recent_types[type % lengthof(recent_types)];

	if (!type_callback_registered)
	{
		CacheRegisterSyscacheCallback(TYPEOID, forget_types, (Datum) 0);
		type_callback_registered = true;
	}
	if (t->type != type)
	{
		get_typlenbyval(type, &t->typlen, &t->typbyval);
		t->type = type;
	}
	*typlen = t->typlen;
	*typbyval = t->typbyval;
}

/* A cheap 64-bit hash, eight bytes a step: identity of arguments, not security. */
uint64
pgi_fast_hash(const char *p, size_t n, uint64 seed)
{
	uint64		h = seed ^ (n * UINT64CONST(0x9E3779B97F4A7C15));
	uint64		w;

	while (n >= 8)
	{
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64CONST(0xff51afd7ed558ccd);
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 29;
	return h;
}

uint64
pgi_param_hash(const char *text, int len, ParamListInfo params)
{
	uint64		h;
	size_t		off,
				blen;
	int			i,
				end;

	if (text != NULL && len > 0)
	{
		/* leave a trailing comment (traceparent differs per request) out */
		for (end = len; end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\n' ||
									text[end - 1] == '\t' || text[end - 1] == '\r' ||
									text[end - 1] == ';'); end--)
			;
		if (end >= 4 && text[end - 1] == '/' && text[end - 2] == '*' &&
			pgi_comment_find(text, len, &off, &blen) && off >= 2)
			len = (int) off - 2;
		h = pgi_fast_hash(text, len, 0);
	}
	else
		h = 0;
	if (params == NULL || params->paramFetch != NULL)
		return h;
	for (i = 0; i < params->numParams; i++)
	{
		ParamExternData *prm = &params->params[i];
		int16		typlen;
		bool		typbyval;
		uint64		ph;

		if (prm->isnull || !OidIsValid(prm->ptype))
			ph = 0x9e3779b97f4a7c15;
		else
		{
			param_type_info(prm->ptype, &typlen, &typbyval);
			if (typbyval)
				ph = hash_bytes_uint32_extended((uint32) prm->value, (uint64) (prm->value >> 32));
			else if (typlen == -1 && !VARATT_IS_EXTERNAL(DatumGetPointer(prm->value)))
				ph = pgi_fast_hash(VARDATA_ANY(DatumGetPointer(prm->value)),
								   VARSIZE_ANY_EXHDR(DatumGetPointer(prm->value)), 0);
			else if (typlen > 0)
				ph = pgi_fast_hash(DatumGetPointer(prm->value), typlen, 0);
			else if (typlen == -2)
				ph = pgi_fast_hash(DatumGetPointer(prm->value),
								   strlen(DatumGetPointer(prm->value)), 0);
			else
				ph = 0;
		}
		h = hash_combine64(h, ph + i);
	}
	return h;
}
