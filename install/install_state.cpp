#include "install/install_state.h"

#include <nlohmann/json.hpp>

#include "install/atomic_file.h"
#include "install/install_error.h"

namespace tcpulse::install {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
constexpr int kStateVersion = 1;

}  // namespace

InstallState InstallStateStore::load() const {
  InstallState state;
  fs::path file = dir_ / "state.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return state;
  try {
    json j = json::parse(read_file(file));
    if (j.value("version", 0) != kStateVersion) throw InstallError(file.string() + ": unknown state version");
    state.reinsertions = j.value("reinsertions", uint64_t{0});
    for (const auto& [name, c] : j.at("chained").items())
      state.chained[name] = {c.at("original").get<std::string>(), c.at("written").get<std::string>(),
                             c.value("wrappedFrom", "")};
  } catch (const json::exception& e) {
    throw InstallError(file.string() + ": corrupt installer state: " + e.what());
  }
  return state;
}

void InstallStateStore::save(const InstallState& state) const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw InstallError(dir_.string() + ": cannot create: " + ec.message());
  json j = {{"version", kStateVersion}, {"reinsertions", state.reinsertions}, {"chained", json::object()}};
  for (const auto& [name, c] : state.chained) {
    json e = {{"original", c.original}, {"written", c.written}};
    if (!c.wrapped_from.empty()) e["wrappedFrom"] = c.wrapped_from;
    j["chained"][name] = e;
  }
  write_file_atomic(dir_ / "state.json", j.dump(2) + "\n", 0600);
}

void InstallStateStore::remove() const {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) throw InstallError(dir_.string() + ": cannot remove: " + ec.message());
}

}  // namespace tcpulse::install
