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

# load_modules LIST: insmods the modules of /e2e/LIST.modules (guest.sh -k
# LIST) in modprobe's order, skipping those already loaded (init loads the
# virtio stack for the output disk).
load_modules() {
	[ -f "/e2e/$1.modules" ] || {
		echo "load_modules: no /e2e/$1.modules (boot with guest.sh -k $1)"
		return 1
	}
	while read -r _ko; do
		_mod=$(basename "$_ko" .ko | tr - _)
		[ -d "/sys/module/$_mod" ] && continue
		insmod "/$_ko" || {
			echo "load_modules: insmod /$_ko failed"
			return 1
		}
	done <"/e2e/$1.modules"
}

# load_i915: insmods i915 and its dependencies (guest.sh -i).
load_i915() {
	load_modules i915
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

# wait_watching ERR: waits (up to 120 s) until the lockdepd writing its
# stderr to ERR says its probes are attached.
wait_watching() {
	_i=0
	while [ $_i -lt 120 ] && ! grep -q 'watching' "$1"; do
		sleep 1
		_i=$((_i + 1))
	done
	grep -q 'watching' "$1"
}

# install_root NAME: copies /e2e/NAME (stage_binaries on the host) over /,
# so its binaries find their libraries and loader where they expect them.
install_root() {
	cp -a "/e2e/$1/." /
}
