// The query of a request target ("/flows?namespace=shop&limit=10"), percent-decoded. A key given
// twice keeps its last value; a malformed escape is kept as it is.
#pragma once

#include <map>
#include <string>

namespace tcpulse::agent {

std::map<std::string, std::string> query_params(const std::string& target);

}  // namespace tcpulse::agent
