/*
 * errors.c — failed executions per (user, database, shape, top level, SQLSTATE).
 *
 * A fixed open-addressed table of atomics sized at start: a statement that
 * fails finds or claims its slot by compare-and-swap and adds one, with no
 * lock, so a client that hammers a unique violation cannot make others wait.
 * Nothing runs on the success path.  An error that finds no free slot within
 * the probe window is counted in errors_dropped instead.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pg_insights.h"

#define PROBE_MAX	32

typedef struct PgiErrorSlot
{
	pg_atomic_uint64 tag;		/* key hash, never 0; 0: free */
	pg_atomic_uint32 ready;		/* the key fields below are written */
	Oid			userid;
	Oid			dbid;
	uint64		shape_id;
	int			sqlstate;		/* packed, as geterrcode() */
	bool		toplevel;
	pg_atomic_uint64 errors;
	pg_atomic_uint64 last_error_at; /* TimestampTz */
} PgiErrorSlot;

typedef struct PgiErrorTable
{
	int			size;
	pg_atomic_uint64 dropped;
	PgiErrorSlot slots[FLEXIBLE_ARRAY_MEMBER];
} PgiErrorTable;

int			pgi_max_errors = 1000;
static PgiErrorTable *errtab = NULL;

Size
pgi_errors_shmem_size(void)
{
	return add_size(offsetof(PgiErrorTable, slots),
					mul_size(Max(pgi_max_errors, 1), sizeof(PgiErrorSlot)));
}

void
pgi_errors_shmem_init(void)
{
	bool		found;
	int			i;

	errtab = ShmemInitStruct("pg_insights errors", pgi_errors_shmem_size(), &found);
	if (!found)
	{
		memset(errtab, 0, pgi_errors_shmem_size());
		errtab->size = pgi_max_errors;
		pg_atomic_init_u64(&errtab->dropped, 0);
		for (i = 0; i < Max(errtab->size, 1); i++)
		{
			pg_atomic_init_u64(&errtab->slots[i].tag, 0);
			pg_atomic_init_u32(&errtab->slots[i].ready, 0);
			pg_atomic_init_u64(&errtab->slots[i].errors, 0);
			pg_atomic_init_u64(&errtab->slots[i].last_error_at, 0);
		}
	}
}

static uint64
key_tag(Oid userid, Oid dbid, uint64 shape_id, bool toplevel, int sqlstate)
{
	uint64		k[3];
	uint64		h;

	k[0] = ((uint64) userid << 32) | dbid;
	k[1] = shape_id;
	k[2] = ((uint64) (uint32) sqlstate << 1) | (toplevel ? 1 : 0);
	h = pgi_fast_hash((const char *) k, sizeof(k), UINT64CONST(0x9e3779b97f4a7c15));
	return h == 0 ? 1 : h;
}

/*
 * Count one failed execution.  Called from the executor's and utility's
 * error paths: atomics only, no allocation, nothing that can throw.
 */
void
pgi_errors_record(uint64 shape_id, bool toplevel, int sqlstate)
{
	Oid			userid = GetUserId();
	uint64		tag;
	int			i,
				at;

	if (errtab == NULL || errtab->size <= 0)
		return;
	tag = key_tag(userid, MyDatabaseId, shape_id, toplevel, sqlstate);
	at = (int) (tag % (uint64) errtab->size);
	for (i = 0; i < PROBE_MAX && i < errtab->size; i++)
	{
		PgiErrorSlot *s = &errtab->slots[(at + i) % errtab->size];
		uint64		cur = pg_atomic_read_u64(&s->tag);

		if (cur == 0)
		{
			uint64		expected = 0;

			if (pg_atomic_compare_exchange_u64(&s->tag, &expected, tag))
			{
				s->userid = userid;
				s->dbid = MyDatabaseId;
				s->shape_id = shape_id;
				s->sqlstate = sqlstate;
				s->toplevel = toplevel;
				pg_write_barrier();
				pg_atomic_write_u32(&s->ready, 1);
				cur = tag;
			}
			else
				cur = expected;
		}
		if (cur == tag)
		{
			pg_atomic_fetch_add_u64(&s->errors, 1);
			pg_atomic_write_u64(&s->last_error_at, (uint64) GetCurrentTimestamp());
			return;
		}
	}
	pg_atomic_fetch_add_u64(&errtab->dropped, 1);
}

uint64
pgi_errors_dropped(void)
{
	return errtab ? pg_atomic_read_u64(&errtab->dropped) : 0;
}

/*
 * Forget every counter, or one shape's.  Slots of one shape keep their key
 * (open addressing has no deletion) with the count at zero, so they are
 * reused when that shape fails again; the view shows counts above zero.
 */
void
pgi_errors_reset(bool all, uint64 shape_id)
{
	int			i;

	if (errtab == NULL)
		return;
	for (i = 0; i < errtab->size; i++)
	{
		PgiErrorSlot *s = &errtab->slots[i];

		if (!all && !(pg_atomic_read_u32(&s->ready) && s->shape_id == shape_id))
			continue;
		if (all)
		{
			pg_atomic_write_u32(&s->ready, 0);
			pg_write_barrier();
			pg_atomic_write_u64(&s->tag, 0);
		}
		pg_atomic_write_u64(&s->errors, 0);
		pg_atomic_write_u64(&s->last_error_at, 0);
	}
	if (all)
		pg_atomic_write_u64(&errtab->dropped, 0);
}

PG_FUNCTION_INFO_V1(pg_insights_errors);

#define ERRORS_COLS 7

Datum
pg_insights_errors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	if (errtab == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_insights must be loaded via shared_preload_libraries"),
				 errhint("Add pg_insights to shared_preload_libraries in postgresql.conf and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < errtab->size; i++)
	{
		PgiErrorSlot *s = &errtab->slots[i];
		Datum		values[ERRORS_COLS];
		bool		nulls[ERRORS_COLS];
		uint64		n;
		TimestampTz last;

		if (pg_atomic_read_u64(&s->tag) == 0 || pg_atomic_read_u32(&s->ready) == 0)
			continue;
		pg_read_barrier();
		n = pg_atomic_read_u64(&s->errors);
		if (n == 0)
			continue;
		last = (TimestampTz) pg_atomic_read_u64(&s->last_error_at);
		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(s->userid);
		values[1] = ObjectIdGetDatum(s->dbid);
		values[2] = Int64GetDatum((int64) s->shape_id);
		values[3] = BoolGetDatum(s->toplevel);
		values[4] = CStringGetTextDatum(unpack_sql_state(s->sqlstate));
		values[5] = Int64GetDatum((int64) n);
		if (last != 0)
			values[6] = TimestampTzGetDatum(last);
		else
			nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
