/*
 * comment.c — sqlcommenter comment location, parsing and decoders (pure C99).
 *
 * No PostgreSQL headers, no allocation: every function works on explicit
 * lengths (embedded NULs are ordinary bytes) and bounded caller buffers, runs
 * in time linear in its input and never reads or writes out of bounds.
 *
 * Parsing rules (see comment.h for the contract):
 *  - the sqlcommenter comment is the last comment of the text (after trailing
 *    whitespace and ';'), body after the nearest preceding opener; failing
 *    that, or when it yields nothing, a comment at the very start;
 *  - a comment body never contains an opener or a closer: `/ * a / * b * / * /`
 *    style nesting is not a sqlcommenter comment and is ignored;
 *  - pairs: key '=' or ':' quoted value, separated by ','; a quote only ends
 *    a value when followed by optional blanks and then ',' or the end, so
 *    the unescaped quotes of the Node commenters stay inside the value;
 *    unquoted values and pairs without '=' are skipped (MALFORMED);
 *  - when more than PGI_MAX_TAGS distinct keys arrive, the smallest keys are
 *    kept, so the result does not depend on the order of the pairs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1			/* memrchr */
#endif

#include "ascii.h"
#include "comment.h"

#include <string.h>

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

static int
is_ident_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '_';
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_valid_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		need;
	size_t		i;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;				/* continuation byte or overlong lead */
	if (c < 0xE0)
		need = 2;
	else if (c < 0xF0)
	{
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (c == 0xED)
			hi = 0x9F;			/* UTF-16 surrogates */
	}
	else if (c < 0xF5)
	{
		need = 4;
		if (c == 0xF0)
			lo = 0x90;			/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;			/* above U+10FFFF */
	}
	else
		return 0;

	if (avail < need)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	}
	return need;
}

/*
 * When a UTF-8 string was cut at len, drop the bytes of a multi-byte
 * character left incomplete at its end.  Returns the new length.
 */
static size_t
utf8_trim_partial(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		back;

	for (back = 1; back <= 4 && back <= len; back++)
	{
		unsigned char c = s[len - back];
		size_t		need;

		if ((c & 0xC0) == 0x80)
			continue;			/* continuation: keep looking for the lead */
		if (c >= 0xF0)
			need = 4;
		else if (c >= 0xE0)
			need = 3;
		else if (c >= 0xC0)
			need = 2;
		else
			need = 1;
		return (need > back) ? len - back : len;
	}
	return len;
}

size_t
pgi_utf8_sanitize(char *str, size_t len)
{
	unsigned char *s = (unsigned char *) str;
	size_t		i = 0;

	while (i < len)
	{
		size_t		n;

		if (s[i] < 0x80)
		{
			i++;
			continue;
		}
		n = utf8_valid_len(s + i, len - i);
		if (n == 0)
		{
			s[i] = '?';
			i++;
		}
		else
			i += n;
	}
	return len;
}

/*
 * URL-decode in[0..len) into out (at most outsz-1 bytes plus a NUL).  When q
 * is not NUL, a backslash followed by q or by a backslash is an escape for
 * that character (sqlcommenter's quote escaping, undone before URL decoding).
 */
static size_t
decode_span(const char *in, size_t len, char q, char *out, size_t outsz,
			int *truncated)
{
	size_t		i = 0;
	size_t		o = 0;

	*truncated = 0;
	if (outsz == 0)
	{
		*truncated = (len > 0);
		return 0;
	}
	while (i < len)
	{
		unsigned char c = (unsigned char) in[i];
		size_t		adv = 1;

		if (q != '\0' && c == '\\' && i + 1 < len &&
			(in[i + 1] == q || in[i + 1] == '\\'))
		{
			c = (unsigned char) in[i + 1];
			adv = 2;
		}
		else if (c == '%')
		{
			size_t		h = i + 1;

			/*
			 * Python doubles the '%' of every escape ("%%2F"): read "%%" as
			 * one '%', which may then start an escape as usual.
			 */
			if (h < len && in[h] == '%')
				h++;
			if (h + 1 < len &&
				pgi_hex_value((unsigned char) in[h]) >= 0 &&
				pgi_hex_value((unsigned char) in[h + 1]) >= 0)
			{
				c = (unsigned char) (pgi_hex_value((unsigned char) in[h]) * 16 +
									 pgi_hex_value((unsigned char) in[h + 1]));
				adv = h + 2 - i;
			}
			else
				adv = h - i;	/* "%%" or an invalid escape: '%' */
		}
		else if (c == '+')
			c = ' ';			/* form encoding (Java) */

		if (o + 1 >= outsz)
		{
			*truncated = 1;
			break;
		}
		out[o++] = (char) c;
		i += adv;
	}
	out[o] = '\0';
	return o;
}

size_t
pgi_url_decode(const char *in, size_t len, char *out, size_t outsz,
			   int *truncated)
{
	int			trunc;
	size_t		n = decode_span(in, len, '\0', out, outsz, &trunc);

	if (truncated)
		*truncated = trunc;
	return n;
}

/*
 * Make a decoded key or value presentable: drop a character cut in half by
 * truncation, replace invalid UTF-8 by '?' and control characters by ' '.
 */
static size_t
clean_text(char *s, size_t len, int truncated)
{
	size_t		i;

	if (truncated)
		len = utf8_trim_partial(s, len);
	pgi_utf8_sanitize(s, len);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7F)
			s[i] = ' ';
	}
	s[len] = '\0';
	return len;
}

/* ---------------------------------------------------------------------
 * Comment location
 * ---------------------------------------------------------------------
 */

/* The comment at the end of the text, after trailing blanks and ';'. */
static int
find_trailing(const char *text, size_t len, size_t *body_off, size_t *body_len)
{
	size_t		e = len;
	size_t		close;
	size_t		i;

	while (e > 0 && (is_blank((unsigned char) text[e - 1]) || text[e - 1] == ';'))
		e--;
	if (e < 4 || text[e - 2] != '*' || text[e - 1] != '/')
		return 0;
	close = e - 2;

	/*
	 * Nearest opener that does not overlap the closer: memrchr/memchr jump
	 * over the body, which rarely holds a '/' or a '*'.
	 */
	i = close - 1;
	while (i > 0)
	{
		const char *slash = memrchr(text, '/', i);
		const char *star;
		size_t		from;

		if (slash == NULL)
			break;
		i = (size_t) (slash - text);
		if (text[i + 1] != '*')
			continue;
		/* a closer inside means this is not one well-formed comment */
		from = i + 2;
		while (from + 1 < close &&
			   (star = memchr(text + from, '*', close - 1 - from)) != NULL)
		{
			if (star[1] == '/')
				return 0;
			from = (size_t) (star - text) + 1;
		}
		*body_off = i + 2;
		*body_len = close - (i + 2);
		return 1;
	}
	return 0;					/* unterminated: not a comment */
}

/* The comment at the very start of the text, after leading blanks. */
static int
find_leading(const char *text, size_t len, size_t *body_off, size_t *body_len)
{
	size_t		s = 0;
	size_t		i;

	while (s < len && is_blank((unsigned char) text[s]))
		s++;
	if (len - s < 4 || text[s] != '/' || text[s + 1] != '*')
		return 0;
	for (i = s + 2; i + 1 < len; i++)
	{
		if (text[i] == '/' && text[i + 1] == '*')
			return 0;			/* nested opener: not a sqlcommenter comment */
		if (text[i] == '*' && text[i + 1] == '/')
		{
			*body_off = s + 2;
			*body_len = i - (s + 2);
			return 1;
		}
	}
	return 0;					/* unterminated: not a comment */
}

int
pgi_comment_find(const char *text, size_t len, size_t *body_off,
				 size_t *body_len)
{
	if (text == NULL)
		return 0;
	if (find_trailing(text, len, body_off, body_len))
		return 1;
	return find_leading(text, len, body_off, body_len);
}

/* ---------------------------------------------------------------------
 * Tag set
 * ---------------------------------------------------------------------
 */

static void
tagset_init(PgiTagSet *ts)
{
	ts->ntags = 0;
	ts->flags = 0;
	ts->used = 0;
	ts->trace_id[0] = '\0';
	ts->span_id[0] = '\0';
	ts->buf[0] = '\0';
}

static int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	int			r = (n > 0) ? memcmp(a, b, n) : 0;

	if (r != 0)
		return r;
	return (alen > blen) - (alen < blen);
}

/*
 * Squeeze out the bytes of replaced or dropped tags.  Each tag's key, NUL,
 * value, NUL form one block; blocks are moved down in address order.
 */
static void
tagset_compact(PgiTagSet *ts)
{
	int			order[PGI_MAX_TAGS];
	int			i;
	int			j;
	size_t		w = 0;

	for (i = 0; i < ts->ntags; i++)
	{
		/* insertion sort by key_off */
		for (j = i; j > 0 && ts->tags[order[j - 1]].key_off > ts->tags[i].key_off; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (i = 0; i < ts->ntags; i++)
	{
		PgiTag	   *t = &ts->tags[order[i]];
		size_t		blk = (size_t) t->key_len + 1 + t->val_len + 1;

		if (t->key_off != w)
			memmove(ts->buf + w, ts->buf + t->key_off, blk);
		t->key_off = (uint16_t) w;
		t->val_off = (uint16_t) (w + t->key_len + 1);
		w += blk;
	}
	ts->used = (int) w;
}

/* Insert or replace (last wins) one decoded, cleaned tag. */
static void
tagset_put(PgiTagSet *ts, const char *key, size_t klen,
		   const char *val, size_t vlen)
{
	int			idx;
	size_t		need;
	size_t		avail;

	for (idx = 0; idx < ts->ntags; idx++)
	{
		const PgiTag *t = &ts->tags[idx];

		if (key_cmp(ts->buf + t->key_off, t->key_len, key, klen) >= 0)
			break;
	}

	if (idx < ts->ntags &&
		key_cmp(ts->buf + ts->tags[idx].key_off, ts->tags[idx].key_len,
				key, klen) == 0)
	{
		/* duplicate key: forget the earlier one, its bytes become garbage */
		memmove(&ts->tags[idx], &ts->tags[idx + 1],
				sizeof(PgiTag) * (size_t) (ts->ntags - idx - 1));
		ts->ntags--;
	}
	else if (ts->ntags >= PGI_MAX_TAGS)
	{
		ts->flags |= PGI_TAGS_TRUNCATED;
		if (idx >= ts->ntags)
			return;				/* sorts after every kept key: drop it */
		ts->ntags--;			/* drop the largest key to make room */
	}

	need = klen + 1 + vlen + 1;
	if ((size_t) ts->used + need > PGI_TAGBUF_SIZE)
		tagset_compact(ts);
	avail = PGI_TAGBUF_SIZE - (size_t) ts->used;
	if (need > avail)
	{
		ts->flags |= PGI_TAGS_TRUNCATED;
		if (avail < klen + 2)
			return;				/* not even the key fits */
		vlen = utf8_trim_partial(val, avail - klen - 2);
	}

	memmove(&ts->tags[idx + 1], &ts->tags[idx],
			sizeof(PgiTag) * (size_t) (ts->ntags - idx));
	ts->tags[idx].key_off = (uint16_t) ts->used;
	ts->tags[idx].key_len = (uint16_t) klen;
	ts->tags[idx].val_off = (uint16_t) (ts->used + klen + 1);
	ts->tags[idx].val_len = (uint16_t) vlen;
	memcpy(ts->buf + ts->used, key, klen);
	ts->buf[ts->used + klen] = '\0';
	memcpy(ts->buf + ts->used + klen + 1, val, vlen);
	ts->buf[ts->used + klen + 1 + vlen] = '\0';
	ts->used += (int) (klen + 1 + vlen + 1);
	ts->ntags++;
}

/*
 * Lowercase spelling of each hex digit, 0 for any other byte: one load per
 * byte checks and folds a traceparent, which arrives with every request.
 */
static const char hex_lower[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
};

/* Copy n hex digits folded to lowercase; 0 unless all are hex and one is not '0'. */
static int
copy_hex_id(const char *s, size_t n, char *out)
{
	size_t		i;
	unsigned int bad = 0,
				nonzero = 0;

	for (i = 0; i < n; i++)
	{
		char		c = hex_lower[(unsigned char) s[i]];

		bad |= (c == 0);
		nonzero |= (c != '0');
		out[i] = c;
	}
	out[n] = '\0';
	return !bad && nonzero;
}

/* W3C traceparent, version 00: 00-<32 hex>-<16 hex>-<2 hex>; ids non-zero. */
int
pgi_traceparent_ids(const char *v, size_t len, char *trace_id, char *span_id)
{
	if (len != 55 || v[0] != '0' || v[1] != '0' ||
		v[2] != '-' || v[35] != '-' || v[52] != '-' ||
		hex_lower[(unsigned char) v[53]] == 0 || hex_lower[(unsigned char) v[54]] == 0 ||
		!copy_hex_id(v + 3, 32, trace_id) || !copy_hex_id(v + 36, 16, span_id))
	{
		trace_id[0] = '\0';
		span_id[0] = '\0';
		return 0;
	}
	return 1;
}

/*
 * Eight hex digits at once: the bytes of a word are checked and turned into
 * their values in parallel (each lane is one byte, so the byte order of the
 * machine does not matter).  Returns 0 unless all eight are hex digits.
 */
#define LANES(b)	(UINT64_C(0x0101010101010101) * (uint64_t) (b))

static int
hex_word(const char *s, uint8_t *nibbles, uint64_t *any)
{
	uint64_t	v,
				l,
				digit,
				alpha,
				nib;

	memcpy(&v, s, 8);
	if (v & LANES(0x80))
		return 0;
	/* a lane's top bit: lo <= x (x + 0x80 - lo), and not x > hi (x + 0x7f - hi) */
	digit = (v + LANES(0x80 - '0')) & ~(v + LANES(0x7f - '9')) & LANES(0x80);
	l = v | LANES(0x20);
	alpha = (l + LANES(0x80 - 'a')) & ~(l + LANES(0x7f - 'f')) & LANES(0x80);
	if ((digit | alpha) != LANES(0x80))
		return 0;
	nib = (l & LANES(0x0f)) + (alpha >> 7) * 9;
	*any |= nib;
	memcpy(nibbles, &nib, 8);
	return 1;
}

/*
 * n/2 bytes from n hex digits (n a multiple of 8) into out, or only checked
 * when out is NULL; 0 unless all are hex and one is not '0'.
 */
static int
hex_to_bytes(const char *s, size_t n, uint8_t *out)
{
	size_t		i;
	uint64_t	any = 0;
	uint8_t		nb[8];

	for (i = 0; i < n; i += 8)
	{
		if (!hex_word(s + i, nb, &any))
			return 0;
		if (out != NULL)
		{
			uint8_t    *o = out + i / 2;

			o[0] = (uint8_t) (nb[0] << 4 | nb[1]);
			o[1] = (uint8_t) (nb[2] << 4 | nb[3]);
			o[2] = (uint8_t) (nb[4] << 4 | nb[5]);
			o[3] = (uint8_t) (nb[6] << 4 | nb[7]);
		}
	}
	return any != 0;
}

int
pgi_traceparent_binary(const char *v, size_t len, uint8_t *trace_id)
{
	if (len == 55 && v[0] == '0' && v[1] == '0' &&
		v[2] == '-' && v[35] == '-' && v[52] == '-' &&
		hex_lower[(unsigned char) v[53]] != 0 && hex_lower[(unsigned char) v[54]] != 0 &&
		hex_to_bytes(v + 3, 32, trace_id) && hex_to_bytes(v + 36, 16, NULL))
		return 1;
	memset(trace_id, 0, 16);
	return 0;
}

int
pgi_trace_id_from_hex(const char *hex, uint8_t *trace_id)
{
	if (strlen(hex) == 32 && hex_to_bytes(hex, 32, trace_id))
		return 1;
	memset(trace_id, 0, 16);
	return 0;
}

/* ---------------------------------------------------------------------
 * Comment body parsing
 * ---------------------------------------------------------------------
 */

int
pgi_comment_parse(const char *body, size_t len, PgiTagSet *out)
{
	return pgi_comment_parse_spans(body, len, out, NULL);
}

int
pgi_comment_parse_spans(const char *body, size_t len, PgiTagSet *out,
						PgiTraceSpans *spans)
{
	size_t		p = 0;
	int			npairs = 0;
	int			nonblank = 0;

	tagset_init(out);
	if (spans)
		spans->n = 0;
	if (body == NULL)
		return 0;
	if (len > PGI_MAX_COMMENT_LEN)
	{
		out->flags |= PGI_TAGS_REJECTED;
		return 0;
	}

	while (p < len)
	{
		size_t		ks,
					ke,
					vs,
					ve;
		size_t		r = 0;
		char		q;
		int			closed = 0;
		char		kbuf[PGI_MAX_KEY_LEN + 1];
		char		vbuf[PGI_MAX_VALUE_LEN + 1];
		size_t		klen,
					vlen;
		int			ktrunc,
					vtrunc;

		/* between pairs: blanks and stray commas */
		while (p < len && (is_blank((unsigned char) body[p]) || body[p] == ','))
		{
			if (body[p] == ',')
				nonblank = 1;
			p++;
		}
		if (p >= len)
			break;
		nonblank = 1;

		/* key: up to '=' or ':' */
		ks = p;
		while (p < len && body[p] != '=' && body[p] != ':' && body[p] != ',')
			p++;
		if (p >= len || body[p] == ',')
		{
			out->flags |= PGI_TAGS_MALFORMED;	/* no '=': skip the piece */
			continue;
		}
		ke = p;
		while (ke > ks && is_blank((unsigned char) body[ke - 1]))
			ke--;
		p++;

		/* value: quoted */
		while (p < len && is_blank((unsigned char) body[p]))
			p++;
		if (p >= len || (body[p] != '\'' && body[p] != '"'))
		{
			out->flags |= PGI_TAGS_MALFORMED;	/* unquoted: skip the pair */
			while (p < len && body[p] != ',')
				p++;
			continue;
		}
		q = body[p++];
		vs = p;
		while (p < len)
		{
			if (body[p] == '\\' && p + 1 < len &&
				(body[p + 1] == q || body[p + 1] == '\\'))
			{
				p += 2;
				continue;
			}
			if (body[p] == q)
			{
				r = p + 1;
				while (r < len && is_blank((unsigned char) body[r]))
					r++;
				if (r >= len || body[r] == ',')
				{
					closed = 1;
					break;
				}
				/* a quote inside the value (unescaped by the client) */
			}
			p++;
		}
		if (!closed)
		{
			out->flags |= PGI_TAGS_MALFORMED;	/* unterminated value */
			break;
		}
		ve = p;
		p = r;

		klen = decode_span(body + ks, ke - ks, '\0', kbuf, sizeof(kbuf), &ktrunc);
		klen = clean_text(kbuf, klen, ktrunc);
		if (klen == 0)
		{
			out->flags |= PGI_TAGS_MALFORMED;	/* empty key */
			continue;
		}
		vlen = decode_span(body + vs, ve - vs, q, vbuf, sizeof(vbuf), &vtrunc);
		vlen = clean_text(vbuf, vlen, vtrunc);
		npairs++;

		if (pgi_ascii_word_is(kbuf, klen, "traceparent") ||
			pgi_ascii_word_is(kbuf, klen, "tracestate"))
		{
			if (spans && spans->n < PGI_TRACE_SPANS)
			{
				spans->off[spans->n] = vs;
				spans->len[spans->n] = ve - vs;
				spans->n++;
			}
			if (klen == 11)
				pgi_traceparent_ids(vbuf, vlen, out->trace_id, out->span_id);
			continue;
		}
		if (ktrunc || vtrunc)
			out->flags |= PGI_TAGS_TRUNCATED;
		tagset_put(out, kbuf, klen, vbuf, vlen);
	}

	/* nothing usable: the comment as a whole is ignored */
	if (npairs == 0 && nonblank)
		out->flags = PGI_TAGS_REJECTED;
	return out->ntags;
}

/*
 * The value of the pair whose literal key of nlen bytes starts at body[k]:
 * the key starts a pair at the top of the body (after the start or a ',',
 * blanks between) and is followed by blanks, '=' or ':', blanks and a quote,
 * up to the next quote.  Returns 1 and the value's span, 0 when k starts no
 * such pair, -1 when there is no closing quote.  The caller checks that the
 * value is plain (span_is_plain) before it trusts the span.
 */
static int
quick_pair_at(const char *body, size_t len, size_t k, size_t nlen,
			  size_t *off, size_t *vlen)
{
	size_t		b = k,
				p = k + nlen;
	const char *close;

	while (b > 0 && is_blank((unsigned char) body[b - 1]))
		b--;
	if (b > 0 && body[b - 1] != ',')
		return 0;
	while (p < len && is_blank((unsigned char) body[p]))
		p++;
	if (p >= len || (body[p] != '=' && body[p] != ':'))
		return 0;
	p++;
	while (p < len && is_blank((unsigned char) body[p]))
		p++;
	if (p >= len || (body[p] != '\'' && body[p] != '"'))
		return 0;
	p++;
	close = memchr(body + p, body[p - 1], len - p);
	if (close == NULL)
		return -1;
	*off = p;
	*vlen = (size_t) (close - (body + p));
	return 1;
}

/*
 * A value the parser reads byte for byte: no backslash (it would unescape a
 * quote and end the value elsewhere), no '%' or '+' (URL decoding).
 */
static int
span_is_plain(const char *v, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (v[i] == '\\' || v[i] == '%' || v[i] == '+')
			return 0;
	return 1;
}

/*
 * Where the traceparent and tracestate values sit, in one pass over the
 * body: the first pair of each key counts.  Returns the number of spans.
 */
int
pgi_comment_quick_spans(const char *body, size_t len, PgiTraceSpans *spans,
						uint8_t *trace_id, int *has_trace_id)
{
	/* per key: 0 still looking, 1 found, -1 left to the parser */
	int			parent = 0,
				state = 0;
	size_t		from = 0,
				poff = 0,
				plen = 0,
				soff = 0,
				slen = 0;

	spans->n = 0;
	*has_trace_id = 0;
	while (from + 10 < len && (parent == 0 || state == 0))
	{
		const char *hit = memchr(body + from, 't', len - from - 10);
		size_t		k;

		if (hit == NULL)
			break;
		k = (size_t) (hit - body);
		from = k + 1;
		/* most 't's are not a key: one byte tells */
		if ((body[k + 1] | 0x20) != 'r' || !pgi_ascii_word_is(body + k, 5, "trace"))
			continue;
		if (parent == 0 && k + 11 < len && pgi_ascii_word_is(body + k + 5, 6, "parent"))
		{
			parent = quick_pair_at(body, len, k, 11, &poff, &plen);
			/* a well-formed traceparent is hex and '-' only: plain */
			if (parent == 1)
			{
				*has_trace_id = pgi_traceparent_binary(body + poff, plen, trace_id);
				if (!*has_trace_id && !span_is_plain(body + poff, plen))
					parent = -1;
				else
					from = poff + plen + 1;
			}
		}
		else if (state == 0 && pgi_ascii_word_is(body + k + 5, 5, "state"))
		{
			state = quick_pair_at(body, len, k, 10, &soff, &slen);
			if (state == 1 && !span_is_plain(body + soff, slen))
				state = -1;
		}
	}
	if (parent != 1)
	{
		*has_trace_id = 0;
		memset(trace_id, 0, 16);
	}
	else
	{
		spans->off[spans->n] = poff;
		spans->len[spans->n] = plen;
		spans->n++;
	}
	if (state == 1)
	{
		/* keep them in body order, as the parser reports them */
		if (spans->n == 1 && soff < spans->off[0])
		{
			spans->off[1] = spans->off[0];
			spans->len[1] = spans->len[0];
			spans->off[0] = soff;
			spans->len[0] = slen;
		}
		else
		{
			spans->off[spans->n] = soff;
			spans->len[spans->n] = slen;
		}
		spans->n++;
	}
	return spans->n;
}

int
pgi_find_trailing_comment(const char *text, size_t len, size_t *body_off,
						  size_t *body_len)
{
	if (text == NULL)
		return 0;
	return find_trailing(text, len, body_off, body_len);
}

int
pgi_tags_from_text(const char *text, size_t len, PgiTagSet *out)
{
	size_t		toff = 0,
				tlen = 0,
				loff = 0,
				llen = 0;
	int			has_trailing;
	unsigned int trailing_flags = 0;

	tagset_init(out);
	if (text == NULL)
		return 0;

	has_trailing = find_trailing(text, len, &toff, &tlen);
	if (has_trailing)
	{
		pgi_comment_parse(text + toff, tlen, out);
		if (out->ntags > 0 || out->trace_id[0] != '\0')
			return out->ntags;
		trailing_flags = out->flags;
	}

	/* no trailing comment, or one that carried nothing: try the leading one */
	if (find_leading(text, len, &loff, &llen) &&
		!(has_trailing && loff == toff))
	{
		pgi_comment_parse(text + loff, llen, out);
		if (out->ntags > 0 || out->trace_id[0] != '\0')
			return out->ntags;
		out->flags |= trailing_flags;
	}
	return out->ntags;
}

/* FNV-1a over key NUL value NUL ..., then a final avalanche. */
uint64_t
pgi_tagset_hash(const PgiTagSet *ts)
{
	uint64_t	h = UINT64_C(0xcbf29ce484222325);
	int			i;

	if (ts == NULL || ts->ntags <= 0)
		return 0;
	for (i = 0; i < ts->ntags && i < PGI_MAX_TAGS; i++)
	{
		const PgiTag *t = &ts->tags[i];
		size_t		j;

		for (j = 0; j < t->key_len; j++)
			h = (h ^ (unsigned char) ts->buf[t->key_off + j]) * UINT64_C(0x100000001b3);
		h = (h ^ 0x00) * UINT64_C(0x100000001b3);
		for (j = 0; j < t->val_len; j++)
			h = (h ^ (unsigned char) ts->buf[t->val_off + j]) * UINT64_C(0x100000001b3);
		h = (h ^ 0xFF) * UINT64_C(0x100000001b3);
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h != 0 ? h : 1;
}

const char *
pgi_tag_get(const PgiTagSet *ts, const char *key, size_t *len)
{
	size_t		klen;
	int			i;

	if (len)
		*len = 0;
	if (ts == NULL || key == NULL)
		return NULL;
	klen = strlen(key);
	for (i = 0; i < ts->ntags && i < PGI_MAX_TAGS; i++)
	{
		const PgiTag *t = &ts->tags[i];

		if (key_cmp(ts->buf + t->key_off, t->key_len, key, klen) == 0)
		{
			if (len)
				*len = t->val_len;
			return ts->buf + t->val_off;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * base64url and Prisma
 * ---------------------------------------------------------------------
 */

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

long
pgi_base64url_decode(const char *in, size_t len, unsigned char *out,
					 size_t outsz)
{
	size_t		n = len;
	size_t		pads = 0;
	size_t		olen;
	size_t		i;
	size_t		o = 0;
	uint32_t	acc = 0;
	int			bits = 0;

	if (in == NULL)
		return len == 0 ? 0 : -1;
	while (n > 0 && in[n - 1] == '=' && pads < 2)
	{
		n--;
		pads++;
	}
	if (pads > 0 && (n + pads) % 4 != 0)
		return -1;
	if (n % 4 == 1)
		return -1;
	olen = n / 4 * 3 + (n % 4 == 2 ? 1 : (n % 4 == 3 ? 2 : 0));
	if (olen > outsz || olen > (size_t) 0x7FFFFFFF)
		return -1;

	for (i = 0; i < n; i++)
	{
		int			v = b64_value((unsigned char) in[i]);

		if (v < 0)
			return -1;
		acc = ((acc << 6) | (uint32_t) v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (unsigned char) ((acc >> bits) & 0xFF);
		}
	}
	return (long) o;
}

int
pgi_prisma_split(const char *val, size_t len, PgiPrismaQuery *out)
{
	size_t		i = 0;
	size_t		a;

	out->model = out->action = out->shape_b64 = (val != NULL) ? val : "";
	out->model_len = out->action_len = out->shape_b64_len = 0;
	if (val == NULL)
		return 0;

	while (i < len && is_ident_char((unsigned char) val[i]))
		i++;
	if (i == 0)
		return 0;
	if (i < len && val[i] == '.')
	{
		a = i + 1;
		i = a;
		while (i < len && is_ident_char((unsigned char) val[i]))
			i++;
		if (i == a)
			return 0;
		out->model = val;
		out->model_len = a - 1;
		out->action = val + a;
		out->action_len = i - a;
	}
	else
	{
		out->model = val;		/* empty model: raw query */
		out->action = val;
		out->action_len = i;
	}

	if (i < len)
	{
		size_t		s;

		if (val[i] != ':')
			goto fail;
		s = i + 1;
		for (i = s; i < len; i++)
		{
			if (b64_value((unsigned char) val[i]) < 0 && val[i] != '=')
				goto fail;
		}
		out->shape_b64 = val + s;
		out->shape_b64_len = len - s;
	}
	else
		out->shape_b64 = val + len;
	return 1;

fail:
	out->model = out->action = out->shape_b64 = val;
	out->model_len = out->action_len = out->shape_b64_len = 0;
	return 0;
}
