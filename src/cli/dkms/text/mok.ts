/** dkms 3.1's words for the signing key pair (prepare_mok), which its generate_mok prints. Pure. */

export function formatMokPaths(key: string, certificate: string): string {
  return `Signing key: ${key}\nPublic certificate (MOK): ${certificate}\n`;
}

export const mokGenerating =
  'Certificate or key are missing, generating self signed certificate for MOK...\n';

export const mokNoOpenssl = "openssl not found, can't generate key and certificate.\n";

export const mokKeyNotGenerated = (key: string): string =>
  `Key file ${key} not found and can't be generated, modules won't be signed\n`;

export const mokCertificateNotGenerated = (certificate: string): string =>
  `Certificate file ${certificate} not found and can't be generated, modules won't be signed\n`;
