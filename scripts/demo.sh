#!/usr/bin/env bash
# scripts/demo.sh — the main job on an embedded default: a throwaway PostgreSQL 15 cluster with
# pg_insights preloaded, the collector and the dashboard, the sample application's schema and
# traffic (a real Prisma 7 client, then raw SQL), then what pg_insights saw and found.
# It only ever touches the cluster it creates, and removes it at the end.
#
#   scripts/demo.sh            run, print, clean up        (make demo)
#   scripts/demo.sh --serve    keep the cluster running until Ctrl-C
set -euo pipefail
# a script started in the background (`scripts/demo.sh --serve &`) inherits SIGINT ignored, and bash
# cannot trap a signal that was ignored on entry: start again with the default disposition so Ctrl-C
# (or kill -INT) reaches the trap below
if [[ -z ${PGI_DEMO_SIGNALS_RESET:-} ]]; then
	PGI_DEMO_SIGNALS_RESET=1 exec env --default-signal=INT,QUIT "$0" "$@"
fi
cd "$(dirname "$0")/.."
ROOT=$PWD
serve=0
for a in "$@"; do
	case $a in
	--serve) serve=1 ;;
	-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
	*) echo "demo: unknown option '$a' (try --help)" >&2; exit 2 ;;
	esac
done

scripts/install-deps.sh >/dev/null
make -s >/dev/null
make -s install >/dev/null
echo "demo: preparing the Prisma 7 client (npm ci, prisma generate; offline after the first run)"
clients/setup.sh >/dev/null

# shellcheck source=../test/lib/cluster.sh
source test/lib/cluster.sh
echo "demo: starting a throwaway PostgreSQL 15 cluster with pg_insights preloaded"
pgi_cluster_start "shared_preload_libraries = 'pg_insights'" \
	"pg_insights.plan_sample_rate = 1" "track_io_timing = on"
pgi_sql "CREATE DATABASE app"
export PGDATABASE=app PGI_DB=app
pgi_sql "CREATE EXTENSION pg_insights"
pgi_sql "CREATE EXTENSION IF NOT EXISTS hypopg" >/dev/null 2>&1 || true
echo "demo: loading the sample schema and data"
pgi_psql -d app -v ON_ERROR_STOP=1 -f demo/schema.sql >/dev/null
pgi_sql "SELECT insights.reset() /*application='pg_insights_demo'*/" >/dev/null

# the dashboard (repository: a database of the same cluster) and the collector
pgi_sql "CREATE DATABASE pg_insights_repo" -d postgres >/dev/null
key_file=$PGI_BASE/api-key
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$key_file"
chmod 600 "$key_file"
dash_port=8470
while (echo >"/dev/tcp/127.0.0.1/$dash_port") 2>/dev/null; do dash_port=$((dash_port + 1)); done
dashboard/pg_insights_dashboard --no-auth --listen "127.0.0.1:$dash_port" --api-key-file "$key_file" \
	--repo-dsn "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=pg_insights_repo" \
	>"$PGI_BASE/dashboard.log" 2>&1 &
dash_pid=$!
collector/pg_insights_collector --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=app" \
	--dashboard-url "http://127.0.0.1:$dash_port" --api-key-file "$key_file" --interval 1s \
	--spool-dir "$PGI_BASE/spool" >"$PGI_BASE/collector.log" 2>&1 &
coll_pid=$!
stop_daemons() {
	kill "$coll_pid" "$dash_pid" 2>/dev/null || true
	wait "$coll_pid" "$dash_pid" 2>/dev/null || true
}
trap 'stop_daemons; pgi_cluster_cleanup_all' EXIT
sleep 1.5
echo "demo: running the sample workload: a real Prisma 7 client, then raw SQL"
(cd clients && PGHOST=$PGI_SOCK PGPORT=$PGI_PORT PGUSER=$PGI_SUPERUSER PGDATABASE=app \
	PGI_N1_PARENTS=20 PGI_ROUNDS=3 node_modules/.bin/tsx prisma/workload.ts >/dev/null)
demo/workload.sh

echo
# the demo's own report queries say so: pg_insights keeps them out of the store (insights.info.own_calls)
OWN="/*application='pg_insights_demo'*/"
echo "== Top statement shapes (insights.queries)"
pgi_psql -d app -P pager=off -c "
SELECT calls, round(mean_time::numeric, 3) AS mean_ms, reads, rows,
       array_to_string(tables, ',') AS tables, left(query, 90) AS query
  FROM insights.queries q
 WHERE command IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE') AND NOT tables && '{}'::text[]
   AND NOT EXISTS (SELECT 1 FROM unnest(tables) t WHERE t LIKE 'pg_catalog.%' OR t LIKE 'insights.%')
 ORDER BY total_time DESC LIMIT 10 $OWN"
echo "== Attribution (insights.attribution)"
pgi_psql -d app -P pager=off -c "
SELECT coalesce(a.prisma_model || '.' || a.prisma_action, a.route, '-') AS caller, a.calls,
       round(a.mean_time::numeric, 3) AS mean_ms, a.reads, left(q.query, 60) AS query
  FROM insights.attribution a JOIN insights.queries q USING (shape_id, userid, dbid, toplevel)
 ORDER BY a.calls DESC LIMIT 12 $OWN"
# the collector finds the problems within two intervals of the workload's end
sleep 3
echo "== Findings (insights.findings, written by the collector)"
pgi_psql -d app -P pager=off -A -t -F '' -c "
SELECT format(E'[%s] %s  %s\\n    query:    %s\\n    tables:   %s\\n    caller:   %s\\n    why:      %s\\n    fix:      %s\\n    impact:   %s\\n',
              severity, kind, CASE WHEN parent_query IS NOT NULL THEN '(parent: ' || left(parent_query, 60) || ')' ELSE '' END,
              left(query, 110), array_to_string(tables, ', '), coalesce(attribution, '-'), suggestion,
              coalesce(fix_sql, '-'), expected_impact)
  FROM insights.findings WHERE status = 'open' AND NOT muted
 ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, kind $OWN"
echo "== Store health (insights.info)"
pgi_psql -d app -P pager=off -x -c "SELECT shapes, max_shapes, evictions, tagsets, comments_rejected, events_written, events_dropped,
       own_calls AS pg_insights_own_statements FROM insights.info $OWN"

echo "== Dashboard: http://127.0.0.1:$dash_port/   (collector log: $PGI_BASE/collector.log)"
if ((serve)); then
	echo "demo: running: psql -h $PGI_SOCK -p $PGI_PORT -U $PGI_SUPERUSER app; dashboard http://127.0.0.1:$dash_port/   (Ctrl-C to stop)"
	sleep_pid=
	# the sleep is a child of ours: stop it too, or it outlives the demo by up to an hour
	trap '[[ -n $sleep_pid ]] && kill "$sleep_pid" 2>/dev/null; exit 0' INT TERM
	# wait (not a foreground sleep) returns as soon as a signal arrives
	while :; do
		sleep 3600 &
		sleep_pid=$!
		wait "$sleep_pid" || true
	done
fi
stop_daemons
echo "demo: done; the collector, the dashboard and the cluster are stopped and removed"
