-- reset: of one shape, of all; stats_reset moves
CREATE TABLE rst_a (id int);
CREATE TABLE rst_b (id int);
SELECT insights.reset();
SELECT now() AS t0 \gset
SELECT count(*) FROM rst_a;
SELECT count(*) FROM rst_a;
SELECT count(*) FROM rst_b;
SELECT shape_id AS a_shape FROM insights.queries WHERE query = 'SELECT count(*) FROM rst_a' \gset
-- reset of one shape: the other stays
SELECT insights.reset(:a_shape);
SELECT query, calls FROM insights.queries WHERE query LIKE '%rst_%' AND query NOT LIKE '%insights%' ORDER BY 1;
SELECT count(*) AS a_attribution FROM insights.attribution WHERE shape_id = :a_shape;
-- reset of an unknown shape: nothing happens
SELECT insights.reset(12345);
SELECT count(*) AS b_rows FROM insights.queries WHERE query LIKE '%rst_b%' AND query NOT LIKE '%insights%';
-- reset of everything
SELECT insights.reset();
SELECT count(*) AS rst_rows FROM insights.queries WHERE query LIKE '%rst_%' AND query NOT LIKE '%insights%';
SELECT stats_reset >= :'t0'::timestamptz AS stats_reset_moved, stats_reset <= now() AS not_future FROM insights.info;
-- info is sane
SELECT max_shapes = current_setting('pg_insights.max_shapes')::bigint AS max_shapes,
       shapes BETWEEN 1 AND max_shapes AS shapes, evictions >= 0 AS evictions,
       max_tagsets = current_setting('pg_insights.max_tagsets')::bigint AS max_tagsets,
       tagsets <= max_tagsets AS tagsets, shmem_bytes > 0 AS shmem,
       max_query_length = (SELECT setting::int FROM pg_settings WHERE name = 'pg_insights.max_query_length') AS max_query_length
  FROM insights.info;
