# shellcheck shell=sh
# Guest body of tests/e2e/drivers.sh: real drivers and ordinary kernel
# activity under `lockdepd run --rules i915.yaml`, twice in one boot:
#
#   a  lockdepd first, then the drivers load, then the workload
#   b  the drivers already loaded, a fresh lockdepd, then the workload again
#
# It only runs things; the host decides what was right.
#
#   /out/RUN.json       the findings of run RUN (JSON lines, stdout)
#   /out/RUN.err        its stderr: "watching ...", the summary line
#   /out/RUN-state/     its state file, saved when it stops: the classes it made
#   /out/RUN.vmstat     /proc/vmstat before and after the memory pressure
#   /out/RUN-DRV-*.txt  modetest's and proptest's output per DRM driver
#   /out/dri.txt        /dev/dri after the drivers loaded
#   /out/status.txt     "NAME EXIT-STATUS" for each command the host checks

L=/e2e/lockdepd

install_root drm

st() { # NAME STATUS
	echo "$1 $2" >>/out/status.txt
}

# modeset RUN DRIVER: an atomic modeset on the first connected connector,
# then every property through proptest.
modeset() {
	/usr/bin/modetest -M "$2" -c >"/out/$1-$2-connectors.txt" 2>&1
	conn=$(awk '$3 == "connected" { print $1; exit }' "/out/$1-$2-connectors.txt")
	if [ -z "$conn" ]; then
		echo "drivers: $2 has no connected connector"
		st "$1-modetest-$2" none
		return
	fi
	# modetest waits for a key after the commit: stdin at EOF returns at once.
	/usr/bin/modetest -M "$2" -a -s "$conn:1024x768" </dev/null >"/out/$1-$2-modetest.txt" 2>&1
	st "$1-modetest-$2" $?
	/usr/bin/proptest -M "$2" >"/out/$1-$2-proptest.txt" 2>&1
	st "$1-proptest-$2" $?
}

# files RUN DIR: copies a tree into DIR, reads it back, removes it.
files() {
	cp -a /e2e "$2/copy" && cat "$2"/copy/lockdepd >/dev/null && rm -rf "$2/copy"
	st "$1-files-$(basename "$2")" $?
}

# pressure RUN: one process allocates and touches all but a little of the
# available memory, so kswapd and direct reclaim run; it is the OOM
# killer's first choice, lockdepd never is.
pressure() {
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	cp /proc/vmstat "/out/$1.vmstat.before"
	(echo 1000 >/proc/self/oom_score_adj && exec dd if=/dev/zero of=/dev/null bs=$((avail - 24))M count=1 2>/dev/null)
	st "$1-pressure" $?
	cp /proc/vmstat "/out/$1.vmstat.after"
	echo "drivers: $1: allocated $((avail - 24)) of $avail MiB available"
}

workload() {
	modeset "$1" virtio_gpu
	modeset "$1" bochs-drm
	files "$1" /tmp
	# A journalled ext4 (made on the host) on a loop device over tmpfs.
	mkdir -p /mnt
	gunzip -c /e2e/ext4.img.gz >/tmp/ext4.img &&
		losetup /dev/loop0 /tmp/ext4.img &&
		mount -t ext4 /dev/loop0 /mnt
	st "$1-mount-ext4" $?
	files "$1" /mnt
	# Page cache reclaim can take back (what tmpfs holds it cannot: no swap).
	dd if=/dev/zero of=/mnt/cache bs=1M count=96 2>/dev/null && sync
	st "$1-write-ext4" $?
	i=0
	while [ $i -lt 200 ]; do
		/bin/sh -c :
		i=$((i + 1))
	done
	pressure "$1"
	umount /mnt && losetup -d /dev/loop0 && rm -f /tmp/ext4.img
	st "$1-umount-ext4" $?
	if echo 3 >/proc/sys/vm/drop_caches; then st "$1-drop-caches" 0; else st "$1-drop-caches" 1; fi
}

# run RUN FUNCTION: FUNCTION RUN between lockdepd's attach and its SIGINT.
run() {
	_run=$1
	t0=$(uptime_s)
	$L run --rules /e2e/i915.yaml --state-dir "/out/$_run-state" --format json \
		>"/out/$_run.json" 2>"/out/$_run.err" &
	pid=$!
	echo -1000 >/proc/$pid/oom_score_adj
	if wait_watching "/out/$_run.err"; then
		t1=$(uptime_s)
		$2 "$_run"
		t2=$(uptime_s)
		# The last events still in the ring buffer.
		sleep 1
	else
		echo "drivers: run $_run never attached"
	fi
	kill -INT $pid
	wait $pid
	st "$_run-lockdepd" $?
	echo "drivers: run $_run: attach $t0..$t1 s, workload $t1..$t2 s, stopped at $(uptime_s) s"
}

load_then_work() {
	load_modules drivers
	st "$1-load-modules" $?
	ls /dev/dri >/out/dri.txt
	workload "$1"
}

run a load_then_work
run b workload
