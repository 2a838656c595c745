/*
 * attribution.h — a statement's sqlcommenter comment as the store needs it.
 */
#ifndef PGI_ATTRIBUTION_H
#define PGI_ATTRIBUTION_H

#include "pg_insights.h"

typedef struct PgiCaptured
{
	PgiStoreTags tags;			/* ntags == 0: no tag set */
	uint8		trace_id[16];	/* from traceparent, binary */
	bool		has_trace_id;
	bool		own;			/* pg_insights' own statement (application='pg_insights...') */
} PgiCaptured;

/*
 * The comment of the statement at location/len of source (core's
 * stmt_location/stmt_len).  Returns true when it carried tags or a trace id.
 * out->tags points into backend-local memory valid until the next call.
 */
extern bool pgi_capture(const char *source, int location, int len, PgiCaptured *out);

/* Count an own statement of pg_insights (kept out of the store and the ring). */
extern void pgi_count_own(double time_ms);

#endif							/* PGI_ATTRIBUTION_H */
