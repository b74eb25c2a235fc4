// AgentOptions: tcpulse-agent's command line. A bad flag is reported before anything starts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "agent/cni_cache.h"
#include "agent/uplink_ingress.h"
#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tcpulse/abi.h"

namespace tcpulse::agent {

enum class LogLevel { Debug, Info, Warn, Error };

struct AgentOptions {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 9965;
  std::filesystem::path pin_dir{kDefaultPinBase};
  uint32_t flows_max = 65536;
  // Detach every pod and remove all pins on exit (tests, demo, uninstall). By default the pins
  // stay so that monitoring and counters continue across agent restarts.
  bool cleanup_on_exit = false;
  // Written with the bound address once the datapath is pinned and /metrics answers.
  std::filesystem::path ready_file;
  // Where the CNI plugin queues pods it could not attach (its "stateDir").
  std::filesystem::path state_dir{kDefaultStateDir};
  // libcni's result cache, to adopt pods created before tcpulse was installed; "" = off.
  std::filesystem::path cni_cache_dir{kDefaultCniCacheDir};
  // Seconds a closed connection stays in the flow table (and /flows) before it is expired.
  uint32_t closed_flow_ttl_s = 60;
  // Seconds a connection may carry nothing before it is expired (its counts stay with its pod):
  // nothing else removes a flow whose close the datapath never saw.
  uint32_t idle_flow_ttl_s = 3600;
  // Seconds between reconciliations (queued pods, vanished veths); also run at start.
  uint32_t reconcile_interval_s = 10;
  // HTTP clients served at once; at the cap a new one takes the place of the one that has waited
  // longest for a request (http_server.h).
  uint32_t http_max_connections = 64;
  // Seconds a client has to send a whole request head, and to stay idle between requests.
  uint32_t http_timeout_s = 5;
  // The datapath's tunables (tcpulse_datapath_config in abi.h), in the flags' units.
  uint32_t rtt_sample_interval_ms = TCPULSE_RTT_SAMPLE_INTERVAL_NS_DEFAULT / 1'000'000;
  uint32_t rtt_sample_expiry_s = TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT / 1'000'000'000;
  uint32_t reorder_window_us = TCPULSE_REORDER_WINDOW_NS_DEFAULT / 1'000;
  // Milliseconds between collections (the scan that feeds /metrics, /pods, /flows and the
  // connection log).
  uint32_t interval_ms = 5000;
  // Connection records: "" = off, "-" = stdout, else a file rotated at max_bytes, `files` kept.
  std::filesystem::path connection_log;
  uint64_t connection_log_max_bytes = 100ULL << 20;
  uint32_t connection_log_files = 5;
  // Seconds a deleted pod's series stay in /metrics (and its entry in /pods), with final values.
  uint32_t pod_grace_s = 60;
  LogLevel log_level = LogLevel::Info;
  // Per-peer series: off by default; per pod the top-K peers by interval bytes, a cap per node.
  bool peer_metrics = false;
  uint32_t peer_top_k = 10;
  uint32_t peer_series_max = 2000;
  // Host-network pods on these uplinks (host_flow.bpf.h, uplink_hooks.h); none by default.
  std::vector<std::string> uplinks;
  // The uplinks' receive side: tcx (default: docs/performance.md) or XDP (through libxdp).
  UplinkIngress uplink_ingress = UplinkIngress::Tcx;
  // The kubelet's cgroup v2 hierarchy, where host-network pods are found ("" = the cgroup v2
  // mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid node).
  std::filesystem::path cgroup_root;
  // Where the container runtime keeps its OCI bundles, to name host-network pods.
  std::vector<std::filesystem::path> runtime_state_dirs;
};

struct UsageError {
  std::string message;  // empty with --help or --version
  bool version = false;  // --version: print the version, exit 0
};

std::variant<AgentOptions, UsageError> parse_options(const std::vector<std::string>& args);
std::string usage();

}  // namespace tcpulse::agent
