// The JSON views for people and tools, rendered from the collector's model: /pods (who is
// monitored, with traffic) and /flows (the pods' TCP connections in the flow table).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/collector.h"
#include "agent/node_snapshot.h"

namespace tcpulse::agent {

// The pods present; with_departed: also those deleted within the grace period ("departed": true).
nlohmann::json pods_json(const NodeSnapshot& snap, bool with_departed = false);

struct FlowQuery {
  std::string pod_namespace;  // "" = any
  std::string pod_name;       // "" = any
  std::string peer;           // the remote address as /flows writes it; "" = any
  size_t limit = 1000;        // 0 = all
};
// From /flows?namespace=&pod=&peer=&limit=; nullopt-like error text in *error for a bad limit.
FlowQuery flow_query(const std::string& target, std::string* error);

// {"flows": [...], "matched": N, "omitted": M}: the busiest matching connections first (bytes
// both ways over the last interval, then in all), one per line; each line is rendered on its own,
// so a dump of the whole table never holds more than its text.
std::string flows_text(const Collector& collector, const FlowQuery& query);

// The same, streamed piece by piece (HttpResponse::stream) for answers too big to render at once:
// the selection is made now (ids only), each piece renders the next 512 connections from the
// model as it is then; one gone meanwhile is left out.
std::function<std::optional<std::string>()> flows_stream(const Collector& collector,
                                                         const FlowQuery& query);

// A view as the HTTP answer's text: indented, valid UTF-8 whatever a record holds.
std::string json_text(const nlohmann::json& doc);

}  // namespace tcpulse::agent
