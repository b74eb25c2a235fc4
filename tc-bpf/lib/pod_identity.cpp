#include "tc-bpf/lib/pod_identity.h"

#include <chrono>

#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse {

std::vector<std::string> pod_ips(const nlohmann::ordered_json& prev) {
  std::vector<std::string> out;
  auto ips = prev.find("ips");
  if (ips == prev.end() || !ips->is_array()) return out;
  auto ifaces = prev.find("interfaces");
  for (const auto& ip : *ips) {
    if (!ip.is_object()) continue;
    auto addr = ip.find("address");
    if (addr == ip.end() || !addr->is_string()) continue;
    if (auto idx = ip.find("interface"); idx != ip.end() && idx->is_number_integer()) {
      int i = idx->get<int>();
      if (ifaces == prev.end() || !ifaces->is_array() || i < 0 ||
          i >= static_cast<int>(ifaces->size()))
        continue;
      const auto& iface = (*ifaces)[i];
      auto sandbox = iface.is_object() ? iface.find("sandbox") : iface.end();
      if (sandbox == iface.end() || !sandbox->is_string() || sandbox->get<std::string>().empty())
        continue;
    }
    std::string text = addr->get<std::string>();
    out.push_back(text.substr(0, text.find('/')));
  }
  return out;
}

PodRecord pod_identity(const CniAttachment& attachment, uint64_t netns_ino,
                       const nlohmann::ordered_json* result) {
  // CNI_ARGS are bytes from the runtime's environment; what is recorded is UTF-8.
  auto arg = [&](const char* key) {
    auto it = attachment.args.find(key);
    return it == attachment.args.end() ? std::string() : valid_utf8(it->second);
  };
  PodRecord rec;
  rec.pod_namespace = arg("K8S_POD_NAMESPACE");
  rec.pod_name = arg("K8S_POD_NAME");
  // Outside Kubernetes there is no pod name: the short container id is what people recognise.
  if (rec.pod_name.empty()) rec.pod_name = valid_utf8(attachment.container_id.substr(0, 12));
  rec.pod_uid = arg("K8S_POD_UID");
  rec.container_id = attachment.container_id;
  rec.ifname = attachment.ifname;
  rec.network = valid_utf8(attachment.network);
  rec.netns_ino = netns_ino;
  rec.added_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (result) rec.ips = pod_ips(*result);
  return rec;
}

}  // namespace tcpulse
