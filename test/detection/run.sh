#!/usr/bin/env bash
# test/detection/run.sh — the labelled detection suite: workloads with ground truth (cases.sh) on a
# real server with pg_insights, the real collector (--once) finding them, precision and recall per
# kind.  Fails below 100% recall or on any false positive.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/test/lib/cluster.sh"
source "$ROOT/test/detection/cases.sh"
export PGI_EXEC=$ROOT/test/tools/pgi_exec
COLLECTOR=$ROOT/collector/pg_insights_collector
KINDS=(n_plus_one missing_index offset_pagination repeated_query over_fetching large_nested_read frequent_errors)

psql_db() { "$PGI_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGI_SOCK" -p "$PGI_PORT" -U "$PGI_SUPERUSER" -d "$1" >/dev/null; }

pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.plan_sample_rate = 1" \
	"max_connections = 60" || { echo "detection: 0 passed, 1 failed"; exit 1; }
pgi_sql "CREATE DATABASE tmpl" >/dev/null
pgi_psql -d tmpl -v ON_ERROR_STOP=1 -f "$ROOT/test/detection/schema.sql" >/dev/null
pgi_psql -d tmpl -c "CREATE EXTENSION pg_insights" >/dev/null
# index suggestions are checked against the planner with hypothetical indexes
pgi_psql -d tmpl -c "CREATE EXTENSION hypopg" >/dev/null

cases=$(declare -F | awk '{print $3}' | sed -n 's/^case_//p')
dsns=()
for c in $cases; do
	pgi_sql "CREATE DATABASE c_$c TEMPLATE tmpl" >/dev/null
	dsns+=(--dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=c_$c")
done
for c in $cases; do "case_$c" "c_$c"; done

# the collector polls every case database once: detection runs inside that poll
if ! "$COLLECTOR" --once --output /dev/null "${dsns[@]}" 2>"$PGI_BASE/collector.log"; then
	echo "collector --once failed:"; cat "$PGI_BASE/collector.log"
fi

declare -A TP FP FN
for k in "${KINDS[@]}"; do TP[$k]=0; FP[$k]=0; FN[$k]=0; done
pass=0 fail=0
for c in $cases; do
	found=$(pgi_psql -d "c_$c" -At -F '|' -c "SELECT kind, query FROM insights.findings WHERE status = 'open' ORDER BY kind, query")
	ok=1
	# every expected finding must be there
	IFS='|' read -ra exp <<<"${EXPECT[$c]}"
	for e in "${exp[@]}"; do
		kind=${e%%:*} pat=${e#*:}
		hit=$(pgi_psql -d "c_$c" -At -c "SELECT count(*) FROM insights.findings WHERE status = 'open' AND kind = '$kind' AND query LIKE \$p\$$pat\$p\$")
		if [[ "$hit" -ge 1 ]]; then TP[$kind]=$((TP[$kind] + 1)); else FN[$kind]=$((FN[$kind] + 1)); ok=0; echo "  missed: $c expects $kind on '$pat'"; fi
	done
	# nothing else may be there
	while IFS='|' read -r kind query; do
		[[ -n "$kind" ]] || continue
		expected=0
		for e in "${exp[@]}"; do
			[[ "${e%%:*}" == "$kind" ]] || continue
			m=$(pgi_psql -d "c_$c" -At -c "SELECT \$q\$$query\$q\$ LIKE \$p\$${e#*:}\$p\$")
			[[ "$m" == t ]] && expected=1
		done
		if ((!expected)); then FP[$kind]=$((FP[$kind] + 1)); ok=0; echo "  false positive: $c: $kind on '$query'"; fi
	done <<<"$found"
	if ((ok)); then pass=$((pass + 1)); echo "ok   $c"; else fail=$((fail + 1)); echo "FAIL $c"; fi
done

# one fix, one verdict: each statement the shared index serves has the finding, each lists both
shared=$(pgi_psql -d c_missing_index_shared -At -c "SELECT count(*), min(jsonb_array_length(evidence->'serves')),
	bool_and(suggestion LIKE '%The same index serves 1 other statement%')::text, count(DISTINCT fix_sql)
	FROM insights.findings WHERE kind = 'missing_index'")
if [[ "$shared" == "2|2|true|1" ]]; then pass=$((pass + 1)); echo "ok   missing_index_shared: both statements have the finding, one fix, each names the other"
else fail=$((fail + 1)); echo "FAIL missing_index_shared: findings|shapes served|suggestion names the other|fixes = '$shared', expected 2|2|true|1"; fi
# the siblings with few calls are ranked below the one with enough calls, and all list the three
sib=$(pgi_psql -d c_missing_index_siblings -At -c "SELECT string_agg(severity || ':' || jsonb_array_length(evidence->'serves'), ',' ORDER BY query COLLATE \"C\")
	FROM insights.findings WHERE kind = 'missing_index'")
if [[ "$sib" == "info:3,warning:3,info:3" ]]; then pass=$((pass + 1)); echo "ok   missing_index_siblings: the count and IN-list statements are info, the lookup a warning, each serves 3"
else fail=$((fail + 1)); echo "FAIL missing_index_siblings: severity:served by query = '$sib', expected info:3,warning:3,info:3"; fi

echo "-- concurrent service: pools, PgBouncer, trace context"
source "$ROOT/test/detection/pooled.sh"

printf '%-20s %9s %9s %4s %4s %4s\n' kind precision recall tp fp fn
for k in "${KINDS[@]}"; do
	tp=${TP[$k]} fp=${FP[$k]} fn=${FN[$k]}
	prec=$( ((tp + fp)) && echo "scale=1; 100 * $tp / ($tp + $fp)" | bc || echo "-")
	rec=$( ((tp + fn)) && echo "scale=1; 100 * $tp / ($tp + $fn)" | bc || echo "-")
	printf '%-20s %8s%% %8s%% %4d %4d %4d\n' "$k" "$prec" "$rec" "$tp" "$fp" "$fn"
done
echo "-- the demo's Prisma workload: one missing index, every statement it serves"
source "$ROOT/test/detection/prisma_demo.sh"
source "$ROOT/test/detection/resolve.sh"
pgi_cluster_log_check || fail=$((fail + 1))
echo "detection: $pass passed, $fail failed"
((fail == 0))
