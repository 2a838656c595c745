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
\c - regress_pgi_stats
SELECT r.rolname, q.query, q.calls
  FROM insights.queries q JOIN pg_roles r ON r.oid = q.userid
 WHERE r.rolname IN ('regress_pgi_alice', 'regress_pgi_bob') AND q.query LIKE '%priv_t%'
 ORDER BY r.rolname, q.query COLLATE "C";
SELECT insights.reset();
\c - :su
SELECT count(*) > 0 AS superuser_sees_all FROM insights.queries WHERE query LIKE '%priv_t%';
DROP TABLE priv_t;
DROP ROLE regress_pgi_alice, regress_pgi_bob, regress_pgi_stats;
