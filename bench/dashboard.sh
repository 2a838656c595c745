#!/usr/bin/env bash
# bench/dashboard.sh — dashboard figures: ingest rate (snapshots/s, 1k shapes each), list API latency and Chromium first render at 10k shapes.
#
#   bench/dashboard.sh [SNAPSHOTS]     (default 60 snapshots of 1000 shapes)
# Prints figures only; no thresholds.  Uses a throwaway cluster (test/lib/cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source test/lib/cluster.sh
N=${1:-60}
make -C dashboard all tools >/dev/null
(cd test/dashboard && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
MKSNAP=$ROOT/dashboard/build/mksnap
W=$(mktemp -d /tmp/pgi-bench-dash.XXXXXX)
trap 'kill $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$W"; pgi_cluster_cleanup_all' EXIT

pgi_cluster_start "shared_buffers = 256MB" >/dev/null
pgi_sql "CREATE DATABASE pgi_repo" >/dev/null
head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$W/key"
PORT=$(pgi_free_port)
URL=http://127.0.0.1:$PORT
./dashboard/pg_insights_dashboard --no-auth --repo-dsn "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=pgi_repo" \
	--api-key-file "$W/key" --listen "127.0.0.1:$PORT" --threads 4 >"$W/dashboard.log" 2>&1 &
DPID=$!
until curl -s -o /dev/null "$URL/api/health"; do sleep 0.1; done

NOW=$(date +%s)
echo "== ingest"
for i in $(seq 0 $((N - 1))); do
	"$MKSNAP" --scenario bench --shapes 1000 --index 0 --id "b1k-$i" --db ingest \
		--end-us $(((NOW - 3000 + i * 10) * 1000000)) --deflate -o "$W/i$i.pb"
done
node bench/dashboard-client.mjs ingest "$URL" "$W/key" 1 $(seq -f "$W/i%g.pb" 0 $((N / 2 - 1)))
node bench/dashboard-client.mjs ingest "$URL" "$W/key" 4 $(seq -f "$W/i%g.pb" $((N / 2)) $((N - 1)))

echo "== 10k shapes: 30 snapshots of 10000 shapes over the last 5 minutes"
for i in $(seq 0 29); do
	"$MKSNAP" --scenario bench --shapes 10000 --index 0 --id "b10k-$i" --db big \
		--end-us $(((NOW - 300 + i * 10) * 1000000)) --deflate -o "$W/big.pb"
	curl -s -o /dev/null -H "Authorization: Bearer $(cat "$W/key")" -H 'Content-Encoding: deflate' \
		--data-binary @"$W/big.pb" "$URL/v1/snapshots"
done
for sort in total_ms calls p95_ms query; do
	for _ in $(seq 1 10); do
		curl -s -o /dev/null -w '%{time_total}\n' "$URL/api/queries?db=big&sort=$sort&limit=100&from=$(((NOW - 3600) * 1000))&to=$(((NOW + 60) * 1000))"
	done | sort -n | awk -v s="$sort" '{a[NR]=$1} END {printf "api: /api/queries at 10k shapes x 30 buckets, sort=%s: median %.0f ms, max %.0f ms\n", s, a[int((NR+1)/2)]*1000, a[NR]*1000}'
done
for _ in $(seq 1 10); do
	curl -s -o /dev/null -w '%{time_total}\n' "$URL/api/queries?db=big&sort=calls&limit=100&q=bench_t7&quick=high_reads"
done | sort -n | awk '{a[NR]=$1} END {printf "api: /api/queries search + quick filter at 10k shapes: median %.0f ms\n", a[int((NR+1)/2)]*1000}'
for _ in $(seq 1 10); do
	curl -s -o /dev/null -w '%{time_total}\n' "$URL/api/queries/500123?db=big"
done | sort -n | awk '{a[NR]=$1} END {printf "api: /api/queries/<id> detail: median %.0f ms\n", a[int((NR+1)/2)]*1000}'

echo "== Chromium"
# the page opens on the first source in the picker: keep only the 10k one
PGI_DB=pgi_repo pgi_sql "DELETE FROM pgi.sources WHERE database <> 'big'" >/dev/null
PGI_PLAYWRIGHT=$ROOT/test/dashboard/node_modules/playwright-core/index.mjs node bench/dashboard-client.mjs render "$URL" 5
