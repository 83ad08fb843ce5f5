# shellcheck shell=sh
# Helpers for guest test bodies: guest.sh copies this file to /e2e/lib.sh
# and sources it before the body. busybox sh, no bash-isms.
#
# Checks print one line each, "PASS name" or "FAIL name: why", on the
# console; the host turns them into TAP (guest_tap in tests/e2e/lib.sh).
# Heavier checks belong on the host, on the files the body leaves in /out.

pass() {
	echo "PASS $1"
}

fail() {
	echo "FAIL $1: $2"
}

# check NAME COMMAND...: PASS when COMMAND succeeds.
check() {
	_name=$1
	shift
	if "$@"; then
		pass "$_name"
	else
		fail "$_name" "'$*' failed with status $?"
	fi
}

# Seconds since boot, for timing inside one guest run (TCG: ratios only).
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# load_i915: insmods i915 and its dependencies in modprobe's order (guest.sh
# -i puts them, and this list, in the initramfs).
load_i915() {
	[ -f /e2e/i915.modules ] || {
		echo "load_i915: no /e2e/i915.modules (boot with guest.sh -i)"
		return 1
	}
	while read -r _ko; do
		insmod "/$_ko" || {
			echo "load_i915: insmod /$_ko failed"
			return 1
		}
	done </e2e/i915.modules
}

# load_fixture: insmods /e2e/ldfix.ko (guest.sh -f path/to/ldfix.ko).
load_fixture() {
	insmod /e2e/ldfix.ko
}

# scenario NAME [ARG]: runs one fixture scenario; fails when the fixture
# refuses it (unknown name, a scenario that reports an error).
scenario() {
	echo "$*" >/proc/ldfix
}

# drop_caches: runs every registered shrinker, the fixture's included
# (when a scenario armed it).
drop_caches() {
	echo 2 >/proc/sys/vm/drop_caches
}
