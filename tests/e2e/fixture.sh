#!/bin/bash
# Builds the ldfix fixture module against the guest kernel's headers and
# prints the path of ldfix.ko (the only line on stdout).
#
#   ko=$(tests/e2e/fixture.sh [ABI])
#
# ABI defaults to the one tests/e2e/kernel.sh prepared. The sources are
# copied (mtimes kept, so make stays incremental) to ${OUT:-build}/e2e/
# fixture-<ABI>/, because Kbuild writes its objects next to the sources.
set -euo pipefail

e2e_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(cd "$e2e_dir/../.." && pwd)

abi=${1:-}
if [ -z "$abi" ]; then
	kernel_dir=$("$e2e_dir/kernel.sh")
	abi=$(cat "$kernel_dir/abi")
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
echo "$build/ldfix.ko"
