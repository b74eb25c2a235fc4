// Bytes a client sends the agent, in pieces whose sizes the input's first byte picks: the reader
// answers a request or a 4xx, never buffers past its limit, never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/http_request_reader.h"

using namespace tcpulse::agent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  HttpLimits limits;
  limits.max_header_bytes = 2048;  // small, so that the fuzzer reaches the limits
  limits.max_target_bytes = 512;
  HttpRequestReader reader(limits);
  HttpReadOutcome out = HttpNeedMore{};
  while (!rest.empty() && std::holds_alternative<HttpNeedMore>(out)) {
    out = reader.feed(rest.substr(0, piece));
    rest.remove_prefix(std::min(piece, rest.size()));
    if (reader.buffered() > limits.max_header_bytes + piece) __builtin_trap();
  }
  if (auto* req = std::get_if<HttpRequest>(&out)) {
    if (req->target.empty() || req->target.size() > limits.max_target_bytes) __builtin_trap();
  } else if (auto* reject = std::get_if<HttpReject>(&out)) {
    if (reject->status < 400 || reject->status > 499) __builtin_trap();
  }
  return 0;
}
