/* diff.c — pure functions turning two readings of cumulative counters into interval deltas. */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

/* (userid, dbid, shape_id): the level at which shapes and attributions meet */
typedef struct TripleKey
{
	int64_t		shape_id;
	uint32_t	userid;
	uint32_t	dbid;
} TripleKey;

typedef struct OwnUsage
{
	int64_t		calls;
	double		time;
	int64_t		rows;
	int64_t		reads;
	int64_t		attributed_calls;	/* non-own attribution calls of the triple */
	int64_t		shape_calls;
	int64_t		own_total;		/* cumulative own calls in the reading */
	bool		others;			/* a non-own attribution entry exists */
} OwnUsage;

static TripleKey
triple_of(int64_t shape_id, uint32_t userid, uint32_t dbid)
{
	TripleKey	k;

	memset(&k, 0, sizeof(k));
	k.shape_id = shape_id;
	k.userid = userid;
	k.dbid = dbid;
	return k;
}

int64_t
counter_delta(int64_t prev, int64_t cur)
{
	return cur < prev ? cur : cur - prev;
}

/*
 * Delta of one shape entry.  Returns true when the entry is counted from
 * zero (new, recreated, reset, counters went down); out gets cur's
 * identity and the deltas.
 */
bool
shape_row_delta(const ShapeRow *prev, const ShapeRow *cur, int nhist, bool force_zero,
				ShapeRow *out)
{
	bool		from_zero = force_zero || prev == NULL ||
		prev->first_seen_us != cur->first_seen_us;
	int			i;

	if (!from_zero)
	{
		for (i = 0; i < SC_NCOUNTERS && !from_zero; i++)
			from_zero = cur->c[i] < prev->c[i];
		for (i = 0; i < ST_NTIMES && !from_zero; i++)
			from_zero = cur->t[i] < prev->t[i];
		for (i = 0; i < nhist && !from_zero; i++)
			from_zero = cur->hist[i] < prev->hist[i];
	}
	*out = *cur;
	if (!from_zero)
	{
		for (i = 0; i < SC_NCOUNTERS; i++)
			out->c[i] = cur->c[i] - prev->c[i];
		for (i = 0; i < ST_NTIMES; i++)
			out->t[i] = cur->t[i] - prev->t[i];
		for (i = 0; i < nhist; i++)
			out->hist[i] = cur->hist[i] - prev->hist[i];
	}
	for (i = nhist; i < MAX_HIST; i++)
		out->hist[i] = 0;
	return from_zero;
}

bool
attr_row_delta(const AttrRow *prev, const AttrRow *cur, bool force_zero, AttrRow *out)
{
	bool		from_zero = force_zero || prev == NULL ||
		prev->first_seen_us != cur->first_seen_us ||
		cur->calls < prev->calls || cur->total_time < prev->total_time ||
		cur->rows < prev->rows || cur->reads < prev->reads;

	*out = *cur;
	if (!from_zero)
	{
		out->calls = cur->calls - prev->calls;
		out->total_time = cur->total_time - prev->total_time;
		out->rows = cur->rows - prev->rows;
		out->reads = cur->reads - prev->reads;
	}
	return from_zero;
}

/*
 * Deltas of wait or error counters into out (room for ncur rows); returns
 * how many are non-zero.  A counter that went down was reset: counted from
 * zero.
 */
int
count_rows_delta(const CountRow *prev, int nprev, const CountRow *cur, int ncur, bool force_zero,
				 CountRow *out)
{
	HashMap    *idx = hm_create(sizeof(CountKey), (size_t) (nprev > 0 ? nprev : 1));
	int			i,
				n = 0;

	for (i = 0; i < nprev; i++)
		hm_put(idx, &prev[i].key, (size_t) i);
	for (i = 0; i < ncur; i++)
	{
		size_t		pi;
		int64_t		d = cur[i].count;

		if (!force_zero && hm_get(idx, &cur[i].key, &pi))
			d = counter_delta(prev[pi].count, cur[i].count);
		if (d <= 0)
			continue;
		out[n] = cur[i];
		out[n].count = d;
		n++;
	}
	hm_free(idx);
	return n;
}

void
reading_carry_over(Reading *cur, const Reading *prev, bool shapes, bool attrs)
{
	int			i;

	if (shapes)
	{
		HashMap    *idx = hm_create(sizeof(ShapeKey), (size_t) cur->nshapes);
		int			n = cur->nshapes;

		for (i = 0; i < cur->nshapes; i++)
			hm_put(idx, &cur->shapes[i].key, 1);
		cur->shapes = xrealloc(cur->shapes, sizeof(ShapeRow) * (size_t) (cur->nshapes + prev->nshapes + 1));
		for (i = 0; i < prev->nshapes; i++)
		{
			if (hm_get(idx, &prev->shapes[i].key, NULL))
				continue;
			cur->shapes[n] = prev->shapes[i];
			shape_row_own_strings(cur->arena, &cur->shapes[n], false);
			n++;
		}
		cur->nshapes = n;
		hm_free(idx);
	}
	if (attrs)
	{
		HashMap    *idx = hm_create(sizeof(AttrKey), (size_t) cur->nattrs);
		int			n = cur->nattrs;

		for (i = 0; i < cur->nattrs; i++)
			hm_put(idx, &cur->attrs[i].key, 1);
		cur->attrs = xrealloc(cur->attrs, sizeof(AttrRow) * (size_t) (cur->nattrs + prev->nattrs + 1));
		for (i = 0; i < prev->nattrs; i++)
		{
			if (hm_get(idx, &prev->attrs[i].key, NULL))
				continue;
			cur->attrs[n] = prev->attrs[i];
			attr_row_own_strings(cur->arena, &cur->attrs[n]);
			n++;
		}
		cur->nattrs = n;
		hm_free(idx);
	}
}

void
delta_merge_attr_twins(DeltaSet *ds)
{
	HashMap    *idx = hm_create(sizeof(AttrKey), (size_t) ds->nattrs);
	int			i,
				n = 0;

	for (i = 0; i < ds->nattrs; i++)
	{
		AttrDeltaRow *a = &ds->attrs[i];
		AttrKey		k = a->row.key;
		bool		found;
		size_t	   *slot;

		k.toplevel = 0;
		slot = hm_slot(idx, &k, &found);
		if (!found)
		{
			*slot = (size_t) n;
			if (n != i)
				ds->attrs[n] = *a;
			ds->attrs[n].row.key.toplevel = 0;
			n++;
		}
		else
		{
			AttrDeltaRow *m = &ds->attrs[*slot];

			m->row.calls += a->row.calls;
			m->row.total_time += a->row.total_time;
			m->row.rows += a->row.rows;
			m->row.reads += a->row.reads;
			m->recreated = m->recreated || a->recreated;
			if (a->row.first_seen_us > m->row.first_seen_us)
				m->row.first_seen_us = a->row.first_seen_us;
			if (a->row.last_seen_us > m->row.last_seen_us)
				m->row.last_seen_us = a->row.last_seen_us;
		}
	}
	ds->nattrs = n;
	hm_free(idx);
}

static char **
copy_strv(Arena *a, char **v, int n)
{
	char	  **out;
	int			i;

	if (n <= 0)
		return NULL;
	out = arena_alloc(a, sizeof(char *) * (size_t) n);
	for (i = 0; i < n; i++)
		out[i] = arena_strdup(a, v[i] ? v[i] : "");
	return out;
}

void
shape_row_own_strings(Arena *a, ShapeRow *r, bool with_text)
{
	if (with_text)
		r->text = arena_strdup(a, r->text);
	r->command = arena_strdup(a, r->command);
	r->tables = copy_strv(a, r->tables, r->ntables);
}

void
attr_row_own_strings(Arena *a, AttrRow *r)
{
	r->tag_keys = copy_strv(a, r->tag_keys, r->ntags);
	r->tag_values = copy_strv(a, r->tag_values, r->ntags);
	r->prisma_model = arena_strdup(a, r->prisma_model);
	r->prisma_action = arena_strdup(a, r->prisma_action);
	r->prisma_shape = arena_strdup(a, r->prisma_shape);
	r->route = arena_strdup(a, r->route);
	r->controller = arena_strdup(a, r->controller);
	r->action = arena_strdup(a, r->action);
	r->framework = arena_strdup(a, r->framework);
	r->application = arena_strdup(a, r->application);
	r->db_driver = arena_strdup(a, r->db_driver);
}

static bool
is_own(const AttrRow *a, const DiffOptions *opt)
{
	return opt != NULL && opt->own_application != NULL && a->application != NULL &&
		strcmp(a->application, opt->own_application) == 0;
}

static OwnUsage *
usage_of(HashMap *idx, OwnUsage **arr, int *n, int *cap, TripleKey *k)
{
	bool		found;
	size_t	   *slot = hm_slot(idx, k, &found);

	if (!found)
	{
		if (*n == *cap)
		{
			*cap = *cap ? *cap * 2 : 64;
			*arr = xrealloc(*arr, sizeof(OwnUsage) * (size_t) *cap);
		}
		memset(&(*arr)[*n], 0, sizeof(OwnUsage));
		*slot = (size_t) (*n)++;
	}
	return &(*arr)[*slot];
}

static void
diff_attrs(const Reading *prev, const Reading *cur, const DiffOptions *opt, bool force_zero,
		   DeltaSet *ds, HashMap *uidx, OwnUsage **usage, int *nusage, int *capusage)
{
	HashMap    *pidx = hm_create(sizeof(AttrKey), prev ? (size_t) prev->nattrs : 1);
	int			i;

	for (i = 0; prev != NULL && i < prev->nattrs; i++)
		hm_put(pidx, &prev->attrs[i].key, (size_t) i);
	ds->attrs = arena_alloc(ds->arena, sizeof(AttrDeltaRow) * (size_t) (cur->nattrs + 1));
	for (i = 0; i < cur->nattrs; i++)
	{
		const AttrRow *a = &cur->attrs[i];
		size_t		pi;
		const AttrRow *p = (prev != NULL && hm_get(pidx, &a->key, &pi)) ? &prev->attrs[pi] : NULL;
		AttrDeltaRow d;
		TripleKey	tk = triple_of(a->key.shape_id, a->key.userid, a->key.dbid);
		OwnUsage   *u;

		d.recreated = attr_row_delta(p, a, force_zero, &d.row) && prev != NULL;
		u = usage_of(uidx, usage, nusage, capusage, &tk);
		if (is_own(a, opt))
			u->own_total += a->calls;
		else
			u->others = true;
		if (d.row.calls == 0)
			continue;
		if (is_own(a, opt))
		{
			u->calls += d.row.calls;
			u->time += d.row.total_time;
			u->rows += d.row.rows;
			u->reads += d.row.reads;
			continue;
		}
		u->attributed_calls += d.row.calls;
		if (d.recreated)
			ds->counters.entries_recreated++;
		attr_row_own_strings(ds->arena, &d.row);
		ds->attrs[ds->nattrs++] = d;
	}
	hm_free(pidx);
	delta_merge_attr_twins(ds);
}

/* remove the collector's own calls from its shapes' deltas (toplevel rows) */
static void
subtract_own(ShapeRow *r, OwnUsage *u, DiffCounters *counters)
{
	int64_t		calls = u->calls < r->c[SC_CALLS] ? u->calls : r->c[SC_CALLS];
	int64_t		rows = u->rows < r->c[SC_ROWS] ? u->rows : r->c[SC_ROWS];
	int64_t		reads_hit = u->reads < r->c[SC_SHARED_HIT] ? u->reads : r->c[SC_SHARED_HIT];

	r->c[SC_CALLS] -= calls;
	r->c[SC_ROWS] -= rows;
	r->c[SC_SHARED_HIT] -= reads_hit;
	r->t[ST_TOTAL] = r->t[ST_TOTAL] > u->time ? r->t[ST_TOTAL] - u->time : 0.0;
	counters->own_calls_filtered += calls;
	u->calls -= calls;
	u->rows -= rows;
	u->reads -= reads_hit;
	u->time = 0;
}

DeltaSet *
diff_readings(const Reading *prev, const Reading *cur, const DiffOptions *opt)
{
	DeltaSet   *ds = xcalloc(1, sizeof(DeltaSet));
	HashMap    *pidx;
	HashMap    *uidx = hm_create(sizeof(TripleKey), (size_t) cur->nshapes);
	OwnUsage   *usage = NULL;
	int			nusage = 0,
				capusage = 0;
	bool	   *matched;
	bool		force_zero;
	int			i;

	ds->arena = arena_create();
	ds->since_reset = prev == NULL;
	ds->start_us = prev ? prev->taken_us : cur->info.stats_reset_us;
	ds->end_us = cur->taken_us;
	ds->stats_reset_seen = prev != NULL && prev->info.stats_reset_us != cur->info.stats_reset_us;
	ds->server_restarted = prev != NULL && prev->postmaster_start_us != cur->postmaster_start_us;
	ds->info = cur->info;
	ds->nhist = cur->nhist;
	force_zero = ds->stats_reset_seen;
	if (prev != NULL)
	{
		ds->counters.tagsets_dropped = counter_delta(prev->info.tagsets_dropped, cur->info.tagsets_dropped);
		ds->counters.evictions = counter_delta(prev->info.evictions, cur->info.evictions);
	}
	else
	{
		ds->counters.tagsets_dropped = cur->info.tagsets_dropped;
		ds->counters.evictions = cur->info.evictions;
	}

	/* attributions first: they tell which calls were the collector's own */
	diff_attrs(prev, cur, opt, force_zero, ds, uidx, &usage, &nusage, &capusage);

	pidx = hm_create(sizeof(ShapeKey), prev ? (size_t) prev->nshapes : 1);
	matched = xcalloc((size_t) (prev ? prev->nshapes : 0) + 1, sizeof(bool));
	for (i = 0; prev != NULL && i < prev->nshapes; i++)
		hm_put(pidx, &prev->shapes[i].key, (size_t) i);
	ds->shapes = arena_alloc(ds->arena, sizeof(ShapeDeltaRow) * (size_t) (cur->nshapes + 1));
	for (i = 0; i < cur->nshapes; i++)
	{
		const ShapeRow *s = &cur->shapes[i];
		size_t		pi;
		const ShapeRow *p = NULL;
		ShapeDeltaRow d;
		TripleKey	tk = triple_of(s->key.shape_id, s->key.userid, s->key.dbid);
		OwnUsage   *u;
		size_t		ui;

		if (prev != NULL && hm_get(pidx, &s->key, &pi))
		{
			p = &prev->shapes[pi];
			matched[pi] = true;
		}
		d.recreated = shape_row_delta(p, s, cur->nhist, force_zero, &d.row) && prev != NULL;
		if (d.row.c[SC_CALLS] == 0)
			continue;
		if (d.recreated)
			ds->counters.entries_recreated++;
		u = hm_get(uidx, &tk, &ui) ? &usage[ui] : NULL;

		/*
		 * A shape only the collector runs is left out whole.  Its counters may
		 * lag its attribution by one call (the statement reading the shapes
		 * cannot count itself), hence the + 1.
		 */
		if (u != NULL && u->own_total > 0 && !u->others && s->key.toplevel &&
			s->c[SC_CALLS] <= u->own_total + 1)
		{
			ds->counters.own_calls_filtered += d.row.c[SC_CALLS];
			continue;
		}
		if (u != NULL && u->calls > 0 && s->key.toplevel)
			subtract_own(&d.row, u, &ds->counters);
		if (d.row.c[SC_CALLS] == 0)
			continue;
		u = usage_of(uidx, &usage, &nusage, &capusage, &tk);
		u->shape_calls += d.row.c[SC_CALLS];
		shape_row_own_strings(ds->arena, &d.row, true);
		ds->shapes[ds->nshapes++] = d;
	}
	for (i = 0; prev != NULL && i < prev->nshapes; i++)
	{
		if (!matched[i])
			ds->counters.entries_disappeared++;
	}

	/* what no attribution entry accounts for, and attributions without a shape */
	{
		HashMap    *cidx = hm_create(sizeof(TripleKey), (size_t) cur->nshapes);

		for (i = 0; i < cur->nshapes; i++)
		{
			TripleKey	tk = triple_of(cur->shapes[i].key.shape_id, cur->shapes[i].key.userid,
									   cur->shapes[i].key.dbid);

			hm_put(cidx, &tk, 1);
		}
		for (i = 0; i < ds->nattrs; i++)
		{
			const AttrRow *a = &ds->attrs[i].row;
			TripleKey	tk = triple_of(a->key.shape_id, a->key.userid, a->key.dbid);

			if (!hm_get(cidx, &tk, NULL))
				ds->counters.attribution_orphans++;
		}
		for (i = 0; i < nusage; i++)
		{
			if (usage[i].shape_calls > usage[i].attributed_calls)
				ds->counters.untagged_calls += usage[i].shape_calls - usage[i].attributed_calls;
		}
		hm_free(cidx);
	}

	ds->waits = arena_alloc(ds->arena, sizeof(CountRow) * (size_t) (cur->nwaits + 1));
	ds->nwaits = count_rows_delta(prev ? prev->waits : NULL, prev ? prev->nwaits : 0,
								  cur->waits, cur->nwaits, force_zero, ds->waits);
	ds->errors = arena_alloc(ds->arena, sizeof(CountRow) * (size_t) (cur->nerrors + 1));
	ds->nerrors = count_rows_delta(prev ? prev->errors : NULL, prev ? prev->nerrors : 0,
								   cur->errors, cur->nerrors, force_zero, ds->errors);

	free(matched);
	free(usage);
	hm_free(pidx);
	hm_free(uidx);
	return ds;
}

Reading *
reading_create(void)
{
	Reading    *r = xcalloc(1, sizeof(Reading));

	r->arena = arena_create();
	return r;
}

void
reading_free(Reading *r)
{
	if (r == NULL)
		return;
	free(r->shapes);
	free(r->attrs);
	free(r->waits);
	free(r->errors);
	arena_free(r->arena);
	free(r);
}

void
delta_free(DeltaSet *d)
{
	if (d == NULL)
		return;
	arena_free(d->arena);
	free(d);
}
