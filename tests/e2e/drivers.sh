#!/bin/bash
# lockdepd on real drivers and ordinary kernel activity: its default rules
# (the kernel's own annotations, rules/kernel.yaml built in) plus
# rules/i915.yaml must report nothing. One boot with QEMU's virtio-gpu and
# bochs-display devices; the drivers virtio_gpu, bochs, vgem, ext4, loop and
# i915 with their dependencies; libdrm's modetest (an atomic modeset on each
# card) and proptest; files copied on tmpfs and on a journalled ext4 over a
# loop device; 200 forks; memory pressure that runs kswapd and direct
# reclaim; drop_caches. Twice: (a) lockdepd attached before the drivers
# load, (b) a fresh lockdepd after they loaded (it has missed their lock
# inits). Any report is printed, with its classes and sites, so the false
# positive left is plain to see. Prints TAP lines; all analysis is on the
# host.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

repo=$(cd "$E2E_DIR/../.." && pwd)
out=${OUT:-build}
case $out in /*) ;; *) out=$repo/$out ;; esac
dir=$out/e2e/drivers
guest_bin=$out/static/lockdepd

start=$(date +%s%N)
e2e_prepare || exit 1
# Always through make: a static binary left from older sources must not be tested.
make -C "$repo" OUT="$out" static >/dev/null 2>&1 || {
	tap_not_ok drivers-build "make OUT=$out static failed"
	exit 1
}
mkdir -p "$dir"

if ! stage_binaries "$dir/drm" /usr/bin/modetest /usr/bin/proptest; then
	tap_not_ok drivers-libdrm-tests "no modetest/proptest (tests/deps.sh installs libdrm-tests)"
	exit 1
fi
# The guest has no mkfs.ext4 (busybox's mke2fs makes ext2, without the
# journal): the image is made here, sparse, and shipped compressed.
rm -f "$dir/ext4.img" "$dir/ext4.img.gz"
if ! mkfs.ext4 -q -F -E lazy_itable_init=0 "$dir/ext4.img" 160M || ! gzip -f "$dir/ext4.img"; then
	tap_not_ok drivers-mkfs-ext4 "mkfs.ext4 failed (e2fsprogs)"
	exit 1
fi

"$E2E_DIR/guest.sh" -k drivers -o "$dir/guest" -m 768 \
	-q "-cpu max -vga none -device virtio-gpu-pci -device bochs-display" \
	-f "$guest_bin:lockdepd" -f "$repo/rules/i915.yaml" -f "$dir/drm:drm" \
	-f "$dir/ext4.img.gz" "$E2E_DIR/drivers-guest.sh" >&2
g=$dir/guest/out
if [ "$(cat "$dir/guest/status" 2>/dev/null)" = 0 ]; then
	tap_ok drivers-guest-boot
else
	tap_not_ok drivers-guest-boot "status $(cat "$dir/guest/status" 2>/dev/null) (log: $dir/guest/serial.log)"
	serial_text "$dir/guest/serial.log" | tail -n 20 | sed 's/^/# /'
fi
serial_text "$dir/guest/serial.log" | grep -a '^drivers: ' | sed 's/^/# guest: /'

status_is() { # NAME KEY WANT
	local got
	got=$(sed -n "s/^$2 //p" "$g/status.txt" 2>/dev/null)
	if [ "$got" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "exit status '$got', want $3"; fi
}

status_is drivers-load-modules a-load-modules 0
for card in card0 card1 card2; do
	expect_line "drivers-dev-dri-$card" "$g/dri.txt" "$card"
done

# vmstat_delta RUN: pages scanned by kswapd and direct reclaim while the
# memory pressure ran.
vmstat_delta() {
	awk 'FNR == NR { before[$1] = $2; next }
		$1 ~ /^pgscan_(kswapd|direct)$/ { n += $2 - before[$1] } END { print n + 0 }' \
		"$g/$1.vmstat.before" "$g/$1.vmstat.after" 2>/dev/null
}

# print_findings JSON: each report, its classes and the site of every
# dependency in it, as TAP comments.
print_findings() {
	jq -r '"# \(.kind): \(.classes | join(" -> "))",
		(.edges[] | "#     \(.from) -> \(.to): \(.site // "primed") (held at \(.held_at // "-"))"),
		(.edges[] | select(.stack | length > 0) | "#       stack of \(.from) -> \(.to): \(.stack[:6] | join(" < "))")' \
		"$1" 2>/dev/null
}

for run in a b; do
	for drv in virtio_gpu bochs-drm; do
		status_is "drivers-$run-modetest-atomic-$drv" "$run-modetest-$drv" 0
		status_is "drivers-$run-proptest-$drv" "$run-proptest-$drv" 0
	done
	status_is "drivers-$run-mount-ext4" "$run-mount-ext4" 0
	status_is "drivers-$run-files-tmp" "$run-files-tmp" 0
	status_is "drivers-$run-files-mnt" "$run-files-mnt" 0
	status_is "drivers-$run-write-ext4" "$run-write-ext4" 0
	status_is "drivers-$run-umount-ext4" "$run-umount-ext4" 0
	status_is "drivers-$run-pressure" "$run-pressure" 0
	scanned=$(vmstat_delta "$run")
	if [ "${scanned:-0}" -gt 0 ]; then
		tap_ok "drivers-$run-pressure-reclaims"
	else
		tap_not_ok "drivers-$run-pressure-reclaims" "kswapd and direct reclaim scanned no page"
	fi

	expect_regex "drivers-$run-lockdepd-watching" "$g/$run.err" 'watching live .*\(fentry\)'
	summary=$(grep -a '^{"summary":' "$g/$run.err" 2>/dev/null | tail -n 1)
	counts=$(jq -r '.summary | "\(.events) \(.classes) \(.dependencies) \(.findings) \(.lost_events)"' \
		<<<"$summary" 2>/dev/null)
	read -r events classes deps findings lost <<<"$counts"
	echo "# run $run: $events events, $classes classes, $deps dependencies, $findings findings, $lost lost events"
	if [ "${events:-0}" -gt 0 ] && [ "${classes:-0}" -gt 0 ] && [ "${deps:-0}" -gt 0 ]; then
		tap_ok "drivers-$run-lockdepd-saw-events"
	else
		tap_not_ok "drivers-$run-lockdepd-saw-events" "summary '$summary'"
	fi
	reports=$(jq -s '[.[] | select(.kind != null)] | length' "$g/$run.json" 2>/dev/null)
	if [ "$reports" = 0 ] && [ "$findings" = 0 ]; then
		tap_ok "drivers-$run-no-reports"
	else
		tap_not_ok "drivers-$run-no-reports" "${reports:-no} reports in $run.json, summary findings '$findings'"
		print_findings "$g/$run.json"
	fi
	# rules/kernel-hand.yaml's run-time keys: every inode lock made while
	# lockdepd ran is keyed by its filesystem, and ext4's directories have
	# a key of their own, as lockdep keys them; none is left as the bare
	# "&inode->i_rwsem" that would merge filesystems.
	inode_classes=$(jq -r 'select(.class != null) | .class' "$g/$run-state/state.jsonl" 2>/dev/null |
		grep -E '^&inode->i_rwsem([#/]|$)' | sort -u)
	fs_keys=$(sed -n 's|^&inode->i_rwsem#\([^/]*\).*|\1|p' <<<"$inode_classes" | sort -u | tr '\n' ' ')
	plain=$(grep -cE '^&inode->i_rwsem(/[0-9]+)?$' <<<"$inode_classes")
	echo "# run $run: i_rwsem keyed by filesystem: ${fs_keys:-none}"
	if [[ " $fs_keys" == *" ext4 "* && " $fs_keys" == *" tmpfs "* && " $fs_keys" == *" dir#ext4 "* ]] &&
		[ "$plain" = 0 ]; then
		tap_ok "drivers-$run-inode-lock-keyed-by-filesystem"
	else
		tap_not_ok "drivers-$run-inode-lock-keyed-by-filesystem" \
			"keys '${fs_keys}', $plain unkeyed: $(head -c 300 <<<"$inode_classes" | tr '\n' ' ')"
	fi
	# The chain cache on real drivers and filesystems: repeats stayed in the
	# kernel, and held records told the engine what tasks held before
	# new chains (the no-reports check above is then the cache's too).
	chain=$(grep -a 'chain cache:' "$g/$run.err" 2>/dev/null | tail -n 1)
	echo "# run $run: ${chain#*lockdepd: }"
	read -r kept held_records <<<"$(sed -n 's/.*chain cache: \([0-9]*\) acquisitions.*; \([0-9]*\) held records.*/\1 \2/p' <<<"$chain")"
	if [ "${kept:-0}" -gt 0 ] && [ "${held_records:-0}" -gt 0 ] && [[ $chain != *"filled up"* ]]; then
		tap_ok "drivers-$run-chain-cache"
	else
		tap_not_ok "drivers-$run-chain-cache" "'$chain'"
	fi
	status_is "drivers-$run-lockdepd-exit-0" "$run-lockdepd" 0
done

# Nothing the drivers or the workload did may warn (the OOM killer neither).
dmesg=$g/dmesg.txt
if [ -f "$dmesg" ] && ! grep -aqE 'WARNING:|BUG:|Call Trace:|general protection|Out of memory' "$dmesg"; then
	tap_ok drivers-dmesg-no-warnings
else
	tap_not_ok drivers-dmesg-no-warnings "$(grep -aE 'WARNING:|BUG:|Call Trace:|Out of memory' "$dmesg" 2>/dev/null | head -n 1)"
fi

echo "# drivers total $(e2e_since "$start") s"
