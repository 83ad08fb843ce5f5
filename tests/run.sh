#!/bin/bash
# Runs every test suite and ends with the one line CI reads:
#   N passed, N failed
# Each suite prints TAP-style lines ("ok - name" / "not ok - name"); a suite
# that dies without saying so counts as one failure under its own name.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
log_dir=build/test-logs
mkdir -p "$log_dir"

# run_suite NAME COMMAND...: runs it, echoes its lines, counts its results.
run_suite() {
	local name=$1
	shift
	local log="$log_dir/$name.log"
	echo "=== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	local ok notok
	ok=$(grep -c '^ok ' "$log")
	notok=$(grep -c '^not ok ' "$log")
	grep -E '^(not )?ok |^# (SKIP|skip)' "$log" | sed 's/^/  /'
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "  not ok - $name exited with status $rc (log: $log)"
		tail -n 20 "$log" | sed 's/^/    | /'
		notok=1
	elif [ "$notok" -gt 0 ]; then
		grep -B2 -A8 '^not ok ' "$log" | grep -vE '^(not )?ok ' | head -n 40 | sed 's/^/    | /'
	fi
	passed=$((passed + ok))
	failed=$((failed + notok))
}

export CMOCKA_MESSAGE_OUTPUT=TAP

# A binary counts only while its source is there: a stale one from before a
# test moved or went away is not run.
for t in build/tests/test_*; do
	[ -x "$t" ] && [ -f "tests/unit/$(basename "$t").c" ] &&
		run_suite "unit-$(basename "$t")" "$t"
done
for t in build/san/tests/test_*; do
	[ -x "$t" ] && [ -f "tests/unit/$(basename "$t").c" ] &&
		run_suite "asan-ubsan-$(basename "$t")" "$t"
done
# The other C suites, tests/<suite>/test_*.c (scenarios, host, ...), each
# named after its folder, plain and sanitized.
for src in tests/*/test_*.c; do
	[ -f "$src" ] && [ "${src#tests/unit/}" = "$src" ] || continue
	suite=$(basename "$(dirname "$src")")
	bin=${src#tests/}
	bin=${bin%.c}
	run_suite "$suite-$(basename "$bin")" "build/tests/$bin"
	run_suite "asan-ubsan-$suite-$(basename "$bin")" "build/san/tests/$bin"
done
for t in tests/cli/*.sh; do
	# lib.sh holds the helpers the others source.
	[ -f "$t" ] && [ "$(basename "$t")" != lib.sh ] || continue
	run_suite "cli-$(basename "$t" .sh)" env LOCKDEPD=build/lockdepd bash "$t"
	# Every script that runs the binary runs the sanitized one too.
	[ "$(basename "$t")" = install.sh ] ||
		run_suite "asan-ubsan-cli-$(basename "$t" .sh)" env LOCKDEPD=build/san/lockdepd bash "$t"
done
if [ -x tests/fuzz/run.sh ]; then
	run_suite fuzz-smoke tests/fuzz/run.sh 5
fi
if [ -x tests/e2e/run.sh ]; then
	run_suite e2e-guest tests/e2e/run.sh
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
