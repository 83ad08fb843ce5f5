#!/bin/bash
# lockdep's verdicts beside lockdepd's on the same code (make compare-lockdep):
#
#   lockdep   the Debian linux-source-6.1 tree built with PROVE_LOCKING and
#             the DRM drivers built in (kernel-build.sh, cached), booted once
#             per group of groups.sh and once for the drivers workload,
#             because lockdep turns itself off after its first report; its
#             reports are read from the guest's dmesg (parse-dmesg.sh)
#   lockdepd  the Debian kernel guest of tests/e2e (no lockdep), one boot
#             with a `lockdepd run --rules rules/i915.yaml` per group, and
#             tests/e2e/drivers.sh for the drivers workload
#
# Prints one row per group: scenario | lockdep | lockdepd | match (two for
# the drivers: lockdepd started before they load, and after). Class
# names are compared after folding lockdep's names into rules/i915.yaml's
# canonical ones (&vm->mutex -> vm->mutex, reservation_ww_class_mutex ->
# dma_resv). Results under ${OUT:-build}/lockdep/; the table also goes to
# table.md there.
#
# Exit status: 0 when every row is "yes" or "n/a", 1 when a row disagrees
# or could not be measured, 2 when a build or a boot failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${OUT:-build}
case $out in /*) ;; *) out=$repo/$out ;; esac
dir=$out/lockdep
e2e=$repo/tests/e2e
mkdir -p "$dir"

# shellcheck source=tests/e2e/lib.sh
. "$e2e/lib.sh"

say() { echo "compare: $*" >&2; }
die() {
	say "$*"
	exit 2
}

# ---- the lockdep kernel and what guest.sh needs of it ---------------------

# shellcheck source=tests/lockdep/prepare.sh
. "$here/prepare.sh"
lockdep_prepare "$dir" || die "the lockdep kernel or its fixture failed"
kdir=$lockdep_kdir

# ---- lockdepd's side: the Debian guest ------------------------------------

make -C "$repo" OUT="$out" all static >/dev/null 2>&1 || die "make OUT=$out all static failed"
guest_bin=$out/static/lockdepd
e2e_prepare >/dev/null || die "tests/e2e kernel or fixture failed"

# shellcheck source=tests/lockdep/groups.sh
. "$here/groups.sh"
groups="$fixture_groups drivers"

say "lockdepd: one Debian boot for the fixture groups"
"$e2e/guest.sh" -o "$dir/lockdepd" -f "$E2E_LDFIX_KO" -f "$guest_bin:lockdepd" \
	-f "$repo/rules/i915.yaml" -f "$here/groups.sh" "$here/lockdepd-guest.sh" >&2 ||
	die "lockdepd guest failed: $dir/lockdepd/serial.log"

say "lockdepd: tests/e2e/drivers.sh"
OUT=$out "$e2e/drivers.sh" >"$dir/drivers.tap" 2>"$dir/drivers.err"
grep -q '^ok - drivers-guest-boot' "$dir/drivers.tap" || die "drivers.sh failed: $dir/drivers.tap"

# ---- lockdep's side: one boot per group -----------------------------------

# The drivers workload is drivers-guest.sh's, without its two lockdepd runs.
sed '/^run a load_then_work$/,$d' "$e2e/drivers-guest.sh" >"$dir/drivers-functions.sh"
grep -q '^workload()' "$dir/drivers-functions.sh" || die "drivers-guest.sh has no workload()"
drivers_dir=$out/e2e/drivers

for group in $groups; do
	echo "$group" >"$dir/group-$group"
	extra=()
	if [ "$group" = drivers ]; then
		extra=(-m 768 -q "-cpu max -vga none -device virtio-gpu-pci -device bochs-display"
			-f "$drivers_dir/drm:drm" -f "$drivers_dir/ext4.img.gz"
			-f "$dir/drivers-functions.sh" -f "$guest_bin:lockdepd")
	fi
	say "lockdep: boot for $group"
	E2E_KERNEL_DIR=$kdir "$e2e/guest.sh" -o "$dir/lockdep-$group" -f "$lockdep_ko" \
		-f "$here/groups.sh" -f "$dir/group-$group:group" "${extra[@]}" \
		"$here/lockdep-guest.sh" >&2 || say "lockdep guest for $group: status $(cat "$dir/lockdep-$group/status")"
	"$here/parse-dmesg.sh" "$dir/lockdep-$group/out/dmesg.txt" >"$dir/lockdep-$group.reports" ||
		die "no dmesg from the $group boot"
done

# ---- the table ------------------------------------------------------------

# rules/i915.yaml's classes: "PATTERN<TAB>CANONICAL" per match entry.
awk '/^  - name: / { name = $3 }
	/^    match: / { s = $0; sub(/^ *match: *\[/, "", s); sub(/\].*$/, "", s)
		n = split(s, m, /, */)
		for (i = 1; i <= n; i++) { gsub(/"/, "", m[i]); print m[i] "\t" name } }' \
	"$repo/rules/i915.yaml" >"$dir/class-names"

canonical() { # CLASS
	local pattern name
	while IFS=$'\t' read -r pattern name; do
		# shellcheck disable=SC2053
		[[ $1 == $pattern ]] && {
			echo "$name"
			return
		}
	done <"$dir/class-names"
	echo "$1"
}

# fold "KIND A,B,..." into canonical, sorted class names.
fold() {
	local kind classes c out=()
	while read -r kind classes; do
		[ -n "$kind" ] || continue
		out=()
		IFS=, read -ra cs <<<"$classes"
		for c in "${cs[@]}"; do out+=("$(canonical "$c")"); done
		echo "$kind $(printf '%s\n' "${out[@]}" | sort -u | paste -sd,)"
	done | sort -u
}

# The lockdepd findings of a group, "KIND A,B" per line.
lockdepd_of() {
	if [ "$1" = drivers-lockdepd-first ]; then
		cat "$drivers_dir/guest/out/a.json"
	elif [ "$1" = drivers-lockdepd-after ]; then
		cat "$drivers_dir/guest/out/b.json"
	else
		cat "$dir/lockdepd/out/$1.json"
	fi 2>/dev/null | jq -r 'select(.kind != null) | "\(.kind) \(.classes | join(","))"' | fold
}

# The lockdep reports of a group: those after its start marker, and for the
# drivers (built in, they probe during boot) those of the boot too.
lockdep_of() {
	awk -F'\t' -v g="$1" '$1 != "debug_locks_off" && ($3 == g || (g == "drivers" && $3 == "boot"))' \
		"$dir/lockdep-$1.reports" | awk -F'\t' '{ print $1 " " $2 }' | fold
}

show() { # LINES: "kind: a, b; kind: c"
	if [ -z "$1" ]; then
		echo "none"
	else
		sed 's/ /: /; s/,/, /g' <<<"$1" | paste -sd';' | sed 's/;/; /g'
	fi
}

verdict=0
{
	echo "| scenario | lockdep | lockdepd | match |"
	echo "| --- | --- | --- | --- |"
	# drivers.sh runs lockdepd twice: before the drivers load, and after.
	for row in $fixture_groups drivers-lockdepd-first drivers-lockdepd-after; do
		group=${row%%-*}
		ld=$(lockdep_of "$group")
		lk=$(lockdepd_of "$row")
		raw=$(awk -F'\t' '$1 != "debug_locks_off" { print $1 ": " $2 }' "$dir/lockdep-$group.reports" |
			sed 's/,/, /g' | paste -sd';' | sed 's/;/; /g')
		off_early=$(awk -F'\t' -v g="$group" 'g != "drivers" && $3 == "boot"' "$dir/lockdep-$group.reports")
		status=$(cat "$dir/lockdep-$group/status" 2>/dev/null)
		if [ "$status" != 0 ]; then
			match="no measure: lockdep boot status $status"
			verdict=1
		elif [ -n "$off_early" ]; then
			match="no measure: lockdep reported during boot and was off"
			verdict=1
		elif [ "$group" = order ] && [ -z "$ld" ] && grep -q '^order ' <<<"$lk"; then
			match="n/a: lockdep has no declared hierarchy"
		elif [ "$ld" = "$lk" ]; then
			match=yes
		elif [ -n "$ld" ] && [ "$(wc -l <<<"$ld")" = 1 ] && grep -qxF "$ld" <<<"$lk"; then
			match="partial: lockdep stops at its first report"
		else
			match=no
			verdict=1
		fi
		ld_text=$(show "$ld")
		[ "$group" = drivers ] && [ -n "$raw" ] && ld_text="$raw"
		echo "| $row | $ld_text | $(show "$lk") | $match |"
	done
} >"$dir/table.md"
cat "$dir/table.md"

# The raw lockdep headlines, for the reader.
for group in $groups; do
	awk -F'\t' -v g="$group" '{ print "# lockdep " g " boot: " $4 " [" $3 "] " $2 }' \
		"$dir/lockdep-$group.reports"
done >&2
# How much each side saw in the drivers workload.
awk '/lock-classes:|direct dependencies:|dependency chains:/ { sub(/^ */, ""); print "# lockdep drivers boot: " $0 }' \
	"$dir/lockdep-drivers/out/lockdep_stats" >&2
grep -a '^# run [ab]:' "$dir/drivers.tap" | sed 's/^# /# lockdepd drivers.sh /' >&2
exit "$verdict"
