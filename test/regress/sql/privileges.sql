-- privileges: like pg_stat_statements
SELECT current_user AS su \gset
CREATE ROLE regress_pgi_alice LOGIN;
CREATE ROLE regress_pgi_bob LOGIN;
CREATE ROLE regress_pgi_stats LOGIN IN ROLE pg_read_all_stats;
CREATE TABLE priv_t (id int);
GRANT SELECT ON priv_t TO PUBLIC;
SELECT insights.reset();
\c - regress_pgi_alice
SELECT count(*) FROM priv_t WHERE id = 1 /*route='%2Falice'*/;
\c - regress_pgi_bob
SELECT count(*) FROM priv_t WHERE id = 2;
SELECT count(*) FROM priv_t WHERE id > 2;
-- bob sees his own texts, alice's only as <insufficient privilege>
SELECT r.rolname, q.query, q.calls
  FROM insights.queries q JOIN pg_roles r ON r.oid = q.userid
 WHERE r.rolname LIKE 'regress_pgi_%' AND (q.query LIKE '%priv_t%' OR q.query = '<insufficient privilege>')
 ORDER BY r.rolname, q.query COLLATE "C";
-- the other columns of others' rows stay readable (counts are not secret)
SELECT count(*) AS alice_rows FROM insights.queries WHERE userid = 'regress_pgi_alice'::regrole;
-- and alice's sqlcommenter tags?  (not specified; shown so a change is noticed)
SELECT count(*) AS alice_tagsets_visible_to_bob FROM insights.attribution WHERE userid = 'regress_pgi_alice'::regrole;
SELECT count(*) AS alice_route_visible_to_bob FROM insights.attribution WHERE route = '/alice';
-- reset is not for PUBLIC
SELECT insights.reset();
SELECT insights.reset(0);
-- findings (written by the collector): bob reads finding texts only for shapes he ran; the
-- table itself is not readable.  alice runs a shape bob never ran.
\c - regress_pgi_alice
SELECT max(id) FROM priv_t;
\c - :su
CREATE TEMP TABLE priv_shapes AS
  SELECT (SELECT shape_id FROM insights.queries WHERE userid = 'regress_pgi_alice'::regrole
           AND query LIKE 'SELECT max(id) FROM priv_t%') AS alice_only,
         (SELECT shape_id FROM insights.queries WHERE userid = 'regress_pgi_bob'::regrole
           AND query LIKE '%priv_t WHERE id > $1') AS bob_only;
SELECT alice_only IS NOT NULL AND bob_only IS NOT NULL AS shapes_found FROM priv_shapes;
INSERT INTO insights.findings_data (kind, dbid, shape_id, query, parent_shape_id, parent_query,
    evidence, suggestion, fix_sql, expected_impact, prompt, attribution)
SELECT k, (SELECT oid FROM pg_database WHERE datname = current_database()), s, q, ps, pq,
       '{"param": "secret"}', 'suggestion', 'CREATE INDEX ON priv_t (id)', 'impact', 'prompt', 'route=/x'
  FROM priv_shapes,
       LATERAL (VALUES ('missing_index', alice_only, 'alice text', NULL::bigint, NULL),
                       ('n_plus_one', bob_only, 'bob text', alice_only, 'alice parent'),
                       ('repeated_query', bob_only, 'bob text', NULL, NULL)) v(k, s, q, ps, pq);
SELECT count(*) AS findings FROM insights.findings;
\c - regress_pgi_bob
SELECT kind, query, parent_query, evidence, suggestion, fix_sql, expected_impact, prompt, attribution,
       severity, status, occurrences
  FROM insights.findings ORDER BY kind;
-- filtering on a hidden column sees only the hidden value
SELECT count(*) AS found_by_text FROM insights.findings WHERE query LIKE 'alice%' OR parent_query LIKE 'alice%';
SELECT kind, insights.shape_visible(dbid, shape_id) AS visible,
       insights.shape_visible(dbid, parent_shape_id) AS parent_visible
  FROM insights.findings ORDER BY kind;
SELECT count(*) FROM insights.findings_data;
UPDATE insights.findings_data SET status = 'resolved';
-- alice: the other way round
\c - regress_pgi_alice
SELECT kind, query, parent_query, prompt FROM insights.findings ORDER BY kind;
\c - regress_pgi_stats
SELECT kind, query, parent_query, evidence, prompt, attribution
  FROM insights.findings ORDER BY kind;
SELECT count(*) FROM insights.findings_data;
\c - regress_pgi_stats
SELECT r.rolname, q.query, q.calls
  FROM insights.queries q JOIN pg_roles r ON r.oid = q.userid
 WHERE r.rolname IN ('regress_pgi_alice', 'regress_pgi_bob') AND q.query LIKE '%priv_t%'
 ORDER BY r.rolname, q.query COLLATE "C";
SELECT insights.reset();
\c - :su
SELECT count(*) > 0 AS superuser_sees_all FROM insights.queries WHERE query LIKE '%priv_t%';
-- the collector's grants: pg_read_all_stats, SELECT/INSERT/UPDATE on findings_data, its sequence
CREATE ROLE regress_pgi_collector LOGIN IN ROLE pg_read_all_stats;
GRANT SELECT, INSERT, UPDATE ON insights.findings_data TO regress_pgi_collector;
GRANT USAGE ON SEQUENCE insights.findings_data_id_seq TO regress_pgi_collector;
\c - regress_pgi_collector
INSERT INTO insights.findings_data AS f (kind, dbid, shape_id, query)
VALUES ('repeated_query', 1, 42, 'q')
ON CONFLICT (kind, dbid, shape_id) DO UPDATE SET occurrences = f.occurrences + 1;
INSERT INTO insights.findings_data AS f (kind, dbid, shape_id, query)
VALUES ('repeated_query', 1, 42, 'q')
ON CONFLICT (kind, dbid, shape_id) DO UPDATE SET occurrences = f.occurrences + 1;
UPDATE insights.findings_data SET quiet_polls = quiet_polls + 1 WHERE shape_id = 42;
SELECT kind, occurrences, quiet_polls FROM insights.findings_data WHERE shape_id = 42;
\c - :su
DELETE FROM insights.findings_data;
DROP OWNED BY regress_pgi_collector;
DROP ROLE regress_pgi_collector;
DROP TABLE priv_t;
DROP ROLE regress_pgi_alice, regress_pgi_bob, regress_pgi_stats;
