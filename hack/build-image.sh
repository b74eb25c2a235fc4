#!/usr/bin/env bash
# Builds the tcpulse container image (install/Containerfile) as localhost/tcpulse:dev with podman,
# offline: the binaries built here, stripped, and the shared libraries they load, staged into a
# root filesystem that the Containerfile copies into an empty (scratch) image.
#
#   hack/build-image.sh [--tag NAME:TAG] [--podman-root DIR] [--no-build]
#
# (root) --podman-root: a private image store (tests); --no-build: use build/bin as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

tag=localhost/tcpulse:dev
build=1
podman_args=()
while (($#)); do
	case "$1" in
	--tag) tag=${2:?--tag: missing value}; shift 2 ;;
	--podman-root)
		root=${2:?--podman-root: missing value}
		podman_args=(--root "$root/root" --runroot "$root/runroot" --storage-driver vfs)
		shift 2
		;;
	--no-build) build=0; shift ;;
	-h | --help) sed -n '2,8p' "$0"; exit 0 ;;
	*) echo "build-image: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
command -v podman >/dev/null || { echo "build-image: needs podman (hack/deps.sh installs it)" >&2; exit 1; }

binaries=(tcpulse-agent tcpulse-install tcpulse tcpulsectl)
if ((build)); then
	[[ -f build/CMakeCache.txt ]] || cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	echo "build-image: building ${binaries[*]}" >&2
	cmake --build build -j "$(nproc)" --target "${binaries[@]}" >/dev/null
fi

stage=build/image
rm -rf "$stage"
mkdir -p "$stage/rootfs/usr/local/bin" "$stage/rootfs/run" "$stage/rootfs/var" "$stage/rootfs/tmp"
# containerd names pod namespaces /var/run/netns/...: the same dir as /run/netns.
ln -s ../run "$stage/rootfs/var/run"
# tcpulsectl top draws with ncurses, which needs the terminal's description: Debian's essential
# set (xterm, screen, tmux, linux, vt100, ...; 228 KiB).
mkdir -p "$stage/rootfs/lib"
cp -a /lib/terminfo "$stage/rootfs/lib/terminfo"
for b in "${binaries[@]}"; do
	strip --strip-unneeded -o "$stage/rootfs/usr/local/bin/$b" "build/bin/$b"
done
# Every library the binaries load, at the path the dynamic loader looks for it.
# (The CNI plugin is static: ldd has nothing to say about it.)
mapfile -t libs < <(ldd "${binaries[@]/#/build/bin/}" 2>/dev/null | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | sort -u)
for lib in "${libs[@]}"; do
	mkdir -p "$stage/rootfs$(dirname "$lib")"
	cp -L "$lib" "$stage/rootfs$lib"
done
# libxdp loads its multi-program dispatcher from this object when XDP is asked for (the uplinks'
# receive side, attachMode xdp): without it, XDP could never share an interface.
dispatcher=$(dpkg -L libxdp1 2>/dev/null | grep '/bpf/xdp-dispatcher.o$' || true)
if [[ -n $dispatcher ]]; then
	mkdir -p "$stage/rootfs$(dirname "$dispatcher")"
	cp "$dispatcher" "$stage/rootfs$dispatcher"
fi
version=$(sed -n 's/^project(tcpulse VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
echo "build-image: podman build $tag (version $version, ${#libs[@]} shared libraries)" >&2
podman "${podman_args[@]}" build --quiet --network none --build-arg "VERSION=$version" \
	-f install/Containerfile -t "$tag" "$stage" >/dev/null
size=$(podman "${podman_args[@]}" image inspect --format '{{.Size}}' "$tag")
echo "build-image: $tag, $((size / 1024 / 1024)) MiB ($size bytes)" >&2
