#include "agent/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tcpulse::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::map<std::string, HttpHandler>& routes)
      : stream_(std::move(socket)), routes_(routes) {}

  void read() {
    request_ = {};
    // A scraper that goes quiet must not hold a connection forever.
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->respond();
                     });
  }

 private:
  void respond() {
    HttpResponse out = route();
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), request_.version());
    res->set(http::field::server, "tcpulse-agent");
    res->set(http::field::content_type, out.content_type);
    res->keep_alive(request_.keep_alive());
    if (request_.method() != http::verb::head) res->body() = std::move(out.body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (res->keep_alive()) self->read();
                        else self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
                      });
  }

  HttpResponse route() {
    if (request_.method() != http::verb::get && request_.method() != http::verb::head)
      return {405, "text/plain", "only GET and HEAD\n"};
    std::string target(request_.target());
    std::string path = target.substr(0, target.find('?'));
    auto it = routes_.find(path);
    if (it == routes_.end()) {
      std::string known;
      for (const auto& [p, _] : routes_) known += p + "\n";
      return {404, "text/plain", "not found; try:\n" + known};
    }
    try {
      return it->second(target);
    } catch (const std::exception& e) {
      return {500, "text/plain", std::string("internal error: ") + e.what() + "\n"};
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  const std::map<std::string, HttpHandler>& routes_;
};

}  // namespace

Result<std::shared_ptr<HttpServer>> HttpServer::start(asio::io_context& io, const std::string& host,
                                                      uint16_t port,
                                                      std::map<std::string, HttpHandler> routes) {
  auto server = std::make_shared<HttpServer>(io, std::move(routes));
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Error(EINVAL, "listen address '" + host + "': " + ec.message());
  tcp::endpoint endpoint(address, port);
  auto& acc = server->acceptor_;
  if (acc.open(endpoint.protocol(), ec); ec) return Error(ec.value(), "open listen socket");
  acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (acc.bind(endpoint, ec); ec)
    return Error(ec.value(), "bind " + host + ":" + std::to_string(port) + ": " + ec.message());
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return Error(ec.value(), "listen: " + ec.message());
  server->accept();
  return server;
}

void HttpServer::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), routes_)->read();
    accept();
  });
}

void HttpServer::stop() {
  beast::error_code ec;
  acceptor_.close(ec);
}

}  // namespace tcpulse::agent
