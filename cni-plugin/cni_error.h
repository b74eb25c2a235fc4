// CniError: a CNI spec error result (https://www.cni.dev/docs/spec/#error), printed on stdout
// with a non-zero exit status.
#pragma once

#include <string>

namespace tcpulse::cni {

// Well-known codes from the CNI spec; 100+ are plugin-specific.
enum ErrorCode : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kNotAvailable = 50,
  kNotAttached = 100,  // CHECK: the pod is not monitored
};

struct CniError {
  int code;
  std::string msg;
  std::string details;
};

std::string error_json(const CniError& error, const std::string& cni_version);

}  // namespace tcpulse::cni
