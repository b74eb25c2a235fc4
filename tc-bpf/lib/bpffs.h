// bpffs: pinning, opening and unpinning BPF objects, and the writers' lock.
#pragma once

#include <filesystem>

#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

// Fails with a clear message unless `path` (or its nearest existing parent) is on a bpffs mount.
Result<void> check_bpffs(const std::filesystem::path& path);
// mkdir -p on bpffs.
Result<void> make_pin_dirs(const std::filesystem::path& dir);
// Opens a pinned object. ENOENT means "not pinned".
Result<UniqueFd> open_pinned(const std::filesystem::path& path);
// Pins fd at path, replacing whatever is pinned there atomically (pin to a temporary name, rename).
Result<void> pin_replace(int fd, const std::filesystem::path& path);
// Pins fd at path; EEXIST if something is pinned there already.
Result<void> pin_new(int fd, const std::filesystem::path& path);
// Removes a pin; a missing pin is not an error. Returns whether something was removed.
Result<bool> unpin(const std::filesystem::path& path);

// An exclusive flock on a directory, released when destroyed. Serializes the few steps that
// touch shared state (pod records, link pins) between concurrent CNI calls and the agent.
class DirLock {
 public:
  static Result<DirLock> acquire(const std::filesystem::path& dir);

 private:
  explicit DirLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace tcpulse
