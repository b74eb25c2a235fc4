#include "agent/http_request_reader.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace tcpulse::agent {

namespace http = boost::beast::http;

HttpRequestReader::HttpRequestReader(const HttpLimits& limits) : limits_(limits) {
  parser_.header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
  parser_.eager(false);  // stop after the head: the body, if any, is never read
}

HttpReject HttpRequestReader::classify(const boost::system::error_code& ec) const {
  if (ec == http::error::header_limit) {
    // Still in the request line (beast takes it apart first) past the target's limit: a long
    // URL, not many headers.
    size_t line_end = pending_.find("\r\n");
    bool in_request_line = consumed_ == 0 && parser_.get().target().empty();
    if (in_request_line && (line_end == std::string::npos || line_end > limits_.max_target_bytes))
      return {414, "request target too long"};
    return {431, "request header fields too large"};
  }
  if (ec == http::error::unexpected_body || ec == http::error::body_limit)
    return {413, "request bodies are not accepted"};
  return {400, "malformed request: " + ec.message()};
}

HttpReadOutcome HttpRequestReader::feed(std::string_view bytes) {
  if (done_) return HttpReject{400, "request already read"};
  pending_.append(bytes);
  boost::system::error_code ec;
  size_t used = parser_.put(boost::asio::buffer(pending_), ec);
  pending_.erase(0, used);
  consumed_ += used;
  if (ec == http::error::need_more && !parser_.is_header_done()) {
    // beast checks its limit only once it has looked for the end of the head; a client that
    // never ends it is cut off here, before it holds more than the limit.
    if (pending_.size() <= limits_.max_header_bytes) return HttpNeedMore{};
    ec = http::error::header_limit;
  }
  done_ = true;
  if (ec && ec != http::error::need_more) return classify(ec);

  const auto& req = parser_.get();
  if (req.method() != http::verb::get && req.method() != http::verb::head)
    return HttpReject{405, "only GET and HEAD"};
  if (parser_.chunked() || parser_.content_length().value_or(0) > 0)
    return HttpReject{413, "request bodies are not accepted"};
  if (req.target().size() > limits_.max_target_bytes)
    return HttpReject{414, "request target too long"};
  if (req.target().empty() || req.target().front() != '/')
    return HttpReject{400, "request target must be a path"};
  return HttpRequest{req.method() == http::verb::head, std::string(req.target()), req.version(),
                     req.keep_alive()};
}

}  // namespace tcpulse::agent
