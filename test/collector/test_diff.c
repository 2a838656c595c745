/* test_diff.c — unit tests of the collector's delta computation (diff.c), no database needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

static int	passed;
static int	failed;

#define CHECK(name, cond) \
	do { \
		if (cond) { passed++; printf("  ok   %s\n", name); } \
		else { failed++; printf("  FAIL %s (%s:%d)\n", name, __FILE__, __LINE__); } \
	} while (0)

static const DiffOptions opts = {"pg_insights_collector"};

static Reading *
mk_reading(int64_t taken, int64_t stats_reset, int nshapes, int nattrs)
{
	Reading    *r = reading_create();

	r->taken_us = taken;
	r->postmaster_start_us = 1;
	r->info.stats_reset_us = stats_reset;
	r->nhist = 4;
	r->shapes = xcalloc((size_t) nshapes + 1, sizeof(ShapeRow));
	r->attrs = xcalloc((size_t) nattrs + 1, sizeof(AttrRow));
	return r;
}

static ShapeRow *
add_shape(Reading *r, int64_t shape_id, int toplevel, int64_t calls, double time,
		  int64_t first_seen)
{
	ShapeRow   *s = &r->shapes[r->nshapes++];

	memset(&s->key, 0, sizeof(s->key));
	s->key.shape_id = shape_id;
	s->key.userid = 10;
	s->key.dbid = 5;
	s->key.toplevel = toplevel;
	s->text = "SELECT $1";
	s->command = "SELECT";
	s->c[SC_CALLS] = calls;
	s->c[SC_ROWS] = calls * 2;
	s->c[SC_SHARED_HIT] = calls * 3;
	s->t[ST_TOTAL] = time;
	s->hist[0] = calls / 2;
	s->hist[1] = calls - calls / 2;
	s->first_seen_us = first_seen;
	return s;
}

static AttrRow *
add_attr(Reading *r, int64_t shape_id, int64_t tagset, const char *app, int64_t calls,
		 int64_t first_seen)
{
	AttrRow    *a = &r->attrs[r->nattrs++];

	memset(&a->key, 0, sizeof(a->key));
	a->key.shape_id = shape_id;
	a->key.tagset_id = tagset;
	a->key.userid = 10;
	a->key.dbid = 5;
	a->application = app;
	a->calls = calls;
	a->total_time = (double) calls;
	a->rows = calls;
	a->reads = calls;
	a->first_seen_us = first_seen;
	return a;
}

static const ShapeDeltaRow *
find_shape(const DeltaSet *d, int64_t shape_id, int toplevel)
{
	int			i;

	for (i = 0; i < d->nshapes; i++)
		if (d->shapes[i].row.key.shape_id == shape_id && d->shapes[i].row.key.toplevel == toplevel)
			return &d->shapes[i];
	return NULL;
}

static void
test_basic(void)
{
	Reading    *a = mk_reading(1000, 1, 3, 0);
	Reading    *b = mk_reading(2000, 1, 3, 0);
	DeltaSet   *d;
	const ShapeDeltaRow *s;

	add_shape(a, 1, 1, 10, 5.0, 100);
	add_shape(a, 2, 1, 4, 1.0, 100);
	add_shape(a, 3, 1, 9, 1.0, 100);
	add_shape(b, 1, 1, 47, 12.5, 100);
	add_shape(b, 2, 1, 4, 1.0, 100);	/* unchanged: left out */
	/* shape 3 disappeared */
	d = diff_readings(a, b, &opts);
	s = find_shape(d, 1, 1);
	CHECK("basic: 37 calls", s != NULL && s->row.c[SC_CALLS] == 37);
	CHECK("basic: rows and reads", s != NULL && s->row.c[SC_ROWS] == 74 && s->row.c[SC_SHARED_HIT] == 111);
	CHECK("basic: time", s != NULL && s->row.t[ST_TOTAL] == 7.5);
	CHECK("basic: histogram buckets", s != NULL && s->row.hist[0] == 23 - 5 && s->row.hist[1] == 24 - 5);
	CHECK("basic: not recreated", s != NULL && !s->recreated);
	CHECK("basic: unchanged left out", find_shape(d, 2, 1) == NULL && d->nshapes == 1);
	CHECK("basic: disappeared counted", d->counters.entries_disappeared == 1);
	CHECK("basic: interval", d->start_us == 1000 && d->end_us == 2000 && !d->since_reset);
	CHECK("basic: text copied", s != NULL && s->row.text != NULL && strcmp(s->row.text, "SELECT $1") == 0);
	delta_free(d);
	reading_free(a);
	reading_free(b);
}

static void
test_resets(void)
{
	Reading    *a = mk_reading(1000, 1, 4, 0);
	Reading    *b = mk_reading(2000, 1, 4, 0);
	Reading    *c = mk_reading(3000, 2, 4, 0);
	DeltaSet   *d;
	const ShapeDeltaRow *s;

	add_shape(a, 1, 1, 100, 50.0, 100);
	add_shape(a, 2, 1, 5, 1.0, 100);
	add_shape(a, 3, 1, 5, 1.0, 100);
	/* 1: counters went down (reset of that shape, same first_seen by accident) */
	add_shape(b, 1, 1, 7, 2.0, 100);
	/* 2: evicted then recreated, now above its old count */
	add_shape(b, 2, 1, 9, 4.0, 1500);
	/* 4: new */
	add_shape(b, 4, 1, 3, 1.0, 1600);
	d = diff_readings(a, b, &opts);
	s = find_shape(d, 1, 1);
	CHECK("reset: counters down -> delta from zero", s != NULL && s->row.c[SC_CALLS] == 7 && s->recreated);
	s = find_shape(d, 2, 1);
	CHECK("recreated: first_seen changed -> from zero", s != NULL && s->row.c[SC_CALLS] == 9 && s->recreated);
	s = find_shape(d, 4, 1);
	CHECK("new entry: all of it", s != NULL && s->row.c[SC_CALLS] == 3);
	CHECK("reset: recreated counted", d->counters.entries_recreated == 3);
	delta_free(d);

	/* stats_reset changed: every entry from zero, even one that looks higher */
	add_shape(c, 1, 1, 20, 6.0, 100);
	add_shape(c, 2, 1, 10, 5.0, 1500);
	d = diff_readings(b, c, &opts);
	CHECK("stats_reset: flagged", d->stats_reset_seen);
	s = find_shape(d, 1, 1);
	CHECK("stats_reset: from zero", s != NULL && s->row.c[SC_CALLS] == 20);
	s = find_shape(d, 2, 1);
	CHECK("stats_reset: from zero (not 1)", s != NULL && s->row.c[SC_CALLS] == 10);
	delta_free(d);

	/* first reading: totals since stats_reset */
	d = diff_readings(NULL, c, &opts);
	CHECK("first reading: since_reset", d->since_reset && d->start_us == 2 && d->nshapes == 2);
	CHECK("first reading: not recreated", !d->shapes[0].recreated && d->counters.entries_recreated == 0);
	delta_free(d);
	reading_free(a);
	reading_free(b);
	reading_free(c);
}

static void
test_restart(void)
{
	Reading    *a = mk_reading(1000, 1, 2, 0);
	Reading    *b = mk_reading(2000, 1, 2, 0);
	DeltaSet   *d;

	add_shape(a, 1, 1, 100, 50.0, 100);
	/* restart with persisted counters: a normal delta, restart flagged */
	b->postmaster_start_us = 99;
	add_shape(b, 1, 1, 105, 51.0, 100);
	d = diff_readings(a, b, &opts);
	CHECK("restart: flagged", d->server_restarted);
	CHECK("restart: persisted counters give a plain delta", d->nshapes == 1 && d->shapes[0].row.c[SC_CALLS] == 5);
	delta_free(d);
	reading_free(a);
	reading_free(b);
}

static void
test_attribution(void)
{
	Reading    *a = mk_reading(1000, 1, 4, 6);
	Reading    *b = mk_reading(2000, 1, 4, 6);
	DeltaSet   *d;
	const ShapeDeltaRow *s;
	int			i;
	bool		own_seen = false;
	int64_t		calls_7 = -1;

	add_shape(a, 1, 1, 10, 1.0, 100);
	add_shape(a, 2, 1, 10, 1.0, 100);	/* the collector's own SELECT */
	add_shape(a, 3, 1, 10, 1.0, 100);	/* BEGIN: shared by the app and the collector */
	add_attr(a, 1, 7, "web", 4, 100);
	add_attr(a, 2, 8, "pg_insights_collector", 10, 100);
	add_attr(a, 3, 8, "pg_insights_collector", 5, 100);

	add_shape(b, 1, 1, 30, 3.0, 100);
	add_shape(b, 2, 1, 12, 1.5, 100);
	add_shape(b, 3, 1, 20, 2.0, 100);
	add_attr(b, 1, 7, "web", 14, 100);
	add_attr(b, 2, 8, "pg_insights_collector", 12, 100);
	add_attr(b, 3, 8, "pg_insights_collector", 7, 100);
	add_attr(b, 99, 9, "web", 3, 1900);	/* orphan: no shape entry */
	d = diff_readings(a, b, &opts);
	CHECK("own: pure collector shape removed", find_shape(d, 2, 1) == NULL);
	s = find_shape(d, 3, 1);
	CHECK("own: shared shape keeps the others' calls", s != NULL && s->row.c[SC_CALLS] == 8);
	CHECK("own: calls filtered counted", d->counters.own_calls_filtered == 4);
	for (i = 0; i < d->nattrs; i++)
	{
		if (d->attrs[i].row.application && strcmp(d->attrs[i].row.application, "pg_insights_collector") == 0)
			own_seen = true;
		if (d->attrs[i].row.key.tagset_id == 7)
			calls_7 = d->attrs[i].row.calls;
	}
	CHECK("own: attribution rows removed", !own_seen);
	CHECK("attribution: delta", calls_7 == 10);
	/* shape 1: 20 calls, 10 attributed; shape 3: 8 calls, none attributed */
	CHECK("untagged calls counted", d->counters.untagged_calls == 10 + 8);
	CHECK("orphans counted", d->counters.attribution_orphans == 1);
	delta_free(d);
	reading_free(a);
	reading_free(b);
}

/*
 * Top-level and nested twins of one (shape, tag set) are diffed apart and
 * their deltas merged: one row, and a twin evicted alone is not mistaken
 * for a reset of the pair.
 */
static void
test_twins(void)
{
	Reading    *a = mk_reading(1000, 1, 1, 4);
	Reading    *b = mk_reading(2000, 1, 1, 4);
	Reading    *c = mk_reading(3000, 1, 1, 4);
	Reading    *e = mk_reading(4000, 1, 1, 4);
	DeltaSet   *d;

	add_shape(a, 1, 1, 100, 1.0, 100);
	add_attr(a, 1, 7, "web", 50, 100)->key.toplevel = 1;
	add_attr(a, 1, 7, "web", 50, 100);	/* nested twin */
	add_attr(a, 1, 8, "web", 5, 100)->key.toplevel = 1;

	add_shape(b, 1, 1, 113, 1.0, 100);
	add_attr(b, 1, 7, "web", 55, 100)->key.toplevel = 1;
	add_attr(b, 1, 7, "web", 58, 100)->last_seen_us = 1900;
	add_attr(b, 1, 8, "web", 5, 100)->key.toplevel = 1;
	d = diff_readings(a, b, &opts);
	CHECK("twins: one row for the pair", d->nattrs == 1);
	CHECK("twins: deltas summed (5 + 8)", d->nattrs == 1 && d->attrs[0].row.calls == 13 &&
		  d->attrs[0].row.rows == 13 && d->attrs[0].row.key.toplevel == 0);
	CHECK("twins: not recreated", d->nattrs == 1 && !d->attrs[0].recreated);
	CHECK("twins: newest last_seen kept", d->nattrs == 1 && d->attrs[0].row.last_seen_us == 1900);
	delta_free(d);

	/* the nested twin is evicted, the top-level one goes on: delta 60 - 55, not 60 */
	add_shape(c, 1, 1, 118, 1.0, 100);
	add_attr(c, 1, 7, "web", 60, 100)->key.toplevel = 1;
	d = diff_readings(b, c, &opts);
	CHECK("twins: one twin evicted -> the other's delta only",
		  d->nattrs == 1 && d->attrs[0].row.calls == 5 && !d->attrs[0].recreated);
	delta_free(d);

	/* ... and comes back: counted from zero, the pair marked recreated */
	add_shape(e, 1, 1, 121, 1.0, 100);
	add_attr(e, 1, 7, "web", 61, 100)->key.toplevel = 1;
	add_attr(e, 1, 7, "web", 2, 2500);
	d = diff_readings(c, e, &opts);
	CHECK("twins: a twin recreated -> 1 + 2, recreated, its first_seen",
		  d->nattrs == 1 && d->attrs[0].row.calls == 3 && d->attrs[0].recreated &&
		  d->attrs[0].row.first_seen_us == 2500);
	delta_free(d);
	reading_free(e);
	reading_free(a);
	reading_free(b);
	reading_free(c);
}

/*
 * Property: over a random history of calls, evictions with recreation and
 * global resets (each at the start of an interval), no delta is ever
 * negative and every interval's delta is exactly the calls made in it.
 */
static void
test_random_history(void)
{
	unsigned int seed = 12345;
	int			round;
	bool		never_negative = true;
	bool		exact = true;

	for (round = 0; round < 200; round++)
	{
		Reading    *prev = NULL;
		int64_t		counter = 0,
					first_seen = 1,
					stats_reset = 1;
		int			step;

		for (step = 0; step < 50; step++)
		{
			Reading    *cur;
			DeltaSet   *d;
			int			ev = rand_r(&seed) % 10;
			int64_t		add = rand_r(&seed) % 20;
			int64_t		got = 0;
			int			i;

			if (ev == 0)
			{
				counter = 0;		/* insights.reset(): new stats_reset */
				first_seen = step * 10 + 5;
				stats_reset = first_seen;
			}
			else if (ev == 1)
			{
				counter = 0;		/* evicted, then recreated */
				first_seen = step * 10 + 5;
			}
			counter += add;
			cur = mk_reading(step * 10 + 9, stats_reset, 1, 0);
			if (counter > 0)
				add_shape(cur, 42, 1, counter, (double) counter, first_seen);
			d = diff_readings(prev, cur, &opts);
			for (i = 0; i < d->nshapes; i++)
			{
				if (d->shapes[i].row.c[SC_CALLS] < 0 || d->shapes[i].row.t[ST_TOTAL] < 0 ||
					d->shapes[i].row.hist[0] < 0 || d->shapes[i].row.hist[1] < 0)
					never_negative = false;
				got += d->shapes[i].row.c[SC_CALLS];
			}
			if (got != add)
				exact = false;
			delta_free(d);
			reading_free(prev);
			prev = cur;
		}
		reading_free(prev);
	}
	CHECK("random history: never a negative delta", never_negative);
	CHECK("random history: each delta is exactly that interval's calls", exact);
}

static void
test_helpers(void)
{
	Arena	   *a = arena_create();
	char	  **v;
	int			n;
	int64_t		x;

	CHECK("counter_delta up", counter_delta(5, 9) == 4);
	CHECK("counter_delta down = from zero", counter_delta(9, 5) == 5);
	n = pgarray_parse(a, "{public.a,\"x,y\",NULL,\"q\\\"t\"}", &v);
	CHECK("pgarray: 4 elements", n == 4 && strcmp(v[0], "public.a") == 0 &&
		  strcmp(v[1], "x,y") == 0 && v[2] == NULL && strcmp(v[3], "q\"t") == 0);
	CHECK("pgarray: empty", pgarray_parse(a, "{}", &v) == 0);
	CHECK("pgarray: malformed", pgarray_parse(a, "{\"abc", &v) == -1);
	CHECK("duration 500ms", parse_duration_us("500ms", &x) && x == 500000);
	CHECK("duration 10 = 10s", parse_duration_us("10", &x) && x == 10000000);
	CHECK("duration bad", !parse_duration_us("10 parsecs", &x) && !parse_duration_us("-1s", &x));
	CHECK("bytes 64k", parse_bytes("64k", &x) && x == 65536);
	CHECK("bytes 1.5M", parse_bytes("1.5M", &x) && x == 1572864);
	x = backoff_delay_us(3, 1000000, 60000000);
	CHECK("backoff jitter in [4s, 8s]", x >= 4000000 && x <= 8000000);
	x = backoff_delay_us(30, 1000000, 60000000);
	CHECK("backoff capped", x >= 30000000 && x <= 60000000);
	arena_free(a);
}

static void
test_exact_sums(void)
{
	/* a sequence without resets: deltas add up exactly to the last total */
	Reading    *prev = NULL;
	int64_t		shipped = 0,
				total = 0;
	int			step;
	unsigned int seed = 7;

	for (step = 0; step < 100; step++)
	{
		Reading    *cur = mk_reading(step, 1, 1, 0);
		DeltaSet   *d;

		total += rand_r(&seed) % 5;
		add_shape(cur, 1, 1, total, (double) total, 1);
		d = diff_readings(prev, cur, &opts);
		if (d->nshapes == 1)
			shipped += d->shapes[0].row.c[SC_CALLS];
		delta_free(d);
		reading_free(prev);
		prev = cur;
	}
	reading_free(prev);
	CHECK("exact: sum of deltas == final total", shipped == total);
}

static void
test_carry_over(void)
{
	Reading    *a = mk_reading(1000, 1, 3, 2);
	Reading    *b = mk_reading(2000, 1, 1, 1);
	DeltaSet   *d;
	static char *tables[] = {"public.t"};

	add_shape(a, 1, 1, 10, 1.0, 100)->tables = tables;
	a->shapes[0].ntables = 1;
	add_shape(a, 2, 1, 5, 1.0, 100);
	add_attr(a, 1, 7, "web", 4, 100);
	add_attr(a, 2, 7, "web", 5, 100);
	/* incremental reading: only shape 2 and its attribution were active */
	add_shape(b, 2, 1, 8, 2.0, 100);
	add_attr(b, 2, 7, "web", 8, 100);
	reading_carry_over(b, a, true, true);
	CHECK("carry over: unchanged rows added", b->nshapes == 2 && b->nattrs == 2);
	reading_free(a);			/* b must not point into a */
	CHECK("carry over: strings copied", b->shapes[1].ntables == 1 && strcmp(b->shapes[1].tables[0], "public.t") == 0);
	d = diff_readings(NULL, b, &opts);
	CHECK("carry over: totals intact", d->nshapes == 2);
	delta_free(d);
	reading_free(b);
}

static CountRow
count_row(int64_t shape_id, const char *label, int64_t n)
{
	CountRow	r;

	memset(&r, 0, sizeof(r));
	r.key.shape_id = shape_id;
	r.key.userid = 10;
	r.key.dbid = 5;
	snprintf(r.key.label, sizeof(r.key.label), "%s", label);
	r.count = n;
	return r;
}

/* wait samples and errors: deltas per (shape, label), resets counted from zero */
static void
test_counts(void)
{
	CountRow	prev[2],
				cur[4],
				out[4];
	int			n;

	prev[0] = count_row(1, "IO:DataFileRead", 5);
	prev[1] = count_row(1, "CPU", 3);
	cur[0] = count_row(1, "CPU", 3);		/* unchanged: left out */
	cur[1] = count_row(1, "IO:DataFileRead", 7);
	cur[2] = count_row(2, "CPU", 4);		/* new */
	cur[3] = count_row(1, "Lock:tuple", 0);
	n = count_rows_delta(prev, 2, cur, 4, false, out);
	CHECK("counts: two rows changed", n == 2);
	CHECK("counts: delta of a known key", n == 2 && out[0].count == 2 && strcmp(out[0].key.label, "IO:DataFileRead") == 0);
	CHECK("counts: a new key from zero", n == 2 && out[1].count == 4 && out[1].key.shape_id == 2);
	cur[1].count = 1;			/* went down: reset */
	n = count_rows_delta(prev, 2, cur, 4, false, out);
	CHECK("counts: a counter that went down counts from zero", n == 2 && out[0].count == 1);
	n = count_rows_delta(prev, 2, cur, 4, true, out);
	CHECK("counts: after a stats reset every row is from zero", n == 3 && out[0].count == 3);
	n = count_rows_delta(NULL, 0, cur, 4, false, out);
	CHECK("counts: no previous reading: totals", n == 3);
}

int
main(void)
{
	test_helpers();
	test_basic();
	test_resets();
	test_restart();
	test_attribution();
	test_twins();
	test_carry_over();
	test_exact_sums();
	test_random_history();
	test_counts();
	printf("collector-unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
