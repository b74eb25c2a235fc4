// nfq-delay: holds every packet of an NFQUEUE for a fixed time, then accepts it. The test
// tooling's stand-in for netem (not available on these kernels) to inject a known delay.
//
// usage: nfq-delay QUEUE_NUM DELAY_US      (run inside the network namespace of the queue;
//                                           exits on SIGTERM/SIGINT)
// Pair it with: iptables ... -j NFQUEUE --queue-num N --queue-bypass, so traffic passes
// undelayed rather than dropped if this tool is not running.
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>

namespace {

volatile sig_atomic_t stop = 0;

// CLOCK_MONOTONIC, so releases can be slept to with clock_nanosleep(TIMER_ABSTIME).
using Clock = std::chrono::steady_clock;

void sleep_until(Clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR && !stop) {
  }
}

struct Held {
  uint32_t id;
  Clock::time_point release;
};

std::deque<Held> held;
std::chrono::microseconds delay;

int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* nfa, void*) {
  nfqnl_msg_packet_hdr* ph = nfq_get_msg_packet_hdr(nfa);
  if (ph) held.push_back({ntohl(ph->packet_id), Clock::now() + delay});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: nfq-delay QUEUE_NUM DELAY_US\n");
    return 2;
  }
  int queue = std::atoi(argv[1]);
  delay = std::chrono::microseconds(std::atoll(argv[2]));
  // Released late, a packet is a wrong delay: run ahead of everything else on a busy machine.
  sched_param rt{};
  rt.sched_priority = 50;
  if (sched_setscheduler(0, SCHED_FIFO, &rt) != 0) std::perror("sched_setscheduler (continuing)");
  signal(SIGTERM, [](int) { stop = 1; });
  signal(SIGINT, [](int) { stop = 1; });

  nfq_handle* h = nfq_open();
  if (!h) {
    std::perror("nfq_open");
    return 1;
  }
  nfq_q_handle* qh = nfq_create_queue(h, queue, on_packet, nullptr);
  if (!qh || nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
    std::perror("nfq_create_queue");
    return 1;
  }
  nfq_set_queue_maxlen(qh, 65536);
  int fd = nfq_fd(h);
  std::printf("ready\n");
  std::fflush(stdout);

  char buf[65536];
  while (!stop) {
    // Sleep until the next release is due, or a packet arrives.
    int timeout_ms = 100;
    if (!held.empty()) {
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(held.front().release - Clock::now());
      timeout_ms = wait.count() <= 1000 ? 0 : static_cast<int>(wait.count() / 1000);
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) > 0) {
      ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) nfq_handle_packet(h, buf, static_cast<int>(n));
    }
    // poll's timeout is in milliseconds: sleep the last stretch to the exact release time.
    while (!held.empty() && held.front().release - Clock::now() < std::chrono::milliseconds(1)) {
      sleep_until(held.front().release);
      nfq_set_verdict(qh, held.front().id, NF_ACCEPT, 0, nullptr);
      held.pop_front();
    }
  }
  for (const auto& p : held) nfq_set_verdict(qh, p.id, NF_ACCEPT, 0, nullptr);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
