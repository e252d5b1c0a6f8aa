/**
 * The guest's report (guest-init.ts's protocol on ttyS1) and the kernel's console, turned into one result
 * per module: loaded, or failed with the kernel's own words. Pure.
 */
import type { LoadEntry, LoadOrigin } from './load-order.ts';

export interface ProcModule {
  name: string;
  state: string;
  /** The module's taint flags, e.g. "OE"; '' for none. */
  taint: string;
}

export interface GuestLoad {
  name: string;
  /** What insmod printed. */
  out: string[];
  /** What the kernel logged while the module loaded, without timestamps. */
  log: string[];
  /** insmod's exit status, "hung", or undefined when the guest died before insmod ended. */
  exit: string | undefined;
}

export interface GuestReport {
  /** The release the guest runs; undefined when /init never ran. */
  kernel: string | undefined;
  boot: string[];
  loads: Map<number, GuestLoad>;
  after: string[];
  modules: ProcModule[];
  taint: number | undefined;
  ended: boolean;
}

const timestamp = /^\[\s*\d+\.\d+\]\s?/;

function kernelLine(text: string): string {
  return text.replace(timestamp, '');
}

/** Reads the guest's lines; anything else on the channel (a line cut short by a dying guest) is skipped. */
export function parseGuestReport(text: string): GuestReport {
  const report: GuestReport = {
    kernel: undefined,
    boot: [],
    loads: new Map(),
    after: [],
    modules: [],
    taint: undefined,
    ended: false,
  };
  const load = (index: string): GuestLoad | undefined => report.loads.get(Number(index));
  for (const raw of text.split('\n')) {
    // UEFI firmware writes its screen control to every serial port, before /init's first line.
    const start = raw.indexOf('KMF-');
    if (start === -1) continue;
    const line = raw.slice(start).replace(/\r$/, '');
    const [tag = '', ...words] = line.split(' ');
    const rest = words.join(' ');
    const [first = '', ...others] = words;
    const tail = others.join(' ');
    switch (tag) {
      case 'KMF-BOOT':
        report.kernel = rest;
        break;
      case 'KMF-START':
        report.loads.set(Number(first), { name: tail, out: [], log: [], exit: undefined });
        break;
      case 'KMF-OUT':
        load(first)?.out.push(tail);
        break;
      case 'KMF-EXIT': {
        const l = load(first);
        if (l !== undefined) l.exit = tail;
        break;
      }
      case 'KMF-LOG':
        if (first === 'boot') report.boot.push(kernelLine(tail));
        else if (first === 'after') report.after.push(kernelLine(tail));
        else load(first)?.log.push(kernelLine(tail));
        break;
      case 'KMF-PROC': {
        const proc = parseProcModule(rest);
        if (proc !== undefined) report.modules.push(proc);
        break;
      }
      case 'KMF-TAINT':
        if (/^\d+$/.test(rest)) report.taint = Number(rest);
        break;
      case 'KMF-END':
        report.ended = true;
        break;
      default:
        break;
    }
  }
  return report;
}

/** A /proc/modules line: `name size refs deps state address [(taint)]`, "+" in the taint while loading. */
export function parseProcModule(line: string): ProcModule | undefined {
  const fields = line.trim().split(/\s+/);
  const [name, , , , state] = fields;
  if (name === undefined || state === undefined) return undefined;
  const taint = /\(([A-Z]+)[+-]?\)$/.exec(line.trim())?.[1] ?? '';
  return { name, state, taint };
}

/** The errno names a module's init most often returns, for "init returning -ENODEV". */
const errnoNames: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  6: 'ENXIO',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  28: 'ENOSPC',
  38: 'ENOSYS',
  95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT',
  517: 'EPROBE_DEFER',
  524: 'ENOTSUPP',
};

/** Kernel lines that mean the kernel is in trouble: an oops, a BUG, a WARN. */
const oopsLine =
  /^(BUG: |Oops: |general protection fault|kernel BUG at|Unable to handle kernel|divide error: |invalid opcode: |stack segment: |double fault: )/;
const warnLine = /^WARNING: CPU: /;

/** The module a splat names, from `RIP: 0010:fn+0x1/0x2 [mod]` or `WARNING: … at … fn+0x1/0x2 [mod]`. */
function blamedModule(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const m = /^(?:RIP: [0-9a-f]{4}:|WARNING: CPU: .* at ).*\s\[([A-Za-z0-9_]+)\]/.exec(line);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** Oops or WARN splats in a run of kernel lines: the splat's first line and the module it names. */
function findSplats(
  lines: readonly string[],
): { kind: 'oops' | 'warn'; line: string; blamed: string | undefined }[] {
  const splats: { kind: 'oops' | 'warn'; line: string; blamed: string | undefined }[] = [];
  lines.forEach((line, i) => {
    const kind = oopsLine.test(line) ? 'oops' : warnLine.test(line) ? 'warn' : undefined;
    if (kind === undefined) return;
    // An oops prints "BUG: …" then "Oops: …": one splat.
    if (kind === 'oops' && splats.at(-1)?.kind === 'oops' && i > 0 && oopsLine.test(lines[i - 1] ?? ''))
      return;
    splats.push({ kind, line, blamed: blamedModule([line, ...lines.slice(i + 1, i + 40)]) });
  });
  return splats;
}

/** Notices that come with every out-of-tree module and explain nothing about a failure. */
const taintNotice =
  /(loading out-of-tree module taints kernel|module verification failed: .* tainting kernel)/;

/**
 * The kernel's own words for why a module did not load: what its init returned (initcall_debug), a line
 * the kernel prefixed with the module's name, or a signature or lockdown refusal; else what insmod said.
 */
export function planFailureReason(name: string, load: GuestLoad): string {
  const init = new RegExp(`^initcall \\S+ \\[${name}\\] returned (-\\d+)`);
  for (const line of load.log) {
    const code = init.exec(line)?.[1];
    if (code !== undefined) {
      const errno = errnoNames[-Number(code)];
      return `init returning ${errno === undefined ? code : `-${errno}`}`;
    }
  }
  const own = load.log.find((l) => l.startsWith(`${name}: `) && !taintNotice.test(l));
  if (own !== undefined) return own.slice(name.length + 2);
  const refusal = load.log.find((l) => /^Loading of .* is rejected|^Lockdown: /.test(l));
  if (refusal !== undefined) return refusal;
  const said = load.out.map((l) => l.replace(/^insmod: can't insert '[^']*': /, '')).join('; ');
  return said === '' ? `insmod exited with status ${load.exit ?? 'unknown'}` : said;
}

export type LoadStatus = 'loaded' | 'failed' | 'not-run';

export interface ModuleResult {
  name: string;
  origin: LoadOrigin;
  file: string;
  status: LoadStatus;
  /** Why it failed or was not run, in the kernel's words where it said any; null when it loaded. */
  reason: string | null;
  /** Its taint flags in /proc/modules ("OE"), null when it is not there. */
  taint: string | null;
  /** What the kernel logged while it loaded. */
  log: string[];
}

/** How the guest ended. */
export type GuestEnd = 'powered-off' | 'panicked' | 'timed-out' | 'died';

export interface VerifyReport {
  kernel: string;
  ok: boolean;
  end: GuestEnd;
  /** The panic line, or what went wrong with the guest; null when it powered off. */
  endDetail: string | null;
  /** The kernel's taint after every load (/proc/sys/kernel/tainted), null when the guest did not say. */
  taint: number | null;
  /** Oops, BUG and WARN lines of the guest that no module is blamed for (the boot's, say). */
  notes: string[];
  modules: ModuleResult[];
}

export interface QemuEnd {
  timedOut: boolean;
  timeoutMs: number;
  loadTimeoutMs: number;
}

function describeEnd(
  report: GuestReport,
  console: readonly string[],
  qemu: QemuEnd,
): {
  end: GuestEnd;
  detail: string | null;
} {
  if (report.ended) return { end: 'powered-off', detail: null };
  const panic = console.find((l) => l.includes('Kernel panic - not syncing'));
  if (panic !== undefined) return { end: 'panicked', detail: panic.slice(panic.indexOf('Kernel panic')) };
  if (qemu.timedOut)
    return {
      end: 'timed-out',
      detail: `the guest did not finish within ${Math.round(qemu.timeoutMs / 1000)} s`,
    };
  return { end: 'died', detail: console.at(-1) ?? null };
}

/**
 * One result per module of the load list. A module failed when insmod failed or hung, when it oopsed or
 * warned (while it loaded, or later in a splat that names it), or when it is not Live in /proc/modules;
 * the module being loaded when the guest died failed, the ones after it were not run.
 */
export function planVerifyReport(
  entries: readonly LoadEntry[],
  report: GuestReport,
  consoleText: string,
  qemu: QemuEnd,
): VerifyReport {
  const console = consoleText
    .split('\n')
    .map((l) => kernelLine(l.replace(/\r$/, '').trim()))
    .filter((l) => l !== '');
  const { end, detail } = describeEnd(report, console, qemu);
  const names = new Set(entries.map((e) => e.name));
  const blame = new Map<string, string>();
  const notes: string[] = [];
  const attribute = (lines: readonly string[], fallback: string | undefined): void => {
    for (const splat of findSplats(lines)) {
      const who = splat.blamed !== undefined && names.has(splat.blamed) ? splat.blamed : fallback;
      const words = `${splat.kind === 'oops' ? 'oops' : 'warning'}: ${splat.line}`;
      if (who === undefined) notes.push(splat.line);
      else if (!blame.has(who)) blame.set(who, words);
    }
  };
  attribute(report.boot, undefined);
  report.loads.forEach((load) => {
    attribute(load.log, load.name);
  });
  attribute(report.after, undefined);
  if (!report.ended) attribute(console, [...report.loads.values()].find((l) => l.exit === undefined)?.name);

  const modules = entries.map((entry, index): ModuleResult => {
    const load = report.loads.get(index);
    const proc = report.modules.find((m) => m.name === entry.name);
    const base = { name: entry.name, origin: entry.origin, file: entry.file, taint: proc?.taint ?? null };
    if (load === undefined)
      return { ...base, status: 'not-run', reason: `not run: ${detail ?? 'the guest ended'}`, log: [] };
    const failed = (reason: string): ModuleResult => ({ ...base, status: 'failed', reason, log: load.log });
    const splat = blame.get(entry.name);
    if (load.exit === undefined)
      return failed(splat ?? `crashed or hung the guest${detail === null ? '' : ` (${detail})`}`);
    if (load.exit === 'hung')
      return failed(`init did not return within ${Math.round(qemu.loadTimeoutMs / 1000)} s`);
    if (splat !== undefined) return failed(splat);
    if (load.exit !== '0') return failed(planFailureReason(entry.name, load));
    if (report.ended && proc === undefined) return failed('loaded, but not in /proc/modules');
    if (proc !== undefined && proc.state !== 'Live') return failed(`${proc.state} in /proc/modules`);
    return { ...base, status: 'loaded', reason: null, log: load.log };
  });
  return {
    kernel: report.kernel ?? '',
    ok: report.ended && modules.every((m) => m.status === 'loaded'),
    end,
    endDetail: detail,
    taint: report.taint ?? null,
    notes,
    modules,
  };
}
