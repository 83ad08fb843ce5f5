# shellcheck shell=sh
# Guest body of `make bench-live`: the fixture's lock loop untraced, under
# the floor (tests/bench/floor.c: empty programs on lockdepd's probe points;
# lock functions only; with a ring-buffer record per lock call, read only
# after the loop without and with lockdepd's wake-ups, or read during it)
# and under `lockdepd run`, alternated, in one boot (TCG timings are only
# comparable inside one run).
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

for round in 1 2 3; do
	loop_once untraced
	floor_once floor
	floor_once locks --locks-only
	floor_once held --hold --no-wakeup
	floor_once lagging --hold
	floor_once ring --ring
	rm -f /tmp/run.err
	$L run --format json --no-default-rules --rules /e2e/i915.yaml >/dev/null 2>/tmp/run.err &
	pid=$!
	i=0
	while [ $i -lt 120 ] && ! grep -q 'watching' /tmp/run.err; do
		sleep 1
		i=$((i + 1))
	done
	loop_once traced
	sleep 1
	kill -INT $pid
	wait $pid
	echo "bench: summary $(grep '"summary"' /tmp/run.err)"
	echo "bench: lost-warning $(grep -c 'were lost' /tmp/run.err)"
done
