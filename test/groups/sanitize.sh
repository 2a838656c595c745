#!/usr/bin/env bash
# test/groups/sanitize.sh — the collector and the dashboard built with AddressSanitizer and
# UndefinedBehaviorSanitizer run their own test suites (collector, dashboard, detection, faults) once; any
# sanitizer report fails the group.  (The extension's ASan/UBSan run is in the reliability group.)
# The build happens in a private copy of the tree, so the normal binaries stay as they are.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/pgi-sanitize.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
nok() { fail=$((fail + 1)); echo "  FAIL $1"; }

(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$WORK")
for nm in test/dashboard/node_modules dashboard/web/node_modules; do
	[[ -d "$ROOT/$nm" ]] && ln -s "$ROOT/$nm" "$WORK/$nm"
done
mkdir -p "$WORK/san"
export CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
# leaks are valgrind's business in the suites themselves (the test tools leak on purpose)
export ASAN_OPTIONS="detect_leaks=0:log_path=$WORK/san/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$WORK/san/ubsan"
export COLLECTOR_NO_VALGRIND=1 PGI_DASH_NO_VALGRIND=1	# valgrind and ASan do not mix

if make -C "$WORK/collector" all tools >"$WORK/build.log" 2>&1 && make -C "$WORK/dashboard" all tools >>"$WORK/build.log" 2>&1 \
	&& make -C "$WORK/test/tools" >>"$WORK/build.log" 2>&1; then
	ok "collector and dashboard built with -fsanitize=address,undefined"
else
	nok "sanitizer build"; tail -20 "$WORK/build.log"
	echo "sanitize: $pass passed, $fail failed"; exit 1
fi

for suite in collector dashboard detection faults; do
	# indented, so test/run counts only this group's own summary line
	bash "$WORK/test/$suite/run.sh" >"$WORK/$suite.log" 2>&1
	rc=$?
	sed 's/^/    /' "$WORK/$suite.log" | grep -E 'FAIL|passed, ' | head -20
	line=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$WORK/$suite.log" | tail -1)
	if [[ $rc -eq 0 && "$line" == *" 0 failed" ]]; then ok "$suite suite with sanitizers (${line#*: })"; else nok "$suite suite with sanitizers (exit $rc; ${line:-no summary})"; fi
done

reports=$(ls "$WORK/san" 2>/dev/null)
if [[ -z "$reports" ]]; then
	ok "no AddressSanitizer/UndefinedBehaviorSanitizer report"
else
	nok "sanitizer reports: $reports"
	for f in "$WORK"/san/*; do echo "---- $f"; head -30 "$f"; done
fi
echo "sanitize: $pass passed, $fail failed"
((fail == 0))
