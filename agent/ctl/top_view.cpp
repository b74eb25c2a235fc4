#include "agent/ctl/top_view.h"

#include <algorithm>
#include <cstdio>

#include "agent/ctl/human_units.h"

namespace tcpulse::ctl {
namespace {

std::string cell(const std::string& text, size_t width, bool left = false) {
  std::string t = text.size() > width ? text.substr(0, width) : text;
  std::string pad(width - t.size(), ' ');
  return left ? t + pad : pad + t;
}

constexpr size_t kNameWidth = 36;
constexpr size_t kFigureWidth = 12;  // "999.9 MB/s" and a gap

std::string pod_line(const PodRow& r) {
  return cell(r.pod_namespace + "/" + r.pod, kNameWidth, true) + cell(bytes_per_s(r.tx_bytes_per_s), kFigureWidth) +
         cell(bytes_per_s(r.rx_bytes_per_s), kFigureWidth) + cell(std::to_string(r.active), 7) +
         cell(per_s(r.opened_per_s), 7) + cell(duration_s(r.rtt_p50_s), kFigureWidth) +
         cell(duration_s(r.rtt_p99_s), kFigureWidth) + cell(percent(r.retrans_ratio), 9) +
         cell(per_s(r.resets_per_s), 7) + cell(per_s(r.zero_windows_per_s), 7);
}

std::string pod_header(PodColumn sort) {
  auto title = [sort](PodColumn c) {
    std::string t = column_title(c);
    return c == sort ? t + "*" : t;  // the sort column
  };
  return cell(title(PodColumn::Name), kNameWidth, true) + cell(title(PodColumn::Tx), kFigureWidth) +
         cell(title(PodColumn::Rx), kFigureWidth) + cell(title(PodColumn::Active), 7) + cell(title(PodColumn::Opened), 7) +
         cell(title(PodColumn::RttP50), kFigureWidth) + cell(title(PodColumn::RttP99), kFigureWidth) +
         cell(title(PodColumn::Retrans), 9) + cell(title(PodColumn::Resets), 7) + cell(title(PodColumn::ZeroWindows), 7);
}

std::string flow_header() {
  return cell("PEER", 28, true) + cell("PORT", 7) + cell("LOCAL", 7) + cell("ROLE", 8) + cell("STATE", 13) +
         cell("TX/s", kFigureWidth) + cell("RX/s", kFigureWidth) + cell("RTT avg", kFigureWidth) +
         cell("RTT max", kFigureWidth) + cell("RETRANS", 9) + cell("RST", 5) + cell("ZWIN", 6);
}

std::string flow_line(const FlowRow& r) {
  return cell(r.peer, 28, true) + cell(std::to_string(r.peer_port), 7) + cell(std::to_string(r.local_port), 7) +
         cell(r.role, 8) + cell(r.state, 13) + cell(bytes_per_s(r.tx_bytes_per_s), kFigureWidth) +
         cell(bytes_per_s(r.rx_bytes_per_s), kFigureWidth) + cell(duration_s(r.rtt_mean_s), kFigureWidth) +
         cell(duration_s(r.rtt_max_s), kFigureWidth) + cell(percent(r.retrans_ratio), 9) +
         cell(std::to_string(r.resets), 5) + cell(std::to_string(r.zero_windows), 6);
}

}  // namespace

bool handle_key(TopState& s, int key, const std::vector<PodRow>& rows) {
  if (s.typing) {
    if (key == kKeyEnter) {
      s.filter = s.typed;
      s.typing = false;
      s.selected = 0;
    } else if (key == kKeyEscape) {
      s.typing = false;
    } else if (key == kKeyBackspace) {
      if (!s.typed.empty()) s.typed.pop_back();
    } else if (key >= 32 && key < 127) {
      s.typed += static_cast<char>(key);
    }
    return false;
  }
  size_t count = s.mode == TopMode::Pods ? rows.size() : SIZE_MAX;
  switch (key) {
    case 'q':
    case 'Q':
      s.quit = true;
      return false;
    case kKeyUp:
      if (s.selected > 0) --s.selected;
      return false;
    case kKeyDown:
      if (s.selected + 1 < count) ++s.selected;
      return false;
    case kKeyPageUp:
      s.selected = s.selected > 10 ? s.selected - 10 : 0;
      return false;
    case kKeyPageDown:
      if (count != SIZE_MAX && count) s.selected = std::min(s.selected + 10, count - 1);
      return false;
    case '<':
    case '>': {
      if (s.mode != TopMode::Pods) return false;
      int n = static_cast<int>(PodColumn::Count), c = static_cast<int>(s.sort);
      s.sort = static_cast<PodColumn>((c + (key == '>' ? 1 : n - 1)) % n);
      return false;
    }
    case '/':
      if (s.mode != TopMode::Pods) return false;
      s.typing = true;
      s.typed = s.filter;
      return false;
    case kKeyEnter:
      if (s.mode != TopMode::Pods || s.selected >= rows.size()) return false;
      s.mode = TopMode::Connections;
      s.pod = rows[s.selected].key();
      s.selected = 0;
      return true;
    case kKeyEscape:
      if (s.mode == TopMode::Connections) {
        s.mode = TopMode::Pods;
        s.selected = 0;
        return true;
      }
      if (!s.filter.empty()) {
        s.filter.clear();
        s.selected = 0;
      }
      return false;
    default:
      return false;
  }
}

std::vector<FrameLine> render_frame(const TopState& s, const FrameData& d, int width, int height) {
  std::vector<FrameLine> out;
  char title[256];
  if (s.mode == TopMode::Pods)
    std::snprintf(title, sizeof title, "tcpulse top - agent %s - %zu pods - every %.1fs - sorted by %s%s%s",
                  d.agent.c_str(), d.pods.size(), d.interval_s, column_title(s.sort),
                  s.filter.empty() ? "" : " - filter: ", s.filter.c_str());
  else
    std::snprintf(title, sizeof title, "tcpulse top - agent %s - connections of %s - %zu connections - every %.1fs",
                  d.agent.c_str(), s.pod.c_str(), d.flows.size(), d.interval_s);
  out.push_back({title, LineStyle::Title});
  std::string status = !d.problem.empty() ? d.problem
                       : s.typing        ? "filter: " + s.typed + "_   (Enter to apply, Esc to cancel)"
                       : !d.has_rates    ? "measuring the first interval..."
                       : s.mode == TopMode::Pods
                           ? "arrows: move  < >: sort  /: filter  Enter: connections  q: quit"
                           : "arrows: move  Esc: back to pods  q: quit";
  out.push_back({status, LineStyle::Status});
  out.push_back({s.mode == TopMode::Pods ? pod_header(s.sort) : flow_header(), LineStyle::Header});

  std::vector<FrameLine> rows;
  if (s.mode == TopMode::Pods)
    for (size_t i = 0; i < d.pods.size(); ++i) {
      bool sel = height > 0 && i == s.selected, warn = d.pods[i].warn();
      rows.push_back({pod_line(d.pods[i]), sel ? (warn ? LineStyle::SelectedWarn : LineStyle::Selected)
                                               : (warn ? LineStyle::Warn : LineStyle::Normal)});
    }
  else
    for (size_t i = 0; i < d.flows.size(); ++i) {
      bool sel = height > 0 && i == s.selected, warn = d.flows[i].warn();
      rows.push_back({flow_line(d.flows[i]), sel ? (warn ? LineStyle::SelectedWarn : LineStyle::Selected)
                                                 : (warn ? LineStyle::Warn : LineStyle::Normal)});
    }
  size_t first = 0, room = rows.size();
  if (height > 0) {
    room = height > static_cast<int>(out.size()) ? static_cast<size_t>(height) - out.size() : 0;
    if (s.selected >= room) first = s.selected - room + 1;
  }
  for (size_t i = first; i < rows.size() && i < first + room; ++i) out.push_back(rows[i]);
  if (width > 0)
    for (auto& l : out)
      if (l.text.size() > static_cast<size_t>(width)) l.text.resize(static_cast<size_t>(width));
  return out;
}

}  // namespace tcpulse::ctl
