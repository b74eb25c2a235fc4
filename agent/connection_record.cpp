#include "agent/connection_record.h"

#include <arpa/inet.h>
#include <time.h>

#include <cstdio>

#include <nlohmann/json.hpp>

namespace tcpulse::agent {

namespace {

using Json = nlohmann::ordered_json;

Json direction(const DirCounters& total, const DirCounters& delta) {
  return Json{{"bytes", total.bytes},
              {"bytes_delta", delta.bytes},
              {"packets", total.packets},
              {"packets_delta", delta.packets},
              {"payload_bytes", total.payload_bytes},
              {"payload_bytes_delta", delta.payload_bytes},
              {"retrans_segments", total.retrans_segments},
              {"retrans_segments_delta", delta.retrans_segments},
              {"retrans_bytes", total.retrans_bytes},
              {"retrans_bytes_delta", delta.retrans_bytes},
              {"resets", total.resets},
              {"resets_delta", delta.resets},
              {"zero_windows", total.zero_windows},
              {"zero_windows_delta", delta.zero_windows}};
}

double us(uint64_t ns) { return static_cast<double>(ns) / 1e3; }

}  // namespace

const char* flow_role_name(uint8_t role) {
  return role == TCPULSE_FLOW_ROLE_CLIENT   ? "client"
         : role == TCPULSE_FLOW_ROLE_SERVER ? "server"
                                            : "unknown";
}

const char* connection_state_name(uint8_t state) {
  switch (state) {
    case TCPULSE_CONN_MIDSTREAM: return "midstream";
    case TCPULSE_CONN_SYN: return "syn";
    case TCPULSE_CONN_ESTABLISHED: return "established";
    case TCPULSE_CONN_CLOSED: return "closed";
  }
  return "unknown";
}

std::string rfc3339_ns(uint64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000ULL);
  tm utc{};
  gmtime_r(&secs, &utc);
  char text[48];
  snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", utc.tm_year + 1900,
           utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
           static_cast<unsigned long long>(unix_ns % 1'000'000'000ULL));
  return text;
}

std::string address_text(uint8_t family, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family == TCPULSE_AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
  return text;
}

std::string endpoint_text(uint8_t family, const uint8_t* addr, uint16_t port_network_order) {
  std::string port = std::to_string(ntohs(port_network_order));
  return family == TCPULSE_AF_INET6 ? "[" + address_text(family, addr) + "]:" + port
                                    : address_text(family, addr) + ":" + port;
}

std::string connection_record_line(const ConnectionEvent& event, const RecordClock& clock,
                                   const PodRecord* pod, const PeerPod* peer) {
  const Connection& c = event.connection;
  const FlowKey& k = c.id.key;
  uint64_t end_mono = event.reason != CloseReason::None ? c.last_seen_ns : clock.monotonic_ns;
  uint64_t duration = end_mono > c.id.first_seen_ns ? end_mono - c.id.first_seen_ns : 0;
  const ConnectionCounters& d = event.delta;
  Json rtt = {{"samples", c.now.rtt_samples},
              {"samples_delta", d.rtt_samples},
              {"min_us", us(c.rtt_min_ns)},
              {"mean_us", c.now.rtt_samples ? us(c.now.rtt_sum_ns / c.now.rtt_samples) : 0.0},
              {"max_us", us(c.rtt_max_ns)},
              {"period_mean_us", d.rtt_samples ? us(d.rtt_sum_ns / d.rtt_samples) : 0.0}};
  Json out = {{"event", event.event},
              {"time", rfc3339_ns(clock.unix_ns)},
              {"start", rfc3339_ns(clock.unix_of(c.id.first_seen_ns))},
              {"duration_s", static_cast<double>(duration) / 1e9},
              {"namespace", pod ? pod->pod_namespace : ""},
              {"pod", pod ? pod->pod_name : ""},
              {"pod_uid", pod ? pod->pod_uid : ""},
              {"container_id", pod ? pod->container_id : ""},
              {"family", k.family == TCPULSE_AF_INET6 ? "ipv6" : "ipv4"},
              {"local", endpoint_text(k.family, k.local_addr, k.local_port)},
              {"remote", endpoint_text(k.family, k.remote_addr, k.remote_port)},
              {"role", flow_role_name(c.role)},
              {"state", connection_state_name(c.state)}};
  if (event.reason != CloseReason::None) out["reason"] = close_reason_name(event.reason);
  if (peer) {
    out["peer_namespace"] = peer->pod_namespace;
    out["peer_pod"] = peer->pod_name;
  }
  out["egress"] = direction(c.now.dir[TCPULSE_DIR_EGRESS], d.dir[TCPULSE_DIR_EGRESS]);
  out["ingress"] = direction(c.now.dir[TCPULSE_DIR_INGRESS], d.dir[TCPULSE_DIR_INGRESS]);
  out["rtt"] = std::move(rtt);
  out["handshake_rtt_us"] = us(c.handshake_rtt_ns);
  out["syn_retries"] = c.syn_retries();
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tcpulse::agent
