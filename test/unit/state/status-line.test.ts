import { describe, expect, it } from 'vitest';
import { formatStatusLine, formatVerifyFinding, statusNotes } from '../../../src/commands/status.ts';

describe('formatStatusLine', () => {
  it('prints dkms 3.0.10 lines byte for byte', () => {
    expect(
      formatStatusLine({
        module: 'hello',
        version: '1.0',
        kernel: undefined,
        arch: undefined,
        state: 'added',
        notes: [],
      }),
    ).toBe('hello/1.0: added');
    expect(
      formatStatusLine({
        module: 'hello',
        version: '1.0',
        kernel: '6.1.0-56-amd64',
        arch: 'x86_64',
        state: 'built',
        notes: [],
      }),
    ).toBe('hello/1.0, 6.1.0-56-amd64, x86_64: built');
    expect(
      formatStatusLine({
        module: 'hello',
        version: '1.0',
        kernel: 'K',
        arch: 'x86_64',
        state: 'installed',
        notes: [statusNotes.originalModule, statusNotes.diff],
      }),
    ).toBe(
      'hello/1.0, K, x86_64: installed (original_module exists) (WARNING! Diff between built and installed module!)',
    );
  });
});

describe('formatVerifyFinding', () => {
  it('prints a finding on a line of its own, which no status line can be taken for', () => {
    expect(
      formatVerifyFinding({
        module: 'hello',
        version: '1.0',
        kernel: '6.1.0-56-amd64',
        arch: 'x86_64',
        name: 'hello',
        kind: 'vermagic',
        file: '/lib/modules/6.1.0-56-amd64/updates/dkms/hello.ko',
        detail:
          '/lib/modules/6.1.0-56-amd64/updates/dkms/hello.ko is made for another kernel: vermagic "6.1.0-55-amd64 SMP", not 6.1.0-56-amd64',
      }),
    ).toBe(
      'verify: hello/1.0, 6.1.0-56-amd64, x86_64: /lib/modules/6.1.0-56-amd64/updates/dkms/hello.ko is made for another kernel: vermagic "6.1.0-55-amd64 SMP", not 6.1.0-56-amd64',
    );
  });
});
