// Where a test pins a datapath: a bpffs directory unique to the test process and its purpose, so
// that test binaries running side by side, and the node's own tcpulse, never share pins.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace tcpulse::test {

inline std::filesystem::path test_pin_dir(std::string_view purpose) {
  return "/sys/fs/bpf/tcpulse-" + std::string(purpose) + "-" + std::to_string(::getpid());
}

}  // namespace tcpulse::test
