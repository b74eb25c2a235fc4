// XDP through libxdp, never in place of another's program: the pod hook (attachMode xdp) and the
// uplink's receive side (agent/uplink_hooks.h). libxdp's dispatcher lets several programs share
// an interface where the kernel allows it (freplace); where it does not, libxdp attaches one
// program alone, and then tcpulse attaches only to an interface without XDP. Only programs named
// tcpulse_* are ever detached.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tc-bpf/lib/result.h"

struct xdp_program;
struct bpf_object;

namespace tcpulse {

// Why XDP is not attached, when another program holds the interface alone (no dispatcher): its
// description ("id 12, \"xdpfilt_alw_all\""), nullopt if the interface is free for us.
std::optional<std::string> foreign_xdp_program(int ifindex);

// Attaches a loaded XDP program (prog_fd) to ifindex in native mode, after any of ours there.
// EEXIST if another program holds the interface alone.
Result<void> attach_xdp(int prog_fd, int ifindex);

// Attaches an XDP program libxdp loads itself from an unloaded object (so that it can load it as
// an extension of its dispatcher): the xdp_program to detach later with detach_xdp.
Result<xdp_program*> attach_xdp_from_object(bpf_object* object, const char* program_name,
                                            int ifindex);
void detach_xdp(xdp_program* prog, int ifindex);

// Removes XDP programs of ours from an interface (a killed agent's, a pod's at DEL); another's
// stay. Returns how many.
int detach_our_xdp_programs(int ifindex);

// The id of our XDP program on ifindex, nullopt if there is none.
std::optional<uint32_t> our_xdp_program(int ifindex);

// Whether libxdp's dispatcher (several programs sharing the interface) is what runs on ifindex.
bool xdp_dispatcher_attached(int ifindex);

// Where libxdp's messages go: warnings to fn (once per process).
void set_libxdp_log(void (*fn)(const std::string& line));

}  // namespace tcpulse
