import { describe, expect, it } from 'vitest';
import {
  parseShowDepends,
  planBuiltOrder,
  planForeignDependencies,
  planLoadOrder,
  planModuleName,
  type BuiltModule,
} from '../../../src/verify/load-order.ts';

/** What `modprobe -d <root> -S 6.1.0-56-amd64 -C <empty> --show-depends videodev` printed. */
const videodev = `insmod /cache/root/lib/modules/6.1.0-56-amd64/kernel/drivers/media/mc/mc.ko 
insmod /cache/root/lib/modules/6.1.0-56-amd64/kernel/drivers/media/v4l2-core/videodev.ko 
`;

function mod(name: string, depends: string[] = []): BuiltModule {
  return { name, file: `/tree/${name}.ko`, depends };
}

describe('load order', () => {
  it('reads modprobe --show-depends', () => {
    expect(parseShowDepends(`${videodev}builtin crc32c\n`)).toEqual([
      { kind: 'insmod', file: '/cache/root/lib/modules/6.1.0-56-amd64/kernel/drivers/media/mc/mc.ko' },
      {
        kind: 'insmod',
        file: '/cache/root/lib/modules/6.1.0-56-amd64/kernel/drivers/media/v4l2-core/videodev.ko',
      },
      { kind: 'builtin', name: 'crc32c' },
    ]);
  });

  it('names modules as the kernel does', () => {
    expect(planModuleName('/x/snd-hda-intel.ko.xz')).toBe('snd_hda_intel');
    expect(planModuleName('kmf_simple.ko')).toBe('kmf_simple');
  });

  it('asks modprobe only for what none of ours provides', () => {
    expect(planForeignDependencies([mod('a', ['videodev', 'b']), mod('b', ['videodev', 'mc'])])).toEqual([
      'videodev',
      'mc',
    ]);
  });

  it('puts each of ours after the ones of ours it depends on, and keeps a cycle in the given order', () => {
    const order = planBuiltOrder([
      mod('c', ['b']),
      mod('b', ['a']),
      mod('a'),
      mod('x', ['y']),
      mod('y', ['x']),
    ]);
    expect(order.map((m) => m.name)).toEqual(['a', 'b', 'c', 'y', 'x']);
  });

  it("loads the kernel's modules first, once each, and never one that ours replaces", () => {
    const entries = planLoadOrder(
      [mod('v4l2loopback', ['videodev']), mod('mc')],
      [
        { origin: 'requested', lines: parseShowDepends('insmod /k/crc32c_intel.ko\n') },
        { origin: 'dependency', lines: parseShowDepends(videodev) },
        { origin: 'dependency', lines: parseShowDepends(videodev) },
      ],
    );
    expect(entries.map((e) => [e.name, e.origin])).toEqual([
      ['crc32c_intel', 'requested'],
      ['videodev', 'dependency'],
      ['v4l2loopback', 'built'],
      ['mc', 'built'],
    ]);
  });
});
