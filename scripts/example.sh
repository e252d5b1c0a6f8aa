#!/usr/bin/env bash
# The main job: build the example module (examples/hello) for every installed kernel into a throwaway
# root and print its status. Installs what it needs first: make and a compiler, kernel headers when there
# are none, and kmodforge's own dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=(make gcc libc6-dev kmod patch binutils)
compgen -G '/lib/modules/*/build/include' >/dev/null || deps+=(linux-headers-amd64)
bash scripts/apt-deps.sh "${deps[@]}"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

root=$(mktemp -d /tmp/kmodforge-example.XXXXXX)
trees=(--dkmstree "$root/var/lib/dkms" --sourcetree "$root/usr/src")
./bin/kmodforge.js build ./examples/hello --all-kernels "${trees[@]}"
./bin/kmodforge.js status "${trees[@]}"
echo "The throwaway root is $root"
