-- counting: every execution counted exactly once, whatever the protocol
\setenv PGDATABASE :DBNAME
CREATE TABLE cnt_t (id int PRIMARY KEY, v text);
INSERT INTO cnt_t SELECT g, 'v' || g FROM generate_series(1, 10) g;
SELECT insights.reset();
-- simple protocol, constants differ: one shape, 3 calls, 3 rows
SELECT v FROM cnt_t WHERE id = 1;
SELECT v FROM cnt_t WHERE id = 2;
SELECT v FROM cnt_t WHERE id = 3;
SELECT query, calls, rows, toplevel, command, tables, queryid <> 0 AS has_queryid
  FROM insights.queries WHERE query LIKE '%cnt_t%' AND query NOT LIKE '%insights%';
-- the timing and block columns are filled in
SELECT total_time >= 0 AS total, min_time <= max_time AS minmax, mean_time > 0 AS mean,
       abs(mean_time * calls - total_time) < 0.001 AS mean_is_total_over_calls,
       reads = shared_blks_hit + shared_blks_read AS reads_is_hit_plus_read, reads > 0 AS has_reads,
       (SELECT sum(x) FROM unnest(latency_histogram) x) = calls AS histogram_sums_to_calls,
       first_seen <= last_seen AS seen_order, last_seen <= now() AS seen_past
  FROM insights.queries WHERE query = 'SELECT v FROM cnt_t WHERE id = $1';
-- extended protocol: unnamed statements (PQexecParams: Parse/Bind/Execute each time)
SELECT insights.reset();
\! "$PGI_EXEC" params*4 'SELECT v FROM cnt_t WHERE id = $1' 5
-- unnamed statement parsed once, executed twice
\! "$PGI_EXEC" prepare '' 'SELECT v FROM cnt_t WHERE id = $1' :: execute*2 '' 6
-- named prepared statement, executed 5 times
\! "$PGI_EXEC" prepare s1 'SELECT v FROM cnt_t WHERE id = $1' :: execute*5 s1 7
-- pipeline of 3
\! "$PGI_EXEC" pipeline*3 'SELECT v FROM cnt_t WHERE id = $1' 8
-- the same text over the simple protocol with a constant
SELECT v FROM cnt_t WHERE id = 9;
SELECT * FROM pgi_rows('%cnt_t%');
-- a statement that fails is not counted as a call
SELECT insights.reset();
SELECT v::int FROM cnt_t WHERE id = 1;
SELECT v FROM cnt_t WHERE id = 2;
SELECT * FROM pgi_rows('%cnt_t%');
-- PREPARE / EXECUTE: the prepared statement's executions, once each; EXECUTE itself is not a
-- second row
SELECT insights.reset();
PREPARE p1(int) AS SELECT v FROM cnt_t WHERE id < $1;
EXECUTE p1(3);
EXECUTE p1(4);
DEALLOCATE p1;
SELECT sum(calls) AS calls_of_prepared, sum(rows) AS rows
  FROM insights.queries WHERE query LIKE '%cnt_t WHERE id < $1%' AND query NOT LIKE '%insights%';
SELECT count(*) AS execute_rows FROM insights.queries WHERE query ILIKE 'EXECUTE p1%';
-- nested statements with track = all: toplevel false rows
CREATE FUNCTION cnt_f(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r bigint;
BEGIN
  SELECT count(*) INTO r FROM cnt_t WHERE id <= n;
  RETURN r;
END $$;
CREATE FUNCTION cnt_g(n int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN cnt_f(n) + (SELECT count(*) FROM cnt_t WHERE v = 'x');
END $$;
SELECT insights.reset();
SELECT cnt_f(3);
SELECT cnt_f(5);
SELECT cnt_f(g) FROM generate_series(1, 4) g;
SELECT cnt_g(2);
SELECT toplevel, calls, rows, command FROM insights.queries
 WHERE query LIKE '%count(*)%FROM cnt_t WHERE id <= n%';
SELECT toplevel, calls FROM insights.queries WHERE query LIKE '%cnt_f($1)%' ORDER BY toplevel;
SELECT toplevel, calls FROM insights.queries WHERE query LIKE 'SELECT cnt_f(g)%';
-- cnt_g's own nested statements: RETURN's expression (1 call) counted at level 1
SELECT toplevel, calls FROM insights.queries WHERE query LIKE 'SELECT cnt_g%';
-- track = top: nested statements are not counted, top-level ones are
SET pg_insights.track = top;
SELECT insights.reset();
SELECT cnt_f(2);
SELECT count(*) AS nested_rows FROM insights.queries WHERE NOT toplevel;
SELECT toplevel, calls FROM insights.queries WHERE query LIKE 'SELECT cnt_f%';
-- track = none: nothing
SET pg_insights.track = none;
SELECT insights.reset();
SELECT cnt_f(2);
SELECT v FROM cnt_t WHERE id = 1;
SET pg_insights.track = 'all';
SELECT count(*) AS rows_with_track_none FROM insights.queries WHERE query LIKE '%cnt_%' AND query NOT LIKE '%insights%';
-- utility statements are tracked (track_utility = on) once each
SELECT insights.reset();
CREATE TABLE cnt_u (a int);
DROP TABLE cnt_u;
CREATE TABLE cnt_u (a int);
DROP TABLE cnt_u;
SELECT query, calls, command FROM insights.queries WHERE query LIKE '%cnt_u%' AND query NOT LIKE '%insights%'
 ORDER BY query COLLATE "C";
-- DML: rows are counted
SELECT insights.reset();
UPDATE cnt_t SET v = v WHERE id <= 4;
DELETE FROM cnt_t WHERE id > 100;
INSERT INTO cnt_t VALUES (11, 'v11') RETURNING id;
SELECT query, calls, rows, command, tables FROM insights.queries
 WHERE query LIKE '%cnt_t%' AND query NOT LIKE '%insights%' ORDER BY query COLLATE "C";
