/*
 * fuzz_comment.c — libFuzzer target: comment.c's finder, parser and decoders on arbitrary bytes, invariants checked.
 */
#include "comment.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQUIRE(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* An independent UTF-8 check: decode code points, then judge them. */
static int
utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0;

	while (i < len)
	{
		unsigned long cp;
		size_t		n,
					k;

		if (s[i] < 0x80)
		{
			i++;
			continue;
		}
		if ((s[i] & 0xE0) == 0xC0)
			n = 2, cp = s[i] & 0x1F;
		else if ((s[i] & 0xF0) == 0xE0)
			n = 3, cp = s[i] & 0x0F;
		else if ((s[i] & 0xF8) == 0xF0)
			n = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
			(n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n;
	}
	return 1;
}

static int
no_controls(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7F)
			return 0;
	}
	return 1;
}

static int
lower_hex(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

static int
ieq(const char *a, size_t alen, const char *b)
{
	size_t		i;

	if (alen != strlen(b))
		return 0;
	for (i = 0; i < alen; i++)
	{
		char		c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != b[i])
			return 0;
	}
	return 1;
}

static int
is_ident(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

static void
check_prisma(const char *val, size_t len)
{
	PgiPrismaQuery pq;
	int			ok = pgi_prisma_split(val, len, &pq);

	if (!ok)
	{
		REQUIRE(pq.model_len == 0 && pq.action_len == 0 && pq.shape_b64_len == 0);
		return;
	}
	REQUIRE(pq.action_len > 0);
	REQUIRE(pq.model >= val && pq.model + pq.model_len <= val + len);
	REQUIRE(pq.action >= val && pq.action + pq.action_len <= val + len);
	REQUIRE(pq.shape_b64 >= val && pq.shape_b64 + pq.shape_b64_len <= val + len);
	REQUIRE(is_ident(pq.model, pq.model_len));
	REQUIRE(is_ident(pq.action, pq.action_len));
	if (pq.shape_b64_len > 0)
	{
		unsigned char *shape = malloc(pq.shape_b64_len);
		long		n;

		REQUIRE(shape != NULL);
		n = pgi_base64url_decode(pq.shape_b64, pq.shape_b64_len, shape, pq.shape_b64_len);
		REQUIRE(n >= -1 && n <= (long) pq.shape_b64_len);
		free(shape);
	}
}

/* length of a NUL-terminated string held in an array of cap bytes, or cap */
static size_t
bounded_len(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	return nul ? (size_t) (nul - s) : cap;
}

static void
check_tagset(const PgiTagSet *ts, int ret)
{
	int			i;
	size_t		tl = bounded_len(ts->trace_id, sizeof(ts->trace_id));
	size_t		sl = bounded_len(ts->span_id, sizeof(ts->span_id));

	REQUIRE(ret == ts->ntags);
	REQUIRE(ts->ntags >= 0 && ts->ntags <= PGI_MAX_TAGS);
	REQUIRE(ts->used >= 0 && ts->used <= PGI_TAGBUF_SIZE);
	REQUIRE((ts->flags & ~(unsigned) (PGI_TAGS_TRUNCATED | PGI_TAGS_MALFORMED | PGI_TAGS_REJECTED)) == 0);
	REQUIRE(!(ts->flags & PGI_TAGS_REJECTED) || ts->ntags == 0);
	REQUIRE((tl == 0 && sl == 0) || (tl == 32 && sl == 16));
	REQUIRE(lower_hex(ts->trace_id, tl) && lower_hex(ts->span_id, sl));
	REQUIRE((pgi_tagset_hash(ts) == 0) == (ts->ntags == 0));

	for (i = 0; i < ts->ntags; i++)
	{
		const PgiTag *t = &ts->tags[i];
		const char *key = ts->buf + t->key_off;
		const char *val = ts->buf + t->val_off;
		const char *got;
		size_t		glen = 12345;

		REQUIRE(t->key_len >= 1 && t->key_len <= PGI_MAX_KEY_LEN);
		REQUIRE(t->val_len <= PGI_MAX_VALUE_LEN);
		REQUIRE((int) t->key_off + t->key_len < ts->used);
		REQUIRE((int) t->val_off + t->val_len < ts->used);
		REQUIRE(key[t->key_len] == '\0' && val[t->val_len] == '\0');
		REQUIRE(utf8_ok(key, t->key_len) && utf8_ok(val, t->val_len));
		REQUIRE(no_controls(key, t->key_len) && no_controls(val, t->val_len));
		REQUIRE(!ieq(key, t->key_len, "traceparent") && !ieq(key, t->key_len, "tracestate"));
		if (i > 0)
		{
			const PgiTag *p = &ts->tags[i - 1];
			size_t		n = p->key_len < t->key_len ? p->key_len : t->key_len;
			int			r = memcmp(ts->buf + p->key_off, key, n);

			REQUIRE(r < 0 || (r == 0 && p->key_len < t->key_len));
		}
		got = pgi_tag_get(ts, key, &glen);
		REQUIRE(got == val && glen == t->val_len);
		check_prisma(val, t->val_len);
	}
}

static void
check_url_decode(const char *in, size_t len, size_t small)
{
	char	   *full = malloc(len + 1);
	char	   *cut = malloc(small > 0 ? small : 1);
	int			tr = -1;
	size_t		n,
				m;

	REQUIRE(full != NULL && cut != NULL);
	n = pgi_url_decode(in, len, full, len + 1, &tr);
	REQUIRE(n <= len && full[n] == '\0' && tr == 0);

	m = pgi_url_decode(in, len, small > 0 ? cut : NULL, small, &tr);
	if (small == 0)
		REQUIRE(m == 0 && tr == (len > 0));
	else
	{
		REQUIRE(m < small && cut[m] == '\0');
		REQUIRE(memcmp(cut, full, m) == 0);
		REQUIRE(tr == (n > m));
	}
	free(full);
	free(cut);
}

static void
check_base64(const char *in, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t		cap = len;
	unsigned char *out = malloc(cap > 0 ? cap : 1);
	long		n;

	REQUIRE(out != NULL);
	n = pgi_base64url_decode(in, len, out, cap);
	REQUIRE(n >= -1 && n <= (long) cap);
	if (n > 0)
	{
		/* re-encode, decode again: the same bytes */
		size_t		elen = 0;
		char	   *enc = malloc((size_t) n * 2 + 4);
		unsigned char *again = malloc((size_t) n);
		long		i;
		long		m;

		REQUIRE(enc != NULL && again != NULL);
		for (i = 0; i + 2 < n; i += 3)
		{
			unsigned long v = ((unsigned long) out[i] << 16) | ((unsigned long) out[i + 1] << 8) | out[i + 2];

			enc[elen++] = alphabet[(v >> 18) & 63];
			enc[elen++] = alphabet[(v >> 12) & 63];
			enc[elen++] = alphabet[(v >> 6) & 63];
			enc[elen++] = alphabet[v & 63];
		}
		if (n - i == 1)
		{
			enc[elen++] = alphabet[out[i] >> 2];
			enc[elen++] = alphabet[(out[i] & 3) << 4];
		}
		else if (n - i == 2)
		{
			enc[elen++] = alphabet[out[i] >> 2];
			enc[elen++] = alphabet[((out[i] & 3) << 4) | (out[i + 1] >> 4)];
			enc[elen++] = alphabet[(out[i + 1] & 15) << 2];
		}
		m = pgi_base64url_decode(enc, elen, again, (size_t) n);
		REQUIRE(m == n && memcmp(again, out, (size_t) n) == 0);
		/* one byte too small a buffer is refused */
		REQUIRE(pgi_base64url_decode(in, len, out, (size_t) n - 1) == -1);
		free(enc);
		free(again);
	}
	free(out);
}

static void
check_sanitize(const char *in, size_t len)
{
	char	   *s = malloc(len > 0 ? len : 1);
	size_t		i;
	int			was_valid = utf8_ok(in, len);

	REQUIRE(s != NULL);
	memcpy(s, in, len);
	REQUIRE(pgi_utf8_sanitize(s, len) == len);
	REQUIRE(utf8_ok(s, len));
	for (i = 0; i < len; i++)
		REQUIRE(s[i] == in[i] || s[i] == '?');
	if (was_valid)
		REQUIRE(memcmp(s, in, len) == 0);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static PgiTagSet ts;
	static PgiTagSet ts2;
	const char *text = (const char *) data;
	size_t		off = 0,
				len = 0;
	int			n;

	/* the finder returns a span strictly between the delimiters */
	if (pgi_comment_find(text, size, &off, &len))
	{
		REQUIRE(off >= 2 && off + len + 2 <= size);
		REQUIRE(text[off - 2] == '/' && text[off - 1] == '*');
		REQUIRE(text[off + len] == '*' && text[off + len + 1] == '/');
	}

	/* whole text, twice: deterministic */
	n = pgi_tags_from_text(text, size, &ts);
	check_tagset(&ts, n);
	n = pgi_tags_from_text(text, size, &ts2);
	REQUIRE(n == ts.ntags && ts2.flags == ts.flags);
	REQUIRE(pgi_tagset_hash(&ts) == pgi_tagset_hash(&ts2));
	REQUIRE(memcmp(ts.trace_id, ts2.trace_id, sizeof(ts.trace_id)) == 0 ||
			(ts.trace_id[0] == '\0' && ts2.trace_id[0] == '\0'));

	/* the bytes as a comment body */
	n = pgi_comment_parse(text, size, &ts);
	check_tagset(&ts, n);
	if (size > PGI_MAX_COMMENT_LEN)
		REQUIRE(n == 0 && ts.flags == PGI_TAGS_REJECTED);

	/*
	 * The quick scan's spans are ordered, disjoint and inside the body; where
	 * they are all of the parser's spans, its trace id is the parser's (the
	 * cache keeps an entry only then).
	 */
	{
		PgiTraceSpans quick,
					parsed;
		uint8_t		trace_id[16],
					parsed_id[16];
		int			has_trace,
					parsed_has,
					i;

		if (pgi_comment_quick_spans(text, size, &quick, trace_id, &has_trace) > 0)
		{
			REQUIRE(quick.n <= PGI_TRACE_SPANS);
			for (i = 0; i < quick.n; i++)
				REQUIRE(quick.off[i] + quick.len[i] <= size);
			REQUIRE(quick.n < 2 || quick.off[0] + quick.len[0] <= quick.off[1]);
			pgi_comment_parse_spans(text, size, &ts, &parsed);
			parsed_has = pgi_trace_id_from_hex(ts.trace_id, parsed_id);
			/* with PGI_TRACE_SPANS values the parser may have seen more */
			if (parsed.n == quick.n && parsed.n < PGI_TRACE_SPANS &&
				memcmp(parsed.off, quick.off, sizeof(size_t) * quick.n) == 0 &&
				memcmp(parsed.len, quick.len, sizeof(size_t) * quick.n) == 0)
				REQUIRE(parsed_has == has_trace &&
						memcmp(parsed_id, trace_id, sizeof(trace_id)) == 0);
		}
		else
			REQUIRE(!has_trace);
	}

	/* decoders */
	check_url_decode(text, size, size > 0 ? (size_t) data[0] % 24 : 0);
	check_base64(text, size);
	check_prisma(text, size);
	check_sanitize(text, size);
	return 0;
}
