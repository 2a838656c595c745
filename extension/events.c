/*
 * events.c — the per-execution event ring: a fixed array in shared memory
 * that backends append to without any lock, read by insights.events().
 *
 * Writers claim a sequence number s with one atomic fetch-add and own slot
 * s % size while they fill it.  Each slot has a sequence word: 2s once the
 * event of s is published, 2s + 1 while the writer of s fills it (0: never
 * used).  A writer takes the slot only by a compare-and-swap from a published
 * or empty word of an earlier sequence; when the slot is still being filled
 * by a stalled writer of an earlier lap (or a later lap already took it) the
 * writer drops its event, counts it and marks the slot, so two events are
 * never mixed in one slot and no writer waits.
 *
 * Readers copy a slot and keep it only when its word is 2s before and after
 * the copy.  They stop at the first slot whose writer has not finished
 * (instead of skipping it, which would lose it for good): the next read
 * starts there.  A writer stalled for longer than one lap of the ring no
 * longer holds readers back, as its sequence falls out of the ring.
 *
 * Loss is counted once per sequence number: a privileged reader that passes
 * a sequence number without returning its event (overwritten before it was
 * read, or dropped by its writer) adds it to "unread", and a shared high-water
 * mark of the positions readers reached keeps several readers from counting
 * the same number twice.  Writers count their own drops apart, so those show
 * even when nobody reads.
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

typedef struct PgiEventSlot
{
	pg_atomic_uint64 seq;		/* 2s published, 2s + 1 being written */
	pg_atomic_uint64 dropped;	/* latest sequence whose writer dropped here */
	PgiEvent	ev;
} PgiEventSlot;

/* a counter alone on its cache line: writers of one do not slow the others */
typedef union PgiPaddedCounter
{
	pg_atomic_uint64 v;
	char		pad[PG_CACHE_LINE_SIZE];
} PgiPaddedCounter;

typedef struct PgiEventRing
{
	int			size;			/* read-only after startup */
	PgiPaddedCounter next_seq;	/* next sequence number to hand out (from 1) */
	PgiPaddedCounter write_dropped; /* bumped by a writer that drops */
	/* written by readers only, once per read */
	struct
	{
		pg_atomic_uint64 read_seq;	/* highest sequence a reader passed */
		pg_atomic_uint64 unread;	/* passed without being returned */
	}			r;
	char		pad[PG_CACHE_LINE_SIZE];
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
		memset(ring, 0, pgi_events_shmem_size());
		ring->size = pgi_event_ring_size;
		pg_atomic_init_u64(&ring->next_seq.v, 1);
		pg_atomic_init_u64(&ring->write_dropped.v, 0);
		pg_atomic_init_u64(&ring->r.read_seq, 0);
		pg_atomic_init_u64(&ring->r.unread, 0);
		for (i = 0; i < Max(ring->size, 1); i++)
		{
			pg_atomic_init_u64(&ring->slots[i].seq, 0);
			pg_atomic_init_u64(&ring->slots[i].dropped, 0);
		}
	}
}

uint64
pgi_events_written(void)
{
	return ring ? pg_atomic_read_u64(&ring->next_seq.v) - 1 : 0;
}

/* events lost: passed by readers without being returned */
uint64
pgi_events_dropped(void)
{
	return ring ? pg_atomic_read_u64(&ring->r.unread) : 0;
}

uint64
pgi_events_write_dropped(void)
{
	return ring ? pg_atomic_read_u64(&ring->write_dropped.v) : 0;
}

int
pgi_events_size(void)
{
	return ring ? ring->size : 0;
}

/* raise *a to at least v (concurrent callers keep the largest) */
static void
atomic_raise_u64(pg_atomic_uint64 *a, uint64 v)
{
	uint64		cur = pg_atomic_read_u64(a);

	while (cur < v && !pg_atomic_compare_exchange_u64(a, &cur, v))
		;
}

/* Append one event; never blocks, never fails; drops (counted) rather than mix. */
void
pgi_event_push(const PgiEvent *ev)
{
	uint64		seq;
	uint64		cur;
	PgiEventSlot *slot;

	if (ring == NULL || ring->size <= 0)
		return;
	seq = pg_atomic_fetch_add_u64(&ring->next_seq.v, 1);
	slot = &ring->slots[seq % ring->size];
	cur = pg_atomic_read_u64(&slot->seq);
	for (;;)
	{
		/* odd: a writer of an earlier lap is still filling it; >= ours: lapped */
		if ((cur & 1) != 0 || (cur >> 1) >= seq)
		{
			atomic_raise_u64(&slot->dropped, seq);
			pg_atomic_fetch_add_u64(&ring->write_dropped.v, 1);
			return;
		}
		if (pg_atomic_compare_exchange_u64(&slot->seq, &cur, 2 * seq + 1))
			break;
	}
	/* the swap is a full barrier: no byte below lands before the slot is ours */
	memcpy(&slot->ev, ev, sizeof(PgiEvent));
	slot->ev.seq = seq;
	pg_write_barrier();
	/* publish */
	pg_atomic_write_u64(&slot->seq, 2 * seq);
}

PG_FUNCTION_INFO_V1(pg_insights_events);

#define EVENT_COLS 17

/* What a reader finds in the slot of one sequence number. */
typedef enum SlotState
{
	SLOT_EVENT,					/* copied, consistent */
	SLOT_LOST,					/* overwritten, or dropped by its writer */
	SLOT_INCOMPLETE				/* its writer has not finished */
} SlotState;

static SlotState
read_slot(uint64 seq, PgiEvent *ev)
{
	PgiEventSlot *slot = &ring->slots[seq % ring->size];
	uint64		v1,
				v2;

	v1 = pg_atomic_read_u64(&slot->seq);
	if (v1 == 2 * seq)
	{
		pg_read_barrier();
		memcpy(ev, &slot->ev, sizeof(PgiEvent));
		pg_read_barrier();
		v2 = pg_atomic_read_u64(&slot->seq);
		/* changed under the copy: a later lap took the slot */
		return v2 == v1 ? SLOT_EVENT : SLOT_LOST;
	}
	if ((v1 >> 1) > seq)
		return SLOT_LOST;		/* a later lap took the slot */
	pg_read_barrier();
	if (pg_atomic_read_u64(&slot->dropped) >= seq)
		return SLOT_LOST;		/* its writer (or a later lap's) gave up */
	return SLOT_INCOMPLETE;
}

/*
 * Count the sequence numbers in (after, passed] not returned to this reader,
 * less those a reader already passed: each lost number counted once.
 * returned is sorted ascending.
 */
static void
count_unread(uint64 after, uint64 passed, const uint64 *returned, int nreturned)
{
	uint64		hw = pg_atomic_read_u64(&ring->r.read_seq);

	for (;;)
	{
		uint64		from = Max(hw, after);
		uint64		lost;
		int			i;

		if (passed <= from)
			return;
		lost = passed - from;
		for (i = 0; i < nreturned; i++)
			if (returned[i] > from)
				lost--;
		if (pg_atomic_compare_exchange_u64(&ring->r.read_seq, &hw, passed))
		{
			if (lost > 0)
				pg_atomic_fetch_add_u64(&ring->r.unread, lost);
			return;
		}
	}
}

/*
 * insights.events(after_seq): the events still in the ring with a larger
 * sequence number, oldest first, up to the first one still being written.
 * Sequence numbers skipped in the result are events lost (counted in
 * insights.info.events_dropped); the next read should pass the largest seq
 * returned.
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
				seq,
				start;
	uint64	   *returned;
	int			nreturned = 0;

	if (ring == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_insights must be loaded via shared_preload_libraries"),
				 errhint("Add pg_insights to shared_preload_libraries in postgresql.conf and restart the server.")));
	InitMaterializedSRF(fcinfo, 0);
	if (ring->size <= 0)
		return (Datum) 0;

	next = pg_atomic_read_u64(&ring->next_seq.v);
	start = (after < 0) ? 0 : Min((uint64) after, next - 1);
	first = start + 1;
	if (next > (uint64) ring->size && first < next - ring->size)
		first = next - ring->size;
	returned = palloc(sizeof(uint64) * (Min(next - first, (uint64) ring->size) + 1));

	for (seq = first; seq < next; seq++)
	{
		PgiEvent	ev;
		Datum		values[EVENT_COLS];
		bool		nulls[EVENT_COLS];
		int			j = 0;
		SlotState	state = read_slot(seq, &ev);

		if (state == SLOT_INCOMPLETE)
			break;
		if (state == SLOT_LOST)
			continue;
		returned[nreturned++] = seq;
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
		if (ev.has_trace_id)
		{
			char		hex[2 * sizeof(ev.trace_id) + 1];

			hex[hex_encode((const char *) ev.trace_id, sizeof(ev.trace_id), hex)] = '\0';
			values[j++] = CStringGetTextDatum(hex);
		}
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
	/* only a reader that sees every event can say which were lost */
	if (see_all)
		count_unread(start, seq - 1, returned, nreturned);
	pfree(returned);
	return (Datum) 0;
}
