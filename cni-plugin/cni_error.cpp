#include "cni-plugin/cni_error.h"

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse::cni {

std::string error_json(const CniError& error, const std::string& cni_version) {
  // Messages quote what the runtime sent (CNI_COMMAND, CNI_IFNAME, names), which may be any
  // bytes: the result is valid UTF-8 JSON whatever they are, and building it cannot throw.
  nlohmann::ordered_json out;
  out["cniVersion"] = cni_version.empty() ? "1.1.0" : valid_utf8(cni_version);
  out["code"] = error.code;
  out["msg"] = valid_utf8(error.msg);
  if (!error.details.empty()) out["details"] = valid_utf8(error.details);
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tcpulse::cni
