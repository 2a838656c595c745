/* repeated_query.c — the same statement with the same arguments, many times, across requests. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

typedef struct Rep
{
	int64_t		shape_id;
	int64_t		param_hash;
	int64_t		group;
	int			idx;
} Rep;

static int
cmp_rep(const void *a, const void *b)
{
	const Rep  *x = a,
			   *y = b;

	if (x->shape_id != y->shape_id)
		return x->shape_id < y->shape_id ? -1 : 1;
	if (x->param_hash != y->param_hash)
		return x->param_hash < y->param_hash ? -1 : 1;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->idx - y->idx;
}

void
detect_repeated_query(DetectInput *in)
{
	int64_t    *group;
	char	   *grouped_by;
	Rep		   *reps;
	int			i,
				start;

	if (in->nevents == 0)
		return;
	group = xmalloc(sizeof(int64_t) * in->nevents);
	grouped_by = xmalloc(in->nevents);
	reps = xmalloc(sizeof(Rep) * in->nevents);
	detect_request_groups(in, group, grouped_by);
	for (i = 0; i < in->nevents; i++)
	{
		reps[i].shape_id = in->events[i].shape_id;
		reps[i].param_hash = in->events[i].param_hash;
		reps[i].group = group[i];
		reps[i].idx = i;
	}
	qsort(reps, in->nevents, sizeof(Rep), cmp_rep);

	for (start = 0; start < in->nevents; start = i)
	{
		int			n,
					requests = 1,
					k;
		int64_t		first_us,
					last_us;
		double		ms = 0;
		DetShape   *s;
		DetFinding *f;
		Sbuf		b;

		for (i = start; i < in->nevents && reps[i].shape_id == reps[start].shape_id &&
			 reps[i].param_hash == reps[start].param_hash; i++)
			;
		n = i - start;
		if (n < in->cfg->repeat_min)
			continue;
		s = detect_shape(in, reps[start].shape_id);
		if (s == NULL || s->internal || s->command == NULL || strcmp(s->command, "SELECT") != 0)
			continue;
		first_us = last_us = in->events[reps[start].idx].end_us;
		for (k = start; k < i; k++)
		{
			DetEvent   *e = &in->events[reps[k].idx];

			if (k > start && reps[k].group != reps[k - 1].group)
				requests++;
			if (e->end_us < first_us)
				first_us = e->end_us;
			if (e->end_us > last_us)
				last_us = e->end_us;
			ms += e->duration_ms;
		}
		/* repeats inside one request are the N+1 detector's business */
		if (requests < 2 || (f = detect_add(in, "repeated_query", s->shape_id)) == NULL)
			continue;
		f->severity = n >= 10 * in->cfg->repeat_min ? "critical" : "info";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"identical_executions\":%d,\"requests\":%d,\"window_s\":%.3f,\"time_ms\":%.3f,"
					"\"rows_per_call\":%.1f}",
					n, requests, (double) (last_us - first_us) / 1e6, ms,
					s->calls ? (double) s->rows / s->calls : 0.0);
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "The same statement with the same arguments ran %d times in %.0f ms across %d requests. "
					"Cache the result in the application (or reuse it within a request) and invalidate it "
					"when the underlying rows change.",
					n, (double) (last_us - first_us) / 1e3, requests);
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Up to %d of %d executions (%.2f ms of database time in this window) avoided.",
					n - 1, n, ms * (n - 1) / n);
		f->expected_impact = sbuf_steal(&b);
	}
	free(reps);
	free(group);
	free(grouped_by);
}
