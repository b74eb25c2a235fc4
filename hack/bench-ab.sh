#!/usr/bin/env bash
# An interleaved A/B of the pod programs of two builds of the datapath: BASE (a commit) against the
# working tree. Both are attached side by side by tcx on both hooks of two pods' host veths (the
# pods have no tcpulse of their own), with the empty program last, so that both see the same
# packets in the same run; which of the two runs first alternates from round to round (the first
# pays for what is cold at the hook). Each build gets maps of its own. Loads as in
# hack/bench-datapath.sh: bulk (iperf3) and rr (tcp-rr, 64 B each way).
#
#   sudo ./hack/bench-ab.sh BASE_COMMIT [ROUNDS (default 5)] [SECONDS per round (default 5)]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-ab.sh: run as root" >&2; exit 1; }
[[ $# -ge 1 ]] || { echo "usage: bench-ab.sh BASE_COMMIT [ROUNDS] [SECONDS]" >&2; exit 2; }
base=$1 rounds=${2:-5} seconds=${3:-5}
git rev-parse --verify -q "$base^{commit}" >/dev/null || { echo "bench-ab.sh: no commit $base" >&2; exit 2; }

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
source hack/lib/bpf-stats.sh

work=$(mktemp -d /tmp/tcpulse-ab-XXXXXX)
pins=/sys/fs/bpf/tcpulse-ab-$$
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
iperf_pid=""
cleanup() {
	rm -rf "$pins"
	[[ -n $iperf_pid ]] && kill "$iperf_pid" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$stats_before"
	node_cleanup
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Both builds with the flags the build uses (cmake/BpfSkeleton.cmake).
compile() { # compile SOURCE_DIR OBJECT
	clang -target bpf -g -O2 -Wall -I"$1/include" -I/usr/include/"$(uname -m)"-linux-gnu -c "$1/tcpulse.bpf.c" -o "$2"
}
mkdir -p "$work/base"
git archive "$base" tc-bpf | tar -x -C "$work/base"
compile "$work/base/tc-bpf" "$work/base.o"
compile tc-bpf "$work/new.o"
echo "== A/B: $(git rev-parse --short "$base") (base) against the working tree (new)"

node_init ab
NODE_CONFLIST=$NODE_WORK/plain.conflist
jq 'del(.plugins[] | select(.type == "tcpulse"))' "$NODE_WORK/net.conflist" >"$NODE_CONFLIST"
node_add_pod client
node_add_pod server
veths=("$(node_host_veth client)" "$(node_host_veth server)")

attach() { # attach FIRST SECOND: the two builds in that order, then the floor; sets ids
	rm -rf "$pins"
	mkdir -p "$pins"
	local b
	for b in "$1" "$2"; do
		build/bin/attach-floor --last --programs tcpulse_ingress,tcpulse_egress "$work/$b.o" "$pins/$b" "${veths[@]}"
	done
	build/bin/attach-floor --last build/bench/empty.bpf.o "$pins/floor" "${veths[@]}"
	for b in base new floor; do
		for hook in ingress egress; do
			ids[$b-$hook]=$(for v in "${veths[@]}"; do bpftool link show pinned "$pins/$b/$v-$hook" -j | jq -r .prog_id; done | sort -u)
		done
	done
}
declare -A ids results
sysctl -qw kernel.bpf_stats_enabled=1
ip netns exec "$NODE_NAME-server" iperf3 -s -p 5401 >/dev/null 2>&1 &
iperf_pid=$!
sleep 0.5

run_round() { # run_round bulk|rr ORDER
	local load=$1 order=$2 k before=() after=() line=""
	for k in base-ingress new-ingress floor-ingress base-egress new-egress floor-egress; do
		# shellcheck disable=SC2086
		before+=("$(prog_totals ${ids[$k]})")
	done
	if [[ $load == bulk ]]; then
		ip netns exec "$NODE_NAME-client" iperf3 -c "${NODE_IP[server]}" -p 5401 -t "$seconds" >/dev/null
	else
		build/bin/tcp-rr "/run/netns/$NODE_NAME-server" "${NODE_IP[server]}" 5402 "/run/netns/$NODE_NAME-client" "$seconds" >/dev/null
	fi
	local i=0
	for k in base-ingress new-ingress floor-ingress base-egress new-egress floor-egress; do
		# shellcheck disable=SC2086
		read -r -a a <<<"$(prog_totals ${ids[$k]})"
		read -r -a b <<<"${before[$i]}"
		line+="$(awk -v t=$((a[0] - b[0])) -v c=$((a[1] - b[1])) 'BEGIN { printf "%.1f ", c ? t / c : 0 }')"
		i=$((i + 1))
	done
	results["$load $order"]+="$line"$'\n'
	printf "   %-4s %-9s base %7s new %7s floor %7s (ingress)   base %7s new %7s floor %7s (egress)\n" "$load" "$order" $line
}

echo "== $rounds interleaved rounds of ${seconds}s; ns per program run"
for ((r = 1; r <= rounds; r++)); do
	for order in "base new" "new base"; do
		attach $order
		for load in bulk rr; do run_round "$load" "${order// /-first,}"; done
	done
done

col() { awk -v c="$2" 'NF { print $c }' <<<"$1" | median; }
echo
echo "== medians over $rounds rounds, ns per run above the floor (the empty program, last on the hook)"
printf "   %-5s %-16s %12s %12s %8s %12s %12s %8s\n" LOAD ORDER "BASE ING" "NEW ING" RATIO "BASE EG" "NEW EG" RATIO
for load in bulk rr; do
	all=""
	for order in "base-first,new" "new-first,base"; do
		rows=${results["$load $order"]}
		all+="$rows"
		printf "   %-5s %-16s" "$load" "${order%%,*}"
		for h in 0 3; do
			b=$(col "$rows" $((h + 1))) n=$(col "$rows" $((h + 2))) f=$(col "$rows" $((h + 3)))
			awk -v b="$b" -v n="$n" -v f="$f" 'BEGIN { printf " %12.1f %12.1f %8.3f", b - f, n - f, (b - f) ? (n - f) / (b - f) : 0 }'
		done
		echo
	done
done
