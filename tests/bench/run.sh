#!/bin/bash
# Offline throughput of `lockdepd report`: generates a synthetic binary
# trace of 10M events with realistic nesting, then measures report time and
# peak memory against `zstd -d` of the same file, all in one run so the
# ratio holds on a noisy machine.
# BENCH_MODE=random uses the generator's first shape, every lock picked at
# random (no repeated lock chains), instead of code paths (tests/bench/gen.c).
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${BENCH_EVENTS:-10000000}
mode=${BENCH_MODE:-paths}
dir=${BENCH_DIR:-${OUT:-build}/bench}
mkdir -p "$dir"
trace="$dir/synthetic-$mode-$events.ldt"

[ -f "$trace" ] || ${OUT:-build}/bench-gen -n "$events" -m "$mode" -o "$trace"
size=$(stat -c %s "$trace")

measure() { # measure NAME COMMAND...: prints seconds (to the ms) and peak KiB
	local out="$dir/$1.time" start end
	shift
	# time(1) gives the peak RSS but only centiseconds, 2% of a report.
	start=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$out" "$@" >/dev/null 2>"$dir/stderr.log" || true
	end=$(date +%s%N)
	echo "$(((end - start) / 1000000)) $(tail -n 1 "$out")" |
		awk '{ printf "%.3f %d\n", $1 / 1000, $2 }'
}

# Warm the page cache so both measure CPU, not the disk.
cat "$trace" >/dev/null
read -r zstd_s zstd_kb < <(measure zstd zstd -d -c -q "$trace")
read -r report_s report_kb < <(measure report ${OUT:-build}/lockdepd report --format json "$trace")

awk -v n="$events" -v mode="$mode" -v size="$size" -v zs="$zstd_s" -v zk="$zstd_kb" -v rs="$report_s" -v rk="$report_kb" 'BEGIN {
	printf "trace: %d events (%s), %.1f MB compressed\n", n, mode, size / 1e6
	printf "zstd -d:         %6.3f s  peak %7d KiB\n", zs, zk
	printf "lockdepd report: %6.3f s  peak %7d KiB  %.1fM events/s\n", rs, rk, n / rs / 1e6
	printf "report / zstd -d time ratio: %.2f\n", rs / zs
}'
