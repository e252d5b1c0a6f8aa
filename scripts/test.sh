#!/usr/bin/env bash
# The tests: install what they need, then lint, typecheck and run the whole suite.
# Ends with "N passed, N failed" (vitest tests plus the lint, typecheck and build checks) and exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/apt-deps.sh \
  make gcc libc6-dev kmod patch binutils xz-utils zstd openssl python3 \
  linux-headers-amd64 linux-headers-rt-amd64 linux-headers-cloud-amd64 \
  dkms rpm rpm2cpio cpio rpmlint lintian gnupg dpkg-dev shellcheck systemd man-db groff-base \
  qemu-system-x86 busybox-static ovmf \
  linux-source-6.1 bc flex bison libelf-dev libssl-dev rsync fakeroot || exit 1
npm ci --no-audit --no-fund || exit 1

passed=0
failed=0
check() {
  echo "== $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*"; fi
}
check npm run --silent build
check npm run --silent lint
check npm run --silent typecheck
# The unit tier as a user without root, kernel headers or dkms state would run it.
check bash scripts/test-unit-isolated.sh

# Runs vitest with the given arguments and adds its tests to the counts.
vitest_tier() {
  local results=.cache/vitest-$1.json
  shift
  rm -f "$results"
  npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
  if [ -s "$results" ]; then
    read -r tp tf < <(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests > 0 ? 0 : 1))' "$results")
    passed=$((passed + tp))
    failed=$((failed + tf))
  else
    echo "vitest wrote no results"
    failed=$((failed + 1))
  fi
}

mkdir -p .cache
vitest_tier all
# Last and alone: kmodforge's package replaces this machine's dkms for the length of the tier.
KMODFORGE_SYSTEM_TESTS=1 vitest_tier system --project system

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
