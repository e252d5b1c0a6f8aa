import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const magic = '~Module signature appended~\n';

/** Splits a signed module into its content and PKCS#7 signature (the kernel's struct module_signature). */
export function splitSignedModule(
  module: Buffer,
): { content: Buffer; signature: Buffer; idType: number } | undefined {
  const end = module.length - magic.length;
  if (end < 12 || module.subarray(end).toString('latin1') !== magic) return undefined;
  const info = module.subarray(end - 12, end);
  const length = info.readUInt32BE(8);
  return {
    content: module.subarray(0, end - 12 - length),
    signature: module.subarray(end - 12 - length, end - 12),
    idType: info[2] ?? -1,
  };
}

/** Checks a module's appended signature against a DER certificate with openssl cms; throws if it does not verify. */
export async function verifyModuleSignature(moduleFile: string, certificateDer: string): Promise<void> {
  const parts = splitSignedModule(await readFile(moduleFile));
  if (parts === undefined) throw new Error(`${moduleFile} has no appended signature`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kmf-sig-'));
  try {
    await writeFile(path.join(dir, 'content'), parts.content);
    await writeFile(path.join(dir, 'sig.der'), parts.signature);
    await run('openssl', [
      'x509',
      '-inform',
      'DER',
      '-in',
      certificateDer,
      '-out',
      path.join(dir, 'cert.pem'),
    ]);
    await run('openssl', [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path.join(dir, 'sig.der'),
      '-content',
      path.join(dir, 'content'),
      '-certfile',
      path.join(dir, 'cert.pem'),
      '-nointern',
      '-noverify',
      '-out',
      '/dev/null',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function modinfoField(file: string, field: string): Promise<string> {
  const { stdout } = await run('modinfo', ['-F', field, file]);
  return stdout.trim();
}
