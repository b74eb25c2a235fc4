#include "agent/self_metrics.h"

#include <limits>

#include "agent/metrics_exporter.h"

namespace tcpulse::agent {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

}  // namespace

std::vector<MetricFamily> self_metric_families(const Collector& collector, const ConnectionLog* log,
                                               const AgentCounters& counters,
                                               const ProcessStats& process) {
  std::vector<MetricFamily> out;

  auto build = metric_family("tcpulse_build_info", "The agent's version and its datapath's ABI.",
                      MetricType::Gauge);
  add_sample(build, {{"version", TCPULSE_VERSION}, {"abi", std::to_string(TCPULSE_ABI_VERSION)}}, 1);
  out.push_back(std::move(build));

  auto rss = metric_family("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge);
  add_sample(rss, {}, static_cast<double>(process.resident_bytes));
  out.push_back(std::move(rss));
  auto cpu = metric_family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    MetricType::Counter);
  add_sample(cpu, {}, process.cpu_seconds);
  out.push_back(std::move(cpu));
  auto fds = metric_family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge);
  add_sample(fds, {}, static_cast<double>(process.open_fds));
  out.push_back(std::move(fds));
  auto max_fds = metric_family("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge);
  add_sample(max_fds, {}, static_cast<double>(process.max_fds));
  out.push_back(std::move(max_fds));
  auto start = metric_family("process_start_time_seconds",
                      "Start time of the process since unix epoch in seconds.", MetricType::Gauge);
  add_sample(start, {}, process.start_time_seconds);
  out.push_back(std::move(start));

  if (!counters.uplinks.empty()) {
    auto info = metric_family("tcpulse_uplink_info",
                              "An uplink watched for host-network pods, and what its receive side runs "
                              "(xdp or tcx; dispatcher: sharing XDP through libxdp's dispatcher).",
                              MetricType::Gauge);
    auto fallbacks = metric_family(
        "tcpulse_uplink_xdp_fallbacks_total",
        "Uplinks whose receive side runs on tcx although XDP was asked for, by why: other_program "
        "(another XDP program holds the interface and stays), driver, kernel.",
        MetricType::Counter);
    for (const auto& u : counters.uplinks) {
      add_sample(info, {{"interface", u.interface}, {"receive", u.receive_mode},
                        {"dispatcher", u.xdp_dispatcher ? "true" : "false"}}, 1);
      if (!u.xdp_fallback_reason.empty())
        add_sample(fallbacks, {{"interface", u.interface}, {"reason", u.xdp_fallback_reason}}, 1);
    }
    out.push_back(std::move(info));
    out.push_back(std::move(fallbacks));
    auto hosts = metric_family("tcpulse_host_pods",
                               "Pods in the kubelet's cgroups that no CNI record names, watched on the "
                               "uplinks as host-network pods.",
                               MetricType::Gauge);
    add_sample(hosts, {}, static_cast<double>(counters.host_pods));
    out.push_back(std::move(hosts));
  }

  const CollectionStats& cs = collector.stats();
  auto duration = metric_family("tcpulse_agent_collection_duration_seconds",
                         "Time one scan of the datapath into the agent's model took.",
                         MetricType::Histogram);
  {
    ClientMetric m;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < std::size(CollectionStats::kDurationBounds); i++) {
      cumulative = cs.duration_buckets[i];  // counted per bound already, so cumulative
      m.histogram.bucket.push_back({cumulative, CollectionStats::kDurationBounds[i]});
    }
    m.histogram.bucket.push_back({cs.collections, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = cs.collections;
    m.histogram.sample_sum = cs.duration_sum_s;
    duration.metric.push_back(std::move(m));
  }
  out.push_back(std::move(duration));
  auto failed = metric_family("tcpulse_agent_collection_failures_total",
                       "Scans of the datapath that failed (the model keeps the last good one).",
                       MetricType::Counter);
  add_sample(failed, {}, static_cast<double>(cs.failures));
  out.push_back(std::move(failed));

  const NodeSnapshot& node = collector.node();
  auto entries = metric_family("tcpulse_flow_table_entries",
                        "Flows in each map of the flow table: the slot array (flowtab) and the "
                        "overflow hashes that take its collisions (flows4, flows6).",
                        MetricType::Gauge);
  auto capacity = metric_family("tcpulse_flow_table_capacity", "Flows each map of the flow table can hold.",
                         MetricType::Gauge);
  for (const auto& [name, usage] : {std::pair{"flowtab", node.flow_table},
                                    std::pair{"flows4", node.overflow4},
                                    std::pair{"flows6", node.overflow6}}) {
    add_sample(entries, {{"map", name}}, static_cast<double>(usage.entries));
    add_sample(capacity, {{"map", name}}, static_cast<double>(usage.capacity));
  }
  out.push_back(std::move(entries));
  out.push_back(std::move(capacity));
  auto requested = metric_family("tcpulse_flow_table_requested_capacity",
                          "Flow table slots --flows-max asks for: differs from "
                          "tcpulse_flow_table_capacity{map=\"flowtab\"} while pins made at another "
                          "size are kept (the new size takes effect once they are removed).",
                          MetricType::Gauge);
  add_sample(requested, {}, static_cast<double>(counters.requested_flow_slots));
  out.push_back(std::move(requested));

  auto expired = metric_family("tcpulse_flows_expired_total",
                        "Flows the agent removed from the flow table (their counts stay with their "
                        "pod), by reason: closed (past --closed-flow-ttl), idle (past "
                        "--idle-flow-ttl), pod_gone (their pod was deleted).",
                        MetricType::Counter);
  for (const char* reason : {"closed", "idle", "pod_gone"}) {
    auto it = counters.expired.find(reason);
    add_sample(expired, {{"reason", reason}}, it == counters.expired.end() ? 0.0 : static_cast<double>(it->second));
  }
  out.push_back(std::move(expired));

  auto records = metric_family("tcpulse_connection_records_total",
                        "Connection records generated, by event (open, report, close).",
                        MetricType::Counter);
  for (const char* event : {"open", "report", "close"})
    add_sample(records, {{"event", event}}, static_cast<double>(collector.records(event)));
  out.push_back(std::move(records));
  auto written = metric_family("tcpulse_connection_records_written_total",
                        "Connection records written to the connection log.", MetricType::Counter);
  add_sample(written, {}, log ? static_cast<double>(log->written()) : 0.0);
  out.push_back(std::move(written));
  auto dropped = metric_family("tcpulse_connection_records_dropped_total",
                        "Connection records that could not be written, by reason: queue_full (the "
                        "writer is behind), disk_full, output_closed (no reader), write_error.",
                        MetricType::Counter);
  for (int r = 0; r < static_cast<int>(LogDrop::Count); r++)
    add_sample(dropped, {{"reason", log_drop_name(static_cast<LogDrop>(r))}},
        log ? static_cast<double>(log->dropped(static_cast<LogDrop>(r))) : 0.0);
  out.push_back(std::move(dropped));

  out.push_back(agent_errors_family(counters.errors));
  return out;
}

}  // namespace tcpulse::agent
