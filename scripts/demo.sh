#!/usr/bin/env bash
# scripts/demo.sh — the main job on an embedded default: a throwaway PostgreSQL 15 cluster with
# pg_insights preloaded, the sample application's schema and traffic, then what pg_insights saw.
# It only ever touches the cluster it creates, and removes it at the end.
#
#   scripts/demo.sh            run, print, clean up        (make demo)
#   scripts/demo.sh --serve    keep the cluster running until Ctrl-C
set -euo pipefail
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
echo "demo: loading the sample schema and data"
pgi_psql -d app -v ON_ERROR_STOP=1 -f demo/schema.sql >/dev/null
pgi_sql "SELECT insights.reset()" >/dev/null
echo "demo: running the sample workload: a real Prisma 7 client, then raw SQL"
(cd clients && PGHOST=$PGI_SOCK PGPORT=$PGI_PORT PGUSER=$PGI_SUPERUSER PGDATABASE=app \
	PGI_N1_PARENTS=20 PGI_ROUNDS=3 node_modules/.bin/tsx prisma/workload.ts >/dev/null)
demo/workload.sh

echo
echo "== Top statement shapes (insights.queries)"
pgi_psql -d app -P pager=off -c "
SELECT calls, round(mean_time::numeric, 3) AS mean_ms, reads, rows,
       array_to_string(tables, ',') AS tables, left(query, 90) AS query
  FROM insights.queries
 WHERE query NOT LIKE '%insights.%' AND command IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
 ORDER BY total_time DESC LIMIT 10"
echo "== Attribution (insights.attribution)"
pgi_psql -d app -P pager=off -c "
SELECT coalesce(a.prisma_model || '.' || a.prisma_action, a.route, '-') AS caller, a.calls,
       round(a.mean_time::numeric, 3) AS mean_ms, a.reads, left(q.query, 60) AS query
  FROM insights.attribution a JOIN insights.queries q USING (shape_id, userid, dbid)
 ORDER BY a.calls DESC"
echo "== Store health (insights.info)"
pgi_psql -d app -P pager=off -x -c "SELECT shapes, max_shapes, evictions, tagsets, comments_rejected, events_written FROM insights.info"

if ((serve)); then
	echo "demo: cluster running: psql -h $PGI_SOCK -p $PGI_PORT -U $PGI_SUPERUSER app   (Ctrl-C to stop)"
	trap 'exit 0' INT TERM
	while sleep 3600; do :; done
fi
echo "demo: done; the cluster is removed"
