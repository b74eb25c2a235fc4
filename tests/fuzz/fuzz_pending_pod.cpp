// A file in the pending queue, as another plugin version (or anyone with write access to the
// state dir) may have left it: the agent lists it or reports it as bad, never crashes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/utf8_text.h"
#include "scratch_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& dir = fuzz_scratch_dir("pending");
  static const bool made = std::filesystem::create_directories(dir / "pending");
  (void)made;
  std::ofstream(dir / "pending" / "x.json", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  std::vector<std::filesystem::path> bad;
  auto pods = tcpulse::list_pending(dir, &bad);
  if (pods.size() + bad.size() != 1) __builtin_trap();
  for (const auto& p : pods) (void)p.record.to_abi();
  return 0;
}
