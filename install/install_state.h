// What the installer remembers between runs, in `<conf-dir>/.tcpulse/` (a hidden dir, which no
// CNI loader reads, kept with the files it describes): for each config it chained, the bytes it
// found there and the bytes it wrote, so that uninstall puts back exactly the original while the
// file is still what it wrote; the .conf files it wrapped, moved aside into the same dir; and how
// many times it had to re-chain a file that the primary CNI rewrote.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace tcpulse::install {

struct ChainedFile {
  std::string original;      // the file as the primary CNI wrote it (without tcpulse)
  std::string written;       // the file as the installer last wrote it
  std::string wrapped_from;  // for a conflist made from a .conf: that .conf's name
};

struct InstallState {
  std::map<std::string, ChainedFile> chained;  // by file name in the conf dir
  uint64_t reinsertions = 0;
};

class InstallStateStore {
 public:
  explicit InstallStateStore(const std::filesystem::path& conf_dir) : dir_(conf_dir / ".tcpulse") {}
  const std::filesystem::path& dir() const { return dir_; }
  InstallState load() const;  // empty if none; InstallError if unreadable or corrupt
  void save(const InstallState& state) const;
  // Removes the state dir with whatever is left in it.
  void remove() const;

 private:
  std::filesystem::path dir_;
};

}  // namespace tcpulse::install
