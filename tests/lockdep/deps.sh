#!/bin/sh
# The Debian packages a kernel build from linux-source-6.1 needs, on top of
# tests/deps.sh's, installed when missing. Idempotent and quiet.
set -eu

packages="linux-source-6.1 bc flex bison libelf-dev libssl-dev dwarves cpio kmod xz-utils"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "lockdep deps: installing$missing" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
