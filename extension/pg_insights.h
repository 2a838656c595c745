/*
 * pg_insights.h — shared types of the extension and its one locking rule.
 *
 * LOCKING.  All shared state hangs off PgiShared and is protected by one
 * LWLock, PgiShared->lock:
 *   - shared mode: look up an entry and update its counters (the counters of
 *     one entry are additionally guarded by that entry's spinlock, because
 *     many backends update them under the shared lock at once);
 *   - exclusive mode: insert an entry (which may evict one), reset, and the
 *     load/save at startup/shutdown.
 * Nothing takes the exclusive lock to update an existing entry.  Entries live
 * in fixed arrays (slots); the dynahash tables only map keys to slot numbers.
 * A slot can only change owner under the exclusive lock, so a slot number
 * found under the shared lock stays valid until that lock is released.
 *
 * MEMORY.  Everything is sized once at postmaster start from the GUCs; no
 * code path allocates shared memory later.  Backend-local work on the hot
 * path uses stack buffers or the executor's per-query memory.
 */
#ifndef PG_INSIGHTS_H
#define PG_INSIGHTS_H

#include "postgres.h"

#include "executor/execdesc.h"
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "comment.h"
#include "compat.h"

#define PGI_HIST_BUCKETS	20		/* latency histogram buckets, see pgi_hist_bounds */
#define PGI_TABLES_LEN		256		/* "schema.rel" names, NUL-separated */
#define PGI_COMMAND_LEN		32
#define PGI_ATTR_TAGBUF		1024	/* decoded "key\0value\0" pairs of one tag set */
#define PGI_USAGE_MAX		100		/* cap of the clock-sweep usage count: laps survived idle */
#define PGI_SWEEP_WINDOW	64		/* slots inspected per eviction, at most */

#define PGI_PLAN_LEN		1024	/* JSON of the last sampled plan of a shape */

#define PGI_TRUNC_MARKER	" /* ...truncated */"

/* upper bounds of the sizing GUCs (pg_insights.c); persist.c checks files against them */
#define PGI_MAX_SHAPES_LIMIT	1000000
#define PGI_MAX_TAGSETS_LIMIT	1000000
#define PGI_MAX_QUERY_LENGTH_LIMIT	65536

typedef enum PgiTrackLevel
{
	PGI_TRACK_NONE,
	PGI_TRACK_TOP,
	PGI_TRACK_ALL
} PgiTrackLevel;

/* GUCs (pg_insights.c) */
extern int	pgi_max_shapes;
extern int	pgi_max_tagsets;
extern int	pgi_max_tagsets_per_shape;
extern int	pgi_max_query_length;
extern int	pgi_track;
extern bool pgi_track_utility;
extern bool pgi_capture_comments;
extern bool pgi_save;
extern int	pgi_event_ring_size;
extern double pgi_plan_sample_rate;

/* Key of a statement shape entry; zeroed before filling (hashed as bytes). */
typedef struct PgiShapeKey
{
	Oid			userid;
	Oid			dbid;
	uint64		shape_id;
	bool		toplevel;
} PgiShapeKey;

/* Key of an attribution entry: one tag set seen with one shape entry. */
typedef struct PgiTagKey
{
	PgiShapeKey shape;
	uint64		tagset_id;
} PgiTagKey;

/* Cumulative counters of one shape entry. */
typedef struct PgiCounters
{
	int64		calls;
	double		total_time;		/* ms */
	double		min_time;
	double		max_time;
	double		mean_time;
	double		sum_var_time;	/* running sum of squared deviations */
	int64		rows;
	int64		shared_blks_hit;
	int64		shared_blks_read;
	int64		shared_blks_dirtied;
	int64		shared_blks_written;
	int64		local_blks_hit;
	int64		local_blks_read;
	int64		local_blks_dirtied;
	int64		local_blks_written;
	int64		temp_blks_read;
	int64		temp_blks_written;
	double		blk_read_time;
	double		blk_write_time;
	double		temp_blk_read_time;
	double		temp_blk_write_time;
	int64		wal_records;
	int64		wal_fpi;
	uint64		wal_bytes;
	int64		hist[PGI_HIST_BUCKETS];
	int64		bytes;			/* estimated bytes returned: row width x rows */
	int64		plan_samples;	/* executions whose plan was sampled */
	/* 17+: local block I/O time (ms) */
	double		local_blk_read_time;
	double		local_blk_write_time;
	/* JIT: functions compiled, executions that did each step, time (ms) */
	int64		jit_functions;
	double		jit_generation_time;
	int64		jit_inlining_count;
	double		jit_inlining_time;
	int64		jit_optimization_count;
	double		jit_optimization_time;
	int64		jit_emission_count;
	double		jit_emission_time;
	int64		jit_deform_count;	/* 17+ */
	double		jit_deform_time;
	/* 18+ */
	int64		parallel_workers_planned;
	int64		parallel_workers_launched;
	int64		wal_buffers_full;
	/* 19+: executions of a cached generic / custom plan */
	int64		generic_plan_calls;
	int64		custom_plan_calls;
} PgiCounters;

typedef struct PgiShapeEntry
{
	PgiShapeKey key;
	bool		in_use;
	bool		text_truncated;
	uint64		queryid;		/* core's queryid of the first statement seen */
	char		command[PGI_COMMAND_LEN];
	char		tables[PGI_TABLES_LEN];
	int			ntables;
	int			text_len;		/* text lives in the texts area at slot;
								 * at most max_query_length bytes */
	int32		encoding;		/* of the text: its database's encoding */
	uint64		born;			/* PgiShared.insert_seq when inserted */
	int			tagsets;		/* live attribution entries of this shape */
	int32		first_tag;		/* its tag-set slots: a doubly linked list, -1 ends */
	TimestampTz first_seen;
	TimestampTz last_seen;
	int32		usage;			/* clock-sweep usage count */
	slock_t		mutex;			/* protects in_use/key reads without the
								 * LWLock and the fields below */
	int32		row_width;		/* planner's width of a result row (last) */
	int32		ncolumns;		/* columns per result row (last) */
	PgiCounters counters;
	slock_t		plan_mutex;		/* protects the plan: copied apart from the
								 * counters, so no 1 kB copy under mutex */
	TimestampTz plan_sampled_at;
	char		plan_json[PGI_PLAN_LEN];	/* last sampled plan, "" if none */
} PgiShapeEntry;

typedef struct PgiTagEntry
{
	PgiTagKey	key;
	bool		in_use;
	int32		shape_slot;		/* owning shape slot (tag sets die with it) */
	int32		next_tag;		/* the owner's list of tag-set slots */
	int32		prev_tag;
	int			ntags;
	int			tagbuf_len;
	char		tagbuf[PGI_ATTR_TAGBUF];
	uint64		born;			/* PgiShared.insert_seq when inserted */
	TimestampTz first_seen;
	TimestampTz last_seen;
	int32		usage;
	slock_t		mutex;
	int64		calls;
	double		total_time;
	int64		rows;
	int64		reads;
} PgiTagEntry;

/* dynahash element: key -> slot */
typedef struct PgiShapeLookup
{
	PgiShapeKey key;
	int32		slot;
} PgiShapeLookup;

typedef struct PgiTagLookup
{
	PgiTagKey	key;
	int32		slot;
} PgiTagLookup;

typedef struct PgiShared
{
	LWLock	   *lock;
	int			max_shapes;		/* as sized at startup */
	int			max_tagsets;
	int			max_query_length;
	int			nshapes;		/* under lock */
	int			ntagsets;
	int			shape_hand;		/* clock-sweep hands, exclusive lock */
	int			tag_hand;
	TimestampTz stats_reset;
	uint64		insert_seq;		/* entries inserted so far, exclusive lock */
	/* what the load of the stats file at the last start skipped (persist.c) */
	int64		restore_shapes_skipped;
	int64		restore_tagsets_skipped;
	int64		restore_texts_clipped;
	int64		restore_files_rejected;
	/* event counters: atomics so no lock is needed to bump them */
	pg_atomic_uint64 evictions;
	pg_atomic_uint64 tagset_evictions;
	pg_atomic_uint64 tagsets_dropped;
	pg_atomic_uint64 texts_truncated;
	pg_atomic_uint64 comments_rejected;
	pg_atomic_uint64 tags_truncated;
	pg_atomic_uint64 shape_cache_misses;
	pg_atomic_uint64 generation;	/* bumped whenever a shape entry goes away */
	pg_atomic_uint64 exclusive_locks;	/* exclusive acquisitions of lock */
	/* pg_insights' own statements (collector, demo), kept out of the store */
	pg_atomic_uint64 own_calls;
	pg_atomic_uint64 own_time_us;
} PgiShared;

/* Shared state attached in every process (store.c) */
extern PgiShared *pgi_shared;
extern HTAB *pgi_shape_hash;
extern HTAB *pgi_tag_hash;
extern PgiShapeEntry *pgi_shapes;
extern PgiTagEntry *pgi_tags;
extern char *pgi_texts;

/* What one execution contributes (hooks.c fills, store.c adds). */
typedef struct PgiExecStats
{
	TimestampTz now;			/* when the execution ended */
	double		time_ms;
	int64		rows;
	int32		row_width;		/* 0 when unknown (utility) */
	int32		ncolumns;
	const char *plan_json;		/* sampled plan, or NULL */
	const struct BufferUsage *bufusage;
	const struct WalUsage *walusage;
	const struct JitInstrumentation *jit;	/* NULL: nothing was compiled */
	int			workers_planned;	/* parallel workers (18+; else 0) */
	int			workers_launched;
	int			plan_origin;	/* PgiPlanOrigin */
} PgiExecStats;

/* What a new entry needs beyond its key (built only on a miss). */
typedef struct PgiEntrySource
{
	const char *text;			/* normalized text, NUL-terminated */
	int			text_len;
	bool		text_truncated;
	const char *command;
	const char *tables;			/* NUL-separated names */
	int			tables_len;
	int			ntables;
	uint64		queryid;
	bool		restored;		/* from the stats file: encoding below is set */
	int			encoding;
} PgiEntrySource;

/* Callback that builds the entry source lazily, only when an entry is new. */
typedef void (*PgiSourceBuilder) (void *arg, PgiEntrySource *src);

/*
 * One execution as the event ring keeps it (events.c).  Fixed-size binary
 * fields only: nothing in it needs a terminator or a length to be read back.
 */
typedef struct PgiEvent
{
	uint64		seq;
	TimestampTz end_time;
	int32		pid;
	int32		nesting_level;
	int64		xact_id;		/* backend id << 32 | local transaction id */
	uint64		shape_id;
	Oid			userid;
	Oid			dbid;
	double		duration_ms;
	int64		rows;
	int64		reads;
	uint64		param_hash;		/* same statement with the same arguments */
	uint64		tagset_id;		/* 0: no sqlcommenter tags */
	int64		offset_value;	/* OFFSET used, -1 if none */
	uint8		trace_id[16];	/* traceparent's trace id, binary */
	bool		has_trace_id;
	bool		toplevel;
	bool		in_xact_block;	/* inside BEGIN ... COMMIT */
} PgiEvent;

/* events.c */
extern Size pgi_events_shmem_size(void);
extern void pgi_events_shmem_init(void);
extern void pgi_event_push(const PgiEvent *ev);
extern uint64 pgi_events_written(void);
extern uint64 pgi_events_dropped(void);
extern uint64 pgi_events_write_dropped(void);
extern int	pgi_events_size(void);

/* errors.c */
extern int	pgi_max_errors;
extern Size pgi_errors_shmem_size(void);
extern void pgi_errors_shmem_init(void);
extern void pgi_errors_record(uint64 shape_id, bool toplevel, int sqlstate);
extern uint64 pgi_errors_dropped(void);
extern void pgi_errors_reset(bool all, uint64 shape_id);

/* waits.c */
extern int	pgi_wait_sample_interval;
extern int	pgi_max_wait_entries;
extern Size pgi_waits_shmem_size(void);
extern void pgi_waits_shmem_init(void);
extern void pgi_waits_publish(uint64 shape_id);
extern void pgi_waits_register_worker(void);
extern uint64 pgi_waits_dropped(void);
extern uint64 pgi_waits_rounds(void);
extern void pgi_waits_reset(bool all, uint64 shape_id);

/* plan.c */
extern bool pgi_plan_should_sample(void);
extern char *pgi_plan_json(QueryDesc *queryDesc);
extern int64 pgi_plan_offset(QueryDesc *queryDesc);
extern uint64 pgi_param_hash(const char *text, int len, ParamListInfo params);
extern uint64 pgi_fast_hash(const char *p, size_t n, uint64 seed);

/* store.c */
extern Size pgi_shmem_size(void);
extern void pgi_shmem_init(void);
extern bool pgi_store_exists(const PgiShapeKey *key);
extern void pgi_store_ensure(const PgiShapeKey *key, PgiSourceBuilder build, void *arg);
/* Where a backend last found an entry: checked against the key before use. */
typedef struct PgiSlotHint
{
	int32		slot;
} PgiSlotHint;

/*
 * A tag set as the store keeps it: "key\0value\0" pairs, built once per
 * distinct comment (attribution.c), with the backend's memory of the slot
 * where the store last found it.
 */
typedef struct PgiStoreTags
{
	uint64		tagset_id;
	const char *buf;
	int			len;
	int			ntags;
	int32	   *slot_hint;		/* may be NULL */
} PgiStoreTags;

extern void pgi_store_add(const PgiShapeKey *key, PgiSourceBuilder build, void *arg,
						  const PgiExecStats *stats, const PgiStoreTags *tags,
						  PgiSlotHint *hint);
extern uint64 pgi_store_generation(void);
extern void pgi_store_reset(bool all, uint64 shape_id);
extern bool pgi_store_restore_shape(const PgiShapeEntry *saved, const char *text,
									bool *clipped);
extern int	pgi_store_clip_text(char *dst, const char *src, int len, int max,
								int encoding, bool *clipped);
extern bool pgi_store_restore_tagset(const PgiTagEntry *saved);
extern int	pgi_hist_bucket(double ms);
extern const double pgi_hist_bounds[PGI_HIST_BUCKETS - 1];
extern char *pgi_entry_text(int slot);

/* fingerprint.c */
extern uint64 pgi_fingerprint(const char *text, int len);

/* shape.c */
extern uint64 pgi_shape_for_query(Query *query, const char *querytext);
extern uint64 pgi_shape_for_utility(const char *text, int len);
/* per-backend cache slot: queryid -> shape, and whether the entry is known to exist */
typedef struct PgiShapeCacheSlot
{
	uint64		queryid;
	uint64		shape_id;
	uint64		confirmed_gen;	/* store generation when the entry was last seen */
	Oid			confirmed_userid;
	bool		confirmed_toplevel;
	PgiSlotHint hint;			/* the entry's slot at execution (store.c) */
} PgiShapeCacheSlot;

extern PgiShapeCacheSlot *pgi_shape_cache_get(uint64 queryid);
extern PgiShapeCacheSlot *pgi_shape_cache_put(uint64 queryid, uint64 shape_id);
extern bool pgi_jumble_has_constants(const JumbleState *jstate, const char *querytext);
extern char *pgi_normalize_text(const char *querytext, int location, int len,
								const JumbleState *jstate, int *out_len, bool *truncated);
extern int	pgi_tables_from_query(Query *query, char *buf, int bufsz, int *ntables);
extern int	pgi_tables_from_rtable(List *rtable, char *buf, int bufsz, int *ntables);
extern const char *pgi_command_name(CmdType cmd, Node *utility);

/* utility.c */
extern char *pgi_utility_canonical(Node *stmt, int *len);

/* persist.c */
extern void pgi_persist_load(void);
extern void pgi_persist_save(int code, Datum arg);

/* hooks.c */
extern void pgi_install_hooks(void);

#endif							/* PG_INSIGHTS_H */
