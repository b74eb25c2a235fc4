// tcp-rr: request/response load between two network namespaces, as netperf's TCP_RR and
// TCP_CRR: the client sends a SIZE-byte request and waits for the server's SIZE-byte response,
// for SECONDS, over one connection (rr) or a new connection per request (crr: connect, request,
// response, close). Prints the transactions completed and their latency percentiles, as JSON.
// The request/response loads of hack/bench-datapath.sh and hack/bench-overhead.sh (Debian has no
// netperf; iperf3 only streams).
//
// usage: tcp-rr SERVER_NETNS SERVER_IP PORT CLIENT_NETNS SECONDS [SIZE (default 64)] [rr|crr]
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/tcp_transfer.h"

namespace {

using Clock = std::chrono::steady_clock;

// One message each way. A blocking stream socket sends all of it in one call; MSG_WAITALL makes
// the receive wait for all of it too. False at EOF or on an error.
bool send_message(int fd, const char* buf, size_t n) {
  return send(fd, buf, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
}

bool receive_message(int fd, char* buf, size_t n) {
  return recv(fd, buf, n, MSG_WAITALL) == static_cast<ssize_t>(n);
}

// Without it, each small response would wait for the ACK of the one before (Nagle).
void no_delay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

double percentile_us(std::vector<uint32_t>& ns, double q) {
  if (ns.empty()) return 0;
  size_t k = std::min(ns.size() - 1, static_cast<size_t>(q * static_cast<double>(ns.size())));
  std::nth_element(ns.begin(), ns.begin() + static_cast<long>(k), ns.end());
  return ns[k] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 8) {
    std::fprintf(stderr, "usage: tcp-rr SERVER_NETNS SERVER_IP PORT CLIENT_NETNS SECONDS [SIZE] [rr|crr]\n");
    return 2;
  }
  try {
    const std::string server_netns = argv[1], server_ip = argv[2], client_netns = argv[4];
    const auto port = static_cast<uint16_t>(std::stoi(argv[3]));
    const double seconds = std::stod(argv[5]);
    const size_t size = argc >= 7 ? std::stoul(argv[6]) : 64;
    const std::string mode = argc == 8 ? argv[7] : "rr";
    if (seconds <= 0 || size == 0) throw std::invalid_argument("SECONDS and SIZE must be positive");
    if (mode != "rr" && mode != "crr") throw std::invalid_argument("the mode is rr or crr");
    const bool per_request = mode == "crr";

    using namespace tcpulse;
    using namespace tcpulse::test;
    UniqueFd listener = listen_in_netns(server_netns, server_ip, port);
    std::atomic<bool> done{false};
    auto server = std::async(std::launch::async, [&] {
      std::vector<char> buf(size);
      // rr: one connection until EOF. crr: one request per connection, closed by the server first
      // (its TIME_WAIT stays in its own namespace and never holds back the client's next port).
      while (!done) {
        UniqueFd conn(accept(listener.get(), nullptr, nullptr));
        if (conn.get() < 0) return;
        no_delay(conn.get());
        while (receive_message(conn.get(), buf.data(), size) && send_message(conn.get(), buf.data(), size) &&
               !per_request) {
        }
        if (!per_request) return;
      }
    });

    std::vector<uint32_t> latency_ns;
    latency_ns.reserve(1 << 20);
    // The client runs on a thread that has entered the client's namespace once, so that a
    // connection per request costs a connect, not a namespace switch.
    std::exception_ptr failed;
    std::thread client([&] {
      try {
        UniqueFd ns(::open(client_netns.c_str(), O_RDONLY | O_CLOEXEC));
        if (ns.get() < 0 || setns(ns.get(), CLONE_NEWNET) != 0) throw std::runtime_error("cannot enter " + client_netns);
        sockaddr_in to = ipv4_address(server_ip, port);
        auto connect_to_server = [&] {
          UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
          if (fd.get() < 0 || connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
            throw std::runtime_error("cannot connect to " + server_ip);
          no_delay(fd.get());
          return fd;
        };
        std::vector<char> buf(size, 'r');
        const auto end = Clock::now() + std::chrono::duration<double>(seconds);
        UniqueFd fd;
        if (!per_request) fd = connect_to_server();
        while (Clock::now() < end) {
          auto t0 = Clock::now();
          if (per_request) fd = connect_to_server();
          if (!send_message(fd.get(), buf.data(), size) || !receive_message(fd.get(), buf.data(), size))
            throw std::runtime_error("the connection broke");
          if (per_request) {
            char eof;
            (void)recv(fd.get(), &eof, 1, 0);  // the server closes first
            fd.reset();
          }
          latency_ns.push_back(static_cast<uint32_t>(std::min<int64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count(), UINT32_MAX)));
        }
      } catch (...) {
        failed = std::current_exception();
      }
    });
    client.join();  // its socket is closed: rr's server sees EOF
    done = true;
    shutdown(listener.get(), SHUT_RDWR);  // crr: wakes its accept
    server.get();
    if (failed) std::rethrow_exception(failed);
    const size_t transactions = latency_ns.size();
    double p50 = percentile_us(latency_ns, 0.50), p99 = percentile_us(latency_ns, 0.99);
    std::printf("{\"transactions\": %zu, \"size\": %zu, \"seconds\": %g, \"mode\": \"%s\", \"p50_us\": %.2f, \"p99_us\": %.2f}\n",
                transactions, size, seconds, mode.c_str(), p50, p99);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcp-rr: %s\n", e.what());
    return 1;
  }
}
