#include "cni-plugin/cni_error.h"

#include <nlohmann/json.hpp>

namespace tcpulse::cni {

std::string error_json(const CniError& error, const std::string& cni_version) {
  nlohmann::ordered_json out;
  out["cniVersion"] = cni_version.empty() ? "1.1.0" : cni_version;
  out["code"] = error.code;
  out["msg"] = error.msg;
  if (!error.details.empty()) out["details"] = error.details;
  return out.dump();
}

}  // namespace tcpulse::cni
