# test/regress/persistence.sh — sourced by test/groups/regress.sh (common.sh and cluster.sh loaded).
# Statistics survive a clean restart, are dropped with pg_insights.save = off, and a damaged
# stats file is logged and ignored.
pers_t=$SECONDS
PERS_SETTINGS=("shared_preload_libraries = 'pg_insights'" "pg_insights.track = all" "compute_query_id = on")
stat_file() { echo "$PGI_DATA/pg_stat/pg_insights.stat"; }
pers_calls() {	# calls of the pers_t SELECT shape ("" when absent)
	pgi_sql "SELECT coalesce(sum(calls), 0) FROM insights.queries WHERE query LIKE 'SELECT v FROM pers_t WHERE id = %'"
}
pers_workload() {	# N executions of the pers_t SELECT, tagged
	local i
	for ((i = 0; i < $1; i++)); do
		echo "SELECT v FROM pers_t WHERE id = $i /*route='%2Fpersist'*/;"
	done | pgi_psql -v ON_ERROR_STOP=1 -d postgres >/dev/null
}

if ! pgi_cluster_start "${PERS_SETTINGS[@]}"; then
	pgi_fail "persistence: cluster start"
else
	pgi_sql "CREATE EXTENSION pg_insights; CREATE TABLE pers_t (id int, v text); SELECT insights.reset();" >/dev/null
	pers_workload 7
	before=$(pgi_sql "SELECT query, calls, rows, toplevel, tables, first_seen FROM insights.queries WHERE query LIKE '%pers_t%' AND query NOT LIKE '%insights%' ORDER BY query")
	before_attr=$(pgi_sql "SELECT tags, route, calls FROM insights.attribution WHERE route = '/persist'")
	pgi_expect_eq "persistence: workload counted" "$(pers_calls)" 7

	# clean restart: everything back, then counting goes on
	pgi_cluster_stop fast
	pgi_expect_true "persistence: stats file written at shutdown" test -s "$(stat_file)"
	pgi_ctl start
	after=$(pgi_sql "SELECT query, calls, rows, toplevel, tables, first_seen FROM insights.queries WHERE query LIKE '%pers_t%' AND query NOT LIKE '%insights%' ORDER BY query")
	pgi_expect_eq "persistence: rows identical after restart" "$after" "$before"
	pgi_expect_eq "persistence: attribution identical after restart" \
		"$(pgi_sql "SELECT tags, route, calls FROM insights.attribution WHERE route = '/persist'")" "$before_attr"
	pers_workload 3
	pgi_expect_eq "persistence: counting continues after restart" "$(pers_calls)" 10

	# crash (immediate stop): nothing is saved, the server starts, previous file not trusted
	# blindly: either the last clean state or nothing, never more than was counted
	pgi_cluster_stop immediate
	pgi_ctl start
	c=$(pers_calls)
	if [[ "$c" == 0 || "$c" == 7 || "$c" == 10 ]]; then pgi_pass "persistence: after a crash calls are 0, 7 or 10 ($c)"; else pgi_fail "persistence: after a crash" "calls $c"; fi

	# damaged files: truncated, bit flip, garbage, empty, foreign (another extension's file)
	for damage in truncate flip garbage empty; do
		pgi_sql "SELECT insights.reset()" >/dev/null
		pers_workload 5
		pgi_cluster_stop fast
		f=$(stat_file)
		size=$(stat -c %s "$f" 2>/dev/null || echo 0)
		case $damage in
		truncate) pgi_as_owner truncate -s $((size / 2)) "$f" ;;
		flip)	# flip one byte in the middle (the header stays intact)
			off=$((size / 2))
			b=$(od -An -tu1 -j $off -N1 "$f" | tr -d ' ')
			printf "$(printf '\\%03o' $(((b ^ 255) & 255)))" |
				pgi_as_owner dd of="$f" bs=1 seek=$off conv=notrunc status=none ;;
		garbage) head -c "$size" /dev/urandom | pgi_as_owner tee "$f" >/dev/null ;;
		empty) pgi_as_owner truncate -s 0 "$f" ;;
		esac
		lines_before=$(wc -l <"$PGI_LOG")
		if pgi_ctl start && pgi_sql "SELECT 1" >/dev/null; then
			pgi_pass "persistence: server starts with a $damage stats file"
		else
			pgi_fail "persistence: server starts with a $damage stats file"
			continue
		fi
		newlog=$(tail -n +$((lines_before + 1)) "$PGI_LOG")
		if grep -qiE '(LOG|WARNING).*pg_insights' <<<"$newlog"; then
			pgi_pass "persistence: $damage stats file logged"
		else
			pgi_fail "persistence: $damage stats file logged" "no LOG/WARNING naming pg_insights in the log"
		fi
		c=$(pers_calls)
		if [[ "$damage" == flip && "$c" == 5 ]]; then
			# a flip that lands in padding might not matter; a checksummed file must not load
			pgi_fail "persistence: flipped stats file ignored" "calls 5 restored from a file with a flipped byte"
		else
			pgi_expect_eq "persistence: $damage stats file ignored" "$c" 0
		fi
		pers_workload 2
		pgi_expect_eq "persistence: counting works after a $damage stats file" "$(pers_calls)" 2
	done

	# pg_insights.save = off: nothing restored after a restart
	pgi_sql "SELECT insights.reset()" >/dev/null
	pers_workload 4
	pgi_cluster_set "pg_insights.save = off"
	pgi_cluster_restart fast
	pgi_expect_eq "persistence: save = off drops the stats" "$(pers_calls)" 0
	pers_workload 1
	pgi_cluster_restart fast
	pgi_expect_eq "persistence: save = off, still nothing after the next restart" "$(pers_calls)" 0

	cp "$PGI_LOG" "$out/persistence.server.log"
	if pgi_cluster_log_check; then pgi_pass "persistence: no crash in server log"; else pgi_fail "persistence: no crash in server log"; fi
	pgi_cluster_destroy
fi
echo "  (persistence: $((SECONDS - pers_t))s)"
