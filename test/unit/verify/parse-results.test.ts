import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LoadEntry } from '../../../src/verify/load-order.ts';
import {
  parseGuestReport,
  parseProcModule,
  planVerifyReport,
  type QemuEnd,
} from '../../../src/verify/parse-results.ts';

/** What real guests reported (6.1.0-56-amd64 under TCG), and one console: see fixtures/. */
function fixture(name: string): string {
  return readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8');
}

const ended: QemuEnd = { timedOut: false, timeoutMs: 60_000, loadTimeoutMs: 20_000 };

function built(name: string): LoadEntry {
  return { name, file: `/tree/${name}.ko`, origin: 'built' };
}

describe('parseGuestReport', () => {
  it('reads each load with what insmod and the kernel said, without timestamps', () => {
    const report = parseGuestReport(fixture('rt.results.log'));
    expect(report.kernel).toBe('6.1.0-56-amd64');
    expect(report.ended).toBe(true);
    expect(report.taint).toBe(0);
    expect(report.loads.get(0)).toEqual({
      name: 'kmf_simple',
      out: ["insmod: can't insert '/kmf/000-kmf_simple.ko': invalid module format"],
      log: [
        'kmf_simple: disagrees about version of symbol module_layout',
        'kmf_simple: disagrees about version of symbol module_layout',
      ],
      exit: '8',
    });
    expect(report.after[0]).toBe('tsc: Refined TSC clocksource calibration: 2596.106 MHz');
  });

  it('reads /proc/modules lines, with their taint and state', () => {
    expect(parseProcModule('videodev 294912 1 v4l2loopback, Live 0xffffffffc0216000')).toEqual({
      name: 'videodev',
      state: 'Live',
      taint: '',
    });
    expect(parseProcModule('kmf_oops 24576 1 [permanent], Loading 0xffffffffc0201000 (OE+)')).toEqual({
      name: 'kmf_oops',
      state: 'Loading',
      taint: 'OE',
    });
  });

  it("skips what UEFI firmware writes to the port before /init's first line", () => {
    const report = parseGuestReport('\u001b[2J\u001b[01;01H\u001b[=3hKMF-BOOT 6.1.0-56-amd64\nKMF-END\n');
    expect(report.kernel).toBe('6.1.0-56-amd64');
    expect(report.ended).toBe(true);
  });

  it('takes a report cut off by a dying guest as not ended, ignoring a half line', () => {
    const report = parseGuestReport('KMF-BOOT 6.1.0-56-amd64\nKMF-START 0 kmf_hang\nKMF-LO');
    expect(report.ended).toBe(false);
    expect(report.loads.get(0)?.exit).toBeUndefined();
  });
});

describe('planVerifyReport', () => {
  it('loads v4l2loopback after the kernel modules it needs', () => {
    const entries: LoadEntry[] = [
      { name: 'mc', file: '/k/mc.ko', origin: 'dependency' },
      { name: 'videodev', file: '/k/videodev.ko', origin: 'dependency' },
      built('v4l2loopback'),
    ];
    const report = planVerifyReport(entries, parseGuestReport(fixture('v4l2.results.log')), '', ended);
    expect(report.ok).toBe(true);
    expect(report.end).toBe('powered-off');
    expect(report.taint).toBe(12288);
    expect(report.modules.map((m) => [m.name, m.status, m.taint])).toEqual([
      ['mc', 'loaded', ''],
      ['videodev', 'loaded', ''],
      ['v4l2loopback', 'loaded', 'OE'],
    ]);
  });

  it('gives a symbol version mismatch in the kernel words', () => {
    const report = planVerifyReport(
      [built('kmf_simple')],
      parseGuestReport(fixture('rt.results.log')),
      '',
      ended,
    );
    expect(report.ok).toBe(false);
    expect(report.modules[0]).toMatchObject({
      status: 'failed',
      reason: 'disagrees about version of symbol module_layout',
    });
  });

  it('names the errno an init returned', () => {
    const report = planVerifyReport(
      [built('kmf_enodev')],
      parseGuestReport(fixture('enodev.results.log')),
      '',
      ended,
    );
    expect(report.modules[0]).toMatchObject({ status: 'failed', reason: 'init returning -ENODEV' });
  });

  it('reports an oops in init as an oops', () => {
    const report = planVerifyReport(
      [built('kmf_oops')],
      parseGuestReport(fixture('oops.results.log')),
      fixture('oops.console.log'),
      ended,
    );
    expect(report.modules[0]).toMatchObject({
      status: 'failed',
      reason: 'oops: BUG: kernel NULL pointer dereference, address: 0000000000000000',
    });
  });

  it('gives a signature refusal as the kernel says it', () => {
    const report = planVerifyReport(
      [built('kmf_simple')],
      parseGuestReport(fixture('unsigned.results.log')),
      '',
      ended,
    );
    expect(report.modules[0]).toMatchObject({
      status: 'failed',
      reason: 'Loading of unsigned module is rejected',
    });
  });

  it('blames a late oops on the module its RIP line names, not on the one loading then', () => {
    const text = [
      'KMF-BOOT 6.1.0-56-amd64',
      'KMF-START 0 kmf_timer',
      'KMF-EXIT 0 0',
      'KMF-START 1 kmf_simple',
      'KMF-LOG 1 [    2.000001] BUG: kernel NULL pointer dereference, address: 0000000000000008',
      'KMF-LOG 1 [    2.000002] Oops: 0002 [#1] PREEMPT SMP NOPTI',
      'KMF-LOG 1 [    2.000003] RIP: 0010:kmf_timer_fire+0x10/0x20 [kmf_timer]',
      'KMF-EXIT 1 0',
      'KMF-PROC kmf_simple 16384 0 - Live 0x0 (OE)',
      'KMF-PROC kmf_timer 16384 0 - Live 0x0 (OE)',
      'KMF-TAINT 12416',
      'KMF-END',
    ].join('\n');
    const report = planVerifyReport(
      [built('kmf_timer'), built('kmf_simple')],
      parseGuestReport(text),
      '',
      ended,
    );
    expect(report.modules.map((m) => [m.name, m.status])).toEqual([
      ['kmf_timer', 'failed'],
      ['kmf_simple', 'loaded'],
    ]);
    expect(report.modules[0]?.reason).toBe(
      'oops: BUG: kernel NULL pointer dereference, address: 0000000000000008',
    );
  });

  it('fails a module that warned', () => {
    const text = [
      'KMF-BOOT 6.1.0-56-amd64',
      'KMF-START 0 kmf_warn',
      'KMF-LOG 0 [    1.5] WARNING: CPU: 0 PID: 86 at /tmp/kmf_warn.c:9 kmf_warn_init+0x5/0x1000 [kmf_warn]',
      'KMF-EXIT 0 0',
      'KMF-PROC kmf_warn 16384 0 - Live 0x0 (OEW)',
      'KMF-END',
    ].join('\n');
    const report = planVerifyReport([built('kmf_warn')], parseGuestReport(text), '', ended);
    expect(report.modules[0]?.reason).toMatch(/^warning: WARNING: CPU: 0 PID: 86 at/);
  });

  it('reports an init that never returned, and the guest that hung on the next one', () => {
    const text = ['KMF-BOOT 6.1.0-56-amd64', 'KMF-START 0 a', 'KMF-EXIT 0 hung', 'KMF-START 1 b'].join('\n');
    const report = planVerifyReport([built('a'), built('b'), built('c')], parseGuestReport(text), '', {
      ...ended,
      timedOut: true,
    });
    expect(report.end).toBe('timed-out');
    expect(report.modules.map((m) => [m.status, m.reason])).toEqual([
      ['failed', 'init did not return within 20 s'],
      ['failed', 'crashed or hung the guest (the guest did not finish within 60 s)'],
      ['not-run', 'not run: the guest did not finish within 60 s'],
    ]);
  });

  it('reports a panic from the console', () => {
    const text = ['KMF-BOOT 6.1.0-56-amd64', 'KMF-START 0 kmf_panic'].join('\n');
    const console = '[    1.9] Kernel panic - not syncing: kmf_panic: on purpose\n';
    const report = planVerifyReport([built('kmf_panic')], parseGuestReport(text), console, ended);
    expect(report.end).toBe('panicked');
    expect(report.modules[0]?.reason).toBe(
      'crashed or hung the guest (Kernel panic - not syncing: kmf_panic: on purpose)',
    );
  });

  it('fails a module that loaded but is not Live', () => {
    const text = [
      'KMF-BOOT 6.1.0-56-amd64',
      'KMF-START 0 a',
      'KMF-EXIT 0 0',
      'KMF-PROC a 1 0 - Unloading 0x0',
      'KMF-END',
    ].join('\n');
    const report = planVerifyReport([built('a')], parseGuestReport(text), '', ended);
    expect(report.modules[0]?.reason).toBe('Unloading in /proc/modules');
  });

  it('keeps oopses of the boot, which no module caused, as notes', () => {
    const text = [
      'KMF-BOOT 6.1.0-56-amd64',
      'KMF-LOG boot [    0.5] WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x1/0x2',
      'KMF-START 0 a',
      'KMF-EXIT 0 0',
      'KMF-PROC a 1 0 - Live 0x0',
      'KMF-END',
    ].join('\n');
    const report = planVerifyReport([built('a')], parseGuestReport(text), '', ended);
    expect(report.ok).toBe(true);
    expect(report.notes).toEqual(['WARNING: CPU: 0 PID: 1 at mm/x.c:1 f+0x1/0x2']);
  });
});
