#include "agent/agent_options.h"

#include <charconv>

#include "agent/sandbox_metadata.h"

namespace tcpulse::agent {

namespace {

template <typename T>
bool parse_number(const std::string& text, T& out, T min, T max) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

// Seconds with up to three decimals ("5", "0.25"), as milliseconds within [min_ms, max_ms].
bool parse_seconds_ms(const std::string& text, uint32_t& out_ms, uint32_t min_ms, uint32_t max_ms) {
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if ((whole.empty() && frac.empty()) || frac.size() > 3) return false;
  uint64_t secs = 0, ms = 0;
  if (!whole.empty() && !parse_number<uint64_t>(whole, secs, 0, 1'000'000)) return false;
  if (!frac.empty()) {
    if (!parse_number<uint64_t>(frac, ms, 0, 999)) return false;
    for (size_t i = frac.size(); i < 3; i++) ms *= 10;
  }
  uint64_t total = secs * 1000 + ms;
  if (total < min_ms || total > max_ms) return false;
  out_ms = static_cast<uint32_t>(total);
  return true;
}

// "HOST:PORT" or "[V6]:PORT".
bool parse_listen(const std::string& text, AgentOptions& out) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return false;
  uint16_t port;
  if (!parse_number<uint16_t>(text.substr(colon + 1), port, 0, 65535)) return false;
  out.listen_host = host;
  out.listen_port = port;
  return true;
}

// An interface name the kernel could have: 1..15 bytes, no '/', ':', whitespace, "." or "..".
bool interface_name(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (unsigned char c : name)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

}  // namespace

std::string usage() {
  return "usage: tcpulse-agent [--listen ADDR:PORT] [--pin-dir DIR] [--flows-max N]\n"
         "                     [--state-dir DIR] [--cni-cache-dir DIR] [--reconcile-interval S]\n"
         "                     [--closed-flow-ttl S] [--idle-flow-ttl S]\n"
         "                     [--http-max-connections N] [--http-timeout S]\n"
         "                     [--rtt-sample-interval MS] [--rtt-sample-expiry S]\n"
         "                     [--reorder-window US] [--interval S] [--pod-grace S]\n"
         "                     [--connection-log PATH|-] [--connection-log-max-bytes N]\n"
         "                     [--connection-log-files N] [--log-level LEVEL] [--version]\n"
         "                     [--peer-metrics] [--peer-top-k N] [--peer-series-max N]\n"
         "                     [--cleanup-on-exit] [--ready-file FILE]\n"
         "                     [--uplink IFACE[,IFACE]] [--uplink-ingress xdp|tcx]\n"
         "                     [--cgroup-root DIR] [--runtime-state-dir DIR]...\n"
         "  --listen ADDR:PORT  serve /metrics, /flows, /pods, /healthz (default 0.0.0.0:9965)\n"
         "  --pin-dir DIR       bpffs directory of the datapath (default /sys/fs/bpf/tcpulse)\n"
         "  --flows-max N       flow table slots (next power of two; each family's hash for\n"
         "                      collisions holds half as many), 1024..4194304 (default 65536)\n"
         "  --state-dir DIR     the CNI plugin's queue of pods to attach (default /run/tcpulse)\n"
         "  --cni-cache-dir DIR libcni's result cache, to adopt pods created before tcpulse was\n"
         "                      installed (default /var/lib/cni/results; \"\" turns it off)\n"
         "  --reconcile-interval S  seconds between reconciliations, 1..3600 (default 10)\n"
         "  --closed-flow-ttl S seconds a closed connection stays in /flows, 0..86400 (default 60)\n"
         "  --idle-flow-ttl S   seconds a silent connection stays in /flows, 1..604800 (default 3600)\n"
         "  --http-max-connections N  HTTP clients at once, 1..4096 (default 64); at the cap a\n"
         "                      new client replaces the one waiting longest for a request\n"
         "  --http-timeout S    seconds to send a request head, and idle keep-alive, 1..300 (default 5)\n"
         "  --rtt-sample-interval MS  a connection starts at most one RTT sample per MS,\n"
         "                      1..60000 (default 10)\n"
         "  --rtt-sample-expiry S     an unanswered RTT sample is dropped after S, 1..3600 (default 10)\n"
         "  --reorder-window US  a gap filled within US (or half the RTT, if longer) is reordering,\n"
         "                      not loss, 1..1000000 (default 1000)\n"
         "  --interval S        seconds between scans of the datapath, which /metrics, /pods,\n"
         "                      /flows and the connection log show, 0.05..3600 (default 5)\n"
         "  --pod-grace S       seconds a deleted pod's series stay, with their final values,\n"
         "                      0..86400 (default 60)\n"
         "  --connection-log PATH|-  write connection records (JSON lines) to PATH, or stdout\n"
         "                      with -; off by default\n"
         "  --connection-log-max-bytes N  rotate the log file past N bytes, 4096.. (default 100 MiB)\n"
         "  --connection-log-files N  log files kept, the current one included, 1..100 (default 5)\n"
         "  --log-level LEVEL   debug, info, warn or error (default info)\n"
         "  --peer-metrics      also export series per (pod, peer address, server port, role)\n"
         "  --peer-top-k N      peers with series of their own per pod, the busiest over the\n"
         "                      last interval, 1..1000 (default 10); the rest are peer=\"other\"\n"
         "  --peer-series-max N peers with series of their own on the node, 1..100000 (default 2000)\n"
         "  --uplink IFACE[,IFACE]  also monitor host-network pods: their sockets' TCP on these\n"
         "                      uplinks, each flow under the pod whose cgroup holds its socket\n"
         "  --uplink-ingress MODE  the uplinks' receive side: tcx (default) or xdp, loaded\n"
         "                      through libxdp; never in place of another XDP program\n"
         "  --cgroup-root DIR   the cgroup v2 hierarchy the kubelet puts pods in (default: the\n"
         "                      cgroup v2 mount)\n"
         "  --runtime-state-dir DIR  where the runtime keeps OCI bundles, to name host-network\n"
         "                      pods; repeatable (default: containerd's and CRI-O's)\n"
         "  --version           print the version and the datapath ABI, and exit\n"
         "  --cleanup-on-exit   detach all pods and remove the pins when stopping\n"
         "  --ready-file FILE   write the bound address here once serving\n";
}

std::variant<AgentOptions, UsageError> parse_options(const std::vector<std::string>& args) {
  AgentOptions opts;
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& arg = args[i];
    std::string flag = arg, value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      inline_value = true;
    }
    auto take_value = [&]() -> bool {
      if (inline_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (flag == "--help" || flag == "-h") return UsageError{""};
    if (flag == "--version") return UsageError{"", true};
    if (flag == "--cleanup-on-exit") {
      opts.cleanup_on_exit = true;
    } else if (flag == "--listen") {
      if (!take_value() || !parse_listen(value, opts))
        return UsageError{"--listen wants ADDR:PORT (e.g. 0.0.0.0:9965 or [::1]:9965), got '" +
                          value + "'"};
    } else if (flag == "--pin-dir") {
      if (!take_value() || value.empty() || value[0] != '/')
        return UsageError{"--pin-dir wants an absolute path, got '" + value + "'"};
      opts.pin_dir = value;
    } else if (flag == "--flows-max") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.flows_max, 1024, 4194304))
        return UsageError{"--flows-max wants a number from 1024 to 4194304, got '" + value + "'"};
    } else if (flag == "--state-dir") {
      if (!take_value() || value.empty() || value[0] != '/')
        return UsageError{"--state-dir wants an absolute path, got '" + value + "'"};
      opts.state_dir = value;
    } else if (flag == "--cni-cache-dir") {
      if (!take_value() || (!value.empty() && value[0] != '/'))
        return UsageError{"--cni-cache-dir wants an absolute path or \"\", got '" + value + "'"};
      opts.cni_cache_dir = value;
    } else if (flag == "--closed-flow-ttl") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.closed_flow_ttl_s, 0, 86400))
        return UsageError{"--closed-flow-ttl wants seconds from 0 to 86400, got '" + value + "'"};
    } else if (flag == "--idle-flow-ttl") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.idle_flow_ttl_s, 1, 604800))
        return UsageError{"--idle-flow-ttl wants seconds from 1 to 604800, got '" + value + "'"};
    } else if (flag == "--reconcile-interval") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.reconcile_interval_s, 1, 3600))
        return UsageError{"--reconcile-interval wants seconds from 1 to 3600, got '" + value + "'"};
    } else if (flag == "--http-max-connections") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.http_max_connections, 1, 4096))
        return UsageError{"--http-max-connections wants a number from 1 to 4096, got '" + value + "'"};
    } else if (flag == "--http-timeout") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.http_timeout_s, 1, 300))
        return UsageError{"--http-timeout wants seconds from 1 to 300, got '" + value + "'"};
    } else if (flag == "--rtt-sample-interval") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.rtt_sample_interval_ms, 1, 60000))
        return UsageError{"--rtt-sample-interval wants milliseconds from 1 to 60000, got '" + value + "'"};
    } else if (flag == "--rtt-sample-expiry") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.rtt_sample_expiry_s, 1, 3600))
        return UsageError{"--rtt-sample-expiry wants seconds from 1 to 3600, got '" + value + "'"};
    } else if (flag == "--reorder-window") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.reorder_window_us, 1, 1000000))
        return UsageError{"--reorder-window wants microseconds from 1 to 1000000, got '" + value + "'"};
    } else if (flag == "--interval") {
      if (!take_value() || !parse_seconds_ms(value, opts.interval_ms, 50, 3'600'000))
        return UsageError{"--interval wants seconds from 0.05 to 3600 (e.g. 5 or 0.5), got '" + value + "'"};
    } else if (flag == "--pod-grace") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.pod_grace_s, 0, 86400))
        return UsageError{"--pod-grace wants seconds from 0 to 86400, got '" + value + "'"};
    } else if (flag == "--connection-log") {
      if (!take_value() || value.empty())
        return UsageError{"--connection-log wants a file path, or - for stdout"};
      opts.connection_log = value;
    } else if (flag == "--connection-log-max-bytes") {
      if (!take_value() ||
          !parse_number<uint64_t>(value, opts.connection_log_max_bytes, 4096, 1ULL << 50))
        return UsageError{"--connection-log-max-bytes wants bytes, at least 4096, got '" + value + "'"};
    } else if (flag == "--connection-log-files") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.connection_log_files, 1, 100))
        return UsageError{"--connection-log-files wants a number from 1 to 100, got '" + value + "'"};
    } else if (flag == "--peer-metrics") {
      opts.peer_metrics = true;
    } else if (flag == "--peer-top-k") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.peer_top_k, 1, 1000))
        return UsageError{"--peer-top-k wants a number from 1 to 1000, got '" + value + "'"};
    } else if (flag == "--peer-series-max") {
      if (!take_value() || !parse_number<uint32_t>(value, opts.peer_series_max, 1, 100000))
        return UsageError{"--peer-series-max wants a number from 1 to 100000, got '" + value + "'"};
    } else if (flag == "--log-level") {
      if (!take_value()) return UsageError{"--log-level wants debug, info, warn or error"};
      if (value == "debug") opts.log_level = LogLevel::Debug;
      else if (value == "info") opts.log_level = LogLevel::Info;
      else if (value == "warn") opts.log_level = LogLevel::Warn;
      else if (value == "error") opts.log_level = LogLevel::Error;
      else return UsageError{"--log-level wants debug, info, warn or error, got '" + value + "'"};
    } else if (flag == "--uplink") {
      if (!take_value()) return UsageError{"--uplink wants an interface name (or several, comma-separated)"};
      for (size_t start = 0; start <= value.size();) {
        size_t comma = value.find(',', start);
        std::string name = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!interface_name(name))
          return UsageError{"--uplink wants interface names (1 to 15 bytes, comma-separated), got '" + value + "'"};
        opts.uplinks.push_back(name);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (flag == "--uplink-ingress") {
      auto mode = take_value() ? parse_uplink_ingress(value) : std::nullopt;
      if (!mode) return UsageError{"--uplink-ingress wants xdp or tcx, got '" + value + "'"};
      opts.uplink_ingress = *mode;
    } else if (flag == "--cgroup-root") {
      if (!take_value() || value.empty() || value[0] != '/')
        return UsageError{"--cgroup-root wants an absolute path, got '" + value + "'"};
      opts.cgroup_root = value;
    } else if (flag == "--runtime-state-dir") {
      if (!take_value() || value.empty() || value[0] != '/')
        return UsageError{"--runtime-state-dir wants an absolute path, got '" + value + "'"};
      opts.runtime_state_dirs.push_back(value);
    } else if (flag == "--ready-file") {
      if (!take_value() || value.empty()) return UsageError{"--ready-file wants a path"};
      opts.ready_file = value;
    } else {
      return UsageError{"unknown argument '" + arg + "'"};
    }
  }
  if (opts.runtime_state_dirs.empty()) opts.runtime_state_dirs = kDefaultRuntimeStateDirs;
  return opts;
}

}  // namespace tcpulse::agent
