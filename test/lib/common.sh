# test/lib/common.sh — counters and assertions shared by the test groups.  Source it.
# A group calls pgi_pass/pgi_fail (or the pgi_expect_* helpers) and ends with pgi_summary GROUP,
# which prints "GROUP: N passed, N failed" and returns non-zero when anything failed.

PGI_ROOT=${PGI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PGI_PASSED=0
PGI_FAILED=0
PGI_FAILURES=()

pgi_pass() {
	PGI_PASSED=$((PGI_PASSED + 1))
	echo "  ok   $1"
}

pgi_fail() {
	PGI_FAILED=$((PGI_FAILED + 1))
	PGI_FAILURES+=("$1")
	echo "  FAIL $1${2:+: $2}"
}

# pgi_expect_eq NAME ACTUAL EXPECTED
pgi_expect_eq() {
	if [[ "$2" == "$3" ]]; then
		pgi_pass "$1"
	else
		pgi_fail "$1" "got '$2', expected '$3'"
	fi
}

# pgi_expect_true NAME COMMAND...   (passes when the command succeeds)
pgi_expect_true() {
	local name=$1
	shift
	if "$@"; then pgi_pass "$name"; else pgi_fail "$name" "command failed: $*"; fi
}

pgi_summary() {
	echo "$1: $PGI_PASSED passed, $PGI_FAILED failed"
	((PGI_FAILED == 0))
}

pgi_elapsed() { echo $((SECONDS - ${1:-0}))s; }
