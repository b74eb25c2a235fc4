#include "agent/connection_tracker.h"

#include "tc-bpf/lib/pod_ledger.h"

#include "agent/datapath_maps.h"

namespace tcpulse::agent {

namespace {

DirCounters dir_counters(const tcpulse_flow_dir& d) {
  return {d.packets,         d.bytes,         tcpulse_flow_payload_bytes(&d),
          d.events.retrans_segs, d.events.retrans_bytes, d.events.rsts,
          d.events.zero_windows};
}

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

DirCounters dir_delta(const DirCounters& a, const DirCounters& b) {
  return {minus(a.packets, b.packets),
          minus(a.bytes, b.bytes),
          minus(a.payload_bytes, b.payload_bytes),
          minus(a.retrans_segments, b.retrans_segments),
          minus(a.retrans_bytes, b.retrans_bytes),
          minus(a.resets, b.resets),
          minus(a.zero_windows, b.zero_windows)};
}

}  // namespace

ConnectionCounters connection_counters(const tcpulse_flow_stats& flow) {
  ConnectionCounters c;
  c.dir[TCPULSE_DIR_EGRESS] = dir_counters(flow.egress);
  c.dir[TCPULSE_DIR_INGRESS] = dir_counters(flow.ingress);
  c.rtt_samples = flow.rtt_count;
  c.rtt_sum_ns = flow.rtt_sum_ns;
  return c;
}

ConnectionCounters counters_delta(const ConnectionCounters& a, const ConnectionCounters& b) {
  ConnectionCounters d;
  for (int i = 0; i < TCPULSE_DIR_COUNT; i++) d.dir[i] = dir_delta(a.dir[i], b.dir[i]);
  d.rtt_samples = minus(a.rtt_samples, b.rtt_samples);
  d.rtt_sum_ns = minus(a.rtt_sum_ns, b.rtt_sum_ns);
  return d;
}

const char* close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::None: return "";
    case CloseReason::Fin: return "fin";
    case CloseReason::Reset: return "reset";
    case CloseReason::Idle: return "idle";
    case CloseReason::PodGone: return "pod_deleted";
    case CloseReason::Removed: return "removed";
  }
  return "";
}

CloseReason close_reason_of(const tcpulse_flow_stats& flow) {
  if (flow.egress.events.rsts || flow.ingress.events.rsts) return CloseReason::Reset;
  return CloseReason::Fin;
}

uint64_t Connection::syn_retries() const {
  // Both roles' attempts leave the pod: the client's SYNs, the server's SYN/ACKs.
  uint16_t sent = syns[TCPULSE_DIR_EGRESS];
  return role == TCPULSE_FLOW_ROLE_UNKNOWN || sent == 0 ? 0 : sent - 1u;
}

Connection& ConnectionTracker::update(const FlowKey& key, const tcpulse_flow_stats& flow,
                                      bool* is_new, const DeltaSink& on_delta) {
  Connection& c = connections_.find_or_insert(ConnectionId{key, flow.first_seen_ns}, is_new);
  ConnectionCounters now = connection_counters(flow), previous = c.now;
  c.interval_bytes = minus(now.dir[0].bytes + now.dir[1].bytes, c.now.dir[0].bytes + c.now.dir[1].bytes);
  c.now = now;
  c.last_seen_ns = flow_last_seen_ns(flow);
  c.rtt_min_ns = flow.rtt_min_ns;
  c.rtt_max_ns = flow.rtt_max_ns;
  c.handshake_rtt_ns = flow.handshake_rtt_ns;
  c.syns[TCPULSE_DIR_EGRESS] = static_cast<uint16_t>(flow.egress.events.syns);
  c.syns[TCPULSE_DIR_INGRESS] = static_cast<uint16_t>(flow.ingress.events.syns);
  c.dir_flags[TCPULSE_DIR_EGRESS] = flow.egress.flags;
  c.dir_flags[TCPULSE_DIR_INGRESS] = flow.ingress.flags;
  c.wscale[TCPULSE_DIR_EGRESS] = flow.egress.wscale;
  c.wscale[TCPULSE_DIR_INGRESS] = flow.ingress.wscale;
  c.role = flow.role;
  c.state = flow.state;
  c.generation = generation_;
  c.pod_key = flow_owner(key.ifindex, flow);
  if (on_delta) on_delta(c, counters_delta(c.now, previous));
  return c;
}

void ConnectionTracker::emit(Connection& c, const char* event, CloseReason reason,
                             const ConnectionSink& sink) {
  if (records_ && sink) sink(ConnectionEvent{event, c, counters_delta(c.now, c.recorded), reason});
  c.recorded = c.now;
  c.opened = true;
  if (reason != CloseReason::None) c.closed = true;
}

void ConnectionTracker::observe(const FlowKey& key, const tcpulse_flow_stats& flow,
                                const ConnectionSink& sink, const DeltaSink& on_delta) {
  bool is_new = false;
  Connection& c = update(key, flow, &is_new, on_delta);
  if (c.closed) return;  // a last ACK after the close is not news
  if (flow.state == TCPULSE_CONN_CLOSED) emit(c, "close", close_reason_of(flow), sink);
  else if (!c.opened) emit(c, "open", CloseReason::None, sink);
  else if (c.now != c.recorded) emit(c, "report", CloseReason::None, sink);
}

void ConnectionTracker::end_collection(const ConnectionSink& sink) {
  connections_.erase_if([&](Connection& c) {
    if (c.generation == generation_) return false;
    if (!c.closed) emit(c, "close", CloseReason::Removed, sink);
    return true;
  });
}

void ConnectionTracker::restore(const Connection& c) {
  bool inserted = false;
  connections_.find_or_insert(c.id, &inserted) = c;
}

void ConnectionTracker::expire(const FlowKey& key, const tcpulse_flow_stats& flow,
                               CloseReason reason, const ConnectionSink& sink,
                               const DeltaSink& on_delta) {
  bool is_new = false;
  Connection& c = update(key, flow, &is_new, on_delta);
  if (!c.closed)
    emit(c, "close", flow.state == TCPULSE_CONN_CLOSED ? close_reason_of(flow) : reason, sink);
  connections_.erase(ConnectionId(c.id));
}

}  // namespace tcpulse::agent
