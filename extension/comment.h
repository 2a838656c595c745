/*
 * comment.h — sqlcommenter parsing and decoding, free of PostgreSQL headers.
 *
 * Everything here is pure C99 with bounded, caller-provided buffers so the
 * same code runs inside a backend (hot path: no palloc, no ereport), in the
 * standalone unit tests and under libFuzzer.  Input is never trusted: any
 * byte sequence is accepted and the worst outcome is "no tags".
 */
#ifndef PGI_COMMENT_H
#define PGI_COMMENT_H

#include <stddef.h>
#include <stdint.h>

#define PGI_MAX_TAGS		16		/* tags kept per comment */
#define PGI_MAX_KEY_LEN		64		/* decoded key bytes kept */
#define PGI_MAX_VALUE_LEN	512		/* decoded value bytes kept */
#define PGI_TAGBUF_SIZE		2048	/* all decoded keys+values, NUL-terminated */
#define PGI_MAX_COMMENT_LEN	262144	/* longer comment bodies are rejected (a 1,000-row Prisma createMany fits) */

/* flags in PgiTagSet.flags */
#define PGI_TAGS_TRUNCATED	0x01	/* a key, value, tag count or buffer limit cut something */
#define PGI_TAGS_MALFORMED	0x02	/* part of the comment could not be parsed and was skipped */
#define PGI_TAGS_REJECTED	0x04	/* the comment as a whole was ignored (too long, no pair) */

typedef struct PgiTag
{
	uint16_t	key_off;		/* offsets into PgiTagSet.buf */
	uint16_t	key_len;
	uint16_t	val_off;
	uint16_t	val_len;
} PgiTag;

typedef struct PgiTagSet
{
	int			ntags;			/* tags kept, sorted by key, keys unique */
	PgiTag		tags[PGI_MAX_TAGS];
	unsigned int flags;
	int			used;			/* bytes of buf in use */
	char		trace_id[33];	/* from traceparent: 32 lowercase hex, or "" */
	char		span_id[17];	/* from traceparent: 16 lowercase hex, or "" */
	char		buf[PGI_TAGBUF_SIZE];
} PgiTagSet;

typedef struct PgiPrismaQuery
{
	const char *model;			/* spans into the decoded value; lengths may be 0 */
	size_t		model_len;
	const char *action;
	size_t		action_len;
	const char *shape_b64;		/* base64url JSON shape, may be empty */
	size_t		shape_b64_len;
} PgiPrismaQuery;

/*
 * Locate the sqlcommenter comment of a statement text: the last comment at
 * the very end (after trailing whitespace and ';'), or else a comment at the
 * very start.  On success returns 1 and the span of the comment body (between
 * the delimiters); returns 0 when there is none.
 */
extern int	pgi_comment_find(const char *text, size_t len,
							 size_t *body_off, size_t *body_len);

/*
 * Parse a comment body (`k='v',k2='v2'`, also `k:'v'`, `k="v"`) into out.
 * Keys and values are URL-decoded, `\'` unescaped, invalid UTF-8 replaced by
 * '?', control characters by ' '.  traceparent/tracestate are per-request:
 * they are not kept as tags, traceparent's ids go to trace_id/span_id.
 * Returns the number of tags kept.
 */
extern int	pgi_comment_parse(const char *body, size_t len, PgiTagSet *out);

/*
 * Where the per-request values (traceparent, tracestate) sit in a comment
 * body, so that a cache can key on the rest: two bodies equal outside these
 * spans, with the spans at the same places, parse to the same tag set.
 */
#define PGI_TRACE_SPANS 2
typedef struct PgiTraceSpans
{
	int			n;
	size_t		off[PGI_TRACE_SPANS];	/* body offsets, ascending */
	size_t		len[PGI_TRACE_SPANS];
} PgiTraceSpans;

/* pgi_comment_parse, also reporting the spans of the trace values it skipped. */
extern int	pgi_comment_parse_spans(const char *body, size_t len, PgiTagSet *out,
									PgiTraceSpans *spans);

/*
 * The spans a parse would report, found cheaply (no decoding) and only where
 * the value is plain enough to be read byte for byte; also traceparent's
 * trace id as 16 bytes (*has_trace_id 0 and zeroes if none).  A cache hit on
 * the rest is exact.
 */
extern int	pgi_comment_quick_spans(const char *body, size_t len, PgiTraceSpans *spans,
									uint8_t *trace_id, int *has_trace_id);

/* The comment at the end of a text only (see pgi_comment_find). */
extern int	pgi_find_trailing_comment(const char *text, size_t len,
									  size_t *body_off, size_t *body_len);

/* W3C traceparent ids (lowercase) from a value; returns 0 if malformed. */
extern int	pgi_traceparent_ids(const char *v, size_t len, char *trace_id, char *span_id);

/* The same check, giving the trace id as 16 bytes (zeroes and 0 if malformed). */
extern int	pgi_traceparent_binary(const char *v, size_t len, uint8_t *trace_id);

/* 32 hex digits (a PgiTagSet's trace_id) as 16 bytes; 0 and zeroes otherwise. */
extern int	pgi_trace_id_from_hex(const char *hex, uint8_t *trace_id);

/* Convenience: find + parse over a whole statement text. */
extern int	pgi_tags_from_text(const char *text, size_t len, PgiTagSet *out);

/* Stable 64-bit hash of the kept tags (keys and values); 0 when ntags == 0. */
extern uint64_t pgi_tagset_hash(const PgiTagSet *ts);

/* Value of a key in a parsed tag set, or NULL (sets *len). */
extern const char *pgi_tag_get(const PgiTagSet *ts, const char *key, size_t *len);

/*
 * URL-decode: %XX, '+' as space, "%%" as '%'; invalid escapes kept as is.
 * Writes at most outsz-1 bytes plus a NUL; returns bytes written.  *truncated
 * (if not NULL) is set when output was cut.
 */
extern size_t pgi_url_decode(const char *in, size_t len, char *out, size_t outsz,
							 int *truncated);

/*
 * Decode base64url (the standard alphabet's '+' '/' are accepted too, '='
 * padding optional).  Returns decoded length, or -1 on invalid input or when
 * outsz is too small.
 */
extern long pgi_base64url_decode(const char *in, size_t len,
								 unsigned char *out, size_t outsz);

/*
 * Split a decoded prismaQuery value: "Model.action:<base64url>" or a bare
 * action such as "queryRaw".  Returns 1 when it looks like Prisma's format.
 */
extern int	pgi_prisma_split(const char *val, size_t len, PgiPrismaQuery *out);

/* Replace invalid UTF-8 sequences by '?' in place; returns len. */
extern size_t pgi_utf8_sanitize(char *s, size_t len);

#endif							/* PGI_COMMENT_H */
