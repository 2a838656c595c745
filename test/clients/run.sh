#!/usr/bin/env bash
# test/clients/run.sh — real clients end to end: the Prisma 7 client with
# @prisma/sqlcommenter-query-insights, knex and sequelize behind the Google sqlcommenter wrappers
# (express + OpenTelemetry, so traceparent is sent), and psql raw SQL, against a throwaway server
# with pg_insights preloaded.  Asserts on insights.attribution, insights.queries, insights.events.
# Needs node/npm and the npm registry on first run (clients/setup.sh: npm ci --ignore-scripts).
# Prints ok/FAIL per check and ends with "clients: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/test/lib/cluster.sh"
source "$ROOT/test/lib/common.sh"
CLIENTS=$ROOT/clients
T0=$SECONDS

bail() {
	pgi_fail "$1" "${2:-}"
	pgi_summary clients
	exit 1
}

command -v node >/dev/null && command -v npm >/dev/null || bail "node and npm installed" "not found in PATH"
# the workloads' knobs, fixed: the expectations below count on them
export PGI_ROUNDS=1 PGI_N1_PARENTS=10 PGI_N1_ROWS=8
unset DATABASE_URL
"$CLIENTS/setup.sh" || bail "clients/setup.sh (npm ci --ignore-scripts, prisma generate)"
pgi_cluster_start "shared_preload_libraries = 'pg_insights'" "pg_insights.plan_sample_rate = 1" ||
	bail "cluster start"
for db in blog rawsql; do
	pgi_sql "CREATE DATABASE $db" >/dev/null &&
		pgi_psql -d $db -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_insights" -f "$CLIENTS/prisma/schema.sql" \
			>/dev/null || bail "create database $db"
done
export PGDATABASE=blog

# q SQL: one value (or rows, '|'-separated) from the blog database
q() { PGI_DB=${QDB:-blog} pgi_sql "$1"; }
# jget JSON PATH: a field of a workload's summary line (arrays joined by spaces)
jget() {
	node -e 'const o = JSON.parse(process.argv[1]);
		const v = process.argv[2].split(".").reduce((a, k) => (a == null ? a : a[k]), o);
		console.log(Array.isArray(v) ? v.join(" ") : v !== null && typeof v === "object" ? JSON.stringify(v) : String(v))' "$1" "$2"
}
last_seq() { q "SELECT coalesce(max(seq), 0) FROM insights.events()"; }
# a sorted, space-separated SQL array literal of the words given
sql_text_array() { printf "ARRAY[%s]::text[]" "$(printf "'%s'," $(printf '%s\n' "$@" | sort -u) | sed 's/,$//')"; }

# attribution joined with the shape's text, this database only
A="(SELECT a.*, q.query, q.command, q.tables FROM insights.attribution a
     JOIN insights.queries q USING (shape_id, userid, dbid)
    WHERE a.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) a"
Q="(SELECT * FROM insights.queries
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) q"

# ---------------------------------------------------------------------------------------- Prisma
echo "== prisma 7 ($(node -p 'require(process.argv[1]).version' "$CLIENTS/node_modules/@prisma/client/package.json"))"
S0=$(last_seq)
P=$(cd "$CLIENTS" && node_modules/.bin/tsx prisma/workload.ts 2>"$PGI_BASE/prisma.err")
PRISMA_RC=$?
S1=$(last_seq)
if [[ $PRISMA_RC -ne 0 || -z "$P" ]]; then
	pgi_fail "prisma workload runs" "$(head -c 2000 "$PGI_BASE/prisma.err")"
else
	pgi_pass "prisma workload runs: $P"
	N1=$(jget "$P" n1.parents)
	SIZES=$(jget "$P" createManySizes)
	NSIZES=$(wc -w <<<"$SIZES")
	NESTED=$(jget "$P" calls.create_nested)

	# who each shape was attributed to: "Model.action xcalls" per tag set, sorted
	who() { q "SELECT coalesce(string_agg(coalesce(prisma_model, '-') || '.' || prisma_action || ' x' || calls, ', '
	                                ORDER BY prisma_model, prisma_action), 'none')
	            FROM $A WHERE $1"; }

	pgi_expect_eq "findMany -> User.findMany" \
		"$(who "query LIKE '%FROM \"public\".\"User\" WHERE \"public\".\"User\".\"email\"::text LIKE%'")" "User.findMany x1"
	pgi_expect_eq "findUnique x3 in one tick -> one IN query tagged User.findUnique" \
		"$(q "SELECT string_agg(prisma_model || '.' || prisma_action || ' x' || calls || ' ' ||
		                      (query LIKE '%\"public\".\"User\".\"id\" IN (%')::text, ', ')
		        FROM $A WHERE prisma_action = 'findUnique'")" "User.findUnique x1 true"
	pgi_expect_eq "include: the nested Post query (authorId IN) -> User.findMany" \
		"$(who "query LIKE '%FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" IN (%'")" "User.findMany x1"
	pgi_expect_eq "include: its User query -> User.findMany (shape shared with the findUnique batch)" \
		"$(who "query LIKE '%FROM \"public\".\"User\" WHERE \"public\".\"User\".\"id\" IN (%'")" \
		"User.findMany x1, User.findUnique x1"
	pgi_expect_eq "nested create: INSERT User, INSERT Post, SELECT User, all User.createOne (x$NESTED)" \
		"$(q "SELECT string_agg(command || ' ' || array_to_string(tables, ',') || ' x' || calls, '; '
		                      ORDER BY command, array_to_string(tables, ','))
		        FROM $A WHERE prisma_action = 'createOne'")" \
		"INSERT public.Post x$NESTED; INSERT public.User x$NESTED; SELECT public.User x$NESTED"
	pgi_expect_eq "nested create: its shapes carry no other tag set" \
		"$(q "SELECT count(*) FROM $A WHERE prisma_action IS DISTINCT FROM 'createOne' AND shape_id IN
		        (SELECT shape_id FROM $A WHERE prisma_action = 'createOne')")" 0

	# createMany: every size is an INSERT INTO "User" ("email","name") VALUES ... without RETURNING
	CM="command = 'INSERT' AND query LIKE 'INSERT INTO \"public\".\"User\" (\"email\",\"name\") VALUES%'
	    AND query NOT LIKE '%RETURNING%'"
	# a VALUES list counts as one row in a shape: the single row and every multi-row size
	pgi_expect_eq "createMany with $NSIZES sizes ($SIZES rows) -> one shape" \
		"$(q "SELECT count(*) FROM $Q WHERE $CM AND calls = $NSIZES")" 1
	pgi_expect_eq "createMany: all $NSIZES calls counted in INSERT \"User\" shapes" \
		"$(q "SELECT sum(calls) FROM $Q WHERE $CM")" "$NSIZES"
	echo "  info createMany shapes (calls | text): $(q "SELECT string_agg(calls || ' | ' || left(query, 120), ' || ' ORDER BY calls)
	                                                 FROM $Q WHERE $CM")"
	echo "  info createMany attribution rows: $(q "SELECT string_agg(calls || ' call(s) with ' ||
		CASE WHEN prisma_shape IS NULL THEN 'prisma_shape NULL (tag cut)' ELSE 'full prisma_shape' END, ', ' ORDER BY calls)
		FROM $A WHERE prisma_action = 'createMany'")"
	echo "  info comments rejected so far (insights.info): $(q "SELECT comments_rejected FROM insights.info")"
	pgi_expect_eq "createMany: all $NSIZES calls attributed to User.createMany (the 100-row comment is ~19 kB)" \
		"$(q "SELECT coalesce(sum(calls), 0) FROM $A WHERE prisma_model = 'User' AND prisma_action = 'createMany'")" "$NSIZES"

	pgi_expect_eq "count -> Post.aggregate" "$(who "query LIKE 'SELECT COUNT(*)%'")" "Post.aggregate x1"
	pgi_expect_eq "\$queryRaw -> prisma_action queryRaw, no model" \
		"$(who "query LIKE '%count(*)::int AS n%'")" "-.queryRaw x1"

	# the N+1 loop: SELECT ... FROM "Post" WHERE "authorId" = $1 OFFSET $2, once per parent
	N1Q="query LIKE 'SELECT \"public\".\"Post\".\"id\", %FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" = \$1 OFFSET%'"
	pgi_expect_eq "N+1 loop: Post.findMany x$N1 on the per-parent shape" "$(who "$N1Q")" "Post.findMany x$N1"
	N1SHAPE=$(q "SELECT shape_id FROM $Q WHERE $N1Q LIMIT 1")
	PARENT=$(q "SELECT shape_id FROM $Q WHERE query LIKE 'SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\"%ORDER BY%LIMIT%' LIMIT 1")
	pgi_expect_eq "N+1 loop events: count, pids, with trace id, distinct param_hash, in xact block" \
		"$(q "SELECT count(*) || ' ' || count(DISTINCT pid) || ' ' || count(*) FILTER (WHERE coalesce(trace_id, '') <> '')
		             || ' ' || count(DISTINCT param_hash) || ' ' || count(*) FILTER (WHERE in_xact_block)
		        FROM insights.events($S0) WHERE seq <= $S1 AND shape_id = ${N1SHAPE:-0}")" "$N1 1 0 $N1 0"
	pgi_expect_eq "N+1 loop: the parent query runs just before, on the same pid" \
		"$(q "WITH p AS (SELECT seq, pid FROM insights.events($S0) WHERE seq <= $S1 AND shape_id = ${PARENT:-0}),
		          c AS (SELECT min(seq) AS s, min(pid) AS pid FROM insights.events($S0) WHERE seq <= $S1 AND shape_id = ${N1SHAPE:-0})
		     SELECT count(*) FROM p, c WHERE p.pid = c.pid AND p.seq = c.s - 1")" 1
	# every statement the Prisma client sent carries a tag set, except BEGIN/COMMIT
	PPIDS=$(q "SELECT string_agg(DISTINCT e.pid::text, ',') FROM insights.events($S0) e
	            JOIN insights.attribution a ON a.tagset_id = e.tagset_id AND a.shape_id = e.shape_id
	           WHERE e.seq <= $S1 AND a.prisma_action IS NOT NULL")
	pgi_expect_eq "every Prisma statement but BEGIN/COMMIT (and createMany, checked above) carries prismaQuery" \
		"$(q "SELECT coalesce(string_agg(DISTINCT left(q.query, 70), ' | '), 'all tagged')
		        FROM insights.events($S0) e JOIN $Q ON q.shape_id = e.shape_id
		       WHERE e.seq <= $S1 AND e.pid IN (${PPIDS:-0}) AND coalesce(e.tagset_id, 0) = 0
		         AND q.command NOT IN ('BEGIN', 'COMMIT') AND NOT ($CM)")" "all tagged"
fi

# ----------------------------------------------------------------------------- knex / sequelize
declare -A DRIVER
for c in knex sequelize; do
	DRIVER[$c]="$c:$(node -p 'require(process.argv[1]).version' "$CLIENTS/node_modules/$c/package.json")"
	echo "== $c (${DRIVER[$c]}, @google-cloud/sqlcommenter-$c)"
	S0=$(last_seq)
	J=$(cd "$CLIENTS" && node "$c/workload.js" 2>"$PGI_BASE/$c.err")
	if [[ $? -ne 0 || -z "$J" ]]; then
		pgi_fail "$c workload runs" "$(head -c 2000 "$PGI_BASE/$c.err")"
		continue
	fi
	pgi_pass "$c workload runs: $(head -c 160 <<<"$J")..."
	S1=$(last_seq)
	D=${DRIVER[$c]}
	E="(SELECT * FROM insights.events($S0) WHERE seq <= $S1) e"

	pgi_expect_eq "$c: db_driver arrives" \
		"$(q "SELECT string_agg(DISTINCT db_driver, ' ') FROM $A WHERE tags->>'db_driver' LIKE '$c:%'")" "$D"
	pgi_expect_eq "$c: route arrives (one per express route)" \
		"$(q "SELECT string_agg(DISTINCT route, ' ' ORDER BY route) FROM $A WHERE db_driver = '$D'")" \
		"/feed /users /users/:id /users/:id/posts"
	n=$(jget "$J" requests.select_by_id)
	pgi_expect_eq "$c: $n requests with $n traceparents -> one attribution row for /users/:id" \
		"$(q "SELECT count(*) || ' x' || sum(calls) FROM $A WHERE db_driver = '$D' AND route = '/users/:id'")" "1 x$n"
	rows=$(jget "$J" n1.rows)
	pgi_expect_eq "$c: /feed (N+1 in one request) -> two rows, x1 and x$rows" \
		"$(q "SELECT string_agg('x' || calls, ' ' ORDER BY calls) FROM $A WHERE db_driver = '$D' AND route = '/feed'")" \
		"x1 x$rows"
	ids=$(jget "$J" traces.select_by_id)" "$(jget "$J" traces.select_in)" "$(jget "$J" traces.n1)" "$(jget "$J" traces.transaction)
	pgi_expect_eq "$c: insights.events trace ids = the ${DRIVER[$c]%%:*} requests' trace ids" \
		"$(q "SELECT array_agg(DISTINCT trace_id ORDER BY trace_id) FROM $E WHERE coalesce(trace_id, '') <> ''")" \
		"$(q "SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest($(sql_text_array $ids)) x")"
	pgi_expect_eq "$c: each select-by-id request: exactly one event with its trace id" \
		"$(q "SELECT string_agg(n::text, ' ') FROM (SELECT count(e.trace_id) AS n FROM unnest($(sql_text_array $(jget "$J" traces.select_by_id))) t
	           LEFT JOIN $E ON e.trace_id = t GROUP BY t) s")" "$(printf '1 %.0s' $(seq 1 "$n") | sed 's/ $//')"
	tn1=$(jget "$J" traces.n1)
	pgi_expect_eq "$c: the N+1 request's events share its trace id: count, pids, child shapes, child param_hash" \
		"$(q "SELECT count(*) || ' ' || count(DISTINCT pid) || ' ' || count(DISTINCT shape_id) || ' ' ||
	                 (SELECT count(DISTINCT param_hash) FROM $E WHERE trace_id = '$tn1' AND shape_id =
	                    (SELECT shape_id FROM $E WHERE trace_id = '$tn1' GROUP BY shape_id ORDER BY count(*) DESC LIMIT 1))
	            FROM $E WHERE trace_id = '$tn1'")" "$((rows + 1)) 1 2 $rows"
	ttx=$(jget "$J" traces.transaction)
	pgi_expect_eq "$c: the transaction's INSERT and UPDATE carry its trace id, in a transaction block" \
		"$(q "SELECT string_agg(DISTINCT q.command, ' ' ORDER BY q.command) || ' ' || bool_and(e.in_xact_block)
	            FROM $E JOIN $Q ON q.shape_id = e.shape_id
	           WHERE e.trace_id = '$ttx' AND q.command IN ('INSERT', 'UPDATE')")" "INSERT UPDATE true"
done

pgi_expect_eq "traceparent/tracestate never kept as tags" \
	"$(q "SELECT count(*) FROM insights.attribution WHERE tags ? 'traceparent' OR tags ? 'tracestate'")" 0
pgi_expect_eq "knex and sequelize: no two attribution rows with the same shape and tags" \
	"$(q "SELECT count(*) - count(DISTINCT (shape_id, tags::text)) FROM insights.attribution WHERE db_driver IS NOT NULL")" 0

# ----------------------------------------------------------------------------------- psql raw SQL
echo "== psql raw SQL"
QDB=rawsql
pgi_psql -d rawsql -v ON_ERROR_STOP=1 >/dev/null <<'EOF'
INSERT INTO "User" (email, name) VALUES ('a@example.com', 'A'), ('b@example.com', 'B');
SELECT title FROM "Post" WHERE "authorId" = 1;
SELECT title FROM "Post" WHERE "authorId" = 2;
SELECT title FROM "Post" WHERE "authorId" = 1 /*application='nightly-report',route='%2Freport'*/;
SELECT title FROM "Post" WHERE "authorId" = 2 /*application='nightly-report',route='%2Freport'*/;
/*application='nightly-report',route='%2Freport'*/ SELECT title FROM "Post" WHERE "authorId" = 3;
SELECT title FROM "Post" WHERE "authorId" = 4 /* just a note, not tags */;
-- a line comment before the statement
SELECT title FROM "Post" WHERE "authorId" = 5;
EOF
RAW="query LIKE 'SELECT title FROM \"Post\" WHERE \"authorId\" = %'"
QDB=rawsql
pgi_expect_eq "psql: one shape, all 7 executions counted (with and without comments)" \
	"$(q "SELECT count(*) || ' x' || sum(calls) FROM $Q WHERE $RAW")" "1 x7"
pgi_expect_eq "psql: hand-written key='value' comments (trailing x2, leading x1) -> route, application" \
	"$(q "SELECT string_agg(route || ' ' || application || ' x' || calls, ', ') FROM $A WHERE $RAW")" \
	"/report nightly-report x3"
pgi_expect_eq "psql: comment-less statement counted, no tags on it" \
	"$(q "SELECT calls - (SELECT coalesce(sum(calls), 0) FROM $A WHERE $RAW) FROM $Q WHERE $RAW")" 4
unset QDB

pgi_expect_true "server log shows no crash" pgi_cluster_log_check
echo "  ($(pgi_elapsed $T0))"
pgi_summary clients
