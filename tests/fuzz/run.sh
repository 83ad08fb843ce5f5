#!/bin/bash
# Runs every libFuzzer target in $FUZZ_DIR (default build/fuzz) for SECONDS
# each, on a scratch copy of its seed corpus tests/fuzz/corpus/<name>/ (so
# the new inputs libFuzzer saves never land in the repository). Prints one
# TAP line per target and exits non-zero when any target fails.
#   tests/fuzz/run.sh [SECONDS]
set -u
cd "$(dirname "$0")/../.."

seconds=${1:-60}
fuzz_dir=${FUZZ_DIR:-build/fuzz}
log_dir=${FUZZ_LOG_DIR:-build/fuzz-logs}
mkdir -p "$log_dir"

targets=()
for bin in "$fuzz_dir"/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] && targets+=("$bin")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "not ok - fuzz: no fuzz_* binaries in $fuzz_dir (make fuzz-bins)"
	exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
for bin in "${targets[@]}"; do
	name=$(basename "$bin")
	corpus="$scratch/$name/corpus"
	artifacts="$scratch/$name/artifacts/"
	log="$log_dir/$name.log"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	fi
	"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$artifacts" "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz $name (${runs:-?} runs in ${seconds}s)"
		continue
	fi
	failed=1
	reason=$(grep -m 1 -E 'ERROR: |SUMMARY: |runtime error|round trip failed' "$log" |
		sed 's/^==[0-9]*==//')
	crash=$(ls "$artifacts" 2>/dev/null | head -n 1)
	if [ -n "$crash" ]; then
		mkdir -p "$log_dir/artifacts"
		cp "$artifacts/$crash" "$log_dir/artifacts/$name-$crash"
		crash=" (input saved as $log_dir/artifacts/$name-$crash)"
	fi
	echo "not ok - fuzz $name: exit $rc: ${reason:-see $log}$crash"
done
exit "$failed"
