// TypedMap / PerCpuMap: typed access to a BPF map through its fd. Key and value types come from
// tcpulse/abi.h; the map's key/value sizes are checked against them when the map is opened.
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

// Checks that map fd's key and value sizes match K and V (value size per CPU for per-CPU maps).
Result<void> check_map_layout(int fd, size_t key_size, size_t value_size, const std::string& name);
// Number of possible CPUs: the length of a per-CPU map value array.
int possible_cpus();

template <typename K, typename V>
class TypedMap {
 public:
  TypedMap() = default;
  explicit TypedMap(UniqueFd fd) : fd_(std::move(fd)) {}

  static Result<TypedMap> adopt(UniqueFd fd, const std::string& name) {
    if (auto r = check_map_layout(fd.get(), sizeof(K), sizeof(V), name); !r) return r.error();
    return TypedMap(std::move(fd));
  }

  int fd() const { return fd_.get(); }

  Result<std::optional<V>> get(const K& key) const {
    V value{};
    int ret = bpf_map_lookup_elem(fd_.get(), &key, &value);
    if (ret == 0) return std::optional<V>(value);
    if (ret == -ENOENT || (ret < 0 && errno == ENOENT)) return std::optional<V>();
    return libbpf_error(ret, "map lookup");
  }

  Result<void> put(const K& key, const V& value, __u64 flags = BPF_ANY) {
    int ret = bpf_map_update_elem(fd_.get(), &key, &value, flags);
    if (ret < 0) return libbpf_error(ret, "map update");
    return success();
  }

  // Returns whether the key was there.
  Result<bool> erase(const K& key) {
    int ret = bpf_map_delete_elem(fd_.get(), &key);
    if (ret == 0) return true;
    if (ret == -ENOENT || errno == ENOENT) return false;
    return libbpf_error(ret, "map delete");
  }

  // The same in batches (bpf_map_lookup_batch): one syscall per `batch` entries rather than two
  // per entry. Hash maps only; falls back to for_each where the kernel lacks batch lookups.
  Result<void> for_each_batch(const std::function<void(const K&, const V&)>& fn,
                              uint32_t batch = 512) const {
    std::vector<K> keys(batch);
    std::vector<V> values(batch);
    // The position between calls: opaque to us, a bucket index for hash maps.
    alignas(8) unsigned char in_pos[sizeof(K) < 8 ? 8 : sizeof(K)] = {};
    alignas(8) unsigned char out_pos[sizeof(in_pos)] = {};
    bool first = true;
    while (true) {
      __u32 count = static_cast<__u32>(keys.size());
      int ret = bpf_map_lookup_batch(fd_.get(), first ? nullptr : in_pos, out_pos, keys.data(),
                                     values.data(), &count, nullptr);
      int err = ret < 0 ? errno : 0;
      if (ret < 0 && err == ENOSPC && keys.size() < (1u << 20)) {
        // One bucket holds more than a batch: a bigger one, from the same position.
        keys.resize(keys.size() * 2);
        values.resize(values.size() * 2);
        continue;
      }
      if (ret < 0 && err != ENOENT) {
        if (first && (err == EINVAL || err == EOPNOTSUPP)) return for_each(fn);
        return Error(err, "map batch lookup");
      }
      for (__u32 i = 0; i < count; i++) fn(keys[i], values[i]);
      if (ret < 0) return success();  // ENOENT: that was the last batch
      memcpy(in_pos, out_pos, sizeof(in_pos));
      first = false;
    }
  }

  // Calls fn(key, value) for every entry. Entries added or removed meanwhile may be missed.
  Result<void> for_each(const std::function<void(const K&, const V&)>& fn) const {
    K key{}, next{};
    const K* prev = nullptr;
    while (true) {
      int ret = bpf_map_get_next_key(fd_.get(), prev, &next);
      if (ret < 0) {
        if (ret == -ENOENT || errno == ENOENT) return success();
        return libbpf_error(ret, "map iterate");
      }
      V value{};
      if (bpf_map_lookup_elem(fd_.get(), &next, &value) == 0) fn(next, value);
      key = next;
      prev = &key;
    }
  }

 private:
  UniqueFd fd_;
};

// A per-CPU map: every lookup returns one V per possible CPU.
template <typename K, typename V>
class PerCpuMap {
 public:
  PerCpuMap() = default;
  explicit PerCpuMap(UniqueFd fd) : fd_(std::move(fd)), cpus_(possible_cpus()) {}

  static Result<PerCpuMap> adopt(UniqueFd fd, const std::string& name) {
    if (auto r = check_map_layout(fd.get(), sizeof(K), sizeof(V), name); !r) return r.error();
    return PerCpuMap(std::move(fd));
  }

  int fd() const { return fd_.get(); }

  Result<std::optional<std::vector<V>>> get(const K& key) const {
    std::vector<V> values(cpus_);
    int ret = bpf_map_lookup_elem(fd_.get(), &key, values.data());
    if (ret == 0) return std::optional<std::vector<V>>(std::move(values));
    if (ret == -ENOENT || errno == ENOENT) return std::optional<std::vector<V>>();
    return libbpf_error(ret, "per-cpu map lookup");
  }

  Result<bool> erase(const K& key) {
    int ret = bpf_map_delete_elem(fd_.get(), &key);
    if (ret == 0) return true;
    if (ret == -ENOENT || errno == ENOENT) return false;
    return libbpf_error(ret, "map delete");
  }

  // Writes every CPU's copy at once: values.size() must be possible_cpus().
  Result<void> put(const K& key, const std::vector<V>& values) {
    if (values.size() != static_cast<size_t>(cpus_)) return Error(EINVAL, "one value per possible CPU");
    int ret = bpf_map_update_elem(fd_.get(), &key, values.data(), BPF_ANY);
    if (ret < 0) return libbpf_error(ret, "per-cpu map update");
    return success();
  }

  Result<void> for_each(const std::function<void(const K&, const std::vector<V>&)>& fn) const {
    K key{}, next{};
    const K* prev = nullptr;
    std::vector<V> values(cpus_);
    while (true) {
      int ret = bpf_map_get_next_key(fd_.get(), prev, &next);
      if (ret < 0) {
        if (ret == -ENOENT || errno == ENOENT) return success();
        return libbpf_error(ret, "map iterate");
      }
      if (bpf_map_lookup_elem(fd_.get(), &next, values.data()) == 0) fn(next, values);
      key = next;
      prev = &key;
    }
  }

 private:
  UniqueFd fd_;
  int cpus_ = 0;
};

}  // namespace tcpulse
