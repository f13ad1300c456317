// An in-process reader run as N worker processes: each a child process with
// one reader instance (its own sessions, 1 intra-op thread), fed from one
// queue. Worker processes, not async calls in the bench's own process, so the
// in-process readers get the same process-level parallelism the pipeline gets
// from its stage processes, and their CPU and memory can be read per process.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@conveyor/kafka-local';
import type { InProcessReaderName } from './in-process';
import { Dispatcher } from './pool';

export type WorkerRequest =
  | { kind: 'init'; reader: InProcessReaderName }
  | { kind: 'read'; seq: number; image: Uint8Array }
  | { kind: 'close' };

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'lines'; seq: number; lines: string[] }
  | { kind: 'error'; seq: number; error: string };

interface Worker {
  child: ChildProcess;
  pending: Map<number, { resolve: (lines: string[]) => void; reject: (error: Error) => void }>;
}

const START_TIMEOUT_MS = 180_000;

function startWorker(reader: InProcessReaderName, root: string, index: number): Promise<Worker> {
  const child = fork(join(__dirname, 'reader-worker.ts'), [], {
    cwd: root,
    execArgv: ['-r', '@swc-node/register'],
    env: { ...process.env, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'), BENCH_WORKER: `${reader}-${index}` },
    // Buffers cross as bytes, not as JSON arrays of numbers.
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const worker: Worker = { child, pending: new Map() };
  return new Promise<Worker>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${reader} worker ${index} did not start within ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    child.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'ready') {
        clearTimeout(timer);
        resolve(worker);
      } else if (reply.kind === 'failed') {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${reader} worker ${index} failed to start: ${reply.error}`));
      } else {
        const job = worker.pending.get(reply.seq);
        worker.pending.delete(reply.seq);
        if (reply.kind === 'lines') job?.resolve(reply.lines);
        else job?.reject(new Error(reply.error));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const error = new Error(`${reader} worker ${index} exited (code ${code}, signal ${signal})`);
      for (const job of worker.pending.values()) job.reject(error);
      worker.pending.clear();
      reject(error);
    });
    child.send({ kind: 'init', reader } satisfies WorkerRequest);
  });
}

/** N worker processes of one reader behind one first-come-first-served queue. */
export class WorkerPool {
  private seq = 0;
  private readonly dispatcher: Dispatcher<Worker, Buffer, string[]>;

  private constructor(
    readonly reader: InProcessReaderName,
    private readonly workers: Worker[],
  ) {
    this.dispatcher = new Dispatcher(workers, (worker, image) => this.readOn(worker, image));
  }

  /** Starts `count` workers at once and waits until each has loaded its models. */
  static async start(reader: InProcessReaderName, count: number): Promise<WorkerPool> {
    const root = findWorkspaceRoot();
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startWorker(reader, root, i)));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      for (const w of workers) w.child.kill('SIGKILL');
      throw failure.reason;
    }
    return new WorkerPool(reader, workers);
  }

  /** The worker processes, for CPU and memory readings. */
  processes(): Array<{ name: string; pid: number | undefined }> {
    return this.workers.map((w, i) => ({ name: `${this.reader}-worker-${i}`, pid: w.child.pid }));
  }

  /** Queues one image; resolves with its lines once a worker has read it. */
  read(image: Buffer): Promise<string[]> {
    return this.dispatcher.submit(image);
  }

  private readOn(worker: Worker, image: Buffer): Promise<string[]> {
    const seq = ++this.seq;
    return new Promise<string[]>((resolve, reject) => {
      worker.pending.set(seq, { resolve, reject });
      worker.child.send({ kind: 'read', seq, image } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            const kill = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
            w.child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.child.send({ kind: 'close' } satisfies WorkerRequest);
          }),
      ),
    );
  }
}
