// Whole-file reads and atomic writes in a CNI dir. A runtime reading the conf dir concurrently
// must never see half a file, and a failed write must leave nothing behind: the bytes go to a
// hidden temp file in the same dir (a name no CNI loader reads), are fsynced, renamed over the
// target, and the dir is fsynced. Errors are InstallErrors naming the path.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace tcpulse::install {

std::string read_file(const std::filesystem::path& path);

void write_file_atomic(const std::filesystem::path& path, const std::string& bytes, mode_t mode);

// Copies src to dst atomically with mode; does nothing if dst already holds the same bytes.
// Returns whether it wrote.
bool copy_file_atomic(const std::filesystem::path& src, const std::filesystem::path& dst, mode_t mode);

// rename(2), then fsync of both dirs; InstallError naming both paths on failure.
void move_file(const std::filesystem::path& from, const std::filesystem::path& to);

// The permission bits of an existing file.
mode_t file_mode(const std::filesystem::path& path);

}  // namespace tcpulse::install
