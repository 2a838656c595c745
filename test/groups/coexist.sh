#!/usr/bin/env bash
# coexist group: pg_insights next to pg_stat_statements and auto_explain in
# shared_preload_libraries, in both orders: all three work, our counts equal the workload's.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$PGI_ROOT/test/lib/cluster.sh"
group=coexist
t0=$SECONDS
out=${PGI_OUT:-$(mktemp -d)}/coexist
mkdir -p "$out"
PGI_EXEC=$PGI_ROOT/test/tools/pgi_exec

coexist_run() {
	local label=$1 libs=$2
	if ! pgi_cluster_start "shared_preload_libraries = '$libs'" "pg_insights.track = all" \
		"pg_stat_statements.track = all" "auto_explain.log_min_duration = 0" \
		"auto_explain.log_nested_statements = on"; then
		pgi_fail "$label: cluster start"
		return
	fi
	pgi_sql "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION pg_insights;
		CREATE TABLE co_t (id int PRIMARY KEY, v text);
		INSERT INTO co_t SELECT g, 'v' || g FROM generate_series(1, 100) g;
		CREATE FUNCTION co_f(n int) RETURNS bigint LANGUAGE plpgsql AS \$\$
		  DECLARE r bigint; BEGIN SELECT count(*) INTO r FROM co_t WHERE id <= n; RETURN r; END \$\$;" >/dev/null
	pgi_sql "SELECT pg_stat_statements_reset(); SELECT insights.reset();" >/dev/null
	# workload: 20 simple + 15 extended + 5 named prepared executions of one shape; 6 function calls
	local i
	for ((i = 1; i <= 20; i++)); do echo "SELECT v FROM co_t WHERE id = $i;"; done | pgi_psql -d postgres >/dev/null
	PGDATABASE=postgres "$PGI_EXEC" params*15 'SELECT v FROM co_t WHERE id = $1' 3 :: \
		prepare s1 'SELECT v FROM co_t WHERE id = $1' :: execute*5 s1 4
	for ((i = 1; i <= 6; i++)); do echo "SELECT co_f($i);"; done | pgi_psql -d postgres >/dev/null

	pgi_expect_eq "$label: pg_insights counts the shape" \
		"$(pgi_sql "SELECT sum(calls) FROM insights.queries WHERE query = 'SELECT v FROM co_t WHERE id = \$1'")" 40
	pgi_expect_eq "$label: pg_stat_statements counts the shape" \
		"$(pgi_sql "SELECT sum(calls) FROM pg_stat_statements WHERE query = 'SELECT v FROM co_t WHERE id = \$1'")" 40
	pgi_expect_eq "$label: pg_insights counts nested statements" \
		"$(pgi_sql "SELECT sum(calls) FROM insights.queries WHERE NOT toplevel AND query LIKE '%FROM co_t WHERE id <= n%'")" 6
	pgi_expect_eq "$label: pg_stat_statements counts nested statements" \
		"$(pgi_sql "SELECT sum(calls) FROM pg_stat_statements WHERE NOT toplevel AND query LIKE '%FROM co_t WHERE id <= n%'")" 6
	pgi_expect_eq "$label: same queryid as pg_stat_statements" \
		"$(pgi_sql "SELECT count(*) FROM insights.queries i JOIN pg_stat_statements p USING (queryid) WHERE i.query = 'SELECT v FROM co_t WHERE id = \$1' AND p.query = i.query")" 1
	local plans
	plans=$(grep -c 'duration: .* plan:' "$PGI_LOG")
	if grep -q 'Query Text: SELECT v FROM co_t WHERE id = 20' "$PGI_LOG" && ((plans >= 46)); then
		pgi_pass "$label: auto_explain logs plans ($plans)"
	else
		pgi_fail "$label: auto_explain logs plans" "$plans plans in the log"
	fi
	cp "$PGI_LOG" "$out/$label.server.log"
	if pgi_cluster_log_check; then pgi_pass "$label: no crash in server log"; else pgi_fail "$label: no crash in server log"; fi
	pgi_cluster_destroy
}

coexist_run "pgss,auto_explain,pg_insights" "pg_stat_statements,auto_explain,pg_insights"
coexist_run "pg_insights,auto_explain,pgss" "pg_insights,auto_explain,pg_stat_statements"
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
