// The agent's request reader: one request head within limits, or the status that refuses it.
#include "agent/http_request_reader.h"

#include <gtest/gtest.h>

namespace tcpulse::agent {
namespace {

HttpReadOutcome feed_all(const std::string& bytes, size_t chunk = 1 << 20, size_t* peak = nullptr) {
  HttpRequestReader reader{HttpLimits{}};
  HttpReadOutcome out = HttpNeedMore{};
  for (size_t i = 0; i < bytes.size() && std::holds_alternative<HttpNeedMore>(out); i += chunk) {
    out = reader.feed(std::string_view(bytes).substr(i, chunk));
    if (peak) *peak = std::max(*peak, reader.buffered());
  }
  return out;
}

unsigned status_of(const HttpReadOutcome& out) {
  if (auto* r = std::get_if<HttpReject>(&out)) return r->status;
  return std::holds_alternative<HttpRequest>(out) ? 200 : 0;
}

TEST(HttpRequestReader, ReadsARequestHeadInAnyPieces) {
  std::string req = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  for (size_t chunk : {1u, 3u, 7u, 1000u}) {
    auto out = feed_all(req, chunk);
    ASSERT_TRUE(std::holds_alternative<HttpRequest>(out)) << chunk;
    EXPECT_EQ(std::get<HttpRequest>(out).target, "/metrics?x=1");
    EXPECT_TRUE(std::get<HttpRequest>(out).keep_alive);
    EXPECT_FALSE(std::get<HttpRequest>(out).head);
  }
  auto head = feed_all("HEAD / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(head));
  EXPECT_TRUE(std::get<HttpRequest>(head).head);
  EXPECT_FALSE(std::get<HttpRequest>(head).keep_alive);
}

TEST(HttpRequestReader, KeepsAPipelinedRequestForLater) {
  HttpRequestReader reader{HttpLimits{}};
  auto out = reader.feed("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(std::holds_alternative<HttpRequest>(out));
  EXPECT_EQ(reader.leftover(), "GET /b HTTP/1.1\r\n\r\n");
}

// The defect: a malformed request line, an 8 KB URL or 100 KB of headers had the connection
// dropped without an answer; 405 came without Allow (checked by the server test).
TEST(HttpRequestReader, RefusesWithTheRightStatus) {
  EXPECT_EQ(status_of(feed_all("GARBAGE\r\n\r\n")), 400u);
  EXPECT_EQ(status_of(feed_all("GET / HTTP/9.9\r\n\r\n")), 400u);
  EXPECT_EQ(status_of(feed_all("GET /\x01 HTTP/1.1\r\n\r\n")), 400u);
  EXPECT_EQ(status_of(feed_all("GET x HTTP/1.1\r\n\r\n")), 400u);
  EXPECT_EQ(status_of(feed_all("GET /" + std::string(8 * 1024, 'a') + " HTTP/1.1\r\n\r\n")), 414u);
  EXPECT_EQ(status_of(feed_all("GET /" + std::string(64 * 1024, 'a') + " HTTP/1.1\r\n\r\n", 4096)), 414u);
  std::string headers;
  for (int i = 0; i < 2000; i++) headers += "X-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  EXPECT_EQ(status_of(feed_all("GET / HTTP/1.1\r\n" + headers + "\r\n", 4096)), 431u);
  EXPECT_EQ(status_of(feed_all("POST / HTTP/1.1\r\n\r\n")), 405u);
  EXPECT_EQ(status_of(feed_all("DELETE / HTTP/1.1\r\n\r\n")), 405u);
  EXPECT_EQ(status_of(feed_all("GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789")), 413u);
  EXPECT_EQ(status_of(feed_all("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")), 413u);
  EXPECT_EQ(status_of(feed_all("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")), 200u);
}

// A client that never ends its head is cut off before the reader holds more than the limit.
TEST(HttpRequestReader, NeverBuffersPastTheHeaderLimit) {
  size_t peak = 0;
  std::string endless = "GET / HTTP/1.1\r\n" + std::string(1 << 20, 'x');
  EXPECT_EQ(status_of(feed_all(endless, 4096, &peak)), 431u);
  EXPECT_LE(peak, HttpLimits{}.max_header_bytes + 4096);
  peak = 0;
  std::string body = "POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n" + std::string(1 << 20, 'b');
  EXPECT_EQ(status_of(feed_all(body, 4096, &peak)), 405u);
  EXPECT_LE(peak, 8192u);
}

}  // namespace
}  // namespace tcpulse::agent
