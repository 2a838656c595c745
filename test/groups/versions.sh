#!/usr/bin/env bash
# versions group: pg_insights on every PostgreSQL major version Debian ships, from this one tree.
#   15  the host's own (bookworm): the shape corpus (the regress group runs there already) and the
#       Debian package built and inspected (test/versions/package.sh --build-only)
#   17, 18, 19  a clean root each (scripts/pg-roots.sh: trixie, sid, sid + experimental), built or
#       reused from its cache; inside it (test/versions/in-root.sh) the extension is built with
#       -Werror and installed, then the regress group and the shape corpus run as a non-root user, and
#       the Debian package is built, installed with apt, used by a server and purged, as root.
# Prints "pgNN: P passed, F failed" per version; the totals are test/run's.
#   PGI_VERSIONS="17 19"      only these versions (default: 15 17 18 19)
#   PGI_VERSION_GROUPS="regress package"   only these parts in the roots (test/versions/in-root.sh;
#                             on 15 the parts there are shapes and package)
#   PGI_REGRESS_TESTS=...     as for the regress group
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
group=versions
t0=$SECONDS
out=${PGI_OUT:-$(mktemp -d)}/versions
rm -rf "$out"
mkdir -p "$out"
versions=${PGI_VERSIONS:-15 17 18 19}
total_p=0
total_f=0

# sum "<name>: N passed, N failed" lines of a log: prints "P F"
sum_counts() {
	sed -nE 's/^[A-Za-z0-9_./-]+: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$1" |
		awk '{p += $1; f += $2} END {print p + 0, f + 0}'
}

report() {	# report VERSION LOG SECONDS
	local p f
	read -r p f < <(sum_counts "$2")
	((p + f == 0)) && f=1
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	echo "pg$1: $p passed, $f failed ($3; log $2)"
	# what each part cost (the "(Ns)" in-root.sh appends), so the matrix's time in CI stays visible
	local times
	times=$(sed -nE 's/^([A-Za-z0-9_./-]+): [0-9]+ passed, [0-9]+ failed.*\(([0-9]+)s[,)].*/\1 \2s/p' "$2" |
		paste -sd, - | sed 's/,/, /g')
	[[ -n "$times" ]] && echo "    times: $times"
	grep -E '^  [a-z]+: not run' "$2" | sed 's/^/  /'
	if ((f > 0)); then
		grep -E '^  FAIL|^build: 0' "$2" | head -20 | sed 's/^/    /'
	fi
}

if [[ $(id -u) -ne 0 ]]; then
	echo "versions: 0 passed, 1 failed (needs root: the roots are built and entered with chroot)"
	exit 1
fi

for v in $versions; do
	t=$SECONDS
	log=$out/pg$v.log
	if [[ $v == 15 ]]; then
		groups15=${PGI_VERSION_GROUPS:-shapes package}
		# the host's other groups (pgregress, dashboard, ...) are test/run's own; 15 adds only these
		if [[ " $groups15 " != *" shapes "* && " $groups15 " != *" package "* ]]; then
			echo "pg15: not run (neither shapes nor package in PGI_VERSION_GROUPS; the host runs the other groups itself)"
			continue
		fi
		: >"$log"
		if [[ " $groups15 " == *" shapes "* ]]; then
			if [[ -f "$PGI_ROOT/test/versions/shapes.sh" ]]; then
				bash "$PGI_ROOT/test/versions/shapes.sh" >>"$log" 2>&1
			else
				echo "shapes: 0 passed, 0 failed" >>"$log"
			fi
		fi
		# the host's PostgreSQL is shared with other runs: the package is built and inspected, not installed
		if [[ " $groups15 " == *" package "* ]]; then
			bash "$PGI_ROOT/test/versions/package.sh" 15 --build-only >>"$log" 2>&1
		fi
		[[ -s $log ]] || echo "host: 0 passed, 0 failed (no part of [$groups15] runs on 15)" >>"$log"
		report "$v" "$log" "$((SECONDS - t))s"
		continue
	fi
	if ! "$PGI_ROOT/scripts/pg-roots.sh" "$v" >"$out/root$v.log" 2>&1; then
		cat "$out/root$v.log" >"$log"
		echo "root: 0 passed, 1 failed" >>"$log"
		report "$v" "$log" "$((SECONDS - t))s"
		continue
	fi
	tr=$((SECONDS - t))
	"$PGI_ROOT/scripts/pg-roots.sh" run "$v" "$PGI_ROOT" -- \
		env ${PGI_REGRESS_TESTS:+PGI_REGRESS_TESTS="$PGI_REGRESS_TESTS"} \
		${PGI_VERSION_GROUPS:+PGI_VERSION_GROUPS="$PGI_VERSION_GROUPS"} \
		bash /src/test/versions/in-root.sh "$v" >"$log" 2>&1
	# the root's logs next to the others
	root=$("$PGI_ROOT/scripts/pg-roots.sh" path "$v")
	[[ -d "$root/build/out" ]] && cp -r "$root/build/out" "$out/pg$v.out"
	report "$v" "$log" "$((SECONDS - t))s, root ${tr}s"
done
echo "  versions: $total_p passed, $total_f failed over [$versions] in $(pgi_elapsed $t0); logs in $out"
((total_f == 0))
