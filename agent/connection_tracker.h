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
#include <vector>

#include "agent/connection.h"
#include "agent/connection_table.h"

namespace tcpulse::agent {

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

  const ConnectionTable& connections() const { return connections_; }
  // What the last records of connections said, to carry over a restart (connection_checkpoint.h).
  void restore(const Connection& c);

 private:
  Connection& update(const FlowKey& key, const tcpulse_flow_stats& flow, bool* is_new,
                     const DeltaSink& on_delta);
  void emit(Connection& c, const char* event, CloseReason reason, const ConnectionSink& sink);

  bool records_;
  uint32_t generation_ = 0;
  ConnectionTable connections_;
};

}  // namespace tcpulse::agent
