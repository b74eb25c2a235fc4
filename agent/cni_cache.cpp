#include "agent/cni_cache.h"

#include "tc-bpf/lib/untrusted_json.h"

namespace tcpulse {

namespace {
constexpr size_t kMaxCacheEntryBytes = 1 << 20;
}  // namespace

std::vector<CachedAttachment> read_cni_cache(const std::filesystem::path& dir) {
  std::vector<CachedAttachment> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    // Entries are a few KiB; a file far larger or nested far deeper is nothing we can use.
    auto parsed = read_untrusted_json(entry.path(), kMaxCacheEntryBytes);
    if (!parsed) continue;
    const auto& doc = parsed.value();
    if (!doc.is_object() || doc.value("kind", "") != "cniCacheV1") continue;
    try {
      CachedAttachment cached;
      cached.attachment.container_id = doc.at("containerId");
      cached.attachment.ifname = doc.at("ifName");
      cached.attachment.network = doc.at("networkName");
      if (auto args = doc.find("cniArgs"); args != doc.end() && args->is_array())
        for (const auto& kv : *args)
          if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
            cached.attachment.args[kv[0]] = kv[1];
      cached.result = doc.at("result");
      for (const auto& iface : cached.result.value("interfaces", nlohmann::ordered_json::array()))
        if (iface.value("name", "") == cached.attachment.ifname && iface.contains("sandbox"))
          cached.netns = iface["sandbox"];
      if (!cached.netns.empty()) out.push_back(std::move(cached));
    } catch (const nlohmann::json::exception&) {
      // Not an entry we understand: some other runtime's, or half written. Leave it be.
    }
  }
  return out;
}

}  // namespace tcpulse
