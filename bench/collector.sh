#!/usr/bin/env bash
# bench/collector.sh — collector CPU time and RSS per poll, and snapshot bytes, at 1k and 10k shapes.
#
#   bench/collector.sh [SHAPES...]        default: 1000 10000
#   BENCH_SECONDS=20 bench/collector.sh   length of each measured window (default 15)
#
# For each size: a temp cluster with pg_insights preloaded, SHAPES distinct statement shapes
# (column subsets of a 14-column table: core's jumble ignores aliases, so subsets are what
# makes shapes distinct), the collector polling every second and shipping to the test
# receiver.  Two windows: idle (nothing runs) and busy (a client cycles through every shape
# without pause).  Prints figures; no thresholds (the issue's goal: < 1 % of a core at 10k
# shapes polled every second).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PGI_ROOT=$ROOT
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(1000 10000)
WINDOW=${BENCH_SECONDS:-15}
BIN=${PGI_COLLECTOR:-$ROOT/collector/pg_insights_collector}	# PGI_COLLECTOR: another build, to compare
TOOLS=$ROOT/build/test/collector
TICK=$(getconf CLK_TCK)

make -s -C collector all tools >/dev/null || { echo "bench: build failed" >&2; exit 1; }
# shellcheck source=../test/lib/cluster.sh
source "$ROOT/test/lib/cluster.sh"
WORK=$(mktemp -d /tmp/pgi-bench-collector.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
	pgi_cluster_cleanup_all
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
polls_logged() { grep -c 'DEBUG .*: snapshot ' "$1" || true; }

# statements: shape n selects the columns whose bits are set in n
gen_statements() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			cols = ""; for (b = 0; b < 14; b++) if (int(i / 2 ^ b) % 2) cols = cols (cols == "" ? "" : ", ") "c" b
			print "SELECT " cols " FROM wide WHERE c0 = 1;"
		}
	}'
}

# window NAME LOG RECVDIR: measure one window of WINDOW seconds; prints a result line
window() {
	local name=$1 log=$2 rdir=$3 t0 t1 p0 p1 l0 l1 polls cpu_ms
	t0=$(cpu_ticks "$CPID")
	p0=$(polls_logged "$log")
	l0=$(wc -l <"$rdir/log" 2>/dev/null || echo 0)
	sleep "$WINDOW"
	t1=$(cpu_ticks "$CPID")
	p1=$(polls_logged "$log")
	l1=$(wc -l <"$rdir/log")
	polls=$((p1 - p0))
	((polls > 0)) || polls=1
	cpu_ms=$(((t1 - t0) * 1000 / TICK))
	local shapes bytes
	shapes=$(grep 'DEBUG .*: snapshot ' "$log" | tail -n "$polls" |
		sed -E 's/.*: ([0-9]+) shapes.*/\1/' | awk '{s += $1} END {printf "%d", NR ? s / NR : 0}')
	bytes=$(tail -n +"$((l0 + 1))" "$rdir/log" | head -n "$((l1 - l0))" |
		awk '$2 == 200 {w += $3; p += $4; n++} END {if (n) printf "%d %d", w / n, p / n; else print "0 0"}')
	printf '  %-6s shapes=%-6s polls=%-3d cpu/poll=%6.2f ms  (%5.2f %% of a core at 1 s)  rss=%s kB  peak=%s kB  changed shapes/snapshot=%-6s bytes/snapshot wire=%s plain=%s\n' \
		"$name" "$SHAPES" "$polls" "$(echo "$cpu_ms $polls" | awk '{printf "%.2f", $1 / $2}')" \
		"$(echo "$cpu_ms $polls" | awk '{printf "%.2f", $1 / $2 / 10}')" \
		"$(rss_kb "$CPID" VmRSS)" "$(rss_kb "$CPID" VmHWM)" "$shapes" ${bytes}
}

echo "collector benchmark: window ${WINDOW}s, interval 1s, $(nproc) CPUs"
for SHAPES in "${SIZES[@]}"; do
	pgi_cluster_start "shared_preload_libraries = 'pg_insights'" \
		"pg_insights.max_shapes = $((SHAPES * 2 + 1000))" "pg_insights.max_tagsets = 1000" >/dev/null || exit 1
	pgi_sql "CREATE EXTENSION pg_insights" >/dev/null || exit 1
	pgi_sql "CREATE TABLE wide AS SELECT $(seq -s, -f 'g AS c%.0f' 0 13) FROM generate_series(1, 10) g" >/dev/null
	gen_statements "$SHAPES" >"$WORK/stmts.sql"
	pgi_psql -d postgres -o /dev/null -f "$WORK/stmts.sql"
	n=$(pgi_sql "SELECT count(*) FROM insights.queries WHERE query LIKE 'SELECT c%FROM wide%'")
	echo "== $SHAPES shapes requested, $n in insights.queries"

	rdir=$WORK/recv.$SHAPES
	mkdir -p "$rdir"
	"$TOOLS/receiver" --dir "$rdir" --port-file "$WORK/port.$SHAPES" --key k >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do [[ -s "$WORK/port.$SHAPES" ]] && break; sleep 0.1; done
	echo k >"$WORK/key"
	log=$WORK/collector.$SHAPES.log
	"$BIN" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=postgres" --interval 1s --log-level debug \
		--dashboard-url "http://127.0.0.1:$(cat "$WORK/port.$SHAPES")" --api-key-file "$WORK/key" \
		--spool-dir "$WORK/spool.$SHAPES" 2>"$log" &
	CPID=$!
	PIDS+=($CPID)
	sleep 8		# connect, baseline (all texts fetched once), the 5 s incremental-read margin
	first_ms=$(($(cpu_ticks "$CPID") * 1000 / TICK))
	echo "  start  first 8 s incl. connect and fetching every text: cpu=${first_ms} ms  rss=$(rss_kb "$CPID" VmRSS) kB"
	window idle "$log" "$rdir"
	( while :; do pgi_psql -d postgres -o /dev/null -f "$WORK/stmts.sql" || break; done ) &
	WPID=$!
	PIDS+=($WPID)
	sleep 1
	window busy "$log" "$rdir"
	kill "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	kill "$CPID"
	wait "$CPID"
	pgi_cluster_destroy
done
