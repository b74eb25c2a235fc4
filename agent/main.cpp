// tcpulse-agent: the node agent. Loads and pins the datapath (reusing pinned maps so counters
// continue across restarts), and serves what it measures on one Asio event loop.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_options.h"
#include "agent/http_server.h"
#include "agent/json_views.h"
#include "agent/metrics_exporter.h"
#include "agent/node_snapshot.h"
#include "agent/response_coalescer.h"
#include "agent/datapath_upgrade.h"
#include "agent/datapath_cleanup.h"
#include "tc-bpf/lib/datapath_loader.h"
#include "agent/datapath_maps.h"
#include "tc-bpf/lib/libbpf_log.h"
#include "agent/reconciler.h"

namespace {

using namespace tcpulse;
using namespace tcpulse::agent;

void log(const std::string& msg) { std::cerr << "tcpulse-agent: " << msg << std::endl; }

// tcpulse_agent_errors_total{op}: written and read on the one event loop.
std::map<std::string, uint64_t> agent_errors;
// The server, once started: /metrics reports what it did with its clients.
std::shared_ptr<HttpServer> http_server;

std::map<std::string, HttpHandler> routes(const DatapathMaps& maps) {
  auto snapshot = [&maps](bool with_flows) {
    auto snap = read_snapshot(maps, with_flows);
    if (!snap) {
      agent_errors["snapshot"]++;
      throw std::runtime_error(snap.error().describe());
    }
    return std::move(snap).value();
  };
  // Shared by the routes' copies (std::function copies its callable).
  auto coalesced = [](HttpHandler render) {
    auto coalescer = std::make_shared<ResponseCoalescer>(std::move(render));
    return [coalescer](const std::string& target) { return (*coalescer)(target); };
  };
  return {
      {"/metrics", coalesced([=](const std::string&) {
         auto families = pod_metric_families(snapshot(true));
         families.push_back(agent_errors_family(agent_errors));
         if (http_server) families.push_back(http_connections_family(http_server->stats()));
         return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", render_text(families)};
       })},
      {"/pods", coalesced([=](const std::string&) {
         return HttpResponse{200, "application/json", json_text(pods_json(snapshot(false)))};
       })},
      {"/flows", coalesced([=](const std::string&) {
         return HttpResponse{200, "application/json", json_text(flows_json(snapshot(true)))};
       })},
      {"/healthz", [](const std::string&) { return HttpResponse{200, "text/plain", "ok\n"}; }},
  };
}

void log_reconcile(const ReconcileReport& r) {
  if (r.orphan_counters)
    log("reconciled: swept " + std::to_string(r.orphan_counters) + " counters without a pod");
  if (r.expired_flows)
    log("reconciled: expired " + std::to_string(r.expired_flows) + " closed, idle or orphaned flows");
  if (r.swept_temp_files)
    log("reconciled: removed " + std::to_string(r.swept_temp_files) +
        " stale temp file(s) from the pending queue");
  if (r.attached || r.dropped_pending || r.adopted || r.collected || r.unpinned_links)
    log("reconciled: attached " + std::to_string(r.attached) + " queued pods, adopted " +
        std::to_string(r.adopted) + " from the CNI cache, dropped " +
        std::to_string(r.dropped_pending) + " whose veth is gone, collected " +
        std::to_string(r.collected) + " vanished pods, unpinned " +
        std::to_string(r.unpinned_links) + " defunct links");
  for (const auto& p : r.problems) log("reconcile: " + p);
  for (const auto& op : r.failed_steps) agent_errors[op]++;
}

// Reconciles now, then every interval on the event loop.
void schedule_reconcile(boost::asio::steady_timer& timer, const PinLayout& layout,
                        const AgentOptions& opts) {
  log_reconcile(reconcile(layout, {opts.state_dir, opts.cni_cache_dir,
                                   opts.closed_flow_ttl_s * 1'000'000'000ULL,
                                   opts.idle_flow_ttl_s * 1'000'000'000ULL}));
  timer.expires_after(std::chrono::seconds(opts.reconcile_interval_s));
  timer.async_wait([&timer, &layout, &opts](const boost::system::error_code& ec) {
    if (!ec) schedule_reconcile(timer, layout, opts);
  });
}

// HTTP connections are capped well below the descriptor limit, so that reconciliation (netlink
// sockets, pins, netns files) always has descriptors left: the soft limit is raised to the hard
// one, and the cap lowered if a tight limit leaves less than the reserve.
constexpr rlim_t kReservedDescriptors = 256;

HttpServerOptions http_options(const AgentOptions& opts) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
    (void)getrlimit(RLIMIT_NOFILE, &limit);
  }
  HttpServerOptions http;
  http.max_connections = opts.http_max_connections;
  http.header_timeout = std::chrono::seconds(opts.http_timeout_s);
  rlim_t room = limit.rlim_cur > kReservedDescriptors * 2 ? limit.rlim_cur - kReservedDescriptors
                                                          : limit.rlim_cur / 2;
  if (http.max_connections > room) {
    log("--http-max-connections " + std::to_string(http.max_connections) + " lowered to " +
        std::to_string(room) + ": the descriptor limit is " + std::to_string(limit.rlim_cur));
    http.max_connections = room;
  }
  return http;
}

bool write_ready_file(const std::filesystem::path& path, const std::string& address) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << address << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* err = std::get_if<UsageError>(&parsed)) {
    if (err->message.empty()) {
      std::cout << usage();
      return 0;
    }
    std::cerr << "tcpulse-agent: " << err->message << "\n" << usage();
    return 2;
  }
  const AgentOptions& opts = std::get<AgentOptions>(parsed);
  PinLayout layout(opts.pin_dir);
  // Verifier output and map reuse problems are worth seeing; libbpf's chatter is not.
  set_libbpf_log([](LibbpfLevel level, const std::string& line) {
    if (level == LibbpfLevel::Warn) log("libbpf: " + line);
  });

  LoadedDatapath::Options load_options;
  load_options.flows_max = opts.flows_max;
  load_options.config.rtt_sample_interval_ns = opts.rtt_sample_interval_ms * 1'000'000ULL;
  load_options.config.rtt_sample_expiry_ns = opts.rtt_sample_expiry_s * 1'000'000'000ULL;
  load_options.config.reorder_window_ns = opts.reorder_window_us * 1'000ULL;
  auto datapath = LoadedDatapath::load_and_pin(layout, load_options);
  if (!datapath) {
    log("cannot load the datapath: " + datapath.error().describe());
    return 1;
  }
  auto maps = DatapathMaps::open(layout);
  if (!maps) {
    log("cannot open the pinned maps: " + maps.error().describe());
    return 1;
  }
  log("datapath pinned under " + layout.root().string());
  // Pods attached before this start still run the programs they were given.
  auto upgrade = upgrade_attachments(layout);
  if (upgrade.refreshed)
    log("switched " + std::to_string(upgrade.refreshed) + " pod hook(s) to this build's programs");
  if (upgrade.retired_versions)
    log("retired " + std::to_string(upgrade.retired_versions) + " older datapath(s), moved " +
        std::to_string(upgrade.moved_pods) + " pod(s) to this one");
  for (const auto& problem : upgrade.problems) log("upgrade: " + problem);

  boost::asio::io_context io;
  // Pods created while no agent ran are attached before the first scrape can miss them.
  boost::asio::steady_timer reconcile_timer(io);
  schedule_reconcile(reconcile_timer, layout, opts);
  auto server = HttpServer::start(io, opts.listen_host, opts.listen_port, routes(maps.value()),
                                  http_options(opts));
  if (!server) {
    log("cannot serve: " + server.error().describe());
    return 1;
  }
  http_server = server.value();
  auto endpoint = server.value()->local_endpoint();
  std::string address = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                     : endpoint.address().to_string()) +
                        ":" + std::to_string(endpoint.port());
  log("serving http://" + address + "/metrics");
  if (!opts.ready_file.empty() && !write_ready_file(opts.ready_file, address)) {
    log("cannot write " + opts.ready_file.string());
    return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    log(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
    server.value()->stop();
    reconcile_timer.cancel();
    io.stop();
  });
  io.run();
  http_server.reset();  // before the event loop it runs on goes

  if (opts.cleanup_on_exit) {
    datapath.value().reset();
    if (auto r = remove_datapath(layout); !r) {
      log("cleanup failed: " + r.error().describe());
      return 1;
    }
    std::error_code ec;
    std::filesystem::remove_all(opts.state_dir / "pending", ec);
    log("detached all pods and removed " + layout.root().string());
  }
  return 0;
}
