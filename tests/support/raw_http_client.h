// RawHttpClient: a TCP client that sends exactly the bytes a test gives it — malformed requests,
// slow or endless heads, unwanted bodies — and reads what the server answers, with a timeout.
#pragma once

#include <cstdint>
#include <string>

#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::test {

struct RawHttpAnswer {
  unsigned status = 0;  // 0: no answer before the connection closed or the timeout
  std::string head;     // status line and headers
  std::string body;     // chunked bodies decoded
  size_t chunks = 0;    // the chunks it came in, the last (empty) one included
};

class RawHttpClient {
 public:
  // Connects to 127.0.0.1:port; throws if it cannot.
  explicit RawHttpClient(uint16_t port);

  // Sends as much of `bytes` as the peer takes; false once the connection is broken.
  bool send(const std::string& bytes);
  // Reads one answer: its head, and a body of its Content-Length unless it answers a HEAD.
  RawHttpAnswer read_answer(double timeout_s = 5, bool expect_body = true);
  // Whether the peer closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(double timeout_s);

 private:
  UniqueFd fd_;
  std::string in_;
};

}  // namespace tcpulse::test
