#!/bin/bash
# `lockdepd merge` over a CI fleet's saved graphs: 100 and 1,000 synthetic
# state files (tests/bench/merge-gen.c: ~3,000 dependencies each, mostly
# shared, one inversion whose halves are in two different files). Measures
# the merge's time and peak memory, then reads the merged state back
# (`lockdepd merge` of that one file, the reader that prints findings) and
# draws it (`lockdepd graph`), and fails unless the merged graph holds the
# generator's union of classes and dependencies and exactly one finding:
# the planted circular dependency. All sizes in one run, so the ratio holds
# on a noisy machine.
# BENCH_MERGE_FILES="100 1000" and BENCH_MERGE_DEPS=3000 change the fleet;
# the files are cached in $OUT/bench/merge-FILES-DEPS/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-build}
dir=${BENCH_DIR:-$out/bench}
deps=${BENCH_MERGE_DEPS:-3000}
read -r -a sizes <<<"${BENCH_MERGE_FILES:-100 1000}"
lockdepd=$out/lockdepd
mkdir -p "$dir"

fail() {
	echo "merge.sh: FAIL $*" >&2
	exit 1
}

measure() { # measure NAME COMMAND...: prints seconds (to the ms), peak KiB, exit status
	local name=$1 start end status=0
	shift
	# time(1) gives the peak RSS but only centiseconds.
	start=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$dir/$name.time" "$@" >"$dir/$name.out" 2>"$dir/$name.err" ||
		status=$?
	end=$(date +%s%N)
	echo "$(((end - start) / 1000000)) $(tail -n 1 "$dir/$name.time") $status" |
		awk '{ printf "%.3f %d %d\n", $1 / 1000, $2, $3 }'
}

# "merged N state files: C classes, D dependencies, F findings (M found only by the merge, ...)"
summary() { # summary STDERR_FILE: prints C D F M
	sed -n 's/^lockdepd: merged [0-9]* state files: \([0-9]*\) classes, \([0-9]*\) dependencies, \([0-9]*\) findings (\([0-9]*\) found only.*/\1 \2 \3 \4/p' "$1"
}

declare -A secs kib
for n in "${sizes[@]}"; do
	fleet="$dir/merge-$n-$deps"
	[ -f "$fleet/expected" ] || "$out/bench-merge-gen" -n "$n" -d "$deps" -o "$fleet"
	read -r _ want_files _ want_classes _ want_deps _ class_a class_b <"$fleet/expected"
	[ "$want_files" = "$n" ] || fail "$fleet/expected is for $want_files files"
	files=("$fleet"/ci-*.state)
	[ "${#files[@]}" = "$n" ] || fail "$fleet holds ${#files[@]} state files, not $n"
	cat "${files[@]}" >/dev/null # the page cache warm: CPU, not the disk
	merged="$fleet/merged.state"
	rm -f "$merged"

	read -r s k status < <(measure "merge-$n" "$lockdepd" merge -o "$merged" "${files[@]}")
	[ "$status" = 1 ] || fail "merge of $n files exited $status, not 1 (findings): $(tail -n 3 "$dir/merge-$n.err")"
	read -r c d f m < <(summary "$dir/merge-$n.err")
	# Every engine has fs_reclaim's class: one more than the generator's union.
	[ "$c" = $((want_classes + 1)) ] || fail "merge of $n files: $c classes, want $((want_classes + 1))"
	[ "$d" = "$want_deps" ] || fail "merge of $n files: $d dependencies, want $want_deps"
	[ "$f $m" = "1 1" ] || fail "merge of $n files: $f findings ($m only by the merge), want 1 (1)"
	secs[$n]=$s kib[$n]=$k

	# The merged state read back must hold the same graph and the one finding.
	read -r rs rk status < <(measure "readback-$n" "$lockdepd" merge --format json "$merged")
	[ "$status" = 1 ] || fail "reading $merged exited $status, not 1 (findings)"
	[ "$(summary "$dir/readback-$n.err")" = "$c $d 1 0" ] ||
		fail "$merged read back: $(summary "$dir/readback-$n.err"), want $c $d 1 0"
	found=$(jq -r 'select(.kind == "circular") | .classes | sort | join(" ")' "$dir/readback-$n.out")
	want=$(printf '%s\n' "$class_a" "$class_b" | LC_ALL=C sort | paste -sd ' ')
	[ "$(jq -s length "$dir/readback-$n.out")" = 1 ] || fail "$merged: not exactly one finding"
	[ "$found" = "$want" ] || fail "$merged: circular finding on '$found', want '$want'"

	read -r gs gk status < <(measure "graph-$n" "$lockdepd" graph --format dot \
		-o "$fleet/merged.dot" "$merged")
	[ "$status" = 0 ] || fail "graph of $merged exited $status"
	for class in "$class_a" "$class_b"; do
		grep -qF "\"$class\"" "$fleet/merged.dot" || fail "$fleet/merged.dot does not draw $class"
	done

	size=$(du -cb "${files[@]}" | tail -n 1 | cut -f 1)
	awk -v n="$n" -v d="$deps" -v mb="$size" -v c="$c" -v dd="$d" -v s="$s" -v k="$k" \
		-v rs="$rs" -v rk="$rk" -v gs="$gs" -v gk="$gk" -v a="$class_a" -v b="$class_b" 'BEGIN {
		printf "%d state files of %d dependencies (%.0f MB): merged %d classes, %d dependencies\n",
			n, d, mb / 1e6, c, dd
		printf "  merge -o:         %7.3f s  peak %7d KiB  %.1f ms a file\n", s, k, s * 1000 / n
		printf "  merge (read back): %6.3f s  peak %7d KiB\n", rs, rk
		printf "  graph --format dot: %5.3f s  peak %7d KiB\n", gs, gk
		printf "  one circular finding: %s <-> %s\n", a, b
	}'
done
if [ "${#sizes[@]}" -ge 2 ]; then
	first=${sizes[0]} last=${sizes[-1]}
	awk -v f="$first" -v l="$last" -v fs="${secs[$first]}" -v ls="${secs[$last]}" \
		-v fk="${kib[$first]}" -v lk="${kib[$last]}" 'BEGIN {
		printf "merge time ratio %d/%d files: %.2f (peak RSS ratio %.2f)\n", l, f, ls / fs, lk / fk
	}'
fi
