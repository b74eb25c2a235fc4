// tcpulsectl: the node's TCP health for people, from a tcpulse agent's HTTP/JSON API.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "agent/ctl/agent_client.h"
#include "agent/ctl/human_units.h"
#include "agent/ctl/tables.h"
#include "agent/ctl/top_command.h"

namespace {

using namespace tcpulse::ctl;
using json = nlohmann::json;

constexpr const char* kUsage = R"(usage: tcpulsectl [--agent URL] COMMAND [FLAGS]

commands:
  top      live view of the node's pods (ncurses): rates over each interval, RTT p50/p99,
           retransmission ratio, resets and zero windows; Enter shows a pod's connections
  pods     the pods the agent watches, with their totals
  flows    connections in the flow table, busiest first
  status   the agent: version, datapath ABI, pods attached, queued, failed to attach and why

flags:
  --agent URL          the agent (default http://127.0.0.1:9965, or $TCPULSE_AGENT)
  -o, --output FORMAT  table (default) or json: pods, flows, status
  top:    -d SECONDS       refresh interval (default 1)
          --rtt-warn TIME  highlight pods whose RTT p99 reaches it (e.g. 50ms, 200us, 0.1)
          --retrans-warn R highlight pods retransmitting this share of what they send (e.g. 1%, 0.02)
          --once           print one frame as text and exit (no terminal needed)
  flows:  --pod NS/NAME    only this pod's connections
          --peer ADDR      only connections to this address
          --limit N        at most N connections (default 100; 0: all)
  -h, --help
)";

struct Args {
  std::string command, agent, output = "table", pod, peer;
  TopOptions top;
  bool once = false;
  size_t limit = 100;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double parse_number(const std::string& flag, const std::string& v, double lo, double hi) {
  size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || !std::isfinite(d) || d < lo || d > hi)
    throw UsageError(flag + ": want a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + v + "'");
  return d;
}

// "50ms", "200us", "1s" or plain seconds.
double parse_duration(const std::string& flag, const std::string& v) {
  for (auto [suffix, scale] : {std::pair{"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}})
    if (v.size() > std::string(suffix).size() && v.compare(v.size() - std::string(suffix).size(), std::string::npos, suffix) == 0) {
      std::string n = v.substr(0, v.size() - std::string(suffix).size());
      if (n.find_first_not_of("0123456789.") == std::string::npos) return parse_number(flag, n, 0, 3600) * scale;
    }
  return parse_number(flag, v, 0, 3600);
}

double parse_ratio(const std::string& flag, const std::string& v) {
  if (!v.empty() && v.back() == '%') return parse_number(flag, v.substr(0, v.size() - 1), 0, 100) / 100;
  return parse_number(flag, v, 0, 1);
}

Args parse(int argc, char** argv) {
  Args a;
  if (const char* env = std::getenv("TCPULSE_AGENT")) a.agent = env;
  if (a.agent.empty()) a.agent = "http://127.0.0.1:9965";
  std::vector<std::string> v(argv + 1, argv + argc);
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string& f = v[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= v.size()) throw UsageError(f + ": missing value");
      return v[++i];
    };
    if (f == "-h" || f == "--help") {
      a.command = "help";
      return a;
    }
    if (f == "--agent") a.agent = value();
    else if (f == "-o" || f == "--output") {
      a.output = value();
      if (a.output != "table" && a.output != "json") throw UsageError("-o: table or json, got '" + a.output + "'");
    } else if (f == "-d") a.top.interval_s = parse_number(f, value(), 0.1, 3600);
    else if (f == "--rtt-warn") a.top.thresholds.rtt_p99_s = parse_duration(f, value());
    else if (f == "--retrans-warn") a.top.thresholds.retrans_ratio = parse_ratio(f, value());
    else if (f == "--once") a.once = true;
    else if (f == "--pod") {
      a.pod = value();
      if (a.pod.find('/') == std::string::npos) throw UsageError("--pod: want NAMESPACE/NAME, got '" + a.pod + "'");
    } else if (f == "--peer") a.peer = value();
    else if (f == "--limit") a.limit = static_cast<size_t>(parse_number(f, value(), 0, 1e9));
    else if (f.rfind("-", 0) == 0) throw UsageError("unknown flag '" + f + "'; see --help");
    else if (a.command.empty()) a.command = f;
    else throw UsageError("unexpected argument '" + f + "'");
  }
  if (a.command.empty()) throw UsageError("no command (top, pods, flows or status); see --help");
  if (a.command != "top" && a.command != "pods" && a.command != "flows" && a.command != "status")
    throw UsageError("unknown command '" + a.command + "'; see --help");
  return a;
}

int run(const Args& a) {
  AgentClient client(parse_agent_url(a.agent));
  if (a.command == "top") {
    if (a.once) return run_top_once(client, a.top, std::cout);
    return run_top(client, a.top);
  }
  if (a.command == "pods") {
    json pods = client.get_json("/pods");
    if (a.output == "json") std::cout << pods.dump(2) << "\n";
    else std::cout << pods_table(pods);
    return 0;
  }
  if (a.command == "flows") {
    std::vector<std::pair<std::string, std::string>> q = {{"limit", std::to_string(a.limit)}};
    if (!a.pod.empty()) {
      q.push_back({"namespace", a.pod.substr(0, a.pod.find('/'))});
      q.push_back({"pod", a.pod.substr(a.pod.find('/') + 1)});
    }
    if (!a.peer.empty()) q.push_back({"peer", a.peer});
    json flows = client.get_json(with_query("/flows", q));
    if (a.output == "json") std::cout << flows.dump(2) << "\n";
    else std::cout << flows_table(flows);
    return 0;
  }
  json status = client.get_json("/status");
  if (a.output == "json") std::cout << status.dump(2) << "\n";
  else std::cout << status_text(status);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  try {
    args = parse(argc, argv);
    if (args.command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    parse_agent_url(args.agent);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpulsectl: %s\n", e.what());
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpulsectl: %s\n", e.what());
    return 1;
  }
}
