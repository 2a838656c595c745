#!/usr/bin/env bash
# concurrency group: pgbench with several clients; afterwards the calls counted equal the
# transactions pgbench reports, exactly.
#   (a) one shape: the builtin select-only script (-S), simple and prepared protocol
#   (b) a custom script of several shapes (IN-lists of varying length, tagged statements)
#   (c) the same under eviction churn (max_shapes = 100, 300 distinct shapes)
#   (d) the event ring at 64 slots under 16 writers: every event read back is whole (its
#       fields, all derived from one argument, agree) and every sequence number is either
#       returned once or counted in events_dropped
#   (e) a writer held inside its write (gdb breakpoint): readers stop at its slot and return
#       nothing torn; writers that lap it drop and count; after release its event appears
#   (f), (g) the collector under ring loss; (h) errors per SQLSTATE (deadlock, serialization);
#   (i) wait events: a row lock waited for, a backend terminated inside a statement
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$PGI_ROOT/test/lib/cluster.sh"
group=concurrency
t0=$SECONDS
out=${PGI_OUT:-$(mktemp -d)}/concurrency
mkdir -p "$out"
PGBENCH=$PGI_PGBIN/pgbench
TX=${PGI_PGBENCH_TX:-1500}	# per client
CLIENTS=4

# pgbench_run LABEL ARGS...: runs pgbench, prints the transactions it processed
pgbench_run() {
	local label=$1
	shift
	"$PGBENCH" -n -c $CLIENTS -j 2 -t "$TX" "$@" postgres >"$out/$label.pgbench.log" 2>&1
	sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out/$label.pgbench.log"
}
calls_of() { pgi_sql "SELECT coalesce(sum(calls), 0) FROM insights.queries WHERE query = \$\$$1\$\$"; }

pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.track = all" \
	"pg_insights.max_shapes = 100" || { pgi_fail "cluster start"; pgi_summary $group; exit 1; }
pgi_sql "CREATE EXTENSION pg_insights" >/dev/null
"$PGBENCH" -i -q -s 1 postgres >"$out/init.log" 2>&1 || pgi_fail "pgbench -i" "$(tail -3 "$out/init.log")"

# (a) one shape
sel='SELECT abalance FROM pgbench_accounts WHERE aid = $1'
for mode in simple prepared extended; do
	pgi_sql "SELECT insights.reset()" >/dev/null
	tx=$(pgbench_run "select-$mode" -S -M $mode)
	pgi_expect_eq "pgbench -S -M $mode: calls == transactions ($tx)" "$(calls_of "$sel")" "$tx"
done

# (b) several shapes per transaction
cat >"$out/multi.pgbench" <<'SQL'
\set aid random(1, 100000)
\set bid random(1, 1)
\set n random(1, 3)
\set a1 :aid + 1
\set a2 :aid + 2
\set a3 :aid + 3
\set a4 :aid + 4
\set a5 :aid + 5
\set hi :aid + :n
SELECT abalance FROM pgbench_accounts WHERE aid = :aid /*route='%2Faccounts%2F%3Aid',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/;
SELECT count(*) FROM pgbench_accounts WHERE aid IN (:aid, :a1, :a2) /*route='%2Fin'*/;
SELECT count(*) FROM pgbench_accounts WHERE aid IN (:aid, :a1, :a2, :a3, :a4, :a5) /*route='%2Fin'*/;
UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = :bid;
SELECT bid, sum(abalance) FROM pgbench_accounts WHERE aid BETWEEN :aid AND :hi GROUP BY bid;
SQL
for mode in simple prepared; do
	pgi_sql "SELECT insights.reset()" >/dev/null
	tx=$(pgbench_run "multi-$mode" -M $mode -f "$out/multi.pgbench")
	pgi_expect_eq "custom script -M $mode: SELECT calls == transactions ($tx)" "$(calls_of "$sel")" "$tx"
	pgi_expect_eq "custom script -M $mode: IN-list shape calls == 2 x transactions" \
		"$(pgi_sql "SELECT sum(calls) FROM insights.queries WHERE query LIKE 'SELECT count(*) FROM pgbench_accounts WHERE aid IN%'")/$(pgi_sql "SELECT count(*) FROM insights.queries WHERE query LIKE 'SELECT count(*) FROM pgbench_accounts WHERE aid IN%'")" "$((2 * tx))/1"
	pgi_expect_eq "custom script -M $mode: UPDATE calls == transactions" \
		"$(pgi_sql "SELECT sum(calls) || '/' || count(*) FROM insights.queries WHERE query LIKE 'UPDATE pgbench_branches SET%'")" "$tx/1"
	pgi_expect_eq "custom script -M $mode: attribution calls == transactions" \
		"$(pgi_sql "SELECT coalesce(sum(calls), 0) || '/' || count(*) FROM insights.attribution WHERE route = '/accounts/:id'")" "$tx/1"
	pgi_expect_eq "custom script -M $mode: IN attribution calls == 2 x transactions" \
		"$(pgi_sql "SELECT coalesce(sum(calls), 0) FROM insights.attribution WHERE route = '/in'")" "$((2 * tx))"
done

# (c) eviction churn: half the transactions run the hot SELECT, the others 3 of 330 distinct
# shapes (330 tables; pgbench takes at most 128 scripts and cannot build a table name from a
# variable, so 110 scripts of 3 tables each)
pgi_sql "DO \$\$ BEGIN FOR n IN 1..330 LOOP EXECUTE format('CREATE TABLE churn_%s (id int)', n); END LOOP; END \$\$" >/dev/null
{
	echo '\set aid random(1, 100000)'
	echo 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;'
} >"$out/churn-hot.pgbench"
churn_args=(-f "$out/churn-hot.pgbench@110")
for n in $(seq 1 110); do
	printf 'SELECT count(*) FROM churn_%s;\n' $n $((n + 110)) $((n + 220)) >"$out/churn-$n.pgbench"
	churn_args+=(-f "$out/churn-$n.pgbench@1")
done
pgi_sql "SELECT insights.reset()" >/dev/null
# -j 1: pgbench updates its per-script counters from all threads without a lock, so with
# several threads the per-script figure can miss a few transactions
"$PGBENCH" -n -c $CLIENTS -j 1 -t "$TX" "${churn_args[@]}" postgres >"$out/churn.pgbench.log" 2>&1
hot_tx=$(awk '/^SQL script [0-9]+: .*churn-hot/ {f=1} f && /- [0-9]+ transactions/ {print $2; exit}' "$out/churn.pgbench.log")
pgi_expect_eq "eviction churn: hot SELECT calls == its transactions ($hot_tx)" "$(calls_of "$sel")" "$hot_tx"
pgi_expect_eq "eviction churn: store bounded, evictions counted" \
	"$(pgi_sql "SELECT shapes <= max_shapes AND evictions > 0 FROM insights.info")" t

cp "$PGI_LOG" "$out/server.log"
if pgi_cluster_log_check; then pgi_pass "no crash in server log"; else pgi_fail "no crash in server log"; fi
pgi_cluster_destroy

# ---- (d), (e): the event ring ----
pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.event_ring_size = 64" ||
	{ pgi_fail "cluster start (ring of 64)"; pgi_summary $group; exit 1; }
pgi_sql "CREATE EXTENSION pg_insights" >/dev/null
# sessions that only observe write no events of their own
quiet() { PGOPTIONS="-c pg_insights.track=none" pgi_sql "$@"; }
pgi_expect_eq "ring: 64 slots" "$(quiet "SELECT event_ring_size FROM insights.info")" 64

# (d) each statement's fields derive from n: the trace id ends with the client number
# (10 + client_id) and n, rows = n % 50 + 1, OFFSET n % 7.  A slot mixing two events, or a
# copy torn by a writer, breaks one of these.
cat >"$out/ring.pgbench" <<'SQL'
\set n random(1000000, 9999999)
\set c :client_id + 10
\set k :n % 7
\set r :n % 50 + 1 + :k
SELECT g FROM generate_series(1, :r) g OFFSET :k /*traceparent='00-aaaaaaaaaaaaaaaaaaaaaaa:c:n-00f067aa0ba902b7-01'*/;
SQL
quiet "CREATE UNLOGGED TABLE ev_seen AS SELECT * FROM insights.events(0) WITH NO DATA;
	ALTER TABLE ev_seen ADD PRIMARY KEY (seq); CREATE TABLE ev_stop (x int)" >/dev/null
read -r w0 d0 wd0 < <(quiet "SELECT events_written, events_dropped, events_write_dropped FROM insights.info" | tr '|' ' ')
# one reader, as the collector: from a cursor, again and again, until the writers are done,
# then once more; a seq returned twice violates the primary key and fails the DO
PGOPTIONS="-c pg_insights.track=none" pgi_psql -v ON_ERROR_STOP=1 -d postgres -c "DO \$\$
DECLARE c bigint := $w0; done boolean := false;
BEGIN
	LOOP
		done := EXISTS (SELECT 1 FROM ev_stop);
		INSERT INTO ev_seen SELECT * FROM insights.events(c);
		SELECT coalesce(max(seq), c) INTO c FROM ev_seen;
		EXIT WHEN done;
		PERFORM pg_sleep(0.01);
	END LOOP;
END \$\$" >"$out/ring-reader.log" 2>&1 &
reader=$!
"$PGBENCH" -n -M simple -c 16 -j 2 -t "$((TX / 4))" -f "$out/ring.pgbench" postgres >"$out/ring.pgbench.log" 2>&1 ||
	pgi_fail "ring: pgbench" "$(tail -3 "$out/ring.pgbench.log")"
quiet "INSERT INTO ev_stop VALUES (1)" >/dev/null
if wait $reader; then pgi_pass "ring: the reader ran, no seq returned twice"; else
	pgi_fail "ring: the reader ran, no seq returned twice" "$(tail -3 "$out/ring-reader.log")"; fi
read -r w1 d1 wd1 < <(quiet "SELECT events_written, events_dropped, events_write_dropped FROM insights.info" | tr '|' ' ')
ring_tx=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$out/ring.pgbench.log")
check="SELECT count(*) FILTER (WHERE NOT ok), count(*) FILTER (WHERE ok) FROM (
	SELECT trace_id ~ '^a{23}[12][0-9][0-9]{7}\$'
	   AND rows = substr(trace_id, 26)::int % 50 + 1
	   AND offset_value = substr(trace_id, 26)::int % 7 AS ok
	  FROM ev_seen WHERE trace_id LIKE 'aaaa%') e"
read -r bad good < <(quiet "$check" | tr '|' ' ')
echo "  ring: $ring_tx transactions, $((w1 - w0)) events written, $(quiet "SELECT count(*) FROM ev_seen") returned, $((d1 - d0)) dropped ($((wd1 - wd0)) by writers)"
pgi_expect_eq "ring: every event returned is whole (trace id, rows and OFFSET of one statement)" "$bad" 0
pgi_expect_true "ring: workload events were returned ($good)" test "${good:-0}" -gt 0
pgi_expect_eq "ring: one pid per pgbench client and one client per pid" \
	"$(quiet "SELECT count(DISTINCT pid) || '/' || count(DISTINCT substr(trace_id, 24, 2)) || '/' ||
		count(DISTINCT (pid, substr(trace_id, 24, 2))) FROM ev_seen WHERE trace_id LIKE 'aaaa%'" | awk -F/ '{print ($1 == $3 && $2 == $3 && $3 <= 16) ? "ok" : $0}')" ok
pgi_expect_eq "ring: same arguments, same param_hash" \
	"$(quiet "SELECT count(*) FROM (SELECT substr(trace_id, 26) FROM ev_seen WHERE trace_id LIKE 'aaaa%'
		GROUP BY 1 HAVING count(DISTINCT param_hash) > 1) x")" 0
pgi_expect_eq "ring: every statement has an event (written == transactions)" "$((w1 - w0))" "$ring_tx"
pgi_expect_true "ring: the reader fell behind and the loss is counted (events_dropped $((d1 - d0)) > 0)" \
	test "$((d1 - d0))" -gt 0
pgi_expect_eq "ring: returned + events_dropped == events written" \
	"$(($(quiet "SELECT count(*) FROM ev_seen WHERE seq > $w0") + d1 - d0))" "$((w1 - w0))"

# (e) one backend held by gdb inside its event write, after the copy and before the publish
if ! command -v gdb >/dev/null; then
	pgi_fail "held writer: gdb is needed (scripts/install-deps.sh)"
else
	line=$(grep -n 'slot->ev.seq = seq;' "$PGI_ROOT/extension/events.c" | head -1 | cut -d: -f1)
	fifo=$out/held.fifo
	rm -f "$fifo" "$out/held.out"
	mkfifo "$fifo"
	pgi_psql -At -d postgres <"$fifo" >"$out/held.out" 2>&1 &
	held_psql=$!
	exec 7>"$fifo"
	echo "SELECT pg_backend_pid();" >&7
	for _ in $(seq 100); do [[ -s "$out/held.out" ]] && break; sleep 0.1; done
	held_pid=$(head -1 "$out/held.out")
	# hold_next N: attach, let the backend run into the breakpoint, keep it there until
	# $out/release.N exists
	hold_next() {
		rm -f "$out/hit.$1" "$out/release.$1"
		gdb -p "$held_pid" -batch -nx \
			-ex "break events.c:$line" -ex continue \
			-ex "shell touch $out/hit.$1" \
			-ex "shell while [ ! -e $out/release.$1 ]; do sleep 0.1; done" \
			-ex "delete" -ex detach >"$out/gdb.$1.log" 2>&1 &
		for _ in $(seq 300); do grep -q '^Breakpoint 1 at' "$out/gdb.$1.log" 2>/dev/null && break; sleep 0.1; done
		sleep 1	# gdb's "continue" after the breakpoint is set
	}
	wait_hit() { for _ in $(seq 300); do [[ -e "$out/hit.$1" ]] && return 0; sleep 0.1; done; return 1; }
	wait_out() { for _ in $(seq 300); do grep -q "$1" "$out/held.out" && return 0; sleep 0.1; done; return 1; }
	tp="/*traceparent='00-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-00f067aa0ba902b7-01'*/"

	# (e1) held, then 10 events after it: readers return none of them until it is published
	hold_next 1
	echo "SELECT 4201 AS held $tp;" >&7
	if ! wait_hit 1; then
		pgi_fail "held writer: gdb stopped the backend inside the write" "$(tail -5 "$out/gdb.1.log")"
	else
		pgi_pass "held writer: gdb stopped the backend inside the write"
		held=$(quiet "SELECT events_written FROM insights.info")
		for i in $(seq 10); do pgi_sql "SELECT $i AS after_held" >/dev/null; done
		pgi_expect_eq "held writer: a reader from before it stops at its slot" \
			"$(quiet "SELECT count(*) FROM insights.events($held - 1)")" 0
		pgi_expect_eq "held writer: a reader past it gets the 10 later events" \
			"$(quiet "SELECT count(*) FROM insights.events($held)")" 10
		touch "$out/release.1"
		wait_out '^4201$' || pgi_fail "held writer: statement finished after release"
		pgi_expect_eq "held writer: after release its event comes first, whole, then the 10" \
			"$(quiet "SELECT string_agg(seq - $held || ':' || coalesce(trace_id, '-') || ':' || rows, ',' ORDER BY seq)
				FROM (SELECT * FROM insights.events($held - 1) LIMIT 2) e")" \
			"0:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb:1,1:-:1"
		pgi_expect_eq "held writer: after release a reader gets all 11" \
			"$(quiet "SELECT count(*) FROM insights.events($held - 1) WHERE seq <= $held + 10")" 11
	fi

	# (e2) held while 200 statements lap the 64-slot ring three times: the writers of its
	# slot (held + 64, + 128, + 192) drop and count; nothing torn is returned
	hold_next 2
	echo "SELECT 4202 AS held $tp;" >&7
	if wait_hit 2; then
		read -r held2 wd2 d2 < <(quiet "SELECT events_written, events_write_dropped, events_dropped FROM insights.info" | tr '|' ' ')
		seq 200 | sed 's/.*/SELECT & AS lap;/' | pgi_psql -d postgres >/dev/null
		quiet "SELECT seq - $held2, coalesce(trace_id, '-'), rows FROM insights.events($held2 - 1)" >"$out/lap.events"
		pgi_expect_eq "lapped writer: the 3 writers of the held slot dropped (events_write_dropped)" \
			"$(($(quiet "SELECT events_write_dropped FROM insights.info") - wd2))" 3
		pgi_expect_eq "lapped writer: none of the held slot's sequence numbers is returned" \
			"$(awk -F'|' '$1 % 64 == 0' "$out/lap.events" | wc -l)" 0
		pgi_expect_eq "lapped writer: every event returned is a lap statement, whole" \
			"$(awk -F'|' '$2 != "-" || $3 != 1' "$out/lap.events" | wc -l)/$(wc -l <"$out/lap.events")" "0/63"
		touch "$out/release.2"
		wait_out '^4202$' || pgi_fail "lapped writer: statement finished after release"
		pgi_expect_eq "lapped writer: 200 more sequence numbers handed out" \
			"$(quiet "SELECT events_written - $held2 FROM insights.info")" 200
		# the reader passed held .. held + 200 and got 63: the held one and the 136 after it
		# were overwritten before it came, held + 192 was dropped by its writer
		pgi_expect_eq "lapped writer: events_dropped counts the 138 the reader passed without an event" \
			"$(($(quiet "SELECT events_dropped FROM insights.info") - d2))" 138
	else
		pgi_fail "lapped writer: gdb stopped the backend inside the write" "$(tail -5 "$out/gdb.2.log")"
		touch "$out/release.2"
	fi
	exec 7>&-
	wait $held_psql 2>/dev/null
	wait 2>/dev/null
fi

# (f) the collector, polling while the 64-slot ring wraps: says it cannot keep up and puts
# the loss in the snapshot (spooled, as the dashboard here is unreachable)
COLLECTOR=$PGI_ROOT/collector/pg_insights_collector
PBDUMP=$PGI_ROOT/build/test/collector/pbdump
[[ -x $PBDUMP ]] || make -s -C "$PGI_ROOT/collector" tools >"$out/tools.log" 2>&1
"$COLLECTOR" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=postgres" --interval 200ms \
	--dashboard-url http://127.0.0.1:1 --spool-dir "$out/spool" >"$out/collector.log" 2>&1 &
collector=$!
for _ in $(seq 100); do grep -q 'baseline\|poll' "$out/collector.log" 2>/dev/null && break; sleep 0.1; done
sleep 1
echo 'SELECT 1 AS burst;' >"$out/burst.pgbench"
for _ in 1 2 3; do
	"$PGBENCH" -n -M simple -c 4 -j 2 -t 500 -f "$out/burst.pgbench" postgres >>"$out/burst.log" 2>&1
	sleep 0.5
done
sleep 1
kill -TERM $collector
wait $collector
pgi_expect_true "collector: warns that it cannot keep up with the event ring" \
	grep -q 'WARNING.*not keeping up with the event ring: [1-9][0-9]* events lost' "$out/collector.log"
lost=$("$PBDUMP" --flat "$out"/spool/* 2>/dev/null | sed -nE 's/^events_lost=([0-9]+)$/\1/p' | awk '{s += $1} END {print s + 0}')
dropped=$("$PBDUMP" --flat "$out"/spool/* 2>/dev/null | sed -nE 's/^info\.events_dropped=([0-9]+)$/\1/p' | sort -n | tail -1)
pgi_expect_true "collector: snapshots carry the events lost (${lost:-0}) and info.events_dropped (${dropped:-none})" \
	test "${lost:-0}" -gt 0 -a "${dropped:-0}" -gt 0

# (g) and in the evidence of the findings written in a poll that lost events: a wide
# SELECT (an over_fetching finding every poll) runs among bursts that lap the ring
pgi_sql "CREATE TABLE ring_wide AS SELECT g AS id, $(for c in a b c d e f g h i j k; do printf "repeat('%s', 24) AS %s, " $c $c; done | sed 's/, $//')
           FROM generate_series(1, 100) g" >/dev/null
{
	echo 'SELECT * FROM ring_wide;'
	for _ in $(seq 200); do echo 'SELECT 1 AS burst;'; done
} >"$out/wide.pgbench"
"$COLLECTOR" --dbname "host=$PGI_SOCK port=$PGI_PORT dbname=postgres" --interval 300ms \
	--dashboard-url http://127.0.0.1:1 --spool-dir "$out/spool-g" >"$out/collector-g.log" 2>&1 &
collector=$!
for _ in $(seq 100); do grep -q 'baseline\|poll' "$out/collector-g.log" 2>/dev/null && break; sleep 0.1; done
"$PGBENCH" -n -M simple -c 2 -j 2 -T 6 -f "$out/wide.pgbench" postgres >"$out/wide.log" 2>&1 &
bench=$!
max_lost=0
while kill -0 $bench 2>/dev/null; do
	v=$(pgi_sql "SELECT coalesce(max((evidence->>'events_lost')::int8), 0) FROM insights.findings_data
	              WHERE kind = 'over_fetching' AND query LIKE '%ring_wide%'" 2>/dev/null)
	[[ $v =~ ^[0-9]+$ ]] && ((v > max_lost)) && max_lost=$v
	sleep 0.2
done
wait $bench
kill -TERM $collector
wait $collector
pgi_expect_true "collector: findings written in a poll that lost events say how many (evidence.events_lost up to $max_lost)" \
	test "$max_lost" -gt 0
after=$(pgi_sql "SELECT count(*) FROM insights.findings_data WHERE kind = 'over_fetching' AND query LIKE '%ring_wide%'")
pgi_expect_eq "collector: the over_fetching finding of the wide SELECT exists once" 1 "$after"

# (h) failed executions under their shape and SQLSTATE: a deadlock between two sessions
# that update two rows in opposite order, and a serialization failure under REPEATABLE READ
pgi_sql "CREATE TABLE err_dl (id int PRIMARY KEY, v int); INSERT INTO err_dl VALUES (1, 0), (2, 0), (3, 0);
         SELECT insights.reset()" >/dev/null
pgi_psql -d postgres -c "BEGIN" -c "UPDATE err_dl SET v = v + 1 WHERE id = 1" -c "SELECT pg_sleep(0.5)" \
	-c "UPDATE err_dl SET v = v + 1 WHERE id = 2" -c "COMMIT" >"$out/dl1.log" 2>&1 &
d1=$!
pgi_psql -d postgres -c "BEGIN" -c "UPDATE err_dl SET v = v + 1 WHERE id = 2" -c "SELECT pg_sleep(0.5)" \
	-c "UPDATE err_dl SET v = v + 1 WHERE id = 1" -c "COMMIT" >"$out/dl2.log" 2>&1 &
d2=$!
pgi_psql -d postgres -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM err_dl" \
	-c "SELECT pg_sleep(1)" -c "UPDATE err_dl SET v = v + 1 WHERE id = 3" -c "COMMIT" >"$out/ser1.log" 2>&1 &
s1=$!
sleep 0.3
pgi_sql "UPDATE err_dl SET v = v + 1 WHERE id = 3" >/dev/null
wait $d1 $d2 $s1
got=$(pgi_sql "SELECT string_agg(e.sqlstate || ':' || e.errors, ',' ORDER BY e.sqlstate)
                 FROM insights.errors e JOIN insights.queries q USING (userid, dbid, shape_id, toplevel)
                WHERE q.query = 'UPDATE err_dl SET v = v + \$1 WHERE id = \$2'")
pgi_expect_eq "errors: one deadlock (40P01) and one serialization failure (40001) on the UPDATE's shape" \
	"40001:1,40P01:1" "$got"
pgi_expect_eq "errors: the server logged the same" "2" \
	"$(grep -cE 'ERROR:  (deadlock detected|could not serialize access)' "$PGI_LOG")"


# (i) time by wait event: a row lock waited for (Lock:transactionid on the waiter's UPDATE), and
# a backend terminated inside a statement stops being sampled (its slot is cleared on exit)
pgi_sql "CREATE TABLE wt_lk (id int PRIMARY KEY, v int); INSERT INTO wt_lk VALUES (1, 0);
         SELECT insights.reset()" >/dev/null
pgi_psql -d postgres -c "BEGIN" -c "UPDATE wt_lk SET v = 1 WHERE id = 1" -c "SELECT pg_sleep(1.2)" \
	-c "COMMIT" >"$out/wt1.log" 2>&1 &
w1=$!
sleep 0.3
pgi_sql "UPDATE wt_lk SET v = 2 WHERE id = 1" >/dev/null
wait $w1
got=$(pgi_sql "SELECT w.wait_event_type || ':' || w.wait_event || ' ' || (w.samples >= 20) || ' ' || (w.share > 0.5)
                 FROM insights.waits w JOIN insights.queries q USING (userid, dbid, shape_id)
                WHERE q.query = 'UPDATE wt_lk SET v = \$1 WHERE id = \$2'
                ORDER BY w.samples DESC LIMIT 1")
pgi_expect_eq "waits: the blocked UPDATE's time is mostly Lock:transactionid (at least 20 samples of 10 ms)" \
	"Lock:transactionid true true" "$got"
pgi_psql -d postgres -c "SELECT pg_sleep(30) AS wt_term_probe" >"$out/wt2.log" 2>&1 &
w2=$!
sleep 0.5
pgi_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%AS wt_term_probe%' AND pid <> pg_backend_pid()" >/dev/null
wait $w2
term_samples() {
	pgi_sql "SELECT coalesce(sum(w.samples), 0) FROM insights.waits w JOIN insights.queries q USING (userid, dbid, shape_id)
	          WHERE q.query LIKE 'SELECT pg_sleep(\$1) AS wt_term_probe%'"
}
sleep 0.2
n1=$(term_samples)
sleep 0.5
n2=$(term_samples)
pgi_expect_true "waits: the terminated statement was sampled while it ran ($n1 samples)" test "$n1" -gt 0
pgi_expect_eq "waits: and is not sampled after its backend ended" "$n1" "$n2"

cp "$PGI_LOG" "$out/server-ring.log"
if pgi_cluster_log_check; then pgi_pass "ring: no crash in server log"; else pgi_fail "ring: no crash in server log"; fi
pgi_cluster_destroy
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
