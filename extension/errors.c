/*
 * errors.c — failed executions per (user, database, shape, top level,
 * SQLSTATE), counted from the executor's and utility's error paths into a
 * counter table (countertab.c): no lock, no allocation, nothing on the
 * success path.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "countertab.h"
#include "pg_insights.h"

int			pgi_max_errors = 1000;
static PgiCounterTable *errtab = NULL;

Size
pgi_errors_shmem_size(void)
{
	return pgi_countertab_size(pgi_max_errors);
}

void
pgi_errors_shmem_init(void)
{
	errtab = pgi_countertab_attach("pg_insights errors", pgi_max_errors);
}

/* Count one failed execution: atomics only, nothing that can throw. */
void
pgi_errors_record(uint64 shape_id, bool toplevel, int sqlstate)
{
	pgi_countertab_add(errtab, GetUserId(), MyDatabaseId, shape_id, toplevel,
					   (uint32) sqlstate, 1, GetCurrentTimestamp());
}

uint64
pgi_errors_dropped(void)
{
	return errtab ? pg_atomic_read_u64(&errtab->dropped) : 0;
}

void
pgi_errors_reset(bool all, uint64 shape_id)
{
	pgi_countertab_reset(errtab, all, shape_id);
}

PG_FUNCTION_INFO_V1(pg_insights_errors);

#define ERRORS_COLS 7

Datum
pg_insights_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	pgi_countertab_require(errtab);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < errtab->size; i++)
	{
		PgiCounterRow r;
		Datum		values[ERRORS_COLS];
		bool		nulls[ERRORS_COLS];

		if (!pgi_countertab_read(errtab, i, &r))
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(r.userid);
		values[1] = ObjectIdGetDatum(r.dbid);
		values[2] = Int64GetDatum((int64) r.shape_id);
		values[3] = BoolGetDatum(r.toplevel);
		values[4] = CStringGetTextDatum(unpack_sql_state((int) r.code));
		values[5] = Int64GetDatum((int64) r.count);
		if (r.last_at != 0)
			values[6] = TimestampTzGetDatum(r.last_at);
		else
			nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
