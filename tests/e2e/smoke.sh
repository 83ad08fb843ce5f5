#!/bin/bash
# Smoke test of the guest infrastructure, in one boot: the fixture loads,
# names its lock classes as lockdep would, runs every scenario (the shrinker
# scans when armed and only then), its allocations reach kmem:kmalloc with
# the expected gfp flags, and the real i915 driver loads with its BTF.
# Prints TAP lines; every check is made on the host, from the guest's logs.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

out=${OUT:-build}
case $out in /*) ;; *) out=$E2E_DIR/../../$out ;; esac
dir=$out/e2e/smoke

start=$(date +%s%N)
e2e_prepare || exit 1

"$E2E_DIR/guest.sh" -i -o "$dir" -f "$E2E_LDFIX_KO" "$E2E_DIR/smoke-guest.sh"
status=$(cat "$dir/status" 2>/dev/null || echo missing)
if [ "$status" = 0 ]; then
	tap_ok guest-boot-and-poweroff
else
	tap_not_ok guest-boot-and-poweroff "body status $status (log: $dir/serial.log)"
	serial_text "$dir/serial.log" | tail -n 30 | sed 's/^/# /'
fi

log=$dir/serial.log
dmesg=$dir/out/dmesg.txt
trace=$dir/out/trace.txt
counters=$dir/out/ldfix.txt

guest_tap "$log"
expect_guest_pass "$log" fixture-insmod fixture-rejects-unknown fixture-rmmod i915-insmod \
	scenario-reclaim_taint scenario-circular scenario-cycle3 scenario-order \
	scenario-ww_backoff scenario-nowait_atomic scenario-nofs_scope \
	scenario-reclaim_shrinker drop-caches-lock scenario-shrinker_trylock \
	drop-caches-trylock scenario-loop

for s in circular reclaim_shrinker reclaim_taint cycle3 order ww_backoff \
	nowait_atomic nofs_scope shrinker_trylock loop; do
	expect_line "dmesg-scenario-$s-done" "$dmesg" "[ldfix] scenario $s: done"
done

# The class names, as __mutex_init received them while insmod ran the
# module's init (a kprobe in the guest); count = init sites x instances.
check_class() {
	local name=$1 want=$2 got
	got=$(grep -a 'insmod-' "$trace" 2>/dev/null | grep -acF "name=\"$name\"")
	if [ "$got" = "$want" ]; then
		tap_ok "class-name $name"
	else
		tap_not_ok "class-name $name" "__mutex_init saw it $got times, want $want"
	fi
}
check_class '&vm->mutex' 2
check_class '&obj->vma_lock' 2
check_class reservation_ww_class_mutex 2
check_class '&i915->struct_mutex' 1
check_class '&ggtt->error_mutex' 1
check_class '&i915->mm.stolen_lock' 1

# What a tracer of kmem:kmalloc sees: the flags as passed, the scope
# (memalloc_nofs_save) not applied.
expect_regex kmalloc-gfp-kernel-under-vm "$trace" 'kmalloc: call_site=ldfix_vma_create\+.*gfp_flags=GFP_KERNEL '
expect_regex kmalloc-gfp-nowait "$trace" 'kmalloc: call_site=scenario_nowait_atomic\+.*gfp_flags=GFP_NOWAIT '
expect_regex kmalloc-gfp-atomic "$trace" 'kmalloc: call_site=scenario_nowait_atomic\+.*gfp_flags=GFP_ATOMIC '
expect_regex kmalloc-gfp-kernel-in-nofs-scope "$trace" 'kmalloc: call_site=scenario_nofs_scope\+.*gfp_flags=GFP_KERNEL '
loop_allocs=$(grep -ac 'kmalloc: call_site=scenario_loop+' "$trace" 2>/dev/null)
if [ "$loop_allocs" = 10000 ]; then
	tap_ok kmalloc-loop-10000
else
	tap_not_ok kmalloc-loop-10000 "saw $loop_allocs allocations from scenario_loop"
fi

# The shrinker runs exactly when armed: once in each mode, under
# mm_shrink_slab_start/end (the reclaim context a tracer keys on).
scans=$(grep -ac 'mm_shrink_slab_start: ldfix_shrinker_scan+' "$trace" 2>/dev/null)
if [ "$scans" = 2 ]; then
	tap_ok shrinker-scanned-twice-in-reclaim-context
else
	tap_not_ok shrinker-scanned-twice-in-reclaim-context "mm_shrink_slab_start saw $scans scans"
fi
expect_line shrinker-scan-locked "$dmesg" "[ldfix] shrinker scan: locked vm->mutex"
expect_line shrinker-scan-trylocked "$dmesg" "[ldfix] shrinker scan: trylocked vm->mutex"
expect_line counters-scans "$counters" "shrinker_scans: 2"
expect_line counters-scans-locked "$counters" "shrinker_scans_locked: 1"
expect_line ww-backoff-one-edeadlk "$counters" "ww_deadlocks: 1"
expect_line loop-iterations "$counters" "loop_iterations: 10000"
expect_regex loop-elapsed "$counters" '^loop_ns: [1-9][0-9]*$'

expect_line i915-module-btf "$dir/out/btf.txt" i915
expect_regex i915-loaded "$dir/out/i915.txt" '^i915 '

want_md5=$(serial_text "$log" | sed -n 's/^e2e: blob md5 //p')
got_md5=$(md5sum <"$dir/out/blob" 2>/dev/null | cut -d' ' -f1)
if [ -n "$want_md5" ] && [ "$want_md5" = "$got_md5" ]; then
	tap_ok out-files-come-back-byte-exact
else
	tap_not_ok out-files-come-back-byte-exact "guest md5 '$want_md5', host md5 '$got_md5'"
fi

# Nothing the fixture or the driver did may warn.
if [ -f "$dmesg" ] && ! grep -aqE 'WARNING:|BUG:|Call Trace:|general protection' "$dmesg"; then
	tap_ok dmesg-no-warnings
else
	tap_not_ok dmesg-no-warnings "$(grep -aE 'WARNING:|BUG:|Call Trace:' "$dmesg" 2>/dev/null | head -n 1)"
fi

serial_text "$log" | grep -a '^e2e: ' | sed 's/^/# guest: /'
echo "# smoke total $(e2e_since "$start") s"
