#!/bin/bash
# The cycle search: `lockdepd report` on two traces of the same number of
# events (tests/bench/gen.c): -m graph makes 220,000 dependencies over
# 20,000 classes (a long chain, random forward ones, one back edge that
# closes one long cycle), -m graph-known 20,000 (the chain and the back
# edge, the other nestings repeating the chain). A search per new
# dependency shows as the ratio of the two times.
# BEFORE=path/to/lockdepd times that build too, in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-build}
dir=${BENCH_DIR:-$out/bench}
mkdir -p "$dir"
for mode in graph graph-known; do
	[ -f "$dir/$mode.ldt" ] || "$out/bench-gen" -m "$mode" -o "$dir/$mode.ldt"
	cat "$dir/$mode.ldt" >/dev/null # the page cache warm: CPU, not the disk
done

measure() { # measure LOCKDEPD TRACE: prints seconds (to the ms) and peak KiB
	local start end
	start=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$dir/graph.time" "$1" report --format json "$2" \
		>/dev/null 2>"$dir/stderr.log" || true
	end=$(date +%s%N)
	echo "$(((end - start) / 1000000)) $(tail -n 1 "$dir/graph.time")" |
		awk '{ printf "%.3f %d\n", $1 / 1000, $2 }'
}

for bin in ${BEFORE:-} "$out/lockdepd"; do
	read -r new_s new_kb < <(measure "$bin" "$dir/graph.ldt")
	read -r known_s known_kb < <(measure "$bin" "$dir/graph-known.ldt")
	awk -v bin="$bin" -v ns="$new_s" -v nk="$new_kb" -v ks="$known_s" -v kk="$known_kb" 'BEGIN {
		printf "%s\n", bin
		printf "  graph (220k dependencies): %7.3f s  peak %7d KiB\n", ns, nk
		printf "  graph-known (20k):         %7.3f s  peak %7d KiB\n", ks, kk
		printf "  ratio: %.2f\n", ns / ks
	}'
done
