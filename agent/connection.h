// A connection as the agent's model keeps it: what it counted at the last collection and at its
// last record, and what it is (ConnectionId: its flow key while one flow holds it).
#pragma once

#include <cstdint>

#include "tc-bpf/lib/flow_key.h"
#include "tcpulse/abi.h"

namespace tcpulse::agent {

// What a direction of a connection has counted (the pod's view).
struct DirCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t payload_bytes = 0;
  uint64_t retrans_segments = 0;
  uint64_t retrans_bytes = 0;
  uint64_t resets = 0;
  uint64_t zero_windows = 0;
  bool operator==(const DirCounters&) const = default;
};

struct ConnectionCounters {
  DirCounters dir[TCPULSE_DIR_COUNT];
  uint64_t rtt_samples = 0;
  uint64_t rtt_sum_ns = 0;
  bool operator==(const ConnectionCounters&) const = default;
};

ConnectionCounters connection_counters(const tcpulse_flow_stats& flow);
// a - b field by field; a field that went back (never, from one flow) counts 0.
ConnectionCounters counters_delta(const ConnectionCounters& a, const ConnectionCounters& b);

// A connection in the flow table is the flow key while the same flow holds it: a key reused after
// an expiry is a new connection (another first_seen_ns).
struct ConnectionId {
  FlowKey key;
  uint64_t first_seen_ns = 0;
  bool operator==(const ConnectionId&) const = default;
};

enum class CloseReason { None, Fin, Reset, Idle, PodGone, Removed };
const char* close_reason_name(CloseReason reason);

// One connection as last read.
struct Connection {
  ConnectionId id;
  ConnectionCounters now;       // at the last collection
  ConnectionCounters recorded;  // at the last record written
  uint64_t last_seen_ns = 0;    // CLOCK_MONOTONIC (coarse), like first_seen
  uint64_t interval_bytes = 0;  // both ways, since the collection before
  uint32_t rtt_min_ns = 0, rtt_max_ns = 0, handshake_rtt_ns = 0;
  uint16_t syns[TCPULSE_DIR_COUNT] = {};
  uint8_t dir_flags[TCPULSE_DIR_COUNT] = {};
  uint8_t wscale[TCPULSE_DIR_COUNT] = {};
  uint8_t role = TCPULSE_FLOW_ROLE_UNKNOWN;  // enum tcpulse_flow_role
  uint8_t state = TCPULSE_CONN_MIDSTREAM;    // enum tcpulse_conn_state
  bool opened = false;  // an open (or close) record was written
  bool closed = false;  // the close record was written
  uint32_t generation = 0;  // the last collection that saw it
  uint32_t pod_key = 0;     // the pod it counts under (flow_owner)

  // Connection attempts beyond the first: repeated SYNs (client) or SYN/ACKs (server).
  uint64_t syn_retries() const;
};

}  // namespace tcpulse::agent
