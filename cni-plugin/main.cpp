// tcpulse: the chained CNI plugin. Attaches the tcpulse datapath to a pod's host veth at ADD and
// records who the pod is; never the reason a pod fails to start unless configured to be.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cni-plugin/cni_commands.h"
#include "cni-plugin/cni_request.h"
#include "tc-bpf/lib/libbpf_log.h"
#include "tc-bpf/lib/utf8_text.h"

namespace {

using namespace tcpulse::cni;

std::string read_stdin_bounded() {
  std::string text;
  char buf[65536];
  size_t n;
  // One byte past the limit is enough to report "too large" without reading it all.
  while (text.size() <= kMaxConfigBytes && (n = std::fread(buf, 1, sizeof(buf), stdin)) > 0)
    text.append(buf, n);
  return text;
}

int fail(const CniError& err, const std::string& version) {
  std::string line = "tcpulse: " + err.msg + " " + err.details + "\n";
  std::fputs(tcpulse::valid_utf8(line).c_str(), stderr);
  std::cout << error_json(err, version) << std::endl;
  return 1;
}

int run(const std::string& input) {
  auto parsed = parse_request([](const char* name) { return std::getenv(name); }, input);
  if (auto* err = std::get_if<CniError>(&parsed)) return fail(*err, config_version(input));
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

}  // namespace

int main() {
  // Whatever goes wrong, the runtime reads a spec result on stdout, never a crash or nothing.
  try {
    return run(read_stdin_bounded());
  } catch (const std::exception& e) {
    return fail(CniError{kIoFailure, "tcpulse internal error", e.what()}, "");
  } catch (...) {
    return fail(CniError{kIoFailure, "tcpulse internal error", "unknown exception"}, "");
  }
}
