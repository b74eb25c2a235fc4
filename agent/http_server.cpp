#include "agent/http_server.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <array>
#include <optional>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tcpulse::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<HttpServer> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    pos_ = server_->sessions_.insert(server_->sessions_.end(), this);
  }
  ~HttpSession() { leave(); }

  void start() { wait_for_request(""); }
  bool waiting() const { return waiting_; }

  // Closes the connection now; its pending operation ends with operation_aborted.
  void close() {
    leave();
    beast::error_code ec;
    stream_.socket().close(ec);
  }

 private:
  void leave() {
    if (listed_) server_->sessions_.erase(pos_);
    listed_ = false;
  }

  void wait_for_request(std::string leftover) {
    if (!listed_) return;
    waiting_ = true;
    // Now the newest to wait: the last to be asked to make room.
    server_->sessions_.splice(server_->sessions_.end(), server_->sessions_, pos_);
    reader_.emplace(server_->options_.limits);
    stream_.expires_after(server_->options_.header_timeout);
    if (leftover.empty()) read_more();
    else handle(reader_->feed(leftover));
  }

  void read_more() {
    stream_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                    beast::error_code ec, size_t n) {
      if (ec) {
        if (ec == beast::error::timeout) self->server_->stats_.timed_out++;
        return;  // closed, timed out, evicted: the session ends here
      }
      self->handle(self->reader_->feed(std::string_view(self->buf_.data(), n)));
    });
  }

  void handle(const HttpReadOutcome& outcome) {
    if (std::holds_alternative<HttpNeedMore>(outcome)) return read_more();
    waiting_ = false;
    if (const auto* reject = std::get_if<HttpReject>(&outcome)) {
      server_->stats_.rejected++;
      HttpResponse out{reject->status, "text/plain; charset=utf-8", reject->reason + "\n"};
      return respond(out, 11, /*keep_alive=*/false, /*head=*/false);
    }
    const auto& request = std::get<HttpRequest>(outcome);
    respond(server_->route(request), request.version, request.keep_alive, request.head);
  }

  void respond(HttpResponse out, unsigned version, bool keep_alive, bool head) {
    if (out.stream) return respond_streamed(std::move(out), version, keep_alive, head);
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(out.status), version);
    res->set(http::field::server, "tcpulse-agent");
    res->set(http::field::content_type, out.content_type);
    if (out.status == 405) res->set(http::field::allow, "GET, HEAD");
    res->keep_alive(keep_alive);
    res->body() = std::move(out.body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET answer
    stream_.expires_after(server_->options_.write_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) {
        if (ec == beast::error::timeout) self->server_->stats_.timed_out++;
        return;
      }
      if (res->keep_alive()) return self->wait_for_request(std::string(self->reader_->leftover()));
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      self->close();
    });
  }

  // The head with Transfer-Encoding: chunked, then each piece as a chunk, then the last chunk.
  void respond_streamed(HttpResponse out, unsigned version, bool keep_alive, bool head) {
    auto res = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(out.status), version);
    res->set(http::field::server, "tcpulse-agent");
    res->set(http::field::content_type, out.content_type);
    res->keep_alive(keep_alive);
    res->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(server_->options_.write_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, next = std::move(out.stream), keep_alive,
         head](beast::error_code ec, size_t) mutable {
          if (ec) return self->write_failed(ec);
          if (head) return self->finish(keep_alive);
          self->write_chunks(std::move(next), keep_alive);
        });
  }

  void write_chunks(std::function<std::optional<std::string>()> next, bool keep_alive) {
    std::optional<std::string> piece;
    do piece = next();
    while (piece && piece->empty());  // an empty chunk would end the body
    stream_.expires_after(server_->options_.write_timeout);
    if (!piece) {
      return asio::async_write(stream_, http::make_chunk_last(),
                               [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                                 if (ec) return self->write_failed(ec);
                                 self->finish(keep_alive);
                               });
    }
    auto data = std::make_shared<std::string>(std::move(*piece));
    asio::async_write(stream_, http::make_chunk(asio::buffer(*data)),
                      [self = shared_from_this(), data, next = std::move(next), keep_alive](
                          beast::error_code ec, size_t) mutable {
                        if (ec) return self->write_failed(ec);
                        self->write_chunks(std::move(next), keep_alive);
                      });
  }

  void write_failed(const beast::error_code& ec) {
    if (ec == beast::error::timeout) server_->stats_.timed_out++;
  }

  void finish(bool keep_alive) {
    if (keep_alive) return wait_for_request(std::string(reader_->leftover()));
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer> server_;
  std::list<HttpSession*>::iterator pos_;
  bool listed_ = true;
  bool waiting_ = true;
  std::optional<HttpRequestReader> reader_;
  std::array<char, 4096> buf_;
};

HttpServer::HttpServer(asio::io_context& io, std::map<std::string, HttpHandler> routes,
                       HttpServerOptions options)
    : acceptor_(io), backoff_(io), routes_(std::move(routes)), options_(options),
      spare_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

Result<std::shared_ptr<HttpServer>> HttpServer::start(asio::io_context& io, const std::string& host,
                                                      uint16_t port,
                                                      std::map<std::string, HttpHandler> routes,
                                                      HttpServerOptions options) {
  if (options.max_connections == 0) return Error(EINVAL, "at least one HTTP connection is needed");
  auto server = std::make_shared<HttpServer>(io, std::move(routes), options);
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

bool HttpServer::make_room() {
  if (sessions_.size() < options_.max_connections) return true;
  for (HttpSession* s : sessions_) {
    if (!s->waiting()) continue;
    stats_.evicted++;
    s->close();
    return true;
  }
  return false;
}

void HttpServer::shed_one_waiting_client() {
  // Out of descriptors, the client stays in the backlog and accept fails again at once. The
  // spare descriptor makes room to take it and close it, so it is told instead of left hanging.
  spare_fd_.reset();
  int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) ::close(fd);
  spare_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

void HttpServer::accept() {
  acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || self->stopped_) return;
    if (ec == asio::error::no_descriptors || ec.value() == ENFILE || ec.value() == ENOBUFS ||
        ec.value() == ENOMEM) {
      self->stats_.accept_fd_exhausted++;
      self->shed_one_waiting_client();
      self->backoff_.expires_after(self->options_.accept_backoff);
      self->backoff_.async_wait([self](beast::error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    if (!ec) {
      self->stats_.accepted++;
      if (self->make_room()) {
        std::make_shared<HttpSession>(std::move(socket), self)->start();
      } else {
        self->stats_.refused_busy++;
        socket.close(ec);
      }
    }
    self->accept();
  });
}

HttpResponse HttpServer::route(const HttpRequest& request) const {
  std::string path = request.target.substr(0, request.target.find('?'));
  auto it = routes_.find(path);
  if (it == routes_.end()) {
    std::string known;
    for (const auto& [p, _] : routes_) known += p + "\n";
    return {404, "text/plain; charset=utf-8", "not found; try:\n" + known};
  }
  try {
    return it->second(request.target);
  } catch (const std::exception& e) {
    return {500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
  }
}

void HttpServer::stop() {
  stopped_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  backoff_.cancel();
  while (!sessions_.empty()) sessions_.front()->close();
}

}  // namespace tcpulse::agent
