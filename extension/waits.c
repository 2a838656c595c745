/*
 * waits.c — time by wait event per shape.
 *
 * While a backend runs a top-level statement it publishes the statement's
 * shape in its own slot (one cache line per backend, written only by it).
 * A background worker wakes every pg_insights.wait_sample_interval ms, reads
 * the wait state of every backend with a published shape and counts one
 * sample per (user, database, shape, wait event) in a counter table
 * (countertab.c); a backend that waits on nothing is on CPU.  Samples x the
 * interval estimate the time; the sampler takes no lock.
 */
#include "postgres.h"

#include "access/twophase.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "countertab.h"
#include "pg_insights.h"

int			pgi_wait_sample_interval = 10;
int			pgi_max_wait_entries = 5000;

typedef union PgiRunning
{
	struct
	{
		pg_atomic_uint64 shape_id;	/* 0: no tracked statement running */
		Oid			userid;
		Oid			dbid;
	}			r;
	char		pad[PG_CACHE_LINE_SIZE];
} PgiRunning;

typedef struct PgiWaitShared
{
	union
	{
		struct
		{
			int			nrunning;
			pg_atomic_uint64 samples;	/* sampling rounds done */
		}			h;
		char		pad[PG_CACHE_LINE_SIZE];
	}			hdr;
	PgiRunning	running[FLEXIBLE_ARRAY_MEMBER];
} PgiWaitShared;

static PgiWaitShared *waitshm = NULL;
static PgiCounterTable *waittab = NULL;

static int
running_slots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS + max_prepared_xacts;
}

Size
pgi_waits_shmem_size(void)
{
	Size		sz = add_size(offsetof(PgiWaitShared, running),
							  mul_size(running_slots(), sizeof(PgiRunning)));

	return add_size(sz, pgi_countertab_size(pgi_max_wait_entries));
}

void
pgi_waits_shmem_init(void)
{
	bool		found;
	int			i;
	Size		sz = add_size(offsetof(PgiWaitShared, running),
							  mul_size(running_slots(), sizeof(PgiRunning)));

	waitshm = ShmemInitStruct("pg_insights running", sz, &found);
	if (!found)
	{
		memset(waitshm, 0, sz);
		waitshm->hdr.h.nrunning = running_slots();
		pg_atomic_init_u64(&waitshm->hdr.h.samples, 0);
		for (i = 0; i < waitshm->hdr.h.nrunning; i++)
			pg_atomic_init_u64(&waitshm->running[i].r.shape_id, 0);
	}
	waittab = pgi_countertab_attach("pg_insights waits", pgi_max_wait_entries);
}

/*
 * A backend that ends inside a statement (FATAL, terminated) never reaches
 * the hooks' exits: clear its slot so the next backend in this PGPROC does
 * not inherit the shape.
 */
static void
clear_running(int code, Datum arg)
{
	pgi_waits_publish(0);
}

/* This backend starts (shape_id != 0) or ends (0) a top-level statement. */
void
pgi_waits_publish(uint64 shape_id)
{
	static bool exit_registered = false;
	int			i;
	PgiRunning *me;

	if (waitshm == NULL || MyProc == NULL)
		return;
	i = PGI_MY_PROC_INDEX;
	if (i < 0 || i >= waitshm->hdr.h.nrunning)
		return;
	if (!exit_registered && shape_id != 0)
	{
		before_shmem_exit(clear_running, (Datum) 0);
		exit_registered = true;
	}
	me = &waitshm->running[i];
	if (shape_id != 0)
	{
		me->r.userid = GetUserId();
		me->r.dbid = MyDatabaseId;
		pg_write_barrier();
	}
	pg_atomic_write_u64(&me->r.shape_id, shape_id);
}

static void
sample_once(void)
{
	TimestampTz now = GetCurrentTimestamp();
	int			i,
				n = Min(waitshm->hdr.h.nrunning, (int) ProcGlobal->allProcCount);

	for (i = 0; i < n; i++)
	{
		PgiRunning *r = &waitshm->running[i];
		uint64		shape_id = pg_atomic_read_u64(&r->r.shape_id);
		uint32		info;
		Oid			userid,
					dbid;

		if (shape_id == 0)
			continue;
		pg_read_barrier();
		userid = r->r.userid;
		dbid = r->r.dbid;
		info = *((volatile uint32 *) &ProcGlobal->allProcs[i].wait_event_info);
		pg_read_barrier();
		/* the statement ended meanwhile: its wait state may be the next one's */
		if (pg_atomic_read_u64(&r->r.shape_id) != shape_id)
			continue;
		pgi_countertab_add(waittab, userid, dbid, shape_id, true, info, 1, now);
	}
	pg_atomic_fetch_add_u64(&waitshm->hdr.h.samples, 1);
}

PGDLLEXPORT void pgi_wait_sampler_main(Datum arg);

void
pgi_wait_sampler_main(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	for (;;)
	{
		int			interval = pgi_wait_sample_interval;

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 interval > 0 ? interval : 1000, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (pgi_wait_sample_interval > 0 && waitshm != NULL)
			sample_once();
	}
	proc_exit(0);
}

void
pgi_waits_register_worker(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS;
	worker.bgw_start_time = BgWorkerStart_ConsistentState;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "pg_insights");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "pgi_wait_sampler_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "pg_insights wait sampler");
	snprintf(worker.bgw_type, BGW_MAXLEN, "pg_insights wait sampler");
	RegisterBackgroundWorker(&worker);
}

uint64
pgi_waits_dropped(void)
{
	return waittab ? pg_atomic_read_u64(&waittab->dropped) : 0;
}

uint64
pgi_waits_rounds(void)
{
	return waitshm ? pg_atomic_read_u64(&waitshm->hdr.h.samples) : 0;
}

void
pgi_waits_reset(bool all, uint64 shape_id)
{
	pgi_countertab_reset(waittab, all, shape_id);
}

PG_FUNCTION_INFO_V1(pg_insights_waits);

#define WAITS_COLS 7

Datum
pg_insights_waits(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	pgi_countertab_require(waittab);
	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < waittab->size; i++)
	{
		PgiCounterRow r;
		Datum		values[WAITS_COLS];
		bool		nulls[WAITS_COLS];
		const char *type,
				   *event;

		if (!pgi_countertab_read(waittab, i, &r))
			continue;
		type = r.code == 0 ? "CPU" : pgstat_get_wait_event_type(r.code);
		event = r.code == 0 ? "CPU" : pgstat_get_wait_event(r.code);
		memset(nulls, 0, sizeof(nulls));
		values[0] = ObjectIdGetDatum(r.userid);
		values[1] = ObjectIdGetDatum(r.dbid);
		values[2] = Int64GetDatum((int64) r.shape_id);
		values[3] = CStringGetTextDatum(type ? type : "???");
		values[4] = CStringGetTextDatum(event ? event : "???");
		values[5] = Int64GetDatum((int64) r.count);
		if (r.last_at != 0)
			values[6] = TimestampTzGetDatum(r.last_at);
		else
			nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
