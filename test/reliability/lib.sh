# test/reliability/lib.sh — helpers of test/groups/reliability.sh (common.sh and cluster.sh
# are loaded first).  Source it.
#
#   rel_wait_ready SECS              wait until the current cluster answers SELECT 1
#   rel_q SECS SQL                   pgi_sql under an external timeout (LWLock waits ignore
#                                    statement_timeout, so only a timeout from outside can tell a
#                                    stuck lock); exit 124 on timeout
#   rel_log_mark / rel_log_since M   line count of the server log / its lines after mark M
#   rel_crash_lines [--allow-kill]   lines of the server log (stdin) that show a crash; with
#                                    --allow-kill the "terminated by signal 9" lines of our own
#                                    kill -9 are not counted
#   rel_setup_workload NTABLES       tables, the hot counters and pgi_hot_tick() in postgres
#   rel_write_scripts DIR NTABLES    pgbench scripts: hot.pgbench and churn-K.pgbench (12 distinct
#                                    tables each); prints the pgbench -f arguments
#   rel_hot_check LABEL PGBENCH_LOG  assert the hot set's calls equal the executions exactly
#   rel_sampler_start FILE / rel_sampler_stop
#                                    sample pg_stat_activity every 100 ms for backends waiting on
#                                    our LWLock (wait_event_type LWLock, wait_event pg_insights)
#   rel_sampler_report FILE          prints "SAMPLES WITH_WAITER OBSERVATIONS LONGEST_MS CREATED
#                                    ABSENT": the longest wait is the span over which one statement
#                                    (same pid and query_start) was seen waiting in consecutive
#                                    samples; CREATED counts the distinct first_seen values of the
#                                    hot UPDATE's entry seen (1 = never evicted), ABSENT the samples
#                                    that found no entry for it
#   rel_ns_available                 can we make a private mount namespace with a tmpfs (root)?
#   rel_start_in_ns "MOUNT CMDS" [VAR=VALUE ...]
#                                    start the current cluster inside a new private mount namespace
#                                    after running MOUNT CMDS (sh) in it; the environment settings
#                                    go to the postmaster.  The mounts exist only for that
#                                    postmaster and its children and vanish when it exits.

REL_SAMPLER_PID=
REL_SAMPLER_FLAG=

rel_wait_ready() {
	local deadline=$((SECONDS + ${1:-60}))
	while ((SECONDS < deadline)); do
		timeout 10 "$PGI_PGBIN/psql" -X -At -h "$PGI_SOCK" -p "$PGI_PORT" -U "$PGI_SUPERUSER" \
			-d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

rel_q() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$PGI_PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PGI_SOCK" \
		-p "$PGI_PORT" -U "$PGI_SUPERUSER" -d "${PGI_DB:-postgres}" -c "$1"
}

rel_log_mark() { wc -l <"$PGI_LOG"; }
rel_log_since() { tail -n +$(($1 + 1)) "$PGI_LOG"; }

rel_crash_lines() {
	if [[ "${1:-}" == --allow-kill ]]; then
		grep -Ev 'terminated by signal 9: Killed' | grep -E "$PGI_CRASH_RE"
	else
		grep -E "$PGI_CRASH_RE"
	fi
}

rel_setup_workload() {
	local n=$1
	pgi_sql "
		CREATE EXTENSION IF NOT EXISTS pg_insights;
		CREATE TABLE pgi_hot (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
		INSERT INTO pgi_hot SELECT g, 0 FROM generate_series(1, 1000) g;
		CREATE TABLE pgi_hot2 (id int PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
		INSERT INTO pgi_hot2 SELECT g, 0 FROM generate_series(1, 1000) g;
		CREATE FUNCTION pgi_hot_tick(i int) RETURNS bigint LANGUAGE plpgsql AS
		  \$f\$ DECLARE r bigint; BEGIN
		    UPDATE pgi_hot2 SET n = n + 1 WHERE id = i RETURNING n INTO r; RETURN r;
		  END \$f\$;
		DO \$d\$ BEGIN FOR k IN 1..$n LOOP
		  EXECUTE format('CREATE TABLE IF NOT EXISTS churn_%s (id int)', k);
		END LOOP; END \$d\$;
		SELECT insights.reset();" >/dev/null
}

# The hot set: a tagged top-level UPDATE, a top-level SELECT of a function and the function's
# nested UPDATE; each execution is also counted in a table, the exact reference.  The churn
# scripts read 12 distinct tables each (a table name makes a shape; constants would not).
rel_write_scripts() {
	local dir=$1 n=$2 k i nscripts
	mkdir -p "$dir"
	cat >"$dir/hot.pgbench" <<'SQL'
\set id random(1, 1000)
UPDATE pgi_hot SET n = n + 1 WHERE id = :id /*route='%2Fhot',action='tick'*/;
SELECT pgi_hot_tick(:id);
SQL
	nscripts=$(((n + 11) / 12))
	((nscripts > 127)) && nscripts=127	# pgbench takes at most 128 scripts
	local args=(-f "$dir/hot.pgbench@$nscripts")
	for ((k = 0; k < nscripts; k++)); do
		: >"$dir/churn-$k.pgbench"
		for ((i = 1; i <= n; i++)); do
			((i % nscripts == k)) && echo "SELECT count(*) FROM churn_$i;" >>"$dir/churn-$k.pgbench"
		done
		args+=(-f "$dir/churn-$k.pgbench@1")
	done
	[[ $(id -u) -eq 0 ]] && chmod -R a+rX "$dir"
	echo "${args[@]}"
}

# rel_hot_check LABEL [PGBENCH_LOG]: calls of the hot shapes == rows counted in the tables
rel_hot_check() {
	local label=$1 log=${2:-} ref ref2 got tx
	ref=$(rel_q 30 "SELECT sum(n) FROM pgi_hot")
	ref2=$(rel_q 30 "SELECT sum(n) FROM pgi_hot2")
	got=$(rel_q 30 "SELECT
		(SELECT coalesce(sum(calls), 0) || '/' || count(*) FROM insights.queries
		  WHERE query LIKE 'UPDATE pgi_hot SET%' AND toplevel) || ' ' ||
		(SELECT coalesce(sum(calls), 0) || '/' || count(*) FROM insights.queries
		  WHERE query LIKE 'SELECT pgi_hot_tick(%' AND toplevel) || ' ' ||
		(SELECT coalesce(sum(calls), 0) || '/' || count(*) FROM insights.queries
		  WHERE query LIKE 'UPDATE pgi_hot2 SET%' AND NOT toplevel) || ' ' ||
		(SELECT coalesce(sum(calls), 0) || '/' || count(*) FROM insights.attribution
		  WHERE route = '/hot')")
	pgi_expect_eq "$label: hot set calls == executions (tagged UPDATE, SELECT f(), nested UPDATE, attribution; reference $ref)" \
		"$got" "$ref/1 $ref2/1 $ref2/1 $ref/1"
	if [[ -n "$log" ]]; then
		if grep -q '^SQL script [0-9]*:' "$log"; then
			tx=$(awk '/^SQL script [0-9]+: .*hot\.pgbench/ {f=1} f && /- [0-9]+ transactions/ {print $2; exit}' "$log")
		else	# one script: no per-script section
			tx=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$log")
		fi
		pgi_expect_eq "$label: pgbench's hot transactions == executions counted in the table" "$tx" "$ref"
	fi
}

rel_sampler_start() {
	local file=$1
	REL_SAMPLER_FLAG=$file.running
	: >"$REL_SAMPLER_FLAG"
	(
		while [[ -e "$REL_SAMPLER_FLAG" ]]; do
			echo "SELECT extract(epoch FROM clock_timestamp())::numeric(20,3) || '|' ||
				(SELECT coalesce(string_agg(pid || ':' || extract(epoch FROM query_start)::numeric(20,6), ' '), '')
				   FROM pg_stat_activity WHERE wait_event_type = 'LWLock' AND wait_event = 'pg_insights') || '|' ||
				coalesce((SELECT string_agg(extract(epoch FROM first_seen)::numeric(20,6)::text, ',')
				   FROM insights.queries WHERE query LIKE 'UPDATE pgi_hot SET%' AND toplevel), '-');"
			sleep 0.1
		done
	) | "$PGI_PGBIN/psql" -X -q -At -h "$PGI_SOCK" -p "$PGI_PORT" -U "$PGI_SUPERUSER" -d postgres \
		-v application_name=pgi_sampler >"$file" 2>"$file.err" &
	REL_SAMPLER_PID=$!
}

rel_sampler_stop() {
	[[ -n "$REL_SAMPLER_FLAG" ]] && rm -f "$REL_SAMPLER_FLAG"
	[[ -n "$REL_SAMPLER_PID" ]] && wait "$REL_SAMPLER_PID" 2>/dev/null
	REL_SAMPLER_PID= REL_SAMPLER_FLAG=
}

rel_sampler_report() {
	awk -F'|' '
		NF >= 1 && $1 ~ /^[0-9.]+$/ {
			samples++
			t = $1 + 0
			delete now
			n = split($2, w, " ")
			if (n > 0) with++
			for (i = 1; i <= n; i++) {
				obs++
				k = w[i]
				now[k] = 1
				if (!(k in start)) start[k] = t
				d = (t - start[k]) * 1000
				if (d > longest) longest = d
			}
			for (k in start) if (!(k in now)) delete start[k]
			if ($3 != "" && $3 != "-" && !($3 in seen)) { seen[$3] = 1; created++ }
			if ($3 == "-") absent++
		}
		END { printf "%d %d %d %d %d %d\n", samples, with, obs, longest, created, absent }' "$1"
}

rel_ns_available() {
	[[ $(id -u) -eq 0 ]] || return 1
	command -v unshare >/dev/null || return 1
	local d
	d=$(mktemp -d)
	unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$d' && touch '$d/x'" >/dev/null 2>&1
	local rc=$?
	rmdir "$d" 2>/dev/null
	return $rc
}

rel_start_in_ns() {
	local mounts=$1
	shift
	unshare -m --propagation private sh -c "set -e; $mounts
		exec runuser -u postgres -- env $* '$PGI_PGBIN/pg_ctl' -D '$PGI_DATA' -l '$PGI_LOG' -w -t 120 start" \
		>>"$PGI_BASE/pg_ctl.log" 2>&1
}
