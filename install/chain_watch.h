// `tcpulse-install watch`: install, then keep tcpulse chained while the primary CNI rewrites its
// config (Calico's and Flannel's installers do on every restart of their node pod). inotify on
// the conf dir (and the bin dir, for the binary) wakes it; it re-checks 100 ms after the last
// event, and once a minute regardless, in case an event was lost. It writes only when something
// is missing, and at most kWritesPerMinute times a minute, so that it never fights another
// writer in a loop; each re-insertion is logged with the node's running count.
#pragma once

#include "install/chain_installer.h"

namespace tcpulse::install {

struct WatchOptions {
  bool uninstall_on_exit = false;  // on SIGTERM/SIGINT
};

// Runs until SIGTERM or SIGINT; returns the exit code.
int watch_chain(ChainInstaller& installer, const InstallOptions& install, const WatchOptions& watch);

}  // namespace tcpulse::install
