# shellcheck shell=sh
# Guest body of tests/bench/lockdep-loop.sh, on the lockdep kernel: the
# fixture's loop three times with lockdep validating, then a report (the
# circular scenario) that makes lockdep turn itself off, as it does after
# its first report, then the loop three times more on the same kernel.
N=${BENCH_LOOP:-20000}
load_fixture || echo "bench: insmod failed"
loop_once() {
	scenario loop "$N" || echo "bench: loop failed"
	echo "bench: $1 $(sed -n 's/^loop_ns: //p' /proc/ldfix)"
}
echo "bench: debug_locks-before $(sed -n 's/.*debug_locks: *//p' /proc/lockdep_stats)"
for _ in 1 2 3; do
	loop_once lockdep-on
done
scenario circular || echo "bench: circular failed"
echo "bench: debug_locks-after $(sed -n 's/.*debug_locks: *//p' /proc/lockdep_stats)"
for _ in 1 2 3; do
	loop_once lockdep-off
done
