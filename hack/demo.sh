#!/usr/bin/env bash
# tcpulse on a local "node": three pods (network namespaces) wired by the real bridge + host-local
# CNI plugins with tcpulse chained after them, invoked exactly as a container runtime does; the
# agent running; real TCP traffic between the pods; and what the agent exports, per pod.
# Everything it creates is removed on exit and on Ctrl-C.
#
#   sudo ./hack/demo.sh           # run, print, and (on a terminal) wait for Enter before cleaning up
#   TCPULSE_DEMO_PORT=9970 ...    # the agent's port on 127.0.0.1 (default 9965)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "demo.sh: run as root (sudo ./hack/demo.sh)" >&2; exit 1; }

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh

pods=(frontend backend db)
trap 'echo; echo "== cleaning up"; node_cleanup; echo "   removed pods, bridge, agent and pins"' EXIT
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
transfer frontend backend 20000000 5201
transfer backend db 5000000 5202
transfer frontend db 1000000 5203

# metric NAME POD DIRECTION: one value from the agent's /metrics.
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
echo "== each transfer's connection, from $url/flows (TCP payload bytes, both ends)"
flows=$(curl -sf "$url/flows")
printf "   %-20s %14s %18s %18s\n" TRANSFER DELIVERED "SENDER SAW (EGR)" "RECEIVER SAW (ING)"
for t in frontend-backend backend-db frontend-db; do
	from=${t%-*} to=${t#*-} cport=${sent_port[$t]}
	out=$(jq --arg p "$from" --argjson c "$cport" '[.[] | select(.pod == $p and .local_port == $c) | .egress.payload_bytes] | add' <<<"$flows")
	in=$(jq --arg p "$to" --argjson c "$cport" '[.[] | select(.pod == $p and .remote_port == $c) | .ingress.payload_bytes] | add' <<<"$flows")
	printf "   %-20s %'14d %'18d %'18d\n" "$from -> $to" "${sent_bytes[$t]}" "$out" "$in"
done
echo "   (a veth sees retransmitted segments too: under bulk load the kernel may drop and TCP resend,"
echo "    so what the veths saw can exceed what was delivered, never fall short of it)"
echo
echo "Scrape it:  curl $url/metrics    (also $url/pods, $url/flows, $url/healthz)"
if [[ -t 0 ]]; then
	read -r -p "Press Enter (or Ctrl-C) to clean up... " _ || true
fi
