// A TCP transfer of an exact number of bytes between two network namespaces: a server thread in
// one receives until EOF, a client thread in the other connects and sends. Plain sockets, so the
// byte count is known independently of tcpulse.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::test {

struct TransferOptions {
  int server_rcvbuf = 0;  // SO_RCVBUF of the server's socket (0: the kernel's default)
  int stall_ms = 0;       // the server reads nothing for this long after accepting
};

struct TransferResult {
  uint64_t received = 0;
  uint16_t client_port = 0;  // the client's ephemeral port, to find its flow
};

// ip:port as an IPv4 socket address.
sockaddr_in ipv4_address(const std::string& ip, uint16_t port);

// A TCP listener bound to ip:port inside a network namespace (sockets keep the namespace they
// were made in). rcvbuf > 0 sets SO_RCVBUF before listen(), so accepted sockets inherit it.
// Throws on failure.
UniqueFd listen_in_netns(const std::string& netns, const std::string& ip, uint16_t port,
                         int rcvbuf = 0);

struct Connection {
  UniqueFd fd;
  uint16_t local_port = 0;
};
// A TCP connection to ip:port made from inside a network namespace. Throws on failure.
Connection connect_in_netns(const std::string& netns, const std::string& ip, uint16_t port);

TransferResult tcp_transfer(const std::string& server_netns, const std::string& server_ip,
                            uint16_t port, const std::string& client_netns, uint64_t bytes,
                            const TransferOptions& options = {});

}  // namespace tcpulse::test
