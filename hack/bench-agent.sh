#!/usr/bin/env bash
# tcpulse-agent at the size of a busy node: PODS pods and FLOWS established connections staged
# in its datapath through the ABI (build/bin/flow-filler), then measured as an operator would:
# the CPU of one collection (the scan every --interval), how long a /metrics scrape and a /flows
# answer take, the agent's memory (RSS, of which anonymous), and its CPU when nobody scrapes.
# Medians of repeated measurements; figures in docs/performance.md.
#
#   sudo ./hack/bench-agent.sh [PODS (default 250)] [FLOWS (default 100000)] [IDLE_SECONDS (default 60)]
#                              [AGENT_FLAGS... (e.g. --peer-metrics)]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-agent.sh: run as root" >&2; exit 1; }
pods=${1:-250} flows=${2:-100000} idle=${3:-60}
shift $(($# < 3 ? $# : 3))
extra_flags=("$@")

./hack/deps.sh
./hack/build.sh >/dev/null
source hack/lib/local-node.sh
source hack/lib/bpf-stats.sh
trap node_cleanup EXIT
trap 'exit 130' INT TERM
node_init benchagent

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$NODE_AGENT_PID/stat"; }
metric() { curl -s "http://$addr/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

ready="$NODE_WORK/ready"
# Reconciliation would collect the staged pods (their veths do not exist): once, at start only.
./build/bin/tcpulse-agent --listen 127.0.0.1:0 --pin-dir "$NODE_PIN_DIR" --state-dir "$NODE_WORK/state" \
	--cni-cache-dir "" --cleanup-on-exit --ready-file "$ready" --flows-max 131072 \
	--reconcile-interval 3600 --interval 5 "${extra_flags[@]}" 2>"$NODE_WORK/agent.log" &
NODE_AGENT_PID=$!
for _ in $(seq 100); do [[ -s "$ready" ]] && break; sleep 0.1; done
[[ -s "$ready" ]] || { cat "$NODE_WORK/agent.log" >&2; exit 1; }
addr=$(cat "$ready")
echo "staged: $(./build/bin/flow-filler "$NODE_PIN_DIR" "$pods" "$flows")"

# Collections: the agent's own histogram, over the idle window below (nobody scrapes meanwhile
# but this script, once at each end).
sleep 6
c0=$(metric tcpulse_agent_collection_duration_seconds_count)
s0=$(metric tcpulse_agent_collection_duration_seconds_sum)
t0=$(cpu_ticks)
sleep "$idle"
t1=$(cpu_ticks)
c1=$(metric tcpulse_agent_collection_duration_seconds_count)
s1=$(metric tcpulse_agent_collection_duration_seconds_sum)
collections=$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')
echo "collections: $collections in ${idle} s, wall $(awk -v a="$s0" -v b="$s1" -v n="$collections" 'BEGIN {printf "%.1f", (b - a) / n * 1000}') ms each (mean); agent CPU while idle $(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$idle" -v n="$collections" 'BEGIN {printf "%.2f%% of one core, %.1f ms per collection", t / hz / s * 100, t / hz / n * 1000}')"

rss() { awk '/VmRSS|RssAnon|RssFile/ {printf "%s %.1f MiB  ", $1, $2 / 1024} END {print ""}' "/proc/$NODE_AGENT_PID/status"; }
echo "memory after the collections: $(rss)"

# Scrapes: /metrics 21 times, /flows (default limit) 11 times, the whole table 3 times.
scrape_ms() { for _ in $(seq "$2"); do curl -s -o /dev/null -w '%{time_total}\n' "http://$addr$1"; done | awk '{print $1 * 1000}' | median; }
bytes_of() { curl -s "http://$addr$1" | wc -c; }
echo "/metrics: median $(scrape_ms /metrics 21) ms, $(bytes_of /metrics) bytes"
echo "/flows (1,000 busiest): median $(scrape_ms /flows 11) ms, $(bytes_of /flows) bytes"
echo "/flows?limit=0 (all): median $(scrape_ms '/flows?limit=0' 3) ms, $(bytes_of '/flows?limit=0') bytes"
echo "peak (VmHWM, the whole-table answers): $(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$NODE_AGENT_PID/status")"
sleep 11  # the collections after give the answers' memory back
echo "memory a collection later: $(rss)"
