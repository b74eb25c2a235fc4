#include "agent/ctl/agent_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace tcpulse::ctl {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

AgentAddress parse_agent_url(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  else if (rest.find("://") != std::string::npos)
    throw std::invalid_argument("--agent " + url + ": only http:// is spoken");
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos)
    throw std::invalid_argument("--agent " + url + ": want http://HOST:PORT");
  AgentAddress a;
  if (rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("--agent " + url + ": unclosed [");
    a.host = rest.substr(1, close - 1);
    a.port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "9965";
  } else {
    auto colon = rest.rfind(':');
    a.host = colon == std::string::npos ? rest : rest.substr(0, colon);
    a.port = colon == std::string::npos ? "9965" : rest.substr(colon + 1);
  }
  if (a.host.empty() || a.port.empty() || a.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(a.port) == 0 || std::stoul(a.port) > 65535)
    throw std::invalid_argument("--agent " + url + ": want http://HOST:PORT");
  return a;
}

nlohmann::json AgentClient::get_json(const std::string& target) const {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  http::response<http::string_body> res;
  try {
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(address_.host, address_.port);
    stream.expires_after(timeout_);
    stream.connect(endpoints);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, address_.host);
    req.set(http::field::user_agent, "tcpulsectl/" TCPULSE_VERSION);
    req.set(http::field::connection, "close");
    stream.expires_after(timeout_);
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    http::read(stream, buffer, parser);
    res = parser.release();
  } catch (const boost::system::system_error& e) {
    throw AgentUnreachable("agent " + address_.text() + ": " + e.code().message());
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  if (res.result() != http::status::ok)
    throw AgentError("agent " + address_.text() + target + ": HTTP " + std::to_string(res.result_int()) + " " +
                     res.body().substr(0, res.body().find('\n')));
  try {
    return nlohmann::json::parse(res.body());
  } catch (const nlohmann::json::exception&) {
    throw AgentError("agent " + address_.text() + target + ": the answer is not JSON");
  }
}

std::string with_query(std::string target, const std::vector<std::pair<std::string, std::string>>& params) {
  char sep = '?';
  for (const auto& [k, v] : params) {
    target += sep;
    target += k + "=";
    for (unsigned char c : v) {
      if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
        target += static_cast<char>(c);
      } else {
        char hex[4];
        snprintf(hex, sizeof hex, "%%%02X", c);
        target += hex;
      }
    }
    sep = '&';
  }
  return target;
}

}  // namespace tcpulse::ctl
