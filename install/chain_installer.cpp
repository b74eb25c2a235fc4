#include "install/chain_installer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "install/atomic_file.h"
#include "install/cni_config_dir.h"
#include "install/install_error.h"
#include "install/install_state.h"

namespace tcpulse::install {
namespace {

namespace fs = std::filesystem;

// The new text must load as the active config did, or it is not written.
void check_loads(const fs::path& path, const std::string& text) {
  CniConfigFile judged = judge_cni_config(path, text);
  if (!judged.error.empty())
    throw InstallError(path.string() + ": chaining would produce an invalid config: " + judged.error);
}

// Takes tcpulse out of one file the installer chained; returns what it did.
std::string unchain(const fs::path& conf_dir, const std::string& name, const ChainedFile& c,
                    const fs::path& state_dir) {
  fs::path file = conf_dir / name;
  std::error_code ec;
  if (!c.wrapped_from.empty()) {
    fs::path saved = state_dir / c.wrapped_from, conf = conf_dir / c.wrapped_from;
    std::string what;
    if (fs::exists(saved, ec)) {
      if (!fs::exists(conf, ec)) {
        move_file(saved, conf);
        what = "restored " + conf.string();
      } else {
        what = conf.string() + " was rewritten since; kept it";
      }
    }
    if (fs::exists(file, ec)) {
      std::string now = read_file(file);
      if (now == c.written) {
        fs::remove(file, ec);
        if (ec) throw InstallError(file.string() + ": cannot remove: " + ec.message());
        what += (what.empty() ? "" : ", ") + std::string("removed ") + file.string();
      } else if (count_tcpulse_entries(now)) {
        write_file_atomic(file, without_tcpulse_entry(now), file_mode(file));
        what += (what.empty() ? "" : ", ") + std::string("removed tcpulse from ") + file.string() +
                " (edited since the installer wrote it; kept)";
      }
    }
    return what;
  }
  if (!fs::exists(file, ec)) return "";
  std::string now = read_file(file);
  if (now == c.written) {
    write_file_atomic(file, c.original, file_mode(file));
    return "restored " + file.string();
  }
  CniConfigFile judged = judge_cni_config(file, now);
  if (judged.error.empty() && judged.is_list && count_tcpulse_entries(now)) {
    write_file_atomic(file, without_tcpulse_entry(now), file_mode(file));
    return "removed tcpulse from " + file.string() + " (edited since; the rest kept)";
  }
  return "";
}

}  // namespace

void ChainInstaller::check_plugin() const {
  if (o_.plugin.empty()) throw InstallError("--plugin: no plugin binary given");
  if (::access(o_.plugin.c_str(), X_OK) != 0 || !fs::is_regular_file(o_.plugin))
    throw InstallError(o_.plugin.string() + ": plugin binary not found or not executable");
}

bool ChainInstaller::copy_plugin() {
  std::error_code ec;
  if (!fs::is_directory(o_.bin_dir, ec)) {
    fs::create_directories(o_.bin_dir, ec);
    if (ec) throw InstallError(o_.bin_dir.string() + ": cannot create the CNI bin dir: " + ec.message());
  }
  return copy_file_atomic(o_.plugin, o_.bin_dir / "tcpulse", 0755);
}

InstallOutcome ChainInstaller::install() {
  check_plugin();
  ordered_json entry = tcpulse_entry(o_.config);
  auto configs = read_cni_configs(o_.conf_dir);
  auto active = active_cni_config(configs, o_.network);
  if (!active)
    throw InstallError(o_.conf_dir.string() + ": no CNI config" +
                       (o_.network.empty() ? "" : " for network \"" + o_.network + "\"") +
                       " (is the primary CNI installed yet?)");
  if (!chaining_supported(active->cni_version))
    throw InstallError(active->path.string() + ": cniVersion \"" + active->cni_version +
                       "\" cannot chain plugins (0.3.0 or later can)");
  // Before anything is copied: a conf dir the installer cannot write is the end of it.
  if (::access(o_.conf_dir.c_str(), W_OK) != 0)
    throw InstallError(o_.conf_dir.string() + ": cannot write the CNI conf dir: " + std::strerror(errno));
  InstallOutcome out = active->is_list ? chain_conflist(*active, entry) : wrap_conf(*active, configs, entry);

  // Files chained before that the runtime no longer uses go back to what they were.
  InstallStateStore store(o_.conf_dir);
  InstallState state = store.load();
  std::string active_name = out.config.filename().string();
  for (auto it = state.chained.begin(); it != state.chained.end();) {
    if (it->first == active_name) {
      ++it;
      continue;
    }
    std::string did = unchain(o_.conf_dir, it->first, it->second, store.dir());
    if (!did.empty()) out.notes.push_back(did + " (no longer the active config)");
    it = state.chained.erase(it);
    store.save(state);
  }
  out.reinsertions = state.reinsertions;
  return out;
}

InstallOutcome ChainInstaller::chain_conflist(const CniConfigFile& active, const ordered_json& entry) {
  InstallOutcome out;
  out.config = active.path;
  std::string name = active.path.filename().string();
  std::string text;
  try {
    text = with_tcpulse_entry(active.text, entry);
  } catch (const InstallError& e) {
    throw InstallError(active.path.string() + ": " + e.what());
  }
  check_loads(active.path, text);
  out.wrote_binary = copy_plugin();

  InstallStateStore store(o_.conf_dir);
  InstallState state = store.load();
  auto known = state.chained.find(name);
  bool had_entry = count_tcpulse_entries(active.text) != 0;
  if (known == state.chained.end() || known->second.written != active.text) {
    // First sight of this file, or the primary CNI (or a person) rewrote it: what is there now
    // is the original to restore.
    if (known != state.chained.end() && !had_entry) {
      out.reinserted = true;
      ++state.reinsertions;
    }
    auto& c = state.chained[name];
    c.original = had_entry ? without_tcpulse_entry(active.text) : active.text;
  }
  state.chained[name].written = text;
  if (text != active.text) {
    store.save(state);  // first: a crash after the write still knows the original
    write_file_atomic(active.path, text, file_mode(active.path));
    out.wrote_config = true;
    out.notes.push_back((had_entry ? "updated tcpulse in " : "chained tcpulse into ") + active.path.string());
  } else {
    store.save(state);
  }
  return out;
}

InstallOutcome ChainInstaller::wrap_conf(const CniConfigFile& active, const std::vector<CniConfigFile>& all,
                                         const ordered_json& entry) {
  InstallOutcome out;
  if (active.network.empty())
    throw InstallError(active.path.string() + ": no network \"name\"; a conflist wrapping it needs one");
  std::string conf_name = active.path.filename().string();
  std::string list_name = active.path.stem().string() + ".conflist";
  fs::path list = o_.conf_dir / list_name;
  InstallStateStore store(o_.conf_dir);
  InstallState state = store.load();
  auto known = state.chained.find(list_name);
  bool ours = known != state.chained.end() && known->second.wrapped_from == conf_name;
  std::error_code ec;
  if (fs::exists(list, ec) && !ours)
    throw InstallError(active.path.string() + ": a single-plugin config, and " + list.string() +
                       " (where tcpulse would wrap it) already exists");
  // The conflist must take the .conf's place in libcni's order once the .conf is moved aside.
  for (const auto& f : all) {
    std::string n = f.path.filename().string();
    if (n > conf_name && n < list_name)
      throw InstallError(active.path.string() + ": " + f.path.string() + " sorts between it and " + list_name +
                         ", so a runtime would not use the wrapped config");
  }
  std::string text = wrap_single_plugin_conf(active.text, entry);
  check_loads(list, text);
  out.wrote_binary = copy_plugin();

  if (ours) {
    out.reinserted = true;  // the primary CNI wrote its .conf again
    ++state.reinsertions;
  }
  state.chained[list_name] = {"", text, conf_name};
  store.save(state);
  write_file_atomic(list, text, file_mode(active.path));
  move_file(active.path, store.dir() / conf_name);
  out.config = list;
  out.wrote_config = true;
  out.notes.push_back("wrapped " + active.path.string() + " into " + list.string() + " with tcpulse (the .conf is kept in " +
                      store.dir().string() + ")");
  return out;
}

std::vector<std::string> ChainInstaller::uninstall() {
  std::vector<std::string> did, failed;
  InstallStateStore store(o_.conf_dir);
  InstallState state = store.load();
  for (const auto& [name, c] : state.chained) {
    try {
      std::string what = unchain(o_.conf_dir, name, c, store.dir());
      if (!what.empty()) did.push_back(what);
    } catch (const InstallError& e) {
      failed.push_back(e.what());
    }
  }
  // Entries the installer did not write (an earlier installer, or a person) go too.
  try {
    for (const auto& f : read_cni_configs(o_.conf_dir)) {
      if (!f.error.empty() || !f.is_list || state.chained.count(f.path.filename().string())) continue;
      if (count_tcpulse_entries(f.text)) {
        write_file_atomic(f.path, without_tcpulse_entry(f.text), file_mode(f.path));
        did.push_back("removed tcpulse from " + f.path.string());
      }
    }
  } catch (const InstallError& e) {
    failed.push_back(e.what());
  }
  if (!failed.empty()) {
    std::string all;
    for (const auto& f : failed) all += (all.empty() ? "" : "; ") + f;
    throw InstallError(all);
  }
  std::error_code ec;
  fs::path binary = o_.bin_dir / "tcpulse";
  if (fs::remove(binary, ec)) did.push_back("removed " + binary.string());
  if (ec) throw InstallError(binary.string() + ": cannot remove: " + ec.message());
  store.remove();
  return did;
}

InstallStatus ChainInstaller::status() const {
  InstallStatus s;
  std::error_code ec;
  s.binary_present = fs::is_regular_file(o_.bin_dir / "tcpulse", ec);
  try {
    s.reinsertions = InstallStateStore(o_.conf_dir).load().reinsertions;
    auto active = active_cni_config(read_cni_configs(o_.conf_dir), o_.network);
    if (!active) {
      s.problem = o_.conf_dir.string() + ": no CNI config";
      return s;
    }
    s.active = active->path;
    if (!active->is_list) {
      s.problem = "the active config is a single-plugin .conf, which cannot chain tcpulse";
      return s;
    }
    auto doc = ordered_json::parse(active->text);
    const auto& plugins = doc["plugins"];
    size_t n = count_tcpulse_entries(active->text);
    if (n == 0) s.problem = "tcpulse is not in its plugins";
    else if (plugins.back().value("type", "") != "tcpulse") s.problem = "tcpulse is not the last plugin";
    for (const auto& p : plugins)
      if (p.value("type", "") == "tcpulse") s.entry = p.dump();
    if (s.problem.empty() && !s.binary_present) s.problem = (o_.bin_dir / "tcpulse").string() + " is missing";
  } catch (const InstallError& e) {
    s.problem = e.what();
  }
  return s;
}

}  // namespace tcpulse::install
