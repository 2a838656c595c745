#!/usr/bin/env bash
# test/demo/run.sh — README's first command end to end: `scripts/demo.sh` prints shapes and every
# kind of finding; `scripts/demo.sh --serve` keeps the dashboard up and its page (headless Chromium)
# shows the findings; Ctrl-C stops everything and removes the cluster.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${PGI_OUT:-$(mktemp -d /tmp/pgi-demo.XXXXXX)}/demo
mkdir -p "$OUT"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
nok() { fail=$((fail + 1)); echo "FAIL $1"; }

(cd "$ROOT/test/dashboard" && npm ci --no-audit --no-fund --loglevel=error) >"$OUT/npm.log" 2>&1 || nok "npm ci (playwright-core)"
setsid "$ROOT/scripts/demo.sh" --serve >"$OUT/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 600); do
	grep -q '^demo: running:' "$OUT/demo.log" && break
	kill -0 "$demo_pid" 2>/dev/null || break
	sleep 0.5
done
if ! grep -q '^demo: running:' "$OUT/demo.log"; then
	nok "demo did not come up"; tail -20 "$OUT/demo.log"
	kill -INT -- -"$demo_pid" 2>/dev/null
	echo "demo: $pass passed, $fail failed"; exit 1
fi
url=$(sed -n 's/^== Dashboard: \(http:[^ ]*\).*/\1/p' "$OUT/demo.log")
base=$(sed -n 's/.*collector log: \(.*\)\/collector.log).*/\1/p' "$OUT/demo.log")
conn=$(sed -n 's/^demo: running: psql -h \([^ ]*\) -p \([0-9]*\) -U \([^ ]*\) app.*/host=\1 port=\2 user=\3 dbname=app/p' "$OUT/demo.log")

# the printed report: top shapes, attribution, and every kind of finding with its fix and impact
for kind in n_plus_one missing_index offset_pagination repeated_query over_fetching large_nested_read; do
	if grep -q "\] $kind" "$OUT/demo.log"; then ok "demo prints a $kind finding"; else nok "demo prints a $kind finding"; fi
done
grep -q 'Post.findMany' "$OUT/demo.log" && ok "demo prints Prisma attribution (Post.findMany)" || nok "demo prints Prisma attribution"
grep -q 'impact:' "$OUT/demo.log" && ok "findings come with an expected impact" || nok "findings come with an expected impact"

findings=$(psql -X -At "$conn" -c "SELECT coalesce(json_agg(json_build_object('shape_id', shape_id::text, 'kind', kind, 'fix_sql', fix_sql)), '[]') FROM insights.findings WHERE status = 'open'")
if (cd "$ROOT/test/dashboard" && PGI_DASH_URL=$url PGI_DEMO_FINDINGS=$findings PGI_DASH_OUT=$OUT node demo_page.mjs) >"$OUT/page.log" 2>&1; then
	ok "dashboard page shows the demo's findings (screenshots in $OUT)"
else
	nok "dashboard page shows the demo's findings"; cat "$OUT/page.log"
fi

# Ctrl-C: SIGINT to the demo process alone (not its process group). It was started in the background
# of this script, so it inherited SIGINT ignored; it must stop anyway, and leave no process of its
# process group (daemons, postgres, its sleep) behind
kill -INT "$demo_pid" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$demo_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$demo_pid" 2>/dev/null; then nok "demo stops on SIGINT (started in the background)"; kill -KILL -- -"$demo_pid"; else ok "demo stops on SIGINT (started in the background)"; fi
sleep 1
left=$(pgrep -g "$demo_pid" -a 2>/dev/null)
if [[ -z $left ]]; then ok "no process of the demo is left behind"; else nok "no process of the demo is left behind: $left"; kill -KILL -- -"$demo_pid" 2>/dev/null; fi
if [[ -n "$base" && ! -e "$base" ]]; then ok "the demo's cluster directory is removed"; else nok "the demo's cluster directory is removed ($base)"; fi
if pgrep -f "pg_insights_collector.*$base" >/dev/null || pgrep -f "pg_insights_dashboard.*$base" >/dev/null; then
	nok "collector and dashboard stopped"
else
	ok "collector and dashboard stopped"
fi
echo "demo: $pass passed, $fail failed"
((fail == 0))
