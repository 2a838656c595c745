/*
 * test_normtext.c — standalone unit tests for extension/normtext.c (normalized text presentation).
 */
#include "normtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CHECK_STR(expected, got) \
	do { \
		const char *e_ = (expected); \
		const char *g_ = (got); \
		if (strcmp(e_, g_) == 0) \
			n_passed++; \
		else \
		{ \
			n_failed++; \
			printf("%s:%d: %s: expected ", __FILE__, __LINE__, #got); \
			print_escaped(e_, strlen(e_)); \
			printf(", got "); \
			print_escaped(g_, strlen(g_)); \
			printf("\n"); \
		} \
	} while (0)

static char out[65536];
static int	trunc_flag;

static const char *
norm(const char *in)
{
	size_t		n = pgi_normtext(in, strlen(in), out, sizeof(out), &trunc_flag);

	if (n != strlen(out) || trunc_flag)
		return "<length or truncation mismatch>";
	return out;
}

/* normtext of text must be text itself */
#define CHECK_SAME(text) CHECK_STR((text), norm(text))

static void
test_examples(void)
{
	CHECK_STR("SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE \"public\".\"User\".\"id\" IN ($1 /*, ... */) OFFSET $4",
			  norm("SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE \"public\".\"User\".\"id\" IN ($1,$2,$3) OFFSET $4 /*prismaQuery='x'*/"));
	CHECK_STR("INSERT INTO \"public\".\"Post\" (\"title\",\"authorId\") VALUES ($1,$2) /*, ... */",
			  norm("INSERT INTO \"public\".\"Post\" (\"title\",\"authorId\") VALUES ($1,$2), ($3,$4), ($5,$6)"));
	CHECK_STR("select * from t where a = ANY(ARRAY[$1 /*, ... */])",
			  norm("select * from t where a = ANY(ARRAY[$1,$2::int])"));
	CHECK_SAME("select * from t where a IN ($1)");
	CHECK_SAME("select f($1, $2)");
	CHECK_SAME("INSERT INTO t (a, b) VALUES ($1, $2)");
	CHECK_SAME("select '($1, $2)' from t where a in ('x')");
	CHECK_SAME("select 'in ($1, $2)'");
	CHECK_SAME("select \"IN\" ($1, $2)");
	CHECK_STR("select 1", norm("  /*dddbs='postgres.db'*/ select 1 ;"));
}

static void
test_in_lists(void)
{
	CHECK_STR("x in ($1 /*, ... */)", norm("x in ($1, $2)"));
	CHECK_STR("x In ($1 /*, ... */)", norm("x In ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"));
	CHECK_STR("x NOT IN ($1 /*, ... */)", norm("x NOT IN ($1,$2)"));
	CHECK_STR("x IN($1 /*, ... */)", norm("x IN($1,$2)"));
	CHECK_STR("x IN ( $1 /*, ... */)", norm("x IN ( $1 , $2 )"));
	CHECK_STR("x IN\n($1 /*, ... */)", norm("x IN\n($1,\n\t$2)"));
	CHECK_STR("x IN /* c */ ($1 /*, ... */)", norm("x IN /* c */ ($1,$2)"));
	CHECK_STR("x IN -- c\n ($1 /*, ... */)", norm("x IN -- c\n ($1,$2)"));
	CHECK_STR("x IN ($1::int /*, ... */)", norm("x IN ($1::int, $2::int)"));
	CHECK_STR("x IN ($1 /*, ... */)", norm("x IN ($1, $2::numeric(10, 2))"));
	CHECK_STR("x IN ($1::timestamp with time zone /*, ... */)",
			  norm("x IN ($1::timestamp with time zone, $2::timestamp with time zone)"));
	CHECK_STR("x IN ($1::\"MyEnum\" /*, ... */)", norm("x IN ($1::\"MyEnum\", $2::\"MyEnum\")"));
	CHECK_STR("x IN ($1::public.\"E\"[] /*, ... */)", norm("x IN ($1::public.\"E\"[], $2::public.\"E\" [ ])"));
	CHECK_STR("x IN ($1::text::int /*, ... */)", norm("x IN ($1::text::int, $2 :: text :: int)"));
	CHECK_STR("a IN ($1 /*, ... */) AND b IN ($3 /*, ... */) AND c IN ($5)",
			  norm("a IN ($1,$2) AND b IN ($3,$4) AND c IN ($5)"));
	CHECK_STR("(a IN ($1 /*, ... */))", norm("(a IN ($1,$2))"));

	/* not plain placeholder lists */
	CHECK_SAME("x IN ($1, 5)");
	CHECK_SAME("x IN ($1, $2 + 1)");
	CHECK_SAME("x IN (SELECT id FROM t WHERE y = $1)");
	CHECK_SAME("x IN ($1, /*x*/ $2)");
	CHECK_SAME("x IN ($1, $2,)");
	CHECK_SAME("x IN ()");
	CHECK_SAME("x IN ($1 $2)");
	CHECK_SAME("x IN ($1a, $2)");
	CHECK_SAME("x IN ($1::, $2)");
	CHECK_SAME("x IN ($1::int(a), $2)");
	CHECK_SAME("x IN ($1, $2");
	CHECK_SAME("x = ANY($1)");
	CHECK_SAME("xin ($1, $2)");
	CHECK_SAME("x IN (($1, $2), ($3, $4))");
	CHECK_SAME("select coalesce($1, $2)");
	CHECK_SAME("x in ($1 /*, ... */)");
	CHECK_SAME("x in [$1, $2]");
}

static void
test_arrays(void)
{
	CHECK_STR("ARRAY[$1 /*, ... */]", norm("ARRAY[$1,$2]"));
	CHECK_STR("array [ $1 /*, ... */]", norm("array [ $1, $2 ]"));
	CHECK_STR("ARRAY[$1::int /*, ... */]", norm("ARRAY[$1::int, $2::int]"));
	CHECK_STR("ARRAY[ARRAY[$1 /*, ... */],ARRAY[$3 /*, ... */]]",
			  norm("ARRAY[ARRAY[$1,$2],ARRAY[$3,$4]]"));
	CHECK_SAME("ARRAY[$1]");
	CHECK_SAME("ARRAY[$1, 2]");
	CHECK_SAME("a[$1]");
	CHECK_SAME("x[$1, $2]");
	CHECK_SAME("ARRAY($1, $2)");
}

static void
test_values(void)
{
	CHECK_STR("INSERT INTO \"users\" (\"id\",\"name\") VALUES (DEFAULT,$1) /*, ... */ RETURNING \"id\"",
			  norm("INSERT INTO \"users\" (\"id\",\"name\") VALUES (DEFAULT,$1), (DEFAULT,$2) RETURNING \"id\";"));
	CHECK_STR("INSERT INTO t VALUES ($1,$2) /*, ... */ ON CONFLICT DO NOTHING",
			  norm("INSERT INTO t VALUES ($1,$2), ($3,$4) ON CONFLICT DO NOTHING"));
	CHECK_STR("insert into t values ($1) /*, ... */ returning id",
			  norm("insert into t values ($1),($2),\n($3) returning id"));
	CHECK_STR("INSERT INTO t VALUES ($1, NULL) /*, ... */", norm("INSERT INTO t VALUES ($1, NULL), ($2, null)"));
	CHECK_STR("INSERT INTO t VALUES ($1::int, $2) /*, ... */", norm("INSERT INTO t VALUES ($1::int, $2), ($3::int, $4)"));
	CHECK_STR("SELECT * FROM (VALUES ($1, $2) /*, ... */) AS v(a, b)",
			  norm("SELECT * FROM (VALUES ($1, $2), ($3, $4)) AS v(a, b)"));
	CHECK_SAME("INSERT INTO t VALUES ($1, now()), ($2, now())");
	CHECK_SAME("INSERT INTO t VALUES ($1), (SELECT 1)");
	CHECK_SAME("INSERT INTO t VALUES ($1), ($2), x");
	CHECK_SAME("INSERT INTO t VALUES ($1, $2)");
	CHECK_SAME("INSERT INTO t VALUES ($1, 'a'), ($2, 'b')");
	CHECK_SAME("INSERT INTO t (\"values\") VALUES ($1)");
	CHECK_SAME("INSERT INTO \"VALUES\" ($1, $2), ($3, $4)");
	/* a row with an IN list inside a VALUES that does not collapse */
	CHECK_STR("VALUES ($1 IN ($2 /*, ... */))", norm("VALUES ($1 IN ($2, $3))"));
	/* the real createMany */
	CHECK_STR("INSERT INTO \"public\".\"User\" (\"email\",\"name\") VALUES ($1,$2) /*, ... */",
			  norm("INSERT INTO \"public\".\"User\" (\"email\",\"name\") VALUES ($1,$2), ($3,$4), ($5,$6), ($7,$8), ($9,$10), ($11,$12), ($13,$14), ($15,$16) /*prismaQuery='User.createMany%3AeyJkYXRhIjpbeyJlbWFpbCI6'*/"));
}

static void
test_strip(void)
{
	CHECK_STR("BEGIN", norm("BEGIN; /**/"));
	CHECK_STR("COMMIT", norm("COMMIT; /*db_driver='knex%3A3.3.0'*/"));
	CHECK_STR("select 1", norm("select 1 /*a='b'*/ ;"));
	CHECK_STR("select 1", norm("-- hello\nselect 1"));
	CHECK_STR("select 1", norm("/* a */ /* b */\n select 1 -- tail"));
	CHECK_STR("select 1", norm("  \n select 1 ;; \n\t"));
	CHECK_STR("select 1", norm("select 1 /* a /* nested */ b */"));
	CHECK_STR("SET a;SET b", norm("SET a;SET b;"));
	CHECK_STR("; select 1", norm("; select 1"));
	CHECK_STR("select /* hint */ 1", norm("select /* hint */ 1"));
	CHECK_STR("select 1 /* abc", norm("select 1 /* abc"));
	CHECK_STR("/* abc", norm("/* abc"));
	CHECK_STR("", norm(""));
	CHECK_STR("", norm("  ;; /*x*/ -- y"));
	CHECK_STR("", norm("/**/"));
	CHECK_STR("SELECT \"id\" FROM \"users\" AS \"User\" WHERE \"User\".\"id\" IN ($1 /*, ... */) ORDER BY \"User\".\"id\" ASC",
			  norm("SELECT \"id\" FROM \"users\" AS \"User\" WHERE \"User\".\"id\" IN ($1, $2, $3, $4, $5) ORDER BY \"User\".\"id\" ASC; /*client_timezone='%2B00%3A00'*/"));
	/* relationJoins: comments inside the body are kept */
	CHECK_STR("SELECT x FROM (SELECT 1 /* root select */) AS t /* outer select */ ON true",
			  norm("SELECT x FROM (SELECT 1 /* root select */) AS t /* outer select */ ON true /*prismaQuery='User.findMany%3Ae30'*/"));
}

static void
test_quotes(void)
{
	CHECK_SAME("select $$ in ($1,$2) $$");
	CHECK_SAME("select $tag$ in ($1,$2) $x$ $tag$");
	CHECK_STR("select $tag$ x $tag$, x in ($1 /*, ... */)", norm("select $tag$ x $tag$, x in ($1,$2)"));
	CHECK_SAME("select $a$ unterminated in ($1,$2)");
	CHECK_SAME("select E'\\' in ($1,$2)'");
	CHECK_STR("select 'a\\' in ($1 /*, ... */)'", norm("select 'a\\' in ($1,$2)'"));
	CHECK_SAME("select 'it''s in ($1,$2)'");
	CHECK_SAME("select \"a\"\" in ($1,$2)\"");
	CHECK_SAME("select 'unterminated in ($1, $2)");
	CHECK_STR("select a$b in ($1 /*, ... */)", norm("select a$b in ($1,$2)"));
	CHECK_STR("select '*/' in ($1 /*, ... */)", norm("select '*/' in ($1,$2) /*c*/"));
	CHECK_STR("select '/*'", norm("select '/*' /*c*/"));
	CHECK_STR("select 'x'", norm("select 'x' -- y\n"));
}

static void
test_truncation(void)
{
	const char *in = "SELECT 1 WHERE x IN ($1,$2)";
	const char *full = "SELECT 1 WHERE x IN ($1 /*, ... */)";
	char		small[64];
	size_t		n;
	size_t		sz;

	n = pgi_normtext(in, strlen(in), small, 10, &trunc_flag);
	CHECK_INT(9, n);
	CHECK_STR("SELECT 1 ", small);
	CHECK_INT(1, trunc_flag);

	/* every size gives a prefix of the full output */
	for (sz = 1; sz <= strlen(full) + 1; sz++)
	{
		n = pgi_normtext(in, strlen(in), small, sz, &trunc_flag);
		CHECK(n == sz - 1 || n == strlen(full));
		CHECK(strncmp(small, full, n) == 0 && small[n] == '\0');
		CHECK_INT(sz <= strlen(full) ? 1 : 0, trunc_flag);
	}

	small[0] = 'X';
	CHECK_INT(0, pgi_normtext(in, strlen(in), small, 0, &trunc_flag));
	CHECK_INT('X', small[0]);
	CHECK_INT(1, trunc_flag);
	CHECK_INT(0, pgi_normtext("", 0, small, 0, &trunc_flag));
	CHECK_INT(0, trunc_flag);
	CHECK_INT(0, pgi_normtext(" ; ", 3, small, 1, &trunc_flag));
	CHECK_INT(0, trunc_flag);
	CHECK_INT(3, pgi_normtext("abc", 3, small, 4, NULL));

	/* a cut never splits a UTF-8 character */
	n = pgi_normtext("select '\xC3\xA9'", 11, small, 10, &trunc_flag);
	CHECK_INT(8, n);
	CHECK_STR("select '", small);
	n = pgi_normtext("select '\xE2\x82\xAC'", 12, small, 11, &trunc_flag);
	CHECK_INT(8, n);
	n = pgi_normtext("select '\xE2\x82\xAC'", 12, small, 12, &trunc_flag);
	CHECK_INT(11, n);
	CHECK_INT(1, trunc_flag);

	/* explicit length: bytes past len are not read, NUL is a byte */
	n = pgi_normtext("select 1; garbage", 8, small, sizeof(small), &trunc_flag);
	CHECK_STR("select 1", small);
	n = pgi_normtext("select\0001", 8, small, sizeof(small), &trunc_flag);
	CHECK_INT(8, n);
}

/* normalizing a normalized text changes nothing */
static void
test_fixed_point(void)
{
	static const char *const cases[] = {
		"INSERT INTO t VALUES ($1,$2), ($3,$4)",
		"x IN ($1, $2) /* tail */",
		"/* head */ a = ANY(ARRAY[$1, $2]) ;",
		"VALUES ($1), ($2) -- c",
		"select 1 /* abc",
		"select 'x",
		NULL
	};
	static char once[1024];
	int			i;

	for (i = 0; cases[i] != NULL; i++)
	{
		size_t		n = pgi_normtext(cases[i], strlen(cases[i]), once, sizeof(once), NULL);

		CHECK_STR(once, norm(once));
		CHECK_INT(n, strlen(norm(once)));
	}
	CHECK_STR("VALUES ($1) /*, ... */", norm("VALUES ($1) /*, ... */"));
	CHECK_STR("VALUES ($1) /*, ... */", norm("VALUES ($1) /*, ... */ /* x */;"));
}

static void
test_long(void)
{
	static char in[40000];
	size_t		o = 0;
	int			i;

	o += (size_t) sprintf(in, "SELECT * FROM t WHERE id IN (");
	for (i = 1; i <= 5000; i++)
		o += (size_t) sprintf(in + o, "%s$%d", i > 1 ? ", " : "", i);
	o += (size_t) sprintf(in + o, ") /*prismaQuery='x'*/");
	CHECK_STR("SELECT * FROM t WHERE id IN ($1 /*, ... */)", norm(in));
}

int
main(void)
{
	test_examples();
	test_in_lists();
	test_arrays();
	test_values();
	test_strip();
	test_quotes();
	test_truncation();
	test_fixed_point();
	test_long();

	printf("unit_normtext: %d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
