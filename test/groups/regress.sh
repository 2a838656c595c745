#!/usr/bin/env bash
# regress group: pg_insights' own SQL tests.
#   1. test/regress/schedule          pg_regress, server with pg_insights preloaded, track = all
#   2. test/regress/schedule_eviction pg_regress, same with pg_insights.max_shapes = 100
#   3. persistence                    shell-driven: restart, save = off, damaged stats files
# Each pg_regress test file counts as one pass/fail; each persistence assertion as one.
#   PGI_REGRESS_TESTS="counting shape"  run only these pg_regress tests (of both schedules)
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$PGI_ROOT/test/lib/cluster.sh"
group=regress
t0=$SECONDS
out=${PGI_OUT:-$(mktemp -d)}/regress
rm -rf "$out"
mkdir -p "$out"
PG_REGRESS=$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress
BASE_SETTINGS=(
	"shared_preload_libraries = 'pg_insights'"
	"pg_insights.track = all"
	"compute_query_id = on"
	"max_prepared_transactions = 2"
)

# pgi_regress_run LABEL SCHEDULE SETTINGS...
pgi_regress_run() {
	local label=$1 schedule=$2
	shift 2
	local t=$SECONDS
	if ! pgi_cluster_start "${BASE_SETTINGS[@]}" "$@"; then
		pgi_fail "$label: cluster start"
		return 1
	fi
	# inputs and the helper binary in a place the cluster owner can read
	local in=$PGI_BASE/regress-in res=$PGI_BASE/regress-out
	cp -r "$PGI_ROOT/test/regress" "$in"
	mkdir -p "$res"
	cp "$PGI_ROOT/test/tools/pgi_exec" "$PGI_BASE/pgi_exec"
	[[ $(id -u) -eq 0 ]] && chown -R postgres: "$in" "$res" "$PGI_BASE/pgi_exec"
	local tests=()
	if [[ -n "${PGI_REGRESS_TESTS:-}" ]]; then
		local tname
		for tname in $PGI_REGRESS_TESTS; do
			[[ "$tname" == setup* ]] && continue
			grep -qw "$tname" "$in/$schedule" && tests+=("$tname")
		done
		((${#tests[@]})) || { pgi_cluster_destroy; return 0; }
		tests=(setup "${tests[@]}")
		[[ "$schedule" == schedule_eviction ]] && tests=("${tests[@]/#setup/setup_eviction}")
	fi
	local sched_arg=(--schedule="$in/$schedule")
	((${#tests[@]})) && sched_arg=("${tests[@]}")
		pgi_as_owner env PGI_EXEC="$PGI_BASE/pgi_exec" PGI_DATA_DIR="$in/data" \
		"$PG_REGRESS" --host="$PGI_SOCK" --port="$PGI_PORT" --user="$PGI_SUPERUSER" \
		--inputdir="$in" --outputdir="$res" --dbname=pgi_regress "${sched_arg[@]}" \
		>"$out/$label.log" 2>&1
	local prc=$? line name status n=0
	while read -r name status; do
		n=$((n + 1))
		if [[ "$status" == ok ]]; then
			pgi_pass "$label/$name"
		else
			pgi_fail "$label/$name" "see $out/$label.diffs"
		fi
	done < <(sed -nE -e 's/^(test +| +)([A-Za-z0-9_]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2 \3/p' \
		-e 's/^ok +[0-9]+ +[-+] +([A-Za-z0-9_]+) .*/\1 ok/p' \
		-e 's/^not ok +[0-9]+ +[-+] +([A-Za-z0-9_]+) .*/\1 FAILED/p' "$out/$label.log")
	# pg_regress 15 prints "test name ... ok", 16 and later TAP ("ok 1 - name", "not ok 2 - name")
	if ((n == 0)) || { ((prc != 0)) && ! grep -qE 'FAILED|^not ok' "$out/$label.log"; }; then
		pgi_fail "$label: pg_regress ran" "exit $prc: $(tail -3 "$out/$label.log" | tr '\n' ' ')"
	fi
	[[ -f "$res/regression.diffs" ]] && cp "$res/regression.diffs" "$out/$label.diffs"
	[[ -d "$res/results" ]] && cp -r "$res/results" "$out/$label.results"
	cp "$PGI_LOG" "$out/$label.server.log"
	if pgi_cluster_log_check; then pgi_pass "$label: no crash in server log"; else pgi_fail "$label: no crash in server log"; fi
	pgi_cluster_destroy
	echo "  ($label: $((SECONDS - t))s)"
}

pgi_regress_run main schedule
pgi_regress_run eviction schedule_eviction "pg_insights.max_shapes = 100"
if [[ -z "${PGI_REGRESS_TESTS:-}" || " $PGI_REGRESS_TESTS " == *" persistence "* ]]; then
	source "$PGI_ROOT/test/regress/persistence.sh"
fi

# PGXN's META.json: valid, and it names the version and script the control file installs
meta_check() {
	python3 - "$PGI_ROOT" <<'PY'
import json, re, sys, os
root = sys.argv[1]
meta = json.load(open(os.path.join(root, "META.json")))
control = open(os.path.join(root, "pg_insights.control")).read()
default = re.search(r"default_version\s*=\s*'([^']+)'", control).group(1)
ext = meta["provides"]["pg_insights"]
assert meta["meta-spec"]["version"] == "1.0.0", "meta-spec"
for k in ("name", "abstract", "maintainer", "license", "version", "provides"):
    assert k in meta, k
assert ext["file"] == "sql/pg_insights--%s.sql" % default, (ext["file"], default)
assert os.path.exists(os.path.join(root, ext["file"])), ext["file"]
assert ext["version"].startswith(default + "."), (ext["version"], default)
assert re.fullmatch(r"\d+\.\d+\.\d+", meta["version"]), meta["version"]
PY
}
if out_meta=$(meta_check 2>&1); then pgi_pass "META.json valid, its version and script match pg_insights.control"; else pgi_fail "META.json" "$out_meta"; fi

for f in "$out"/*.diffs; do
	[[ -f "$f" ]] || continue
	echo "---- $f (first 120 lines)"
	head -120 "$f"
done
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
