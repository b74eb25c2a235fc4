// ChainInstaller: puts the tcpulse plugin binary into the CNI bin dir and chains it, last, into
// the config the runtime uses; and takes both out again leaving each file as it was. Every
// method checks everything it can before it writes anything, and throws an InstallError (one
// line, naming the file) rather than leave a half-done change.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "install/chain_edit.h"

namespace tcpulse::install {

struct InstallOptions {
  std::filesystem::path conf_dir = "/etc/cni/net.d";
  std::filesystem::path bin_dir = "/opt/cni/bin";
  std::filesystem::path plugin;            // the binary to copy
  ordered_json config = ordered_json::object();  // extra keys of the entry
  std::string network;                     // chain into this network instead of the first
};

struct InstallOutcome {
  std::filesystem::path config;  // the config that now chains tcpulse
  bool wrote_config = false;
  bool wrote_binary = false;
  bool reinserted = false;       // a config we had chained was rewritten without tcpulse
  uint64_t reinsertions = 0;     // so far, on this node
  std::vector<std::string> notes;  // what it did, for the log
};

struct InstallStatus {
  std::filesystem::path active;  // the config the runtime uses; empty if none
  std::string problem;           // why it is not chained; empty if it is
  bool binary_present = false;
  uint64_t reinsertions = 0;
  std::string entry;             // the tcpulse entry in the active config, as JSON
};

class ChainInstaller {
 public:
  explicit ChainInstaller(InstallOptions options) : o_(std::move(options)) {}
  InstallOutcome install();
  std::vector<std::string> uninstall();  // what it did; InstallError listing what failed
  InstallStatus status() const;

 private:
  InstallOutcome chain_conflist(const struct CniConfigFile& active, const ordered_json& entry);
  InstallOutcome wrap_conf(const struct CniConfigFile& active, const std::vector<CniConfigFile>& all,
                           const ordered_json& entry);
  void check_plugin() const;
  bool copy_plugin();
  InstallOptions o_;
};

}  // namespace tcpulse::install
