/* offset_pagination.c — one LIMIT/OFFSET shape whose reads grow with the offset. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

typedef struct Page
{
	int64_t		offset;
	double		reads;
	double		ms;
	int			n;
} Page;

static int
cmp_page(const void *a, const void *b)
{
	int64_t		x = ((const Page *) a)->offset,
				y = ((const Page *) b)->offset;

	return (x > y) - (x < y);
}

/* The ORDER BY list of the statement's last ORDER BY, up to LIMIT/OFFSET/end. */
static char *
order_by(const char *q)
{
	const char *p,
			   *last = NULL,
			   *end;
	char	   *out;

	for (p = q; *p; p++)
		if (strncasecmp(p, "order by", 8) == 0)
			last = p + 8;
	if (last == NULL)
		return NULL;
	while (*last == ' ')
		last++;
	end = last;
	while (*end && strncasecmp(end, " limit", 6) != 0 && strncasecmp(end, " offset", 7) != 0 &&
		   strncasecmp(end, " for ", 5) != 0)
		end++;
	out = xmalloc(end - last + 1);
	memcpy(out, last, end - last);
	out[end - last] = '\0';
	return out;
}

void
detect_offset_pagination(DetectInput *in)
{
	int			i,
				j;
	int64_t    *done = xcalloc(in->nevents + 1, sizeof(int64_t));
	int			ndone = 0;

	for (i = 0; i < in->nevents; i++)
	{
		int64_t		shape_id = in->events[i].shape_id;
		Page	   *pages;
		int			npages = 0,
					k;
		DetShape   *s;
		DetFinding *f;
		Sbuf		b;
		char	   *ob;
		bool		seen = false;

		if (in->events[i].offset_value < 0)
			continue;
		for (k = 0; k < ndone; k++)
			seen |= done[k] == shape_id;
		if (seen)
			continue;
		done[ndone++] = shape_id;

		/* average reads per distinct offset */
		pages = xcalloc(in->nevents, sizeof(Page));
		for (j = i; j < in->nevents; j++)
		{
			DetEvent   *e = &in->events[j];

			if (e->shape_id != shape_id || e->offset_value < 0)
				continue;
			for (k = 0; k < npages && pages[k].offset != e->offset_value; k++)
				;
			if (k == npages)
			{
				pages[npages].offset = e->offset_value;
				npages++;
			}
			pages[k].reads += e->reads;
			pages[k].ms += e->duration_ms;
			pages[k].n++;
		}
		for (k = 0; k < npages; k++)
		{
			pages[k].reads /= pages[k].n;
			pages[k].ms /= pages[k].n;
		}
		qsort(pages, npages, sizeof(Page), cmp_page);

		s = detect_shape(in, shape_id);
		/* deeper pages must cost more: in reads, or in time when every page sorts the whole set */
		if (s == NULL || s->internal || npages < 3 || pages[npages - 1].offset < in->cfg->offset_min ||
			(pages[npages - 1].reads < in->cfg->offset_growth * (pages[0].reads > 1 ? pages[0].reads : 1) &&
			 pages[npages - 1].ms < in->cfg->offset_growth * (pages[0].ms > 0.05 ? pages[0].ms : 0.05)) ||
			(f = detect_add(in, "offset_pagination", shape_id)) == NULL)
		{
			free(pages);
			continue;
		}
		f->severity = pages[npages - 1].reads >= 10 * (pages[0].reads > 1 ? pages[0].reads : 1) ? "critical" : "warning";

		sbuf_init(&b);
		sbuf_printf(&b, "{\"pages\":[");
		for (k = 0; k < npages && k < 12; k++)
			sbuf_printf(&b, "%s{\"offset\":%lld,\"reads\":%.1f,\"mean_ms\":%.3f,\"executions\":%d}", k ? "," : "",
						(long long) pages[k].offset, pages[k].reads, pages[k].ms, pages[k].n);
		sbuf_printf(&b, "],\"reads_first_page\":%.1f,\"reads_deepest_page\":%.1f,"
					"\"ms_first_page\":%.3f,\"ms_deepest_page\":%.3f,\"deepest_offset\":%lld}",
					pages[0].reads, pages[npages - 1].reads, pages[0].ms, pages[npages - 1].ms,
					(long long) pages[npages - 1].offset);
		f->evidence = sbuf_steal(&b);

		ob = s->query ? order_by(s->query) : NULL;
		sbuf_init(&b);
		sbuf_printf(&b, "OFFSET makes the server produce and discard every earlier row: the page at offset %lld "
					"took %.2f ms and %.0f reads, the first page %.2f ms and %.0f reads. Use keyset (cursor) "
					"pagination: remember the last row's sort key and ask for ",
					(long long) pages[npages - 1].offset, pages[npages - 1].ms, pages[npages - 1].reads,
					pages[0].ms, pages[0].reads);
		if (ob)
			sbuf_printf(&b, "WHERE (%s) > (<last row's values>) ORDER BY %s LIMIT n", ob, ob);
		else
			sbuf_printf(&b, "rows after it with WHERE key > <last key> ORDER BY key LIMIT n");
		if (s->attribution && strncmp(s->attribution, "prisma.", 7) == 0)
			sbuf_printf(&b, " (Prisma: `cursor` + `skip: 1` + `take` instead of `skip`)");
		sbuf_printf(&b, ", with an index on the sort key.");
		f->suggestion = sbuf_steal(&b);

		sbuf_init(&b);
		sbuf_printf(&b, "Every page costs about what the first page costs (%.2f ms, %.0f reads) instead of "
					"growing with depth (%.2f ms, %.0f reads at offset %lld).",
					pages[0].ms, pages[0].reads, pages[npages - 1].ms, pages[npages - 1].reads,
					(long long) pages[npages - 1].offset);
		f->expected_impact = sbuf_steal(&b);
		free(ob);
		free(pages);
	}
	free(done);
}
