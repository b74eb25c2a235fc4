#include "tests/support/podman.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <stdexcept>

namespace tcpulse::test {

namespace fs = std::filesystem;

Podman::Podman() {
  char tmpl[] = "/tmp/tcpulse-podman-XXXXXX";
  dir_ = mkdtemp(tmpl);
  fs::create_directories(net_dir());
  fs::create_directories(bin_dir());
  std::string plugin_dirs = "\"" + bin_dir().string() + "\", \"/usr/lib/cni\"";
  std::ofstream(dir_ / "containers.conf")
      << "[network]\nnetwork_backend = \"cni\"\n"
      << "cni_plugin_dirs = [" << plugin_dirs << "]\n"
      << "network_config_dir = \"" << net_dir().string() << "\"\n"
      << "[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n";
}

Podman::~Podman() {
  for (const auto& name : containers_) run({"rm", "-f", "-t", "0", name});
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> Podman::argv() const {
  return {"podman", "--root", (dir_ / "root").string(), "--runroot", (dir_ / "runroot").string(), "--storage-driver", "vfs"};
}

std::string Podman::shell_command() const {
  std::string line = "env CONTAINERS_CONF=" + (dir_ / "containers.conf").string();
  for (const auto& a : argv()) line += " " + a;
  return line;
}

CommandResult Podman::run(std::vector<std::string> args, const std::string& pod_namespace) {
  std::vector<std::string> argv = this->argv();
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> env = {{"CONTAINERS_CONF", (dir_ / "containers.conf").string()}};
  // podman sends K8S_POD_NAME itself and passes CNI_ARGS from its environment along.
  if (!pod_namespace.empty()) env["CNI_ARGS"] = "K8S_POD_NAMESPACE=" + pod_namespace;
  return run_command(argv, "", env);
}

std::string Podman::checked(std::vector<std::string> args, const std::string& pod_namespace) {
  auto r = run(args, pod_namespace);
  if (r.exit_code != 0) throw std::runtime_error("podman failed: " + r.err + r.out);
  return r.out;
}

std::vector<std::string> Podman::run_options() {
  return {"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"};
}

bool podman_available() { return access("/usr/bin/podman", X_OK) == 0 && access("/bin/busybox", X_OK) == 0; }

}  // namespace tcpulse::test
