// `tcpulsectl top`: reads the agent every interval and shows the pods (or one pod's
// connections) full-screen with ncurses, or one frame as text with --once. Survives an agent
// restart (the last rows stay, marked "reconnecting") and a terminal resize; leaves the terminal
// as it found it on q, SIGINT, SIGTERM, SIGHUP or a closed terminal.
#pragma once

#include <ostream>

#include "agent/ctl/agent_client.h"
#include "agent/ctl/pod_rates.h"

namespace tcpulse::ctl {

struct TopOptions {
  double interval_s = 1;
  Thresholds thresholds;
};

int run_top(const AgentClient& client, const TopOptions& options);
// Two reads an interval apart, then one frame as plain text (no terminal needed).
int run_top_once(const AgentClient& client, const TopOptions& options, std::ostream& out);

}  // namespace tcpulse::ctl
