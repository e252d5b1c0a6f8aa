/**
 * A UEFI variable store for OVMF with one certificate in `db`, so that a guest booted through it trusts
 * modules signed with that certificate's key. Debian's kernel loads `db` into its platform keyring and
 * checks module signatures against that keyring too, Secure Boot or not; the store has no PK, so Secure
 * Boot stays off and Debian's own signature on the kernel image does not matter. Pure.
 *
 * The layout is EDK2's: a firmware volume header (`_FVH`), then an authenticated variable store, whose
 * variables each have a 60-byte header, a UTF-16 name and the data, every header 4-byte aligned.
 */

const authenticatedStoreGuid = guidBytes('aaf32c78-947b-439a-a180-2e144ec37792');
const imageSecurityDatabaseGuid = guidBytes('d719b2cb-3d3a-4596-a3bc-dad00e67656f');
const x509CertGuid = guidBytes('a5c059a1-94e4-4aa7-87b5-ab155c2bf072');
/** Who added the certificate (EFI_SIGNATURE_DATA's owner): kmodforge, under a GUID of its own. */
const ownerGuid = guidBytes('8ffac7a0-6b6d-4667-8000-766572696679');

const variableStart = 0x55aa;
const variableAdded = 0x3f;
/** NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS | TIME_BASED_AUTHENTICATED_WRITE_ACCESS: db's own. */
const dbAttributes = 0x27;
const variableHeaderSize = 60;
const storeHeaderSize = 28;

/** A GUID in the mixed-endian byte order UEFI stores. */
function guidBytes(text: string): Buffer {
  const hex = text.replaceAll('-', '');
  const bytes = Buffer.from(hex, 'hex');
  const out = Buffer.from(bytes);
  out.writeUInt32LE(bytes.readUInt32BE(0), 0);
  out.writeUInt16LE(bytes.readUInt16BE(4), 4);
  out.writeUInt16LE(bytes.readUInt16BE(6), 6);
  return out;
}

/** A certificate as DER: PEM is decoded, DER taken as it is. */
export function parseCertificate(data: Uint8Array): Buffer {
  const text = Buffer.from(data).toString('latin1');
  const pem = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(text);
  return pem?.[1] === undefined ? Buffer.from(data) : Buffer.from(pem[1].replace(/\s+/g, ''), 'base64');
}

/**
 * A copy of an empty OVMF variable store template (OVMF_VARS*.fd) with `db` holding the certificate;
 * a string saying why not when the template is not one.
 */
export function planVarsWithDb(template: Uint8Array, certificateDer: Uint8Array): Buffer | string {
  const vars = Buffer.from(template);
  if (vars.length < 0x48 || vars.toString('latin1', 0x28, 0x2c) !== '_FVH')
    return 'no firmware volume header';
  const store = vars.readUInt16LE(0x30);
  if (
    store + storeHeaderSize > vars.length ||
    !vars.subarray(store, store + 16).equals(authenticatedStoreGuid)
  )
    return 'no authenticated variable store';
  const storeEnd = store + vars.readUInt32LE(store + 16);
  let at = store + storeHeaderSize;
  while (at + variableHeaderSize <= storeEnd && vars.readUInt16LE(at) === variableStart) {
    const name = vars.readUInt32LE(at + 36);
    const data = vars.readUInt32LE(at + 40);
    at = (at + variableHeaderSize + name + data + 3) & ~3;
  }
  const name = Buffer.from('db\0', 'utf16le');
  const certificate = Buffer.from(certificateDer);
  const signatureList = Buffer.alloc(28 + 16 + certificate.length);
  x509CertGuid.copy(signatureList, 0);
  signatureList.writeUInt32LE(signatureList.length, 16);
  signatureList.writeUInt32LE(0, 20);
  signatureList.writeUInt32LE(16 + certificate.length, 24);
  ownerGuid.copy(signatureList, 28);
  certificate.copy(signatureList, 44);
  const header = Buffer.alloc(variableHeaderSize);
  header.writeUInt16LE(variableStart, 0);
  header.writeUInt8(variableAdded, 2);
  header.writeUInt32LE(dbAttributes, 4);
  header.writeUInt32LE(name.length, 36);
  header.writeUInt32LE(signatureList.length, 40);
  imageSecurityDatabaseGuid.copy(header, 44);
  const variable = Buffer.concat([header, name, signatureList]);
  if (at + variable.length > storeEnd || !vars.subarray(at, at + variable.length).every((b) => b === 0xff))
    return 'no free space in the variable store';
  variable.copy(vars, at);
  return vars;
}
