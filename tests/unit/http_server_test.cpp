// The agent's HTTP server against clients that misbehave: it answers what it must, closes what
// it must, and a well-behaved scraper is never locked out.
#include "agent/http_server.h"
#include "agent/response_coalescer.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include <future>
#include <thread>

#include "tests/support/raw_http_client.h"

namespace tcpulse::agent {
namespace {

using test::RawHttpClient;

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options) {
    std::map<std::string, HttpHandler> routes = {
        {"/healthz", [](const std::string&) { return HttpResponse{200, "text/plain", "ok\n"}; }},
        {"/boom", [](const std::string&) -> HttpResponse { throw std::runtime_error("x"); }},
        {"/stream", [](const std::string&) {
           HttpResponse out{200, "application/json", ""};
           auto left = std::make_shared<int>(3);
           out.stream = [left]() -> std::optional<std::string> {
             if (*left == 0) return std::nullopt;
             if (--*left == 1) return std::string();  // an empty piece is skipped, not the end
             return std::string(100'000, static_cast<char>('a' + *left));
           };
           return out;
         }},
    };
    auto server = HttpServer::start(io_, "127.0.0.1", 0, routes, options);
    ASSERT_TRUE(server) << server.error().describe();
    server_ = server.value();
    port_ = server_->local_endpoint().port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (!server_) return;
    boost::asio::post(io_, [this] { server_->stop(); io_.stop(); });
    thread_.join();
  }
  // Reads the server's stats on its own thread.
  HttpServerStats stats() {
    std::promise<HttpServerStats> p;
    boost::asio::post(io_, [&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }

  boost::asio::io_context io_;
  std::shared_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(HttpServerTest, AnswersEachKindOfBadRequestAndClosesIt) {
  start({});
  struct Case {
    std::string request;
    unsigned status;
  } cases[] = {
      {"NOT HTTP AT ALL\r\n\r\n", 400},
      {"GET /" + std::string(8192, 'u') + " HTTP/1.1\r\n\r\n", 414},
      {"GET / HTTP/1.1\r\nX: " + std::string(100 * 1024, 'h') + "\r\n\r\n", 431},
      {"POST /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 405},
      {"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 413},
      {"GET /nothing HTTP/1.1\r\n\r\n", 404},
      {"GET /boom HTTP/1.1\r\n\r\n", 500},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.request.substr(0, 30));
    RawHttpClient client(port_);
    client.send(c.request);
    auto answer = client.read_answer();
    EXPECT_EQ(answer.status, c.status) << answer.head;
    if (c.status == 405) {
      EXPECT_NE(answer.head.find("Allow: GET, HEAD"), std::string::npos);
    }
    if (c.status != 404 && c.status != 500) {
      EXPECT_TRUE(client.closed_by_peer(5));
    }
  }
}

TEST_F(HttpServerTest, KeepAlivePipeliningAndHead) {
  start({});
  RawHttpClient client(port_);
  client.send("GET /healthz HTTP/1.1\r\n\r\nHEAD /healthz HTTP/1.1\r\n\r\nGET /healthz?x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(client.read_answer().body, "ok\n");
  auto head = client.read_answer(5, /*expect_body=*/false);
  EXPECT_EQ(head.status, 200u);
  EXPECT_NE(head.head.find("Content-Length: 3"), std::string::npos);
  EXPECT_EQ(client.read_answer().body, "ok\n");
}

TEST_F(HttpServerTest, AStreamedAnswerComesInChunksAndTheConnectionGoesOn) {
  start({});
  RawHttpClient client(port_);
  client.send("GET /stream HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
  auto streamed = client.read_answer();
  EXPECT_EQ(streamed.status, 200u);
  EXPECT_NE(streamed.head.find("Transfer-Encoding: chunked"), std::string::npos) << streamed.head;
  EXPECT_EQ(streamed.body, std::string(100'000, 'c') + std::string(100'000, 'a'));
  EXPECT_EQ(streamed.chunks, 3u);
  EXPECT_EQ(client.read_answer().body, "ok\n") << "keep-alive after a streamed answer";
}

// The defect: connections were not capped, and each could hold a 30 s timeout. At the cap, idle
// and slow clients give way to a new one; a scraper always gets in.
TEST_F(HttpServerTest, AtTheCapTheLongestWaitingClientMakesRoom) {
  HttpServerOptions options;
  options.max_connections = 4;
  start(options);
  std::vector<std::unique_ptr<RawHttpClient>> idle;
  for (int i = 0; i < 4; i++) {
    idle.push_back(std::make_unique<RawHttpClient>(port_));
    idle.back()->send("GET /healthz HTTP/1.1\r\nX-Slow: ");  // never finished
  }
  for (int round = 0; round < 10; round++) {
    RawHttpClient scraper(port_);
    scraper.send("GET /healthz HTTP/1.1\r\n\r\n");
    EXPECT_EQ(scraper.read_answer().status, 200u) << round;
  }
  EXPECT_TRUE(idle[0]->closed_by_peer(5));  // the oldest waiter went first
  EXPECT_LE(server_->connections(), 4u);
  EXPECT_GE(stats().evicted, 1u);
}

TEST_F(HttpServerTest, AClientThatSendsNothingIsClosedAfterTheTimeout) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  start(options);
  RawHttpClient silent(port_);
  RawHttpClient slow(port_);
  slow.send("GET /healthz HTTP/1.1\r\n");
  EXPECT_TRUE(silent.closed_by_peer(10));
  EXPECT_TRUE(slow.closed_by_peer(10));
  EXPECT_EQ(stats().timed_out, 2u);
}

}  // namespace
}  // namespace tcpulse::agent

namespace tcpulse::agent {
namespace {

// Below its budget every request renders (fresh values for tests and Prometheus); past it, a
// flood is answered from a render younger than max_age.
TEST(ResponseCoalescer, RendersFreshUntilAFloodThenServesARecentRender) {
  int renders = 0;
  ResponseCoalescer route(
      [&](const std::string& target) {
        renders++;
        return HttpResponse{200, "text/plain", target + std::to_string(renders)};
      },
      /*budget_per_second=*/3, std::chrono::milliseconds(500));
  auto t = ResponseCoalescer::Clock::time_point{} + std::chrono::hours(1);
  using std::chrono::milliseconds;
  EXPECT_EQ(route("/m", t).body, "/m1");
  EXPECT_EQ(route("/m", t + milliseconds(1)).body, "/m2");
  EXPECT_EQ(route("/m", t + milliseconds(2)).body, "/m3");
  // The budget is spent: the same target is served from the last render...
  EXPECT_EQ(route("/m", t + milliseconds(3)).body, "/m3");
  EXPECT_EQ(route("/m", t + milliseconds(400)).body, "/m3");
  // ...but never one older than max_age, and never another target's.
  EXPECT_EQ(route("/m", t + milliseconds(600)).body, "/m4");
  EXPECT_EQ(route("/x", t + milliseconds(601)).body, "/x5");
  EXPECT_EQ(route.coalesced(), 2u);
  // A second later the budget is back: fresh again.
  EXPECT_EQ(route("/m", t + milliseconds(2000)).body, "/m6");
}

}  // namespace
}  // namespace tcpulse::agent
