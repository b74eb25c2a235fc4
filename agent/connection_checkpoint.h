// The connection log's checkpoint: what each connection's last record said, saved after every
// collection (a small binary file in the agent's state dir, on tmpfs), so that an agent killed and
// restarted goes on with its records: deltas from the last record written, no second `open`, no
// lost `close`. A checkpoint that is missing or not this build's is ignored: records then start
// over (an `open` for each connection).
#pragma once

#include <filesystem>
#include <vector>

#include "agent/connection_tracker.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse::agent {

Result<void> save_checkpoint(const std::filesystem::path& path, const ConnectionTracker& tracker);
// The connections as their last records left them (now == recorded).
std::vector<Connection> load_checkpoint(const std::filesystem::path& path);

}  // namespace tcpulse::agent
