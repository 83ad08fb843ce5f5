#!/bin/sh
# Builds the Debian linux-source-6.1 tree with lockdep (PROVE_LOCKING) on, for
# tests/lockdep/compare.sh. The tree is cached under build/lockdep-kernel/,
# keyed by a hash of the config fragment below, so a second run only relinks
# what changed (nothing, normally).
#
# Output (stdout, last line): the kernel tree directory.
# Env: LOCKDEP_BTF=1 also turns on DEBUG_INFO_BTF (needs pahole; slower build).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tarball=${LOCKDEP_SRC_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
jobs=${LOCKDEP_JOBS:-2}

[ -r "$tarball" ] || {
	echo "lockdep-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2
	exit 1
}

# One option per line: "y NAME", "n NAME", "v NAME VALUE".
fragment="y PROVE_LOCKING
n DEBUG_LOCKDEP
v LOCKDEP_BITS 16
v LOCKDEP_CHAINS_BITS 17
v LOCKDEP_STACK_TRACE_BITS 19
y DEBUG_FS
y MODULES
y MODULE_UNLOAD
y BPF_SYSCALL
y DRM
y DRM_VIRTIO_GPU
y DRM_BOCHS
y DRM_VGEM
y DRM_I915
y EXT4_FS
y BLK_DEV_LOOP
y VIRTIO
y VIRTIO_PCI
y VIRTIO_BLK
y DEVTMPFS
y DEVTMPFS_MOUNT
n MODULE_SIG
n DEBUG_INFO_BTF"
if [ "${LOCKDEP_BTF:-0}" = 1 ]; then
	command -v pahole >/dev/null || {
		echo "lockdep-kernel: LOCKDEP_BTF=1 needs pahole (dwarves)" >&2
		exit 1
	}
	fragment=$(printf '%s\n' "$fragment" | grep -v DEBUG_INFO_BTF)
	fragment="$fragment
n DEBUG_INFO_NONE
y DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT
y DEBUG_INFO_BTF"
fi

key=$(printf '%s\n%s\n' "$(basename "$tarball")" "$fragment" | sha256sum | cut -c1-12)
cache="$root/build/lockdep-kernel/$key"
tree="$cache/linux-source-6.1"
mkdir -p "$cache"

if [ ! -f "$tree/Makefile" ]; then
	echo "lockdep-kernel: extracting $tarball into $cache" >&2
	tar -C "$cache" -xf "$tarball"
fi

cd "$tree"
if [ ! -f .config.fragment-done ]; then
	make -s x86_64_defconfig >&2
	make -s kvm_guest.config >&2
	printf '%s\n' "$fragment" | while read -r op name value; do
		case $op in
		y) scripts/config --enable "$name" ;;
		n) scripts/config --disable "$name" ;;
		v) scripts/config --set-val "$name" "$value" ;;
		esac
	done
	make -s olddefconfig >&2
	# olddefconfig drops what a dependency forbids; say so instead of
	# building a kernel without the option that was asked for.
	bad=$(printf '%s\n' "$fragment" | while read -r op name value; do
		case $op in
		y) grep -q "^CONFIG_$name=y" .config || echo "$name" ;;
		esac
	done)
	if [ -n "$bad" ]; then
		echo "lockdep-kernel: not enabled after olddefconfig: $bad" >&2
		exit 1
	fi
	touch .config.fragment-done
fi

start=$(date +%s)
nice -n 10 make -j"$jobs" bzImage modules_prepare >&2
nice -n 10 make -j"$jobs" modules >&2
end=$(date +%s)
echo "lockdep-kernel: make took $((end - start)) s" >&2
echo "$tree"
