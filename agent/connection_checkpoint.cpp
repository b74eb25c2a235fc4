#include "agent/connection_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <type_traits>

#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::agent {

namespace {

constexpr char kMagic[8] = {'t', 'c', 'p', 'c', 'k', 'p', 't', '1'};

struct Header {
  char magic[8];
  uint32_t abi;
  uint32_t entry_size;
  uint64_t count;
};

struct Entry {
  FlowKey key;
  uint64_t first_seen_ns;
  ConnectionCounters recorded;
  uint8_t role;
  uint8_t closed;
  uint8_t pad[6];
};
static_assert(std::is_trivially_copyable_v<Entry>);

}  // namespace

Result<void> save_checkpoint(const std::filesystem::path& path, const ConnectionTracker& tracker) {
  std::vector<Entry> entries;
  entries.reserve(tracker.connections().size());
  for (const Connection& c : tracker.connections()) {
    const ConnectionId& id = c.id;
    if (!c.opened) continue;  // nothing recorded yet
    Entry e{};
    e.key = id.key;
    e.first_seen_ns = id.first_seen_ns;
    e.recorded = c.recorded;
    e.role = c.role;
    e.closed = c.closed;
    entries.push_back(e);
  }
  Header h{};
  memcpy(h.magic, kMagic, sizeof(kMagic));
  h.abi = TCPULSE_ABI_VERSION;
  h.entry_size = sizeof(Entry);
  h.count = entries.size();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error(errno, "write " + tmp.string());
  auto write_all = [&](const void* data, size_t len) {
    const char* p = static_cast<const char*>(data);
    while (len) {
      ssize_t n = ::write(fd.get(), p, len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      len -= n;
    }
    return true;
  };
  if (!write_all(&h, sizeof(h)) || !write_all(entries.data(), entries.size() * sizeof(Entry))) {
    int err = errno;
    unlink(tmp.c_str());
    return Error(err, "write " + tmp.string());
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Error(err, "rename " + tmp.string());
  }
  return success();
}

std::vector<Connection> load_checkpoint(const std::filesystem::path& path) {
  std::vector<Connection> out;
  std::ifstream in(path, std::ios::binary);
  Header h{};
  if (!in.read(reinterpret_cast<char*>(&h), sizeof(h))) return out;
  if (memcmp(h.magic, kMagic, sizeof(kMagic)) != 0 || h.abi != TCPULSE_ABI_VERSION ||
      h.entry_size != sizeof(Entry) || h.count > (1ULL << 24))
    return out;
  out.reserve(h.count);
  for (uint64_t i = 0; i < h.count; i++) {
    Entry e{};
    if (!in.read(reinterpret_cast<char*>(&e), sizeof(e))) return {};  // cut short: not trusted
    Connection c;
    c.id = {e.key, e.first_seen_ns};
    c.now = c.recorded = e.recorded;
    c.role = e.role;
    c.opened = true;
    c.closed = e.closed != 0;
    out.push_back(c);
  }
  return out;
}

}  // namespace tcpulse::agent
