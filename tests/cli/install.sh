#!/bin/bash
# make install: the binary, the unit (pointing at the installed binary and
# accepted by systemd-analyze), the rules in /etc/lockdepd, the man page.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

dest=$WORK/root
if make -s install DESTDIR="$dest" PREFIX=/usr/local >"$WORK/out" 2>&1; then
	ok "make install DESTDIR PREFIX"
else
	not_ok "make install DESTDIR PREFIX" "$(tail -n 3 "$WORK/out")"
fi
check "installs the binary" test -x "$dest/usr/local/bin/lockdepd"
check "installs the unit" test -f "$dest/usr/local/lib/systemd/system/lockdepd.service"
check "installs the rules into /etc/lockdepd" cmp -s rules/i915.yaml "$dest/etc/lockdepd/i915.yaml"
check "installs the man page" grep -q 'lockdepd' "$dest/usr/local/share/man/man8/lockdepd.8"
check "the installed rules check" "$dest/usr/local/bin/lockdepd" rules check "$dest/etc/lockdepd/i915.yaml"

# An operator's edited rules survive a reinstall.
echo '# edited' >>"$dest/etc/lockdepd/i915.yaml"
make -s install DESTDIR="$dest" PREFIX=/usr/local >/dev/null 2>&1
check "reinstall keeps edited rules" grep -q '^# edited' "$dest/etc/lockdepd/i915.yaml"

make -s install DESTDIR="$WORK/usr-root" PREFIX=/usr >/dev/null 2>&1
check "the unit runs the binary under PREFIX" \
	grep -q '^ExecStart=/usr/bin/lockdepd run ' "$WORK/usr-root/usr/lib/systemd/system/lockdepd.service"
unit="$dest/usr/local/lib/systemd/system/lockdepd.service"
check "the unit starts before udev and modules-load, which load the drivers" \
	sh -c "grep -q '^Before=.*systemd-udevd.service' '$unit' &&
		grep -q '^Before=.*systemd-udev-trigger.service' '$unit' &&
		grep -q '^Before=.*systemd-modules-load.service' '$unit'"
check "the unit drops the default dependencies, which would order it after them" \
	grep -q '^DefaultDependencies=no' "$unit"
check "the unit is pulled in by sysinit.target" grep -q '^WantedBy=sysinit.target' "$unit"
# systemd-analyze wants the ExecStart binary where the unit says.
sed "s|/usr/local/bin/lockdepd|$dest/usr/local/bin/lockdepd|" \
	"$dest/usr/local/lib/systemd/system/lockdepd.service" >"$WORK/lockdepd.service"
if systemd-analyze verify "$WORK/lockdepd.service" >"$WORK/verify" 2>&1 ||
	! grep -v 'man lockdepd\|Documentation' "$WORK/verify" | grep -q .; then
	ok "systemd-analyze verify of the installed unit"
else
	not_ok "systemd-analyze verify of the installed unit" "$(head -n 2 "$WORK/verify")"
fi
tap_end
