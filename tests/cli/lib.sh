# Helpers for the CLI test scripts: TAP lines and small assertions.
# The binary under test is $LOCKDEPD (tests/run.sh passes the plain and the
# sanitizer builds in turn).
LOCKDEPD=${LOCKDEPD:-build/lockdepd}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tap_failed=0
# Graphviz (graph, status --graph) and the text layout it loads keep caches
# they never free: the sanitizer build is told so.
export LSAN_OPTIONS="suppressions=$ROOT/tests/cli/graphviz.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1: $2"
	tap_failed=1
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "'$*' failed"; fi
}

# run_lockdepd OUT ERR ARGS...: runs the binary, sets $status.
run_lockdepd() {
	local out=$1 err=$2
	shift 2
	"$LOCKDEPD" "$@" >"$out" 2>"$err"
	status=$?
}

expect_status() {
	local name=$1 want=$2
	if [ "$status" -eq "$want" ]; then ok "$name"; else not_ok "$name" "exit status $status, expected $want"; fi
}

tap_end() { exit $tap_failed; }
