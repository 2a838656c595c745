#!/usr/bin/env bash
# bench/reliability.sh — the long reliability runs behind the README's Reliability figures.
#
#   bench/reliability.sh [soak|fuzz|all]     (default all)
#
#   soak  LONG=1 test/groups/reliability.sh: churn soak 300 s with 16 clients, 200 kill -9 loops,
#         20 immediate shutdowns under load, plus the short cases (PGI_REL_CHURN_SECS,
#         PGI_REL_CRASH_LOOPS, PGI_REL_IMMEDIATE_LOOPS override the sizes)
#   fuzz  make -C test/fuzz long (10,000,000 runs per libFuzzer target), in a private copy of
#         test/fuzz so a concurrent `test/run fuzz` is not disturbed
#
# Needs the extension built and installed (make && make install) and root (throwaway clusters
# run as postgres; the asan and tmpfs cases use a private mount namespace).  Writes the output
# and a summary of the figures to bench/results/reliability-<date>.txt and prints the summary.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
what=${1:-all}
stamp=$(date -u +%Y-%m-%d-%H%M)
res=$root/bench/results/reliability-$stamp.txt
work=$(mktemp -d /tmp/pgi-reliability.XXXXXX)
mkdir -p "$root/bench/results"
rc=0
{
	echo "# pg_insights reliability run $stamp ($(uname -srm), $(nproc) CPUs)"
	echo "# $(git -C "$root" log -1 --format='%h %s' 2>/dev/null)"
} >"$res"

if [[ "$what" == all || "$what" == soak ]]; then
	t=$SECONDS
	LONG=1 PGI_OUT=$work bash test/groups/reliability.sh >"$work/soak.out" 2>&1 || rc=1
	{
		echo "## soak (LONG=1 test/groups/reliability.sh, $((SECONDS - t))s)"
		grep -E '^  (ok|FAIL)|figure:|^reliability:' "$work/soak.out" | grep -v '    '
	} >>"$res"
fi

if [[ "$what" == all || "$what" == fuzz ]]; then
	t=$SECONDS
	mkdir -p "$work/fuzz"
	cp -r test/fuzz/Makefile test/fuzz/*.c test/fuzz/corpus "$work/fuzz/"
	make -C "$work/fuzz" long EXT="$root/extension" >"$work/fuzz.out" 2>&1 || rc=1
	{
		echo "## fuzz (make -C test/fuzz long, $((SECONDS - t))s)"
		for log in "$work"/fuzz/build/fuzz_*.log; do
			name=$(basename "$log" .log)
			execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+).*/\1/p' "$log" | tail -1)
			crashes=$(find "$work/fuzz/build" -maxdepth 1 -name "crash-${name#fuzz_}-*" | wc -l)
			echo "$name: ${execs:-?} inputs executed, $crashes crash reproducers"
		done
		grep -E '^fuzz_.*(passed|failed)' "$work/fuzz.out"
	} >>"$res"
fi

cat "$res"
echo "(full output in $work; summary in $res)"
exit $rc
