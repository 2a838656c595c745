#!/usr/bin/env bash
# concurrency group: pgbench with several clients; afterwards the calls counted equal the
# transactions pgbench reports, exactly.
#   (a) one shape: the builtin select-only script (-S), simple and prepared protocol
#   (b) a custom script of several shapes (IN-lists of varying length, tagged statements)
#   (c) the same under eviction churn (max_shapes = 100, 300 distinct shapes)
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
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
