#!/usr/bin/env bash
# Per-packet cost of the tcpulse datapath, measured with the kernel's bpf_stats (run_time_ns /
# run_cnt) on a local node of two pods, under bulk and request/response TCP traffic.
#
# bpf_stats charges every program run a fixed overhead of its own, so an empty TC program is
# attached to the same host veths the same way as tcpulse (a tcx link; clsact where the kernel has
# no tcx) and sees the same packets in the same run; tcpulse's cost is reported above that floor.
# Rounds are interleaved (bulk, rr, bulk, rr, ...) and medians quoted:
#   bulk  iperf3 client -> server (128 KiB writes, GSO)
#   rr    request/response, one connection, 64-byte request and response (build/bin/tcp-rr)
# Also prints the datapath maps' memory.
#
#   sudo ./hack/bench-datapath.sh [ROUNDS (default 5)] [SECONDS per round (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-datapath.sh: run as root" >&2; exit 1; }
rounds=${1:-5} seconds=${2:-5}

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh

stats_before=$(sysctl -n kernel.bpf_stats_enabled)
# tc's object loader creates these bpffs dirs; remove them afterwards only if we caused them.
iproute_dirs=()
for d in tc ip xdp; do [[ -e /sys/fs/bpf/$d ]] || iproute_dirs+=("/sys/fs/bpf/$d"); done
iperf_pid=""
floor_pins=/sys/fs/bpf/tcpulse-bench-floor-$$
cleanup() {
	rm -rf "$floor_pins" # unpinning the floor's tcx links detaches them
	[[ -n "$iperf_pid" ]] && kill "$iperf_pid" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	node_cleanup
	# ip and xdp are symlinks to tc; tc holds an empty globals dir.
	for d in "${iproute_dirs[@]}"; do
		if [[ -L "$d" ]]; then rm -f "$d"; else rmdir "$d/globals" "$d" 2>/dev/null || true; fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node_init bench
node_start_agent 0
node_add_pod client
node_add_pod server

# The floor: the empty program on both hooks of both host veths, beside tcpulse.
veths=("$(node_host_veth client)" "$(node_host_veth server)")
if build/bin/attach-floor build/bench/empty.bpf.o "$floor_pins" "${veths[@]}"; then
	echo "== floor attached by tcx, as tcpulse"
else
	echo "== no tcx here: floor attached as a cls_bpf filter"
	for veth in "${veths[@]}"; do
		tc qdisc add dev "$veth" clsact 2>/dev/null || true
		tc filter add dev "$veth" ingress bpf da obj build/bench/empty.bpf.o sec tc
		tc filter add dev "$veth" egress bpf da obj build/bench/empty.bpf.o sec tc
	done
fi
sysctl -qw kernel.bpf_stats_enabled=1

ids() { # program ids by name: tcpulse_ingress | tcpulse_egress | bench_empty
	bpftool prog show -j | jq -r --arg n "$1" '.[] | select(.name == $n) | .id'
}
totals() { # "run_time_ns run_cnt" summed over the ids given
	local t=0 c=0 id line
	for id in "$@"; do
		line=$(bpftool prog show id "$id" -j | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
		t=$((t + ${line% *})) c=$((c + ${line#* }))
	done
	echo "$t $c"
}
ingress_ids=$(ids tcpulse_ingress) egress_ids=$(ids tcpulse_egress) empty_ids=$(ids bench_empty)

ip netns exec "$NODE_NAME-server" iperf3 -s -p 5301 >/dev/null 2>&1 &
iperf_pid=$!
sleep 0.5

declare -A results
run_round() { # run_round bulk|rr
	local name=$1 b_in b_eg b_em a_in a_eg a_em
	read -r -a b_in <<<"$(totals $ingress_ids)"
	read -r -a b_eg <<<"$(totals $egress_ids)"
	read -r -a b_em <<<"$(totals $empty_ids)"
	if [[ $name == bulk ]]; then
		ip netns exec "$NODE_NAME-client" iperf3 -c "${NODE_IP[server]}" -p 5301 -t "$seconds" >/dev/null
	else
		build/bin/tcp-rr "/run/netns/$NODE_NAME-server" "${NODE_IP[server]}" 5302 \
			"/run/netns/$NODE_NAME-client" "$seconds" >/dev/null
	fi
	read -r -a a_in <<<"$(totals $ingress_ids)"
	read -r -a a_eg <<<"$(totals $egress_ids)"
	read -r -a a_em <<<"$(totals $empty_ids)"
	local pkts=$((a_in[1] - b_in[1]))
	local ns_in ns_eg ns_em
	ns_in=$(awk -v t=$((a_in[0] - b_in[0])) -v c=$((a_in[1] - b_in[1])) 'BEGIN { printf "%.1f", t / c }')
	ns_eg=$(awk -v t=$((a_eg[0] - b_eg[0])) -v c=$((a_eg[1] - b_eg[1])) 'BEGIN { printf "%.1f", t / c }')
	ns_em=$(awk -v t=$((a_em[0] - b_em[0])) -v c=$((a_em[1] - b_em[1])) 'BEGIN { printf "%.1f", t / c }')
	results[$name]+="$ns_in $ns_eg $ns_em $pkts"$'\n'
	printf "   %-6s ingress %7s ns  egress %7s ns  empty %7s ns  (%d runs of tcpulse_ingress)\n" \
		"$name" "$ns_in" "$ns_eg" "$ns_em" "$pkts"
}

echo "== $rounds interleaved rounds of ${seconds}s: bulk (iperf3, 128 KiB writes) and rr (tcp-rr, 64 B each way)"
for ((r = 1; r <= rounds; r++)); do
	run_round bulk
	run_round rr
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "== medians (ns per program run; 'above floor' = tcpulse minus the empty program, same packets)"
printf "   %-6s %10s %10s %10s %16s %16s\n" LOAD INGRESS EGRESS EMPTY "INGRESS-FLOOR" "EGRESS-FLOOR"
for w in bulk rr; do
	m_in=$(awk '{print $1}' <<<"${results[$w]}" | grep . | median)
	m_eg=$(awk '{print $2}' <<<"${results[$w]}" | grep . | median)
	m_em=$(awk '{print $3}' <<<"${results[$w]}" | grep . | median)
	printf "   %-6s %10.1f %10.1f %10.1f %16.1f %16.1f\n" "$w" "$m_in" "$m_eg" "$m_em" \
		"$(awk -v a="$m_in" -v b="$m_em" 'BEGIN { print a - b }')" \
		"$(awk -v a="$m_eg" -v b="$m_em" 'BEGIN { print a - b }')"
done

echo
echo "== datapath map memory (bpftool bytes_memlock)"
for m in tcpulse_flowtab tcpulse_flows4 tcpulse_flows6 tcpulse_pods tcpulse_podstat tcpulse_podslot tcpulse_errors; do
	bpftool map show pinned "$(echo "$NODE_PIN_DIR"/v*/maps/"$m")" -j |
		jq -r '"   \(.name)  \(.type)  max_entries \(.max_entries)  \(.bytes_memlock) bytes"'
done
