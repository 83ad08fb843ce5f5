# shellcheck shell=sh
# Guest body of tests/e2e/findings.sh: the fixture's scenarios under
# `lockdepd run` (live) and `lockdepd record` (replayed on the host). Only
# runs things; the host decides what was right.
#
#   /out/rules.json     run --rules i915.yaml --rules fixture.yaml over the
#                       rules phase (fixture loaded after lockdepd started)
#   /out/rules.ldt      record over the same phase, for the host's report
#   /out/before.json    the same scenarios with the fixture loaded before
#                       lockdepd started: no init seen, fixture.yaml's
#                       entry rules name the locks
#   /out/before.ldt     record of the same, for the host's report
#   /out/trylock.json   run --rules no-taint.yaml: a trylocking shrinker ran
#                       and then an allocation under vm->mutex: nothing
#   /out/shrinker.json  run --rules no-taint.yaml: the locking shrinker ran
#                       after an allocation under vm->mutex: reclaim
#   /out/service1.json  `status --format json` of a service run (state and
#                       runtime directories) after the circular scenario
#   /out/service2.json  the same after kill -9 and a restart on that state
#   /out/deadlock.json  run with the defaults alone over the deadlock
#                       scenario (last: its two kthreads never finish)
#   /out/deadlock-threads.txt  "NAME STATE WCHAN" of those two kthreads,
#                       read once the finding is out
#   /out/cache.ldt      record of the scenarios twice over, with the
#                       chain cache (the default)
#   /out/all.ldt        the same with --all-events: every acquisition sent
#   /out/status.txt     "NAME EXIT-STATUS" for each lockdepd command

L=/e2e/lockdepd

cat >/tmp/phases.sh <<'EOS'
# Must find: reclaim (taint), circular, cycle3 (circular), order.
# Must not find: ww_backoff, nowait_atomic, nofs_scope.
phase_scenarios() {
	for s in reclaim_taint circular cycle3 order ww_backoff nowait_atomic nofs_scope; do
		scenario "$s" || echo "findings: scenario $s failed"
	done
}
phase_rules() {
	load_fixture || echo "findings: insmod failed"
	phase_scenarios
	rmmod ldfix || echo "findings: rmmod failed"
}
# The same chains again and again: what the chain cache keeps in the kernel.
phase_repeat() {
	load_fixture || echo "findings: insmod failed"
	for _ in 1 2; do
		phase_scenarios
	done
	rmmod ldfix || echo "findings: rmmod failed"
}
# The shrinker only trylocks vm->mutex, then GFP_KERNEL under vm->mutex:
# with no taint nothing says reclaim takes vm->mutex, so nothing is found.
phase_trylock() {
	load_fixture || echo "findings: insmod failed"
	scenario shrinker_trylock && drop_caches
	scenario reclaim_taint
	rmmod ldfix || echo "findings: rmmod failed"
}
# GFP_KERNEL under vm->mutex, then the shrinker really takes vm->mutex.
phase_shrinker() {
	load_fixture || echo "findings: insmod failed"
	scenario reclaim_shrinker && drop_caches
	rmmod ldfix || echo "findings: rmmod failed"
}
EOS
. /tmp/phases.sh

# wait_watching ERR: until a background lockdepd says its probes are attached.
wait_watching() {
	i=0
	while [ $i -lt 120 ] && ! grep -q 'watching' "$1"; do
		sleep 1
		i=$((i + 1))
	done
	grep -q 'watching' "$1"
}

# The service path with live probes: what it learned survives a kill -9.
phase_service() {
	mkdir -p /tmp/state /tmp/runtime
	$L run --rules /e2e/i915.yaml --format json --state-dir /tmp/state \
		--runtime-dir /tmp/runtime --save-interval 1 >/out/service1.out 2>/out/service1.err &
	pid=$!
	if wait_watching /out/service1.err; then
		load_fixture || echo "findings: insmod failed"
		scenario circular || echo "findings: scenario circular failed"
		sleep 3
		$L status --format json --runtime-dir /tmp/runtime >/out/service1.json
		echo "status1 $?" >>/out/status.txt
	else
		echo "findings: service never attached"
	fi
	kill -9 $pid
	wait $pid
	rmmod ldfix || echo "findings: rmmod failed"
	$L run --rules /e2e/i915.yaml --format json --state-dir /tmp/state \
		--runtime-dir /tmp/runtime >/out/service2.out 2>/out/service2.err &
	pid=$!
	if wait_watching /out/service2.err; then
		$L status --format json --runtime-dir /tmp/runtime >/out/service2.json
		echo "status2 $?" >>/out/status.txt
	else
		echo "findings: restarted service never attached"
	fi
	kill -TERM $pid
	wait $pid
	echo "service $?" >>/out/status.txt
}

# run_phase NAME RULES PHASE: `lockdepd run` around one phase; RULES is
# one file, or "fixture" for i915.yaml with the fixture's entry rules.
run_phase() {
	if [ "$2" = fixture ]; then
		set -- "$1" /e2e/i915.yaml "$3" --rules /e2e/fixture.yaml
	fi
	$L run --rules "$2" ${4:+"$4" "$5"} --format json >"/out/$1.json" 2>"/out/$1.err" &
	pid=$!
	i=0
	while [ $i -lt 120 ] && ! grep -q 'watching' "/out/$1.err"; do
		sleep 1
		i=$((i + 1))
	done
	if grep -q 'watching' "/out/$1.err"; then
		$3
	else
		echo "findings: run for $1 never attached"
	fi
	kill -INT $pid
	wait $pid
	echo "$1 $?" >>/out/status.txt
}

run_phase rules fixture phase_rules
$L record -o /out/rules.ldt -- sh -c '. /e2e/lib.sh; . /tmp/phases.sh; phase_rules' \
	2>/out/record.err
echo "record $?" >>/out/status.txt
# One boot, the same work recorded both ways: the host compares the reports.
$L record -o /out/cache.ldt -- sh -c '. /e2e/lib.sh; . /tmp/phases.sh; phase_repeat' \
	2>/out/record-cache.err
echo "record-cache $?" >>/out/status.txt
$L record --all-events -o /out/all.ldt -- \
	sh -c '. /e2e/lib.sh; . /tmp/phases.sh; phase_repeat' 2>/out/record-all.err
echo "record-all $?" >>/out/status.txt
# As on a CI machine whose driver loads at boot: the fixture first.
load_fixture || echo "findings: insmod failed"
run_phase before fixture phase_scenarios
$L record --rules /e2e/i915.yaml --rules /e2e/fixture.yaml -o /out/before.ldt -- \
	sh -c '. /e2e/lib.sh; . /tmp/phases.sh; phase_scenarios' 2>/out/record-before.err
echo "record-before $?" >>/out/status.txt
rmmod ldfix || echo "findings: rmmod failed"
run_phase trylock /e2e/no-taint.yaml phase_trylock
run_phase shrinker /e2e/no-taint.yaml phase_shrinker
phase_service

# Last, since its threads never finish: a real AB-BA deadlock. The cycle
# must be reported while both kthreads are stuck in mutex_lock().
phase_deadlock() {
	$L run --format json >/out/deadlock.json 2>/out/deadlock.err &
	pid=$!
	if wait_watching /out/deadlock.err; then
		load_fixture || echo "findings: insmod failed"
		scenario deadlock || echo "findings: scenario deadlock failed"
		i=0
		while [ $i -lt 30 ] && ! grep -q '"kind":"circular"' /out/deadlock.json; do
			sleep 1
			i=$((i + 1))
		done
		for comm in /proc/[0-9]*/comm; do
			case $(cat "$comm" 2>/dev/null) in
			ldfix_dl_*)
				d=${comm%/comm}
				echo "$(cat "$comm") $(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "$d/status")" \
					"$(cat "$d/wchan" 2>/dev/null)" >>/out/deadlock-threads.txt
				;;
			esac
		done
	else
		echo "findings: run for deadlock never attached"
	fi
	kill -INT $pid
	wait $pid
	echo "deadlock $?" >>/out/status.txt
}
phase_deadlock
