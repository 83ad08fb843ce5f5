# shellcheck shell=sh
# The scenario groups both sides run, one per lockdep boot (lockdep turns
# itself off after its first report). Sourced in the guest after
# tests/e2e/guest-lib.sh; group_GROUP runs one group's scenarios on a freshly
# loaded fixture.

# Must be found: the taint of vm->mutex, then GFP_KERNEL under vm2->mutex.
group_reclaim() {
	scenario reclaim_taint
}
group_circular() {
	scenario circular
}
group_cycle3() {
	scenario cycle3
}
# Against rules/i915.yaml's declared order; no cycle by itself.
group_order() {
	scenario order
}
# Must not be found: correct ww back-off, allocations that cannot enter
# reclaim, a shrinker that only trylocks.
group_negatives() {
	scenario ww_backoff &&
		scenario nowait_atomic &&
		scenario nofs_scope &&
		scenario shrinker_trylock && drop_caches
}

# Must be found while it happens: a real AB-BA deadlock, two kthreads stuck
# for ever in mutex_lock(). Last in a boot: the fixture can no longer be
# removed.
group_deadlock() {
	scenario deadlock && sleep 2
}

# shellcheck disable=SC2034 # read by the scripts that source this file
fixture_groups="reclaim circular cycle3 order negatives deadlock"
