# shellcheck shell=sh
# Guest body of `make bench-live`: the fixture's lock loop untraced and
# under `lockdepd run`, alternated, in one boot (TCG timings are only
# comparable inside one run).
L=/e2e/lockdepd
N=${BENCH_LOOP:-20000}
load_fixture || echo "bench: insmod failed"

loop_once() { # NAME
	scenario loop "$N" || echo "bench: loop failed"
	echo "bench: $1 $(sed -n 's/^loop_ns: //p' /proc/ldfix)"
}

for round in 1 2 3; do
	loop_once untraced
	rm -f /tmp/run.err
	$L run --format json --rules /e2e/i915.yaml >/dev/null 2>/tmp/run.err &
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
