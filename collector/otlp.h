/* otlp.h — the interval's deltas as OpenTelemetry metrics, POSTed as OTLP/HTTP JSON (best effort). */
#ifndef COLLECTOR_OTLP_H
#define COLLECTOR_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "input.h"
#include "reading.h"
#include "detect/detect.h"

#define OTLP_TEXT_MAX 1024		/* bytes of db.query.text (whole UTF-8 characters) */

/* What an export says besides the deltas. */
typedef struct OtlpMeta
{
	const SourceIdentity *id;	/* the server (resource) and the database (db.namespace) */
	const char *instance;		/* service.instance.id: this collector process */
	bool		have_findings;	/* detection ran this poll: the findings gauge goes along */
	const StoredFinding *findings;
	int			nfindings;
} OtlpMeta;

typedef enum OtlpResult
{
	OTLP_SENT,					/* answered 2xx */
	OTLP_FAILED,				/* not delivered: transport error, not 2xx, too big, backing off */
	OTLP_EMPTY					/* no data point in this interval: nothing sent */
} OtlpResult;

typedef struct OtlpExporter OtlpExporter;

/*
 * One interval as an ExportMetricsServiceRequest in the protobuf JSON
 * mapping (malloc'd, NUL-terminated): one data point per shape (top-level
 * and nested twins merged), the max_shapes with the most time, the others
 * summed into one point with pg_insights.shape_id "other"; the open findings
 * per kind when meta->have_findings.  NULL when it would hold no data point.
 */
extern char *otlp_build(const DeltaSet *ds, const OtlpMeta *meta, int64_t max_shapes,
						size_t *len, int *npoints);

extern OtlpExporter *otlp_create(const Config *cfg);
extern void otlp_configure(OtlpExporter *ox, const Config *cfg);
extern void otlp_free(OtlpExporter *ox);

/*
 * Build and POST one interval's metrics.  Never retried: a failure is logged
 * when the outcome changes (not at every poll), and the exports of the next
 * polls are skipped (OTLP_FAILED) until a backoff delay has passed.
 */
extern OtlpResult otlp_export(OtlpExporter *ox, const DeltaSet *ds, const OtlpMeta *meta);

#endif
