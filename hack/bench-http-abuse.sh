#!/usr/bin/env bash
# tcpulse-agent's HTTP server under abusive clients, all on loopback: CLIENTS misbehaving clients
# of eight kinds (silent, slowloris, 1 MB bodies, 100 KB heads, 8 KB URLs, garbage, requests
# never read, connect-and-close) for SECONDS, while a scraper GETs /metrics every 100 ms. Two
# runs: the agent as shipped, then under a 1,024 descriptor limit with 1,019 clients. Prints the
# scraper's latency, the agent's peak RSS and CPU, one line per run (figures in
# docs/reliability.md).
#
#   sudo ./hack/bench-http-abuse.sh [CLIENTS (default 1000)] [SECONDS (default 20)]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-http-abuse.sh: run as root" >&2; exit 1; }
clients=${1:-1000} seconds=${2:-20}

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
trap node_cleanup EXIT
trap 'exit 130' INT TERM
node_init httpabuse

# run LABEL CLIENTS [prlimit args]: one agent, one abuse run against it.
run() {
	local label=$1 n=$2 ticks0 ticks1 hz out port hwm
	shift 2
	local ready="$NODE_WORK/ready"
	rm -f "$ready"
	"$@" ./build/bin/tcpulse-agent --listen 127.0.0.1:0 --pin-dir "$NODE_PIN_DIR" \
		--state-dir "$NODE_WORK/state" --cni-cache-dir "" --cleanup-on-exit \
		--ready-file "$ready" 2>"$NODE_WORK/agent.log" &
	NODE_AGENT_PID=$!
	for _ in $(seq 100); do [[ -s "$ready" ]] && break; sleep 0.1; done
	[[ -s "$ready" ]] || { cat "$NODE_WORK/agent.log" >&2; exit 1; }
	port=$(sed 's/.*://' "$ready")
	hz=$(getconf CLK_TCK)
	ticks0=$(awk '{print $14 + $15}' "/proc/$NODE_AGENT_PID/stat")
	out=$(./build/bin/http-abuse "$port" "$n" "$seconds" "$NODE_AGENT_PID")
	ticks1=$(awk '{print $14 + $15}' "/proc/$NODE_AGENT_PID/stat")
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$NODE_AGENT_PID/status")
	kill -TERM "$NODE_AGENT_PID"
	wait "$NODE_AGENT_PID" || true
	NODE_AGENT_PID=""
	jq -r --arg name "$label" --arg cpu "$(awk -v t=$((ticks1 - ticks0)) -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')" \
		--arg hwm "$hwm" '"\($name): \(.clients) clients, \(.seconds) s: scrapes \(.scrapes) (failed \(.scrapes_failed)), latency p50 \(.scrape_p50_ms * 10 | round / 10) ms, p99 \(.scrape_p99_ms * 10 | round / 10) ms, max \(.scrape_max_ms * 10 | round / 10) ms; agent RSS peak under load \(.server_peak_rss_kib / 1024 | round) MiB (VmHWM incl. datapath load \($hwm | tonumber / 1024 | round) MiB), CPU \($cpu) s; connections made \(.client_connects), closed by the agent \(.closed_by_server)"' <<<"$out"
}

run "default limits" "$clients"
run "1,024 descriptors" 1019 prlimit --nofile=1024:1024
