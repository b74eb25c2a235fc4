#include "tests/support/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace tcpulse::test {

namespace {

// Reads what is there within the deadline; returns bytes read, 0 on EOF, -1 on timeout or error.
ssize_t read_some(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd p{fd, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return -1;
  char buf[65536];
  ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  if (n > 0) into.append(buf, static_cast<size_t>(n));
  return n < 0 ? (errno == ECONNRESET ? 0 : -1) : n;
}

}  // namespace

RawHttpClient::RawHttpClient(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd_.valid() || ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
}

bool RawHttpClient::send(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    pollfd p{fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, 2000) <= 0) return false;  // the peer stopped reading
    ssize_t n = ::send(fd_.get(), bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

RawHttpAnswer RawHttpClient::read_answer(double timeout_s, bool expect_body) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(timeout_s));
  RawHttpAnswer answer;
  size_t head_end;
  while ((head_end = in_.find("\r\n\r\n")) == std::string::npos)
    if (read_some(fd_.get(), in_, deadline) <= 0) return answer;
  answer.head = in_.substr(0, head_end + 2);
  in_.erase(0, head_end + 4);
  if (answer.head.rfind("HTTP/1.", 0) == 0 && answer.head.size() > 12)
    answer.status = static_cast<unsigned>(std::stoul(answer.head.substr(9, 3)));
  if (expect_body && answer.head.find("Transfer-Encoding: chunked") != std::string::npos) {
    // Chunks: a hex size line, the data and CRLF, until a size of 0 and a CRLF.
    while (true) {
      size_t eol;
      while ((eol = in_.find("\r\n")) == std::string::npos)
        if (read_some(fd_.get(), in_, deadline) <= 0) return answer;
      size_t size = std::stoul(in_.substr(0, eol), nullptr, 16);
      while (in_.size() < eol + 2 + size + 2)
        if (read_some(fd_.get(), in_, deadline) <= 0) return answer;
      answer.body += in_.substr(eol + 2, size);
      answer.chunks++;
      in_.erase(0, eol + 2 + size + 2);
      if (size == 0) return answer;
    }
  }
  size_t length = 0;
  if (auto at = answer.head.find("Content-Length: "); at != std::string::npos)
    length = std::stoul(answer.head.substr(at + 16));
  if (!expect_body) length = 0;
  while (in_.size() < length)
    if (read_some(fd_.get(), in_, deadline) <= 0) break;
  answer.body = in_.substr(0, std::min(length, in_.size()));
  in_.erase(0, answer.body.size());
  return answer;
}

bool RawHttpClient::closed_by_peer(double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                      std::chrono::duration<double>(timeout_s));
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
}

}  // namespace tcpulse::test
