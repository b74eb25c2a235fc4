// HttpRequestReader: reads one HTTP/1.x request head from bytes as they arrive, within limits, and
// says either "more", the request, or the error status to answer with. No socket: the server feeds
// it what it reads, and the fuzzer feeds it anything. The agent serves GET and HEAD only, so a
// request body is never read: one announced is refused before a byte of it is buffered.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace tcpulse::agent {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line and headers; beyond: 431
  size_t max_target_bytes = 4 * 1024;   // the request target; beyond: 414
};

struct HttpRequest {
  bool head = false;  // HEAD: answer without the body
  std::string target;
  unsigned version = 11;
  bool keep_alive = true;
};

struct HttpReject {
  unsigned status;     // 400, 405, 413, 414, 431
  std::string reason;  // one line for the body
};

struct HttpNeedMore {};

using HttpReadOutcome = std::variant<HttpNeedMore, HttpRequest, HttpReject>;

class HttpRequestReader {
 public:
  explicit HttpRequestReader(const HttpLimits& limits);

  // Adds bytes the client sent and parses as far as they go. After a request or a reject, the
  // reader is done: bytes past the request head (a pipelined request) are in leftover().
  HttpReadOutcome feed(std::string_view bytes);
  std::string_view leftover() const { return pending_; }
  // Bytes held while the head is incomplete: never more than the header limit and one read.
  size_t buffered() const { return pending_.size(); }

 private:
  HttpReject classify(const boost::system::error_code& ec) const;

  HttpLimits limits_;
  boost::beast::http::request_parser<boost::beast::http::empty_body> parser_;
  std::string pending_;  // bytes the parser has not taken yet
  size_t consumed_ = 0;
  bool done_ = false;
};

}  // namespace tcpulse::agent
