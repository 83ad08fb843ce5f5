#!/bin/bash
# What lockdepd must and must not find on a real kernel (issue "Live kernel
# capture"): the fixture's scenarios in the Debian guest, live with
# `lockdepd run` and recorded with `lockdepd record` then reported on the
# host. Asserts every expected finding with its kind and classes, nothing
# else touching the fixture's classes, and the same findings live and
# replayed. Prints TAP lines; all analysis is on the host.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

repo=$(cd "$E2E_DIR/../.." && pwd)
out=${OUT:-build}
case $out in /*) ;; *) out=$repo/$out ;; esac
dir=$out/e2e/findings
host_bin=$out/lockdepd
guest_bin=$out/static/lockdepd

e2e_prepare || exit 1
if [ ! -x "$guest_bin" ] || [ ! -x "$host_bin" ]; then
	make -C "$repo" OUT="$out" all static >/dev/null 2>&1 || {
		tap_not_ok findings-build "make OUT=$out all static failed"
		exit 1
	}
fi
mkdir -p "$dir"

"$E2E_DIR/guest.sh" -o "$dir/guest" -f "$E2E_LDFIX_KO" -f "$guest_bin:lockdepd" \
	-f "$repo/rules/i915.yaml" -f "$E2E_DIR/no-taint.yaml" -f "$E2E_DIR/fixture.yaml" \
	"$E2E_DIR/findings-guest.sh" >&2
g=$dir/guest/out
if [ "$(cat "$dir/guest/status" 2>/dev/null)" = 0 ]; then
	tap_ok findings-guest-boot
else
	tap_not_ok findings-guest-boot "status $(cat "$dir/guest/status" 2>/dev/null) (log: $dir/guest/serial.log)"
	serial_text "$dir/guest/serial.log" | tail -n 20 | sed 's/^/# /'
fi
serial_text "$dir/guest/serial.log" | grep -a '^findings: ' | sed 's/^/# guest: /'

# The fixture's classes, as rules/i915.yaml names them (cycle3's are not in
# the rules and keep their init names).
fixture_classes='["vm->mutex","obj->vma_lock","dma_resv","&i915->struct_mutex","&ggtt->error_mutex","&i915->mm.stolen_lock"]'

# findings_of JSON: "kind class,class" per finding touching the fixture.
findings_of() {
	jq -r --argjson fx "$fixture_classes" \
		'select(.kind != null) | select([.classes[] | select(. as $c | $fx | index($c))] | length > 0)
		 | "\(.kind) \(.classes | sort | join(","))"' "$1" 2>/dev/null | sort -u
}

# expect_findings NAME JSON EXPECTED...: exactly these, nothing else.
expect_findings() {
	local name=$1 json=$2 got want missing extra
	shift 2
	got=$(findings_of "$json")
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
	missing=$(comm -13 <(echo "$got") <(echo "$want") | sed '/^$/d' | paste -sd';')
	extra=$(comm -23 <(echo "$got") <(echo "$want") | sed '/^$/d' | paste -sd';')
	if [ -z "$missing" ] && [ -z "$extra" ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "missing [$missing] unexpected [$extra]"
	fi
}

status_is() { # NAME COMMAND WANT
	local got
	got=$(sed -n "s/^$2 //p" "$g/status.txt" 2>/dev/null)
	if [ "$got" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "exit status '$got', want $3"; fi
}

rules_expected=(
	"reclaim fs_reclaim,vm->mutex"
	"circular dma_resv,vm->mutex"
	"circular &ggtt->error_mutex,&i915->mm.stolen_lock,&i915->struct_mutex"
	"order obj->vma_lock,vm->mutex"
)

# report_replay NAME TRACE: `report` on the host of a trace recorded in the
# guest, into $dir/NAME.json; exit 1 (findings) expected.
report_replay() {
	local status
	"$host_bin" report --rules "$repo/rules/i915.yaml" --rules "$E2E_DIR/fixture.yaml" \
		--format json "$2" >"$dir/$1.json" 2>"$dir/$1.err"
	status=$?
	if [ "$status" = 1 ]; then
		tap_ok "findings-$1-exit-1"
	else
		tap_not_ok "findings-$1-exit-1" "exit status $status: $(head -n 1 "$dir/$1.err")"
	fi
}

# same_findings NAME A B: live and replayed findings are the same.
same_findings() {
	if [ -s "$2" ] && cmp -s <(findings_of "$2") <(findings_of "$3"); then
		tap_ok "$1"
	else
		tap_not_ok "$1" "live and replayed findings differ"
	fi
}

# Live: run with rules/i915.yaml and the fixture's entry rules, the fixture
# loaded after lockdepd started (every init seen).
status_is findings-live-exit-1 rules 1
expect_findings findings-live-rules "$g/rules.json" "${rules_expected[@]}"

# Replayed: record in the guest, report on the host.
status_is findings-record-exit-0 record 0
report_replay replay "$g/rules.ldt"
expect_findings findings-replay-rules "$dir/replay.json" "${rules_expected[@]}"
same_findings findings-live-equals-replay "$g/rules.json" "$dir/replay.json"

# The chain cache: the scenarios twice over, recorded in one boot with
# the cache and with --all-events. Both reports hold the same findings (all
# of them, the kernel's own included), and the cache did keep acquisitions
# in the kernel.
status_is findings-record-cache-exit-0 record-cache 0
status_is findings-record-all-events-exit-0 record-all 0
report_replay cache-on "$g/cache.ldt"
report_replay cache-off "$g/all.ldt"
expect_findings findings-cache-on "$dir/cache-on.json" "${rules_expected[@]}"
expect_findings findings-cache-off "$dir/cache-off.json" "${rules_expected[@]}"
every_finding() {
	jq -r 'select(.kind != null) | "\(.kind) \(.classes | sort | join(","))"' "$1" 2>/dev/null | sort -u
}
if [ -s "$dir/cache-on.json" ] && cmp -s <(every_finding "$dir/cache-on.json") <(every_finding "$dir/cache-off.json"); then
	tap_ok findings-cache-on-equals-off
else
	tap_not_ok findings-cache-on-equals-off "on [$(every_finding "$dir/cache-on.json" | paste -sd';')] off [$(every_finding "$dir/cache-off.json" | paste -sd';')]"
fi
kept=$(sed -n 's/.*chain cache: \([0-9]*\) acquisitions.*/\1/p' "$g/record-cache.err" | tail -n 1)
held_on=$("$host_bin" dump "$g/cache.ldt" 2>/dev/null | grep -c '^held')
held_off=$("$host_bin" dump "$g/all.ldt" 2>/dev/null | grep -c '^held')
# The scenarios repeat whole chains, so held records are rare here; the
# drivers suite's real workloads send them.
if [ "${kept:-0}" -gt 0 ] && [ "$held_off" = 0 ]; then
	tap_ok findings-cache-kept-acquisitions
else
	tap_not_ok findings-cache-kept-acquisitions "kept '${kept}', held records $held_on with the cache, $held_off without"
fi
echo "# $(grep -h 'chain cache:' "$g/record-cache.err" | tail -n 1)"
for t in cache all; do
	echo "# $t: $("$host_bin" dump "$g/$t.ldt" 2>/dev/null | awk '{n[$1]++} END {for (k in n) printf "%s=%d ", k, n[k]}')"
done

# The fixture loaded before lockdepd started, as a driver loaded at boot: no
# init seen, the entry rules name the locks, and the findings are the same.
status_is findings-loaded-before-exit-1 before 1
expect_findings findings-loaded-before "$g/before.json" "${rules_expected[@]}"
status_is findings-record-loaded-before-exit-0 record-before 0
report_replay replay-before "$g/before.ldt"
expect_findings findings-replay-loaded-before "$dir/replay-before.json" "${rules_expected[@]}"
same_findings findings-loaded-before-live-equals-replay "$g/before.json" "$dir/replay-before.json"
# Every class of the fixture came from an entry rule: none is a guess.
if jq -e -s '[.[] | select(.kind != null) | .classes[] | select(startswith("unclassified@"))] | length == 0' \
	"$g/before.json" >/dev/null 2>&1; then
	tap_ok findings-loaded-before-no-unclassified
else
	tap_not_ok findings-loaded-before-no-unclassified "a finding over an unclassified lock"
fi

# The reclaim finding of the rules phase comes from the taint (the
# shrinker never ran): its fs_reclaim -> vm->mutex edge is the primed one.
if jq -e -s '[.[] | select(.kind == "reclaim") | .edges[] | select(.from == "fs_reclaim" and .primed)] | length == 1' \
	"$g/rules.json" >/dev/null 2>&1; then
	tap_ok findings-reclaim-through-taint
else
	tap_not_ok findings-reclaim-through-taint "no primed fs_reclaim -> vm->mutex edge in the reclaim finding"
fi

# No taint: a shrinker that only trylocks finds nothing.
status_is findings-trylock-exit-0 trylock 0
expect_findings findings-trylock-shrinker-none "$g/trylock.json"

# No taint: the locking shrinker after an allocation under vm->mutex.
status_is findings-shrinker-exit-1 shrinker 1
expect_findings findings-shrinker-reclaim "$g/shrinker.json" "reclaim fs_reclaim,vm->mutex"
if jq -e -s '[.[] | select(.kind == "reclaim") | .edges[] | select(.from == "fs_reclaim" and .reclaim_kind == "shrinker" and (.primed | not)
	and (.held_at | startswith("ldfix_shrinker_scan+0x0/")))] | length == 1' \
	"$g/shrinker.json" >/dev/null 2>&1; then
	tap_ok findings-reclaim-through-shrinker
else
	tap_not_ok findings-reclaim-through-shrinker "no fs_reclaim -> vm->mutex edge seen in ldfix_shrinker_scan"
fi

# The service path with live probes: the circular finding is in `status`
# over the socket, and still there after kill -9 and a restart.
status_is findings-service-status-exit-0 status1 0
status_is findings-service-restarted-status-exit-0 status2 0
for n in 1 2; do
	if jq -e '[.findings[] | select(.kind == "circular" and (.classes | sort) == ["dma_resv","vm->mutex"])] | length == 1' \
		"$g/service$n.json" >/dev/null 2>&1; then
		tap_ok "findings-service-status-$n-has-circular"
	else
		tap_not_ok "findings-service-status-$n-has-circular" "$(head -c 300 "$g/service$n.json" 2>/dev/null)"
	fi
done
status_is findings-service-sigterm-exit-1 service 1

# A real deadlock: the AB-BA cycle is reported while its two kthreads are
# still stuck in mutex_lock() (state D), because an attempt is recorded at
# entry, before the task blocks.
status_is findings-deadlock-exit-1 deadlock 1
if jq -e -s '[.[] | select(.kind == "circular" and (.classes | sort) == ["&dl->first","&dl->second"])] | length == 1' \
	"$g/deadlock.json" >/dev/null 2>&1; then
	tap_ok findings-deadlock-reported
else
	tap_not_ok findings-deadlock-reported "no circular &dl->first/&dl->second in deadlock.json: $(head -c 300 "$g/deadlock.json" 2>/dev/null)"
fi
stuck=$(grep -c '^ldfix_dl_[a-z]* D ' "$g/deadlock-threads.txt" 2>/dev/null)
if [ "$stuck" = 2 ]; then
	tap_ok findings-deadlock-reported-while-stuck
else
	tap_not_ok findings-deadlock-reported-while-stuck "threads: $(paste -sd';' "$g/deadlock-threads.txt" 2>/dev/null)"
fi
sed 's/^/# deadlocked: /' "$g/deadlock-threads.txt" 2>/dev/null

# Other kernel locks may legitimately show up; list them for the reader.
jq -r --argjson fx "$fixture_classes" \
	'select(.kind != null) | select([.classes[] | select(. as $c | $fx | index($c))] | length == 0)
	 | "# other finding (not the fixture): \(.kind) \(.classes | join(" -> "))"' \
	"$g"/*.json 2>/dev/null | sort -u
