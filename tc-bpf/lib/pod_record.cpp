#include "tc-bpf/lib/pod_record.h"

#include <arpa/inet.h>

#include <cstring>

#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse {

namespace {

template <size_t N>
std::string read_field(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

template <size_t N>
std::string read_name(const char (&field)[N]) {
  return valid_utf8(std::string_view(field, strnlen(field, N)));
}

template <size_t N>
void write_field(char (&field)[N], const std::string& value) {
  std::string_view cut = utf8_prefix(value, N - 1);
  std::memcpy(field, cut.data(), cut.size());
  field[cut.size()] = '\0';
}

bool container_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

PodRecord PodRecord::from_abi(const tcpulse_pod_info& info) {
  PodRecord rec;
  rec.pod_namespace = read_name(info.pod_namespace);
  rec.pod_name = read_name(info.pod_name);
  rec.pod_uid = read_name(info.pod_uid);
  rec.container_id = read_field(info.container_id);
  rec.ifname = read_field(info.ifname);
  rec.network = read_name(info.network);
  rec.netns_ino = info.netns_ino;
  rec.added_unix_ns = info.added_unix_ns;
  rec.host_network = (info.flags & TCPULSE_POD_F_HOST_NETWORK) != 0;
  for (int i = 0; i < TCPULSE_POD_MAX_IPS; i++) {
    char text[INET6_ADDRSTRLEN] = {};
    int af = info.ip_family[i] == TCPULSE_AF_INET ? AF_INET
             : info.ip_family[i] == TCPULSE_AF_INET6 ? AF_INET6 : 0;
    if (af && inet_ntop(af, info.ips[i], text, sizeof(text))) rec.ips.emplace_back(text);
  }
  return rec;
}

tcpulse_pod_info PodRecord::to_abi() const {
  tcpulse_pod_info info{};
  write_field(info.pod_namespace, pod_namespace);
  write_field(info.pod_name, pod_name);
  write_field(info.pod_uid, pod_uid);
  write_field(info.container_id, container_id);
  write_field(info.ifname, ifname);
  write_field(info.network, network);
  info.netns_ino = netns_ino;
  info.added_unix_ns = added_unix_ns;
  info.flags = host_network ? TCPULSE_POD_F_HOST_NETWORK : 0;
  int slot = 0;
  for (const auto& ip : ips) {
    if (slot == TCPULSE_POD_MAX_IPS) break;
    if (inet_pton(AF_INET, ip.c_str(), info.ips[slot]) == 1)
      info.ip_family[slot++] = TCPULSE_AF_INET;
    else if (inet_pton(AF_INET6, ip.c_str(), info.ips[slot]) == 1)
      info.ip_family[slot++] = TCPULSE_AF_INET6;
  }
  return info;
}

nlohmann::json PodRecord::to_json() const {
  return {{"namespace", pod_namespace}, {"pod", pod_name},         {"pod_uid", pod_uid},
          {"container_id", container_id}, {"interface", ifname},   {"network", network},
          {"netns_ino", netns_ino},       {"added_unix_ns", added_unix_ns}, {"ips", ips}};
}

std::optional<PodRecord> PodRecord::from_json(const nlohmann::json& doc) {
  try {
    PodRecord r;
    r.pod_namespace = doc.at("namespace");
    r.pod_name = doc.at("pod");
    r.pod_uid = doc.at("pod_uid");
    r.container_id = doc.at("container_id");
    r.ifname = doc.contains("interface") ? doc.at("interface") : doc.at("ifname");
    r.network = doc.at("network");
    r.netns_ino = doc.at("netns_ino");
    r.added_unix_ns = doc.at("added_unix_ns");
    r.ips = doc.at("ips").get<std::vector<std::string>>();
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> PodRecord::unrecordable(const std::string& container_id,
                                                   const std::string& ifname) {
  if (container_id.empty() || container_id.size() >= TCPULSE_CONTAINER_ID_LEN)
    return "container id of " + std::to_string(container_id.size()) + " bytes (1 to " +
           std::to_string(TCPULSE_CONTAINER_ID_LEN - 1) + " recordable)";
  bool spec = container_id_char(container_id[0]) && container_id[0] != '_' &&
              container_id[0] != '.' && container_id[0] != '-';
  for (char c : container_id) spec = spec && container_id_char(c);
  if (!spec) return "container id outside the CNI spec's characters";
  if (ifname.size() >= TCPULSE_IFNAME_LEN || !is_valid_utf8(ifname))
    return "interface name is not a short UTF-8 string";
  return std::nullopt;
}

bool PodRecord::in_network(const std::string& name) const {
  return network == valid_utf8(utf8_prefix(name, TCPULSE_NETWORK_LEN - 1));
}

}  // namespace tcpulse
