/* sql/pg_insights--1.0.sql — the insights schema: views over the shared-memory store */

\echo Use "CREATE EXTENSION pg_insights" to load this file. \quit


-- Per statement shape: the raw set-returning function (the collector reads it)
CREATE FUNCTION insights.queries_raw(showtext boolean DEFAULT true,
    OUT userid oid,
    OUT dbid oid,
    OUT toplevel boolean,
    OUT shape_id bigint,
    OUT queryid bigint,
    OUT query text,
    OUT command text,
    OUT tables text[],
    OUT calls bigint,
    OUT total_time double precision,
    OUT min_time double precision,
    OUT max_time double precision,
    OUT mean_time double precision,
    OUT stddev_time double precision,
    OUT rows bigint,
    OUT reads bigint,
    OUT shared_blks_hit bigint,
    OUT shared_blks_read bigint,
    OUT shared_blks_dirtied bigint,
    OUT shared_blks_written bigint,
    OUT local_blks_hit bigint,
    OUT local_blks_read bigint,
    OUT local_blks_dirtied bigint,
    OUT local_blks_written bigint,
    OUT temp_blks_read bigint,
    OUT temp_blks_written bigint,
    OUT blk_read_time double precision,
    OUT blk_write_time double precision,
    OUT temp_blk_read_time double precision,
    OUT temp_blk_write_time double precision,
    OUT wal_records bigint,
    OUT wal_fpi bigint,
    OUT wal_bytes numeric,
    OUT latency_histogram bigint[],
    OUT first_seen timestamptz,
    OUT last_seen timestamptz,
    OUT query_truncated boolean,
    OUT tagsets integer,
    OUT bytes bigint,
    OUT row_width integer,
    OUT columns integer,
    OUT plan_samples bigint,
    OUT plan jsonb,
    OUT plan_sampled_at timestamptz,
    -- NULL where the server does not keep the counter (see README: per-version counters)
    OUT local_blk_read_time double precision,     -- 17+
    OUT local_blk_write_time double precision,    -- 17+
    OUT jit_functions bigint,
    OUT jit_generation_time double precision,
    OUT jit_inlining_count bigint,
    OUT jit_inlining_time double precision,
    OUT jit_optimization_count bigint,
    OUT jit_optimization_time double precision,
    OUT jit_emission_count bigint,
    OUT jit_emission_time double precision,
    OUT jit_deform_count bigint,                  -- 17+
    OUT jit_deform_time double precision,         -- 17+
    OUT parallel_workers_to_launch bigint,        -- 18+
    OUT parallel_workers_launched bigint,         -- 18+
    OUT wal_buffers_full bigint,                  -- 18+
    OUT generic_plan_calls bigint,                -- 19+
    OUT custom_plan_calls bigint                  -- 19+
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_queries'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW insights.queries AS
    SELECT * FROM insights.queries_raw(true);

-- Per (shape, tag set): who sent it
CREATE FUNCTION insights.attribution_raw(
    OUT shape_id bigint,
    OUT userid oid,
    OUT dbid oid,
    OUT toplevel boolean,
    OUT tagset_id bigint,
    OUT tags jsonb,
    OUT prisma_model text,
    OUT prisma_action text,
    OUT prisma_shape jsonb,
    OUT route text,
    OUT controller text,
    OUT action text,
    OUT framework text,
    OUT application text,
    OUT db_driver text,
    OUT calls bigint,
    OUT total_time double precision,
    OUT mean_time double precision,
    OUT rows bigint,
    OUT reads bigint,
    OUT first_seen timestamptz,
    OUT last_seen timestamptz
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_attribution'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW insights.attribution AS
    SELECT * FROM insights.attribution_raw();

-- Health of the store itself
CREATE FUNCTION insights.info_raw(
    OUT max_shapes bigint,
    OUT shapes bigint,
    OUT evictions bigint,
    OUT max_tagsets bigint,
    OUT tagsets bigint,
    OUT tagsets_dropped bigint,
    OUT tagset_evictions bigint,
    OUT texts_truncated bigint,
    OUT comments_rejected bigint,
    OUT tags_truncated bigint,
    OUT shape_cache_misses bigint,
    OUT max_query_length integer,
    OUT shmem_bytes bigint,
    OUT event_ring_size integer,
    OUT events_written bigint,
    OUT stats_reset timestamptz,
    OUT store_exclusive_locks bigint,
    OUT events_dropped bigint,
    OUT events_write_dropped bigint,
    OUT restore_shapes_skipped bigint,
    OUT restore_tagsets_skipped bigint,
    OUT restore_texts_clipped bigint,
    OUT restore_files_rejected bigint,
    OUT own_calls bigint,
    OUT own_time double precision,
    OUT errors_dropped bigint,
    OUT wait_sample_rounds bigint,
    OUT waits_dropped bigint
)
RETURNS record
AS 'MODULE_PATHNAME', 'pg_insights_info'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW insights.info AS
    SELECT * FROM insights.info_raw();

-- Recent executions (the event ring), oldest first, after a sequence number,
-- up to the first one still being written.  A sequence number missing from
-- the result is an event lost (counted in insights.info.events_dropped).
CREATE FUNCTION insights.events(after_seq bigint DEFAULT 0,
    OUT seq bigint,
    OUT end_time timestamptz,
    OUT pid integer,
    OUT xact_id bigint,
    OUT nesting_level integer,
    OUT shape_id bigint,
    OUT userid oid,
    OUT dbid oid,
    OUT duration_ms double precision,
    OUT rows bigint,
    OUT reads bigint,
    OUT param_hash bigint,
    OUT trace_id text,
    OUT tagset_id bigint,
    OUT offset_value bigint,
    OUT toplevel boolean,
    OUT in_xact_block boolean
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_events'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

-- Failed executions per shape and SQLSTATE (errors raised while the statement
-- ran: deadlocks, unique violations, statement timeouts, serialization
-- failures, ...), counted when the shape is known at the time of the error
CREATE FUNCTION insights.errors_raw(
    OUT userid oid,
    OUT dbid oid,
    OUT shape_id bigint,
    OUT toplevel boolean,
    OUT sqlstate text,
    OUT errors bigint,
    OUT last_error_at timestamptz
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_errors'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW insights.errors AS
    SELECT * FROM insights.errors_raw();

-- Wait samples of the backends running each shape (pg_insights.wait_sample_interval):
-- wait_event_type/wait_event as in pg_stat_activity, 'CPU' when waiting on
-- nothing; share = this wait's part of the shape's samples
CREATE FUNCTION insights.waits_raw(
    OUT userid oid,
    OUT dbid oid,
    OUT shape_id bigint,
    OUT wait_event_type text,
    OUT wait_event text,
    OUT samples bigint,
    OUT last_sample_at timestamptz
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_waits'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW insights.waits AS
    SELECT userid, dbid, shape_id, wait_event_type, wait_event, samples,
           round(samples::numeric / sum(samples) OVER (PARTITION BY userid, dbid, shape_id), 4) AS share,
           last_sample_at
      FROM insights.waits_raw();

-- The last sampled plan of each shape (pg_insights.plan_sample_rate)
CREATE VIEW insights.plans AS
    SELECT shape_id, userid, dbid, toplevel, query, plan_samples, plan, plan_sampled_at
      FROM insights.queries_raw(true)
     WHERE plan IS NOT NULL;

-- Findings: written by pg_insights_collector into findings_data (not readable
-- by PUBLIC: its texts are statement texts), read through insights.findings
CREATE TABLE insights.findings_data (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('n_plus_one', 'missing_index', 'offset_pagination',
                                       'repeated_query', 'over_fetching', 'large_nested_read',
                                       'frequent_errors')),
    dbid oid NOT NULL,
    shape_id bigint NOT NULL,
    query text,
    parent_shape_id bigint,
    parent_query text,
    tables text[],
    severity text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now(),
    occurrences bigint NOT NULL DEFAULT 1,
    evidence jsonb NOT NULL DEFAULT '{}',
    suggestion text,
    fix_sql text,
    expected_impact text,
    prompt text,
    attribution text,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolved_at timestamptz,
    quiet_polls integer NOT NULL DEFAULT 0,    -- polls with the shape active but the signal gone
    -- set by insights.mute() / insights.unmute() only: the collector's upsert leaves them alone,
    -- so a mute holds across collector restarts, resolutions and reopenings
    muted_at timestamptz,
    muted_until timestamptz,                   -- NULL: until unmuted
    mute_reason text,
    muted_by name,
    reopened integer NOT NULL DEFAULT 0,       -- times the finding came back after resolving
    UNIQUE (kind, dbid, shape_id)
);
SELECT pg_catalog.pg_extension_config_dump('insights.findings_data', '');
SELECT pg_catalog.pg_extension_config_dump('insights.findings_data_id_seq', '');

-- What happened to each finding: opened, resolved, reopened, muted, unmuted (the
-- last 50 events of each finding are kept).  Written by a trigger on
-- findings_data and by insights.mute()/unmute(); read through
-- insights.finding_history.
CREATE TABLE insights.finding_events (
    id bigserial PRIMARY KEY,
    finding_id bigint NOT NULL REFERENCES insights.findings_data (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    event text NOT NULL CHECK (event IN ('opened', 'resolved', 'reopened', 'muted', 'unmuted')),
    by_role name NOT NULL DEFAULT session_user,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON insights.finding_events (finding_id, id);
SELECT pg_catalog.pg_extension_config_dump('insights.finding_events', '');
SELECT pg_catalog.pg_extension_config_dump('insights.finding_events_id_seq', '');

-- SECURITY DEFINER so that the collector's grants on findings_data suffice.
CREATE FUNCTION insights.finding_track()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev text;
    detail jsonb := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        ev := CASE WHEN NEW.status = 'resolved' THEN 'resolved' ELSE 'opened' END;
        detail := jsonb_build_object('severity', NEW.severity);
    ELSIF OLD.status = 'resolved' AND NEW.status = 'open' THEN
        NEW.reopened := OLD.reopened + 1;
        ev := 'reopened';
        detail := jsonb_build_object('resolved_at', OLD.resolved_at, 'severity', NEW.severity,
                                     'before', OLD.evidence->'before', 'after', OLD.evidence->'after');
    ELSIF OLD.status = 'open' AND NEW.status = 'resolved' THEN
        ev := 'resolved';
        detail := jsonb_build_object('before', NEW.evidence->'before', 'after', NEW.evidence->'after');
    ELSE
        RETURN NEW;
    END IF;
    INSERT INTO insights.finding_events (finding_id, at, event, detail)
    VALUES (NEW.id, now(), ev, detail);
    DELETE FROM insights.finding_events e
     WHERE e.finding_id = NEW.id
       AND e.id <= (SELECT x.id FROM insights.finding_events x WHERE x.finding_id = NEW.id
                     ORDER BY x.id DESC OFFSET 50 LIMIT 1);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION insights.finding_track() FROM PUBLIC;

-- AFTER INSERT: the row's id exists for the event's foreign key
CREATE TRIGGER finding_opened AFTER INSERT ON insights.findings_data
    FOR EACH ROW EXECUTE FUNCTION insights.finding_track();
CREATE TRIGGER finding_status BEFORE UPDATE OF status ON insights.findings_data
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION insights.finding_track();

-- Mute a finding (for ever, or until a time): it stays in insights.findings
-- with muted = true and keeps being updated, but reports and the dashboard
-- leave it out of what needs attention.  EXECUTE is not granted to PUBLIC:
-- GRANT EXECUTE ON FUNCTION insights.mute(bigint, text, timestamptz),
-- insights.unmute(bigint) TO <role> (no other grant is needed).
CREATE FUNCTION insights.mute(finding_id bigint, reason text DEFAULT NULL,
                              until timestamptz DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF until IS NOT NULL AND until <= now() THEN
        RAISE EXCEPTION 'mute until % is not in the future', until
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass a later time, or NULL to mute until insights.unmute() is called.';
    END IF;
    IF length(reason) > 1000 THEN
        RAISE EXCEPTION 'mute reason is % characters long', length(reason)
            USING ERRCODE = 'string_data_right_truncation', HINT = 'Keep the reason under 1000 characters.';
    END IF;
    UPDATE insights.findings_data f
       SET muted_at = now(), muted_until = mute.until, mute_reason = mute.reason, muted_by = session_user
     WHERE f.id = mute.finding_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no finding with id %', finding_id
            USING ERRCODE = 'no_data_found', HINT = 'The ids are in insights.findings.';
    END IF;
    INSERT INTO insights.finding_events (finding_id, event, detail)
    VALUES (mute.finding_id, 'muted', jsonb_build_object('until', mute.until, 'reason', mute.reason));
END
$$;

CREATE FUNCTION insights.unmute(finding_id bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE insights.findings_data f
       SET muted_at = NULL, muted_until = NULL, mute_reason = NULL, muted_by = NULL
     WHERE f.id = unmute.finding_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no finding with id %', finding_id
            USING ERRCODE = 'no_data_found', HINT = 'The ids are in insights.findings.';
    END IF;
    INSERT INTO insights.finding_events (finding_id, event) VALUES (unmute.finding_id, 'unmuted');
END
$$;
REVOKE ALL ON FUNCTION insights.mute(bigint, text, timestamptz), insights.unmute(bigint) FROM PUBLIC;

-- May the current role read this shape's texts?  pg_read_all_stats members:
-- always; other roles: when they ran the shape themselves (insights.queries' rule).
CREATE FUNCTION insights.shape_visible(dbid oid, shape_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'pg_insights_shape_visible'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

-- The findings with their texts hidden like insights.queries': the query (and
-- parent query) as <insufficient privilege>, the texts built from them (prompt,
-- evidence, suggestion, fix_sql, expected_impact, attribution) NULL unless the
-- role may see both shapes.
CREATE VIEW insights.findings WITH (security_barrier) AS
    SELECT f.id, f.kind, f.dbid, f.shape_id,
           CASE WHEN v.shape THEN f.query ELSE '<insufficient privilege>' END AS query,
           f.parent_shape_id,
           CASE WHEN f.parent_query IS NULL OR v.parent THEN f.parent_query
                ELSE '<insufficient privilege>' END AS parent_query,
           f.tables, f.severity, f.first_seen, f.last_seen, f.occurrences,
           CASE WHEN v.shape AND v.parent THEN f.evidence END AS evidence,
           CASE WHEN v.shape AND v.parent THEN f.suggestion END AS suggestion,
           CASE WHEN v.shape AND v.parent THEN f.fix_sql END AS fix_sql,
           CASE WHEN v.shape AND v.parent THEN f.expected_impact END AS expected_impact,
           CASE WHEN v.shape AND v.parent THEN f.prompt END AS prompt,
           CASE WHEN v.shape AND v.parent THEN f.attribution END AS attribution,
           f.status, f.resolved_at, f.quiet_polls,
           f.muted_at IS NOT NULL AND (f.muted_until IS NULL OR f.muted_until > now()) AS muted,
           f.muted_at, f.muted_until, f.mute_reason, f.muted_by, f.reopened
      FROM insights.findings_data f,
           LATERAL (SELECT insights.shape_visible(f.dbid, f.shape_id) AS shape,
                           f.parent_shape_id IS NULL
                           OR insights.shape_visible(f.dbid, f.parent_shape_id) AS parent) v;

-- Each finding's events, for the findings whose shapes the role may see
CREATE VIEW insights.finding_history WITH (security_barrier) AS
    SELECT e.finding_id, f.kind, f.shape_id, e.at, e.event, e.by_role, e.detail
      FROM insights.finding_events e
      JOIN insights.findings_data f ON f.id = e.finding_id
     WHERE insights.shape_visible(f.dbid, f.shape_id);

-- Latency histogram buckets: latency_histogram[i] counts calls with
-- lower_ms <= time < upper_ms (upper_ms is NULL for the last bucket)
CREATE FUNCTION insights.histogram_bounds(
    OUT bucket integer,
    OUT lower_ms double precision,
    OUT upper_ms double precision
)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pg_insights_histogram_bounds'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Forget everything, or one shape (all its users/databases/toplevel rows)
CREATE FUNCTION insights.reset(shape_id bigint DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'pg_insights_reset'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL SAFE;

REVOKE ALL ON FUNCTION insights.reset(bigint) FROM PUBLIC;

GRANT USAGE ON SCHEMA insights TO PUBLIC;
GRANT SELECT ON insights.queries, insights.attribution, insights.info, insights.plans,
    insights.findings, insights.finding_history, insights.errors,
    insights.waits TO PUBLIC;
REVOKE ALL ON insights.findings_data, insights.findings_data_id_seq FROM PUBLIC;
REVOKE ALL ON insights.finding_events, insights.finding_events_id_seq FROM PUBLIC;
-- The collector's role needs: GRANT pg_read_all_stats TO <role>;
--   GRANT SELECT, INSERT, UPDATE ON insights.findings_data TO <role>;
--   GRANT USAGE ON SEQUENCE insights.findings_data_id_seq TO <role>;
