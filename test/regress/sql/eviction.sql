-- eviction: 10 x max_shapes distinct shapes interleaved with a hot set; the hot set's counts
-- stay exact, the store stays bounded, evictions are counted
DO $$ BEGIN
  FOR n IN 1..1000 LOOP
    EXECUTE format('CREATE TABLE ev_%s (id int)', n);
  END LOOP;
END $$;
CREATE TABLE ev_hot (id int, v text);
INSERT INTO ev_hot VALUES (1, 'a'), (2, 'b');
SELECT insights.reset();
-- 1000 cold shapes, each run once; after every 10 of them the 3 hot statements
\o /dev/null
\set ECHO none
SELECT s FROM (
  SELECT n * 10 AS k, format('SELECT count(*) FROM ev_%s', n) AS s FROM generate_series(1, 1000) n
  UNION ALL
  SELECT m * 100 + 5, h FROM generate_series(1, 100) m,
    unnest(ARRAY['SELECT v FROM ev_hot WHERE id = 1',
                 'UPDATE ev_hot SET v = v WHERE id = 2',
                 'SELECT count(*) FROM ev_hot WHERE v <> ''zz''']) h
) x ORDER BY k, s
\gexec
\set ECHO all
\o
SELECT query, calls, rows FROM insights.queries WHERE query LIKE '%ev_hot%' AND query NOT LIKE '%insights%'
 ORDER BY query COLLATE "C";
SELECT shapes <= max_shapes AS bounded, evictions >= 1000 - max_shapes AS evictions_counted, max_shapes
  FROM insights.info;
SELECT count(*) <= 100 AS rows_bounded FROM insights.queries;
-- the cold survivors were each run once and say so
SELECT bool_and(calls = 1) AS survivors_exact, count(*) < 1000 AS some_evicted
  FROM insights.queries WHERE query ~ '^SELECT count\(\*\) FROM ev_[0-9]+$';
-- the store keeps working after the churn
SELECT insights.reset();
SELECT v FROM ev_hot WHERE id = 2;
SELECT v FROM ev_hot WHERE id = 1;
SELECT query, calls FROM insights.queries WHERE query LIKE '%ev_hot%' AND query NOT LIKE '%insights%';
-- attribution dies with its shape: a tagged shape evicted by churn and seen again counts its tag set
-- afresh (its old tag-set entry must not be found again), and no tag set outlives its shape
SELECT insights.reset();
\o /dev/null
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
\set ECHO none
SELECT format('SELECT count(*) FROM ev_%s', n) FROM generate_series(1, 300) n
\gexec
\set ECHO all
\o
SELECT count(*) AS comeback_shape_left FROM insights.queries WHERE query = 'SELECT count(*) FROM ev_hot';
SELECT count(*) AS orphan_tagsets FROM insights.attribution a
 WHERE NOT EXISTS (SELECT 1 FROM insights.queries q
                    WHERE q.shape_id = a.shape_id AND q.userid = a.userid AND q.dbid = a.dbid
                      AND q.toplevel = a.toplevel);
\o /dev/null
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
SELECT count(*) FROM ev_hot /*route='%2Fcome-back'*/;
\o
SELECT q.calls AS shape_calls, a.calls AS attributed_calls, a.route
  FROM insights.queries q JOIN insights.attribution a USING (shape_id, userid, dbid, toplevel)
 WHERE q.query = 'SELECT count(*) FROM ev_hot';
