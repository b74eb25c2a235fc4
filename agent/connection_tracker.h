// ConnectionTracker: the agent's model of every pod connection in the flow table, updated once per
// collection, and the source of connection records. Each connection keeps what its last record
// said (`recorded`), so a record's deltas are exactly what moved since the one before: records and
// metrics come from the same reads and never disagree.
//   open    first seen (not yet closed): role, handshake RTT, everything counted so far
//   report  each collection in which an open connection moved
//   close   FIN both ways, RST, or removed from the table (idle, its pod gone): once, with the
//           deltas since the last record; a connection opened and closed between two collections
//           gets this record only
// The agent removes a flow from the table only through expire(), which writes its close record
// first: no connection leaves without one. Pure bookkeeping, no I/O: records go to a sink.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

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

struct ConnectionIdHash {
  size_t operator()(const ConnectionId& id) const;
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

  // Connection attempts beyond the first: repeated SYNs (client) or SYN/ACKs (server).
  uint64_t syn_retries() const;
};

// A record to write: the connection, the event, and what changed since its last record.
struct ConnectionEvent {
  const char* event;  // "open", "report", "close"
  const Connection& connection;
  ConnectionCounters delta;
  CloseReason reason = CloseReason::None;
};

using ConnectionSink = std::function<void(const ConnectionEvent&)>;
// What a connection counted since the collection before (all of it, when first seen).
using DeltaSink = std::function<void(const Connection&, const ConnectionCounters& delta)>;

// Where a connection ended, from its flow.
CloseReason close_reason_of(const tcpulse_flow_stats& flow);

class ConnectionTracker {
 public:
  // records: whether to generate records (the connection log is on); the model is kept either way.
  explicit ConnectionTracker(bool records) : records_(records) {}

  void begin_collection() { generation_++; }
  // A flow of a pod, as read now: updates its connection and writes what is due to the sink.
  void observe(const FlowKey& key, const tcpulse_flow_stats& flow, const ConnectionSink& sink,
               const DeltaSink& on_delta = {});
  // After every flow was observed: connections no longer in the table (removed behind the
  // agent's back: another agent's cleanup) get their close record ("removed") and are forgotten.
  void end_collection(const ConnectionSink& sink);
  // The agent is about to remove this flow from the table: its close record, if not written yet.
  void expire(const FlowKey& key, const tcpulse_flow_stats& flow, CloseReason reason,
              const ConnectionSink& sink, const DeltaSink& on_delta = {});

  const std::unordered_map<ConnectionId, Connection, ConnectionIdHash>& connections() const {
    return connections_;
  }
  // What the last records of connections said, to carry over a restart (connection_checkpoint.h).
  void restore(Connection c) { connections_.emplace(c.id, std::move(c)); }

 private:
  Connection& update(const FlowKey& key, const tcpulse_flow_stats& flow, bool* is_new,
                     const DeltaSink& on_delta);
  void emit(Connection& c, const char* event, CloseReason reason, const ConnectionSink& sink);

  bool records_;
  uint32_t generation_ = 0;
  std::unordered_map<ConnectionId, Connection, ConnectionIdHash> connections_;
};

}  // namespace tcpulse::agent
