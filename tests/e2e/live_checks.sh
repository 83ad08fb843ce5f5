#!/bin/bash
# The live source on a real kernel: lockdepd's probes in the Debian guest,
# where fentry and kprobes work. Two boots:
#
#  1. the fixture: `probe` (fentry), `run` over the scenarios, `record` over
#     the same scenarios again (fentry, with a lock_args rule on
#     __mutex_init), `record --attach kprobe --all-allocs`, and a `record` of
#     the fixture's lock loop. The host then checks the records themselves
#     (stacks start at the caller, ips, init names and sites, ww results,
#     trylocks, reclaim context, memalloc scope, the gfp filter, no event of
#     lockdepd's own process, nothing lost), that live findings equal the
#     replayed ones, and that fentry and kprobes see the same;
#  2. the real i915: `probe` attaches its reclaim entry points and the
#     rules' lock_args through its module BTF, with the offset bpftool reads
#     from i915.ko.
#
# Which scenario must produce which finding is the e2e suite's business
# (it uses these same commands); here a finding only has to come out the
# same live, replayed and through kprobes. Prints TAP lines; all analysis
# is on the host.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

repo=$(cd "$E2E_DIR/../.." && pwd)
out=${OUT:-build}
case $out in /*) ;; *) out=$repo/$out ;; esac
dir=$out/e2e/live
host_bin=$out/lockdepd
guest_bin=$out/static/lockdepd

start=$(date +%s%N)
e2e_prepare || exit 1
if [ ! -x "$guest_bin" ] || [ ! -x "$host_bin" ]; then
	make -C "$repo" OUT="$out" all static >/dev/null 2>&1 || {
		tap_not_ok live-build "make OUT=$out all static failed"
		exit 1
	}
fi
mkdir -p "$dir"

# A lock_args rule on a vmlinux function, so that the fixture's mutexes
# exercise it: the raw spinlock inside each struct mutex gets a class.
cat >"$dir/lockargs.yaml" <<'EOF'
classes:
  - name: mutex_wait_lock
    match: ["mutex_wait_lock"]
lock_args:
  - {function: __mutex_init, arg: 1, type: mutex, member: wait_lock, class: mutex_wait_lock}
EOF

# --- boot 1: the fixture -----------------------------------------------------
cat >"$dir/guest1.sh" <<'EOF'
L=/e2e/lockdepd

# The scenarios, then the shrinker in both modes: the same for every phase.
cat >/tmp/scenarios.sh <<'EOS'
load_fixture || echo "live: insmod failed"
for s in circular reclaim_taint cycle3 order ww_backoff nowait_atomic nofs_scope; do
	scenario "$s" || echo "live: scenario $s failed"
done
scenario shrinker_trylock && drop_caches
scenario reclaim_shrinker && drop_caches
rmmod ldfix || echo "live: rmmod failed"
EOS

# Waits until a background lockdepd says it is attached.
wait_watching() {
	i=0
	while [ $i -lt 120 ] && ! grep -q 'watching' "$1"; do
		sleep 1
		i=$((i + 1))
	done
	grep -q 'watching' "$1"
}

$L probe --format json >/out/probe.json 2>/out/probe.err
echo "probe $?" >/out/status.txt
$L probe --attach kprobe --format json >/out/probe-kprobe.json 2>/dev/null
echo "probe-kprobe $?" >>/out/status.txt

$L run --rules /e2e/i915.yaml --format json --json /out/run-file.json \
	>/out/run.json 2>/out/run.err &
run_pid=$!
if wait_watching /out/run.err; then
	. /tmp/scenarios.sh
	kill -INT $run_pid
fi
wait $run_pid
echo "run $?" >>/out/status.txt

$L record -o /out/fentry.bin --rules /e2e/lockargs.yaml -- \
	sh -c '. /e2e/lib.sh; . /tmp/scenarios.sh; exit 5' 2>/out/fentry.err &
echo $! >/out/fentry.pid
wait $!
echo "record-fentry $?" >>/out/status.txt

$L record --attach kprobe --all-allocs -o /out/kprobe.bin -- \
	sh -c '. /e2e/lib.sh; . /tmp/scenarios.sh' 2>/out/kprobe.err
echo "record-kprobe $?" >>/out/status.txt

# Every record the probes make crosses the ring buffer at the loop's rate:
# --all-events, or the chain cache would keep the repeats in the kernel.
$L record --all-events -o /out/loop.bin -- \
	sh -c '. /e2e/lib.sh; load_fixture && scenario loop 10000 && rmmod ldfix' 2>/out/loop.err
echo "record-loop $?" >>/out/status.txt
# The same loop with the cache: its repeats stay in the kernel.
$L record -o /out/loop-cached.bin -- \
	sh -c '. /e2e/lib.sh; load_fixture && scenario loop 10000 && rmmod ldfix' 2>/out/loop-cached.err
echo "record-loop-cached $?" >>/out/status.txt
# A chain cache of 4 keys fills up at once: said, and everything sent since.
$L record --chain-keys 4 -o /out/loop-full.bin -- \
	sh -c '. /e2e/lib.sh; load_fixture && scenario loop 1000 && rmmod ldfix' 2>/out/loop-full.err
echo "record-loop-full $?" >>/out/status.txt
EOF

"$E2E_DIR/guest.sh" -o "$dir/g1" -f "$E2E_LDFIX_KO" -f "$guest_bin:lockdepd" \
	-f "$repo/rules/i915.yaml" -f "$dir/lockargs.yaml" "$dir/guest1.sh" >&2
g1=$dir/g1/out
if [ "$(cat "$dir/g1/status" 2>/dev/null)" = 0 ]; then
	tap_ok live-guest-boot
else
	tap_not_ok live-guest-boot "status $(cat "$dir/g1/status" 2>/dev/null) (log: $dir/g1/serial.log)"
	serial_text "$dir/g1/serial.log" | tail -n 20 | sed 's/^/# /'
fi
serial_text "$dir/g1/serial.log" | grep -a '^live: ' | sed 's/^/# guest: /'

status_of() { sed -n "s/^$1 //p" "$g1/status.txt" 2>/dev/null; }
expect_status() { # NAME PHASE WANT
	local got
	got=$(status_of "$2")
	if [ "$got" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "exit status '$got', want $3"; fi
}

# --- probe ----------------------------------------------------------------
expect_status live-probe-exit-0 probe 0
expect_regex live-probe-fentry "$g1/probe.json" '^\{"summary":\{"kernel":"[^"]+","lock_attach":"fentry","lock_probes":true'
not_attached=$(grep '"group":"lock"' "$g1/probe.json" 2>/dev/null | grep -v '"status":"attached"' |
	grep -vc '"probe":"downgrade_write"')
if [ "$not_attached" = 0 ] && [ "$(grep -c '"group":"lock".*"status":"attached"' "$g1/probe.json")" -ge 19 ]; then
	tap_ok live-probe-every-lock-function-attached
else
	tap_not_ok live-probe-every-lock-function-attached "$(grep '"group":"lock"' "$g1/probe.json" | grep -v '"status":"attached"' | head -n 2)"
fi
for tp in kmem:kmalloc kmem:kmem_cache_alloc kmem:mm_page_alloc vmscan:mm_shrink_slab_start \
	vmscan:mm_vmscan_direct_reclaim_begin sched:sched_process_exit module:module_load; do
	expect_regex "live-probe-$tp" "$g1/probe.json" "^\\{\"probe\":\"$tp\",.*\"status\":\"attached\""
done
expect_status live-probe-kprobe-exit-0 probe-kprobe 0
expect_regex live-probe-kprobe-mode "$g1/probe-kprobe.json" '"lock_attach":"kprobe","lock_probes":true'
expect_regex live-probe-kprobe-mutex_lock "$g1/probe-kprobe.json" '^\{"probe":"mutex_lock","group":"lock","kind":"kprobe","target":"mutex_lock","module":null,"status":"attached"'

# --- traces ---------------------------------------------------------------------
for t in fentry kprobe loop; do
	if "$host_bin" dump "$g1/$t.bin" >"$dir/$t.txt" 2>"$dir/$t.dump.err"; then
		tap_ok "live-record-$t-dumps"
	else
		tap_not_ok "live-record-$t-dumps" "$(head -n 2 "$dir/$t.dump.err")"
	fi
done
expect_status live-record-passes-exit-status record-fentry 5
expect_status live-record-kprobe-exit-0 record-kprobe 0
expect_status live-record-loop-exit-0 record-loop 0
for t in fentry kprobe loop; do
	expect_regex "live-record-$t-nothing-lost" "$g1/$t.err" 'recorded [0-9]+ events \(0 lost\)'
done

ft=$dir/fentry.txt
kt=$dir/kprobe.txt

# Class names and init sites, from __mutex_init's caller.
check_init() { # NAME TRACE CLASS SITE-PREFIX WANT
	local got
	got=$(grep -a "^init .*name=\"$3\" site=\"\\{0,1\\}$4" "$2" | grep -c .)
	if [ "$got" = "$5" ]; then tap_ok "$1"; else tap_not_ok "$1" "$got init events of $3 at $4, want $5"; fi
}
for t in fentry kprobe; do
	check_init "live-$t-init-vm-mutex" "$dir/$t.txt" '&vm->mutex' ldfix_address_space_init 2
	check_init "live-$t-init-vma-lock" "$dir/$t.txt" '&obj->vma_lock' ldfix_obj_init 2
	check_init "live-$t-init-dma-resv" "$dir/$t.txt" reservation_ww_class_mutex dma_resv_init 2
done

# Every acquire's ip is its stack's first frame, the caller of the lock
# function; no stack starts inside BPF or the lock function itself.
check_stacks() { # NAME TRACE
	local bad
	bad=$(grep -a '^acquire ' "$2" | awk '{
		ip = ""; st = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^ip=/) ip = substr($i, 4)
			if ($i ~ /^stack=/) { st = substr($i, 7); sub(/;.*/, "", st) }
		}
		gsub(/"/, "", ip); gsub(/"/, "", st)
		if (ip == "" || ip != st || st ~ /^(bpf_prog_[0-9a-f]+_|bpf_trampoline_|mutex_lock|down_|ww_mutex_lock|0x)/) print
	}' | head -n 3)
	if [ -z "$bad" ]; then tap_ok "$1"; else tap_not_ok "$1" "$bad"; fi
}
check_stacks live-fentry-acquire-ip-is-caller "$ft"
check_stacks live-kprobe-acquire-ip-is-caller "$kt"

for t in fentry kprobe; do
	tr=$dir/$t.txt
	expect_regex "live-$t-acquire-in-fixture" "$tr" '^acquire .* ip="ldfix_execbuf_bind\+0x[0-9a-f]+/0x[0-9a-f]+ \[ldfix\]" stack="ldfix_execbuf_bind\+[^;]*;scenario_circular\+'
	expect_regex "live-$t-release-ip" "$tr" '^release .* ip="ldfix_execbuf_bind\+0x[0-9a-f]+/0x[0-9a-f]+ \[ldfix\]"'
	expect_regex "live-$t-ww-edeadlk" "$tr" '^acquire .* type=ww_mutex ctx=0x[0-9a-f]+ ret=-EDEADLK ip="ldfix_ww_young\+'
	expect_regex "live-$t-trylock" "$tr" '^acquire .* try=1 ip="ldfix_shrinker_scan\+'
	expect_regex "live-$t-shrinker-enter" "$tr" '^reclaim .* state=enter kind=shrinker fn="ldfix_shrinker_scan\+0x0/'
	expect_regex "live-$t-shrinker-exit" "$tr" '^reclaim .* state=exit kind=shrinker fn="ldfix_shrinker_scan\+0x0/'
	expect_regex "live-$t-alloc-under-vm" "$tr" '^alloc .* gfp=GFP_KERNEL site="ldfix_vma_create\+0x[0-9a-f]+/0x[0-9a-f]+ \[ldfix\]" stack="ldfix_vma_create\+'
done

# The gfp filter: by default the NOWAIT/ATOMIC and NOFS-scoped allocations
# are dropped in BPF (they cannot enter fs_reclaim); --all-allocs keeps
# them, with the task's memalloc scope around the NOFS one.
expect_no_line live-fentry-filter-drops-nowait "$ft" 'site="scenario_nowait_atomic+'
expect_no_line live-fentry-filter-drops-nofs-scoped "$ft" 'site="scenario_nofs_scope+'
expect_regex live-kprobe-all-allocs-nowait "$kt" '^alloc .* gfp=GFP_NOWAIT site="scenario_nowait_atomic\+'
expect_regex live-kprobe-all-allocs-atomic "$kt" '^alloc .* gfp=GFP_ATOMIC site="scenario_nowait_atomic\+'
nofs=$(grep -a -B1 'site="scenario_nofs_scope+' "$kt" | head -n 1)
if grep -q '^flags .* value=PF_MEMALLOC_NOFS$' <<<"$nofs"; then
	tap_ok live-kprobe-flags-before-nofs-alloc
else
	tap_not_ok live-kprobe-flags-before-nofs-alloc "line before the allocation: ${nofs:0:200}"
fi
nofs_pid=$(grep -a 'site="scenario_nofs_scope+' "$kt" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p' | head -n 1)
expect_regex live-kprobe-flags-cleared "$kt" "^flags .* pid=$nofs_pid value=0\$"

# lockdepd never traces itself (its pid is also its main thread's id).
rec_pid=$(cat "$g1/fentry.pid" 2>/dev/null)
own=$(grep -ac " pid=$rec_pid " "$ft")
if [ -n "$rec_pid" ] && [ "$own" = 0 ]; then
	tap_ok live-no-self-tracing
else
	tap_not_ok live-no-self-tracing "$own events from lockdepd's pid '$rec_pid'"
fi

# lock_args: after each __mutex_init, the wait_lock inside the mutex is named
# by the rule, at the offset bpftool reads from the guest kernel's BTF.
want_off=$(bpftool btf dump file "$E2E_KERNEL_DIR/vmlinux" format raw 2>/dev/null |
	awk '/^\[[0-9]+\] STRUCT .mutex. /{m=1; next} m && /^\[/{m=0} m && /.wait_lock. /{
		for (i = 1; i <= NF; i++) if ($i ~ /^bits_offset=/) { sub(/bits_offset=/, "", $i); print $i / 8; exit } }')
vm_lock=$(grep -a '^init .*name="&vm->mutex"' "$ft" | head -n 1 | sed -n 's/.* lock=\(0x[0-9a-f]*\) .*/\1/p')
if [ -n "$want_off" ] && [ -n "$vm_lock" ]; then
	wl=$(printf '0x%x' $((vm_lock + want_off)))
	expect_regex live-lock-args-names-member "$ft" "^init .* lock=$wl name=\"mutex_wait_lock\" site=__mutex_init\\+0x0/"
else
	tap_not_ok live-lock-args-names-member "offset '$want_off' (bpftool), vm->mutex at '$vm_lock'"
fi

# The default rules' run-time key (rules/kernel-hand.yaml): an inode made
# while recording is named twice, by init_rwsem() as "&inode->i_rwsem" and
# at inode_init_always's return by the key rule, at the same address, with
# its filesystem's name read through i_sb->s_type->name.
plain_inode=$(grep -a '^init .*name="&inode->i_rwsem" site=inode_init_always+' "$ft" | head -n 1 |
	sed -n 's/.* lock=\(0x[0-9a-f]*\) .*/\1/p')
if [ -n "$plain_inode" ]; then
	expect_regex live-default-key-names-inode "$ft" "^init .* lock=$plain_inode name=\"&inode->i_rwsem#(tmpfs|ext4|proc|sysfs|devtmpfs|rootfs|pipefs|sockfs|anon_inodefs|bpf|debugfs|tracefs)\" site=inode_init_always\\+0x0/.* named=rule"
else
	tap_not_ok live-default-key-names-inode "no inode initialised while recording"
fi
# member_offset RAW STRUCT MEMBER: byte offset of a direct member, from
# bpftool's raw dump RAW.
member_offset() {
	awk -v s="$2" -v m="$3" -v q="'" '
		/^\[[0-9]+\] / { in_s = $2 == "STRUCT" && $3 == q s q; next }
		in_s && $1 == q m q { for (i = 2; i <= NF; i++) if (sub(/^bits_offset=/, "", $i)) { print $i / 8; exit } }' <<<"$1"
}
vmlinux_raw=$(bpftool btf dump file "$E2E_KERNEL_DIR/vmlinux" format raw 2>/dev/null)
vmlinux_offset() { member_offset "$vmlinux_raw" "$@"; }
i_rwsem=$(vmlinux_offset inode i_rwsem)
i_sb=$(vmlinux_offset inode i_sb)
s_type=$(vmlinux_offset super_block s_type)
fs_name=$(vmlinux_offset file_system_type name)
i_mode=$(vmlinux_offset inode i_mode)
if [ -n "$i_rwsem" ] && [ -n "$i_sb" ] && [ -n "$s_type" ] && [ -n "$fs_name" ] && [ -n "$i_mode" ]; then
	expect_regex live-default-key-offsets "$g1/probe.json" "^\\{\"probe\":\"lock_args:inode_init_always\",\"group\":\"lock_arg\",\"kind\":\"fexit\",.*\"status\":\"attached\",.*\"detail\":\"inode.i_rwsem at \\+$i_rwsem is class &inode->i_rwsem#<i_sb->s_type->name> at \\+$i_sb->\\+$s_type->\\+$fs_name->\\+0\""
	expect_regex live-default-dir-key-condition "$g1/probe.json" "^\\{\"probe\":\"lock_args:d_instantiate_new\",.*\"status\":\"attached\",.*is class &inode->i_rwsem#dir#<i_sb->s_type->name> at .* when i_mode \\(u16 at \\+$i_mode\\) & 0xf000 == 0x4000\""
else
	tap_not_ok live-default-key-offsets "bpftool gave inode.i_rwsem '$i_rwsem', i_sb '$i_sb', super_block.s_type '$s_type', file_system_type.name '$fs_name', i_mode '$i_mode'"
fi

# The lock loop: every iteration seen, nothing lost.
if [ -f "$dir/loop.txt" ]; then
	vm=$(grep -a '^init .*name="&vm->mutex"' "$dir/loop.txt" | head -n 1 | sed -n 's/.* lock=\(0x[0-9a-f]*\) .*/\1/p')
	n=$(grep -ac "^acquire .* lock=$vm ip=\"scenario_loop+" "$dir/loop.txt")
	if [ "$n" -ge 10000 ]; then tap_ok live-loop-every-acquire; else tap_not_ok live-loop-every-acquire "$n acquires of vm->mutex in scenario_loop, want 10000"; fi
fi
expect_status live-record-loop-cached-exit-0 record-loop-cached 0
cached=$("$host_bin" dump "$g1/loop-cached.bin" 2>/dev/null | grep -ac '^acquire .* ip="scenario_loop+')
kept=$(sed -n 's/.*chain cache: \([0-9]*\) acquisitions.*/\1/p' "$g1/loop-cached.err" | tail -n 1)
echo "# loop with the chain cache: $cached of 30000 acquisitions sent; $(grep -h 'chain cache:' "$g1/loop-cached.err" | sed 's/^lockdepd: //')"
if [ "${cached:-0}" -ge 1 ] && [ "$cached" -lt 30000 ] && [ "${kept:-0}" -gt 0 ]; then
	tap_ok live-loop-cache-keeps-repeats
else
	tap_not_ok live-loop-cache-keeps-repeats "$cached of 30000 loop acquisitions sent, '$kept' kept"
fi
expect_status live-record-loop-full-exit-0 record-loop-full 0
if grep -q 'chain cache: known_chains: full; every acquisition is sent from now on' "$g1/loop-full.err" &&
	grep -q 'chains known (a map filled up' "$g1/loop-full.err"; then
	tap_ok live-chain-cache-full-sends-everything
else
	tap_not_ok live-chain-cache-full-sends-everything "$(grep -h 'chain cache' "$g1/loop-full.err" | paste -sd';')"
fi

# --- findings: live = replayed = kprobes -------------------------------------------
fixture_findings() { # JSON-LINES: "kind classes" for findings among the fixture's classes
	sed -n 's/^{"kind":"\([^"]*\)","classes":\[\([^]]*\)\].*/\1 \2/p' "$1" |
		grep -vE '"(mmap_lock|i_mmap_rwsem)"' |
		awk '{ ok = 1; n = split($2, c, ","); for (i = 1; i <= n; i++)
			if (c[i] !~ /^"(dma_resv|vm->mutex|obj->vma_lock|fs_reclaim|&i915->struct_mutex|&ggtt->error_mutex|&i915->mm.stolen_lock)"$/) ok = 0
			if (ok) print }' | sort
}
expect_status live-run-exit-findings run 1
expect_regex live-run-watching "$g1/run.err" 'watching .*fentry'
live=$(fixture_findings "$g1/run.json")
file=$(fixture_findings "$g1/run-file.json")
"$host_bin" report --rules "$repo/rules/i915.yaml" --format json "$g1/fentry.bin" >"$dir/fentry.findings" 2>/dev/null
"$host_bin" report --rules "$repo/rules/i915.yaml" --format json "$g1/kprobe.bin" >"$dir/kprobe.findings" 2>/dev/null
replayed=$(fixture_findings "$dir/fentry.findings")
kprobe=$(fixture_findings "$dir/kprobe.findings")
echo "$live" | sed 's/^/# live: /'
if [ -n "$live" ] && [ "$(grep -c . <<<"$live")" -ge 4 ]; then
	tap_ok live-run-finds-fixture-findings
else
	tap_not_ok live-run-finds-fixture-findings "$(grep -c . <<<"$live") findings among the fixture's classes"
fi
if [ "$live" = "$file" ]; then tap_ok live-run-json-file-same; else tap_not_ok live-run-json-file-same "--json FILE differs from stdout"; fi
if [ "$live" = "$replayed" ]; then
	tap_ok live-findings-equal-replayed
else
	tap_not_ok live-findings-equal-replayed "$(diff <(echo "$live") <(echo "$replayed") | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
fi
if [ "$replayed" = "$kprobe" ]; then
	tap_ok live-fentry-and-kprobe-find-the-same
else
	tap_not_ok live-fentry-and-kprobe-find-the-same "$(diff <(echo "$replayed") <(echo "$kprobe") | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
fi
expect_regex live-run-summary "$g1/run.err" '^\{"summary":\{"findings":[1-9]'

# --- boot 2: the real i915 ------------------------------------------------------
cat >"$dir/guest2.sh" <<'EOF'
load_i915 >/dev/null 2>&1 || echo "live: load_i915 failed"
/e2e/lockdepd probe --rules /e2e/i915.yaml --format json >/out/probe.json 2>/dev/null
echo "probe $?" >/out/status.txt
/e2e/lockdepd probe --rules /e2e/i915.yaml --attach kprobe --format json >/out/probe-kprobe.json 2>/dev/null
echo "probe-kprobe $?" >>/out/status.txt
EOF
"$E2E_DIR/guest.sh" -i -o "$dir/g2" -f "$guest_bin:lockdepd" -f "$repo/rules/i915.yaml" \
	"$dir/guest2.sh" >&2
g2=$dir/g2/out
for fn in i915_gem_shrinker_scan i915_gem_shrinker_count i915_gem_shrinker_oom \
	i915_gem_shrinker_vmap i915_gem_shrink; do
	expect_regex "live-i915-$fn-fentry" "$g2/probe.json" "^\\{\"probe\":\"$fn\",\"group\":\"driver\",\"kind\":\"fentry\",\"target\":\"$fn\",\"module\":\"i915\",\"status\":\"attached\""
	expect_regex "live-i915-$fn-kprobe" "$g2/probe-kprobe.json" "^\\{\"probe\":\"$fn\",\"group\":\"driver\",\"kind\":\"kprobe\",.*\"status\":\"attached\""
done
i915_ko=$(find "$E2E_KERNEL_DIR/root/lib/modules" -name 'i915.ko*' | head -n 1)
want=$(bpftool btf dump file "$i915_ko" -B "$E2E_KERNEL_DIR/vmlinux" format raw 2>/dev/null |
	awk '/^\[[0-9]+\] STRUCT .i915_address_space. /{m=1; next} m && /^\[/{m=0} m && /^\t.mutex. /{
		for (i = 1; i <= NF; i++) if ($i ~ /^bits_offset=/) { sub(/bits_offset=/, "", $i); print $i / 8; exit } }')
if [ -n "$want" ]; then
	expect_regex live-i915-lock-args-offset "$g2/probe.json" "^\\{\"probe\":\"lock_args:i915_address_space_init\",\"group\":\"lock_arg\",\"kind\":\"fexit\",\"target\":\"i915_address_space_init\",\"module\":\"i915\",\"status\":\"attached\",\"errno\":0,\"error\":null,\"detail\":\"i915_address_space.mutex at \\+$want is class vm->mutex/subclass\""
else
	tap_not_ok live-i915-lock-args-offset "bpftool found no i915_address_space.mutex in $i915_ko"
fi
expect_regex live-i915-lock-args-kprobe "$g2/probe-kprobe.json" '^\{"probe":"lock_args:i915_address_space_init",.*"kind":"kprobe",.*"status":"attached"'

# The entry rules of rules/i915.yaml, through pointers of i915's own structs,
# with the offsets bpftool reads from i915.ko: every one attached.
i915_raw=$(bpftool btf dump file "$i915_ko" -B "$E2E_KERNEL_DIR/vmlinux" format raw 2>/dev/null)
vma_obj=$(member_offset "$i915_raw" i915_vma obj)
gem_resv=$(member_offset "$i915_raw" drm_gem_object resv)
ggtt_vm=$(member_offset "$i915_raw" i915_ggtt vm)
for fn in i915_gem_object_unbind i915_vma_unbind i915_ggtt_suspend i915_ggtt_resume; do
	n=$(grep -c "^{\"probe\":\"lock_args:$fn\",\"group\":\"lock_arg\",\"kind\":\"fentry\",.*\"status\":\"attached\"" "$g2/probe.json")
	if [ "$n" = "$(grep -c "function: $fn," "$repo/rules/i915.yaml")" ] && [ "$n" -gt 0 ]; then
		tap_ok "live-i915-entry-$fn"
	else
		tap_not_ok "live-i915-entry-$fn" "$n attached: $(grep -a "lock_args:$fn" "$g2/probe.json" | head -c 400)"
	fi
done
if [ -n "$vma_obj" ] && [ -n "$gem_resv" ] && [ -n "$ggtt_vm" ] && [ -n "$want" ]; then
	expect_regex live-i915-entry-two-pointers "$g2/probe.json" "\"detail\":\"i915_vma.obj->base.resv at \\+$vma_obj->\\+$gem_resv->\\+0 is class dma_resv unless an init named it\""
	expect_regex live-i915-entry-nested-member "$g2/probe.json" "\"detail\":\"i915_ggtt.vm.mutex at \\+$((ggtt_vm + want)) is class vm->mutex unless an init named it\""
else
	tap_not_ok live-i915-entry-offsets "bpftool gave i915_vma.obj '$vma_obj', drm_gem_object.resv '$gem_resv', i915_ggtt.vm '$ggtt_vm'"
fi
expect_regex live-i915-entry-kprobe "$g2/probe-kprobe.json" '^\{"probe":"lock_args:i915_vma_unbind",.*"kind":"kprobe",.*"status":"attached"'

echo "# live checks total $(e2e_since "$start") s"
