// A connection record as one JSON line (the connection log's format; every key is documented in
// the README under "Connection records").
#pragma once

#include <cstdint>
#include <string>

#include "agent/connection_tracker.h"
#include "tc-bpf/lib/pod_record.h"

namespace tcpulse::agent {

// When the record is written, on both clocks: connections are stamped with CLOCK_MONOTONIC
// (coarse), records with the wall clock.
struct RecordClock {
  uint64_t unix_ns = 0;
  uint64_t monotonic_ns = 0;
  // The wall-clock time of a monotonic stamp.
  uint64_t unix_of(uint64_t mono_ns) const {
    return mono_ns >= monotonic_ns ? unix_ns + (mono_ns - monotonic_ns)
                                   : unix_ns - (monotonic_ns - mono_ns);
  }
};

struct PeerPod {
  std::string pod_namespace;
  std::string pod_name;
};

// pod: the connection's pod (nullptr: unknown, the keys are empty strings); peer: the pod on this
// node that holds the remote address, if any.
std::string connection_record_line(const ConnectionEvent& event, const RecordClock& clock,
                                   const PodRecord* pod, const PeerPod* peer);

// enum tcpulse_flow_role and enum tcpulse_conn_state as records and /flows spell them.
const char* flow_role_name(uint8_t role);
const char* connection_state_name(uint8_t state);

// RFC 3339 in UTC with nanoseconds: 2026-12-02T07:06:23.123456789Z.
std::string rfc3339_ns(uint64_t unix_ns);
// A flow key's address as text (IPv4 or IPv6, by family).
std::string address_text(uint8_t family, const uint8_t* addr);
// "addr:port", IPv6 in brackets.
std::string endpoint_text(uint8_t family, const uint8_t* addr, uint16_t port_network_order);

}  // namespace tcpulse::agent
