#!/usr/bin/env bash
# Installs every Debian package that sluice's build, tests, demo and
# benchmarks need, and mounts bpffs. Idempotent and quick when nothing is
# missing, so the Makefile runs it before every build.
# Usage: install-deps.sh [all|build]: "build" installs only what building
# needs and mounts nothing (an image build: see Dockerfile).
set -euo pipefail

WANT=${1:-all}
[[ $WANT == all || $WANT == build ]] || { echo "usage: $0 [all|build]" >&2; exit 2; }

# Grouped by what needs them; keep this list the only place packages are named.
BUILD_PKGS=(make gcc libc6-dev linux-libc-dev clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
	pkg-config libnl-3-dev libnl-route-3-dev libcjson-dev libyaml-dev libcurl4-openssl-dev
	libmicrohttpd-dev uthash-dev)
TEST_PKGS=(clang-15 clang-16 libcriterion-dev iproute2 iputils-ping procps util-linux socat jq
	containernetworking-plugins podman runc busybox-static python3 openssl curl)
BENCH_PKGS=(iperf3 sockperf iptables nftables)

PKGS=("${BUILD_PKGS[@]}")
[[ $WANT == build ]] || PKGS+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "install-deps: missing packages: ${missing[*]} (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine may have no package lists yet.
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
		  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
fi

# The agent and the CNI plugin share state only through pins on bpffs.
if [[ $WANT == all && $(id -u) -eq 0 ]] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
