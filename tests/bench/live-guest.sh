# shellcheck shell=sh
# Guest body of `make bench-live`: the fixture's lock loop untraced, under
# the floor (tests/bench/floor.c: empty programs on lockdepd's probe points;
# lock functions only; with a ring-buffer record per lock call, read only
# after the loop without and with lockdepd's wake-ups, or read during it)
# and under `lockdepd run`, alternated, in one boot (TCG timings are only
# comparable inside one run). Then a file and fork workload on real kernel
# code (tar, cp and find on ext4 over a loop device, 200 forks) untraced,
# under the floor and under `lockdepd run` with its default rules.
L=/e2e/lockdepd
F=/e2e/floor
N=${BENCH_LOOP:-20000}
load_fixture || echo "bench: insmod failed"
# What lockdepd attaches here, for the host to hold the floor's points against.
# Without the default rules, on both sides: their lock_args fire only when
# an inode is made, never in the loop, and the floor has no twin for them.
$L probe --format json --no-default-rules --rules /e2e/i915.yaml >/out/probe.json 2>/out/probe.err ||
	echo "bench: lockdepd probe failed"

# IRQ work interrupts so far: a ring-buffer wake-up forced from a BPF
# program is one (when none is pending).
irq_work() {
	awk '$1 == "IWI:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts
}

# loop_once NAME: "bench: NAME LOOP_NS IRQ_WORK_INTERRUPTS_DURING_IT"
loop_once() {
	_iwi=$(irq_work)
	scenario loop "$N" || echo "bench: loop failed"
	_ns=$(sed -n 's/^loop_ns: //p' /proc/ldfix)
	echo "bench: $1 $_ns $(($(irq_work) - _iwi))"
}

# floor_once NAME FLOOR-ARGS...: the loop with the floor attached.
floor_once() {
	_name=$1
	shift
	rm -f /tmp/floor.err
	$F "$@" >"/out/$_name-points.txt" 2>/tmp/floor.err &
	_pid=$!
	_i=0
	while [ $_i -lt 120 ] && ! grep -q 'ready' /tmp/floor.err && kill -0 $_pid 2>/dev/null; do
		sleep 1
		_i=$((_i + 1))
	done
	if grep -q 'ready' /tmp/floor.err; then
		loop_once "$_name"
	else
		echo "bench: $_name did not attach: $(tr '\n' ' ' </tmp/floor.err)"
	fi
	sleep 1
	kill -INT $_pid
	wait $_pid
	echo "bench: $_name-exit $? $(sed -n 's/^floor: records /records /p' /tmp/floor.err)"
}

# run_start [ARGS]: `lockdepd run --rules i915.yaml ARGS` in the background,
# once it watches; run_stop: SIGINT, and its log in /tmp/run.err.
run_start() {
	rm -f /tmp/run.err
	$L run --format json --rules /e2e/i915.yaml "$@" >/dev/null 2>/tmp/run.err &
	run_pid=$!
	_i=0
	while [ $_i -lt 120 ] && ! grep -q 'watching' /tmp/run.err; do
		sleep 1
		_i=$((_i + 1))
	done
}
run_stop() {
	sleep 1
	kill -INT $run_pid
	wait $run_pid
}

for _ in 1 2 3; do
	loop_once untraced
	floor_once floor
	floor_once locks --locks-only
	floor_once held --hold --no-wakeup
	floor_once lagging --hold
	floor_once ring --ring
	run_start --no-default-rules
	loop_once traced
	run_stop
	echo "bench: summary $(grep '"summary"' /tmp/run.err)"
	echo "bench: loop-chain $(grep 'chain cache:' /tmp/run.err)"
	echo "bench: lost-warning $(grep -c 'were lost' /tmp/run.err)"
done

# Busybox's date has no %N: the uptime's hundredths, as nanoseconds.
now_ns() {
	awk '{ printf "%.0f", $1 * 1e9 }' /proc/uptime
}

# files_once NAME: "bench: NAME-files NS" for 1,000 files made, tarred,
# untarred, copied, found and removed on ext4, and 200 forks.
files_once() {
	_t0=$(now_ns)
	for _d in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		mkdir -p "/mnt/src/$_d" || break
		for _f in $(seq 50); do echo "$_d $_f" >"/mnt/src/$_d/$_f"; done
	done
	mkdir -p /mnt/a && tar cf /mnt/tree.tar -C /mnt src && tar xf /mnt/tree.tar -C /mnt/a &&
		cp -a /mnt/a /mnt/b && find /mnt -type f >/dev/null || echo "bench: files failed"
	_i=0
	while [ $_i -lt 200 ]; do
		/bin/sh -c :
		_i=$((_i + 1))
	done
	rm -rf /mnt/src /mnt/a /mnt/b /mnt/tree.tar && sync
	echo "bench: $1-files $(($(now_ns) - _t0))"
}

# files_traced_once: the workload under `lockdepd run` (its default rules on).
files_traced_once() {
	run_start
	files_once traced
	run_stop
	echo "bench: files-summary $(grep '"summary"' /tmp/run.err)"
	echo "bench: files-chain $(grep 'chain cache:' /tmp/run.err)"
}

mkdir -p /mnt
gunzip -c /e2e/ext4.img.gz >/tmp/ext4.img && losetup /dev/loop0 /tmp/ext4.img &&
	mount -t ext4 /dev/loop0 /mnt || echo "bench: ext4 mount failed"
# A first pass warms the page cache the later ones read from.
files_once warmup
for _ in 1 2 3; do
	files_once untraced
	rm -f /tmp/floor.err
	$F >/dev/null 2>/tmp/floor.err &
	fpid=$!
	i=0
	while [ $i -lt 120 ] && ! grep -q 'ready' /tmp/floor.err && kill -0 $fpid 2>/dev/null; do
		sleep 1
		i=$((i + 1))
	done
	files_once floor
	kill -INT $fpid
	wait $fpid
	files_traced_once
done
umount /mnt && losetup -d /dev/loop0 || echo "bench: umount failed"
