// tcpulse: the chained CNI plugin. Attaches the tcpulse datapath to a pod's host veth at ADD and
// records who the pod is; never the reason a pod fails to start unless configured to be.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

#include "cni-plugin/cni_commands.h"
#include "cni-plugin/cni_request.h"
#include "tc-bpf/lib/libbpf_log.h"

namespace {

std::string read_stdin_bounded() {
  std::string text;
  char buf[65536];
  size_t n;
  // One byte past the limit is enough to report "too large" without reading it all.
  while (text.size() <= tcpulse::cni::kMaxConfigBytes &&
         (n = std::fread(buf, 1, sizeof(buf), stdin)) > 0)
    text.append(buf, n);
  return text;
}

}  // namespace

int main() {
  using namespace tcpulse::cni;
  std::string input = read_stdin_bounded();
  auto parsed = parse_request([](const char* name) { return std::getenv(name); }, input);
  if (auto* err = std::get_if<CniError>(&parsed)) {
    std::fprintf(stderr, "tcpulse: %s %s\n", err->msg.c_str(), err->details.c_str());
    std::cout << error_json(*err, config_version(input)) << std::endl;
    return 1;
  }
  const CniRequest& req = std::get<CniRequest>(parsed);
  PluginLog log(req.plugin.log_level, req.plugin.log_file);
  // Our own errors say what failed; libbpf's lines are detail for debugging.
  tcpulse::set_libbpf_log([&log](tcpulse::LibbpfLevel, const std::string& line) {
    log.debug("libbpf: " + line);
  });

  Outcome outcome;
  try {
    outcome = run_command(req, log);
  } catch (const std::exception& e) {
    outcome = CniError{kIoFailure, "tcpulse internal error", e.what()};
  }
  if (auto* err = std::get_if<CniError>(&outcome)) {
    log.error(req.command + " failed: " + err->msg + ": " + err->details);
    std::cout << error_json(*err, req.cni_version) << std::endl;
    return 1;
  }
  const std::string& out = std::get<std::string>(outcome);
  if (!out.empty()) std::cout << out << std::endl;
  return 0;
}
