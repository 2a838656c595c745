/*
 * pg_insights.c — module entry: GUCs, the shared-memory request and hook
 * installation.  Everything else lives in the files named in pg_insights.h.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/guc.h"

#include "pg_insights.h"

PG_MODULE_MAGIC;

int			pgi_max_shapes = 5000;
int			pgi_max_tagsets = 5000;
int			pgi_max_tagsets_per_shape = 32;
int			pgi_max_query_length = 2048;
int			pgi_track = PGI_TRACK_TOP;
bool		pgi_track_utility = true;
bool		pgi_capture_comments = true;
bool		pgi_save = true;

static const struct config_enum_entry track_options[] = {
	{"none", PGI_TRACK_NONE, false},
	{"top", PGI_TRACK_TOP, false},
	{"all", PGI_TRACK_ALL, false},
	{NULL, 0, false}
};

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

void		_PG_init(void);

static void
pgi_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(pgi_shmem_size());
	RequestAddinShmemSpace(pgi_events_shmem_size());
	RequestAddinShmemSpace(pgi_errors_shmem_size());
	RequestAddinShmemSpace(pgi_waits_shmem_size());
	RequestNamedLWLockTranche("pg_insights", 1);
}

static void
pgi_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	pgi_shmem_init();
	pgi_events_shmem_init();
	pgi_errors_shmem_init();
	pgi_waits_shmem_init();
}

void
_PG_init(void)
{
	/*
	 * Shared memory can only be requested from shared_preload_libraries; the
	 * SQL functions say so with a hint when the library was loaded otherwise.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;

	/* We build on core's query ids; make sure they are computed. */
	EnableQueryId();

	DefineCustomIntVariable("pg_insights.max_shapes",
							"Maximum number of statement shapes kept in shared memory.",
							"When full, the least used entries are evicted one at a time.",
							&pgi_max_shapes, 5000, 100, PGI_MAX_SHAPES_LIMIT,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.max_tagsets",
							"Maximum number of (shape, sqlcommenter tag set) attribution entries.",
							NULL,
							&pgi_max_tagsets, 5000, 100, PGI_MAX_TAGSETS_LIMIT,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.max_tagsets_per_shape",
							"Maximum number of distinct tag sets kept for one shape.",
							"Further tag sets of that shape are counted as dropped.",
							&pgi_max_tagsets_per_shape, 32, 1, 10000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.max_query_length",
							"Bytes of normalized statement text kept per shape.",
							"Longer texts are cut and end with a visible marker.",
							&pgi_max_query_length, 2048, 256, PGI_MAX_QUERY_LENGTH_LIMIT,
							PGC_POSTMASTER, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomEnumVariable("pg_insights.track",
							 "Which statements are tracked: top (client-issued), all (also nested), none.",
							 NULL,
							 &pgi_track, PGI_TRACK_TOP, track_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("pg_insights.track_utility",
							 "Whether utility statements (DDL, COPY, ...) are tracked.",
							 NULL,
							 &pgi_track_utility, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("pg_insights.capture_comments",
							 "Whether sqlcommenter comments are parsed for attribution.",
							 NULL,
							 &pgi_capture_comments, true,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("pg_insights.save",
							 "Whether statistics are saved at shutdown and restored at start.",
							 NULL,
							 &pgi_save, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);

	DefineCustomIntVariable("pg_insights.event_ring_size",
							"Number of recent executions kept in the event ring (0 disables it).",
							"Detection reads the ring through insights.events(); events overwritten before a reader got them, or dropped because a stalled writer still held their slot, are counted in insights.info.events_dropped.",
							&pgi_event_ring_size, 32768, 0, 4194304,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.max_errors",
							"Maximum number of (shape, SQLSTATE) counters of failed executions (0 disables them).",
							"Read through insights.errors; an error that finds no free counter is counted in insights.info.errors_dropped.",
							&pgi_max_errors, 1000, 0, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.wait_sample_interval",
							"Milliseconds between samples of the wait state of backends running a statement (0: no sampling).",
							"A background worker started with the server samples; read the result through insights.waits.",
							&pgi_wait_sample_interval, 10, 0, 60000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("pg_insights.max_wait_entries",
							"Maximum number of (shape, wait event) sample counters.",
							"Samples that find no free counter are counted in insights.info.waits_dropped.",
							&pgi_max_wait_entries, 5000, 100, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("pg_insights.plan_sample_rate",
							 "Fraction of executions whose plan nodes are instrumented and summarized.",
							 NULL,
							 &pgi_plan_sample_rate, 0.01, 0.0, 1.0,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	MarkGUCPrefixReserved("pg_insights");

	/* the wait sampler runs when sampling is on at start (a reload can pause it) */
	if (pgi_wait_sample_interval > 0)
		pgi_waits_register_worker();

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pgi_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pgi_shmem_startup;

	pgi_install_hooks();
}
