#include "tests/support/chart_renderer.h"

#include <unistd.h>

#include <stdexcept>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"

namespace tcpulse::test {

using json = nlohmann::json;

std::filesystem::path render_chart_binary() { return TCPULSE_BIN_DIR "/render-chart"; }

bool render_chart_available() { return ::access(render_chart_binary().c_str(), X_OK) == 0; }

RenderedChart render_chart(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {render_chart_binary().string(), "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back((source_dir() / "charts/tcpulse").string());
  CommandResult r = run_command(argv);
  RenderedChart out;
  out.exit_code = r.exit_code;
  out.error = r.err;
  if (r.exit_code == 0)
    for (auto& o : json::parse(r.out)) out.objects.push_back(std::move(o));
  return out;
}

const json& RenderedChart::get(const std::string& kind, const std::string& name) const {
  const json* found = nullptr;
  for (const auto& o : objects) {
    const json& m = o["object"];
    if (m.value("kind", "") != kind || (!name.empty() && m["metadata"].value("name", "") != name)) continue;
    if (found) throw std::runtime_error("more than one " + kind);
    found = &m;
  }
  if (!found) throw std::runtime_error("no " + kind + " " + name + " rendered");
  return *found;
}

size_t RenderedChart::count(const std::string& kind) const {
  size_t n = 0;
  for (const auto& o : objects) n += o["object"].value("kind", "") == kind;
  return n;
}

}  // namespace tcpulse::test
