# shellcheck shell=sh
# Guest body of the smoke test (tests/e2e/smoke.sh boots it). It only runs
# things and records what happened; the host checks the records.
#
# With ftrace (no BPF, no lockdepd) it records what a tracer would see:
#   /out/trace.txt  a kprobe on __mutex_init (the class names the fixture's
#                   locks get at insmod), the fixture's kmem:kmalloc events
#                   (gfp flags) and the shrinker's mm_shrink_slab_start/end
#   /out/ldfix.txt  the fixture's counters after every scenario
#   /out/btf.txt    /sys/kernel/btf after loading i915
#   /out/i915.txt   lsmod after loading i915
#   /out/blob       a copy of /bin/busybox, its md5sum on the console

tracing=/sys/kernel/tracing

# Class names come from __mutex_init(lock, name, key): name is the second
# argument (%si). Enabled around insmod only, which runs the module's init.
echo 'p:e2e_mutex_init __mutex_init lock=%di name=+0(%si):string' >$tracing/kprobe_events
# LDFIX_ALLOC_SIZE: the fixture's allocations, not the rest of the kernel's.
echo 'bytes_req == 256' >$tracing/events/kmem/kmalloc/filter
echo 1 >$tracing/events/kprobes/e2e_mutex_init/enable
echo 1 >$tracing/events/kmem/kmalloc/enable
echo 1 >$tracing/events/vmscan/mm_shrink_slab_start/enable
echo 1 >$tracing/events/vmscan/mm_shrink_slab_end/enable
echo 16384 >$tracing/buffer_size_kb

check fixture-insmod load_fixture
echo 0 >$tracing/events/kprobes/e2e_mutex_init/enable

# reclaim_taint first: nothing has armed the shrinker yet.
t0=$(uptime_s)
for s in reclaim_taint circular cycle3 order ww_backoff nowait_atomic nofs_scope; do
	check "scenario-$s" scenario "$s"
done
check scenario-reclaim_shrinker scenario reclaim_shrinker
check drop-caches-lock drop_caches
check scenario-shrinker_trylock scenario shrinker_trylock
check drop-caches-trylock drop_caches
check scenario-loop scenario loop 10000
t1=$(uptime_s)
echo "e2e: scenarios ran from $t0 s to $t1 s"

if scenario no_such_scenario 2>/dev/null; then
	fail fixture-rejects-unknown "writing an unknown name to /proc/ldfix succeeded"
else
	pass fixture-rejects-unknown
fi

echo 0 >$tracing/tracing_on
cat $tracing/trace >/out/trace.txt
cat /proc/ldfix >/out/ldfix.txt
check fixture-rmmod rmmod ldfix

t0=$(uptime_s)
check i915-insmod load_i915
t1=$(uptime_s)
echo "e2e: i915 and its dependencies loaded in $t0 s .. $t1 s"
ls /sys/kernel/btf >/out/btf.txt
lsmod >/out/i915.txt

# The way results come home: a binary file must arrive byte for byte.
# (busybox: 2 MB of every byte value; /dev/urandom is slow under TCG.)
cp /bin/busybox /out/blob
echo "e2e: blob md5 $(md5sum /out/blob | cut -d' ' -f1)"
