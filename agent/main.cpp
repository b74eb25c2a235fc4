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

#include "agent/agent_log.h"
#include "agent/agent_options.h"
#include "agent/cgroup_pods.h"
#include "agent/collector.h"
#include "agent/host_pods.h"
#include "agent/uplink_hooks.h"
#include "agent/connection_log.h"
#include "agent/process_stats.h"
#include "agent/query_string.h"
#include "agent/self_metrics.h"
#include "agent/status_view.h"
#include "agent/http_server.h"
#include "agent/json_views.h"
#include "agent/metrics_exporter.h"
#include "agent/response_coalescer.h"
#include "agent/datapath_upgrade.h"
#include "agent/datapath_cleanup.h"
#include "tc-bpf/lib/datapath_loader.h"
#include "agent/datapath_maps.h"
#include "tc-bpf/lib/libbpf_log.h"
#include "tc-bpf/lib/xdp_attach.h"
#include "agent/reconciler.h"

namespace {

using namespace tcpulse;
using namespace tcpulse::agent;

// What the agent runs: written and read on the one event loop.
struct Agent {
  const AgentOptions& opts;
  const PinLayout& layout;
  Collector& collector;
  ConnectionLog* connection_log;
  AgentCounters counters;
  std::shared_ptr<HttpServer> http_server;  // once started: /metrics reports what it did
  std::shared_ptr<int> streams = std::make_shared<int>(0);  // /flows answers being streamed
  std::vector<AttachFailure> attach_failures;  // the last reconciliation's, for /status
  HostPods* host_pods = nullptr;               // with --uplink
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// /flows answers up to this many connections are rendered at once; more are streamed, at most
// kStreamsMax at a time (each holds its selection's ids, 56 bytes a connection).
constexpr size_t kRenderedFlowsMax = 10'000;
constexpr int kStreamsMax = 4;

std::map<std::string, HttpHandler> routes(Agent& agent) {
  // Shared by the routes' copies (std::function copies its callable).
  auto coalesced = [](HttpHandler render) {
    auto coalescer = std::make_shared<ResponseCoalescer>(std::move(render));
    return [coalescer](const std::string& target) { return (*coalescer)(target); };
  };
  Agent* a = &agent;
  return {
      {"/metrics", coalesced([a](const std::string&) {
         auto families = pod_metric_families(a->collector.node());
         for (auto& f : self_metric_families(a->collector, a->connection_log, a->counters,
                                             read_process_stats()))
           families.push_back(std::move(f));
         if (a->http_server) families.push_back(http_connections_family(a->http_server->stats()));
         if (const PeerAggregator* peers = a->collector.peers())
           for (auto& f : peers->families()) families.push_back(std::move(f));
         return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", render_text(families)};
       })},
      {"/pods", coalesced([a](const std::string& target) {
         bool departed = query_params(target).count("departed") != 0;
         return HttpResponse{200, "application/json",
                             json_text(pods_json(a->collector.node(), departed))};
       })},
      {"/flows", coalesced([a](const std::string& target) {
         std::string error;
         FlowQuery query = flow_query(target, &error);
         if (!error.empty()) return HttpResponse{400, "text/plain; charset=utf-8", error + "\n"};
         if (query.limit && query.limit <= kRenderedFlowsMax) {
           std::string body = flows_text(a->collector, query);
           if (body.size() > (4u << 20)) a->collector.trim_heap_next();
           return HttpResponse{200, "application/json", std::move(body)};
         }
         // A whole table: streamed, a few at a time, so that no answer holds it all.
         if (*a->streams >= kStreamsMax)
           return HttpResponse{503, "text/plain; charset=utf-8",
                               "too many whole-table answers under way; try again\n"};
         auto next = flows_stream(a->collector, query);
         ++*a->streams;
         auto token = std::shared_ptr<void>(nullptr, [streams = a->streams](void*) { --*streams; });
         HttpResponse out{200, "application/json", ""};
         out.stream = [next = std::move(next), token]() mutable { return next(); };
         return out;
       })},
      {"/status", coalesced([a](const std::string&) {
         StatusInputs in{a->opts.pin_dir.string(), a->opts.state_dir.string(),
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - a->started).count(),
                         a->attach_failures, list_pending(a->opts.state_dir)};
         return HttpResponse{200, "application/json", json_text(status_json(a->collector, in))};
       })},
      // 503 until the datapath has been read, and while it cannot be: a probe restarts an agent
      // that cannot see what it should measure. The count lets a client wait for a fresh model.
      {"/healthz", [a](const std::string&) {
         const CollectionStats& cs = a->collector.stats();
         std::string body = "collections " + std::to_string(cs.collections) + "\n";
         if (cs.collections == 0 || cs.last_failed)
           return HttpResponse{503, "text/plain; charset=utf-8",
                               "datapath unreadable: " +
                                   (cs.last_error.empty() ? std::string("no scan yet") : cs.last_error) +
                                   "\n" + body};
         return HttpResponse{200, "text/plain; charset=utf-8", "ok\n" + body};
       }},
  };
}

void log_reconcile(Agent& agent, const ReconcileReport& r) {
  if (r.orphan_counters)
    log_debug("reconciled: swept " + std::to_string(r.orphan_counters) + " counters without a pod");
  if (r.expired_flows)
    log_debug("reconciled: expired " + std::to_string(r.expired_flows) +
              " closed, idle or orphaned flows");
  if (r.swept_temp_files)
    log_info("reconciled: removed " + std::to_string(r.swept_temp_files) +
             " stale temp file(s) from the pending queue");
  if (r.attached || r.dropped_pending || r.adopted || r.collected || r.unpinned_links)
    log_info("reconciled: attached " + std::to_string(r.attached) + " queued pods, adopted " +
             std::to_string(r.adopted) + " from the CNI cache, dropped " +
             std::to_string(r.dropped_pending) + " whose veth is gone, collected " +
             std::to_string(r.collected) + " vanished pods, unpinned " +
             std::to_string(r.unpinned_links) + " defunct links");
  for (const auto& p : r.problems) log_warn("reconcile: " + p);
  for (const auto& op : r.failed_steps) agent.counters.errors[op]++;
  if (r.attach_failures) agent.counters.errors["attach"] += r.attach_failures;
  agent.attach_failures = r.failed_attachments;
  agent.counters.expired["closed"] += r.expired_closed;
  agent.counters.expired["idle"] += r.expired_idle;
  agent.counters.expired["pod_gone"] += r.expired_pod_gone;
}

CloseReason close_reason(FlowExpiry why) {
  switch (why) {
    case FlowExpiry::Closed: return CloseReason::Fin;  // the record says fin or reset, from the flow
    case FlowExpiry::Idle: return CloseReason::Idle;
    case FlowExpiry::PodGone: return CloseReason::PodGone;
  }
  return CloseReason::Removed;
}

// Reconciles now, then every interval on the event loop.
void schedule_reconcile(boost::asio::steady_timer& timer, Agent& agent) {
  const AgentOptions& opts = agent.opts;
  ReconcileOptions options{opts.state_dir, opts.cni_cache_dir,
                           opts.closed_flow_ttl_s * 1'000'000'000ULL,
                           opts.idle_flow_ttl_s * 1'000'000'000ULL,
                           [&agent](const FlowKey& key, const tcpulse_flow_stats& flow, FlowExpiry why) {
                             agent.collector.flow_expiring(key, flow, close_reason(why));
                           }};
  log_reconcile(agent, reconcile(agent.layout, options));
  timer.expires_after(std::chrono::seconds(opts.reconcile_interval_s));
  timer.async_wait([&timer, &agent](const boost::system::error_code& ec) {
    if (!ec) schedule_reconcile(timer, agent);
  });
}

void refresh_host_pods(Agent& agent) {
  auto r = agent.host_pods->refresh();
  if (!r) {
    agent.counters.errors["host_pods"]++;
    log_warn("cannot refresh host-network pods: " + r.error().describe());
    return;
  }
  agent.counters.host_pods = r.value().pods;
  if (r.value().added || r.value().removed || r.value().renamed)
    log_info("host-network pods: " + std::to_string(r.value().added) + " found, " +
             std::to_string(r.value().renamed) + " named, " + std::to_string(r.value().removed) +
             " gone; " + std::to_string(r.value().pods) + " watched in " +
             std::to_string(r.value().cgroups) + " cgroups");
}

void collect(Agent& agent) {
  // New host-network pods' cgroups reach the datapath before the scan that would show them.
  if (agent.host_pods) refresh_host_pods(agent);
  bool failing = agent.collector.stats().last_failed;
  if (auto r = agent.collector.collect(); !r) {
    agent.counters.errors["collection"]++;
    if (!failing) log_warn("cannot read the datapath: " + r.error().describe());
  } else if (failing) {
    log_info("the datapath reads again");
  }
}

// Collects now, then every interval on the event loop: the model every view reads.
void schedule_collection(boost::asio::steady_timer& timer, Agent& agent) {
  collect(agent);
  timer.expires_after(std::chrono::milliseconds(agent.opts.interval_ms));
  timer.async_wait([&timer, &agent](const boost::system::error_code& ec) {
    if (!ec) schedule_collection(timer, agent);
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
    log_warn("--http-max-connections " + std::to_string(http.max_connections) + " lowered to " +
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
    if (err->version) {
      std::cout << "tcpulse-agent " << TCPULSE_VERSION << " (datapath ABI " << TCPULSE_ABI_VERSION
                << ")\n";
      return 0;
    }
    if (err->message.empty()) {
      std::cout << usage();
      return 0;
    }
    std::cerr << "tcpulse-agent: " << err->message << "\n" << usage();
    return 2;
  }
  const AgentOptions& opts = std::get<AgentOptions>(parsed);
  set_log_level(opts.log_level);
  // A connection log on a pipe whose reader went away is counted, not fatal.
  signal(SIGPIPE, SIG_IGN);
  PinLayout layout(opts.pin_dir);
  // Verifier output and map reuse problems are worth seeing; libbpf's chatter is not.
  set_libbpf_log([](LibbpfLevel level, const std::string& line) {
    if (level == LibbpfLevel::Warn) log_warn("libbpf: " + line);
  });

  std::unique_ptr<ConnectionLog> connection_log;
  if (!opts.connection_log.empty()) {
    auto opened = ConnectionLog::open({opts.connection_log, opts.connection_log_max_bytes,
                                       opts.connection_log_files});
    if (!opened) {
      log_error("cannot write the connection log: " + opened.error().describe());
      return 1;
    }
    connection_log = std::move(opened).value();
  }

  LoadedDatapath::Options load_options;
  load_options.flows_max = opts.flows_max;
  load_options.config.rtt_sample_interval_ns = opts.rtt_sample_interval_ms * 1'000'000ULL;
  load_options.config.rtt_sample_expiry_ns = opts.rtt_sample_expiry_s * 1'000'000'000ULL;
  load_options.config.reorder_window_ns = opts.reorder_window_us * 1'000ULL;
  auto datapath = LoadedDatapath::load_and_pin(layout, load_options);
  if (!datapath) {
    log_error("cannot load the datapath: " + datapath.error().describe());
    return 1;
  }
  auto maps = DatapathMaps::open(layout);
  if (!maps) {
    log_error("cannot open the pinned maps: " + maps.error().describe());
    return 1;
  }
  log_info("tcpulse-agent " TCPULSE_VERSION ": datapath pinned under " + layout.root().string());
  if (datapath.value()->flow_slots() != datapath.value()->requested_slots())
    log_warn("--flows-max asks for " + std::to_string(datapath.value()->requested_slots()) +
             " flow table slots; the pinned table has " +
             std::to_string(datapath.value()->flow_slots()) +
             " and keeps them, with its flows, until the pins are removed (uninstall, or a stop "
             "with --cleanup-on-exit)");
  // Pods attached before this start still run the programs they were given.
  auto upgrade = upgrade_attachments(layout);
  if (upgrade.refreshed)
    log_info("switched " + std::to_string(upgrade.refreshed) + " pod hook(s) to this build's programs");
  if (upgrade.retired_versions)
    log_info("retired " + std::to_string(upgrade.retired_versions) + " older datapath(s), moved " +
             std::to_string(upgrade.moved_pods) + " pod(s) to this one");
  for (const auto& problem : upgrade.problems) log_warn("upgrade: " + problem);

  std::error_code ec;
  std::filesystem::create_directories(opts.state_dir, ec);
  CollectorOptions collector_options;
  collector_options.pod_grace_ns = opts.pod_grace_s * 1'000'000'000ULL;
  collector_options.checkpoint = opts.state_dir / "connections.ckpt";
  if (opts.peer_metrics)
    collector_options.peers = PeerOptions{opts.peer_top_k, opts.peer_series_max,
                                          std::max<uint64_t>(opts.pod_grace_s, 1) * 1'000'000'000ULL};
  Collector collector(maps.value(), collector_options, connection_log.get());
  Agent agent{opts, layout, collector, connection_log.get(), {}, nullptr};
  agent.counters.requested_flow_slots = datapath.value()->requested_slots();

  // Host-network pods: the uplinks' programs, and the pods' cgroups for them.
  std::vector<std::unique_ptr<UplinkHooks>> uplinks;
  std::optional<HostPods> host_pods;
  if (!opts.uplinks.empty()) {
    set_libxdp_log([](const std::string& line) { log_warn("libxdp: " + line); });
    for (const auto& name : opts.uplinks) {
      auto hooks = UplinkHooks::attach(*datapath.value(), name, opts.uplink_ingress);
      if (!hooks) {
        log_error("cannot watch the uplink: " + hooks.error().describe());
        return 1;
      }
      const UplinkStatus& st = hooks.value()->status();
      if (!st.xdp_fallback.empty())
        log_warn("uplink " + name + ": receive side on tcx, not XDP: " + st.xdp_fallback);
      log_info("uplink " + name + ": watching host-network pods (egress tcx, receive " +
               st.receive_mode + (st.xdp_dispatcher ? " through libxdp's dispatcher" : "") + ")");
      agent.counters.uplinks.push_back(st);
      uplinks.push_back(std::move(hooks).value());
    }
    std::filesystem::path root = opts.cgroup_root.empty() ? cgroup2_mount() : opts.cgroup_root;
    if (root.empty()) {
      log_error("--uplink: no cgroup v2 hierarchy to find host-network pods in (--cgroup-root)");
      return 1;
    }
    host_pods.emplace(maps.value(), HostPodsOptions{root, opts.runtime_state_dirs});
    agent.host_pods = &*host_pods;
  }

  boost::asio::io_context io;
  // Pods created while no agent ran are attached before the first scrape can miss them, and
  // the model holds them before the server answers.
  boost::asio::steady_timer reconcile_timer(io), collection_timer(io);
  schedule_reconcile(reconcile_timer, agent);
  schedule_collection(collection_timer, agent);
  auto server = HttpServer::start(io, opts.listen_host, opts.listen_port, routes(agent),
                                  http_options(opts));
  if (!server) {
    log_error("cannot serve: " + server.error().describe());
    return 1;
  }
  agent.http_server = server.value();
  auto endpoint = server.value()->local_endpoint();
  std::string address = (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                     : endpoint.address().to_string()) +
                        ":" + std::to_string(endpoint.port());
  log_info("serving http://" + address + "/metrics");
  if (!opts.ready_file.empty() && !write_ready_file(opts.ready_file, address)) {
    log_error("cannot write " + opts.ready_file.string());
    return 1;
  }

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int sig) {
    log_info(std::string("stopping on ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
    server.value()->stop();
    reconcile_timer.cancel();
    collection_timer.cancel();
    io.stop();
  });
  io.run();
  agent.http_server.reset();  // before the event loop it runs on goes
  // The last interval's records, so that a stop loses none.
  collect(agent);
  if (connection_log) connection_log->flush();

  uplinks.clear();  // our programs leave the uplinks
  if (opts.cleanup_on_exit) {
    datapath.value().reset();
    if (auto r = remove_datapath(layout); !r) {
      log_error("cleanup failed: " + r.error().describe());
      return 1;
    }
    std::filesystem::remove_all(opts.state_dir / "pending", ec);
    std::filesystem::remove(collector_options.checkpoint, ec);
    std::filesystem::remove(opts.state_dir, ec);  // if nothing else is in it
    log_info("detached all pods and removed " + layout.root().string());
  }
  return 0;
}
