/*
 * A redis-server of the caller's own (a test, the chaos suite), on a free
 * port, that it can stop and start again: never the machine's Redis on 6379,
 * which other tests and the platform use. Without `appendOnlyDir` it persists
 * nothing (`--save '' --appendonly no`), so a restart comes back empty; with
 * it, every write is fsynced to an append-only file there first
 * (`appendfsync always`), so a restart, even after SIGKILL, loses nothing:
 * how a production Redis with persistence behaves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort } from '@conveyor/kafka-local';
import Redis from 'ioredis';

export interface TestRedisServer {
  port: number;
  url: string;
  readonly running: boolean;
  /** Its pid while it runs. */
  readonly pid: number | undefined;
  /** Starts it again on the same port (empty unless it persists to an append-only file). */
  start(): Promise<void>;
  /** Stops it (SIGTERM by default; SIGKILL to crash it) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface RedisServerOptions {
  /** Persist every write to an append-only file in this directory (fsync always). */
  appendOnlyDir?: string;
}

function persistenceArgs(options: RedisServerOptions): string[] {
  if (!options.appendOnlyDir) return ['--save', '', '--appendonly', 'no'];
  return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.appendOnlyDir];
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const port = await findFreePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: TestRedisServer = {
    port,
    url,
    get running() {
      return child !== undefined;
    },
    get pid() {
      return child?.pid;
    },
    async start() {
      if (child) return;
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistenceArgs(options)], { stdio: 'ignore' });
      child = started;
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      void exited.then(() => {
        if (child === started) child = undefined;
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        probe.on('error', () => undefined); // not up yet: connect() rejects, and that is what is waited out
        try {
          await probe.connect();
          if ((await probe.ping()) === 'PONG') return;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
        } finally {
          probe.disconnect();
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const running = child;
      if (!running) return;
      running.kill(signal);
      await exited;
      child = undefined;
    },
  };
  await server.start();
  return server;
}
