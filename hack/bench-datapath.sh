#!/usr/bin/env bash
# Per-packet cost of the tcpulse datapath, measured with the kernel's bpf_stats (run_time_ns /
# run_cnt) on a local node of two pods, under bulk and request/response TCP traffic.
#
# bpf_stats charges every program run a fixed overhead of its own, so an empty TC program is
# attached to the same host veths the same way as tcpulse (a tcx link; clsact where the kernel has
# no tcx) and sees the same packets in the same run; tcpulse's cost is reported above that floor,
# with the floor before tcpulse and after it in alternate rounds (see attach_floor).
# Rounds are interleaved (bulk, rr, bulk, rr, ...) and medians quoted:
#   bulk  iperf3 client -> server (128 KiB writes, GSO)
#   rr    request/response, one connection, 64-byte request and response (build/bin/tcp-rr)
# Also prints the datapath maps' memory.
#
# Each round also reports the CPU time the hypervisor stole from this VM; the medians are given over
# all rounds and over the quiet ones (steal at most BENCH_QUIET_STEAL %, default 2).
#
#   sudo ./hack/bench-datapath.sh [ROUNDS (default 5)] [SECONDS per round (default 5)]
#   sudo ./hack/bench-datapath.sh --xdp [ROUNDS] [SECONDS]   the XDP pod hook and the uplink's
#                                    receive side against tcx (hack/lib/bench-datapath-xdp.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --xdp ]]; then
	shift
	exec ./hack/lib/bench-datapath-xdp.sh "$@"
fi
[[ $EUID -eq 0 ]] || { echo "bench-datapath.sh: run as root" >&2; exit 1; }
rounds=${1:-5} seconds=${2:-5}
quiet_steal=${BENCH_QUIET_STEAL:-2} # % of CPU time; see medians_row

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
source hack/lib/bpf-stats.sh

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

ids() { # program ids by name: tcpulse_ingress | tcpulse_egress
	bpftool prog show -j | jq -r --arg n "$1" '.[] | select(.name == $n) | .id'
}
ingress_ids=$(ids tcpulse_ingress) egress_ids=$(ids tcpulse_egress)

# The floor: the empty program on both hooks of both host veths, beside tcpulse. Which of two
# programs on a hook runs first matters under rr: the first pays for what is cold at the hook (the
# second finds it warm), ~40 ns of tcpulse's time here. So rounds alternate the floor's place, before tcpulse
# ("floor first": tcpulse's cost apart from the hook's) and after it ("floor last": tcpulse as the
# first program, as the CNI plugin attaches it), and report both.
veths=("$(node_host_veth client)" "$(node_host_veth server)")
positions=(first last)
attach_floor() { # attach_floor first|last|cls; sets empty_ids
	rm -rf "$floor_pins"
	if [[ $1 == cls ]]; then
		for veth in "${veths[@]}"; do
			tc qdisc add dev "$veth" clsact 2>/dev/null || true
			tc filter add dev "$veth" ingress bpf da obj build/bench/empty.bpf.o sec tc
			tc filter add dev "$veth" egress bpf da obj build/bench/empty.bpf.o sec tc
		done
		empty_ids=$(ids bench_empty)
		return
	fi
	build/bin/attach-floor $([[ $1 == last ]] && echo --last) build/bench/empty.bpf.o \
		"$floor_pins" "${veths[@]}" || return 1
	empty_ids=$(for pin in "$floor_pins"/*; do bpftool link show pinned "$pin" -j | jq -r .prog_id; done)
}
if attach_floor first; then
	echo "== floor attached by tcx, as tcpulse: alternately before and after it"
else
	echo "== no tcx here: floor attached as a cls_bpf filter"
	positions=(cls)
	attach_floor cls
fi
sysctl -qw kernel.bpf_stats_enabled=1

ip netns exec "$NODE_NAME-server" iperf3 -s -p 5301 >/dev/null 2>&1 &
iperf_pid=$!
sleep 0.5

# CPU time the hypervisor gave to others while this VM's vCPUs wanted it (/proc/stat's steal),
# against all CPU time: a round with much of it ran on a contended host and compares poorly.
cpu_times() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat; }

declare -A results
run_round() { # run_round bulk|rr FLOOR_POSITION
	local name=$1 pos=$2 b_in b_eg b_em a_in a_eg a_em b_cpu a_cpu steal
	read -r -a b_cpu <<<"$(cpu_times)"
	read -r -a b_in <<<"$(prog_totals $ingress_ids)"
	read -r -a b_eg <<<"$(prog_totals $egress_ids)"
	read -r -a b_em <<<"$(prog_totals $empty_ids)"
	if [[ $name == bulk ]]; then
		ip netns exec "$NODE_NAME-client" iperf3 -c "${NODE_IP[server]}" -p 5301 -t "$seconds" >/dev/null
	else
		build/bin/tcp-rr "/run/netns/$NODE_NAME-server" "${NODE_IP[server]}" 5302 \
			"/run/netns/$NODE_NAME-client" "$seconds" >/dev/null
	fi
	read -r -a a_in <<<"$(prog_totals $ingress_ids)"
	read -r -a a_eg <<<"$(prog_totals $egress_ids)"
	read -r -a a_em <<<"$(prog_totals $empty_ids)"
	read -r -a a_cpu <<<"$(cpu_times)"
	local pkts=$((a_in[1] - b_in[1]))
	local ns_in ns_eg ns_em
	ns_in=$(awk -v t=$((a_in[0] - b_in[0])) -v c=$((a_in[1] - b_in[1])) 'BEGIN { printf "%.1f", t / c }')
	ns_eg=$(awk -v t=$((a_eg[0] - b_eg[0])) -v c=$((a_eg[1] - b_eg[1])) 'BEGIN { printf "%.1f", t / c }')
	ns_em=$(awk -v t=$((a_em[0] - b_em[0])) -v c=$((a_em[1] - b_em[1])) 'BEGIN { printf "%.1f", t / c }')
	steal=$(awk -v s=$((a_cpu[0] - b_cpu[0])) -v t=$((a_cpu[1] - b_cpu[1])) 'BEGIN { printf "%.1f", t ? 100 * s / t : 0 }')
	# Columns: 1-3 ns per run, 4 runs, 5 steal %, 6-7 tcpulse above this round's floor.
	results["$name $pos"]+="$ns_in $ns_eg $ns_em $pkts $steal $(awk -v a="$ns_in" -v b="$ns_eg" -v e="$ns_em" \
		'BEGIN { print a - e, b - e }')"$'\n'
	printf "   %-4s floor %-5s ingress %7s ns  egress %7s ns  empty %7s ns  (%d runs; steal %s%%)\n" \
		"$name" "$pos" "$ns_in" "$ns_eg" "$ns_em" "$pkts" "$steal"
}

echo "== $rounds interleaved rounds of ${seconds}s: bulk (iperf3, 128 KiB writes) and rr (tcp-rr, 64 B each way)"
for ((r = 1; r <= rounds; r++)); do
	for load in bulk rr; do
		for pos in "${positions[@]}"; do
			[[ $pos == cls ]] || attach_floor "$pos"
			run_round "$load" "$pos"
		done
	done
done

# column_median "LOAD POSITION" COLUMN MAX_STEAL: one column's median over the rounds whose steal
# was at most MAX_STEAL %; empty if there is none.
column_median() {
	awk -v c="$2" -v m="$3" 'NF && $5 <= m { print $c }' <<<"${results[$1]}" | median
}
# medians_row "LOAD POSITION" LABEL MAX_STEAL: the medians of every column for those rounds.
medians_row() {
	local n
	n=$(awk -v m="$3" 'NF && $5 <= m' <<<"${results[$1]}" | wc -l)
	if ((n == 0)); then
		printf "   %-11s %-16s %s\n" "$1" "$2" "no such round"
		return
	fi
	printf "   %-11s %-16s %3d %9.1f %9.1f %9.1f %15.1f %15.1f\n" "$1" "$2" "$n" \
		"$(column_median "$1" 1 "$3")" "$(column_median "$1" 2 "$3")" "$(column_median "$1" 3 "$3")" \
		"$(column_median "$1" 6 "$3")" "$(column_median "$1" 7 "$3")"
}
echo
echo "== medians (ns per program run; 'above floor' = tcpulse minus the empty program, same packets)"
echo "   A round on a contended host (steal above ${quiet_steal}% of CPU time) measures the host more"
echo "   than the program; such rounds are left out of the second row of each load."
printf "   %-11s %-16s %3s %9s %9s %9s %15s %15s\n" "LOAD FLOOR" ROUNDS N INGRESS EGRESS EMPTY \
	"INGRESS-FLOOR" "EGRESS-FLOOR"
for w in bulk rr; do
	for pos in "${positions[@]}"; do
		medians_row "$w $pos" all 100
		medians_row "$w $pos" "steal <= ${quiet_steal}%" "$quiet_steal"
	done
done

if [[ ${positions[0]} != cls ]]; then
	echo
	echo "== position-matched (ns): tcpulse in one place on the hook, less the empty program in that"
	echo "   same place in the other rounds (medians over rounds with steal <= ${quiet_steal}%)"
	printf "   %-6s %-42s %15s %15s\n" LOAD TCPULSE INGRESS-FLOOR EGRESS-FLOOR
	for w in bulk rr; do
		for place in first second; do
			# tcpulse runs first when the floor is last, and the empty program runs first when it is.
			if [[ $place == first ]]; then mine="$w last" floor="$w first"; else mine="$w first" floor="$w last"; fi
			em=$(column_median "$floor" 3 "$quiet_steal")
			in=$(column_median "$mine" 1 "$quiet_steal") eg=$(column_median "$mine" 2 "$quiet_steal")
			if [[ -z $em || -z $in ]]; then
				printf "   %-6s %-42s %s\n" "$w" "$place in line" "no quiet rounds"
				continue
			fi
			printf "   %-6s %-42s %15.1f %15.1f\n" "$w" \
				"$place in line$([[ $place == first ]] && echo ' (as the CNI attaches it)')" \
				"$(awk -v a="$in" -v b="$em" 'BEGIN { print a - b }')" \
				"$(awk -v a="$eg" -v b="$em" 'BEGIN { print a - b }')"
		done
	done
fi

echo
echo "== datapath map memory (bpftool bytes_memlock)"
for m in tcpulse_flowtab tcpulse_flows4 tcpulse_flows6 tcpulse_pods tcpulse_podstat tcpulse_podslot tcpulse_errors; do
	bpftool map show pinned "$(echo "$NODE_PIN_DIR"/v*/maps/"$m")" -j |
		jq -r '"   \(.name)  \(.type)  max_entries \(.max_entries)  \(.bytes_memlock) bytes"'
done
