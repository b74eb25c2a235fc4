#include "agent/sandbox_metadata.h"

#include <algorithm>
#include <cctype>

#include "tc-bpf/lib/untrusted_json.h"

namespace tcpulse::agent {

namespace {

constexpr size_t kMaxBundleBytes = 1 << 20;

struct AnnotationKeys {
  const char* pod_namespace;
  const char* pod_name;
  const char* pod_uid;
  const char* sandbox_id;
};

constexpr AnnotationKeys kContainerd = {"io.kubernetes.cri.sandbox-namespace",
                                        "io.kubernetes.cri.sandbox-name",
                                        "io.kubernetes.cri.sandbox-uid",
                                        "io.kubernetes.cri.sandbox-id"};
constexpr AnnotationKeys kCrio = {"io.kubernetes.pod.namespace", "io.kubernetes.pod.name",
                                  "io.kubernetes.pod.uid", "io.kubernetes.cri-o.SandboxID"};

std::string text_at(const nlohmann::ordered_json& annotations, const char* key) {
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool safe_id(const std::string& id) {
  return !id.empty() && id.size() < 256 && id.find('/') == std::string::npos && id != "." &&
         id != "..";
}

std::optional<SandboxIdentity> identity_in(const std::filesystem::path& bundle) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(bundle, ec)) return std::nullopt;
  auto doc = read_untrusted_json(bundle, kMaxBundleBytes);
  if (!doc || !doc.value().is_object()) return std::nullopt;
  auto annotations = doc.value().find("annotations");
  if (annotations == doc.value().end() || !annotations->is_object()) return std::nullopt;
  for (const AnnotationKeys& keys : {kContainerd, kCrio}) {
    SandboxIdentity id{text_at(*annotations, keys.pod_namespace), text_at(*annotations, keys.pod_name),
                       text_at(*annotations, keys.pod_uid), text_at(*annotations, keys.sandbox_id)};
    if (id.pod_namespace.empty() || id.pod_name.empty() || id.pod_uid.empty()) continue;
    std::transform(id.pod_uid.begin(), id.pod_uid.end(), id.pod_uid.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return id;
  }
  return std::nullopt;
}

}  // namespace

std::optional<SandboxIdentity> read_sandbox_identity(
    const std::vector<std::filesystem::path>& state_dirs, const std::string& container_id) {
  if (!safe_id(container_id)) return std::nullopt;
  for (const auto& dir : state_dirs) {
    for (const auto& bundle : {dir / container_id / "config.json",
                               dir / container_id / "userdata" / "config.json"})
      if (auto id = identity_in(bundle)) return id;
  }
  return std::nullopt;
}

}  // namespace tcpulse::agent
