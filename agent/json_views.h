// The JSON views for people and tools: /pods (who is monitored, with traffic) and /flows (every
// TCP connection in the flow table, tagged with its pod).
#pragma once

#include <nlohmann/json.hpp>

#include "agent/node_snapshot.h"

namespace tcpulse::agent {

nlohmann::json pods_json(const NodeSnapshot& snap);
nlohmann::json flows_json(const NodeSnapshot& snap);
// A view as the HTTP answer's text: indented, valid UTF-8 whatever a record holds.
std::string json_text(const nlohmann::json& doc);

}  // namespace tcpulse::agent
