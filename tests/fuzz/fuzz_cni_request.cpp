// The CNI request as a runtime hands it over: stdin, and the CNI_* environment. The input's first
// line is the environment (fields separated by '|': command, container id, ifname, args), the rest
// stdin. Whatever it is, parsing gives a request or a spec error, the error is valid UTF-8 JSON,
// and a request's result converts (pass-through, pod identity, record) without a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "cni-plugin/cni_error.h"
#include "cni-plugin/cni_request.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/pod_identity.h"
#include "tc-bpf/lib/utf8_text.h"

using namespace tcpulse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string env_line = nl == std::string::npos ? input : input.substr(0, nl);
  std::string stdin_text = nl == std::string::npos ? "" : input.substr(nl + 1);
  std::string fields[4] = {"ADD", "c1", "eth0", ""};
  for (size_t i = 0, start = 0; i < 4 && start <= env_line.size(); i++) {
    size_t bar = env_line.find('|', start);
    fields[i] = env_line.substr(start, bar == std::string::npos ? std::string::npos : bar - start);
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  auto env = [&](const char* name) -> const char* {
    std::string n = name;
    if (n == "CNI_COMMAND") return fields[0].c_str();
    if (n == "CNI_CONTAINERID") return fields[1].c_str();
    if (n == "CNI_IFNAME") return fields[2].c_str();
    if (n == "CNI_ARGS") return fields[3].c_str();
    if (n == "CNI_NETNS") return "/run/netns/x";
    return nullptr;
  };

  auto parsed = cni::parse_request(env, stdin_text);
  if (auto* err = std::get_if<cni::CniError>(&parsed)) {
    std::string out = cni::error_json(*err, cni::config_version(stdin_text));
    if (!is_valid_utf8(out) || nlohmann::json::parse(out, nullptr, false).is_discarded())
      __builtin_trap();
    return 0;
  }
  const auto& req = std::get<cni::CniRequest>(parsed);
  if (!req.prev_result) return 0;
  nlohmann::ordered_json out = *req.prev_result;
  out["cniVersion"] = req.cni_version;
  (void)out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  CniAttachment attachment{req.container_id, req.ifname, req.config.value("name", ""), req.args};
  PodRecord record = pod_identity(attachment, 1, &*req.prev_result);
  PodRecord back = PodRecord::from_abi(record.to_abi());
  for (const std::string* s : {&back.pod_name, &back.pod_namespace, &back.pod_uid, &back.network})
    if (!is_valid_utf8(*s)) __builtin_trap();
  if (!PodRecord::unrecordable(req.container_id, req.ifname)) {
    if (!back.is_attachment(req.container_id, req.ifname)) __builtin_trap();
    if (attachment_name(req.container_id, req.ifname).size() + 8 > 255) __builtin_trap();
  }
  return 0;
}
