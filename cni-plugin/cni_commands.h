// The CNI commands. Each returns what to print on stdout on success, or a spec error.
#pragma once

#include <string>
#include <variant>

#include "cni-plugin/cni_error.h"
#include "cni-plugin/cni_request.h"
#include "cni-plugin/plugin_log.h"

namespace tcpulse::cni {

using Outcome = std::variant<std::string, CniError>;

Outcome run_version(const CniRequest& req);
// Attaches and records the pod, then passes prevResult through. Fails open unless failClosed.
Outcome run_add(const CniRequest& req, const PluginLog& log);
// Detaches and forgets the pod. Idempotent; succeeds whatever is already gone.
Outcome run_del(const CniRequest& req, const PluginLog& log);
// Fails unless the pod is recorded and both programs run on its host veth.
Outcome run_check(const CniRequest& req, const PluginLog& log);
// Removes attachments of containers not in cni.dev/valid-attachments.
Outcome run_gc(const CniRequest& req, const PluginLog& log);
// Fails with code 50 unless the agent has loaded the datapath.
Outcome run_status(const CniRequest& req, const PluginLog& log);

Outcome run_command(const CniRequest& req, const PluginLog& log);

}  // namespace tcpulse::cni
