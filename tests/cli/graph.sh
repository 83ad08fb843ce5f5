#!/bin/bash
# lockdepd graph: the DOT parses (dot -Tsvg exits 0), exactly the edges of
# the reported cycles are red, --finding N and --class NAME select, svg is
# rendered, state files give the graph their trace gives, bad input is one
# line and exit 2, and a 20k-class graph is pruned to a picture that renders
# in reasonable time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# edges DOT: "from<TAB>to<TAB>attributes" per edge (names here have no quotes).
edges() {
	sed -n 's/^\t*"\([^"]*\)" -> "\([^"]*\)" \[\(.*\)\];$/\1\t\2\t\3/p' "$1"
}
# red_edges DOT: "from<TAB>to" of each red edge, sorted.
red_edges() {
	edges "$1" | awk -F'\t' '$3 ~ /(^|, )color=red(,|$)/ { print $1 "\t" $2 }' | sort
}
# cycle_edges JSON [N]: the edges of the reported cycles (or of finding N),
# consecutive classes and last -> first, as `report --format json` lists them.
cycle_edges() {
	jq -r --argjson n "${2:-0}" -s '
		to_entries[] | select($n == 0 or .key == $n - 1) | .value
		| select(.kind == "circular" or .kind == "reclaim") | .classes as $c
		| range(0; $c | length) | "\($c[.])\t\($c[(. + 1) % ($c | length)])"' "$1" | sort -u
}
# nodes DOT: how many classes are drawn.
nodes() { grep -c '^[[:space:]]*"[^"]*" \[label=' "$1"; }
# same_lines NAME A B: the two files hold the same lines.
same_lines() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3" | head -n 10 | tr '\n' ' ')"; fi
}
dot_parses() { dot -Tsvg "$1" >/dev/null 2>"$WORK/dot.err" && ! [ -s "$WORK/dot.err" ]; }

# check_cycles NAME TRACE [RULES]: dot parses, red edges == the cycles' edges.
check_cycles() {
	local name=$1 trace=$2 rules=()
	[ -n "${3:-}" ] && rules=(--rules "$3")
	run_lockdepd "$WORK/$name.dot" "$WORK/err" graph "${rules[@]}" "$trace"
	expect_status "$name: graph exits 0" 0
	check "$name: dot -Tsvg reads the DOT without a complaint" dot_parses "$WORK/$name.dot"
	"$LOCKDEPD" report "${rules[@]}" --format json "$trace" >"$WORK/$name.json" 2>/dev/null
	cycle_edges "$WORK/$name.json" >"$WORK/$name.want"
	red_edges "$WORK/$name.dot" >"$WORK/$name.red"
	check "$name: the report has a cycle" test -s "$WORK/$name.want"
	same_lines "$name: the cycle's edges and only those are red" "$WORK/$name.want" "$WORK/$name.red"
}

check_cycles seed tests/scenarios/seed-vm-mutex-alloc.trace rules/i915.yaml
check_cycles abba tests/scenarios/abba-circular.trace
check_cycles three tests/scenarios/cycle-three-classes.trace
check "seed: 2 red edges" test "$(wc -l <"$WORK/seed.red")" -eq 2
check "three: 3 red edges" test "$(wc -l <"$WORK/three.red")" -eq 3
check "seed: fs_reclaim is drawn as the pseudo-lock" \
	grep -q '^[[:space:]]*"fs_reclaim" \[label="fs_reclaim\\n(pseudo-lock)", shape=diamond' "$WORK/seed.dot"
check "seed: the edge names its count and the function that made it" \
	grep -qF '"vm->mutex" -> "fs_reclaim" [label="1× i915_vma_instance"' "$WORK/seed.dot"
check "seed: the taint the rules primed is dashed" \
	grep -qF '"fs_reclaim" -> "vm->mutex" [label="taint_reclaim\n(rules)", style=dashed' "$WORK/seed.dot"
check "seed: the layout is top-down" grep -q 'rankdir=TB' "$WORK/seed.dot"
check "abba: the edge names the function without its offset" \
	grep -qF '"&b->lock" -> "&a->lock" [label="2× two"' "$WORK/abba.dot"

# Two findings in one trace: --finding N draws that cycle alone in red.
sed 's/&\([abc]\)->lock/\&\1->three/; s/0xffff8880cc/0xffff8880dd/' \
	tests/scenarios/cycle-three-classes.trace >"$WORK/three-renamed.trace"
cat tests/scenarios/abba-circular.trace "$WORK/three-renamed.trace" >"$WORK/two.trace"
check_cycles two "$WORK/two.trace"
check "two: 5 red edges" test "$(wc -l <"$WORK/two.red")" -eq 5
for n in 1 2; do
	run_lockdepd "$WORK/two-$n.dot" "$WORK/err" graph --finding "$n" "$WORK/two.trace"
	expect_status "--finding $n exits 0" 0
	check "--finding $n: dot reads it" dot_parses "$WORK/two-$n.dot"
	cycle_edges "$WORK/two.json" "$n" >"$WORK/two-$n.want"
	red_edges "$WORK/two-$n.dot" >"$WORK/two-$n.red"
	same_lines "--finding $n: that cycle's edges and only those are red" \
		"$WORK/two-$n.want" "$WORK/two-$n.red"
done
check "--finding 1 draws the two-class cycle" test "$(wc -l <"$WORK/two-1.red")" -eq 2
check "--finding 2 draws the three-class cycle" test "$(wc -l <"$WORK/two-2.red")" -eq 3
check "--finding 1 leaves the other cycle out" sh -c "! grep -q 'three' '$WORK/two-1.dot'"

run_lockdepd "$WORK/class.dot" "$WORK/err" graph --class '&b->three' "$WORK/two.trace"
expect_status "--class exits 0" 0
check "--class: the class and its neighbours" test "$(nodes "$WORK/class.dot")" -eq 3
check "--class: the other finding left out" sh -c "! grep -q 'lock\"' '$WORK/class.dot'"
check "--class: dot reads it" dot_parses "$WORK/class.dot"

# svg through libgvc.
run_lockdepd "$WORK/out" "$WORK/err" graph --rules rules/i915.yaml --format svg -o "$WORK/seed.svg" \
	tests/scenarios/seed-vm-mutex-alloc.trace
expect_status "--format svg -o exits 0" 0
check "svg: nothing on stdout with -o" test ! -s "$WORK/out"
check "svg: an SVG document" sh -c "head -c 200 '$WORK/seed.svg' | grep -qE '^(<\?xml|<svg)'"
check "svg: names the classes" grep -q 'vm&#45;&gt;mutex' "$WORK/seed.svg"
check "svg: the cycle in red" grep -q 'stroke="red"' "$WORK/seed.svg"
if command -v xmllint >/dev/null; then
	check "svg: well-formed XML" xmllint --noout "$WORK/seed.svg"
else
	echo "# SKIP xmllint not installed"
fi
run_lockdepd "$WORK/stdout.svg" "$WORK/err" graph --format svg tests/scenarios/abba-circular.trace
expect_status "svg to stdout exits 0" 0
check "svg to stdout: an SVG document" grep -q '</svg>' "$WORK/stdout.svg"

# A saved graph draws as its trace does.
"$LOCKDEPD" run --replay tests/scenarios/seed-vm-mutex-alloc.trace --rules rules/i915.yaml \
	--state-dir "$WORK/st" --runtime-dir none --exit-on-eof >/dev/null 2>&1
run_lockdepd "$WORK/state.dot" "$WORK/err" graph --rules rules/i915.yaml "$WORK/st/state.jsonl"
expect_status "a state file: exits 0" 0
same_lines "a state file: the same graph as its trace" "$WORK/seed.dot" "$WORK/state.dot"

# Quotes, backslashes, '&', '<' in class names: the DOT still parses.
sed 's|"vm->mutex/1"|"say \\"hi\\" back\\\\slash \&amp; <x>"|g' "$WORK/st/state.jsonl" >"$WORK/odd.jsonl"
run_lockdepd "$WORK/odd.dot" "$WORK/err" graph "$WORK/odd.jsonl"
expect_status "odd names: exits 0" 0
check "odd names: the name is quoted" grep -qF '"say \"hi\" back\\slash &amp; <x>" [label="say \"hi\" back\\slash &amp;amp; <x>"' "$WORK/odd.dot"
check "odd names: dot reads it" dot_parses "$WORK/odd.dot"
check "odd names: the picture shows the name as it is" \
	sh -c "dot -Tsvg '$WORK/odd.dot' | grep -qF 'say &quot;hi&quot; back\\slash &amp;amp; &lt;x&gt;'"

# Bad input and usage: one line on stderr, exit 2, no output file left.
echo "keep" >"$WORK/keep.dot"
bad() {
	local name=$1
	shift
	run_lockdepd "$WORK/out" "$WORK/err" graph "$@"
	expect_status "$name: exit 2" 2
	check "$name: one line on stderr" test "$(grep -vc '^Usage\|^  ' "$WORK/err")" -eq 1
}
bad "no argument"
bad "missing file" "$WORK/missing.trace"
bad "bad --format" --format png tests/scenarios/abba-circular.trace
bad "--finding 0" --finding 0 tests/scenarios/abba-circular.trace
bad "--finding abc" --finding abc tests/scenarios/abba-circular.trace
bad "--finding past the end" --finding 2 -o "$WORK/keep.dot" tests/scenarios/abba-circular.trace
check "--finding past the end: names the count" grep -q 'the graph has 1 finding$' "$WORK/err"
check "an error leaves the old output file alone" grep -qx keep "$WORK/keep.dot"
check "an error leaves no temporary file" test "$(ls "$WORK" | grep -c '^keep\.dot')" -eq 1
bad "unknown --class" --class nope tests/scenarios/abba-circular.trace
bad "--finding and --class" --finding 1 --class '&a->lock' tests/scenarios/abba-circular.trace
printf 'init lock=0x10 name=a site=s\nbogus pid=1\n' >"$WORK/corrupt.trace"
bad "corrupt trace" "$WORK/corrupt.trace"
check "corrupt trace: names the file and line" grep -q 'corrupt.trace:2: ' "$WORK/err"
head -n 3 "$WORK/st/state.jsonl" >"$WORK/cut.jsonl"
bad "truncated state file" "$WORK/cut.jsonl"
bad "unwritable -o" -o "$WORK/no/such/dir/x.dot" tests/scenarios/abba-circular.trace

# A fleet-sized graph: a 20000-class chain with a hub under every tenth class
# and one back edge closing a four-class cycle, sites in two modules.
awk -v n=20000 '
function lk(i) { return sprintf("0xffff8881%08x", i * 64) }
BEGIN {
	k = int(n / 2)
	split("| [i915]| [xe]", mod, "|")
	hub = "0xffff888000000040"
	printf "init lock=%s name=\"&dev->struct_mutex\" site=hub_init\n", hub
	for (i = 0; i < n; i++)
		printf "init lock=%s name=\"&l%d->lock\" site=l_init\n", lk(i), i
	printf "acquire pid=1 lock=%s ip=chain_0+0x10 comm=chain\n", lk(0)
	for (i = 1; i < n; i++) {
		printf "acquire pid=1 lock=%s ip=\"chain_%d+0x10/0x80%s\"\n", lk(i), i, mod[i % 3 + 1]
		printf "release pid=1 lock=%s\n", lk(i - 1)
		if (i % 10 == 0)
			printf "acquire pid=1 lock=%s ip=hub_take+0x8\nrelease pid=1 lock=%s\n", hub, hub
	}
	printf "release pid=1 lock=%s\n", lk(n - 1)
	printf "acquire pid=2 lock=%s ip=back_edge+0x10 comm=back\n", lk(k + 3)
	printf "acquire pid=2 lock=%s ip=back_edge+0x20\n", lk(k)
	printf "release pid=2 lock=%s\nrelease pid=2 lock=%s\n", lk(k), lk(k + 3)
}' >"$WORK/big.trace"
start=$(date +%s)
run_lockdepd "$WORK/big.svg" "$WORK/err" graph --format svg "$WORK/big.trace"
secs=$(($(date +%s) - start))
expect_status "20k classes: svg exits 0" 0
# How long it takes is a benchmark figure (BENCHMARKS.md), not a test.
echo "# 20k classes: trace to svg in ${secs}s"
run_lockdepd "$WORK/big.dot" "$WORK/err" graph "$WORK/big.trace"
drawn=$(nodes "$WORK/big.dot")
echo "# 20k classes: $drawn classes and $(edges "$WORK/big.dot" | wc -l) dependencies drawn"
check "20k classes: pruned to at most 300 classes" test "$drawn" -le 300
check "20k classes: the note says what was left out" \
	grep -q "pruned to the $drawn of 20002 classes nearest the findings" "$WORK/big.dot"
check "20k classes: the cycle is red, 4 edges" test "$(red_edges "$WORK/big.dot" | wc -l)" -eq 4
check "20k classes: the hub says how much is not drawn" \
	grep -q '"&dev->struct_mutex" \[label="&dev->struct_mutex\\n+[0-9]* not drawn"' "$WORK/big.dot"
check "20k classes: clusters by module" grep -q 'label="\[i915\]"' "$WORK/big.dot"
check "20k classes: dot reads it" dot_parses "$WORK/big.dot"
run_lockdepd "$WORK/all.dot" "$WORK/err" graph --max-classes 0 "$WORK/big.trace"
expect_status "--max-classes 0 exits 0" 0
check "--max-classes 0 draws every class" test "$(nodes "$WORK/all.dot")" -eq 20001

tap_end
