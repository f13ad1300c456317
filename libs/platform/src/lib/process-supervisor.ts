import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { NO_CRASHES, planRestart, restartPolicy, type CrashHistory, type RestartPolicy } from './restart-policy';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What happened to a service, for callers that act on it (the launcher, tests). */
export type SupervisorEvent =
  | { type: 'started'; name: string; pid: number | undefined; restart: number }
  | { type: 'exited'; name: string; code: number | null; signal: NodeJS.Signals | null; uptimeMs: number }
  | { type: 'restart-scheduled'; name: string; delayMs: number; consecutive: number; crashLooping: boolean }
  | { type: 'crash-loop'; name: string; crashes: number; windowMs: number; delayMs: number }
  | { type: 'recovered'; name: string }
  | { type: 'gave-up'; name: string; reason: string };

export interface SupervisorOptions {
  /** Where prefixed log lines and the supervisor's own lines go (default: stdout). */
  write?: (line: string) => void;
  /** SIGTERM first; SIGKILL whatever is still alive after this long. */
  stopGraceMs?: number;
  /** Called when a service exits while the supervisor is not stopping it. */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /**
   * Start a service that exits on its own again, with the backoff and
   * crash-loop handling of `planRestart` (default: DEFAULT_RESTART_POLICY with
   * these fields replaced). `false`: never.
   */
  restart?: Partial<RestartPolicy> | false;
  /** Every lifecycle event (after the supervisor has logged it). */
  onEvent?: (event: SupervisorEvent) => void;
  /** The clock (tests). */
  now?: () => number;
}

export type ServiceState = 'running' | 'restart-pending' | 'stopped' | 'gave-up';

interface Service {
  spec: ServiceSpec;
  child?: ChildProcess;
  exited?: Promise<void>;
  startedAt: number;
  history: CrashHistory;
  restarts: number;
  /** Set by stop(): an exit is then expected and not restarted. */
  stopRequested: boolean;
  gaveUp: boolean;
  restartTimer?: NodeJS.Timeout;
  stableTimer?: NodeJS.Timeout;
}

/**
 * Runs each service as its own child process with `[name]`-prefixed output, as
 * separately deployed stages would run, restarts the ones that die (backoff,
 * crash-loop report; see restart-policy.ts), and stops them all together.
 * Children get CONVEYOR_PARENT_PID so they exit on their own if this process
 * is killed without a chance to stop them.
 */
export class ProcessSupervisor {
  private readonly services = new Map<string, Service>();
  private stopping = false;
  private readonly width: number;
  private readonly policy: RestartPolicy | undefined;
  private readonly now: () => number;

  constructor(
    private readonly specs: readonly ServiceSpec[],
    private readonly options: SupervisorOptions = {},
  ) {
    this.width = Math.max(0, ...specs.map((s) => s.name.length));
    this.policy = options.restart === false ? undefined : restartPolicy(options.restart ?? {});
    this.now = options.now ?? Date.now;
  }

  private write(line: string): void {
    (this.options.write ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  }

  private emit(event: SupervisorEvent): void {
    this.options.onEvent?.(event);
  }

  startAll(): void {
    for (const spec of this.specs) this.start(spec);
  }

  /** Starts a service (again, after `stop`); does nothing while it runs. */
  start(spec: ServiceSpec): void {
    const existing = this.services.get(spec.name);
    if (existing?.child) return;
    if (existing) this.clearTimers(existing);
    const service: Service = existing ?? { spec, startedAt: 0, history: NO_CRASHES, restarts: 0, stopRequested: false, gaveUp: false };
    service.spec = spec;
    service.stopRequested = false;
    service.gaveUp = false;
    this.services.set(spec.name, service);
    this.launch(service);
  }

  private launch(service: Service): void {
    const { spec } = service;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...spec.env, CONVEYOR_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `[${spec.name.padEnd(this.width)}] `;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.write(prefix + line));
    }
    service.child = child;
    service.startedAt = this.now();
    service.exited = new Promise<void>((resolve) => {
      let settled = false;
      const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        this.onExit(service, child, code, signal);
        resolve();
      };
      child.once('exit', settle);
      // A command that cannot be started at all emits 'error' and never 'exit'.
      child.once('error', (error) => {
        if (child.pid === undefined) {
          this.write(`${prefix}could not be started: ${error.message}`);
          settle(null, null);
        }
      });
    });
    this.emit({ type: 'started', name: spec.name, pid: child.pid, restart: service.restarts });
    if (this.policy && service.history.consecutive > 0) {
      const policy = this.policy;
      service.stableTimer = setTimeout(() => {
        service.stableTimer = undefined;
        if (service.child !== child) return;
        if (service.history.crashLooping) {
          this.write(`[${spec.name}] has stayed up for ${seconds(policy.stableAfterMs)}: no longer crash-looping`);
          this.emit({ type: 'recovered', name: spec.name });
        }
        service.history = NO_CRASHES;
      }, policy.stableAfterMs);
    }
  }

  private onExit(service: Service, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (service.child !== child) return;
    service.child = undefined;
    if (service.stableTimer) clearTimeout(service.stableTimer);
    service.stableTimer = undefined;
    const { name } = service.spec;
    const at = this.now();
    const uptimeMs = at - service.startedAt;
    this.emit({ type: 'exited', name, code, signal, uptimeMs });
    if (this.stopping || service.stopRequested) return;
    this.options.onUnexpectedExit?.(name, code, signal);
    const how = `code ${code}, signal ${signal}`;
    if (!this.policy) {
      this.write(`[${name}] exited unexpectedly (${how}); not restarting it (restarts are off)`);
      return;
    }
    const decision = planRestart(this.policy, service.history, { at, uptimeMs, code, signal });
    service.history = decision.history;
    if (decision.action === 'give-up') {
      service.gaveUp = true;
      this.write(`[${name}] exited unexpectedly (${how}) after ${seconds(uptimeMs)}; not restarting it: ${decision.reason} (see its log lines above)`);
      this.emit({ type: 'gave-up', name, reason: decision.reason });
      return;
    }
    const { delayMs, history } = decision;
    if (decision.enteredCrashLoop) {
      this.write(
        `[${name}] is CRASH-LOOPING: ${history.recent.length} crashes within ${seconds(this.policy.crashLoopWindowMs)} ` +
          `(last: ${how} after ${seconds(uptimeMs)}); restarting it every ${seconds(this.policy.maxDelayMs)} until it stays up ` +
          `for ${seconds(this.policy.stableAfterMs)}; its log lines above say why it dies`,
      );
      this.emit({ type: 'crash-loop', name, crashes: history.recent.length, windowMs: this.policy.crashLoopWindowMs, delayMs });
    } else {
      this.write(
        `[${name}] exited unexpectedly (${how}) after ${seconds(uptimeMs)}; restarting it in ${seconds(delayMs)}` +
          (history.crashLooping ? ' (crash-looping)' : ` (crash ${history.consecutive} in a row)`),
      );
    }
    this.emit({ type: 'restart-scheduled', name, delayMs, consecutive: history.consecutive, crashLooping: history.crashLooping });
    service.restartTimer = setTimeout(() => {
      service.restartTimer = undefined;
      if (this.stopping || service.stopRequested || service.child) return;
      service.restarts += 1;
      this.launch(service);
    }, delayMs);
  }

  private clearTimers(service: Service): void {
    if (service.restartTimer) clearTimeout(service.restartTimer);
    if (service.stableTimer) clearTimeout(service.stableTimer);
    service.restartTimer = undefined;
    service.stableTimer = undefined;
  }

  /** The spec a service was declared with (to start it again after `stop`). */
  spec(name: string): ServiceSpec | undefined {
    return this.specs.find((s) => s.name === name);
  }

  /** The services whose process runs now. */
  names(): string[] {
    return [...this.services.values()].filter((s) => s.child).map((s) => s.spec.name);
  }

  pid(name: string): number | undefined {
    return this.services.get(name)?.child?.pid;
  }

  /** How often a service was restarted after exiting on its own. */
  restarts(name: string): number {
    return this.services.get(name)?.restarts ?? 0;
  }

  state(name: string): ServiceState {
    const service = this.services.get(name);
    if (!service) return 'stopped';
    if (service.child) return 'running';
    if (service.restartTimer) return 'restart-pending';
    return service.gaveUp ? 'gave-up' : 'stopped';
  }

  /**
   * Stops one service and does not restart it (e.g. to restart it by hand
   * while the others keep running, or a replica leaving). `SIGKILL` takes it
   * down without a drain, as a lost node would.
   */
  async stop(name: string, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const service = this.services.get(name);
    if (!service) return;
    service.stopRequested = true;
    this.clearTimers(service);
    const child = service.child;
    if (!child) return;
    child.kill(signal);
    const grace = this.options.stopGraceMs ?? 15_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), grace);
    await service.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.services.keys()].map((name) => this.stop(name)));
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
