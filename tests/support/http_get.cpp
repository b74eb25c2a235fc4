#include "tests/support/http_get.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace tcpulse::test {

std::string http_get(const std::string& address, const std::string& target) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address(host),
                  static_cast<uint16_t>(std::stoi(address.substr(colon + 1)))});
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, host);
  http::write(socket, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(socket, buf, res);
  if (res.result() != http::status::ok)
    throw std::runtime_error("GET " + target + ": HTTP " + std::to_string(res.result_int()));
  return res.body();
}

}  // namespace tcpulse::test
