// The connection log's file handling: rotation by size with whole lines, and writes that fail
// counted by reason rather than fatal.
#include "agent/connection_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>
#include <sstream>

namespace tcpulse::agent {
namespace {

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tcpulse-connlog-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(ConnectionLog, RotatesBySizeKeepingWholeLinesAndTheNewestFiles) {
  auto dir = temp_dir("rotate");
  auto path = dir / "connections.log";
  {
    auto log = ConnectionLog::open({path, 1000, 3});
    ASSERT_TRUE(log) << log.error().describe();
    for (int i = 0; i < 100; i++) {
      log.value()->write(std::string(90, 'a' + i % 26) + std::to_string(i));  // ~93 bytes + \n
      if (i % 7 == 0) log.value()->flush();  // in several batches
    }
    log.value()->flush();
    EXPECT_EQ(log.value()->written(), 100u);
    EXPECT_GT(log.value()->rotations(), 5u);
  }
  EXPECT_TRUE(std::filesystem::exists(path.string() + ".1"));
  EXPECT_TRUE(std::filesystem::exists(path.string() + ".2"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".3")) << "3 files kept, the current one included";
  for (const auto& p : {path, std::filesystem::path(path.string() + ".1"),
                        std::filesystem::path(path.string() + ".2")}) {
    EXPECT_LE(std::filesystem::file_size(p), 1000u) << p;
    for (const auto& line : lines_of(p)) EXPECT_EQ(line.size(), 90 + std::to_string(std::stoi(line.substr(90))).size()) << p;
  }
  // The newest line is the last of the current file.
  EXPECT_EQ(lines_of(path).back(), std::string(90, 'a' + 99 % 26) + "99");
  std::filesystem::remove_all(dir);
}

TEST(ConnectionLog, AFullDiskIsCountedNotFatal) {
  auto log = ConnectionLog::open({"/dev/full", 1 << 20, 2});
  ASSERT_TRUE(log) << log.error().describe();
  for (int i = 0; i < 10; i++) log.value()->write("{\"event\":\"open\"}");
  log.value()->flush();
  EXPECT_EQ(log.value()->dropped(LogDrop::DiskFull), 10u);
  EXPECT_EQ(log.value()->written(), 0u);
}

TEST(ConnectionLog, AStdoutWithoutAReaderIsCountedNotFatal) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  signal(SIGPIPE, SIG_IGN);
  int saved = dup(STDOUT_FILENO);
  dup2(pipe_fds[1], STDOUT_FILENO);
  close(pipe_fds[1]);
  close(pipe_fds[0]);  // nobody reads
  auto log = ConnectionLog::open({"-", 1 << 20, 2});
  dup2(saved, STDOUT_FILENO);
  close(saved);
  ASSERT_TRUE(log) << log.error().describe();
  for (int i = 0; i < 5; i++) log.value()->write("{}");
  log.value()->flush();
  EXPECT_EQ(log.value()->dropped(LogDrop::OutputClosed), 5u);
}

TEST(ConnectionLog, AWriterThatFallsBehindDropsWhatDoesNotFitItsQueue) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  // A pipe nobody drains: the writer blocks once its 64 KiB buffer is full.
  int saved = dup(STDOUT_FILENO);
  dup2(pipe_fds[1], STDOUT_FILENO);
  auto log = ConnectionLog::open({"-", 1 << 20, 2, 8192});
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(pipe_fds[1]);
  ASSERT_TRUE(log) << log.error().describe();
  for (int i = 0; i < 2000; i++) log.value()->write(std::string(200, 'x'));  // never blocks
  EXPECT_GT(log.value()->dropped(LogDrop::QueueFull), 0u);
  // Drain the pipe so the writer can finish.
  std::thread reader([fd = pipe_fds[0]] {
    char buf[65536];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
  });
  log.value()->flush();
  uint64_t handled = log.value()->written() + log.value()->dropped(LogDrop::QueueFull);
  EXPECT_EQ(handled, 2000u);
  log.value().reset();
  reader.join();
  close(pipe_fds[0]);
}

TEST(ConnectionLog, APathThatCannotBeWrittenIsAnErrorAtOpen) {
  EXPECT_FALSE(ConnectionLog::open({"/nonexistent-dir/x/connections.log"}));
}

}  // namespace
}  // namespace tcpulse::agent
