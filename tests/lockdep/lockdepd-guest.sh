# shellcheck shell=sh
# Guest body for the Debian kernel (tests/lockdep/compare.sh): each fixture
# group of groups.sh under its own `lockdepd run --rules i915.yaml`, the
# fixture loaded under the tracer (its classes are named at insmod) and
# removed after, so each group's findings are its own.
#
#   /out/GROUP.json   the findings (JSON lines)
#   /out/GROUP.err    lockdepd's stderr
#   /out/status.txt   "GROUP EXIT-STATUS" of each lockdepd run

# shellcheck source=tests/lockdep/groups.sh
. /e2e/groups.sh
L=/e2e/lockdepd

for group in $fixture_groups; do
	$L run --rules /e2e/i915.yaml --format json >"/out/$group.json" 2>"/out/$group.err" &
	pid=$!
	if wait_watching "/out/$group.err"; then
		{ load_fixture && "group_$group"; } || echo "compare: group $group failed"
		rmmod ldfix || echo "compare: rmmod failed"
		# The last events still in the ring buffer.
		sleep 1
	else
		echo "compare: lockdepd never attached for $group"
	fi
	kill -INT $pid
	wait $pid
	echo "$group $?" >>/out/status.txt
done
