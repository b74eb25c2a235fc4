// attach-floor: attaches hack/bench-datapath.sh's floor, the empty program, to both hooks of host
// veths the way the CNI plugin attaches tcpulse: a tcx link, pinned so that it outlives this
// process. First in line (before tcpulse), or with --last after it. Removing PIN_DIR detaches it.
// With --programs INGRESS,EGRESS it attaches those two programs of OBJECT instead (a datapath
// build, for hack/bench-ab.sh), with maps of their own: nothing is pinned but the links.
//
// usage: attach-floor [--last] [--programs INGRESS,EGRESS] OBJECT PIN_DIR IFNAME...
#include <bpf/libbpf.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/tc_attach.h"

int main(int argc, char** argv) {
  using namespace tcpulse;
  TcxPosition position = TcxPosition::First;
  std::string programs;
  while (argc > 1 && std::string(argv[1]).rfind("--", 0) == 0) {
    std::string flag = argv[1];
    if (flag == "--last") {
      position = TcxPosition::Last;
    } else if (flag == "--programs" && argc > 2) {
      programs = argv[2];
      argv++;
      argc--;
    } else {
      break;
    }
    argv++;
    argc--;
  }
  if (argc < 4 || (!programs.empty() && programs.find(',') == std::string::npos)) {
    std::fprintf(stderr, "usage: attach-floor [--last] [--programs INGRESS,EGRESS] OBJECT PIN_DIR IFNAME...\n");
    return 2;
  }
  bpf_object* obj = bpf_object__open_file(argv[1], nullptr);
  if (obj && !programs.empty()) {
    bpf_map* map;
    bpf_object__for_each_map(map, obj) bpf_map__set_pin_path(map, nullptr);
  }
  if (!obj || bpf_object__load(obj) != 0) {
    std::fprintf(stderr, "attach-floor: cannot load %s\n", argv[1]);
    return 1;
  }
  bpf_program* prog = bpf_object__next_program(obj, nullptr);
  bpf_program* by_hook[2] = {prog, prog};
  if (!programs.empty()) {
    std::string names[2] = {programs.substr(0, programs.find(',')), programs.substr(programs.find(',') + 1)};
    for (int h = 0; h < 2; h++) {
      by_hook[h] = bpf_object__find_program_by_name(obj, names[h].c_str());
      if (!by_hook[h]) {
        std::fprintf(stderr, "attach-floor: %s has no program %s\n", argv[1], names[h].c_str());
        return 1;
      }
    }
  }
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
      auto mode = attach_program(bpf_program__fd(by_hook[hook == TcHook::Ingress ? 0 : 1]),
                                 link->ifindex, hook, pin, AttachMode::Tcx, position);
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
