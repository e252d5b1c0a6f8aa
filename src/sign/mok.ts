import { chmod, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { KmodError } from '../errors.ts';
import { describeEnd, lastLines, runCommand } from '../exec/run.ts';
import { fsyncDir, stagingName } from '../state/atomic.ts';
import { exists, makeDirs } from '../state/fs.ts';

export const mokSubject = '/CN=kmodforge module signing key';

/** The openssl command dkms uses for its MOK (self-signed, codeSigning EKU, DER certificate, 100 years). */
export function planMokCommand(key: string, certificate: string): string[] {
  return [
    'req',
    '-new',
    '-x509',
    '-nodes',
    '-days',
    '36500',
    '-subj',
    mokSubject,
    '-newkey',
    'rsa:2048',
    '-keyout',
    key,
    '-addext',
    'extendedKeyUsage=codeSigning',
    '-outform',
    'DER',
    '-out',
    certificate,
  ];
}

/**
 * Makes sure the signing key pair exists, generating both when both are missing. A pkcs11: key is the
 * token's business. Returns whether a new pair was made. Refuses to replace one half of an existing pair.
 */
export async function ensureMokKeyPair(key: string, certificate: string): Promise<boolean> {
  if (key.startsWith('pkcs11:')) return false;
  const [haveKey, haveCert] = await Promise.all([exists(key), exists(certificate)]);
  if (haveKey && haveCert) return false;
  if (haveKey !== haveCert) {
    throw new KmodError(
      'SIGN_FAILED',
      `${haveKey ? certificate : key} is missing but ${haveKey ? key : certificate} exists; not replacing half of a signing key pair`,
      {
        hint: 'restore the missing file, or move both away to have a new pair generated',
      },
    );
  }
  await makeDirs(path.dirname(key));
  await makeDirs(path.dirname(certificate));
  const tempKey = stagingName(key);
  const tempCert = stagingName(certificate);
  try {
    const result = await runCommand('openssl', planMokCommand(tempKey, tempCert), { timeoutMs: 120_000 });
    if (result.exitCode !== 0) {
      throw new KmodError(
        'SIGN_FAILED',
        `openssl could not generate the signing key (${describeEnd(result)}):\n${lastLines(result.all, 5)}`,
      );
    }
    await chmod(tempKey, 0o600);
    await rename(tempKey, key);
    await rename(tempCert, certificate);
    await fsyncDir(path.dirname(key));
  } finally {
    await rm(tempKey, { force: true });
    await rm(tempCert, { force: true });
  }
  return true;
}

/** The command a user runs to enroll the certificate in the shim's MOK list. */
export function planEnrollCommand(certificate: string): string {
  return `mokutil --import ${certificate}`;
}
