#include "cni-plugin/cni_request.h"

#include <algorithm>

#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/untrusted_json.h"

namespace tcpulse::cni {

namespace {

using json = nlohmann::ordered_json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string env_or_empty(const EnvLookup& env, const char* name) {
  const char* v = env(name);
  return v ? std::string(v) : std::string();
}

std::optional<CniError> parse_plugin_config(const json& config, PluginConfig& out) {
  auto bad = [](const std::string& key, const std::string& want) {
    return CniError{kInvalidConfig, "invalid tcpulse config", "\"" + key + "\" must be " + want};
  };
  out.pin_dir = std::string(kDefaultPinBase);
  if (auto it = config.find("pinDir"); it != config.end()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>()[0] != '/')
      return bad("pinDir", "an absolute path");
    out.pin_dir = it->get<std::string>();
  }
  out.state_dir = std::string(kDefaultStateDir);
  if (auto it = config.find("stateDir"); it != config.end()) {
    if (!it->is_string() || it->get<std::string>().empty() || it->get<std::string>()[0] != '/')
      return bad("stateDir", "an absolute path");
    out.state_dir = it->get<std::string>();
  }
  if (auto it = config.find("logFile"); it != config.end()) {
    if (!it->is_string()) return bad("logFile", "a string");
    out.log_file = it->get<std::string>();
  }
  if (auto it = config.find("logLevel"); it != config.end()) {
    static const std::vector<std::string> levels = {"debug", "info", "warn", "error"};
    if (!it->is_string() ||
        std::find(levels.begin(), levels.end(), it->get<std::string>()) == levels.end())
      return bad("logLevel", "one of debug, info, warn, error");
    out.log_level = it->get<std::string>();
  }
  if (auto it = config.find("failClosed"); it != config.end()) {
    if (!it->is_boolean()) return bad("failClosed", "true or false");
    out.fail_closed = it->get<bool>();
  }
  if (auto it = config.find("attachMode"); it != config.end()) {
    auto mode = it->is_string() ? parse_attach_mode(it->get<std::string>()) : std::nullopt;
    if (!mode) return bad("attachMode", "one of auto, tcx, tc, xdp");
    out.attach_mode = *mode;
  }
  return std::nullopt;
}

bool version_supported(const std::string& v) {
  const auto& all = supported_versions();
  return std::find(all.begin(), all.end(), v) != all.end();
}

}  // namespace

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> versions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return versions;
}

std::string config_version(std::string_view stdin_text) {
  auto parsed = parse_untrusted_json(stdin_text, kMaxConfigBytes);
  if (!parsed) return "";
  const auto& doc = parsed.value();
  if (!doc.is_object()) return "";
  auto v = doc.find("cniVersion");
  return v != doc.end() && v->is_string() && version_supported(v->get<std::string>())
             ? v->get<std::string>()
             : "";
}

std::map<std::string, std::string> parse_cni_args(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    size_t end = text.find(';');
    std::string_view piece = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t eq = piece.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(piece.substr(0, eq));
    if (key.empty()) continue;
    out[std::string(key)] = std::string(trim(piece.substr(eq + 1)));
  }
  return out;
}

std::variant<CniRequest, CniError> parse_request(const EnvLookup& env, std::string_view stdin_text) {
  CniRequest req;
  req.command = env_or_empty(env, "CNI_COMMAND");
  static const std::vector<std::string> commands = {"ADD", "DEL", "CHECK", "VERSION", "GC", "STATUS"};
  if (req.command.empty())
    return CniError{kInvalidEnvironment, "CNI_COMMAND is not set", ""};
  if (std::find(commands.begin(), commands.end(), req.command) == commands.end())
    return CniError{kInvalidEnvironment, "unknown CNI_COMMAND", req.command};

  if (stdin_text.size() > kMaxConfigBytes)
    return CniError{kDecodeFailure, "network config too large",
                    std::to_string(stdin_text.size()) + " bytes, at most " +
                        std::to_string(kMaxConfigBytes)};
  if (req.command == "VERSION" && trim(stdin_text).empty()) {
    req.cni_version = "1.1.0";
    return req;
  }

  // Bounded nesting before anything copies the document: copies recurse once per level.
  auto parsed = parse_untrusted_json(stdin_text, kMaxConfigBytes);
  if (!parsed) return CniError{kDecodeFailure, "failed to decode network config", parsed.error().what()};
  req.config = std::move(parsed).value();
  if (!req.config.is_object())
    return CniError{kDecodeFailure, "network config is not a JSON object", ""};

  auto version = req.config.find("cniVersion");
  if (version == req.config.end() || !version->is_string())
    return CniError{kInvalidConfig, "network config has no cniVersion", ""};
  req.cni_version = version->get<std::string>();
  if (!version_supported(req.cni_version))
    return CniError{kIncompatibleVersion, "incompatible CNI version",
                    "config has " + req.cni_version + "; tcpulse supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"};
  if (req.command == "VERSION") return req;
  if ((req.command == "GC" || req.command == "STATUS") && req.cni_version != "1.1.0")
    return CniError{kIncompatibleVersion, req.command + " needs cniVersion 1.1.0", req.cni_version};

  for (const char* key : {"name", "type"}) {
    auto it = req.config.find(key);
    if (it == req.config.end() || !it->is_string() || it->get<std::string>().empty())
      return CniError{kInvalidConfig, std::string("network config has no \"") + key + "\"", ""};
  }
  if (auto err = parse_plugin_config(req.config, req.plugin)) return *err;

  if (auto prev = req.config.find("prevResult"); prev != req.config.end() && !prev->is_null()) {
    if (!prev->is_object())
      return CniError{kInvalidConfig, "prevResult is not a JSON object", ""};
    for (const char* list : {"interfaces", "ips", "routes"}) {
      auto it = prev->find(list);
      if (it != prev->end() && !it->is_array())
        return CniError{kInvalidConfig, std::string("prevResult.") + list + " is not a list", ""};
    }
    req.prev_result = *prev;
  }

  if (req.command == "GC" || req.command == "STATUS") return req;

  req.container_id = env_or_empty(env, "CNI_CONTAINERID");
  req.netns = env_or_empty(env, "CNI_NETNS");
  req.ifname = env_or_empty(env, "CNI_IFNAME");
  req.args = parse_cni_args(env_or_empty(env, "CNI_ARGS"));
  if (req.container_id.empty())
    return CniError{kInvalidEnvironment, "CNI_CONTAINERID is not set", ""};
  if (req.ifname.empty()) return CniError{kInvalidEnvironment, "CNI_IFNAME is not set", ""};
  if (req.ifname.size() >= 16 || req.ifname.find('/') != std::string::npos)
    return CniError{kInvalidEnvironment, "CNI_IFNAME is not a valid interface name", req.ifname};
  if (req.command != "DEL" && req.netns.empty())
    return CniError{kInvalidEnvironment, "CNI_NETNS is not set", ""};
  if ((req.command == "ADD" || req.command == "CHECK") && !req.prev_result)
    return CniError{kInvalidConfig, "tcpulse must be called as a chained plugin",
                    "no prevResult: put tcpulse after the primary CNI plugin in the conflist"};
  return req;
}

}  // namespace tcpulse::cni
