-- shape: what is one statement shape, what is not, and the stored text
\setenv PGDATABASE :DBNAME
CREATE TABLE shp_t (id int PRIMARY KEY, v text);
CREATE TABLE shp_t2 (id int PRIMARY KEY, v text);
CREATE TABLE shp_v (a int, b text);
CREATE TABLE shp_any (id int);
CREATE SCHEMA shp_s1;
CREATE SCHEMA shp_s2;
CREATE TABLE shp_s1.t (id int);
CREATE TABLE shp_s2.t (id int);
INSERT INTO shp_t SELECT g, 'v' || g FROM generate_series(1, 100) g;
SELECT insights.reset();
-- constants, whitespace, keyword case, comments: one shape, the first text seen
SELECT v FROM shp_t WHERE id = 1;
SELECT v FROM shp_t WHERE id = 22;
select   v
  from shp_t    where id=3;
SeLeCt v FrOm SHP_T wHeRe ID = 4;
SELECT v /* an inline comment */ FROM shp_t WHERE id = 5; -- and a line comment
SELECT v FROM shp_t WHERE id = 6 /*route='%2Fshape'*/;
SELECT * FROM pgi_rows('%shp_t %');
-- parameter numbering and literal vs parameter: still the same shape
\! "$PGI_EXEC" params 'SELECT v FROM shp_t WHERE id = $1 LIMIT $2' 7 1 :: params 'SELECT v FROM shp_t WHERE id = $2 LIMIT $1' 1 8
SELECT v FROM shp_t WHERE id = 9 LIMIT 1;
SELECT query, calls FROM insights.queries
 WHERE query LIKE '%FROM shp_t WHERE id = $_ LIMIT $_' AND query NOT LIKE '%insights%';
-- different relations are different shapes, even with the same text (schema differs)
SELECT insights.reset();
SELECT v FROM shp_t WHERE id = 1;
SELECT v FROM shp_t2 WHERE id = 1;
SELECT count(*) FROM shp_s1.t;
SELECT count(*) FROM shp_s2.t;
SET search_path = shp_s1, public;
SELECT count(*) FROM t;
SET search_path = shp_s2, public;
SELECT count(*) FROM t;
RESET search_path;
SELECT query, calls, tables FROM insights.queries
 WHERE (query LIKE '%shp_t%' OR query LIKE '%FROM t' OR query LIKE '%.t') AND query NOT LIKE '%insights%'
 ORDER BY tables::text COLLATE "C", query COLLATE "C";
-- IN-lists of 2..1000 elements: one shape, the list shown collapsed.  (IN (x) with one
-- element is parsed as x = a and keeps the shape of that equality: merging it would merge
-- every per-row lookup with its batched form, which N+1 detection tells apart.)
SELECT insights.reset();
\o /dev/null
\set ECHO none
SELECT format('SELECT count(*) FROM shp_t WHERE id IN (%s)', string_agg(g::text, ', '))
  FROM generate_series(2, 1000) n, generate_series(1, n) g GROUP BY n ORDER BY n
\gexec
\set ECHO all
\o
SELECT count(*) AS shapes, sum(calls) AS calls, bool_and(toplevel) AS toplevel,
       bool_and(query LIKE '%/*, ... */%') AS text_shows_collapse
  FROM insights.queries WHERE query LIKE '%shp_t WHERE id%' AND query NOT LIKE '%insights%';
SELECT query FROM insights.queries WHERE query LIKE '%shp_t WHERE id IN%' AND query NOT LIKE '%insights%';
-- the same from the extended protocol (Prisma's nested reads: IN ($1,...,$n))
SELECT insights.reset();
\! "$PGI_EXEC" params 'SELECT v FROM shp_t WHERE id IN ($1,$2,$3) OFFSET $4' 1 2 3 0 :: params 'SELECT v FROM shp_t WHERE id IN ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) OFFSET $11' 1 2 3 4 5 6 7 8 9 10 0 :: params 'SELECT v FROM shp_t WHERE id IN ($1,$2) OFFSET $3' 1 2 0
SELECT count(*) AS shapes, sum(calls) AS calls, sum(rows) AS rows FROM insights.queries
 WHERE query LIKE '%shp_t WHERE id IN%' AND query NOT LIKE '%insights%';
-- IN-lists inside a function (nested, track = all): one shape as well
SELECT insights.reset();
DO $$ BEGIN
  FOR n IN 2..200 LOOP
    EXECUTE format('SELECT count(*) FROM shp_t WHERE id IN (%s)',
                   (SELECT string_agg(g::text, ',') FROM generate_series(1, n) g));
  END LOOP;
END $$;
SELECT count(*) AS shapes, sum(calls) AS calls
  FROM insights.queries WHERE query LIKE '%shp_t WHERE id IN%' AND query NOT LIKE '%insights%' AND NOT toplevel;
-- = ANY(ARRAY[...]) of different lengths: one shape
SELECT insights.reset();
SELECT count(*) FROM shp_any WHERE id = ANY(ARRAY[1]);
SELECT count(*) FROM shp_any WHERE id = ANY(ARRAY[1, 2]);
SELECT count(*) FROM shp_any WHERE id = ANY(ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
SELECT count(*) AS shapes, sum(calls) AS calls
  FROM insights.queries WHERE query LIKE '%shp_any%' AND query NOT LIKE '%insights%';
SELECT query, calls FROM insights.queries WHERE query LIKE '%shp_any%' AND query NOT LIKE '%insights%';
-- an array constant is one constant, not a list
SELECT count(*) FROM shp_any WHERE id = ANY('{1,2,3}'::int[]);
SELECT count(*) FROM shp_any WHERE id = ANY('{1,2,3,4,5}'::int[]);
SELECT query, calls FROM insights.queries WHERE query LIKE '%shp_any%::%' AND query NOT LIKE '%insights%';
-- IN (list) is the tree of = ANY (ARRAY[list]), NOT IN that of <> ALL: one shape each, any lengths
SELECT insights.reset();
SELECT count(*) FROM shp_any WHERE id IN (1, 2);
SELECT count(*) FROM shp_any WHERE id = ANY(ARRAY[1, 2, 3]);
SELECT count(*) FROM shp_any WHERE id NOT IN (1, 2);
SELECT count(*) FROM shp_any WHERE id <> ALL(ARRAY[1, 2, 3]);
SELECT count(*) FROM shp_any WHERE id = ANY(ARRAY[id, 2]);
SELECT count(*) AS shapes, sum(calls) AS calls
  FROM insights.queries WHERE query LIKE '%shp_any%' AND query NOT LIKE '%insights%';
-- multi-row VALUES of different row counts: one shape
SELECT insights.reset();
\o /dev/null
\set ECHO none
SELECT format('INSERT INTO shp_v (a, b) VALUES %s',
              string_agg(format('(%s, %L)', g, 'b' || g), ', '))
  FROM generate_series(2, 60) n, generate_series(1, n) g GROUP BY n ORDER BY n
\gexec
\set ECHO all
\o
SELECT count(*) AS shapes, sum(calls) AS calls, sum(rows) AS rows, bool_and(command = 'INSERT') AS insert
  FROM insights.queries WHERE query LIKE 'INSERT INTO shp_v%';
SELECT query FROM insights.queries WHERE query LIKE 'INSERT INTO shp_v%';
-- Prisma's createMany over the extended protocol: 2 and 8 rows, one shape
\! "$PGI_EXEC" params 'INSERT INTO shp_v (a, b) VALUES ($1,$2), ($3,$4)' 1 a 2 b :: params 'INSERT INTO shp_v (a, b) VALUES ($1,$2), ($3,$4), ($5,$6), ($7,$8), ($9,$10), ($11,$12), ($13,$14), ($15,$16)' 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h
SELECT count(*) AS shapes, sum(calls) AS calls, sum(rows) AS rows
  FROM insights.queries WHERE query LIKE 'INSERT INTO shp_v%';
-- VALUES lists that are not the same shape: different column counts
SELECT insights.reset();
SELECT * FROM (VALUES (1, 2), (3, 4)) AS x(a, b);
SELECT * FROM (VALUES (1, 2, 3), (3, 4, 5)) AS x(a, b, c);
SELECT count(*) AS shapes FROM insights.queries WHERE query LIKE '%FROM (VALUES%' AND query NOT LIKE '%insights%';
-- the stored text never carries the sqlcommenter comment
SELECT insights.reset();
SELECT v FROM shp_t2 WHERE id = 1 /*controller='c',route='%2Fx',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/;
SELECT query FROM insights.queries WHERE query LIKE '%shp_t2%' AND query NOT LIKE '%insights%';
-- a long statement is cut at max_query_length with a marker and counted
SELECT insights.reset();
SELECT format('SELECT %s FROM shp_t2', string_agg(format('id AS col_%s', g), ', ')) FROM generate_series(1, 400) g
\gset
\o /dev/null
:format;
\o
SELECT query_truncated, length(query) <= (SELECT setting::int FROM pg_settings WHERE name = 'pg_insights.max_query_length') + 16 AS bounded,
       calls FROM insights.queries WHERE query LIKE 'SELECT id AS col_1,%';
SELECT texts_truncated > 0 AS texts_truncated_counted FROM insights.info;
-- shape ids are fingerprints of the tokens: the same on every server, database and
-- version (the numbers below are checked on every PostgreSQL version the suite runs on)
SELECT insights.reset();
CREATE TABLE shp_fp ("Id" int, name text, n numeric(10,2));
SELECT name FROM shp_fp WHERE "Id" = 1 AND name IN ('a', 'b', 'c');
select   NAME from SHP_FP /* a comment */ where "Id"=-42 and name in ('x');
SELECT name FROM "shp_fp" WHERE "Id" = 7 AND name IN ('a', 'b') -- trailing
;
SELECT n::numeric(10,2) FROM shp_fp WHERE n > 1.5 AND name IS NOT NULL LIMIT 10;
SELECT n::numeric(12,4) FROM shp_fp WHERE n > 2.5 AND name IS NOT NULL LIMIT 20;
SELECT name FROM shp_fp WHERE "Id" = 1 - 2;
SELECT name FROM shp_fp WHERE "Id" = true::int AND name <> 'q' AND name != 'r';
SELECT shape_id, calls, query FROM insights.queries WHERE query ILIKE '%shp_fp%' AND query NOT LIKE '%insights%'
 ORDER BY shape_id;
-- the fingerprint lexes the statement again: it must not repeat the parser's NOTICE
-- (an identifier truncated to NAMEDATALEN); for non-standard strings see strings.sql
SELECT 1 AS xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy;
