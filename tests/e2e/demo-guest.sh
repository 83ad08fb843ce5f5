# shellcheck shell=sh
# Guest body of `make demo`: the fixture's scenarios under a live
# `lockdepd run`, each announced by a line saying what it does; the reports
# appear on the console as lockdepd finds them.

L=/e2e/lockdepd

say() {
	printf '\n\033[1m>>> %s\033[0m\n' "$*"
}

# start_run RULES: lockdepd run in the background, reports on the console.
start_run() {
	rm -f /tmp/run.err
	$L run --rules "$1" 2>/tmp/run.err &
	run_pid=$!
	i=0
	while [ $i -lt 120 ] && ! grep -q 'watching' /tmp/run.err; do
		sleep 1
		i=$((i + 1))
	done
	cat /tmp/run.err
}

stop_run() {
	sleep 1
	kill -INT $run_pid
	wait $run_pid
	cat /tmp/run.err | grep -v watching
}

# play NAME TEXT: announce, run, give lockdepd a moment to print.
play() {
	say "scenario $1: $2"
	scenario "$1" || echo "scenario $1 failed"
	sleep 1
}

say "lockdepd run --rules i915.yaml: probes attach, then the fixture module loads and names its locks"
start_run /e2e/i915.yaml
load_fixture
play reclaim_taint "kmalloc(GFP_KERNEL) under vm->mutex; the shrinker never runs. Expect a reclaim report through the rules' taint (i915_gem_shrinker_taints_mutex)"
play circular "execbuf locks dma_resv then vm->mutex; evict locks vm->mutex then dma_resv. Expect a circular report"
play cycle3 "struct_mutex -> error_mutex, error_mutex -> stolen_lock, stolen_lock -> struct_mutex on three paths. Expect a three-lock circular report"
play order "obj->vma_lock taken before vm->mutex, against the declared order dma_resv -> vm->mutex -> obj->vma_lock. Expect an order report"
play ww_backoff "two dma_resv under one ww_acquire_ctx, with a real -EDEADLK back-off. Nothing to report"
play nowait_atomic "GFP_NOWAIT and GFP_ATOMIC under vm->mutex: these cannot enter reclaim. Nothing to report"
play nofs_scope "GFP_KERNEL under vm->mutex inside memalloc_nofs_save(). Nothing to report"
rmmod ldfix
stop_run

say "lockdepd run with rules that declare no taint: reclaim must now be seen happening"
start_run /e2e/no-taint.yaml
load_fixture
play shrinker_trylock "the shrinker is set to only trylock vm->mutex"
say "echo 2 > /proc/sys/vm/drop_caches: the shrinker runs and trylocks. Nothing to report"
drop_caches
sleep 1
play reclaim_shrinker "kmalloc(GFP_KERNEL) under vm->mutex, then the shrinker is set to lock vm->mutex"
say "echo 2 > /proc/sys/vm/drop_caches: the shrinker takes vm->mutex in reclaim. Expect a reclaim report"
drop_caches
sleep 1
rmmod ldfix
stop_run
say "demo done"
