#include "tc-bpf/lib/typed_map.h"

namespace tcpulse {

Result<void> check_map_layout(int fd, size_t key_size, size_t value_size, const std::string& name) {
  struct bpf_map_info info {};
  __u32 len = sizeof(info);
  int ret = bpf_obj_get_info_by_fd(fd, &info, &len);
  if (ret < 0) return libbpf_error(ret, "get info of map " + name);
  if (info.key_size != key_size || info.value_size != value_size)
    return Error(EPROTO, "map " + name + " has key/value size " + std::to_string(info.key_size) +
                             "/" + std::to_string(info.value_size) + ", this build expects " +
                             std::to_string(key_size) + "/" + std::to_string(value_size) +
                             " (ABI mismatch between agent and plugin)");
  return success();
}

int possible_cpus() {
  static const int cpus = libbpf_num_possible_cpus();
  return cpus > 0 ? cpus : 1;
}

}  // namespace tcpulse
