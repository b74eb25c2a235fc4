#!/usr/bin/env bash
# tcpulse on a local "node": three pods (network namespaces) wired by the real bridge + host-local
# CNI plugins with tcpulse chained after them, invoked exactly as a container runtime does; the
# agent running; real TCP traffic between the pods; and what the agent exports, per pod.
# Everything it creates is removed on exit and on Ctrl-C.
#
#   sudo ./hack/demo.sh           # run, print, and (on a terminal) wait for Enter before cleaning up
#   sudo ./hack/demo.sh --keep    # then keep the pods and their traffic running until Ctrl-C,
#                                 # to watch them with tcpulsectl top
#   TCPULSE_DEMO_PORT=9970 ...    # the agent's port on 127.0.0.1 (default 9965)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "demo.sh: run as root (sudo ./hack/demo.sh)" >&2; exit 1; }
keep=0
for arg in "$@"; do
	case "$arg" in
	--keep) keep=1 ;;
	*) echo "demo.sh: unknown argument '$arg' (--keep is the only one)" >&2; exit 2 ;;
	esac
done

echo "== installing what is missing (hack/deps.sh)"
./hack/deps.sh
# Only what the demo runs, not the test suite: on a 2-core machine that is minutes, not a quarter
# of an hour. Each step says what it builds, and shows the compiler's words if it fails.
targets=(tcpulse tcpulse-agent tcpulsectl tcp-transfer)
if [[ ! -f build/CMakeCache.txt ]]; then
	echo "== configuring the build (cmake)"
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
for i in "${!targets[@]}"; do
	echo "== building ($((i + 1))/${#targets[@]}) ${targets[$i]}"
	if ! log=$(cmake --build build -j "$(nproc)" --target "${targets[$i]}" 2>&1); then
		tail -n 40 <<<"$log" >&2
		echo "demo.sh: building ${targets[$i]} failed (the last lines of the build above)" >&2
		exit 1
	fi
done
source hack/lib/local-node.sh

pods=(frontend backend db)
traffic_pids=()
stop_traffic() {
	local pid
	for pid in "${traffic_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${traffic_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'echo; echo "== cleaning up"; stop_traffic; node_cleanup; echo "   removed pods, bridge, agent and pins"' EXIT
trap 'exit 130' INT TERM

node_init demo
echo "== starting tcpulse-agent on 127.0.0.1:${TCPULSE_DEMO_PORT:-9965}"
node_start_agent "${TCPULSE_DEMO_PORT:-9965}"
url=$NODE_URL

echo "== creating pods: bridge + host-local, tcpulse chained (CNI ADD as a runtime sends it)"
for p in "${pods[@]}"; do
	node_add_pod "$p" demo
	printf "   %-9s %s\n" "$p" "${NODE_IP[$p]}"
done

# transfer FROM TO BYTES PORT: exactly BYTES of payload from pod FROM to pod TO, read to the end
# by the receiver (tcp-transfer reports what arrived; that is the ground truth below). Not iperf3
# -n: its server may close the data connection before reading all the client wrote.
declare -A sent_port sent_bytes
transfer() {
	local out
	out=$(./build/bin/tcp-transfer "/run/netns/$NODE_NAME-$2" "${NODE_IP[$2]}" "$4" \
		"/run/netns/$NODE_NAME-$1" "$3")
	sent_port[$1-$2]=$(jq -r .client_port <<<"$out")
	sent_bytes[$1-$2]=$(jq -r .received <<<"$out")
	printf "   %-9s -> %-9s %'12d bytes delivered\n" "$1" "$2" "${sent_bytes[$1-$2]}"
}
echo "== driving TCP traffic"
# A lossy pair: inside db, every 50th packet to port 5202 is dropped (after the veths saw it).
ip netns exec "$NODE_NAME-db" iptables -A INPUT -p tcp --dport 5202 -m statistic --mode nth \
	--every 50 --packet 49 -j DROP
transfer frontend backend 20000000 5201
transfer backend db 5000000 5202
transfer frontend db 1000000 5203
# A reset pair: db refuses port 5300 with a TCP reset; frontend tries 5 times.
ip netns exec "$NODE_NAME-db" iptables -A INPUT -p tcp --dport 5300 -j REJECT --reject-with tcp-reset
for _ in 1 2 3 4 5; do
	ip netns exec "$NODE_NAME-frontend" bash -c "echo > /dev/tcp/${NODE_IP[db]}/5300" 2>/dev/null || true
done
printf "   %-9s -> %-9s %12s\n" frontend db "5 refused"

# metric NAME POD DIRECTION: one value from the agent's /metrics, once its next collection (every
# 5 s) has read the traffic above.
node_wait_collection
metrics=$(curl -sf "$url/metrics")
metric() {
	awk -v name="$1" -v pod="$2" -v dir="$3" '
		index($0, name "{") == 1 && index($0, "pod=\"" pod "\"") && index($0, "direction=\"" dir "\"") { print $NF }
	' <<<"$metrics"
}
echo
echo "== per pod, as exported on $url/metrics (direction from the pod's view)"
printf "   %-10s %14s %16s %14s %16s\n" POD "EGRESS PKTS" "EGRESS BYTES" "INGRESS PKTS" "INGRESS BYTES"
for p in "${pods[@]}"; do
	printf "   %-10s %'14.0f %'16.0f %'14.0f %'16.0f\n" "$p" \
		"$(metric tcpulse_packets_total "$p" egress)" "$(metric tcpulse_bytes_total "$p" egress)" \
		"$(metric tcpulse_packets_total "$p" ingress)" "$(metric tcpulse_bytes_total "$p" ingress)"
done
echo
echo "== TCP health per pod, from $url/metrics"
# hist_mean NAME POD: sum / count of a histogram, in ms.
hist_mean() {
	awk -v name="$1" -v pod="$2" '
		index($0, name "_sum{") == 1 && index($0, "pod=\"" pod "\"") { s += $NF }
		index($0, name "_count{") == 1 && index($0, "pod=\"" pod "\"") { c += $NF }
		END { if (c) printf "%.3f", s / c * 1000; else printf "-" }' <<<"$metrics"
}
# sum NAME POD [LABEL=VALUE]: a counter summed over the series that match.
sum() {
	awk -v name="$1" -v pod="$2" -v extra="${3:-}" '
		index($0, name "{") == 1 && index($0, "pod=\"" pod "\"") && (extra == "" || index($0, extra)) { s += $NF }
		END { printf "%d", s }' <<<"$metrics"
}
printf "   %-10s %7s %7s %9s %9s %8s %8s %12s %12s\n" POD OPENED CLOSED "RETX OUT" "RETX IN" "RST OUT" \
	"RST IN" "RTT MEAN ms" "HS RTT ms"
for p in "${pods[@]}"; do
	printf "   %-10s %7s %7s %9s %9s %8s %8s %12s %12s\n" "$p" \
		"$(sum tcpulse_tcp_connections_opened_total "$p")" "$(sum tcpulse_tcp_connections_closed_total "$p")" \
		"$(sum tcpulse_tcp_retransmitted_segments_total "$p" 'direction="egress"')" \
		"$(sum tcpulse_tcp_retransmitted_segments_total "$p" 'direction="ingress"')" \
		"$(sum tcpulse_tcp_resets_total "$p" 'direction="egress"')" \
		"$(sum tcpulse_tcp_resets_total "$p" 'direction="ingress"')" \
		"$(hist_mean tcpulse_tcp_rtt_seconds "$p")" "$(hist_mean tcpulse_tcp_handshake_rtt_seconds "$p")"
done
echo
echo "== each transfer's connection, from $url/flows (TCP payload bytes, both ends)"
flows=$(curl -sf "$url/flows")
printf "   %-20s %12s %16s %18s %16s\n" TRANSFER DELIVERED "SENDER SAW" "RECEIVER SAW" \
	"RETRANSMITTED"
for t in frontend-backend backend-db frontend-db; do
	from=${t%-*} to=${t#*-} cport=${sent_port[$t]}
	sender=$(jq -c --arg p "$from" --argjson c "$cport" '[.flows[] | select(.pod == $p and .local_port == $c)][0].egress' <<<"$flows")
	in=$(jq --arg p "$to" --argjson c "$cport" '[.flows[] | select(.pod == $p and .remote_port == $c) | .ingress.payload_bytes] | add' <<<"$flows")
	out=$(jq .payload_bytes <<<"$sender") retx=$(jq .retransmitted_bytes <<<"$sender")
	printf "   %-20s %'12d %'16d %'18d %'16d\n" "$from -> $to" "${sent_bytes[$t]}" "$out" "$in" "$retx"
done
echo "   (TCP payload as the pods' veths saw it. Resent segments pass the veth again, so what was seen"
echo "    can exceed what was delivered. Retransmitted counts TCP's resends, whether the packet was"
echo "    lost after the veth (backend -> db: dropped inside db) or before it (a full backlog under"
echo "    bulk load), where the resend fills a gap the veth saw.)"
echo
echo "Scrape it:  curl $url/metrics    (also $url/pods, $url/flows, $url/status, $url/healthz)"
echo "Watch it:   sudo build/bin/tcpulsectl --agent $url top    (in another terminal; q quits)"
if ((keep)); then
	# Traffic until Ctrl-C, so that top has something to show: transfers frontend -> backend,
	# and the lossy backend -> db, a new connection each time. A loop stops its transfer with it.
	traffic_loop() { # FROM TO PORT BYTES
		local child=""
		trap '[[ -n "$child" ]] && kill "$child" 2>/dev/null; exit 0' TERM
		while :; do
			./build/bin/tcp-transfer "/run/netns/$NODE_NAME-$2" "${NODE_IP[$2]}" "$3" \
				"/run/netns/$NODE_NAME-$1" "$4" >/dev/null 2>&1 &
			child=$!
			wait "$child" || sleep 1
			sleep 0.5
		done
	}
	traffic_loop frontend backend 5211 20000000 &
	traffic_pids+=($!)
	traffic_loop backend db 5202 5000000 &
	traffic_pids+=($!)
	echo "The pods and their traffic keep running until Ctrl-C."
	wait "${traffic_pids[@]}" || true
elif [[ -t 0 ]]; then
	echo "(The pods are removed when this ends: run with --keep to leave them and their traffic running.)"
	read -r -p "Press Enter (or Ctrl-C) to clean up... " _ || true
fi
