#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for SECONDS each (default 60) from its seed corpus, and
# the BPF fuzz test with PACKETS packets (default 5,000,000) through both datapath programs.
# A crash's input is left in build/fuzz/artifacts. Needs root for the BPF part.
#
#   sudo ./hack/fuzz.sh [SECONDS] [PACKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60} packets=${2:-5000000}
[[ $EUID -eq 0 ]] && ./hack/deps.sh
./hack/build.sh >/dev/null
failed=0
for target in cni_request pending_pod cni_cache http_request; do
	echo "== fuzz_$target, ${seconds} s"
	tests/fuzz/run-fuzzer.sh "build/fuzz/fuzz_$target" "tests/fuzz/corpus/$target" "$seconds" \
		build/fuzz/artifacts || failed=1
done
if [[ $EUID -eq 0 ]]; then
	echo "== datapath, $packets packets"
	TCPULSE_BPF_FUZZ_PACKETS=$packets build/bin/bpf_tests --gtest_filter='*DatapathFuzz.*' || failed=1
else
	echo "== datapath: SKIPPED (needs root)"
fi
exit $failed
