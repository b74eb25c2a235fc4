#include "cni-plugin/pod_identity.h"

#include <chrono>

namespace tcpulse::cni {

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

PodRecord pod_identity(const CniRequest& req, uint64_t netns_ino) {
  auto arg = [&](const char* key) {
    auto it = req.args.find(key);
    return it == req.args.end() ? std::string() : it->second;
  };
  PodRecord rec;
  rec.pod_namespace = arg("K8S_POD_NAMESPACE");
  rec.pod_name = arg("K8S_POD_NAME");
  // Outside Kubernetes there is no pod name: the short container id is what people recognise.
  if (rec.pod_name.empty()) rec.pod_name = req.container_id.substr(0, 12);
  rec.pod_uid = arg("K8S_POD_UID");
  rec.container_id = req.container_id;
  rec.ifname = req.ifname;
  rec.network = req.config.value("name", "");
  rec.netns_ino = netns_ino;
  rec.added_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (req.prev_result) rec.ips = pod_ips(*req.prev_result);
  return rec;
}

}  // namespace tcpulse::cni
