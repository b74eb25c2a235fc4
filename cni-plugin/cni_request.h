// CniRequest: one CNI invocation as the runtime made it — the CNI_* environment and the network
// configuration on stdin — parsed and validated. Every way it can be malformed maps to a spec
// error code here, before anything is touched.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "cni-plugin/cni_error.h"
#include "tc-bpf/lib/tc_attach.h"

namespace tcpulse::cni {

// The plugin's own keys in its network config entry. Unknown keys are ignored.
struct PluginConfig {
  std::filesystem::path pin_dir;  // "pinDir": bpffs base directory (default /sys/fs/bpf/tcpulse)
  std::filesystem::path state_dir;  // "stateDir": the pending queue (default /run/tcpulse)
  std::string log_file;           // "logFile": also append log lines here
  std::string log_level = "info"; // "logLevel": debug | info | warn | error
  bool fail_closed = false;       // "failClosed": make attach failures fail the ADD
  AttachMode attach_mode = AttachMode::Auto;  // "attachMode": auto | tcx | tc | xdp
};

struct CniRequest {
  std::string command;  // ADD, DEL, CHECK, VERSION, GC, STATUS
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::map<std::string, std::string> args;  // CNI_ARGS
  std::string cni_version;
  nlohmann::ordered_json config;
  std::optional<nlohmann::ordered_json> prev_result;
  PluginConfig plugin;
};

using EnvLookup = std::function<const char*(const char*)>;

// Largest stdin accepted; real configs are a few KiB.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

const std::vector<std::string>& supported_versions();

// CNI_ARGS: "K1=V1;K2=V2". Pieces without '=' or with an empty key are skipped; whitespace
// around keys and values is trimmed.
std::map<std::string, std::string> parse_cni_args(std::string_view text);

// The cniVersion of a network config if it has a readable one, else "" (for error results).
std::string config_version(std::string_view stdin_text);

// Parses and validates a whole request.
std::variant<CniRequest, CniError> parse_request(const EnvLookup& env, std::string_view stdin_text);

}  // namespace tcpulse::cni
