/*
 * events.c — the per-execution event ring: a fixed array in shared memory
 * that backends append to without any lock, read by insights.events().
 *
 * Writers claim a sequence number with one atomic fetch-add and fill the
 * slot seq % size, bracketed by a version word (0 while writing, seq + 1
 * when complete).  Readers copy a slot and accept it only when the version
 * is seq + 1 before and after the copy; anything else means the slot was
 * overwritten (or is being written) and the event is reported lost.  No
 * writer ever waits: the ring is lossy by design and says how much it lost.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "pg_insights.h"

int			pgi_event_ring_size = 32768;

typedef struct PgiEventRing
{
	int			size;
	pg_atomic_uint64 next_seq;	/* next sequence number to hand out (from 1) */
	PgiEventSlot slots[FLEXIBLE_ARRAY_MEMBER];
} PgiEventRing;

static PgiEventRing *ring = NULL;

Size
pgi_events_shmem_size(void)
{
	return add_size(offsetof(PgiEventRing, slots),
					mul_size(Max(pgi_event_ring_size, 1), sizeof(PgiEventSlot)));
}

void
pgi_events_shmem_init(void)
{
	bool		found;
	int			i;

	ring = ShmemInitStruct("pg_insights events", pgi_events_shmem_size(), &found);
	if (!found)
	{
		ring->size = pgi_event_ring_size;
		pg_atomic_init_u64(&ring->next_seq, 1);
		for (i = 0; i < Max(ring->size, 1); i++)
			pg_atomic_init_u64(&ring->slots[i].version, 0);
	}
}

uint64
pgi_events_written(void)
{
	return ring ? pg_atomic_read_u64(&ring->next_seq) - 1 : 0;
}

int
pgi_events_size(void)
{
	return ring ? ring->size : 0;
}

/* Append one event; never blocks, never fails. */
void
pgi_event_push(const PgiEvent *ev)
{
	uint64		seq;
	PgiEventSlot *slot;

	if (ring == NULL || ring->size <= 0)
		return;
	seq = pg_atomic_fetch_add_u64(&ring->next_seq, 1);
	slot = &ring->slots[seq % ring->size];
	pg_atomic_write_u64(&slot->version, 0);
	pg_write_barrier();
	slot->ev = *ev;
	slot->ev.seq = seq;
	pg_write_barrier();
	pg_atomic_write_u64(&slot->version, seq + 1);
}

PG_FUNCTION_INFO_V1(pg_insights_events);

#define EVENT_COLS 17

/*
 * insights.events(after_seq): the events still in the ring with a larger
 * sequence number, oldest first.  A reader that fell behind sees a jump in
 * seq; the first row's seq minus after_seq minus one events were lost.
 */
Datum
pg_insights_events(PG_FUNCTION_ARGS)
{
	int64		after = PG_GETARG_INT64(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		see_all = is_member_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
	Oid			me = GetUserId();
	uint64		next,
				first,
				seq;

	if (ring == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_insights must be loaded via shared_preload_libraries"),
				 errhint("Add pg_insights to shared_preload_libraries in postgresql.conf and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	if (ring->size <= 0)
		return (Datum) 0;

	next = pg_atomic_read_u64(&ring->next_seq);
	first = (after < 0) ? 1 : (uint64) after + 1;
	if (next > (uint64) ring->size && first < next - ring->size)
		first = next - ring->size;

	for (seq = first; seq < next; seq++)
	{
		PgiEventSlot *slot = &ring->slots[seq % ring->size];
		PgiEvent	ev;
		uint64		v1,
					v2;
		Datum		values[EVENT_COLS];
		bool		nulls[EVENT_COLS];
		int			j = 0;

		v1 = pg_atomic_read_u64(&slot->version);
		pg_read_barrier();
		ev = slot->ev;
		pg_read_barrier();
		v2 = pg_atomic_read_u64(&slot->version);
		if (v1 != seq + 1 || v2 != seq + 1)
			continue;			/* overwritten or still being written: lost */
		if (!see_all && ev.userid != me)
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[j++] = Int64GetDatum((int64) ev.seq);
		values[j++] = TimestampTzGetDatum(ev.end_time);
		values[j++] = Int32GetDatum(ev.pid);
		values[j++] = Int64GetDatum(ev.xact_id);
		values[j++] = Int32GetDatum(ev.nesting_level);
		values[j++] = Int64GetDatum((int64) ev.shape_id);
		values[j++] = ObjectIdGetDatum(ev.userid);
		values[j++] = ObjectIdGetDatum(ev.dbid);
		values[j++] = Float8GetDatum(ev.duration_ms);
		values[j++] = Int64GetDatum(ev.rows);
		values[j++] = Int64GetDatum(ev.reads);
		values[j++] = Int64GetDatum((int64) ev.param_hash);
		if (ev.trace_id[0] != '\0')
			values[j++] = CStringGetTextDatum(ev.trace_id);
		else
			nulls[j++] = true;
		if (ev.tagset_id != 0)
			values[j++] = Int64GetDatum((int64) ev.tagset_id);
		else
			nulls[j++] = true;
		if (ev.offset_value >= 0)
			values[j++] = Int64GetDatum(ev.offset_value);
		else
			nulls[j++] = true;
		values[j++] = BoolGetDatum(ev.toplevel);
		values[j++] = BoolGetDatum(ev.in_xact_block);
		Assert(j == EVENT_COLS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
