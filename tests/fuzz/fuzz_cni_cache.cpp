// An entry of libcni's result cache, which the agent reads to adopt pods: any content is an
// attachment or skipped, never a crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "agent/cni_cache.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& dir = fuzz_scratch_dir("cache");
  std::ofstream(dir / "net-c1-eth0", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  for (const auto& cached : tcpulse::read_cni_cache(dir)) {
    tcpulse::PodRecord rec = tcpulse::pod_identity(cached.attachment, 1, &cached.result);
    (void)rec.to_abi();
  }
  return 0;
}
