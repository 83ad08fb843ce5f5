#!/bin/bash
# Live capture on the host kernel, where fentry and kprobes are refused but
# classic tracepoints and ring buffers work (see
# ../shared/notes/kernel-testing.md). Checks that the BPF objects load, the
# tracepoint programs deliver real allocations of a real command, that the
# lock probes' refusal is said plainly, and that `record` writes a trace
# `dump` and `report` read. Lock probes themselves are tested in the guest
# (tests/e2e/live_checks.sh).
#
# Needs root (BPF). Prints TAP lines; LOCKDEPD is the binary under test.
set -u

LOCKDEPD=${LOCKDEPD:-build/lockdepd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1: $2"
}
check() { # check NAME WHY-IF-FAILED COMMAND...
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$why"; fi
}

# An allocation-heavy command: reads files, forks, pipes, faults pages in.
busy='for i in 1 2 3; do tar cf - /usr/share/doc 2>/dev/null | cat >/dev/null; done'

# --- probe -------------------------------------------------------------------
"$LOCKDEPD" probe >"$tmp/probe.out" 2>"$tmp/probe.err"
rc=$?
check "probe exits 2 when lock probes cannot attach" "exit status $rc" [ "$rc" -eq 2 ]
check "probe says in one line that fentry and kprobes are refused" \
	"stderr: $(tail -n 1 "$tmp/probe.err")" \
	grep -q '^lockdepd: lock probes refused: fentry EPERM (BPF trampolines not permitted), kprobe .*cannot see lock operations' "$tmp/probe.err"
check "probe table shows mutex_lock refused with its cost" "$(grep '^mutex_lock ' "$tmp/probe.out")" \
	grep -qE '^mutex_lock +lock +refused: fentry EPERM' "$tmp/probe.out"
check "probe table shows kmem:kmalloc attached via tracepoint" "$(grep kmalloc "$tmp/probe.out")" \
	grep -qE '^kmem:kmalloc +alloc +attached via tracepoint' "$tmp/probe.out"
check "probe table shows the reclaim tracepoints attached" "$(grep shrink_slab "$tmp/probe.out")" \
	grep -qE '^vmscan:mm_shrink_slab_start +reclaim +attached via tracepoint' "$tmp/probe.out"
check "probe table says i915 is not loaded" "$(grep i915_gem_shrinker_scan "$tmp/probe.out")" \
	grep -qE '^i915_gem_shrinker_scan +driver +module not loaded: i915' "$tmp/probe.out"
check "probe header names the gfp and task flag sources" "$(head -n 4 "$tmp/probe.out")" \
	grep -q '^gfp bits: .*kmem/kmalloc print fmt' "$tmp/probe.out"

"$LOCKDEPD" probe --format json >"$tmp/probe.json" 2>/dev/null
lines=$(grep -c '^{"probe":' "$tmp/probe.json")
check "probe --format json prints one object per probe point" "$lines lines" [ "$lines" -ge 30 ]
check "probe --format json: mutex_lock refused with EPERM/ENOENT" "$(grep '"probe":"mutex_lock"' "$tmp/probe.json")" \
	grep -q '^{"probe":"mutex_lock","group":"lock","kind":"kprobe","target":"mutex_lock","module":null,"status":"refused","errno":2,"error":"ENOENT","detail":"fentry EPERM' "$tmp/probe.json"
check "probe --format json: summary says lock probes are off" "$(tail -n 1 "$tmp/probe.json")" \
	grep -q '^{"summary":{"kernel":"'"$(uname -r)"'","lock_attach":"none","lock_probes":false' "$tmp/probe.json"

# --- run -----------------------------------------------------------------------
timeout 20 "$LOCKDEPD" run --duration 1 >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
check "run exits 2 when lock probes cannot attach" "exit status $rc" [ "$rc" -eq 2 ]
check "run says why in one line" "$(cat "$tmp/run.err")" \
	grep -q '^lockdepd: lock probes refused: .*cannot see lock operations on this kernel$' "$tmp/run.err"
check "run prints no findings or summary" "$(head -c 300 "$tmp/run.out")" [ ! -s "$tmp/run.out" ]

# --- record with a command ------------------------------------------------------
timeout 120 "$LOCKDEPD" record -o "$tmp/cmd.ldt" -- sh -c "echo \$\$ >$tmp/cmd.pid; $busy; exit 7" \
	>"$tmp/rec.out" 2>"$tmp/rec.err" &
rec_pid=$!
wait "$rec_pid"
rc=$?
check "record passes the command's exit status through" "exit status $rc; $(tail -n 2 "$tmp/rec.err")" [ "$rc" -eq 7 ]
check "record warns that it records without lock probes" "$(cat "$tmp/rec.err")" \
	grep -q 'recording the rest (allocations, reclaim)' "$tmp/rec.err"
"$LOCKDEPD" dump "$tmp/cmd.ldt" >"$tmp/cmd.txt" 2>"$tmp/dump.err"
rc=$?
check "dump reads the recorded trace" "exit $rc: $(head -n 3 "$tmp/dump.err")" [ "$rc" -eq 0 ]
check "the trace header carries the kernel release" "$(head -c 200 "$tmp/cmd.txt")" \
	grep -q "^header kernel=\"$(uname -r)\"" "$tmp/cmd.txt"
check "the trace header carries the kernel's gfp layout" "$(head -c 300 "$tmp/cmd.txt")" \
	grep -qE '^header .*gfp="[^"]*__GFP_FS=0x[0-9a-f]+.*__GFP_DIRECT_RECLAIM=0x[0-9a-f]+.*GFP_KERNEL=0x' "$tmp/cmd.txt"
cmd_pid=$(cat "$tmp/cmd.pid" 2>/dev/null)
allocs=$(grep -c "^alloc .*pid=$cmd_pid " "$tmp/cmd.txt")
check "the command's own allocations are in the trace" "$allocs alloc events from pid $cmd_pid" \
	[ "$allocs" -ge 100 ]
check "the command's exit is in the trace" "no exit event for pid $cmd_pid" \
	grep -q "^exit .*pid=$cmd_pid\$" "$tmp/cmd.txt"
own=$(grep -c " pid=$rec_pid " "$tmp/cmd.txt")
check "lockdepd does not trace itself" "$own events from lockdepd's pid $rec_pid" [ "$own" -eq 0 ]

# Stacks start at the caller, not in the tracing machinery.
head -n 20000 "$tmp/cmd.txt" | grep '^alloc ' >"$tmp/allocs.txt"
bad=$(grep -cE 'stack=(bpf_prog_[0-9a-f]+_|bpf_trampoline_|__traceiter_|perf_trace_|trace_event_raw_)' "$tmp/allocs.txt")
check "alloc stacks hold no tracing frames" \
	"$bad stacks start in tracing code, e.g. $(grep -m1 -E 'stack=(bpf_prog_[0-9a-f]+_|bpf_trampoline_|__traceiter_|perf_trace_|trace_event_raw_)' "$tmp/allocs.txt" | cut -c1-400)" \
	[ "$bad" -eq 0 ]
nosite=$(grep -vc ' site=' "$tmp/allocs.txt")
check "every allocation names its site" "$nosite without site" [ "$nosite" -eq 0 ]
missing=0
while read -r line; do
	site=${line#* site=}
	site=${site%% *}
	case "$line" in *"stack=$site"* | *";$site"*) ;; *) missing=$((missing + 1)) ;; esac
done < <(head -n 2000 "$tmp/allocs.txt")
check "an allocation's site is a frame of its stack" "$missing of 2000 not" [ "$missing" -eq 0 ]

# The gfp filter: by default only allocations that may enter fs_reclaim
# (__GFP_DIRECT_RECLAIM and __GFP_FS) are kept; --all-allocs keeps all.
gfp_masks() { # prints "name mask" pairs of the trace header
	sed -n '1s/.*gfp="\([^"]*\)".*/\1/p' "$1" | tr ',' '\n' | tr '=' ' '
}
count_unfit() { # TRACE_TXT: allocations that cannot enter fs_reclaim, in the first 3000
	local -A mask
	local name value fs dr unfit=0 g m part
	while read -r name value; do mask[$name]=$value; done < <(gfp_masks "$1")
	fs=${mask[__GFP_FS]}
	dr=${mask[__GFP_DIRECT_RECLAIM]}
	while read -r g; do
		m=0
		IFS='|' read -ra parts <<<"$g"
		for part in "${parts[@]}"; do
			case "$part" in
			0x*) m=$((m | part)) ;;
			*) m=$((m | ${mask[$part]:-0})) ;;
			esac
		done
		if [ $((m & fs)) -eq 0 ] || [ $((m & dr)) -eq 0 ]; then unfit=$((unfit + 1)); fi
	done < <(grep '^alloc ' "$1" | head -n 3000 | sed 's/.* gfp=\([^ ]*\) .*/\1/')
	echo "$unfit"
}
unfit=$(count_unfit "$tmp/cmd.txt")
check "by default only allocations that may enter fs_reclaim are recorded" "$unfit others" [ "$unfit" -eq 0 ]
timeout 120 "$LOCKDEPD" record --all-allocs -o "$tmp/all.ldt" -- sh -c "$busy" >/dev/null 2>&1
"$LOCKDEPD" dump "$tmp/all.ldt" >"$tmp/all.txt" 2>/dev/null
unfit=$(count_unfit "$tmp/all.txt")
check "--all-allocs records the others too" "$unfit allocations without FS or DIRECT_RECLAIM" [ "$unfit" -gt 0 ]

# report replays it: no lock events, so nothing to find.
"$LOCKDEPD" report "$tmp/cmd.ldt" >"$tmp/report.out" 2>&1
rc=$?
check "report replays the recorded trace" "exit $rc: $(tail -n 2 "$tmp/report.out")" [ "$rc" -eq 0 ]

# --- record until SIGINT, and with --duration --------------------------------------
"$LOCKDEPD" record -o "$tmp/int.ldt" >/dev/null 2>"$tmp/int.err" &
int_pid=$!
sleep 2
kill -INT "$int_pid"
wait "$int_pid"
rc=$?
check "record stops cleanly on SIGINT" "exit $rc: $(tail -n 1 "$tmp/int.err")" [ "$rc" -eq 0 ]
"$LOCKDEPD" dump "$tmp/int.ldt" >/dev/null 2>"$tmp/int.dump"
rc=$?
check "the SIGINT trace is complete" "dump exit $rc: $(head -n 2 "$tmp/int.dump")" \
	[ "$rc" -eq 0 ] && ! grep -qi truncat "$tmp/int.dump"

start=$(date +%s%N)
timeout 30 "$LOCKDEPD" record --duration 1 -o "$tmp/dur.ldt" >/dev/null 2>&1
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "record --duration 1 stops by itself" "exit $rc after ${ms} ms" [ "$rc" -eq 0 ] && [ "$ms" -lt 15000 ]

# --- an unprivileged user ---------------------------------------------------------
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$LOCKDEPD" probe >/dev/null 2>"$tmp/nobody.err"
	rc=$?
	check "probe as an unprivileged user exits 2 with one line" "exit $rc: $(cat "$tmp/nobody.err")" \
		[ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/nobody.err")" -eq 1 ] &&
		grep -q '^lockdepd: BPF is not permitted for this user: lockdepd needs root' "$tmp/nobody.err"
fi

# --- usage errors -------------------------------------------------------------------
"$LOCKDEPD" record >/dev/null 2>"$tmp/usage.err"
rc=$?
check "record without -o is a usage error" "exit $rc" [ "$rc" -eq 2 ] && grep -q -- '-o FILE is required' "$tmp/usage.err"
"$LOCKDEPD" run --attach sideways >/dev/null 2>"$tmp/usage.err"
rc=$?
check "run --attach with a bad mode is a usage error" "exit $rc" [ "$rc" -eq 2 ] && grep -q 'expected auto, fentry or kprobe' "$tmp/usage.err"

echo "1..$n"
