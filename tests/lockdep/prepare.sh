# shellcheck shell=bash
# The lockdep kernel as tests/e2e/guest.sh boots it, and the fixture built
# against it: shared by make compare-lockdep (compare.sh) and make
# bench-live's lockdep loop (tests/bench/lockdep-loop.sh). Source it, then
#
#   lockdep_prepare DIR   builds or reuses the kernel (kernel-build.sh,
#                         cached), lays out DIR/kernel and DIR/fixture, and
#                         sets lockdep_kdir (for E2E_KERNEL_DIR), lockdep_ko
#                         and lockdep_tree; 1 with a line on stderr on failure

lockdep_prepare() {
	local dir=$1 here e2e start tree release mods ko fix
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	e2e=$here/../e2e
	start=$(date +%s)
	tree=$("$here/kernel-build.sh" | tail -n 1) || {
		echo "lockdep: kernel build failed" >&2
		return 1
	}
	[ -f "$tree/arch/x86/boot/bzImage" ] || {
		echo "lockdep: no bzImage in $tree" >&2
		return 1
	}
	echo "lockdep: kernel ready in $(($(date +%s) - start)) s: $tree" >&2
	release=$(make -s -C "$tree" kernelrelease) || return 1

	# guest.sh reads abi, boot-image and the virtio modules of its output
	# disk from a kernel directory. virtio is built in here: empty stand-ins
	# keep guest.sh unchanged (init's insmod of them fails, harmlessly, and
	# says so).
	lockdep_kdir=$dir/kernel
	mods=$lockdep_kdir/root/lib/modules/$release/kernel/drivers
	mkdir -p "$mods/virtio" "$mods/block"
	echo "$release" >"$lockdep_kdir/abi"
	cp "$tree/arch/x86/boot/bzImage" "$lockdep_kdir/boot-image"
	for ko in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev \
		virtio/virtio_pci_legacy_dev virtio/virtio_pci block/virtio_blk; do
		: >"$mods/$ko.ko"
	done

	# The fixture against the lockdep tree (its #ifdef CONFIG_LOCKDEP taint).
	fix=$dir/fixture
	mkdir -p "$fix"
	cp -p "$e2e"/fixture/ldfix.c "$e2e"/fixture/Kbuild "$e2e"/fixture/Makefile "$fix/"
	make -s -C "$fix" KDIR="$tree" KCFLAGS=-Werror modules >&2 || {
		echo "lockdep: fixture build against $tree failed" >&2
		return 1
	}
	# shellcheck disable=SC2034 # the callers' results
	lockdep_ko=$fix/ldfix.ko
	# shellcheck disable=SC2034
	lockdep_tree=$tree
}
