#!/bin/bash
# lockdepd as a service, on the host with no BPF: `run --replay TRACE` feeds
# a trace through the whole daemon (rules, alerts, state, status socket,
# reload, notify). Covers the notify protocol against a listener on
# NOTIFY_SOCKET, reload by SIGHUP, kill -9 and restart with the graph
# intact, corrupt and newer state files, merging state files, alerts (kmsg
# line format, json, journal fields, exec that hangs or fails, exec
# safety), status over the socket, IGT attribution from a followed kernel
# log, and the unit file through systemd-analyze verify.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

LOCKDEPD=$(cd "$(dirname "$LOCKDEPD")" && pwd)/$(basename "$LOCKDEPD")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# start NAME ARGS...: `lockdepd run ARGS` in the background; $pid is its pid.
start() {
	local name=$1
	shift
	"$LOCKDEPD" run "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	pid=$!
	pids+=("$pid")
}

# finish PID: waits for the daemon to end; $status is its exit status.
finish() {
	wait "$1" 2>/dev/null # a kill -9 is the point, not news
	status=$?
}

# stop PID: SIGTERM, then finish.
stop() {
	kill -TERM "$1" 2>/dev/null
	finish "$1"
}

socket_up() { [ -S "$1/status.sock" ]; }
file_has() { grep -q -- "$2" "$1" 2>/dev/null; }
status_json() { "$LOCKDEPD" status --format json --runtime-dir "$1" 2>/dev/null; }
status_has() { status_json "$1" | grep -q -- "$2"; }

# The listener for NOTIFY_SOCKET and journald's socket (no socat or python
# needed): make builds it with the project's warnings; compiled here only
# when the build has not made it.
LISTEN=${OUT:-build}/tests/cli/service/dgram-listen
case $LISTEN in /*) ;; *) LISTEN=$ROOT/$LISTEN ;; esac
if [ ! -x "$LISTEN" ]; then
	echo "# $LISTEN is missing (make unit-bins builds it): compiling it into $WORK"
	LISTEN=$WORK/dgram-listen
	${CC:-cc} -O2 -Wall -Wextra -o "$LISTEN" tests/cli/service/dgram-listen.c || {
		not_ok "build the datagram listener" "cc failed"
		tap_end
	}
fi

cat >"$WORK/rules.yaml" <<'Y'
classes:
  - {name: A, match: ["&a->lock"]}
  - {name: B, match: ["&b->lock"]}
  - {name: C, match: ["&c->lock"]}
Y
# A -> B, taken by a test the trace itself names.
cat >"$WORK/ab.trace" <<'T'
init    lock=0xffff8880aa000010 name="&a->lock" site=a_init
init    lock=0xffff8880aa000020 name="&b->lock" site=b_init
mark    text="[IGT] gem_ab: executing"
mark    text="[IGT] gem_ab: starting subtest first-half"
acquire pid=100 lock=0xffff8880aa000010 ip=ab_path+0x10 stack=ab_path+0x10;ab_ioctl+0x20 comm=gem_ab
acquire pid=100 lock=0xffff8880aa000020 ip=ab_path+0x30 stack=ab_path+0x30;ab_ioctl+0x20 comm=gem_ab
release pid=100 lock=0xffff8880aa000020
release pid=100 lock=0xffff8880aa000010
T
# B -> A: the other half of the inversion, in another test, on other addresses.
cat >"$WORK/ba.trace" <<'T'
init    lock=0xffff8880bb000010 name="&a->lock" site=a_init
init    lock=0xffff8880bb000020 name="&b->lock" site=b_init
mark    text="[IGT] gem_ba: executing"
mark    text="[IGT] gem_ba: starting subtest second-half"
acquire pid=200 lock=0xffff8880bb000020 ip=ba_path+0x10 stack=ba_path+0x10;ba_ioctl+0x20 comm=gem_ba
acquire pid=200 lock=0xffff8880bb000010 ip=ba_path+0x30 stack=ba_path+0x30;ba_ioctl+0x20 comm=gem_ba
release pid=200 lock=0xffff8880bb000010
release pid=200 lock=0xffff8880bb000020
T
# Both halves in one trace, without markers: the kernel log names the test.
grep -hv '^mark' "$WORK/ab.trace" "$WORK/ba.trace" >"$WORK/cycle.trace"

# --- the unit file ------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	# verify needs ExecStart's binary to exist: point a copy at the one under test.
	sed "s|/usr/local/bin/lockdepd|$LOCKDEPD|" lockdepd.service >"$WORK/lockdepd.service"
	systemd-analyze verify --man=no "$WORK/lockdepd.service" >"$WORK/verify.out" 2>&1
	rc=$?
	check "systemd-analyze verify accepts lockdepd.service" test "$rc" -eq 0 -a ! -s "$WORK/verify.out"
	[ -s "$WORK/verify.out" ] && sed 's/^/# /' "$WORK/verify.out"
else
	not_ok "systemd-analyze verify accepts lockdepd.service" "systemd-analyze is missing (package systemd)"
fi
check "unit: Type=notify with a watchdog" grep -q '^Type=notify$' lockdepd.service
check "unit: capabilities limited to what BPF needs" \
	grep -qx 'CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_SYSLOG' lockdepd.service

# --- the man page -----------------------------------------------------------------
if command -v scdoc >/dev/null; then
	check "scdoc builds lockdepd(8)" sh -c "scdoc <docs/lockdepd.8.scd >'$WORK/lockdepd.8'"
	documents_run_options() {
		local o
		for o in rules replay exit-on-eof format json duration state-dir save-interval \
			runtime-dir kmsg alert-kmsg alert-json attach; do
			grep -qF "\\fB--$o\\fR" "$WORK/lockdepd.8" || { echo "# missing --$o"; return 1; }
		done
	}
	check "lockdepd(8) documents every run option" documents_run_options
else
	not_ok "scdoc builds lockdepd(8)" "scdoc is missing (make deps installs it)"
fi

# --- notify protocol -----------------------------------------------------------
"$LISTEN" "$WORK/notify.sock" "$WORK/notify.out" &
listener=$!
pids+=("$listener")
wait_for 5 test -S "$WORK/notify.sock"
NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=200000 \
	start notify --replay "$WORK/ab.trace" --rules "$WORK/rules.yaml" \
	--state-dir "$WORK/notify-state" --runtime-dir "$WORK/notify-run"
check "notify: READY=1 once the sources are attached" wait_for 10 file_has "$WORK/notify.out" '^READY=1$'
check "notify: STATUS= counts classes, dependencies, findings and lost events" \
	wait_for 10 grep -qE '^STATUS=[0-9]+ classes, [0-9]+ dependencies, [0-9]+ findings \([0-9]+ suppressed\), [0-9]+ lost events' "$WORK/notify.out"
check "notify: STATUS= says when the replay finished" wait_for 10 file_has "$WORK/notify.out" 'replay finished'
check "notify: WATCHDOG=1 pings when WATCHDOG_USEC is set" wait_for 5 file_has "$WORK/notify.out" '^WATCHDOG=1$'
kill -HUP "$pid"
check "notify: RELOADING=1 on SIGHUP" wait_for 5 file_has "$WORK/notify.out" '^RELOADING=1$'
check "notify: RELOADING=1 carries MONOTONIC_USEC" grep -q '^MONOTONIC_USEC=[0-9]' "$WORK/notify.out"
check "notify: READY=1 again after the reload" wait_for 5 sh -c \
	"sed -n '/^RELOADING=1/,\$p' '$WORK/notify.out' | grep -q '^READY=1$'"
stop "$pid"
expect_status "notify: SIGTERM ends the daemon cleanly" 0
check "notify: STOPPING=1 on the way out" file_has "$WORK/notify.out" '^STOPPING=1$'
check "notify: READY=1 comes before STOPPING=1" sh -c \
	"grep -n -e '^READY=1' -e '^STOPPING=1' '$WORK/notify.out' | head -n 1 | grep -q READY"
kill "$listener"

# --- status over the socket -------------------------------------------------------
cat >"$WORK/kmsg.log" <<'K'
6,1001,5000000,-;[IGT] gem_cycle: executing
6,1002,5000100,-;[IGT] gem_cycle: starting subtest inversion
4,1003,5000200,-;some unrelated warning
K
cp "$WORK/kmsg.log" "$WORK/igt.log"
start status --replay "$WORK/cycle.trace" --rules "$WORK/rules.yaml" --kmsg "$WORK/kmsg.log" \
	--state-dir "$WORK/status-state" --runtime-dir "$WORK/status-run"
wait_for 10 socket_up "$WORK/status-run"
wait_for 10 status_has "$WORK/status-run" '"source_done":true'
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" >"$WORK/status.txt" 2>"$WORK/status.err"
status=$?
expect_status "status (text) exits 0" 0
check "status (text) summarises the graph" grep -qE '^graph: [0-9]+ classes, 2 dependencies, 1 findings' "$WORK/status.txt"
check "status (text) prints the finding lockdep's way" grep -q 'WARNING: possible circular locking dependency detected' "$WORK/status.txt"
status_json "$WORK/status-run" >"$WORK/status.json"
check "status --format json is one document" test "$(wc -l <"$WORK/status.json")" -eq 1
check "status --format json has the summary" grep -q '"summary":{"findings":1,' "$WORK/status.json"
check "status --format json lists the finding" grep -q '"findings":\[{"kind":"circular"' "$WORK/status.json"
if command -v jq >/dev/null; then
	check "status --format json parses" sh -c "jq -e '.findings | length == 1' '$WORK/status.json' >/dev/null"
fi

# --- status --graph: the running daemon's picture ---------------------------------
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" --graph "$WORK/status.dot" 2>"$WORK/graph.err"
status=$?
expect_status "status --graph FILE exits 0" 0
check "status --graph writes DOT" grep -q '^digraph lockdepd {' "$WORK/status.dot"
check "status --graph: dot -Tsvg reads it" dot -Tsvg -o /dev/null "$WORK/status.dot"
check "status --graph: the cycle's 2 edges, and only those, are red" \
	test "$(grep -c 'color=red' "$WORK/status.dot")" -eq 2
"$LOCKDEPD" graph --rules "$WORK/rules.yaml" -o "$WORK/trace.dot" "$WORK/cycle.trace" 2>/dev/null
check "status --graph draws what lockdepd graph draws of the same trace" \
	cmp -s "$WORK/status.dot" "$WORK/trace.dot"
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" --graph "$WORK/status.svg" 2>"$WORK/graph.err"
status=$?
expect_status "status --graph FILE.svg exits 0" 0
check "status --graph FILE.svg writes SVG that parses" xmllint --noout "$WORK/status.svg"
check "status --graph FILE.svg: red edges in the picture" grep -q 'stroke="red"' "$WORK/status.svg"
check "status --graph leaves no temporary file" \
	sh -c "! ls -A '$WORK' | grep -q 'status\.svg\.'"
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" --graph "$WORK/no/such/dir/g.dot" \
	2>"$WORK/graph.err"
status=$?
expect_status "status --graph into a missing directory: exit 2" 2
check "status --graph into a missing directory: says where" grep -q "$WORK/no/such/dir/g.dot" "$WORK/graph.err"
check "status --graph - writes DOT to stdout" \
	sh -c "'$LOCKDEPD' status --runtime-dir '$WORK/status-run' --graph - | grep -q '^digraph lockdepd {'"
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" --graph "$WORK/x.dot" --format json 2>"$WORK/graph.err"
status=$?
expect_status "status --graph with --format: exit 2" 2
check "status --graph with --format: says why" grep -q -- '--graph takes its format from FILE' "$WORK/graph.err"
check "status --graph with --format: no file" test ! -e "$WORK/x.dot"

# --- IGT attribution from the kernel log ---------------------------------------------
check "kmsg: the finding names the test the kernel log announced" \
	grep -q '"kind":"circular","classes":\[[^]]*\],"count":1,"test":"igt@gem_cycle@inversion"' "$WORK/status.json"
check "kmsg: the current test is known" grep -q '"current_test":"igt@gem_cycle@inversion"' "$WORK/status.json"
echo '6,1004,6000000,-;[IGT] gem_cycle: starting dynamic subtest rcs0' >>"$WORK/kmsg.log"
check "kmsg: lines appended later are followed" \
	wait_for 5 status_has "$WORK/status-run" '"current_test":"igt@gem_cycle@inversion@rcs0"'
stop "$pid"
expect_status "status daemon stops with findings: exit 1" 1
check "kmsg: each dependency keeps the test that first showed it" \
	grep -q '"test":"igt@gem_cycle@inversion"' "$WORK/status-state/state.jsonl"
check "status socket is removed on exit" test ! -e "$WORK/status-run/status.sock"
"$LOCKDEPD" status --runtime-dir "$WORK/status-run" --graph "$WORK/gone.dot" 2>"$WORK/graph.err"
status=$?
expect_status "status --graph with no daemon: exit 2" 2
check "status --graph with no daemon: no file" test ! -e "$WORK/gone.dot"

mkfifo "$WORK/kmsg.fifo"
start fifo --replay "$WORK/ab.trace" --kmsg "$WORK/kmsg.fifo" --state-dir none \
	--runtime-dir "$WORK/fifo-run"
wait_for 10 socket_up "$WORK/fifo-run"
printf '6,7,100,-;[IGT] kms_flip: executing\n6,8,200,-;[IGT] kms_flip: starting subtest flip-vs-dpms\n' >"$WORK/kmsg.fifo"
check "kmsg: a FIFO is followed, its writer may come and go" \
	wait_for 5 status_has "$WORK/fifo-run" '"current_test":"igt@kms_flip@flip-vs-dpms"'
printf '6,9,300,-;[IGT] kms_flip: finished subtest flip-vs-dpms, SUCCESS\n' >"$WORK/kmsg.fifo"
check "kmsg: a second writer on the FIFO is read too" \
	wait_for 5 status_has "$WORK/fifo-run" '"current_test":"igt@kms_flip"'
stop "$pid"

# --- kill -9 and restart: the graph survives ---------------------------------------------
start half1 --replay "$WORK/ab.trace" --rules "$WORK/rules.yaml" --state-dir "$WORK/crash-state" \
	--runtime-dir "$WORK/crash-run" --save-interval 1
check "restart: the state is saved while running" \
	wait_for 10 file_has "$WORK/crash-state/state.jsonl" '"dep":\["A","B"\]'
kill -9 "$pid"
finish "$pid"
check "restart: the first half made no finding" test "$(grep -c WARNING "$WORK/half1.out")" -eq 0
start half2 --replay "$WORK/ba.trace" --rules "$WORK/rules.yaml" --state-dir "$WORK/crash-state" \
	--runtime-dir "$WORK/crash-run" --format json --exit-on-eof
finish "$pid"
expect_status "restart: the reverse edge after a kill -9 closes the cycle (exit 1)" 1
check "restart: a circular finding over A and B" grep -q '"kind":"circular","classes":\["A","B"\]' "$WORK/half2.out"
check "restart: the edge learned before the kill keeps its test" \
	grep -q '"from":"A","to":"B","pid":100,"comm":"gem_ab","time_ns":0,"test":"igt@gem_ab@first-half"' "$WORK/half2.out"
check "restart: the finding names the test of the closing edge" \
	grep -q '"count":1,"test":"igt@gem_ba@second-half"' "$WORK/half2.out"
check "restart: the loaded graph is logged" grep -q 'loaded .*state.jsonl: [0-9]* classes' "$WORK/half2.err"
check "restart: the saved state holds the finding" \
	file_has "$WORK/crash-state/state.jsonl" '^{"finding":"circular","classes":\["A","B"\],"count":1'

# --- corrupt and newer state files ----------------------------------------------------------
mkdir -p "$WORK/bad-state"
printf '{"lockdepd_state":1,"created":"x","host":"h","kernel":null}\n{"class":"A"}\n{"dep":["A",' >"$WORK/bad-state/state.jsonl"
start corrupt --replay "$WORK/ab.trace" --state-dir "$WORK/bad-state" --runtime-dir none --exit-on-eof
finish "$pid"
expect_status "corrupt state: the daemon still runs (exit 0, nothing found)" 0
check "corrupt state: moved aside" sh -c "ls '$WORK/bad-state' | grep -q '^state.jsonl.corrupt-'"
check "corrupt state: one log line says where and why" \
	test "$(grep -c 'state.jsonl:3: .*moved it to .*state.jsonl.corrupt-.* starting with an empty graph' "$WORK/corrupt.err")" -eq 1
check "corrupt state: a fresh state replaces it" file_has "$WORK/bad-state/state.jsonl" '"dep":\["&a->lock","&b->lock"\]'

mkdir -p "$WORK/new-state"
echo '{"lockdepd_state":99,"created":"2099-01-01T00:00:00Z"}' >"$WORK/new-state/state.jsonl"
start newer --replay "$WORK/ab.trace" --state-dir "$WORK/new-state" --runtime-dir none --exit-on-eof
finish "$pid"
check "newer state: moved aside with a line naming the version" \
	grep -q 'state.jsonl:1: state format version 99 is newer than this lockdepd.s (2); moved it to' "$WORK/newer.err"
check "newer state: the file is kept for a newer lockdepd" sh -c \
	"cat '$WORK'/new-state/state.jsonl.corrupt-* | grep -q '\"lockdepd_state\":99'"

# A version 1 file wrote a byte as \u00XX, which reads as another character:
# refused in one line, never loaded as other names.
mkdir -p "$WORK/v1-state"
printf '{"lockdepd_state":1}\n{"class":"A\\u00e9"}\n{"end":{"classes":1,"dependencies":0,"findings":0}}\n' \
	>"$WORK/v1-state/state.jsonl"
start v1 --replay "$WORK/ab.trace" --state-dir "$WORK/v1-state" --runtime-dir none --exit-on-eof
finish "$pid"
expect_status "version 1 state with a byte escape: the daemon still runs" 0
check "version 1 state with a byte escape: one line says why, moved aside" \
	test "$(grep -c 'state.jsonl:2: a character in U+0080-U+00FF, which a version 1 state file also wrote for a byte.*moved it to .*state.jsonl.corrupt-' "$WORK/v1.err")" -eq 1
check "version 1 state with a byte escape: the fresh state is version 2" \
	file_has "$WORK/v1-state/state.jsonl" '^{"lockdepd_state":2,'

# --- merge: an inversion whose halves ran on different machines ---------------------------
for half in ab ba; do
	start "machine-$half" --replay "$WORK/$half.trace" --rules "$WORK/rules.yaml" \
		--state-dir "$WORK/machine-$half" --runtime-dir none --exit-on-eof
	finish "$pid"
	check "merge: machine $half alone finds nothing" test "$status" -eq 0
done
run_lockdepd "$WORK/merge.out" "$WORK/merge.err" merge -o "$WORK/merged.jsonl" \
	"$WORK/machine-ab/state.jsonl" "$WORK/machine-ba/state.jsonl"
expect_status "merge: finds the inversion across two state files (exit 1)" 1
check "merge: prints it lockdep's way" grep -q 'WARNING: possible circular locking dependency detected' "$WORK/merge.out"
check "merge: says it was found only by merging" grep -q 'found only by merging' "$WORK/merge.out"
check "merge: both halves keep their machine's test" sh -c \
	"grep -q 'first while running igt@gem_ba@second-half' '$WORK/merge.out'"
check "merge: summary line" grep -q 'merged 2 state files: .* 1 findings (1 found only by the merge' "$WORK/merge.err"
run_lockdepd "$WORK/remerge.out" "$WORK/remerge.err" merge --format json "$WORK/merged.jsonl"
expect_status "merge: the merged state loads and keeps the finding" 1
check "merge: a finding read back is no longer new" grep -q '0 found only by the merge' "$WORK/remerge.err"
run_lockdepd "$WORK/out" "$WORK/err" merge "$WORK/machine-ab/state.jsonl" "$WORK/bad-state/state.jsonl.corrupt-"*
expect_status "merge: a corrupt input exits 2" 2
check "merge: ... with one line naming it" test "$(wc -l <"$WORK/err")" -eq 1

# --- reload by SIGHUP ---------------------------------------------------------------------
# The graph learns C -> fs_reclaim (an allocation under C). The new rules
# taint C for reclaim: the primed fs_reclaim -> C closes the cycle at once,
# which shows both that the new rules apply and that the graph was kept.
cat >"$WORK/reclaim.trace" <<'T'
init    lock=0xffff8880cc000010 name="&c->lock" site=c_init
acquire pid=300 lock=0xffff8880cc000010 ip=c_path+0x10 comm=gem_c
alloc   pid=300 gfp=GFP_KERNEL site=c_alloc+0x8
release pid=300 lock=0xffff8880cc000010
T
cp "$WORK/rules.yaml" "$WORK/live-rules.yaml"
start reload --replay "$WORK/reclaim.trace" --rules "$WORK/live-rules.yaml" --state-dir none \
	--runtime-dir "$WORK/reload-run"
wait_for 10 socket_up "$WORK/reload-run"
wait_for 10 status_has "$WORK/reload-run" '"source_done":true'
check "reload: no finding before the taint" status_has "$WORK/reload-run" '"summary":{"findings":0,'
{ cat "$WORK/rules.yaml"; echo 'taint_reclaim: [C]'; } >"$WORK/live-rules.yaml"
kill -HUP "$pid"
check "reload: the new taint closes a cycle with the edge learned before" \
	wait_for 5 status_has "$WORK/reload-run" '"summary":{"findings":1,'
check "reload: it is a reclaim finding" status_has "$WORK/reload-run" '"kind":"reclaim","classes":\["C","fs_reclaim"\]'
check "reload: the graph was kept" status_has "$WORK/reload-run" '"dependencies":2,'
{
	cat "$WORK/rules.yaml"
	echo 'taint_reclaim: [C]'
	echo 'suppress:'
	echo '  - {kind: reclaim, classes: [fs_reclaim, C], reason: "known"}'
} >"$WORK/live-rules.yaml"
kill -HUP "$pid"
check "reload: a new suppression applies to a finding already made" \
	wait_for 5 status_has "$WORK/reload-run" '"summary":{"findings":0,"suppressed":1,'
printf 'classes:\n  - {name: A\n' >"$WORK/live-rules.yaml"
kill -HUP "$pid"
check "reload: a broken rules file is logged with its position" \
	wait_for 5 grep -q 'live-rules.yaml:3:1: ' "$WORK/reload.err"
check "reload: ... and the old rules are kept" grep -q 'reload failed: keeping the rules loaded before' "$WORK/reload.err"
check "reload: the failure is counted, the rules still apply" \
	status_has "$WORK/reload-run" '"reloads":2,"reload_failures":1,.*"summary":{"findings":0,"suppressed":1,'
stop "$pid"
expect_status "reload: the daemon ends cleanly" 0

# --- alerts: kmsg, json, journal, rate limit -------------------------------------------------
# A class whose init name holds igt_runner's subtest separator: the kmsg
# line must not carry it into dmesg.
cat >"$WORK/alert-rules.yaml" <<'Y'
classes:
  - {name: A, match: ["&a->lock"]}
  - {name: B, match: ["&b->lock"]}
alerts:
  - {kinds: [circular], classes: [A], actions: [kmsg, json], rate_limit: 1/hour}
  - {kinds: [order], actions: [kmsg]}
Y
cat >"$WORK/two-cycles.trace" <<'T'
init    lock=0x10 name="&a->lock" site=a_init
init    lock=0x20 name="&b->lock" site=b_init
init    lock=0x30 name="evil: starting subtest x" site=evil_init
acquire pid=1 lock=0x10 ip=f+0x1 comm=t1
acquire pid=1 lock=0x20 ip=f+0x2 comm=t1
release pid=1 lock=0x20
release pid=1 lock=0x10
acquire pid=2 lock=0x20 ip=g+0x1 comm=t2
acquire pid=2 lock=0x10 ip=g+0x2 comm=t2
release pid=2 lock=0x10
release pid=2 lock=0x20
acquire pid=3 lock=0x10 ip=h+0x1 comm=t3
acquire pid=3 lock=0x30 ip=h+0x2 comm=t3
release pid=3 lock=0x30
release pid=3 lock=0x10
acquire pid=4 lock=0x30 ip=i+0x1 comm=t4
acquire pid=4 lock=0x10 ip=i+0x2 comm=t4
release pid=4 lock=0x10
release pid=4 lock=0x30
T
start alerts --replay "$WORK/two-cycles.trace" --rules "$WORK/alert-rules.yaml" --state-dir none \
	--runtime-dir "$WORK/alerts-run" --alert-kmsg "$WORK/kmsg.out" --alert-json "$WORK/alerts.jsonl"
wait_for 10 socket_up "$WORK/alerts-run"
wait_for 10 status_has "$WORK/alerts-run" '"source_done":true'
status_json "$WORK/alerts-run" >"$WORK/alerts-status.json"
stop "$pid"
check "alerts: two circular findings were made" grep -q '"summary":{"findings":2,' "$WORK/alerts-status.json"
check "alerts: rate_limit 1/hour lets one through and counts the other" \
	grep -q '"kmsg":1,"json":1,.*"rate_limited":1' "$WORK/alerts-status.json"
check "kmsg: exactly one line written" test "$(wc -l <"$WORK/kmsg.out")" -eq 1
check "kmsg: KERN_WARNING level and the lockdepd prefix" grep -q '^<4>lockdepd: WARNING: possible circular locking dependency: ' "$WORK/kmsg.out"
check "kmsg: names the cycle and who closed it" grep -qE 'A -> B -> A \(circular, by t2/2\)$' "$WORK/kmsg.out"
check "json alert: one finding per line" grep -q '^{"kind":"circular","classes":\["A","B"\]' "$WORK/alerts.jsonl"

cat >"$WORK/evil-rules.yaml" <<'Y'
alerts:
  - {actions: [kmsg]}
Y
start evil --replay "$WORK/two-cycles.trace" --rules "$WORK/evil-rules.yaml" --state-dir none \
	--runtime-dir none --alert-kmsg "$WORK/evil-kmsg.out" --exit-on-eof
finish "$pid"
check "kmsg: one line per finding" test "$(wc -l <"$WORK/evil-kmsg.out")" -eq 2
check "kmsg: a class holding the separator is still named" grep -q 'evil: starting_subtest x' "$WORK/evil-kmsg.out"
check "kmsg: never ': starting subtest ' (igt_runner would split dmesg there)" \
	sh -c "! grep -q ': starting subtest ' '$WORK/evil-kmsg.out'"

# journald's native protocol, caught by the listener on a private /run.
cat >"$WORK/journal-rules.yaml" <<'Y'
classes:
  - {name: A, match: ["&a->lock"]}
  - {name: B, match: ["&b->lock"]}
alerts:
  - {kinds: [circular], actions: [journal]}
Y
unshare -m bash -c '
	mount -t tmpfs tmpfs /run || exit 77
	mkdir -p /run/systemd/journal
	"$1" /run/systemd/journal/socket "$2/journal.out" & l=$!
	for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done
	"$3" run --replay "$2/cycle.trace" --kmsg "$2/igt.log" --rules "$2/journal-rules.yaml" \
		--state-dir none --runtime-dir none --exit-on-eof >"$2/journal-run.out" 2>&1
	rc=$?
	sleep 0.2
	kill $l; wait $l
	exit $rc' _ "$LISTEN" "$WORK" "$LOCKDEPD"
status=$?
if [ "$status" -eq 77 ]; then
	not_ok "journal alert" "cannot mount a private /run (unshare -m as root is needed)"
else
	expect_status "journal: the run exits 1 (a finding)" 1
	check "journal: MESSAGE_ID" grep -qx 'MESSAGE_ID=391aeb8c3a224d59a30c46d42314d67e' "$WORK/journal.out"
	check "journal: PRIORITY=4" grep -qx 'PRIORITY=4' "$WORK/journal.out"
	check "journal: LOCKDEPD_KIND" grep -qx 'LOCKDEPD_KIND=circular' "$WORK/journal.out"
	check "journal: LOCKDEPD_CLASSES" grep -qx 'LOCKDEPD_CLASSES=A,B' "$WORK/journal.out"
	check "journal: LOCKDEPD_TEST" grep -qx 'LOCKDEPD_TEST=igt@gem_cycle@inversion' "$WORK/journal.out"
	check "journal: the lockdep-style report travels in LOCKDEPD_REPORT" sh -c \
		"grep -A2 '^LOCKDEPD_REPORT=\$' '$WORK/journal.out' | grep -q 'WARNING: possible circular locking dependency detected'"
	check "journal: MESSAGE names the cycle" grep -qx 'MESSAGE=lockdepd: circular: A -> B -> A in igt@gem_cycle@inversion' "$WORK/journal.out"
fi

# --- exec alerts ---------------------------------------------------------------------------
cat >"$WORK/exec-rules.yaml" <<Y
classes:
  - {name: A, match: ["&a->lock"]}
  - {name: B, match: ["&b->lock"]}
alerts:
  - {exec: "cat >'$WORK/exec.stdin'; env >'$WORK/exec.env'"}
  - {exec: "exit 3"}
  - {exec: "sleep 30", exec_timeout: 1}
Y
chmod 0644 "$WORK/exec-rules.yaml"
start exec --replay "$WORK/cycle.trace" --kmsg "$WORK/igt.log" --rules "$WORK/exec-rules.yaml" \
	--state-dir none --runtime-dir "$WORK/exec-run"
wait_for 10 socket_up "$WORK/exec-run"
started=$SECONDS
check "exec: a hanging command does not block the loop (status answers)" \
	wait_for 10 status_has "$WORK/exec-run" '"exec_started":3'
check "exec: status answered within the command's time limit" test $((SECONDS - started)) -lt 2
check "exec: the finding's JSON on stdin" wait_for 5 file_has "$WORK/exec.stdin" '^{"kind":"circular","classes":\["A","B"\]'
check "exec: LOCKDEPD_KIND in the environment" wait_for 5 file_has "$WORK/exec.env" '^LOCKDEPD_KIND=circular$'
check "exec: LOCKDEPD_CLASSES in the environment" file_has "$WORK/exec.env" '^LOCKDEPD_CLASSES=A,B$'
check "exec: LOCKDEPD_TEST in the environment" file_has "$WORK/exec.env" '^LOCKDEPD_TEST=igt@gem_cycle@inversion$'
check "exec: a failing command is logged with its status" \
	wait_for 5 file_has "$WORK/exec.err" "alert exec 'exit 3' for circular: A -> B -> A: exited with status 3"
check "exec: a hanging command is killed after its time limit" \
	wait_for 5 file_has "$WORK/exec.err" "alert exec 'sleep 30' for circular: A -> B -> A: killed after its time limit of 1 s"
check "exec: failures are counted" status_has "$WORK/exec-run" '"exec_failed":2,"exec_killed":1'
stop "$pid"
expect_status "exec: the daemon ends with exit 1 (a finding)" 1

mkdir -p "$WORK/unsafe"
cp "$WORK/exec-rules.yaml" "$WORK/unsafe/rules.yaml"
chmod 0777 "$WORK/unsafe"
run_lockdepd "$WORK/out" "$WORK/err" run --replay "$WORK/ab.trace" --rules "$WORK/unsafe/rules.yaml" \
	--state-dir none --runtime-dir none --exit-on-eof
expect_status "exec safety: rules under a world-writable directory are refused (exit 2)" 2
check "exec safety: the line names the unsafe directory" \
	grep -q "unsafe/rules.yaml: refusing exec alerts: $WORK/unsafe (owner uid 0, mode 0777) can be written by someone other than root" "$WORK/err"
chmod 0755 "$WORK/unsafe"
chmod 0664 "$WORK/unsafe/rules.yaml"
run_lockdepd "$WORK/out" "$WORK/err" run --replay "$WORK/ab.trace" --rules "$WORK/unsafe/rules.yaml" \
	--state-dir none --runtime-dir none --exit-on-eof
expect_status "exec safety: a group-writable rules file is refused (exit 2)" 2
check "exec safety: the line names the file" grep -q "$WORK/unsafe/rules.yaml (owner uid 0, mode 0664)" "$WORK/err"
chmod 0644 "$WORK/unsafe/rules.yaml"
chown 65534 "$WORK/unsafe/rules.yaml"
run_lockdepd "$WORK/out" "$WORK/err" run --replay "$WORK/ab.trace" --rules "$WORK/unsafe/rules.yaml" \
	--state-dir none --runtime-dir none --exit-on-eof
expect_status "exec safety: a rules file owned by another user is refused (exit 2)" 2
chown 0 "$WORK/unsafe/rules.yaml"
run_lockdepd "$WORK/out" "$WORK/err" run --replay "$WORK/ab.trace" --rules "$WORK/unsafe/rules.yaml" \
	--state-dir none --runtime-dir none --exit-on-eof
expect_status "exec safety: the same file, root's and 0644, is accepted" 0

# --- odds and ends --------------------------------------------------------------------------
# Bad input in a replayed trace: what came before it is kept, the line is named.
{ cat "$WORK/ab.trace"; echo 'acquire pid=1 lokc=0x10'; } >"$WORK/bad.trace"
start badtrace --replay "$WORK/bad.trace" --rules "$WORK/rules.yaml" --state-dir "$WORK/bad-trace-state" \
	--runtime-dir none --exit-on-eof
finish "$pid"
expect_status "bad trace: exit 2" 2
check "bad trace: the error names file and line" grep -q 'bad.trace:9: ' "$WORK/badtrace.err"
check "bad trace: the graph learned before the bad line is saved" \
	file_has "$WORK/bad-trace-state/state.jsonl" '"dep":\["A","B"\]'
run_lockdepd "$WORK/out" "$WORK/err" merge "$WORK/crash-state/state.jsonl" "$WORK/machine-ab/state.jsonl"
expect_status "merge: findings the inputs hold come back" 1
cat >"$WORK/order-rules.yaml" <<'Y'
classes:
  - {name: A, match: ["&a->lock"]}
  - {name: B, match: ["&b->lock"]}
order: [B, A]
Y
start ordered --replay "$WORK/ab.trace" --rules "$WORK/order-rules.yaml" --state-dir "$WORK/ordered" \
	--runtime-dir none --exit-on-eof
finish "$pid"
run_lockdepd "$WORK/out" "$WORK/err" merge "$WORK/ordered/state.jsonl"
expect_status "merge: an order finding needs the rules it was made with" 0
check "merge: ... and says so" grep -q '1 findings of the inputs were not made again: they need the rules the machines ran with (--rules)' "$WORK/err"
run_lockdepd "$WORK/out" "$WORK/err" merge --rules "$WORK/order-rules.yaml" "$WORK/ordered/state.jsonl"
expect_status "merge: with --rules the order finding is back" 1

start duration --replay "$WORK/ab.trace" --state-dir none --runtime-dir none --duration 0.3
finish "$pid"
expect_status "--duration ends the daemon" 0
run_lockdepd "$WORK/out" "$WORK/err" status --runtime-dir "$WORK/nowhere"
expect_status "status with no daemon exits 2" 2
check "status with no daemon: one line saying so" grep -q "no lockdepd answering on $WORK/nowhere/status.sock" "$WORK/err"

tap_end
