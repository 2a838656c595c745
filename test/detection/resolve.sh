# test/detection/resolve.sh — a finding resolves by itself after the fix: sourced by run.sh (cluster
# up, template database ready).  The collector runs as a daemon (1 s interval) with nothing but
# --dbname: detection only, findings in insights.findings, no dashboard; the missing index is
# found, the index is created, the same traffic runs again, and the finding resolves with the
# before/after numbers in its evidence.
resolve_workload() {
	for k in $(seq 1 8); do echo "SELECT id FROM posts WHERE title = 'post $((k * 11))';"; done | psql_db c_resolve
}
resolve_status() {
	pgi_psql -d c_resolve -At -c "SELECT status FROM insights.findings WHERE kind = 'missing_index' AND query LIKE '%FROM posts WHERE title = \$1'"
}
wait_status() {	# wait_status WANT SECONDS
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		[[ "$(resolve_status)" == "$1" ]] && return 0
		sleep 0.25
	done
	return 1
}

pgi_sql "CREATE DATABASE c_resolve TEMPLATE tmpl" >/dev/null
"$COLLECTOR" --interval 1s --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=c_resolve" \
	>"$PGI_BASE/collector-resolve.log" 2>&1 &
resolve_pid=$!
sleep 1.5
resolve_workload
if wait_status open 10; then
	pgi_psql -d c_resolve -c "CREATE INDEX posts_title ON posts (title)" >/dev/null
	# the daemon needs the same traffic to see the signal gone (two quiet polls)
	for r in 1 2 3 4; do resolve_workload; sleep 1.1; done
	if wait_status resolved 10; then
		ev=$(pgi_psql -d c_resolve -At -c "SELECT (evidence->'before'->>'reads_per_call')::float8 || ' ' || (evidence->'after'->>'reads_per_call')::float8
		       FROM insights.findings WHERE kind = 'missing_index' AND status = 'resolved'")
		read -r before after <<<"$ev"
		if [[ -n "$before" && -n "$after" ]] && awk -v b="$before" -v a="$after" 'BEGIN { exit !(b > 10 * a) }'; then
			pass=$((pass + 1)); echo "ok   resolve: missing index resolved after CREATE INDEX (reads/call $before -> $after)"
		else
			fail=$((fail + 1)); echo "FAIL resolve: before/after evidence '$ev'"
		fi
	else
		fail=$((fail + 1)); echo "FAIL resolve: finding did not resolve after the index (status '$(resolve_status)')"
		tail -5 "$PGI_BASE/collector-resolve.log"
	fi
else
	fail=$((fail + 1)); echo "FAIL resolve: the missing index was not found (status '$(resolve_status)')"
	tail -5 "$PGI_BASE/collector-resolve.log"
fi
kill "$resolve_pid" 2>/dev/null; wait "$resolve_pid"
rc=$?
if [[ $rc == 0 ]] && grep -q "findings written to insights.findings" "$PGI_BASE/collector-resolve.log"; then
	pass=$((pass + 1)); echo "ok   resolve: the collector ran with --dbname alone (findings only) and stopped cleanly"
else
	fail=$((fail + 1)); echo "FAIL resolve: collector with --dbname alone: exit $rc"; tail -5 "$PGI_BASE/collector-resolve.log"
fi
