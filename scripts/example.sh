#!/usr/bin/env bash
# The main job: build and install the example module (examples/hello) for every installed kernel into a
# throwaway root, print its status, prove that it loads by booting one of those kernels under QEMU with it
# (kmodforge verify, which downloads that kernel's linux-image package with apt-get), and write its .rpm
# and .deb packages; then kmodforge's own .deb, which installs it as the system's dkms. Installs what it
# needs first: make and a compiler, kernel headers when there are none, QEMU and busybox-static for verify,
# and kmodforge's own dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=(make gcc libc6-dev kmod patch binutils openssl xz-utils zstd rpm dpkg-dev qemu-system-x86 busybox-static)
compgen -G '/lib/modules/*/build/include' >/dev/null || deps+=(linux-headers-amd64)
bash scripts/apt-deps.sh "${deps[@]}"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

# A throwaway root that shares this machine's kernels: <root>/lib/modules/<kernel>/build leads to the
# real headers (a relative link, because --root reads absolute links inside the root).
root=$(mktemp -d /tmp/kmodforge-example.XXXXXX)
for build in /lib/modules/*/build; do
  [ -d "$build/include" ] || continue
  kernel_dir="$root/lib/modules/$(basename "$(dirname "$build")")"
  mkdir -p "$kernel_dir"
  ln -s "$(realpath --relative-to="$kernel_dir" "$(realpath "$build")")" "$kernel_dir/build"
  : >"$kernel_dir/modules.dep"
done
mkdir -p "$root/etc" && cp /etc/os-release "$root/etc/"

./bin/kmodforge.js --root "$root" install ./examples/hello --all-kernels
./bin/kmodforge.js --root "$root" status
find "$root/lib/modules" -name '*.ko*' | sort

# Does it load? The first kernel it was built for, booted under QEMU with the module in its initramfs.
kernels=("$root"/lib/modules/*)
verify_kernel=$(basename "${kernels[0]}")
./bin/kmodforge.js --root "$root" verify hello/1.0 -k "$verify_kernel"

# Packages of the same build: binary RPMs and DEBs per kernel, and the <name>-dkms source package.
./bin/kmodforge.js --root "$root" mkrpm hello/1.0 --all-kernels --out "$root/packages"
./bin/kmodforge.js --root "$root" mkdeb hello/1.0 --all-kernels --out "$root/packages"
./bin/kmodforge.js --root "$root" mkdeb hello/1.0 --source --out "$root/packages"
echo "The throwaway root is $root"

# kmodforge itself as a system package: one executable (Node and the CLI), the dkms command, the hooks.
npm run --silent deb
