// Error and Result<T>: the expected-style return type of every fallible call in tcpulse.
//
// An Error carries an errno value, a sentence saying what was being done, and the file:line where
// it was made. libbpf's negative-errno returns are converted in exactly one place, libbpf_error().
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#if __has_include(<source_location>)
#include <source_location>
#endif

namespace tcpulse {

// Where an Error was made. std::source_location where the library has it; clang 14 with
// libstdc++ 12 (the fuzz build) does not, and gets the same from the compiler's builtins.
#if defined(__cpp_lib_source_location)
using SourceLocation = std::source_location;
#else
struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(),
                                          unsigned line = __builtin_LINE()) {
    return SourceLocation{file, line};
  }
  constexpr const char* file_name() const { return file_; }
  constexpr unsigned line() const { return line_; }
  const char* file_;
  unsigned line_;
};
#endif

class Error {
 public:
  Error(int errno_value, std::string what,
        SourceLocation where = SourceLocation::current());

  int code() const { return code_; }
  const std::string& what() const { return what_; }
  // "what: strerror (file:line)"
  std::string describe() const;

 private:
  int code_;
  std::string what_;
  std::string where_;
};

// Converts a libbpf/bpf syscall wrapper return value (negative errno) into an Error.
Error libbpf_error(long ret, std::string what,
                   SourceLocation where = SourceLocation::current());
// Converts the current errno into an Error.
Error errno_error(std::string what, SourceLocation where = SourceLocation::current());

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Result<void> success() { return {}; }

}  // namespace tcpulse
