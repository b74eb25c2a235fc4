#!/usr/bin/env bash
# Prints the rendered manifests of charts/tcpulse, as `helm template` would, with Helm's own
# engine (Go text/template + sprig) built offline from Debian's golang-go and
# golang-github-masterminds-sprig-dev (hack/deps.sh installs them). Arguments go to the renderer:
#
#   hack/render-chart.sh [--set key=value ...] [-f values.yaml] [--show-only templates/x.yaml] [--json]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$repo/hack/build-render-chart.sh")
exec "$bin" "$@" "$repo/charts/tcpulse"
