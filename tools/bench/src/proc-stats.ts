// CPU time and memory of processes, read from Linux's /proc: what each stage
// process, the Kafka JVM, Redis and the in-process workers cost during a pass.
// Pure parsers plus a small sampler, so the arithmetic is testable.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime/stime (USER_HZ: 100 on every Linux this runs on). */
export const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcSnapshot {
  /** User + system CPU time of the process (all its threads), seconds. */
  cpuSeconds: number;
  /** The system (kernel) part of cpuSeconds: syscalls, the network stack, page faults. */
  systemSeconds?: number;
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRssBytes: number;
}

/** utime + stime in seconds from the text of /proc/<pid>/stat (the command name may hold spaces and parentheses). */
export function parseStatCpuSeconds(stat: string, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number {
  const { user, system } = parseStatTimes(stat, ticksPerSecond);
  return user + system;
}

/** utime and stime in seconds from the text of /proc/<pid>/stat. */
export function parseStatTimes(stat: string, ticksPerSecond = CLOCK_TICKS_PER_SECOND): { user: number; system: number } {
  const end = stat.lastIndexOf(')');
  if (end < 0) throw new Error('not a /proc/<pid>/stat line');
  // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(end + 2).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc/<pid>/stat');
  return { user: utime / ticksPerSecond, system: stime / ticksPerSecond };
}

/** A "VmRSS:  1234 kB" style field of /proc/<pid>/status, in bytes (0 when absent, e.g. a zombie). */
export function parseStatusKb(status: string, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** The process's CPU time and memory now; undefined when it is gone or unreadable. */
export function readProc(pid: number): ProcSnapshot | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const { user, system } = parseStatTimes(stat);
    return { cpuSeconds: user + system, systemSeconds: system, rssBytes: parseStatusKb(status, 'VmRSS'), peakRssBytes: parseStatusKb(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/** What one process cost over a measured window. */
export interface ProcUsage {
  name: string;
  pid: number;
  /** CPU seconds used in the window. */
  cpuSeconds: number;
  /** The kernel's part of cpuSeconds. */
  systemSeconds: number;
  /** cpuSeconds ÷ the window's wall time: cores used on average. */
  cores: number;
  /** Highest RSS sampled in the window, bytes. */
  maxRssBytes: number;
  /** Peak RSS of the process's whole life (VmHWM) at the window's end, bytes: start-up (model loading) included. */
  peakRssBytes: number;
}

interface Tracked {
  name: string;
  pid: number;
  startCpu: number;
  lastCpu: number;
  startSystem: number;
  lastSystem: number;
  maxRss: number;
  peakRss: number;
}

/**
 * Measures named processes over a window: CPU time between start() and
 * stop(), and the highest RSS seen by sampling every `intervalMs`. A process
 * that disappears keeps the last figures read.
 */
export class ProcSampler {
  private tracked: Tracked[] = [];
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  constructor(
    private readonly processes: ReadonlyArray<{ name: string; pid: number | undefined }>,
    private readonly intervalMs = 250,
    private readonly read: (pid: number) => ProcSnapshot | undefined = readProc,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    this.tracked = this.processes.flatMap(({ name, pid }): Tracked[] => {
      if (pid === undefined) return [];
      const s = this.read(pid);
      const system = s?.systemSeconds ?? 0;
      return s ? [{ name, pid, startCpu: s.cpuSeconds, lastCpu: s.cpuSeconds, startSystem: system, lastSystem: system, maxRss: s.rssBytes, peakRss: s.peakRssBytes }] : [];
    });
    this.started = this.now();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const t of this.tracked) {
      const s = this.read(t.pid);
      if (!s) continue;
      t.lastCpu = s.cpuSeconds;
      t.lastSystem = s.systemSeconds ?? t.lastSystem;
      t.maxRss = Math.max(t.maxRss, s.rssBytes);
      t.peakRss = Math.max(t.peakRss, s.peakRssBytes);
    }
  }

  /** Ends the window: one usage per process that could be read at start(), in the order given. */
  stop(): ProcUsage[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const seconds = Math.max((this.now() - this.started) / 1000, 1e-9);
    return this.tracked.map((t) => ({
      name: t.name,
      pid: t.pid,
      cpuSeconds: t.lastCpu - t.startCpu,
      systemSeconds: t.lastSystem - t.startSystem,
      cores: (t.lastCpu - t.startCpu) / seconds,
      maxRssBytes: t.maxRss,
      peakRssBytes: t.peakRss,
    }));
  }
}
