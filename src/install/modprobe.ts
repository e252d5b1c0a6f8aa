import { access } from 'node:fs/promises';
import { KmodError } from '../errors.ts';
import { runCommand } from '../exec/run.ts';

/**
 * The kernels whose new modules are loaded after an install (dkms's modprobe_on_install): only the running
 * kernel, as newer dkms does; a module cannot be loaded into a kernel that is not running, and dkms
 * 3.0.10's modprobe for another kernel's install loads the running kernel's modules instead. Pure.
 */
export function planModprobeKernels(
  installed: readonly string[],
  runningKernel: string,
  root: string,
): string[] {
  // Under another root, /sys is not that system's.
  if (root !== '/') return [];
  return installed.includes(runningKernel) ? [runningKernel] : [];
}

/** As dkms: quietly, honouring blacklists; a device no module claims is no error. */
const loadForDevices =
  'find /sys/devices -name modalias -print0 | xargs -0 cat | sort -u | xargs -r modprobe -a -b -q';

const timeoutMs = 5 * 60 * 1000;

/**
 * Makes what an install added for the running kernel available now: loads the modules the present devices
 * ask for, and restarts systemd-modules-load for /etc/modules-load.d. Neither status is checked, as dkms
 * does not: the install is done either way, and a device without a module is the usual case.
 */
export async function runModprobeOnInstall(): Promise<void> {
  await runCommand('bash', ['--noprofile', '--norc', '-c', loadForDevices], { timeoutMs });
  const unit = '/lib/systemd/system/systemd-modules-load.service';
  const present = await access(unit).then(
    () => true,
    () => false,
  );
  if (!present) return;
  await runCommand('systemctl', ['restart', 'systemd-modules-load.service'], { timeoutMs }).catch(
    (error: unknown) => {
      if (!(error instanceof KmodError)) throw error;
    },
  );
}
