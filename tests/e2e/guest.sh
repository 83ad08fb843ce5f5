#!/bin/bash
# Boots the Debian guest kernel under QEMU (TCG) with a busybox initramfs,
# runs a test body in it, and brings its output files back to the host.
#
#   tests/e2e/guest.sh [options] BODY
#
#   BODY         a shell script (busybox sh) run in the guest as root, with
#                cwd /e2e, PATH=/e2e:/bin, the helpers of guest-lib.sh
#                sourced, and /out as the directory whose files come back
#   -f SRC[:NAME]  put a file or directory in the guest as /e2e/NAME
#                (NAME defaults to SRC's basename); repeatable
#   -i           also put i915 and its 10 dependencies in the guest, and
#                their insmod order in /e2e/i915.modules (load_i915);
#                the same as -k i915
#   -k LIST      also put the modules of kernel.sh's LIST.modules (i915,
#                drivers) in the guest, and that list as /e2e/LIST.modules
#                (load_modules); repeatable
#   -o DIR       where results go (default ${OUT:-build}/e2e/guest):
#                  DIR/serial.log   the console (body output, kernel log
#                                   at warning level and above)
#                  DIR/out/         the files the body left in /out, plus
#                                   dmesg.txt (the whole kernel log)
#                  DIR/status       the body's exit status, or "timeout",
#                                   or "crashed" (no end marker)
#   -t SECONDS   wall-clock limit for QEMU (default 600)
#   -m MB        guest memory (default 1024)
#   -a ARGS      more kernel command line
#   -q ARGS      more QEMU arguments, split at spaces (devices: "-vga none
#                -device virtio-gpu-pci -device bochs-display")
#
# Exit status: the body's, 124 on timeout, 125 when the guest died before
# the end marker. Never -enable-kvm: KVM hangs on these machines.
#
# Output path: /out is tarred onto a raw virtio disk (DIR/out.img) once the
# body has finished, and untarred on the host. Nothing is written to the
# disk while the body runs, so a tracer sees no I/O of ours; a 32 MB tar
# costs about 0.4 s under TCG, where the second serial port took 2 s/MB.
set -euo pipefail

e2e_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(cd "$e2e_dir/../.." && pwd)

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

files=()
lists=()
qemu_extra=()
out_dir=
timeout_s=${LOCKDEPD_E2E_TIMEOUT:-600}
mem_mb=1024
extra_append=
while getopts "f:ik:o:t:m:a:q:h" opt; do
	case $opt in
	f) files+=("$OPTARG") ;;
	i) lists+=(i915) ;;
	k) lists+=("$OPTARG") ;;
	o) out_dir=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	m) mem_mb=$OPTARG ;;
	a) extra_append=$OPTARG ;;
	q) read -ra words <<<"$OPTARG" && qemu_extra+=("${words[@]}") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
body=$1
[ -f "$body" ] || {
	echo "guest.sh: no body script $body" >&2
	exit 2
}

if [ -z "$out_dir" ]; then
	out_dir=${OUT:-build}/e2e/guest
	case $out_dir in /*) ;; *) out_dir=$repo_dir/$out_dir ;; esac
fi
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

# e2e_prepare (lib.sh) exports the prepared kernel; alone, prepare it here.
kernel_dir=${E2E_KERNEL_DIR:-$("$e2e_dir/kernel.sh")}
abi=$(cat "$kernel_dir/abi")
mods=lib/modules/$abi

# The output disk's driver stack, in load order.
virtio_modules="kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko
kernel/drivers/virtio/virtio_pci.ko kernel/drivers/block/virtio_blk.ko"

stage=$out_dir/initramfs
rm -rf "$stage" "$out_dir/out" "$out_dir/serial.log" "$out_dir/status"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,out,e2e,"$mods"}

cp /bin/busybox "$stage/bin/busybox"
for ko in $virtio_modules; do
	mkdir -p "$stage/$mods/$(dirname "$ko")"
	cp "$kernel_dir/root/$mods/$ko" "$stage/$mods/$ko"
done
for ko in $virtio_modules; do echo "$mods/$ko"; done >"$stage/e2e/virtio.modules"

for list in ${lists[@]+"${lists[@]}"}; do
	[ -s "$kernel_dir/$list.modules" ] || {
		echo "guest.sh: kernel.sh made no $list.modules" >&2
		exit 2
	}
	while read -r ko; do
		mkdir -p "$stage/$(dirname "$ko")"
		cp "$kernel_dir/root/$ko" "$stage/$ko"
	done <"$kernel_dir/$list.modules"
	cp "$kernel_dir/$list.modules" "$stage/e2e/$list.modules"
done

for spec in ${files[@]+"${files[@]}"}; do
	src=${spec%%:*}
	name=$(basename "$src")
	[ "$spec" != "$src" ] && name=${spec#*:}
	[ -e "$src" ] || {
		echo "guest.sh: no such file $src" >&2
		exit 2
	}
	mkdir -p "$(dirname "$stage/e2e/$name")"
	cp -rL "$src" "$stage/e2e/$name"
done
cp "$e2e_dir/guest-lib.sh" "$stage/e2e/lib.sh"
cp "$body" "$stage/e2e/body.sh"

# The end marker carries the body's status; the host reads it back from
# the serial log, so a guest that panics or hangs cannot look like a pass.
cat >"$stage/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/e2e:/bin HOME=/tmp TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
echo "e2e: init at $(cut -d' ' -f1 /proc/uptime) s"

while read -r ko; do
	insmod "/$ko" || echo "e2e: insmod /$ko failed"
done </e2e/virtio.modules

cd /e2e
sh -c '. /e2e/lib.sh && . /e2e/body.sh'
status=$?
cd /
echo "e2e: body exited with status $status at $(cut -d' ' -f1 /proc/uptime) s"

dmesg >/out/dmesg.txt
# The disk shows up asynchronously after virtio_blk loads.
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -b /dev/vda ] && break
	sleep 0.2
done
if [ -b /dev/vda ]; then
	tar -cf /dev/vda -C /out . && sync || echo "e2e: writing /out to /dev/vda failed"
else
	echo "e2e: no /dev/vda: /out stays in the guest"
fi
echo "e2e: end status=$status"
poweroff -f
EOF
chmod +x "$stage/init"

# Uncompressed: gzip saves nothing but the kernel's own decompression
# time, which TCG makes slow.
(cd "$stage" && find . -print | LC_ALL=C sort | cpio -o -H newc --quiet) >"$out_dir/initramfs.cpio"

out_img=$out_dir/out.img
rm -f "$out_img"
truncate -s "${LOCKDEPD_E2E_OUT_MB:-512}M" "$out_img"

# LOCKDEPD_E2E_BOOT=vmlinuz forces the bzImage (and its KASLR).
boot_image=$kernel_dir/${LOCKDEPD_E2E_BOOT:-boot-image}
append="console=ttyS0 quiet panic=-1 oops=panic $extra_append"
start=$(date +%s%N)
set +e
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m "$mem_mb" -smp 2 -nic none \
	-kernel "$boot_image" -initrd "$out_dir/initramfs.cpio" \
	-append "$append" -display none -monitor none -no-reboot \
	-serial "file:$out_dir/serial.log" \
	-drive "file=$out_img,format=raw,if=virtio" ${qemu_extra[@]+"${qemu_extra[@]}"}
qemu_status=$?
set -e
elapsed_ms=$((($(date +%s%N) - start) / 1000000))

mkdir -p "$out_dir/out"
tar -xf "$out_img" -C "$out_dir/out" 2>/dev/null || true
rm -f "$out_img"

end=$(tr -d '\r' <"$out_dir/serial.log" | grep -a -o 'e2e: end status=[0-9]*' | tail -n 1 || true)
if [ "$qemu_status" = 124 ]; then
	status=timeout
	rc=124
elif [ -n "$end" ]; then
	status=${end#*=}
	rc=$status
else
	status=crashed
	rc=125
fi
echo "$status" >"$out_dir/status"
printf 'guest.sh: QEMU ran %d.%03d s, body status %s; log %s\n' \
	$((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$status" "$out_dir/serial.log" >&2
exit "$rc"
