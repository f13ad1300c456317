import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { findOnPath, isExecutableFile } from '@conveyor/kafka-local';
import { PrometheusApi } from './prometheus-api';

export const INSTALL_HINT = 'install it with `apt-get install -y prometheus` (Debian/Ubuntu) or put a Prometheus 2.x binary on PATH (or in PROMETHEUS_BIN)';

/** No `prometheus` executable: the check cannot run at all (the CLI's exit code 2). */
export class PrometheusNotInstalledError extends Error {
  constructor(detail: string) {
    super(`the prometheus binary is missing (${detail}); ${INSTALL_HINT}`);
    this.name = 'PrometheusNotInstalledError';
  }
}

/** Prometheus started but exited, or never became ready. */
export class PrometheusStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusStartError';
  }
}

/** The executable to run: an explicit path (checked), else `prometheus` on PATH. */
export function findPrometheusBinary(explicit: string | undefined, pathVariable: string | undefined = process.env['PATH']): string {
  if (explicit) {
    if (!isExecutableFile(explicit)) throw new PrometheusNotInstalledError(`${explicit} is not an executable file`);
    return explicit;
  }
  const found = findOnPath('prometheus', pathVariable);
  if (!found) throw new PrometheusNotInstalledError('no `prometheus` on PATH');
  return found;
}

/** First line of `prometheus --version`, e.g. "prometheus, version 2.42.0+ds (…)". */
export function prometheusVersion(binary: string): string {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  // Prometheus 2.x prints its version on stdout; older builds used stderr.
  const line = `${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n').find((l) => l.trim());
  if (run.status !== 0 || !line) throw new PrometheusNotInstalledError(`${binary} --version failed (${run.error?.message ?? `exit ${run.status}`})`);
  return line.trim();
}

export interface StartPrometheusOptions {
  binary: string;
  configFile: string;
  storageDir: string;
  port: number;
  readyTimeoutMs?: number;
}

export interface RunningPrometheus {
  url: string;
  api: PrometheusApi;
  pid: number;
  /** The last lines Prometheus wrote (stdout and stderr), for error messages. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

const TAIL_LINES = 40;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Runs Prometheus as a child process, listening on 127.0.0.1 only, and
 * resolves once `/-/ready` answers. A bad config makes Prometheus exit at once:
 * that rejects with its own log lines rather than after the ready timeout.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(
    options.binary,
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${options.storageDir}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
  } catch (error) {
    throw new PrometheusStartError(`could not run ${options.binary}: ${(error as Error).message}`);
  }

  const api = new PrometheusApi(url);
  const logTail = () => tail.join('\n');
  const stop = async () => {
    if (await waitForExit(child, 0)) return;
    child.kill('SIGTERM');
    if (await waitForExit(child, 10_000)) return;
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new PrometheusStartError(`prometheus exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${logTail()}`);
    }
    if (await api.isReady()) break;
    if (Date.now() > deadline) {
      await stop();
      throw new PrometheusStartError(`prometheus not ready on ${url} after ${options.readyTimeoutMs ?? 30_000} ms:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, api, pid: child.pid ?? -1, logTail, stop };
}
