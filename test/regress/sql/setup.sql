-- setup: the extension, its SQL contract, its settings
CREATE EXTENSION pg_insights;
SELECT extversion FROM pg_extension WHERE extname = 'pg_insights';
-- the views and their columns (the contract other parts build on)
SELECT table_name, column_name, data_type
  FROM information_schema.columns
 WHERE table_schema = 'insights'
 ORDER BY table_name, ordinal_position;
SELECT name, setting, context FROM pg_settings WHERE name LIKE 'pg_insights.%' ORDER BY name;
SELECT current_setting('compute_query_id') AS compute_query_id;
-- histogram bounds are contiguous and increasing, the last one open
SELECT count(*) > 5 AS enough_buckets,
       bool_and(lower_ms < coalesce(upper_ms, 'infinity')) AS increasing,
       count(*) FILTER (WHERE upper_ms IS NULL) = 1 AS one_open_bucket,
       min(bucket) AS first_bucket
  FROM insights.histogram_bounds();
SELECT bool_and(b.upper_ms = n.lower_ms) AS contiguous
  FROM insights.histogram_bounds() b JOIN insights.histogram_bounds() n ON n.bucket = b.bucket + 1;
-- helpers used by the other tests: rows of insights.queries about one table, without the
-- statements that read the views themselves
CREATE FUNCTION pgi_rows(pattern text)
RETURNS TABLE (query text, calls bigint, rows bigint, toplevel boolean)
LANGUAGE sql AS $$
  SELECT query, calls, rows, toplevel FROM insights.queries
   WHERE query LIKE pattern AND query NOT LIKE '%insights%' AND query NOT LIKE '%pgi\_%'
   ORDER BY query COLLATE "C", toplevel DESC
$$;
