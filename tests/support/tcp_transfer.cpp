#include "tests/support/tcp_transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>
#include <stdexcept>
#include <vector>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::test {

TransferResult tcp_transfer(const std::string& server_netns, const std::string& server_ip,
                            uint16_t port, const std::string& client_netns, uint64_t bytes,
                            const TransferOptions& options) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, server_ip.c_str(), &addr.sin_addr);

  // The listening socket is made inside the server namespace; it stays there afterwards.
  UniqueFd listener;
  auto made = run_in_netns(server_netns, [&]() -> Result<void> {
    listener.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    // Set before listen(): accepted sockets inherit it, and the window follows from it.
    if (options.server_rcvbuf)
      setsockopt(listener.get(), SOL_SOCKET, SO_RCVBUF, &options.server_rcvbuf,
                 sizeof(options.server_rcvbuf));
    if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listener.get(), 1) != 0)
      return errno_error("listen on " + server_ip);
    return success();
  }, nullptr);
  if (!made) throw std::runtime_error(made.error().describe());

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
  auto sent = run_in_netns(client_netns, [&]() -> Result<void> {
    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      return errno_error("connect to " + server_ip);
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    getsockname(s.get(), reinterpret_cast<sockaddr*>(&local), &len);
    result.client_port = ntohs(local.sin_port);
    std::vector<char> buf(1 << 16, 'z');
    uint64_t left = bytes;
    while (left > 0) {
      ssize_t n = write(s.get(), buf.data(), std::min<uint64_t>(left, buf.size()));
      if (n <= 0) return errno_error("send");
      left -= n;
    }
    shutdown(s.get(), SHUT_WR);
    char c;
    while (read(s.get(), &c, 1) > 0) {
    }
    return success();
  }, nullptr);
  if (!sent) {
    shutdown(listener.get(), SHUT_RDWR);
    throw std::runtime_error(sent.error().describe());
  }
  result.received = server.get();
  return result;
}

}  // namespace tcpulse::test
