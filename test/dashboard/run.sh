#!/usr/bin/env bash
# test/dashboard/run.sh — the dashboard's tests: real PostgreSQL repository, real dashboard, snapshots from mksnap and the real collector, headless Chromium.
#
# Prints one line per case and ends with "dashboard: N passed, N failed"; exits non-zero on failure.
# Artifacts (logs, screenshots) in $PGI_OUT/dashboard (default: a new temp dir).  PGI_DASH_NO_VALGRIND=1 skips valgrind.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
source test/lib/cluster.sh

OUT=${PGI_OUT:-$(mktemp -d /tmp/pgi-dash.XXXXXX)}/dashboard
mkdir -p "$OUT"
chmod 755 "$OUT"
BIN=$ROOT/dashboard/pg_insights_dashboard
MKSNAP=$ROOT/dashboard/build/mksnap
PASS=0
FAIL=0
PIDS=()

ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
nok() { echo "FAIL - $1${2:+: $2}"; FAIL=$((FAIL + 1)); }
is() {	# is NAME GOT WANT
	if [[ "$2" == "$3" ]]; then ok "$1"; else nok "$1" "got '$2', want '$3'"; fi
}
check() {	# check NAME COMMAND...: the command's status decides
	local name=$1
	shift
	if "$@" >>"$OUT/checks.log" 2>&1; then ok "$name"; else nok "$name"; fi
}
finish() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	echo "# artifacts: $OUT"
	echo "dashboard: $PASS passed, $FAIL failed"
	pgi_cluster_cleanup_all
	[[ $FAIL -eq 0 ]]
	exit
}
trap finish EXIT

# ---- build ----
if ! make -C dashboard all tools >"$OUT/build.log" 2>&1; then
	tail -20 "$OUT/build.log"
	nok "build (dashboard/Makefile)"
	exit 1
fi
if ! (cd test/dashboard && npm ci --no-audit --no-fund --loglevel=error) >>"$OUT/build.log" 2>&1; then
	nok "npm ci in test/dashboard (playwright-core)"
	exit 1
fi
ok "build: daemon, web assets (uPlot via npm ci), mksnap"

# ---- options ----
check "--help lists every option with its default" bash -c \
	"$BIN --help | grep -q -- '--retention DURATION.*default: 7d' && $BIN --help | grep -q -- '--listen HOST:PORT.*127.0.0.1:8470' && [ \$($BIN --help | grep -c '^  --') -ge 18 ]"
check "bad option exits 2" bash -c "$BIN --no-such-option 2>/dev/null; [ \$? -eq 2 ]"
check "non-loopback listen without --ui-auth refused (exit 2)" bash -c \
	"$BIN --listen 0.0.0.0:18471 2>&1 | grep -q 'without --ui-auth'; [ \${PIPESTATUS[0]} -eq 2 ]"
check "loopback without --ui-auth or --no-auth refused (exit 2), saying both ways" bash -c \
	"$BIN --listen 127.0.0.1:18473 2>&1 | grep -q 'set --ui-auth token:SECRET.*or --no-auth'; [ \${PIPESTATUS[0]} -eq 2 ]"
check "--no-auth off loopback refused (exit 2)" bash -c \
	"$BIN --no-auth --listen 0.0.0.0:18474 2>&1 | grep -q 'refusing --no-auth on 0.0.0.0'; [ \${PIPESTATUS[0]} -eq 2 ]"
check "unreachable repository exits 1 with a clear error" bash -c \
	"$BIN --no-auth --repo-dsn 'host=/nonexistent dbname=x connect_timeout=2' --listen 127.0.0.1:18472 2>&1 | grep -q 'cannot connect to the repository'; [ \${PIPESTATUS[0]} -eq 1 ]"
check "... the log shows the DSN without its password" bash -c \
	"out=\$($BIN --no-auth --repo-dsn 'host=/nonexistent dbname=x password=hunter2-secret connect_timeout=2' --listen 127.0.0.1:18472 2>&1); echo \"\$out\"; grep -q 'password=\*\*\*' <<<\"\$out\" && ! grep -q hunter2 <<<\"\$out\""

# ---- repository and dashboard ----
pgi_cluster_start "shared_preload_libraries = 'pg_insights'" || { nok "cluster start"; exit 1; }
pgi_sql "CREATE DATABASE pgi_repo" >/dev/null
# the repository is on the server of $PGI_PGBIN (15 on the host, 17/18/19 in the version roots)
is "repository server is $("$PGI_PGBIN/postgres" --version)" "$(pgi_sql 'SHOW server_version_num' | cut -c1-2)" \
	"$("$PGI_PGBIN/postgres" --version | sed -nE 's/^postgres \(PostgreSQL\) ([0-9]+).*/\1/p')"
REPO="host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=pgi_repo"
KEYF=$OUT/api.key	# the collectors' key file: the key alone
head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$KEYF"
KEY=$(cat "$KEYF")
# the dashboard's: this key writes every test server ("*"); KEYB is bound to orders-primary by the file;
# KEYC and KEYD name no server, so each is bound to the first it writes
KEYB=kb-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
KEYC=kc-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
KEYD=kd-$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
DKEYS=$OUT/dashboard.keys
printf '%s *\n%s orders-primary\n%s\n%s\n' "$KEY" "$KEYB" "$KEYC" "$KEYD" >"$DKEYS"
PORT=$(pgi_free_port)
URL=http://127.0.0.1:$PORT

start_dashboard() {	# start_dashboard LOG PORT [extra args]: PID in DASH_PID
	local log=$1 port=$2 auth=--no-auth	# loopback, the tests' own page, unless a test sets --ui-auth
	shift 2
	[[ " $* " == *" --ui-auth "* ]] && auth=
	"$@" $auth --repo-dsn "$REPO" --api-key-file "$DKEYS" --listen "127.0.0.1:$port" --max-body 1M \
		--max-inflated 8M --maintenance-interval 1s >"$log" 2>&1 &
	DASH_PID=$!
	PIDS+=("$DASH_PID")
	for _ in $(seq 1 100); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health") != 000 ]] && return 0
		kill -0 "$DASH_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
if start_dashboard "$OUT/dashboard.log" "$PORT" "$BIN"; then ok "dashboard starts, migrates the repository"; else
	nok "dashboard start" "$(tail -3 "$OUT/dashboard.log")"
	exit 1
fi
repo_sql() { PGI_DB=pgi_repo pgi_sql "$1"; }
is "schema_version recorded" "$(repo_sql 'SELECT max(version) FROM pgi.schema_version')" 5
check "log lines carry timestamps" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ UTC \[dashboard\] INFO: listening' "$OUT/dashboard.log"

post() {	# post FILE [curl args]: prints the HTTP status
	local f=$1
	shift
	curl -s -o "$OUT/last-response" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
		-H 'Content-Type: application/x-protobuf' --data-binary @"$f" "$@" "$URL/v1/snapshots"
}
expect_status() {	# expect_status NAME WANT GOT
	if [[ "$3" == "$2" ]]; then ok "$1 ($3)"; else nok "$1" "HTTP $3, want $2: $(cat "$OUT/last-response" 2>/dev/null)"; fi
}
serving() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/api/health") == 200 ]]; }

# ---- ingest edge cases ----
S=$OUT/snap
mkdir -p "$S"
NOW=$(date +%s)
NSNAP=30
"$MKSNAP" --index 0 --end-us $(((NOW - 400) * 1000000)) --id edge-1 -o "$S/edge.pb"
expect_status "bad key -> 401" 401 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' -H 'Authorization: Bearer wrong-key' --data-binary @"$S/edge.pb" "$URL/v1/snapshots")"
expect_status "no key -> 401" 401 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' --data-binary @"$S/edge.pb" "$URL/v1/snapshots")"
printf 'this is not a protobuf \377\377\377\377\001\002' >"$S/garbage.pb"
expect_status "garbage body -> 400" 400 "$(post "$S/garbage.pb")"
head -c $(($(stat -c %s "$S/edge.pb") - 5)) "$S/edge.pb" >"$S/truncated.pb"
expect_status "truncated protobuf -> 400" 400 "$(post "$S/truncated.pb")"
head -c $((2 * 1024 * 1024)) /dev/zero >"$S/big.pb"
expect_status "oversized body -> 413" 413 "$(post "$S/big.pb")"
expect_status "oversized chunked body -> 413" 413 "$(post "$S/big.pb" -H 'Transfer-Encoding: chunked')"
head -c $((64 * 1024 * 1024)) /dev/zero | python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))' >"$S/bomb.z"
expect_status "deflate bomb (inflates past --max-inflated) -> 413" 413 "$(post "$S/bomb.z" -H 'Content-Encoding: deflate')"
head -c 100 "$S/bomb.z" >"$S/baddeflate.z"
expect_status "corrupt deflate stream -> 400" 400 "$(post "$S/baddeflate.z" -H 'Content-Encoding: deflate')"
expect_status "empty body -> 400" 400 "$(post /dev/null)"
expect_status "GET /v1/snapshots -> 405" 405 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' "$URL/v1/snapshots")"
check "still serving after the bad requests" serving
expect_status "valid snapshot stored" 200 "$(post "$S/edge.pb")"
expect_status "same snapshot again acknowledged" 200 "$(post "$S/edge.pb")"
check "duplicate answered as duplicate" grep -q '"duplicate"' "$OUT/last-response"
is "duplicate stored once (one snapshots row)" "$(repo_sql "SELECT count(*) FROM pgi.snapshots WHERE snapshot_id = 'edge-1'")" 1
is "duplicate stored once (counters not doubled)" "$(repo_sql "SELECT sum(calls) FROM pgi.shape_stats WHERE shape_id = 1001")" 500

# ---- server identity: a replica shares its primary's system identifier, the instance tells them apart ----
"$MKSNAP" --index 0 --sysid 7300000000000000001 --db orders --name orders-primary --instance db1.test.local:5432 \
	--role primary --end-us $(((NOW - 390) * 1000000)) -o "$S/id-primary.pb"
"$MKSNAP" --index 2 --sysid 7300000000000000001 --db orders --name orders-replica --instance db2.test.local:5432 \
	--role standby --end-us $(((NOW - 390) * 1000000)) -o "$S/id-standby.pb"
expect_status "snapshot of a primary stored" 200 "$(post "$S/id-primary.pb")"
expect_status "snapshot of its standby (same system identifier) stored" 200 "$(post "$S/id-standby.pb")"
api_json() { curl -s "$URL/api/$1" | node -e "const j=JSON.parse(require('fs').readFileSync(0)); console.log($2)"; }
is "/api/servers: primary and standby are two servers, by name, with their role and instance" \
	"$(api_json servers "j.servers.filter((s) => s.db === 'orders').map((s) => [s.name, s.role, s.instance].join(' ')).join(', ')")" \
	"orders-primary primary db1.test.local:5432, orders-replica standby db2.test.local:5432"
SRC_STANDBY=$(api_json servers "j.servers.find((s) => s.name === 'orders-replica').source")
is "source= reads one server's data (the standby's 1001: 500 x 3 executions, the primary's not added)" \
	"$(api_json "queries?source=$SRC_STANDBY&sort=calls" "j.rows.find((r) => r.shape_id === '1001').calls")" 1500
is "a snapshot without identity (an older collector) is a server of its own, named by its host" \
	"$(api_json servers "j.servers.filter((s) => s.db === 'app').map((s) => s.name + '|' + s.instance + '|' + s.role).join(',')")" \
	"db.test.local||null"
# ---- keys bound to servers ----
post_as() {	# post_as KEY FILE: HTTP status
	curl -s -o "$OUT/last-response" -w '%{http_code}' -H "Authorization: Bearer $1" --data-binary @"$2" "$URL/v1/snapshots"
}
for n in claim-a claim-b; do
	"$MKSNAP" --index 0 --sysid 7300000000000000002 --db claims --name $n --instance $n:5432 --role primary \
		--end-us $(((NOW - 380) * 1000000)) -o "$S/id-$n.pb"
done
"$MKSNAP" --index 1 --sysid 7300000000000000001 --db orders --name orders-primary --instance db1.test.local:5432 \
	--role primary --end-us $(((NOW - 370) * 1000000)) -o "$S/id-primary-2.pb"
expect_status "a key bound to orders-primary by the file writes orders-primary" 200 "$(post_as "$KEYB" "$S/id-primary-2.pb")"
expect_status "... and is refused orders-replica" 403 "$(post_as "$KEYB" "$S/id-standby.pb")"
check "... saying which server it may write" grep -q 'may write only server orders-primary' "$OUT/last-response"
expect_status "an unbound key's first server (claim-a) is stored" 200 "$(post_as "$KEYC" "$S/id-claim-a.pb")"
expect_status "... then the key is bound to it: claim-b refused" 403 "$(post_as "$KEYC" "$S/id-claim-b.pb")"
check "... saying the key is bound to claim-a and what to do" grep -q 'bound to server \\"claim-a\\".*its own key' "$OUT/last-response"
expect_status "another unbound key cannot take claim-a" 403 "$(post_as "$KEYD" "$S/id-claim-a.pb")"
expect_status "an unbound key cannot take a server the file binds to another key (orders-primary)" 403 "$(post_as "$KEYD" "$S/id-primary.pb")"
is "the claim is kept in the repository (one per key)" \
	"$(repo_sql "SELECT string_agg(server_name, ',' ORDER BY server_name) FROM pgi.key_claims")" "claim-a"
# revoke KEYC (SIGHUP): its claim ends, and KEYD may take claim-a
printf '%s *\n%s orders-primary\n%s\n' "$KEY" "$KEYB" "$KEYD" >"$DKEYS"
kill -HUP "$DASH_PID"
for _ in $(seq 1 50); do grep -q 'api-key-file reloaded' "$OUT/dashboard.log" && break; sleep 0.1; done
check "SIGHUP reloads the key file (3 keys, 1 revoked)" grep -q 'reloaded: 3 key(s), 0 added, 1 revoked' "$OUT/dashboard.log"
expect_status "the revoked key -> 401" 401 "$(post_as "$KEYC" "$S/id-claim-a.pb")"
for _ in $(seq 1 50); do [[ $(repo_sql "SELECT count(*) FROM pgi.key_claims") == 0 ]] && break; sleep 0.1; done
"$MKSNAP" --index 1 --sysid 7300000000000000002 --db claims --name claim-a --instance claim-a:5432 --role primary \
	--end-us $(((NOW - 360) * 1000000)) -o "$S/id-claim-a2.pb"
expect_status "its server is free again: another unbound key claims claim-a" 200 "$(post_as "$KEYD" "$S/id-claim-a2.pb")"
# any number of keys: 2,000 lines, one bound to each of 2,000 servers, reloaded with SIGHUP
{
	printf '%s *\n%s orders-primary\n%s\n' "$KEY" "$KEYB" "$KEYD"
	for i in $(seq 1 2000); do printf 'sha256:%064x server-%d\n' "$i" "$i"; done
} >"$DKEYS"
kill -HUP "$DASH_PID"
for _ in $(seq 1 50); do grep -q 'reloaded: 2003 key' "$OUT/dashboard.log" && break; sleep 0.1; done
check "2,003 keys load (no fixed limit)" grep -q 'reloaded: 2003 key(s), 2000 added, 0 revoked' "$OUT/dashboard.log"
expect_status "... and the first keys still work" 200 "$(post_as "$KEYB" "$S/id-primary.pb")"
printf '%s *\n%s orders-primary\n%s\n' "$KEY" "$KEYB" "$KEYD" >"$DKEYS"
printf 'bad-key-line-1234567 a,,b\n' >"$OUT/bad.keys"
check "a key file with an empty server name is refused, naming the line" bash -c \
	"$BIN --no-auth --api-key-file '$OUT/bad.keys' --listen 127.0.0.1:1 2>&1 | grep -q 'bad.keys: line 1: an empty server name'"

"$MKSNAP" --index 0 --sysid 7300000000000000001 --db orders --role leader -o "$S/id-badrole.pb"
expect_status "server.role other than primary/standby -> 422" 422 "$(post "$S/id-badrole.pb")"
expect_status "source= that is not an id -> 400" 400 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' "$URL/api/queries?source=1;DROP")"
repo_sql "SET client_min_messages = warning; TRUNCATE pgi.sources, pgi.shape_stats, pgi.totals CASCADE" >/dev/null	# start the page's data from a clean slate

# ---- security headers, read-only ----
curl -s -D "$OUT/headers" -o /dev/null "$URL/"
check "CSP without inline script, frame-ancestors 'none'" bash -c \
	"grep -qi \"^Content-Security-Policy: default-src 'self'; script-src 'self';.*frame-ancestors 'none'\" '$OUT/headers' && ! grep -qi 'unsafe-inline' '$OUT/headers'"
check "X-Content-Type-Options: nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$OUT/headers"
expect_status "the page is read-only (POST /api/queries -> 405)" 405 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' -X POST "$URL/api/queries")"
expect_status "path outside the asset table -> 404" 404 "$(curl -s -o "$OUT/last-response" --path-as-is -w '%{http_code}' "$URL/../../etc/passwd")"

# ---- the page's data: 30 snapshots 10 s apart, plus a hostile one in database "evil" ----
for k in $(seq 0 $((NSNAP - 1))); do
	"$MKSNAP" --index "$k" --end-us $(((NOW - 300 + k * 10) * 1000000)) --deflate -o "$S/app-$k.pb"
	st=$(post "$S/app-$k.pb" -H 'Content-Encoding: deflate')
	[[ $st == 200 ]] || { nok "ingest app-$k" "HTTP $st"; break; }
done
ok "30 deflate-compressed snapshots ingested"
"$MKSNAP" --scenario evil --db evil --end-us $(((NOW - 20) * 1000000)) -o "$S/evil.pb"
expect_status "hostile snapshot stored" 200 "$(post "$S/evil.pb")"
check "API query list sums the buckets (1001: 500 x 465 executions)" bash -c \
	"curl -s '$URL/api/queries?db=app&sort=calls' | grep -q '\"shape_id\":\"1001\"[^}]*\"calls\":232500'"
check "API JSON escapes markup from the monitored database" bash -c \
	"curl -s '$URL/api/queries?db=evil' >'$OUT/evil.json' && grep -q 'u003cscript' '$OUT/evil.json' && ! grep -q '<script' '$OUT/evil.json' && node -e 'JSON.parse(require(\"fs\").readFileSync(\"$OUT/evil.json\"))'"

# ---- browser ----
"$MKSNAP" --describe >"$OUT/scenario.json"
"$MKSNAP" --describe --scenario evil >"$OUT/evil-scenario.json"
mkdir -p "$OUT/screenshots"
PGI_DASH_URL=$URL PGI_DASH_OUT=$OUT/screenshots PGI_DASH_SCENARIO=$OUT/scenario.json \
	PGI_DASH_EVIL=$OUT/evil-scenario.json PGI_DASH_SNAPS=$NSNAP \
	timeout 180 node test/dashboard/browser.mjs >"$OUT/browser.log" 2>&1
grep -E '^(ok|FAIL) - |^# first' "$OUT/browser.log" | sed -E 's/^(ok|FAIL) - /\1 - browser: /'
bp=$(grep -c '^ok - ' "$OUT/browser.log")
bf=$(grep -c '^FAIL - ' "$OUT/browser.log")
grep -q '^browser: [0-9]* passed' "$OUT/browser.log" || { bf=$((bf + 1)); echo "FAIL - browser run did not finish: $(tail -3 "$OUT/browser.log")"; }
PASS=$((PASS + bp))
FAIL=$((FAIL + bf))

# ---- evidence in words, one prompt per query, own statements hidden (database "blog") ----
"$MKSNAP" --scenario evidence --db blog --end-us $(((NOW - 15) * 1000000)) -o "$S/evidence.pb"
expect_status "evidence snapshot stored" 200 "$(post "$S/evidence.pb")"
"$MKSNAP" --describe --scenario evidence >"$OUT/evidence-scenario.json"
api_json() { curl -s "$URL/api/$1" | node -e "const j=JSON.parse(require('fs').readFileSync(0)); console.log($2)"; }
is "API hides pg_insights' own statements by default (insights.*, BEGIN, COMMIT, insights.reset())" \
	"$(api_json 'queries?db=blog&sort=query&dir=asc' "j.rows.map((r) => r.shape_id).sort().join(',') + ' hidden ' + j.hidden_own")" \
	"2001,2002,2003,2004,2005,2006,2007,2008,2009 hidden 4"
is "API lists them with own=1" "$(api_json 'queries?db=blog&own=1' "j.rows.length + ' hidden ' + j.hidden_own")" "13 hidden 0"
is "API: an empty page still says how many own statements it hid" \
	"$(api_json 'queries?db=blog&q=insights.queries' "j.total + ' rows ' + j.rows.length + ' hidden ' + j.hidden_own")" "0 rows 0 hidden 1"
is "API table list leaves out insights.* unless own=1" \
	"$(api_json 'tables?db=blog' "j.tables.join(',')") / $(api_json 'tables?db=blog&own=1' "j.tables.join(',')")" \
	"public.Post,public.User,public.events,public.products / insights.queries,public.Post,public.User,public.events,public.products"
is "API quick filter 'repeated' includes the repeated-query and N+1 findings below 100 executions" \
	"$(api_json 'queries?db=blog&quick=repeated' "j.rows.map((r) => r.shape_id).sort().join(',')")" "2001,2005"
PGI_DASH_URL=$URL PGI_DASH_OUT=$OUT/screenshots PGI_DASH_SCENARIO=$OUT/evidence-scenario.json \
	timeout 180 node test/dashboard/evidence.mjs >"$OUT/evidence-browser.log" 2>&1
grep -E '^(ok|FAIL) - ' "$OUT/evidence-browser.log" | sed -E 's/^(ok|FAIL) - /\1 - evidence: /'
bp=$(grep -c '^ok - ' "$OUT/evidence-browser.log")
bf=$(grep -c '^FAIL - ' "$OUT/evidence-browser.log")
grep -q '^evidence: [0-9]* passed' "$OUT/evidence-browser.log" || { bf=$((bf + 1)); echo "FAIL - evidence browser run did not finish: $(tail -3 "$OUT/evidence-browser.log")"; }
PASS=$((PASS + bp))
FAIL=$((FAIL + bf))

# ---- the page's loading, empty and error states: a dashboard of its own on an empty repository, stopped by the test ----
pgi_sql "CREATE DATABASE pgi_states" >/dev/null
PORT4=$(pgi_free_port)
if REPO="host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=pgi_states" start_dashboard "$OUT/dashboard-states.log" "$PORT4" "$BIN"; then
	PGI_DASH_URL=http://127.0.0.1:$PORT4 PGI_DASH_PID=$DASH_PID PGI_DASH_KEY=$KEYF PGI_DASH_SNAPDIR=$S PGI_DASH_SNAPS=$NSNAP \
		PGI_DASH_OUT=$OUT/screenshots timeout 120 node test/dashboard/states.mjs >"$OUT/states.log" 2>&1
	grep -E '^(ok|FAIL) - ' "$OUT/states.log" | sed -E 's/^(ok|FAIL) - /\1 - states: /'
	sp=$(grep -c '^ok - ' "$OUT/states.log")
	sf=$(grep -c '^FAIL - ' "$OUT/states.log")
	grep -q '^states: [0-9]* passed' "$OUT/states.log" || { sf=$((sf + 1)); echo "FAIL - states run did not finish: $(tail -3 "$OUT/states.log")"; }
	PASS=$((PASS + sp))
	FAIL=$((FAIL + sf))
	wait "$DASH_PID" 2>/dev/null
else
	nok "dashboard for the states test starts" "$(tail -3 "$OUT/dashboard-states.log")"
fi

is "repository intact after the hostile snapshot (all 11 tables)" "$(repo_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'pgi'")" 11
is "hostile statement text stored verbatim" "$(repo_sql "SELECT count(*) FROM pgi.shapes WHERE query LIKE '%DROP TABLE pgi.shapes%'")" 1
is "hostile tag value stored verbatim" "$(repo_sql "SELECT count(*) FROM pgi.attributions WHERE controller = '''); DROP TABLE pgi.snapshots; --'")" 1

# the repository server runs pg_insights: the dashboard's own statements are tagged as its own,
# so they are counted in own_calls, never a shape of the user's
pgi_sql "CREATE EXTENSION IF NOT EXISTS pg_insights" >/dev/null
is "the dashboard's statements are not shapes on its repository server (ingest, schema version)" \
	"$(pgi_sql "SELECT count(*) FROM insights.queries WHERE query LIKE 'INSERT INTO pgi.%' OR query LIKE 'SELECT coalesce(max(version), \$_) FROM pgi.schema_version%'")" 0
is "... they are counted as pg_insights' own" "$(pgi_sql "SELECT own_calls > 0 FROM insights.info")" t

# ---- downsampling and retention ----
"$MKSNAP" --index 0 --end-us $(((NOW - 7200) * 1000000)) --id old-2h-a -o "$S/old-a.pb"
"$MKSNAP" --index 1 --end-us $(((NOW - 7190) * 1000000)) --id old-2h-b -o "$S/old-b.pb"
"$MKSNAP" --index 0 --end-us $(((NOW - 9 * 86400) * 1000000)) --id old-9d -o "$S/old-9d.pb"
post "$S/old-a.pb" >/dev/null
post "$S/old-b.pb" >/dev/null
post "$S/old-9d.pb" >/dev/null
sleep 2.5
is "10 s buckets older than 1 h are gone" "$(repo_sql "SELECT count(*) FROM pgi.shape_stats WHERE width = 10 AND bucket < now() - interval '1 hour'")" 0
is "... merged into 1 min buckets, counts kept (500 + 1000)" "$(repo_sql "SELECT sum(calls) FROM pgi.shape_stats WHERE width = 60 AND shape_id = 1001 AND bucket < now() - interval '1 hour'")" 1500
is "buckets past --retention (7d) deleted" "$(repo_sql "SELECT count(*) FROM pgi.shape_stats WHERE bucket < now() - interval '7 days'")" 0

# ---- UI auth ----
PORT2=$(pgi_free_port)
if start_dashboard "$OUT/dashboard-auth.log" "$PORT2" "$BIN" --ui-auth token:s3cret-token-123; then
	expect_status "--ui-auth token: API without the token -> 401" 401 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' "http://127.0.0.1:$PORT2/api/servers")"
	expect_status "--ui-auth token: bearer token accepted" 200 "$(curl -s -o "$OUT/last-response" -w '%{http_code}' -H 'Authorization: Bearer s3cret-token-123' "http://127.0.0.1:$PORT2/api/servers")"
	check "--ui-auth token: ?token= neither opens the page nor sets a cookie" bash -c \
		"curl -s -D - -o /dev/null 'http://127.0.0.1:$PORT2/api/servers?token=s3cret-token-123' | tee /dev/stderr | grep -q '^HTTP/1.1 401' && ! curl -s -D - -o /dev/null 'http://127.0.0.1:$PORT2/?token=s3cret-token-123' | grep -qi '^Set-Cookie'"
	mkdir -p "$OUT/screenshots"
	if PGI_DASH_URL=http://127.0.0.1:$PORT2 PGI_DASH_OUT=$OUT/screenshots PGI_DASH_UI_TOKEN=s3cret-token-123 \
		timeout 120 node test/dashboard/login.mjs >"$OUT/login-browser.log" 2>&1; then :; fi
	grep -E '^(ok|FAIL) - ' "$OUT/login-browser.log" | sed -E 's/^(ok|FAIL) - /\1 - login: /'
	PASS=$((PASS + $(grep -c '^ok - ' "$OUT/login-browser.log")))
	FAIL=$((FAIL + $(grep -c '^FAIL - ' "$OUT/login-browser.log")))
	grep -q '^login: [0-9]* passed' "$OUT/login-browser.log" || { FAIL=$((FAIL + 1)); echo "FAIL - login browser run did not finish: $(tail -3 "$OUT/login-browser.log")"; }
	kill "$DASH_PID"
	wait "$DASH_PID" 2>/dev/null
	check "SIGTERM: clean exit 0" bash -c "grep -q 'shutting down' '$OUT/dashboard-auth.log'"
else
	nok "dashboard with --ui-auth starts"
fi

# ---- end to end: workload -> extension -> real collector -> dashboard -> page ----
COLLECTOR=$ROOT/collector/pg_insights_collector
if make -C collector >"$OUT/collector-build.log" 2>&1 && [[ -x $COLLECTOR ]]; then
	pgi_sql "CREATE DATABASE shop" >/dev/null
	PGI_DB=shop pgi_sql "CREATE EXTENSION pg_insights; CREATE TABLE items (id int PRIMARY KEY, owner int, name text);
		INSERT INTO items SELECT g, g % 100, 'item ' || g FROM generate_series(1, 20000) g; ANALYZE items;" >/dev/null
	"$COLLECTOR" --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=shop" --dashboard-url "$URL" \
		--api-key-file "$KEYF" --interval 1s >"$OUT/collector.log" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	sleep 1.5
	for i in $(seq 1 200); do
		echo "SELECT name FROM items WHERE owner = $((i % 100)) /*application='e2e',route='%2Fitems'*/;"
	done | pgi_psql -d shop >/dev/null
	e2e=0
	for _ in $(seq 1 30); do
		if curl -s "$URL/api/queries?db=shop&q=owner" | grep -q '"calls":200[,}]'; then e2e=1; break; fi
		sleep 0.5
	done
	if ((e2e)); then ok "e2e: 200 executions of the workload shape reached the dashboard through the collector"; else
		nok "e2e: workload shape with 200 executions" "$(curl -s "$URL/api/queries?db=shop&q=owner" | head -c 300)"
	fi
	# why it is slow and how it fails: a sleep (sampled as Timeout:PgSleep) and 3 unique violations
	PGI_DB=shop pgi_sql "CREATE TABLE uv (id int PRIMARY KEY); INSERT INTO uv VALUES (1); SELECT pg_sleep(0.5) AS e2e_nap" >/dev/null
	for _ in 1 2 3; do PGI_DB=shop pgi_sql "INSERT INTO uv VALUES (1)" >/dev/null 2>&1; done
	waits_ok=0
	for _ in $(seq 1 30); do
		NAP=$(api_json "queries?db=shop&q=e2e_nap" "(j.rows[0] || {}).shape_id || ''")
		UVS=$(api_json "queries?db=shop&q=INSERT%20INTO%20uv" "(j.rows[0] || {}).shape_id || ''")
		if [[ -n $NAP && -n $UVS ]] &&
			[[ $(api_json "queries/$NAP?db=shop" "(j.waits.find((w) => w.wait === 'Timeout:PgSleep') || {}).samples > 10") == true ]] &&
			[[ $(api_json "queries/$UVS?db=shop" "j.errors.map((e) => e.sqlstate + ' ' + e.errors).join(',')") == "23505 3" ]]; then
			waits_ok=1
			break
		fi
		sleep 0.5
	done
	if ((waits_ok)); then ok "e2e: the detail API has the sleep's wait samples (Timeout:PgSleep) and the 3 unique violations (23505)"; else
		nok "e2e: waits and errors per shape" "$(api_json "queries/$NAP?db=shop" "JSON.stringify(j.waits)") $(api_json "queries/$UVS?db=shop" "JSON.stringify(j.errors)")"
	fi
	if ((e2e)) && PGI_DASH_URL=$URL PGI_DASH_OUT=$OUT/screenshots node test/dashboard/e2e.mjs >"$OUT/e2e-browser.log" 2>&1; then
		ok "e2e: the page lists the workload shape with 200 executions; its detail shows wait events and errors"
	else
		nok "e2e: page" "$(tail -2 "$OUT/e2e-browser.log" 2>/dev/null)"
	fi
	kill "$CPID" 2>/dev/null

	# a real streaming replica of this server: same system identifier, its own server on the page
	REP=$(mktemp -d "${TMPDIR:-/tmp}/pgi-cluster.XXXXXX")
	PGI_CLUSTERS+=("$REP")
	chmod 755 "$REP"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$REP"
	REP_PORT=$(pgi_free_port)
	if pgi_as_owner "$PGI_PGBIN/pg_basebackup" -h "$PGI_SOCK" -p "$PGI_PORT" -U "$PGI_SUPERUSER" -D "$REP/data" -R \
		-X stream >"$OUT/basebackup.log" 2>&1 &&
		pgi_as_owner mkdir -p "$REP/sock" &&
		printf "port = %s\nunix_socket_directories = '%s'\ncluster_name = 'shop-replica'\n" "$REP_PORT" "$REP/sock" |
		pgi_as_owner tee -a "$REP/data/postgresql.conf" >/dev/null &&
		pgi_as_owner "$PGI_PGBIN/pg_ctl" -D "$REP/data" -l "$REP/server.log" -w -t 60 start >>"$OUT/basebackup.log" 2>&1; then
		"$COLLECTOR" --once --dbname "host=$REP/sock port=$REP_PORT user=$PGI_SUPERUSER dbname=shop" --dashboard-url "$URL" \
			--api-key-file "$KEYF" >"$OUT/collector-replica.log" 2>&1
		"$COLLECTOR" --once --server-name shop-primary --dbname "host=$PGI_SOCK port=$PGI_PORT user=$PGI_SUPERUSER dbname=shop" \
			--dashboard-url "$URL" --api-key-file "$KEYF" >"$OUT/collector-primary.log" 2>&1
		is "real replica: primary and standby are two servers (--server-name; the standby's cluster_name), same system identifier" \
			"$(api_json servers "((s) => s.map((x) => x.name + ' ' + x.role).join(', ') + ' / ' + new Set(s.map((x) => x.server)).size + ' system identifier')(j.servers.filter((x) => x.db === 'shop' && x.role))")" \
			"shop-primary primary, shop-replica standby / 1 system identifier"
		is "real replica: each server's instance is local:port as the collector reached it" \
			"$(api_json servers "j.servers.filter((x) => x.db === 'shop' && x.role).map((x) => x.instance).join(',')")" \
			"local:$PGI_PORT,local:$REP_PORT"
	else
		nok "streaming replica starts (pg_basebackup -R)" "$(tail -3 "$OUT/basebackup.log")"
	fi
	pgi_cluster_destroy "$REP"
else
	nok "collector build (make -C collector)" "$(tail -3 "$OUT/collector-build.log")"
fi
check "dashboard log has no crash or repository error" bash -c "! grep -E 'ERROR: (repository|api)' '$OUT/dashboard.log'"

# ---- valgrind: a short ingest + API session ----
if [[ -z ${PGI_DASH_NO_VALGRIND:-} ]]; then
	PORT3=$(pgi_free_port)
	VLOG=$OUT/valgrind.log
	if start_dashboard "$OUT/dashboard-valgrind.log" "$PORT3" valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file="$VLOG" "$BIN" --threads 2; then
		U3=http://127.0.0.1:$PORT3
		for f in "$S/app-0.pb" "$S/garbage.pb" "$S/truncated.pb" "$S/evil.pb"; do
			curl -s -o /dev/null -H "Authorization: Bearer $KEY" --data-binary @"$f" "$U3/v1/snapshots"
		done
		curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H 'Content-Encoding: deflate' --data-binary @"$S/app-1.pb" "$U3/v1/snapshots"
		curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H 'Content-Encoding: deflate' --data-binary @"$S/bomb.z" "$U3/v1/snapshots"
		curl -s -o /dev/null -H "Authorization: Bearer nope" --data-binary @"$S/edge.pb" "$U3/v1/snapshots"
		for p in servers "timeseries?db=app" "queries?db=app&sort=p95_ms" "queries?db=evil&q=script" "queries/1002?db=app" \
			"queries/666?db=evil" "findings?db=app" "tables?db=app" "nope" ""; do
			curl -s -o /dev/null "$U3/api/$p"
		done
		curl -s -o /dev/null "$U3/"
		curl -s -o /dev/null "$U3/app.js"
		sleep 1.5	# one maintenance pass
		kill -TERM "$DASH_PID"
		wait "$DASH_PID"
		vrc=$?
		if [[ $vrc -eq 0 ]] && grep -q 'ERROR SUMMARY: 0 errors' "$VLOG"; then ok "valgrind: no leak, no invalid access (ingest + API session)"; else
			nok "valgrind" "exit $vrc; $(grep -E 'ERROR SUMMARY|definitely|indirectly' "$VLOG" | head -3 | tr '\n' ' ')"
		fi
	else
		nok "dashboard under valgrind starts" "$(tail -3 "$OUT/dashboard-valgrind.log")"
	fi
fi
