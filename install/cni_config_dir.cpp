#include "install/cni_config_dir.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "install/atomic_file.h"
#include "install/install_error.h"

namespace tcpulse::install {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_config_name(const std::string& name, bool* is_list) {
  auto ends = [&](std::string_view ext) {
    return name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
  };
  *is_list = ends(".conflist");
  return *is_list || ends(".conf") || ends(".json");
}

// nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 5: ..." without
// the library's prefix.
std::string parse_error_text(const json::parse_error& e) {
  std::string what = e.what();
  auto at = what.find("parse error at ");
  return "not valid JSON: " + (at == std::string::npos ? what : what.substr(at + 15));
}

std::string string_member(const json& j, const char* key, std::string* error) {
  auto it = j.find(key);
  if (it == j.end()) return "";
  if (!it->is_string()) {
    *error = std::string("\"") + key + "\" is not a string";
    return "";
  }
  return it->get<std::string>();
}

}  // namespace

CniConfigFile judge_cni_config(fs::path path, std::string text) {
  CniConfigFile f;
  f.path = std::move(path);
  is_config_name(f.path.filename().string(), &f.is_list);
  f.text = std::move(text);
  json j;
  try {
    j = json::parse(f.text);
  } catch (const json::parse_error& e) {
    f.error = parse_error_text(e);
    return f;
  }
  if (!j.is_object()) {
    f.error = "not a JSON object";
    return f;
  }
  f.network = string_member(j, "name", &f.error);
  f.cni_version = string_member(j, "cniVersion", &f.error);
  if (!f.error.empty()) return f;
  if (!f.is_list) {
    std::string type = string_member(j, "type", &f.error);
    if (f.error.empty() && type.empty()) f.error = "no plugin \"type\"";
    return f;
  }
  if (!j.contains("name")) {
    f.error = "a conflist needs a \"name\"";
    return f;
  }
  auto plugins = j.find("plugins");
  if (plugins == j.end()) f.error = "no \"plugins\"";
  else if (!plugins->is_array()) f.error = "\"plugins\" is not an array";
  else if (plugins->empty()) f.error = "\"plugins\" is empty";
  else
    for (const auto& p : *plugins)
      if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
        f.error = "a plugin without a string \"type\"";
        break;
      }
  return f;
}

std::vector<CniConfigFile> read_cni_configs(const fs::path& dir) {
  std::vector<fs::path> paths;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec) throw InstallError(dir.string() + ": cannot list the CNI conf dir: " + ec.message());
  for (; it != end; it.increment(ec)) {
    bool is_list = false;
    if (it->is_directory(ec) || !is_config_name(it->path().filename().string(), &is_list)) continue;
    paths.push_back(it->path());
  }
  if (ec) throw InstallError(dir.string() + ": cannot list the CNI conf dir: " + ec.message());
  std::sort(paths.begin(), paths.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();  // byte order, as Go's sort.Strings
  });
  std::vector<CniConfigFile> out;
  for (auto& p : paths) out.push_back(judge_cni_config(p, read_file(p)));
  return out;
}

std::optional<CniConfigFile> active_cni_config(const std::vector<CniConfigFile>& configs,
                                               const std::string& network) {
  for (const auto& f : configs) {
    if (!f.error.empty())
      throw InstallError(f.path.string() + ": " + f.error +
                         " (a CNI runtime may skip it or fail on it; fix or remove it)");
    if (network.empty() || f.network == network) return f;
  }
  if (!network.empty() && !configs.empty())
    throw InstallError(configs.front().path.parent_path().string() + ": no CNI config names network \"" +
                       network + "\"");
  return std::nullopt;
}

bool chaining_supported(const std::string& v) {
  // Versions before 0.3.0 had no prevResult, and an absent version means 0.1.0 to libcni.
  return !(v.empty() || v == "0.1.0" || v == "0.2.0");
}

}  // namespace tcpulse::install
