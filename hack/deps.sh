#!/usr/bin/env bash
# Installs what tcpulse needs to build, test and run the demo on a fresh Debian bookworm machine,
# and mounts bpffs. Idempotent: does nothing that is already done. Needs root.
set -euo pipefail

packages=(
	# build
	cmake make g++ clang llvm libclang-rt-14-dev pkg-config bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	nlohmann-json3-dev libboost-dev libboost-system-dev prometheus-cpp-dev libgtest-dev
	libnetfilter-queue-dev libncurses-dev
	# run and test
	iproute2 iptables containernetworking-plugins jq curl iperf3 util-linux procps
	# the benchmark's comparison: a libpcap capture
	tcpdump
	# tcpulsectl top in a real terminal, in tests
	tmux
	# the agent scraped by a real Prometheus server (and promtool), in tests
	prometheus
	# accuracy tests: an independent packet analyser
	tshark
	# another XDP program on the uplink (xdp-filter), loaded through libxdp, in tests
	xdp-tools
	# end to end: a real libcni runtime and an image made from busybox-static; the tcpulse image
	podman runc conmon golang-github-containers-common busybox-static binutils
	# the chart rendered by Helm's engine (Go text/template + sprig), built offline
	golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev golang-github-xeipuuv-gojsonschema-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${#missing[@]} packages and what they need: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	echo "deps: apt-get update" >&2
	apt-get update -qq
	# One line per package set up (a fresh machine takes minutes: it should not look hung), and
	# apt's and dpkg's errors as they come; the pipeline fails if apt-get does.
	apt-get install -y --no-install-recommends "${missing[@]}" 2>&1 |
		awk '/^Setting up / { n++; sub(/ \.\.\.$/, ""); print "deps: (" n ") " $0; fflush() }
		     /^E: |^dpkg: error/ { print; fflush() }' >&2
fi

# The programs and maps are pinned here; the agent and the CNI plugin need it mounted.
if ! mountpoint -q /sys/fs/bpf; then
	mkdir -p /sys/fs/bpf
	mount -t bpf bpf /sys/fs/bpf
fi
