#include "cni-plugin/cni_commands.h"

#include <functional>
#include <set>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/pod_identity.h"
#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pod_attachment.h"

namespace tcpulse::cni {

namespace {

std::string who(const CniRequest& req) {
  auto ns = req.args.find("K8S_POD_NAMESPACE");
  auto name = req.args.find("K8S_POD_NAME");
  std::string pod = ns != req.args.end() && name != req.args.end()
                        ? ns->second + "/" + name->second + " "
                        : std::string();
  return pod + "(container " + req.container_id.substr(0, 12) + ", " + req.ifname + ")";
}

// A chained plugin hands the previous result on, in the version the runtime asked for.
std::string pass_through(const CniRequest& req) {
  nlohmann::ordered_json out = *req.prev_result;
  out["cniVersion"] = req.cni_version;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Outcome run_version(const CniRequest& req) {
  nlohmann::ordered_json out;
  out["cniVersion"] = req.cni_version;
  out["supportedVersions"] = supported_versions();
  return out.dump();
}

namespace {

// ADD's monitoring steps; any exception they throw is one more failure to attach.
Outcome attach_pod(const CniRequest& req, const PluginLog& log, const std::string& out,
                   const std::function<Outcome(int, const std::string&)>& failed) {
  if (auto why = PodRecord::unrecordable(req.container_id, req.ifname))
    return failed(kInvalidEnvironment, "cannot record this attachment: " + *why);

  auto veth = find_host_veth(req.netns, req.ifname);
  if (!veth) return failed(kIoFailure, veth.error().describe());
  if (!veth->host) {
    log.info(who(req) + ": " + req.ifname + " is a " +
             (veth->pod_kind.empty() ? "non-virtual" : veth->pod_kind) +
             " interface, not a veth; passing through without monitoring");
    return out;
  }

  PinLayout layout(req.plugin.pin_dir);
  CniAttachment attachment{req.container_id, req.ifname, req.config.value("name", ""), req.args};
  PodRecord record = pod_identity(attachment, veth->netns_ino, &*req.prev_result);
  // Failing open leaves the pod queued: the agent attaches it as soon as it can.
  auto queue = [&](int code, const std::string& what) -> Outcome {
    if (!req.plugin.fail_closed) {
      if (auto r = write_pending(req.plugin.state_dir, {record, veth->host->ifindex}); !r)
        log.warn(who(req) + ": cannot queue for the agent: " + r.error().describe());
      else
        log.info(who(req) + ": queued in " + req.plugin.state_dir.string() + " for the agent");
    }
    return failed(code, what);
  };
  auto attachments = PodAttachments::open(layout);
  if (!attachments) {
    if (attachments.error().code() == ENOENT)
      return queue(kTryAgainLater, "datapath not loaded under " + layout.root().string() +
                                       " (is tcpulse-agent running?)");
    return queue(kIoFailure, attachments.error().describe());
  }
  auto mode = attachments->attach(veth->host->ifindex, record, req.plugin.attach_mode);
  if (!mode) return queue(kIoFailure, mode.error().describe());
  (void)remove_pending(req.plugin.state_dir, req.container_id, req.ifname);
  log.info(who(req) + ": attached (" + std::string(attach_mode_name(mode.value())) + ") to " +
           veth->host->name + " ifindex " + std::to_string(veth->host->ifindex));
  return out;
}

}  // namespace

Outcome run_add(const CniRequest& req, const PluginLog& log) {
  std::string out = pass_through(req);
  auto failed = [&](int code, const std::string& what) -> Outcome {
    if (req.plugin.fail_closed) return CniError{code, "tcpulse could not attach", what};
    log.warn(who(req) + " is not monitored: " + what + " (failing open)");
    return out;
  };
  // Fail open means any failure: an exception in monitoring must not fail the pod either.
  try {
    return attach_pod(req, log, out, failed);
  } catch (const std::exception& e) {
    return failed(kIoFailure, std::string("internal error: ") + e.what());
  }
}

Outcome run_del(const CniRequest& req, const PluginLog& log) {
  if (auto r = remove_pending(req.plugin.state_dir, req.container_id, req.ifname); !r)
    log.warn(who(req) + ": " + r.error().describe());
  auto removed = detach_pod(PinLayout(req.plugin.pin_dir), req.container_id, req.ifname);
  if (!removed) {
    if (req.plugin.fail_closed)
      return CniError{kIoFailure, "tcpulse could not detach", removed.error().describe()};
    log.warn(who(req) + ": detach incomplete: " + removed.error().describe() +
             " (the agent's garbage collection finishes it)");
    return std::string();
  }
  log.info(who(req) + (removed.value() ? ": detached" : ": nothing to detach"));
  return std::string();
}

Outcome run_check(const CniRequest& req, const PluginLog&) {
  auto veth = find_host_veth(req.netns, req.ifname);
  if (!veth) return CniError{kUnknownContainer, "cannot inspect the pod's interface",
                             veth.error().describe()};
  if (!veth->host) return std::string();  // not a veth: ADD passed it through on purpose

  auto attachments = PodAttachments::open(PinLayout(req.plugin.pin_dir));
  if (!attachments)
    return CniError{kNotAttached, "tcpulse datapath is not loaded", attachments.error().describe()};
  auto ifindex = attachments->verify(req.container_id, req.ifname);
  if (!ifindex) return CniError{kNotAttached, "pod is not monitored", ifindex.error().describe()};
  if (ifindex.value() != veth->host->ifindex)
    return CniError{kNotAttached, "pod is not monitored",
                    "recorded on ifindex " + std::to_string(ifindex.value()) +
                        " but its host veth is ifindex " + std::to_string(veth->host->ifindex)};
  return std::string();
}

Outcome run_gc(const CniRequest& req, const PluginLog& log) {
  // libcni sends cni.dev/valid-attachments; some runtimes say cni.dev/attachments.
  auto list = req.config.find("cni.dev/valid-attachments");
  if (list == req.config.end()) list = req.config.find("cni.dev/attachments");
  if (list == req.config.end()) return std::string();  // nothing says what is stale: keep all
  if (!list->is_array())
    return CniError{kInvalidConfig, "cni.dev/valid-attachments is not a list", ""};
  std::set<std::pair<std::string, std::string>> valid;
  for (const auto& a : *list) {
    if (!a.is_object() || !a.contains("containerID") || !a["containerID"].is_string())
      return CniError{kInvalidConfig, "a valid attachment has no containerID", ""};
    valid.emplace(a["containerID"].get<std::string>(), a.value("ifname", std::string()));
  }

  PinLayout layout(req.plugin.pin_dir);
  auto maps = PodMaps::open(layout);
  if (!maps) return std::string();  // no datapath: no records to collect
  std::string network = req.config.value("name", "");
  std::vector<PodRecord> stale;
  auto walked = maps->pods.for_each([&](const __u32&, const tcpulse_pod_info& info) {
    PodRecord rec = PodRecord::from_abi(info);
    if (rec.in_network(network) && !valid.count({rec.container_id, rec.ifname}))
      stale.push_back(rec);
  });
  // Collecting on a partial read could take a valid attachment for a stale one: the runtime
  // retries a failed GC.
  if (!walked)
    return CniError{kIoFailure, "cannot read tcpulse's pod records", walked.error().describe()};
  for (const auto& rec : stale) {
    auto r = detach_pod(layout, rec.container_id, rec.ifname);
    if (!r) log.warn("gc " + rec.container_id.substr(0, 12) + ": " + r.error().describe());
    else log.info("gc: removed " + rec.pod_namespace + "/" + rec.pod_name);
  }
  return std::string();
}

Outcome run_status(const CniRequest& req, const PluginLog&) {
  auto attachments = PodAttachments::open(PinLayout(req.plugin.pin_dir));
  if (!attachments)
    return CniError{kNotAvailable, "tcpulse datapath is not loaded (is tcpulse-agent running?)",
                    attachments.error().describe()};
  return std::string();
}

Outcome run_command(const CniRequest& req, const PluginLog& log) {
  if (req.command == "VERSION") return run_version(req);
  if (req.command == "ADD") return run_add(req, log);
  if (req.command == "DEL") return run_del(req, log);
  if (req.command == "CHECK") return run_check(req, log);
  if (req.command == "GC") return run_gc(req, log);
  return run_status(req, log);
}

}  // namespace tcpulse::cni
