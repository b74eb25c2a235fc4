// A blocking HTTP GET for tests: returns the body, or throws on a connection error or a status
// other than 200.
#pragma once

#include <string>

namespace tcpulse::test {

// address: "HOST:PORT" as the agent writes it in its ready file.
std::string http_get(const std::string& address, const std::string& target);

}  // namespace tcpulse::test
