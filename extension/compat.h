/*
 * compat.h — every difference between the PostgreSQL major versions that
 * pg_insights builds for (15, 17, 18, 19), in one place.  The other files
 * use the names below and never test PG_VERSION_NUM themselves.
 *
 *  - 16 moved the query jumble header from utils/ to nodes/.
 *  - 17 renamed BufferUsage's blk_{read,write}_time to
 *    shared_blk_{read,write}_time (and added local_blk_*_time).
 *  - 17 replaced PGPROC's backendId and lxid by vxid.procNumber, vxid.lxid.
 *  - 18 dropped ExecutorRun's execute_once argument.
 *  - 18 changed what the jumble records (see the jumble section below).
 *  - 19: query-level instrumentation is QueryDesc.query_instr (requested
 *    with query_instr_options, total time an instr_time), plan nodes carry a
 *    NodeInstrumentation, post_parse_analyze gets a const JumbleState,
 *    ShmemInitHash takes one size, log_min_messages is per process type,
 *    and the scanner lost escape_string_warning and
 *    standard_conforming_strings (always on).
 *  - Counters only newer servers keep (NULL in the views before): 17's
 *    local block I/O times and JIT deform counter, 18's parallel workers
 *    planned and launched and WAL buffers full, 19's plan origin (generic
 *    or custom cached plan).
 */
#ifndef PGI_COMPAT_H
#define PGI_COMPAT_H

#include "postgres.h"

#include "common/hashfn.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "parser/scanner.h"
#include "storage/shmem.h"
#include "utils/guc.h"
#if PG_VERSION_NUM >= 160000
#include "nodes/queryjumble.h"
#else
#include "utils/queryjumble.h"
#endif

/* ---- this backend's virtual transaction id: (proc number, lxid) ---- */

#if PG_VERSION_NUM >= 170000
#define PGI_MY_PROC_NUMBER		(MyProc->vxid.procNumber)
#define PGI_MY_LXID				(MyProc->vxid.lxid)
#else
#define PGI_MY_PROC_NUMBER		(MyProc->backendId)
#define PGI_MY_LXID				(MyProc->lxid)
#endif

/* this backend's index in ProcGlobal->allProcs (17 made it the proc number) */
#if PG_VERSION_NUM >= 170000
#define PGI_MY_PROC_INDEX		((int) MyProcNumber)
#else
#define PGI_MY_PROC_INDEX		(MyProc->pgprocno)
#endif

/* ---- a statement's span of the source text ---- */

static inline bool
pgi_is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * 18 starts a statement after its leading whitespace and comments (15 just
 * after the previous statement's ';'), so a leading sqlcommenter comment
 * falls outside the statement.  Move location back over block comments and
 * whitespace so that comments are read alike on every version.  Only
 * whitespace and comments lie between a statement and the one before it;
 * the scan never passes a character that is neither.
 */
static inline void
pgi_stmt_leading_comments(const char *source, int *location, int *len)
{
#if PG_VERSION_NUM >= 180000
	int			loc = *location,
				start = loc;

	if (source == NULL || loc <= 0)
		return;
	for (;;)
	{
		int			p = start,
					q;

		while (p > 0 && pgi_is_space(source[p - 1]))
			p--;
		if (p < 4 || source[p - 1] != '/' || source[p - 2] != '*')
			break;
		/* the opening of this comment: the nearest slash-star before it */
		for (q = p - 4; q >= 0; q--)
			if (source[q] == '/' && source[q + 1] == '*')
				break;
		if (q < 0)
			break;
		start = q;
	}
	if (start < loc)
	{
		if (*len > 0)
			*len += loc - start;
		*location = start;
	}
#endif
}

/* ---- ExecutorRun ---- */

/*
 * The parameter list of an ExecutorRun hook and the argument list that
 * passes it on: 18 has no execute_once.
 */
#if PG_VERSION_NUM >= 180000
#define PGI_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define PGI_EXECUTOR_RUN_ARGS	queryDesc, direction, count
#else
#define PGI_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once
#define PGI_EXECUTOR_RUN_ARGS	queryDesc, direction, count, execute_once
#endif

/* ---- query and plan-node instrumentation ---- */

/*
 * PGI_QUERY_INSTR(qd): the query's own totals (time, buffers, WAL).
 * PGI_QUERY_INSTR_REQUEST(qd): ask ExecutorStart for them (19; before it
 * runs); PGI_QUERY_INSTR_ALLOC(): make them when nobody asked (after it).
 */
#if PG_VERSION_NUM >= 190000
#define PGI_QUERY_INSTR(qd)			((qd)->query_instr)
#define PGI_QUERY_INSTR_REQUEST(qd)	((qd)->query_instr_options |= INSTRUMENT_ALL)
#define PGI_QUERY_INSTR_ALLOC()		InstrAlloc(INSTRUMENT_ALL)
#define PGI_QUERY_INSTR_END(in)		((void) 0)
#define PGI_QUERY_INSTR_MS(in)		INSTR_TIME_GET_MILLISEC((in)->total)
typedef NodeInstrumentation PgiNodeInstr;
#else
#define PGI_QUERY_INSTR(qd)			((qd)->totaltime)
#define PGI_QUERY_INSTR_REQUEST(qd)	((void) 0)
#define PGI_QUERY_INSTR_ALLOC()		InstrAlloc(1, INSTRUMENT_ALL, false)
#define PGI_QUERY_INSTR_END(in)		InstrEndLoop(in)
#define PGI_QUERY_INSTR_MS(in)		((in)->total * 1000.0)
typedef Instrumentation PgiNodeInstr;
#endif

/* ---- post_parse_analyze ---- */

#if PG_VERSION_NUM >= 190000
#define PGI_HOOK_JSTATE		const JumbleState
#else
#define PGI_HOOK_JSTATE		JumbleState
#endif

/* ---- shared memory hash tables of a fixed size n ---- */

#if PG_VERSION_NUM >= 190000
#define PGI_SHMEM_INIT_HASH(name, n, info, flags) \
	ShmemInitHash(name, n, info, flags)
#else
#define PGI_SHMEM_INIT_HASH(name, n, info, flags) \
	ShmemInitHash(name, n, n, info, flags)
#endif

/* ---- messages ---- */

/* this process's log_min_messages, an lvalue */
#if PG_VERSION_NUM >= 190000
#define PGI_LOG_MIN_MESSAGES	(log_min_messages[MyBackendType])
#else
#define PGI_LOG_MIN_MESSAGES	log_min_messages
#endif

/* ---- the core scanner ---- */

/*
 * A text that parsed already is lexed again: no warnings, and (for the
 * probe) standard strings; 19 has neither setting.
 */
static inline void
pgi_scanner_quiet(core_yy_extra_type *extra, bool standard_strings)
{
#if PG_VERSION_NUM < 190000
	extra->escape_string_warning = false;
	if (standard_strings)
		extra->standard_conforming_strings = true;
#endif
}

/* ---- buffer usage ---- */

/* time reading / writing shared blocks (17 renamed the fields) */
#if PG_VERSION_NUM >= 170000
#define PGI_BU_SHARED_READ_TIME(bu)		((bu)->shared_blk_read_time)
#define PGI_BU_SHARED_WRITE_TIME(bu)	((bu)->shared_blk_write_time)
#else
#define PGI_BU_SHARED_READ_TIME(bu)		((bu)->blk_read_time)
#define PGI_BU_SHARED_WRITE_TIME(bu)	((bu)->blk_write_time)
#endif

/* ---- counters that only newer servers keep ---- */

#define PGI_HAS_LOCAL_BLK_TIME		(PG_VERSION_NUM >= 170000)
#define PGI_HAS_JIT_DEFORM			(PG_VERSION_NUM >= 170000)
#define PGI_HAS_PARALLEL_WORKERS	(PG_VERSION_NUM >= 180000)
#define PGI_HAS_WAL_BUFFERS_FULL	(PG_VERSION_NUM >= 180000)
#define PGI_HAS_PLAN_ORIGIN			(PG_VERSION_NUM >= 190000)

/* where the plan of an execution came from (before 19: not known) */
typedef enum PgiPlanOrigin
{
	PGI_PLAN_UNKNOWN = 0,
	PGI_PLAN_GENERIC,			/* a cached generic plan */
	PGI_PLAN_CUSTOM				/* a cached plan made for these parameters */
} PgiPlanOrigin;

#if PG_VERSION_NUM >= 170000
#define PGI_BU_LOCAL_READ_MS(bu)	INSTR_TIME_GET_MILLISEC((bu)->local_blk_read_time)
#define PGI_BU_LOCAL_WRITE_MS(bu)	INSTR_TIME_GET_MILLISEC((bu)->local_blk_write_time)
#define PGI_JIT_DEFORM_MS(ji)		INSTR_TIME_GET_MILLISEC((ji)->deform_counter)
#else
#define PGI_BU_LOCAL_READ_MS(bu)	0.0
#define PGI_BU_LOCAL_WRITE_MS(bu)	0.0
#define PGI_JIT_DEFORM_MS(ji)		0.0
#endif

#if PG_VERSION_NUM >= 180000
#define PGI_WU_BUFFERS_FULL(wu)		((wu)->wal_buffers_full)
#define PGI_ES_WORKERS_PLANNED(es)	((es)->es_parallel_workers_to_launch)
#define PGI_ES_WORKERS_LAUNCHED(es)	((es)->es_parallel_workers_launched)
#else
#define PGI_WU_BUFFERS_FULL(wu)		0
#define PGI_ES_WORKERS_PLANNED(es)	0
#define PGI_ES_WORKERS_LAUNCHED(es)	0
#endif

#if PG_VERSION_NUM >= 190000
#define PGI_PLAN_ORIGIN(pstmt) \
	((pstmt)->planOrigin == PLAN_STMT_CACHE_GENERIC ? PGI_PLAN_GENERIC : \
	 (pstmt)->planOrigin == PLAN_STMT_CACHE_CUSTOM ? PGI_PLAN_CUSTOM : PGI_PLAN_UNKNOWN)
#else
#define PGI_PLAN_ORIGIN(pstmt)		PGI_PLAN_UNKNOWN
#endif

/* ---- the jumble's constant locations ---- */

/*
 * Up to 17 the jumble records one location per constant and nothing for
 * parameters.  From 18 on it also records every $n outside a list
 * (extern_param), and a list of two or more constants or $n (the elements
 * of IN (...) and ARRAY[...]) is one entry, "squashed", whose location and
 * length cover the list's items.  The normalized text must read the same
 * on every version, so shape.c turns 18's entries back into 15's: a
 * parameter entry is skipped, a squashed one is split into its items.
 */
typedef enum PgiConstKind
{
	PGI_CONST_ONE,				/* one constant (its length is not known) */
	PGI_CONST_PARAM,			/* a $n, not a constant */
	PGI_CONST_LIST				/* the items of a list: location, length */
} PgiConstKind;

static inline PgiConstKind
pgi_const_kind(const LocationLen *loc)
{
#if PG_VERSION_NUM >= 180000
	if (loc->extern_param)
		return PGI_CONST_PARAM;
	if (loc->squashed)
		return PGI_CONST_LIST;
#endif
	return PGI_CONST_ONE;
}

/*
 * The highest $n of the statement as the jumble counted it, or -1 when the
 * jumble did not keep it (18 resets it when a list was squashed).
 */
static inline int
pgi_jumble_highest_param(const JumbleState *jstate)
{
#if PG_VERSION_NUM >= 180000
	if (jstate->has_squashed_lists)
		return -1;
#endif
	return jstate->highest_extern_param_id;
}

/*
 * ---- the key of the backend's queryid -> shape cache ----
 *
 * From 18 core jumbles a relation by its name, so same-named tables of two
 * schemas share a queryid, while 15 (and a shape, which 15 defines) keeps
 * them apart.  Mixing in the OID of the statement's first relation gives 15's
 * distinction back; the planner keeps the statement's own range table first
 * and in order, so the parse and the executor find the same relation.
 */
#if PG_VERSION_NUM >= 180000
static inline uint64
pgi_cache_key_mix(uint64 queryid, List *rtable)
{
	ListCell   *lc;

	if (queryid == UINT64CONST(0))
		return queryid;
	foreach(lc, rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (OidIsValid(rte->relid))
		{
			uint64		key = hash_combine64(queryid, (uint64) rte->relid);

			return key != UINT64CONST(0) ? key : queryid;
		}
	}
	return queryid;
}
#define PGI_PARSE_CACHE_KEY(query)	pgi_cache_key_mix((query)->queryId, (query)->rtable)
#define PGI_EXEC_CACHE_KEY(pstmt)	pgi_cache_key_mix((pstmt)->queryId, (pstmt)->rtable)
/*
 * A statement whose own range table holds no relation (a subquery in FROM, a
 * CTE, a set operation) is keyed by its bare queryid at parse time, while the
 * planner's flattened range table does hold the inner relations: the
 * executor retries the bare queryid.  It cannot find another statement's
 * slot that way, as an equal queryid means an equal top-level range table.
 */
#define PGI_CACHE_KEY_MIXED			true
#else
#define PGI_PARSE_CACHE_KEY(query)	((query)->queryId)
#define PGI_EXEC_CACHE_KEY(pstmt)	((pstmt)->queryId)
#define PGI_CACHE_KEY_MIXED			false
#endif

#endif							/* PGI_COMPAT_H */
