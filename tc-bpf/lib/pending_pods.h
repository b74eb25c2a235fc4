// The pending queue: pods the CNI plugin could not attach (agent not started yet, or an attach
// error while failing open), one small JSON file each under a state dir, so the agent attaches
// them when it can. A file is named after the attachment (container id + ifname), so a repeated
// ADD rewrites it and DEL removes it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tc-bpf/lib/pod_record.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse {

inline constexpr std::string_view kDefaultStateDir = "/run/tcpulse";

struct PendingPod {
  PodRecord record;
  int host_ifindex = 0;
};

// Atomically writes (or replaces) the pod's file under state_dir/pending.
Result<void> write_pending(const std::filesystem::path& state_dir, const PendingPod& pod);
// Removes the attachment's file, if any. Returns whether there was one.
Result<bool> remove_pending(const std::filesystem::path& state_dir, const std::string& container_id,
                            const std::string& ifname);
// Removes temp files a writer left (releases up to 0.9 could leave a 0-byte "<name>.json.tmp<pid>"
// behind) once older than max_age, so that no write in progress loses its file. Returns how many.
int sweep_pending_temp_files(const std::filesystem::path& state_dir,
                             std::chrono::seconds max_age = std::chrono::seconds(60));
// Every readable pending pod; unreadable files are reported through `bad` and skipped.
std::vector<PendingPod> list_pending(const std::filesystem::path& state_dir,
                                     std::vector<std::filesystem::path>* bad = nullptr);

}  // namespace tcpulse
