// tcp-transfer: sends exactly BYTES from a client in one network namespace to a server in another
// and reports what the server received, as JSON. The demo's ground truth (iperf3 -n is not one:
// its server may close the data connection before reading everything the client wrote).
//
// usage: tcp-transfer SERVER_NETNS SERVER_IP PORT CLIENT_NETNS BYTES
#include <cstdio>
#include <exception>
#include <string>

#include "tests/support/tcp_transfer.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: tcp-transfer SERVER_NETNS SERVER_IP PORT CLIENT_NETNS BYTES\n");
    return 2;
  }
  try {
    auto r = tcpulse::test::tcp_transfer(argv[1], argv[2], static_cast<uint16_t>(std::stoi(argv[3])),
                                         argv[4], std::stoull(argv[5]));
    std::printf("{\"sent\": %s, \"received\": %llu, \"client_port\": %u}\n", argv[5],
                static_cast<unsigned long long>(r.received), r.client_port);
    return r.received == std::stoull(argv[5]) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcp-transfer: %s\n", e.what());
    return 1;
  }
}
