-- hostile: no client comment can make a view, a function or the collector's reads fail.
-- Hostile sqlcommenter comments (test/regress/data/hostile_feed.sql: numbers beyond numeric's
-- range, deep nesting, bad UTF-8, \u0000, unpaired surrogates, enormous tags, quotes and
-- backslashes, NUL-ish encodings, 3,000 generated mutations) go through real statements, in
-- this UTF8 database and in a SQL_ASCII one; then every view and function is read in full.
\getenv datadir PGI_DATA_DIR
SELECT insights.reset();
SELECT tags_truncated AS truncated0 FROM insights.info \gset
\i :datadir/hostile_feed.sql
-- the views and functions, every column of every row turned into text (the collector reads
-- queries_raw, attribution_raw and info_raw)
CREATE FUNCTION hs_read_all() RETURNS TABLE (source text, ok boolean) LANGUAGE sql AS $$
  SELECT 'queries', count(*) > 0 AND bool_and(length(q::text) > 0) FROM insights.queries q
  UNION ALL SELECT 'queries_raw(false)', count(*) > 0 AND bool_and(length(q::text) > 0) FROM insights.queries_raw(false) q
  UNION ALL SELECT 'attribution', count(*) > 0 AND bool_and(length(a::text) > 0) FROM insights.attribution a
  UNION ALL SELECT 'attribution_raw', count(*) > 0 AND bool_and(length(a::text) > 0) FROM insights.attribution_raw() a
  UNION ALL SELECT 'info', count(*) = 1 AND bool_and(length(i::text) > 0) FROM insights.info i
  UNION ALL SELECT 'info_raw', count(*) = 1 AND bool_and(length(i::text) > 0) FROM insights.info_raw() i
  UNION ALL SELECT 'plans', count(*) >= 0 AND coalesce(bool_and(length(p::text) > 0), true) FROM insights.plans p
  UNION ALL SELECT 'events', count(*) > 0 AND bool_and(length(e::text) > 0) FROM insights.events(0) e
  UNION ALL SELECT 'histogram_bounds', count(*) > 0 FROM insights.histogram_bounds()
  UNION ALL SELECT 'findings', count(*) >= 0 AND coalesce(bool_and(length(f::text) > 0), true) FROM insights.findings f
$$;
SELECT * FROM hs_read_all();
-- the issue's shape falls back to Model.action, counted; a valid shape next to it is kept
SELECT a.tags, a.prisma_model, a.prisma_action, a.prisma_shape
  FROM insights.attribution a JOIN insights.queries q USING (shape_id, userid, dbid, toplevel)
 WHERE q.query IN ('SELECT min(id) FROM hs_t WHERE id = $1', 'SELECT max(id) FROM hs_t WHERE id = $1')
 ORDER BY q.query COLLATE "C";
SELECT tags_truncated - :truncated0 >= 34 + 1000 AS fallbacks_counted FROM insights.info;
-- the mutations are there, and every shape kept is JSON whose numbers fit a double
SELECT count(*) > 2500 AS mutations_attributed,
       count(*) FILTER (WHERE prisma_shape IS NOT NULL) > 200 AS some_shapes_kept,
       count(*) FILTER (WHERE prisma_shape IS NULL AND tags->>'prismaQuery' = 'Post.findMany') > 1000
         AS bad_shapes_cut
  FROM insights.attribution WHERE tags ? 'prismaQuery';
SELECT count(*) > 0 AS numbers_seen, bool_and(abs(v::text::float8) < 1e300) AS numbers_fit_double
  FROM insights.attribution a, jsonb_path_query(a.prisma_shape, 'strict $.**') v
 WHERE jsonb_typeof(v) = 'number';
-- the hostile keys and values are valid text, control characters gone
SELECT count(*) AS hostile_tag_rows,
       bool_and(tags::text !~ '[\x01-\x1f]') AS no_control_characters,
       bool_and(route IS NULL OR route !~ '[\x01-\x1f]') AS route_clean
  FROM insights.attribution a JOIN insights.queries q USING (shape_id, userid, dbid, toplevel)
 WHERE q.query = 'SELECT sum(id) FROM hs_t WHERE id = $1';
-- the 38 fixed hostile shapes: 35 cut to Model.action, the valid ones kept (\u00e9 among them)
CREATE FUNCTION hs_fixed_cases() RETURNS TABLE (cut bigint, kept bigint, kept_e_acute bigint)
LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE tags->>'prismaQuery' = 'User.findFirst'),
         count(*) FILTER (WHERE prisma_shape IS NOT NULL),
         count(*) FILTER (WHERE prisma_shape->>'a' = U&'\00e9')
    FROM insights.attribution
   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND tags->>'prismaQuery' LIKE 'User.findFirst%'
$$;
SELECT * FROM hs_fixed_cases();
-- the same in a SQL_ASCII database: first this database's entries (UTF-8 tags, the \u00e9
-- shape) read from there, then the feed sent there, where escapes above U+007F are refused
SELECT current_database() AS regress_db \gset
CREATE DATABASE pgi_hostile_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c pgi_hostile_ascii
CREATE EXTENSION pg_insights;
CREATE FUNCTION hs_read_all() RETURNS TABLE (source text, ok boolean) LANGUAGE sql AS $$
  SELECT 'queries', count(*) > 0 AND bool_and(length(q::text) > 0) FROM insights.queries q
  UNION ALL SELECT 'attribution', count(*) > 0 AND bool_and(length(a::text) > 0) FROM insights.attribution a
  UNION ALL SELECT 'attribution_raw', count(*) > 0 AND bool_and(length(a::text) > 0) FROM insights.attribution_raw() a
  UNION ALL SELECT 'info', count(*) = 1 AND bool_and(length(i::text) > 0) FROM insights.info i
  UNION ALL SELECT 'events', count(*) > 0 AND bool_and(length(e::text) > 0) FROM insights.events(0) e
  UNION ALL SELECT 'findings', count(*) >= 0 AND coalesce(bool_and(length(f::text) > 0), true) FROM insights.findings f
$$;
CREATE FUNCTION hs_fixed_cases() RETURNS TABLE (cut bigint, kept bigint)
LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE tags->>'prismaQuery' = 'User.findFirst'),
         count(*) FILTER (WHERE prisma_shape IS NOT NULL)
    FROM insights.attribution
   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND tags->>'prismaQuery' LIKE 'User.findFirst%'
$$;
CREATE FUNCTION hs_ascii_check() RETURNS TABLE (shapes_ascii boolean, tags_ascii boolean, rows bigint)
LANGUAGE sql AS $$
  SELECT bool_and(prisma_shape IS NULL OR prisma_shape::text ~ '^[\x20-\x7f]*$'),
         bool_and(tags IS NULL OR tags::text ~ '^[\x20-\x7f]*$'), count(*)
    FROM insights.attribution
$$;
SELECT * FROM hs_read_all();
SELECT shapes_ascii, tags_ascii, rows > 2500 AS utf8_database_rows FROM hs_ascii_check();
SELECT count(*) AS e_acute_shape_hidden FROM insights.attribution
 WHERE tags->>'prismaQuery' = 'User.findFirst:eyJhIjoiXHUwMGU5In0' AND prisma_shape IS NULL;
SELECT insights.reset();
SELECT tags_truncated AS truncated1 FROM insights.info \gset
\i :datadir/hostile_feed.sql
SELECT * FROM hs_read_all();
SELECT tags_truncated - :truncated1 >= 37 + 1000 AS fallbacks_counted FROM insights.info;
SELECT shapes_ascii, tags_ascii FROM hs_ascii_check();
-- the fixed hostile shapes sent here: all cut, the three kept in UTF8 (\u00e9, \ud83d\ude00,
-- \udbff\udfff) too
SELECT * FROM hs_fixed_cases();
\c :regress_db
DROP DATABASE pgi_hostile_ascii;
DROP FUNCTION hs_read_all(), hs_fixed_cases(), hs_stmt(int, text), hs_b64(bytea);
DROP TABLE hs_t;
