import { stat } from 'node:fs/promises';
import { KmodError } from '../../../errors.ts';
import { underRoot } from '../../../paths.ts';
import { ensureMokKeyPair } from '../../../sign/mok.ts';
import type { DkmsInvocation } from '../invocation.ts';
import {
  planDkmsSignFile,
  planDkmsSigningEnd,
  planDkmsSigningStart,
  say,
  type DkmsTranscript,
} from '../text/build-text.ts';

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

async function isExecutableFile(file: string): Promise<boolean> {
  const s = await stat(file).catch(() => undefined);
  return s?.isFile() === true && (s.mode & 0o111) !== 0;
}

/**
 * prepare_signing: prints what dkms prints and generates the key pair when dkms would (before the build,
 * whatever becomes of it). Returns whether dkms signs the modules.
 */
export async function runDkmsSigning(
  inv: DkmsInvocation,
  kernel: string,
  t: DkmsTranscript,
): Promise<boolean> {
  const { ctx } = inv;
  const fw = ctx.framework.values;
  const onHost = (p: string): string => underRoot(ctx.paths.root, p);
  let signFile = fw.sign_file ?? '';
  if (signFile === '') {
    signFile = planDkmsSignFile(kernel, ctx.distro.id) ?? '';
    if (signFile === '' || !(await isFile(onHost(signFile))))
      signFile = `/lib/modules/${kernel}/build/scripts/sign-file`;
  }
  const key =
    fw.mok_signing_key === undefined || fw.mok_signing_key === ''
      ? '/var/lib/dkms/mok.key'
      : fw.mok_signing_key;
  const certificate =
    fw.mok_certificate === undefined || fw.mok_certificate === ''
      ? '/var/lib/dkms/mok.pub'
      : fw.mok_certificate;
  const start = planDkmsSigningStart({
    signFile,
    signFileUsable: await isExecutableFile(onHost(signFile)),
    key,
    certificate,
    keyExists: await isFile(onHost(key)),
    certificateExists: await isFile(onHost(certificate)),
  });
  say(t, start.lines.map((l) => `${l}\n`).join(''));
  if (start.kind === 'no-sign-file') return false;
  if (start.generate) {
    // kmodforge keeps a lone half of a pair rather than replacing it; the check below then says so.
    await ensureMokKeyPair(onHost(key), onHost(certificate)).catch((error: unknown) => {
      if (!(error instanceof KmodError)) throw error;
    });
  }
  const end = planDkmsSigningEnd({
    key,
    certificate,
    generated: start.generate,
    keyExists: await isFile(onHost(key)),
    certificateExists: await isFile(onHost(certificate)),
  });
  say(t, end.lines.map((l) => `${l}\n`).join(''));
  return end.signs;
}
