#!/usr/bin/env bash
# Configures (once) and builds tcpulse into build/: build/bin/tcpulse and build/bin/tcpulse-agent.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/CMakeCache.txt ]] || cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
