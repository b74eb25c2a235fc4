#include "agent/ctl/top_command.h"

#include <curses.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "agent/ctl/top_view.h"

namespace tcpulse::ctl {
namespace {

using Clock = std::chrono::steady_clock;

double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

// What top shows, read from the agent: the previous read is kept to make rates.
class TopFeed {
 public:
  TopFeed(const AgentClient& client, const TopOptions& o) : client_(client), options_(o) {}

  // Reads what the state's mode shows; on failure keeps the last rows and says why.
  void read(const TopState& s) {
    try {
      if (s.mode == TopMode::Pods) {
        PodsRead cur = pods_read(client_.get_json("/pods"), now_s());
        pods_ = pod_rows(pods_prev_ ? &*pods_prev_ : nullptr, cur, options_.thresholds);
        has_rates_ = pods_prev_.has_value();
        pods_prev_ = std::move(cur);
      } else {
        auto slash = s.pod.find('/');
        std::string target = with_query("/flows", {{"namespace", s.pod.substr(0, slash)},
                                                   {"pod", s.pod.substr(slash + 1)}, {"limit", "500"}});
        FlowsRead cur = flows_read(client_.get_json(target), now_s());
        flows_ = flow_rows(flows_prev_ ? &*flows_prev_ : nullptr, cur, options_.thresholds);
        has_rates_ = flows_prev_.has_value();
        flows_prev_ = std::move(cur);
      }
      problem_.clear();
    } catch (const std::exception& e) {
      problem_ = std::string("reconnecting: ") + e.what();
      pods_prev_.reset();  // rates across a gap would mislead
      flows_prev_.reset();
    }
  }
  // Forgets the previous read (the mode or the pod changed).
  void restart() {
    pods_prev_.reset();
    flows_prev_.reset();
    flows_.clear();
    has_rates_ = false;
  }

  FrameData frame(const TopState& s) const {
    FrameData d;
    d.agent = client_.address().text();
    d.problem = problem_;
    d.interval_s = options_.interval_s;
    d.has_rates = has_rates_;
    d.pods = filter_rows(pods_, s.filter);
    sort_rows(d.pods, s.sort);
    d.flows = flows_;
    return d;
  }

 private:
  const AgentClient& client_;
  TopOptions options_;
  std::optional<PodsRead> pods_prev_;
  std::optional<FlowsRead> flows_prev_;
  std::vector<PodRow> pods_;
  std::vector<FlowRow> flows_;
  bool has_rates_ = false;
  std::string problem_;
};

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int curses_key(int ch) {
  switch (ch) {
    case KEY_UP: return kKeyUp;
    case KEY_DOWN: return kKeyDown;
    case KEY_PPAGE: return kKeyPageUp;
    case KEY_NPAGE: return kKeyPageDown;
    case KEY_ENTER:
    case '\n':
    case '\r': return kKeyEnter;
    case 27: return kKeyEscape;
    case KEY_BACKSPACE:
    case 127:
    case 8: return kKeyBackspace;
    default: return ch;
  }
}

enum Pair : short { kPairHeader = 1, kPairWarn, kPairSelected, kPairSelectedWarn, kPairStatus };

void draw(const std::vector<FrameLine>& lines) {
  erase();
  int row = 0;
  for (const auto& l : lines) {
    attr_t a = A_NORMAL;
    switch (l.style) {
      case LineStyle::Title: a = A_BOLD; break;
      case LineStyle::Header: a = A_REVERSE | COLOR_PAIR(kPairHeader); break;
      case LineStyle::Warn: a = A_BOLD | COLOR_PAIR(kPairWarn); break;
      case LineStyle::Selected: a = A_REVERSE | COLOR_PAIR(kPairSelected); break;
      case LineStyle::SelectedWarn: a = A_REVERSE | A_BOLD | COLOR_PAIR(kPairSelectedWarn); break;
      case LineStyle::Status: a = COLOR_PAIR(kPairStatus); break;
      case LineStyle::Normal: break;
    }
    attron(a);
    mvaddnstr(row++, 0, l.text.c_str(), COLS);
    attroff(a);
  }
  refresh();
}

}  // namespace

int run_top(const AgentClient& client, const TopOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  if (!initscr()) return 1;
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  timeout(100);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kPairHeader, COLOR_CYAN, -1);
    init_pair(kPairWarn, COLOR_RED, -1);
    init_pair(kPairSelected, COLOR_WHITE, -1);
    init_pair(kPairSelectedWarn, COLOR_RED, -1);
    init_pair(kPairStatus, COLOR_YELLOW, -1);
  }

  TopState state;
  TopFeed feed(client, options);
  auto next_read = Clock::now();
  auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.interval_s));
  while (!state.quit && !g_stop) {
    if (Clock::now() >= next_read) {
      feed.read(state);
      next_read = Clock::now() + interval;
    }
    FrameData data = feed.frame(state);
    if (state.mode == TopMode::Pods && state.selected >= data.pods.size() && !data.pods.empty())
      state.selected = data.pods.size() - 1;
    if (state.mode == TopMode::Connections && state.selected >= data.flows.size() && !data.flows.empty())
      state.selected = data.flows.size() - 1;
    draw(render_frame(state, data, COLS, LINES));
    int ch = getch();
    if (ch == ERR || ch == KEY_RESIZE) continue;  // a resize: the next draw has the new size
    if (handle_key(state, curses_key(ch), data.pods)) {
      feed.restart();
      next_read = Clock::now();
    }
  }
  endwin();
  return 0;
}

int run_top_once(const AgentClient& client, const TopOptions& options, std::ostream& out) {
  TopState state;
  TopFeed feed(client, options);
  feed.read(state);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.interval_s));
  feed.read(state);
  FrameData data = feed.frame(state);
  if (!data.problem.empty()) throw AgentUnreachable(data.problem.substr(data.problem.find(": ") + 2));
  for (const auto& l : render_frame(state, data, 0, 0)) {
    if (l.style == LineStyle::Status) continue;  // key help means nothing on paper
    std::string text = l.text;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << (l.style == LineStyle::Warn ? "   <- over a threshold" : "") << "\n";
  }
  return 0;
}

}  // namespace tcpulse::ctl
