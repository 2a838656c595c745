/*
 * countertab.c — fixed tables of counters keyed by (user, database, shape,
 * top level, code), for failed executions (errors.c) and wait samples
 * (waits.c).
 *
 * Open addressing over atomics sized at start: an add finds or claims its
 * slot by compare-and-swap and adds, with no lock and no allocation, so it
 * can run in an error path or a sampler, and many writers never wait on one
 * another.  A key that finds no free slot within the probe window is counted
 * in the table's dropped counter instead.
 */
#include "postgres.h"

#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "countertab.h"
#include "pg_insights.h"

#define PROBE_MAX	32

Size
pgi_countertab_size(int nslots)
{
	return add_size(offsetof(PgiCounterTable, slots),
					mul_size(Max(nslots, 1), sizeof(PgiCounterSlot)));
}

PgiCounterTable *
pgi_countertab_attach(const char *name, int nslots)
{
	bool		found;
	int			i;
	PgiCounterTable *t = ShmemInitStruct(name, pgi_countertab_size(nslots), &found);

	if (!found)
	{
		memset(t, 0, pgi_countertab_size(nslots));
		t->size = nslots;
		pg_atomic_init_u64(&t->dropped, 0);
		for (i = 0; i < Max(nslots, 1); i++)
		{
			pg_atomic_init_u64(&t->slots[i].tag, 0);
			pg_atomic_init_u32(&t->slots[i].ready, 0);
			pg_atomic_init_u64(&t->slots[i].count, 0);
			pg_atomic_init_u64(&t->slots[i].last_at, 0);
		}
	}
	return t;
}

static uint64
key_tag(Oid userid, Oid dbid, uint64 shape_id, bool toplevel, uint32 code)
{
	uint64		k[3];
	uint64		h;

	k[0] = ((uint64) userid << 32) | dbid;
	k[1] = shape_id;
	k[2] = ((uint64) code << 1) | (toplevel ? 1 : 0);
	h = pgi_fast_hash((const char *) k, sizeof(k), UINT64CONST(0x9e3779b97f4a7c15));
	return h == 0 ? 1 : h;
}

void
pgi_countertab_add(PgiCounterTable *t, Oid userid, Oid dbid, uint64 shape_id,
				   bool toplevel, uint32 code, uint64 n, TimestampTz now)
{
	uint64		tag;
	int			i,
				at;

	if (t == NULL || t->size <= 0)
		return;
	tag = key_tag(userid, dbid, shape_id, toplevel, code);
	at = (int) (tag % (uint64) t->size);
	for (i = 0; i < PROBE_MAX && i < t->size; i++)
	{
		PgiCounterSlot *s = &t->slots[(at + i) % t->size];
		uint64		cur = pg_atomic_read_u64(&s->tag);

		if (cur == 0)
		{
			uint64		expected = 0;

			if (pg_atomic_compare_exchange_u64(&s->tag, &expected, tag))
			{
				s->userid = userid;
				s->dbid = dbid;
				s->shape_id = shape_id;
				s->code = code;
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
			pg_atomic_fetch_add_u64(&s->count, n);
			pg_atomic_write_u64(&s->last_at, (uint64) now);
			return;
		}
	}
	pg_atomic_fetch_add_u64(&t->dropped, n);
}

/* A view's table must exist: the library was preloaded. */
void
pgi_countertab_require(const PgiCounterTable *t)
{
	if (t == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_insights must be loaded via shared_preload_libraries"),
				 errhint("Add pg_insights to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/*
 * Slot i as a row, when it holds a key whose fields are written and a count
 * above zero (a reset shape's slots keep their key at zero).
 */
bool
pgi_countertab_read(PgiCounterTable *t, int i, PgiCounterRow *row)
{
	PgiCounterSlot *s = &t->slots[i];

	if (pg_atomic_read_u64(&s->tag) == 0 || pg_atomic_read_u32(&s->ready) == 0)
		return false;
	pg_read_barrier();
	row->count = pg_atomic_read_u64(&s->count);
	if (row->count == 0)
		return false;
	row->last_at = (TimestampTz) pg_atomic_read_u64(&s->last_at);
	row->userid = s->userid;
	row->dbid = s->dbid;
	row->shape_id = s->shape_id;
	row->code = s->code;
	row->toplevel = s->toplevel;
	return true;
}

/*
 * Forget every counter, or one shape's.  Slots of one shape keep their key
 * (open addressing has no deletion) with the count at zero and are reused
 * when that key is counted again; readers skip counts of zero.
 */
void
pgi_countertab_reset(PgiCounterTable *t, bool all, uint64 shape_id)
{
	int			i;

	if (t == NULL)
		return;
	for (i = 0; i < t->size; i++)
	{
		PgiCounterSlot *s = &t->slots[i];

		if (!all && !(pg_atomic_read_u32(&s->ready) && s->shape_id == shape_id))
			continue;
		if (all)
		{
			pg_atomic_write_u32(&s->ready, 0);
			pg_write_barrier();
			pg_atomic_write_u64(&s->tag, 0);
		}
		pg_atomic_write_u64(&s->count, 0);
		pg_atomic_write_u64(&s->last_at, 0);
	}
	if (all)
		pg_atomic_write_u64(&t->dropped, 0);
}
