#!/usr/bin/env bash
# bench/overhead.sh — what does pg_insights cost, next to pg_stat_statements and to nothing?
#
# Side by side, in one run, on throwaway clusters it creates itself:
#   configurations: none (no shared_preload_libraries), pgss (pg_stat_statements),
#                   pgi (pg_insights), both (pg_stat_statements,pg_insights; callgrind only by default)
#   a) instructions per statement: valgrind --tool=callgrind of `postgres --single` fed N point
#      SELECTs on stdin, minus the same run with 0 statements, divided by N (deterministic);
#   b) pgbench -S, simple and prepared protocol, configurations alternating in rounds; median TPS;
#   c) many shapes: 4 x max_shapes distinct statement shapes (one table each), max_shapes =
#      pg_stat_statements.max = SHAPES_MAX, forcing eviction; median TPS, evictions / dealloc.
# Results are reported as ratios; nothing here is a pass/fail threshold.
#
# Usage (as root):  bench/overhead.sh            full run (~10 minutes)
#                   QUICK=1 bench/overhead.sh    smoke run (~2 minutes)
# Knobs (environment): CG_N, CG_CONFIGS, CALLGRIND=0|1, PGBENCH=0|1, ROUNDS, DURATION (s per pgbench
#   run), CLIENTS, JOBS, SCALE, SHAPES_MAX, BENCH_CONFIGS, PROFILE_TOP, RESULTS_DIR, KEEP=1 (keep tmp dir).
set -euo pipefail

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	CG_N=${CG_N:-300}; ROUNDS=${ROUNDS:-2}; DURATION=${DURATION:-3}
else
	CG_N=${CG_N:-2000}; ROUNDS=${ROUNDS:-3}; DURATION=${DURATION:-15}
fi
CALLGRIND=${CALLGRIND:-1}
PGBENCH=${PGBENCH:-1}
CG_CONFIGS=${CG_CONFIGS:-"none pgss pgi both"}
CG_WORKLOADS=${CG_WORKLOADS:-"point tagged overcap savepoint multi"}
CG_MULTI=${CG_MULTI:-20000}
PGB_WORKLOADS=${PGB_WORKLOADS:-"simple prepared shapes tagged overcap savepoint multi"}
BENCH_CONFIGS=${BENCH_CONFIGS:-"none pgss pgi"}
CLIENTS=${CLIENTS:-8}
JOBS=${JOBS:-2}
SCALE=${SCALE:-1}
SHAPES_MAX=${SHAPES_MAX:-1000}
SHAPES=$((4 * SHAPES_MAX))
PROFILE_TOP=${PROFILE_TOP:-15}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$HERE/results}
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
PKGLIBDIR=$("$PG_CONFIG" --pkglibdir)
STAMP=$(date -u +%Y-%m-%d-%H%M)
RESULT_FILE=$RESULTS_DIR/overhead-$STAMP.txt

die() { echo "overhead.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

[[ $(id -u) == 0 ]] || die "run as root (PostgreSQL binaries are run as the postgres user via runuser)"
id postgres >/dev/null 2>&1 || die "no postgres user (apt-get install postgresql-15)"
[[ -x $BINDIR/postgres && -x $BINDIR/pgbench ]] || die "postgres/pgbench not found in $BINDIR"
[[ -f $PKGLIBDIR/pg_stat_statements.so ]] || die "pg_stat_statements.so missing from $PKGLIBDIR"
if [[ $CALLGRIND == 1 ]]; then
	command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
		die "valgrind missing (apt-get install valgrind)"
fi
if [[ ! -f $PKGLIBDIR/pg_insights.so ]]; then
	log "pg_insights.so not installed: building and installing it"
	make -C "$REPO" >&2 && make -C "$REPO" install >&2
fi
SO_MD5=$(md5sum "$PKGLIBDIR/pg_insights.so" | cut -c1-12)

as_pg() { runuser -u postgres -- "$@"; }

# ---------------------------------------------------------------- private workspace
WORK=$(mktemp -d /tmp/pgi-bench.XXXXXX)
chown postgres: "$WORK"
chmod 700 "$WORK"
PORT=$((20000 + RANDOM % 20000))
SOCK=$WORK                      # unix socket only, in our own directory
DATA=$WORK/data                 # the server used for pgbench
CGTMPL=$WORK/cg-template        # pristine copy for the callgrind runs
CGDATA=$WORK/cg-data
SERVER_UP=0

cleanup() {
	local rc=$?
	if [[ $SERVER_UP == 1 || -f $DATA/postmaster.pid ]]; then
		as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	if [[ ${KEEP:-0} == 1 ]]; then
		echo "kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

preload_of() {
	case $1 in
	none) echo "" ;;
	pgss) echo "pg_stat_statements" ;;
	pgi) echo "pg_insights" ;;
	both) echo "pg_stat_statements,pg_insights" ;;
	*) die "unknown configuration $1" ;;
	esac
}

# server options for a configuration (as postgres -c ... arguments)
opts_of() {
	local cfg=$1
	echo "-c shared_preload_libraries=$(preload_of "$cfg") -c jit=off -c huge_pages=off"
	case $cfg in pgss | both) echo "-c pg_stat_statements.save=off -c pg_stat_statements.max=$SHAPES_MAX" ;; esac
	case $cfg in pgi | both) echo "-c pg_insights.save=off -c pg_insights.max_shapes=$SHAPES_MAX" ;; esac
}

start_server() {
	local cfg=$1
	as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w -t 60 \
		-o "-p $PORT -k $SOCK -c listen_addresses='' $(opts_of "$cfg" | tr '\n' ' ')" start >/dev/null
	SERVER_UP=1
}
stop_server() {
	as_pg "$BINDIR/pg_ctl" -D "$DATA" -w -t 120 -m fast stop >/dev/null
	SERVER_UP=0
}
psql_q() { "$BINDIR/psql" -h "$SOCK" -p "$PORT" -U postgres -d bench -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# ---------------------------------------------------------------- cluster setup
log "workspace $WORK, port $PORT"
as_pg "$BINDIR/initdb" -D "$DATA" -A trust -U postgres --no-sync >/dev/null
cat >>"$DATA/postgresql.conf" <<EOF
# bench/overhead.sh
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
max_connections = 50
shared_buffers = 128MB
EOF
start_server both
"$BINDIR/createdb" -h "$SOCK" -p "$PORT" -U postgres bench
"$BINDIR/pgbench" -h "$SOCK" -p "$PORT" -U postgres -i -s "$SCALE" -q bench >/dev/null 2>&1
psql_q -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION pg_insights" \
	-c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT"
stop_server
# the callgrind runs each start from an identical copy of this directory
cp -a "$DATA" "$CGTMPL"

# ---------------------------------------------------------------- a) callgrind
declare -A IR                     # IR[workload.cfg.n] = total instructions of one run
cg_run() {                        # cg_run CFG N WORKLOAD -> $WORK/cg.WORKLOAD.CFG.N.out
	local cfg=$1 n=$2 w=$3 out=$WORK/cg.$3.$1.$2.out
	rm -rf "$CGDATA"
	cp -a "$CGTMPL" "$CGDATA"
	# shellcheck disable=SC2046
	as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$BINDIR/postgres" --single -D "$CGDATA" $(opts_of "$cfg") bench \
		<"$WORK/stmts.$w.$n.sql" >"$WORK/cg.$w.$cfg.$n.stdout" 2>"$WORK/cg.$w.$cfg.$n.stderr" ||
		die "callgrind run $w/$cfg/$n failed, see $WORK/cg.$w.$cfg.$n.stderr (KEEP=1 keeps it)"
	if grep -q "ERROR:" "$WORK/cg.$w.$cfg.$n.stdout" "$WORK/cg.$w.$cfg.$n.stderr"; then
		die "statement errors in callgrind run $w/$cfg/$n"
	fi
	IR[$w.$cfg.$n]=$(awk '/^totals:/ {print $2}' "$out")
}

# "count<TAB>function [object]" for every function of a callgrind file
cg_functions() {                  # cg_functions FILE yes|no(inclusive)
	callgrind_annotate --auto=no --threshold=100 --inclusive="$2" "$1" 2>/dev/null |
		awk '/file:function/ {body = 1; next}
		     body && $2 ~ /^\(/ {
			c = $1; gsub(/,/, "", c)
			sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "")
			print c "\t" $0 }'
}

# per-statement difference of self cost, (A.N - A.0) - (B.N - B.0), top entries
cg_delta() {                      # cg_delta CFG_A CFG_B N TOP
	local a=$1 b=$2 n=$3 top=$4
	{
		cg_functions "$WORK/cg.point.$a.$n.out" no | sed 's/^/A1\t/'
		cg_functions "$WORK/cg.point.$a.0.out" no | sed 's/^/A0\t/'
		cg_functions "$WORK/cg.point.$b.$n.out" no | sed 's/^/B1\t/'
		cg_functions "$WORK/cg.point.$b.0.out" no | sed 's/^/B0\t/'
	} | awk -F'\t' -v n="$n" '
		{ s = ($1 == "A1" || $1 == "B0") ? 1 : -1; d[$3] += s * $2 }
		END { for (f in d) if (d[f] / n >= 1 || d[f] / n <= -1) printf "%10.0f  %s\n", d[f] / n, f }' |
		sort -k1,1nr | head -n "$top"
}

# pg_insights.so functions: inclusive instructions per statement, and the part not spent in the
# standard_* / previous-hook calls they wrap
cg_pgi_profile() {                # cg_pgi_profile CFG N
	local cfg=$1 n=$2
	for k in "$n" 0; do
		callgrind_annotate --auto=no --threshold=100 --inclusive=yes --tree=calling \
			"$WORK/cg.point.$cfg.$k.out" 2>/dev/null |
			awk -v tag="R$k" '
			/^ *[0-9,]+ +\( *[0-9.]+%\) +\* +/ {
				c = $1; gsub(/,/, "", c); l = $0
				sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +\* +/, "", l)
				cur = l; if (l ~ /pg_insights\.so\]/) print tag "\tI\t" c "\t" l
				next }
			/^ *[0-9,]+ +\( *[0-9.]+%\) +> +/ {
				if (cur !~ /pg_insights\.so\]/) next
				c = $1; gsub(/,/, "", c); l = $0
				sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +> +/, "", l)
				# wrapped work: the standard implementation, or the hook chained before us
				if (l ~ /:standard_/ || l ~ /pg_stat_statements\.so\]/ || l ~ /:pgss_/)
					print tag "\tW\t" c "\t" cur
				next }
			/^$/ { cur = "" }'
	done | awk -F'\t' -v n="$n" -v zero="R0" '
		{ s = ($1 == zero) ? -1 : 1
		  if ($2 == "I") inc[$4] += s * $3; else wrap[$4] += s * $3 }
		END { for (f in inc) {
				g = f; sub(/^.*:/, "", g); sub(/ \[.*$/, "", g)
				if (inc[f] / n >= 0.5)
					printf "%10.0f %10.0f  %s\n", inc[f] / n, (inc[f] - wrap[f]) / n, g } }' |
		sort -k2,2nr
}

jumble_cost() {                   # jumble_cost CFG N
	local i1 i0
	i1=$(cg_functions "$WORK/cg.point.$1.$2.out" yes | awk -F'\t' '$2 ~ /:JumbleQuery / {print $1}')
	i0=$(cg_functions "$WORK/cg.point.$1.0.out" yes | awk -F'\t' '$2 ~ /:JumbleQuery / {print $1}')
	echo $(((${i1:-0} - ${i0:-0}) / $2))
}

# statements of one callgrind workload, one per line (single-user mode ends a statement at each
# newline); "multi" is one line holding n statements, sent as one simple-protocol message
gen_workload() {                  # gen_workload WORKLOAD N
	awk -v w="$1" -v n="$2" -v rows=$((100000 * SCALE)) 'BEGIN {
		srand(42)
		sel = "SELECT abalance FROM pgbench_accounts WHERE aid = "
		if (w == "multi") {
			for (i = 0; i < n; i++) printf "%s%d;", sel, (i * 7919) % rows + 1
			if (n) printf "\n"
			exit
		}
		for (i = 0; i < n; i++) {
			k = (i * 7919) % rows + 1
			if (w == "point")
				printf "%s%d;\n", sel, k
			else if (w == "tagged") {
				tp = ""
				for (j = 0; j < 48; j++) tp = tp sprintf("%x", int(rand() * 16))
				printf "%s%d /*prismaQuery=\x27Acc.findUnique%%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0\x27,traceparent=\x2700-%s-%s-01\x27*/;\n", sel, k, substr(tp, 1, 32), substr(tp, 33, 16)
			} else if (w == "overcap")
				printf "%s%d /*route=\x27%%2Froute%d\x27*/;\n", sel, k, i % 200
			else if (w == "savepoint") {
				# one request of a row-level-security app: 6 statements
				m = i % 6
				if (m == 0) printf "BEGIN;\n"
				else if (m == 1) printf "SAVEPOINT sp_%d;\n", i
				else if (m == 2) printf "SET LOCAL app.tenant = \x27%d\x27;\n", i
				else if (m == 3) printf "%s%d;\n", sel, k
				else if (m == 4) printf "RELEASE SAVEPOINT sp_%d;\n", i - 3
				else printf "COMMIT;\n"
			}
		}
	}'
}

if [[ $CALLGRIND == 1 ]]; then
	for w in $CG_WORKLOADS; do
		if [[ $w == multi ]]; then ns="0 $CG_MULTI"; else ns="0 $CG_N $((2 * CG_N))"; fi
		for n in $ns; do gen_workload "$w" "$n" >"$WORK/stmts.$w.$n.sql"; done
	done
	chown postgres: "$WORK"/stmts.*.sql
	for w in $CG_WORKLOADS; do
		if [[ $w == multi ]]; then ns="0 $CG_MULTI"; else ns="0 $CG_N $((2 * CG_N))"; fi
		for cfg in $CG_CONFIGS; do
			[[ $w != point && $cfg == both ]] && continue
			for n in $ns; do
				log "callgrind: $w, $cfg, $n statements"
				cg_run "$cfg" "$n" "$w"
			done
		done
	done
	# determinism check: repeat one run
	first=${CG_CONFIGS%% *}
	cp "$WORK/cg.point.$first.$CG_N.out" "$WORK/cg.first.keep"
	cg_run "$first" "$CG_N" point
	CG_REPEAT_DIFF=$((${IR[point.$first.$CG_N]} - $(awk '/^totals:/ {print $2}' "$WORK/cg.first.keep")))
fi

# ---------------------------------------------------------------- b) c) pgbench
declare -A TPS                    # TPS[workload.cfg] = "tps tps tps"
declare -A EVICT                  # EVICT[cfg] = "n n n"
declare -A XLOCKS                 # XLOCKS[workload] = "n n n" (pg_insights' exclusive store locks per run)
tps_of() { awk '/^tps = / {print $3; exit}'; }
exclusive_locks() {
	case $1 in pgi | both) psql_q -c "SELECT store_exclusive_locks FROM insights.info" ;; *) echo "-" ;; esac
}
pgb() { "$BINDIR/pgbench" -h "$SOCK" -p "$PORT" -U postgres -n -c "$CLIENTS" -j "$JOBS" "$@" bench 2>&1; }
evictions() {
	case $1 in
	pgss) psql_q -c "SELECT dealloc FROM pg_stat_statements_info" ;;
	pgi) psql_q -c "SELECT evictions FROM insights.info" ;;
	both) psql_q -c "SELECT (SELECT dealloc FROM pg_stat_statements_info) || '/' || (SELECT evictions FROM insights.info)" ;;
	*) echo "-" ;;
	esac
}

if [[ $PGBENCH == 1 ]]; then
	log "many shapes: creating $SHAPES one-row tables"
	start_server none
	awk -v n="$SHAPES" 'BEGIN { for (i = 1; i <= n; i++)
		printf "CREATE TABLE ms_%d (v int); INSERT INTO ms_%d VALUES (%d);\n", i, i, i }' >"$WORK/ms.sql"
	psql_q -f "$WORK/ms.sql" >/dev/null
	psql_q -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT" >/dev/null
	stop_server
	# constants never make a shape; the relation does: SHAPES distinct shapes, uniform
	printf '\\set k random(1, %d)\nSELECT v FROM ms_:k;\n' "$SHAPES" >"$WORK/many_shapes.pgbench"
	sel="SELECT abalance FROM pgbench_accounts WHERE aid = :aid"
	# a Prisma tag with a new traceparent per statement (32 + 16 decimal digits are hex digits too)
	cat >"$WORK/tagged.pgbench" <<-EOF
	\set aid random(1, $((100000 * SCALE)))
	\set t1 random(1000000000000000, 9999999999999999)
	\set t2 random(1000000000000000, 9999999999999999)
	\set s1 random(1000000000000000, 9999999999999999)
	$sel /*prismaQuery='Acc.findUnique%3AeyJ3aGVyZSI6eyJhaWQiOnt9fX0',traceparent='00-:t1:t2-:s1-01'*/;
	EOF
	cat >"$WORK/overcap.pgbench" <<-EOF
	\set aid random(1, $((100000 * SCALE)))
	\set r random(1, 200)
	$sel /*route='%2Froute:r'*/;
	EOF
	cat >"$WORK/savepoint.pgbench" <<-EOF
	\set aid random(1, $((100000 * SCALE)))
	\set r random(1, 1000000)
	BEGIN;
	SAVEPOINT sp_:r;
	SET LOCAL app.tenant = ':r';
	$sel;
	RELEASE SAVEPOINT sp_:r;
	COMMIT;
	EOF
	{
		echo "\\set aid random(1, $((100000 * SCALE)))"
		for ((i = 1; i < 100; i++)); do printf '%s \\;' "$sel"; done
		echo "$sel;"
	} >"$WORK/multi.pgbench"

	for ((r = 1; r <= ROUNDS; r++)); do
		# rotate the order of the configurations from round to round
		read -ra cfgs <<<"$BENCH_CONFIGS"
		rot=$(((r - 1) % ${#cfgs[@]}))
		cfgs=("${cfgs[@]:rot}" "${cfgs[@]:0:rot}")
		for cfg in "${cfgs[@]}"; do
			log "pgbench round $r/$ROUNDS: $cfg"
			start_server "$cfg"
			pgb -S -T 2 >/dev/null # warm the buffers and caches
			for w in $PGB_WORKLOADS; do
				case $w in
				simple) t=$(pgb -S -M simple -T "$DURATION" | tps_of) ;;
				prepared) t=$(pgb -S -M prepared -T "$DURATION" | tps_of) ;;
				shapes)
					e0=$(evictions "$cfg")
					t=$(pgb -M simple -f "$WORK/many_shapes.pgbench" -T "$DURATION" | tps_of)
					e1=$(evictions "$cfg")
					case $cfg in
					pgss | pgi) EVICT[$cfg]+="$((e1 - e0)) " ;;
					both) EVICT[$cfg]+="$((${e1%/*} - ${e0%/*}))/$((${e1#*/} - ${e0#*/})) " ;;
					esac
					;;
				*)
					x0=$(exclusive_locks "$cfg")
					t=$(pgb -M simple -f "$WORK/$w.pgbench" -T "$DURATION" | tps_of)
					x1=$(exclusive_locks "$cfg")
					[[ $x0 != - ]] && XLOCKS[$w]+="$((x1 - x0)) "
					;;
				esac
				TPS[$w.$cfg]+="${t:-0} "
			done
			stop_server
		done
	done
fi

# ---------------------------------------------------------------- report
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {
	if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.3f", a / b }'; }

report() {
	local cpus dirty head
	cpus=$(nproc)
	head=$(GIT_OPTIONAL_LOCKS=0 git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo "?")
	dirty=$(GIT_OPTIONAL_LOCKS=0 git -C "$REPO" status --porcelain -- extension sql 2>/dev/null | wc -l)
	echo "pg_insights overhead benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $cpus CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg), $("$BINDIR/postgres" --version | sed 's/^postgres (PostgreSQL) //'), valgrind $(valgrind --version 2>/dev/null | sed 's/valgrind-//')"
	echo "pg_insights.so md5 $SO_MD5, repo HEAD $head ($dirty changed files in extension/ sql/)$([[ $QUICK == 1 ]] && echo ', QUICK=1')"
	if [[ $CALLGRIND == 1 ]]; then
		echo
		echo "a) instructions per statement (callgrind, postgres --single, SELECT abalance FROM pgbench_accounts WHERE aid = k)"
		echo "   per stmt = (Ir(N) - Ir(0)) / N, N = $CG_N; marginal = (Ir(2N) - Ir(N)) / N; repeat of one run differed by $CG_REPEAT_DIFF Ir"
		printf "   %-6s %14s %14s %11s %9s %11s %9s\n" config "Ir(0)" "Ir(N)" "per stmt" "vs none" marginal "vs none"
		local n2=$((2 * CG_N)) base bm
		base=$(((${IR[point.none.$CG_N]} - ${IR[point.none.0]}) / CG_N))
		bm=$(((${IR[point.none.$n2]} - ${IR[point.none.$CG_N]}) / CG_N))
		for cfg in $CG_CONFIGS; do
			local ps m
			ps=$(((${IR[point.$cfg.$CG_N]} - ${IR[point.$cfg.0]}) / CG_N))
			m=$(((${IR[point.$cfg.$n2]} - ${IR[point.$cfg.$CG_N]}) / CG_N))
			printf "   %-6s %14s %14s %11s %9s %11s %9s\n" "$cfg" "${IR[point.$cfg.0]}" "${IR[point.$cfg.$CG_N]}" "$ps" \
				"$(ratio "$ps" "$base")" "$m" "$(ratio "$m" "$bm")"
			eval "PS_$cfg=$ps"
		done
		if [[ -n ${PS_pgss:-} && -n ${PS_pgi:-} ]]; then
			echo "   ratios: pgss/none $(ratio "$PS_pgss" "$base")  pgi/none $(ratio "$PS_pgi" "$base")  pgi/pgss $(ratio "$PS_pgi" "$PS_pgss")"
		fi
		echo
		echo "a2) instructions per statement by workload, (Ir(N) - Ir(0)) / N (multi: one message of $CG_MULTI statements)"
		printf "   %-10s %10s %10s %10s %9s %9s %9s\n" workload none pgss pgi pgss/none pgi/none pgi/pgss
		local w wn
		for w in $CG_WORKLOADS; do
			if [[ $w == multi ]]; then wn=$CG_MULTI; else wn=$CG_N; fi
			declare -A wps=()
			for cfg in none pgss pgi; do
				if [[ -n ${IR[$w.$cfg.$wn]:-} ]]; then
					wps[$cfg]=$(((${IR[$w.$cfg.$wn]} - ${IR[$w.$cfg.0]}) / wn))
				else
					wps[$cfg]=0
				fi
			done
			printf "   %-10s %10s %10s %10s %9s %9s %9s\n" "$w" "${wps[none]}" "${wps[pgss]}" "${wps[pgi]}" \
				"$(ratio "${wps[pgss]}" "${wps[none]}")" "$(ratio "${wps[pgi]}" "${wps[none]}")" \
				"$(ratio "${wps[pgi]}" "${wps[pgss]}")"
		done
		echo "   workloads: point = SELECT by primary key; tagged = the same with a Prisma comment and a random"
		echo "   traceparent per statement; overcap = one shape from 200 routes (max_tagsets_per_shape 32);"
		echo "   savepoint = BEGIN, SAVEPOINT sp_<i>, SET LOCAL app.tenant = '<i>', the SELECT, RELEASE, COMMIT"
	fi
	if [[ $PGBENCH == 1 ]]; then
		echo
		echo "b) c) pgbench, scale $SCALE, $CLIENTS clients, $JOBS threads, $ROUNDS rounds x ${DURATION}s, configurations alternating; median TPS (multi: transactions of 100 statements in one message)"
		echo "   (max_shapes = pg_stat_statements.max = $SHAPES_MAX; many shapes = $SHAPES one-table SELECT shapes, uniform, simple protocol)"
		local cfgs w cfg
		read -ra cfgs <<<"$BENCH_CONFIGS"
		printf "   %-18s" workload
		for cfg in "${cfgs[@]}"; do printf " %10s" "$cfg"; done
		for cfg in "${cfgs[@]}"; do if [[ $cfg != none ]]; then printf " %10s" "$cfg/none"; fi; done
		if [[ " ${cfgs[*]} " == *" pgss "* && " ${cfgs[*]} " == *" pgi "* ]]; then printf " %10s" "pgi/pgss"; fi
		echo
		for w in $PGB_WORKLOADS; do
			local label lo hi
			case $w in simple) label="-S simple" ;; prepared) label="-S prepared" ;; shapes) label="many shapes" ;; *) label=$w ;; esac
			printf "   %-18s" "$label"
			declare -A med=()
			for cfg in "${cfgs[@]}"; do
				med[$cfg]=$(echo "${TPS[$w.$cfg]}" | median)
				printf " %10.0f" "${med[$cfg]}"
			done
			for cfg in "${cfgs[@]}"; do
				if [[ $cfg != none ]]; then printf " %10s" "$(ratio "${med[$cfg]}" "${med[none]:-0}")"; fi
			done
			if [[ -n ${med[pgss]:-} && -n ${med[pgi]:-} ]]; then printf " %10s" "$(ratio "${med[pgi]}" "${med[pgss]}")"; fi
			echo
		done
		echo "   spread (max - min) / median per configuration:"
		for w in $PGB_WORKLOADS; do
			printf "     %-11s" "$w"
			for cfg in "${cfgs[@]}"; do
				printf " %s %s" "$cfg" "$(echo "${TPS[$w.$cfg]}" | tr ' ' '\n' | grep -v '^$' | sort -g |
					awk '{v[NR] = $1} END { if (NR == 0) { print "-"; exit }
						m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
						printf "%.0f%%", m ? 100 * (v[NR] - v[1]) / m : 0 }')"
			done
			echo
		done
		for w in $PGB_WORKLOADS; do
			[[ -n ${XLOCKS[$w]:-} ]] && echo "   pg_insights store_exclusive_locks per $w run: ${XLOCKS[$w]}"
		done
		echo "   raw TPS per round:"
		for w in $PGB_WORKLOADS; do
			for cfg in "${cfgs[@]}"; do printf "     %-9s %-5s %s\n" "$w" "$cfg" "${TPS[$w.$cfg]}"; done
		done
		for cfg in "${cfgs[@]}"; do
			case $cfg in
			pgss) echo "   evictions during the many-shapes runs, pg_stat_statements_info.dealloc: ${EVICT[$cfg]}" ;;
			pgi) echo "   evictions during the many-shapes runs, insights.info.evictions:        ${EVICT[$cfg]}" ;;
			both) echo "   evictions during the many-shapes runs, both (dealloc/evictions):        ${EVICT[$cfg]}" ;;
			esac
		done
	fi
	if [[ $CALLGRIND == 1 && " $CG_CONFIGS " == *" pgi "* ]]; then
		echo
		echo "profile of the pgi callgrind run, instructions per statement ((Ir(N) - Ir(0)) / N):"
		echo "   pg_insights.so functions: inclusive, and inclusive minus the standard_* call they wrap"
		printf "   %10s %10s  %s\n" inclusive own function
		cg_pgi_profile pgi "$CG_N" | head -n "$PROFILE_TOP" | sed 's/^/   /'
		if [[ " $CG_CONFIGS " == *" none "* ]]; then
			echo "   where the extra instructions go, pgi - none, self cost by function (all objects):"
			cg_delta pgi none "$CG_N" "$PROFILE_TOP" | sed 's/^/   /'
			if [[ " $CG_CONFIGS " == *" pgss "* ]]; then
				echo "   for comparison, pgss - none:"
				cg_delta pgss none "$CG_N" 8 | sed 's/^/   /'
				echo "   and pgi - pgss:"
				cg_delta pgi pgss "$CG_N" "$PROFILE_TOP" | sed 's/^/   /'
			fi
			echo "   core work switched on by the extensions (compute_query_id): JumbleQuery inclusive per statement:"
			for cfg in $CG_CONFIGS; do
				printf "     %-6s %s\n" "$cfg" "$(jumble_cost "$cfg" "$CG_N")"
			done
		fi
	fi
}

mkdir -p "$RESULTS_DIR"
report | tee "$RESULT_FILE"
if [[ $(md5sum "$PKGLIBDIR/pg_insights.so" | cut -c1-12) != "$SO_MD5" ]]; then
	echo "WARNING: $PKGLIBDIR/pg_insights.so changed during the run; figures mix two builds" | tee -a "$RESULT_FILE" >&2
fi
log "written $RESULT_FILE"
