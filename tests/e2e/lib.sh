# shellcheck shell=bash
# Host-side helpers for the end-to-end tests; source it from bash.
#
#   . tests/e2e/lib.sh
#   e2e_prepare                  # kernel cache + fixture: E2E_KERNEL_DIR,
#                                # E2E_ABI, E2E_LDFIX_KO
#   tests/e2e/guest.sh -o DIR -f "$E2E_LDFIX_KO" body.sh
#   guest_tap DIR/serial.log     # PASS/FAIL lines -> TAP
#   expect_line NAME FILE TEXT   # ok when FILE has TEXT (fixed string)

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tap_ok() {
	echo "ok - $1"
}

tap_not_ok() {
	echo "not ok - $1: $2"
}

# e2e_prepare: the kernel cache and the fixture module, with timings on
# stderr. Returns non-zero (after one "not ok" line) when either fails.
e2e_prepare() {
	local start
	start=$(date +%s%N)
	if ! E2E_KERNEL_DIR=$("$E2E_DIR/kernel.sh"); then
		tap_not_ok e2e-kernel "tests/e2e/kernel.sh failed"
		return 1
	fi
	E2E_ABI=$(cat "$E2E_KERNEL_DIR/abi")
	echo "# kernel $E2E_ABI ready in $(e2e_since "$start") s" >&2
	start=$(date +%s%N)
	if ! E2E_LDFIX_KO=$("$E2E_DIR/fixture.sh" "$E2E_ABI" "$E2E_KERNEL_DIR/vmlinux"); then
		tap_not_ok e2e-fixture-build "tests/e2e/fixture.sh failed"
		return 1
	fi
	echo "# fixture built in $(e2e_since "$start") s" >&2
	export E2E_KERNEL_DIR E2E_ABI E2E_LDFIX_KO
}

# e2e_since START_NS: seconds elapsed, with milliseconds.
e2e_since() {
	local ms=$((($(date +%s%N) - $1) / 1000000))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# serial_text LOG: the console log as plain lines (no CRs, no escape codes).
serial_text() {
	tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g'
}

# guest_tap LOG: the body's "PASS name" / "FAIL name: why" lines as TAP.
guest_tap() {
	serial_text "$1" | sed -n 's/^PASS \(.*\)/ok - \1/p; s/^FAIL \(.*\)/not ok - \1/p'
}

# expect_guest_pass LOG NAME...: a "not ok" for each NAME the guest never
# reported at all (it died first, or the body lost the check).
expect_guest_pass() {
	local text name
	text=$(serial_text "$1")
	shift
	for name in "$@"; do
		grep -qE "^(PASS|FAIL) $name(:|\$)" <<<"$text" ||
			tap_not_ok "$name" "the guest never reported it"
	done
}

# expect_line NAME FILE TEXT: ok when FILE holds TEXT (a fixed string).
expect_line() {
	local name=$1 file=$2 text=$3
	if [ -f "$file" ] && grep -aqF -- "$text" "$file"; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "no '$text' in $(basename "$file")"
	fi
}

# expect_no_line NAME FILE TEXT: ok when FILE exists and lacks TEXT.
expect_no_line() {
	local name=$1 file=$2 text=$3
	if [ ! -f "$file" ]; then
		tap_not_ok "$name" "no $(basename "$file")"
	elif grep -aqF -- "$text" "$file"; then
		tap_not_ok "$name" "unexpected '$text' in $(basename "$file")"
	else
		tap_ok "$name"
	fi
}

# expect_regex NAME FILE REGEX: ok when a line of FILE matches (grep -E).
expect_regex() {
	local name=$1 file=$2 re=$3
	if [ -f "$file" ] && grep -aqE -- "$re" "$file"; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "no line matching /$re/ in $(basename "$file")"
	fi
}

# stage_binaries DIR BIN...: DIR gets each dynamically linked BIN and every
# file ldd lists for it (the libraries, the loader), each at its host path
# under DIR. Boot with guest.sh -f DIR:NAME and call install_root NAME in
# the body: then the binaries run in the guest as they do on the host.
stage_binaries() {
	local dir=$1 bin f
	shift
	rm -rf "$dir"
	for bin in "$@"; do
		for f in "$bin" $(ldd "$bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
			mkdir -p "$dir$(dirname "$f")"
			cp -L "$f" "$dir$f" || return 1
		done
	done
}
