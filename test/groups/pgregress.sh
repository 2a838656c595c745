#!/usr/bin/env bash
# pgregress group: PostgreSQL's own regression suite (Debian's postgresql-MAJOR source, MAJOR that of
# $PGI_PGBIN's server: 15 on the host, 17/18/19 in the version roots) against a server with
# pg_insights preloaded (pg_insights.track = all) must give exactly the same set of passing and
# failing tests as against a server without it.
#   PGI_PGREGRESS_SCHEDULE=parallel|serial (default parallel)
#   PGI_PGREGRESS_BUILD    where regress.so, autoinc.so, refint.so are built (default
#                          $PG_SRC_CACHE/../regress-build-MAJOR; must be writable)
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$PGI_ROOT/test/lib/cluster.sh"
group=pgregress
t0=$SECONDS
pg_config=$PGI_PGBIN/pg_config
major=$("$pg_config" --version | sed -nE 's/^PostgreSQL ([0-9]+).*/\1/p')
echo "  server: $("$pg_config" --version)"

src=$(PGI_PGBIN=$PGI_PGBIN "$PGI_ROOT/scripts/pg-source.sh") ||
	{ pgi_fail "fetch postgresql-$major source"; pgi_summary $group; exit 1; }
regress_src=$src/src/test/regress
echo "  source tree: $src"

# regress.so (create_function_c, etc. need it) and contrib/spi's autoinc.so and refint.so (the
# triggers test), built with PGXS outside the repo, one directory per major (the modules carry its
# magic block)
build=${PGI_PGREGRESS_BUILD:-${PG_SRC_CACHE:-/var/cache/pg_insights/src}/../regress-build-$major}
mkdir -p "$build"
build=$(cd "$build" && pwd)
if [[ ! -f "$build/regress.so" || ! -f "$build/refint.so" || "$regress_src/regress.c" -nt "$build/regress.so" ]]; then
	cp "$regress_src/regress.c" "$src/contrib/spi/autoinc.c" "$src/contrib/spi/refint.c" "$build/"
	printf 'MODULES = regress autoinc refint\nPG_CPPFLAGS = -DREFINT_VERBOSE\nPG_CONFIG ?= pg_config\nPGXS := $(shell $(PG_CONFIG) --pgxs)\ninclude $(PGXS)\n' \
		>"$build/Makefile"
	if ! make -s -C "$build" PG_CONFIG="$pg_config" >"$build/build.log" 2>&1; then
		cat "$build/build.log"
		pgi_fail "build regress.so"
		pgi_summary $group
		exit 1
	fi
fi

schedule=$regress_src/parallel_schedule
[[ "${PGI_PGREGRESS_SCHEDULE:-parallel}" == serial ]] && schedule=$regress_src/serial_schedule
[[ -f "$schedule" ]] || schedule=$regress_src/parallel_schedule
PG_REGRESS=$(dirname "$("$pg_config" --pgxs)")/../test/regress/pg_regress

# run_suite LABEL SETTINGS... ; leaves "name status" lines in $out/LABEL.results
run_suite() {
	local label=$1
	shift
	local t=$SECONDS
	pgi_cluster_start "$@" || return 1
	local outdir=$PGI_BASE/out
	mkdir -p "$outdir"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$outdir"
	pgi_as_owner "$PG_REGRESS" --host="$PGI_SOCK" --port="$PGI_PORT" --user="$PGI_SUPERUSER" \
		--inputdir="$regress_src" --outputdir="$outdir" --dlpath="$build" \
		--max-concurrent-tests=20 --schedule="$schedule" >"$out/$label.log" 2>&1
	# up to 15: "test name ... ok  12 ms", "     name ... FAILED", "... failed (ignored)";
	# 16 and later (TAP): "ok 12   + name   30 ms", "not ok 13   - name   30 ms"
	{
		sed -nE 's/^(test +| +)([A-Za-z0-9_]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2 \3/p' \
			"$out/$label.log" | sed 's/failed (ignored)/ignored/'
		sed -nE 's/^ok +[0-9]+ +[-+] +([A-Za-z0-9_]+) .*/\1 ok/p; s/^not ok +[0-9]+ +[-+] +([A-Za-z0-9_]+) .*/\1 FAILED/p' \
			"$out/$label.log"
	} | sort >"$out/$label.results"
	[[ -f "$outdir/regression.diffs" ]] && cp "$outdir/regression.diffs" "$out/$label.diffs"
	pgi_cluster_log_check || echo "crash" >>"$out/$label.results"
	cp "$PGI_LOG" "$out/$label.server.log"
	pgi_cluster_destroy
	echo "  $label: $(grep -c ' ok$' "$out/$label.results") ok, $(grep -vc ' ok$' "$out/$label.results") not ok ($((SECONDS - t))s)"
}

out=${PGI_OUT:-$(mktemp -d)}/pgregress
mkdir -p "$out"
common=("compute_query_id = regress" "max_connections = 60" "max_prepared_transactions = 2")

run_suite baseline "${common[@]}"
if [[ -n "${PGI_PGREGRESS_BASELINE_ONLY:-}" ]]; then
	cat "$out/baseline.results" | grep -v ' ok$'
	exit 0
fi
run_suite insights "${common[@]}" "shared_preload_libraries = 'pg_insights'" "pg_insights.track = all"

nbase=$(wc -l <"$out/baseline.results")
if ((nbase <= 150)); then
	pgi_fail "baseline ran" "only $nbase tests parsed, see $out/baseline.log"
else
	pgi_pass "baseline ran $nbase tests"
fi
if grep -q '^crash' "$out/insights.results"; then
	pgi_fail "no crash with pg_insights" "$(grep -E "$PGI_CRASH_RE" "$out/insights.server.log" | head -3)"
else
	pgi_pass "no crash with pg_insights"
fi
if diff -u "$out/baseline.results" "$out/insights.results" >"$out/results.diff"; then
	pgi_pass "same results with pg_insights ($(grep -vc ' ok$' "$out/baseline.results") tests fail in both)"
else
	pgi_fail "same results with pg_insights" "$(grep '^[-+][a-z]' "$out/results.diff" | tr '\n' ' ')"
	[[ -f "$out/insights.diffs" ]] && head -80 "$out/insights.diffs"
fi
echo "  logs in $out ($(pgi_elapsed $t0))"
pgi_summary $group
