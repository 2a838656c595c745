-- utility statements that differ only in a name or a value are one shape each:
-- a per-request SAVEPOINT or SET LOCAL must not create (and evict) a shape per request
SELECT insights.reset();
CREATE TABLE utl_t (id int);
SELECT store_exclusive_locks AS locks_before FROM insights.info \gset
-- 300 requests, each: BEGIN, SET LOCAL two settings, SAVEPOINT with a unique name, RELEASE or ROLLBACK TO
SELECT format('BEGIN; SET LOCAL work_mem = %L; SET LOCAL app.tenant = %L; SAVEPOINT sp_%s; INSERT INTO utl_t VALUES (%s); %s sp_%s; COMMIT;',
              (64 + i) || 'kB', i, i, i, CASE WHEN i % 2 = 0 THEN 'RELEASE SAVEPOINT' ELSE 'ROLLBACK TO SAVEPOINT' END, i)
  FROM generate_series(1, 300) i \gexec
SET search_path = public, pg_catalog;
SET search_path TO DEFAULT;
RESET search_path;
SET statement_timeout = '5s';
SET statement_timeout = 6000;
RESET statement_timeout;
PREPARE utl_p1 AS SELECT 1; DEALLOCATE utl_p1;
PREPARE utl_p2 AS SELECT 1; DEALLOCATE utl_p2;
DEALLOCATE ALL;
BEGIN;
DECLARE utl_c1 CURSOR FOR SELECT * FROM utl_t;
FETCH 10 FROM utl_c1;
FETCH 20 FROM utl_c1;
MOVE FORWARD ALL IN utl_c1;
CLOSE utl_c1;
DECLARE "Utl_C2" CURSOR FOR SELECT * FROM utl_t;
FETCH 5 FROM "Utl_C2";
CLOSE "Utl_C2";
COMMIT;
BEGIN; INSERT INTO utl_t VALUES (1); PREPARE TRANSACTION 'utl_gx_1';
COMMIT PREPARED 'utl_gx_1';
BEGIN; INSERT INTO utl_t VALUES (2); PREPARE TRANSACTION 'utl_gx_2';
ROLLBACK PREPARED 'utl_gx_2';
BEGIN; INSERT INTO utl_t VALUES (3); PREPARE TRANSACTION 'utl_gx_3';
COMMIT PREPARED 'utl_gx_3';
SELECT query, calls FROM insights.queries
 WHERE query ~ '^(SET|RESET|SAVEPOINT|RELEASE|ROLLBACK|DEALLOCATE|FETCH|MOVE|CLOSE|PREPARE|COMMIT)'
 ORDER BY query COLLATE "C";
-- a handful of shape creations, not one per request
SELECT store_exclusive_locks - :locks_before < 40 AS few_exclusive_locks FROM insights.info;
DROP TABLE utl_t;
