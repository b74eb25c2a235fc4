// A fuzz target's scratch directory under /tmp, unique to the process: made on first use and
// removed when the fuzzer exits (a function-local static's destructor runs at exit()).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

inline const std::filesystem::path& fuzz_scratch_dir(const std::string& name) {
  static const struct ScratchDir {
    explicit ScratchDir(std::filesystem::path p) : path(std::move(p)) {
      std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path path;
  } scratch(std::filesystem::temp_directory_path() /
            ("tcpulse-fuzz-" + name + "-" + std::to_string(getpid())));
  return scratch.path;
}
