/*
 * hooks.c — the capture: post_parse_analyze, Executor{Start,Run,Finish,End}
 * and ProcessUtility wrappers, nesting level, and the hand-off to the store.
 *
 * Cost model: per execution one cache probe (queryid -> shape), a scan of the
 * last bytes of the statement text for a comment, and one shared-lock store
 * update.  Text normalization and catalog lookups happen only when a shape
 * entry is created.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "jit/jit.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "storage/proc.h"
#include "tcop/utility.h"

#include "attribution.h"
#include "ascii.h"
#include "pg_insights.h"

static post_parse_analyze_hook_type prev_post_parse_analyze = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* Depth of executor/utility calls in progress in this backend. */
static int	nesting_level = 0;

/*
 * Executions whose plan we asked to instrument: only their plans are walked,
 * not those that EXPLAIN ANALYZE or auto_explain instrumented.  A short
 * list, since only executions in progress are on it; cleared at transaction
 * end, where an error may have left some.
 */
#define PGI_MAX_SAMPLED 8
static QueryDesc *sampled[PGI_MAX_SAMPLED];
static int	nsampled = 0;

static bool
sampled_take(QueryDesc *queryDesc)
{
	int			i;

	for (i = 0; i < nsampled; i++)
	{
		if (sampled[i] == queryDesc)
		{
			sampled[i] = sampled[--nsampled];
			return true;
		}
	}
	return false;
}

static void
pgi_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		nsampled = 0;
}

#define pgi_enabled(level) \
	(!IsParallelWorker() && pgi_shared != NULL && \
	 (pgi_track == PGI_TRACK_ALL || \
	  (pgi_track == PGI_TRACK_TOP && (level) == 0)))

/* Utility statements whose work is counted through the executor. */
#define PGI_HANDLED_UTILITY(n) \
	(!IsA(n, ExecuteStmt) && !IsA(n, PrepareStmt))

static void
make_key(PgiShapeKey *key, uint64 shape_id, bool toplevel)
{
	memset(key, 0, sizeof(*key));
	key->userid = GetUserId();
	key->dbid = MyDatabaseId;
	key->shape_id = shape_id;
	key->toplevel = toplevel;
}

/* ---- entry sources, built only when an entry is created ---- */

typedef struct ParseSourceArg
{
	ParseState *pstate;
	Query	   *query;
	const JumbleState *jstate;
} ParseSourceArg;

static void
build_from_parse(void *arg, PgiEntrySource *src)
{
	ParseSourceArg *a = (ParseSourceArg *) arg;
	char	   *tables = palloc(PGI_TABLES_LEN);
	bool		trunc;

	src->text = pgi_normalize_text(a->pstate->p_sourcetext,
								   a->query->stmt_location, a->query->stmt_len,
								   a->jstate, &src->text_len, &trunc);
	src->text_truncated = trunc;
	src->command = pgi_command_name(a->query->commandType, a->query->utilityStmt);
	src->tables_len = pgi_tables_from_query(a->query, tables, PGI_TABLES_LEN, &src->ntables);
	src->tables = tables;
	src->queryid = a->query->queryId;
}

typedef struct ExecSourceArg
{
	QueryDesc  *queryDesc;
} ExecSourceArg;

static void
build_from_exec(void *arg, PgiEntrySource *src)
{
	QueryDesc  *qd = ((ExecSourceArg *) arg)->queryDesc;
	char	   *tables = palloc(PGI_TABLES_LEN);
	bool		trunc;

	src->text = pgi_normalize_text(qd->sourceText, qd->plannedstmt->stmt_location,
								   qd->plannedstmt->stmt_len, NULL,
								   &src->text_len, &trunc);
	src->text_truncated = trunc;
	src->command = pgi_command_name(qd->operation, NULL);
	src->tables_len = pgi_tables_from_rtable(qd->plannedstmt->rtable, tables,
											 PGI_TABLES_LEN, &src->ntables);
	src->tables = tables;
	src->queryid = qd->plannedstmt->queryId;
}

typedef struct UtilitySourceArg
{
	PlannedStmt *pstmt;
	const char *queryString;
	char	   *canonical;		/* the shape's text when built from the tree */
	int			canonical_len;
} UtilitySourceArg;

static void
build_from_utility(void *arg, PgiEntrySource *src)
{
	UtilitySourceArg *a = (UtilitySourceArg *) arg;
	bool		trunc;

	if (a->canonical)
	{
		src->text = a->canonical;
		src->text_len = a->canonical_len;
		trunc = false;
	}
	else
		src->text = pgi_normalize_text(a->queryString, a->pstmt->stmt_location,
									   a->pstmt->stmt_len, NULL, &src->text_len, &trunc);
	src->text_truncated = trunc;
	src->command = pgi_command_name(CMD_UTILITY, a->pstmt->utilityStmt);
	src->tables = NULL;
	src->tables_len = 0;
	src->ntables = 0;
	src->queryid = a->pstmt->queryId;
}

/* ---- the event ring ---- */

static void
push_event(QueryDesc *queryDesc, const PgiShapeKey *key, const PgiExecStats *stats,
		   const PgiCaptured *cap)
{
	PgiEvent	ev;
	int			loc = queryDesc->plannedstmt->stmt_location;
	int			len = queryDesc->plannedstmt->stmt_len;
	const char *text = CleanQuerytext(queryDesc->sourceText, &loc, &len);

	/* no uninitialised byte (padding, the trace id's tail) reaches shmem */
	memset(&ev, 0, sizeof(ev));
	ev.seq = 0;
	ev.end_time = stats->now;
	ev.pid = MyProcPid;
	ev.nesting_level = nesting_level;
	ev.xact_id = ((int64) PGI_MY_PROC_NUMBER << 32) | (int64) PGI_MY_LXID;
	ev.shape_id = key->shape_id;
	ev.userid = key->userid;
	ev.dbid = key->dbid;
	ev.duration_ms = stats->time_ms;
	ev.rows = stats->rows;
	ev.reads = stats->bufusage->shared_blks_hit + stats->bufusage->shared_blks_read;
	ev.param_hash = pgi_param_hash(text, len, queryDesc->params);
	ev.tagset_id = cap->tags.ntags > 0 ? cap->tags.tagset_id : 0;
	ev.offset_value = pgi_plan_offset(queryDesc);
	ev.has_trace_id = cap->has_trace_id;
	if (cap->has_trace_id)
		memcpy(ev.trace_id, cap->trace_id, sizeof(ev.trace_id));
	ev.toplevel = key->toplevel;
	ev.in_xact_block = IsTransactionBlock();
	pgi_event_push(&ev);
}

/* ---- failed executions ---- */

/*
 * The statement of queryDesc raised an error while it ran: count it under
 * its shape and SQLSTATE.  Runs in the error path: no allocation, no lock.
 */
static void
count_exec_error(QueryDesc *queryDesc)
{
	uint64		queryid = queryDesc->plannedstmt->queryId;
	PgiShapeCacheSlot *slot;

	if (queryid == UINT64CONST(0) || pgi_max_errors == 0 || !pgi_enabled(nesting_level))
		return;
	slot = pgi_shape_cache_get(PGI_EXEC_CACHE_KEY(queryDesc->plannedstmt));
	if (slot == NULL && PGI_CACHE_KEY_MIXED)
		slot = pgi_shape_cache_get(queryid);
	pgi_errors_record(slot ? slot->shape_id : queryid, nesting_level == 0, geterrcode());
}

/* ---- hooks ---- */

static void
pgi_post_parse_analyze(ParseState *pstate, Query *query, PGI_HOOK_JSTATE *jstate)
{
	PgiShapeCacheSlot *slot;
	uint64		shape_id,
				cache_key;

	if (prev_post_parse_analyze)
		prev_post_parse_analyze(pstate, query, jstate);

	if (!pgi_enabled(nesting_level) || query->queryId == UINT64CONST(0) ||
		query->utilityStmt != NULL)
		return;

	cache_key = PGI_PARSE_CACHE_KEY(query);
	slot = pgi_shape_cache_get(cache_key);
	if (slot != NULL)
		shape_id = slot->shape_id;
	else
	{
		shape_id = pgi_shape_for_query(query, pstate->p_sourcetext);
		slot = pgi_shape_cache_put(cache_key, shape_id);
	}

	/*
	 * Only here do we know where the constants are, so an entry for a
	 * statement with constants is created now, with its normalized text.
	 * Skip the shared lookup while no entry has gone away since this backend
	 * last saw this one.
	 */
	if (jstate != NULL && jstate->clocations_count > 0 &&
		pgi_jumble_has_constants(jstate, pstate->p_sourcetext))
	{
		PgiShapeKey key;
		ParseSourceArg arg = {pstate, query, jstate};
		uint64		gen = pgi_store_generation();

		PgiCaptured cap;

		make_key(&key, shape_id, nesting_level == 0);
		if (slot != NULL && slot->confirmed_gen == gen &&
			slot->confirmed_userid == key.userid && slot->confirmed_toplevel == key.toplevel)
			return;
		/* pg_insights' own statements get no entry (counted at their end) */
		pgi_capture(pstate->p_sourcetext, query->stmt_location, query->stmt_len, &cap);
		if (cap.own)
			return;
		pgi_store_ensure(&key, build_from_parse, &arg);
		if (slot != NULL)
		{
			slot->confirmed_gen = gen;
			slot->confirmed_userid = key.userid;
			slot->confirmed_toplevel = key.toplevel;
		}
	}
}

static void
pgi_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	/* per-node row counts on sampled executions (plan signals) */
	if (pgi_enabled(nesting_level) && queryDesc->plannedstmt->queryId != UINT64CONST(0) &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 && nsampled < PGI_MAX_SAMPLED &&
		pgi_plan_should_sample())
	{
		queryDesc->instrument_options |= INSTRUMENT_ROWS;
		sampled[nsampled++] = queryDesc;
	}
	if (pgi_enabled(nesting_level) && queryDesc->plannedstmt->queryId != UINT64CONST(0))
		PGI_QUERY_INSTR_REQUEST(queryDesc);

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (pgi_enabled(nesting_level) && queryDesc->plannedstmt->queryId != UINT64CONST(0) &&
		PGI_QUERY_INSTR(queryDesc) == NULL)
	{
		/* the instrumentation lives and dies with the query's own memory */
		MemoryContext old = MemoryContextSwitchTo(queryDesc->estate->es_query_cxt);

		PGI_QUERY_INSTR(queryDesc) = PGI_QUERY_INSTR_ALLOC();
		MemoryContextSwitchTo(old);
	}
}

/* the shape a top-level execution is counted under, for the wait sampler */
static void
publish_running(QueryDesc *queryDesc)
{
	uint64		queryid = queryDesc->plannedstmt->queryId;
	PgiShapeCacheSlot *slot;

	if (queryid == UINT64CONST(0) || !pgi_enabled(0))
		return;
	slot = pgi_shape_cache_get(PGI_EXEC_CACHE_KEY(queryDesc->plannedstmt));
	if (slot == NULL && PGI_CACHE_KEY_MIXED)
		slot = pgi_shape_cache_get(queryid);
	pgi_waits_publish(slot ? slot->shape_id : queryid);
}

static void
pgi_ExecutorRun(PGI_EXECUTOR_RUN_PARAMS)
{
	volatile bool top = nesting_level == 0 && pgi_wait_sample_interval > 0;

	if (top)
		publish_running(queryDesc);
	nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(PGI_EXECUTOR_RUN_ARGS);
		else
			standard_ExecutorRun(PGI_EXECUTOR_RUN_ARGS);
	}
	PG_CATCH();
	{
		nesting_level--;
		if (top)
			pgi_waits_publish(0);
		count_exec_error(queryDesc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	nesting_level--;
	if (top)
		pgi_waits_publish(0);
}

static void
pgi_ExecutorFinish(QueryDesc *queryDesc)
{
	nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		nesting_level--;
		count_exec_error(queryDesc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	nesting_level--;
}

static void
pgi_ExecutorEnd(QueryDesc *queryDesc)
{
	uint64		queryid = queryDesc->plannedstmt->queryId;

	if (queryid != UINT64CONST(0) && PGI_QUERY_INSTR(queryDesc) != NULL &&
		pgi_enabled(nesting_level))
	{
		uint64		shape_id;
		PgiShapeCacheSlot *slot;
		PgiShapeKey key;
		PgiExecStats stats;
		PgiCaptured cap;
		ExecSourceArg arg = {queryDesc};
		TupleDesc	tupdesc = queryDesc->tupDesc;
		EState	   *estate = queryDesc->estate;
		JitInstrumentation jit;

		/* make sure the totals are complete */
		PGI_QUERY_INSTR_END(PGI_QUERY_INSTR(queryDesc));

		slot = pgi_shape_cache_get(PGI_EXEC_CACHE_KEY(queryDesc->plannedstmt));
		if (slot == NULL && PGI_CACHE_KEY_MIXED)
			slot = pgi_shape_cache_get(queryid);
		if (slot != NULL)
			shape_id = slot->shape_id;
		else
		{
			/* parsed long ago and pushed out of the cache: count it apart */
			shape_id = queryid;
			pg_atomic_fetch_add_u64(&pgi_shared->shape_cache_misses, 1);
		}
		make_key(&key, shape_id, nesting_level == 0);
		stats.now = GetCurrentTimestamp();
		stats.time_ms = PGI_QUERY_INSTR_MS(PGI_QUERY_INSTR(queryDesc));
		stats.rows = estate->es_processed;
		stats.bufusage = &PGI_QUERY_INSTR(queryDesc)->bufusage;
		stats.walusage = &PGI_QUERY_INSTR(queryDesc)->walusage;
		/* the leader's JIT work and its workers' (combined by the executor) */
		stats.jit = NULL;
		if (estate->es_jit != NULL || estate->es_jit_worker_instr != NULL)
		{
			memset(&jit, 0, sizeof(jit));
			if (estate->es_jit != NULL)
				InstrJitAgg(&jit, &estate->es_jit->instr);
			if (estate->es_jit_worker_instr != NULL)
				InstrJitAgg(&jit, estate->es_jit_worker_instr);
			stats.jit = &jit;
		}
		stats.workers_planned = PGI_ES_WORKERS_PLANNED(estate);
		stats.workers_launched = PGI_ES_WORKERS_LAUNCHED(estate);
		stats.plan_origin = PGI_PLAN_ORIGIN(queryDesc->plannedstmt);
		stats.row_width = queryDesc->plannedstmt->planTree->plan_width;
		stats.ncolumns = (tupdesc && queryDesc->operation == CMD_SELECT) ? tupdesc->natts : 0;
		stats.plan_json = (sampled_take(queryDesc) &&
						   (queryDesc->instrument_options & INSTRUMENT_ROWS)) ?
			pgi_plan_json(queryDesc) : NULL;
		pgi_capture(queryDesc->sourceText, queryDesc->plannedstmt->stmt_location,
					queryDesc->plannedstmt->stmt_len, &cap);
		if (cap.own)
			pgi_count_own(stats.time_ms);
		else
		{
			pgi_store_add(&key, build_from_exec, &arg, &stats,
						  cap.tags.ntags > 0 ? &cap.tags : NULL, slot ? &slot->hint : NULL);
			if (pgi_event_ring_size > 0)
				push_event(queryDesc, &key, &stats, &cap);
		}
	}
	else if (nsampled > 0)
		(void) sampled_take(queryDesc);

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

static void
call_process_utility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

static void
pgi_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		track = pgi_track_utility && pgi_enabled(nesting_level) &&
		PGI_HANDLED_UTILITY(parsetree);

	if (track)
	{
		instr_time	start,
					duration;
		BufferUsage bufusage_start = pgBufferUsage,
					bufusage;
		WalUsage	walusage_start = pgWalUsage,
					walusage;
		PgiShapeKey key;
		PgiExecStats stats;
		PgiCaptured cap;
		UtilitySourceArg arg = {pstmt, queryString, NULL, 0};
		volatile uint64 shape_id;
		int			loc = pstmt->stmt_location,
					len = pstmt->stmt_len;
		const char *text;
		volatile bool top;

		/* the shape first: a failing statement is counted under it */
		text = CleanQuerytext(queryString, &loc, &len);
		arg.canonical = pgi_utility_canonical(parsetree, &arg.canonical_len);
		shape_id = arg.canonical ?
			pgi_shape_for_utility(arg.canonical, arg.canonical_len) :
			pgi_shape_for_utility(text, len);

		top = nesting_level == 0 && pgi_wait_sample_interval > 0;
		if (top)
			pgi_waits_publish(shape_id);
		INSTR_TIME_SET_CURRENT(start);
		nesting_level++;
		PG_TRY();
		{
			call_process_utility(pstmt, queryString, readOnlyTree, context,
								 params, queryEnv, dest, qc);
		}
		PG_CATCH();
		{
			nesting_level--;
			if (top)
				pgi_waits_publish(0);
			if (pgi_max_errors > 0 && pgi_shared != NULL)
				pgi_errors_record(shape_id, nesting_level == 0, geterrcode());
			PG_RE_THROW();
		}
		PG_END_TRY();
		nesting_level--;
		if (top)
			pgi_waits_publish(0);

		INSTR_TIME_SET_CURRENT(duration);
		INSTR_TIME_SUBTRACT(duration, start);
		memset(&bufusage, 0, sizeof(bufusage));
		BufferUsageAccumDiff(&bufusage, &pgBufferUsage, &bufusage_start);
		memset(&walusage, 0, sizeof(walusage));
		WalUsageAccumDiff(&walusage, &pgWalUsage, &walusage_start);

		/* the statement may have dropped our own extension */
		if (pgi_shared == NULL)
			return;
		make_key(&key, shape_id, nesting_level == 0);
		stats.now = GetCurrentTimestamp();
		stats.time_ms = INSTR_TIME_GET_MILLISEC(duration);
		stats.rows = (qc && (qc->commandTag == CMDTAG_COPY ||
							 qc->commandTag == CMDTAG_FETCH ||
							 qc->commandTag == CMDTAG_SELECT ||
							 qc->commandTag == CMDTAG_REFRESH_MATERIALIZED_VIEW)) ?
			qc->nprocessed : 0;
		stats.bufusage = &bufusage;
		stats.walusage = &walusage;
		stats.jit = NULL;
		stats.workers_planned = stats.workers_launched = 0;
		stats.plan_origin = PGI_PLAN_UNKNOWN;
		stats.row_width = 0;
		stats.ncolumns = 0;
		stats.plan_json = NULL;
		pgi_capture(queryString, pstmt->stmt_location, pstmt->stmt_len, &cap);
		if (cap.own)
			pgi_count_own(stats.time_ms);
		else
			pgi_store_add(&key, build_from_utility, &arg, &stats,
						  cap.tags.ntags > 0 ? &cap.tags : NULL, NULL);
	}
	else if (pgi_enabled(nesting_level) && PGI_HANDLED_UTILITY(parsetree))
	{
		/*
		 * Not counted, but what runs inside (DO, CALL, a function in COPY)
		 * is nested all the same.  EXECUTE and PREPARE stay at this level:
		 * their statement is the client's own.
		 */
		nesting_level++;
		PG_TRY();
		{
			call_process_utility(pstmt, queryString, readOnlyTree, context,
								 params, queryEnv, dest, qc);
		}
		PG_FINALLY();
		{
			nesting_level--;
		}
		PG_END_TRY();
	}
	else
		call_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
}

void
pgi_install_hooks(void)
{
	prev_post_parse_analyze = post_parse_analyze_hook;
	post_parse_analyze_hook = pgi_post_parse_analyze;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = pgi_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = pgi_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = pgi_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = pgi_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = pgi_ProcessUtility;
	RegisterXactCallback(pgi_xact_callback, NULL);
}
