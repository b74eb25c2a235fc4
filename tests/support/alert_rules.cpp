#include "tests/support/alert_rules.h"

#include <fstream>
#include <regex>
#include <stdexcept>

#include "tests/support/chart_renderer.h"

namespace tcpulse::test {

using json = nlohmann::json;

json rendered_alert_rules() {
  RenderedChart chart = render_chart({"--set", "prometheusRule.enabled=true"});
  if (chart.exit_code != 0) throw std::runtime_error("render failed: " + chart.error);
  return chart.get("PrometheusRule")["spec"];
}

void write_rules_file(const json& spec, const std::filesystem::path& path, bool without_annotations) {
  json out = spec;
  if (without_annotations)
    for (auto& g : out["groups"])
      for (auto& r : g["rules"]) r.erase("annotations");
  std::ofstream(path) << out.dump(2) << "\n";
}

std::string without_threshold(const std::string& expr) {
  static const std::regex comparison(R"((>=|<=|==|!=|>|<)\s*(bool\s+)?[-+]?[0-9.]+(e[-+]?[0-9]+)?)");
  return std::regex_replace(expr, comparison, ">= 0");
}

}  // namespace tcpulse::test
