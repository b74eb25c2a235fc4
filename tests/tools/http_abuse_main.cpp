// http-abuse: many misbehaving HTTP clients against one server on loopback, while a well-behaved
// scraper measures how the server still answers it. For tcpulse-agent's robustness test and
// hack/bench-http-abuse.sh. Traffic goes to 127.0.0.1 only; it stops by itself.
//
// usage: http-abuse PORT CLIENTS SECONDS [PID [KINDS]]
//   Clients take turns among the kinds below (KINDS: a comma list of their names, default all).
//   With PID (0: none), the server's resident memory is sampled.
//   Prints one JSON object: scrapes made and failed, scrape latency p50/p99/max (ms), the
//   server's peak RSS (KiB), and what the clients saw.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using Clock = std::chrono::steady_clock;

enum Kind { kSilent, kSlowloris, kBigBody, kBigHeaders, kLongUrl, kGarbage, kUnreadFlood, kChurn, kKinds };
const char* kKindNames[kKinds] = {"silent", "slowloris", "big_body", "big_headers",
                                  "long_url", "garbage", "unread_flood", "churn"};

struct Client {
  Kind kind;
  int fd = -1;
  std::string out;  // what is left to send now
  size_t sent = 0;
  Clock::time_point next;
  int step = 0;
};

uint16_t g_port;

int connect_nonblocking() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// What a client of each kind sends on a fresh connection.
std::string opening(Kind kind, std::mt19937& rng) {
  switch (kind) {
    case kSilent: return "";
    case kSlowloris: return "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    case kBigBody: return "POST /metrics HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n" + std::string(1 << 20, 'b');
    case kBigHeaders: {
      std::string h = "GET /metrics HTTP/1.1\r\n";
      while (h.size() < 100 * 1024) h += "X-Filler: " + std::string(100, 'f') + "\r\n";
      return h + "\r\n";
    }
    case kLongUrl: return "GET /" + std::string(8192, 'u') + " HTTP/1.1\r\n\r\n";
    case kGarbage: {
      std::string g(4096, '\0');
      for (char& c : g) c = static_cast<char>(rng());
      return g;
    }
    case kUnreadFlood:
    case kChurn: return "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    default: return "";
  }
}

struct Scrapes {
  std::vector<double> ms;
  uint64_t failed = 0;
  uint64_t peak_rss_kib = 0;
};

uint64_t rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      uint64_t v;
      in >> v;
      return v;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

// One GET /metrics on a new connection, read to the end; its latency, or a negative number.
double scrape_once() {
  auto start = Clock::now();
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) answer.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (answer.rfind("HTTP/1.1 200", 0) != 0) return -1;
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: http-abuse PORT CLIENTS SECONDS [PID [KINDS]]\n");
    return 2;
  }
  g_port = static_cast<uint16_t>(std::stoi(argv[1]));
  int n_clients = std::stoi(argv[2]);
  double seconds = std::stod(argv[3]);
  int pid = argc > 4 ? std::stoi(argv[4]) : 0;
  std::vector<Kind> kinds;
  std::string wanted = argc > 5 ? "," + std::string(argv[5]) + "," : "";
  for (int k = 0; k < kKinds; k++)
    if (wanted.empty() || wanted.find("," + std::string(kKindNames[k]) + ",") != std::string::npos)
      kinds.push_back(static_cast<Kind>(k));
  if (kinds.empty()) {
    std::fprintf(stderr, "http-abuse: no known kind in '%s'\n", argv[5]);
    return 2;
  }
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::atomic<bool> done{false};
  Scrapes scrapes;
  std::thread scraper([&] {
    while (!done) {
      double ms = scrape_once();
      if (ms < 0) scrapes.failed++;
      else scrapes.ms.push_back(ms);
      if (pid) scrapes.peak_rss_kib = std::max(scrapes.peak_rss_kib, rss_kib(pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  std::mt19937 rng(1);
  std::vector<Client> clients(static_cast<size_t>(n_clients));
  uint64_t connects = 0, closed_by_server = 0, answers = 0;
  for (size_t i = 0; i < clients.size(); i++) clients[i].kind = kinds[i % kinds.size()];
  std::vector<pollfd> fds;
  while (Clock::now() < end) {
    auto now = Clock::now();
    for (auto& c : clients) {
      if (c.fd < 0 && now >= c.next) {
        c.fd = connect_nonblocking();
        connects++;
        c.out = opening(c.kind, rng);
        c.sent = 0;
        c.step = 0;
      }
      if (c.fd < 0 || now < c.next) continue;
      if (c.kind == kSlowloris && c.sent >= c.out.size()) {  // one more header now and then
        c.out += "X-" + std::to_string(c.step++) + ": y\r\n";
        c.next = now + std::chrono::milliseconds(500);
      }
      if (c.kind == kUnreadFlood && c.sent >= c.out.size()) {  // ask again, read nothing
        c.out += opening(kUnreadFlood, rng);
        c.next = now + std::chrono::milliseconds(100);
      }
      while (c.sent < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + c.sent, std::min<size_t>(c.out.size() - c.sent, 65536),
                           MSG_NOSIGNAL);
        if (n <= 0) break;
        c.sent += static_cast<size_t>(n);
      }
      if (c.kind == kChurn && c.sent >= c.out.size()) {  // gone before the answer
        ::close(c.fd);
        c.fd = -1;
        c.next = now + std::chrono::milliseconds(50);
      }
    }
    fds.clear();
    for (auto& c : clients)
      if (c.fd >= 0 && c.kind != kUnreadFlood) fds.push_back({c.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 20);
    for (const auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[16384];
      ssize_t n = ::recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        answers++;
        continue;
      }
      if (n < 0 && errno == EAGAIN) continue;
      for (auto& c : clients)
        if (c.fd == p.fd) {
          ::close(c.fd);
          c.fd = -1;
          c.next = Clock::now() + std::chrono::milliseconds(20);
          closed_by_server++;
          break;
        }
    }
  }
  done = true;
  scraper.join();
  for (auto& c : clients)
    if (c.fd >= 0) ::close(c.fd);

  auto& ms = scrapes.ms;
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms.empty() ? -1.0 : ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  nlohmann::json out = {{"clients", n_clients},     {"seconds", seconds},
                        {"scrapes", ms.size() + scrapes.failed},
                        {"scrapes_failed", scrapes.failed},
                        {"scrape_p50_ms", pct(0.5)}, {"scrape_p99_ms", pct(0.99)},
                        {"scrape_max_ms", ms.empty() ? -1.0 : ms.back()},
                        {"server_peak_rss_kib", scrapes.peak_rss_kib},
                        {"client_connects", connects}, {"closed_by_server", closed_by_server},
                        {"answers_read", answers}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
