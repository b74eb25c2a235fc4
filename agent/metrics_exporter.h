// Renders a NodeSnapshot as Prometheus metric families (tcpulse_ prefix, base units, _total
// counters, per-pod labels namespace + pod).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "agent/http_server.h"
#include "agent/node_snapshot.h"

namespace tcpulse::agent {

std::vector<prometheus::MetricFamily> pod_metric_families(const NodeSnapshot& snap);

// A family without samples, and one sample of a counter or gauge family (by the family's type).
prometheus::MetricFamily metric_family(const char* name, const char* help, prometheus::MetricType type);
void add_sample(prometheus::MetricFamily& f, std::vector<prometheus::ClientMetric::Label> labels,
                double value);

// Adds to f a Prometheus histogram of the datapath's RTT buckets (per bucket, not cumulative;
// bounds 25 us * 2^k, then +Inf) and their sum in ns.
void add_rtt_histogram(prometheus::MetricFamily& f,
                       std::vector<prometheus::ClientMetric::Label> labels,
                       const __u64 (&buckets)[TCPULSE_RTT_BUCKETS], uint64_t sum_ns);

// tcpulse_agent_errors_total{op}: steps the agent could not carry out (a reconcile step aborted by
// a failed map walk, a read of the datapath that failed), by step.
prometheus::MetricFamily agent_errors_family(const std::map<std::string, uint64_t>& by_op);

// tcpulse_agent_http_connections_total{event}: what the HTTP server did with its clients
// (accepted, evicted, refused, rejected, timed_out, out_of_descriptors): abuse shows here.
prometheus::MetricFamily http_connections_family(const HttpServerStats& stats);

// The Prometheus text exposition format of the families.
std::string render_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace tcpulse::agent
