#!/bin/bash
# Builds the ldfix fixture module against the guest kernel's headers and
# prints the path of ldfix.ko (the only line on stdout).
#
#   ko=$(tests/e2e/fixture.sh [ABI [VMLINUX]])
#
# ABI defaults to the one tests/e2e/kernel.sh prepared, and VMLINUX to its
# vmlinux when ABI is not given. With a VMLINUX the module gets its BTF, as
# Kbuild gives in-tree modules (the headers package has no vmlinux for it
# to do so): what fentry on the fixture's functions and lock_args rules
# naming their arguments need. The sources are
# copied (mtimes kept, so make stays incremental) to ${OUT:-build}/e2e/
# fixture-<ABI>/, because Kbuild writes its objects next to the sources.
set -euo pipefail

e2e_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(cd "$e2e_dir/../.." && pwd)

abi=${1:-}
vmlinux=${2:-}
if [ -z "$abi" ]; then
	kernel_dir=$("$e2e_dir/kernel.sh")
	abi=$(cat "$kernel_dir/abi")
	vmlinux=$kernel_dir/vmlinux
fi

kdir=/lib/modules/$abi/build
[ -d "$kdir" ] || {
	echo "fixture.sh: no $kdir: install linux-headers-$abi (tests/deps.sh does)" >&2
	exit 1
}

out=${OUT:-build}
case $out in
/*) ;;
*) out=$repo_dir/$out ;;
esac
build=$out/e2e/fixture-$abi
mkdir -p "$build"
cp -p "$e2e_dir"/fixture/ldfix.c "$e2e_dir"/fixture/Kbuild "$e2e_dir"/fixture/Makefile "$build/"

# Kbuild's progress lines go to stderr with the rest of the chatter; a
# warning fails the build, so the fixture stays warning-free.
make -s -C "$build" KDIR="$kdir" KCFLAGS=-Werror modules >&2
if [ -n "$vmlinux" ] && ! readelf -S "$build/ldfix.ko" | grep -q ' \.BTF '; then
	command -v pahole >/dev/null || {
		echo "fixture.sh: no pahole to give ldfix.ko its BTF: install dwarves (tests/deps.sh does)" >&2
		exit 1
	}
	pahole -J --btf_base "$vmlinux" "$build/ldfix.ko" >&2
fi
echo "$build/ldfix.ko"
