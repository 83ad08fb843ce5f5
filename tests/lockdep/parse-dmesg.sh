#!/bin/bash
# Reads a kernel log (dmesg as the guest saved it) and prints one line per
# lockdep report in it:
#
#   KIND<TAB>CLASS,CLASS,...<TAB>PHASE<TAB>HEADLINE
#
#   KIND      circular, recursive, irq-inversion, inconsistent, other
#             ("reclaim" when the cycle goes through fs_reclaim, as
#             lockdepd names that case)
#   CLASSES   lockdep's class names, sorted: the lock being taken, the held
#             lock, and every "-> #N (class)" of the dependency chain
#   PHASE     "boot" before the line "compare: group NAME start", else the
#             group's name; a boot report means lockdep was already off
#             when the scenario ran
#   HEADLINE  the WARNING line, verbatim
#
# Also prints "debug_locks_off" when lockdep said it turned itself off for a
# reason other than a report (e.g. "turning off the locking correctness
# validator" after running out of entries).
#
#   tests/lockdep/parse-dmesg.sh dmesg.txt
set -euo pipefail

[ $# -eq 1 ] || {
	echo "usage: $0 DMESG" >&2
	exit 2
}

sed 's/^\[ *[0-9.]*\] //' "$1" | awk '
function flush(  n, i, j, tmp, out) {
	if (kind == "")
		return
	n = 0
	for (c in seen)
		list[++n] = c
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (list[j] < list[i]) {
				tmp = list[i]; list[i] = list[j]; list[j] = tmp
			}
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? "," : "") list[i]
	if (kind == "circular" && ("fs_reclaim" in seen))
		kind = "reclaim"
	printf "%s\t%s\t%s\t%s\n", kind, out, phase, headline
	kind = ""
	delete seen
	delete list
}
# "(class){usage}-{wait}" at the start of what is left: the class.
function class_of(s,  m) {
	if (match(s, /^\(.*\)\{[^}]*\}/)) {
		s = substr(s, 2, RLENGTH - 1)
		sub(/\)\{[^}]*\}$/, "", s)
		return s
	}
	return ""
}
BEGIN { phase = "boot" }
/^compare: group [^ ]+ start/ { flush(); phase = $3; next }
/^WARNING: possible circular locking dependency detected/ { flush(); kind = "circular"; headline = $0; next }
/^WARNING: possible recursive locking detected/ { flush(); kind = "recursive"; headline = $0; next }
/^WARNING: possible irq lock inversion dependency detected/ { flush(); kind = "irq-inversion"; headline = $0; next }
/^WARNING: inconsistent lock state/ { flush(); kind = "inconsistent"; headline = $0; next }
/^WARNING: (bad unlock balance|held lock freed|lock held when returning to user space|suspicious RCU usage|.*lock.*detected)/ {
	flush(); kind = "other"; headline = $0; next
}
kind != "" && /^-> #[0-9]+ \(/ {
	c = class_of(substr($0, index($0, "(")))
	if (c != "") seen[c] = 1
	next
}
# The lock lines under "is trying to acquire lock:" / "is already holding".
kind != "" && /^[0-9a-f]+ \(.*\)\{/ {
	c = class_of(substr($0, index($0, "(")))
	if (c != "") seen[c] = 1
	next
}
kind != "" && /^stack backtrace:/ { flush(); next }
/turning off the locking correctness validator/ { print "debug_locks_off\t\t" phase "\t" $0 }
END { flush() }
'
