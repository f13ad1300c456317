/*
 * A redis-server of the test's own, on a free port, without persistence
 * (`--save '' --appendonly no`), that the test can stop and start again: never
 * the machine's Redis on 6379, which other tests and the platform use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { findFreePort } from '@conveyor/kafka-local';
import Redis from 'ioredis';

export interface TestRedisServer {
  port: number;
  url: string;
  readonly running: boolean;
  /** Starts it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
  /** Stops it (SIGTERM; it saves nothing) and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<TestRedisServer> {
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
    async start() {
      if (child) return;
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      child = started;
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      void exited.then(() => {
        if (child === started) child = undefined;
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
    async stop() {
      const running = child;
      if (!running) return;
      running.kill('SIGTERM');
      await exited;
      child = undefined;
    },
  };
  await server.start();
  return server;
}
