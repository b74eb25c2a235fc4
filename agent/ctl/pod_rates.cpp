#include "agent/ctl/pod_rates.h"

#include <algorithm>
#include <map>

namespace tcpulse::ctl {
using json = nlohmann::json;

PodsRead pods_read(const json& pods, double at_s) {
  PodsRead r;
  r.at_s = at_s;
  if (!pods.is_array()) return r;
  for (const auto& p : pods) {
    try {
      if (p.value("departed", false)) continue;
      PodSample s;
      s.pod_namespace = p.value("namespace", "");
      s.pod = p.value("pod", "");
      s.dir[kEgress] = direction_counters(p.at("egress"));
      s.dir[kIngress] = direction_counters(p.at("ingress"));
      s.active = p.value("active_connections", uint64_t{0});
      if (p.contains("connections_opened"))
        s.opened = p["connections_opened"].value("client", uint64_t{0}) + p["connections_opened"].value("server", uint64_t{0});
      s.closed = p.value("connections_closed", uint64_t{0});
      if (p.contains("rtt")) {
        s.rtt_bucket0_ns = p["rtt"].value("bucket0_ns", uint64_t{25000});
        s.rtt_buckets = p["rtt"].value("buckets", std::vector<uint64_t>{});
      }
      r.pods.push_back(std::move(s));
    } catch (const json::exception&) {
      // An entry of another shape (an older or newer agent): left out rather than guessed at.
    }
  }
  return r;
}

double bucket_quantile(double q, uint64_t bucket0_ns, const std::vector<uint64_t>& counts) {
  uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return -1;
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] && static_cast<double>(below + counts[i]) >= rank) {
      double upper = static_cast<double>(bucket0_ns) * static_cast<double>(1ULL << i) * 1e-9;
      double lower = i == 0 ? 0 : upper / 2;
      if (i + 1 == counts.size()) return lower;  // unbounded: its lower bound, as Prometheus does
      return lower + (upper - lower) * (rank - static_cast<double>(below)) / static_cast<double>(counts[i]);
    }
    below += counts[i];
  }
  return -1;
}

std::vector<PodRow> pod_rows(const PodsRead* prev, const PodsRead& cur, const Thresholds& t) {
  std::map<std::string, const PodSample*> before;
  if (prev)
    for (const auto& p : prev->pods) before[p.key()] = &p;
  double dt = prev ? cur.at_s - prev->at_s : 0;
  std::vector<PodRow> rows;
  for (const auto& s : cur.pods) {
    PodRow r;
    r.pod_namespace = s.pod_namespace;
    r.pod = s.pod;
    r.active = s.active;
    auto it = before.find(s.key());
    if (it != before.end() && dt > 0) {
      const PodSample& b = *it->second;
      auto rate = [dt](uint64_t now, uint64_t then) { return static_cast<double>(counter_delta(now, then)) / dt; };
      r.tx_bytes_per_s = rate(s.dir[kEgress].bytes, b.dir[kEgress].bytes);
      r.rx_bytes_per_s = rate(s.dir[kIngress].bytes, b.dir[kIngress].bytes);
      r.opened_per_s = rate(s.opened, b.opened);
      r.resets_per_s = rate(s.dir[kEgress].resets, b.dir[kEgress].resets) + rate(s.dir[kIngress].resets, b.dir[kIngress].resets);
      r.zero_windows_per_s =
          rate(s.dir[kEgress].zero_windows, b.dir[kEgress].zero_windows) + rate(s.dir[kIngress].zero_windows, b.dir[kIngress].zero_windows);
      r.retrans_ratio = retransmission_ratio(s.dir[kEgress], b.dir[kEgress]);
      std::vector<uint64_t> interval(s.rtt_buckets.size());
      for (size_t i = 0; i < interval.size(); ++i)
        interval[i] = counter_delta(s.rtt_buckets[i], i < b.rtt_buckets.size() ? b.rtt_buckets[i] : 0);
      r.rtt_p50_s = bucket_quantile(0.5, s.rtt_bucket0_ns, interval);
      r.rtt_p99_s = bucket_quantile(0.99, s.rtt_bucket0_ns, interval);
    }
    r.rtt_warn = t.rtt_p99_s > 0 && r.rtt_p99_s >= t.rtt_p99_s;
    r.retrans_warn = t.retrans_ratio > 0 && r.retrans_ratio >= t.retrans_ratio;
    rows.push_back(std::move(r));
  }
  return rows;
}

const char* column_title(PodColumn c) {
  switch (c) {
    case PodColumn::Name: return "NAMESPACE/POD";
    case PodColumn::Tx: return "TX/s";
    case PodColumn::Rx: return "RX/s";
    case PodColumn::Active: return "CONNS";
    case PodColumn::Opened: return "NEW/s";
    case PodColumn::RttP50: return "RTT p50";
    case PodColumn::RttP99: return "RTT p99";
    case PodColumn::Retrans: return "RETRANS";
    case PodColumn::Resets: return "RST/s";
    case PodColumn::ZeroWindows: return "ZWIN/s";
    case PodColumn::Count: break;
  }
  return "";
}

void sort_rows(std::vector<PodRow>& rows, PodColumn by) {
  auto figure = [by](const PodRow& r) -> double {
    switch (by) {
      case PodColumn::Tx: return r.tx_bytes_per_s;
      case PodColumn::Rx: return r.rx_bytes_per_s;
      case PodColumn::Active: return static_cast<double>(r.active);
      case PodColumn::Opened: return r.opened_per_s;
      case PodColumn::RttP50: return r.rtt_p50_s;
      case PodColumn::RttP99: return r.rtt_p99_s;
      case PodColumn::Retrans: return r.retrans_ratio;
      case PodColumn::Resets: return r.resets_per_s;
      case PodColumn::ZeroWindows: return r.zero_windows_per_s;
      default: return 0;
    }
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const PodRow& a, const PodRow& b) {
    if (by != PodColumn::Name) {
      double fa = figure(a), fb = figure(b);
      if (fa != fb) return fa > fb;
    }
    return a.key() < b.key();
  });
}

std::vector<PodRow> filter_rows(const std::vector<PodRow>& rows, const std::string& text) {
  if (text.empty()) return rows;
  std::vector<PodRow> out;
  for (const auto& r : rows)
    if (r.key().find(text) != std::string::npos) out.push_back(r);
  return out;
}

}  // namespace tcpulse::ctl
