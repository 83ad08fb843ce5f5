# shellcheck shell=sh
# Guest body for the lockdep kernel (tests/lockdep/compare.sh): runs one
# group, named by /e2e/group, with no tracer. The host reads lockdep's
# report from /out/dmesg.txt (guest.sh saves it after the body).
#
#   /out/debug_locks.before, .after   /proc/lockdep_stats' debug_locks line
#   /out/lockdep_stats                /proc/lockdep_stats after the group
#   /out/status.txt                   "group STATUS"
#
# The drivers group sources tests/e2e/drivers-guest.sh's functions (the host
# strips its two final `run` lines) and runs its workload; the drivers are
# built in, so they probed at boot.

# shellcheck source=tests/lockdep/groups.sh
. /e2e/groups.sh
group=$(cat /e2e/group)

grep debug_locks /proc/lockdep_stats >/out/debug_locks.before
echo "compare: group $group start" >/dev/kmsg
if [ "$group" = drivers ]; then
	# shellcheck disable=SC2034 # the sourced functions run $L
	L=/e2e/lockdepd
	# shellcheck source=/dev/null # tests/e2e/drivers-guest.sh, its last lines cut
	. /e2e/drivers-functions.sh
	ls /dev/dri >/out/dri.txt
	workload lockdep
	status=0
else
	load_fixture && "group_$group"
	status=$?
	rmmod ldfix
fi
echo "compare: group $group end" >/dev/kmsg
echo "group $status" >>/out/status.txt
cp /proc/lockdep_stats /out/lockdep_stats
grep debug_locks /proc/lockdep_stats >/out/debug_locks.after
echo "compare: group $group status $status, $(cat /out/debug_locks.after)"
