// HttpServer: a small HTTP/1.1 server on the agent's one Asio event loop. GET/HEAD only; each
// route is a function from the request target to a response. Keep-alive, as Prometheus uses it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "tc-bpf/lib/result.h"

namespace tcpulse::agent {

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const std::string& target)>;

class HttpServer {
 public:
  // Binds and starts accepting. Routes match the request path exactly (query ignored).
  static Result<std::shared_ptr<HttpServer>> start(boost::asio::io_context& io,
                                                   const std::string& host, uint16_t port,
                                                   std::map<std::string, HttpHandler> routes);
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void stop();

  HttpServer(boost::asio::io_context& io, std::map<std::string, HttpHandler> routes)
      : acceptor_(io), routes_(std::move(routes)) {}

 private:
  void accept();
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<std::string, HttpHandler> routes_;
};

}  // namespace tcpulse::agent
