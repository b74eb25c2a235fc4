#include "agent/cgroup_pods.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>

namespace tcpulse::agent {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A Kubernetes UID (a UUID) as the kubelet writes it in a cgroup name: 36 characters, '-' or (in
// systemd slice names, where '-' nests) '_' between the hex groups.
std::optional<std::string> uid_of(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string uid(text);
  for (size_t i = 0; i < uid.size(); ++i) {
    char& c = uid[i];
    bool dash_place = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_place) {
      if (c != '-' && c != '_') return std::nullopt;
      c = '-';
    } else if (!isxdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    } else {
      c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    }
  }
  return uid;
}

// The pod UID in one path component ("kubepods-burstable-pod<UID>.slice" or "pod<UID>").
std::optional<std::string> pod_component(std::string_view c) {
  if (ends_with(c, ".slice")) c.remove_suffix(6);
  auto at = c.rfind("pod");
  if (at == std::string_view::npos || (at != 0 && c[at - 1] != '-')) return std::nullopt;
  return uid_of(c.substr(at + 3));
}

std::string qos_of(std::string_view parent) {
  if (ends_with(parent, ".slice")) parent.remove_suffix(6);
  if (ends_with(parent, "besteffort")) return "besteffort";
  if (ends_with(parent, "burstable")) return "burstable";
  return "guaranteed";
}

}  // namespace

std::optional<KubepodsPath> parse_kubepods_path(std::string_view relative) {
  std::vector<std::string_view> parts;
  while (!relative.empty()) {
    auto slash = relative.find('/');
    std::string_view part = relative.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    relative.remove_prefix(slash + 1);
  }
  // The pod's component must sit below a kubepods one: a "pod<UUID>" elsewhere is not the kubelet's.
  bool under_kubepods = false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].find("kubepods") != std::string_view::npos && !pod_component(parts[i])) {
      under_kubepods = true;
      continue;
    }
    if (!under_kubepods) continue;
    auto uid = pod_component(parts[i]);
    if (!uid) continue;
    KubepodsPath out;
    out.pod_uid = *uid;
    out.qos = qos_of(i > 0 ? parts[i - 1] : std::string_view());
    if (i + 1 == parts.size()) return out;
    if (i + 2 != parts.size()) return std::nullopt;  // below a container: not ours to name
    std::string_view c = parts[i + 1];
    if (ends_with(c, ".scope")) {
      c.remove_suffix(6);
      auto dash = c.rfind('-');
      if (dash == std::string_view::npos) return std::nullopt;
      out.runtime = std::string(c.substr(0, dash));
      if (out.runtime == "crio-conmon") return std::nullopt;
      out.container_id = std::string(c.substr(dash + 1));
    } else {
      out.container_id = std::string(c);
    }
    if (out.container_id.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::filesystem::path cgroup2_mount() {
  constexpr long kCgroup2SuperMagic = 0x63677270;
  for (const char* dir : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct statfs fs {};
    if (::statfs(dir, &fs) == 0 && fs.f_type == kCgroup2SuperMagic) return dir;
  }
  return {};
}

std::vector<CgroupPod> scan_kubepods(const fs::path& root) {
  std::vector<CgroupPod> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), root, ec).string();
    auto parsed = parse_kubepods_path(rel);
    if (parsed) {
      struct stat st {};
      if (::stat(it->path().c_str(), &st) == 0) out.push_back({static_cast<uint64_t>(st.st_ino), *parsed});
      if (!parsed->container_id.empty()) it.disable_recursion_pending();  // threads and the like below
    }
    ec.clear();
  }
  std::sort(out.begin(), out.end(), [](const CgroupPod& a, const CgroupPod& b) { return a.cgroup_id < b.cgroup_id; });
  return out;
}

}  // namespace tcpulse::agent
