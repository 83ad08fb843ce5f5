#!/bin/bash
# make bench-live's last part: lockdep's own cost on the loop of
# tests/bench/live-guest.sh, on the PROVE_LOCKING kernel that make
# compare-lockdep builds (tests/lockdep/kernel-build.sh, cached; a cold
# build takes 10 to 40 minutes), in one boot: lockdep on, then off after
# its first report (debug_locks 0). Prints the medians and their ratio.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
# shellcheck source=tests/lockdep/prepare.sh
. tests/lockdep/prepare.sh

out=${OUT:-build}
case $out in /*) ;; *) out=$PWD/$out ;; esac
dir=$out/bench/lockdep
mkdir -p "$dir"
lockdep_prepare "$out/lockdep" || exit 1
E2E_KERNEL_DIR=$lockdep_kdir tests/e2e/guest.sh -o "$dir" -f "$lockdep_ko" \
	tests/bench/lockdep-loop-guest.sh >"$dir/guest.log" 2>&1 || {
	echo "bench-live: lockdep guest failed (log: $dir/serial.log)" >&2
	exit 1
}
serial_text "$dir/serial.log" | sed -n 's/^bench: //p' >"$dir/results.txt"
awk -v n="${BENCH_LOOP:-20000}" '
	function median(a, k,    i, j, x) {
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
		return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	$1 == "lockdep-on" { on[++non] = $2 }
	$1 == "lockdep-off" { off[++noff] = $2 }
	$1 == "debug_locks-before" { before = $2 }
	$1 == "debug_locks-after" { after = $2 }
	END {
		if (!non || !noff) { print "bench-live: no lockdep loop timings"; exit 1 }
		if (before != 1 || after != 0) { printf "bench-live: lockdep was not on then off (debug_locks %s, then %s)\n", before, after; exit 1 }
		for (i = 1; i <= non; i++)
			printf "lockdep round %d: on %.1f ms, off %.1f ms\n", i, on[i] / 1e6, off[i] / 1e6
		m_on = median(on, non); m_off = median(off, noff)
		printf "median lockdep loop: on %.1f ms, off %.1f ms: lockdep costs %.1fx over %d iterations\n",
			m_on / 1e6, m_off / 1e6, m_on / m_off, n
	}' "$dir/results.txt"
