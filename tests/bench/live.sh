#!/bin/bash
# `make bench-live`: the overhead of live capture. In one guest boot, the
# fixture's lock loop (nested dma_resv -> vm->mutex -> obj->vma_lock and an
# allocation per iteration) runs untraced, under the floor
# (tests/bench/floor.c: empty BPF programs on the points lockdepd attaches;
# on its lock functions only; with a ring-buffer record per lock call, read
# only after the loop without and with lockdepd's wake-ups, or read during
# it) and under `lockdepd run`, three rounds each; prints the slowdown
# ratios, events/s and lost events. Timings are under QEMU's TCG: ratios
# only.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

out=${OUT:-build}
case $out in /*) ;; *) out=$PWD/$out ;; esac
dir=$out/bench/live
e2e_prepare >/dev/null || exit 1
mkdir -p "$dir"
# The file workload's ext4 (the guest has no mkfs.ext4), as tests/e2e/drivers.sh makes it.
rm -f "$dir/ext4.img" "$dir/ext4.img.gz"
if ! mkfs.ext4 -q -F -E lazy_itable_init=0 "$dir/ext4.img" 160M || ! gzip -f "$dir/ext4.img"; then
	echo "bench-live: mkfs.ext4 failed (e2fsprogs)" >&2
	exit 1
fi
tests/e2e/guest.sh -o "$dir" -f "$E2E_LDFIX_KO" -f "$out/static/lockdepd:lockdepd" \
	-f "$out/static/floor:floor" -f rules/i915.yaml -f "$dir/ext4.img.gz" \
	tests/bench/live-guest.sh >"$dir/guest.log" 2>&1 || {
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
	}' "$dir/results.txt" || exit 1

# The floor, per round and as medians: each variant's loop against the same
# round's untraced loop, and lockdepd's against the floor's.
awk '
	function median(a, n,    i, j, x) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == "untraced" { u[++r] = $2 }
	$1 == "floor" { f[r] = $2 }
	$1 == "locks" { l[r] = $2 }
	$1 == "held" { h[r] = $2 }
	$1 == "lagging" { w[r] = $2; wi[r] = $3 }
	$1 == "ring" { g[r] = $2; gi[r] = $3 }
	$1 ~ /^(held|lagging|ring)-exit$/ { rec[r] = $4 + 0; lost[r] += $6 }
	$1 == "traced" { t[r] = $2; ti[r] = $3 }
	$1 ~ /-exit$/ && $2 != 0 { failed = failed sprintf("round %d: %s exited with status %s\n", r, substr($1, 1, length($1) - 5), $2) }
	END {
		for (i = 1; i <= r; i++) {
			if (!f[i] || !l[i] || !h[i] || !w[i] || !g[i] || !t[i]) { printf "round %d: floor timings missing\n", i; continue }
			printf "round %d: floor %.1f ms (%.1fx untraced), lock functions only %.1f ms (%.1fx); lockdepd %.1fx the floor\n",
				i, f[i] / 1e6, f[i] / u[i], l[i] / 1e6, l[i] / u[i], t[i] / f[i]
			printf "round %d: floor + a ring-buffer record per lock call: unread %.1f ms (%.1fx), unread with lockdepd'"'"'s wake-ups %.1f ms (%.1fx), read by a trivial reader %.1f ms (%.1fx); %d records, %d lost\n",
				i, h[i] / 1e6, h[i] / u[i], w[i] / 1e6, w[i] / u[i], g[i] / 1e6, g[i] / u[i], rec[i], lost[i]
			printf "round %d: IRQ work interrupts during the loop: unread with wake-ups %d, trivial reader %d, lockdepd %d\n",
				i, wi[i], gi[i], ti[i]
			rf[++n] = f[i] / u[i]; rl[n] = l[i] / u[i]; rh[n] = h[i] / u[i]; rw[n] = w[i] / u[i]; rg[n] = g[i] / u[i]; rt[n] = t[i] / f[i]
		}
		if (n) {
			printf "median floor: %.1fx untraced (lock functions only %.1fx); lockdepd: %.1fx the floor\n",
				median(rf, n), median(rl, n), median(rt, n)
			printf "median floor + ring buffer: unread %.1fx, unread with wake-ups %.1fx, read by a trivial reader %.1fx\n",
				median(rh, n), median(rw, n), median(rg, n)
		}
		printf "%s", failed
	}' "$dir/results.txt"

# The chain cache during the traced loops, and the file and fork workload.
awk '
	function median(a, n,    i, j, x) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$1 == "untraced-files" { u[++r] = $2 }
	$1 == "floor-files" { f[r] = $2 }
	$1 == "traced-files" { t[r] = $2 }
	$1 == "files-summary" { if (match($0, /"events":[0-9]+/)) ev[r] = substr($0, RSTART + 9, RLENGTH - 9)
				if (match($0, /"lost_events":[0-9]+/)) lost += substr($0, RSTART + 14, RLENGTH - 14) }
	$1 == "files-chain" { sub(/^files-chain .*chain cache: /, ""); chain[r] = $0 }
	END {
		for (i = 1; i <= r; i++) {
			if (!u[i] || !f[i] || !t[i]) { printf "files round %d: timings missing\n", i; continue }
			printf "files round %d: untraced %.0f ms, floor %.0f ms (%.2fx), lockdepd %.0f ms (%.2fx untraced, %.2fx the floor), %d records\n",
				i, u[i] / 1e6, f[i] / 1e6, f[i] / u[i], t[i] / 1e6, t[i] / u[i], t[i] / f[i], ev[i]
			printf "files round %d: chain cache: %s\n", i, chain[i]
			rf[++n] = f[i] / u[i]; rt[n] = t[i] / u[i]; rtf[n] = t[i] / f[i]
		}
		if (n)
			printf "median files: floor %.2fx untraced; lockdepd %.2fx untraced, %.2fx the floor; lost events: %d\n",
				median(rf, n), median(rt, n), median(rtf, n), lost
	}' "$dir/results.txt"
grep -h '^loop-chain ' "$dir/results.txt" | sed 's/^loop-chain .*chain cache: /loop chain cache: /'

# lockdep's own ratio on the same loop, from its kernel (a second boot).
tests/bench/lockdep-loop.sh || status_lockdep=1

# The floor must sit on exactly the points lockdepd attached in that guest.
status=${status_lockdep:-0}
sed -n 's/^{"probe":"\([^"]*\)","group":"[^"]*","kind":"\([^"]*\)".*"status":"attached".*/\2 \1/p' \
	"$dir/out/probe.json" 2>/dev/null | sort >"$dir/lockdepd-points.txt"
for variant in floor held lagging ring; do
	sort "$dir/out/$variant-points.txt" 2>/dev/null >"$dir/$variant-points.txt"
	if [ -s "$dir/lockdepd-points.txt" ] && cmp -s "$dir/lockdepd-points.txt" "$dir/$variant-points.txt"; then
		echo "$variant points: $(wc -l <"$dir/$variant-points.txt"), the same (kind, name) as lockdepd probe's"
	else
		echo "$variant points differ from lockdepd probe's: diff $dir/lockdepd-points.txt $dir/$variant-points.txt"
		status=1
	fi
done
exit $status
