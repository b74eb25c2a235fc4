#!/usr/bin/env bash
# hack/bench-datapath.sh --xdp: the XDP hooks against tcx, interleaved in one run.
#
#  pod hook    what a pod sends, at its host veth: tcpulse on tcx (the default) against
#              attachMode xdp; beside them a pod with nothing attached (the reference) and one with
#              only an empty XDP program (XDP's own price, and bpf_stats' floor for XDP)
#  uplink      what host-network pods receive on the node's uplink: the agent's receive side on
#              tcx against XDP, with nothing (the reference) and an empty XDP program beside them
#
# Each round runs every configuration once under bulk (iperf3, 5 s) and request/response load
# (tcp-rr, 64 B each way), in turn; medians over the rounds. Per configuration: throughput or
# transactions per second, how often the program watching that direction ran per MB (TSO and GRO
# packets are one run; XDP sees every wire segment), and its ns per run above the empty program
# of its kind (tc: on the same hook, last in line; XDP: measured on the empty-XDP pod).
#
#   sudo ./hack/bench-datapath.sh --xdp [ROUNDS (default 5)] [SECONDS per run (default 5)]
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $EUID -eq 0 ]] || { echo "bench-datapath.sh --xdp: run as root" >&2; exit 1; }
rounds=${1:-5} seconds=${2:-5}

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
source hack/lib/bpf-stats.sh

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
up_ns="tcpulse-bxr-$$" up_dev="tbu$(($$ % 100000))" up_peer="tbq$(($$ % 100000))"
up_host=172.31.$(($$ % 250)).1 up_remote=172.31.$(($$ % 250)).2
cgroup_root=/sys/fs/cgroup/unified/tcpulse-bench-$$
pod_uid=$(cat /proc/sys/kernel/random/uuid)
pod_cgroup=$cgroup_root/kubepods/besteffort/pod$pod_uid/$(printf 'c%.0s' {1..64})
floor_pins=/sys/fs/bpf/tcpulse-bench-xfloor-$$
uplink_agent="" pids=()
# ip's object loader creates these bpffs dirs; removed afterwards only if we caused them.
iproute_dirs=()
for d in tc ip xdp; do [[ -e /sys/fs/bpf/$d ]] || iproute_dirs+=("/sys/fs/bpf/$d"); done
cleanup() {
	[[ -n $uplink_agent ]] && { kill "$uplink_agent" 2>/dev/null; wait "$uplink_agent" 2>/dev/null || true; }
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done  # out of the cgroup before rmdir
	rm -rf "$floor_pins"
	ip link del "$up_dev" 2>/dev/null || true
	ip netns del "$up_ns" 2>/dev/null || true
	for v in "${NODE_XDP_VETHS[@]}"; do ip link set dev "$v" xdp off 2>/dev/null || true; done
	sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	node_cleanup
	[[ -d $cgroup_root ]] && find "$cgroup_root" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	for d in "${iproute_dirs[@]}"; do
		if [[ -L "$d" ]]; then rm -f "$d"; else rm -rf "$d/globals"; rmdir "$d" 2>/dev/null || true; fi
	done
}
NODE_XDP_VETHS=()
trap cleanup EXIT
trap 'exit 130' INT TERM

id_of() { bpftool prog show -j | jq -r --arg n "$1" '[.[] | select(.name == $n) | .id] | last // empty'; }

# --- the pods: a server, and one client per configuration --------------------------------------
node_init benchx
node_start_agent 0
plain=$NODE_WORK/plain.conflist xdpconf=$NODE_WORK/xdp.conflist
jq 'del(.plugins[] | select(.type == "tcpulse"))' "$NODE_WORK/net.conflist" >"$plain"
jq '(.plugins[] | select(.type == "tcpulse")) += {"attachMode": "xdp"}' "$NODE_WORK/net.conflist" >"$xdpconf"
NODE_CONFLIST=$plain node_add_pod server
NODE_CONFLIST=$plain node_add_pod none
NODE_CONFLIST=$plain node_add_pod xfloor
node_add_pod tcx
NODE_CONFLIST=$xdpconf node_add_pod xdp
unset NODE_CONFLIST
ip link set dev "$(node_host_veth xfloor)" xdpdrv obj build/bench/empty_xdp.bpf.o sec xdp
NODE_XDP_VETHS+=("$(node_host_veth xfloor)")
build/bin/attach-floor --last build/bench/empty.bpf.o "$floor_pins" "$(node_host_veth tcx)"
tc_floor=$(bpftool link show pinned "$floor_pins/$(node_host_veth tcx)-ingress" -j | jq -r .prog_id)
pod_prog_tcx=$(id_of tcpulse_ingress) pod_prog_xdp=$(id_of tcpulse_xdp_pod) xdp_floor=$(id_of bench_empty_xdp)

# --- the uplink: a veth to a "remote" namespace, a host-network pod's cgroup -------------------
ip netns add "$up_ns"
ip link add "$up_dev" type veth peer name "$up_peer"
ip link set "$up_peer" netns "$up_ns"
ip addr add "$up_host/30" dev "$up_dev"
ip link set "$up_dev" up
ip -n "$up_ns" addr add "$up_remote/30" dev "$up_peer"
ip -n "$up_ns" link set "$up_peer" up
ip -n "$up_ns" link set lo up
mkdir -p "$pod_cgroup"
# Runs a command in the host-network pod's cgroup, in place of the (sub)shell it is called in: in
# the background (its pid is then $!) or in a command substitution.
in_pod() { echo "$BASHPID" >"$pod_cgroup/cgroup.procs" && exec "$@"; }
in_pod iperf3 -s -p 5311 >/dev/null 2>&1 &
pids+=($!)
uplink_mode=""
uplink_config() { # none | xfloor | tcx | xdp
	if [[ -n $uplink_agent ]]; then kill "$uplink_agent"; wait "$uplink_agent" 2>/dev/null || true; uplink_agent=""; fi
	ip link set dev "$up_dev" xdp off 2>/dev/null || true
	rm -rf "$floor_pins-up"
	case $1 in
	xfloor) ip link set dev "$up_dev" xdpdrv obj build/bench/empty_xdp.bpf.o sec xdp ;;
	tcx | xdp)
		rm -f "$NODE_WORK/up-ready"
		./build/bin/tcpulse-agent --listen 127.0.0.1:0 --pin-dir "$NODE_PIN_DIR-up" --state-dir "$NODE_WORK/up-state" \
			--cleanup-on-exit --uplink "$up_dev" --uplink-ingress "$1" --cgroup-root "$cgroup_root" \
			--ready-file "$NODE_WORK/up-ready" 2>>"$NODE_WORK/up-agent.log" &
		uplink_agent=$!
		for _ in $(seq 100); do [[ -s "$NODE_WORK/up-ready" ]] && break; sleep 0.1; done
		[[ $1 == tcx ]] && build/bin/attach-floor --last build/bench/empty.bpf.o "$floor_pins-up" "$up_dev"
		;;
	esac
	sleep 0.3
}

sysctl -qw kernel.bpf_stats_enabled=1
NODE_CONFLIST=$plain
ip netns exec "$NODE_NAME-server" iperf3 -s -p 5301 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5

declare -A rows
# measure LABEL PROG_ID FLOOR_ID LOAD CMD...: runs CMD, records "rate runs_per_MB ns_per_run floor_ns".
measure() {
	local label=$1 prog=$2 floor=$3 load=$4 out b a fb fa rate mb
	shift 4
	read -r -a b <<<"$( [[ -n $prog ]] && prog_totals "$prog" || echo "0 0")"
	read -r -a fb <<<"$( [[ -n $floor ]] && prog_totals "$floor" || echo "0 0")"
	out=$("$@")
	read -r -a a <<<"$( [[ -n $prog ]] && prog_totals "$prog" || echo "0 0")"
	read -r -a fa <<<"$( [[ -n $floor ]] && prog_totals "$floor" || echo "0 0")"
	if [[ $load == bulk ]]; then
		rate=$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$out")
		mb=$(jq '.end.sum_received.bytes / 1e6' <<<"$out")
	else
		rate=$(jq ".transactions / $seconds" <<<"$out")
		mb=$(jq '.transactions * 128 / 1e6' <<<"$out")
	fi
	local line
	line="$(awk -v r="$rate" -v mb="$mb" -v t=$((a[0] - b[0])) -v c=$((a[1] - b[1])) \
		-v ft=$((fa[0] - fb[0])) -v fc=$((fa[1] - fb[1])) \
		'BEGIN { printf "%.4f %.1f %.1f %.1f", r, mb ? c / mb : 0, c ? t / c : 0, fc ? ft / fc : 0 }')"
	rows["$label"]+="$line"$'\n'
	printf "   %-22s %s\n" "$label" "$line"
}

pod_run() { # pod_run CONFIG bulk|rr
	local prog="" floor="" ip=${NODE_IP[server]}
	case $1 in tcx) prog=$pod_prog_tcx floor=$tc_floor ;; xdp) prog=$pod_prog_xdp ;; xfloor) prog=$xdp_floor ;; esac
	if [[ $2 == bulk ]]; then
		measure "pod $1 $2" "$prog" "$floor" bulk ip netns exec "$NODE_NAME-$1" iperf3 -c "$ip" -p 5301 -t "$seconds" -J
	else
		measure "pod $1 $2" "$prog" "$floor" rr build/bin/tcp-rr "/run/netns/$NODE_NAME-server" "$ip" 5302 \
			"/run/netns/$NODE_NAME-$1" "$seconds"
	fi
}
uplink_run() { # uplink_run CONFIG bulk|rr (the remote side sends; the host-network pod receives)
	local prog="" floor=""
	uplink_config "$1"
	case $1 in
	tcx) prog=$(id_of tcpulse_host_ingress) floor=$(bpftool link show pinned "$floor_pins-up/$up_dev-ingress" -j | jq -r .prog_id) ;;
	xdp) prog=$(id_of tcpulse_host_xdp) ;;
	xfloor) prog=$(id_of bench_empty_xdp) ;;
	esac
	if [[ $2 == bulk ]]; then
		measure "uplink $1 $2" "$prog" "$floor" bulk ip netns exec "$up_ns" iperf3 -c "$up_host" -p 5311 -t "$seconds" -J
	else
		measure "uplink $1 $2" "$prog" "$floor" rr in_pod build/bin/tcp-rr /proc/self/ns/net "$up_host" 5312 \
			"/run/netns/$up_ns" "$seconds"
	fi
}

echo "== $rounds interleaved rounds of ${seconds}s; columns: rate (Gbit/s or transactions/s), program runs per MB,"
echo "   ns per run, floor ns per run (tc: empty program on the same hook; XDP: see the xfloor rows)"
for ((r = 1; r <= rounds; r++)); do
	for load in bulk rr; do
		for c in none xfloor tcx xdp; do pod_run "$c" "$load"; done
		for c in none xfloor tcx xdp; do uplink_run "$c" "$load"; done
	done
done
uplink_config none

col() { awk -v c="$2" 'NF { print $c }' <<<"${rows[$1]}" | median; }
echo
echo "== medians over $rounds rounds"
printf "   %-8s %-5s %-7s %12s %9s %12s %10s %12s\n" HOOK LOAD CONFIG RATE "VS NONE" RUNS/MB NS/RUN "NS ABOVE FLOOR"
for hook in pod uplink; do
	for load in bulk rr; do
		xfloor_ns=$(col "$hook xfloor $load" 3)
		none_rate=$(col "$hook none $load" 1)
		for c in none xfloor tcx xdp; do
			rate=$(col "$hook $c $load" 1) runs=$(col "$hook $c $load" 2) ns=$(col "$hook $c $load" 3)
			case $c in tcx) floor=$(col "$hook $c $load" 4) ;; xdp) floor=$xfloor_ns ;; *) floor="" ;; esac
			printf "   %-8s %-5s %-7s %12.3f %8.0f%% %12.1f %10s %12s\n" "$hook" "$load" "$c" "$rate" \
				"$(awk -v a="$rate" -v b="$none_rate" 'BEGIN { print b ? 100 * a / b : 0 }')" "$runs" \
				"$([[ $c == none ]] && echo - || echo "$ns")" \
				"$([[ -n $floor ]] && awk -v a="$ns" -v b="$floor" 'BEGIN { printf "%.1f", a - b }' || echo -)"
		done
	done
done
echo "   (rate: Gbit/s for bulk, transactions/s for rr)"
