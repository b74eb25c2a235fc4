#!/usr/bin/env bash
# Wall time of the tcpulse CNI binary's ADD and DEL, per pod, over N sequential pods whose veth
# bridge already created; the Debian `bandwidth` plugin's ADD and DEL (a chained plugin that also
# touches tc: an ingress rate puts a tbf qdisc on the host veth) are timed in the same run, on the
# same pods, interleaved with ours, as the reference. Prints p50 / p90 / p99 / max in ms.
#
#   sudo ./hack/bench-cni.sh [PODS (default 100)] [ATTACH MODE: auto (tcx) | tc (default auto)]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-cni.sh: run as root" >&2; exit 1; }
pods=${1:-100} mode=${2:-auto}

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
trap node_cleanup EXIT
trap 'exit 130' INT TERM
node_init cnibench
node_start_agent 0

version=1.0.0
bridge_conf=$(jq -c '.plugins[0] + {name: .name, cniVersion: .cniVersion}' "$NODE_WORK/net.conflist")
tcpulse_conf=$(jq -c --arg m "$mode" '.plugins[1] + {name: .name, cniVersion: .cniVersion, attachMode: $m}' \
	"$NODE_WORK/net.conflist")
bandwidth_conf=$(jq -nc --arg v $version '{cniVersion: $v, name: "bench", type: "bandwidth",
	ingressRate: 1000000000, ingressBurst: 100000000}')

# timed OUTFILE PLUGIN CONF PREV COMMAND: one plugin call with the pod's CNI_* environment
# exported; appends its wall time (ns: fork + exec + the call) to OUTFILE. $EPOCHREALTIME needs no
# fork of its own, so nothing but the plugin is inside the measurement.
timed() {
	local out=$1 plugin=$2 conf=$3 prev=$4 t0 t1
	[[ -n "$prev" ]] && conf=$(jq -c --argjson p "$prev" '. + {prevResult: $p}' <<<"$conf")
	t0=${EPOCHREALTIME/./}
	CNI_COMMAND=$5 "$plugin" <<<"$conf" >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $(((t1 - t0) * 1000)) >>"$out"
}

for ((i = 0; i < pods; i++)); do
	ns=$NODE_NAME-b$i
	ip netns add "$ns"
	NODE_PODS+=("b$i")
	export CNI_CONTAINERID="$NODE_NAME-b$i" CNI_NETNS="/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=b$i"
	prev=$(CNI_COMMAND=ADD /usr/lib/cni/bridge <<<"$bridge_conf")
	# Alternate which plugin goes first, so neither always meets a cold cache.
	if ((i % 2)); then
		timed "$NODE_WORK/tcpulse-add" build/bin/tcpulse "$tcpulse_conf" "$prev" ADD
		timed "$NODE_WORK/bandwidth-add" /usr/lib/cni/bandwidth "$bandwidth_conf" "$prev" ADD
	else
		timed "$NODE_WORK/bandwidth-add" /usr/lib/cni/bandwidth "$bandwidth_conf" "$prev" ADD
		timed "$NODE_WORK/tcpulse-add" build/bin/tcpulse "$tcpulse_conf" "$prev" ADD
	fi
	timed "$NODE_WORK/tcpulse-del" build/bin/tcpulse "$tcpulse_conf" "$prev" DEL
	timed "$NODE_WORK/bandwidth-del" /usr/lib/cni/bandwidth "$bandwidth_conf" "$prev" DEL
	CNI_COMMAND=DEL /usr/lib/cni/bridge <<<"$bridge_conf" >/dev/null
	ip netns del "$ns"
done
NODE_PODS=()

stats() {
	sort -n "$1" | awk '{ v[NR] = $1 / 1e6 } END {
		n = NR
		printf "%8.2f %8.2f %8.2f %8.2f\n", v[int(n * 0.50 + 0.5)], v[int(n * 0.90 + 0.5)], v[int(n * 0.99 + 0.5)], v[n] }'
}
echo "== $pods sequential pods, attachMode $mode, wall time of one plugin call (ms), veth already created by bridge"
printf "   %-14s %8s %8s %8s %8s\n" CALL p50 p90 p99 max
for f in tcpulse-add bandwidth-add tcpulse-del bandwidth-del; do
	printf "   %-14s %s\n" "$f" "$(stats "$NODE_WORK/$f")"
done
