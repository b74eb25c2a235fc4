// HttpServer: a small HTTP/1.1 server on the agent's one Asio event loop, built to stay up and
// small whatever its clients do (it listens on the node's address, with hostNetwork):
//   - GET and HEAD only; a request body is refused (413) before it is read; limits on the head
//     (431) and the target (414); 400 for anything malformed; 405 says Allow: GET, HEAD;
//   - at most max_connections at once. At the cap a new client takes the place of the one that
//     has waited longest for a request (idle keep-alive, or a slow sender), or is closed at once
//     if every connection is busy answering: so idle or slow clients cannot lock a scraper out;
//   - a client has header_timeout to send a complete request head (also the keep-alive idle
//     time), and write_timeout to read an answer;
//   - accept backs off when the process is out of descriptors (a spare one lets it shed the
//     waiting client), instead of spinning.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/http_request_reader.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::agent {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // When set, the body is streamed instead (chunked): the next piece, or nullopt at the end. Each
  // piece is rendered when the one before it has been written, so an answer never has to fit in
  // memory whole.
  std::function<std::optional<std::string>()> stream;
};

using HttpHandler = std::function<HttpResponse(const std::string& target)>;

struct HttpServerOptions {
  HttpLimits limits;
  size_t max_connections = 64;
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds accept_backoff{100};  // after EMFILE / ENFILE
};

// What the server turned away, for the agent's log and metrics.
struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t evicted = 0;          // a waiting connection closed to make room at the cap
  uint64_t refused_busy = 0;     // closed at once: at the cap with every connection answering
  uint64_t rejected = 0;         // answered 4xx by the request reader
  uint64_t timed_out = 0;
  uint64_t accept_fd_exhausted = 0;
};

class HttpSession;

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  // Binds and starts accepting. Routes match the request path exactly (query ignored).
  static Result<std::shared_ptr<HttpServer>> start(boost::asio::io_context& io,
                                                   const std::string& host, uint16_t port,
                                                   std::map<std::string, HttpHandler> routes,
                                                   HttpServerOptions options = {});
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void stop();
  const HttpServerStats& stats() const { return stats_; }
  size_t connections() const { return sessions_.size(); }

  HttpServer(boost::asio::io_context& io, std::map<std::string, HttpHandler> routes,
             HttpServerOptions options);

 private:
  friend class HttpSession;
  void accept();
  void shed_one_waiting_client();
  bool make_room();
  HttpResponse route(const HttpRequest& request) const;

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::map<std::string, HttpHandler> routes_;
  HttpServerOptions options_;
  HttpServerStats stats_;
  // Live sessions, those waiting longest for a request first.
  std::list<HttpSession*> sessions_;
  UniqueFd spare_fd_;
  bool stopped_ = false;
};

}  // namespace tcpulse::agent
