/* reading.h — one reading of the extension's cumulative counters, and the deltas between two readings. */
#ifndef COLLECTOR_READING_H
#define COLLECTOR_READING_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define MAX_HIST 32				/* histogram buckets the collector can carry */

/* Key of a shape entry in the extension; zero it before filling (hashed as bytes). */
typedef struct ShapeKey
{
	int64_t		shape_id;
	uint32_t	userid;
	uint32_t	dbid;
	int32_t		toplevel;
	int32_t		pad;
} ShapeKey;

/*
 * Key of an attribution entry.  Top-level and nested twins are diffed
 * apart (one can be evicted while the other lives on) and their deltas
 * merged afterwards: the snapshot has one row per (shape, tag set).
 */
typedef struct AttrKey
{
	int64_t		shape_id;
	int64_t		tagset_id;
	uint32_t	userid;
	uint32_t	dbid;
	int32_t		toplevel;
	int32_t		pad;			/* zero: keys are hashed as bytes */
} AttrKey;

/* Integer counters of a shape, cumulative in a reading, deltas in a DeltaSet. */
typedef enum ShapeCounter
{
	SC_CALLS,
	SC_ROWS,
	SC_SHARED_HIT,
	SC_SHARED_READ,
	SC_SHARED_DIRTIED,
	SC_SHARED_WRITTEN,
	SC_LOCAL_HIT,
	SC_LOCAL_READ,
	SC_TEMP_READ,
	SC_TEMP_WRITTEN,
	SC_WAL_RECORDS,
	SC_WAL_FPI,
	SC_WAL_BYTES,
	/* 0 where the server does not keep them (Server.version_num says) */
	SC_JIT_FUNCTIONS,
	SC_JIT_INLINING,			/* executions that inlined, optimized, emitted, deformed */
	SC_JIT_OPTIMIZATION,
	SC_JIT_EMISSION,
	SC_JIT_DEFORM,				/* 17+ */
	SC_WORKERS_PLANNED,			/* 18+ */
	SC_WORKERS_LAUNCHED,		/* 18+ */
	SC_WAL_BUFFERS_FULL,		/* 18+ */
	SC_GENERIC_PLANS,			/* 19+ */
	SC_CUSTOM_PLANS,			/* 19+ */
	SC_NCOUNTERS
} ShapeCounter;

typedef enum ShapeTime
{
	ST_TOTAL,
	ST_BLK_READ,
	ST_BLK_WRITE,
	ST_LOCAL_READ,				/* 17+ */
	ST_LOCAL_WRITE,				/* 17+ */
	ST_JIT_GENERATION,
	ST_JIT_INLINING,
	ST_JIT_OPTIMIZATION,
	ST_JIT_EMISSION,
	ST_JIT_DEFORM,				/* 17+ */
	ST_NTIMES
} ShapeTime;

typedef struct ShapeRow
{
	ShapeKey	key;
	int64_t		queryid;
	const char *text;			/* NULL when not known */
	bool		text_truncated;
	const char *command;
	char	  **tables;
	int			ntables;
	int64_t		c[SC_NCOUNTERS];
	double		t[ST_NTIMES];
	double		min_time;
	double		max_time;
	int64_t		hist[MAX_HIST];
	int64_t		first_seen_us;
	int64_t		last_seen_us;
} ShapeRow;

typedef struct AttrRow
{
	AttrKey		key;
	int			ntags;
	char	  **tag_keys;
	char	  **tag_values;
	const char *prisma_model;
	const char *prisma_action;
	const char *prisma_shape;
	const char *route;
	const char *controller;
	const char *action;
	const char *framework;
	const char *application;
	const char *db_driver;
	int64_t		calls;
	double		total_time;
	int64_t		rows;
	int64_t		reads;
	int64_t		first_seen_us;
	int64_t		last_seen_us;
} AttrRow;

/*
 * One counter of insights.waits (label "Type:Event" or "CPU", toplevel 0)
 * or of insights.errors (label: the SQLSTATE).  Zero the key before filling
 * (hashed as bytes).
 */
#define COUNT_LABEL_LEN 80
typedef struct CountKey
{
	int64_t		shape_id;
	uint32_t	userid;
	uint32_t	dbid;
	int32_t		toplevel;
	char		label[COUNT_LABEL_LEN];
	int32_t		pad;
} CountKey;

typedef struct CountRow
{
	CountKey	key;
	int64_t		count;			/* samples or errors */
	int64_t		last_us;		/* last sample or error */
} CountRow;

/* insights.info_raw() */
typedef struct InfoRow
{
	int64_t		max_shapes;
	int64_t		shapes;
	int64_t		evictions;
	int64_t		max_tagsets;
	int64_t		tagsets;
	int64_t		tagsets_dropped;
	int64_t		tagset_evictions;
	int64_t		texts_truncated;
	int64_t		comments_rejected;
	int64_t		tags_truncated;
	int64_t		shape_cache_misses;
	int32_t		max_query_length;
	int64_t		shmem_bytes;
	int64_t		stats_reset_us;
	int32_t		event_ring_size;
	int64_t		events_written;
	int64_t		events_dropped; /* passed by readers without an event */
	int64_t		events_write_dropped;
	int64_t		wait_sample_rounds;
	int64_t		waits_dropped;
	int64_t		errors_dropped;
	int32_t		wait_sample_interval_ms;
} InfoRow;

/* Everything read in one poll of one database; strings live in the arena. */
typedef struct Reading
{
	int64_t		taken_us;		/* server clock at the reading */
	int64_t		postmaster_start_us;
	InfoRow		info;
	int			nhist;
	ShapeRow   *shapes;
	int			nshapes;
	AttrRow    *attrs;
	int			nattrs;
	CountRow   *waits;
	int			nwaits;
	CountRow   *errors;
	int			nerrors;
	Arena	   *arena;
} Reading;

/* What the diff could not count exactly (mirrors DiffCounters in the proto). */
typedef struct DiffCounters
{
	int64_t		untagged_calls;
	int64_t		tagsets_dropped;
	int64_t		attribution_orphans;
	int64_t		entries_recreated;
	int64_t		entries_disappeared;
	int64_t		own_calls_filtered;
	int64_t		evictions;
} DiffCounters;

/* Rows of a DeltaSet reuse the reading's row types: counters hold deltas. */
typedef struct ShapeDeltaRow
{
	ShapeRow	row;
	bool		recreated;
} ShapeDeltaRow;

typedef struct AttrDeltaRow
{
	AttrRow		row;
	bool		recreated;
} AttrDeltaRow;

/* The deltas of one interval; self-contained (its own arena). */
typedef struct DeltaSet
{
	int64_t		start_us;
	int64_t		end_us;
	bool		since_reset;	/* no previous reading: totals since stats_reset */
	bool		stats_reset_seen;
	bool		server_restarted;
	InfoRow		info;			/* at the end of the interval */
	int			nhist;
	ShapeDeltaRow *shapes;
	int			nshapes;
	AttrDeltaRow *attrs;
	int			nattrs;
	CountRow   *waits;			/* counts are deltas; rows with none left out */
	int			nwaits;
	CountRow   *errors;
	int			nerrors;
	DiffCounters counters;
	Arena	   *arena;
} DeltaSet;

extern Reading *reading_create(void);
extern void reading_free(Reading *r);
extern void delta_free(DeltaSet *d);

#endif
