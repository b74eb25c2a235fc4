// AgentClient: what tcpulsectl knows of an agent — its JSON endpoints over HTTP/1.1, one short
// connection per request, each bounded by a timeout so that a hung agent never hangs a terminal.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tcpulse::ctl {

// The agent could not be reached (refused, unresolvable, timed out, closed mid-answer).
struct AgentUnreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The agent answered, but not with what was asked for (an HTTP error, or not JSON).
struct AgentError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct AgentAddress {
  std::string host, port;
  std::string text() const { return host + ":" + port; }
};

// "http://host:port", "host:port" or "host" (port 9965); std::invalid_argument if malformed.
AgentAddress parse_agent_url(const std::string& url);

class AgentClient {
 public:
  explicit AgentClient(AgentAddress address, std::chrono::milliseconds timeout = std::chrono::seconds(3))
      : address_(std::move(address)), timeout_(timeout) {}
  const AgentAddress& address() const { return address_; }
  // GET target; its body parsed as JSON.
  nlohmann::json get_json(const std::string& target) const;

 private:
  AgentAddress address_;
  std::chrono::milliseconds timeout_;
};

// target with query parameters, each value percent-encoded.
std::string with_query(std::string target, const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace tcpulse::ctl
