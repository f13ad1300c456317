import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessSupervisor, type ServiceSpec, type SupervisorEvent, type SupervisorOptions } from './process-supervisor';

/*
 * The supervisor with real child processes (small node scripts) that die: by
 * SIGKILL from outside, by exiting on their own, by refusing their
 * configuration. Short backoffs so the policy shows in seconds; nothing here
 * asserts on how long anything took.
 */
jest.setTimeout(60_000);

/** A node script as a service; `script` runs with `fs`, `path` and `state` (a per-test folder) in scope. */
function nodeService(name: string, script: string, state: string): ServiceSpec {
  return { name, command: process.execPath, args: ['-e', `const fs = require('fs'), path = require('path'); const state = ${JSON.stringify(state)};\n${script}`], env: { PATH: process.env['PATH'] } };
}

const STAYS_UP = `console.log('up ' + process.pid); setInterval(() => undefined, 1 << 30);`;
/** Exits with 1 on its first `n` starts, then stays up. */
const crashesFirst = (n: number): string => `
  const file = path.join(state, 'starts');
  const starts = (fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 0) + 1;
  fs.writeFileSync(file, String(starts));
  console.log('start ' + starts);
  if (starts <= ${n}) process.exit(1);
  setInterval(() => undefined, 1 << 30);`;

interface Harness {
  supervisor: ProcessSupervisor;
  events: SupervisorEvent[];
  lines: string[];
  /** Resolves with the first event (from now on) that matches. */
  next(match: (e: SupervisorEvent) => boolean): Promise<SupervisorEvent>;
}

function harness(specs: ServiceSpec[], restart: SupervisorOptions['restart']): Harness {
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  const waiters: Array<{ match: (e: SupervisorEvent) => boolean; resolve: (e: SupervisorEvent) => void }> = [];
  const supervisor = new ProcessSupervisor(specs, {
    write: (line) => lines.push(line),
    stopGraceMs: 5_000,
    restart,
    onEvent: (event) => {
      events.push(event);
      for (const w of [...waiters]) {
        if (w.match(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    },
  });
  return {
    supervisor,
    events,
    lines,
    next: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
  };
}

const fast = { initialDelayMs: 50, maxDelayMs: 400, crashLoopCrashes: 3, crashLoopWindowMs: 600_000, stableAfterMs: 600_000 };

describe('ProcessSupervisor with real child processes', () => {
  let state: string;
  let h: Harness | undefined;
  beforeEach(() => (state = mkdtempSync(join(tmpdir(), 'supervisor-'))));
  afterEach(async () => {
    await h?.supervisor.stopAll();
    h = undefined;
    rmSync(state, { recursive: true, force: true });
  });

  it('restarts a service killed with SIGKILL, with a line that says so', async () => {
    h = harness([nodeService('worker', STAYS_UP, state)], fast);
    const firstStart = h.next((e) => e.type === 'started');
    h.supervisor.startAll();
    const first = (await firstStart) as Extract<SupervisorEvent, { type: 'started' }>;
    await waitForLine(h, `[worker] up ${first.pid}`);

    const restarted = h.next((e) => e.type === 'started');
    process.kill(first.pid!, 'SIGKILL');
    const second = (await restarted) as Extract<SupervisorEvent, { type: 'started' }>;
    expect(second).toMatchObject({ name: 'worker', restart: 1 });
    expect(second.pid).not.toBe(first.pid);
    await waitForLine(h, `[worker] up ${second.pid}`);
    expect(h.supervisor.pid('worker')).toBe(second.pid);
    expect(h.supervisor.state('worker')).toBe('running');
    expect(h.supervisor.restarts('worker')).toBe(1);
    expect(h.lines).toContainEqual(expect.stringMatching(/^\[worker\] exited unexpectedly \(code null, signal SIGKILL\) after .* s; restarting it in 0\.1 s \(crash 1 in a row\)$/));
  });

  it('backs off, reports a crash loop once, keeps restarting at the maximum delay, and says when it has recovered', async () => {
    // stableAfterMs well above the run of a script that exits at once, even on a loaded machine.
    h = harness([nodeService('flaky', crashesFirst(5), state)], { ...fast, stableAfterMs: 3_000 });
    const recovered = h.next((e) => e.type === 'recovered');
    h.supervisor.startAll();
    await recovered;
    const scheduled = h.events.filter((e): e is Extract<SupervisorEvent, { type: 'restart-scheduled' }> => e.type === 'restart-scheduled');
    expect(scheduled.map((e) => [e.delayMs, e.crashLooping])).toEqual([
      [50, false],
      [100, false],
      [400, true], // third crash: crash-looping, from now on the maximum delay
      [400, true],
      [400, true],
    ]);
    expect(h.events.filter((e) => e.type === 'crash-loop')).toEqual([{ type: 'crash-loop', name: 'flaky', crashes: 3, windowMs: 600_000, delayMs: 400 }]);
    expect(h.lines.filter((l) => l.includes('CRASH-LOOPING'))).toEqual([
      expect.stringMatching(/^\[flaky\] is CRASH-LOOPING: 3 crashes within 600 s \(last: code 1, signal null after .*\); restarting it every 0\.4 s until it stays up for 3 s; its log lines above say why it dies$/),
    ]);
    expect(h.lines).toContain('[flaky] has stayed up for 3 s: no longer crash-looping');
    expect(h.supervisor.restarts('flaky')).toBe(5);
    expect(h.supervisor.state('flaky')).toBe('running');
  });

  it('does not restart a service that refused its configuration (exit 78)', async () => {
    h = harness([nodeService('misconfigured', `console.error('BATCH_MAX_SIZE: expected a positive integer'); process.exit(78);`, state)], fast);
    const gaveUp = h.next((e) => e.type === 'gave-up');
    h.supervisor.startAll();
    await gaveUp;
    expect(h.supervisor.state('misconfigured')).toBe('gave-up');
    expect(h.supervisor.names()).toEqual([]);
    expect(h.events.filter((e) => e.type === 'started')).toHaveLength(1);
    expect(h.lines).toContain('[misconfigured] BATCH_MAX_SIZE: expected a positive integer');
    expect(h.lines).toContainEqual(expect.stringMatching(/^\[misconfigured\] exited unexpectedly \(code 78, signal null\) after .*; not restarting it: exit code 78 means it refused its configuration/));
  });

  it('stop() and stopAll() mean stopped: no restart, pending restarts cancelled; start() brings a stopped service back', async () => {
    h = harness([nodeService('a', STAYS_UP, state), nodeService('b', `process.exit(3)`, state)], { ...fast, initialDelayMs: 60_000, maxDelayMs: 60_000 });
    const bScheduled = h.next((e) => e.type === 'restart-scheduled' && e.name === 'b');
    h.supervisor.startAll();
    await bScheduled;
    expect(h.supervisor.state('b')).toBe('restart-pending');

    await h.supervisor.stop('a');
    expect(h.supervisor.state('a')).toBe('stopped');
    expect(h.events.filter((e) => e.type === 'restart-scheduled' && e.name === 'a')).toEqual([]);

    const aBack = h.next((e) => e.type === 'started' && e.name === 'a');
    h.supervisor.start(h.supervisor.spec('a')!);
    await aBack;
    expect(h.supervisor.names()).toEqual(['a']);

    await h.supervisor.stopAll();
    expect(h.supervisor.names()).toEqual([]);
    expect(h.supervisor.state('a')).toBe('stopped');
    expect(h.supervisor.state('b')).toBe('stopped'); // its pending restart is gone
    expect(h.events.filter((e) => e.type === 'exited' && e.name === 'a')).toHaveLength(2);
  });

  it("stop(name, 'SIGKILL') takes a service down without a drain (a node lost) and does not restart it", async () => {
    // Ignores SIGTERM, so only a SIGKILL ends it before the 5 s stop grace.
    h = harness([nodeService('stubborn', `process.on('SIGTERM', () => undefined); ${STAYS_UP}`, state)], fast);
    const started = h.next((e) => e.type === 'started');
    h.supervisor.startAll();
    await started;
    await h.supervisor.stop('stubborn', 'SIGKILL');
    expect(h.events.filter((e) => e.type === 'exited')).toEqual([expect.objectContaining({ name: 'stubborn', signal: 'SIGKILL' })]);
    await new Promise((r) => setTimeout(r, 300)); // longer than the 50 ms restart delay
    expect(h.supervisor.state('stubborn')).toBe('stopped');
    expect(h.events.filter((e) => e.type === 'restart-scheduled')).toEqual([]);
  });

  it('restart: false keeps the old behaviour: reported, not restarted', async () => {
    const unexpected: string[] = [];
    const events: SupervisorEvent[] = [];
    const supervisor = new ProcessSupervisor([nodeService('once', 'process.exit(2)', state)], {
      write: () => undefined,
      restart: false,
      onUnexpectedExit: (name, code) => unexpected.push(`${name} ${code}`),
      onEvent: (e) => events.push(e),
    });
    const exited = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (events.some((e) => e.type === 'exited')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    supervisor.startAll();
    await exited;
    expect(unexpected).toEqual(['once 2']);
    expect(supervisor.state('once')).toBe('stopped');
    await supervisor.stopAll();
  });
});

async function waitForLine(h: Harness, line: string): Promise<void> {
  while (!h.lines.includes(line)) await new Promise((r) => setTimeout(r, 20));
}
