// The tables of `tcpulsectl pods`, `flows` and `status`, for people: aligned columns of the
// agent's JSON, totals since a pod was attached or a connection opened.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tcpulse::ctl {

// Columns padded to their widest cell; the first `left` columns left-aligned, the rest right.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows, size_t left = 1);

std::string pods_table(const nlohmann::json& pods);     // /pods
std::string flows_table(const nlohmann::json& flows);   // /flows
std::string status_text(const nlohmann::json& status);  // /status

// A byte count for people (12.3 MB).
std::string bytes_text(uint64_t bytes);

}  // namespace tcpulse::ctl
