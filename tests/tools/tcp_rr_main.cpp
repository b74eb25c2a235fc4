// tcp-rr: request/response load between two network namespaces, as netperf's TCP_RR: one
// connection, the client sends a SIZE-byte request and waits for the server's SIZE-byte response,
// for SECONDS. Prints the transactions completed, as JSON. hack/bench-datapath.sh's
// request/response load (Debian has no netperf; iperf3 only streams).
//
// usage: tcp-rr SERVER_NETNS SERVER_IP PORT CLIENT_NETNS SECONDS [SIZE (default 64)]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/tcp_transfer.h"

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: tcp-rr SERVER_NETNS SERVER_IP PORT CLIENT_NETNS SECONDS [SIZE]\n");
    return 2;
  }
  try {
    const std::string server_netns = argv[1], server_ip = argv[2], client_netns = argv[4];
    const auto port = static_cast<uint16_t>(std::stoi(argv[3]));
    const double seconds = std::stod(argv[5]);
    const size_t size = argc == 7 ? std::stoul(argv[6]) : 64;
    if (seconds <= 0 || size == 0) throw std::invalid_argument("SECONDS and SIZE must be positive");

    using namespace tcpulse;
    using namespace tcpulse::test;
    UniqueFd listener = listen_in_netns(server_netns, server_ip, port);
    auto server = std::async(std::launch::async, [&] {
      UniqueFd conn(accept(listener.get(), nullptr, nullptr));
      no_delay(conn.get());
      std::vector<char> buf(size);
      while (receive_message(conn.get(), buf.data(), size) &&
             send_message(conn.get(), buf.data(), size)) {
      }
    });

    Connection c = connect_in_netns(client_netns, server_ip, port);
    no_delay(c.fd.get());
    std::vector<char> buf(size, 'r');
    uint64_t transactions = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
      if (!send_message(c.fd.get(), buf.data(), size) ||
          !receive_message(c.fd.get(), buf.data(), size))
        throw std::runtime_error("the connection broke");
      ++transactions;
    }
    c.fd.reset();  // EOF: the server's loop ends
    server.get();
    std::printf("{\"transactions\": %llu, \"size\": %zu, \"seconds\": %g}\n",
                static_cast<unsigned long long>(transactions), size, seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcp-rr: %s\n", e.what());
    return 1;
  }
}
