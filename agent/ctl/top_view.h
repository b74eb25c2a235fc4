// `tcpulsectl top` without a terminal: what the screen shows (a model of its state, changed by
// keys) and the lines of a frame, each with its style. top_screen.cpp draws them with ncurses;
// `top --once` prints them as text. Kept apart so that both are testable without a terminal.
#pragma once

#include <string>
#include <vector>

#include "agent/ctl/flow_rates.h"
#include "agent/ctl/pod_rates.h"

namespace tcpulse::ctl {

enum class TopMode { Pods, Connections };

// Keys, as the screen maps them from ncurses.
enum TopKey : int { kKeyUp = 1000, kKeyDown, kKeyEnter, kKeyEscape, kKeyBackspace, kKeyPageUp, kKeyPageDown };

struct TopState {
  TopMode mode = TopMode::Pods;
  PodColumn sort = PodColumn::Tx;
  std::string filter;          // applied to the pod rows
  bool typing = false;         // after '/', until Enter or Esc
  std::string typed;
  size_t selected = 0;         // row index in what is shown
  std::string pod;             // Connections: the namespace/pod shown
  bool quit = false;
};

// Applies a key (a TopKey or a character). rows: the pod rows shown now (Enter needs the
// selected one). Returns whether the mode or the pod changed (the screen then reads at once).
bool handle_key(TopState& state, int key, const std::vector<PodRow>& rows);

struct FrameData {
  std::string agent;            // its address
  std::string problem;          // e.g. "reconnecting: ..." ("" when the last read worked)
  double interval_s = 1;
  bool has_rates = false;       // false on the first read: no interval yet
  std::vector<PodRow> pods;     // sorted and filtered already
  std::vector<FlowRow> flows;   // Connections mode
};

enum class LineStyle { Title, Header, Normal, Selected, Warn, SelectedWarn, Status };
struct FrameLine {
  std::string text;
  LineStyle style = LineStyle::Normal;
};

// The frame's lines for a width; rows beyond height are scrolled to keep the selection on
// screen (height 0: every row, for --once).
std::vector<FrameLine> render_frame(const TopState& state, const FrameData& data, int width, int height);

}  // namespace tcpulse::ctl
