/*
 * test_comment.c — standalone unit tests for extension/comment.c (sqlcommenter parsing and decoders).
 */
#include "comment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CHECK_MEM(expected, got, gotlen) \
	do { \
		const char *e_ = (expected); \
		const char *g_ = (got); \
		size_t		el_ = strlen(e_); \
		size_t		gl_ = (size_t) (gotlen); \
		if (g_ != NULL && el_ == gl_ && memcmp(e_, g_, el_) == 0) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			printf("%s:%d: %s: expected ", __FILE__, __LINE__, #got); \
			print_escaped(e_, el_); \
			printf(", got "); \
			print_escaped(g_, g_ ? gl_ : 0); \
			printf("\n"); \
		} \
	} while (0)

#define CHECK_STR(expected, got) \
	do { \
		const char *gs_ = (got); \
		CHECK_MEM((expected), gs_, gs_ ? strlen(gs_) : 0); \
	} while (0)

static PgiTagSet ts;

/* "k=v;k2=v2" rendering of a tag set (keys in stored order). */
static const char *
render(const PgiTagSet *t)
{
	static char out[PGI_TAGBUF_SIZE * 2 + 64];
	size_t		o = 0;
	int			i;

	out[0] = '\0';
	for (i = 0; i < t->ntags; i++)
	{
		const PgiTag *g = &t->tags[i];

		if (i > 0)
			out[o++] = ';';
		memcpy(out + o, t->buf + g->key_off, g->key_len);
		o += g->key_len;
		out[o++] = '=';
		memcpy(out + o, t->buf + g->val_off, g->val_len);
		o += g->val_len;
	}
	out[o] = '\0';
	return out;
}

static int
from_text(const char *text)
{
	return pgi_tags_from_text(text, strlen(text), &ts);
}

static int
parse(const char *body)
{
	return pgi_comment_parse(body, strlen(body), &ts);
}

/* Structural invariants every tag set must satisfy. */
static int
tagset_ok(const PgiTagSet *t)
{
	int			i;

	if (t->ntags < 0 || t->ntags > PGI_MAX_TAGS)
		return 0;
	if (t->used < 0 || t->used > PGI_TAGBUF_SIZE)
		return 0;
	for (i = 0; i < t->ntags; i++)
	{
		const PgiTag *g = &t->tags[i];

		if (g->key_len == 0 || g->key_len > PGI_MAX_KEY_LEN ||
			g->val_len > PGI_MAX_VALUE_LEN)
			return 0;
		if (g->key_off + g->key_len >= t->used || g->val_off + g->val_len >= t->used)
			return 0;
		if (t->buf[g->key_off + g->key_len] != '\0' ||
			t->buf[g->val_off + g->val_len] != '\0')
			return 0;
		if (i > 0)
		{
			const PgiTag *p = &t->tags[i - 1];
			size_t		n = p->key_len < g->key_len ? p->key_len : g->key_len;
			int			r = memcmp(t->buf + p->key_off, t->buf + g->key_off, n);

			if (r > 0 || (r == 0 && p->key_len >= g->key_len))
				return 0;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------ */

static void
test_find(void)
{
	size_t		off = 99,
				len = 99;
	const char *t;

	t = "select 1 /*a='b'*/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("a='b'", t + off, len);

	t = "select 1; /*a='b'*/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("a='b'", t + off, len);

	t = "select 1 /*a='b'*/ ;";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("a='b'", t + off, len);

	t = "select 1 ; /*a='b'*/;\n ; \t";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("a='b'", t + off, len);

	t = "BEGIN; /**/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_INT(0, len);
	CHECK_INT(9, off);

	t = "/**/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_INT(0, len);

	t = "/***/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("*", t + off, len);

	/* only the last comment counts */
	t = "SELECT x FROM (SELECT 1 /* root select */) AS t /* outer select */ /*k='v'*/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("k='v'", t + off, len);

	/* leading */
	t = "  /*dddbs='postgres.db'*/ select 1";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("dddbs='postgres.db'", t + off, len);

	/* trailing preferred over leading */
	t = "/*a='1'*/ select 1 /*b='2'*/";
	CHECK_INT(1, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_MEM("b='2'", t + off, len);

	/* none, unterminated, inside, nested */
	t = "select 1";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	t = "select 1 */";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	t = "/*a='b' select 1";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	t = "select /* app-hint */ 1 as x";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	t = "select 1 /* a /* b */ c */";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	t = "/* a /* b */ c */ select 1";
	CHECK_INT(0, pgi_comment_find(t, strlen(t), &off, &len));
	CHECK_INT(0, pgi_comment_find("", 0, &off, &len));
	CHECK_INT(0, pgi_comment_find("*/", 2, &off, &len));
	CHECK_INT(0, pgi_comment_find("/*/", 3, &off, &len));
	CHECK_INT(0, pgi_comment_find(" ; ;", 4, &off, &len));

	/* explicit length: embedded NUL, and bytes past len are not read */
	{
		const char	buf[] = "select\0 1 /*a='b'*/";

		CHECK_INT(1, pgi_comment_find(buf, sizeof(buf) - 1, &off, &len));
		CHECK_MEM("a='b'", buf + off, len);
		CHECK_INT(0, pgi_comment_find(buf, sizeof(buf) - 2, &off, &len));
	}
}

static void
test_clients(void)
{
	/* knex tagged, with tracestate */
	CHECK_INT(2, from_text("select * from \"users\" where \"id\" = $1 limit $2 /*db_driver='knex%3A3.3.0',route='%2Fusers%2F%3Aid',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-4324010dbea53724-01',tracestate='rojo%3D00f067aa0ba902b7%2Ccongo%3Dt61rcWkgMzE'*/"));
	CHECK_STR("db_driver=knex:3.3.0;route=/users/:id", render(&ts));
	CHECK_STR("4bf92f3577b34da6a3ce929d0e0e4736", ts.trace_id);
	CHECK_STR("4324010dbea53724", ts.span_id);
	CHECK_INT(0, ts.flags);
	CHECK(tagset_ok(&ts));

	/* sequelize: comment after ';' */
	CHECK_INT(3, from_text("SELECT \"id\", \"name\", \"email\" FROM \"users\" AS \"User\" WHERE \"User\".\"id\" = 1; /*client_timezone='%2B00%3A00',db_driver='sequelize%3A6.37.8',route='%2Fusers%2F%3Aid',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-d894ac7f9764f945-01',tracestate='rojo%3D00f067aa0ba902b7%2Ccongo%3Dt61rcWkgMzE'*/"));
	CHECK_STR("client_timezone=+00:00;db_driver=sequelize:6.37.8;route=/users/:id", render(&ts));
	CHECK_STR("d894ac7f9764f945", ts.span_id);
	CHECK_INT(0, ts.flags);

	/* knex BEGIN; + comment */
	CHECK_INT(2, from_text("BEGIN; /*db_driver='knex%3A3.3.0',route='%2Fusers%2F%3Aid%2Fposts',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-1ed9cf7e45ea0f89-01'*/"));
	CHECK_STR("db_driver=knex:3.3.0;route=/users/:id/posts", render(&ts));

	/* Node commenters do not escape quotes */
	CHECK_INT(2, from_text("select * from \"users\" where \"id\" = $1 limit $2 /*db_driver='knex%3A3.3.0',route='%2Fo'brien%2F%3Aid',traceparent='00-211a7823370cb5389de02717580019e5-bad7c81c8a7abc5b-01'*/"));
	CHECK_STR("db_driver=knex:3.3.0;route=/o'brien/:id", render(&ts));
	CHECK_STR("211a7823370cb5389de02717580019e5", ts.trace_id);
	CHECK_INT(0, ts.flags);
	CHECK_INT(3, from_text("SELECT 1; /*client_timezone='%2B00%3A00',db_driver='sequelize%3A6.37.8',route='%2Fo'brien%2F%3Aid',traceparent='00-0d0b876466fe84d735a8c0bc2cb5f4ff-bf276f91000b01bf-01'*/"));
	CHECK_STR("client_timezone=+00:00;db_driver=sequelize:6.37.8;route=/o'brien/:id", render(&ts));

	/* knex defaults: empty comment means no tags, no flags */
	CHECK_INT(0, from_text("select * from \"users\" where \"id\" = $1 limit $2 /**/"));
	CHECK_INT(0, ts.flags);
	CHECK_INT(0, from_text("BEGIN; /**/"));
	CHECK_INT(0, ts.flags);
	CHECK_INT(1, from_text("delete from \"posts\" where \"id\" = $1 /*route='%2Fposts%2F%3Aid'*/"));
	CHECK_STR("route=/posts/:id", render(&ts));
	CHECK_STR("", ts.trace_id);

	/* Prisma with query tags and an escaped quote */
	CHECK_INT(5, from_text("SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE \"public\".\"User\".\"id\" = $1 OFFSET $2 /*controller='users',framework='express',note='it\\'s%20%3D%20a%2C%20b',prismaQuery='User.findMany%3AeyJ3aGVyZSI6eyJpZCI6eyIkdHlwZSI6IlBhcmFtIiwidmFsdWUiOnsibmFtZSI6IiUxIiwidHlwZSI6IkludCJ9fX19',route='%2Fapi%2Fusers%2F%3Aid',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/"));
	CHECK_STR("controller=users;framework=express;note=it's = a, b;prismaQuery=User.findMany:eyJ3aGVyZSI6eyJpZCI6eyIkdHlwZSI6IlBhcmFtIiwidmFsdWUiOnsibmFtZSI6IiUxIiwidHlwZSI6IkludCJ9fX19;route=/api/users/:id", render(&ts));
	CHECK_STR("0af7651916cd43dd8448eb211c80319c", ts.trace_id);
	CHECK_STR("b7ad6b7169203331", ts.span_id);
	CHECK_INT(0, ts.flags);

	/* Prisma relationJoins: comments inside the SQL body */
	CHECK_INT(1, from_text("SELECT \"t0\".\"id\" FROM \"public\".\"User\" AS \"t0\" LEFT JOIN LATERAL (SELECT \"t1\".* FROM \"public\".\"Post\" AS \"t1\" WHERE \"t0\".\"id\" = \"t1\".\"authorId\" /* root select */) AS \"t2\" /* inner select */ ON true /*prismaQuery='User.findMany%3AeyJpbmNsdWRlIjp7InBvc3RzIjp0cnVlfX0'*/"));
	CHECK_STR("prismaQuery=User.findMany:eyJpbmNsdWRlIjp7InBvc3RzIjp0cnVlfX0", render(&ts));

	/* leading comment */
	CHECK_INT(1, from_text("/*dddbs='postgres.db',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ select 1"));
	CHECK_STR("dddbs=postgres.db", render(&ts));
	CHECK_STR("0af7651916cd43dd8448eb211c80319c", ts.trace_id);

	/* empty trailing comment falls back to the leading one */
	CHECK_INT(1, from_text("/*a='1'*/ select 1 /**/"));
	CHECK_STR("a=1", render(&ts));
	CHECK_INT(0, ts.flags);
	/* a trailing comment with tags wins over the leading one */
	CHECK_INT(1, from_text("/*a='1'*/ select 1 /*b='2'*/"));
	CHECK_STR("b=2", render(&ts));
	/* a trailing comment with only trace context is not empty */
	CHECK_INT(0, from_text("/*a='1'*/ select 1 /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/"));
	CHECK_STR("0af7651916cd43dd8448eb211c80319c", ts.trace_id);
	CHECK_INT(0, ts.flags);
	/* developer comment at the end, tags at the start */
	CHECK_INT(1, from_text("/*a='1'*/ select 1 /* hint */"));
	CHECK_STR("a=1", render(&ts));
	CHECK_INT(0, ts.flags);
	/* neither carries anything */
	CHECK_INT(0, from_text("/* x */ select 1 /* hint */"));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	/* the whole text is one comment: parsed once */
	CHECK_INT(1, from_text(" /*a='1'*/ "));
	CHECK_STR("a=1", render(&ts));

	/* no comment at either end */
	CHECK_INT(0, from_text("SELECT /* app-hint */ 1 AS x"));
	CHECK_INT(0, ts.flags);
	CHECK_INT(0, from_text("select '--' as x"));
	CHECK_INT(0, ts.flags);
	CHECK_INT(0, from_text(""));
	CHECK_INT(0, ts.flags);
	/* developer comment at the end */
	CHECK_INT(0, from_text("select 1 /* app-hint */"));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
}

static void
test_parse(void)
{
	char		big[PGI_MAX_COMMENT_LEN + 64];
	int			i;

	/* syntax variants */
	CHECK_INT(2, parse("a:'1',b:'2'"));
	CHECK_STR("a=1;b=2", render(&ts));
	CHECK_INT(2, parse("a=\"x\",b=\"it's\""));
	CHECK_STR("a=x;b=it's", render(&ts));
	CHECK_INT(2, parse("  a = 'x' ,\n b='y'  "));
	CHECK_STR("a=x;b=y", render(&ts));
	CHECK_INT(0, ts.flags);
	CHECK_INT(1, parse(",,a='x',"));
	CHECK_STR("a=x", render(&ts));
	CHECK_INT(0, ts.flags);

	/* decoding: Python %%, Java +, escapes */
	CHECK_INT(1, parse("route='%%2Fpolls%%2F'"));
	CHECK_STR("route=/polls/", render(&ts));
	CHECK_INT(2, parse("a='50%%25',b='100%%'"));
	CHECK_STR("a=50%;b=100%", render(&ts));
	CHECK_INT(1, parse("route='%2Fa+b'"));
	CHECK_STR("route=/a b", render(&ts));
	CHECK_INT(1, parse("a='it\\'s'"));
	CHECK_STR("a=it's", render(&ts));
	CHECK_INT(1, parse("a='x\\\\'"));
	CHECK_STR("a=x\\", render(&ts));
	CHECK_INT(1, parse("a='x\\n'"));
	CHECK_STR("a=x\\n", render(&ts));
	CHECK_INT(1, parse("a%20b='%zz%4'"));
	CHECK_STR("a b=%zz%4", render(&ts));
	CHECK_INT(2, parse("a='',b='c'"));
	CHECK_STR("a=;b=c", render(&ts));
	CHECK_INT(0, ts.flags);

	/* unescaped quotes stay in the value */
	CHECK_INT(2, parse("a='o'brien',b='x' y'"));
	CHECK_STR("a=o'brien;b=x' y", render(&ts));
	CHECK_INT(1, parse("a='''"));
	CHECK_STR("a='", render(&ts));

	/* UTF-8 and control characters */
	CHECK_INT(2, parse("a='%C3%A9',b='%FF%C3'"));
	CHECK_STR("a=\xC3\xA9;b=??", render(&ts));
	CHECK_INT(1, parse("a='x%0Ay%00z%7F%09'"));
	CHECK_STR("a=x y z  ", render(&ts));
	CHECK_INT(1, parse("%E2%82%AC='%ED%A0%80'"));
	CHECK_STR("\xE2\x82\xAC=???", render(&ts));
	{
		const char	body[] = "a='x\0y',b='\x01'";

		CHECK_INT(2, pgi_comment_parse(body, sizeof(body) - 1, &ts));
		CHECK_STR("a=x y;b= ", render(&ts));
	}

	/* sorting, duplicates (last wins) */
	CHECK_INT(3, parse("c='3',a='1',b='2'"));
	CHECK_STR("a=1;b=2;c=3", render(&ts));
	CHECK_INT(2, parse("a='1',b='2',a='3'"));
	CHECK_STR("a=3;b=2", render(&ts));
	CHECK_INT(0, ts.flags);
	CHECK_INT(3, parse("B='1',a='2',_='3'"));
	CHECK_STR("B=1;_=3;a=2", render(&ts));

	/* malformed pieces are skipped */
	CHECK_INT(1, parse("='x',b='y'"));
	CHECK_STR("b=y", render(&ts));
	CHECK_INT(PGI_TAGS_MALFORMED, ts.flags);
	CHECK_INT(1, parse("a=1,b='2'"));
	CHECK_STR("b=2", render(&ts));
	CHECK_INT(PGI_TAGS_MALFORMED, ts.flags);
	CHECK_INT(1, parse("junk,b='2'"));
	CHECK_STR("b=2", render(&ts));
	CHECK_INT(PGI_TAGS_MALFORMED, ts.flags);
	CHECK_INT(0, parse("a='x"));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	CHECK_INT(0, parse("a="));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	CHECK_INT(0, parse(" app-hint "));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	CHECK_INT(0, parse(""));
	CHECK_INT(0, ts.flags);
	CHECK_INT(0, parse(" \t\n "));
	CHECK_INT(0, ts.flags);
	CHECK_INT(0, parse(" , ,"));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);

	/* trace context */
	CHECK_INT(0, parse("traceparent='00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'"));
	CHECK_STR("0af7651916cd43dd8448eb211c80319c", ts.trace_id);
	CHECK_STR("b7ad6b7169203331", ts.span_id);
	CHECK_INT(0, ts.flags);
	CHECK_INT(1, parse("a='1',traceparent='00-xyz',tracestate='k%3Dv'"));
	CHECK_STR("a=1", render(&ts));
	CHECK_STR("", ts.trace_id);
	CHECK_STR("", ts.span_id);
	CHECK_INT(0, parse("traceparent='00-00000000000000000000000000000000-b7ad6b7169203331-01'"));
	CHECK_STR("", ts.trace_id);
	CHECK_INT(0, parse("traceparent='01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'"));
	CHECK_STR("", ts.trace_id);
	CHECK_INT(0, parse("traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-'"));
	CHECK_STR("", ts.trace_id);
	CHECK_INT(0, parse("TraceParent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'"));
	CHECK_STR("0af7651916cd43dd8448eb211c80319c", ts.trace_id);

	/* limits: too many tags keeps the smallest keys, in any order */
	{
		char		body[1024];
		size_t		o = 0;

		for (i = 0; i < 20; i++)
			o += (size_t) sprintf(body + o, "%sk%02d='v%d'", i ? "," : "", i, i);
		CHECK_INT(PGI_MAX_TAGS, pgi_comment_parse(body, o, &ts));
		CHECK_INT(PGI_TAGS_TRUNCATED, ts.flags);
		CHECK_MEM("k00", ts.buf + ts.tags[0].key_off, ts.tags[0].key_len);
		CHECK_MEM("k15", ts.buf + ts.tags[15].key_off, ts.tags[15].key_len);
		CHECK(tagset_ok(&ts));

		o = 0;
		for (i = 19; i >= 0; i--)
			o += (size_t) sprintf(body + o, "%sk%02d='v%d'", i != 19 ? "," : "", i, i);
		CHECK_INT(PGI_MAX_TAGS, pgi_comment_parse(body, o, &ts));
		CHECK_INT(PGI_TAGS_TRUNCATED, ts.flags);
		CHECK_MEM("k00", ts.buf + ts.tags[0].key_off, ts.tags[0].key_len);
		CHECK_MEM("k15", ts.buf + ts.tags[15].key_off, ts.tags[15].key_len);
		CHECK_STR("v15", pgi_tag_get(&ts, "k15", NULL));
		CHECK(pgi_tag_get(&ts, "k16", NULL) == NULL);
		CHECK(tagset_ok(&ts));
	}

	/* long key and value are cut */
	{
		char		body[2048];
		size_t		o = 0;

		memset(body, 'k', 70);
		o = 70;
		o += (size_t) sprintf(body + o, "='");
		memset(body + o, 'v', 600);
		o += 600;
		body[o++] = '\'';
		CHECK_INT(1, pgi_comment_parse(body, o, &ts));
		CHECK_INT(PGI_TAGS_TRUNCATED, ts.flags);
		CHECK_INT(PGI_MAX_KEY_LEN, ts.tags[0].key_len);
		CHECK_INT(PGI_MAX_VALUE_LEN, ts.tags[0].val_len);
		CHECK(tagset_ok(&ts));
	}

	/* a cut never splits a UTF-8 character */
	{
		char		body[4096];
		size_t		o = 0;

		o += (size_t) sprintf(body + o, "a='x");
		for (i = 0; i < 300; i++)
			o += (size_t) sprintf(body + o, "%%C3%%A9");
		body[o++] = '\'';
		CHECK_INT(1, pgi_comment_parse(body, o, &ts));
		CHECK_INT(PGI_TAGS_TRUNCATED, ts.flags);
		CHECK_INT(PGI_MAX_VALUE_LEN - 1, ts.tags[0].val_len);
		CHECK(strchr(ts.buf + ts.tags[0].val_off, '?') == NULL);
	}

	/* buffer full: later values are cut or dropped, never overflow */
	{
		char		body[PGI_MAX_COMMENT_LEN];
		size_t		o = 0;

		for (i = 0; i < 8; i++)
		{
			o += (size_t) sprintf(body + o, "%sk%d='", i ? "," : "", i);
			memset(body + o, 'a' + i, 500);
			o += 500;
			body[o++] = '\'';
		}
		CHECK(pgi_comment_parse(body, o, &ts) >= 4);
		CHECK_INT(PGI_TAGS_TRUNCATED, ts.flags);
		CHECK(ts.used <= PGI_TAGBUF_SIZE);
		CHECK(tagset_ok(&ts));
		CHECK_INT(500, ts.tags[0].val_len);
	}

	/* duplicates with growing values reuse space (compaction) */
	{
		char		body[PGI_MAX_COMMENT_LEN];
		size_t		o = 0;

		for (i = 0; i < 20; i++)
		{
			o += (size_t) sprintf(body + o, "%sa='", i ? "," : "");
			memset(body + o, 'a' + i, 400);
			o += 400;
			o += (size_t) sprintf(body + o, "',b='%d'", i);
		}
		CHECK_INT(2, pgi_comment_parse(body, o, &ts));
		CHECK_INT(0, ts.flags);
		CHECK_INT(400, ts.tags[0].val_len);
		CHECK_INT('a' + 19, ts.buf[ts.tags[0].val_off]);
		CHECK_STR("19", pgi_tag_get(&ts, "b", NULL));
		CHECK(tagset_ok(&ts));
	}

	/* too long a body is rejected */
	memset(big, ' ', sizeof(big));
	memcpy(big, "a='1'", 5);
	CHECK_INT(0, pgi_comment_parse(big, PGI_MAX_COMMENT_LEN + 1, &ts));
	CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	CHECK_INT(1, pgi_comment_parse(big, PGI_MAX_COMMENT_LEN, &ts));
	CHECK_INT(0, ts.flags);
	{
		static char text[PGI_MAX_COMMENT_LEN + 64];
		size_t		o = 0;

		o += (size_t) sprintf(text, "select 1 /*a='");
		memset(text + o, 'x', PGI_MAX_COMMENT_LEN);
		o += PGI_MAX_COMMENT_LEN;
		o += (size_t) sprintf(text + o, "'*/");
		CHECK_INT(0, pgi_tags_from_text(text, o, &ts));
		CHECK_INT(PGI_TAGS_REJECTED, ts.flags);
	}
}

static void
test_hash_get(void)
{
	uint64_t	h1,
				h2;
	size_t		len = 99;

	parse("");
	CHECK(pgi_tagset_hash(&ts) == 0);

	parse("a='1',b='2'");
	h1 = pgi_tagset_hash(&ts);
	CHECK(h1 != 0);
	parse(" b = '2' , a = '1' ");
	h2 = pgi_tagset_hash(&ts);
	CHECK(h1 == h2);
	parse("b='2',a='1',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',tracestate='x'");
	CHECK(pgi_tagset_hash(&ts) == h1);
	parse("a='1',b='3'");
	CHECK(pgi_tagset_hash(&ts) != h1);

	parse("ab='c'");
	h1 = pgi_tagset_hash(&ts);
	parse("a='bc'");
	h2 = pgi_tagset_hash(&ts);
	CHECK(h1 != h2);
	parse("a='b',c=''");
	h1 = pgi_tagset_hash(&ts);
	parse("a='',bc=''");
	CHECK(pgi_tagset_hash(&ts) != h1);

	parse("a='',b='2'");
	CHECK(pgi_tagset_hash(&ts) != 0);

	parse("db_driver='knex%3A3.3.0',route='%2Fusers'");
	CHECK_STR("/users", pgi_tag_get(&ts, "route", &len));
	CHECK_INT(6, len);
	CHECK_STR("knex:3.3.0", pgi_tag_get(&ts, "db_driver", NULL));
	CHECK(pgi_tag_get(&ts, "rout", &len) == NULL);
	CHECK_INT(0, len);
	CHECK(pgi_tag_get(&ts, "routes", NULL) == NULL);
	CHECK(pgi_tag_get(&ts, "traceparent", NULL) == NULL);
	parse("a=''");
	CHECK_STR("", pgi_tag_get(&ts, "a", &len));
	CHECK_INT(0, len);
}

static void
test_url_decode(void)
{
	char		out[64];
	int			trunc = 7;

	CHECK_INT(10, pgi_url_decode("%2Fusers%2F%3Aid", 16, out, sizeof(out), &trunc));
	CHECK_STR("/users/:id", out);
	CHECK_INT(0, trunc);
	CHECK_INT(3, pgi_url_decode("a+b", 3, out, sizeof(out), NULL));
	CHECK_STR("a b", out);
	CHECK_INT(6, pgi_url_decode("%zz%4%", 6, out, sizeof(out), NULL));
	CHECK_STR("%zz%4%", out);
	CHECK_INT(1, pgi_url_decode("%%", 2, out, sizeof(out), NULL));
	CHECK_STR("%", out);
	CHECK_INT(2, pgi_url_decode("%%2F%%", 6, out, sizeof(out), NULL));
	CHECK_STR("/%", out);
	CHECK_INT(3, pgi_url_decode("%%zz", 4, out, sizeof(out), NULL));
	CHECK_STR("%zz", out + 0);
	CHECK_INT(2, pgi_url_decode("%e2%82", 6, out, sizeof(out), NULL));
	CHECK_INT(0xe2, (unsigned char) out[0]);
	CHECK_INT(3, pgi_url_decode("a%00b", 5, out, sizeof(out), NULL));
	CHECK_INT(0, out[1]);
	CHECK_INT(0, out[3]);
	CHECK_INT(4, pgi_url_decode("it\\'", 4, out, sizeof(out), NULL));
	CHECK_STR("it\\'", out);

	/* truncation */
	CHECK_INT(3, pgi_url_decode("abcdef", 6, out, 4, &trunc));
	CHECK_STR("abc", out);
	CHECK_INT(1, trunc);
	CHECK_INT(3, pgi_url_decode("abc", 3, out, 4, &trunc));
	CHECK_INT(0, trunc);
	CHECK_INT(0, pgi_url_decode("abc", 3, out, 1, &trunc));
	CHECK_STR("", out);
	CHECK_INT(1, trunc);
	out[0] = 'X';
	CHECK_INT(0, pgi_url_decode("abc", 3, out, 0, &trunc));
	CHECK_INT('X', out[0]);
	CHECK_INT(1, trunc);
	CHECK_INT(0, pgi_url_decode("", 0, out, 0, &trunc));
	CHECK_INT(0, trunc);
}

static void
test_base64(void)
{
	unsigned char out[256];
	long		n;

	n = pgi_base64url_decode("e30", 3, out, sizeof(out));
	CHECK_INT(2, n);
	CHECK_MEM("{}", (const char *) out, n);
	n = pgi_base64url_decode("eyJzZWxlY3QiOnsiaWQiOnRydWV9fQ", 30, out, sizeof(out));
	CHECK_MEM("{\"select\":{\"id\":true}}", (const char *) out, n);
	n = pgi_base64url_decode("e30=", 4, out, sizeof(out));
	CHECK_MEM("{}", (const char *) out, n);
	n = pgi_base64url_decode("e3==", 4, out, sizeof(out));
	CHECK_MEM("{", (const char *) out, n);
	n = pgi_base64url_decode("_w", 2, out, sizeof(out));
	CHECK_INT(1, n);
	CHECK_INT(0xFF, out[0]);
	n = pgi_base64url_decode("/w==", 4, out, sizeof(out));
	CHECK_INT(1, n);
	CHECK_INT(0xFF, out[0]);
	n = pgi_base64url_decode("-_-_", 4, out, sizeof(out));
	CHECK_INT(3, n);
	CHECK_INT(0xFB, out[0]);
	CHECK_INT(0xFF, out[1]);
	CHECK_INT(0xBF, out[2]);
	n = pgi_base64url_decode("+/+/", 4, out, sizeof(out));
	CHECK_INT(3, n);
	CHECK_INT(0xFB, out[0]);
	CHECK_INT(0, pgi_base64url_decode("", 0, out, sizeof(out)));
	CHECK_INT(0, pgi_base64url_decode("", 0, NULL, 0));

	CHECK_INT(-1, pgi_base64url_decode("e3!", 3, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e", 1, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e30==", 5, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e3=", 3, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("====", 4, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e=30", 4, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e3 0", 4, out, sizeof(out)));
	CHECK_INT(-1, pgi_base64url_decode("e30", 3, out, 1));
	CHECK_INT(2, pgi_base64url_decode("e30", 3, out, 2));
}

static void
test_prisma(void)
{
	PgiPrismaQuery pq;
	const char *v;
	const char *val;
	size_t		vlen = 0;
	unsigned char shape[256];
	long		n;

	v = "User.findMany:eyJzZWxlY3QiOnsiaWQiOnRydWV9fQ";
	CHECK_INT(1, pgi_prisma_split(v, strlen(v), &pq));
	CHECK_MEM("User", pq.model, pq.model_len);
	CHECK_MEM("findMany", pq.action, pq.action_len);
	CHECK_MEM("eyJzZWxlY3QiOnsiaWQiOnRydWV9fQ", pq.shape_b64, pq.shape_b64_len);

	v = "queryRaw";
	CHECK_INT(1, pgi_prisma_split(v, strlen(v), &pq));
	CHECK_INT(0, pq.model_len);
	CHECK_MEM("queryRaw", pq.action, pq.action_len);
	CHECK_INT(0, pq.shape_b64_len);
	v = "executeRaw";
	CHECK_INT(1, pgi_prisma_split(v, strlen(v), &pq));
	CHECK_MEM("executeRaw", pq.action, pq.action_len);
	v = "Post.aggregate";
	CHECK_INT(1, pgi_prisma_split(v, strlen(v), &pq));
	CHECK_MEM("Post", pq.model, pq.model_len);
	CHECK_MEM("aggregate", pq.action, pq.action_len);
	CHECK_INT(0, pq.shape_b64_len);
	v = "My_Model2.createMany:";
	CHECK_INT(1, pgi_prisma_split(v, strlen(v), &pq));
	CHECK_MEM("My_Model2", pq.model, pq.model_len);
	CHECK_INT(0, pq.shape_b64_len);

	CHECK_INT(0, pgi_prisma_split("", 0, &pq));
	CHECK_INT(0, pq.model_len + pq.action_len + pq.shape_b64_len);
	CHECK_INT(0, pgi_prisma_split(".findMany:e30", 13, &pq));
	CHECK_INT(0, pgi_prisma_split("User.:e30", 9, &pq));
	CHECK_INT(0, pgi_prisma_split("User findMany", 13, &pq));
	CHECK_INT(0, pgi_prisma_split("User.find-Many:e30", 18, &pq));
	CHECK_INT(0, pgi_prisma_split("User.findMany:e30!", 18, &pq));
	CHECK_INT(0, pq.model_len + pq.action_len + pq.shape_b64_len);
	CHECK_INT(0, pgi_prisma_split("a.b.c", 5, &pq));
	CHECK_INT(0, pgi_prisma_split("User.findMany%3Ae30", 19, &pq));
	/* only len bytes are looked at */
	CHECK_INT(1, pgi_prisma_split("User.findMany:e30", 12, &pq));
	CHECK_MEM("findMan", pq.action, pq.action_len);

	/* the whole pipeline on a captured statement */
	from_text("SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE 1=1 OFFSET $1 /*prismaQuery='User.findMany%3AeyJzZWxlY3QiOnsiaWQiOnRydWV9fQ'*/");
	val = pgi_tag_get(&ts, "prismaQuery", &vlen);
	CHECK(val != NULL);
	if (val != NULL)
	{
		CHECK_INT(1, pgi_prisma_split(val, vlen, &pq));
		CHECK_MEM("User", pq.model, pq.model_len);
		CHECK_MEM("findMany", pq.action, pq.action_len);
		n = pgi_base64url_decode(pq.shape_b64, pq.shape_b64_len, shape, sizeof(shape));
		CHECK_MEM("{\"select\":{\"id\":true}}", (const char *) shape, n);
	}
	from_text("SELECT count(*) FROM \"Post\" WHERE \"authorId\" = $1 /*prismaQuery='queryRaw'*/");
	val = pgi_tag_get(&ts, "prismaQuery", &vlen);
	CHECK(val != NULL && pgi_prisma_split(val, vlen, &pq) == 1 && pq.model_len == 0);
}

static void
test_utf8(void)
{
	char		s[32];

	strcpy(s, "h\xC3\xA9llo \xF0\x9F\x98\x80");
	CHECK_INT(strlen(s), pgi_utf8_sanitize(s, strlen(s)));
	CHECK_STR("h\xC3\xA9llo \xF0\x9F\x98\x80", s);
	strcpy(s, "\xC0\xAF");
	pgi_utf8_sanitize(s, 2);
	CHECK_STR("??", s);
	strcpy(s, "\xED\xA0\x80");
	pgi_utf8_sanitize(s, 3);
	CHECK_STR("???", s);
	strcpy(s, "\xF4\x90\x80\x80");
	pgi_utf8_sanitize(s, 4);
	CHECK_STR("????", s);
	strcpy(s, "\xF4\x8F\xBF\xBF");
	pgi_utf8_sanitize(s, 4);
	CHECK_STR("\xF4\x8F\xBF\xBF", s);
	strcpy(s, "ab\xE2\x82");
	pgi_utf8_sanitize(s, 4);
	CHECK_STR("ab??", s);
	strcpy(s, "\xF5\x80\xFF");
	pgi_utf8_sanitize(s, 3);
	CHECK_STR("???", s);
	strcpy(s, "a\xC3(b");
	pgi_utf8_sanitize(s, 4);
	CHECK_STR("a?(b", s);
	strcpy(s, "\xE0\x9F\xBF");
	pgi_utf8_sanitize(s, 3);
	CHECK_STR("???", s);
	/* only len bytes are looked at */
	strcpy(s, "\xC3\xA9");
	pgi_utf8_sanitize(s, 1);
	CHECK_STR("?\xA9", s);
	CHECK_INT(0, pgi_utf8_sanitize(s, 0));
}

/*
 * The traceparent's binary trace id (the per-statement path) agrees with the
 * parser's hex one on every value, valid or not: random 55-byte values drawn
 * from hex digits, the bytes just outside each hex range and '-'.
 */
static void
test_traceparent_binary(void)
{
	static const char pool[] = "0123456789abcdefABCDEF/:@G`g-\x80\xff";
	const char *good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	uint8_t		bin[16];
	char		hex[33],
				span[17],
				v[56];
	int			i,
				k,
				agree = 0,
				valid = 0;

	CHECK_INT(1, pgi_traceparent_binary(good, 55, bin));
	CHECK(bin[0] == 0x4b && bin[1] == 0xf9 && bin[15] == 0x36);
	CHECK_INT(1, pgi_traceparent_binary("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", 55, bin));
	CHECK(bin[0] == 0x4b && bin[4] == 0x77 && bin[7] == 0xa6);
	CHECK_INT(0, pgi_traceparent_binary("00-00000000000000000000000000000000-00f067aa0ba902b7-01", 55, bin));
	CHECK(bin[0] == 0 && bin[15] == 0);
	CHECK_INT(0, pgi_traceparent_binary("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", 55, bin));
	CHECK_INT(0, pgi_traceparent_binary("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", 55, bin));
	CHECK_INT(0, pgi_traceparent_binary("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b:-01", 55, bin));
	CHECK_INT(0, pgi_traceparent_binary(good, 54, bin));

	srand(11);
	for (i = 0; i < 200000; i++)
	{
		memcpy(v, good, 56);
		/* a few positions replaced, more often inside the ids */
		for (k = rand() % 4; k >= 0; k--)
			v[rand() % 55] = pool[rand() % (int) (sizeof(pool) - 1)];
		/* sometimes an all-zero trace id or span id */
		if (rand() % 16 == 0)
			memset(v + 3, '0', 32);
		else if (rand() % 16 == 0)
			memset(v + 36, '0', 16);
		{
			int			b = pgi_traceparent_binary(v, 55, bin);
			int			h = pgi_traceparent_ids(v, 55, hex, span);
			uint8_t		from_hex[16];

			if (b == h && (!b || (pgi_trace_id_from_hex(hex, from_hex) &&
								  memcmp(from_hex, bin, 16) == 0)))
				agree++;
			valid += b;
		}
	}
	CHECK_INT(200000, agree);
	CHECK(valid > 1000 && valid < 190000);
}

int
main(void)
{
	test_find();
	test_clients();
	test_parse();
	test_hash_get();
	test_url_decode();
	test_base64();
	test_prisma();
	test_utf8();
	test_traceparent_binary();

	printf("unit_comment: %d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
