#!/usr/bin/env bash
# Builds tcpulse and runs the whole suite with ctest: unit, bpf (BPF_PROG_TEST_RUN) and
# integration (network namespaces, real CNI plugins, real traffic). Exits non-zero on any failure.
# As root it first installs what is missing (hack/deps.sh); as another user the privileged tiers
# report SKIPPED with the reason. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -eq 0 ]]; then
	./hack/deps.sh
else
	echo "test.sh: not root: the bpf and integration tests will be skipped" >&2
fi
./hack/build.sh
cd build
ctest --output-on-failure "$@"
