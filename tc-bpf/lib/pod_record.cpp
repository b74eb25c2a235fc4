#include "tc-bpf/lib/pod_record.h"

#include <arpa/inet.h>

#include <cstring>

namespace tcpulse {

namespace {

template <size_t N>
std::string read_field(const char (&field)[N]) {
  return std::string(field, strnlen(field, N));
}

template <size_t N>
void write_field(char (&field)[N], const std::string& value) {
  size_t len = std::min(value.size(), N - 1);
  std::memcpy(field, value.data(), len);
  field[len] = '\0';
}

}  // namespace

PodRecord PodRecord::from_abi(const tcpulse_pod_info& info) {
  PodRecord rec;
  rec.pod_namespace = read_field(info.pod_namespace);
  rec.pod_name = read_field(info.pod_name);
  rec.pod_uid = read_field(info.pod_uid);
  rec.container_id = read_field(info.container_id);
  rec.ifname = read_field(info.ifname);
  rec.network = read_field(info.network);
  rec.netns_ino = info.netns_ino;
  rec.added_unix_ns = info.added_unix_ns;
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

}  // namespace tcpulse
