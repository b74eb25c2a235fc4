// Podman: podman 4.3 with a private root, runroot, containers.conf and CNI network dir, so that a
// test never touches the host's containers or images; everything is removed afterwards. Its
// layout (<dir>/root, <dir>/runroot) is what `hack/build-image.sh --podman-root <dir>` builds into.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/command.h"

namespace tcpulse::test {

class Podman {
 public:
  Podman();
  ~Podman();
  Podman(const Podman&) = delete;
  Podman& operator=(const Podman&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path net_dir() const { return dir_ / "net.d"; }
  // Where libcni looks for plugins first (then /usr/lib/cni): a node's CNI bin dir, empty at start.
  std::filesystem::path bin_dir() const { return dir_ / "cni-bin"; }
  // pod_namespace: sent to the CNI plugins as K8S_POD_NAMESPACE.
  CommandResult run(std::vector<std::string> args, const std::string& pod_namespace = "");
  std::string checked(std::vector<std::string> args, const std::string& pod_namespace = "");
  // Removed (forcibly) when the object goes away.
  void started(const std::string& container) { containers_.push_back(container); }

  // The podman command line with this object's store and config: as argv, and as a line for a
  // shell (a terminal test types it).
  std::vector<std::string> argv() const;
  std::string shell_command() const;

  // `run --rm` options this host needs (its runc cannot raise RLIMIT_NOFILE/NPROC above these).
  static std::vector<std::string> run_options();

 private:
  std::filesystem::path dir_;
  std::vector<std::string> containers_;
};

// Whether podman and busybox-static are installed (hack/deps.sh installs them).
bool podman_available();

}  // namespace tcpulse::test
