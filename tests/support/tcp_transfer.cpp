#include "tests/support/tcp_transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <thread>
#include <stdexcept>
#include <vector>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::test {

sockaddr_in ipv4_address(const std::string& ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  return addr;
}

UniqueFd listen_in_netns(const std::string& netns, const std::string& ip, uint16_t port,
                         int rcvbuf) {
  UniqueFd listener;
  auto addr = ipv4_address(ip, port);
  auto made = run_in_netns(netns, [&]() -> Result<void> {
    listener.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (rcvbuf) setsockopt(listener.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listener.get(), 1) != 0)
      return errno_error("listen on " + ip);
    return success();
  }, nullptr);
  if (!made) throw std::runtime_error(made.error().describe());
  return listener;
}

Connection connect_in_netns(const std::string& netns, const std::string& ip, uint16_t port) {
  Connection c;
  auto addr = ipv4_address(ip, port);
  auto made = run_in_netns(netns, [&]() -> Result<void> {
    c.fd.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(c.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return errno_error("connect to " + ip);
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    getsockname(c.fd.get(), reinterpret_cast<sockaddr*>(&local), &len);
    c.local_port = ntohs(local.sin_port);
    return success();
  }, nullptr);
  if (!made) throw std::runtime_error(made.error().describe());
  return c;
}

TransferResult tcp_transfer(const std::string& server_netns, const std::string& server_ip,
                            uint16_t port, const std::string& client_netns, uint64_t bytes,
                            const TransferOptions& options) {
  UniqueFd listener = listen_in_netns(server_netns, server_ip, port, options.server_rcvbuf);
  auto server = std::async(std::launch::async, [&] {
    UniqueFd conn(accept(listener.get(), nullptr, nullptr));
    if (options.stall_ms) std::this_thread::sleep_for(std::chrono::milliseconds(options.stall_ms));
    uint64_t total = 0;
    std::vector<char> buf(1 << 16);
    ssize_t n;
    while ((n = read(conn.get(), buf.data(), buf.size())) > 0) total += n;
    return total;
  });

  TransferResult result;
  try {
    Connection c = connect_in_netns(client_netns, server_ip, port);
    result.client_port = c.local_port;
    std::vector<char> buf(1 << 16, 'z');
    uint64_t left = bytes;
    while (left > 0) {
      ssize_t n = write(c.fd.get(), buf.data(), std::min<uint64_t>(left, buf.size()));
      if (n <= 0) throw std::runtime_error("send: " + std::string(strerror(errno)));
      left -= n;
    }
    shutdown(c.fd.get(), SHUT_WR);
    char ch;
    while (read(c.fd.get(), &ch, 1) > 0) {
    }
  } catch (...) {
    shutdown(listener.get(), SHUT_RDWR);  // unblock the server's accept
    throw;
  }
  result.received = server.get();
  return result;
}

}  // namespace tcpulse::test
