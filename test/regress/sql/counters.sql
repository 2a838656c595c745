-- counters: JIT on every version; 17's local block I/O times and JIT deform, 18's parallel workers
-- and WAL buffers full, 19's generic and custom plan executions; NULL where the server has none
-- (issue 13).  The output is the same on every version: each check says what its version must show.
SELECT current_setting('server_version_num')::int AS v \gset
CREATE TABLE vc_t AS SELECT g AS id, g % 100 AS k, repeat('x', 40) AS pad FROM generate_series(1, 20000) g;
ANALYZE vc_t;
SELECT insights.reset();
-- JIT, every step forced
SET jit = on;
SET jit_above_cost = 0;
SET jit_inline_above_cost = 0;
SET jit_optimize_above_cost = 0;
SELECT pg_jit_available() AS jit_available;
SELECT sum(k) AS jitted FROM vc_t WHERE id > 10;
SELECT sum(k) AS jitted FROM vc_t WHERE id > 20;
RESET jit_above_cost;
RESET jit_inline_above_cost;
RESET jit_optimize_above_cost;
SET jit = off;
SELECT sum(k) AS not_jitted FROM vc_t WHERE id < 10;
SELECT jit_functions > 0 AS functions, jit_generation_time > 0 AS generation,
       jit_inlining_count AS inlined, jit_optimization_count AS optimized, jit_emission_count AS emitted,
       jit_inlining_time > 0 AND jit_optimization_time > 0 AND jit_emission_time > 0 AS times,
       CASE WHEN :v >= 170000 THEN jit_deform_count = 2 AND jit_deform_time > 0
            ELSE jit_deform_count IS NULL AND jit_deform_time IS NULL END AS deform
  FROM insights.queries WHERE query LIKE 'SELECT sum(k) AS jitted%';
SELECT jit_functions, jit_inlining_count, jit_generation_time,
       CASE WHEN :v >= 170000 THEN jit_deform_count = 0 ELSE jit_deform_count IS NULL END AS deform
  FROM insights.queries WHERE query LIKE 'SELECT sum(k) AS not_jitted%';
-- local blocks: a temporary table larger than temp_buffers is written out and read back
SET track_io_timing = on;
SET temp_buffers = 100;
CREATE TEMP TABLE vc_tmp AS SELECT g AS id, repeat('y', 200) AS pad FROM generate_series(1, 20000) g;
SELECT count(*) AS temp_rows FROM vc_tmp;
SELECT local_blks_read > 0 AS read_local,
       CASE WHEN :v >= 170000 THEN local_blk_read_time > 0 ELSE local_blk_read_time IS NULL END AS read_time
  FROM insights.queries WHERE query LIKE 'SELECT count(*) AS temp_rows%';
SELECT CASE WHEN :v >= 170000 THEN local_blk_write_time > 0 ELSE local_blk_write_time IS NULL END AS write_time
  FROM insights.queries WHERE query LIKE 'CREATE TEMP TABLE vc_tmp%' AND toplevel;
RESET track_io_timing;
-- parallel workers planned and launched
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT count(*) AS parallel_rows FROM vc_t;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT CASE WHEN :v >= 180000 THEN parallel_workers_to_launch = 2 AND parallel_workers_launched BETWEEN 1 AND 2
            ELSE parallel_workers_to_launch IS NULL AND parallel_workers_launched IS NULL END AS workers
  FROM insights.queries WHERE query LIKE 'SELECT count(*) AS parallel_rows%';
SELECT bool_and(CASE WHEN :v >= 180000 THEN wal_buffers_full >= 0 ELSE wal_buffers_full IS NULL END) AS wal_buffers_full
  FROM insights.queries;
-- generic and custom plans of a prepared statement
PREPARE vc_p(int) AS SELECT count(*) AS prepared_rows FROM vc_t WHERE k = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE vc_p(1);
EXECUTE vc_p(2);
EXECUTE vc_p(3);
SET plan_cache_mode = force_custom_plan;
EXECUTE vc_p(4);
EXECUTE vc_p(5);
RESET plan_cache_mode;
SELECT calls, CASE WHEN :v >= 190000 THEN generic_plan_calls = 3 AND custom_plan_calls = 2
                   ELSE generic_plan_calls IS NULL AND custom_plan_calls IS NULL END AS plans
  FROM insights.queries WHERE query LIKE '%prepared_rows%' AND command = 'SELECT';
-- a plain statement is neither
SELECT CASE WHEN :v >= 190000 THEN generic_plan_calls = 0 AND custom_plan_calls = 0 ELSE true END AS plain
  FROM insights.queries WHERE query LIKE 'SELECT count(*) AS parallel_rows%';
DEALLOCATE vc_p;
DROP TABLE vc_t;
