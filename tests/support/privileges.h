// Whether this process can run the privileged tiers (bpf, integration), and why not. A test that
// cannot run calls GTEST_SKIP with the reason, which ctest reports as skipped, never as passed.
#pragma once

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace tcpulse::test {

// nullopt when root with a bpffs at /sys/fs/bpf; otherwise the reason.
std::optional<std::string> bpf_unavailable();
// Also needs the reference CNI plugins (bridge, host-local) and iproute2.
std::optional<std::string> node_unavailable();

}  // namespace tcpulse::test

#define TCPULSE_SKIP_UNLESS(check)                          \
  do {                                                      \
    if (auto why = (check)) GTEST_SKIP() << "SKIPPED: " << *why; \
  } while (0)
