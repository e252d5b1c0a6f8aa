#!/usr/bin/env bash
# The unit tier where it must pass: as an unprivileged user, on a system with no kernel headers and no
# dkms state (/lib/modules, /usr/src and /var/lib/dkms are empty in a private mount namespace). As root,
# this copies the repository for the user "nobody"; otherwise it runs the tier as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec npx vitest run --project unit; fi
work=$(mktemp -d /tmp/kmf-unit-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a . "$work/repo"
chown -R nobody:nogroup "$work/repo"
chmod 755 "$work"
# shellcheck disable=SC2016 # the script is for the bash in the new namespace, which expands it
unshare --mount bash -c '
  set -e
  for dir in /lib/modules /usr/src /var/lib/dkms; do
    if [ -d "$dir" ]; then mount -t tmpfs none "$dir"; fi
  done
  cd "$1"
  # --configLoader runner: vite would otherwise write the bundled config into node_modules.
  exec setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env -i HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin \
    npx --no-install vitest run --project unit --configLoader runner
' bash "$work/repo"
