#!/usr/bin/env bash
# test/faults/run.sh — faults between the parts, and security (issue 7), with real processes, real
# servers and real HTTP on 127.0.0.1 only; no mocks.
#
#   bash test/faults/run.sh          (needs the extension installed: make && make install; root for the tmpfs case)
#
# Collector: server restarts (fast and immediate), a failover to another system identifier on the same
# conninfo, DROP EXTENSION under it, statement_timeout hit (a lock on insights.findings_data, a tiny timeout
# on a large store).  Dashboard: restarted while the collector ships, repository down, spool on a full
# disk (drops and failures counted and shown by /api/servers).  Security: TLS with a self-signed CA
# (trusted, wrong CA, --insecure), several API keys and revocation, no secret in the logs, UI auth,
# a flood of idle connections, slow clients timed out, least-privilege roles on both sides.
#
# Prints "ok - ..." / "FAIL - ..." lines and ends with "faults: N passed, N failed"; exit 1 on failure.
# Artifacts (logs) in $PGI_OUT/faults (default: a new temp dir); FAULTS_KEEP=1 keeps them.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export PGI_ROOT=$ROOT
# shellcheck source=../lib/cluster.sh
source "$ROOT/test/lib/cluster.sh"

OWN_OUT=
[[ -n "${PGI_OUT:-}" ]] || OWN_OUT=$(mktemp -d /tmp/pgi-faults.XXXXXX)
OUT=${PGI_OUT:-$OWN_OUT}/faults
mkdir -p "$OUT"
chmod 755 "$OUT"
COLLECTOR=$ROOT/collector/pg_insights_collector
DASHBOARD=$ROOT/dashboard/pg_insights_dashboard
TOOLS=$ROOT/build/test/collector
PBDUMP=$TOOLS/pbdump
RECEIVER=$TOOLS/receiver
MKSNAP=$ROOT/dashboard/build/mksnap
HELPER=$ROOT/test/faults/netload.py
T0=$SECONDS

PASS=0
FAIL=0
PIDS=()
MOUNTS=()
ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
nok() { echo "FAIL - $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
check() { # check NAME COMMAND...: the command's status decides
	local name=$1
	shift
	if "$@" >>"$OUT/checks.log" 2>&1; then ok "$name"; else nok "$name" "$*"; fi
}
is() { # is NAME GOT WANT
	if [[ "$2" == "$3" ]]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
finish() {
	local p m
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	pgi_cluster_cleanup_all
	echo "# artifacts: $OUT ($((SECONDS - T0)) s)"
	echo "faults: $PASS passed, $FAIL failed"
	if [[ -z "${FAULTS_KEEP:-}" && $FAIL -eq 0 ]]; then
		rm -rf "$OUT"
		[[ -z "$OWN_OUT" ]] || rmdir "$OWN_OUT" 2>/dev/null
	fi
	[[ $FAIL -eq 0 ]]
	exit
}
trap finish EXIT

# ---- build ----
if ! make -s -C collector all tools >"$OUT/build.log" 2>&1 || ! make -s -C dashboard all tools >>"$OUT/build.log" 2>&1; then
	tail -20 "$OUT/build.log"
	nok "build (make -C collector all tools && make -C dashboard all tools)"
	exit 1
fi
ok "build: collector, dashboard, receiver, pbdump, mksnap"

# ---- helpers ----
wait_for() { # wait_for SECONDS COMMAND...: poll every 0.1 s
	local deadline=$((SECONDS + $1))
	shift
	while ((SECONDS < deadline)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@" 2>/dev/null
}
stop_pid() { # stop_pid PID [signal]: returns its exit status
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
alive() { kill -0 "$1" 2>/dev/null; }
declare -A CL
save_cluster() { # save_cluster NAME: remember the current cluster's variables
	CL[$1.base]=$PGI_BASE CL[$1.data]=$PGI_DATA CL[$1.sock]=$PGI_SOCK CL[$1.port]=$PGI_PORT CL[$1.log]=$PGI_LOG
}
use_cluster() { # use_cluster NAME: make it the current one for pgi_sql/pgi_ctl
	PGI_BASE=${CL[$1.base]} PGI_DATA=${CL[$1.data]} PGI_SOCK=${CL[$1.sock]} PGI_PORT=${CL[$1.port]} PGI_LOG=${CL[$1.log]}
}
run_sql_n() { # run_sql_n N SQL: N executions in one session of the current cluster
	local i
	for ((i = 0; i < $1; i++)); do echo "$2;"; done | pgi_psql -d postgres -o /dev/null
}

# receiver (test/collector/receiver.c): stores each accepted body as DIR/<n>.pb
start_receiver() { # start_receiver NAME: sets RECV_PID RECV_PORT
	mkdir -p "$OUT/$1"
	rm -f "$OUT/$1.port"
	"$RECEIVER" --dir "$OUT/$1" --port-file "$OUT/$1.port" --port 0 --key "$KEY1" \
		--control "$OUT/$1.control" 2>>"$OUT/$1.stderr" &
	RECV_PID=$!
	PIDS+=("$RECV_PID")
	wait_for 5 test -s "$OUT/$1.port" || return 1
	RECV_PORT=$(cat "$OUT/$1.port")
}
stored() { ls "$OUT/$1"/*.pb 2>/dev/null | sort; }
nstored() { stored "$1" | wc -l; }
flat_all() { local f; for f in $(stored "$1"); do "$PBDUMP" --flat "$f"; done; }
stored_at_least() { (($(nstored "$1") >= $2)); }
wait_snaps() { # wait_snaps DIR N: N more snapshots than now
	local n
	n=$(nstored "$1")
	wait_for "${3:-20}" stored_at_least "$1" $((n + $2))
}
# sum SUMFIELD of PREFIX.N rows whose MATCHFIELD contains NEEDLE, over the snapshots of DIR (of system id SYSID if given)
pbsum() { # pbsum DIR PREFIX MATCHFIELD NEEDLE SUMFIELD [SYSID]
	local f
	for f in $(stored "$1"); do
		if [[ -n "${6:-}" ]] && ! "$PBDUMP" --flat "$f" | grep -x "server.system_identifier=$6" >/dev/null; then continue; fi
		"$PBDUMP" --flat "$f"
	done | awk -v pre="$2" -v mf="$3" -v needle="$4" -v sf="$5" '
		{
			eq = index($0, "="); key = substr($0, 1, eq - 1); val = substr($0, eq + 1)
			n = split(key, p, ".")
			if (p[1] != pre) next
			if (n == 3 && p[3] == mf) { cur = p[2]; hit = index(val, needle) > 0 }
			if (cur == p[2] && hit && n == 3 && p[3] == sf) total += val
		}
		END { print total + 0 }'
}
no_negative() {
	! flat_all "$1" | grep -E '\.(calls|rows|reads|total_time_ms|shared_blks_hit|shared_blks_read|wal_records|histogram\.[0-9]+)=-' >/dev/null
}
consecutive() { # the sequences of DIR in arrival order are first, first+1, ... (one collector run)
	local prev="" s f
	for f in $(stored "$1"); do
		s=$("$PBDUMP" --flat "$f" | sed -n 's/^sequence=//p')
		[[ -z "$prev" || "$s" -eq $((prev + 1)) ]] || return 1
		prev=$s
	done
	[[ -n "$prev" ]]
}
start_collector() { # start_collector LOG args...: sets COLL_PID
	local log=$1
	shift
	"$COLLECTOR" --dbname "$DSN" --log-level debug "$@" 2>>"$OUT/$log" &
	COLL_PID=$!
	PIDS+=("$COLL_PID")
}
count_in() { grep -c -- "$1" "$2" 2>/dev/null || true; }

# ---- clusters: M (monitored, pg_insights) and R (the dashboard's repository) ----
if ! pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.max_shapes = 3000" \
	"pg_insights.save = on" >"$OUT/cluster-m.log" 2>&1 || ! pgi_sql "CREATE EXTENSION pg_insights" >>"$OUT/cluster-m.log" 2>&1; then
	cat "$OUT/cluster-m.log"
	nok "monitored cluster with pg_insights (run make install at the repository root)"
	exit 1
fi
save_cluster M
pgi_sql "CREATE TABLE probe_t(a int); INSERT INTO probe_t SELECT generate_series(1, 100)" >/dev/null
SYSID_M=$(pgi_sql "SELECT system_identifier FROM pg_control_system()")
DSN="host=${CL[M.sock]} port=${CL[M.port]} user=$PGI_SUPERUSER dbname=postgres"
if ! pgi_cluster_start >"$OUT/cluster-r.log" 2>&1; then
	cat "$OUT/cluster-r.log"
	nok "repository cluster"
	exit 1
fi
save_cluster R
use_cluster M

KEY1=k1-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
KEY2=k2-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
KEY3=k3-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
UI_TOKEN=ui-$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
UI_PASS=pw-$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
printf '%s\n' "$KEY1" >"$OUT/key1"
printf '%s\n' "$KEY2" >"$OUT/key2"
printf '%s\n' "$KEY3" >"$OUT/key3"
# the dashboard's key files: every key may write any server ("*"), as the tests post one server with several keys
printf '%s *\n%s *\n%s *\n' "$KEY1" "$KEY2" "$KEY3" >"$OUT/keys-all"
printf '%s *\n%s *\n' "$KEY1" "$KEY3" >"$OUT/keys-revoked"
chmod 600 "$OUT"/key* "$OUT"/keys-*

# ======================================================================
echo "# 1. the monitored server restarts (fast, immediate) under the collector"
start_receiver r1
start_collector c1.log --dashboard-url "http://127.0.0.1:$RECV_PORT" --api-key-file "$OUT/key1" --interval 300ms \
	--spool-dir "$OUT/spool1" --retry-initial 100ms --retry-max 400ms
C1=$COLL_PID
wait_for 10 stored_at_least r1 1
run_sql_n 7 "SELECT a FROM probe_t WHERE a > 91"
wait_snaps r1 2
pgi_cluster_restart fast >/dev/null 2>&1
run_sql_n 4 "SELECT a FROM probe_t WHERE a > 91"
wait_snaps r1 2
pgi_cluster_restart immediate >/dev/null 2>&1
run_sql_n 6 "SELECT a FROM probe_t WHERE a > 91"
wait_snaps r1 3
got=$(pbsum r1 shapes text 'WHERE a > $1' calls)
is "restarts: 7 + 4 (counters saved at -m fast) + 6 (store empty after -m immediate) calls shipped" "$got" 17
check "restarts: the collector keeps running" alive "$C1"
check "restarts: no negative delta in any shipped snapshot" no_negative r1
check "restarts: every snapshot decodes and sequences are consecutive (none lost)" consecutive r1
check "restarts: each restart logged once ('server restarted' twice)" test "$(count_in 'server restarted since the previous poll' "$OUT/c1.log")" -eq 2
check "restarts: loss of the database logged once per outage (<= 2), and the return" test \
	"$(count_in 'retrying with backoff' "$OUT/c1.log")" -le 2 -a "$(count_in 'connected again' "$OUT/c1.log")" -ge 1
check "restarts: both restarts flagged in the snapshots (server_restarted=true twice)" \
	test "$(flat_all r1 | grep -c '^server_restarted=true')" -eq 2

echo "# 2. failover: the same conninfo reaches another cluster (new system identifier)"
# cluster F: initdb'd apart, prepared on its own port, then moved onto M's socket and port
pgi_cluster_start "shared_preload_libraries = 'pg_insights'" >"$OUT/cluster-f.log" 2>&1
save_cluster F
pgi_sql "CREATE EXTENSION pg_insights; CREATE TABLE probe_t(a int); INSERT INTO probe_t SELECT generate_series(1, 100)" >/dev/null
SYSID_F=$(pgi_sql "SELECT system_identifier FROM pg_control_system()")
run_sql_n 5 "SELECT a FROM probe_t WHERE a < 9"
pgi_cluster_stop fast >/dev/null 2>&1
pgi_cluster_set "port = ${CL[M.port]}" "unix_socket_directories = '${CL[M.sock]}'"
CL[F.port]=${CL[M.port]} CL[F.sock]=${CL[M.sock]}
use_cluster M
run_sql_n 3 "SELECT a FROM probe_t WHERE a < 9"
wait_snaps r1 2
pgi_cluster_stop fast >/dev/null 2>&1
use_cluster F
pgi_ctl start >/dev/null 2>&1
run_sql_n 4 "SELECT a FROM probe_t WHERE a < 9"
wait_for 20 grep -q 'system identifier changed' "$OUT/c1.log"
wait_snaps r1 3
# the new server's totals arrive with its first snapshot; under load that can lag the log line
f_calls_are() { [[ "$(pbsum r1 shapes text 'WHERE a < $1' calls "$SYSID_F")" == "$1" ]]; }
wait_for 20 f_calls_are 9
check "failover: system identifiers differ ($SYSID_M, $SYSID_F)" test "$SYSID_M" != "$SYSID_F"
check "failover: the new system identifier is noticed and logged" \
	grep -q "system identifier changed from $SYSID_M to $SYSID_F" "$OUT/c1.log"
got_m=$(pbsum r1 shapes text 'WHERE a < $1' calls "$SYSID_M")
got_f=$(pbsum r1 shapes text 'WHERE a < $1' calls "$SYSID_F")
is "failover: old server's calls shipped under its identifier" "$got_m" 3
is "failover: new server counted from its zero: 5 (before) + 4 (after) calls, no double count" "$got_f" 9
check "failover: no negative delta" no_negative r1
check "failover: the collector keeps running" alive "$C1"
check "failover: snapshots keep coming, sequences consecutive" consecutive r1

echo "# 3. DROP EXTENSION under the running collector, then CREATE EXTENSION again"
wait_snaps r1 1
pgi_sql "DROP EXTENSION pg_insights" >/dev/null
run_sql_n 4 "SELECT a FROM probe_t WHERE a = 77"
wait_for 10 grep -q 'pg_insights extension is gone' "$OUT/c1.log"
sleep 1.2 # several polls while it is gone
check "drop: says so clearly, with the CREATE EXTENSION to run" \
	grep -q 'the pg_insights extension is gone from database "postgres".*CREATE EXTENSION pg_insights' "$OUT/c1.log"
check "drop: said once, not once per poll" test "$(grep -c 'ERROR .*pg_insights extension is gone' "$OUT/c1.log")" -eq 1
check "drop: the collector keeps running (retrying)" alive "$C1"
pgi_sql "CREATE EXTENSION pg_insights" >/dev/null
run_sql_n 3 "SELECT a FROM probe_t WHERE a = 77"
wait_snaps r1 3
got=$(pbsum r1 shapes text 'WHERE a = $1' calls "$SYSID_F")
is "drop: resumes after CREATE EXTENSION; 4 (while dropped) + 3 calls shipped" "$got" 7
check "drop: the return logged" bash -c "grep -n 'connected again' '$OUT/c1.log' | tail -1 | cut -d: -f1 | \
	xargs -I{} test {} -gt \$(grep -n 'extension is gone' '$OUT/c1.log' | head -1 | cut -d: -f1)"
check "drop: no negative delta" no_negative r1
stop_pid "$C1"
check "SIGTERM after all that: exit 0" test $? -eq 0
stop_pid "$RECV_PID"

echo "# 4. slow answers: statement_timeout hit"
start_receiver r4
printf 'statement_timeout = 100ms\n' >"$OUT/c4.conf"
start_collector c4.log --config "$OUT/c4.conf" --dashboard-url "http://127.0.0.1:$RECV_PORT" --api-key-file "$OUT/key1" \
	--interval 300ms --spool-dir "$OUT/spool4" --retry-initial 100ms --retry-max 400ms
C4=$COLL_PID
wait_for 10 stored_at_least r4 2
# (a) an ACCESS EXCLUSIVE lock on insights.findings_data for 4 s: the detection's writes block
pgi_psql -d postgres -c "BEGIN; LOCK insights.findings_data IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;" \
	>/dev/null 2>&1 &
LOCKER=$!
sleep 1.5
n_during=$(nstored r4)
sleep 1.5
check "lock on insights.findings_data: the statement timeout fires and is logged" \
	grep -q 'canceling statement due to statement timeout' "$OUT/c4.log"
check "lock: the collector is not stuck: snapshots keep coming during the lock" test "$(nstored r4)" -gt "$n_during"
wait "$LOCKER"
for i in $(seq 1 12); do echo "BEGIN; SELECT a FROM probe_t WHERE a = 42; COMMIT;"; done | pgi_psql -d postgres -o /dev/null
wait_for 15 bash -c "[ \"\$(PGI_DB=postgres; '$PGI_PGBIN/psql' -X -At -h '$PGI_SOCK' -p '$PGI_PORT' -U '$PGI_SUPERUSER' -d postgres \
	-c \"SELECT count(*) FROM insights.findings WHERE kind = 'repeated_query'\")\" -ge 1 ]"
is "lock released: the next polls write findings again (repeated_query)" \
	"$(pgi_sql "SELECT count(*) FROM insights.findings WHERE kind = 'repeated_query' AND query LIKE '%probe_t%'")" 1
check "lock: keeps running" alive "$C4"
# (b) reading a large store with a 1 ms statement_timeout, then SIGHUP to 5 s
for k in $(seq 1 1200); do printf 'SELECT a%s FROM probe_t LIMIT 0;\n' "$(printf ', a+%d' $(seq 1 $((k % 60))))$(printf ', a*%d' $(seq 1 $((k / 60))))"; done |
	pgi_psql -d postgres -o /dev/null
printf 'statement_timeout = 1ms\n' >"$OUT/c4.conf"
kill -HUP "$C4"
wait_for 10 grep -q 'reading insights.*canceling statement due to statement timeout' "$OUT/c4.log"
check "tiny statement_timeout on a large store: the reading is cancelled, logged" \
	grep -q 'ERROR .*reading insights.*canceling statement due to statement timeout' "$OUT/c4.log"
sleep 1
n_stalled=$(nstored r4)
printf 'statement_timeout = 5s\n' >"$OUT/c4.conf"
kill -HUP "$C4"
wait_snaps r4 2
check "timeout raised (SIGHUP): the next polls succeed again" test "$(nstored r4)" -ge $((n_stalled + 2))
check "timeout: logged once while failing (not once per poll)" \
	test "$(grep -c 'ERROR .*reading insights.*statement timeout' "$OUT/c4.log")" -le 2
check "timeout: keeps running, no negative delta, consecutive sequences" bash -c \
	"kill -0 $C4 && ! (for f in $OUT/r4/*.pb; do '$PBDUMP' --flat \$f; done | grep -Eq '\.(calls|rows|reads)=-')"
check "timeout: sequences consecutive" consecutive r4
stop_pid "$C4"
stop_pid "$RECV_PID"

# ======================================================================
# the real dashboard on repository R
use_cluster R
pgi_sql "CREATE DATABASE pgi_repo" >/dev/null
REPO="host=${CL[R.sock]} port=${CL[R.port]} user=$PGI_SUPERUSER dbname=pgi_repo"
repo_sql() { PGI_DB=pgi_repo pgi_sql "$1"; }
use_cluster F
start_dashboard() { # start_dashboard NAME PORT [args]: sets DASH_PID; URL http(s)://127.0.0.1:PORT
	local name=$1 port=$2 scheme=http
	shift 2
	[[ " $* " == *" --tls-cert "* ]] && scheme=https
	local auth=--no-auth	# the page is these tests' own, on loopback, unless a test sets --ui-auth
	[[ " $* " == *" --ui-auth "* ]] && auth=
	"$DASHBOARD" --repo-dsn "${DASH_REPO:-$REPO}" --listen "127.0.0.1:$port" --maintenance-interval 1h $auth "$@" \
		>>"$OUT/$name.log" 2>&1 &
	DASH_PID=$!
	PIDS+=("$DASH_PID")
	for _ in $(seq 1 100); do
		[[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$scheme://127.0.0.1:$port/api/health") != 000 ]] && return 0
		alive "$DASH_PID" || return 1
		sleep 0.1
	done
	return 1
}
# the snapshots of one collector run in the repository: "count distinct min max"
repo_seqs() {
	use_cluster R
	repo_sql "SELECT count(*), count(DISTINCT sequence), min(sequence), max(sequence) FROM pgi.snapshots
		WHERE collector_instance = '$1'" | tr '|' ' '
	use_cluster F
}
instance_of() { sed -n 's/.*snapshot \([0-9]*\)-[^ ]*-\([0-9a-f]\{16\}\)-.*/\2/p' "$1" | head -1; }
first_instance() { # the collector instance id, from the repository (newest snapshot newer than T)
	use_cluster R
	repo_sql "SELECT collector_instance FROM pgi.snapshots WHERE received_at > to_timestamp($1) ORDER BY received_at LIMIT 1"
	use_cluster F
}
all_sent() { (($(ls "$1"/*.pb "$1"/*.pbz 2>/dev/null | wc -l) == 0)); }
exactly_once() { # exactly_once INSTANCE: 1..max each once
	local n d lo hi
	read -r n d lo hi < <(repo_seqs "$1")
	echo "instance $1: $n rows, $d distinct, $lo..$hi" >&2
	[[ -n "$hi" && "$n" == "$d" && "$lo" == 1 && "$n" == "$hi" ]]
}

echo "# 5. dashboard restarted (SIGTERM and kill -9) while the collector ships"
DPORT=$(pgi_free_port)
DURL=http://127.0.0.1:$DPORT
start_dashboard d5 "$DPORT" --api-key-file "$OUT/keys-all" || nok "dashboard start" "$(tail -3 "$OUT/d5.log")"
D5=$DASH_PID
T5=$(date +%s.%N)
start_collector c5.log --dashboard-url "$DURL" --api-key-file "$OUT/key1" --interval 200ms \
	--spool-dir "$OUT/spool5" --retry-initial 100ms --retry-max 300ms
C5=$COLL_PID
sleep 1.2
stop_pid "$D5"
sleep 1.2
start_dashboard d5 "$DPORT" --api-key-file "$OUT/keys-all"
D5=$DASH_PID
sleep 1
stop_pid "$D5" KILL
sleep 1
start_dashboard d5 "$DPORT" --api-key-file "$OUT/keys-all"
D5=$DASH_PID
sleep 1
wait_for 15 all_sent "$OUT/spool5"
stop_pid "$C5"
INST5=$(first_instance "$T5")
check "dashboard restarts: the collector's spool drained" all_sent "$OUT/spool5"
check "dashboard restarts: every snapshot sequence in the repository exactly once, none missing" exactly_once "$INST5"
check "dashboard restarts: the outage was seen and retried (logged)" grep -q 'dashboard accepts snapshots again' "$OUT/c5.log"

echo "# 6. the repository database down for a while"
T6=$(date +%s.%N)
start_collector c6.log --dashboard-url "$DURL" --api-key-file "$OUT/key1" --interval 200ms \
	--spool-dir "$OUT/spool6" --retry-initial 100ms --retry-max 300ms
C6=$COLL_PID
sleep 1
use_cluster R
pgi_cluster_stop fast >/dev/null 2>&1
use_cluster F
sleep 1.5
code=$(curl -s -o "$OUT/r6.body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $KEY2" \
	--data-binary @/dev/null "$DURL/v1/snapshots")
"$MKSNAP" --index 0 --end-us $(($(date +%s) * 1000000)) --id fault-6 -o "$OUT/s6.pb"
code=$(curl -s -o "$OUT/r6.body" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $KEY2" \
	-H 'Content-Type: application/x-protobuf' --data-binary @"$OUT/s6.pb" "$DURL/v1/snapshots")
check "repository down: ingest answered 5xx ($code), so collectors keep the snapshot" test "${code:0:1}" = 5
check "repository down: the collector spools and retries (5xx logged)" grep -Eq 'answered HTTP 50[03]' "$OUT/c6.log"
code=$(curl -s -o "$OUT/r6.page" -w '%{http_code}' --max-time 10 "$DURL/")
is "repository down: the page itself is still served" "$code" 200
code=$(curl -s -o "$OUT/r6.api" -w '%{http_code}' --max-time 10 "$DURL/api/servers")
check "repository down: /api answers an error ($code), JSON" bash -c "[ '${code:0:1}' = 5 ] && grep -q '\"error\"' '$OUT/r6.api'"
check "repository down: the dashboard process is alive" alive "$D5"
use_cluster R
pgi_ctl start >/dev/null 2>&1
use_cluster F
wait_for 20 all_sent "$OUT/spool6"
sleep 0.5
stop_pid "$C6"
INST6=$(first_instance "$T6")
check "repository back: spool drained, every sequence stored exactly once" exactly_once "$INST6"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$DURL/api/servers")
is "repository back: /api serves again" "$code" 200

echo "# 7. disk full for the spool"
SPOOL7=$OUT/spool7
mkdir -p "$SPOOL7"
if mount -t tmpfs -o size=64k,mode=0700 tmpfs "$SPOOL7" 2>"$OUT/mount.log"; then
	MOUNTS+=("$SPOOL7")
	mkdir -p "$SPOOL7/rejected"
	dd if=/dev/zero of="$SPOOL7/filler" bs=4k count=100 2>/dev/null # fills it: ENOSPC from now on
	T7=$(date +%s.%N)
	start_collector c7.log --dashboard-url "$DURL" --api-key-file "$OUT/key1" --interval 200ms \
		--spool-dir "$SPOOL7" --spool-max-bytes 6000 --retry-initial 100ms --retry-max 200ms
	C7=$COLL_PID
	sleep 1.5
	check "full disk: write failures logged once, with the reason" bash -c \
		"[ \$(grep -c 'ERROR spool: .*No space left on device' '$OUT/c7.log') -eq 1 ]"
	INST7=$(first_instance "$T7")
	check "full disk, dashboard up: nothing lost (kept in memory, sent), sequences exactly once" exactly_once "$INST7"
	use_cluster R
	wf=$(repo_sql "SELECT max(spool_write_failures) FROM pgi.snapshots WHERE collector_instance = '$INST7'")
	use_cluster F
	check "full disk: spool_write_failures counted in the snapshots (got $wf)" test "${wf:-0}" -gt 0
	api=$(curl -s --max-time 10 "$DURL/api/servers")
	check "full disk: /api/servers shows the write failures" bash -c \
		"python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if any((s.get(\"collector\") or {}).get(\"spool_write_failures_total\",0)>0 for s in d[\"servers\"]) else 1)' '$api'"
	# the dashboard away too: the in-memory bound (6000 bytes) is reached, the oldest are dropped and counted
	stop_pid "$D5"
	sleep 3
	start_dashboard d5 "$DPORT" --api-key-file "$OUT/keys-all"
	D5=$DASH_PID
	wait_for 15 all_sent "$SPOOL7"
	sleep 0.6
	rm -f "$SPOOL7/filler"
	sleep 1
	stop_pid "$C7"
	check "full disk: collector kept running and exited 0" test $? -eq 0
	check "full disk + dashboard away: drops logged" grep -q 'spool full' "$OUT/c7.log"
	check "disk freed: recovery logged" grep -q 'spool directory takes writes again' "$OUT/c7.log"
	use_cluster R
	read -r n7 max7 dropped7 < <(repo_sql "SELECT count(*), max(sequence), max(snapshots_dropped) FROM pgi.snapshots
		WHERE collector_instance = '$INST7'" | tr '|' ' ')
	use_cluster F
	check "drops counted in the snapshots ($dropped7) and equal to the missing sequences ($((max7 - n7)))" \
		test "${dropped7:-0}" -gt 0 -a "${dropped7:-0}" -eq $((max7 - n7))
	api=$(curl -s --max-time 10 "$DURL/api/servers")
	echo "$api" >"$OUT/api-servers-7.json"
	check "drops visible on the page's data (/api/servers collector.snapshots_dropped_total >= $dropped7)" bash -c \
		"python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if any((s.get(\"collector\") or {}).get(\"snapshots_dropped_total\",0)>=int(sys.argv[2]) for s in d[\"servers\"]) else 1)' '$api' '$dropped7'"
	check "the page renders the drop counter" grep -q 'collector-health' "$ROOT/dashboard/web/index.html"
	umount "$SPOOL7" && MOUNTS=()
else
	nok "disk full: cannot mount a tmpfs here ($(head -1 "$OUT/mount.log"))"
fi

echo "# 8. security: TLS with a self-signed CA"
TLS=$OUT/tls
mkdir -p "$TLS"
(
	cd "$TLS" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=pgi test CA' \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1'
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
	openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj '/CN=some other CA' \
		-addext basicConstraints=critical,CA:TRUE
) >"$OUT/openssl.log" 2>&1 || nok "openssl: test CA and server certificate" "$(tail -3 "$OUT/openssl.log")"
TPORT=$(pgi_free_port)
TURL=https://127.0.0.1:$TPORT
if start_dashboard d8 "$TPORT" --api-key-file "$OUT/keys-all" --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key"; then
	D8=$DASH_PID
	code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.pem" "$TURL/api/health")
	is "TLS: the dashboard serves HTTPS with the CA's certificate" "$code" 200
	tls_run() { # tls_run LOG args: one --once run; prints its exit status
		"$COLLECTOR" --dbname "$DSN" --once --dashboard-url "$TURL" --api-key-file "$OUT/key2" \
			--spool-dir "$OUT/spool8-$1" "${@:2}" >"$OUT/$1.log" 2>&1
		echo $?
	}
	is "TLS: --ca-file with the test CA: verified and shipped (exit 0)" "$(tls_run c8-ca --ca-file "$TLS/ca.pem")" 0
	is "TLS: the wrong CA: refused (exit 1)" "$(tls_run c8-wrong --ca-file "$TLS/other-ca.pem")" 1
	check "TLS: ... and the log says why (certificate verification)" grep -Eiq 'certificate|issuer' "$OUT/c8-wrong.log"
	is "TLS: no CA option, system trust store only: refused (exit 1)" "$(tls_run c8-system)" 1
	is "TLS: --insecure ships (exit 0)" "$(tls_run c8-insecure --insecure)" 0
	check "TLS: --insecure logs a loud warning" grep -q 'WARNING --insecure: .*NOT verified' "$OUT/c8-insecure.log"
	check "TLS: the refused snapshots are still in the spool (kept for a later run)" bash -c \
		"ls '$OUT/spool8-c8-wrong'/*.pb* >/dev/null 2>&1"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TPORT/api/health")
	check "TLS: plain HTTP to the TLS port is not served ($code)" test "$code" != 200
	stop_pid "$D8"
else
	nok "dashboard with --tls-cert/--tls-key starts" "$(tail -3 "$OUT/d8.log")"
fi

echo "# 8b. several API keys, revocation"
post_key() { # post_key KEY ID: HTTP status of a fresh snapshot
	"$MKSNAP" --index 1 --end-us $(($(date +%s) * 1000000)) --id "$2" -o "$OUT/$2.pb"
	curl -s -o "$OUT/$2.resp" -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/x-protobuf' --data-binary @"$OUT/$2.pb" "$DURL/v1/snapshots"
}
is "key 1 of 3 accepted" "$(post_key "$KEY1" keys-1)" 200
is "key 2 of 3 accepted" "$(post_key "$KEY2" keys-2)" 200
is "key 3 of 3 accepted" "$(post_key "$KEY3" keys-3)" 200
is "an unknown key refused" "$(post_key "${KEY2}x" keys-x)" 401
is "a prefix of a key refused" "$(post_key "${KEY2:0:10}" keys-p)" 401
stop_pid "$D5"
start_dashboard d5 "$DPORT" --api-key-file "$OUT/keys-revoked"
D5=$DASH_PID
is "revoked key (removed from the file, dashboard restarted) -> 401" "$(post_key "$KEY2" keys-2b)" 401
is "the other keys still work (key 1)" "$(post_key "$KEY1" keys-1b)" 200
is "the other keys still work (key 3)" "$(post_key "$KEY3" keys-3b)" 200
# keys changed without a restart: SIGHUP reloads the file; a bad file keeps the keys in use
count_above() { (($(grep -c -- "$2" "$1") > $3)); } # count_above FILE PATTERN N
hup_keys() { # hup_keys FILE PATTERN: install FILE as the key file, SIGHUP, wait for one more PATTERN in the log
	local before
	before=$(grep -c -- "$2" "$OUT/d5.log")
	cp "$1" "$OUT/keys-revoked"
	kill -HUP "$D5"
	wait_for 10 count_above "$OUT/d5.log" "$2" "$before"
}
KEY2_DIGEST="sha256:$(printf '%s' "$KEY2" | sha256sum | cut -d' ' -f1)"
is "--hash-key prints the key's sha256 line (as sha256sum computes it)" \
	"$(printf '%s\n' "$KEY2" | "$DASHBOARD" --hash-key)" "$KEY2_DIGEST"
printf '# collector eu (hashed)\n%s *\n%s *\n' "$KEY2_DIGEST" "$KEY3" >"$OUT/keys-hup1"
printf 'sha256:zz\n' >"$OUT/keys-hup2"
printf '%s *\n%s *\n' "$KEY1" "$KEY3" >"$OUT/keys-hup3"
check "SIGHUP with a new key file (key 2 as sha256:HEX, key 3): reloaded" hup_keys "$OUT/keys-hup1" 'api-key-file reloaded'
check "... the log counts 1 added, 1 revoked" grep -q 'reloaded: 2 key(s), 1 added, 1 revoked' "$OUT/d5.log"
is "SIGHUP: key 1 revoked without a restart -> 401" "$(post_key "$KEY1" keys-1h)" 401
is "SIGHUP: key 2, given as sha256:HEX in the file, accepted" "$(post_key "$KEY2" keys-2h)" 200
is "SIGHUP: key 3 kept" "$(post_key "$KEY3" keys-3h)" 200
check "SIGHUP with a broken key file: refused, logged" hup_keys "$OUT/keys-hup2" 'not reloaded'
check "... the log says which line is wrong and how to make one" grep -q 'line 1 starts with "sha256:" but is not 64 hex digits.*--hash-key' "$OUT/d5.log"
is "... the keys in use stay (key 2 accepted)" "$(post_key "$KEY2" keys-2i)" 200
check "... and the dashboard is alive" alive "$D5"
check "SIGHUP back to keys 1 and 3: reloaded" hup_keys "$OUT/keys-hup3" 'api-key-file reloaded'
is "... key 2 refused again" "$(post_key "$KEY2" keys-2j)" 401
"$COLLECTOR" --dbname "$DSN" --once --dashboard-url "$DURL" --api-key-file "$OUT/key2" --spool-dir "$OUT/spool8r" \
	>"$OUT/c8-revoked.log" 2>&1
check "a collector with the revoked key: exit 1, HTTP 401 logged" grep -q 'HTTP 401' "$OUT/c8-revoked.log"

echo "# 8c. UI auth"
UPORT=$(pgi_free_port)
if start_dashboard d8u "$UPORT" --api-key-file "$OUT/keys-all" --ui-auth "token:$UI_TOKEN"; then
	U=http://127.0.0.1:$UPORT
	is "token: / without a session -> 303 to the login form" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$U/")" "303 $U/login"
	is "token: the login form is served to anyone" "$(curl -s -o /dev/null -w '%{http_code}' "$U/login")" 200
	is "token: ?token= in the URL opens nothing (no token in URLs)" \
		"$(curl -s -D - -o /dev/null "$U/api/servers?token=$UI_TOKEN" | grep -ci '^set-cookie'; curl -s -o /dev/null -w '%{http_code}' "$U/api/servers?token=$UI_TOKEN")" "0
401"
	is "token: a wrong token in the form -> back to the form, no cookie" \
		"$(curl -s -D - -o /dev/null --data-urlencode "token=${UI_TOKEN}x" "$U/login" | tr -d '\r' | grep -iE '^(location|set-cookie):' | tr '\n' ' ')" "Location: login#failed "
	curl -s -D "$OUT/login.headers" -o /dev/null --data-urlencode "token=$UI_TOKEN" "$U/login"
	SESSION=$(tr -d '\r' <"$OUT/login.headers" | sed -n 's/^Set-Cookie: pgi_session=\([0-9a-f]*\);.*/\1/ip')
	check "token: the right token -> a session cookie, HttpOnly, SameSite=Strict, that is not the token" bash -c \
		"grep -qi '^Set-Cookie: pgi_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' '$OUT/login.headers' && ! grep -q -- '$UI_TOKEN' '$OUT/login.headers'"
	is "token: the session opens the API" "$(curl -s -o /dev/null -w '%{http_code}' -b "pgi_session=$SESSION" "$U/api/servers")" 200
	is "token: a made-up session -> 401" "$(curl -s -o /dev/null -w '%{http_code}' -b "pgi_session=$(printf '%064d' 7)" "$U/api/servers")" 401
	curl -s -o /dev/null -b "pgi_session=$SESSION" -X POST "$U/logout"
	is "token: after POST /logout the session is gone on the server" "$(curl -s -o /dev/null -w '%{http_code}' -b "pgi_session=$SESSION" "$U/api/servers")" 401
	check "token: the log holds neither the token nor a session" bash -c "! grep -q -e '$UI_TOKEN' -e '$SESSION' '$OUT/d8u.log'"
	is "token: /api/servers without the token -> 401" "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/servers")" 401
	is "token: wrong token -> 401" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${UI_TOKEN}x" "$U/api/servers")" 401
	is "token: / with the token -> 200" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $UI_TOKEN" "$U/")" 200
	is "token: /api/servers with the token -> 200" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $UI_TOKEN" "$U/api/servers")" 200
	is "token: an ingest key is not a UI token" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY1" "$U/api/servers")" 401
	is "token: ingest still needs only its API key" "$(DURL=$U post_key "$KEY1" ui-ingest)" 200
	stop_pid "$DASH_PID"
else
	nok "dashboard with --ui-auth token starts"
fi
if start_dashboard d8b "$UPORT" --api-key-file "$OUT/keys-all" --ui-auth "basic:admin:$UI_PASS"; then
	U=http://127.0.0.1:$UPORT
	is "basic: /api/servers without credentials -> 401" "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/servers")" 401
	is "basic: wrong password -> 401" "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:${UI_PASS}x" "$U/api/servers")" 401
	is "basic: / with user:password -> 200" "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$UI_PASS" "$U/")" 200
	is "basic: /api/servers with user:password -> 200" "$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$UI_PASS" "$U/api/servers")" 200
	stop_pid "$DASH_PID"
else
	nok "dashboard with --ui-auth basic starts"
fi

echo "# 8d. request limits: a flood of idle connections, slow clients"
LPORT=$(pgi_free_port)
if start_dashboard d8l "$LPORT" --api-key-file "$OUT/keys-all" --timeout 3s; then
	DL=$DASH_PID
	# 500 idle connections, reopened as the server closes them, for 15 s; meanwhile, without retries:
	python3 "$HELPER" flood 127.0.0.1 "$LPORT" 500 15 >"$OUT/flood.log" 2>&1 &
	FLOOD=$!
	PIDS+=("$FLOOD")
	wait_for 10 grep -q '^opened' "$OUT/flood.log"
	sleep 1
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$LPORT/api/health")
	is "flood of $(sed -n 's/^opened \([0-9]*\).*/\1/p' "$OUT/flood.log") idle connections: a normal request is served (one try, 10 s timeout)" "$code" 200
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$LPORT/")
	is "flood: the page is served" "$code" 200
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		-H "Authorization: Bearer $KEY1" -H 'Content-Type: application/x-protobuf' --data-binary @"$OUT/keys-1.pb" \
		"http://127.0.0.1:$LPORT/v1/snapshots")
	is "flood: ingest answered" "$code" 200
	check "flood: ... all while the flood was still on" alive "$FLOOD"
	wait "$FLOOD"
	check "flood: idle connections closed by the server's --timeout (3 s) and reopened" grep -q 'closed_by_server [1-9]' "$OUT/flood.log"
	NETLOAD_KEY=$KEY1 python3 "$HELPER" slow 127.0.0.1 "$LPORT" 20 >"$OUT/slow.log" 2>&1
	check "slow client: headers never finished -> disconnected after the --timeout (3 s)" \
		grep -Eq '^slow headers closed after ([3-9]|1[0-9])' "$OUT/slow.log"
	check "slow client: a body sent one byte per 4 s (slower than the --timeout) is cut too" grep -Eq '^slow body closed after ([3-9]|1[0-9])' "$OUT/slow.log"
	stop_pid "$DL"
else
	nok "dashboard for the limits starts"
fi
# clients that never go idle: only a total deadline per request stops them
if start_dashboard d8t "$LPORT" --api-key-file "$OUT/keys-all" --timeout 3s --request-timeout 5s; then
	DL=$DASH_PID
	NETLOAD_KEY=$KEY1 python3 "$HELPER" trickle 127.0.0.1 "$LPORT" 20 >"$OUT/trickle.log" 2>&1
	check "trickling headers (a byte a second, never idle 3 s): cut by --request-timeout (5 s), not before" \
		grep -Eq '^trickle headers closed after (4\.[5-9]|[5-9]\.|1[0-9]\.)' "$OUT/trickle.log"
	check "a body trickled a byte a second: cut too" grep -Eq '^trickle body closed after (4\.[5-9]|[5-9]\.|1[0-9]\.)' "$OUT/trickle.log"
	check "a keep-alive client asking once a second for 20 s: every request answered (the deadline restarts per answer)" \
		grep -Eq '^keepalive answered (19|2[0-9]) of \1$' "$OUT/trickle.log"
	check "the cut connections are logged" grep -q 'did not finish a request within --request-timeout (5 s)' "$OUT/d8t.log"
	check "after flood and slow clients: still serving" test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$LPORT/api/health")" = 200
	check "after flood and slow clients: alive" alive "$DL"
	stop_pid "$DL"
else
	nok "dashboard for the limits starts"
fi

echo "# 8e. no secret in the logs"
secrets_absent() {
	local s f
	for s in "$KEY1" "$KEY2" "$KEY3" "$UI_TOKEN" "$UI_PASS"; do
		for f in "$OUT"/*.log "$OUT"/*.stderr; do
			[[ -f "$f" ]] || continue
			[[ "$f" == "$OUT/checks.log" ]] && continue
			if grep -qF -- "$s" "$f"; then
				echo "secret ${s:0:3}... found in $f" >&2
				return 1
			fi
		done
	done
}
check "no API key, UI token or password in any collector or dashboard log ($(ls "$OUT"/*.log | wc -l) logs)" secrets_absent
check "the logs are not empty (the check looked at real output)" test "$(cat "$OUT"/c*.log "$OUT"/d*.log | wc -l)" -gt 100

echo "# 9. least-privilege roles"
use_cluster F
pgi_sql "CREATE ROLE pgi_collector LOGIN; GRANT pg_read_all_stats TO pgi_collector;
	GRANT SELECT, INSERT, UPDATE ON insights.findings_data TO pgi_collector;
	GRANT USAGE ON SEQUENCE insights.findings_data_id_seq TO pgi_collector" >/dev/null
pgi_sql "DELETE FROM insights.findings_data" >/dev/null
for i in $(seq 1 12); do echo "BEGIN; SELECT a FROM probe_t WHERE a = 43; COMMIT;"; done | pgi_psql -d postgres -o /dev/null
DSN_LP="host=${CL[F.sock]} port=${CL[F.port]} user=pgi_collector dbname=postgres"
"$COLLECTOR" --dbname "$DSN_LP" --once --output "$OUT/lp.json" --format json >"$OUT/c9.log" 2>&1
is "collector as a role with only pg_read_all_stats + SELECT/INSERT/UPDATE on findings_data: runs (exit 0)" "$?" 0
is "... and writes findings" "$(pgi_sql "SELECT count(*) FROM insights.findings WHERE kind = 'repeated_query'")" 1
check "... and sees the other roles' statement texts" grep -q 'probe_t' "$OUT/lp.json"
pgi_sql "CREATE ROLE pgi_nostats LOGIN" >/dev/null
"$COLLECTOR" --dbname "host=${CL[F.sock]} port=${CL[F.port]} user=pgi_nostats dbname=postgres" --once --output - \
	--format json --no-detect >"$OUT/lp2.json" 2>"$OUT/c9b.log"
check "a role without pg_read_all_stats does not see other roles' statement texts" bash -c \
	"grep -q 'insufficient privilege' '$OUT/lp2.json' && ! grep -q '\"text\": \"SELECT a FROM probe_t' '$OUT/lp2.json'"
use_cluster R
pgi_sql "CREATE ROLE pgi_dash LOGIN" >/dev/null
pgi_sql "CREATE DATABASE pgi_repo2" >/dev/null
pgi_sql "REVOKE ALL ON DATABASE pgi_repo2 FROM PUBLIC; GRANT CONNECT ON DATABASE pgi_repo2 TO pgi_dash" >/dev/null
PGI_DB=pgi_repo2 pgi_sql "CREATE SCHEMA pgi AUTHORIZATION pgi_dash; REVOKE ALL ON SCHEMA public FROM PUBLIC" >/dev/null
use_cluster F
RPORT=$(pgi_free_port)
if DASH_REPO="host=${CL[R.sock]} port=${CL[R.port]} user=pgi_dash dbname=pgi_repo2" start_dashboard d9 "$RPORT" \
	--api-key-file "$OUT/keys-all"; then
	ok "dashboard runs as a role that owns only schema pgi (no CREATE on the database)"
	is "... ingest works" "$(DURL=http://127.0.0.1:$RPORT post_key "$KEY1" role-ingest)" 200
	is "... the API works" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RPORT/api/servers")" 200
	use_cluster R
	owned=$(PGI_DB=pgi_repo2 pgi_sql "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE pg_get_userbyid(c.relowner) = 'pgi_dash' AND n.nspname NOT IN ('pgi', 'pg_toast')) +
		(SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE pg_get_userbyid(p.proowner) = 'pgi_dash' AND n.nspname <> 'pgi')")
	is "... owns nothing outside schema pgi" "$owned" 0
	is "... has no CREATE on the database" "$(PGI_DB=pgi_repo2 pgi_sql "SELECT has_database_privilege('pgi_dash', 'pgi_repo2', 'CREATE')")" f
	use_cluster F
	stop_pid "$DASH_PID"
else
	nok "dashboard as a schema-only role starts" "$(tail -3 "$OUT/d9.log")"
fi

use_cluster F
check "monitored server log shows no crash" pgi_cluster_log_check "${CL[F.log]}"
check "first monitored server log shows no crash" pgi_cluster_log_check "${CL[M.log]}"
check "dashboards: no crash (no 'Segmentation' / 'Aborted' / sanitizer report)" bash -c \
	"! grep -Eiq 'segmentation|aborted|AddressSanitizer|core dumped' '$OUT'/d*.log"
