// The chart rendered by Helm's engine (hack/render-chart: Go text/template + sprig) for tests:
// each object as JSON, found by kind and name.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace tcpulse::test {

struct RenderedChart {
  int exit_code = -1;
  std::string error;                  // the renderer's stderr
  std::vector<nlohmann::json> objects;  // {"source": template, "object": manifest}

  // The one object of this kind (and name, if given); throws if there is not exactly one.
  const nlohmann::json& get(const std::string& kind, const std::string& name = "") const;
  size_t count(const std::string& kind) const;
};

std::filesystem::path render_chart_binary();
bool render_chart_available();

// Renders charts/tcpulse with these extra renderer arguments (--set k=v, ...).
RenderedChart render_chart(const std::vector<std::string>& args = {});

}  // namespace tcpulse::test
