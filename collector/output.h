/* output.h — a DeltaSet as a protobuf Snapshot (the wire format), its compression, and --output files. */
#ifndef COLLECTOR_OUTPUT_H
#define COLLECTOR_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "input.h"
#include "reading.h"
#include "proto/insights.pb-c.h"

#define SCHEMA_VERSION 1

typedef PgInsights__V1__Snapshot PbSnapshot;

/* the collector's own counters, cumulative since it started */
typedef struct CollectorStats
{
	int64_t		polls;
	int64_t		poll_failures;
	int64_t		spool_bytes;
	int64_t		spool_files;
	int64_t		snapshots_dropped;
	int64_t		snapshots_sent;
	int64_t		snapshots_rejected;
	int64_t		send_failures;
	int64_t		started_us;
	int64_t		spool_write_failures;	/* spool files that could not be written (kept in memory) */
	int64_t		otlp_exports_sent;	/* OTLP exports answered 2xx */
	int64_t		otlp_exports_failed;	/* OTLP exports not delivered (never retried) */
} CollectorStats;

typedef struct SnapshotMeta
{
	const StoredFinding *findings;	/* this database's findings after detection */
	int			nfindings;
	uint64_t	sequence;
	const char *instance;		/* random id of this collector process */
	uint64_t	events_lost;	/* events the detection missed this interval */
} SnapshotMeta;

/* Serialize; returns a malloc'd protobuf buffer and the snapshot's id. */
extern uint8_t *output_build(const DeltaSet *ds, const SourceIdentity *id, const CollectorStats *cs,
							 const SnapshotMeta *meta, size_t *len, char *snap_id, size_t idlen);

/* zlib stream (Content-Encoding: deflate); malloc'd result */
extern uint8_t *body_compress(const uint8_t *in, size_t len, size_t *outlen);
extern uint8_t *body_decompress(const uint8_t *in, size_t len, size_t *outlen, size_t limit);

/* Decode a body (compressed or not, told by compressed); NULL if it is not a Snapshot. */
extern PbSnapshot *snapshot_decode(const uint8_t *body, size_t len, bool compressed);
extern void snapshot_free(PbSnapshot *s);

/* --once --output: write pb bytes as they are, or as JSON; path "-" is stdout */
extern bool output_write(const char *path, OutputFormat format, const uint8_t *pb, size_t len,
						 char *err, size_t errlen);

#endif
