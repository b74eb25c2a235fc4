// tcpulse-install: chains the tcpulse CNI plugin into a node's CNI config and keeps it there.
// Run by the chart (install as an init container, watch beside the agent) or by hand.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "install/chain_installer.h"
#include "install/chain_watch.h"
#include "install/install_error.h"

namespace {

using namespace tcpulse::install;
namespace fs = std::filesystem;

constexpr const char* kUsage = R"(usage: tcpulse-install COMMAND [FLAGS]

commands:
  install     copy the plugin into the CNI bin dir and chain it, last, into the config the
              runtime uses (the first *.conf, *.conflist or *.json by name that loads, or
              --network); a single-plugin .conf is wrapped into a .conflist of the same name
  uninstall   take tcpulse out of every config and put each file back as it was
  watch       install, then keep tcpulse chained while the primary CNI rewrites its config
  status      say which config the runtime uses and whether tcpulse is chained in it
              (exit 0 if it is, 1 if not)

flags:
  --conf-dir DIR        CNI conf dir (default /etc/cni/net.d)
  --bin-dir DIR         CNI bin dir (default /opt/cni/bin)
  --plugin PATH         plugin binary to copy (default: tcpulse beside this program)
  --config JSON         extra keys for the tcpulse entry, a JSON object (default {})
  --network NAME        chain into the config of this network instead of the first
  --uninstall-on-exit   watch: uninstall on SIGTERM or SIGINT
  -h, --help            this text
)";

fs::path self_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  return fs::path(std::string(buf, static_cast<size_t>(n))).parent_path();
}

struct Args {
  std::string command;
  InstallOptions install;
  WatchOptions watch;
};

Args parse(int argc, char** argv) {
  Args a;
  a.install.plugin = self_dir() / "tcpulse";
  std::vector<std::string> v(argv + 1, argv + argc);
  if (v.empty()) throw InstallError("no command (install, uninstall, watch or status); see --help");
  size_t i = 0;
  if (v[0] != "-h" && v[0] != "--help") a.command = v[i++];
  if (a.command.empty()) return a;
  if (a.command != "install" && a.command != "uninstall" && a.command != "watch" && a.command != "status")
    throw InstallError("unknown command \"" + a.command + "\" (install, uninstall, watch or status)");
  auto value = [&](const std::string& flag) -> std::string {
    if (i + 1 >= v.size() || v[i + 1].empty()) throw InstallError(flag + ": missing value");
    return v[++i];
  };
  for (; i < v.size(); ++i) {
    const std::string& f = v[i];
    if (f == "--conf-dir") a.install.conf_dir = value(f);
    else if (f == "--bin-dir") a.install.bin_dir = value(f);
    else if (f == "--plugin") a.install.plugin = value(f);
    else if (f == "--network") a.install.network = value(f);
    else if (f == "--config") {
      try {
        a.install.config = ordered_json::parse(value(f));
      } catch (const ordered_json::parse_error&) {
        throw InstallError("--config: not valid JSON");
      }
      if (!a.install.config.is_object()) throw InstallError("--config: not a JSON object");
    } else if (f == "--uninstall-on-exit" && a.command == "watch") a.watch.uninstall_on_exit = true;
    else if (f == "-h" || f == "--help") a.command.clear();
    else throw InstallError("unknown flag \"" + f + "\" for " + a.command + "; see --help");
  }
  return a;
}

int run(const Args& a) {
  ChainInstaller installer(a.install);
  if (a.command == "install") {
    InstallOutcome out = installer.install();
    for (const auto& n : out.notes) std::cout << "tcpulse-install: " << n << "\n";
    if (out.notes.empty()) std::cout << "tcpulse-install: " << out.config.string() << " already chains tcpulse\n";
    return 0;
  }
  if (a.command == "uninstall") {
    auto did = installer.uninstall();
    for (const auto& d : did) std::cout << "tcpulse-install: " << d << "\n";
    if (did.empty()) std::cout << "tcpulse-install: nothing to uninstall\n";
    return 0;
  }
  if (a.command == "watch") return watch_chain(installer, a.install, a.watch);
  InstallStatus s = installer.status();
  std::cout << "active config: " << (s.active.empty() ? "none" : s.active.string()) << "\n"
            << "chained:       " << (s.problem.empty() ? "yes" : "no: " + s.problem) << "\n"
            << "entry:         " << (s.entry.empty() ? "none" : s.entry) << "\n"
            << "binary:        " << (a.install.bin_dir / "tcpulse").string()
            << (s.binary_present ? "" : " (missing)") << "\n"
            << "re-insertions: " << s.reinsertions << "\n";
  return s.problem.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
  } catch (const InstallError& e) {
    std::fprintf(stderr, "tcpulse-install: %s\n", e.what());
    return 2;
  }
  if (args.command.empty()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  try {
    return run(args);
  } catch (const InstallError& e) {
    std::fprintf(stderr, "tcpulse-install: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpulse-install: %s\n", e.what());
    return 1;
  }
}
