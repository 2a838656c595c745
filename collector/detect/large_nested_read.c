/* large_nested_read.c — one statement reading and returning a very large result through relations. */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

void
detect_large_nested_read(DetectInput *in)
{
	int			i;

	for (i = 0; i < in->nshapes; i++)
	{
		DetShape   *s = &in->shapes[i];
		double		rows_per_call,
					bytes_per_call,
					reads_per_call;
		bool		nested;
		DetFinding *f;
		Sbuf		b;

		if (s->internal || s->command == NULL || strcmp(s->command, "SELECT") != 0 || s->calls == 0)
			continue;
		nested = s->ntables >= 2 || (s->query && strstr(s->query, "LATERAL")) ||
			(s->prisma_shape && strstr(s->prisma_shape, "\"include\""));
		rows_per_call = (double) s->rows / s->calls;
		bytes_per_call = (double) s->bytes / s->calls;
		reads_per_call = (double) s->reads / s->calls;
		if (!nested || (rows_per_call < in->cfg->nested_min_rows_per_call &&
						bytes_per_call < in->cfg->nested_min_bytes_per_call))
			continue;
		if ((f = detect_add(in, "large_nested_read", s->shape_id)) == NULL)
			continue;
		f->severity = bytes_per_call >= 4 * in->cfg->nested_min_bytes_per_call ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"relations\":%d,\"rows_per_call\":%.1f,\"bytes_per_call\":%.0f,"
					"\"reads_per_call\":%.1f,\"calls\":%lld}",
					s->ntables, rows_per_call, bytes_per_call, reads_per_call, (long long) s->calls);
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "One call reads %d relations and returns %.0f rows (about %.0f kB). "
					"Limit the nested relations (fewer fields, a `take`/LIMIT per relation), "
					"paginate the outer list, or split the read so each screen loads what it shows.",
					s->ntables, rows_per_call, bytes_per_call / 1024);
		if (s->attribution && strncmp(s->attribution, "prisma.", 7) == 0)
			sbuf_printf(&b, " In %s, narrow `include` with `select` and `take` on the relation.", s->attribution);
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Work and payload scale with what is returned: a page of 100 parents instead of "
					"%.0f rows cuts reads and bytes by up to %.0f%%.",
					rows_per_call, rows_per_call > 100 ? 100.0 * (1 - 100.0 / rows_per_call) : 0.0);
		f->expected_impact = sbuf_steal(&b);
	}
}
