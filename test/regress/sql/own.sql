-- own: pg_insights' own statements (tagged application='pg_insights...': the collector, the
-- dashboard, the demo) are kept out of the store and the event ring, and counted in
-- insights.info (issue 12, item 6)
CREATE TABLE own_t (id int PRIMARY KEY, v text);
INSERT INTO own_t SELECT g, 'v' || g FROM generate_series(1, 10) g;
SELECT insights.reset();
SELECT max(seq) AS seq0 FROM insights.events() \gset
SELECT own_calls AS own0 FROM insights.info \gset
-- with constants (entry made at parse time), without, a utility statement, and an
-- application that only looks alike
SELECT v FROM own_t WHERE id = 3 /*application='pg_insights_collector'*/;
SELECT count(*) FROM own_t /*application='pg_insights_collector'*/;
SELECT count(*) FROM own_t /*application='pg_insights_demo',route='%2Freport'*/;
SET work_mem = '4MB' /*application='pg_insights_collector'*/;
RESET work_mem /*application='pg_insights_collector'*/;
SELECT v FROM own_t WHERE id = 4 /*application='my_pg_insights_app'*/;
SELECT v FROM own_t WHERE id = 5 /*application='pg_insight'*/;
SELECT own_calls - :own0 AS own_calls, own_time >= 0 AS own_time FROM insights.info;
-- none of them is a shape; the look-alikes are
SELECT query, calls FROM insights.queries WHERE query LIKE '%own_t%' OR command IN ('SET', 'RESET')
 ORDER BY query COLLATE "C";
SELECT a.application, a.calls FROM insights.attribution a ORDER BY a.application COLLATE "C";
-- and not in the ring
SELECT count(*) AS own_events FROM insights.events(coalesce(:'seq0', '0')::bigint) e
  JOIN insights.queries q USING (shape_id) WHERE q.query LIKE 'SELECT v FROM own_t%';
SELECT count(*) AS events FROM insights.events(coalesce(:'seq0', '0')::bigint) e
 WHERE NOT EXISTS (SELECT 1 FROM insights.queries q WHERE q.shape_id = e.shape_id);
-- a prepared statement of the tool stays out whatever the cache state
PREPARE own_p(int) AS SELECT v FROM own_t WHERE id = $1 /*application='pg_insights_collector'*/;
EXECUTE own_p(1);
EXECUTE own_p(2);
SELECT own_calls - :own0 AS own_calls FROM insights.info;
-- the look-alike's shape (same statement) keeps its own two calls
SELECT calls FROM insights.queries WHERE query = 'SELECT v FROM own_t WHERE id = $1';
DEALLOCATE own_p;
-- reset() zeroes the counters
SELECT insights.reset();
SELECT own_calls, own_time FROM insights.info;
DROP TABLE own_t;
