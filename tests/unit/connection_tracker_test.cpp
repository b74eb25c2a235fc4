// The connection model: which records a connection gets over its life, and that their deltas add
// up to its totals whatever happens between them (expiry, a restart from the checkpoint).
#include "agent/connection_tracker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent/connection_checkpoint.h"
#include "agent/connection_record.h"

namespace tcpulse::agent {
namespace {

FlowKey key(uint16_t port) {
  FlowKey k;
  k.ifindex = 7;
  k.family = TCPULSE_AF_INET;
  k.local_port = htons(port);
  k.remote_port = htons(80);
  k.local_addr[0] = 10, k.local_addr[3] = 2;
  k.remote_addr[0] = 10, k.remote_addr[3] = 3;
  return k;
}

tcpulse_flow_stats flow(uint64_t first_seen, uint8_t state = TCPULSE_CONN_ESTABLISHED) {
  tcpulse_flow_stats f{};
  f.first_seen_ns = first_seen;
  f.role = TCPULSE_FLOW_ROLE_CLIENT;
  f.state = state;
  f.egress.events.syns = 1;
  return f;
}

void send(tcpulse_flow_stats& f, uint64_t bytes, uint64_t packets = 1) {
  f.egress.bytes += bytes;
  f.egress.packets += packets;
}

struct Recorded {
  std::string event;
  ConnectionCounters delta;
  CloseReason reason;
  ConnectionCounters total;
};

struct Log {
  std::vector<Recorded> records;
  ConnectionSink sink() {
    return [this](const ConnectionEvent& e) {
      records.push_back({e.event, e.delta, e.reason, e.connection.now});
    };
  }
  uint64_t egress_bytes_deltas() const {
    uint64_t sum = 0;
    for (const auto& r : records) sum += r.delta.dir[TCPULSE_DIR_EGRESS].bytes;
    return sum;
  }
  std::string events() const {
    std::string out;
    for (const auto& r : records) out += (out.empty() ? "" : ",") + r.event;
    return out;
  }
};

void collect(ConnectionTracker& t, Log& log, const std::vector<std::pair<FlowKey, tcpulse_flow_stats>>& flows) {
  t.begin_collection();
  for (const auto& [k, f] : flows) t.observe(k, f, log.sink());
  t.end_collection(log.sink());
}

TEST(ConnectionTracker, ALongConnectionIsOpenedReportedWhileItMovesAndClosedOnce) {
  ConnectionTracker t(true);
  Log log;
  auto f = flow(1000);
  send(f, 100);
  collect(t, log, {{key(1), f}});
  send(f, 200);
  collect(t, log, {{key(1), f}});
  collect(t, log, {{key(1), f}});  // nothing moved: no record
  send(f, 300);
  collect(t, log, {{key(1), f}});
  f.state = TCPULSE_CONN_CLOSED;
  send(f, 40);
  collect(t, log, {{key(1), f}});
  send(f, 52);  // the last ACK, after the close
  collect(t, log, {{key(1), f}});
  EXPECT_EQ(log.events(), "open,report,report,close");
  EXPECT_EQ(log.records[1].delta.dir[TCPULSE_DIR_EGRESS].bytes, 200u);
  EXPECT_EQ(log.records[3].reason, CloseReason::Fin);
  EXPECT_EQ(log.egress_bytes_deltas(), 640u) << "the deltas add up to the total at the close";
}

TEST(ConnectionTracker, AConnectionOpenedAndClosedBetweenTwoCollectionsGetsOneCloseWithEverything) {
  ConnectionTracker t(true);
  Log log;
  auto f = flow(1000, TCPULSE_CONN_CLOSED);
  send(f, 500, 5);
  collect(t, log, {{key(2), f}});
  ASSERT_EQ(log.events(), "close");
  EXPECT_EQ(log.records[0].delta.dir[TCPULSE_DIR_EGRESS].bytes, 500u);
  EXPECT_EQ(log.records[0].delta.dir[TCPULSE_DIR_EGRESS].packets, 5u);
}

TEST(ConnectionTracker, AResetCloseSaysSo) {
  ConnectionTracker t(true);
  Log log;
  auto f = flow(1000);
  collect(t, log, {{key(3), f}});
  f.state = TCPULSE_CONN_CLOSED;
  f.ingress.events.rsts = 1;
  collect(t, log, {{key(3), f}});
  ASSERT_EQ(log.events(), "open,close");
  EXPECT_EQ(log.records[1].reason, CloseReason::Reset);
}

TEST(ConnectionTracker, AnExpiringFlowIsClosedWithItsLastCountsEvenIfNeverCollected) {
  ConnectionTracker t(true);
  Log log;
  auto seen = flow(1000);
  send(seen, 10);
  collect(t, log, {{key(4), seen}});
  send(seen, 15);
  t.expire(key(4), seen, CloseReason::Idle, log.sink());
  auto unseen = flow(2000, TCPULSE_CONN_CLOSED);
  send(unseen, 70);
  t.expire(key(5), unseen, CloseReason::Idle, log.sink());
  ASSERT_EQ(log.events(), "open,close,close");
  EXPECT_EQ(log.records[1].reason, CloseReason::Idle);
  EXPECT_EQ(log.records[1].delta.dir[TCPULSE_DIR_EGRESS].bytes, 15u);
  EXPECT_EQ(log.records[2].reason, CloseReason::Fin) << "closed before it expired: the flow says how";
  EXPECT_EQ(log.records[2].delta.dir[TCPULSE_DIR_EGRESS].bytes, 70u);
  EXPECT_TRUE(t.connections().empty());
}

TEST(ConnectionTracker, AReusedKeyIsANewConnection) {
  ConnectionTracker t(true);
  Log log;
  auto first = flow(1000, TCPULSE_CONN_CLOSED);
  send(first, 10);
  collect(t, log, {{key(6), first}});
  auto second = flow(5000);
  send(second, 3);
  collect(t, log, {{key(6), second}});
  ASSERT_EQ(log.events(), "close,open");
  EXPECT_EQ(log.records[1].delta.dir[TCPULSE_DIR_EGRESS].bytes, 3u);
}

TEST(ConnectionTracker, AConnectionRemovedBehindTheAgentsBackIsClosedAsRemoved) {
  ConnectionTracker t(true);
  Log log;
  collect(t, log, {{key(7), flow(1000)}});
  collect(t, log, {});
  ASSERT_EQ(log.events(), "open,close");
  EXPECT_EQ(log.records[1].reason, CloseReason::Removed);
  EXPECT_TRUE(t.connections().empty());
}

TEST(ConnectionTracker, ARestartFromTheCheckpointGoesOnWithoutASecondOpenOrALostDelta) {
  auto path = std::filesystem::temp_directory_path() / ("tcpulse-ckpt-" + std::to_string(getpid()));
  Log log;
  auto f = flow(1000);
  send(f, 100);
  {
    ConnectionTracker before(true);
    collect(before, log, {{key(8), f}});
    send(f, 50);
    collect(before, log, {{key(8), f}});
    ASSERT_TRUE(save_checkpoint(path, before));
  }
  send(f, 25);  // while no agent ran
  ConnectionTracker after(true);
  for (const auto& c : load_checkpoint(path)) after.restore(c);
  std::filesystem::remove(path);
  f.state = TCPULSE_CONN_CLOSED;
  collect(after, log, {{key(8), f}});
  EXPECT_EQ(log.events(), "open,report,close");
  EXPECT_EQ(log.records[2].delta.dir[TCPULSE_DIR_EGRESS].bytes, 25u);
  EXPECT_EQ(log.egress_bytes_deltas(), 175u);
}

TEST(ConnectionTracker, ACheckpointOfAnotherFormatIsIgnored) {
  auto path = std::filesystem::temp_directory_path() / ("tcpulse-ckpt-bad-" + std::to_string(getpid()));
  {
    std::FILE* out = std::fopen(path.c_str(), "w");
    std::fputs("tcpckpt0 not a checkpoint", out);
    std::fclose(out);
  }
  EXPECT_TRUE(load_checkpoint(path).empty());
  std::filesystem::remove(path);
  EXPECT_TRUE(load_checkpoint(path).empty()) << "a missing one too";
}

TEST(ConnectionTracker, WithoutRecordsTheModelIsKeptAndNothingIsWritten) {
  ConnectionTracker t(false);
  Log log;
  auto f = flow(1000);
  send(f, 100);
  collect(t, log, {{key(9), f}});
  send(f, 100);
  collect(t, log, {{key(9), f}});
  EXPECT_TRUE(log.records.empty());
  ASSERT_EQ(t.connections().size(), 1u);
  EXPECT_EQ(t.connections().begin()->interval_bytes, 100u);
}

TEST(ConnectionRecord, HasTheDocumentedKeys) {
  ConnectionTracker t(true);
  std::vector<std::string> lines;
  PodRecord pod;
  pod.pod_namespace = "shop";
  pod.pod_name = "cart";
  pod.pod_uid = "u-1";
  pod.container_id = "c1";
  PeerPod peer{"shop", "db"};
  RecordClock clock{1'800'000'000'000'000'000ULL, 10'000'000'000ULL};
  auto f = flow(4'000'000'000ULL);
  send(f, 1000, 10);
  f.ingress.events.retrans_segs = 2;
  f.rtt_count = 2;
  f.rtt_sum_ns = 3'000'000;
  f.rtt_min_ns = 1'000'000;
  f.rtt_max_ns = 2'000'000;
  f.handshake_rtt_ns = 500'000;
  t.begin_collection();
  t.observe(key(10), f, [&](const ConnectionEvent& e) {
    lines.push_back(connection_record_line(e, clock, &pod, &peer));
  });
  ASSERT_EQ(lines.size(), 1u);
  auto r = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(r["event"], "open");
  EXPECT_EQ(r["time"], "2027-01-15T08:00:00.000000000Z");
  EXPECT_EQ(r["start"], "2027-01-15T07:59:54.000000000Z");
  EXPECT_DOUBLE_EQ(r["duration_s"].get<double>(), 6.0);
  EXPECT_EQ(r["namespace"], "shop");
  EXPECT_EQ(r["pod"], "cart");
  EXPECT_EQ(r["pod_uid"], "u-1");
  EXPECT_EQ(r["container_id"], "c1");
  EXPECT_EQ(r["local"], "10.0.0.2:10");
  EXPECT_EQ(r["remote"], "10.0.0.3:80");
  EXPECT_EQ(r["family"], "ipv4");
  EXPECT_EQ(r["role"], "client");
  EXPECT_EQ(r["state"], "established");
  EXPECT_EQ(r["peer_namespace"], "shop");
  EXPECT_EQ(r["peer_pod"], "db");
  for (const char* dir : {"egress", "ingress"})
    for (const char* k : {"bytes", "bytes_delta", "packets", "packets_delta", "payload_bytes",
                          "payload_bytes_delta", "retrans_segments", "retrans_segments_delta",
                          "retrans_bytes", "retrans_bytes_delta", "resets", "resets_delta",
                          "zero_windows", "zero_windows_delta"})
      EXPECT_TRUE(r[dir].contains(k)) << dir << "." << k;
  EXPECT_EQ(r["egress"]["bytes_delta"], 1000);
  EXPECT_EQ(r["ingress"]["retrans_segments"], 2);
  EXPECT_DOUBLE_EQ(r["rtt"]["min_us"].get<double>(), 1000.0);
  EXPECT_DOUBLE_EQ(r["rtt"]["mean_us"].get<double>(), 1500.0);
  EXPECT_DOUBLE_EQ(r["rtt"]["max_us"].get<double>(), 2000.0);
  EXPECT_EQ(r["rtt"]["samples"], 2);
  EXPECT_DOUBLE_EQ(r["handshake_rtt_us"].get<double>(), 500.0);
  EXPECT_EQ(r["syn_retries"], 0);
}

TEST(ConnectionRecord, Ipv6EndpointsAreBracketed) {
  uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8};
  addr[15] = 1;
  EXPECT_EQ(endpoint_text(TCPULSE_AF_INET6, addr, htons(443)), "[2001:db8::1]:443");
}

}  // namespace
}  // namespace tcpulse::agent
