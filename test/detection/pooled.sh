# test/detection/pooled.sh — the labelled concurrent suite: a service's traffic (clients/service/pooled.ts,
# 12 virtual users through one pool of 8 connections) directly and through PgBouncer in transaction
# mode (3 server connections), with and without traceparent, faulty (an N+1 loop in the feed) and
# clean (the feed batched), through node-postgres and the Prisma 7 client.  The collector runs as a
# daemon at a 1 s interval while the service runs, as in production.  Without trace context a
# request spread over pooled backends cannot be told from its neighbours: there the loop is not
# claimed, and the expected findings are none.  Sourced by run.sh (its cluster, TP/FP/FN, pass/fail).
source "$ROOT/test/lib/pgbouncer.sh"
POOLED_SECONDS=${PGI_POOLED_SECONDS:-6}
# the loop's child as each client writes it
declare -A NPLUS1_CHILD=([pg]='SELECT id, title FROM "Post" WHERE "authorId" = $1'
	[prisma]='SELECT "public"."Post"."id", "public"."Post"."title" FROM "public"."Post" WHERE "public"."Post"."authorId" = $1 OFFSET $2')

pooled_variant() {	# pooled_variant CLIENT VARIANT TRACE VIA
	local cl=$1 var=$2 tr=$3 via=$4 db="p_$1_$2_$3_$4" host port out cpid exp ok=1 kind query rate
	pgi_sql "CREATE DATABASE $db TEMPLATE svc" >/dev/null
	if [[ $via == bouncer ]]; then host=$PGI_BOUNCER_SOCK port=$PGI_BOUNCER_PORT; else host=$PGI_SOCK port=$PGI_PORT; fi
	"$COLLECTOR" --interval 1s --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=$db" \
		2>"$PGI_BASE/collector-$db.log" &
	cpid=$!
	out=$(cd "$ROOT/clients" && PGHOST=$host PGPORT=$port PGUSER=$PGI_SUPERUSER PGDATABASE=$db \
		PGI_SVC_CLIENT=$cl PGI_SVC_VARIANT=$var PGI_SVC_TRACE=$tr PGI_SVC_SECONDS=$POOLED_SECONDS \
		node_modules/.bin/tsx service/pooled.ts 2>"$PGI_BASE/service-$db.err")
	# two more polls see the last requests
	sleep 2.5
	kill -TERM "$cpid"
	wait "$cpid"
	if [[ -z "$out" ]]; then
		echo "  service $db failed:"; tail -5 "$PGI_BASE/service-$db.err"
		fail=$((fail + 1)); echo "FAIL $db"; return
	fi
	rate=$(node -e 'const o = JSON.parse(process.argv[1]); console.log(Math.round(o.statements / process.argv[2]), o.maxRepeat, o.feedChildren)' "$out" "$POOLED_SECONDS")
	read -r rate maxrep children <<<"$rate"
	# ground truth: the arguments never repeat often enough for repeated_query
	if ((maxrep >= 10)); then echo "  $db: an argument repeated $maxrep times: the workload is not what the labels say"; ok=0; fi
	if grep -q "events lost since" "$PGI_BASE/collector-$db.log"; then
		echo "  $db: the collector lost events at $rate statements/s:"; grep "events lost since" "$PGI_BASE/collector-$db.log" | head -3; ok=0
	fi
	exp=
	[[ $var == faulty && $tr == 1 ]] && exp="n_plus_one:${NPLUS1_CHILD[$cl]}"
	if [[ -n "$exp" ]]; then
		kind=${exp%%:*}
		if [[ $(pgi_psql -d "$db" -At -c "SELECT count(*) FROM insights.findings WHERE status = 'open' AND kind = '$kind' AND query = \$p\$${exp#*:}\$p\$ AND evidence->>'grouped_by' = 'trace_id' AND evidence->>'confidence' = 'high'") -ge 1 ]]; then
			TP[$kind]=$((TP[$kind] + 1))
		else
			FN[$kind]=$((FN[$kind] + 1)); ok=0; echo "  missed: $db expects $kind on '${exp#*:}' (grouped by trace id, confidence high)"
		fi
	fi
	while IFS='|' read -r kind query; do
		[[ -n "$kind" ]] || continue
		[[ "$kind:$query" == "$exp" ]] && continue
		# untraced, the loop may still be seen whole on one backend that ran it alone: true, not required
		if [[ $var == faulty && "$kind:$query" == "n_plus_one:${NPLUS1_CHILD[$cl]}" ]]; then TP[$kind]=$((TP[$kind] + 1)); continue; fi
		FP[$kind]=$((FP[$kind] + 1)); ok=0; echo "  false positive: $db: $kind on '$query'"
		pgi_psql -d "$db" -At -c "SELECT evidence FROM insights.findings WHERE kind = '$kind' AND query = \$q\$$query\$q\$" | sed 's/^/      /'
	done < <(pgi_psql -d "$db" -At -F '|' -c "SELECT kind, query FROM insights.findings WHERE status = 'open' ORDER BY kind, query")
	[[ $var == faulty && $tr == 0 ]] && echo "     $db: $children loop statements without trace context over shared backends: not claimed"
	if ((ok)); then pass=$((pass + 1)); echo "ok   $db ($rate statements/s)"; else fail=$((fail + 1)); echo "FAIL $db"; fi
}

pgi_sql "CREATE DATABASE svc" >/dev/null
pgi_psql -d svc -v ON_ERROR_STOP=1 -q -f "$ROOT/test/detection/service.sql" >/dev/null
pgi_psql -d svc -c "CREATE EXTENSION pg_insights" -c "CREATE EXTENSION hypopg" >/dev/null
if ! "$ROOT/clients/setup.sh" >"$PGI_BASE/clients-setup.log" 2>&1; then
	echo "clients/setup.sh failed:"; tail -20 "$PGI_BASE/clients-setup.log"; fail=$((fail + 1))
elif ! pgi_pgbouncer_start 3; then
	echo "FAIL pgbouncer start"; fail=$((fail + 1))
else
	for via in direct bouncer; do
		for var in faulty clean; do
			for tr in 1 0; do pooled_variant pg $var $tr $via; done
			pooled_variant prisma $var 0 $via
		done
	done
	pgi_pgbouncer_stop
fi
