/**
 * What runs in the guest: /init, a busybox shell script that loads the listed modules one by one and
 * reports on the second serial port (ttyS1), which carries nothing but its lines, while the kernel's
 * console has ttyS0. Its protocol (read by parse-results.ts), one line each:
 *
 *   KMF-BOOT <release>            /init runs
 *   KMF-LOG <tag> <kernel line>   kernel log lines: tag "boot" (oops-like lines of the boot), a module's
 *                                 load index (what the kernel said while loading it), "after" (the settle)
 *   KMF-START <index> <name>      insmod of a module begins
 *   KMF-OUT <index> <line>        what insmod printed
 *   KMF-EXIT <index> <status>     insmod's exit status, or "hung" when init did not return in time
 *   KMF-PROC <line>               /proc/modules once every module was tried
 *   KMF-TAINT <number>            /proc/sys/kernel/tainted
 *   KMF-END                       the report is complete; the guest powers off
 *
 * Pure: the texts of /init and of the two files it reads.
 */

/** Where the guest finds its settings and the modules (the load list's paths are under it). */
export const guestDir = '/kmf';

/** Boot lines worth reporting: every line would cost about 0.5 s over the emulated UART. */
const bootProblemPattern =
  'Oops|BUG:|WARNING:|Call Trace|Kernel panic|general protection|Initramfs unpacking failed|Lockdown:';

/**
 * insmod runs as a child, never as PID 1: an oops in a module's init kills insmod and PID 1 goes on. A
 * zombie still answers `kill -0`, so whether insmod ended is read from the state in /proc/PID/stat. An
 * init that never returns cannot be killed: it is reported as hung and the next module is tried.
 */
export const guestInitScript = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
. ${guestDir}/config
$B stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1
say() { echo "$*" >&3; }
log() {
  $B dmesg -c > /tmp/log
  while IFS= read -r line; do say "KMF-LOG $1 $line"; done < /tmp/log
}
say "KMF-BOOT $($B uname -r)"
$B dmesg -c | $B grep -E '${bootProblemPattern}' > /tmp/log
while IFS= read -r line; do say "KMF-LOG boot $line"; done < /tmp/log
while read -r index name file; do
  say "KMF-START $index $name"
  $B insmod "$file" > /tmp/out 2>&1 &
  pid=$!
  ticks=0
  while :; do
    state=gone
    read -r _ _ state _ 2>/dev/null < /proc/$pid/stat
    if [ "$state" = Z ] || [ "$state" = gone ]; then break; fi
    ticks=$((ticks + 1))
    if [ $ticks -ge $LOAD_TICKS ]; then break; fi
    $B usleep $TICK_US
  done
  if [ "$state" = Z ] || [ "$state" = gone ]; then wait $pid; status=$?; else status=hung; fi
  while IFS= read -r line; do say "KMF-OUT $index $line"; done < /tmp/out
  log $index
  say "KMF-EXIT $index $status"
done < ${guestDir}/list
$B usleep $SETTLE_US
log after
while IFS= read -r line; do say "KMF-PROC $line"; done < /proc/modules
say "KMF-TAINT $($B cat /proc/sys/kernel/tainted)"
say "KMF-END"
exec 3>&-
# A reset, not a power-off: QEMU runs with -no-reboot, so it exits either way, and a kernel without ACPI
# (a user's small custom kernel) can reset the machine but not power it off.
$B reboot -f
`;

const tickMs = 10;

export interface GuestSettings {
  /** How long one module's init may run before it is reported as hung. */
  loadTimeoutMs: number;
  /** How long to wait after the last load for a late oops (a timer or a work item of a module). */
  settleMs: number;
}

/** ${guestDir}/config, sourced by /init. */
export function planGuestConfig(settings: GuestSettings): string {
  return [
    `LOAD_TICKS=${Math.max(1, Math.ceil(settings.loadTimeoutMs / tickMs))}`,
    `TICK_US=${tickMs * 1000}`,
    `SETTLE_US=${Math.max(0, Math.round(settings.settleMs * 1000))}`,
    '',
  ].join('\n');
}

/** The guest path of the module loaded at `index`: its position, then its name (no spaces in either). */
export function planGuestModulePath(index: number, name: string): string {
  return `${guestDir}/${String(index).padStart(3, '0')}-${name}.ko`;
}

/** ${guestDir}/list: one `<index> <name> <path>` line per module, in load order. */
export function planLoadList(names: readonly string[]): string {
  return names.map((name, i) => `${i} ${name} ${planGuestModulePath(i, name)}\n`).join('');
}
