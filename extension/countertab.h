/*
 * countertab.h — fixed tables of counters keyed by (user, database, shape, top level, code).
 */
#ifndef PGI_COUNTERTAB_H
#define PGI_COUNTERTAB_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "port/atomics.h"

typedef struct PgiCounterSlot
{
	pg_atomic_uint64 tag;		/* key hash, never 0; 0: free */
	pg_atomic_uint32 ready;		/* the key fields below are written */
	Oid			userid;
	Oid			dbid;
	uint64		shape_id;
	uint32		code;			/* what is counted: a SQLSTATE, a wait event */
	bool		toplevel;
	pg_atomic_uint64 count;
	pg_atomic_uint64 last_at;	/* TimestampTz of the last add */
} PgiCounterSlot;

typedef struct PgiCounterTable
{
	int			size;
	pg_atomic_uint64 dropped;	/* adds that found no free slot */
	PgiCounterSlot slots[FLEXIBLE_ARRAY_MEMBER];
} PgiCounterTable;

/* a live slot as read by a view */
typedef struct PgiCounterRow
{
	Oid			userid;
	Oid			dbid;
	uint64		shape_id;
	uint32		code;
	bool		toplevel;
	uint64		count;
	TimestampTz last_at;		/* 0: never */
} PgiCounterRow;

extern Size pgi_countertab_size(int nslots);
extern PgiCounterTable *pgi_countertab_attach(const char *name, int nslots);
extern void pgi_countertab_add(PgiCounterTable *t, Oid userid, Oid dbid, uint64 shape_id,
							   bool toplevel, uint32 code, uint64 n, TimestampTz now);
extern void pgi_countertab_require(const PgiCounterTable *t);
extern bool pgi_countertab_read(PgiCounterTable *t, int i, PgiCounterRow *row);
extern void pgi_countertab_reset(PgiCounterTable *t, bool all, uint64 shape_id);

#endif							/* PGI_COUNTERTAB_H */
