/* diff.h — pure functions turning two readings of cumulative counters into interval deltas. */
#ifndef COLLECTOR_DIFF_H
#define COLLECTOR_DIFF_H

#include "reading.h"

typedef struct DiffOptions
{
	/* attribution rows tagged application=<this> are the collector's own statements */
	const char *own_application;
} DiffOptions;

/*
 * Deltas from prev to cur.  prev NULL: cur's totals since its stats_reset.
 * Never negative: an entry whose counters went down, whose first_seen
 * changed, or any entry after a stats_reset change is counted from zero.
 * Rows whose deltas are all zero are left out.
 */
extern DeltaSet *diff_readings(const Reading *prev, const Reading *cur, const DiffOptions *opt);

/* The building blocks (exported for the unit tests). */
extern int64_t counter_delta(int64_t prev, int64_t cur);
extern bool shape_row_delta(const ShapeRow *prev, const ShapeRow *cur, int nhist,
							bool force_zero, ShapeRow *out);
extern int	count_rows_delta(const CountRow *prev, int nprev, const CountRow *cur, int ncur,
							 bool force_zero, CountRow *out);
extern bool attr_row_delta(const AttrRow *prev, const AttrRow *cur, bool force_zero,
						   AttrRow *out);

/*
 * An incremental reading holds only the entries active since the previous
 * one: add prev's other entries (unchanged by construction), copying their
 * strings (not the statement text) into cur's arena.
 */
extern void reading_carry_over(Reading *cur, const Reading *prev, bool shapes, bool attrs);
extern void shape_row_own_strings(Arena *a, ShapeRow *r, bool with_text);
extern void attr_row_own_strings(Arena *a, AttrRow *r);

/*
 * Merge the deltas of top-level and nested twins (same shape, tag set, user,
 * database) into one row with toplevel = 0: the snapshot has no toplevel.
 */
extern void delta_merge_attr_twins(DeltaSet *ds);

#endif
