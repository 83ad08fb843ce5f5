#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need, when
# they are missing. Idempotent and quiet when everything is there.
set -eu

packages="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev zstd
libyaml-dev libjson-c-dev libcmocka-dev libsystemd-dev libclang-rt-14-dev systemd scdoc
qemu-system-x86 busybox-static cpio kmod xz-utils time jq python3 graphviz libgraphviz-dev
libxml2-utils libdrm-tests e2fsprogs dwarves"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

# The guest kernel's headers, to build the fixture module: the current
# Debian kernel ABI, looked up, never hard-coded.
abi_of_debian_kernel() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\([0-9].*\)$/\1/p' | head -n 1
}

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	echo "deps: apt-get update" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	updated=1
}

abi=$(abi_of_debian_kernel)
if [ -z "$abi" ]; then
	apt_update
	abi=$(abi_of_debian_kernel)
fi
if [ -n "$abi" ] && ! dpkg-query -W -f='${Status}' "linux-headers-$abi" 2>/dev/null |
	grep -q 'install ok installed'; then
	missing="$missing linux-headers-$abi"
fi

if [ -n "$missing" ]; then
	apt_update
	echo "deps: installing$missing" >&2
	log=$(mktemp)
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
		>"$log" 2>&1; then
		cat "$log" >&2
		echo "deps: apt-get install failed" >&2
		rm -f "$log"
		exit 1
	fi
	rm -f "$log"
fi
