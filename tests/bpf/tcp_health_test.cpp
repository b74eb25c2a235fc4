// TCP health in the datapath under BPF_PROG_TEST_RUN: segment sequences through both programs
// with a mock clock, and assertions on the flow and the pod's totals, one signal at a time.
#include <gtest/gtest.h>

#include "tcpulse/abi.h"
#include "tests/support/datapath_fixture.h"
#include "tests/support/packet_builder.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

constexpr int E = TCPULSE_DIR_EGRESS;   // sent by the pod
constexpr int I = TCPULSE_DIR_INGRESS;  // received by the pod
constexpr uint64_t US = 1000;
constexpr uint8_t SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;

// One connection between the pod and a peer; out() is what the pod sends, in() what it receives.
struct Conn {
  std::string pod = "10.0.0.1", peer = "10.0.0.2";
  uint16_t pod_port = 40000, peer_port = 80;
  bool v6 = false;
  PacketBuilder out() const {
    PacketBuilder b;
    v6 ? b.ipv6(pod, peer) : b.ipv4(pod, peer);
    return b.tcp(pod_port, peer_port);
  }
  PacketBuilder in() const {
    PacketBuilder b;
    v6 ? b.ipv6(peer, pod) : b.ipv4(peer, pod);
    return b.tcp(peer_port, pod_port);
  }
  FlowKey key() const { return tcp_flow_key(v6, pod, pod_port, peer, peer_port); }
};

// Every case runs twice: headers read in place, and from copies.
class TcpHealth : public ParamDatapathFixture {
 protected:

  // Sends one segment through the program for `dir` at time `at_ns` (+1 s: the monotonic clock is
  // never 0 on a real system, and the datapath uses 0 as "no sample outstanding").
  void at(uint64_t at_ns, int dir, const PacketBuilder& b) {
    dut_->set_time(at_ns + 1'000'000'000ULL);
    ASSERT_EQ(dut_->run(dir, b.build()), -1);  // TC_ACT_UNSPEC: never changes the verdict
  }
  tcpulse_flow_stats flow(const Conn& c) {
    auto f = dut_->flow(c.key());
    EXPECT_TRUE(f) << "no flow";
    return f.value_or(tcpulse_flow_stats{});
  }

  // The client-side handshake: SYN at t, SYN/ACK at t + rtt, ACK right after. Sequence numbers
  // start at pod_isn / peer_isn, so data starts at pod_isn + 1 and peer_isn + 1.
  void client_handshake(const Conn& c, uint64_t t, uint64_t rtt, uint32_t pod_isn = 1000,
                        uint32_t peer_isn = 5000) {
    at(t, E, c.out().flags(SYN).seq(pod_isn).timestamps(10, 0).window_scale(7));
    at(t + rtt, I, c.in().flags(SYN).seq(peer_isn).ack(pod_isn + 1).timestamps(500, 10).window_scale(9));
    at(t + rtt + 1 * US, E, c.out().seq(pod_isn + 1).ack(peer_isn + 1).timestamps(11, 500));
  }
};

int bucket_of(uint64_t ns) {  // the histogram bucket the ABI defines, computed independently
  for (int i = 0; i < TCPULSE_RTT_BUCKETS - 1; i++)
    if (ns <= TCPULSE_RTT_BUCKET0_NS * (1ULL << i)) return i;
  return TCPULSE_RTT_BUCKETS - 1;
}

TEST_P(TcpHealth, ClientHandshakeWithTimestampsAndWindowScale) {
  Conn c;
  client_handshake(c, 1'000 * US, 300 * US);
  auto f = flow(c);
  EXPECT_EQ(f.role, TCPULSE_FLOW_ROLE_CLIENT);
  EXPECT_EQ(f.state, TCPULSE_CONN_ESTABLISHED);
  EXPECT_EQ(f.handshake_rtt_ns, 300 * US);
  EXPECT_EQ(f.egress.wscale, 7);
  EXPECT_EQ(f.ingress.wscale, 9);
  EXPECT_TRUE(f.egress.flags & TCPULSE_DIRF_WSCALE);
  auto p = pod();
  EXPECT_EQ(p.opened[TCPULSE_ROLE_CLIENT], 1u);
  EXPECT_EQ(p.opened[TCPULSE_ROLE_SERVER], 0u);
  EXPECT_EQ(p.handshake_rtt_sum_ns[TCPULSE_ROLE_CLIENT], 300 * US);
  EXPECT_EQ(p.handshake_rtt_buckets[TCPULSE_ROLE_CLIENT][bucket_of(300 * US)], 1u);
  EXPECT_EQ(bucket_of(300 * US), 4);  // (200 us, 400 us]
  EXPECT_EQ(p.syn_retries, 0u);
}

TEST_P(TcpHealth, ServerHandshakeWithoutTimestamps) {
  Conn c;
  at(0, I, c.in().flags(SYN).seq(7000));
  at(50 * US, E, c.out().flags(SYN).seq(100).ack(7001));
  at(250 * US, I, c.in().seq(7001).ack(101));
  auto f = flow(c);
  EXPECT_EQ(f.role, TCPULSE_FLOW_ROLE_SERVER);
  EXPECT_EQ(f.state, TCPULSE_CONN_ESTABLISHED);
  EXPECT_EQ(f.handshake_rtt_ns, 200 * US);
  EXPECT_FALSE(f.egress.flags & TCPULSE_DIRF_WSCALE);
  EXPECT_EQ(f.rtt_count, 0u);  // no timestamps, no continuous RTT
  EXPECT_EQ(pod().opened[TCPULSE_ROLE_SERVER], 1u);
}

TEST_P(TcpHealth, SynRetryIsCountedAndHandshakeTimedFromTheLastSyn) {
  Conn c;
  at(0, E, c.out().flags(SYN).seq(1000));
  at(1'000'000 * US, E, c.out().flags(SYN).seq(1000));  // the first was lost: retry after 1 s
  at(1'000'000 * US + 120 * US, I, c.in().flags(SYN).seq(5000).ack(1001));
  EXPECT_EQ(pod().syn_retries, 1u);
  EXPECT_EQ(flow(c).handshake_rtt_ns, 120 * US);
  EXPECT_EQ(flow(c).egress.events.syns, 2u);
}

TEST_P(TcpHealth, AReceiverSamplesRttFromItsAcksWhileTheSenderIsSending) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  uint64_t t = 10'000 * US;
  // The peer sends; the pod only ACKs. Data the peer sent before the ACK reached it arrives after
  // the ACK left (its pipe was full); its next segment, sent on receiving the ACK, echoes it.
  at(t, I, c.in().seq(5001).ack(1001).timestamps(600, 90).payload(2000));
  at(t + 10 * US, E, c.out().seq(1001).ack(7001).timestamps(100, 600));
  at(t + 15 * US, I, c.in().seq(7001).ack(1001).timestamps(600, 90).payload(2000));
  at(t + 310 * US, I, c.in().seq(9001).ack(1001).timestamps(601, 100).payload(2000));
  EXPECT_EQ(flow(c).rtt_count, 2u) << "the SYN's and the ACK's";
  EXPECT_EQ(flow(c).rtt_max_ns, 300 * US);
  // An ACK after which nothing came until the echo: the sender may have been idle meanwhile.
  t += 20'000 * US;
  at(t, E, c.out().seq(1001).ack(11001).timestamps(120, 601));
  at(t + 900'000 * US, I, c.in().seq(11001).ack(1001).timestamps(700, 120).payload(100));
  EXPECT_EQ(flow(c).rtt_count, 2u);
  // Confirmed, but echoed by a pure ACK (its timing is the peer's delayed-ACK logic): none either.
  t += 50'000 * US;
  at(t, E, c.out().seq(1001).ack(11301).timestamps(180, 730));
  at(t + 5 * US, I, c.in().seq(11301).ack(1001).timestamps(730, 125).payload(100));
  at(t + 200 * US, I, c.in().seq(11401).ack(1001).timestamps(731, 180));
  EXPECT_EQ(flow(c).rtt_count, 2u);
}

TEST_P(TcpHealth, AReceiverOfABulkTransferSamplesAtTheRateLimit) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  // The peer sends 1 segment every 50 us; the pod ACKs every second one at once. The path's RTT
  // is 2 ms: the peer's segment sent at time s echoes the pod's ACK TSval of time s - 2 ms.
  constexpr uint64_t kRtt = 2'000 * US, kStart = 10'000 * US;
  uint32_t seq = 5001, ack_seq = 5001;
  auto ms = [](uint64_t ns) { return static_cast<uint32_t>(ns / 1'000'000); };
  for (uint64_t now = kStart; now < kStart + 200'000 * US; now += 50 * US) {
    uint32_t echo = now - kRtt >= kStart ? 1000 + ms(now - kRtt) : 11;
    at(now, I, c.in().seq(seq).ack(1001).timestamps(ms(now) + 7000, echo).payload(1000));
    seq += 1000;
    if ((seq / 1000) % 2 == 0) {
      ack_seq = seq;
      at(now + 1 * US, E, c.out().seq(1001).ack(ack_seq).timestamps(1000 + ms(now), ms(now) + 7000));
    }
  }
  auto f = flow(c);
  EXPECT_GE(f.rtt_count, 10u) << "one per 10 ms (rate limit) after the first RTT";
  // Beyond the handshake's: the 2 ms round trip, give or take the TSval's 1 ms tick.
  uint64_t acks_mean = (f.rtt_sum_ns - 100 * US) / (f.rtt_count - 1);
  EXPECT_GE(acks_mean, kRtt - 1'000 * US);
  EXPECT_LE(f.rtt_max_ns, kRtt + 1'000 * US);
}

TEST_P(TcpHealth, DataRightAfterAnAckTakesItsSample) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  uint64_t t = 10'000 * US;
  // A response arrives; the pod ACKs it at once (quickack), then sends the next request: the
  // request, not the ACK, is what the echo answers.
  at(t, I, c.in().seq(5001).ack(1001).timestamps(600, 90).payload(100));
  at(t + 10 * US, E, c.out().seq(1001).ack(5101).timestamps(100, 600));
  at(t + 20 * US, E, c.out().seq(1001).ack(5101).timestamps(101, 600).payload(100));
  at(t + 520 * US, I, c.in().seq(5101).ack(1101).timestamps(601, 101).payload(100));
  EXPECT_EQ(flow(c).rtt_count, 2u);
  EXPECT_EQ(flow(c).rtt_max_ns, 500 * US);
}

TEST_P(TcpHealth, ContinuousRttFromTimestamps) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  uint64_t t = 10'000 * US;
  // Data with a new TSval starts a sample; its echo ends it.
  at(t, E, c.out().seq(1001).ack(5001).timestamps(100, 500).payload(1000));
  at(t + 10 * US, E, c.out().seq(2001).ack(5001).timestamps(100, 500).payload(1000));  // same TSval
  at(t + 20 * US, E, c.out().ack(5001).timestamps(101, 500));  // pure ACK: never a sample start
  at(t + 500 * US, I, c.in().seq(5001).ack(3001).timestamps(600, 100));
  // A later TSval while none is outstanding, 10 ms (the rate limit) after the last sample
  // started, starts the next sample.
  at(t + 10'000 * US, E, c.out().seq(3001).ack(5001).timestamps(110, 600).payload(100));
  at(t + 10'800 * US, I, c.in().seq(5001).ack(3101).timestamps(601, 110));
  auto f = flow(c);
  // Three samples: the SYN (TSval 10) echoed by the SYN/ACK after 100 us, then 500 and 800 us.
  EXPECT_EQ(f.rtt_count, 3u);
  EXPECT_EQ(f.rtt_min_ns, 100 * US);
  EXPECT_EQ(f.rtt_max_ns, 800 * US);
  EXPECT_EQ(f.rtt_sum_ns, 1'400 * US);
  auto p = pod();
  EXPECT_EQ(p.rtt_sum_ns, 1'400 * US);
  EXPECT_EQ(bucket_of(100 * US), 2);  // (50, 100] us
  EXPECT_EQ(bucket_of(500 * US), 5);  // (400, 800] us
  EXPECT_EQ(bucket_of(800 * US), 5);
  EXPECT_EQ(p.rtt_buckets[2], 1u);
  EXPECT_EQ(p.rtt_buckets[5], 2u);
  uint64_t total = 0;
  for (auto b : p.rtt_buckets) total += b;
  EXPECT_EQ(total, 3u);
}

// A flow starts at most one sample per 10 ms, as pping rate-limits: a new TSval sooner after the
// last sample started (even one already echoed) starts none.
TEST_P(TcpHealth, RttSamplesStartAtMostOncePerTenMilliseconds) {
  Conn c;
  client_handshake(c, 0, 100 * US);  // the SYN's sample starts at 0
  uint64_t t = 20'000 * US;
  at(t, E, c.out().seq(1001).ack(5001).timestamps(100, 500).payload(100));  // starts one
  at(t + 200 * US, I, c.in().seq(5001).ack(1101).timestamps(600, 100));     // 200 us
  at(t + 1'000 * US, E, c.out().seq(1101).ack(5001).timestamps(101, 600).payload(100));
  at(t + 1'300 * US, I, c.in().seq(5001).ack(1201).timestamps(601, 101));   // not a sample
  at(t + 9'999 * US, E, c.out().seq(1201).ack(5001).timestamps(109, 601).payload(100));
  at(t + 10'499 * US, I, c.in().seq(5001).ack(1301).timestamps(602, 109));  // not a sample
  EXPECT_EQ(flow(c).rtt_count, 2u);  // the SYN's and the first data's
  at(t + 10'000 * US, E, c.out().seq(1301).ack(5001).timestamps(110, 602).payload(100));
  at(t + 10'700 * US, I, c.in().seq(5001).ack(1401).timestamps(603, 110));  // 700 us
  auto f = flow(c);
  EXPECT_EQ(f.rtt_count, 3u);
  EXPECT_EQ(f.rtt_sum_ns, 100 * US + 200 * US + 700 * US);
  EXPECT_EQ(f.rtt_max_ns, 700 * US);
}

// The interval is a load-time setting (--rtt-sample-interval): at 50 ms, samples 20 ms apart are
// taken every third time.
TEST_P(TcpHealth, TheRttSampleIntervalIsSetAtLoad) {
  tcpulse_datapath_config config{50'000 * US, TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT,
                                 TCPULSE_REORDER_WINDOW_NS_DEFAULT};
  reload(config);
  Conn c;
  client_handshake(c, 0, 100 * US);  // the SYN's sample starts at 0
  for (uint32_t i = 0; i < 6; i++) {
    uint64_t t = (60'000 + 20'000 * i) * US;  // 60, 80, 100, 120, 140, 160 ms
    at(t, E, c.out().seq(1001 + 100 * i).ack(5001).timestamps(100 + i, 500 + i).payload(100));
    at(t + 200 * US, I, c.in().seq(5001).ack(1101 + 100 * i).timestamps(600 + i, 100 + i));
  }
  EXPECT_EQ(flow(c).rtt_count, 3u);  // the SYN's, at 60 ms and at 120 ms
}

// Only a new TSval starts a sample: a FIN (or SYN) carrying the TSval of the segment before it
// would be timed from its own send, but the echo answers the earlier one.
TEST_P(TcpHealth, FinWithTheLastTsvalStartsNoSample) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  uint64_t t = 10'000 * US;
  at(t, E, c.out().seq(1001).ack(5001).timestamps(100, 500).payload(1000));
  at(t + 300 * US, I, c.in().seq(5001).ack(2001).timestamps(600, 100));  // 300 us sample ends
  at(t + 600 * US, E, c.out().flags(FIN).seq(2001).ack(5001).timestamps(100, 600));
  at(t + 700 * US, I, c.in().seq(5001).ack(2002).timestamps(601, 100));
  auto f = flow(c);
  EXPECT_EQ(f.rtt_count, 2u);  // the SYN's and the data's; none from the FIN
  EXPECT_EQ(f.rtt_max_ns, 300 * US);
  EXPECT_GT(f.egress.events.last_seen_ns, f.first_seen_ns);  // a FIN always reads the clock
}

TEST_P(TcpHealth, RetransmissionIsCounted) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  at(1'000 * US, E, c.out().seq(1001).ack(5001).payload(1000));
  at(1'010 * US, E, c.out().seq(2001).ack(5001).payload(1000));
  at(5'000 * US, E, c.out().seq(1001).ack(5001).payload(1000));  // resent: loss
  at(5'010 * US, E, c.out().seq(3001).ack(5001).payload(500));   // new data again
  auto f = flow(c);
  EXPECT_EQ(f.egress.events.retrans_segs, 1u);
  EXPECT_EQ(f.egress.events.retrans_bytes, 1000u);
  EXPECT_EQ(tcpulse_flow_payload_bytes(&f.egress), 3500u);
  EXPECT_EQ(f.ingress.events.retrans_segs, 0u);
  EXPECT_EQ(pod().dir[E].retrans_segs, 1u);
  EXPECT_EQ(pod().dir[E].retrans_bytes, 1000u);
}

TEST_P(TcpHealth, OutOfOrderSegmentIsNotARetransmission) {
  Conn c;
  client_handshake(c, 0, 2'000 * US);  // RTT 2 ms: reordering window 1 ms
  at(10'000 * US, I, c.in().seq(5001).ack(1001).payload(1000));
  at(10'010 * US, I, c.in().seq(7001).ack(1001).payload(1000));  // 6001..7001 missing: a gap
  at(10'050 * US, I, c.in().seq(6001).ack(1001).payload(1000));  // fills it 40 us later: reordered
  EXPECT_EQ(flow(c).ingress.events.retrans_segs, 0u);
  at(10'100 * US, I, c.in().seq(7001).ack(1001).payload(1000));  // a duplicate: retransmission
  EXPECT_EQ(flow(c).ingress.events.retrans_segs, 1u);
}

TEST_P(TcpHealth, GapFilledLateWithoutTimestampsIsARetransmission) {
  // Loss upstream of the veth: the sender's resend fills the gap. Without timestamps only time
  // tells: later than max(RTT / 2, 1 ms).
  Conn c;
  client_handshake(c, 0, 200 * US);
  at(10'000 * US, I, c.in().seq(5001).ack(1001).payload(1000));
  at(10'010 * US, I, c.in().seq(7001).ack(1001).payload(1000));
  at(15'000 * US, I, c.in().seq(6001).ack(1001).payload(1000));
  EXPECT_EQ(flow(c).ingress.events.retrans_segs, 1u);
  EXPECT_EQ(flow(c).ingress.events.retrans_bytes, 1000u);
}

TEST_P(TcpHealth, LateOriginalWithTheSameTsvalIsReorderingNotLoss) {
  // Two GSO skbs of one flow in two CPUs' backlogs: the second overtakes the first by 2 ms. The
  // first still carries the TSval of its time of sending: not a retransmission.
  Conn c;
  client_handshake(c, 0, 30 * US);
  at(10'000 * US, E, c.out().seq(1001).ack(5001).timestamps(50, 500).payload(1000));
  at(10'010 * US, E, c.out().seq(3001).ack(5001).timestamps(51, 500).payload(1000));
  at(12'000 * US, E, c.out().seq(2001).ack(5001).timestamps(51, 500).payload(1000));
  EXPECT_EQ(flow(c).egress.events.retrans_segs, 0u);
}

TEST_P(TcpHealth, ResendWithANewerTsvalFillingAGapIsLossEvenWhenFast) {
  // A sub-millisecond path: the sender resends 60 us after the gap showed. The newer TSval says
  // it went out after the segment past the gap: a retransmission.
  Conn c;
  client_handshake(c, 0, 30 * US);
  at(10'000 * US, E, c.out().seq(1001).ack(5001).timestamps(50, 500).payload(1000));
  at(10'010 * US, E, c.out().seq(3001).ack(5001).timestamps(50, 500).payload(1000));
  at(10'070 * US, E, c.out().seq(2001).ack(5001).timestamps(51, 501).payload(1000));
  EXPECT_EQ(flow(c).egress.events.retrans_segs, 1u);
}

TEST_P(TcpHealth, KeepAliveIsNotARetransmission) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  at(1'000 * US, E, c.out().seq(1001).ack(5001).payload(100));
  at(60'000'000 * US, E, c.out().seq(1100).ack(5001));              // 0-byte keep-alive
  at(120'000'000 * US, E, c.out().seq(1100).ack(5001).payload(1));  // 1-byte keep-alive
  EXPECT_EQ(flow(c).egress.events.retrans_segs, 0u);
}

TEST_P(TcpHealth, ZeroWindowAndWindowProbe) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  at(1'000 * US, I, c.in().seq(5001).ack(1001).payload(1000));
  at(1'100 * US, E, c.out().seq(1001).ack(6001).window(0));  // the pod's receiver is full
  at(1'200 * US, E, c.out().seq(1001).ack(6001).window(0));
  // The peer probes the closed window with a byte it already sent: not a retransmission.
  at(200'000 * US, I, c.in().seq(6000).ack(1001).payload(1));
  auto f = flow(c);
  EXPECT_EQ(f.egress.events.zero_windows, 2u);
  EXPECT_EQ(f.ingress.events.zero_windows, 0u);
  EXPECT_EQ(f.ingress.events.retrans_segs, 0u);
  EXPECT_EQ(pod().dir[E].zero_windows, 2u);
  // A SYN with window 0 is not a zero-window advertisement.
  Conn other;
  other.pod_port = 40001;
  at(300'000 * US, E, other.out().flags(SYN).seq(1).window(0));
  EXPECT_EQ(pod().dir[E].zero_windows, 2u);
}

TEST_P(TcpHealth, ResetsEachWayCloseTheConnection) {
  Conn a, b;
  b.pod_port = 40002;
  client_handshake(a, 0, 100 * US);
  client_handshake(b, 0, 100 * US);
  at(1'000 * US, E, a.out().flags(RST).seq(1001));
  at(1'000 * US, I, b.in().flags(RST | ACK).seq(5001).ack(1001));
  EXPECT_EQ(flow(a).egress.events.rsts, 1u);
  EXPECT_EQ(flow(b).ingress.events.rsts, 1u);
  EXPECT_EQ(flow(a).state, TCPULSE_CONN_CLOSED);
  EXPECT_EQ(flow(b).state, TCPULSE_CONN_CLOSED);
  auto p = pod();
  EXPECT_EQ(p.dir[E].rsts, 1u);
  EXPECT_EQ(p.dir[I].rsts, 1u);
  EXPECT_EQ(p.opened[TCPULSE_ROLE_CLIENT], 2u);
  EXPECT_EQ(p.closed, 2u);
}

TEST_P(TcpHealth, RefusedConnectionIsAResetNotAClose) {
  Conn c;
  at(0, E, c.out().flags(SYN).seq(1000));
  at(30 * US, I, c.in().flags(RST | ACK).seq(0).ack(1001));
  auto p = pod();
  EXPECT_EQ(p.dir[I].rsts, 1u);
  EXPECT_EQ(p.opened[TCPULSE_ROLE_CLIENT], 0u);
  EXPECT_EQ(p.closed, 0u);
}

TEST_P(TcpHealth, FinBothWaysClosesOnce) {
  Conn c;
  client_handshake(c, 0, 100 * US);
  at(1'000 * US, E, c.out().flags(FIN | ACK).seq(1001).ack(5001));
  EXPECT_EQ(flow(c).state, TCPULSE_CONN_ESTABLISHED);
  at(1'100 * US, I, c.in().flags(FIN | ACK).seq(5001).ack(1002));
  at(1'200 * US, E, c.out().seq(1002).ack(5002));
  at(1'300 * US, I, c.in().flags(FIN | ACK).seq(5001).ack(1002));  // a resent FIN
  EXPECT_EQ(flow(c).state, TCPULSE_CONN_CLOSED);
  EXPECT_EQ(pod().closed, 1u);
}

TEST_P(TcpHealth, SequenceWraparound) {
  Conn c;
  client_handshake(c, 0, 100 * US, /*pod_isn=*/0xfffffe00u);
  at(1'000 * US, E, c.out().seq(0xfffffe01u).ack(5001).payload(1000));  // crosses 2^32
  at(1'010 * US, E, c.out().seq(0x000001e9u).ack(5001).payload(1000));  // continues after it
  EXPECT_EQ(flow(c).egress.events.retrans_segs, 0u);
  at(5'000 * US, E, c.out().seq(0xfffffe01u).ack(5001).payload(1000));  // resent across the wrap
  EXPECT_EQ(flow(c).egress.events.retrans_segs, 1u);
}

TEST_P(TcpHealth, Ipv6ConnectionSignals) {
  Conn c;
  c.v6 = true;
  c.pod = "fd00::1";
  c.peer = "fd00::2";
  client_handshake(c, 0, 250 * US);
  at(10'000 * US, E, c.out().seq(1001).ack(5001).timestamps(20, 500).payload(1200));
  at(10'000 * US + 400 * US, I, c.in().seq(5001).ack(2201).timestamps(700, 20));
  at(19'000 * US, E, c.out().seq(1001).ack(5001).timestamps(30, 700).payload(1200));
  auto f = flow(c);
  EXPECT_EQ(f.handshake_rtt_ns, 250 * US);
  EXPECT_EQ(f.rtt_count, 2u);  // the SYN's sample (250 us) and the data's (400 us)
  EXPECT_EQ(f.rtt_max_ns, 400 * US);
  EXPECT_EQ(f.egress.events.retrans_segs, 1u);
}

TEST_P(TcpHealth, MalformedOptionsAreCountedAndHarmless) {
  Conn good, bad;
  bad.pod_port = 40003;
  client_handshake(good, 0, 100 * US);
  // Option length 0, and a timestamp option claiming 10 bytes in an 8-byte option block.
  at(1'000 * US, E, bad.out().seq(1).tcp_options({8, 0, 0, 0}).payload(10));
  at(1'010 * US, E, bad.out().seq(11).tcp_options({1, 1, 8, 10, 0, 0, 0, 0}).payload(10));
  at(1'020 * US, E, bad.out().seq(21).tcp_options({3, 1, 0, 0}).payload(10));  // length 1
  EXPECT_EQ(errors(TCPULSE_ERR_BAD_TCP_OPTION), 3u);
  auto b = flow(bad);
  EXPECT_EQ(b.egress.packets, 3u);  // still accounted
  EXPECT_EQ(tcpulse_flow_payload_bytes(&b.egress), 30u);
  EXPECT_EQ(b.rtt_count, 0u);
  auto g = flow(good);  // and nothing leaked into another flow
  EXPECT_EQ(g.egress.packets, 2u);
  EXPECT_EQ(g.state, TCPULSE_CONN_ESTABLISHED);
}

INSTANTIATE_TEST_SUITE_P(Headers, TcpHealth,
                         ::testing::Values(HeaderAccess::kInPlace, HeaderAccess::kCopied),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace tcpulse::test
