// Renders a NodeSnapshot as Prometheus metric families (tcpulse_ prefix, base units, _total
// counters, per-pod labels namespace + pod).
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "agent/node_snapshot.h"

namespace tcpulse::agent {

std::vector<prometheus::MetricFamily> pod_metric_families(const NodeSnapshot& snap);

// The Prometheus text exposition format of the families.
std::string render_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace tcpulse::agent
