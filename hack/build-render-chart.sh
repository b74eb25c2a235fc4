#!/usr/bin/env bash
# Builds hack/render-chart (Go, offline) into build/bin/render-chart if it is missing or older
# than its source, and prints its path. Debian ships sprig v3 and semver v3 under their v1
# import paths, so a private GOPATH entry maps the /v3 paths onto them (GOPATH mode: no
# module download).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${RENDER_CHART_OUT:-$repo/build/bin/render-chart}
src=$repo/hack/render-chart/main.go
if [[ ! -x "$out" || "$src" -nt "$out" ]]; then
	command -v go >/dev/null || { echo "render-chart: needs golang-go (hack/deps.sh installs it)" >&2; exit 1; }
	gocode=/usr/share/gocode
	[[ -d $gocode/src/github.com/Masterminds/sprig ]] ||
		{ echo "render-chart: needs golang-github-masterminds-sprig-dev (hack/deps.sh installs it)" >&2; exit 1; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	for m in sprig semver; do
		mkdir -p "$work/gopath/src/github.com/Masterminds/$m"
		ln -s "$gocode/src/github.com/Masterminds/$m" "$work/gopath/src/github.com/Masterminds/$m/v3"
	done
	mkdir -p "$(dirname "$out")" "$repo/build/go-cache"
	(cd "$repo/hack/render-chart" &&
		GO111MODULE=off GOPATH="$work/gopath:$gocode" GOCACHE="$repo/build/go-cache" GOFLAGS= \
			go build -o "$out" .)
fi
echo "$out"
