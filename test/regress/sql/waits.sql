-- waits: time by wait event per shape, sampled by the background worker (issue 15, item 1)
SELECT insights.reset();
SELECT wait_sample_rounds AS rounds0 FROM insights.info \gset
-- sleeping: Timeout:PgSleep; computing: CPU
SELECT pg_sleep(0.5);
SELECT count(*) > 0 AS counted FROM generate_series(1, 3000000) g WHERE g % 7 = 3;
SELECT q.query, w.wait_event_type, w.wait_event, w.share > 0.5 AS most
  FROM insights.waits w JOIN insights.queries q USING (userid, dbid, shape_id)
 WHERE q.query LIKE 'SELECT pg_sleep%' OR q.query LIKE 'SELECT count(*) > $1 AS counted%'
 GROUP BY 1, 2, 3, 4 HAVING bool_or(w.share > 0.5)
 ORDER BY q.query COLLATE "C";
-- the share of a shape's samples adds up to one (each rounded to 4 places)
SELECT bool_and(abs(total - 1) < 0.001) AS shares_add_up
  FROM (SELECT shape_id, sum(share) AS total FROM insights.waits GROUP BY userid, dbid, shape_id) s;
-- a backend between statements is not running one: no ClientRead sample
SELECT count(*) AS idle_samples FROM insights.waits WHERE wait_event = 'ClientRead';
SELECT wait_sample_rounds > :rounds0 AS sampled, waits_dropped FROM insights.info;
SELECT insights.reset();
SELECT count(*) FROM insights.waits;
