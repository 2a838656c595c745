/*
 * test_jsoncheck.c — standalone unit tests for extension/jsoncheck.c (the strict bounded JSON checker).
 */
#include "jsoncheck.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

static int
ok(const char *s)
{
	return pgi_json_check(s, strlen(s), PGI_JSON_MAX_DEPTH, 0);
}

static int
ok_ascii(const char *s)
{
	return pgi_json_check(s, strlen(s), PGI_JSON_MAX_DEPTH, PGI_JSON_ASCII_ONLY);
}

static void
test_valid(void)
{
	CHECK(ok("{}"));
	CHECK(ok("[]"));
	CHECK(ok(" {\"a\" : [1, -2.5, 3e10, 0.0E-3, true, false, null, \"x\"]}\n"));
	CHECK(ok("{\"where\":{\"id\":{}},\"take\":10}"));
	CHECK(ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\""));
	CHECK(ok("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""));
	CHECK(ok("1e250"));
	CHECK(ok("1e-250"));
	CHECK(ok("1E+0000000000000000000250"));
	CHECK(ok("1234567890123456789012345678901234567890"));	/* 40 digits */
	CHECK(ok("0.1234567890123456789012345678901234567890"));
	CHECK(ok("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"));	/* 32 */
	CHECK(ok_ascii("{\"a\":\"\\u007f\"}"));
}

static void
test_invalid(void)
{
	char		deep[200];
	int			i;

	CHECK(!ok(""));
	CHECK(!ok("  "));
	CHECK(!ok("{"));
	CHECK(!ok("{\"a\"}"));
	CHECK(!ok("{\"a\":}"));
	CHECK(!ok("{\"a\":1,}"));
	CHECK(!ok("[1,]"));
	CHECK(!ok("[1 2]"));
	CHECK(!ok("{} {}"));
	CHECK(!ok("{1:2}"));
	CHECK(!ok("'a'"));
	CHECK(!ok("tru"));
	CHECK(!ok("truex"));
	CHECK(!ok("nul"));
	CHECK(!ok("01"));
	CHECK(!ok("-"));
	CHECK(!ok("1."));
	CHECK(!ok(".5"));
	CHECK(!ok("+1"));
	CHECK(!ok("1e"));
	CHECK(!ok("1e+"));
	CHECK(!ok("1-2"));
	CHECK(!ok("NaN"));
	CHECK(!ok("Infinity"));
	CHECK(!ok("{\"a\":1e200000}"));	/* the value that broke insights.attribution */
	CHECK(!ok("1e251"));
	CHECK(!ok("1e-251"));
	CHECK(!ok("1e99999999999999999999999999"));
	CHECK(!ok("12345678901234567890123456789012345678901"));	/* 41 digits */
	CHECK(!ok("0.12345678901234567890123456789012345678901"));
	CHECK(!ok("\"\\u0000\""));
	CHECK(!ok("\"\\ud800\""));
	CHECK(!ok("\"\\ud800x\""));
	CHECK(!ok("\"\\ud800\\u0041\""));
	CHECK(!ok("\"\\udc00\""));
	CHECK(!ok("\"\\u12\""));
	CHECK(!ok("\"\\x41\""));
	CHECK(!ok("\"\\"));
	CHECK(!ok("\"abc"));
	CHECK(!ok("\"a\tb\""));
	CHECK(!ok("\"\xff\""));
	CHECK(!ok("\"\xc0\x80\""));	/* overlong NUL */
	CHECK(!ok("\"\xed\xa0\x80\""));	/* encoded surrogate */
	CHECK(!ok("\"\xf4\x90\x80\x80\""));	/* beyond U+10FFFF */
	CHECK(!ok("\"\xc3\""));
	CHECK(!pgi_json_check("\"a\0b\"", 5, PGI_JSON_MAX_DEPTH, 0));
	CHECK(!pgi_json_check("{}\0", 3, PGI_JSON_MAX_DEPTH, 0));
	CHECK(!pgi_json_check(NULL, 0, PGI_JSON_MAX_DEPTH, 0));
	CHECK(!ok_ascii("\"caf\xc3\xa9\""));
	CHECK(!ok_ascii("\"\\u00e9\""));
	CHECK(!ok_ascii("\"\\ud83d\\ude00\""));

	/* depth: 33 levels of either kind, and the 64-level cap */
	for (i = 0; i < 33; i++)
		deep[i] = (i % 2) ? '[' : '{';
	CHECK(!pgi_json_check(deep, 33, PGI_JSON_MAX_DEPTH, 0));
	memset(deep, '[', sizeof(deep));
	CHECK(!pgi_json_check(deep, sizeof(deep), 1000, 0));
	for (i = 0; i < 65; i++)
		deep[65 + i] = ']';
	CHECK(!pgi_json_check(deep, 130, 1000, 0));
	CHECK(pgi_json_check(deep + 1, 128, 1000, 0));	/* 64 deep */
	CHECK(!pgi_json_check("[[1]]", 5, 1, 0));
	CHECK(pgi_json_check("[1]", 3, 1, 0));
	CHECK(!pgi_json_check("[1]", 3, 0, 0));
	CHECK(pgi_json_check("1", 1, 0, 0));
}

int
main(void)
{
	(void) print_escaped;
	test_valid();
	test_invalid();

	printf("unit_jsoncheck: %d passed, %d failed\n", n_passed, n_failed);
	return n_failed == 0 ? 0 : 1;
}
