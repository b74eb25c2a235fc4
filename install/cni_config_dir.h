// The CNI configs of a conf dir, read and judged the way libcni judges them, so that tcpulse is
// chained into the config the runtime really uses: containerd, CRI-O and podman list `*.conf`,
// `*.conflist` and `*.json` in byte order of their names and take the first that loads (or the
// one whose network name they are told). `.conf` and `.json` hold a single plugin.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tcpulse::install {

struct CniConfigFile {
  std::filesystem::path path;
  bool is_list = false;     // .conflist
  std::string text;         // the bytes as read
  std::string network;      // "name"
  std::string cni_version;  // "cniVersion", empty if absent
  std::string error;        // why libcni would not load it; empty if it loads
};

// Every config file of dir in libcni's order, each read and judged. InstallError if the dir
// cannot be listed.
std::vector<CniConfigFile> read_cni_configs(const std::filesystem::path& dir);

// Judges one config text (exposed for tests).
CniConfigFile judge_cni_config(std::filesystem::path path, std::string text);

// The config the runtime uses: the first that loads, or the first whose network is `network`.
// A file before it that does not load is an InstallError naming it and why: a runtime may skip
// it today and read it tomorrow (or it is a primary CNI's half-written file), so chaining past
// it would be a guess. nullopt if there is no config at all.
std::optional<CniConfigFile> active_cni_config(const std::vector<CniConfigFile>& configs,
                                               const std::string& network = "");

// Whether a CNI version string chains (prevResult exists from 0.3.0 on).
bool chaining_supported(const std::string& cni_version);

}  // namespace tcpulse::install
