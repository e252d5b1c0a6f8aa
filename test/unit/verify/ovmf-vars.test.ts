import { describe, expect, it } from 'vitest';
import { parseCertificate, planVarsWithDb } from '../../../src/verify/ovmf-vars.ts';

/** An empty store as OVMF_VARS_4M.fd has it: the volume header, the store header, then erased flash. */
function makeTemplate(size = 0x2000): Buffer {
  const vars = Buffer.alloc(size, 0xff);
  vars.fill(0, 0, 0x48 + 28);
  vars.write('_FVH', 0x28, 'latin1');
  vars.writeUInt16LE(0x48, 0x30);
  Buffer.from('782cf3aa7b949a43a1802e144ec37792', 'hex').copy(vars, 0x48);
  vars.writeUInt32LE(size - 0x48 - 0x100, 0x48 + 16);
  vars.writeUInt8(0x5a, 0x48 + 20);
  vars.writeUInt8(0xfe, 0x48 + 21);
  return vars;
}

describe('planVarsWithDb', () => {
  it('adds db with the certificate after the store header, as a variable the firmware reads back', () => {
    const certificate = Buffer.from('30820122300d06092a864886f70d01010105000382010f00', 'hex');
    const vars = planVarsWithDb(makeTemplate(), certificate);
    if (typeof vars === 'string') throw new Error(vars);
    const at = 0x48 + 28;
    expect(vars.readUInt16LE(at)).toBe(0x55aa);
    expect(vars[at + 2]).toBe(0x3f);
    expect(vars.readUInt32LE(at + 4)).toBe(0x27);
    const nameSize = vars.readUInt32LE(at + 36);
    const dataSize = vars.readUInt32LE(at + 40);
    expect(vars.subarray(at + 44, at + 60).toString('hex')).toBe('cbb219d73a3d9645a3bcdad00e67656f');
    expect(vars.toString('utf16le', at + 60, at + 60 + nameSize)).toBe('db\0');
    const list = vars.subarray(at + 60 + nameSize, at + 60 + nameSize + dataSize);
    expect(list.subarray(0, 16).toString('hex')).toBe('a159c0a5e494a74a87b5ab155c2bf072');
    expect(list.readUInt32LE(16)).toBe(dataSize);
    expect(list.readUInt32LE(24)).toBe(16 + certificate.length);
    expect(list.subarray(44)).toEqual(certificate);
    expect(vars.length).toBe(0x2000);
  });

  it('says why when the template is not an OVMF store, or is full', () => {
    expect(planVarsWithDb(Buffer.alloc(0x1000), Buffer.alloc(10))).toBe('no firmware volume header');
    expect(planVarsWithDb(makeTemplate(0x200), Buffer.alloc(0x200))).toBe(
      'no free space in the variable store',
    );
  });

  it('reads a PEM certificate as DER, and takes DER as it is', () => {
    const der = Buffer.from([0x30, 0x82, 0x01, 0x0a]);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    expect(parseCertificate(Buffer.from(pem))).toEqual(der);
    expect(parseCertificate(der)).toEqual(der);
  });
});
