#!/bin/bash
# Prepares the guest kernel for the end-to-end tests and prints the directory
# that holds it (the only line on stdout; progress goes to stderr).
#
#   dir=$(tests/e2e/kernel.sh)
#
# The kernel is the current Debian one (the ABI linux-image-amd64 depends on,
# looked up each time, never hard-coded), cached in
# ${LOCKDEPD_E2E_CACHE:-build/e2e-cache}/<ABI>/ (build/ of this checkout,
# whatever OUT says: one kernel serves every build):
#
#   vmlinuz        the bootable image (bzImage)
#   vmlinux        the uncompressed ELF inside it, with .BTF: what the guest's
#                  /sys/kernel/btf/vmlinux holds, readable on the host
#   boot-image     what guest.sh boots: vmlinux when it has a PVH entry
#                  point (fast), else vmlinuz
#   vmlinux.h      bpftool's C dump of that BTF (when bpftool is installed)
#   root/          the extracted package: root/lib/modules/<ABI>, depmod'ed
#   i915.modules   the modules i915 needs, in insmod order, one path a line,
#                  relative to root/
#   drivers.modules  the same for tests/e2e/drivers.sh's drivers (virtio_pci
#                  virtio_gpu bochs vgem ext4 loop i915)
#   abi            the ABI string
#   timings        seconds each step took the last time it ran (steps that
#                  were cached this time keep their old figure)
#
# Each step is skipped when its result is already there and valid, so a warm
# run costs one apt-cache query.
set -euo pipefail

e2e_dir=$(cd "$(dirname "$0")" && pwd)
cache=${LOCKDEPD_E2E_CACHE:-$(dirname "$(dirname "$e2e_dir")")/build/e2e-cache}

say() { echo "kernel.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

abi_of_debian_kernel() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '!found && /Depends: linux-image-[0-9]/ { sub(/.*Depends: linux-image-/, ""); print; found = 1 }'
}

# Runs a step and records "name seconds" in the timings file.
timed() {
	local name=$1 start ms
	shift
	start=$(date +%s%N)
	"$@"
	ms=$((($(date +%s%N) - start) / 1000000))
	sed -i "/^$name /d" "$dir/timings"
	printf '%s %d.%03d\n' "$name" $((ms / 1000)) $((ms % 1000)) >>"$dir/timings"
}

abi=$(abi_of_debian_kernel)
if [ -z "$abi" ]; then
	say "apt-cache knows no linux-image-amd64: running apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
	abi=$(abi_of_debian_kernel)
fi
[ -n "$abi" ] || die "cannot find the Debian kernel ABI (apt-cache depends linux-image-amd64)"

dir=$cache/$abi
root=$dir/root
mkdir -p "$dir"
echo "$abi" >"$dir/abi"
touch "$dir/timings"

extracted_ok() {
	[ -s "$root/boot/vmlinuz-$abi" ] && [ -d "$root/lib/modules/$abi/kernel" ] &&
		[ -f "$root/.extracted" ]
}

download_package() {
	rm -rf "$dir/deb"
	mkdir -p "$dir/deb"
	say "downloading linux-image-$abi"
	if ! (cd "$dir/deb" && apt-get download -q "linux-image-$abi" >&2); then
		say "apt-get download failed: running apt-get update and retrying"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		(cd "$dir/deb" && apt-get download -q "linux-image-$abi" >&2) ||
			die "cannot download linux-image-$abi"
	fi
}

extract_package() {
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$dir"/deb/linux-image-*.deb "$root"
	rm -rf "$dir/deb"
	touch "$root/.extracted"
}

if ! extracted_ok; then
	timed download download_package
	timed extract extract_package
	extracted_ok || die "the package has no boot/vmlinuz-$abi or lib/modules/$abi"
	rm -f "$dir/vmlinux" "$dir/vmlinux.h" "$dir/i915.modules" "$dir/.depmod"
fi
ln -sfn "root/boot/vmlinuz-$abi" "$dir/vmlinuz"

is_elf() {
	[ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]
}

vmlinux_ok() {
	local sections
	[ -s "$dir/vmlinux" ] && is_elf "$dir/vmlinux" &&
		sections=$(readelf -S "$dir/vmlinux" 2>/dev/null) &&
		grep -q ' \.BTF ' <<<"$sections"
}

# The bzImage carries the kernel as an XZ stream after the setup code and the
# decompressor. The magic can also occur by chance, so every offset is tried
# until one decompresses to an ELF file.
extract_vmlinux() {
	local image=$dir/vmlinuz offset
	for offset in $(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$image" | cut -d: -f1); do
		# xz stops reading at the stream's end: tail's SIGPIPE is expected.
		if { tail -c +$((offset + 1)) "$image" || true; } |
			xz -dc --single-stream >"$dir/vmlinux.tmp" 2>/dev/null &&
			is_elf "$dir/vmlinux.tmp"; then
			mv "$dir/vmlinux.tmp" "$dir/vmlinux"
			return 0
		fi
	done
	rm -f "$dir/vmlinux.tmp"
	die "no XZ stream holding an ELF kernel in $image"
}

if ! vmlinux_ok; then
	say "extracting vmlinux from the bzImage"
	timed vmlinux extract_vmlinux
	vmlinux_ok || die "$dir/vmlinux has no .BTF section"
	rm -f "$dir/vmlinux.h"
fi

dump_vmlinux_h() {
	bpftool btf dump file "$dir/vmlinux" format c >"$dir/vmlinux.h.tmp"
	mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
}

if [ ! -s "$dir/vmlinux.h" ]; then
	if command -v bpftool >/dev/null; then
		timed vmlinux.h dump_vmlinux_h
	else
		say "no bpftool: skipping vmlinux.h"
	fi
fi

# QEMU boots an ELF kernel with a PVH entry note (Xen note type 0x12)
# directly, skipping the bzImage's XZ decompression: 2.6 s less per boot
# under TCG. (No decompressor also means no KASLR: addresses are stable.)
choose_boot_image() {
	local notes
	notes=$(readelf -n "$dir/vmlinux" 2>/dev/null) || true
	if grep -qE '^ +Xen .*\(0x00000012\)' <<<"$notes"; then
		ln -sfn vmlinux "$dir/boot-image"
	else
		ln -sfn vmlinuz "$dir/boot-image"
	fi
}
choose_boot_image

# depmod writes modules.dep & co. into the extracted tree so that modprobe -d
# resolves dependencies exactly as the guest's own modprobe would.
run_depmod() {
	depmod -b "$root" "$abi"
	touch "$dir/.depmod"
}

if [ ! -f "$dir/.depmod" ]; then
	timed depmod run_depmod
	rm -f "$dir"/*.modules
fi

# list_modules NAME MODULE...: NAME.modules, the modules MODULE... need in
# insmod order (each once, where modprobe first wants it), paths relative
# to root/.
list_modules() {
	local name=$1 mod
	shift
	for mod in "$@"; do
		modprobe -d "$root" -S "$abi" --show-depends "$mod" |
			sed -n "s|^insmod $root/||p" | sed 's/ *$//'
	done | awk '!seen[$0]++' >"$dir/$name.modules.tmp"
	for mod in "$@"; do
		grep -q "/${mod//_/[-_]}\.ko" "$dir/$name.modules.tmp" ||
			die "modprobe --show-depends lists no $mod.ko"
	done
	mv "$dir/$name.modules.tmp" "$dir/$name.modules"
}

[ -s "$dir/i915.modules" ] || timed i915.modules list_modules i915 i915
# tests/e2e/drivers.sh: the drivers QEMU's virtio-gpu and bochs-display
# devices bind to, vgem, ext4 on a loop device, and i915.
[ -s "$dir/drivers.modules" ] ||
	timed drivers.modules list_modules drivers virtio_pci virtio_gpu bochs vgem ext4 loop i915

echo "$dir"
