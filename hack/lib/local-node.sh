# shellcheck shell=bash
# A local "node" for the demo and benchmarks (sourced, run from the repo root as root): the agent,
# and pods as network namespaces wired by the real bridge + host-local CNI plugins with tcpulse
# chained after them, created exactly as a runtime would (hack/lib/cni-chain.sh).
#
#   node_init NAME            work dir, pin dir, bridge and conflist, all unique to this process
#   node_start_agent PORT     tcpulse-agent on 127.0.0.1:PORT (0 = any); sets NODE_URL
#   node_wait_collection      until the agent's model holds all that came before the call
#   node_add_pod POD [NS]     a pod in Kubernetes namespace NS (default "default"); sets NODE_IP[POD]
#                             (NODE_CONFLIST: another conflist of the node's to run, e.g. one without tcpulse)
#   node_del_pod POD          CNI DEL, and its namespace removed
#   node_host_veth POD        the pod's host-side veth name
#   node_cleanup              DEL every pod, remove namespaces, bridge, agent (by pid) and pins
#
# Pod network namespaces are /run/netns/$NODE_NAME-<pod>.

declare -A NODE_IP
NODE_PODS=()
NODE_AGENT_PID=""

node_init() {
	NODE_NAME="tcpulse-$1-$$"
	NODE_WORK=$(mktemp -d "/tmp/$NODE_NAME-XXXXXX")
	NODE_PIN_DIR=/sys/fs/bpf/$NODE_NAME
	NODE_BRIDGE=tcpn$(($$ % 100000))
	export CNI_PATH=/usr/lib/cni:$PWD/build/bin CNI_CACHE_DIR=$NODE_WORK/cache
	cat >"$NODE_WORK/net.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$NODE_NAME",
  "plugins": [
    {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.250.$(($$ % 250)).0/24"}]],
              "dataDir": "$NODE_WORK/ipam"}},
    {"type": "tcpulse", "pinDir": "$NODE_PIN_DIR", "stateDir": "$NODE_WORK/state"}
  ]
}
JSON
}

node_wait_collection() {
	local before now
	before=$(curl -s "$NODE_URL/healthz" | awk '$1 == "collections" {print $2}')
	for _ in $(seq 400); do
		now=$(curl -s "$NODE_URL/healthz" | awk '$1 == "collections" {print $2}')
		[[ "${now:-0}" -gt "${before:-0}" ]] && return 0
		sleep 0.05
	done
	echo "the agent made no collection in 20 s" >&2
	return 1
}

node_start_agent() {
	./build/bin/tcpulse-agent --listen "127.0.0.1:$1" --pin-dir "$NODE_PIN_DIR" --state-dir "$NODE_WORK/state" --cleanup-on-exit \
		--ready-file "$NODE_WORK/ready" 2>"$NODE_WORK/agent.log" &
	NODE_AGENT_PID=$!
	for _ in $(seq 100); do [[ -s "$NODE_WORK/ready" ]] && break; sleep 0.1; done
	[[ -s "$NODE_WORK/ready" ]] || { cat "$NODE_WORK/agent.log" >&2; echo "agent did not start" >&2; return 1; }
	NODE_URL="http://$(cat "$NODE_WORK/ready")"
}

node_add_pod() {
	local pod=$1 ns=${2:-default} result
	ip netns add "$NODE_NAME-$pod"
	NODE_PODS+=("$pod")
	result=$(./hack/lib/cni-chain.sh ADD "${NODE_CONFLIST:-$NODE_WORK/net.conflist}" "$NODE_NAME-$pod" "/run/netns/$NODE_NAME-$pod" eth0 \
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=$pod;K8S_POD_UID=$(cat /proc/sys/kernel/random/uuid)" 2>>"$NODE_WORK/cni.log")
	NODE_IP[$pod]=$(jq -r '.ips[0].address' <<<"$result" | cut -d/ -f1)
}

node_del_pod() {
	local pod=$1 p kept=()
	./hack/lib/cni-chain.sh DEL "${NODE_CONFLIST:-$NODE_WORK/net.conflist}" "$NODE_NAME-$pod" "/run/netns/$NODE_NAME-$pod" eth0 \
		"IgnoreUnknown=1" >/dev/null 2>>"$NODE_WORK/cni.log" || true
	ip netns del "$NODE_NAME-$pod" 2>/dev/null || true
	for p in "${NODE_PODS[@]}"; do [[ $p == "$pod" ]] || kept+=("$p"); done
	NODE_PODS=("${kept[@]}")
}

node_host_veth() {
	jq -r --arg br "$NODE_BRIDGE" '.result.interfaces[] | select(.sandbox == null and .name != $br) | .name' \
		"$CNI_CACHE_DIR/results/$NODE_NAME-$NODE_NAME-$1-eth0"
}

node_cleanup() {
	local pod
	for pod in "${NODE_PODS[@]}"; do
		./hack/lib/cni-chain.sh DEL "$NODE_WORK/net.conflist" "$NODE_NAME-$pod" "/run/netns/$NODE_NAME-$pod" eth0 \
			"IgnoreUnknown=1" >/dev/null 2>&1 || true
		ip netns del "$NODE_NAME-$pod" 2>/dev/null || true
	done
	NODE_PODS=()
	ip link del "$NODE_BRIDGE" 2>/dev/null || true
	if [[ -n "$NODE_AGENT_PID" ]]; then
		kill -TERM "$NODE_AGENT_PID" 2>/dev/null || true
		wait "$NODE_AGENT_PID" 2>/dev/null || true
		NODE_AGENT_PID=""
	fi
	rm -rf "$NODE_PIN_DIR" "$NODE_WORK"
}
