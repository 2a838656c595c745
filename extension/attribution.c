/*
 * attribution.c — the sqlcommenter comment of one statement, as the store
 * needs it: the tag set (parsed once per distinct comment per backend) and
 * the per-request trace id.
 *
 * Only the statement's own part of the source text is looked at, so a
 * string of 100k statements costs each statement its own bytes; a comment
 * after the last statement's ';' belongs to that statement.  Comments that
 * differ only in traceparent/tracestate share one cache entry: the cache key
 * is the body without those values (comment.h explains why a hit is exact),
 * so a Prisma statement costs a hash, a compare and the traceparent's 55
 * bytes instead of URL decoding and sorting its tags every time.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "attribution.h"
#include "compat.h"
#include "jsoncheck.h"

#define CACHE_SETS	128			/* x 2 ways */
#define CACHE_MAX_BODY	2048	/* longer comments are parsed every time */

typedef struct CommentEntry
{
	uint64		hash;
	int			rest_len;		/* body bytes outside the trace spans */
	PgiTraceSpans spans;		/* where they sit in the body first seen */
	uint64		tagset_id;
	int			ntags;
	int			tagbuf_len;
	unsigned int flags;
	bool		own;			/* the tool's own statements */
	int32		tag_slot;		/* store slot hint of this tag set */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* rest, then tag pairs */
} CommentEntry;

static MemoryContext cache_cxt = NULL;
static CommentEntry *cache[CACHE_SETS * 2];

/* tag pairs of a comment that is not cached, valid until the next call */
static char uncached_buf[PGI_ATTR_TAGBUF];
static int32 uncached_slot;

/* Hash of the body outside the spans; the span offsets are part of it. */
static uint64
rest_hash(const char *body, size_t len, const PgiTraceSpans *sp)
{
	uint64		h = UINT64CONST(0x7067692d636d74);
	size_t		at = 0;
	int			i;

	for (i = 0; i < sp->n; i++)
	{
		h = pgi_fast_hash(body + at, sp->off[i] - at, h);
		at = sp->off[i] + sp->len[i];
	}
	return pgi_fast_hash(body + at, len - at, h);
}

/* Bytes of the rest before span i: the span's place, request-independent. */
static size_t
segment_len(const PgiTraceSpans *sp, int i)
{
	return sp->off[i] - (i > 0 ? sp->off[i - 1] + sp->len[i - 1] : 0);
}

static bool
rest_equal(const CommentEntry *e, const char *body, size_t len,
		   const PgiTraceSpans *sp)
{
	size_t		at = 0,
				r = 0;
	int			i;

	if (e->spans.n != sp->n)
		return false;
	for (i = 0; i < sp->n; i++)
	{
		size_t		seg = segment_len(sp, i);

		if (segment_len(&e->spans, i) != seg ||
			memcmp(e->data + r, body + at, seg) != 0)
			return false;
		r += seg;
		at = sp->off[i] + sp->len[i];
	}
	if ((size_t) e->rest_len - r != len - at)
		return false;
	return memcmp(e->data + r, body + at, len - at) == 0;
}

/* Serialize the kept tags as "key\0value\0" pairs; returns bytes used. */
static int
serialize_tags(const PgiTagSet *ts, char *buf, int bufsz, int *ntags)
{
	int			used = 0;
	int			i;

	*ntags = 0;
	for (i = 0; i < ts->ntags; i++)
	{
		const PgiTag *t = &ts->tags[i];
		int			need = t->key_len + 1 + t->val_len + 1;

		if (used + need > bufsz)
			break;
		memcpy(buf + used, ts->buf + t->key_off, t->key_len);
		used += t->key_len;
		buf[used++] = '\0';
		memcpy(buf + used, ts->buf + t->val_off, t->val_len);
		used += t->val_len;
		buf[used++] = '\0';
		(*ntags)++;
	}
	return used;
}

/* Tag values reach SQL as text: keep them valid in this database. */
static void
encode_for_database(PgiTagSet *ts)
{
	int			i;

	if (GetDatabaseEncoding() == PG_UTF8)
		return;
	for (i = 0; i < ts->used; i++)
		if ((unsigned char) ts->buf[i] >= 0x80)
			ts->buf[i] = '?';
}

/*
 * A Prisma shape that jsonb could not hold (a number beyond numeric's range,
 * \u0000, bad UTF-8, deep nesting, not JSON at all) is cut to "Model.action"
 * and counted as a truncation: one client's comment must not make the
 * attribution view fail for everyone.  Once per distinct comment (cached).
 */
static void
check_prisma_shape(PgiTagSet *ts)
{
	int			i;

	for (i = 0; i < ts->ntags; i++)
	{
		PgiTag	   *t = &ts->tags[i];
		const char *v = ts->buf + t->val_off;
		PgiPrismaQuery pq;
		unsigned char json[PGI_MAX_VALUE_LEN];
		long		jl;

		if (t->key_len != 11 || memcmp(ts->buf + t->key_off, "prismaQuery", 11) != 0)
			continue;
		if (pgi_prisma_split(v, t->val_len, &pq) != 1 || pq.shape_b64_len == 0)
			return;
		jl = pgi_base64url_decode(pq.shape_b64, pq.shape_b64_len, json, sizeof(json));
		if (jl > 0 &&
			pgi_json_check((const char *) json, (size_t) jl, PGI_JSON_MAX_DEPTH,
						   GetDatabaseEncoding() == PG_UTF8 ? 0 : PGI_JSON_ASCII_ONLY))
			return;
		t->val_len = (uint16) (pq.shape_b64 - v - 1);	/* without ":<shape>" */
		ts->flags |= PGI_TAGS_TRUNCATED;
		return;
	}
}

static void
count_flags(unsigned int flags)
{
	if (flags & PGI_TAGS_REJECTED)
		pg_atomic_fetch_add_u64(&pgi_shared->comments_rejected, 1);
	if (flags & PGI_TAGS_TRUNCATED)
		pg_atomic_fetch_add_u64(&pgi_shared->tags_truncated, 1);
}

/*
 * pg_insights' own statements say so: the collector, the dashboard and the
 * demo tag theirs application='pg_insights_...'.  Decided once per comment.
 */
#define OWN_PREFIX "pg_insights"

static bool
tags_are_own(const PgiTagSet *ts)
{
	int			i;

	for (i = 0; i < ts->ntags; i++)
	{
		const PgiTag *t = &ts->tags[i];

		if (t->key_len == 11 && memcmp(ts->buf + t->key_off, "application", 11) == 0)
			return t->val_len >= sizeof(OWN_PREFIX) - 1 &&
				memcmp(ts->buf + t->val_off, OWN_PREFIX, sizeof(OWN_PREFIX) - 1) == 0;
	}
	return false;
}

void
pgi_count_own(double time_ms)
{
	pg_atomic_fetch_add_u64(&pgi_shared->own_calls, 1);
	pg_atomic_fetch_add_u64(&pgi_shared->own_time_us, (uint64) (Max(time_ms, 0.0) * 1000.0));
}

/* Remember a parsed trailing comment; NULL when it cannot be kept. */
static CommentEntry *
cache_put(CommentEntry **way, const char *body, size_t len,
		  const PgiTraceSpans *sp, uint64 hash, const PgiTagSet *ts)
{
	char		pairs[PGI_ATTR_TAGBUF];
	int			ntags,
				npairs,
				rest = (int) len,
				i,
				r = 0;
	size_t		at = 0;
	CommentEntry *e;

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "pg_insights comments",
										  ALLOCSET_SMALL_SIZES);
	for (i = 0; i < sp->n; i++)
		rest -= (int) sp->len[i];
	npairs = serialize_tags(ts, pairs, sizeof(pairs), &ntags);
	e = MemoryContextAllocExtended(cache_cxt, offsetof(CommentEntry, data) + rest + npairs,
								   MCXT_ALLOC_NO_OOM);
	if (e == NULL)
		return NULL;
	e->rest_len = rest;
	e->spans = *sp;
	for (i = 0; i < sp->n; i++)
	{
		memcpy(e->data + r, body + at, sp->off[i] - at);
		r += (int) (sp->off[i] - at);
		at = sp->off[i] + sp->len[i];
	}
	memcpy(e->data + r, body + at, len - at);
	memcpy(e->data + rest, pairs, npairs);
	e->tagbuf_len = npairs;
	e->ntags = ntags;
	e->tagset_id = pgi_tagset_hash(ts);
	e->flags = ts->flags;
	e->own = tags_are_own(ts);
	e->tag_slot = -1;
	e->hash = hash;

	/* the way used least recently goes: way[0] is the most recent */
	if (way[1] != NULL)
		pfree(way[1]);
	way[1] = way[0];
	way[0] = e;
	return e;
}

static void
fill_from_entry(PgiCaptured *out, CommentEntry *e)
{
	out->tags.tagset_id = e->tagset_id;
	out->tags.buf = e->data + e->rest_len;
	out->tags.len = e->tagbuf_len;
	out->tags.ntags = e->ntags;
	out->tags.slot_hint = &e->tag_slot;
	out->own = e->own;
}

/*
 * The part of source that belongs to the statement at location/len: its
 * own span, plus what follows it when only blanks, ';' and comments
 * follow (the comment of the last statement of a string).
 */
static const char *
statement_region(const char *source, int location, int len, size_t *rlen)
{
	const char *start = source + Max(location, 0);
	const char *p;

	if (location < 0 || len <= 0)
	{
		*rlen = strlen(start);
		return start;
	}
	p = start + len;
	for (;;)
	{
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';' ||
			   *p == '\f' || *p == '\v')
			p++;
		if (p[0] == '/' && p[1] == '*')
		{
			const char *close = strstr(p + 2, "*/");

			if (close == NULL)
				break;
			p = close + 2;
			continue;
		}
		break;
	}
	*rlen = (*p == '\0') ? (size_t) (p - start) : (size_t) len;
	return start;
}

bool
pgi_capture(const char *source, int location, int len, PgiCaptured *out)
{
	const char *text;
	size_t		tlen,
				boff,
				blen,
				e,
				b;
	PgiTagSet	ts;
	int			n;

	out->has_trace_id = false;
	out->own = false;
	memset(&out->tags, 0, sizeof(out->tags));
	if (!pgi_capture_comments || source == NULL)
		return false;
	pgi_stmt_leading_comments(source, &location, &len);
	text = statement_region(source, location, len, &tlen);

	/* fast exit: no comment can be at either end */
	e = tlen;
	while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == ';' || text[e - 1] == '\n' ||
					 text[e - 1] == '\t' || text[e - 1] == '\r'))
		e--;
	b = 0;
	while (b < tlen && (text[b] == ' ' || text[b] == '\n' || text[b] == '\t' || text[b] == '\r'))
		b++;
	if ((e < 4 || text[e - 1] != '/') && (b + 1 >= tlen || text[b] != '/'))
		return false;

	/* the trailing comment, from the cache when seen before */
	if (pgi_find_trailing_comment(text, tlen, &boff, &blen) && blen <= CACHE_MAX_BODY)
	{
		const char *body = text + boff;
		PgiTraceSpans sp;
		uint64		h;
		CommentEntry **way;
		int			has_trace;

		pgi_comment_quick_spans(body, blen, &sp, out->trace_id, &has_trace);
		out->has_trace_id = has_trace != 0;
		h = rest_hash(body, blen, &sp);
		way = &cache[(h % CACHE_SETS) * 2];
		if (way[0] != NULL && way[0]->hash == h && rest_equal(way[0], body, blen, &sp))
		{
			count_flags(way[0]->flags);
			fill_from_entry(out, way[0]);
			return out->tags.ntags > 0 || out->has_trace_id;
		}
		if (way[1] != NULL && way[1]->hash == h && rest_equal(way[1], body, blen, &sp))
		{
			CommentEntry *hit = way[1];

			way[1] = way[0];
			way[0] = hit;
			count_flags(hit->flags);
			fill_from_entry(out, hit);
			return out->tags.ntags > 0 || out->has_trace_id;
		}

		/* first time: parse; keep it when the quick look agrees exactly */
		{
			PgiTraceSpans parsed;
			uint8		quick_trace[16];
			bool		quick_has = out->has_trace_id;

			memcpy(quick_trace, out->trace_id, sizeof(quick_trace));
			pgi_comment_parse_spans(body, blen, &ts, &parsed);
			check_prisma_shape(&ts);
			if (ts.ntags > 0 || ts.trace_id[0] != '\0')
			{
				CommentEntry *ent = NULL;

				count_flags(ts.flags);
				encode_for_database(&ts);
				out->has_trace_id = pgi_trace_id_from_hex(ts.trace_id, out->trace_id) != 0;
				if (parsed.n == sp.n &&
					memcmp(parsed.off, sp.off, sizeof(size_t) * sp.n) == 0 &&
					memcmp(parsed.len, sp.len, sizeof(size_t) * sp.n) == 0 &&
					quick_has == out->has_trace_id &&
					memcmp(quick_trace, out->trace_id, sizeof(quick_trace)) == 0)
					ent = cache_put(way, body, blen, &sp, h, &ts);
				if (ent != NULL)
					fill_from_entry(out, ent);
				else
				{
					out->tags.buf = uncached_buf;
					out->tags.len = serialize_tags(&ts, uncached_buf, sizeof(uncached_buf),
												   &out->tags.ntags);
					out->tags.tagset_id = pgi_tagset_hash(&ts);
					uncached_slot = -1;
					out->tags.slot_hint = &uncached_slot;
					out->own = tags_are_own(&ts);
				}
				return true;
			}
		}
	}

	/* a leading comment, a long one, or a trailing one that carried nothing */
	n = pgi_tags_from_text(text, tlen, &ts);
	check_prisma_shape(&ts);
	count_flags(ts.flags);
	out->has_trace_id = pgi_trace_id_from_hex(ts.trace_id, out->trace_id) != 0;
	if (n <= 0)
		return out->has_trace_id;
	encode_for_database(&ts);
	out->tags.buf = uncached_buf;
	out->tags.len = serialize_tags(&ts, uncached_buf, sizeof(uncached_buf), &out->tags.ntags);
	out->tags.tagset_id = pgi_tagset_hash(&ts);
	uncached_slot = -1;
	out->tags.slot_hint = &uncached_slot;
	out->own = tags_are_own(&ts);
	return true;
}
