#!/bin/bash
# `make demo`: boots the current Debian kernel under QEMU with the i915-like
# fixture module and shows `lockdepd run`'s reports as they appear, each
# scenario announced by a line saying what it does.
set -uo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

repo=$(cd "$E2E_DIR/../.." && pwd)
out=${OUT:-build}
case $out in /*) ;; *) out=$repo/$out ;; esac
dir=$out/e2e/demo

echo "Preparing the guest kernel (Debian's current linux-image-amd64) and the fixture module..."
e2e_prepare 2>/dev/null || exit 1
make -s -C "$repo" OUT="$out" static || exit 1
mkdir -p "$dir"
rm -f "$dir/serial.log"

echo "Booting $E2E_ABI under QEMU (TCG: slow, a minute or so)..."
"$E2E_DIR/guest.sh" -o "$dir" -f "$E2E_LDFIX_KO" -f "$out/static/lockdepd:lockdepd" \
	-f "$repo/rules/i915.yaml" -f "$E2E_DIR/no-taint.yaml" "$E2E_DIR/demo-guest.sh" \
	>"$dir/guest.log" 2>&1 &
guest=$!

# Follow the console as it is written; the log starts with escape codes.
until [ -f "$dir/serial.log" ]; do sleep 0.2; done
tail -n +1 -f --pid="$guest" "$dir/serial.log" | tr -d '\r' |
	sed -u 's/\x1b\[[0-9;?]*[A-HJKSTfhlmnsu]//g; s/\x1bc//g' | grep -av '^e2e: \|^\[ *[0-9.]*\] '
wait "$guest"
status=$?
found=$(grep -ac '^WARNING: ' "$dir/serial.log")
echo
echo "demo: $found reports (expected 5: reclaim by taint, circular, three-lock circular, order, reclaim by shrinker); console log in $dir/serial.log"
exit $status
