-- hotpath: what production traffic does to the capture path (issue 11)
\setenv PGDATABASE :DBNAME
CREATE TABLE hp_t (id int PRIMARY KEY, v text);
INSERT INTO hp_t SELECT g, 'v' || g FROM generate_series(1, 100) g;
SELECT insights.reset();
-- 1. a shape over its tag-set cap takes no exclusive lock in steady state.
-- 200 routes, cap 32: warm up (each route once), then 4,000 executions.
SHOW pg_insights.max_tagsets_per_shape;
\o /dev/null
\set ECHO none
SELECT format('SELECT v FROM hp_t WHERE id = 7 /*route=''%%2Fr%s''*/', k) FROM generate_series(1, 200) k
\gexec
\set ECHO all
\o
SELECT store_exclusive_locks AS locks0, tagsets_dropped AS dropped0 FROM insights.info \gset
\o /dev/null
\set ECHO none
SELECT format('SELECT v FROM hp_t WHERE id = %s /*route=''%%2Fr%s''*/', 1 + k % 50, 1 + k % 200)
  FROM generate_series(0, 3999) k
\gexec
\set ECHO all
\o
SELECT store_exclusive_locks - :locks0 <= 5 AS few_exclusive_locks,
       tagsets_dropped - :dropped0 AS dropped
  FROM insights.info;
-- every execution is in the shape; the attributed ones plus the dropped ones add up to it
SELECT q.calls, q.tagsets, sum(a.calls) AS attributed, count(a.*) AS attribution_rows
  FROM insights.queries q JOIN insights.attribution a USING (shape_id, userid, dbid, toplevel)
 WHERE q.query = 'SELECT v FROM hp_t WHERE id = $1'
 GROUP BY q.calls, q.tagsets;
SELECT (SELECT calls FROM insights.queries WHERE query = 'SELECT v FROM hp_t WHERE id = $1')
     = (SELECT sum(a.calls) FROM insights.attribution a JOIN insights.queries q USING (shape_id, userid, dbid, toplevel)
         WHERE q.query = 'SELECT v FROM hp_t WHERE id = $1') + (SELECT tagsets_dropped FROM insights.info)
       AS calls_add_up;
-- 2. comments that differ only in traceparent share the parsed tag set, and the
-- trace id of each one is its own
SELECT insights.reset();
SELECT events_written AS ev0 FROM insights.info \gset
\! "$PGI_EXEC" simple "SELECT v FROM hp_t WHERE id = 1 /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/" :: simple "SELECT v FROM hp_t WHERE id = 2 /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',traceparent='00-1111111111111111111111111111111a-b7ad6b7169203332-01'*/" :: simple "SELECT v FROM hp_t WHERE id = 3 /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',traceparent='00-2222222222222222222222222222222b-b7ad6b7169203333-01'*/" :: simple "SELECT v FROM hp_t WHERE id = 4 /*prismaQuery='Acc.findMany%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',traceparent='00-3333333333333333333333333333333c-b7ad6b7169203334-01'*/" :: simple "SELECT v FROM hp_t WHERE id = 5 /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',tracestate='congo%3Dt61rcWkgMzE',traceparent='00-4444444444444444444444444444444d-b7ad6b7169203335-01'*/" :: simple "SELECT v FROM hp_t WHERE id = 6 /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',tracestate='rojo%3D00f067aa0ba902b7',traceparent='00-5555555555555555555555555555555e-b7ad6b7169203336-01'*/"
SELECT prisma_model, prisma_action, prisma_shape, tags, calls
  FROM insights.attribution ORDER BY prisma_action COLLATE "C", calls;
SELECT trace_id FROM insights.events(:ev0) WHERE trace_id IS NOT NULL ORDER BY seq;
-- a value the parser reads differently (a quote inside) is not mistaken for a trace value
\! "$PGI_EXEC" simple "SELECT v FROM hp_t WHERE id = 8 /*route='a,traceparent='x',controller='c1'*/" :: simple "SELECT v FROM hp_t WHERE id = 8 /*route='a,traceparent='y',controller='c1'*/"
SELECT tags, calls FROM insights.attribution WHERE tags ? 'route' ORDER BY tags::text COLLATE "C";
-- 3. a prepared statement lands in its shape however many other statements were
-- parsed since (20,000 distinct query ids of 200 shapes push it out of the cache)
SELECT insights.reset();
SELECT 'CREATE TABLE hp_wide (' || string_agg('c' || g || ' int', ', ') || ')' FROM generate_series(1, 200) g
\gexec
SELECT shape_cache_misses AS misses0 FROM insights.info \gset
PREPARE hp_p AS SELECT v FROM hp_t WHERE id = $1 AND v <> 'zz';
EXECUTE hp_p(1);
EXECUTE hp_p(2);
\o /dev/null
\set ECHO none
SELECT format('SELECT c%s FROM hp_wide WHERE c1 IN (%s)', j, (SELECT string_agg(x::text, ',') FROM generate_series(1, k) x))
  FROM generate_series(1, 200) j, generate_series(1, 100) k
\gexec
\set ECHO all
\o
EXECUTE hp_p(3);
EXECUTE hp_p(4);
EXECUTE hp_p(5);
SELECT query, calls FROM insights.queries WHERE query LIKE '%hp_t WHERE id = $1 AND%' ORDER BY query COLLATE "C";
SELECT shape_cache_misses - :misses0 AS new_misses FROM insights.info;
DEALLOCATE hp_p;
DROP TABLE hp_wide;
-- 4. plans are walked only for executions pg_insights sampled, not for EXPLAIN ANALYZE
SET pg_insights.plan_sample_rate = 0;
SELECT insights.reset();
-- (its output is each version's own format: not compared)
\o /dev/null
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT v FROM hp_t WHERE v = 'v3';
\o
SELECT query, calls, plan_samples, plan IS NULL AS no_plan FROM insights.queries
 WHERE query LIKE '%hp_t WHERE v = %' AND NOT toplevel;
RESET pg_insights.plan_sample_rate;
-- 5. statements inside DO are nested even when utility statements are not tracked
SET pg_insights.track_utility = off;
SET pg_insights.track = top;
SELECT insights.reset();
DO $$ BEGIN PERFORM v FROM hp_t WHERE id = 9; END $$;
SELECT v FROM hp_t WHERE id = 10;
SELECT query, calls, toplevel FROM insights.queries WHERE query LIKE '%FROM hp_t WHERE id%' ORDER BY query COLLATE "C";
SET pg_insights.track = 'all';
SELECT insights.reset();
DO $$ BEGIN PERFORM v FROM hp_t WHERE id = 9; END $$;
SELECT query, calls, toplevel FROM insights.queries WHERE query LIKE '%FROM hp_t WHERE id%' ORDER BY query COLLATE "C", toplevel;
RESET pg_insights.track;
RESET pg_insights.track_utility;
-- 6. a string of 100,000 statements: each is counted, and the comment after the last one
-- belongs to the last one only
SELECT insights.reset();
\! awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "SELECT v FROM hp_t WHERE id = %d; ", i % 100 + 1; printf "SELECT count(*) FROM hp_t WHERE id > 0; /*route=\047%%2Flast\047*/" }' > "$PGI_DATA_DIR/../hp_multi.sql"
\! "$PGI_EXEC" simplefile "$PGI_DATA_DIR/../hp_multi.sql"
SELECT query, calls FROM insights.queries WHERE query LIKE '%FROM hp_t WHERE id%' ORDER BY query COLLATE "C";
SELECT route, calls FROM insights.attribution;
DROP TABLE hp_t;
