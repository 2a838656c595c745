-- errors: failed executions per shape and SQLSTATE (issue 15, item 6)
CREATE TABLE err_t (id int PRIMARY KEY, v int);
INSERT INTO err_t VALUES (1, 1);
SELECT insights.reset();
\set VERBOSITY terse
INSERT INTO err_t VALUES (1, 2);
INSERT INTO err_t VALUES (1, 3);
INSERT INTO err_t VALUES (1, 4);
SELECT v / 0 FROM err_t WHERE id = 1;
SELECT v / (v - 1) FROM err_t WHERE id = 1;
SET statement_timeout = '50ms';
SELECT pg_sleep(2) FROM err_t;
RESET statement_timeout;
-- a utility statement that fails
CREATE TABLE err_t (id int);
-- an error before the statement runs (no shape yet) is not counted
SELECT nosuchcolumn FROM err_t;
SELEC 1;
-- nested, caught by the function: counted at its level
DO $$ BEGIN INSERT INTO err_t VALUES (1, 5); EXCEPTION WHEN unique_violation THEN NULL; END $$;
-- successful executions of the same shapes add nothing
INSERT INTO err_t VALUES (2, 2);
\set VERBOSITY default
SELECT q.query, e.toplevel, e.sqlstate, e.errors, e.last_error_at IS NOT NULL AS has_time
  FROM insights.errors e
  LEFT JOIN insights.queries q USING (userid, dbid, shape_id, toplevel)
 ORDER BY e.sqlstate, q.query COLLATE "C", e.toplevel;
SELECT errors_dropped FROM insights.info;
-- the failing INSERT's shape is the one the successful INSERT counts under
SELECT count(*) AS shapes FROM insights.errors e JOIN insights.queries q USING (userid, dbid, shape_id, toplevel)
 WHERE q.query = 'INSERT INTO err_t VALUES ($1, $2)' AND q.calls = 1 AND e.errors = 3;
-- reset of one shape zeroes its counters only; reset() all of them
SELECT insights.reset(shape_id) FROM insights.errors WHERE sqlstate = '22012' LIMIT 1;
SELECT sqlstate, sum(errors) AS errors FROM insights.errors GROUP BY sqlstate ORDER BY sqlstate;
INSERT INTO err_t VALUES (1, 9);
SELECT sqlstate, sum(errors) AS errors FROM insights.errors GROUP BY sqlstate ORDER BY sqlstate;
SELECT insights.reset();
SELECT count(*) FROM insights.errors;
DROP TABLE err_t;
