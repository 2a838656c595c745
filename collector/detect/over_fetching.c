/* over_fetching.c — many columns / wide rows returned per call (SELECT *, Prisma calls without select). */
#include <stdlib.h>
#include <string.h>

#include "detect.h"

void
detect_over_fetching(DetectInput *in)
{
	int			i;

	for (i = 0; i < in->nshapes; i++)
	{
		DetShape   *s = &in->shapes[i];
		double		bytes_per_call;
		DetFinding *f;
		Sbuf		b;
		bool		star;

		if (s->internal || s->command == NULL || strcmp(s->command, "SELECT") != 0 ||
			s->calls < in->cfg->index_min_calls || s->columns < in->cfg->overfetch_min_columns)
			continue;
		bytes_per_call = (double) s->bytes / s->calls;
		if (bytes_per_call < in->cfg->overfetch_min_bytes_per_call)
			continue;
		if ((f = detect_add(in, "over_fetching", s->shape_id)) == NULL)
			continue;
		star = s->query && (strstr(s->query, "SELECT *") || strstr(s->query, "select *") ||
							strstr(s->query, ".*"));
		f->severity = bytes_per_call >= 1024 * 1024 ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"columns\":%d,\"row_width_bytes\":%d,\"rows_per_call\":%.1f,"
					"\"bytes_per_call\":%.0f,\"select_star\":%s}",
					s->columns, s->row_width, (double) s->rows / s->calls, bytes_per_call,
					star ? "true" : "false");
		f->evidence = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Each call returns %d columns (%d bytes per row, about %.0f kB per call). "
					"Select only the columns the caller uses%s.",
					s->columns, s->row_width, bytes_per_call / 1024,
					star ? " instead of SELECT *" : "");
		if (s->attribution && strncmp(s->attribution, "prisma.", 7) == 0)
			sbuf_printf(&b, " In %s, add `select: { ... }` with just the fields you read.", s->attribution);
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Payload shrinks in proportion to the columns dropped: keeping 3 of %d columns "
					"sends roughly %.0f%% less (about %.0f kB less per call).",
					s->columns, 100.0 * (1.0 - 3.0 / s->columns),
					bytes_per_call * (1.0 - 3.0 / s->columns) / 1024);
		f->expected_impact = sbuf_steal(&b);
	}
}
