#include "tests/support/privileges.h"

#include <unistd.h>

#include "tc-bpf/lib/bpffs.h"

namespace tcpulse::test {

std::optional<std::string> bpf_unavailable() {
  if (geteuid() != 0) return "needs root (BPF, network namespaces)";
  if (!check_bpffs("/sys/fs/bpf")) return "no bpffs at /sys/fs/bpf (run hack/deps.sh)";
  return std::nullopt;
}

std::optional<std::string> node_unavailable() {
  if (auto why = bpf_unavailable()) return why;
  for (const char* p : {"/usr/lib/cni/bridge", "/usr/lib/cni/host-local"})
    if (access(p, X_OK) != 0)
      return std::string(p) + " missing (apt-get install containernetworking-plugins)";
  if (access("/usr/bin/jq", X_OK) != 0) return "jq missing (apt-get install jq)";
  return std::nullopt;
}

}  // namespace tcpulse::test
