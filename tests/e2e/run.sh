#!/bin/bash
# The end-to-end suite, run by tests/run.sh: boots the Debian kernel under
# QEMU and prints TAP lines ("ok - name" / "not ok - name: why").
# Each part is a script of its own, so it can run alone while being worked
# on; add new parts (the lockdepd checks) to the list.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

parts=(
	tests/e2e/smoke.sh
	tests/e2e/live_checks.sh
	tests/e2e/findings.sh
	tests/e2e/drivers.sh
)

status=0
for part in "${parts[@]}"; do
	echo "# $part"
	"$part" || status=1
done
exit "$status"
