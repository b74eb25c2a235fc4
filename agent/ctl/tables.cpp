#include "agent/ctl/tables.h"

#include <algorithm>
#include <cstdio>

#include "agent/ctl/human_units.h"

namespace tcpulse::ctl {
namespace {

using json = nlohmann::json;

uint64_t num(const json& j, const char* key) { return j.is_object() ? j.value(key, uint64_t{0}) : 0; }

std::string ratio_text(uint64_t part, uint64_t whole) { return whole ? percent(static_cast<double>(part) / static_cast<double>(whole)) : "0"; }

}  // namespace

std::string bytes_text(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows, size_t left) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      std::string pad(width[i] - r[i].size(), ' ');
      line += i < left ? r[i] + pad : pad + r[i];
      if (i + 1 < r.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string pods_table(const json& pods) {
  std::vector<std::vector<std::string>> rows = {
      {"NAMESPACE", "POD", "IFINDEX", "SENT", "RECEIVED", "CONNS", "OPENED", "RETRANS", "RESETS", "ZWIN"}};
  for (const auto& p : pods) {
    const json& eg = p.value("egress", json::object());
    const json& in = p.value("ingress", json::object());
    uint64_t opened = p.contains("connections_opened") ? num(p["connections_opened"], "client") + num(p["connections_opened"], "server") : 0;
    // A host-network pod has no veth: its traffic is its sockets' on the node's uplinks.
    std::string ifindex = p.value("host_network", false) ? "host" : std::to_string(p.value("host_ifindex", 0));
    rows.push_back({p.value("namespace", ""), p.value("pod", ""), ifindex,
                    bytes_text(num(eg, "bytes")), bytes_text(num(in, "bytes")),
                    std::to_string(p.value("active_connections", uint64_t{0})), std::to_string(opened),
                    ratio_text(num(eg, "retransmitted_segments"), num(eg, "packets")),
                    std::to_string(num(eg, "resets") + num(in, "resets")),
                    std::to_string(num(eg, "zero_window_segments") + num(in, "zero_window_segments"))});
  }
  return aligned_table(rows, 2) + (pods.empty() ? "(no pods attached)\n" : "");
}

std::string flows_table(const json& answer) {
  std::vector<std::vector<std::string>> rows = {
      {"NAMESPACE/POD", "LOCAL", "PEER", "ROLE", "STATE", "SENT", "RECEIVED", "RTT avg", "RTT max", "RETRANS", "RST"}};
  const json& flows = answer.value("flows", json::array());
  for (const auto& f : flows) {
    const json& eg = f.value("egress", json::object());
    const json& in = f.value("ingress", json::object());
    uint64_t samples = f.value("rtt_samples", uint64_t{0});
    rows.push_back({f.value("namespace", "") + "/" + f.value("pod", ""),
                    std::to_string(f.value("local_port", 0)),
                    f.value("remote", "") + ":" + std::to_string(f.value("remote_port", 0)), f.value("role", ""),
                    f.value("state", ""), bytes_text(num(eg, "bytes")), bytes_text(num(in, "bytes")),
                    samples ? duration_s(static_cast<double>(f.value("rtt_mean_ns", uint64_t{0})) * 1e-9) : "-",
                    samples ? duration_s(static_cast<double>(f.value("rtt_max_ns", uint64_t{0})) * 1e-9) : "-",
                    std::to_string(num(eg, "retransmitted_segments")), std::to_string(num(eg, "resets") + num(in, "resets"))});
  }
  std::string out = aligned_table(rows, 5);
  uint64_t omitted = answer.value("omitted", uint64_t{0});
  out += std::to_string(flows.size()) + " of " + std::to_string(answer.value("matched", uint64_t{flows.size()})) +
         " connections" + (omitted ? " (--limit 0 shows all)" : "") + "\n";
  return out;
}

std::string status_text(const json& s) {
  std::string out;
  auto line = [&out](const std::string& k, const std::string& v) { out += k + std::string(k.size() < 22 ? 22 - k.size() : 1, ' ') + v + "\n"; };
  line("agent", "tcpulse-agent " + s.value("version", "?") + ", datapath ABI " + std::to_string(s.value("abi", 0)));
  line("pin dir", s.value("pin_dir", ""));
  line("up", duration_s(s.value("uptime_seconds", 0.0)));
  const json& pods = s.value("pods", json::object());
  line("pods attached", std::to_string(num(pods, "attached")) +
                            (num(pods, "departed") ? " (and " + std::to_string(num(pods, "departed")) + " departed, in their grace period)" : ""));
  line("connections", std::to_string(s.value("connections", uint64_t{0})));
  const json& table = s.value("flow_table", json::object());
  line("flow table", std::to_string(num(table, "entries")) + " of " + std::to_string(num(table, "capacity")) + " slots");
  const json& c = s.value("collections", json::object());
  line("scans of the datapath", std::to_string(num(c, "succeeded")) + " ok, " + std::to_string(num(c, "failed")) + " failed" +
                                    (c.value("last_failed", false) ? "; failing now: " + c.value("last_error", std::string()) : ""));
  const json& pending = s.value("pending", json::array());
  line("queued by the plugin", std::to_string(pending.size()) + (pending.empty() ? "" : " (attached at the next reconciliation)"));
  for (const auto& p : pending)
    out += "  " + p.value("namespace", "") + "/" + p.value("pod", "") + " (" + p.value("interface", "") + ")\n";
  const json& failed = s.value("attach_failures", json::array());
  line("failed to attach", std::to_string(failed.size()));
  for (const auto& f : failed)
    out += "  " + f.value("namespace", "") + "/" + f.value("pod", "") + " (" + f.value("source", "") + "): " + f.value("error", "") + "\n";
  return out;
}

}  // namespace tcpulse::ctl
