// attach-floor: attaches hack/bench-datapath.sh's floor, the empty program, to both hooks of host
// veths the way the CNI plugin attaches tcpulse: a tcx link, pinned so that it outlives this
// process. First in line (before tcpulse), or with --last after it. Removing PIN_DIR detaches it.
//
// usage: attach-floor [--last] OBJECT PIN_DIR IFNAME...
#include <bpf/libbpf.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/tc_attach.h"

int main(int argc, char** argv) {
  using namespace tcpulse;
  TcxPosition position = TcxPosition::First;
  if (argc > 1 && std::string(argv[1]) == "--last") {
    position = TcxPosition::Last;
    argv++;
    argc--;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: attach-floor [--last] OBJECT PIN_DIR IFNAME...\n");
    return 2;
  }
  bpf_object* obj = bpf_object__open_file(argv[1], nullptr);
  if (!obj || bpf_object__load(obj) != 0) {
    std::fprintf(stderr, "attach-floor: cannot load %s\n", argv[1]);
    return 1;
  }
  bpf_program* prog = bpf_object__next_program(obj, nullptr);
  if (!prog) {
    std::fprintf(stderr, "attach-floor: %s has no program\n", argv[1]);
    return 1;
  }
  const std::filesystem::path pin_dir = argv[2];
  std::error_code ec;
  std::filesystem::create_directories(pin_dir, ec);
  if (ec) {
    std::fprintf(stderr, "attach-floor: create %s: %s\n", argv[2], ec.message().c_str());
    return 1;
  }
  for (int i = 3; i < argc; ++i) {
    auto link = find_link(argv[i]);
    if (!link) {
      std::fprintf(stderr, "attach-floor: %s\n", link.error().describe().c_str());
      return 1;
    }
    for (TcHook hook : kTcHooks) {
      auto pin = pin_dir / (std::string(argv[i]) + "-" + std::string(hook_name(hook)));
      auto mode = attach_program(bpf_program__fd(prog), link->ifindex, hook, pin, AttachMode::Tcx,
                                 position);
      if (!mode) {
        std::fprintf(stderr, "attach-floor: %s %s: %s\n", argv[i], std::string(hook_name(hook)).c_str(),
                     mode.error().describe().c_str());
        return 1;
      }
    }
  }
  bpf_object__close(obj);  // the pinned links keep the program
  return 0;
}
