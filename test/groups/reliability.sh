#!/usr/bin/env bash
# reliability group: the server under stress (issue 7, extension side).
#   churn      pgbench, 16 clients, >= 10x max_shapes distinct shapes plus a hot set, for a
#              bounded time: hot set exact, evictions counted, store bounded, shared memory
#              unchanged; pg_stat_activity sampled every 100 ms for backends waiting on our
#              LWLock (the longest wait is printed; > 5 s continuously fails as a stall)
#   crash      kill -9 of a busy backend, repeated: crash recovery reinitializes our shared memory,
#              no lock stays held, the server answers, no PANIC/TRAP; the stats file of the last
#              clean shutdown is never replayed after a crash
#   immediate  pg_ctl stop -m immediate under load, then start: store consistent
#   diskfull   the stats file cannot be written at shutdown (/dev/full; and a full tmpfs when a
#              private mount namespace is allowed): logged, shutdown and next start normal
#   statfile   stats files whose header claims another minor version (loaded), another major
#              version, format or layout checksum (rejected; valid checksum), more shapes than it
#              holds or any setting allows, a file over 1 GB: logged, counted, the server starts;
#              max_shapes lowered keeps the most called shapes, max_query_length lowered clips
#              multibyte text at a character boundary with the marker, a text of exactly
#              max_query_length bytes is kept whole (truncated, flipped, garbage, empty files:
#              test/regress/persistence.sh)
#   extension  DROP EXTENSION leaves the server healthy and counting; CREATE again shows it;
#              ALTER EXTENSION UPDATE through every sql/pg_insights--A--B.sql step
#   limits     insights.queries / insights.attribution with max_query_length at its maximum
#              (20000 shapes) and with max_shapes and max_tagsets at their maximum: they answer,
#              copying in bounded batches (the DEBUG1 line is checked)
#   asan       the extension built with -fsanitize=address,undefined, loaded into a real server
#              (a private mount namespace shows the instrumented .so at the installed path, for
#              that server only), regress suite + demo + churn + clean restart: no report
#
#   LONG=1                 longer soaks for the README figures (churn 300 s, 200 crash loops...)
#   PGI_REL_CASES="..."    run only these cases
#   PGI_REL_CHURN_SECS, PGI_REL_CRASH_LOOPS, PGI_REL_IMMEDIATE_LOOPS   override the sizes
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$PGI_ROOT/test/lib/cluster.sh"
source "$PGI_ROOT/test/reliability/lib.sh"
group=reliability
t0=$SECONDS
out=${PGI_OUT:-$(mktemp -d)}/reliability
rm -rf "$out"
mkdir -p "$out"
chmod 755 "$out"
PGBENCH=$PGI_PGBIN/pgbench
LONG=${LONG:-0}
if ((LONG)); then
	CHURN_SECS=${PGI_REL_CHURN_SECS:-300}
	CRASH_LOOPS=${PGI_REL_CRASH_LOOPS:-200}
	IMMEDIATE_LOOPS=${PGI_REL_IMMEDIATE_LOOPS:-20}
else
	CHURN_SECS=${PGI_REL_CHURN_SECS:-60}
	CRASH_LOOPS=${PGI_REL_CRASH_LOOPS:-50}
	IMMEDIATE_LOOPS=${PGI_REL_IMMEDIATE_LOOPS:-3}
fi
CASES=${PGI_REL_CASES:-churn crash immediate diskfull statfile extension limits asan}
STALL_MS=5000			# a statement waiting on our lock this long is a stall
MAX_SHAPES=100
NTABLES=1200			# distinct shapes of the churn workload: 12 x max_shapes
BASE=("shared_preload_libraries = 'pg_insights'" "pg_insights.track = all" "compute_query_id = on")
want() { [[ " $CASES " == *" $1 "* ]]; }
figures=()
figure() { figures+=("$1"); echo "  figure: $1"; }

# log check of the current cluster; ALLOW=--allow-kill when we sent SIGKILL ourselves
log_ok() {	# log_ok LABEL [--allow-kill] [FROM_LINE]
	local label=$1 allow=${2:-} from=${3:-0} lines
	cp "$PGI_LOG" "$out/$label.server.log"
	lines=$(rel_log_since "$from" | rel_crash_lines $allow)
	if [[ -z "$lines" ]]; then
		pgi_pass "$label: no PANIC/TRAP/unexpected crash in the server log"
	else
		pgi_fail "$label: no PANIC/TRAP/unexpected crash in the server log" "$(head -5 <<<"$lines" | tr '\n' ' ')"
	fi
}

marker() {	# marker N [TAG]: N executions of the marker SELECT
	local i
	for ((i = 0; i < $1; i++)); do echo "SELECT id FROM pgi_marker WHERE id = $i;"; done |
		pgi_psql -v ON_ERROR_STOP=1 -d postgres >/dev/null
}
marker_calls() { rel_q 30 "SELECT coalesce(sum(calls), 0) FROM insights.queries WHERE query LIKE 'SELECT id FROM pgi_marker WHERE%'"; }
stat_file() { echo "$PGI_DATA/pg_stat/pg_insights.stat"; }

# ---------------------------------------------------------------------------------------------
# 1. churn soak
if want churn; then
	t=$SECONDS
	echo "-- churn soak: 16 clients, ${CHURN_SECS}s, $NTABLES shapes over max_shapes = $MAX_SHAPES"
	if pgi_cluster_start "${BASE[@]}" "pg_insights.max_shapes = $MAX_SHAPES" "max_connections = 30"; then
		rel_setup_workload $NTABLES
		read -r -a args < <(rel_write_scripts "$out/churn-scripts" $NTABLES)
		shm_before=$(rel_q 30 "SELECT (SELECT shmem_bytes FROM insights.info) || ' ' ||
			(SELECT coalesce(sum(allocated_size), 0) FROM pg_shmem_allocations WHERE name LIKE 'pg_insights%')")
		anon_before=$(rel_q 30 "SELECT coalesce(sum(allocated_size), 0) FROM pg_shmem_allocations WHERE name = '<anonymous>'")
		ev_before=$(rel_q 30 "SELECT evictions FROM insights.info")
		rel_sampler_start "$out/churn.samples"
		"$PGBENCH" -n -c 16 -j 1 -T "$CHURN_SECS" "${args[@]}" postgres >"$out/churn.pgbench.log" 2>&1
		prc=$?
		rel_sampler_stop
		if ((prc == 0)); then pgi_pass "churn: pgbench ran"; else pgi_fail "churn: pgbench ran" "exit $prc, see $out/churn.pgbench.log"; fi
		rel_hot_check "churn" "$out/churn.pgbench.log"
		read -r shapes maxs ev < <(rel_q 30 "SELECT shapes, max_shapes, evictions FROM insights.info" | tr '|' ' ')
		distinct=$(rel_q 30 "SELECT count(DISTINCT relname) FROM pg_stat_user_tables WHERE relname LIKE 'churn\_%' AND seq_scan > 0")
		pgi_expect_eq "churn: >= 10 x max_shapes distinct shapes executed" "$((distinct >= 10 * maxs))" 1
		pgi_expect_eq "churn: evictions counted (> 0)" "$((ev - ev_before > 0))" 1
		pgi_expect_eq "churn: shapes <= max_shapes ($shapes <= $maxs)" "$((shapes <= maxs))" 1
		pgi_expect_eq "churn: info.shapes == rows of insights.queries" \
			"$(rel_q 30 "SELECT (SELECT shapes FROM insights.info) = (SELECT count(*) FROM insights.queries)")" t
		shm_after=$(rel_q 30 "SELECT (SELECT shmem_bytes FROM insights.info) || ' ' ||
			(SELECT coalesce(sum(allocated_size), 0) FROM pg_shmem_allocations WHERE name LIKE 'pg_insights%')")
		anon_after=$(rel_q 30 "SELECT coalesce(sum(allocated_size), 0) FROM pg_shmem_allocations WHERE name = '<anonymous>'")
		pgi_expect_eq "churn: shared memory unchanged (info.shmem_bytes, pg_shmem_allocations 'pg_insights%')" "$shm_after" "$shm_before"
		read -r samples with obs longest created absent < <(rel_sampler_report "$out/churn.samples")
		tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$out/churn.pgbench.log" | head -1)
		txs=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out/churn.pgbench.log")
		figure "churn ${CHURN_SECS}s: $txs transactions ($tps tps), $((ev - ev_before)) evictions, shapes $shapes/$maxs"
		figure "churn lock waits: $samples samples of pg_stat_activity, $with with a backend waiting on LWLock pg_insights ($obs observations), longest continuous wait seen ${longest} ms (sampling period 100 ms)"
		figure "churn hot entry: the hot UPDATE's entry was (re)created $created times during the run (1 = never evicted), absent in $absent of $samples samples"
		figure "churn shared memory: pg_insights $shm_after bytes (info.shmem_bytes, allocations) before and after; core <anonymous> $anon_before -> $anon_after"
		if ((samples >= CHURN_SECS * 3)); then pgi_pass "churn: pg_stat_activity sampled ($samples samples)"; else pgi_fail "churn: pg_stat_activity sampled" "only $samples samples, see $out/churn.samples.err"; fi
		if ((longest <= STALL_MS)); then
			pgi_pass "churn: no backend waited on our lock longer than ${STALL_MS} ms (longest seen ${longest} ms)"
		else
			pgi_fail "churn: no backend waited on our lock longer than ${STALL_MS} ms" "a statement waited ${longest} ms, see $out/churn.samples"
		fi
		log_ok churn
		pgi_cluster_destroy
	else
		pgi_fail "churn: cluster start"
	fi
	echo "  (churn: $((SECONDS - t))s)"
fi

# ---------------------------------------------------------------------------------------------
# 2. kill -9 of busy backends, 3. immediate shutdown
if want crash || want immediate; then
	t=$SECONDS
	if pgi_cluster_start "${BASE[@]}" "pg_insights.max_shapes = $MAX_SHAPES" "max_connections = 30" \
		"restart_after_crash = on"; then
		rel_setup_workload 600
		read -r -a args < <(rel_write_scripts "$out/crash-scripts" 600)
		pgi_sql "CREATE TABLE pgi_marker (id int)" >/dev/null
		# a clean shutdown saves 7 marker calls; the file is loaded and removed at start
		pgi_sql "SELECT insights.reset()" >/dev/null
		marker 7
		pgi_cluster_restart fast
		pgi_expect_eq "crash: clean restart restores the saved calls" "$(marker_calls)" 7
		if [[ -e "$(stat_file)" ]]; then pgi_fail "crash: stats file removed once loaded" "$(stat_file) still there"; else pgi_pass "crash: stats file removed once loaded"; fi
		marker 3	# 10 executed, 7 saved
		executed=10
	else
		pgi_fail "crash: cluster start"
	fi
fi

# busy BG workload: pgbench in the background until killed by the crash or time
bg_start() {	# bg_start LABEL CLIENTS SECS
	"$PGBENCH" -n -c "$2" -j 1 -T "$3" "${args[@]}" postgres >"$out/$1.pgbench.log" 2>&1 &
	BG_PID=$!
}
bg_wait() {	# wait for the background pgbench (it exits when its connections die)
	local i
	for i in $(seq 1 300); do
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BG_PID" 2>/dev/null; then
		kill "$BG_PID" 2>/dev/null
		sleep 0.5
		kill -9 "$BG_PID" 2>/dev/null
	fi
	wait "$BG_PID" 2>/dev/null
	BG_PID=
}
# after a crash or restart: answers, our views work, a shared and an exclusive use of our
# lock complete (no lock left held), the store is bounded and consistent
after_checks() {	# after_checks LABEL
	local l=$1 r
	if rel_wait_ready 60; then pgi_pass "$l: server accepts queries"; else pgi_fail "$l: server accepts queries" "not ready after 60s"; return 1; fi
	r=$(rel_q 20 "SELECT count(*) >= 0 FROM insights.queries" 2>&1)
	pgi_expect_eq "$l: insights.queries answers within 20s" "$r" t
	r=$(rel_q 20 "SELECT count(*) FROM churn_$((RANDOM % 600 + 1)); SELECT 'new shape ' || md5(random()::text) AS x; SELECT insights.reset(); SELECT 'ok'" 2>&1 | tail -1)
	pgi_expect_eq "$l: new shapes and insights.reset() (exclusive lock) complete within 20s" "$r" ok
	r=$(rel_q 20 "SELECT shapes <= max_shapes AND tagsets <= max_tagsets FROM insights.info" 2>&1)
	pgi_expect_eq "$l: store bounded" "$r" t
}

if want crash && [[ -n "${PGI_DATA:-}" ]]; then
	echo "-- crash: $CRASH_LOOPS x kill -9 of a busy backend"
	pm_pid=$(head -1 "$PGI_DATA/postmaster.pid")
	survived=0 hit_waiter=0 quiet_fail=0 rec_max=0 t_loops=$SECONDS
	ok_ready=1 ok_views=1 ok_lock=1 ok_bounded=1 ok_file=1
	first_after=
	lt() { printf ' %s=%s' "$1" "$(awk -v a="$l0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')" >>"$out/crash-loops.log"; }
	for ((loop = 1; loop <= CRASH_LOOPS; loop++)); do
		l0=$EPOCHREALTIME
		printf '\nloop %d:' $loop >>"$out/crash-loops.log"
		bg_start crash 8 30
		# wait until pgbench's backends are busy
		victim=
		for _ in $(seq 1 50); do
			sleep 0.1
			n=$(rel_q 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'" 2>/dev/null)
			((${n:-0} >= 8)) && break
		done
		lt busy
		sleep "0.$((RANDOM % 9 + 1))"
		# a random busy client backend; preferably one waiting for our lock (about to update
		# our entries); never the postmaster
		for _ in $(seq 1 20); do
			victim=$(rel_q 10 "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'
				AND backend_type = 'client backend' AND state = 'active' AND pid <> $pm_pid
				ORDER BY (wait_event = 'pg_insights') IS TRUE DESC, random() LIMIT 1" 2>/dev/null)
			[[ -n "$victim" ]] && break
			sleep 0.02
		done
		if [[ -z "$victim" || "$victim" == "$pm_pid" ]]; then
			quiet_fail=$((quiet_fail + 1))
			bg_wait
			continue
		fi
		was_waiting=$(rel_q 10 "SELECT count(*) FROM pg_stat_activity WHERE pid = $victim AND wait_event = 'pg_insights'" 2>/dev/null)
		kill -9 "$victim" 2>/dev/null || { quiet_fail=$((quiet_fail + 1)); bg_wait; continue; }
		t_kill=$EPOCHREALTIME
		lt "kill($victim)"
		[[ "$was_waiting" == 1 ]] && hit_waiter=$((hit_waiter + 1))
		bg_wait
		lt pgbench_exit
		if ! rel_wait_ready 60; then ok_ready=0; echo "  loop $loop: server not ready after 60s"; break; fi
		lt ready
		rec_ms=$(awk -v a="$t_kill" -v b="$EPOCHREALTIME" 'BEGIN {printf "%d", (b - a) * 1000}')
		((rec_ms > rec_max)) && rec_max=$rec_ms
		[[ -z "$first_after" ]] && first_after=$(marker_calls)
		[[ -e "$(stat_file)" ]] && ok_file=0
		[[ "$(rel_q 20 "SELECT count(*) >= 0 FROM insights.queries" 2>/dev/null)" == t ]] || { ok_views=0; echo "  loop $loop: insights.queries failed"; }
		[[ "$(rel_q 20 "SELECT count(*) FROM churn_$((RANDOM % 600 + 1)); SELECT 'shape ' || md5(random()::text) AS x; SELECT insights.reset(); SELECT 'ok'" 2>/dev/null | tail -1)" == ok ]] ||
			{ ok_lock=0; echo "  loop $loop: a new shape or insights.reset() did not complete within 20s"; }
		[[ "$(rel_q 20 "SELECT shapes <= max_shapes AND tagsets <= max_tagsets FROM insights.info" 2>/dev/null)" == t ]] || ok_bounded=0
		lt checked
		survived=$((survived + 1))
	done
	reinit=$(grep -c 'all server processes terminated; reinitializing' "$PGI_LOG")
	figure "crash: $survived of $CRASH_LOOPS kill -9 loops survived ($reinit crash-recovery reinitializations, $hit_waiter victims were waiting on our lock, $quiet_fail loops found no busy backend; $((SECONDS - t_loops))s in all, longest kill-to-ready $rec_max ms)"
	pgi_expect_eq "crash: every kill -9 survived" "$survived" "$CRASH_LOOPS"
	pgi_expect_eq "crash: postmaster did a crash-recovery reinitialization per kill" "$reinit" "$survived"
	pgi_expect_eq "crash: postmaster kept running (same pid)" "$(head -1 "$PGI_DATA/postmaster.pid")" "$pm_pid"
	pgi_expect_eq "crash: server ready after each crash" "$ok_ready" 1
	pgi_expect_eq "crash: insights.queries answered after each crash" "$ok_views" 1
	pgi_expect_eq "crash: no lock left held (new shape + insights.reset() within 20s) after each crash" "$ok_lock" 1
	pgi_expect_eq "crash: store bounded after each crash" "$ok_bounded" 1
	pgi_expect_eq "crash: no stats file appears after a crash" "$ok_file" 1
	# the file of the last clean shutdown (7 calls) is not replayed: 0 (it was removed when
	# loaded) or at most what a clean shutdown left; never more than executed (10)
	case "$first_after" in
	0 | 7) pgi_pass "crash: after the first crash the marker has 0 or 7 calls, not replayed blindly ($first_after)" ;;
	*) pgi_fail "crash: after the first crash the marker has 0 or 7 calls" "got '$first_after' (executed $executed)" ;;
	esac
	# exact counting after all those crashes (bounded run of the hot set alone, no kill: the
	# churn case covers counting under eviction)
	pgi_sql "SELECT insights.reset(); UPDATE pgi_hot SET n = 0; UPDATE pgi_hot2 SET n = 0; SELECT insights.reset()" >/dev/null
	"$PGBENCH" -n -c 8 -j 1 -t 300 -f "$out/crash-scripts/hot.pgbench" postgres >"$out/crash-after.pgbench.log" 2>&1
	rel_hot_check "crash: after $survived crashes" "$out/crash-after.pgbench.log"
	# a clean shutdown after the crashes saves and restores again
	marker 4
	c=$(marker_calls)
	pgi_cluster_restart fast
	pgi_expect_eq "crash: clean restart after the crashes restores the store" "$(marker_calls)" "$c"
	log_ok crash --allow-kill
	echo "  (crash: $((SECONDS - t))s)"
fi

if want immediate && [[ -n "${PGI_DATA:-}" ]]; then
	t=$SECONDS
	echo "-- immediate shutdown under load, $IMMEDIATE_LOOPS times"
	imm_mark=$(rel_log_mark)
	ok=1
	for ((loop = 1; loop <= IMMEDIATE_LOOPS; loop++)); do
		pgi_sql "SELECT insights.reset()" >/dev/null
		marker 5
		pgi_cluster_restart fast	# saves 5, loaded and removed at start
		marker 2			# 7 executed, 5 saved
		bg_start immediate 8 30
		sleep 1.5
		mark=$(rel_log_mark)
		if ! pgi_cluster_stop immediate; then ok=0; pgi_fail "immediate $loop: pg_ctl stop -m immediate"; bg_wait; break; fi
		bg_wait
		if ! pgi_ctl start; then pgi_fail "immediate $loop: server starts"; ok=0; break; fi
		c=$(marker_calls)
		case "$c" in 0 | 5) ;; *) ok=0; pgi_fail "immediate $loop: marker calls 0 or 5 after the immediate stop" "got '$c' (7 executed, 5 saved)" ;; esac
		f0=$PGI_FAILED
		after_checks "immediate $loop" || ok=0
		((PGI_FAILED == f0)) || ok=0
		rel_q 20 "SELECT (SELECT shapes FROM insights.info) = (SELECT count(*) FROM insights.queries)" | grep -qx t ||
			{ ok=0; pgi_fail "immediate $loop: info.shapes == rows of insights.queries"; }
	done
	pgi_expect_eq "immediate: $IMMEDIATE_LOOPS immediate stops under load, each followed by a normal start and a consistent store" "$ok" 1
	log_ok immediate "" "$imm_mark"
	echo "  (immediate: $((SECONDS - t))s)"
fi
[[ -n "${PGI_BASE:-}" ]] && pgi_cluster_destroy

# ---------------------------------------------------------------------------------------------
# 4. disk full for the stats file, 5. damaged headers
if want diskfull || want statfile; then
	if pgi_cluster_start "${BASE[@]}" "pg_insights.max_shapes = 200"; then
		pgi_sql "CREATE EXTENSION pg_insights; CREATE TABLE pgi_marker (id int);
			DO \$\$ BEGIN FOR k IN 1..250 LOOP EXECUTE format('CREATE TABLE wide_%s (id int)', k); END LOOP; END \$\$;" >/dev/null
	else
		pgi_fail "diskfull/statfile: cluster start"
	fi
fi

# diskfull_check LABEL MARK: after a stop whose save failed
diskfull_check() {
	local l=$1 mark=$2 newlog
	newlog=$(rel_log_since "$mark")
	if grep -q 'pg_insights: could not write .*statistics are not saved' <<<"$newlog"; then
		pgi_pass "$l: log says statistics are not saved"
	else
		pgi_fail "$l: log says statistics are not saved" "no such line; see $out/diskfull.server.log"
	fi
	if grep -q 'database system is shut down' <<<"$newlog"; then pgi_pass "$l: server shut down cleanly"; else pgi_fail "$l: server shut down cleanly"; fi
	if [[ -e "$(stat_file)" || -e "$(stat_file).tmp" ]]; then
		pgi_fail "$l: no stats file or temporary file left" "$(ls -la "$PGI_DATA/pg_stat")"
	else
		pgi_pass "$l: no stats file or temporary file left"
	fi
	if pgi_ctl start && rel_wait_ready 30; then pgi_pass "$l: next start normal"; else pgi_fail "$l: next start normal"; return; fi
	pgi_expect_eq "$l: nothing restored (calls 0)" "$(marker_calls)" 0
	marker 2
	pgi_expect_eq "$l: counting works" "$(marker_calls)" 2
}

if want diskfull && [[ -n "${PGI_DATA:-}" ]]; then
	t=$SECONDS
	echo "-- disk full for the stats file"
	# (a) the temporary file is /dev/full: every write fails with ENOSPC
	pgi_sql "SELECT insights.reset()" >/dev/null
	marker 5
	pgi_as_owner ln -s /dev/full "$(stat_file).tmp"
	mark=$(rel_log_mark)
	if pgi_cluster_stop fast; then pgi_pass "diskfull /dev/full: pg_ctl stop succeeds"; else pgi_fail "diskfull /dev/full: pg_ctl stop succeeds"; fi
	diskfull_check "diskfull /dev/full" "$mark"
	# (b) pg_stat on a full tmpfs, in a private mount namespace of this server only
	if rel_ns_available; then
		pgi_sql "SELECT insights.reset()" >/dev/null
		marker 5
		pgi_cluster_stop fast
		rm -f "$(stat_file)"
		uid=$(id -u postgres) gid=$(id -g postgres)
		if rel_start_in_ns "mount -t tmpfs -o size=64k,mode=0700,uid=$uid,gid=$gid tmpfs '$PGI_DATA/pg_stat'
				dd if=/dev/zero of='$PGI_DATA/pg_stat/filler' bs=4096 2>/dev/null || true" && rel_wait_ready 30; then
			marker 5
			mark=$(rel_log_mark)
			if pgi_cluster_stop fast; then pgi_pass "diskfull tmpfs: pg_ctl stop succeeds"; else pgi_fail "diskfull tmpfs: pg_ctl stop succeeds"; fi
			diskfull_check "diskfull tmpfs" "$mark"
		else
			pgi_fail "diskfull tmpfs: server starts with pg_stat on a full tmpfs" "$(tail -5 "$PGI_LOG")"
			pgi_ctl start
		fi
	else
		echo "  (diskfull tmpfs: skipped, no private mount namespace here; /dev/full case ran)"
	fi
	# and a save works again afterwards
	c=$(marker_calls)
	pgi_cluster_restart fast
	pgi_expect_eq "diskfull: a later clean restart saves and restores again" "$(marker_calls)" "$c"
	log_ok diskfull
	echo "  (diskfull: $((SECONDS - t))s)"
fi

if want statfile && [[ -n "${PGI_DATA:-}" ]]; then
	t=$SECONDS
	echo "-- stats file headers"
	STATFILE=$out/statfile
	if ! gcc -O1 -Wall -o "$STATFILE" "$PGI_ROOT/test/reliability/statfile.c" >"$out/statfile.build.log" 2>&1; then
		pgi_fail "statfile: build the header tool" "$(head -3 "$out/statfile.build.log")"
	else
		# fresh_file: a stats file of 5 marker calls; echo nothing
		fresh_file() {
			pgi_cluster_running || pgi_ctl start
			rel_wait_ready 30
			pgi_sql "SELECT insights.reset()" >/dev/null
			marker 5
			pgi_cluster_stop fast
		}
		fresh_file
		hdr=$("$STATFILE" "$(stat_file)")
		pgi_expect_eq "statfile: the tool reads a saved file (checksum verifies)" "$(grep '^crc' <<<"$hdr")" "crc ok"
		rejected() { rel_q 20 "SELECT restore_files_rejected FROM insights.info"; }
		# start_logged LABEL PATTERN: start, the log since the stop matches PATTERN
		start_logged() {
			local l=$1 re=$2 mark
			mark=$(rel_log_mark)
			if pgi_ctl start && rel_wait_ready 30; then pgi_pass "$l: server starts"; else pgi_fail "$l: server starts" "$(tail -3 "$PGI_LOG" | tr '\n' ' ')"; return 1; fi
			if rel_log_since "$mark" | grep -E "$re" >/dev/null; then
				pgi_pass "$l: logged ($(rel_log_since "$mark" | grep -E "$re" | head -1 | sed -E 's/.*pg_insights: //' | cut -c1-140))"
			else
				pgi_fail "$l: logged /$re/" "$(rel_log_since "$mark" | grep pg_insights | head -2 | tr '\n' ' ')"
			fi
		}
		# another minor version of the same major (header word at offset 8, checksum recomputed):
		# loaded, as after a minor update of PostgreSQL
		pgv=$(sed -n 's/^pg_version //p' <<<"$hdr")
		for other in $((pgv / 100 * 100 + 99)) $((pgv / 100 * 100)); do
			[[ -e "$(stat_file)" ]] || fresh_file
			"$STATFILE" "$(stat_file)" pg_version "$other"
			start_logged "statfile 'pg_version $other' (this server $pgv)" 'pg_insights: restored 1 of 1 saved statement shapes|pg_insights: restored [0-9]+ of'
			pgi_expect_eq "statfile 'pg_version $other': same major version, loaded (calls 5)" "$(marker_calls)" 5
			pgi_expect_eq "statfile 'pg_version $other': not counted as rejected" "$(rejected)" 0
			pgi_sql "SELECT insights.reset()" >/dev/null
			marker 5
			pgi_cluster_stop fast
		done
		# one claim changed, checksum recomputed: rejected by the header check, not the checksum
		for mut in "layout +1" "version 3" "pg_version $((pgv - 10000))" "pg_version $((pgv + 10000))" "pg_version 170002"; do
			[[ -e "$(stat_file)" ]] || fresh_file
			# shellcheck disable=SC2086
			"$STATFILE" "$(stat_file)" $mut
			start_logged "statfile '$mut'" 'pg_insights: ignoring saved statistics .*another version' || continue
			pgi_expect_eq "statfile '$mut': ignored (calls 0)" "$(marker_calls)" 0
			pgi_expect_eq "statfile '$mut': counted (info.restore_files_rejected)" "$(rejected)" 1
			if [[ -e "$(stat_file)" ]]; then pgi_fail "statfile '$mut': rejected file removed"; else pgi_pass "statfile '$mut': rejected file removed"; fi
			pgi_sql "SELECT insights.reset()" >/dev/null
			marker 5
			pgi_cluster_stop fast
		done
		# the header claims more shapes than the file holds (valid checksum): nothing is read
		# past the end, the file is rejected as truncated
		"$STATFILE" "$(stat_file)" nshapes +100000
		start_logged "statfile 'nshapes +100000'" 'ignoring saved statistics .*truncated at shape [0-9]+ of the 1000[0-9]+ its header announces'
		pgi_expect_eq "statfile 'nshapes +100000': ignored (calls 0), counted" "$(marker_calls) $(rejected)" "0 1"
		# a header claiming more records than any setting allows
		fresh_file
		"$STATFILE" "$(stat_file)" nshapes 4000000000
		start_logged "statfile 'nshapes 4000000000'" 'ignoring saved statistics .*claims 4000000000 shapes'
		pgi_expect_eq "statfile 'nshapes 4000000000': ignored (calls 0), counted" "$(marker_calls) $(rejected)" "0 1"
		# a file over 1 GB (sparse: a valid file extended by truncate): bounded by its header,
		# not read, logged, counted; the server starts
		fresh_file
		pgi_as_owner truncate -s 1100M "$(stat_file)"
		start_logged "statfile of 1100 MB" 'ignoring saved statistics .*has 1153433600 bytes, more than'
		pgi_expect_eq "statfile of 1100 MB: ignored (calls 0), counted" "$(marker_calls) $(rejected)" "0 1"

		# max_shapes lowered between a save (200) and the next start (100): the 100 shapes with
		# the most calls come back.  wide_k runs k times for k = 1 .. 150 (no eviction yet):
		# wide_51 .. wide_150 are the top 100 (every other shape has a call or two)
		pgi_sql "SELECT insights.reset()" >/dev/null
		for ((k = 1; k <= 150; k++)); do for ((r = 0; r < k; r++)); do echo "SELECT count(*) FROM wide_$k;"; done; done |
			pgi_psql -v ON_ERROR_STOP=1 -d postgres >/dev/null
		wide_set="SELECT string_agg(substring(query FROM 'wide_([0-9]+)'), ',' ORDER BY substring(query FROM 'wide_([0-9]+)')::int)
			FROM insights.queries WHERE query LIKE 'SELECT count(*) FROM wide\_%'"
		all_ids="SELECT string_agg(shape_id::text, ',' ORDER BY shape_id) FROM insights.queries"
		top_before=$(rel_q 20 "SELECT string_agg(shape_id::text, ',' ORDER BY shape_id) FROM
			(SELECT shape_id FROM insights.queries ORDER BY calls DESC, total_time DESC LIMIT 100) s")
		pgi_expect_eq "statfile: no eviction before the restart" "$(rel_q 20 "SELECT evictions FROM insights.info")" 0
		# texts for the smaller max_query_length: a 3-byte character (U+20AC) sequence over
		# 256 bytes (cut at a character boundary with the marker), and one of exactly 256 bytes
		euro=$(printf '\xe2\x82\xac')
		mb=""
		for ((k = 0; k < 12; k++)); do mb+="count(*) AS \"$(printf "$euro%.0s" {1..10})\", "; done
		mb_q="SELECT ${mb}count(*) AS z FROM wide_1"
		pgi_psql -d postgres -c "$mb_q" >/dev/null
		exact_t='SELECT count(*) AS a, count(*) AS "" FROM wide_2'
		exact_q="SELECT count(*) AS a, count(*) AS \"$(printf 'x%.0s' $(seq 1 $((256 - ${#exact_t}))))\" FROM wide_2"
		exact_len=$(printf %s "$exact_q" | wc -c)
		pgi_expect_eq "statfile: the exact-length statement is 256 bytes" "$exact_len" 256
		pgi_psql -d postgres -c "$exact_q" >/dev/null 2>&1
		mb_full=$(rel_q 20 "SELECT query FROM insights.queries WHERE query LIKE 'SELECT count(*) AS \"$euro%'")
		pgi_expect_eq "statfile: the multibyte text is kept whole at max_query_length 2048 ($(printf %s "$mb_full" | wc -c) bytes)" "$mb_full" "$mb_q"
		# track = none after the restart: the test's own statements must not evict what was restored
		pgi_cluster_set "pg_insights.max_shapes = 100" "pg_insights.max_query_length = 256" "pg_insights.track = none"
		pgi_cluster_stop fast
		mark=$(rel_log_mark)
		start_logged "statfile: max_shapes 200 -> 100" "pg_insights: restored 100 of [0-9]+ saved statement shapes"
		n_saved=$(rel_log_since "$mark" | sed -nE 's/.*pg_insights: restored 100 of ([0-9]+) saved.*/\1/p' | head -1)
		pgi_expect_eq "statfile: restored shapes == the new max_shapes" \
			"$(rel_q 20 "SELECT shapes = max_shapes AND (SELECT count(*) FROM insights.queries) = shapes FROM insights.info")" t
		pgi_expect_eq "statfile: the restored shapes are the 100 most called (wide_51 .. wide_150)" \
			"$(rel_q 20 "$wide_set")" "$(seq -s, 51 150)"
		pgi_expect_eq "statfile: the same shape ids as the top 100 by calls before the restart" "$(rel_q 20 "$all_ids")" "$top_before"
		pgi_expect_eq "statfile: the shapes not restored are counted (info.restore_shapes_skipped)" \
			"$(rel_q 20 "SELECT restore_shapes_skipped FROM insights.info")" "$((n_saved - 100))"
		# the two texts ran once each: not restored with max_shapes 100; run them again with
		# max_query_length 256 for the exact-length case, and check the clipping of restored
		# texts with max_shapes back at 200
		pgi_cluster_set "pg_insights.track = all"
		pgi_cluster_restart fast
		pgi_psql -d postgres -c "$exact_q" >/dev/null 2>&1
		pgi_expect_eq "statfile: a text of exactly max_query_length bytes keeps its last byte" \
			"$(rel_q 20 "SELECT query || '|' || query_truncated FROM insights.queries WHERE query LIKE 'SELECT count(*) AS a, count(*) AS \"x%'")" "$exact_q|false"
		pgi_cluster_set "pg_insights.max_shapes = 200" "pg_insights.max_query_length = 2048"
		pgi_cluster_restart fast
		pgi_expect_eq "statfile: the exact-length text survives a restart whole" \
			"$(rel_q 20 "SELECT query || '|' || query_truncated FROM insights.queries WHERE query LIKE 'SELECT count(*) AS a, count(*) AS \"x%'")" "$exact_q|false"
		pgi_psql -d postgres -c "$mb_q" >/dev/null
		pgi_cluster_set "pg_insights.max_query_length = 256"
		pgi_cluster_stop fast
		start_logged "statfile: max_query_length 2048 -> 256" 'Texts clipped to max_query_length 256: [1-9]'
		mb_cut=$(rel_q 20 "SELECT query FROM insights.queries WHERE query LIKE 'SELECT count(*) AS \"$euro%'")
		mb_cut_len=$(printf %s "$mb_cut" | wc -c)
		marker_str=' /* ...truncated */'
		pgi_expect_eq "statfile: the clipped text ends with the truncation marker" "${mb_cut: -${#marker_str}}" "$marker_str"
		pgi_expect_eq "statfile: the clipped text fits max_query_length ($mb_cut_len <= 256)" "$((mb_cut_len <= 256 && mb_cut_len > 200))" 1
		if printf %s "$mb_cut" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
			pgi_pass "statfile: the clipped text is valid UTF-8 (cut at a character boundary)"
		else
			pgi_fail "statfile: the clipped text is valid UTF-8 (cut at a character boundary)" "$(printf %s "$mb_cut" | tail -c 30 | od -An -tx1 | tr -d '\n')"
		fi
		head_part=${mb_cut%"$marker_str"}
		pgi_expect_eq "statfile: the clipped text is a prefix of the original" "${mb_q:0:${#head_part}}" "$head_part"
		pgi_expect_eq "statfile: flagged query_truncated, counted (info.restore_texts_clipped >= 1)" \
			"$(rel_q 20 "SELECT (SELECT bool_and(query_truncated) FROM insights.queries WHERE query LIKE 'SELECT count(*) AS \"$euro%') AND restore_texts_clipped >= 1 FROM insights.info")" t
		pgi_cluster_set "pg_insights.max_shapes = 100"
		pgi_sql "DO \$\$ BEGIN FOR k IN 1..250 LOOP EXECUTE format('SELECT count(*) FROM wide_%s', k); END LOOP; END \$\$;" >/dev/null
		pgi_cluster_restart fast
		pgi_sql "DO \$\$ BEGIN FOR k IN 1..250 LOOP EXECUTE format('SELECT count(*) FROM wide_%s', k); END LOOP; END \$\$;" >/dev/null
		pgi_expect_eq "statfile: store works after the smaller restore (evicts, bounded)" \
			"$(rel_q 20 "SELECT shapes <= max_shapes AND evictions > 0 FROM insights.info")" t
	fi
	log_ok statfile
	echo "  (statfile: $((SECONDS - t))s)"
fi
[[ -n "${PGI_BASE:-}" ]] && pgi_cluster_destroy

# ---------------------------------------------------------------------------------------------
# 6. DROP EXTENSION, ALTER EXTENSION UPDATE
if want extension; then
	t=$SECONDS
	echo "-- DROP / CREATE / ALTER EXTENSION"
	SHAREDIR=$("$PGI_PGBIN/pg_config" --sharedir)/extension
	default_version=$(sed -nE "s/^default_version *= *'([^']+)'.*/\1/p" "$PGI_ROOT/pg_insights.control")
	stale=()
	for f in "$PGI_ROOT"/sql/pg_insights--*.sql "$PGI_ROOT/pg_insights.control"; do
		cmp -s "$f" "$SHAREDIR/$(basename "$f")" || stale+=("$(basename "$f")")
	done
	pgi_expect_eq "extension: every script in sql/ is installed as is (make install)" "${stale[*]:-}" ""
	if pgi_cluster_start "${BASE[@]}" "pg_insights.max_shapes = 200"; then
		rel_setup_workload 20
		read -r -a args < <(rel_write_scripts "$out/ext-scripts" 20)
		pgi_sql "CREATE TABLE pgi_marker (id int)" >/dev/null
		marker 3
		# DROP/CREATE cycles while a workload runs
		"$PGBENCH" -n -c 4 -j 1 -t 400 -f "$out/ext-scripts/hot.pgbench" postgres >"$out/ext.pgbench.log" 2>&1 &
		bgp=$!
		ok=1
		for i in 1 2 3 4 5; do
			rel_q 30 "DROP EXTENSION pg_insights" >/dev/null || { ok=0; echo "    cycle $i: DROP EXTENSION failed"; }
			# the schema named in the control file is created by CREATE EXTENSION but is not a
			# member (PostgreSQL's rule), so it stays, empty
			[[ "$(rel_q 20 "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'insights'::regnamespace) +
				(SELECT count(*) FROM pg_proc WHERE pronamespace = 'insights'::regnamespace)")" == 0 ]] ||
				{ ok=0; echo "    cycle $i: objects left in schema insights after DROP EXTENSION"; }
			marker 2
			rel_q 30 "SELECT count(*) FROM churn_1" >/dev/null || { ok=0; echo "    cycle $i: a query failed while dropped"; }
			rel_q 30 "CREATE EXTENSION pg_insights" >/dev/null || { ok=0; echo "    cycle $i: CREATE EXTENSION failed"; }
		done
		wait $bgp
		pgi_expect_eq "extension: 5 DROP/CREATE cycles under load succeed, no object left behind by DROP" "$ok" 1
		pgi_expect_eq "extension: statements run while dropped were still captured (marker 3 + 5 x 2)" "$(marker_calls)" 13
		rel_hot_check "extension: DROP/CREATE under load" "$out/ext.pgbench.log"
		pgi_expect_eq "extension: insights.info answers after re-CREATE" "$(rel_q 20 "SELECT shapes > 0 FROM insights.info")" t
		# ALTER EXTENSION UPDATE with nothing to do: succeeds, version unchanged
		r=$(rel_q 30 "ALTER EXTENSION pg_insights UPDATE; SELECT extversion FROM pg_extension WHERE extname = 'pg_insights'" 2>"$out/ext-update.err")
		pgi_expect_eq "extension: ALTER EXTENSION pg_insights UPDATE is a no-op at $default_version" "$r" "$default_version"
		sed 's/^/    /' "$out/ext-update.err"
		# every upgrade path: from each installable version, step through the update scripts
		objects_sql="SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
				WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
				  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_insights')
			UNION ALL SELECT p.oid::regprocedure || ' -> ' || pg_get_function_result(p.oid) || ' ' ||
				coalesce(p.probin, '') || ' ' || p.prosrc || ' ' || p.provolatile::text || p.proparallel::text ||
				p.proisstrict::text || ' ' || coalesce(p.proacl::text, '')
				FROM pg_proc p WHERE p.pronamespace = 'insights'::regnamespace
			UNION ALL SELECT c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '') || ' ' ||
				coalesce(pg_get_viewdef(c.oid), '') FROM pg_class c WHERE c.relnamespace = 'insights'::regnamespace
			UNION ALL SELECT table_name || '.' || column_name || ' ' || data_type || ' ' ||
				coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'insights'
			ORDER BY 1"
		rel_q 30 "CREATE DATABASE pgi_fresh" >/dev/null
		fresh=$(PGI_DB=pgi_fresh rel_q 30 "CREATE EXTENSION pg_insights; $objects_sql")
		versions=()
		for f in "$PGI_ROOT"/sql/pg_insights--*.sql; do
			b=$(basename "$f" .sql)
			v=${b#pg_insights--}
			[[ "$v" == *--* ]] || versions+=("$v")
		done
		for v in "${versions[@]}"; do
			db=pgi_up_${v//[^0-9a-zA-Z]/_}
			rel_q 30 "CREATE DATABASE $db" >/dev/null
			path=$v
			r=$(PGI_DB=$db rel_q 30 "CREATE EXTENSION pg_insights VERSION '$v'; SELECT extversion FROM pg_extension WHERE extname = 'pg_insights'" 2>&1)
			pgi_expect_eq "extension: CREATE EXTENSION pg_insights VERSION '$v'" "$r" "$v"
			cur=$v
			while :; do
				next=()
				for f in "$PGI_ROOT"/sql/pg_insights--"$cur"--*.sql; do
					[[ -e "$f" ]] || continue
					b=$(basename "$f" .sql)
					next+=("${b#pg_insights--"$cur"--}")
				done
				((${#next[@]})) || break
				nv=${next[0]}
				r=$(PGI_DB=$db rel_q 60 "ALTER EXTENSION pg_insights UPDATE TO '$nv';
					SELECT count(*) >= 0 FROM insights.queries; SELECT count(*) >= 0 FROM insights.attribution;
					SELECT max_shapes > 0 FROM insights.info; SELECT count(*) >= 0 FROM insights.events();
					SELECT extversion FROM pg_extension WHERE extname = 'pg_insights'" 2>&1 | tr '\n' ' ')
				pgi_expect_eq "extension: ALTER EXTENSION pg_insights UPDATE TO '$nv' from '$cur' (views work)" "$r" "t t t t $nv "
				path="$path -> $nv"
				cur=$nv
			done
			pgi_expect_eq "extension: update path $path ends at default_version" "$cur" "$default_version"
			if [[ "$cur" == "$default_version" ]]; then
				up=$(PGI_DB=$db rel_q 30 "$objects_sql")
				if [[ -z "$fresh" || -z "$up" ]]; then
					pgi_fail "extension: objects after $path == a fresh CREATE EXTENSION" "the catalog query failed"
				elif [[ "$up" == "$fresh" ]]; then
					pgi_pass "extension: objects after $path == a fresh CREATE EXTENSION ($(wc -l <<<"$fresh") lines compared)"
				else
					diff <(echo "$fresh") <(echo "$up") >"$out/ext-upgrade-$v.diff"
					pgi_fail "extension: objects after $path == a fresh CREATE EXTENSION" "see $out/ext-upgrade-$v.diff"
				fi
			fi
		done
		figure "extension: install scripts ${versions[*]}; upgrade scripts: $(cd "$PGI_ROOT/sql" && ls pg_insights--*--*.sql 2>/dev/null | tr '\n' ' ')"
		log_ok extension
		pgi_cluster_destroy
	else
		pgi_fail "extension: cluster start"
	fi
	echo "  (extension: $((SECONDS - t))s)"
fi

# ---------------------------------------------------------------------------------------------
# 8. the views at the sizing limits (issue 11 item 9): no allocation of the views grows with
#    max_shapes x max_query_length (the old copy needed one palloc of that product: over 1 GB)
if want limits; then
	t=$SECONDS
	echo "-- views at the sizing limits"
	# (a) max_query_length at its maximum (65536) with 20000 shapes: texts 1.3 GB of shared
	#     memory (mostly untouched); the maximum of both (1,000,000 x 65536 = 65 GB) does not fit
	#     this machine.  (b) max_shapes and max_tagsets at their maximum (1,000,000) with the
	#     smallest max_query_length: 1.8 GB of shape entries, 1.1 GB of tag sets.
	for lim in "20000 65536 5000" "1000000 256 1000000"; do
		read -r ms mql mt <<<"$lim"
		l="limits max_shapes=$ms max_query_length=$mql max_tagsets=$mt"
		if ! pgi_cluster_start "${BASE[@]}" "pg_insights.max_shapes = $ms" "pg_insights.max_query_length = $mql" \
			"pg_insights.max_tagsets = $mt" "pg_insights.event_ring_size = 1024"; then
			pgi_fail "$l: cluster start" "$(tail -3 "$PGI_LOG" 2>/dev/null | tr '\n' ' ')"
			continue
		fi
		pgi_sql "CREATE EXTENSION pg_insights;
			DO \$\$ BEGIN FOR k IN 1..300 LOOP EXECUTE format('CREATE TABLE lim_%s (id int)', k); END LOOP; END \$\$;" >/dev/null
		pgi_pass "$l: server starts ($(rel_q 20 "SELECT pg_size_pretty(shmem_bytes) FROM insights.info") of shared memory)"
		# 300 shapes, each a long text (60 kB with the large max_query_length), tagged
		pad=$(( mql > 1000 ? 60000 : 100 ))
		for ((k = 1; k <= 300; k++)); do
			echo "SELECT $k AS \"k\", '$(head -c $((pad / 2)) /dev/zero | tr '\0' x)' IS NULL AS \"$(printf 'c%.0s' {1..40})\", count(*) AS \"n$k$(head -c $((pad / 2)) /dev/zero | tr '\0' y | cut -c1-50)\" FROM lim_$k /*route='/r$k'*/;"
		done | pgi_psql -v ON_ERROR_STOP=1 -d postgres >/dev/null 2>&1
		r=$(rel_q 120 "SET client_min_messages = debug1; SELECT count(*) FILTER (WHERE query LIKE 'SELECT \$1 AS \"k\"%'),
				max(octet_length(query)) FILTER (WHERE query LIKE 'SELECT \$1 AS \"k\"%') > 0,
				count(*) = (SELECT shapes FROM insights.info) FROM insights.queries" 2>"$out/limits-$ms.err")
		pgi_expect_eq "$l: insights.queries answers, every shape once" "$r" "300|t|t"
		batches=$(sed -nE 's/.*insights.queries copied ([0-9]+) entries in ([0-9]+) batches of at most ([0-9]+).*/\1 \2 \3/p' "$out/limits-$ms.err" | head -1)
		read -r nrows nb per <<<"$batches"
		if [[ -n "$nb" ]] && ((nb > 1 && per < ms)); then
			pgi_pass "$l: the view copied $nrows entries in $nb batches of at most $per"
		else
			pgi_fail "$l: the view copies in batches" "'$batches' $(head -3 "$out/limits-$ms.err" | tr '\n' ' ')"
		fi
		r=$(rel_q 120 "SELECT count(*) >= 300 FROM insights.attribution WHERE route LIKE '/r%'" 2>&1)
		pgi_expect_eq "$l: insights.attribution answers" "$r" t
		# and the sum of the texts equals what was stored, through the tuplestore
		r=$(rel_q 120 "SELECT sum(octet_length(query)) = sum(octet_length(query)) FILTER (WHERE query IS NOT NULL) FROM insights.queries" 2>&1)
		pgi_expect_eq "$l: texts read whole" "$r" t
		log_ok "limits-$ms"
		pgi_cluster_destroy
	done
	echo "  (limits: $((SECONDS - t))s)"
fi

# ---------------------------------------------------------------------------------------------
# 7. AddressSanitizer + UBSan build inside a real server
if want asan; then
	t=$SECONDS
	echo "-- AddressSanitizer/UBSan build of the extension in a real server"
	libasan=$(gcc -print-file-name=libasan.so)
	installed_so=$("$PGI_PGBIN/pg_config" --pkglibdir)/pg_insights.so
	if ! rel_ns_available; then
		pgi_fail "asan: private mount namespace (needs root and unshare -m)" "not available here"
	elif [[ ! -e "$libasan" || "$libasan" == libasan.so ]]; then
		pgi_fail "asan: libasan found" "gcc -print-file-name=libasan.so gave '$libasan'"
	else
		src=$out/asan-src
		mkdir -p "$src"
		cp -r "$PGI_ROOT/Makefile" "$PGI_ROOT/pg_insights.control" "$PGI_ROOT/sql" "$src/"
		mkdir -p "$src/extension"
		cp "$PGI_ROOT"/extension/*.c "$PGI_ROOT"/extension/*.h "$src/extension/"
		if make -C "$src" -j2 with_llvm=no pg_insights.so \
			PG_CFLAGS="-Wall -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize=alignment" \
			>"$out/asan-build.log" 2>&1 && [[ -f "$src/pg_insights.so" ]] &&
			readelf -d "$src/pg_insights.so" | grep -q 'libasan'; then
			pgi_pass "asan: instrumented pg_insights.so built ($(readelf -d "$src/pg_insights.so" | grep -oE 'lib(asan|ubsan)[^]]*' | tr '\n' ' '))"
			asan_ok=1
		else
			pgi_fail "asan: instrumented pg_insights.so built" "see $out/asan-build.log"
			asan_ok=0
		fi
		if ((asan_ok)) && pgi_cluster_start "${BASE[@]}" "max_prepared_transactions = 2" "max_connections = 30"; then
			pgi_cluster_stop fast
			asan_so=$PGI_BASE/pg_insights.asan.so
			cp "$src/pg_insights.so" "$asan_so"
			mkdir -p "$PGI_BASE/san"
			chown -R postgres: "$asan_so" "$PGI_BASE/san"
			# LD_PRELOAD=libasan would intercept malloc too, but an uninstrumented postgres
			# with the preloaded runtime hangs at startup here (glibc 2.36: bindtextdomain() waits
			# on _nl_state_lock, whose reader count is already broken before main, with both
			# gcc 12's libasan and clang 14's runtime), so the runtime is loaded with our .so
			# (verify_asan_link_order=0): every access of our code to its stack, globals and
			# shared memory is checked, UBSan is complete, heap redzones are missing (malloc is
			# postgres's); PGI_REL_ASAN_PRELOAD=1 tries the preload anyway
			san_env=()
			[[ "${PGI_REL_ASAN_PRELOAD:-0}" == 1 ]] && san_env+=("LD_PRELOAD=$libasan")
			san_env+=("ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:log_path=$PGI_BASE/san/asan:detect_odr_violation=0:verify_asan_link_order=0"
				"UBSAN_OPTIONS=print_stacktrace=1:log_path=$PGI_BASE/san/ubsan")
			asan_start() {
				rel_start_in_ns "mount --bind '$asan_so' '$installed_so'" "${san_env[@]}" && rel_wait_ready 60
			}
			if asan_start; then
				pm=$(head -1 "$PGI_DATA/postmaster.pid")
				if grep -q libubsan "/proc/$pm/maps" && grep -q libasan "/proc/$pm/maps"; then
					pgi_pass "asan: the server runs the instrumented extension (libasan, libubsan mapped in the postmaster)"
				else
					pgi_fail "asan: the server runs the instrumented extension" "libasan/libubsan not in /proc/$pm/maps"
				fi
				# the regress suite
				PG_REGRESS=$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress
				in=$PGI_BASE/regress-in res=$PGI_BASE/regress-out
				cp -r "$PGI_ROOT/test/regress" "$in"
				mkdir -p "$res"
				cp "$PGI_ROOT/test/tools/pgi_exec" "$PGI_BASE/pgi_exec" 2>/dev/null
				chown -R postgres: "$in" "$res" "$PGI_BASE/pgi_exec" 2>/dev/null
				pgi_as_owner env PGI_EXEC="$PGI_BASE/pgi_exec" PGI_DATA_DIR="$in/data" \
					"$PG_REGRESS" --host="$PGI_SOCK" --port="$PGI_PORT" --user="$PGI_SUPERUSER" \
					--inputdir="$in" --outputdir="$res" --dbname=pgi_regress --schedule="$in/schedule" \
					>"$out/asan-regress.log" 2>&1
				nok=$(grep -cE '\.\.\. +ok' "$out/asan-regress.log")
				nall=$(grep -cE '\.\.\. +(ok|FAILED|failed)' "$out/asan-regress.log")
				[[ -f "$res/regression.diffs" ]] && cp "$res/regression.diffs" "$out/asan-regress.diffs"
				if ((nall > 0 && nok == nall)); then pgi_pass "asan: regress suite under ASan ($nok/$nall tests ok)"; else pgi_fail "asan: regress suite under ASan" "$nok/$nall ok, see $out/asan-regress.log"; fi
				# the rest with eviction and every plan sampled
				pgi_cluster_stop fast
				pgi_cluster_set "pg_insights.max_shapes = 100" "pg_insights.plan_sample_rate = 1.0"
				asan_start || pgi_fail "asan: restart with max_shapes = 100" "$(tail -5 "$PGI_LOG")"
				# the demo application's schema and traffic
				rel_q 30 "CREATE DATABASE pgi_demo" >/dev/null
				if PGI_DB=pgi_demo pgi_psql -d pgi_demo -v ON_ERROR_STOP=1 -f "$PGI_ROOT/demo/schema.sql" >"$out/asan-demo.log" 2>&1 &&
					PGDATABASE=pgi_demo bash "$PGI_ROOT/demo/workload.sh" >>"$out/asan-demo.log" 2>&1; then
					pgi_pass "asan: demo schema and workload ran"
				else
					pgi_fail "asan: demo schema and workload ran" "see $out/asan-demo.log"
				fi
				# churn with concurrency, evictions and sampled plans
				rel_setup_workload 300
				read -r -a args < <(rel_write_scripts "$out/asan-scripts" 300)
				# (exact counts under eviction are the churn case's; here only the sanitizers count)
				if "$PGBENCH" -n -c 8 -j 1 -T 15 "${args[@]}" postgres >"$out/asan-churn.pgbench.log" 2>&1; then
					pgi_pass "asan: churn with eviction ran ($(rel_q 20 "SELECT evictions FROM insights.info") evictions)"
				else
					pgi_fail "asan: churn with eviction ran" "see $out/asan-churn.pgbench.log"
				fi
				rel_q 30 "SELECT count(*) FROM insights.queries; SELECT count(*) FROM insights.attribution;
					SELECT count(*) FROM insights.events(); SELECT count(*) FROM insights.plans; SELECT * FROM insights.info" >/dev/null
				# save at a clean shutdown and load at start (persist.c runs in the postmaster)
				c=$(rel_q 20 "SELECT sum(calls) FROM insights.queries WHERE query LIKE 'UPDATE pgi_hot SET%'")
				pgi_cluster_stop fast
				if asan_start; then
					pgi_expect_eq "asan: clean restart restores" "$(rel_q 20 "SELECT sum(calls) FROM insights.queries WHERE query LIKE 'UPDATE pgi_hot SET%'")" "$c"
					# one crash recovery under ASan too
					bg_start asan-crash 4 20
					sleep 2
					v=$(rel_q 10 "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' AND state = 'active' LIMIT 1")
					[[ -n "$v" ]] && kill -9 "$v"
					bg_wait
					if rel_wait_ready 60 && [[ "$(rel_q 20 "SELECT count(*) >= 0 FROM insights.queries")" == t ]]; then
						pgi_pass "asan: crash recovery with the instrumented extension"
					else
						pgi_fail "asan: crash recovery with the instrumented extension"
					fi
					pgi_cluster_stop fast
				else
					pgi_fail "asan: restart with the instrumented extension" "$(tail -5 "$PGI_LOG")"
				fi
				reports=$( (cat "$PGI_BASE"/san/* 2>/dev/null; cat "$PGI_LOG") |
					grep -E 'ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer' | sort | uniq -c | head -20)
				cp -r "$PGI_BASE/san" "$out/asan-reports" 2>/dev/null
				if [[ -z "$reports" ]]; then
					pgi_pass "asan: no AddressSanitizer/UBSan report"
				else
					pgi_fail "asan: no AddressSanitizer/UBSan report" "$(head -5 <<<"$reports" | tr '\n' ' '); see $out/asan-reports and $out/asan.server.log"
				fi
				log_ok asan --allow-kill
			else
				pgi_fail "asan: server starts with the instrumented extension" "$(tail -5 "$PGI_LOG")"
			fi
			pgi_cluster_destroy
		fi
		if [[ -f "$src/pg_insights.so" ]] && cmp -s "$src/pg_insights.so" "$installed_so"; then
			pgi_fail "asan: the installed $installed_so is not the instrumented build" "it is: the mount leaked"
		else
			pgi_pass "asan: the installed $installed_so is not the instrumented build"
		fi
	fi
	echo "  (asan: $((SECONDS - t))s)"
fi

echo "  figures:"
printf '    %s\n' "${figures[@]}"
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
