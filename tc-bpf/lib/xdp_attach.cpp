#include "tc-bpf/lib/xdp_attach.h"

#include <unistd.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace tcpulse {

namespace {

bool ours(const xdp_program* prog) {
  const char* name = prog ? xdp_program__name(prog) : nullptr;
  return name && std::string_view(name).starts_with("tcpulse_");
}

std::string describe(const xdp_program* prog) {
  const char* name = xdp_program__name(prog);
  return "id " + std::to_string(xdp_program__id(prog)) + ", \"" + (name ? name : "") + "\"";
}

// The interface's XDP programs as libxdp sees them; nullptr when there are none.
xdp_multiprog* programs_on(int ifindex) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  return libxdp_get_error(mp) ? nullptr : mp;
}

std::string message(int err) {
  char buf[256] = {};
  libxdp_strerror(err, buf, sizeof(buf));
  return buf;
}

void (*log_fn)(const std::string&) = nullptr;

int print_libxdp(enum libxdp_print_level level, const char* format, va_list args) {
  if (level != LIBXDP_WARN || !log_fn) return 0;
  char line[512];
  vsnprintf(line, sizeof(line), format, args);
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log_fn(text);
  return 0;
}

}  // namespace

std::optional<std::string> foreign_xdp_program(int ifindex) {
  xdp_multiprog* mp = programs_on(ifindex);
  if (!mp) return std::nullopt;
  std::optional<std::string> foreign;
  if (xdp_multiprog__is_legacy(mp) && !ours(xdp_multiprog__main_prog(mp)))
    foreign = describe(xdp_multiprog__main_prog(mp));
  xdp_multiprog__close(mp);
  return foreign;
}

int detach_our_xdp_programs(int ifindex) {
  xdp_multiprog* mp = programs_on(ifindex);
  if (!mp) return 0;
  int removed = 0;
  enum xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
  if (xdp_multiprog__is_legacy(mp)) {
    if (ours(xdp_multiprog__main_prog(mp)) && xdp_multiprog__detach(mp) == 0) removed++;
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp))
      if (ours(p) && xdp_program__detach(p, ifindex, mode, 0) == 0) removed++;
  }
  xdp_multiprog__close(mp);
  return removed;
}

std::optional<uint32_t> our_xdp_program(int ifindex) {
  xdp_multiprog* mp = programs_on(ifindex);
  if (!mp) return std::nullopt;
  std::optional<uint32_t> id;
  if (xdp_multiprog__is_legacy(mp)) {
    if (ours(xdp_multiprog__main_prog(mp))) id = xdp_program__id(xdp_multiprog__main_prog(mp));
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p && !id; p = xdp_multiprog__next_prog(p, mp))
      if (ours(p)) id = xdp_program__id(p);
  }
  xdp_multiprog__close(mp);
  return id;
}

bool xdp_dispatcher_attached(int ifindex) {
  xdp_multiprog* mp = programs_on(ifindex);
  if (!mp) return false;
  bool dispatcher = !xdp_multiprog__is_legacy(mp);
  xdp_multiprog__close(mp);
  return dispatcher;
}

Result<void> attach_xdp(int prog_fd, int ifindex) {
  detach_our_xdp_programs(ifindex);  // a repeated ADD, or an older build's program
  if (auto foreign = foreign_xdp_program(ifindex))
    return Error(EEXIST, "another XDP program (" + *foreign + ") holds the interface; it stays");
  int fd = dup(prog_fd);  // libxdp takes ownership of the descriptor it is given
  if (fd < 0) return errno_error("dup the XDP program");
  xdp_program* prog = xdp_program__from_fd(fd);
  if (long err = libxdp_get_error(prog); err) {
    close(fd);
    return Error(static_cast<int>(-err), "libxdp: " + message(static_cast<int>(err)));
  }
  int err = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0);
  xdp_program__close(prog);  // the attachment stays
  if (err) return Error(-err, "attach XDP in native mode: " + message(err));
  return success();
}

Result<xdp_program*> attach_xdp_from_object(bpf_object* object, const char* program_name,
                                            int ifindex) {
  if (auto foreign = foreign_xdp_program(ifindex))
    return Error(EEXIST, "another XDP program (" + *foreign + ") holds the interface without "
                         "libxdp's dispatcher; it stays");
  DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = object, .prog_name = program_name);
  xdp_program* prog = xdp_program__create(&opts);
  if (long err = libxdp_get_error(prog); err)
    return Error(static_cast<int>(-err), "libxdp could not open the program: " + message(static_cast<int>(err)));
  if (int err = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0); err) {
    xdp_program__close(prog);
    return Error(-err, "libxdp could not attach in native mode: " + message(err));
  }
  return prog;
}

void detach_xdp(xdp_program* prog, int ifindex) {
  if (!prog) return;
  xdp_program__detach(prog, ifindex, XDP_MODE_NATIVE, 0);
  xdp_program__close(prog);
}

void set_libxdp_log(void (*fn)(const std::string& line)) {
  log_fn = fn;
  libxdp_set_print(print_libxdp);
}

}  // namespace tcpulse
