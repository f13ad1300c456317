import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SupervisorOptions {
  /** Where prefixed log lines go (default: stdout). */
  write?: (line: string) => void;
  /** SIGTERM first; SIGKILL whatever is still alive after this long. */
  stopGraceMs?: number;
  /** Called when a service exits while the supervisor is not stopping. */
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Runs each service as its own child process with `[name]`-prefixed output, as
 * separately deployed stages would run, and stops them all together. Children
 * get CONVEYOR_PARENT_PID so they exit on their own if this process is killed
 * without a chance to stop them.
 */
export class ProcessSupervisor {
  private readonly running = new Map<string, Running>();
  private stopping = false;
  private readonly width: number;

  constructor(
    specs: readonly ServiceSpec[],
    private readonly options: SupervisorOptions = {},
  ) {
    this.width = Math.max(0, ...specs.map((s) => s.name.length));
    this.specs = specs;
  }

  private readonly specs: readonly ServiceSpec[];

  startAll(): void {
    for (const spec of this.specs) this.start(spec);
  }

  start(spec: ServiceSpec): void {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...spec.env, CONVEYOR_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `[${spec.name.padEnd(this.width)}] `;
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => write(prefix + line));
    }
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.running.delete(spec.name);
        if (!this.stopping) this.options.onUnexpectedExit?.(spec.name, code, signal);
        resolve();
      });
    });
    this.running.set(spec.name, { spec, child, exited });
  }

  /** The spec a service was declared with (to start it again after `stop`). */
  spec(name: string): ServiceSpec | undefined {
    return this.specs.find((s) => s.name === name);
  }

  names(): string[] {
    return [...this.running.keys()];
  }

  pid(name: string): number | undefined {
    return this.running.get(name)?.child.pid;
  }

  /** Stops one service (e.g. to restart it while the others keep running). */
  async stop(name: string): Promise<void> {
    const running = this.running.get(name);
    if (!running) return;
    running.child.kill('SIGTERM');
    const grace = this.options.stopGraceMs ?? 15_000;
    const timer = setTimeout(() => running.child.kill('SIGKILL'), grace);
    await running.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }
}
