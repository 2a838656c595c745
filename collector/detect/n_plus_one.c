/* n_plus_one.c — one statement shape run once per row of a preceding parent, inside one request. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

/*
 * A request is known by its trace id or its transaction block; without
 * either, a backend's burst of statements counts as one request only when
 * that backend ran the loop alone: the child runs once for every row of the
 * parent (no more, no fewer), following it with at most
 * BURST_BODY_MAX other statements between (the loop's body), and no other
 * backend ran the parent's or the child's shape meanwhile.  Behind a
 * connection pool or PgBouncer a backend interleaves many requests, and a
 * request's statements spread over backends: those loops are counted as
 * ambiguous and claim nothing.  A busy shared backend never sits idle, so its
 * burst runs on far past the loop: a burst with more than BURST_OTHER_MAX
 * statements outside the loop is not one request either.
 */
#define BURST_BODY_MAX 2
#define BURST_OTHER_MAX 20

typedef struct Ref
{
	int64_t		group;
	int			idx;			/* into in->events, which is in seq order */
} Ref;

typedef struct Child
{
	int64_t		shape_id;
	int64_t		parent_shape_id;
	int			requests;
	int			max_repeats;
	int64_t		total_repeats;
	double		time_ms;
	int64_t		parent_rows;
	int			by_trace;		/* loops per way the request was recognised */
	int			by_xact;
	int			by_burst;
	int			ambiguous;		/* burst loops other backends interleaved with */
} Child;

/* every event's span, by shape and end time: who else ran a shape when */
typedef struct Span
{
	int64_t		shape_id;
	int64_t		end_us;
	int64_t		start_us;
	int			pid;
} Span;

typedef struct Scan
{
	DetectInput *in;
	const char *grouped_by;
	Child	   *children;
	int			nchildren;
	Span	   *spans;			/* in->nevents, sorted by (shape_id, end_us) */
	int			request_len;	/* statements in the request being scanned */
	int64_t		max_dur_us;		/* the longest event: bounds the overlap search */
} Scan;

static int
cmp_ref(const void *a, const void *b)
{
	const Ref  *x = a,
			   *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a,
				y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

static int
count_distinct(int64_t *v, int n)
{
	int			i,
				d = 0;

	qsort(v, n, sizeof(int64_t), cmp_int64);
	for (i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1])
			d++;
	return d;
}

static Child *
child_slot(Child **children, int *n, int64_t shape_id)
{
	int			i;

	for (i = 0; i < *n; i++)
		if ((*children)[i].shape_id == shape_id)
			return &(*children)[i];
	*children = xrealloc(*children, sizeof(Child) * (*n + 1));
	memset(&(*children)[*n], 0, sizeof(Child));
	(*children)[*n].shape_id = shape_id;
	return &(*children)[(*n)++];
}

/*
 * Evaluate one loop: the child executions cpos[0..k) that follow one
 * execution of the parent at ppos, before the parent runs again.
 */
static int
cmp_span(const void *a, const void *b)
{
	const Span *x = a,
			   *y = b;

	if (x->shape_id != y->shape_id)
		return x->shape_id < y->shape_id ? -1 : 1;
	return (x->end_us > y->end_us) - (x->end_us < y->end_us);
}

/* Did a backend other than pid run shape_id at some time within [from, to]? */
static bool
ran_elsewhere(const Scan *sc, int64_t shape_id, int pid, int64_t from, int64_t to)
{
	int			lo = 0,
				hi = sc->in->nevents,
				i;

	/* the first span of the shape ending at or after from */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const Span *m = &sc->spans[mid];

		if (m->shape_id < shape_id || (m->shape_id == shape_id && m->end_us < from))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < sc->in->nevents && sc->spans[i].shape_id == shape_id &&
		 sc->spans[i].end_us <= to + sc->max_dur_us; i++)
		if (sc->spans[i].pid != pid && sc->spans[i].start_us <= to)
			return true;
	return false;
}

static void
eval_loop(Scan *sc, Ref *refs, const int *cpos, int k, int ppos)
{
	DetectInput *in = sc->in;
	int64_t    *params = xmalloc(sizeof(int64_t) * (k + 1));
	int64_t    *offsets = xmalloc(sizeof(int64_t) * (k + 1));
	DetEvent   *parent = &in->events[refs[ppos].idx];
	int			i,
				noff = 0;
	double		ms = 0;

	if (k < in->cfg->nplus1_min_repeats || parent->rows < k)
		goto out;
	for (i = 0; i < k; i++)
	{
		DetEvent   *c = &in->events[refs[cpos[i]].idx];

		params[i] = c->param_hash;
		if (c->offset_value > 0)
			offsets[noff++] = c->offset_value;
		ms += c->duration_ms;
	}
	/* once per parent row means different arguments each time */
	if (count_distinct(params, k) < in->cfg->nplus1_min_repeats)
		goto out;
	/* pages of one listing differ by OFFSET: that is pagination, not N+1 */
	if (noff > 1 && count_distinct(offsets, noff) > 1)
		goto out;
	{
		DetEvent   *first = &in->events[refs[cpos[0]].idx];
		DetEvent   *last = &in->events[refs[cpos[k - 1]].idx];
		char		by = sc->grouped_by[refs[cpos[0]].idx];
		Child	   *c = child_slot(&sc->children, &sc->nchildren, first->shape_id);
		int64_t		from = parent->end_us - (int64_t) (parent->duration_ms * 1000.0);

		if (by == 'b' &&
			(k != parent->rows ||
			 sc->request_len - (cpos[k - 1] - ppos + 1) > BURST_OTHER_MAX ||
			 ran_elsewhere(sc, first->shape_id, first->pid, from, last->end_us) ||
			 ran_elsewhere(sc, parent->shape_id, first->pid, from, last->end_us)))
		{
			c->ambiguous++;
			goto out;
		}
		c->parent_shape_id = parent->shape_id;
		c->requests++;
		c->total_repeats += k;
		if (k > c->max_repeats)
			c->max_repeats = k;
		c->time_ms += ms;
		c->parent_rows = parent->rows;
		if (by == 't')
			c->by_trace++;
		else if (by == 'x')
			c->by_xact++;
		else
			c->by_burst++;
	}
out:
	free(params);
	free(offsets);
}

typedef struct ShapePos
{
	int64_t		shape_id;
	int			pos;			/* position in the request, in seq order */
} ShapePos;

static int
cmp_shapepos(const void *a, const void *b)
{
	const ShapePos *x = a,
			   *y = b;

	if (x->shape_id != y->shape_id)
		return x->shape_id < y->shape_id ? -1 : 1;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/*
 * One request's events refs[0..n), in seq order: for each shape that runs
 * often enough, its parent is the closest earlier statement of another shape
 * returning at least that many rows; every run of the child between two
 * executions of the parent is one loop.
 */
static void
scan_request(Scan *sc, Ref *refs, int n)
{
	DetectInput *in = sc->in;
	bool		burst = sc->grouped_by[refs[0].idx] == 'b';
	int			i,
				j,
				run;
	ShapePos   *sp;
	int		   *cpos;

	if (n < in->cfg->nplus1_min_repeats + 1)
		return;
	sc->request_len = n;
	sp = xmalloc(sizeof(ShapePos) * n);
	cpos = xmalloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		sp[i].shape_id = in->events[refs[i].idx].shape_id;
		sp[i].pos = i;
	}
	qsort(sp, n, sizeof(ShapePos), cmp_shapepos);

	for (run = 0; run < n; run = i)
	{
		int64_t		child = sp[run].shape_id;
		int64_t		parent_shape = 0;
		int			ppos = -1,
					k = 0,
					last,
					p;
		bool		closed = false;

		for (i = run; i < n && sp[i].shape_id == child; i++)
			;
		if (i - run < in->cfg->nplus1_min_repeats)
			continue;
		for (j = sp[run].pos - 1; j >= 0; j--)
		{
			DetEvent   *e = &in->events[refs[j].idx];

			if (e->shape_id != child && e->rows >= in->cfg->nplus1_min_repeats)
			{
				parent_shape = e->shape_id;
				ppos = j;
				break;
			}
		}
		if (ppos < 0)
			continue;
		/* walk the request from the parent on, cutting loops at each parent execution */
		last = ppos;
		for (p = ppos + 1; p < n; p++)
		{
			int64_t		sh = in->events[refs[p].idx].shape_id;

			if (sh == parent_shape)
			{
				eval_loop(sc, refs, cpos, k, ppos);
				ppos = last = p;
				k = 0;
				closed = false;
			}
			else if (sh != child || closed)
				continue;
			else if (burst && p - last > BURST_BODY_MAX + 1)
			{
				/* the backend did other work in between: the loop ended */
				eval_loop(sc, refs, cpos, k, ppos);
				k = 0;
				closed = true;
			}
			else
			{
				cpos[k++] = p;
				last = p;
			}
		}
		eval_loop(sc, refs, cpos, k, ppos);
	}
	free(sp);
	free(cpos);
}

/* The filter column of the child's scan, for the foreign-key hint. */
static const DetScan *
child_scan(DetectInput *in, int64_t shape_id)
{
	int			i;

	for (i = 0; i < in->nscans; i++)
		if (in->scans[i].shape_id == shape_id && in->scans[i].nfilter > 0)
			return &in->scans[i];
	return NULL;
}

/*
 * A per-row lookup compares a column with a value from the parent row: the
 * normalized text has "= $n".  Range scans, listings and pages do not.
 */
static bool
is_keyed_lookup(const char *q)
{
	const char *p;

	if (q == NULL)
		return false;
	for (p = q; *p; p++)
	{
		const char *r = p;

		if (*r != '=' || (p > q && (p[-1] == '<' || p[-1] == '>' || p[-1] == '!')))
			continue;
		r++;
		while (*r == ' ')
			r++;
		if (*r == '$' && r[1] >= '0' && r[1] <= '9')
			return true;
	}
	return false;
}

void
detect_n_plus_one(DetectInput *in)
{
	int64_t    *group;
	char	   *grouped_by;
	Ref		   *refs;
	Scan		sc;
	int			i,
				start;

	if (in->nevents == 0)
		return;
	group = xmalloc(sizeof(int64_t) * in->nevents);
	grouped_by = xmalloc(in->nevents);
	refs = xmalloc(sizeof(Ref) * in->nevents);
	memset(&sc, 0, sizeof(sc));
	sc.in = in;
	sc.grouped_by = grouped_by;
	sc.spans = xmalloc(sizeof(Span) * in->nevents);
	detect_request_groups(in, group, grouped_by);
	for (i = 0; i < in->nevents; i++)
	{
		DetEvent   *e = &in->events[i];
		int64_t		dur = (int64_t) (e->duration_ms * 1000.0) + 1;

		refs[i].group = group[i];
		refs[i].idx = i;
		sc.spans[i].shape_id = e->shape_id;
		sc.spans[i].end_us = e->end_us;
		sc.spans[i].start_us = e->end_us - dur;
		sc.spans[i].pid = e->pid;
		if (dur > sc.max_dur_us)
			sc.max_dur_us = dur;
	}
	qsort(refs, in->nevents, sizeof(Ref), cmp_ref);
	qsort(sc.spans, in->nevents, sizeof(Span), cmp_span);
	for (start = 0; start < in->nevents; start = i)
	{
		for (i = start; i < in->nevents && refs[i].group == refs[start].group; i++)
			;
		scan_request(&sc, refs + start, i - start);
	}

	for (i = 0; i < sc.nchildren; i++)
	{
		Child	   *c = &sc.children[i];
		DetShape   *s = detect_shape(in, c->shape_id);
		DetShape   *parent = detect_shape(in, c->parent_shape_id);
		const DetScan *scan = child_scan(in, c->shape_id);
		const char *fk = NULL;
		DetFinding *f;
		Sbuf		b;
		double		avg;

		/* only loops whose request is known claim anything */
		if (c->requests == 0)
			continue;
		avg = (double) c->total_repeats / c->requests;
		if (s == NULL || s->internal || !is_keyed_lookup(s->query) ||
			(f = detect_add(in, "n_plus_one", c->shape_id)) == NULL)
			continue;
		if (scan && strcmp(scan->scan, "seq") == 0)
			fk = catalog_unindexed_fk(in, scan->relation, scan->filter_cols[0]);
		f->parent_shape_id = c->parent_shape_id;
		f->severity = (avg >= 20 || c->time_ms >= 100) ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"loops\":%d,\"repeats_per_request_avg\":%.1f,\"repeats_per_request_max\":%d,"
					"\"child_time_ms\":%.3f,\"parent_rows\":%lld,\"grouped_by\":\"%s\","
					"\"loops_by\":{\"trace_id\":%d,\"transaction\":%d,\"backend_burst\":%d},"
					"\"ambiguous_loops\":%d,\"confidence\":\"%s\"",
					c->requests, avg, c->max_repeats, c->time_ms, (long long) c->parent_rows,
					c->by_trace ? "trace_id" : c->by_xact ? "transaction" : "backend_burst",
					c->by_trace, c->by_xact, c->by_burst, c->ambiguous,
					c->by_trace + c->by_xact > 0 ? "high" : "medium");
		if (fk)
		{
			sbuf_printf(&b, ",\"unindexed_foreign_key\":");
			sbuf_json_str(&b, fk);
		}
		sbuf_printf(&b, "}");
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "This statement ran %.0f times per request, once per row of its parent query", avg);
		if (parent && parent->attribution)
			sbuf_printf(&b, " (%s)", parent->attribution);
		sbuf_printf(&b, ". Load the related rows in one statement instead: a JOIN, or one query with "
					"WHERE <key> = ANY($1) over the parent ids (batching).");
		if ((s->attribution && strncmp(s->attribution, "prisma.", 7) == 0) ||
			(parent && parent->attribution && strncmp(parent->attribution, "prisma.", 7) == 0))
			sbuf_printf(&b, " With Prisma, fetch the relation in the parent call with `include` "
						"(or `relationLoadStrategy: \"join\"`) instead of one %s call per row.",
						s->attribution ? s->attribution : "findMany");
		if (fk)
			sbuf_printf(&b, " The loop filters on foreign key %s, which has no index.", fk);
		f->suggestion = sbuf_steal(&b);

		if (fk)
		{
			sbuf_init(&b);
			sbuf_printf(&b, "CREATE INDEX CONCURRENTLY ON ");
			catalog_quote_relation(&b, scan->relation);
			sbuf_printf(&b, " (");
			catalog_quote_ident(&b, scan->filter_cols[0]);
			sbuf_printf(&b, ");");
			f->fix_sql = sbuf_steal(&b);
		}
		sbuf_init(&b);
		sbuf_printf(&b, "About %.0f round trips per request become 1; the loop cost %.2f ms per request "
					"in %d loop(s) measured.", avg, c->time_ms / c->requests, c->requests);
		f->expected_impact = sbuf_steal(&b);
	}
	free(sc.children);
	free(sc.spans);
	free(refs);
	free(group);
	free(grouped_by);
}
