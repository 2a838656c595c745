-- findings: mute and unmute, history of each finding (opened, resolved, reopened), a mute
-- that holds while the collector keeps upserting the finding (issue 12, item 4)
SELECT current_user AS su \gset
SET client_min_messages = warning;
CREATE ROLE regress_pgi_muter LOGIN;
CREATE ROLE regress_pgi_nobody LOGIN;
GRANT EXECUTE ON FUNCTION insights.mute(bigint, text, timestamptz), insights.unmute(bigint)
    TO regress_pgi_muter;
-- the collector's upsert, as collector/detect writes it
CREATE FUNCTION regress_upsert(bigint) RETURNS void LANGUAGE sql AS $$
INSERT INTO insights.findings_data AS f (kind, dbid, shape_id, query, evidence)
VALUES ('missing_index', (SELECT oid FROM pg_database WHERE datname = current_database()), $1, 'q',
        '{"measured": {"calls": 10}}')
ON CONFLICT (kind, dbid, shape_id) DO UPDATE SET
  evidence = CASE WHEN f.status = 'resolved'
    THEN EXCLUDED.evidence || jsonb_build_object('reopened_after', f.resolved_at)
    ELSE EXCLUDED.evidence END,
  status = 'open', resolved_at = NULL, quiet_polls = 0, last_seen = now(), occurrences = f.occurrences + 1;
$$;
CREATE FUNCTION regress_resolve(bigint) RETURNS void LANGUAGE sql AS $$
UPDATE insights.findings_data SET status = 'resolved', resolved_at = now(), quiet_polls = 0,
  evidence = evidence || jsonb_build_object('before', evidence->'measured', 'after', '{"calls": 4}'::jsonb)
 WHERE shape_id = $1;
$$;
SELECT regress_upsert(7001);
SELECT id AS fid FROM insights.findings_data WHERE shape_id = 7001 \gset
SELECT status, muted, reopened FROM insights.findings WHERE id = :fid;
-- a role without the grant cannot mute
\c - regress_pgi_nobody
SELECT insights.mute(:fid, 'noise');
\c - regress_pgi_muter
SELECT insights.mute(:fid, 'known: fixed in the next release');
-- bad input says what is wrong
SELECT insights.mute(:fid, 'x', '2000-01-01 00:00:00+00');
SELECT insights.mute(-1, 'x');
SELECT insights.mute(:fid, repeat('x', 1001));
\c - :su
SELECT muted, mute_reason, muted_by, muted_until FROM insights.findings WHERE id = :fid;
-- the collector keeps upserting: the mute holds
SELECT regress_upsert(7001);
SELECT regress_upsert(7001);
SELECT status, muted, occurrences, mute_reason FROM insights.findings WHERE id = :fid;
-- resolved, then back: reopened with its history, still muted
SELECT regress_resolve(7001);
SELECT status, muted FROM insights.findings WHERE id = :fid;
SELECT regress_upsert(7001);
SELECT status, muted, reopened, evidence ? 'reopened_after' AS reopened_after
  FROM insights.findings WHERE id = :fid;
SELECT event, by_role, detail - 'resolved_at' - 'until' AS detail, detail ? 'resolved_at' AS has_resolved_at
  FROM insights.finding_history WHERE finding_id = :fid ORDER BY at, event;
-- unmute; a mute with an end expires by itself
\c - regress_pgi_muter
SELECT insights.unmute(:fid);
SELECT insights.unmute(-1);
SELECT insights.mute(:fid, 'for an hour', now() + interval '1 hour');
\c - :su
SELECT muted, muted_until > now() AS until_later FROM insights.findings WHERE id = :fid;
UPDATE insights.findings_data SET muted_until = now() - interval '1 second' WHERE id = :fid;
SELECT muted FROM insights.findings WHERE id = :fid;
-- history is bounded: 40 resolve/reopen rounds keep the last 50 events
\o /dev/null
SELECT regress_resolve(7001), regress_upsert(7001) FROM generate_series(1, 40);
\o
SELECT count(*) AS events, max(reopened) AS reopened
  FROM insights.finding_history h JOIN insights.findings_data f ON f.id = h.finding_id
 WHERE finding_id = :fid;
-- history of a shape the role did not run is not shown; the table itself is not readable
\c - regress_pgi_nobody
SELECT count(*) FROM insights.finding_history WHERE finding_id = :fid;
SELECT count(*) FROM insights.finding_events;
\c - :su
-- deleting a finding deletes its history
DELETE FROM insights.findings_data WHERE id = :fid;
SELECT count(*) FROM insights.finding_events WHERE finding_id = :fid;
DROP FUNCTION regress_upsert(bigint), regress_resolve(bigint);
DROP OWNED BY regress_pgi_muter;
DROP ROLE regress_pgi_muter, regress_pgi_nobody;
