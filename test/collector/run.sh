#!/usr/bin/env bash
# test/collector/run.sh — the collector against a real server, a real HTTP receiver, real processes.
# OTLP exports are checked with python3 (test/collector/otlp_check.py).
#
#   test/collector/run.sh            all cases (needs the extension installed: make && make install)
#   COLLECTOR_NO_VALGRIND=1 ...      skip the memcheck case
#
# Each case prints PASS/FAIL; the last line is "collector: N passed, N failed"; exit 1 on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export PGI_ROOT=$ROOT

BIN=$ROOT/collector/pg_insights_collector
TOOLS=$ROOT/build/test/collector
PBDUMP=$TOOLS/pbdump
RECEIVER=$TOOLS/receiver

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $1${2:+: $2}"; }
check() { # check NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}
summary() {
	echo "collector: $PASSED passed, $FAILED failed"
	((FAILED == 0))
}

if ! make -s -C collector all tools >/tmp/collector-build.$$ 2>&1; then
	cat /tmp/collector-build.$$
	rm -f /tmp/collector-build.$$
	fail "build"
	summary
	exit 1
fi
rm -f /tmp/collector-build.$$

# ---- unit tests (no database) ----
if out=$("$TOOLS/test_diff" 2>&1); then
	pass "unit: diff.c ($(echo "$out" | tail -1))"
else
	echo "$out" | grep FAIL
	fail "unit: diff.c"
fi

# ---- a server with the extension ----
# shellcheck source=../lib/cluster.sh
source "$ROOT/test/lib/cluster.sh"
WORK=$(mktemp -d /tmp/pgi-collector.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup_procs() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	PIDS=()
	[[ -n "${KEEP_WORK:-}" ]] || rm -rf "$WORK"
}
trap 'cleanup_procs; pgi_cluster_cleanup_all' EXIT

if ! pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.max_shapes = 2000" \
	>"$WORK/cluster.log" 2>&1; then
	cat "$WORK/cluster.log"
	fail "cluster start"
	summary
	exit 1
fi
if ! pgi_sql "CREATE EXTENSION pg_insights" >"$WORK/ext.log" 2>&1; then
	cat "$WORK/ext.log"
	fail "CREATE EXTENSION pg_insights (run make install at the repository root)"
	summary
	exit 1
fi
pgi_sql "CREATE TABLE probe_t(a int); INSERT INTO probe_t SELECT generate_series(1, 100)" >/dev/null
DSN="host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=postgres"
echo "secret-key-1" >"$WORK/key"
chmod 600 "$WORK/key"
echo "wrong-key" >"$WORK/badkey"
chmod 600 "$WORK/badkey"

# ---- helpers ----
wait_for() { # wait_for SECONDS COMMAND...: poll every 0.1 s
	local deadline=$((SECONDS + $1))
	shift
	while ((SECONDS < deadline)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

start_receiver() { # start_receiver NAME [receiver args]: sets RECV_PID, RECV_PORT (reused on restart)
	local name=$1
	shift
	mkdir -p "$WORK/$name"
	rm -f "$WORK/$name.port"
	"$RECEIVER" --dir "$WORK/$name" --port-file "$WORK/$name.port" --port "${RECV_PORT:-0}" \
		--key secret-key-1 --control "$WORK/$name.control" "$@" 2>>"$WORK/$name.stderr" &
	RECV_PID=$!
	PIDS+=("$RECV_PID")
	wait_for 5 test -s "$WORK/$name.port" || return 1
	RECV_PORT=$(cat "$WORK/$name.port")
}

stop_pid() { # stop_pid PID [signal]: returns the exit status
	local rc
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rc=$?
	return $rc
}

start_collector() { # start_collector LOGNAME args...: sets COLL_PID
	local log=$1
	shift
	"$BIN" --dbname "$DSN" --api-key-file "$WORK/key" --log-level debug "$@" 2>>"$WORK/$log" &
	COLL_PID=$!
	PIDS+=("$COLL_PID")
}

stored() { ls "$WORK/$1"/*.pb 2>/dev/null | sort; }
nmetrics() { ls "$WORK/$1"/*.json 2>/dev/null | wc -l; }
metrics_at_least() { (($(nmetrics "$1") >= $2)); }
nstored() { stored "$1" | wc -l; }
flat_all() { local f; for f in $(stored "$1"); do "$PBDUMP" --flat "$f"; done; }

# sum SUMFIELD over PREFIX.N rows whose MATCHFIELD contains NEEDLE, over every stored snapshot
pbsum() { # pbsum DIR PREFIX MATCHFIELD NEEDLE SUMFIELD
	flat_all "$1" | awk -v pre="$2" -v mf="$3" -v needle="$4" -v sf="$5" '
		{
			eq = index($0, "="); key = substr($0, 1, eq - 1); val = substr($0, eq + 1)
			n = split(key, p, ".")
			if (p[1] != pre) next
			if (n == 3 && p[3] == mf) { cur = p[2]; hit = index(val, needle) > 0 }
			if (cur == p[2] && hit && ((n == 3 && p[3] == sf) || (n == 4 && p[3] == sf))) total += val
		}
		END { print total + 0 }'
}

decodes_all() { "$PBDUMP" --flat $(stored "$1") >/dev/null; }
field_of() { "$PBDUMP" --flat "$1" | sed -n "s/^$2=//p" | head -1; }
no_negative() {
	! flat_all "$1" | grep -E '\.(calls|rows|reads|total_time_ms|shared_blks_hit|shared_blks_read|wal_records)=-|\.histogram\.[0-9]+=-' >/dev/null
}
run_sql_n() { # run_sql_n N SQL: N executions in one session
	local i
	for ((i = 0; i < $1; i++)); do echo "$2;"; done | pgi_psql -d postgres -o /dev/null
}
seqs_of() { local f; for f in $(stored "$1"); do field_of "$f" sequence; done; }
consecutive() { # the sequences in arrival order are exactly first, first+1, ...
	local prev="" s
	for s in $(seqs_of "$1"); do
		[[ -z "$prev" || "$s" -eq $((prev + 1)) ]] || return 1
		prev=$s
	done
	[[ -n "$prev" ]]
}
spool_files() { ls "$1"/*.pb "$1"/*.pbz 2>/dev/null | wc -l; }
# conditions for wait_for (evaluated at every try)
stored_at_least() { (($(nstored "$1") >= $2)); }
spool_at_least() { (($(spool_files "$1") >= $2)); }
spool_empty() { (($(spool_files "$1") == 0)); }

# ======================================================================
echo "== deltas exact for a known workload"
start_receiver r1
start_collector c1.log --dashboard-url "http://127.0.0.1:$RECV_PORT" --interval 300ms --spool-dir "$WORK/spool1" \
	--compress-threshold 600
wait_for 10 stored_at_least r1 1
run_sql_n 37 "SELECT a FROM probe_t WHERE a = 5 /*route='/probe37',application='web'*/"
run_sql_n 12 "SELECT count(*) AS twelve FROM probe_t"
sleep 1.2
n_before=$(nstored r1)
wait_for 10 stored_at_least r1 $((n_before + 2))
calls=$(pbsum r1 shapes text "FROM probe_t WHERE a =" calls)
check "37 executions -> shipped calls sum to 37 (got $calls)" test "$calls" = 37
hist=$(pbsum r1 shapes text "FROM probe_t WHERE a =" histogram)
check "histogram bucket deltas sum to 37 (got $hist)" test "$hist" = 37
rows=$(pbsum r1 shapes text "FROM probe_t WHERE a =" rows)
check "rows delta 37 (got $rows)" test "$rows" = 37
twelve=$(pbsum r1 shapes text "AS twelve" calls)
check "second shape: 12 calls (got $twelve)" test "$twelve" = 12
attr=$(pbsum r1 attributions route /probe37 calls)
check "attribution route=/probe37: 37 calls (got $attr)" test "$attr" = 37
own=$(flat_all r1 | grep -c 'queries_raw\|attribution_raw\|info_raw' || true)
check "the collector's own statements are filtered out (found $own)" test "$own" = 0
check "no negative delta" no_negative r1
check "bodies over the threshold arrive zlib-compressed (Content-Encoding: deflate), smaller ones plain" \
	grep -q " 200 .* deflate" "$WORK/r1/log"
check "... and smaller ones plain" grep -q " 200 .* identity" "$WORK/r1/log"
check "every stored body decodes" decodes_all r1
first=$(stored r1 | head -1)
check "server identity: system identifier and database" \
	test -n "$(field_of "$first" server.system_identifier)" -a "$(field_of "$first" server.database)" = postgres
check "schema_version 1 and a snapshot id" \
	test "$(field_of "$first" schema_version)" = 1 -a -n "$(field_of "$first" snapshot_id)"
ids=$(for f in $(stored r1); do field_of "$f" snapshot_id; done | sort | uniq -d | wc -l)
check "snapshot ids unique" test "$ids" = 0

echo "== reset and restart in the middle"
run_sql_n 10 "SELECT a FROM probe_t WHERE a < 3"
n_before=$(nstored r1)
wait_for 10 stored_at_least r1 $((n_before + 2))
pgi_sql "SELECT insights.reset()" >/dev/null
run_sql_n 5 "SELECT a FROM probe_t WHERE a < 3"
n_before=$(nstored r1)
wait_for 10 stored_at_least r1 $((n_before + 2))
got=$(pbsum r1 shapes text 'WHERE a < $1' calls)
check "insights.reset() between polls: 10 + 5 calls shipped, no double count (got $got)" test "$got" = 15
check "the reset is flagged in a snapshot" bash -c "'$PBDUMP' --flat $WORK/r1/*.pb | grep -q '^stats_reset_seen=true'"
run_sql_n 7 "SELECT a FROM probe_t WHERE a > 90"
n_before=$(nstored r1)
wait_for 10 stored_at_least r1 $((n_before + 2))
pgi_cluster_restart >/dev/null 2>&1
run_sql_n 4 "SELECT a FROM probe_t WHERE a > 90"
n_before=$(nstored r1)
wait_for 20 stored_at_least r1 $((n_before + 2))
got=$(pbsum r1 shapes text 'WHERE a > $1' calls)
check "server restart (counters persisted): 7 + 4 calls shipped (got $got)" test "$got" = 11
pgi_sql "ALTER SYSTEM SET pg_insights.save = off" >/dev/null
pgi_cluster_restart >/dev/null 2>&1
run_sql_n 6 "SELECT a FROM probe_t WHERE a > 90"
n_before=$(nstored r1)
wait_for 20 stored_at_least r1 $((n_before + 2))
got=$(pbsum r1 shapes text 'WHERE a > $1' calls)
check "server restart (counters lost): 7 + 4 + 6 calls shipped (got $got)" test "$got" = 17
pgi_sql "ALTER SYSTEM RESET pg_insights.save" >/dev/null
check "no negative delta across reset and restarts" no_negative r1
check "database loss and return logged once each" test \
	"$(grep -c 'retrying with backoff' "$WORK/c1.log")" -le 2 -a "$(grep -c 'connected again' "$WORK/c1.log")" -ge 1
stop_pid "$COLL_PID"
check "SIGTERM: exit 0" test $? = 0
check "consecutive sequences 1..N, each once" consecutive r1
stop_pid "$RECV_PID"

echo "== dashboard down, then 503, then up: every snapshot exactly once, in order"
RECV_PORT=
start_receiver r2
start_collector c2.log --dashboard-url "http://127.0.0.1:$RECV_PORT" --interval 200ms \
	--spool-dir "$WORK/spool2" --retry-initial 100ms --retry-max 400ms
wait_for 10 stored_at_least r2 2
stop_pid "$RECV_PID"
sleep 1.5
echo 503 >"$WORK/r2.control"
start_receiver r2
sleep 1.5
queued=$(spool_files "$WORK/spool2")
check "snapshots spooled while the dashboard is away ($queued files)" test "$queued" -ge 5
check "503 answered and retried" grep -q " 503 " "$WORK/r2/log"
echo ok >"$WORK/r2.control"
wait_for 15 spool_empty "$WORK/spool2"
sleep 0.5
stop_pid "$COLL_PID"
check "spool drained after recovery" test "$(spool_files "$WORK/spool2")" -eq 0
check "every snapshot arrived exactly once, in order ($(nstored r2) snapshots)" consecutive r2
check "unreachable dashboard logged once per state change, not per poll" \
	test "$(grep -c 'WARNING .*v1/snapshots' "$WORK/c2.log")" -le 4
stop_pid "$RECV_PID"

echo "== tiny spool: the oldest are dropped and the drop count arrives"
RECV_PORT=
start_receiver r3
start_collector c3.log --dashboard-url "http://127.0.0.1:$RECV_PORT" --interval 100ms \
	--spool-dir "$WORK/spool3" --spool-max-bytes 1500 --retry-initial 100ms --retry-max 200ms
wait_for 10 stored_at_least r3 1
stop_pid "$RECV_PID"
sleep 2
start_receiver r3
wait_for 10 spool_empty "$WORK/spool3"
n_before=$(nstored r3)
wait_for 10 stored_at_least r3 $((n_before + 2))
stop_pid "$COLL_PID"
last=$(stored r3 | tail -1)
dropped=$(field_of "$last" collector.snapshots_dropped)
first_seq=$(seqs_of r3 | head -1)
last_seq=$(seqs_of r3 | tail -1)
missing=$((last_seq - first_seq + 1 - $(nstored r3)))
check "snapshots were dropped (reported $dropped)" test "${dropped:-0}" -gt 0
# a snapshot in flight when the receiver is stopped can be stored without its answer reaching the
# collector: it is then spooled and may be dropped, so the count may exceed the gap by that one
check "the reported drop count covers exactly the missing sequence numbers ($missing, or one more in flight at the stop)" \
	test "${dropped:-0}" -ge "$missing" -a "${dropped:-0}" -le $((missing + 1))
check "drops logged" grep -q "spool full" "$WORK/c3.log"
stop_pid "$RECV_PID"

echo "== kill -9 while spooling, then restart: spool replayed, nothing corrupt sent"
RECV_PORT=
start_receiver r4
port4=$RECV_PORT
stop_pid "$RECV_PID"
start_collector c4.log --dashboard-url "http://127.0.0.1:$port4" --interval 100ms \
	--spool-dir "$WORK/spool4" --retry-initial 100ms --retry-max 200ms
wait_for 10 spool_at_least "$WORK/spool4" 5
stop_pid "$COLL_PID" KILL
spooled=$(spool_files "$WORK/spool4")
# what a crash in the middle of a write leaves, and a file that does not decode
printf 'partial' >"$WORK/spool4/00000000000000009999.tmp"
printf 'garbage that is no protobuf \x01\x02' >"$WORK/spool4/00000000000000000000.pb"
RECV_PORT=$port4
start_receiver r4
start_collector c4b.log --dashboard-url "http://127.0.0.1:$port4" --interval 200ms \
	--spool-dir "$WORK/spool4" --retry-initial 100ms --retry-max 200ms
wait_for 15 stored_at_least r4 $((spooled + 2))
stop_pid "$COLL_PID"
check "spooled snapshots replayed after kill -9 ($spooled spooled, $(nstored r4) received)" \
	test "$(nstored r4)" -ge $((spooled + 2))
check "every received body decodes" decodes_all r4
check "the incomplete temp file was removed, not sent" test ! -e "$WORK/spool4/00000000000000009999.tmp"
check "the corrupt file went to rejected/, not sent" test -e "$WORK/spool4/rejected/00000000000000000000.pb"
inst=$(for f in $(stored r4); do field_of "$f" collector_instance; done | uniq | wc -l)
check "old instance's snapshots first, then the new one's (2 runs in order)" test "$inst" = 2
stop_pid "$RECV_PID"

echo "== errors: clear message, right exit code"
"$BIN" --interval bogus --once --output - >"$WORK/e1.out" 2>&1
rc=$?
check "bad option value: exit 2 with the reason" test $rc = 2 -a -n "$(grep 'invalid value for interval' "$WORK/e1.out")"
"$BIN" --no-such-flag >"$WORK/e2.out" 2>&1
check "unknown option: exit 2" test $? = 2
printf 'interval = 1s\nthis line is wrong\n' >"$WORK/bad.conf"
"$BIN" --config "$WORK/bad.conf" --once --output - >"$WORK/e3.out" 2>&1
rc=$?
check "bad config file: exit 2 naming the line" test $rc = 2 -a -n "$(grep 'bad.conf:2' "$WORK/e3.out")"
"$BIN" --help >"$WORK/help.out" 2>&1
rc=$?
check "--help: exit 0, every option with its default" test $rc = 0 -a \
	-n "$(grep -- '--spool-max-bytes BYTES.*\[64M\]' "$WORK/help.out")" -a -n "$(grep -- '--interval DURATION.*\[10s\]' "$WORK/help.out")"
"$BIN" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=no_such_db" --once --output - >"$WORK/e4.out" 2>&1
rc=$?
check "wrong database: exit 1, says it does not exist" test $rc = 1 -a -n "$(grep 'no_such_db.*does not exist' "$WORK/e4.out")"
"$BIN" --dbname "host='unterminated" --once --output - >"$WORK/e5.out" 2>&1
check "malformed conninfo: exit 2" test $? = 2
"$BIN" --dbname "$DSN" --once --dashboard-url http://127.0.0.1:1 --connect-timeout 1s >"$WORK/e6.out" 2>&1
rc=$?
check "unreachable dashboard URL (--once): exit 1 with curl's reason" test $rc = 1 -a \
	-n "$(grep -i 'v1/snapshots: .*connect' "$WORK/e6.out")"
"$BIN" --dbname "$DSN" --once --output - --server-name "$(printf 'n%.0s' $(seq 1 64))" >"$WORK/e9.out" 2>&1
rc=$?
check "--server-name over 63 characters: exit 2 with the reason" test $rc = 2 -a -n "$(grep 'server-name is longer than 63' "$WORK/e9.out")"
"$BIN" --dbname "$DSN" --once --output - --format json >"$WORK/id1.json" 2>/dev/null
"$BIN" --dbname "$DSN" --once --output - --format json --server-name 'billing eu-1' >"$WORK/id2.json" 2>/dev/null
check "server identity: name defaults to local:PORT (no cluster_name), --server-name wins, instance and role primary" \
	python3 -c "
import json, sys
a = json.load(open('$WORK/id1.json'))['server']; b = json.load(open('$WORK/id2.json'))['server']
sys.exit(0 if a['name'] == 'local:$PGI_PORT' and a['instance'] == 'local:$PGI_PORT' and a['role'] == 'primary'
         and b['name'] == 'billing eu-1' and b['instance'] == a['instance'] else 1)"
"$BIN" --dbname "$DSN" --once --dashboard-url ftp://x >"$WORK/e7.out" 2>&1
check "non-HTTP dashboard URL: exit 2" test $? = 2
"$BIN" --dbname "$DSN" --once --dashboard-url http://127.0.0.1:1 --api-key-file "$WORK/nokey" >"$WORK/e8.out" 2>&1
check "missing api key file: exit 2" test $? = 2
pgi_sql "CREATE DATABASE noext" >/dev/null
"$BIN" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=noext" --once --output - >"$WORK/e9.out" 2>&1
rc=$?
check "extension not created (--once): exit 1" test $rc = 1
check "... the message says CREATE EXTENSION pg_insights and shared_preload_libraries" \
	grep -q 'CREATE EXTENSION pg_insights.*shared_preload_libraries' "$WORK/e9.out"
"$BIN" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=noext" --dashboard-url http://127.0.0.1:1 >"$WORK/e10.out" 2>&1
check "extension not created (daemon): exit 1 at startup" test $? = 1

RECV_PORT=
start_receiver r5
"$BIN" --dbname "$DSN" --once --dashboard-url "http://127.0.0.1:$RECV_PORT" --api-key-file "$WORK/badkey" \
	--spool-dir "$WORK/spool5" >"$WORK/e11.out" 2>&1
rc=$?
check "bad key (--once): exit 1, HTTP 401 and the reason logged" test $rc = 1 -a \
	-n "$(grep 'HTTP 401: invalid API key' "$WORK/e11.out")"
check "... the rejected snapshot kept once in rejected/" test "$(ls "$WORK/spool5/rejected" | wc -l)" = 1
start_collector c6.log --dashboard-url "http://127.0.0.1:$RECV_PORT" --interval 100ms --spool-dir "$WORK/spool6" \
	--api-key-file "$WORK/badkey"
sleep 1.5
stop_pid "$COLL_PID"
check "bad key (daemon): rejected snapshots not retried, kept in rejected/" \
	test "$(ls "$WORK/spool6/rejected" | wc -l)" -ge 3 -a "$(spool_files "$WORK/spool6")" = 0
check "... the 401 logged once, not per snapshot" test "$(grep -c 'ERROR .*HTTP 401' "$WORK/c6.log")" = 1
stop_pid "$RECV_PID"

"$BIN" --dbname "host=$PGI_SOCK port=1 dbname=postgres" --dashboard-url http://127.0.0.1:1 --interval 100ms \
	--retry-initial 100ms --retry-max 200ms 2>"$WORK/c7.log" &
pid=$!
PIDS+=("$pid")
sleep 1.5
stop_pid "$pid"
rc=$?
check "database unreachable: keeps retrying, one log line, exits 0 on SIGTERM" test $rc = 0 -a \
	"$(grep -c 'WARNING .*cannot connect' "$WORK/c7.log")" = 1

echo "== two databases, --once JSON, SIGHUP"
pgi_sql "CREATE DATABASE second" >/dev/null
PGI_DB=second pgi_sql "CREATE EXTENSION pg_insights" >/dev/null
PGI_DB=second pgi_sql "SELECT 1 AS in_second" >/dev/null
# counters of newer servers travel in the snapshot: JIT (every version), generic plans (19+)
PGI_DB=second pgi_sql "SET jit = on; SET jit_above_cost = 0; SET jit_inline_above_cost = 0;
	SET jit_optimize_above_cost = 0; SELECT sum(g) AS jit_sum FROM generate_series(1, 1000) g;
	SELECT sum(g) AS jit_sum FROM generate_series(1, 1000) g;
	PREPARE gp AS SELECT count(*) AS generic_count FROM pg_class; SET plan_cache_mode = force_generic_plan;
	EXECUTE gp; EXECUTE gp; EXECUTE gp" >/dev/null
# wait samples and errors per shape travel too: a sleep (Timeout:PgSleep) and two unique violations
PGI_DB=second pgi_sql "CREATE TABLE uv (id int PRIMARY KEY); INSERT INTO uv VALUES (1); SELECT pg_sleep(0.3) AS slept" >/dev/null
PGI_DB=second pgi_sql "INSERT INTO uv VALUES (1)" >/dev/null 2>&1
PGI_DB=second pgi_sql "INSERT INTO uv VALUES (1)" >/dev/null 2>&1
"$BIN" --dbname "$DSN" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=second" --once --output - --format json \
	>"$WORK/two.json" 2>"$WORK/two.err"
rc=$?
check "--once with two databases: exit 0, one snapshot each" test $rc = 0 -a \
	"$(grep -c '"database": ' "$WORK/two.json")" = 2
check "each database reports only its own shapes" test \
	"$(grep -c 'in_second' "$WORK/two.json")" = 1
if command -v python3 >/dev/null; then
	check "--format json is valid JSON" python3 -c "
import json, sys
t = open('$WORK/two.json').read()
d = json.JSONDecoder(); i = 0; n = 0
while i < len(t.rstrip()):
    o, i = d.raw_decode(t, i); n += 1
    while i < len(t) and t[i].isspace(): i += 1
sys.exit(0 if n == 2 else 1)"
	check "the snapshot carries JIT counters (2 executions inlined) and, on 19+, generic plan executions" python3 -c "
import json, sys
t = open('$WORK/two.json').read()
d = json.JSONDecoder(); i = 0; shapes = []; vnum = 0
while i < len(t.rstrip()):
    o, i = d.raw_decode(t, i)
    while i < len(t) and t[i].isspace(): i += 1
    if o['server']['database'] == 'second':
        shapes = o['shapes']; vnum = int(o['server']['version_num'])
jit = [s for s in shapes if 'jit_sum' in s.get('text', '')]
gp = [s for s in shapes if 'generic_count' in s.get('text', '') and s.get('command') == 'SELECT']
ok = len(jit) == 1 and int(jit[0].get('jit_functions', 0)) > 0 and int(jit[0].get('jit_inlining_count', 0)) == 2 \\
    and float(jit[0].get('jit_generation_time_ms', 0)) > 0
want_generic = 3 if vnum >= 190000 else 0
ok = ok and len(gp) == 1 and int(gp[0].get('generic_plan_calls', 0)) == want_generic
print(vnum, jit, gp, file=sys.stderr)
sys.exit(0 if ok else 1)"
	check "the snapshot carries wait samples (pg_sleep: Timeout:PgSleep) and errors (2 x 23505) per shape" python3 -c "
import json, sys
t = open('$WORK/two.json').read()
d = json.JSONDecoder(); i = 0; snap = None
while i < len(t.rstrip()):
    o, i = d.raw_decode(t, i)
    while i < len(t) and t[i].isspace(): i += 1
    if o['server']['database'] == 'second': snap = o
ids = {s['shape_id']: s.get('text', '') for s in snap['shapes']}
sleep = [w for w in snap.get('waits', []) if 'pg_sleep' in ids.get(w['shape_id'], '')]
ps = sum(int(w['samples']) for w in sleep if w['wait_event_type'] == 'Timeout' and w['wait_event'] == 'PgSleep')
ins = [e for e in snap.get('errors', []) if ids.get(e['shape_id'], '').startswith('INSERT INTO uv')]
info = snap['info']
ok = ps >= 10 and len(ins) == 1 and ins[0]['sqlstate'] == '23505' and int(ins[0]['errors']) == 2 \\
    and int(info.get('wait_sample_interval_ms', 0)) == 10 and int(info.get('wait_sample_rounds', 0)) > 0
print(ps, ins, info, file=sys.stderr)
sys.exit(0 if ok else 1)"
fi
printf 'log_level = info\ninterval = 200ms\n' >"$WORK/hup.conf"
"$BIN" --config "$WORK/hup.conf" --dbname "$DSN" --dashboard-url http://127.0.0.1:1 2>"$WORK/c8.log" &
pid=$!
PIDS+=("$pid")
sleep 0.5
printf 'log_level = debug\ninterval = 300ms\notlp_url = http://127.0.0.1:1\n' >"$WORK/hup.conf"
kill -HUP "$pid"
sleep 0.5
printf 'this is not valid\n' >"$WORK/hup.conf"
kill -HUP "$pid"
sleep 0.5
stop_pid "$pid"
check "SIGHUP re-reads the config file" grep -q 'configuration reloaded (interval 300ms, log level DEBUG)' "$WORK/c8.log"
check "SIGHUP with a broken file keeps the running configuration" grep -q 'keeping the previous one' "$WORK/c8.log"
check "SIGHUP adds an --otlp-url of the config file without a restart" \
	grep -q 'SIGHUP: OTLP metrics export to http://127.0.0.1:1 started' "$WORK/c8.log"
check "log lines: timestamp LEVEL message" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z (DEBUG|INFO|WARNING|ERROR) ' "$WORK/c8.log"

echo "== OTLP metrics export (--otlp-url): what arrives, exactly"
OTLPCHK=$ROOT/test/collector/otlp_check.py
otlp() { # otlp CHECK ARGS...: quiet when it holds, the reason when not
	local out
	out=$(python3 "$OTLPCHK" "$@" 2>&1) && return 0
	echo "$out"
	return 1
}
otlp_value() { python3 "$OTLPCHK" value "$@"; }
if ! command -v python3 >/dev/null; then
	fail "OTLP checks: python3 is needed"
else
	# findings the gauge must count: two open missing_index, one open offset_pagination, one resolved
	# (shape ids that never run: the detectors leave them as they are)
	pgi_sql "INSERT INTO insights.findings_data (kind, dbid, shape_id, status)
		SELECT k, (SELECT oid FROM pg_database WHERE datname = current_database()), s, st
		FROM (VALUES ('missing_index', 900001, 'open'), ('missing_index', 900002, 'open'),
			('n_plus_one', 900003, 'resolved'), ('offset_pagination', 900004, 'open')) v(k, s, st)" >/dev/null
	RECV_PORT=
	start_receiver d1
	dport=$RECV_PORT
	dpid=$RECV_PID
	# the OTLP endpoint wants the bearer key as well: only --otlp-header can bring it
	RECV_PORT=
	start_receiver o1
	oport=$RECV_PORT
	start_collector co1.log --dashboard-url "http://127.0.0.1:$dport" --interval 300ms --spool-dir "$WORK/spoolo1" \
		--otlp-url "http://127.0.0.1:$oport/" --otlp-header "Authorization: Bearer secret-key-1" \
		--otlp-header "X-Scope-OrgID: tenant-7"
	wait_for 10 metrics_at_least o1 1
	run_sql_n 23 "SELECT a, 'x' AS otlp_probe FROM probe_t WHERE a <= 3"
	# top-level and nested twins of one shape: 3 + 4 executions of 2 rows
	pgi_psql -d postgres -o /dev/null <<-'SQL'
		SET pg_insights.track = 'all';
		SELECT a FROM probe_t WHERE a > 42 AND a < 45;
		SELECT a FROM probe_t WHERE a > 42 AND a < 45;
		SELECT a FROM probe_t WHERE a > 42 AND a < 45;
		DO $$ BEGIN FOR i IN 1..4 LOOP PERFORM a FROM probe_t WHERE a > 42 AND a < 45; END LOOP; END $$;
	SQL
	# a statement of 1262 bytes: a control character, a tab, a newline, a 2-byte character across byte 1024
	printf 'SELECT a AS "otlp\001ctl\ttab" , a AS "%s"\nFROM probe_t WHERE a = 7;\n' \
		"$(printf 'é%.0s' $(seq 600))" | pgi_psql -d postgres -o /dev/null 2>/dev/null
	sleep 0.7
	n_before=$(nmetrics o1)
	wait_for 10 metrics_at_least o1 $((n_before + 2))
	stop_pid "$COLL_PID"
	check "OTLP exports arrive at URL/v1/metrics, with the Authorization of --otlp-header ($(nmetrics o1) bodies)" \
		test "$(nmetrics o1)" -ge 3 -a "$(grep -c ' 401 ' "$WORK/o1/log")" = 0
	check "every OTLP body follows the OTLP JSON mapping (int64 strings, DELTA, monotonic sums, buckets = bounds + 1 adding up to count)" \
		otlp structure "$WORK/o1" 500
	sysid=$(field_of "$(stored d1 | head -1)" server.system_identifier)
	check "resource: service.name/version, server.address/port, postgresql.system_identifier = the snapshot's ($sysid)" \
		otlp resource "$WORK/o1" "$sysid"
	got=$(otlp_value "$WORK/o1" calls otlp_probe)
	check "calls of the workload's shape: 23 (got $got)" test "$got" = 23
	got=$(otlp_value "$WORK/o1" rows otlp_probe)
	check "rows of the workload's shape: 69 (got $got)" test "$got" = 69
	got=$(otlp_value "$WORK/o1" duration otlp_probe)
	check "duration histogram count of the workload's shape: 23 (got $got)" test "$got" = 23
	got=$(otlp_value "$WORK/o1" calls 'a > $1 AND a < $2')/$(otlp_value "$WORK/o1" rows 'a > $1 AND a < $2')
	twins=$(pgi_sql "SELECT count(DISTINCT toplevel) FROM insights.queries_raw(true) WHERE shape_id IN
		(SELECT shape_id FROM insights.queries_raw(true) WHERE query LIKE '%a > \$1 AND a < \$2%')")
	check "top-level and nested twins ($twins rows in the extension) merged: one point, 7 calls, 14 rows (got $got)" \
		test "$got" = 7/14 -a "$twins" = 2
	hex=$(pgi_sql "SELECT encode(convert_to(query, 'UTF8'), 'hex') FROM insights.queries_raw(true)
		WHERE query LIKE '%otlp' || chr(1) || 'ctl%' LIMIT 1")
	check "db.query.text is the statement's text cut to 1024 bytes between two characters, control characters escaped; db.operation.name SELECT" \
		otlp text "$WORK/o1" $'otlp\001ctl\ttab' "$hex"
	check "per interval, the OTLP totals (calls, rows, shared blocks, duration) equal the dashboard snapshot's" \
		otlp match "$WORK/o1" "$WORK/d1" "$PBDUMP" 500
	open_kinds=$(pgi_sql "SELECT string_agg(kind || '=' || n, ' ') FROM (SELECT kind, count(*) AS n
		FROM insights.findings WHERE status = 'open' AND dbid = (SELECT oid FROM pg_database WHERE datname = 'postgres')
		GROUP BY kind) s")
	# shellcheck disable=SC2086
	check "findings gauge: the open findings per kind ($open_kinds), the resolved one not counted" \
		otlp findings "$WORK/o1" $open_kinds
	check "... including the two open missing_index findings" grep -q 'missing_index=2' <<<"$open_kinds"
	check "every --otlp-header line arrives with every export" \
		test "$(grep -il '^X-Scope-OrgID: tenant-7$' "$WORK"/o1/*.headers | wc -l)" = "$(nmetrics o1)"
	check "--otlp-header values never logged" test "$(grep -c 'tenant-7\|secret-key-1' "$WORK/co1.log")" = 0
	check "OTLP bodies over --compress-threshold are gzip-compressed (Content-Encoding: gzip)" \
		grep -q ' 200 .* gzip metrics$' "$WORK/o1/log"
	sent=$(for f in $(stored d1); do field_of "$f" collector.otlp_exports_sent; done | sort -n | tail -1)
	check "otlp_exports_sent in the snapshots' collector counters ($sent before the last export, $(nmetrics o1) received)" \
		test "${sent:-x}" = "$(($(nmetrics o1) - 1))"
	check "the dashboard's snapshots alongside: every one, in order" consecutive d1
	stop_pid "$RECV_PID"
	stop_pid "$dpid"

	echo "== OTLP: --otlp-max-shapes 1 (from a --config file): the rest in shape_id \"other\""
	RECV_PORT=
	start_receiver d2
	dport=$RECV_PORT
	dpid=$RECV_PID
	RECV_PORT=
	start_receiver o2
	printf 'otlp_url = http://127.0.0.1:%s\notlp_header = "Authorization: Bearer secret-key-1"\notlp_max_shapes = 1\n' \
		"$RECV_PORT" >"$WORK/otlp.conf"
	start_collector co2.log --config "$WORK/otlp.conf" --dashboard-url "http://127.0.0.1:$dport" --interval 300ms \
		--spool-dir "$WORK/spoolo2"
	wait_for 10 metrics_at_least o2 1
	for ((i = 0; i < 5; i++)); do
		echo "SELECT pg_sleep(0.01) AS otlp_slow;"
		for ((j = 0; j < 6; j++)); do echo "SELECT count(*) AS otlp_cheap FROM probe_t;"; done
	done | pgi_psql -d postgres -o /dev/null
	sleep 0.7
	n_before=$(nmetrics o2)
	wait_for 10 metrics_at_least o2 $((n_before + 2))
	stop_pid "$COLL_PID"
	check "every body follows the mapping, at most 1 shape per metric besides \"other\"" otlp structure "$WORK/o2" 1
	check "per interval: the shape with the most time, and \"other\" carrying the rest: totals equal the snapshot's" \
		otlp match "$WORK/o2" "$WORK/d2" "$PBDUMP" 1
	got=$(otlp_value "$WORK/o2" calls otlp_slow)
	check "the slowest shape exported on its own: 5 calls (got $got)" test "$got" = 5
	check "an \"other\" point was needed" grep -q '"stringValue":"other"' "$WORK"/o2/*.json
	stop_pid "$RECV_PID"
	stop_pid "$dpid"

	echo "== OTLP endpoint answering 500, then down: best effort, the dashboard unaffected"
	RECV_PORT=
	start_receiver d3
	dport=$RECV_PORT
	dpid=$RECV_PID
	RECV_PORT=
	echo 500 >"$WORK/o3.control"
	start_receiver o3
	oport=$RECV_PORT
	opid=$RECV_PID
	start_collector co3.log --dashboard-url "http://127.0.0.1:$dport" --interval 200ms --spool-dir "$WORK/spoolo3" \
		--otlp-url "http://127.0.0.1:$oport" --otlp-header "Authorization: Bearer secret-key-1" \
		--retry-initial 100ms --retry-max 200ms
	sleep 1.5
	echo ok >"$WORK/o3.control"
	wait_for 10 metrics_at_least o3 1
	stop_pid "$opid"
	sleep 1.5
	kill -0 "$COLL_PID" 2>/dev/null
	alive=$?
	stop_pid "$COLL_PID"
	rc=$?
	check "the collector keeps running through the OTLP failures and exits 0 on SIGTERM" test $alive = 0 -a $rc = 0
	n500=$(grep -c ' 500 .* metrics$' "$WORK/o3/log")
	check "... the 500s were met at later polls too, after a backoff ($n500 tries)" test "$n500" -ge 2
	check "... each failure logged once: the 500, then the refused connection (not at every poll)" \
		test "$(grep -c 'WARNING OTLP export failed' "$WORK/co3.log")" = 2
	check "... the 500 logged with the first 200 bytes of its answer" \
		grep -q "WARNING OTLP export failed: http://127.0.0.1:$oport/v1/metrics answered HTTP 500: otlp receiver says: try later 0\{170\} (best effort" "$WORK/co3.log"
	check "... the refused connection logged" \
		grep -q "WARNING OTLP export failed: http://127.0.0.1:$oport/v1/metrics: .*onnect" "$WORK/co3.log"
	check "... the recovery in between logged once" test "$(grep -c 'accepts metrics again' "$WORK/co3.log")" = 1
	check "... the dashboard's snapshots all arrived, in order ($(nstored d3))" test "$(nstored d3)" -ge 10
	check "... every one exactly once" consecutive d3
	failed=$(field_of "$(stored d3 | tail -1)" collector.otlp_exports_failed)
	check "... otlp_exports_failed counted in the snapshots (got $failed)" test "${failed:-0}" -ge 3
	stop_pid "$dpid"

	echo "== OTLP with --once, and bad OTLP options"
	RECV_PORT=
	start_receiver o4
	"$BIN" --dbname "$DSN" --once --otlp-url "http://127.0.0.1:$RECV_PORT/v1/metrics" \
		--otlp-header "Authorization: Bearer secret-key-1" >"$WORK/e20.out" 2>&1
	rc=$?
	got=$(otlp_value "$WORK/o4" calls otlp_probe)
	check "--once --otlp-url without a dashboard: exit 0, one export of the totals since stats_reset (23 calls, got $got)" \
		test $rc = 0 -a "$(nmetrics o4)" = 1 -a "$got" = 23
	stop_pid "$RECV_PID"
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --connect-timeout 1s >"$WORK/e21.out" 2>&1
	rc=$?
	check "--once with the OTLP endpoint down: exit 1, says the export was not delivered" \
		test $rc = 1 -a -n "$(grep 'OTLP export not delivered' "$WORK/e21.out")"
	"$BIN" --dbname "$DSN" --once --otlp-url ftp://x >"$WORK/e22.out" 2>&1
	check "--otlp-url that is not http(s): exit 2" test $? = 2 -a -n "$(grep 'otlp-url must start' "$WORK/e22.out")"
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --otlp-header 'Bearer s3cr3t-token' >"$WORK/e23.out" 2>&1
	rc=$?
	check "--otlp-header without 'Name:': exit 2, the value not shown" \
		test $rc = 2 -a -n "$(grep "must be 'Name: value'" "$WORK/e23.out")" -a -z "$(grep s3cr3t "$WORK/e23.out")"
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --otlp-header $'X-Key: s3cr3t\r\nX-Evil: 1' >"$WORK/e24.out" 2>&1
	rc=$?
	check "--otlp-header with a line break: exit 2, the value not shown" \
		test $rc = 2 -a -n "$(grep 'control character' "$WORK/e24.out")" -a -z "$(grep s3cr3t "$WORK/e24.out")"
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --otlp-header 'Content-Type: text/plain' >"$WORK/e25.out" 2>&1
	check "--otlp-header Content-Type: exit 2 (set by the collector)" test $? = 2
	"$BIN" --dbname "$DSN" --once --output - --otlp-header 'X-A: b' >"$WORK/e26.out" 2>&1
	check "--otlp-header without --otlp-url: exit 2" test $? = 2 -a -n "$(grep 'needs --otlp-url' "$WORK/e26.out")"
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --otlp-max-shapes -1 >"$WORK/e27.out" 2>&1
	rc=$?
	"$BIN" --dbname "$DSN" --once --otlp-url http://127.0.0.1:1 --otlp-max-shapes 100001 >"$WORK/e28.out" 2>&1
	check "--otlp-max-shapes -1 or 100001: exit 2" test $rc = 2 -a $? = 2
	check "--help: the OTLP options with their defaults" test \
		-n "$(grep -- '--otlp-url URL.*\[none\]' "$WORK/help.out")" -a -n "$(grep -- "--otlp-header 'NAME: VALUE'.*\[none\]" "$WORK/help.out")" \
		-a -n "$(grep -- '--otlp-max-shapes N.*\[500\]' "$WORK/help.out")"
	pgi_sql "DELETE FROM insights.findings_data WHERE shape_id BETWEEN 900001 AND 900004" >/dev/null
fi

if [[ -z "${COLLECTOR_NO_VALGRIND:-}" ]] && command -v valgrind >/dev/null; then
	echo "== valgrind memcheck"
	RECV_PORT=
	start_receiver r9o
	r9o_pid=$RECV_PID
	r9o_port=$RECV_PORT
	RECV_PORT=
	start_receiver r9
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$WORK/valgrind.log" \
		"$BIN" --dbname "$DSN" --api-key-file "$WORK/key" --dashboard-url "http://127.0.0.1:$RECV_PORT" \
		--interval 300ms --spool-dir "$WORK/spool9" --otlp-url "http://127.0.0.1:$r9o_port" \
		--otlp-header "Authorization: Bearer secret-key-1" --otlp-max-shapes 1 2>"$WORK/c9.log" &
	vpid=$!
	PIDS+=("$vpid")
	wait_for 30 stored_at_least r9 1
	run_sql_n 20 "SELECT a FROM probe_t WHERE a >= 1 /*route='/vg'*/"
	pgi_sql "SELECT insights.reset()" >/dev/null
	run_sql_n 5 "SELECT a FROM probe_t WHERE a >= 1 /*route='/vg'*/"
	n_before=$(nstored r9)
	wait_for 30 stored_at_least r9 $((n_before + 3))
	stop_pid "$RECV_PID"
	stop_pid "$r9o_pid"
	sleep 1
	kill -HUP "$vpid"
	sleep 0.5
	stop_pid "$vpid"
	rc=$?
	check "memcheck of the daemon (poll, reset, ship, spool, OTLP export and its failure, SIGHUP, SIGTERM): exit 0, no leak or invalid access" \
		test $rc = 0 -a ! -s "$WORK/valgrind.log"
	check "... OTLP exports arrived under memcheck ($(nmetrics r9o)), and their failure was logged" \
		test "$(nmetrics r9o)" -ge 2 -a -n "$(grep 'WARNING OTLP export failed' "$WORK/c9.log")"
	[[ $rc = 0 && ! -s "$WORK/valgrind.log" ]] || head -40 "$WORK/valgrind.log"
	valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$WORK/valgrind2.log" \
		"$BIN" --dbname "$DSN" --once --output - --format json >/dev/null 2>"$WORK/c10.log"
	rc=$?
	check "memcheck of --once --format json" test $rc = 0 -a ! -s "$WORK/valgrind2.log"
fi

check "server log shows no crash" pgi_cluster_log_check
summary
