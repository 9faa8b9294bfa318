#!/bin/sh
# Install what ocifs needs to build, test and benchmark on Debian 12.
# Run as root. Safe to re-run.
set -e
PKGS="build-essential autoconf automake pkg-config gawk
libfuse3-dev fuse3 libarchive-dev zlib1g-dev libzstd-dev libelf-dev
libjson-c-dev libsqlite3-dev sqlite3 libssl-dev liblzma-dev
libcurl4-openssl-dev docker-registry apache2-utils curl openssl ca-certificates
tar gzip pigz zstd jq python3 umoci skopeo libarchive-tools cppcheck util-linux attr
debootstrap squashfs-tools squashfuse golang-go git musl-tools gcc-multilib binutils file strace
clang libclang-rt-14-dev
rpm python3-jsonschema openjdk-17-jdk-headless
groff-base bash-completion zsh systemd
chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	# shellcheck disable=SC2086
	apt-get install -y --no-install-recommends $missing
fi
