#!/bin/bash
# lockdepd report and dump from the command line: exit statuses, the
# lockdep-style layout, JSON, and the binary form giving the same findings.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

cat >"$WORK/seed.trace" <<'T'
# The seed thread: vm->mutex is tainted for reclaim by the rules, and an
# allocation that may enter fs reclaim happens under it.
init    lock=0xffff8880aa000010 name="&vm->mutex" site=i915_address_space_init
acquire pid=120 lock=0xffff8880aa000010 ip=i915_vma_pin_ww+0x1c stack=i915_vma_pin_ww+0x1c;i915_gem_object_ggtt_pin_ww+0x80 comm=gem_exec
alloc   pid=120 gfp=GFP_KERNEL site=i915_vma_bind+0x44 stack=__kmalloc+0x20;i915_vma_bind+0x44
release pid=120 lock=0xffff8880aa000010
T
grep -v '^alloc' "$WORK/seed.trace" >"$WORK/clean.trace"

run_lockdepd "$WORK/out" "$WORK/err" report --rules rules/i915.yaml "$WORK/seed.trace"
expect_status "seed scenario exits 1" 1
check "seed report opens with an = rule as long as its title" \
	awk 'prev ~ /^=+$/ && /^WARNING: / { found = (length(prev) == length($0)) } { prev = $0 } END { exit !found }' "$WORK/out"
check "seed report names vm->mutex" grep -q '(vm->mutex)' "$WORK/out"
check "seed report names fs_reclaim" grep -q 'fs_reclaim' "$WORK/out"
check "seed report names the allocation site" grep -q 'i915_vma_bind+0x44' "$WORK/out"
check "seed report has the unsafe scenario" grep -q 'DEADLOCK' "$WORK/out"

run_lockdepd "$WORK/out" "$WORK/err" report --rules rules/i915.yaml "$WORK/clean.trace"
expect_status "clean trace exits 0" 0

run_lockdepd "$WORK/seed.json" "$WORK/err" report --rules rules/i915.yaml --format json "$WORK/seed.trace"
expect_status "json report exits 1" 1
check "json report is one line" test "$(wc -l <"$WORK/seed.json")" -eq 1
check "json report kind is reclaim" grep -q '"kind":"reclaim"' "$WORK/seed.json"

cat >"$WORK/abba.trace" <<'T'
init    lock=0xffff8880aa000010 name="&vm->mutex" site=i915_address_space_init
init    lock=0xffff8880bb000020 name="reservation_ww_class_mutex" site=dma_resv_init
acquire pid=120 lock=0xffff8880bb000020 type=ww_mutex ip=eb_validate_vmas+0x30 comm=gem_exec
acquire pid=120 lock=0xffff8880aa000010 ip=i915_vma_pin_ww+0x1c comm=gem_exec
release pid=120 lock=0xffff8880aa000010
release pid=120 lock=0xffff8880bb000020
acquire pid=121 lock=0xffff8880aa000010 ip=i915_gem_evict_vm+0x50 comm=gem_evict
acquire pid=121 lock=0xffff8880bb000020 type=ww_mutex ip=i915_gem_evict_vm+0x90 comm=gem_evict
T
run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/abba.trace"
expect_status "ABBA exits 1" 1
check "circular report: lockdep's 54-character rule" grep -qx '======================================================' "$WORK/out"
check "circular report: lockdep's title" grep -qx 'WARNING: possible circular locking dependency detected' "$WORK/out"
check "circular report: the task trying to acquire" grep -q '^gem_evict/121 is trying to acquire lock:' "$WORK/out"
check "circular report: the chain" grep -q '^the existing dependency chain (in reverse order) is:' "$WORK/out"
check "circular report: CPU0/CPU1 table" grep -qE '^ +CPU0 +CPU1$' "$WORK/out"
check "circular report: one finding" test "$(grep -c '^WARNING:' "$WORK/out")" -eq 1

# The same events as a binary trace give the same findings and the same text back.
run_lockdepd "$WORK/canonical.trace" "$WORK/err" dump "$WORK/seed.trace"
expect_status "dump of a text trace exits 0" 0
run_lockdepd "$WORK/out" "$WORK/err" dump -o "$WORK/seed.ldt" "$WORK/seed.trace"
expect_status "dump -o writes a binary trace" 0
check "binary trace is zstd" sh -c "zstd -t -q '$WORK/seed.ldt'"
run_lockdepd "$WORK/roundtrip.trace" "$WORK/err" dump "$WORK/seed.ldt"
check "text -> binary -> text is identical" cmp -s "$WORK/canonical.trace" "$WORK/roundtrip.trace"
run_lockdepd "$WORK/bin.json" "$WORK/err" report --rules rules/i915.yaml --format json "$WORK/seed.ldt"
expect_status "binary trace report exits 1" 1
check "binary and text give the same findings" cmp -s "$WORK/seed.json" "$WORK/bin.json"

# Held records (what a live capture writes when its chain cache left
# acquisitions out) dump the same from either form.
cat >"$WORK/held.trace" <<'T'
acquire pid=40 lock=0xffff888100a00010 type=rwsem_write ip=ext4_buffered_write_iter+0x30
held pid=40
held pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30,0xffff888100b00010:mutex:try@foo+0x10
held t=5 pid=41 locks=console_mutex:rwsem_read
T
run_lockdepd "$WORK/held.canonical" "$WORK/err" dump "$WORK/held.trace"
expect_status "dump of held records exits 0" 0
check "dump prints held records as they were written" cmp -s "$WORK/held.trace" "$WORK/held.canonical"
run_lockdepd "$WORK/out" "$WORK/err" dump -o "$WORK/held.ldt" "$WORK/held.trace"
expect_status "dump -o writes held records" 0
run_lockdepd "$WORK/held.roundtrip" "$WORK/err" dump "$WORK/held.ldt"
check "held: text -> binary -> text is identical" cmp -s "$WORK/held.trace" "$WORK/held.roundtrip"
printf 'held pid=1\nheld pid=1 locks=0x10:mutex,0x20:semaphore\n' >"$WORK/badheld.trace"
run_lockdepd "$WORK/out" "$WORK/err" dump "$WORK/badheld.trace"
expect_status "bad locks= item exits 2" 2
check "bad locks= item: one line with file:line" \
	sh -c "test \$(wc -l <'$WORK/err') -eq 1 && grep -q 'badheld.trace:2: bad lock type in locks' '$WORK/err'"
# A held record whose one entry has lock type 5: its type byte is 20 bytes
# before the end of the content (an end record of 16 follows).
printf 'held pid=1 locks=0x10:mutex\n' >"$WORK/held1.trace"
"$LOCKDEPD" dump -o "$WORK/held1.ldt" "$WORK/held1.trace"
zstd -dcq "$WORK/held1.ldt" >"$WORK/held1.raw"
printf '\x05' | dd of="$WORK/held1.raw" bs=1 seek=$(($(stat -c %s "$WORK/held1.raw") - 20)) \
	conv=notrunc status=none
zstd -qf "$WORK/held1.raw" -o "$WORK/badheld.ldt"
run_lockdepd "$WORK/out" "$WORK/err" dump "$WORK/badheld.ldt"
expect_status "corrupt held record exits 2" 2
check "corrupt held record: one line naming file and record" \
	sh -c "test \$(wc -l <'$WORK/err') -eq 1 && grep -q 'badheld.ldt: byte [0-9]* (record [0-9]*): bad held entry 0 (lock type 5)' '$WORK/err'"

# Bad input: one clear line naming the file, exit 2.
printf '\x28\xb5\x2f\xfd garbage that is not a zstd frame' >"$WORK/corrupt.ldt"
run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/corrupt.ldt"
expect_status "corrupt binary exits 2" 2
check "corrupt binary: one error line" test "$(wc -l <"$WORK/err")" -eq 1
check "corrupt binary: the line names the file" grep -q "corrupt.ldt" "$WORK/err"

printf 'acquire pid=1 lock=0x10\nacquire pid=1 lokc=0x20\n' >"$WORK/badkey.trace"
run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/badkey.trace"
expect_status "bad text line exits 2" 2
check "bad text line: file:line in the message" grep -q "badkey.trace:2" "$WORK/err"

run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/does-not-exist"
expect_status "missing trace exits 2" 2
check "missing trace: one error line" test "$(wc -l <"$WORK/err")" -eq 1

# Format versions, by editing the header of a file this lockdepd wrote
# (major at byte 8, minor at 10, header size at 12, all little-endian).
zstd -dcq "$WORK/seed.ldt" >"$WORK/seed.raw"
header_size=$(od -An -tu4 -j12 -N4 "$WORK/seed.raw" | tr -d ' ')
cp "$WORK/seed.raw" "$WORK/old.raw"
printf '\x02\x00' | dd of="$WORK/old.raw" bs=1 seek=8 conv=notrunc status=none
zstd -qf "$WORK/old.raw" -o "$WORK/old.ldt"
run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/old.ldt"
expect_status "an older major version exits 2" 2
check "older major: one error line" test "$(wc -l <"$WORK/err")" -eq 1
check "older major: the line names the file and the version" \
	grep -q "old.ldt: trace format 2.x is no longer read; re-record it" "$WORK/err"
# A newer minor version may add file records (types 0xc0 on): they are skipped.
{
	head -c "$header_size" "$WORK/seed.raw"
	printf '\xc0\x00\x07\x00\x10\x00\x00\x00newfield'
	tail -c +$((header_size + 1)) "$WORK/seed.raw"
} >"$WORK/newer.raw"
printf '\x01\x00' | dd of="$WORK/newer.raw" bs=1 seek=10 conv=notrunc status=none
zstd -qf "$WORK/newer.raw" -o "$WORK/newer.ldt"
run_lockdepd "$WORK/newer.json" "$WORK/err" report --rules rules/i915.yaml --format json "$WORK/newer.ldt"
expect_status "a newer minor version with an unknown record is read (exits 1)" 1
check "newer minor: the same findings" cmp -s "$WORK/seed.json" "$WORK/newer.json"
run_lockdepd "$WORK/out" "$WORK/seed.err" report --rules rules/i915.yaml --format json "$WORK/seed.ldt"
check "newer minor: no complaint" cmp -s "$WORK/seed.err" "$WORK/err"

run_lockdepd "$WORK/out" "$WORK/err" report --rules "$WORK/does-not-exist.yaml" "$WORK/seed.trace"
expect_status "missing rules file exits 2" 2

run_lockdepd "$WORK/out" "$WORK/err" report
expect_status "usage error exits 2" 2
run_lockdepd "$WORK/out" "$WORK/err" frobnicate
expect_status "unknown command exits 2" 2
for keys in 0 -3 16777217 4k; do
	run_lockdepd "$WORK/out" "$WORK/err" record --chain-keys "$keys" -o "$WORK/never.ldt"
	expect_status "record --chain-keys $keys is a usage error" 2
	check "record --chain-keys $keys says what it wants" \
		grep -q "^lockdepd: --chain-keys: expected 1 to 16777216, got '$keys'" "$WORK/err"
done
run_lockdepd "$WORK/out" "$WORK/err" run --chain-keys 0 --replay "$WORK/seed.trace"
expect_status "run --chain-keys 0 is a usage error" 2

# A trace cut off mid-way reports what it holds and says it was truncated.
head -c $(($(stat -c %s "$WORK/seed.ldt") - 12)) "$WORK/seed.ldt" >"$WORK/cut.ldt"
run_lockdepd "$WORK/out" "$WORK/err" report "$WORK/cut.ldt"
check "truncated binary is not an error" test "$status" -le 1
check "truncated binary says so" grep -qi "truncated" "$WORK/err"

tap_end
