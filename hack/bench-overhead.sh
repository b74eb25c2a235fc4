#!/usr/bin/env bash
# What monitoring costs a pod, side by side with what users would run instead. On a local node of
# two pods wired like a real node (bridge + host-local, tcpulse chained where it monitors), each
# round runs every configuration, in an order that rotates from round to round:
#   none      no monitoring
#   tcpulse   tcx datapath + agent at its default interval, connection log on, /metrics scraped
#             every 5 s (as Prometheus would)
#   tcpdump   a libpcap capture of both pods' host veths, headers only (-s 128), to tmpfs: the
#             least a pcap-based exporter (the seed's tcp-exporter) pays
#   ss        `ss -tin` in every pod namespace every 5 s (the seed study's socket-table polling)
#   datapath  tcpulse's programs attached, agent down
# and under each, four loads: bulk (iperf3, one stream), p8 (iperf3, 8 streams), rr (tcp-rr, 64 B
# each way on one connection) and crr (tcp-rr, a new connection per request). Every figure is
# compared with `none` in the same round, and the medians (and spread) of those ratios reported:
# this VM's speed drifts with its neighbours far more than monitoring changes it.
#
# CPU is the whole machine's busy time (/proc/stat, all CPUs, steal excluded) during the load:
# softirq work on behalf of the pods lands on whichever CPU, and in no cgroup.
#
#   sudo ./hack/bench-overhead.sh            7 rounds of 4 s (about 12 minutes)
#   sudo ./hack/bench-overhead.sh --quick    2 rounds of 2 s (under 3 minutes)
#   sudo ./hack/bench-overhead.sh --smoke    1 round of 1 s, bulk and crr only (the test suite's)
#   --rounds N --seconds S --no-plots --out DIR (default build/bench-overhead)
#
# Writes DIR/results.tsv (every measurement), DIR/summary.txt (the tables below) and, unless
# --no-plots, docs/img/overhead-*.png (gnuplot). Everything it starts is stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $EUID -eq 0 ]] || { echo "bench-overhead.sh: run as root" >&2; exit 1; }

rounds=7 seconds=4 plots=1 out=build/bench-overhead datapath_rounds=2 warmup=1
loads=(bulk p8 rr crr)
configs=(none tcpulse tcpdump ss datapath)
while (($#)); do
	case "$1" in
	--quick) rounds=2 seconds=2 datapath_rounds=1 ;;
	--smoke) rounds=1 seconds=1 datapath_rounds=0 warmup=0 plots=0 loads=(bulk crr) ;;
	--rounds) rounds=${2:?--rounds: missing value}; shift ;;
	--seconds) seconds=${2:?--seconds: missing value}; shift ;;
	--no-plots) plots=0 ;;
	--out) out=${2:?--out: missing value}; shift ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	*) echo "bench-overhead.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ $rounds =~ ^[1-9][0-9]*$ && $seconds =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench-overhead.sh: --rounds and --seconds take whole numbers from 1" >&2; exit 2; }

./hack/deps.sh
for tool in tcpdump gnuplot; do
	((plots)) || [[ $tool != gnuplot ]] || continue
	command -v "$tool" >/dev/null && continue
	pkg=$tool
	[[ $tool == gnuplot ]] && pkg=gnuplot-nox
	echo "== installing $pkg" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
[[ -f build/CMakeCache.txt ]] || cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "== building tcpulse, tcpulse-agent, tcp-rr" >&2
cmake --build build -j "$(nproc)" --target tcpulse tcpulse-agent tcp-rr >/dev/null
source hack/lib/local-node.sh

mkdir -p "$out"
results=$out/results.tsv
: >"$results"
monitor_pids=() iperf_pid="" pcap_files=()
stop_monitors() {
	local pid
	for pid in "${monitor_pids[@]}" $iperf_pid; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${monitor_pids[@]}" $iperf_pid; do wait "$pid" 2>/dev/null || true; done
	monitor_pids=() iperf_pid=""
	rm -f "${pcap_files[@]}"
	pcap_files=()
}
stop_agent() {
	[[ -n $NODE_AGENT_PID ]] || return 0
	kill -TERM "$NODE_AGENT_PID" 2>/dev/null || true
	wait "$NODE_AGENT_PID" 2>/dev/null || true
	NODE_AGENT_PID=""
}
cleanup() {
	stop_monitors
	stop_agent
	node_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node_init overhead
plain=$NODE_WORK/plain.conflist
jq 'del(.plugins[] | select(.type == "tcpulse"))' "$NODE_WORK/net.conflist" >"$plain"

# The agent as a DaemonSet runs it: default interval, here with the connection log on. Stopped
# without --cleanup-on-exit, so that `datapath` finds the programs' pins in place.
start_agent() {
	rm -f "$NODE_WORK/ready"
	./build/bin/tcpulse-agent --listen 127.0.0.1:0 --pin-dir "$NODE_PIN_DIR" --state-dir "$NODE_WORK/state" \
		--cni-cache-dir "" --connection-log "$NODE_WORK/connections.log" --ready-file "$NODE_WORK/ready" \
		2>>"$NODE_WORK/agent.log" &
	NODE_AGENT_PID=$!
	for _ in $(seq 100); do [[ -s "$NODE_WORK/ready" ]] && break; sleep 0.1; done
	[[ -s "$NODE_WORK/ready" ]] || { cat "$NODE_WORK/agent.log" >&2; echo "the agent did not start" >&2; exit 1; }
	NODE_URL="http://$(cat "$NODE_WORK/ready")"
}
start_agent # loads and pins the datapath once
stop_agent

pair=0
# setup CONFIG: a fresh client and server pod for it, and its monitoring started.
setup() {
	pair=$((pair + 1))
	cli=cli$pair srv=srv$pair
	case $1 in none | tcpdump | ss) NODE_CONFLIST=$plain ;; *) NODE_CONFLIST=$NODE_WORK/net.conflist ;; esac
	[[ $1 == tcpulse ]] && start_agent
	node_add_pod "$cli" bench
	node_add_pod "$srv" bench
	ip netns exec "$NODE_NAME-$srv" iperf3 -s -p 5401 >/dev/null 2>&1 &
	iperf_pid=$!
	case $1 in
	tcpulse)
		(while :; do curl -sf -o /dev/null "$NODE_URL/metrics" || true; sleep 5; done) &
		monitor_pids+=($!)
		;;
	tcpdump)
		local pod veth f
		for pod in "$cli" "$srv"; do
			veth=$(node_host_veth "$pod") f=/dev/shm/$NODE_NAME-$pod.pcap
			pcap_files+=("$f")
			tcpdump -i "$veth" -s 128 -B 8192 -w "$f" -q >/dev/null 2>&1 &
			monitor_pids+=($!)
		done
		;;
	ss)
		(while :; do
			for pod in "$cli" "$srv"; do ip netns exec "$NODE_NAME-$pod" ss -tin >/dev/null; done
			sleep 5
		done) &
		monitor_pids+=($!)
		;;
	esac
	sleep 0.5 # iperf3 listening, tcpdump capturing
}
teardown() {
	stop_monitors
	[[ $1 == tcpulse ]] && stop_agent
	node_del_pod "$cli"
	node_del_pod "$srv"
}

# Busy and stolen CPU time (USER_HZ ticks) and all of it, from /proc/stat's cpu line.
cpu_ticks() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8; print b, $9, b + $5 + $6 + $9 }' /proc/stat; }
agent_ticks() { [[ -n $NODE_AGENT_PID ]] && awk '{ print $14 + $15 }' "/proc/$NODE_AGENT_PID/stat" || echo 0; }
agent_rss_kb() { [[ -n $NODE_AGENT_PID ]] && awk '/^VmRSS/ { print $2 }' "/proc/$NODE_AGENT_PID/status" || echo 0; }
hz=$(getconf CLK_TCK)

# run ROUND CONFIG LOAD: one measurement, appended to results.tsv:
# round config load bits_per_s bytes transactions p50_us p99_us busy_cpu_s steal_% agent_cpu_s agent_rss_kb
run() {
	local r=$1 cfg=$2 load=$3 j bps=0 bytes=0 tr=0 p50=0 p99=0 b a ab aa
	read -r -a b <<<"$(cpu_ticks)"
	ab=$(agent_ticks)
	case $load in
	bulk | p8)
		# One stream: client and server on CPUs of their own, as iperf3 -A places them, so that
		# rounds differ by what monitoring does more than by where the scheduler put them.
		j=$(ip netns exec "$NODE_NAME-$cli" iperf3 -c "${NODE_IP[$srv]}" -p 5401 -t "$seconds" \
			$([[ $load == p8 ]] && echo "-P 8") $([[ $load == bulk && $(nproc) -ge 2 ]] && echo "-A 0,1") -J)
		bps=$(jq '.end.sum_received.bits_per_second' <<<"$j")
		bytes=$(jq '.end.sum_received.bytes' <<<"$j")
		;;
	rr | crr)
		j=$(./build/bin/tcp-rr "/run/netns/$NODE_NAME-$srv" "${NODE_IP[$srv]}" 5402 \
			"/run/netns/$NODE_NAME-$cli" "$seconds" 64 "$load")
		tr=$(jq .transactions <<<"$j") p50=$(jq .p50_us <<<"$j") p99=$(jq .p99_us <<<"$j")
		;;
	esac
	read -r -a a <<<"$(cpu_ticks)"
	aa=$(agent_ticks)
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$r" "$cfg" "$load" "$bps" "$bytes" "$tr" "$p50" "$p99" \
		"$(awk -v d=$((a[0] - b[0])) -v hz="$hz" 'BEGIN { printf "%.3f", d / hz }')" \
		"$(awk -v s=$((a[1] - b[1])) -v t=$((a[2] - b[2])) 'BEGIN { printf "%.1f", t ? 100 * s / t : 0 }')" \
		"$(awk -v d=$((aa - ab)) -v hz="$hz" 'BEGIN { printf "%.3f", d / hz }')" "$(agent_rss_kb)" >>"$results"
}

echo "== $rounds rounds of ${#configs[@]} configurations x ${#loads[@]} loads, ${seconds}s each, order rotating per round" >&2
start=$SECONDS
for ((r = 1; r <= rounds; r++)); do
	order=()
	for ((i = 0; i < ${#configs[@]}; i++)); do order+=("${configs[$(((i + r - 1) % ${#configs[@]}))]}"); done
	echo "   round $r/$rounds: ${order[*]}" >&2
	for cfg in "${order[@]}"; do
		setup "$cfg"
		if ((warmup)); then # caches, ARP, the first connection's costs: not measured
			ip netns exec "$NODE_NAME-$cli" iperf3 -c "${NODE_IP[$srv]}" -p 5401 -t 1 >/dev/null
		fi
		for load in "${loads[@]}"; do run "$r" "$cfg" "$load"; done
		teardown "$cfg"
	done
done
echo "   measured in $((SECONDS - start)) s" >&2

# The per-packet cost of the programs themselves, by hack/bench-datapath.sh's floor method
# (bpf_stats on, so not in the rounds above).
datapath_ns=""
if ((datapath_rounds)); then
	echo "== tcpulse's programs, ns per packet above an empty program (hack/bench-datapath.sh $datapath_rounds 3)" >&2
	# All rounds count (a steal filter would leave none on a busy host); the spread is in the doc.
	datapath_ns=$(BENCH_QUIET_STEAL=100 ./hack/bench-datapath.sh "$datapath_rounds" 3 2>/dev/null | grep "first in line" || true)
fi

# ---- the summary -------------------------------------------------------------------------------
# per_round LOAD EXPR MODE: per round and config, an awk expression over a row's fields, compared
# with the same round's `none` (MODE ratio: divided by it; diff: minus it; raw: as it is); then per config the
# median, min and max over rounds: "config median min max".
per_round() {
	awk -F'\t' -v load="$1" -v mode="$3" 'function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
		$3 == load { v[$1, $2] = ('"$2"'); if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } rounds[$1] = 1 }
		END {
			for (i = 1; i <= n; i++) {
				c = order[i]; k = 0
				for (r in rounds) {
					if (mode == "raw") x[++k] = v[r, c]
					else if (mode == "diff") x[++k] = v[r, c] - v[r, "none"]
					else if (v[r, "none"] > 0) x[++k] = v[r, c] / v[r, "none"]
				}
				if (!k) { printf "%s 0 0 0\n", c; continue }
				isort(x, k); med = (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2
				printf "%s %.4f %.4f %.4f\n", c, med, x[1], x[k]; delete x
			}
		}' "$results"
}
ratios() { per_round "$1" "$2" ratio; }
diffs() { per_round "$1" "$2" diff; }
spread() { per_round "$1" "$2" raw; }
# medians LOAD EXPR: per config the median of an awk expression over its rounds.
medians() {
	awk -F'\t' -v load="$1" '$3 == load { print $2 "\t" ('"$2"') }' "$results" |
		awk -F'\t' 'function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
			{ v[$1] = v[$1] " " $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
			END { for (i = 1; i <= n; i++) { k = split(v[order[i]], x, " "); for (j = 1; j <= k; j++) x[j] += 0; isort(x, k);
				printf "%s %.4f\n", order[i], (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2 } }'
}
lookup() { awk -v c="$2" '$1 == c { print $'"$3"' }' <<<"$1"; }

{
	echo "== medians over $rounds rounds of ${seconds}s; ratio = this configuration / no monitoring in the same round [min-max over rounds]"
	echo "   CPU = busy time of the whole machine during the load (steal excluded); steal: median % of CPU time"
	for load in "${loads[@]}"; do
		echo
		case $load in
		bulk | p8)
			echo "-- $load: $([[ $load == bulk ]] && echo "iperf3, one stream" || echo "iperf3, 8 streams")"
			printf "   %-9s %9s %22s %9s %22s %7s\n" CONFIG Gbit/s "THROUGHPUT RATIO" "CPU s/GB" "CPU/GB RATIO" STEAL%
			t=$(medians "$load" '$4 / 1e9') tr=$(ratios "$load" '$4')
			c=$(medians "$load" '$5 ? $9 / ($5 / 1e9) : 0') cr=$(ratios "$load" '$5 ? $9 / ($5 / 1e9) : 0')
			st=$(medians "$load" '$10')
			for cfg in "${configs[@]}"; do
				printf "   %-9s %9.2f %8.3f [%.3f-%.3f] %9.3f %8.3f [%.3f-%.3f] %7.1f\n" "$cfg" \
					"$(lookup "$t" "$cfg" 2)" "$(lookup "$tr" "$cfg" 2)" "$(lookup "$tr" "$cfg" 3)" "$(lookup "$tr" "$cfg" 4)" \
					"$(lookup "$c" "$cfg" 2)" "$(lookup "$cr" "$cfg" 2)" "$(lookup "$cr" "$cfg" 3)" "$(lookup "$cr" "$cfg" 4)" \
					"$(lookup "$st" "$cfg" 2)"
			done
			;;
		rr | crr)
			echo "-- $load: tcp-rr, 64 B each way, $([[ $load == rr ]] && echo "one connection" || echo "a new connection per request")"
			printf "   %-9s %9s %22s %8s %8s %8s %8s %11s %7s\n" CONFIG "req/s" "RATE RATIO" "p50 us" "+p50 us" "p99 us" "+p99 us" "CPU s/Mreq" STEAL%
			t=$(medians "$load" "\$6 / $seconds") tr=$(ratios "$load" '$6')
			p5=$(medians "$load" '$7') p9=$(medians "$load" '$8') d5=$(diffs "$load" '$7') d9=$(diffs "$load" '$8')
			c=$(medians "$load" '$6 ? $9 / ($6 / 1e6) : 0') st=$(medians "$load" '$10')
			for cfg in "${configs[@]}"; do
				printf "   %-9s %9.0f %8.3f [%.3f-%.3f] %8.1f %8.2f %8.1f %8.2f %11.2f %7.1f\n" "$cfg" \
					"$(lookup "$t" "$cfg" 2)" "$(lookup "$tr" "$cfg" 2)" "$(lookup "$tr" "$cfg" 3)" "$(lookup "$tr" "$cfg" 4)" \
					"$(lookup "$p5" "$cfg" 2)" "$(lookup "$d5" "$cfg" 2)" "$(lookup "$p9" "$cfg" 2)" "$(lookup "$d9" "$cfg" 2)" \
					"$(lookup "$c" "$cfg" 2)" "$(lookup "$st" "$cfg" 2)"
			done
			;;
		esac
	done
	echo
	echo "-- steal per round (mean % of CPU time over its measurements): how much the host took"
	awk -F'\t' '{ s[$1] += $10; n[$1]++ } END { for (r = 1; r in n; r++) printf "   round %d: %.1f%%\n", r, s[r] / n[r] }' "$results"
	echo
	echo "-- the tcpulse agent during the loads (medians): CPU % of one core, RSS MiB"
	for load in "${loads[@]}"; do
		printf "   %-5s %6.2f%% %8.1f MiB\n" "$load" \
			"$(lookup "$(medians "$load" "100 * \$11 / $seconds")" tcpulse 2)" "$(lookup "$(medians "$load" '$12 / 1024')" tcpulse 2)"
	done
	if [[ -n $datapath_ns ]]; then
		echo
		echo "-- tcpulse's programs (hack/bench-datapath.sh, first on the hook as the CNI attaches them): ns per packet above an empty program"
		echo "   LOAD   PLACE                                      INGRESS-FLOOR   EGRESS-FLOOR"
		echo "$datapath_ns"
	fi
} | tee "$out/summary.txt"

# ---- plots -------------------------------------------------------------------------------------
if ((plots)); then
	mkdir -p docs/img
	data=$out/plot-rates.dat
	: >"$data"
	for load in "${loads[@]}"; do
		f='$4'
		[[ $load == rr || $load == crr ]] && f='$6'
		ratios "$load" "$f" | awk -v l="$load" '{ print l, $0 }' >>"$data"
	done
	lat=$out/plot-p99.dat
	: >"$lat"
	for load in rr crr; do spread "$load" '$8' | awk -v l="$load" '{ print l, $0 }' >>"$lat"; done
	gnuplot <<GNUPLOT
set terminal pngcairo size 900,480 font "sans,10"
set output "docs/img/overhead-throughput.png"
set title "Throughput and request rate vs no monitoring (median of $rounds interleaved rounds; bars: min-max)"
set ylabel "ratio to no monitoring"
set yrange [0:1.5]
set grid ytics
set key outside right
set xtics ("bulk" 0, "8 streams" 1, "rr" 2, "crr" 3)
set xrange [-0.5:3.5]
load_index(l) = (l eq "bulk") ? 0 : (l eq "p8") ? 1 : (l eq "rr") ? 2 : 3
plot for [c in "none tcpulse tcpdump ss datapath"] "$data" using (load_index(strcol(1)) - 0.3 + 0.15 * (c eq "none" ? 0 : c eq "tcpulse" ? 1 : c eq "tcpdump" ? 2 : c eq "ss" ? 3 : 4)):(strcol(2) eq c ? \$3 : 1/0):(strcol(2) eq c ? \$4 : 1/0):(strcol(2) eq c ? \$5 : 1/0) with yerrorbars pointsize 1.2 title c
set output "docs/img/overhead-latency.png"
set title "Request/response p99 latency, 64 B each way (median of $rounds interleaved rounds; bars: min-max)"
set ylabel "p99 latency (us)"
set yrange [0:*]
set xtics ("rr (one connection)" 0, "crr (connection per request)" 1)
set xrange [-0.5:1.5]
plot for [c in "none tcpulse tcpdump ss datapath"] "$lat" using ((strcol(1) eq "rr" ? 0 : 1) - 0.3 + 0.15 * (c eq "none" ? 0 : c eq "tcpulse" ? 1 : c eq "tcpdump" ? 2 : c eq "ss" ? 3 : 4)):(strcol(2) eq c ? \$3 : 1/0):(strcol(2) eq c ? \$4 : 1/0):(strcol(2) eq c ? \$5 : 1/0) with yerrorbars pointsize 1.2 title c
GNUPLOT
	echo "plots: docs/img/overhead-throughput.png docs/img/overhead-latency.png" >&2
fi
echo "results: $results, $out/summary.txt" >&2
