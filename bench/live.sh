#!/bin/bash
# `make bench-live`: the overhead of live capture (issue "Live kernel
# capture"). In one guest boot, the fixture's lock loop (nested dma_resv ->
# vm->mutex -> obj->vma_lock and an allocation per iteration) runs untraced
# and under `lockdepd run`, three rounds each; prints the slowdown ratio,
# events/s and lost events. Timings are under QEMU's TCG: ratios only.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. tests/e2e/lib.sh

out=${OUT:-build}
case $out in /*) ;; *) out=$PWD/$out ;; esac
dir=$out/bench/live
e2e_prepare >/dev/null || exit 1
mkdir -p "$dir"
tests/e2e/guest.sh -o "$dir" -f "$E2E_LDFIX_KO" -f "$out/static/lockdepd:lockdepd" \
	-f rules/i915.yaml bench/live-guest.sh >"$dir/guest.log" 2>&1 || {
	echo "bench-live: guest failed (log: $dir/serial.log)" >&2
	exit 1
}
serial_text "$dir/serial.log" | sed -n 's/^bench: //p' >"$dir/results.txt"
awk -v n="${BENCH_LOOP:-20000}" '
	$1 == "untraced" { u[++nu] = $2 }
	$1 == "traced" { t[++nt] = $2 }
	$1 == "summary" { if (match($0, /"events":[0-9]+/)) ev[++ns] = substr($0, RSTART + 9, RLENGTH - 9)
			  if (match($0, /"lost_events":[0-9]+/)) lost += substr($0, RSTART + 14, RLENGTH - 14) }
	END {
		if (nu == 0 || nt == 0) { print "bench-live: no loop timings"; exit 1 }
		for (i = 1; i <= nt; i++) {
			printf "round %d: untraced %.1f ms, traced %.1f ms, slowdown %.1fx, %d events seen by run (%.0f events/s over the traced loop)\n",
				i, u[i] / 1e6, t[i] / 1e6, t[i] / u[i], ev[i], ev[i] / (t[i] / 1e9)
			r[i] = t[i] / u[i]
		}
		# median of the three ratios
		if (nt == 3) { a = r[1]; b = r[2]; c = r[3]
			med = (a > b) ? ((b > c) ? b : ((a > c) ? c : a)) : ((a > c) ? a : ((b > c) ? c : b))
			printf "median slowdown: %.1fx over %d iterations; lost events: %d\n", med, n, lost }
	}' "$dir/results.txt"
