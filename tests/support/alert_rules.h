// The chart's alert rules, rendered by Helm's engine (PrometheusRule enabled, default values) and
// written as a Prometheus rules file, for promtool and for a real Prometheus.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace tcpulse::test {

// The rule groups of the rendered PrometheusRule (its spec); throws if rendering fails.
nlohmann::json rendered_alert_rules();

// Writes {"groups": ...} (JSON is YAML) to path; without_annotations for `promtool test rules`,
// whose expected alerts would otherwise have to repeat every annotation's text.
void write_rules_file(const nlohmann::json& spec, const std::filesystem::path& path, bool without_annotations);

// The expression with every threshold comparison (`> 0.05`, `== 0`, ...) relaxed to `>= 0`: it
// returns a series wherever the alert has data to judge.
std::string without_threshold(const std::string& expr);

}  // namespace tcpulse::test
