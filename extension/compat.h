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
 */
#ifndef PGI_COMPAT_H
#define PGI_COMPAT_H

#include "postgres.h"

#include "executor/instrument.h"
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

/* ---- buffer usage ---- */

/* time reading / writing shared blocks (17 renamed the fields) */
#if PG_VERSION_NUM >= 170000
#define PGI_BU_SHARED_READ_TIME(bu)		((bu)->shared_blk_read_time)
#define PGI_BU_SHARED_WRITE_TIME(bu)	((bu)->shared_blk_write_time)
#else
#define PGI_BU_SHARED_READ_TIME(bu)		((bu)->blk_read_time)
#define PGI_BU_SHARED_WRITE_TIME(bu)	((bu)->blk_write_time)
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

#endif							/* PGI_COMPAT_H */
