// Removing tcpulse from a node: detach every recorded pod, drop every link pin, and remove the
// pinned programs and maps. Used by `tcpulse-agent --cleanup-on-exit` (tests, demo, uninstall).
#pragma once

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse {

Result<void> remove_datapath(const PinLayout& layout);

}  // namespace tcpulse
