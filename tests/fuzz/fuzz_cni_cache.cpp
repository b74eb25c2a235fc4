// An entry of libcni's result cache, which the agent reads to adopt pods: any content is an
// attachment or skipped, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "agent/cni_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tcpulse-fuzz-cache-" + std::to_string(getpid()));
  static const bool made = std::filesystem::create_directories(dir);
  (void)made;
  std::ofstream(dir / "net-c1-eth0", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  for (const auto& cached : tcpulse::read_cni_cache(dir)) {
    tcpulse::PodRecord rec = tcpulse::pod_identity(cached.attachment, 1, &cached.result);
    (void)rec.to_abi();
  }
  return 0;
}
