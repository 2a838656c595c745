/* detect.h — the detectors: inputs read from one monitored database, findings written back to it. */
#ifndef COLLECTOR_DETECT_H
#define COLLECTOR_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "../util.h"

/*
 * Thresholds; defaults and the reasoning behind them are in the README
 * ("Finding kinds").  Every one can be set from the collector's config.
 */
typedef struct DetectConfig
{
	int			nplus1_min_repeats;		/* child executions per request */
	double		request_idle_gap_ms;	/* a pause that ends a burst of one backend */
	int64_t		index_min_table_rows;	/* smaller tables never get an index suggestion */
	double		index_min_removed_frac; /* share of scanned rows the filter must remove */
	int64_t		index_min_calls;		/* executions before a shape is considered */
	int64_t		offset_min;				/* deepest OFFSET seen must reach this */
	double		offset_growth;			/* reads at the deepest page vs the first */
	int			repeat_min;				/* identical executions in one window */
	int			overfetch_min_columns;
	int64_t		overfetch_min_bytes_per_call;
	int64_t		nested_min_rows_per_call;
	int64_t		nested_min_bytes_per_call;
	int			resolve_after_polls;	/* clean active polls before a finding resolves */
	int64_t		errors_min;				/* failed executions before a shape is considered */
	double		errors_min_rate;		/* failed share of its executions */
} DetectConfig;

/* Failed executions of one shape and SQLSTATE (insights.errors, both levels). */
typedef struct DetError
{
	int64_t		shape_id;
	char		sqlstate[8];
	int64_t		errors;
} DetError;

/* One execution from insights.events(). */
typedef struct DetEvent
{
	int64_t		seq;
	int64_t		end_us;
	int			pid;
	int64_t		xact_id;
	int			nesting_level;
	int64_t		shape_id;
	double		duration_ms;
	int64_t		rows;
	int64_t		reads;
	int64_t		param_hash;
	char		trace_id[33];
	int64_t		tagset_id;
	int64_t		offset_value;	/* -1: none */
	bool		in_xact_block;
} DetEvent;

/* One shape of this database, cumulative and over the last interval. */
typedef struct DetShape
{
	int64_t		shape_id;
	const char *query;
	const char *command;
	char	  **tables;
	int			ntables;
	int64_t		calls;
	double		total_ms;
	int64_t		rows;
	int64_t		reads;
	int64_t		bytes;
	int			row_width;
	int			columns;
	const char *attribution;	/* prisma.post.findMany, a route, or NULL */
	const char *prisma_shape;	/* decoded JSON, or NULL */
	int64_t		d_calls;		/* since the previous poll */
	int64_t		d_reads;
	int64_t		d_rows;
	double		d_ms;
	bool		internal;		/* the collector's own or catalog-only statement */
} DetShape;

/* One scan node of a shape's last sampled plan. */
typedef struct DetScan
{
	int64_t		shape_id;
	const char *relation;
	const char *scan;			/* seq, index, index_only, bitmap */
	const char *index;
	char	  **filter_cols;	/* column names, in filter order */
	char	  **filter_ops;
	int			nfilter;
	double		rows;			/* per loop */
	double		removed;		/* per loop */
	double		table_rows;
} DetScan;

/* A problem found in this poll (before it is merged into insights.findings). */
typedef struct DetFinding
{
	const char *kind;
	int64_t		shape_id;
	int64_t		parent_shape_id;	/* 0: none */
	const char *severity;		/* info, warning, critical */
	char	   *evidence;		/* JSON object */
	char	   *suggestion;
	char	   *fix_sql;		/* NULL when there is no statement to run */
	char	   *expected_impact;
} DetFinding;

/* A finding as stored, returned to the caller for shipping. */
typedef struct StoredFinding
{
	int64_t		id;
	char	   *kind;
	int64_t		shape_id;
	int64_t		parent_shape_id;
	char	   *severity;
	char	   *query;
	char	   *parent_query;
	char	   *tables;			/* PostgreSQL array text */
	char	   *evidence;
	char	   *suggestion;
	char	   *fix_sql;
	char	   *expected_impact;
	char	   *prompt;
	char	   *status;
	int64_t		first_seen_us;
	int64_t		last_seen_us;
	int64_t		occurrences;
	uint32_t	dbid;
	char	   *attribution;
	int64_t		resolved_at_us;	/* 0 while open */
} StoredFinding;

typedef struct DetectState DetectState;

/* What one poll gives each detector. */
typedef struct DetectInput
{
	const DetectConfig *cfg;
	PGconn	   *conn;
	Arena	   *arena;			/* freed after the poll */
	DetShape   *shapes;
	int			nshapes;
	DetScan    *scans;
	int			nscans;
	DetEvent   *events;			/* this poll's plus the recent carry-over, by seq */
	int			nevents;
	int64_t		events_lost;	/* sequence numbers missing from this poll's read */
	DetError   *errors;			/* by shape_id, then most errors first */
	int			nerrors;
	bool		have_hypopg;
	/* output */
	DetFinding *findings;
	int			nfindings;
	int			cap_findings;
} DetectInput;

typedef void (*DetectorFn) (DetectInput *in);

typedef struct Detector
{
	const char *kind;
	DetectorFn	run;
} Detector;

extern void detect_frequent_errors(DetectInput *in);
extern void detect_config_defaults(DetectConfig *cfg);
/* the finding kinds of the detector table, in order; NULL past the last */
extern const char *detect_kind(int i);
extern bool detect_config_set(DetectConfig *cfg, const char *key, const char *value);
extern DetectState *detect_state_create(void);
extern void detect_state_free(DetectState *st);
extern void detect_state_restart(DetectState *st);

/*
 * One detection pass over the database conn is connected to: read inputs,
 * run every detector, merge into insights.findings (insert, update, resolve).
 * The findings of the database after the merge go to *out (caller frees with
 * detect_findings_free).  Returns false on a database error (logged).
 */
extern bool detect_run(PGconn *conn, DetectState *st, const DetectConfig *cfg,
					   StoredFinding **out, int *nout);
extern void detect_findings_free(StoredFinding *f, int n);
extern int64_t detect_events_lost(const DetectState *st);

/* helpers for the detectors (detect.c) */
extern DetShape *detect_shape(DetectInput *in, int64_t shape_id);
extern DetFinding *detect_add(DetectInput *in, const char *kind, int64_t shape_id);

/* detectors, one file each */
extern void detect_n_plus_one(DetectInput *in);
extern void detect_missing_index(DetectInput *in);
extern void detect_offset_pagination(DetectInput *in);
extern void detect_repeated_query(DetectInput *in);
extern void detect_over_fetching(DetectInput *in);
extern void detect_large_nested_read(DetectInput *in);

/* sbuf.c: a growable string with printf and JSON escaping */
typedef struct Sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Sbuf;

extern void sbuf_init(Sbuf *b);
extern void sbuf_printf(Sbuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void sbuf_putn(Sbuf *b, const char *s, size_t n);
extern void sbuf_json_str(Sbuf *b, const char *s);
extern char *sbuf_steal(Sbuf *b);



/* catalog.c */
extern void catalog_quote_ident(Sbuf *b, const char *id);
extern void catalog_quote_relation(Sbuf *b, const char *relation);
extern bool catalog_index_prefix_exists(DetectInput *in, const char *relation, char **cols, int ncols);
extern const char *catalog_unindexed_fk(DetectInput *in, const char *relation, const char *column);
extern bool catalog_hypothetical_costs(DetectInput *in, const char *query, const char *create_index,
									   double *before, double *after);
extern void detect_request_groups(DetectInput *in, int64_t *group, char *grouped_by);
#endif
