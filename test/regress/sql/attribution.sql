-- attribution: sqlcommenter comments in every form clients send, and hostile ones
\setenv PGDATABASE :DBNAME
CREATE TABLE attr_t (id int, v text);
INSERT INTO attr_t VALUES (1, 'a'), (2, 'b');
-- the attribution rows of the statements on attr_t
CREATE VIEW attr_rows AS
  SELECT a.tags, a.route, a.controller, a.action, a.framework, a.application, a.db_driver, a.calls
    FROM insights.attribution a
   WHERE a.shape_id IN (SELECT shape_id FROM insights.queries
                         WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%');
SELECT insights.reset();
-- the spec's form: sorted keys, URL-encoded values
SELECT count(*) FROM attr_t WHERE id = 1 /*action='index',controller='users',framework='rails%3A7.1',route='%2Fusers%2F%3Aid'*/;
SELECT count(*) FROM attr_t WHERE id = 2 /*action='index',controller='users',framework='rails%3A7.1',route='%2Fusers%2F%3Aid'*/;
SELECT * FROM attr_rows ORDER BY tags::text COLLATE "C";
-- per-request traceparent/tracestate: not tags, one row however many traces
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Ft',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Ft',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-4324010dbea53724-01',tracestate='rojo%3D00f067aa0ba902b7%2Ccongo%3Dt61rcWkgMzE'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Ft',traceparent='00-994aa3f10264142ab022e65679ebe197-efdc62de8e77eaaa-01'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Fother'*/;
SELECT tags, route, calls FROM attr_rows ORDER BY tags::text COLLATE "C";
SELECT count(*) AS rows_with_trace_keys FROM insights.attribution WHERE tags ? 'traceparent' OR tags ? 'tracestate';
-- statements without a comment, and knex's empty /**/
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1;
SELECT count(*) FROM attr_t WHERE id = 1 /**/;
SELECT count(*) FROM attr_t WHERE id = 1 /* just a remark */;
SELECT calls FROM insights.queries WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%';
SELECT coalesce(sum(calls), 0) AS calls_with_tags FROM attr_rows WHERE tags <> '{}';
-- Python: '/' left as is, '%' doubled
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1 /*controller='index',db_driver='django.db.backends.postgresql',framework='django%%3A4.2.1',route='/polls/'*/;
-- Java: '+' for space
SELECT count(*) FROM attr_t WHERE id = 1 /*action='list',route='GET+%2Fusers'*/;
-- a leading comment
/*dddbs='postgres.db',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/ SELECT count(*) FROM attr_t WHERE id = 1;
-- key:'value' and key="value"
SELECT count(*) FROM attr_t WHERE id = 1 /*application:'billing',route:'%2Fcolon'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route="%2Fdouble"*/;
-- an escaped quote and encoded separators in a value (Prisma's queryTags)
SELECT count(*) FROM attr_t WHERE id = 1 /*controller='users',note='it\'s%20%3D%20a%2C%20b'*/;
SELECT tags, route, controller, action, framework, application, db_driver, calls
  FROM attr_rows ORDER BY tags::text COLLATE "C";
-- only the last comment counts; comments inside the SQL body are the statement's own
SELECT insights.reset();
SELECT /* root select */ count(*) FROM attr_t WHERE id = 1 /*route='%2Flast'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Ffirst'*/ /*route='%2Fsecond'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /* route='%2Fnot-a-tag' */ -- trailing line comment
;
SELECT route, calls FROM attr_rows ORDER BY route COLLATE "C";
-- after the ';' (sequelize), simple and extended protocol
SELECT insights.reset();
\! "$PGI_EXEC" simple "SELECT count(*) FROM attr_t WHERE id = 1; /*route='%2Fafter-semicolon'*/"
\! "$PGI_EXEC" params "INSERT INTO attr_t VALUES (\$1, \$2) RETURNING id; /*route='%2Finsert-after'*/" 3 c
SELECT route, calls FROM attr_rows ORDER BY route COLLATE "C";
-- '*/' and comment-like text inside literals and identifiers are not comments
SELECT insights.reset();
SELECT count(*) AS "x*/" FROM attr_t WHERE v <> 'a*/b' /*route='%2Freal'*/;
SELECT count(*) FROM attr_t WHERE v <> '/*route=''fake''*/';
SELECT count(*) AS "/*route='fake2'*/" FROM attr_t WHERE id = 1;
SELECT count(*) FROM attr_t WHERE v = 'x' || '*/' /*route='%2Freal2'*/;
SELECT route, calls FROM attr_rows ORDER BY route COLLATE "C" NULLS FIRST;
SELECT count(*) AS fake_routes FROM insights.attribution WHERE route LIKE '%fake%';
-- hostile values: the statement runs, the value is kept as data
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%3Cscript%3Ealert(1)%3C%2Fscript%3E'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='<script>alert("x")</script>'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='\'); DROP TABLE attr_t; --'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%27)%3B%20DROP%20TABLE%20attr_t%3B%20--'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='$1 :x %s %n \\ \n'*/;
SELECT route, calls FROM attr_rows ORDER BY route COLLATE "C";
SELECT count(*) AS attr_t_still_there FROM attr_t;
-- malformed comments: the statement runs and is counted, no error
SELECT insights.reset();
SELECT pg_stat_reset();
SELECT comments_rejected AS rejected0, tags_truncated AS truncated0 FROM insights.info \gset
SELECT count(*) FROM attr_t WHERE id = 1 /*db_driver='knex%3A3.3.0',route='%2Fo'brien%2F%3Aid',traceparent='00-211a7823370cb5389de02717580019e5-bad7c81c8a7abc5b-01'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*just some words*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*=,,=''',k=*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*k='unterminated*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*'''''''''*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*k='%'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*k='%G0%4'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*traceparent='zz-not-a-trace'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /* /* nested */ route='%2Fnested' */;
SELECT calls FROM insights.queries WHERE query LIKE '%attr_t WHERE id%' AND query NOT LIKE '%insights%';
-- the knex capture with an unescaped quote still yields the well-formed pair before it
SELECT db_driver FROM attr_rows WHERE db_driver IS NOT NULL;
-- an unterminated comment is a syntax error: nothing counted, nothing broken
SELECT insights.reset();
\! "$PGI_EXEC" '!simple' "SELECT count(*) FROM attr_t /*route='%2Fopen'"
SELECT count(*) AS counted FROM insights.queries WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%';
-- invalid UTF-8: the server rejects it in the statement text itself ...
\! "$PGI_EXEC" '!simple' "$(printf 'SELECT count(*) FROM attr_t /*route=\047\377\376\047*/')"
-- ... but URL escapes can still decode to invalid UTF-8 or control characters
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Fa%FFb%C3%28'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='x%00y%0Az%09'*/;
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%F0%9F%90%98%E2%82%AC'*/;
SELECT route, convert_to(route, 'UTF8') AS bytes, calls FROM attr_rows ORDER BY route COLLATE "C";
-- a LATIN1 client: converted by the server before we see it
\! PGCLIENTENCODING=LATIN1 "$PGI_EXEC" simple "$(printf 'SELECT count(*) FROM attr_t WHERE id = 1 /*route=\047caf\351\047*/')"
SELECT route FROM attr_rows WHERE route LIKE 'caf%';
-- a 1 MB comment is rejected as a whole; the statement is counted
SELECT insights.reset();
\o /dev/null
\set ECHO none
SELECT format('SELECT count(*) FROM attr_t WHERE id = 1 /*route=''%s''*/', repeat('x', 1024 * 1024))
\gexec
\set ECHO all
\set ECHO none
SELECT format('SELECT count(*) FROM attr_t WHERE id = 1 /*%s*/', repeat('k=''v'',', 200000))
\gexec
\set ECHO all
\o
SELECT calls FROM insights.queries WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%';
SELECT count(*) AS long_routes FROM attr_rows WHERE length(route) > 1000;
SELECT comments_rejected >= :rejected0 + 2 AS rejected_counted FROM insights.info;
-- too long a value, too many tags: cut, counted in tags_truncated
SELECT insights.reset();
SELECT tags_truncated AS truncated1 FROM insights.info \gset
\set ECHO none
SELECT format('SELECT count(*) FROM attr_t WHERE id = 1 /*route=''%s''*/', repeat('y', 2000))
\gexec
\set ECHO all
\set ECHO none
SELECT format('SELECT count(*) FROM attr_t WHERE id = 1 /*%s*/', string_agg(format('k%s=''v%s''', lpad(g::text, 2, '0'), g), ',' ORDER BY g))
  FROM generate_series(1, 40) g
\gexec
\set ECHO all
SELECT length(route) BETWEEN 1 AND 512 AS route_cut FROM attr_rows WHERE route LIKE 'yyy%';
SELECT max((SELECT count(*) FROM jsonb_object_keys(tags))) AS most_tags FROM attr_rows;
SELECT tags_truncated >= :truncated1 + 2 AS truncated_counted FROM insights.info;
-- distinct tag sets per shape are bounded (pg_insights.max_tagsets_per_shape); the shape's
-- calls stay exact
SELECT insights.reset();
SELECT tagsets_dropped AS dropped0 FROM insights.info \gset
\o /dev/null
\set ECHO none
SELECT format('SELECT count(*) FROM attr_t WHERE id = 1 /*route=''%%2Fr%s''*/', g)
  FROM generate_series(1, current_setting('pg_insights.max_tagsets_per_shape')::int + 8) g
\gexec
\set ECHO all
\o
SELECT calls = current_setting('pg_insights.max_tagsets_per_shape')::int + 8 AS shape_calls_exact
  FROM insights.queries WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%';
SELECT count(*) <= current_setting('pg_insights.max_tagsets_per_shape')::int AS tagsets_bounded FROM attr_rows;
SELECT tagsets_dropped > :dropped0 AS dropped_counted FROM insights.info;
-- capture_comments = off: no tags
SET pg_insights.capture_comments = off;
SELECT insights.reset();
SELECT count(*) FROM attr_t WHERE id = 1 /*route='%2Foff'*/;
SET pg_insights.capture_comments = on;
SELECT count(*) AS rows_with_route FROM attr_rows WHERE route IS NOT NULL;
SELECT calls FROM insights.queries WHERE query LIKE '%attr_t%' AND query NOT LIKE '%insights%';
